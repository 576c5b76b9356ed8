//! [`AmfString`]: the string type of AMF0 and AMF3 values and keys.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// An AMF string, key or class name: the bytes as sent, borrowed from the
/// decoded input where possible.
///
/// Both specs say UTF-8, but peers send what they like; the decoder keeps the
/// bytes, so a stray Latin-1 title in `onMetaData` does not cost the whole
/// message, re-encoding is exact, and UTF-8 is only checked for the strings
/// that are read as text ([`as_str`](Self::as_str)). Keys are compared as
/// bytes.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AmfString<'a>(Cow<'a, [u8]>);

impl<'a> AmfString<'a> {
    /// A string of these bytes, borrowed.
    pub const fn from_bytes(bytes: &'a [u8]) -> Self {
        Self(Cow::Borrowed(bytes))
    }

    /// A string of this text, borrowed.
    pub const fn from_str(s: &'a str) -> Self {
        Self(Cow::Borrowed(s.as_bytes()))
    }

    /// The bytes as sent.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text, if the bytes are UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        core::str::from_utf8(&self.0).ok()
    }

    /// The text, with U+FFFD for each run of bytes that are not UTF-8.
    pub fn to_string_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The bytes, borrowed or owned.
    pub fn into_bytes(self) -> Cow<'a, [u8]> {
        self.0
    }

    /// This string, copied if borrowed.
    pub fn into_owned(self) -> AmfString<'static> {
        AmfString(Cow::Owned(self.0.into_owned()))
    }
}

impl fmt::Debug for AmfString<'_> {
    /// Text in quotes when UTF-8, else a byte string literal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_str() {
            Some(s) => fmt::Debug::fmt(s, f),
            None => {
                f.write_str("b\"")?;
                for &b in self.as_bytes() {
                    fmt::Display::fmt(&b.escape_ascii(), f)?;
                }
                f.write_str("\"")
            }
        }
    }
}

impl fmt::Display for AmfString<'_> {
    /// The text, lossily.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_lossy())
    }
}

impl<'a> From<&'a str> for AmfString<'a> {
    fn from(s: &'a str) -> Self {
        Self::from_str(s)
    }
}

impl From<String> for AmfString<'_> {
    fn from(s: String) -> Self {
        Self(Cow::Owned(s.into_bytes()))
    }
}

impl<'a> From<Cow<'a, str>> for AmfString<'a> {
    fn from(s: Cow<'a, str>) -> Self {
        match s {
            Cow::Borrowed(s) => Self::from_str(s),
            Cow::Owned(s) => s.into(),
        }
    }
}

impl<'a> From<&'a [u8]> for AmfString<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Self::from_bytes(bytes)
    }
}

impl From<Vec<u8>> for AmfString<'_> {
    fn from(bytes: Vec<u8>) -> Self {
        Self(Cow::Owned(bytes))
    }
}

impl PartialEq<str> for AmfString<'_> {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for AmfString<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<AmfString<'_>> for str {
    fn eq(&self, other: &AmfString<'_>) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<AmfString<'_>> for &str {
    fn eq(&self, other: &AmfString<'_>) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

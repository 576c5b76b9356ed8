//! The stream id and libsrt's `#!::` access-control syntax
//! (libsrt `docs/features/access-control.md`).
//!
//! A caller names what it wants in the stream id (`SRTO_STREAMID`, at most
//! 512 bytes, UTF-8). Two forms exist:
//!
//! - **Plain**: any string not starting with `#!`, taken whole as the
//!   resource name: `live/camera1`.
//! - **Keyed**: `#!::` followed by comma-separated `key=value` pairs:
//!   `#!::u=admin,r=live/camera1,m=publish`. The standard keys are `u`
//!   (user), `r` (resource), `h` (host), `s` (session id), `t` (type:
//!   `stream` by default, `file`, `auth`) and `m` (mode: `request` by
//!   default, `publish`, `bidirectional`). Other keys (`user_*`,
//!   `company_*` by convention) are kept, in order.
//!
//! Parsing rules, as the libsrt document gives them (it defines no
//! escaping, and this module invents none):
//! - pairs are separated by `,`, so a value can't contain `,`;
//! - a pair splits at its first `=`: the key is non-empty and has no `=`,
//!   the value may contain `=` and may be empty;
//! - `#!::` with nothing after it is a keyed id with no pairs;
//! - keys may repeat; the accessors return the first occurrence and
//!   [`StreamId::pairs`] returns them all.
//!
//! What is refused, with a [`StreamIdError`] (the raw bytes stay with the
//! caller, e.g. in [`crate::access::ConnectionRequest::stream_id_raw`]):
//! bytes that are not UTF-8 (the document requires UTF-8); more than
//! [`MAX_LEN`] bytes; the nested form `#!:{...}`, which the document
//! describes but libsrt does not implement; any other syntax after `#!`
//! (the document reserves the character after `#!` for future syntaxes);
//! a pair without `=` or with an empty key (this includes a trailing comma).

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

/// The longest stream id, in bytes (libsrt `MAX_SID_LENGTH`).
pub const MAX_LEN: usize = 512;

/// The prefix of the keyed form.
pub const KEYED_PREFIX: &str = "#!::";

/// What a [`StreamId`] could not be.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamIdError {
    /// More than [`MAX_LEN`] bytes; holds the length.
    TooLong(usize),
    /// The bytes are not UTF-8.
    NotUtf8,
    /// The nested form `#!:{...}`, which is not supported.
    Nested,
    /// `#!` followed by a syntax other than `::`.
    UnknownSyntax,
    /// Pair number `index` (from 0) has no `=`.
    MissingEquals {
        /// Which pair.
        index: usize,
    },
    /// Pair number `index` (from 0) has an empty key.
    EmptyKey {
        /// Which pair.
        index: usize,
    },
    /// A key given to the builder is empty or contains `=` or `,`.
    InvalidKey(String),
    /// A value given to the builder contains `,`.
    InvalidValue(String),
    /// A plain stream id given to [`StreamId::plain`] starts with `#!`.
    PlainLooksKeyed,
}

impl fmt::Display for StreamIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLong(len) => write!(f, "stream id of {len} bytes: at most {MAX_LEN} allowed"),
            Self::NotUtf8 => f.write_str("stream id is not UTF-8"),
            Self::Nested => f.write_str("nested stream id syntax `#!:{...}` is not supported"),
            Self::UnknownSyntax => f.write_str("unknown stream id syntax after `#!`"),
            Self::MissingEquals { index } => write!(f, "stream id pair {index} has no `=`"),
            Self::EmptyKey { index } => write!(f, "stream id pair {index} has an empty key"),
            Self::InvalidKey(key) => write!(f, "invalid stream id key {key:?}"),
            Self::InvalidValue(value) => {
                write!(f, "stream id value {value:?} contains a comma")
            }
            Self::PlainLooksKeyed => f.write_str("a plain stream id can't start with `#!`"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for StreamIdError {}

/// The `t` key: what the connection is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StreamType {
    /// `stream` (the default): application-defined payload.
    Stream,
    /// `file`: a file transfer, `r` is the file name.
    File,
    /// `auth`: exchange of authentication data.
    Auth,
    /// Any other value, as written.
    Other(String),
}

impl StreamType {
    /// The value as written in a stream id.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Stream => "stream",
            Self::File => "file",
            Self::Auth => "auth",
            Self::Other(s) => s,
        }
    }

    /// The type a value names.
    pub fn from_value(value: &str) -> Self {
        match value {
            "stream" => Self::Stream,
            "file" => Self::File,
            "auth" => Self::Auth,
            other => Self::Other(other.to_string()),
        }
    }
}

/// The `m` key: which way the data flows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Mode {
    /// `request` (the default): the caller wants to receive.
    Request,
    /// `publish`: the caller wants to send.
    Publish,
    /// `bidirectional`: both ways.
    Bidirectional,
    /// Any other value, as written.
    Other(String),
}

impl Mode {
    /// The value as written in a stream id.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Request => "request",
            Self::Publish => "publish",
            Self::Bidirectional => "bidirectional",
            Self::Other(s) => s,
        }
    }

    /// The mode a value names.
    pub fn from_value(value: &str) -> Self {
        match value {
            "request" => Self::Request,
            "publish" => Self::Publish,
            "bidirectional" => Self::Bidirectional,
            other => Self::Other(other.to_string()),
        }
    }
}

/// A parsed stream id: plain or keyed (see the [module docs](self)).
///
/// [`Display`](fmt::Display) writes it back: a plain id as it came, a
/// keyed id as `#!::` and its pairs in order, so
/// `StreamId::parse(id.to_string().as_bytes())` gives `id` back.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StreamId {
    form: Form,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Form {
    Plain(String),
    Keyed(Vec<(String, String)>),
}

impl StreamId {
    /// Parses a stream id as it came in the handshake (without the NUL
    /// padding).
    pub fn parse(bytes: &[u8]) -> Result<Self, StreamIdError> {
        if bytes.len() > MAX_LEN {
            return Err(StreamIdError::TooLong(bytes.len()));
        }
        let text = core::str::from_utf8(bytes).map_err(|_| StreamIdError::NotUtf8)?;
        let Some(syntax) = text.strip_prefix("#!") else {
            return Ok(Self {
                form: Form::Plain(text.to_string()),
            });
        };
        let content = match syntax.strip_prefix(':') {
            Some(rest) if rest.starts_with('{') => return Err(StreamIdError::Nested),
            Some(rest) => rest.strip_prefix(':').ok_or(StreamIdError::UnknownSyntax)?,
            None => return Err(StreamIdError::UnknownSyntax),
        };
        let mut pairs = Vec::new();
        if !content.is_empty() {
            for (index, item) in content.split(',').enumerate() {
                let (key, value) = item
                    .split_once('=')
                    .ok_or(StreamIdError::MissingEquals { index })?;
                if key.is_empty() {
                    return Err(StreamIdError::EmptyKey { index });
                }
                pairs.push((key.to_string(), value.to_string()));
            }
        }
        Ok(Self {
            form: Form::Keyed(pairs),
        })
    }

    /// A plain stream id: `name` is the resource name.
    pub fn plain(name: &str) -> Result<Self, StreamIdError> {
        if name.len() > MAX_LEN {
            return Err(StreamIdError::TooLong(name.len()));
        }
        if name.starts_with("#!") {
            return Err(StreamIdError::PlainLooksKeyed);
        }
        Ok(Self {
            form: Form::Plain(name.to_string()),
        })
    }

    /// A builder for a keyed stream id.
    pub fn builder() -> StreamIdBuilder {
        StreamIdBuilder::default()
    }

    /// Whether this is the plain form.
    pub fn is_plain(&self) -> bool {
        matches!(self.form, Form::Plain(_))
    }

    /// The value of the first pair with `key`; `None` for a plain id.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Every pair, in order; none for a plain id.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        let pairs: &[(String, String)] = match &self.form {
            Form::Plain(_) => &[],
            Form::Keyed(pairs) => pairs,
        };
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The user name (`u`).
    pub fn user(&self) -> Option<&str> {
        self.get("u")
    }

    /// The resource name: `r` of a keyed id, or the whole of a plain one
    /// (`None` for the empty plain id a caller without a stream id sends).
    pub fn resource(&self) -> Option<&str> {
        match &self.form {
            Form::Plain(name) => (!name.is_empty()).then_some(name.as_str()),
            Form::Keyed(_) => self.get("r"),
        }
    }

    /// The host name (`h`).
    pub fn host(&self) -> Option<&str> {
        self.get("h")
    }

    /// The session id (`s`).
    pub fn session(&self) -> Option<&str> {
        self.get("s")
    }

    /// The type (`t`); [`StreamType::Stream`] when absent, as the document
    /// defines the default.
    pub fn kind(&self) -> StreamType {
        self.get("t")
            .map_or(StreamType::Stream, StreamType::from_value)
    }

    /// The mode (`m`); [`Mode::Request`] when absent (and for plain ids),
    /// as the document defines the default.
    pub fn mode(&self) -> Mode {
        self.get("m").map_or(Mode::Request, Mode::from_value)
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.form {
            Form::Plain(name) => f.write_str(name),
            Form::Keyed(pairs) => {
                f.write_str(KEYED_PREFIX)?;
                for (i, (key, value)) in pairs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{key}={value}")?;
                }
                Ok(())
            }
        }
    }
}

/// Builds a keyed stream id. Setting a key that is already set replaces
/// its value in place; new keys are appended in call order.
#[derive(Debug, Clone, Default)]
pub struct StreamIdBuilder {
    pairs: Vec<(String, String)>,
}

impl StreamIdBuilder {
    /// Sets `key` to `value`.
    pub fn key(mut self, key: &str, value: &str) -> Self {
        match self.pairs.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value.to_string(),
            None => self.pairs.push((key.to_string(), value.to_string())),
        }
        self
    }

    /// Sets the user name (`u`).
    pub fn user(self, user: &str) -> Self {
        self.key("u", user)
    }

    /// Sets the resource name (`r`).
    pub fn resource(self, resource: &str) -> Self {
        self.key("r", resource)
    }

    /// Sets the host name (`h`).
    pub fn host(self, host: &str) -> Self {
        self.key("h", host)
    }

    /// Sets the session id (`s`).
    pub fn session(self, session: &str) -> Self {
        self.key("s", session)
    }

    /// Sets the type (`t`).
    pub fn kind(self, kind: &StreamType) -> Self {
        self.key("t", kind.as_str())
    }

    /// Sets the mode (`m`).
    pub fn mode(self, mode: &Mode) -> Self {
        self.key("m", mode.as_str())
    }

    /// The stream id, if every key is non-empty without `=` or `,`, no
    /// value contains `,`, and the whole fits [`MAX_LEN`] bytes.
    pub fn build(self) -> Result<StreamId, StreamIdError> {
        let mut len = KEYED_PREFIX.len();
        for (i, (key, value)) in self.pairs.iter().enumerate() {
            if key.is_empty() || key.contains(['=', ',']) {
                return Err(StreamIdError::InvalidKey(key.clone()));
            }
            if value.contains(',') {
                return Err(StreamIdError::InvalidValue(value.clone()));
            }
            len += usize::from(i > 0) + key.len() + 1 + value.len();
        }
        if len > MAX_LEN {
            return Err(StreamIdError::TooLong(len));
        }
        Ok(StreamId {
            form: Form::Keyed(self.pairs),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use proptest::prelude::*;

    fn parse(s: &str) -> Result<StreamId, StreamIdError> {
        StreamId::parse(s.as_bytes())
    }

    #[test]
    fn keyed_form_exposes_the_standard_keys() {
        let id = parse("#!::u=admin,r=live/cam1,h=example.com,s=abc,t=file,m=publish").unwrap();
        assert_eq!(id.user(), Some("admin"));
        assert_eq!(id.resource(), Some("live/cam1"));
        assert_eq!(id.host(), Some("example.com"));
        assert_eq!(id.session(), Some("abc"));
        assert_eq!(id.kind(), StreamType::File);
        assert_eq!(id.mode(), Mode::Publish);
        assert!(!id.is_plain());
    }

    #[test]
    fn type_and_mode_default_to_stream_and_request() {
        let id = parse("#!::r=x").unwrap();
        assert_eq!(id.kind(), StreamType::Stream);
        assert_eq!(id.mode(), Mode::Request);
    }

    #[test]
    fn unknown_type_and_mode_values_are_kept() {
        let id = parse("#!::t=video,m=relay").unwrap();
        assert_eq!(id.kind(), StreamType::Other("video".into()));
        assert_eq!(id.mode(), Mode::Other("relay".into()));
    }

    #[test]
    fn unknown_keys_are_kept_in_order() {
        let id = parse("#!::acme_b=2,r=x,acme_a=1").unwrap();
        let pairs: Vec<_> = id.pairs().collect();
        assert_eq!(pairs, [("acme_b", "2"), ("r", "x"), ("acme_a", "1")]);
        assert_eq!(id.get("acme_a"), Some("1"));
    }

    #[test]
    fn a_value_may_contain_equals_and_be_empty() {
        let id = parse("#!::s=a=b,u=").unwrap();
        assert_eq!(id.session(), Some("a=b"));
        assert_eq!(id.user(), Some(""));
    }

    #[test]
    fn repeated_keys_answer_with_the_first() {
        let id = parse("#!::r=a,r=b").unwrap();
        assert_eq!(id.resource(), Some("a"));
        assert_eq!(id.pairs().count(), 2);
    }

    #[test]
    fn prefix_alone_is_a_keyed_id_without_pairs() {
        let id = parse("#!::").unwrap();
        assert!(!id.is_plain());
        assert_eq!(id.pairs().count(), 0);
        assert_eq!(id.resource(), None);
    }

    #[test]
    fn a_string_without_the_prefix_is_a_plain_resource_name() {
        let id = parse("live/stream").unwrap();
        assert!(id.is_plain());
        assert_eq!(id.resource(), Some("live/stream"));
        assert_eq!(id.user(), None);
        assert_eq!(id.mode(), Mode::Request);
        assert_eq!(id.to_string(), "live/stream");
    }

    #[test]
    fn the_empty_stream_id_names_no_resource() {
        let id = parse("").unwrap();
        assert!(id.is_plain());
        assert_eq!(id.resource(), None);
    }

    #[test]
    fn a_plain_id_may_contain_commas_and_equals() {
        let id = parse("a=b,c").unwrap();
        assert_eq!(id.resource(), Some("a=b,c"));
    }

    #[test]
    fn nested_form_is_refused() {
        assert_eq!(parse("#!:{r=x}"), Err(StreamIdError::Nested));
    }

    #[test]
    fn other_syntaxes_after_hash_bang_are_refused() {
        assert_eq!(parse("#!x"), Err(StreamIdError::UnknownSyntax));
        assert_eq!(parse("#!:"), Err(StreamIdError::UnknownSyntax));
        assert_eq!(parse("#!"), Err(StreamIdError::UnknownSyntax));
    }

    #[test]
    fn a_pair_without_equals_is_refused() {
        assert_eq!(
            parse("#!::r=x,oops"),
            Err(StreamIdError::MissingEquals { index: 1 })
        );
    }

    #[test]
    fn a_trailing_comma_is_refused() {
        assert_eq!(
            parse("#!::r=x,"),
            Err(StreamIdError::MissingEquals { index: 1 })
        );
    }

    #[test]
    fn an_empty_key_is_refused() {
        assert_eq!(parse("#!::=x"), Err(StreamIdError::EmptyKey { index: 0 }));
    }

    #[test]
    fn non_utf8_is_refused() {
        assert_eq!(StreamId::parse(b"live/\xff"), Err(StreamIdError::NotUtf8));
    }

    #[test]
    fn more_than_512_bytes_is_refused() {
        let long = "a".repeat(513);
        assert_eq!(parse(&long), Err(StreamIdError::TooLong(513)));
        assert!(parse(&long[..512]).is_ok());
    }

    #[test]
    fn builder_writes_the_keyed_form_in_call_order() {
        let id = StreamId::builder()
            .user("johnny")
            .kind(&StreamType::File)
            .mode(&Mode::Publish)
            .resource("results.csv")
            .build()
            .unwrap();
        assert_eq!(
            id.to_string(),
            "#!::u=johnny,t=file,m=publish,r=results.csv"
        );
    }

    #[test]
    fn builder_replaces_a_key_set_twice_in_place() {
        let id = StreamId::builder()
            .resource("a")
            .user("u")
            .resource("b")
            .build()
            .unwrap();
        assert_eq!(id.to_string(), "#!::r=b,u=u");
    }

    #[test]
    fn builder_refuses_a_comma_in_a_value() {
        assert_eq!(
            StreamId::builder().resource("a,b").build(),
            Err(StreamIdError::InvalidValue("a,b".into()))
        );
    }

    #[test]
    fn builder_refuses_bad_keys() {
        for key in ["", "a=b", "a,b"] {
            assert_eq!(
                StreamId::builder().key(key, "v").build(),
                Err(StreamIdError::InvalidKey(key.into()))
            );
        }
    }

    #[test]
    fn builder_refuses_more_than_512_bytes() {
        let value = "v".repeat(507);
        assert!(StreamId::builder().key("r", &value[..506]).build().is_ok());
        assert_eq!(
            StreamId::builder().key("r", &value).build(),
            Err(StreamIdError::TooLong(513))
        );
    }

    #[test]
    fn plain_refuses_a_hash_bang_prefix() {
        assert_eq!(
            StreamId::plain("#!::r=x"),
            Err(StreamIdError::PlainLooksKeyed)
        );
    }

    #[test]
    fn errors_display_what_went_wrong() {
        assert_eq!(
            format!("{}", StreamIdError::MissingEquals { index: 2 }),
            "stream id pair 2 has no `=`"
        );
    }

    fn key() -> impl Strategy<Value = String> {
        "[^=,]{1,8}"
    }

    fn value() -> impl Strategy<Value = String> {
        "[^,]{0,12}"
    }

    proptest! {
        #[test]
        fn build_display_parse_is_identity(
            pairs in proptest::collection::vec((key(), value()), 0..8),
        ) {
            let mut builder = StreamId::builder();
            for (k, v) in &pairs {
                builder = builder.key(k, v);
            }
            if let Ok(id) = builder.build() {
                let text = id.to_string();
                prop_assert_eq!(StreamId::parse(text.as_bytes()), Ok(id));
            }
        }

        #[test]
        fn plain_display_parse_is_identity(name in "\\PC{0,40}") {
            if let Ok(id) = StreamId::plain(&name) {
                prop_assert_eq!(id.to_string(), name.clone());
                prop_assert_eq!(StreamId::parse(name.as_bytes()), Ok(id));
            }
        }

        #[test]
        fn parse_then_display_reproduces_the_input(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Ok(id) = StreamId::parse(&bytes) {
                let text = id.to_string();
                prop_assert_eq!(text.as_bytes(), &bytes[..]);
            }
        }

        #[test]
        fn parse_of_keyed_looking_input_never_panics(s in "#!::[a-z=,]{0,40}") {
            let _ = StreamId::parse(s.as_bytes());
        }
    }
}

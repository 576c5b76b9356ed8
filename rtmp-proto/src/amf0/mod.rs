//! AMF0 (Action Message Format version 0) values, encoder and decoder.
//!
//! RTMP command and data messages (type 20 and 18) carry a sequence of AMF0
//! values: a command name, a transaction id, a command object and arguments.
//! [`decode_all`] turns a message body into that sequence, [`encode_all`]
//! writes one.
//!
//! ```
//! use rtmp_proto::amf0::{self, Value};
//!
//! let mut body = Vec::new();
//! amf0::encode_all(
//!     &[
//!         "onStatus".into(),
//!         0.0.into(),
//!         Value::Null,
//!         Value::object([
//!             ("level", "status".into()),
//!             ("code", "NetStream.Publish.Start".into()),
//!         ]),
//!     ],
//!     &mut body,
//! )?;
//! let values = amf0::decode_all(&body)?;
//! assert_eq!(values[0].as_str(), Some("onStatus"));
//! assert_eq!(values[3].get_str("code"), Some("NetStream.Publish.Start"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Decisions
//! - **Strings borrow from the input** and are kept as the bytes sent
//!   ([`AmfString`]): decoding a command allocates only for its containers
//!   and validates nothing it is not asked to read. The spec says UTF-8, but
//!   peers send what they like: [`Value::as_str`] answers `None` for a string
//!   that is not UTF-8, [`AmfString::to_string_lossy`] replaces bad bytes,
//!   and re-encoding gives back the same bytes. Keys are matched as bytes.
//!   [`Value::into_owned`] detaches a value from the input.
//! - **String and Long String are one variant**, [`Value::String`]; the
//!   encoder picks the Long String marker (0x0C) only for strings over
//!   65 535 bytes, as Flash does.
//! - **ECMA array counts are hints.** The decoder reads properties up to the
//!   object-end marker whatever the count says (ffmpeg and Flash write the
//!   true count, other writers do not); the encoder writes the true count.
//! - **References stay references.** [`Value::Reference`] keeps the index
//!   into the table of complex values (objects, typed objects, ECMA and
//!   strict arrays, in the order their markers appear, counting from 0) of
//!   the decode call. The decoder checks that the index names a complex
//!   value already begun (a child may name its parent), so cycles cost
//!   nothing and nothing is copied. The encoder writes a `Reference` as
//!   such, so references round-trip.
//! - **Duplicate keys are kept**, in order. [`Value::get`] returns the last
//!   one, as ActionScript and nginx-rtmp do when they fill an object.
//! - **An empty key followed by anything but the object-end marker** is a
//!   property named `""`; the encoder writes such properties the same way.
//! - **MovieClip (0x04) and RecordSet (0x0E)** are reserved and rejected
//!   with [`DecodeErrorKind::ReservedMarker`].
//! - **AVM+ (0x11)** switches to AMF3 for one value, [`Value::Avmplus`]. The
//!   AMF3 reference tables live for the whole decode (or encode) call, so
//!   several switched values in one message share them.
//! - **Limits.** One decode call decodes at most [`Limits::max_elements`]
//!   values nested at most [`Limits::max_depth`] containers deep. A count
//!   field is checked, before anything is allocated for it, against the
//!   bytes remaining that the counts of enclosing containers have not already
//!   claimed (every element takes at least a byte), so the capacity reserved
//!   by all open containers together stays within the input; an ECMA array
//!   count, which is only a hint, reserves at most 16 properties. Memory held
//!   is thus bounded by the input length and the element limit, whatever the
//!   peer sends.

mod decode;
mod encode;
mod error;
pub(crate) mod reader;
mod string;
#[cfg(test)]
mod tests;
mod value;

pub use error::{DecodeError, DecodeErrorKind, EncodeError, ReferenceTable};
pub use string::AmfString;
pub use value::{Property, TypedObject, Value};

use alloc::vec::Vec;

/// Type markers of AMF0 (AMF0 spec, section 2.1).
pub mod marker {
    /// Number: an IEEE 754 double.
    pub const NUMBER: u8 = 0x00;
    /// Boolean: one byte, 0 is false.
    pub const BOOLEAN: u8 = 0x01;
    /// String: u16 length and UTF-8.
    pub const STRING: u8 = 0x02;
    /// Anonymous object: properties up to an object end.
    pub const OBJECT: u8 = 0x03;
    /// MovieClip: reserved, not supported.
    pub const MOVIECLIP: u8 = 0x04;
    /// Null.
    pub const NULL: u8 = 0x05;
    /// Undefined.
    pub const UNDEFINED: u8 = 0x06;
    /// Reference: u16 index into the complex values seen so far.
    pub const REFERENCE: u8 = 0x07;
    /// ECMA array: u32 count hint, then properties up to an object end.
    pub const ECMA_ARRAY: u8 = 0x08;
    /// Object end: terminates the properties of an object or ECMA array.
    pub const OBJECT_END: u8 = 0x09;
    /// Strict array: u32 count, then that many values.
    pub const STRICT_ARRAY: u8 = 0x0A;
    /// Date: double milliseconds since the epoch (UTC), s16 time zone.
    pub const DATE: u8 = 0x0B;
    /// Long string: u32 length and UTF-8.
    pub const LONG_STRING: u8 = 0x0C;
    /// Unsupported.
    pub const UNSUPPORTED: u8 = 0x0D;
    /// RecordSet: reserved, not supported.
    pub const RECORDSET: u8 = 0x0E;
    /// XML document: u32 length and UTF-8.
    pub const XML_DOCUMENT: u8 = 0x0F;
    /// Typed object: class name, then properties up to an object end.
    pub const TYPED_OBJECT: u8 = 0x10;
    /// AVM+: the next value is AMF3.
    pub const AVMPLUS: u8 = 0x11;
}

/// Limits a peer cannot exceed in one decode call (one message).
///
/// Shared by the AMF0 and AMF3 decoders; an AMF3 value inside an AMF0 AVM+
/// switch spends from the same budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// How many containers deep values may nest; default 64. The decoder
    /// recurses once per level, so this also bounds its stack use.
    pub max_depth: u32,
    /// How many values one decode call may produce, counting every value
    /// (top-level, property, array element, reference); default 65 536.
    pub max_elements: u32,
}

impl Limits {
    /// The defaults: depth 64, 65 536 values.
    pub const DEFAULT: Self = Self {
        max_depth: 64,
        max_elements: 65_536,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// An AMF0 decoder with configurable [`Limits`].
///
/// The free functions [`decode`] and [`decode_all`] use the default limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Decoder {
    limits: Limits,
}

impl Decoder {
    /// A decoder with these limits.
    pub const fn new(limits: Limits) -> Self {
        Self { limits }
    }

    /// The limits of this decoder.
    pub const fn limits(&self) -> Limits {
        self.limits
    }

    /// Decodes one value from the start of `input`; returns it and the number
    /// of bytes it took. Bytes after it are left alone.
    pub fn decode<'a>(&self, input: &'a [u8]) -> Result<(Value<'a>, usize), DecodeError> {
        decode::decode(input, self.limits)
    }

    /// Decodes values until `input` is used up: the body of a command or data
    /// message. References and limits span the whole sequence.
    pub fn decode_all<'a>(&self, input: &'a [u8]) -> Result<Vec<Value<'a>>, DecodeError> {
        decode::decode_all(input, self.limits)
    }
}

/// Decodes one value from the start of `input` with the default [`Limits`];
/// returns it and the number of bytes it took.
pub fn decode(input: &[u8]) -> Result<(Value<'_>, usize), DecodeError> {
    decode::decode(input, Limits::DEFAULT)
}

/// Decodes values until `input` is used up, with the default [`Limits`]: the
/// body of a command or data message.
pub fn decode_all(input: &[u8]) -> Result<Vec<Value<'_>>, DecodeError> {
    decode::decode_all(input, Limits::DEFAULT)
}

/// Appends the encoding of `value` to `out`. On error `out` is left as it was.
///
/// The encoder recurses once per level of nesting of `value`; values that
/// came from the decoder are bounded by its [`Limits::max_depth`].
pub fn encode(value: &Value<'_>, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    encode_all(core::slice::from_ref(value), out)
}

/// Appends the encoding of `values`, one after the other, to `out`: the body
/// of a command or data message. References span the whole sequence. On
/// error `out` is left as it was.
pub fn encode_all<'v, 'a: 'v>(
    values: impl IntoIterator<Item = &'v Value<'a>>,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    encode::encode_all(values, out)
}

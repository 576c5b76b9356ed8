//! AMF3 (Action Message Format version 3) values, encoder and decoder, with
//! reference tables.
//!
//! In RTMP, AMF3 appears after an AMF0 AVM+ switch (marker 0x11,
//! [`amf0::Value::Avmplus`](crate::amf0::Value::Avmplus)). The bodies of the
//! "AMF3" data, shared-object and command messages (types 15, 16 and 17)
//! are a format byte (0) followed by AMF0 values, any of which may switch:
//! decode them with [`amf0::decode_all`](crate::amf0::decode_all)`(&body[1..])`.
//!
//! ```
//! use rtmp_proto::amf3::{self, Value};
//!
//! let mut bytes = Vec::new();
//! amf3::encode(&Value::object([("answer", Value::Integer(42))]), &mut bytes)?;
//! let (value, used) = amf3::decode(&bytes)?;
//! assert_eq!(used, bytes.len());
//! assert_eq!(value.get("answer").and_then(Value::as_i32), Some(42));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Decisions
//! - **Reference tables live for one decode call** (one message, or all the
//!   AVM+ switches of one AMF0 message), as do the encoder's.
//! - **String and traits references are resolved**: the decoded tree holds
//!   the strings, borrowed from the input (a reference costs a pointer, not
//!   a copy), and every object carries its class name and member names.
//! - **Object references stay references.** [`Value::Reference`] keeps the
//!   index into the object table: every xml-doc, date, array, object, xml,
//!   byte-array, vector and dictionary of the decode call, counting from 0 in
//!   the order their markers appear (a container before its children). The
//!   decoder checks the index names a value already begun, so an object that
//!   refers to itself decodes to a finite tree at no cost, with no recursion.
//! - **The encoder never writes string or traits references** (each string
//!   and traits inline), so `decode(encode(v)) == v`; it writes a
//!   [`Value::Reference`] as a reference, with the marker of the value it
//!   names.
//! - **Externalizable objects are rejected** with
//!   [`DecodeErrorKind::ExternalizableObject`]: their payload has no length.
//! - **Strings are kept as the bytes sent** ([`AmfString`]), as for AMF0.
//! - **Integers** are 29-bit signed; the encoder writes an
//!   [`Value::Integer`] outside −2^28 ..= 2^28 − 1 as a double, as Flash does.
//! - **Limits**: [`Limits`] as for AMF0; every value counts as an element,
//!   but the items of `Vector.<int>`, `Vector.<uint>`, `Vector.<Number>` and
//!   the bytes of a byte-array do not (their memory is bounded by the input).

pub(crate) mod decode;
pub(crate) mod encode;
#[cfg(test)]
pub(crate) mod tests;
mod value;

pub use crate::amf0::{
    AmfString, DecodeError, DecodeErrorKind, EncodeError, Limits, ReferenceTable,
};
pub use value::{Array, Object, Property, Value, VectorObject};

use alloc::vec::Vec;

/// Type markers of AMF3 (AMF3 spec, section 3.1).
pub mod marker {
    /// undefined.
    pub const UNDEFINED: u8 = 0x00;
    /// null.
    pub const NULL: u8 = 0x01;
    /// false.
    pub const FALSE: u8 = 0x02;
    /// true.
    pub const TRUE: u8 = 0x03;
    /// integer: U29, 29-bit signed.
    pub const INTEGER: u8 = 0x04;
    /// double.
    pub const DOUBLE: u8 = 0x05;
    /// string: UTF-8-vr.
    pub const STRING: u8 = 0x06;
    /// XMLDocument (legacy).
    pub const XML_DOC: u8 = 0x07;
    /// Date.
    pub const DATE: u8 = 0x08;
    /// Array: associative and dense parts.
    pub const ARRAY: u8 = 0x09;
    /// Object: traits and members.
    pub const OBJECT: u8 = 0x0A;
    /// XML (E4X).
    pub const XML: u8 = 0x0B;
    /// ByteArray.
    pub const BYTE_ARRAY: u8 = 0x0C;
    /// `Vector.<int>`.
    pub const VECTOR_INT: u8 = 0x0D;
    /// `Vector.<uint>`.
    pub const VECTOR_UINT: u8 = 0x0E;
    /// `Vector.<Number>`.
    pub const VECTOR_DOUBLE: u8 = 0x0F;
    /// `Vector.<Object>`.
    pub const VECTOR_OBJECT: u8 = 0x10;
    /// Dictionary.
    pub const DICTIONARY: u8 = 0x11;
}

/// The largest value a U29 carries: 2^29 − 1.
pub const U29_MAX: u32 = 0x1FFF_FFFF;

/// An AMF3 decoder with configurable [`Limits`].
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
    /// of bytes it took.
    pub fn decode<'a>(&self, input: &'a [u8]) -> Result<(Value<'a>, usize), DecodeError> {
        decode::decode(input, self.limits)
    }

    /// Decodes values until `input` is used up; reference tables and limits
    /// span the whole sequence.
    pub fn decode_all<'a>(&self, input: &'a [u8]) -> Result<Vec<Value<'a>>, DecodeError> {
        decode::decode_all(input, self.limits)
    }
}

/// Decodes one value from the start of `input` with the default [`Limits`];
/// returns it and the number of bytes it took.
pub fn decode(input: &[u8]) -> Result<(Value<'_>, usize), DecodeError> {
    decode::decode(input, Limits::DEFAULT)
}

/// Decodes values until `input` is used up, with the default [`Limits`].
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

/// Appends the encoding of `values` to `out`, with one object table for the
/// whole sequence. On error `out` is left as it was.
pub fn encode_all<'v, 'a: 'v>(
    values: impl IntoIterator<Item = &'v Value<'a>>,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let start = out.len();
    let mut tables = encode::Tables::default();
    let result = values
        .into_iter()
        .try_for_each(|v| encode::value(out, &mut tables, v));
    if result.is_err() {
        out.truncate(start);
    }
    result
}

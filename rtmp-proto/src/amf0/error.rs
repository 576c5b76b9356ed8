//! Errors shared by the AMF0 and AMF3 codecs.

use core::fmt;

/// Why a decode failed, and at which byte offset of the input.
///
/// The offset counts from the start of the slice given to the decode call
/// (for an AMF3 value inside an AMF0 AVM+ switch, from the start of the AMF0
/// input), and points at the field that could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// What went wrong.
    pub kind: DecodeErrorKind,
    /// Byte offset of the offending field in the input.
    pub offset: usize,
}

/// What went wrong while decoding AMF0 or AMF3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ended inside a value.
    UnexpectedEnd,
    /// A type marker this format does not define.
    UnknownMarker(u8),
    /// An AMF0 marker the spec reserves and never sends: MovieClip (0x04) or
    /// RecordSet (0x0E).
    ReservedMarker(u8),
    /// An AMF0 object-end marker (0x09) where a value was expected: it is only
    /// valid after an empty key, ending an object or ECMA array.
    UnexpectedObjectEnd,
    /// Containers nested deeper than [`Limits::max_depth`](crate::amf0::Limits::max_depth).
    DepthLimitExceeded {
        /// The limit in force.
        limit: u32,
    },
    /// More values in one decode call than [`Limits::max_elements`](crate::amf0::Limits::max_elements).
    ElementLimitExceeded {
        /// The limit in force.
        limit: u32,
    },
    /// A count field announces more elements than the remaining input could
    /// hold (every element takes at least one byte), once the elements that
    /// enclosing containers still expect are set aside.
    CountExceedsInput {
        /// The announced count.
        count: u32,
        /// Bytes left after the count field and not claimed by the counts of
        /// enclosing containers.
        remaining: usize,
    },
    /// A reference to an entry its reference table does not (yet) hold.
    ReferenceOutOfRange {
        /// Which table the reference points into.
        table: ReferenceTable,
        /// The index that was sent.
        index: u32,
        /// How many entries the table held at that point.
        len: u32,
    },
    /// An AMF3 object with externalizable traits: its payload is written by
    /// class-specific code with no length, so it cannot be skipped or kept.
    ExternalizableObject,
}

/// The reference tables of AMF0 and AMF3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReferenceTable {
    /// Complex values (AMF0: objects, typed objects, ECMA and strict arrays;
    /// AMF3: everything but strings and primitives).
    Object,
    /// AMF3 strings.
    String,
    /// AMF3 object traits.
    Traits,
}

/// Why an encode failed. On failure the output buffer is left as it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// A string, key, byte array or element count too long for its length
    /// field (AMF0 keys: 65 535 bytes; AMF3 lengths: 2^28 − 1).
    TooLong {
        /// The length of the value.
        len: usize,
        /// The largest length the field can carry.
        max: usize,
    },
    /// An AMF3 associative-array key or dynamic member name that is empty:
    /// the empty string ends those lists, so it cannot be a key.
    EmptyKey,
    /// A `Reference` to a complex value that has not been written before it
    /// in the same encode call, so a decoder could not resolve it.
    ReferenceOutOfRange {
        /// The index of the reference.
        index: u32,
        /// How many complex values had been written at that point.
        len: u32,
    },
}

impl fmt::Display for ReferenceTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Object => "object",
            Self::String => "string",
            Self::Traits => "traits",
        })
    }
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::UnexpectedEnd => f.write_str("input ended inside a value"),
            Self::UnknownMarker(m) => write!(f, "unknown type marker 0x{m:02x}"),
            Self::ReservedMarker(m) => write!(f, "reserved type marker 0x{m:02x}"),
            Self::UnexpectedObjectEnd => {
                f.write_str("object-end marker where a value was expected")
            }
            Self::DepthLimitExceeded { limit } => {
                write!(f, "values nested deeper than the limit of {limit}")
            }
            Self::ElementLimitExceeded { limit } => {
                write!(f, "more values than the limit of {limit}")
            }
            Self::CountExceedsInput { count, remaining } => write!(
                f,
                "count of {count} elements exceeds the {remaining} bytes remaining"
            ),
            Self::ReferenceOutOfRange { table, index, len } => write!(
                f,
                "{table} reference {index} out of range (table holds {len})"
            ),
            Self::ExternalizableObject => f.write_str("externalizable AMF3 object"),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AMF decode error at byte {}: {}", self.offset, self.kind)
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::TooLong { len, max } => {
                write!(f, "length {len} exceeds the field's maximum of {max}")
            }
            Self::EmptyKey => f.write_str("empty AMF3 member name"),
            Self::ReferenceOutOfRange { index, len } => write!(
                f,
                "reference {index} to a complex value not yet written ({len} written)"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for DecodeError {}

#[cfg(feature = "std")]
impl std::error::Error for EncodeError {}

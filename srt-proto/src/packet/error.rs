//! The decoder's typed error.

use core::fmt;

/// Why a byte slice is not a valid SRT packet (or part of one).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended before the structure `what` did.
    Truncated {
        /// The structure being decoded.
        what: &'static str,
        /// Bytes it needs.
        needed: usize,
        /// Bytes there were.
        available: usize,
    },
    /// The field `what` holds a value the protocol does not allow.
    InvalidField {
        /// The field.
        what: &'static str,
        /// The value found.
        value: u32,
    },
    /// The length of `what` is not allowed (too long, not a multiple of its
    /// unit, or disagreeing with a length field).
    BadLength {
        /// The structure or field.
        what: &'static str,
        /// The length found, in bytes.
        len: usize,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated {
                what,
                needed,
                available,
            } => write!(f, "{what} truncated: needs {needed} bytes, has {available}"),
            Self::InvalidField { what, value } => write!(f, "invalid {what}: {value:#x}"),
            Self::BadLength { what, len } => write!(f, "bad length for {what}: {len} bytes"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for DecodeError {}

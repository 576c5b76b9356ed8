//! The handshake control information field (CIF), v4 and v5, with its extensions.
//!
//! PLACEHOLDER with the agreed API; its owner replaces the body.

use super::DecodeError;
use alloc::vec::Vec;

/// The handshake control information field (CIF), v4 and v5, with its extensions (placeholder: raw bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    raw: Vec<u8>,
}

impl Handshake {
    /// Decodes from the bytes after the 16-byte control header.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        Ok(Self { raw: bytes.to_vec() })
    }

    /// Appends the encoding to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.raw);
    }

    /// Bytes [`Self::encode`] appends.
    pub fn encoded_len(&self) -> usize {
        self.raw.len()
    }
}

//! The SRT wire format (draft-sharabayko-srt §3), as libsrt 1.5 puts it on
//! the wire.

mod error;
pub mod handshake;
pub mod km;

pub use error::DecodeError;

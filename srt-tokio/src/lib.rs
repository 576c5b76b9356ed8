//! Tokio adapter for [`srt_proto`].
//!
//! Not built yet: the socket, listener and group types arrive with the
//! adapters work (see the README's feature table). Until then this crate only
//! re-exports the protocol core.
#![forbid(unsafe_code)]

pub use srt_proto as proto;

pub mod relay;
pub mod uri;

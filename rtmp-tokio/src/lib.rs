//! Tokio adapter for [`rtmp_proto`].
//!
//! Not built yet: the server and client arrive with the adapter work (see the
//! README's feature table). Until then this crate only re-exports the
//! protocol core.
#![forbid(unsafe_code)]

pub use rtmp_proto as proto;

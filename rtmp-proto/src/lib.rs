//! RTMP as Sans-I/O state machines.
//!
//! This crate does no I/O and reads no clock: sessions take bytes in and give
//! bytes out, with the current time passed in by the caller. It knows nothing
//! about TCP.
//!
//! # Modules
//! - [`handshake`]: C0/C1/C2 and S0/S1/S2, simple and digest forms.
//! - [`chunk`]: the chunk stream reader (per-chunk-stream reassembly) and
//!   writer (header compression).
//! - [`message`]: protocol control, user control, command, data, audio, video
//!   and aggregate messages.
//! - [`amf0`], [`amf3`]: Action Message Format codecs with limits.
//! - [`media`]: FLV tags, legacy and Enhanced RTMP codecs, FLV files.
//!
//! # Panics
//! Nothing in this crate panics on input from the network.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod amf0;
pub mod amf3;
pub mod chunk;
pub mod handshake;
pub mod media;
pub mod message;
pub mod session;

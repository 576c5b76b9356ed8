//! SRT (Secure Reliable Transport) as Sans-I/O state machines.
//!
//! This crate does no I/O and reads no clock: it decodes and encodes SRT
//! datagrams, and (in later modules) runs the handshake, ARQ, TSBPD and
//! congestion control as plain structs driven by inputs and the current
//! time. Randomness comes in from a seeded generator, so every run can be
//! replayed.
//!
//! # Modules
//! - [`seq`]: 31-bit packet sequence numbers and 26-bit message numbers,
//!   wrap-aware.
//! - [`time`]: the crate's [`time::Instant`] and SRT's 32-bit microsecond
//!   wire timestamps.
//! - [`packet`]: the wire format. Decoding is total (any byte slice yields a
//!   packet or a typed [`packet::DecodeError`], never a panic), encoding is
//!   exact.
//! - [`crypto`]: key derivation, key wrap and payload encryption (AES-CTR and
//!   AES-GCM) as libsrt does them, and libsrt's key refresh schedule.
//! - [`rng`]: [`rng::SrtRng`], the seeded generator every random value
//!   (socket ids, initial sequence numbers, cookie secrets, salts, keys)
//!   comes from.
//! - [`cookie`]: stateless SYN cookies, so a listener keeps no state for a
//!   peer before it proves its address.
//! - [`streamid`]: stream ids and the `#!::u=…,r=…` access-control syntax.
//! - [`access`]: connection requests, the embedder's accept/reject decision,
//!   and ready-made policies (accept-all, whitelist, single publisher).
//! - [`handshake`]: caller, listener and rendezvous handshakes and option
//!   negotiation.
//! - [`connection`]: one connection after its handshake: ARQ, TSBPD,
//!   congestion control, keepalive, shutdown, encryption in flight, stats.
//! - `sim` (feature `sim`): a seeded link model and a driver that steps
//!   endpoints through virtual time.
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

pub mod access;
pub mod connection;
pub mod cookie;
pub mod crypto;
pub mod endpoint;
pub mod handshake;
pub mod packet;
pub mod rng;
pub mod seq;
#[cfg(feature = "sim")]
pub mod sim;
pub mod streamid;
pub mod time;

pub use endpoint::{
    AccessControl, ConnectionId, Endpoint, EndpointConfig, Event, Input, ListenConfig, Output,
};

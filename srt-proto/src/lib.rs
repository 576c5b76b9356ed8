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
//! - [`endpoint`]: [`Endpoint`], one per UDP socket: demultiplexing,
//!   handshakes, access control, and the connections it owns.
//! - [`group`]: socket groups (broadcast and main/backup bonding) as a
//!   state machine above the member connections.
//! - `sim` (feature `sim`): a seeded link model and a driver that steps
//!   endpoints through virtual time.
//!
//! # Driving loop
//! An [`Endpoint`] takes [`Input`]s with the current time and returns
//! [`Output`]s: datagrams to send, events, and when to wake it next. Here a
//! caller and a listener talk through an in-memory "network" until both
//! are connected; a real program puts a UDP socket and a timer in place of
//! the queue and the jumps in time.
//!
//! ```
//! use bytes::Bytes;
//! use core::net::SocketAddr;
//! use srt_proto::handshake::HandshakeConfig;
//! use srt_proto::time::Instant;
//! use srt_proto::{Endpoint, EndpointConfig, Event, Input, ListenConfig, Output};
//! use std::collections::VecDeque;
//!
//! type Wire = VecDeque<(SocketAddr, SocketAddr, Bytes)>; // (from, to, datagram)
//!
//! /// Feeds one input and routes what comes out.
//! fn feed(ep: &mut Endpoint, me: SocketAddr, input: Input, now: Instant, wire: &mut Wire) -> bool {
//!     let mut connected = false;
//!     for output in ep.handle_input(input, now) {
//!         match output {
//!             Output::Transmit { to, data } => wire.push_back((me, to, data)),
//!             Output::Event(Event::Connected { params, .. }) => {
//!                 assert_eq!(params.mss, 1500);
//!                 connected = true;
//!             }
//!             Output::Event(other) => println!("{me}: {other:?}"),
//!             // A real loop arms its timer here; this one asks `next_timeout`.
//!             Output::Timeout(_) => {}
//!         }
//!     }
//!     connected
//! }
//!
//! let listener_addr: SocketAddr = "192.0.2.1:4200".parse()?;
//! let caller_addr: SocketAddr = "192.0.2.2:5000".parse()?;
//! // Seed from the OS in a real program; a fixed seed replays the same run.
//! let mut listener = Endpoint::new(EndpointConfig::default(), [1; 32]);
//! let mut caller = Endpoint::new(EndpointConfig::default(), [2; 32]);
//! let mut wire = Wire::new();
//! let mut now = Instant::ZERO;
//!
//! let listen = ListenConfig::new(HandshakeConfig::default());
//! feed(&mut listener, listener_addr, Input::Listen(Box::new(listen)), now, &mut wire);
//! let connect = Input::Connect { remote: listener_addr, config: Box::new(HandshakeConfig::default()) };
//! feed(&mut caller, caller_addr, connect, now, &mut wire);
//!
//! let mut connected = 0;
//! while connected < 2 {
//!     if let Some((from, to, data)) = wire.pop_front() {
//!         // The network delivers the datagram to the socket bound at `to`.
//!         let (ep, me) = if to == listener_addr {
//!             (&mut listener, listener_addr)
//!         } else {
//!             (&mut caller, caller_addr)
//!         };
//!         connected += u32::from(feed(ep, me, Input::Datagram { from, data }, now, &mut wire));
//!     } else {
//!         // Nothing in flight: sleep until the earliest timer.
//!         let Some(wake) = [listener.next_timeout(), caller.next_timeout()].into_iter().flatten().min() else {
//!             break;
//!         };
//!         now = now.max(wake);
//!         connected += u32::from(feed(&mut listener, listener_addr, Input::Timeout, now, &mut wire));
//!         connected += u32::from(feed(&mut caller, caller_addr, Input::Timeout, now, &mut wire));
//!     }
//! }
//! assert_eq!(connected, 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The example `srt-proto/examples/blocking_loop.rs`
//! (`cargo run -p srt-proto --example blocking_loop`) is the same loop on
//! real sockets: a caller and a listener, each a thread with a blocking
//! `std::net::UdpSocket` whose read timeout comes from `next_timeout()`,
//! and no async runtime: the model for embedding the core in your own
//! event loop.
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
pub mod group;
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

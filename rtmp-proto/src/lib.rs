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
//! - [`session`]: server and client sessions (connect, createStream,
//!   publish, play, acknowledgements, pings) with accept/reject by request id.
//!
//! # Driving a session
//! A session is fed [`session::Input`]s with the current time and answers
//! with [`session::Output`]s: bytes to write to TCP, and events. Application
//! calls (`accept`, `reject`, `send_media`, ...) queue their outputs too.
//! **After every call, drain the outputs** (`handle_input` returns them;
//! after an application call use `poll_outputs`), and write every
//! `Transmit` in order. Here a client publishes to a server, both in memory:
//!
//! ```
//! use bytes::Bytes;
//! use rtmp_proto::media::MediaKind;
//! use rtmp_proto::session::*;
//!
//! let now = Instant::ZERO;
//! let mut server = ServerSession::new(ServerConfig::default(), |b| b.fill(1), now);
//! let config = ClientConfig::new("rtmp://127.0.0.1/live", "live");
//! let mut client = ClientSession::new(config, |b| b.fill(2), now);
//! client.publish("key", PublishType::Live)?;
//!
//! let mut to_server: Vec<u8> = Vec::new();
//! let mut to_client: Vec<u8> = Vec::new();
//! let mut frames = 0;
//! for _ in 0..20 {
//!     // Client side: feed what the server said, act on events, collect bytes.
//!     let mut outputs = client.handle_input(Input::Bytes(&to_client), now);
//!     to_client.clear();
//!     while !outputs.is_empty() {
//!         for output in std::mem::take(&mut outputs) {
//!             match output {
//!                 Output::Transmit(bytes) => to_server.extend_from_slice(&bytes),
//!                 Output::Event(ClientEvent::PublishStarted { .. }) => {
//!                     let body = Bytes::from_static(&[0xAF, 1, 0x21]);
//!                     client.send_media(MediaKind::Audio, 0, body)?;
//!                 }
//!                 Output::Event(_) => {}
//!             }
//!         }
//!         // `send_media` queued bytes: drain again.
//!         client.poll_outputs_into(&mut outputs);
//!     }
//!     // Server side: feed the bytes, answer requests, collect media.
//!     let mut outputs = server.handle_input(Input::Bytes(&to_server), now);
//!     to_server.clear();
//!     while !outputs.is_empty() {
//!         for output in std::mem::take(&mut outputs) {
//!             match output {
//!                 Output::Transmit(bytes) => to_client.extend_from_slice(&bytes),
//!                 Output::Event(
//!                     ServerEvent::ConnectRequest { request, .. }
//!                     | ServerEvent::PublishRequest { request, .. },
//!                 ) => server.accept(request)?,
//!                 Output::Event(ServerEvent::Audio { stream, body, .. }) => {
//!                     assert_eq!(stream, StreamId(1));
//!                     assert_eq!(&body[..], [0xAF, 1, 0x21]);
//!                     frames += 1;
//!                 }
//!                 Output::Event(_) => {}
//!             }
//!         }
//!         // `accept` queued the answer: drain again.
//!         server.poll_outputs_into(&mut outputs);
//!     }
//! }
//! assert_eq!(frames, 1);
//! # Ok::<(), rtmp_proto::session::SessionError>(())
//! ```
//!
//! `examples/blocking_server.rs` drives a `ServerSession` over
//! `std::net::TcpStream`, a thread per connection: a publish/play relay that
//! ffmpeg can publish to and play from.
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

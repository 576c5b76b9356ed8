//! Tokio adapter for [`srt_proto`]: SRT sockets and listeners.
//!
//! ```
//! use bytes::Bytes;
//! use futures_util::{SinkExt, StreamExt};
//! use srt_tokio::SrtSocket;
//! use std::time::{Duration, Instant};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut listener = SrtSocket::builder()
//!     .passphrase("correct horse battery")
//!     .listen("127.0.0.1:0".parse()?)
//!     .await?;
//! let mut caller = SrtSocket::builder()
//!     .passphrase("correct horse battery")
//!     .latency(Duration::from_millis(80))
//!     .call(listener.local_addr())
//!     .await?;
//! let mut accepted = listener.next().await.ok_or("listener ended")??;
//! caller.send((Instant::now(), Bytes::from_static(b"hello"))).await?;
//! let (_src_time, message) = accepted.next().await.ok_or("closed")??;
//! assert_eq!(message, "hello");
//! caller.close().await?;
//! # Ok(())
//! # }
//! ```
//!
//! In file mode ([`TransType::File`]) the socket is also tokio's
//! `AsyncRead` + `AsyncWrite` (the `Stream` and `Sink` carry the same byte
//! stream, in pieces whose boundaries are not kept).
//!
//! # Structure
//! One task owns one `tokio::net::UdpSocket` and its [`srt_proto::Endpoint`]
//! (many connections share it: every connection a listener accepts lives on
//! the listener's socket); sockets and listeners talk to it over channels.
//! The runtime appears in three small modules (the task: socket, timer,
//! spawn; the `AsyncRead`/`AsyncWrite` impls over the socket's byte-stream
//! view; the server's spawn of a task per connection); the builder, the
//! handles, the channels and the mapping of `std::time::Instant` onto the
//! protocol clock are runtime-neutral, so an adapter for another runtime
//! replaces those three.
//!
//! [`SrtServer`] hands each accepted connection to a [`Handler`] by what
//! its stream id asks for (publish or subscribe) and closes it when the
//! handler returns.
//!
//! [`SrtGroup`] bonds several connections into one stream (libsrt 1.5's
//! socket groups, broadcast or main/backup): a caller connects it with
//! [`SrtSocketBuilder::call_group`], a listener built with
//! [`SrtSocketBuilder::group_connect`] hands groups out from
//! [`SrtListener::accept`]; see [`group`].
#![forbid(unsafe_code)]

pub use srt_proto as proto;

mod builder;
mod clock;
mod driver;
mod engine;
mod error;
pub mod group;
#[path = "group/runtime.rs"]
mod group_runtime;
mod io;
pub mod relay;
pub mod server;
mod shared;
mod socket;
pub mod uri;

/// Batched UDP I/O (recvmmsg, GRO, GSO) for an application's own datagrams
/// next to SRT: the same code the socket task uses.
pub mod udp {
    pub use crate::driver::udp::{Batched, MAX_DATAGRAM, batching_enabled};
}

pub use builder::{SrtSocketBuilder, TransType};
pub use error::SrtError;
pub use group::{
    Accepted, BackupState, GroupMember, GroupMemberStatus, GroupStats, GroupType, MemberId,
    MemberState, SrtGroup,
};
pub use server::{Handler, Role, Session, SrtServer};
pub use socket::{SrtListener, SrtSocket};

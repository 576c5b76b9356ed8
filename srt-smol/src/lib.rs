//! smol adapter for [`srt_proto`]: SRT sockets and listeners, with the same
//! API as srt-tokio's.
//!
//! ```
//! use bytes::Bytes;
//! use futures_util::{SinkExt, StreamExt};
//! use srt_smol::SrtSocket;
//! use std::time::{Duration, Instant};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # smol::block_on(async {
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
//! # })
//! # }
//! ```
//!
//! In file mode ([`TransType::File`]) the socket is also `futures-io`'s
//! `AsyncRead` + `AsyncWrite` (smol's `smol::io` traits).
//!
//! # Structure
//! One task (on smol's global executor) owns one `Async<UdpSocket>` and its
//! [`srt_proto::Endpoint`]; sockets and listeners talk to it over channels.
//! Only `driver.rs` (the socket, the `async-io` timer, the spawn) and
//! `io.rs` (the `futures-io` traits) are smol's: the builder, the handles,
//! the channels, the clock and what the task does with each wake are
//! srt-tokio's runtime-neutral modules, compiled here from the same source
//! files so the two adapters cannot drift apart.
//!
//! [`SrtServer`] hands each accepted connection to a [`Handler`] by what
//! its stream id asks for (publish or subscribe) and closes it when the
//! handler returns; its framework is srt-tokio's runtime-neutral file too,
//! only the spawn of a task per connection and the sleep are smol's.
//!
//! [`SrtGroup`] bonds several connections into one stream (libsrt 1.5's
//! socket groups, broadcast or main/backup): a caller connects it with
//! [`SrtSocketBuilder::call_group`], a listener built with
//! [`SrtSocketBuilder::group_connect`] hands groups out from
//! [`SrtListener::accept`]; see [`group`].
#![forbid(unsafe_code)]

pub use srt_proto as proto;

#[path = "../../srt-tokio/src/builder.rs"]
mod builder;
#[path = "../../srt-tokio/src/clock.rs"]
mod clock;
mod driver;
#[path = "../../srt-tokio/src/engine.rs"]
mod engine;
#[path = "../../srt-tokio/src/error.rs"]
mod error;
#[path = "../../srt-tokio/src/group.rs"]
pub mod group;
mod group_runtime;
mod io;
pub mod server;
#[path = "../../srt-tokio/src/shared.rs"]
mod shared;
#[path = "../../srt-tokio/src/socket.rs"]
mod socket;

pub use builder::{SrtSocketBuilder, TransType};
pub use error::SrtError;
pub use group::{
    Accepted, BackupState, GroupMember, GroupMemberStatus, GroupStats, GroupType, MemberId,
    MemberState, SrtGroup,
};
pub use server::{Handler, Role, Session, SrtServer};
pub use socket::{SrtListener, SrtSocket};

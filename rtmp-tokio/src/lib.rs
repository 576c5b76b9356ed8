//! Tokio adapter for [`rtmp_proto`]: an RTMP server with a live relay and a
//! client that publishes or plays.
//!
//! The adapter is thin: every protocol decision is taken by
//! [`rtmp_proto::session::ServerSession`] and
//! [`rtmp_proto::session::ClientSession`]; this crate moves bytes between
//! them and TCP sockets, keeps time, and runs the live-stream registry.
//!
//! # Server
//! [`RtmpServer::bind`] listens (default `0.0.0.0:1935`) and runs one task
//! per connection. A [`Handler`] sees every `connect`, `publish` and `play`
//! (application, stream key, query, peer address) and accepts or rejects it;
//! an accepted publish may come with a [`PublishObserver`] that receives
//! `onMetaData`, every frame raw or demuxed ([`MediaMode`]) and the end of
//! the publish with its reason.
//!
//! With [`ServerOptions::relay`] (the default) the server is a live relay
//! like nginx-rtmp's `live on`:
//! - one publisher per `app/key`; a second gets `NetStream.Publish.BadName`
//!   and the first is untouched;
//! - players fan out from the publisher through one bounded ring: every
//!   player shares the same `Bytes` tag bodies, each frame is split into
//!   chunks once for all players with the same chunk size and stream id
//!   (headers in one small buffer, payloads as slices of the body), and
//!   players write those with vectored writes: no per-player copy;
//! - a new player starts with `onMetaData`, the sequence headers, then the
//!   cached GOP from the last key frame on;
//! - a slow player that falls [`ServerOptions::player_queue`] frames behind
//!   loses frames up to the next key frame (counted in
//!   [`SessionStats::frames_dropped`] and [`StreamStats::frames_dropped`]);
//!   memory never grows with a player's lag.
//!
//! Sessions close on handshake timeout, idle timeout and write timeout;
//! [`RtmpServer::shutdown`] closes them all and waits for their tasks.
//!
//! ```no_run
//! use rtmp_tokio::{Handler, PublishDecision, Rejection, RtmpServer, ServerOptions, StreamRequest};
//!
//! struct KeyCheck;
//! impl Handler for KeyCheck {
//!     fn on_publish(&self, req: &StreamRequest) -> PublishDecision {
//!         if req.query.as_deref() == Some("token=secret") {
//!             PublishDecision::Accept(None)
//!         } else {
//!             PublishDecision::Reject(Rejection::new("bad token"))
//!         }
//!     }
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let server = RtmpServer::bind(ServerOptions::default(), KeyCheck).await?;
//! # server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Client
//! [`RtmpClient::connect`] does TCP, the handshake and `connect`;
//! [`RtmpClient::publish`] gives a [`Publisher`] (metadata and media
//! frames), [`RtmpClient::play`] a [`Player`] (a stream of [`Frame`]s).
//! Refusals come back as [`ClientError::Rejected`] with the server's status.
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

mod chunks;
mod client;
mod conn;
mod handler;
mod registry;
mod server;
mod stats;
mod tags;
mod url;
mod util;

pub use client::{ClientError, ClientOptions, Frame, Player, Publisher, RtmpClient};
pub use handler::{
    AcceptAll, ConnectRequest, DisconnectReason, Handler, MediaFrame, MediaMode, PublishDecision,
    PublishObserver, Rejection, Role, SessionId, SessionSummary, StreamRequest,
};
pub use rtmp_proto as proto;
pub use rtmp_proto::media::{MediaKind, Metadata};
pub use server::{RtmpServer, ServerOptions};
pub use stats::{SessionStats, StreamStats};
pub use url::{DEFAULT_PORT, RtmpUrl, UrlError};

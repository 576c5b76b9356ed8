//! What the embedder plugs into an [`crate::RtmpServer`]: a [`Handler`] that
//! accepts or rejects connect, publish and play requests, and per-publish
//! [`PublishObserver`]s that see the published media.

use std::net::SocketAddr;

use bytes::Bytes;
use rtmp_proto::media::{MediaEvent, MediaKind, Metadata};
use rtmp_proto::session::ConnectInfo;

use crate::stats::SessionStats;

/// A unique number for one TCP connection served by an [`crate::RtmpServer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionId(pub u64);

/// A `connect` request.
#[derive(Debug, Clone)]
pub struct ConnectRequest {
    /// The connection.
    pub session: SessionId,
    /// The peer's address.
    pub peer: SocketAddr,
    /// What the client sent (`app`, `tcUrl`, `flashVer`, ...).
    pub info: ConnectInfo,
}

/// A `publish` or `play` request.
#[derive(Debug, Clone)]
pub struct StreamRequest {
    /// The connection.
    pub session: SessionId,
    /// The peer's address.
    pub peer: SocketAddr,
    /// The application given in `connect`.
    pub app: String,
    /// The stream key, without its query.
    pub key: String,
    /// The query after `?` in the stream name (`token=…`), if any.
    pub query: Option<String>,
}

/// What a session was doing: nothing yet, publishing or playing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Neither published nor played (or not any more).
    Idle,
    /// Published a stream.
    Publisher,
    /// Played a stream.
    Player,
}

/// A session at its end, for [`Handler::on_disconnect`].
#[derive(Debug, Clone)]
pub struct SessionSummary {
    /// The connection.
    pub session: SessionId,
    /// The peer's address.
    pub peer: SocketAddr,
    /// The application, once connected.
    pub app: Option<String>,
    /// The last role and the stream (`app/key`) it was for.
    pub stream: Option<(Role, String)>,
    /// Why it ended.
    pub reason: DisconnectReason,
    /// Its counters.
    pub stats: SessionStats,
}

/// A refusal, with the description the peer is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection(pub String);

impl Rejection {
    /// A refusal with this description.
    pub fn new(description: impl Into<String>) -> Self {
        Self(description.into())
    }
}

/// How a [`PublishObserver`] wants the published media.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MediaMode {
    /// Raw FLV tag bodies ([`PublishObserver::on_frame`]), shared, not copied.
    #[default]
    Raw,
    /// Demuxed codec configurations and samples ([`PublishObserver::on_media`]).
    Demuxed,
    /// Both.
    Both,
}

/// One audio or video message: an FLV tag body and its timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFrame {
    /// Audio or video.
    pub kind: MediaKind,
    /// The RTMP timestamp in milliseconds (the dts for video).
    pub timestamp: u32,
    /// The FLV tag body (demux with [`rtmp_proto::media::Demuxer`]).
    pub body: Bytes,
}

/// Why a session ended, as observers and [`Handler::on_disconnect`] see it.
#[derive(Debug, Clone, PartialEq)]
pub enum DisconnectReason {
    /// The publisher or player ended its stream (`FCUnpublish`,
    /// `deleteStream`, `closeStream`) or closed the connection cleanly.
    Finished,
    /// The session closed for this protocol reason (peer error, rejection, ...).
    Protocol(rtmp_proto::session::CloseReason),
    /// Reading from or writing to the socket failed.
    Io(std::io::ErrorKind),
    /// Nothing came from the peer for the idle timeout.
    IdleTimeout,
    /// The handshake and `connect` did not finish within the handshake timeout.
    HandshakeTimeout,
    /// A write to the peer did not finish within the write timeout.
    WriteTimeout,
    /// The server shut down.
    Shutdown,
}

impl core::fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DisconnectReason::Finished => f.write_str("finished"),
            DisconnectReason::Protocol(r) => write!(f, "{r}"),
            DisconnectReason::Io(k) => write!(f, "socket error: {k}"),
            DisconnectReason::IdleTimeout => f.write_str("idle timeout"),
            DisconnectReason::HandshakeTimeout => f.write_str("handshake timeout"),
            DisconnectReason::WriteTimeout => f.write_str("write timeout"),
            DisconnectReason::Shutdown => f.write_str("server shutdown"),
        }
    }
}

/// Sees one publish from start to end. Its methods run on the publisher's
/// task, between reads: keep them cheap and hand heavy work elsewhere.
pub trait PublishObserver: Send + 'static {
    /// Raw frames, demuxed events or both (default [`MediaMode::Raw`]).
    fn media_mode(&self) -> MediaMode {
        MediaMode::Raw
    }
    /// The publish was accepted; media follows.
    fn on_start(&mut self) {}
    /// `onMetaData` arrived.
    fn on_metadata(&mut self, _metadata: &Metadata) {}
    /// An audio or video message arrived ([`MediaMode::Raw`] or [`MediaMode::Both`]).
    fn on_frame(&mut self, _frame: &MediaFrame) {}
    /// A demuxed event ([`MediaMode::Demuxed`] or [`MediaMode::Both`]):
    /// codec configuration, sample with dts/pts/keyframe, sequence end, ...
    fn on_media(&mut self, _event: &MediaEvent) {}
    /// A tag body could not be demuxed ([`MediaMode::Demuxed`] or
    /// [`MediaMode::Both`]); the frame is still relayed.
    fn on_demux_error(&mut self, _frame: &MediaFrame, _error: rtmp_proto::media::MediaError) {}
    /// The publish ended, with the session's counters at that moment.
    fn on_disconnect(&mut self, _reason: &DisconnectReason, _stats: &SessionStats) {}
}

/// What a publish request is answered with.
pub enum PublishDecision {
    /// Accept, optionally watching the media.
    Accept(Option<Box<dyn PublishObserver>>),
    /// Reject: the peer gets `NetStream.Publish.BadName` with this description.
    Reject(Rejection),
}

/// Decides who may connect, publish and play. Every method has a default
/// that accepts, so `struct AcceptAll; impl Handler for AcceptAll {}` is a
/// relay open to anyone. The methods run on the session's task; they must
/// not block for long.
pub trait Handler: Send + Sync + 'static {
    /// A client asks to connect to an application.
    fn on_connect(&self, _request: &ConnectRequest) -> Result<(), Rejection> {
        Ok(())
    }
    /// A client asks to publish. Called before the registry is asked, so a
    /// key another publisher holds is refused afterwards even if accepted here.
    fn on_publish(&self, _request: &StreamRequest) -> PublishDecision {
        PublishDecision::Accept(None)
    }
    /// A client asks to play.
    fn on_play(&self, _request: &StreamRequest) -> Result<(), Rejection> {
        Ok(())
    }
    /// A session ended (any role): who it was, what it did, why it ended.
    fn on_disconnect(&self, _summary: &SessionSummary) {}
}

/// A [`Handler`] that accepts everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct AcceptAll;

impl Handler for AcceptAll {}

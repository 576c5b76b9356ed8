//! What sessions report: server and client events and close reasons.

use alloc::string::String;
use bytes::Bytes;
use core::fmt;

use super::command::{ConnectInfo, PlayRequest, PublishRequest};
use super::{RequestId, StreamId};
use crate::amf0;
use crate::chunk::ChunkError;
use crate::handshake::HandshakeError;
use crate::media::Metadata;
use crate::message::MessageError;

/// Why a session closed.
#[derive(Debug, Clone, PartialEq)]
pub enum CloseReason {
    /// The application called `close`.
    Local,
    /// The application rejected a request; the peer was told why.
    Rejected,
    /// The transport ended ([`super::Input::TransportClosed`]).
    TransportClosed,
    /// The handshake failed.
    Handshake(HandshakeError),
    /// The server answered S2 with bytes that do not answer our C1 and the
    /// client was configured to require a valid S2.
    HandshakeResponseInvalid,
    /// The chunk stream broke a rule or a limit.
    Chunk(ChunkError),
    /// A control message could not be decoded.
    Message(MessageError),
    /// A command needed by the session could not be decoded.
    Amf(amf0::DecodeError),
    /// A command arrived that makes no sense in this state (a second
    /// `connect`, `publish` before `connect`, ...).
    UnexpectedCommand,
    /// The peer sent more bytes while a request was pending than the
    /// session may hold.
    InputBacklogExceeded {
        /// The limit, in bytes.
        max: usize,
    },
    /// The peer asked for more message streams than allowed.
    TooManyStreams {
        /// The limit.
        max: usize,
    },
    /// The server refused our request (client only); the status says why.
    PeerRejected(StatusInfo),
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::Local => f.write_str("closed by the application"),
            CloseReason::Rejected => f.write_str("request rejected by the application"),
            CloseReason::TransportClosed => f.write_str("transport closed"),
            CloseReason::Handshake(e) => write!(f, "handshake failed: {e}"),
            CloseReason::HandshakeResponseInvalid => {
                f.write_str("handshake: S2 does not answer our C1")
            }
            CloseReason::Chunk(e) => write!(f, "chunk stream error: {e}"),
            CloseReason::Message(e) => write!(f, "bad control message: {e}"),
            CloseReason::Amf(e) => write!(f, "bad command: {e}"),
            CloseReason::UnexpectedCommand => f.write_str("command not valid in this state"),
            CloseReason::InputBacklogExceeded { max } => {
                write!(
                    f,
                    "more than {max} bytes received while a request was pending"
                )
            }
            CloseReason::TooManyStreams { max } => write!(f, "more than {max} message streams"),
            CloseReason::PeerRejected(status) => {
                write!(f, "rejected by the server: {}", status.code)
            }
        }
    }
}

/// An `onStatus` (or `_error`) info object: level, code and description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusInfo {
    /// `status`, `warning` or `error`.
    pub level: String,
    /// The status code, e.g. `NetStream.Publish.BadName`.
    pub code: String,
    /// The human-readable description (may be empty).
    pub description: String,
}

impl StatusInfo {
    /// Whether the level is `error`.
    pub fn is_error(&self) -> bool {
        self.level == "error"
    }
}

/// What a [`super::ServerSession`] reports.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerEvent {
    /// The handshake finished.
    HandshakeDone,
    /// The client asks to connect to an application: answer with
    /// `accept` or `reject`.
    ConnectRequest {
        /// Names this request.
        request: RequestId,
        /// What the client sent.
        info: ConnectInfo,
    },
    /// The client asks to publish on `stream`: answer with `accept` or `reject`.
    PublishRequest {
        /// Names this request.
        request: RequestId,
        /// The message stream it will publish on.
        stream: StreamId,
        /// Name, query and type.
        publish: PublishRequest,
    },
    /// The client asks to play on `stream`: answer with `accept` or `reject`.
    PlayRequest {
        /// Names this request.
        request: RequestId,
        /// The message stream media is to be sent on.
        stream: StreamId,
        /// Name, start, duration and reset.
        play: PlayRequest,
    },
    /// `onMetaData` on a publishing stream (sent with or without `@setDataFrame`).
    Metadata {
        /// The stream.
        stream: StreamId,
        /// The parsed metadata.
        metadata: Metadata,
    },
    /// Any other data message on a publishing stream, AMF kept raw.
    Data {
        /// The stream.
        stream: StreamId,
        /// The message timestamp in milliseconds.
        timestamp: u32,
        /// The AMF0 payload.
        payload: Bytes,
    },
    /// An audio message on a publishing stream: an FLV audio tag body.
    Audio {
        /// The stream.
        stream: StreamId,
        /// The message timestamp in milliseconds.
        timestamp: u32,
        /// The tag body (demux with [`crate::media::Demuxer::demux_audio`]).
        body: Bytes,
    },
    /// A video message on a publishing stream: an FLV video tag body.
    Video {
        /// The stream.
        stream: StreamId,
        /// The message timestamp in milliseconds.
        timestamp: u32,
        /// The tag body (demux with [`crate::media::Demuxer::demux_video`]).
        body: Bytes,
    },
    /// Publishing on `stream` ended (`FCUnpublish`, `closeStream`,
    /// `deleteStream` or the end of the session).
    PublishFinished {
        /// The stream.
        stream: StreamId,
    },
    /// Playing on `stream` ended (`closeStream`, `deleteStream` or the end
    /// of the session).
    PlayFinished {
        /// The stream.
        stream: StreamId,
    },
    /// The player paused or resumed (`pause`).
    Pause {
        /// The stream.
        stream: StreamId,
        /// `true` to pause, `false` to resume.
        paused: bool,
        /// The position in milliseconds the client gave.
        position_ms: f64,
    },
    /// The player turned audio or video on or off (`receiveAudio`, `receiveVideo`).
    ReceiveMedia {
        /// The stream.
        stream: StreamId,
        /// `true` for `receiveVideo`, `false` for `receiveAudio`.
        video: bool,
        /// Whether the client wants it.
        enabled: bool,
    },
    /// The answer to a ping request.
    PingResponse {
        /// The timestamp the request carried.
        timestamp: u32,
    },
    /// The session is closed; nothing more will come out of it.
    Closed {
        /// Why.
        reason: CloseReason,
    },
}

/// What a [`super::ClientSession`] reports.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientEvent {
    /// The handshake finished; `connect` has been sent.
    HandshakeDone,
    /// The server accepted `connect`.
    Connected {
        /// The status the server sent (`NetConnection.Connect.Success`).
        status: StatusInfo,
    },
    /// The server created the message stream (answer to `createStream`).
    StreamCreated {
        /// The stream.
        stream: StreamId,
    },
    /// `NetStream.Publish.Start`: media may be sent.
    PublishStarted {
        /// The stream.
        stream: StreamId,
    },
    /// `NetStream.Play.Start`: media will follow.
    PlayStarted {
        /// The stream.
        stream: StreamId,
    },
    /// Any other `onStatus` that is not an error.
    Status {
        /// The stream.
        stream: StreamId,
        /// The status.
        status: StatusInfo,
    },
    /// User control Stream Begin: the server says `stream` carries data
    /// now (nginx-rtmp sends it when playing starts and when a publisher
    /// arrives for a waiting player).
    StreamBegin {
        /// The stream the server named.
        stream: StreamId,
    },
    /// User control Stream EOF: the server says playback of `stream` is
    /// over (nginx-rtmp sends it, and nothing else, when the publisher
    /// leaves; our server sends it before `NetStream.Play.UnpublishNotify`).
    StreamEof {
        /// The stream the server named.
        stream: StreamId,
    },
    /// User control Stream Dry: no data on `stream` for now.
    StreamDry {
        /// The stream the server named.
        stream: StreamId,
    },
    /// `onMetaData` on the played stream.
    Metadata {
        /// The stream.
        stream: StreamId,
        /// The parsed metadata.
        metadata: Metadata,
    },
    /// Any other data message on the played stream (`|RtmpSampleAccess`, ...).
    Data {
        /// The stream.
        stream: StreamId,
        /// The message timestamp in milliseconds.
        timestamp: u32,
        /// The AMF0 payload.
        payload: Bytes,
    },
    /// An audio tag body on the played stream.
    Audio {
        /// The stream.
        stream: StreamId,
        /// The message timestamp in milliseconds.
        timestamp: u32,
        /// The tag body (demux with [`crate::media::Demuxer::demux_audio`]).
        body: Bytes,
    },
    /// A video tag body on the played stream.
    Video {
        /// The stream.
        stream: StreamId,
        /// The message timestamp in milliseconds.
        timestamp: u32,
        /// The tag body (demux with [`crate::media::Demuxer::demux_video`]).
        body: Bytes,
    },
    /// The answer to a ping request.
    PingResponse {
        /// The timestamp the request carried.
        timestamp: u32,
    },
    /// The session is closed; nothing more will come out of it. A refusal
    /// by the server is [`CloseReason::PeerRejected`] with its status.
    Closed {
        /// Why.
        reason: CloseReason,
    },
}

//! The server side of an RTMP connection.

use alloc::string::String;
use alloc::vec::Vec;
use bytes::Bytes;
use core::time::Duration;

use super::command::{Command, command, on_status, status_object};
use super::connection::{
    CSID_COMMAND, CSID_STREAM, Connection, Counters, Session, StreamData, mux_media,
};
use super::events::{CloseReason, ServerEvent};
use super::{Input, Instant, RequestId, ServerOutput, SessionError, StreamId};
use crate::amf0::Value;
use crate::chunk::ChunkLimits;
use crate::handshake::{self, Handshake};
use crate::media::{MediaEvent, MediaKind, Metadata};
use crate::message::{Message, RawMessage, UserControlEvent, type_id};

mod commands;

/// How a [`ServerSession`] behaves. The defaults answer as nginx-rtmp does.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The handshake's S1 epoch and version word.
    pub handshake: handshake::ServerConfig,
    /// The chunk size announced after `connect` is accepted (default 4096).
    pub chunk_size: u32,
    /// The Window Acknowledgement Size announced (default 5 000 000, nginx's).
    pub window_ack_size: u32,
    /// The Set Peer Bandwidth window announced (default 5 000 000, limit type dynamic).
    pub peer_bandwidth: u32,
    /// Limits of the chunk reader.
    pub chunk_limits: ChunkLimits,
    /// How many message streams one connection may have at once (default 8).
    pub max_streams: usize,
    /// How many received bytes may wait unread (default 8 MiB): the bytes
    /// held while a request is pending, and any one incomplete chunk (so a
    /// peer with a huge chunk size cannot send a single chunk larger than this).
    pub max_input_backlog: usize,
    /// Send a ping request this often once connected (default: never).
    pub ping_interval: Option<Duration>,
    /// `fmsVer` in the `connect` answer (default nginx's `FMS/3,0,1,123`).
    pub fms_version: String,
    /// `capabilities` in the `connect` answer (default 31).
    pub capabilities: f64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            handshake: handshake::ServerConfig::default(),
            chunk_size: 4096,
            window_ack_size: 5_000_000,
            peer_bandwidth: 5_000_000,
            chunk_limits: ChunkLimits::default(),
            max_streams: 8,
            max_input_backlog: 8 << 20,
            ping_interval: None,
            fms_version: String::from("FMS/3,0,1,123"),
            capabilities: 31.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum StreamState {
    /// Created, nothing asked yet (or finished).
    Idle,
    /// A publish or play request is pending.
    Requested,
    /// Publishing under this name (kept for `FCUnpublish`).
    Publishing(String),
    Playing,
}

#[derive(Debug, Clone)]
struct Stream {
    id: u32,
    state: StreamState,
}

#[derive(Debug, Clone)]
enum Pending {
    Connect {
        transaction: f64,
        object_encoding: f64,
    },
    Publish {
        stream: u32,
        name: String,
    },
    Play {
        stream: u32,
        reset: bool,
    },
}

/// The server side of one RTMP connection (Sans-I/O). See the
/// [module documentation](super) for the driving contract.
///
/// ```
/// use rtmp_proto::session::{Input, Instant, Output, ServerConfig, ServerEvent, ServerSession};
/// let mut server = ServerSession::new(ServerConfig::default(), |buf| buf.fill(7), Instant::ZERO);
/// let outputs = server.handle_input(Input::Bytes(&[3, 0, 0]), Instant::from_millis(1));
/// assert!(outputs.is_empty()); // waiting for the rest of C0/C1
/// let outputs = server.handle_input(Input::Bytes(&[0; 1534]), Instant::from_millis(2));
/// assert!(matches!(&outputs[..], [Output::Transmit(s0_s1_s2)] if s0_s1_s2.len() == 1 + 2 * 1536));
/// // A version byte other than 3 closes a new session.
/// let mut other = ServerSession::new(ServerConfig::default(), |buf| buf.fill(7), Instant::ZERO);
/// let outputs = other.handle_input(Input::Bytes(&[6]), Instant::ZERO);
/// assert!(matches!(&outputs[..], [Output::Event(ServerEvent::Closed { .. })]));
/// ```
#[derive(Debug)]
pub struct ServerSession {
    conn: Connection<ServerEvent>,
    config: ServerConfig,
    connect_seen: bool,
    connected: bool,
    streams: Vec<Stream>,
    next_stream_id: u32,
    pending: Option<(RequestId, Pending)>,
    next_request: u32,
    next_ping: Option<Instant>,
}

impl ServerSession {
    /// A session waiting for C0/C1. `random` fills S1's random bytes (called
    /// once, here); `now` starts the session's clock.
    pub fn new(config: ServerConfig, random: impl FnMut(&mut [u8]), now: Instant) -> Self {
        let handshake = Handshake::server(config.handshake, random);
        Self {
            conn: Connection::new(
                handshake,
                config.chunk_limits,
                config.max_input_backlog,
                now,
            ),
            config,
            connect_seen: false,
            connected: false,
            streams: Vec::new(),
            next_stream_id: 1,
            pending: None,
            next_request: 0,
            next_ping: None,
        }
    }

    /// Handles one input and returns every output queued since the last drain.
    pub fn handle_input(&mut self, input: Input<'_>, now: Instant) -> Vec<ServerOutput> {
        let mut out = Vec::new();
        self.handle_input_into(input, now, &mut out);
        out
    }

    /// Handles one input and appends every output queued since the last
    /// drain to `out`.
    pub fn handle_input_into(
        &mut self,
        input: Input<'_>,
        now: Instant,
        out: &mut Vec<ServerOutput>,
    ) {
        Session::dispatch_input(self, input, now, out);
    }

    /// Returns the outputs queued by application calls since the last drain.
    pub fn poll_outputs(&mut self) -> Vec<ServerOutput> {
        let mut out = Vec::new();
        self.conn.drain_into(&mut out);
        out
    }

    /// Appends the outputs queued by application calls since the last drain to `out`.
    pub fn poll_outputs_into(&mut self, out: &mut Vec<ServerOutput>) {
        self.conn.drain_into(out);
    }

    /// When to call again with [`Input::Timeout`] (only when a ping interval is set).
    pub fn next_timeout(&self) -> Option<Instant> {
        self.next_ping.filter(|_| !self.conn.is_closed())
    }

    /// Whether the session is closed.
    pub fn is_closed(&self) -> bool {
        self.conn.is_closed()
    }

    /// Byte and message counters.
    pub fn counters(&self) -> Counters {
        self.conn.counters
    }

    /// The chunk size the peer sends with.
    pub fn peer_chunk_size(&self) -> u32 {
        self.conn.peer_chunk_size()
    }

    /// The chunk size this session sends with.
    pub fn chunk_size(&self) -> u32 {
        self.conn.chunk_size()
    }

    /// Bytes received but not read yet (they wait while a request is pending).
    pub fn buffered_input(&self) -> usize {
        self.conn.buffered_input()
    }

    /// The request waiting for an answer, if any.
    pub fn pending_request(&self) -> Option<RequestId> {
        self.pending.as_ref().map(|(id, _)| *id)
    }

    /// Accepts a pending request: answers `connect` with the window, bandwidth,
    /// chunk size and `NetConnection.Connect.Success`; `publish` with
    /// `NetStream.Publish.Start`; `play` with Stream Begin,
    /// `NetStream.Play.Reset` (if asked), `NetStream.Play.Start` and
    /// `|RtmpSampleAccess`. Then reads on.
    pub fn accept(&mut self, request: RequestId) -> Result<(), SessionError> {
        let pending = self.take_pending(request)?;
        let result = match pending {
            Pending::Connect {
                transaction,
                object_encoding,
            } => self.accept_connect(transaction, object_encoding),
            Pending::Publish { stream, name } => self.accept_publish(stream, name),
            Pending::Play { stream, reset } => self.accept_play(stream, reset),
        };
        if let Err(e) = result {
            self.finish(CloseReason::Local);
            return Err(e);
        }
        self.process();
        Ok(())
    }

    /// Rejects a pending request with `description`, sends the matching
    /// error status (`_error` `NetConnection.Connect.Rejected`,
    /// `NetStream.Publish.BadName`, `NetStream.Play.StreamNotFound`) and
    /// closes the session.
    pub fn reject(&mut self, request: RequestId, description: &str) -> Result<(), SessionError> {
        let pending = self.take_pending(request)?;
        let _ = match pending {
            Pending::Connect { transaction, .. } => command(&[
                "_error".into(),
                transaction.into(),
                Value::Null,
                status_object("error", "NetConnection.Connect.Rejected", description),
            ])
            .and_then(|m| self.conn.send(CSID_COMMAND, 0, 0, &m)),
            Pending::Publish { stream, .. } => {
                on_status("error", "NetStream.Publish.BadName", description)
                    .and_then(|m| self.conn.send(CSID_STREAM, 0, stream, &m))
            }
            Pending::Play { stream, .. } => {
                on_status("error", "NetStream.Play.StreamNotFound", description)
                    .and_then(|m| self.conn.send(CSID_STREAM, 0, stream, &m))
            }
        };
        self.finish(CloseReason::Rejected);
        Ok(())
    }

    /// Sends `onMetaData` to a playing stream.
    pub fn send_metadata(
        &mut self,
        stream: StreamId,
        metadata: &Metadata,
    ) -> Result<(), SessionError> {
        self.check_playing(stream)?;
        let mut body = Vec::new();
        metadata
            .encode(&mut body)
            .map_err(|_| SessionError::Encode)?;
        self.conn.send_data(metadata.timestamp, stream.0, body)
    }

    /// Sends an audio or video tag body, stamped `timestamp` (ms), to a
    /// playing stream. The body is written without being copied into a new
    /// message.
    pub fn send_media(
        &mut self,
        stream: StreamId,
        kind: MediaKind,
        timestamp: u32,
        body: Bytes,
    ) -> Result<(), SessionError> {
        self.check_playing(stream)?;
        self.conn.send_media(stream.0, kind, timestamp, body)
    }

    /// Takes note that the caller wrote `bytes` of `kind` media for
    /// `stream` itself, chunked with [`super::chunk_media`] (shared with
    /// other players): counts them in [`Counters::bytes_sent`] and makes the
    /// session's own next message on that chunk stream start with a full
    /// header. Call it after draining the outputs (the wire order is: what
    /// the session queued, then those chunks, then what it queues next).
    pub fn sent_prechunked_media(
        &mut self,
        stream: StreamId,
        kind: MediaKind,
        bytes: usize,
    ) -> Result<(), SessionError> {
        self.check_playing(stream)?;
        self.conn
            .sent_elsewhere(super::media_chunk_stream_id(kind), bytes);
        Ok(())
    }

    /// Muxes a [`MediaEvent`] (configuration, sample, metadata, ...) with
    /// [`crate::media::mux_into`] and sends it to a playing stream.
    pub fn send_media_event(
        &mut self,
        stream: StreamId,
        event: &MediaEvent,
    ) -> Result<(), SessionError> {
        if let MediaEvent::Metadata(metadata) = event {
            return self.send_metadata(stream, metadata);
        }
        self.check_playing(stream)?;
        let (kind, timestamp, body) = mux_media(event)?;
        self.send_media(stream, kind, timestamp, body)
    }

    /// Tells a player the publisher went away: Stream EOF and
    /// `NetStream.Play.UnpublishNotify`, as nginx-rtmp does. The stream stays
    /// playing (media may follow if a publisher comes back).
    pub fn unpublish_notify(&mut self, stream: StreamId) -> Result<(), SessionError> {
        self.check_playing(stream)?;
        self.conn
            .send_control(&Message::UserControl(UserControlEvent::StreamEof {
                stream_id: stream.0,
            }));
        let message = on_status(
            "status",
            "NetStream.Play.UnpublishNotify",
            "Stream unpublished",
        )?;
        self.conn.send(CSID_STREAM, 0, stream.0, &message)
    }

    /// Sends a ping request now (the answer comes as [`ServerEvent::PingResponse`]).
    pub fn ping(&mut self) -> Result<(), SessionError> {
        if self.conn.is_closed() {
            return Err(SessionError::Closed);
        }
        self.conn.send_ping();
        Ok(())
    }

    /// Closes the session: ends every stream (with events) and reports
    /// [`CloseReason::Local`]. Drain the outputs, then close the transport.
    pub fn close(&mut self) {
        if !self.conn.is_closed() {
            self.finish(CloseReason::Local);
        }
    }

    fn take_pending(&mut self, request: RequestId) -> Result<Pending, SessionError> {
        if self.conn.is_closed() {
            return Err(SessionError::Closed);
        }
        match self.pending.take() {
            Some((id, pending)) if id == request => Ok(pending),
            other => {
                self.pending = other;
                Err(SessionError::UnknownRequest(request))
            }
        }
    }

    fn check_playing(&self, stream: StreamId) -> Result<(), SessionError> {
        if self.conn.is_closed() {
            return Err(SessionError::Closed);
        }
        match self.streams.iter().find(|s| s.id == stream.0) {
            Some(s) if s.state == StreamState::Playing => Ok(()),
            _ => Err(SessionError::StreamNotReady(stream)),
        }
    }

    fn on_timeout(&mut self) {
        let now = self.conn.now();
        if let (Some(at), Some(interval)) = (self.next_ping, self.config.ping_interval)
            && now >= at
        {
            self.conn.send_ping();
            self.next_ping = Some(now.saturating_add(interval));
        }
    }

    fn set_state(&mut self, stream: u32, state: StreamState) {
        if let Some(s) = self.streams.iter_mut().find(|s| s.id == stream) {
            s.state = state;
        }
    }

    fn end_stream_event(&mut self, id: u32, state: &StreamState) {
        let stream = StreamId(id);
        match state {
            StreamState::Publishing(_) => self.conn.event(ServerEvent::PublishFinished { stream }),
            StreamState::Playing => self.conn.event(ServerEvent::PlayFinished { stream }),
            StreamState::Idle | StreamState::Requested => {}
        }
    }

    /// Ends publishing or playing on stream `id`; a publisher is told
    /// `NetStream.Unpublish.Success`, as nginx-rtmp does.
    fn end_stream(&mut self, id: u32) {
        let Some(stream) = self.streams.iter_mut().find(|s| s.id == id) else {
            return;
        };
        let state = core::mem::replace(&mut stream.state, StreamState::Idle);
        if let StreamState::Publishing(_) = state
            && let Ok(message) =
                on_status("status", "NetStream.Unpublish.Success", "Stop publishing")
        {
            let _ = self.conn.send(CSID_STREAM, 0, id, &message);
        }
        self.end_stream_event(id, &state);
    }

    fn publishing(&self, stream_id: u32) -> bool {
        self.streams
            .iter()
            .any(|s| s.id == stream_id && matches!(s.state, StreamState::Publishing(_)))
    }
}

impl Session for ServerSession {
    type Event = ServerEvent;

    fn conn(&self) -> &Connection<ServerEvent> {
        &self.conn
    }

    fn conn_mut(&mut self) -> &mut Connection<ServerEvent> {
        &mut self.conn
    }

    fn ping_response(timestamp: u32) -> ServerEvent {
        ServerEvent::PingResponse { timestamp }
    }

    /// Reads stop while a request is pending.
    fn reads_on(&self) -> bool {
        self.pending.is_none()
    }

    fn handshake_finished(&mut self) {
        self.conn.event(ServerEvent::HandshakeDone);
    }

    fn timeout(&mut self) {
        self.on_timeout();
    }

    /// Ends every stream, closes, and reports why.
    fn finish(&mut self, reason: CloseReason) {
        let streams = core::mem::take(&mut self.streams);
        for stream in streams {
            self.end_stream_event(stream.id, &stream.state);
        }
        self.pending = None;
        self.next_ping = None;
        self.conn.close();
        self.conn.event(ServerEvent::Closed { reason });
    }

    fn command(&mut self, stream_id: u32, cmd: &Command<'_>) -> Result<(), CloseReason> {
        self.on_command(stream_id, cmd)
    }

    /// Audio, video and data on a publishing stream become events.
    fn stream_data(&mut self, message: RawMessage) {
        if !self.publishing(message.stream_id) {
            self.conn.counters.ignored_messages += 1;
            return;
        }
        let stream = StreamId(message.stream_id);
        let timestamp = message.timestamp;
        let event = match message.type_id {
            type_id::AUDIO => ServerEvent::Audio {
                stream,
                timestamp,
                body: message.payload,
            },
            type_id::VIDEO => ServerEvent::Video {
                stream,
                timestamp,
                body: message.payload,
            },
            type_id::DATA_AMF0 | type_id::DATA_AMF3 => {
                match StreamData::read(message.type_id, message.payload, timestamp) {
                    StreamData::Metadata(metadata) => ServerEvent::Metadata { stream, metadata },
                    StreamData::Other(payload) => ServerEvent::Data {
                        stream,
                        timestamp,
                        payload,
                    },
                }
            }
            _ => {
                self.conn.counters.ignored_messages += 1;
                return;
            }
        };
        self.conn.event(event);
    }
}

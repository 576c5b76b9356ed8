//! The client side of an RTMP connection: connect, then publish or play one stream.

use alloc::string::String;
use alloc::vec::Vec;
use bytes::Bytes;

use super::command::{Command, PublishType, command, status_from};
use super::connection::{
    CSID_COMMAND, CSID_SOURCE, Connection, Counters, Session, StreamData, mux_media,
};
use super::events::{ClientEvent, CloseReason};
use super::{ClientOutput, Input, Instant, SessionError, StreamId};
use crate::amf0::Value;
use crate::chunk::{ChunkLimits, DEFAULT_CHUNK_SIZE};
use crate::handshake::{self, Handshake};
use crate::media::{MediaEvent, MediaKind, Metadata};
use crate::message::{Message, RawMessage, UserControlEvent, type_id};

/// How a [`ClientSession`] connects.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `app`: the application (the first path segment of the URL, e.g. `live`).
    pub app: String,
    /// `tcUrl`: the URL up to and including the application.
    pub tc_url: String,
    /// `flashVer`.
    pub flash_ver: String,
    /// The handshake's C1 form (digest scheme 0 by default, as ffmpeg).
    pub handshake: handshake::ClientConfig,
    /// The chunk size announced right after `connect` (default 4096; 128
    /// sends nothing).
    pub chunk_size: u32,
    /// Limits of the chunk reader.
    pub chunk_limits: ChunkLimits,
    /// How many received bytes may wait unread (default 8 MiB).
    pub max_input_backlog: usize,
    /// Close the session if S2 does not answer our C1 (neither an echo nor
    /// a valid digest response). Off by default: nginx-rtmp never checks C2,
    /// ffmpeg checks S2 only when playing from a digest-answering server, and
    /// recorded server bytes (test fixtures) answer someone else's C1.
    pub require_valid_handshake_response: bool,
}

impl ClientConfig {
    /// A configuration for `rtmp://host/app`: `tc_url` is the URL, `app` its
    /// application.
    pub fn new(tc_url: &str, app: &str) -> Self {
        Self {
            app: String::from(app),
            tc_url: String::from(tc_url),
            flash_ver: String::from("FMLE/3.0 (compatible; rtmp-proto)"),
            handshake: handshake::ClientConfig::default(),
            chunk_size: 4096,
            chunk_limits: ChunkLimits::default(),
            max_input_backlog: 8 << 20,
            require_valid_handshake_response: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Goal {
    Publish { name: String, kind: PublishType },
    Play { name: String, start: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Handshake, then waiting for the `connect` answer.
    Connecting,
    /// Connected, no stream asked for.
    Connected,
    /// `createStream` sent.
    CreatingStream,
    /// `publish` or `play` sent.
    Starting,
    Publishing,
    Playing,
}

/// The client side of one RTMP connection (Sans-I/O): connect, then
/// publish or play one stream. See the [module documentation](super) for the
/// driving contract.
///
/// Transaction ids follow ffmpeg: `connect` is 1; for publishing
/// `releaseStream`, `FCPublish`, `createStream`, `publish` are 2 to 5; for
/// playing `createStream` is 2 and `play` 3.
#[derive(Debug)]
pub struct ClientSession {
    conn: Connection<ClientEvent>,
    config: ClientConfig,
    state: State,
    goal: Option<Goal>,
    stream: Option<u32>,
    next_transaction: f64,
    create_transaction: Option<f64>,
}

impl ClientSession {
    /// Starts the handshake (C0 and C1 are the first output). `random`
    /// fills C1's random bytes (called once, here).
    pub fn new(config: ClientConfig, random: impl FnMut(&mut [u8]), now: Instant) -> Self {
        let handshake = Handshake::client(config.handshake, random);
        Self {
            conn: Connection::new(
                handshake,
                config.chunk_limits,
                config.max_input_backlog,
                now,
            ),
            config,
            state: State::Connecting,
            goal: None,
            stream: None,
            next_transaction: 2.0,
            create_transaction: None,
        }
    }

    /// Handles one input and returns every output queued since the last drain.
    pub fn handle_input(&mut self, input: Input<'_>, now: Instant) -> Vec<ClientOutput> {
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
        out: &mut Vec<ClientOutput>,
    ) {
        Session::dispatch_input(self, input, now, out);
    }

    /// Returns the outputs queued by application calls since the last drain
    /// (the first call gives C0 and C1).
    pub fn poll_outputs(&mut self) -> Vec<ClientOutput> {
        let mut out = Vec::new();
        self.conn.drain_into(&mut out);
        out
    }

    /// Appends the outputs queued since the last drain to `out`.
    pub fn poll_outputs_into(&mut self, out: &mut Vec<ClientOutput>) {
        self.conn.drain_into(out);
    }

    /// The client needs no timer; always `None`.
    pub fn next_timeout(&self) -> Option<Instant> {
        None
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

    /// The stream created by the server, once known.
    pub fn stream(&self) -> Option<StreamId> {
        self.stream.map(StreamId)
    }

    /// Asks to publish `name` (`name?query` is sent as is): sent at once if
    /// connected, else as soon as `connect` succeeds. Sends `releaseStream`,
    /// `FCPublish` and `createStream`, then `publish` when the stream exists.
    pub fn publish(&mut self, name: &str, kind: PublishType) -> Result<(), SessionError> {
        self.set_goal(Goal::Publish {
            name: String::from(name),
            kind,
        })
    }

    /// Asks to play `name`, live or recorded (start -2000, as ffmpeg sends it):
    /// sent at once if connected, else as soon as `connect` succeeds.
    pub fn play(&mut self, name: &str) -> Result<(), SessionError> {
        self.set_goal(Goal::Play {
            name: String::from(name),
            start: -2000.0,
        })
    }

    /// Sends `@setDataFrame` `onMetaData` on the publishing stream.
    pub fn send_metadata(&mut self, metadata: &Metadata) -> Result<(), SessionError> {
        let stream = self.publishing_stream()?;
        let mut body = Vec::new();
        metadata
            .encode_set_data_frame(&mut body)
            .map_err(|_| SessionError::Encode)?;
        self.conn.send_data(metadata.timestamp, stream, body)
    }

    /// Sends an audio or video tag body stamped `timestamp` (ms) on the
    /// publishing stream.
    pub fn send_media(
        &mut self,
        kind: MediaKind,
        timestamp: u32,
        body: Bytes,
    ) -> Result<(), SessionError> {
        let stream = self.publishing_stream()?;
        self.conn.send_media(stream, kind, timestamp, body)
    }

    /// Muxes a [`MediaEvent`] with [`crate::media::mux_into`] and sends it.
    pub fn send_media_event(&mut self, event: &MediaEvent) -> Result<(), SessionError> {
        if let MediaEvent::Metadata(metadata) = event {
            return self.send_metadata(metadata);
        }
        self.publishing_stream()?;
        let (kind, timestamp, body) = mux_media(event)?;
        self.send_media(kind, timestamp, body)
    }

    /// Closes cleanly: a publisher sends `FCUnpublish` and `deleteStream`, a
    /// player `deleteStream`; then [`CloseReason::Local`] is reported. Drain
    /// the outputs, then close the transport.
    pub fn close(&mut self) {
        if self.conn.is_closed() {
            return;
        }
        if let Some(stream) = self.stream {
            if let (State::Publishing, Some(Goal::Publish { name, .. })) = (self.state, &self.goal)
            {
                let name = name.clone();
                let transaction = self.transaction();
                self.send_command(&[
                    "FCUnpublish".into(),
                    transaction.into(),
                    Value::Null,
                    name.as_str().into(),
                ]);
            }
            let transaction = self.transaction();
            self.send_command(&[
                "deleteStream".into(),
                transaction.into(),
                Value::Null,
                stream.into(),
            ]);
        }
        self.finish(CloseReason::Local);
    }

    fn set_goal(&mut self, goal: Goal) -> Result<(), SessionError> {
        if self.conn.is_closed() {
            return Err(SessionError::Closed);
        }
        if self.goal.is_some() {
            return Err(SessionError::InvalidState);
        }
        self.goal = Some(goal);
        if self.state == State::Connected {
            self.start_goal();
        }
        Ok(())
    }

    fn publishing_stream(&self) -> Result<u32, SessionError> {
        if self.conn.is_closed() {
            return Err(SessionError::Closed);
        }
        match (self.state, self.stream) {
            (State::Publishing, Some(stream)) => Ok(stream),
            (_, stream) => Err(SessionError::StreamNotReady(StreamId(stream.unwrap_or(0)))),
        }
    }

    fn transaction(&mut self) -> f64 {
        let t = self.next_transaction;
        self.next_transaction += 1.0;
        t
    }

    fn send_command(&mut self, values: &[Value<'_>]) {
        if let Ok(message) = command(values) {
            let _ = self.conn.send(CSID_COMMAND, 0, 0, &message);
        }
    }

    fn on_handshake_done(&mut self) {
        if self.config.require_valid_handshake_response
            && self.conn.handshake().peer_response_valid() != Some(true)
        {
            self.finish(CloseReason::HandshakeResponseInvalid);
            return;
        }
        self.conn.event(ClientEvent::HandshakeDone);
        let object = Value::object([
            ("app", self.config.app.as_str().into()),
            ("type", "nonprivate".into()),
            ("flashVer", self.config.flash_ver.as_str().into()),
            ("tcUrl", self.config.tc_url.as_str().into()),
        ]);
        if let Ok(message) = command(&["connect".into(), 1.0.into(), object]) {
            let _ = self.conn.send(CSID_COMMAND, 0, 0, &message);
        }
        if self.config.chunk_size != DEFAULT_CHUNK_SIZE {
            self.conn.set_chunk_size(self.config.chunk_size);
        }
    }

    fn start_goal(&mut self) {
        if let Some(Goal::Publish { name, .. }) = &self.goal {
            let name = name.clone();
            for verb in ["releaseStream", "FCPublish"] {
                let transaction = self.transaction();
                self.send_command(&[
                    verb.into(),
                    transaction.into(),
                    Value::Null,
                    name.as_str().into(),
                ]);
            }
        }
        let transaction = self.transaction();
        self.create_transaction = Some(transaction);
        self.send_command(&["createStream".into(), transaction.into(), Value::Null]);
        self.state = State::CreatingStream;
    }

    fn on_stream_created(&mut self, stream: u32) {
        self.stream = Some(stream);
        self.state = State::Starting;
        self.conn.event(ClientEvent::StreamCreated {
            stream: StreamId(stream),
        });
        let transaction = self.transaction();
        let values: Vec<Value<'_>> = match &self.goal {
            Some(Goal::Publish { name, kind }) => alloc::vec![
                "publish".into(),
                transaction.into(),
                Value::Null,
                name.as_str().into(),
                kind.as_str().into(),
            ],
            Some(Goal::Play { name, start }) => alloc::vec![
                "play".into(),
                transaction.into(),
                Value::Null,
                name.as_str().into(),
                (*start).into(),
            ],
            None => return,
        };
        let playing = matches!(self.goal, Some(Goal::Play { .. }));
        if let Ok(message) = command(&values) {
            let _ = self.conn.send(CSID_SOURCE, 0, stream, &message);
        }
        if playing {
            // ffmpeg asks for a 3 s buffer right after `play`.
            self.conn
                .send_control(&Message::UserControl(UserControlEvent::SetBufferLength {
                    stream_id: stream,
                    buffer_length_ms: 3000,
                }));
        }
    }
}

impl Session for ClientSession {
    type Event = ClientEvent;

    fn conn(&self) -> &Connection<ClientEvent> {
        &self.conn
    }

    fn conn_mut(&mut self) -> &mut Connection<ClientEvent> {
        &mut self.conn
    }

    fn ping_response(timestamp: u32) -> ClientEvent {
        ClientEvent::PingResponse { timestamp }
    }

    fn handshake_finished(&mut self) {
        self.on_handshake_done();
    }

    fn finish(&mut self, reason: CloseReason) {
        self.conn.close();
        self.conn.event(ClientEvent::Closed { reason });
    }

    /// Stream Begin, Stream EOF and Stream Dry become events (nginx-rtmp
    /// tells its players of publish and unpublish with these alone); the
    /// connection already answered pings, the rest is ignored.
    fn user_control(&mut self, message: &RawMessage) {
        let event = match message.decode() {
            Ok(Message::UserControl(UserControlEvent::StreamBegin { stream_id })) => {
                ClientEvent::StreamBegin {
                    stream: StreamId(stream_id),
                }
            }
            Ok(Message::UserControl(UserControlEvent::StreamEof { stream_id })) => {
                ClientEvent::StreamEof {
                    stream: StreamId(stream_id),
                }
            }
            Ok(Message::UserControl(UserControlEvent::StreamDry { stream_id })) => {
                ClientEvent::StreamDry {
                    stream: StreamId(stream_id),
                }
            }
            _ => {
                self.conn.counters.ignored_messages += 1;
                return;
            }
        };
        self.conn.event(event);
    }

    fn stream_data(&mut self, message: RawMessage) {
        if self.stream != Some(message.stream_id) || self.state != State::Playing {
            self.conn.counters.ignored_messages += 1;
            return;
        }
        let stream = StreamId(message.stream_id);
        let timestamp = message.timestamp;
        let event = match message.type_id {
            type_id::AUDIO => ClientEvent::Audio {
                stream,
                timestamp,
                body: message.payload,
            },
            type_id::VIDEO => ClientEvent::Video {
                stream,
                timestamp,
                body: message.payload,
            },
            _ => match StreamData::read(message.type_id, message.payload, timestamp) {
                StreamData::Metadata(metadata) => ClientEvent::Metadata { stream, metadata },
                StreamData::Other(payload) => ClientEvent::Data {
                    stream,
                    timestamp,
                    payload,
                },
            },
        };
        self.conn.event(event);
    }

    fn command(&mut self, stream_id: u32, cmd: &Command<'_>) -> Result<(), CloseReason> {
        match cmd.name() {
            "_result" if cmd.transaction == 1.0 && self.state == State::Connecting => {
                self.state = State::Connected;
                let status = status_from(cmd.arg(0));
                self.conn.event(ClientEvent::Connected { status });
                if self.goal.is_some() {
                    self.start_goal();
                }
                Ok(())
            }
            "_result"
                if Some(cmd.transaction) == self.create_transaction
                    && self.state == State::CreatingStream =>
            {
                let id = cmd
                    .arg_f64(0)
                    .filter(|n| *n >= 0.0 && *n <= f64::from(u32::MAX));
                match id {
                    Some(id) => {
                        self.on_stream_created(id as u32);
                        Ok(())
                    }
                    None => Err(CloseReason::UnexpectedCommand),
                }
            }
            "_error"
                if cmd.transaction == 1.0 || Some(cmd.transaction) == self.create_transaction =>
            {
                Err(CloseReason::PeerRejected(status_from(cmd.arg(0))))
            }
            "onStatus" => {
                let status = status_from(cmd.arg(0));
                if status.is_error() {
                    return Err(CloseReason::PeerRejected(status));
                }
                let stream = StreamId(stream_id);
                let event = match (status.code.as_str(), self.state) {
                    ("NetStream.Publish.Start", State::Starting) => {
                        self.state = State::Publishing;
                        ClientEvent::PublishStarted { stream }
                    }
                    ("NetStream.Play.Start", State::Starting) => {
                        self.state = State::Playing;
                        ClientEvent::PlayStarted { stream }
                    }
                    _ => ClientEvent::Status { stream, status },
                };
                self.conn.event(event);
                Ok(())
            }
            _ => {
                self.conn.counters.ignored_messages += 1;
                Ok(())
            }
        }
    }
}

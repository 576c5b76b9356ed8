//! What server and client sessions share: handshake, chunk reader and
//! writer, acknowledgements, pings, peer chunk size, byte counters and the
//! output queue.

use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};

use super::command::Command;
use super::events::CloseReason;
use super::{Input, Instant, Output};
use crate::chunk::{ChunkLimits, ChunkReader, ChunkWriter, PROTOCOL_CONTROL_CHUNK_STREAM_ID};
use crate::handshake::Handshake;
use crate::media::{MediaEvent, MediaKind, Metadata, TagType, mux_into};
use crate::message::{
    AggregateSplitter, AmfEncoding, Message, RawMessage, UserControlEvent, type_id,
};

/// Chunk stream for commands on message stream 0 (`connect`, `_result`, ...).
pub(crate) const CSID_COMMAND: u32 = 3;
/// Chunk stream for audio.
pub(crate) const CSID_AUDIO: u32 = super::AUDIO_CHUNK_STREAM_ID;
/// Chunk stream for commands and data on a message stream (`onStatus`, metadata).
pub(crate) const CSID_STREAM: u32 = 5;
/// Chunk stream for video.
pub(crate) const CSID_VIDEO: u32 = super::VIDEO_CHUNK_STREAM_ID;
/// Chunk stream for `publish` and `play` (as ffmpeg sends them).
pub(crate) const CSID_SOURCE: u32 = 8;

/// Counters every session keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// All bytes received, handshake included.
    pub bytes_received: u64,
    /// All bytes queued for sending, handshake included.
    pub bytes_sent: u64,
    /// Complete messages received after the handshake.
    pub messages_received: u64,
    /// The last sequence number the peer acknowledged.
    pub peer_acknowledged: u32,
    /// Messages ignored because they made no sense in the session's state
    /// (media on a stream that is not publishing, unknown commands, ...).
    pub ignored_messages: u64,
}

/// A message the session itself has to look at (everything but protocol
/// control, pings and acknowledgements, which the connection answers).
pub(crate) enum Incoming {
    /// A complete message for the session.
    Message(RawMessage),
    /// A ping response (for RTT measurement).
    PingResponse(u32),
}

#[derive(Debug)]
pub(crate) struct Connection<E> {
    handshake: Handshake,
    reader: ChunkReader,
    writer: ChunkWriter,
    input: BytesMut,
    max_input_backlog: usize,
    tx: Vec<u8>,
    outputs: Vec<Output<E>>,
    pub(crate) counters: Counters,
    now: Instant,
    closed: bool,
    /// The window we last announced with Window Acknowledgement Size.
    pub(crate) sent_window: Option<u32>,
}

impl<E> Connection<E> {
    pub(crate) fn new(
        handshake: Handshake,
        limits: ChunkLimits,
        max_input_backlog: usize,
        now: Instant,
    ) -> Self {
        let mut conn = Self {
            handshake,
            reader: ChunkReader::with_limits(limits),
            writer: ChunkWriter::new(),
            input: BytesMut::new(),
            max_input_backlog,
            tx: Vec::new(),
            outputs: Vec::new(),
            counters: Counters::default(),
            now,
            closed: false,
            sent_window: None,
        };
        let hello = conn.handshake.take_output();
        conn.transmit(&hello);
        conn
    }

    pub(crate) fn now(&self) -> Instant {
        self.now
    }

    /// Moves time forward (never back).
    pub(crate) fn tick(&mut self, now: Instant) {
        self.now = self.now.max(now);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    pub(crate) fn handshake(&self) -> &Handshake {
        &self.handshake
    }

    pub(crate) fn transmit(&mut self, bytes: &[u8]) {
        self.tx.extend_from_slice(bytes);
    }

    /// Turns the bytes written so far into one `Transmit` output.
    pub(crate) fn flush(&mut self) {
        if !self.tx.is_empty() {
            let bytes = core::mem::take(&mut self.tx);
            self.counters.bytes_sent += bytes.len() as u64;
            self.outputs.push(Output::Transmit(Bytes::from(bytes)));
        }
    }

    /// Queues an event after the bytes written so far.
    pub(crate) fn event(&mut self, event: E) {
        self.flush();
        self.outputs.push(Output::Event(event));
    }

    pub(crate) fn drain_into(&mut self, out: &mut Vec<Output<E>>) {
        self.flush();
        out.append(&mut self.outputs);
    }

    /// Accepts received bytes: runs the handshake, keeps the rest for the
    /// chunk reader. Returns whether the handshake finished during this call.
    pub(crate) fn receive(&mut self, mut data: &[u8]) -> Result<bool, CloseReason> {
        self.counters.bytes_received += data.len() as u64;
        let mut finished = false;
        if !self.handshake.is_done() {
            let used = self
                .handshake
                .receive(data)
                .map_err(CloseReason::Handshake)?;
            let reply = self.handshake.take_output();
            self.transmit(&reply);
            data = data.get(used..).unwrap_or_default();
            finished = self.handshake.is_done();
        }
        if self.input.len().saturating_add(data.len()) > self.max_input_backlog {
            return Err(CloseReason::InputBacklogExceeded {
                max: self.max_input_backlog,
            });
        }
        self.input.extend_from_slice(data);
        Ok(finished)
    }

    /// Reads the next message the session has to handle, answering protocol
    /// control, pings and acknowledgements on the way.
    pub(crate) fn next_incoming(&mut self) -> Result<Option<Incoming>, CloseReason> {
        if !self.handshake.is_done() {
            return Ok(None);
        }
        loop {
            let Some(received) = self
                .reader
                .read_message(&mut self.input)
                .map_err(CloseReason::Chunk)?
            else {
                self.send_acknowledgement();
                return Ok(None);
            };
            self.counters.messages_received += 1;
            self.send_acknowledgement();
            let message = received.message;
            // The reader already applied Set Chunk Size, Abort and Window
            // Acknowledgement Size.
            match message.decode() {
                Ok(
                    Message::SetChunkSize(_) | Message::Abort { .. } | Message::WindowAckSize(_),
                ) => {}
                Ok(Message::Acknowledgement { sequence_number }) => {
                    self.counters.peer_acknowledged = sequence_number;
                }
                Ok(Message::SetPeerBandwidth { window_size, .. }) => {
                    // RTMP 1.0 §5.4.5: answer with Window Acknowledgement
                    // Size if it differs from the one last sent.
                    if self.sent_window != Some(window_size) {
                        self.send_window_ack_size(window_size);
                    }
                }
                Ok(Message::UserControl(UserControlEvent::PingRequest { timestamp })) => {
                    self.send_control(&Message::UserControl(UserControlEvent::PingResponse {
                        timestamp,
                    }));
                }
                Ok(Message::UserControl(UserControlEvent::PingResponse { timestamp })) => {
                    return Ok(Some(Incoming::PingResponse(timestamp)));
                }
                Err(e) => return Err(CloseReason::Message(e)),
                Ok(_) => return Ok(Some(Incoming::Message(message))),
            }
        }
    }

    fn send_acknowledgement(&mut self) {
        if let Some(sequence_number) = self.reader.poll_acknowledgement() {
            self.send_control(&Message::Acknowledgement { sequence_number });
        }
    }

    pub(crate) fn send_window_ack_size(&mut self, window: u32) {
        self.sent_window = Some(window);
        self.send_control(&Message::WindowAckSize(window));
    }

    /// Sends a protocol control or user control message (chunk stream 2,
    /// message stream 0, timestamp 0).
    pub(crate) fn send_control(&mut self, message: &Message) {
        // Control payloads are a few bytes: the writer cannot fail on them.
        let _ = self.send(PROTOCOL_CONTROL_CHUNK_STREAM_ID, 0, 0, message);
    }

    /// Announces and switches to a new outgoing chunk size.
    pub(crate) fn set_chunk_size(&mut self, size: u32) {
        let _ = self.writer.write_set_chunk_size(size, &mut self.tx);
    }

    pub(crate) fn send(
        &mut self,
        csid: u32,
        timestamp: u32,
        stream_id: u32,
        message: &Message,
    ) -> Result<(), super::SessionError> {
        self.writer
            .write_message(csid, timestamp, stream_id, message, &mut self.tx)
            .map_err(|_| super::SessionError::Encode)
    }

    /// Sends a message payload without re-encoding it.
    pub(crate) fn send_raw(
        &mut self,
        csid: u32,
        message: &RawMessage,
    ) -> Result<(), super::SessionError> {
        self.writer
            .write(csid, message, &mut self.tx)
            .map_err(|_| super::SessionError::Encode)
    }

    /// Sends an AMF0 data message body (metadata) on message stream
    /// `stream_id`.
    pub(crate) fn send_data(
        &mut self,
        timestamp: u32,
        stream_id: u32,
        body: Vec<u8>,
    ) -> Result<(), super::SessionError> {
        let message = Message::Data {
            encoding: AmfEncoding::Amf0,
            payload: Bytes::from(body),
        };
        self.send(CSID_STREAM, timestamp, stream_id, &message)
    }

    /// Sends an audio or video tag body on message stream `stream_id`, on
    /// the chunk stream of its kind, without copying it.
    pub(crate) fn send_media(
        &mut self,
        stream_id: u32,
        kind: MediaKind,
        timestamp: u32,
        body: Bytes,
    ) -> Result<(), super::SessionError> {
        let (csid, type_id) = match kind {
            MediaKind::Audio => (CSID_AUDIO, type_id::AUDIO),
            MediaKind::Video => (CSID_VIDEO, type_id::VIDEO),
        };
        self.send_raw(
            csid,
            &RawMessage {
                timestamp,
                type_id,
                stream_id,
                payload: body,
            },
        )
    }

    /// Counts `bytes` the caller wrote on chunk stream `csid` itself (after
    /// draining the outputs), and makes the writer's next message on `csid`
    /// start with a full header, since the peer's reader state for it is
    /// now what those bytes left.
    pub(crate) fn sent_elsewhere(&mut self, csid: u32, bytes: usize) {
        self.counters.bytes_sent += bytes as u64;
        self.writer.forget_chunk_stream(csid);
    }

    /// A ping request stamped with the session's clock in milliseconds.
    pub(crate) fn send_ping(&mut self) {
        let timestamp = self.now.as_millis() as u32;
        self.send_control(&Message::UserControl(UserControlEvent::PingRequest {
            timestamp,
        }));
    }

    /// Marks the connection closed and drops what it buffered.
    pub(crate) fn close(&mut self) {
        self.closed = true;
        self.input = BytesMut::new();
    }

    /// The incoming chunk size (set by the peer's Set Chunk Size).
    pub(crate) fn peer_chunk_size(&self) -> u32 {
        self.reader.chunk_size()
    }

    /// The outgoing chunk size.
    pub(crate) fn chunk_size(&self) -> u32 {
        self.writer.chunk_size()
    }

    /// Bytes received but not yet read as messages.
    pub(crate) fn buffered_input(&self) -> usize {
        self.input.len()
    }
}

/// Muxes an audio or video [`MediaEvent`] with [`mux_into`]: its kind,
/// timestamp and tag body.
pub(crate) fn mux_media(
    event: &MediaEvent,
) -> Result<(MediaKind, u32, Bytes), super::SessionError> {
    let mut body = Vec::new();
    let (tag_type, timestamp) =
        mux_into(event, &mut body).map_err(|_| super::SessionError::Encode)?;
    let kind = match tag_type {
        TagType::Audio => MediaKind::Audio,
        TagType::Video => MediaKind::Video,
        _ => return Err(super::SessionError::Encode),
    };
    Ok((kind, timestamp, Bytes::from(body)))
}

/// What a data message on a stream carries.
pub(crate) enum StreamData {
    /// `onMetaData` (with or without `@setDataFrame`).
    Metadata(Metadata),
    /// Anything else: the AMF0 payload (an AMF3 data message without its
    /// leading format byte).
    Other(Bytes),
}

impl StreamData {
    /// Reads a data message (type 18 or 15) stamped `timestamp`.
    pub(crate) fn read(type_id: u8, payload: Bytes, timestamp: u32) -> Self {
        let payload = if type_id == type_id::DATA_AMF3 {
            payload.slice(1.min(payload.len())..)
        } else {
            payload
        };
        match Metadata::parse(timestamp, &payload) {
            Ok(metadata) => Self::Metadata(metadata),
            Err(_) => Self::Other(payload),
        }
    }
}

/// What server and client do alike with their input: feed received bytes to
/// the [`Connection`], read the messages it yields and sort them by type.
/// Each side supplies its own handling of commands, stream data and user
/// control events.
pub(crate) trait Session {
    /// The side's event type.
    type Event;

    /// The connection.
    fn conn(&self) -> &Connection<Self::Event>;

    /// The connection, to change.
    fn conn_mut(&mut self) -> &mut Connection<Self::Event>;

    /// The event reporting a ping response.
    fn ping_response(timestamp: u32) -> Self::Event;

    /// Whether to read on (a server stops while a request waits for the
    /// application).
    fn reads_on(&self) -> bool {
        true
    }

    /// The handshake finished during this input.
    fn handshake_finished(&mut self);

    /// The time asked for with `next_timeout` has come.
    fn timeout(&mut self) {}

    /// Closes and reports why.
    fn finish(&mut self, reason: CloseReason);

    /// A command message on message stream `stream_id`.
    fn command(&mut self, stream_id: u32, cmd: &Command<'_>) -> Result<(), CloseReason>;

    /// An audio, video or data message (on its own or out of an aggregate).
    fn stream_data(&mut self, message: RawMessage);

    /// A user control message other than a ping (ignored unless overridden).
    fn user_control(&mut self, _message: &RawMessage) {
        self.conn_mut().counters.ignored_messages += 1;
    }

    /// Handles one input and appends every output queued since the last
    /// drain to `out`.
    fn dispatch_input(
        &mut self,
        input: Input<'_>,
        now: Instant,
        out: &mut Vec<Output<Self::Event>>,
    ) {
        self.conn_mut().tick(now);
        if !self.conn().is_closed() {
            match input {
                Input::Bytes(bytes) => match self.conn_mut().receive(bytes) {
                    Ok(finished) => {
                        if finished {
                            self.handshake_finished();
                        }
                        self.process();
                    }
                    Err(reason) => self.finish(reason),
                },
                Input::Timeout => self.timeout(),
                Input::TransportClosed => self.finish(CloseReason::TransportClosed),
            }
        }
        self.conn_mut().drain_into(out);
    }

    /// Reads and handles messages until none is complete (or the session
    /// stops reading).
    fn process(&mut self) {
        while self.reads_on() && !self.conn().is_closed() {
            match self.conn_mut().next_incoming() {
                Ok(None) => break,
                Ok(Some(Incoming::PingResponse(timestamp))) => {
                    self.conn_mut().event(Self::ping_response(timestamp));
                }
                Ok(Some(Incoming::Message(message))) => {
                    if let Err(reason) = self.on_message(message) {
                        self.finish(reason);
                    }
                }
                Err(reason) => self.finish(reason),
            }
        }
    }

    /// Sorts one message by type.
    fn on_message(&mut self, message: RawMessage) -> Result<(), CloseReason> {
        match message.type_id {
            type_id::COMMAND_AMF0 | type_id::COMMAND_AMF3 => {
                let encoding = if message.type_id == type_id::COMMAND_AMF0 {
                    AmfEncoding::Amf0
                } else {
                    AmfEncoding::Amf3
                };
                let cmd = Command::decode(encoding, &message.payload).map_err(CloseReason::Amf)?;
                self.command(message.stream_id, &cmd)
            }
            type_id::AUDIO | type_id::VIDEO | type_id::DATA_AMF0 | type_id::DATA_AMF3 => {
                self.stream_data(message);
                Ok(())
            }
            type_id::AGGREGATE => {
                for sub in AggregateSplitter::new(&message) {
                    match sub {
                        Ok(sub) if sub.type_id != type_id::AGGREGATE => self.stream_data(sub),
                        _ => self.conn_mut().counters.ignored_messages += 1,
                    }
                }
                Ok(())
            }
            type_id::USER_CONTROL => {
                self.user_control(&message);
                Ok(())
            }
            _ => {
                self.conn_mut().counters.ignored_messages += 1;
                Ok(())
            }
        }
    }
}

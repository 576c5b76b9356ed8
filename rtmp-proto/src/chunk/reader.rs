//! The chunk stream reader: chunks in, complete messages out.

use super::{
    ChunkError, DEFAULT_CHUNK_SIZE, EXTENDED_TIMESTAMP_MARKER, MAX_MESSAGE_LENGTH, check_chunk_size,
};
use crate::message::{RawMessage, type_id};
use alloc::vec::Vec;
use bytes::{Buf, BytesMut};

/// Limits that bound what a peer can make the reader hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkLimits {
    /// The longest message accepted, in bytes (the wire format allows up to
    /// 16 MiB - 1).
    pub max_message_length: u32,
    /// How many distinct chunk streams a peer may use over the connection.
    pub max_chunk_streams: usize,
    /// The most bytes all partly received messages together may reserve
    /// (each reserves its full announced length when its first chunk arrives).
    pub max_buffered_bytes: usize,
}

impl Default for ChunkLimits {
    /// 16 MiB - 1 per message (the wire maximum), 64 chunk streams, 32 MiB
    /// across partial messages.
    fn default() -> Self {
        Self {
            max_message_length: MAX_MESSAGE_LENGTH,
            max_chunk_streams: 64,
            max_buffered_bytes: 32 << 20,
        }
    }
}

/// A complete message and the chunk stream it arrived on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// The chunk stream id (2..=65599).
    pub csid: u32,
    /// The message.
    pub message: RawMessage,
}

/// What the reader remembers about one chunk stream.
#[derive(Debug, Clone)]
struct RecvStream {
    csid: u32,
    /// Timestamp of the last message started on this chunk stream.
    timestamp: u32,
    /// The timestamp delta a format 3 header starting a message adds. After
    /// a format 0 header it is that header's timestamp (RTMP 1.0 §5.3.1.2.4;
    /// ffmpeg reads it the same way).
    delta: u32,
    length: u32,
    type_id: u8,
    stream_id: u32,
    /// The last format 0/1/2 header carried an extended timestamp.
    extended: bool,
    /// The last extended timestamp value read on this chunk stream.
    extended_value: u32,
    /// Whether this peer repeats the extended timestamp in format 3
    /// continuation chunks; learned from the first such chunk.
    repeats_extended: Option<bool>,
    /// The message being reassembled; its capacity is the full length.
    partial: Option<BytesMut>,
}

impl RecvStream {
    fn new(csid: u32) -> Self {
        Self {
            csid,
            timestamp: 0,
            delta: 0,
            length: 0,
            type_id: 0,
            stream_id: 0,
            extended: false,
            extended_value: 0,
            repeats_extended: None,
            partial: None,
        }
    }
}

/// One parsed chunk header, not yet applied.
#[derive(Debug, Clone, Copy)]
struct ChunkHeader {
    /// Bytes from the basic header to the payload.
    header_len: usize,
    payload_len: usize,
    index: Option<usize>,
    csid: u32,
    fmt: u8,
    /// The 24-bit timestamp field, or the extended timestamp.
    timestamp_field: u32,
    length: u32,
    type_id: u8,
    stream_id: u32,
    /// An extended timestamp read from this header.
    extended: Option<u32>,
    /// What this chunk taught us about repeated extended timestamps.
    learned_repeat: Option<bool>,
    new_message: bool,
}

enum Step {
    Message(ReceivedMessage),
    Continue,
}

/// Reassembles messages from the chunks of any number of interleaved chunk
/// streams.
///
/// # Driving it
/// Append received bytes to a [`BytesMut`] you own and call
/// [`read_message`](Self::read_message) until it returns `Ok(None)`. The
/// reader removes whole chunks from the front of the buffer and leaves an
/// incomplete chunk there for the next call, so any split of the input
/// works, down to one byte at a time.
///
/// # Copies
/// A message that fits in one chunk is split off the input buffer without
/// copying. A longer message is copied once, chunk by chunk, into a buffer
/// of its full length.
///
/// # Protocol control
/// The reader acts on three message types itself, and still returns them:
/// Set Chunk Size (1) changes the chunk size from the next chunk on; Abort
/// (2) drops the partial message of the named chunk stream; Window
/// Acknowledgement Size (5) sets the acknowledgement window (see
/// [`poll_acknowledgement`](Self::poll_acknowledgement)). They are honoured
/// on any chunk stream, as ffmpeg and nginx do.
///
/// # Extended timestamps in format 3 chunks
/// When a chunk stream's last format 0/1/2 header had an extended timestamp,
/// a format 3 chunk that *starts* a message always carries the 4-byte
/// extended timestamp (the spec, ffmpeg, nginx and librtmp agree). A format 3
/// chunk that *continues* a message carries it from ffmpeg, nginx and Flash,
/// but not from some librtmp versions. The reader decides from the first
/// such chunk on each chunk stream: if its 4 bytes after the basic header
/// equal the extended timestamp last read (or the message's absolute
/// timestamp), they are the repeated field, otherwise they are payload; the
/// answer is remembered for the chunk stream. Until it is known, the reader waits for those 4 bytes even if the
/// chunk's payload is shorter.
///
/// # Limits
/// See [`ChunkLimits`]. Bytes not yet forming a whole chunk stay in the
/// caller's buffer: at most one chunk header plus one chunk payload, and a
/// chunk payload is never longer than the message, so
/// [`ChunkLimits::max_message_length`] bounds that too.
///
/// After an error the stream is not trustworthy: close the connection.
#[derive(Debug, Clone)]
pub struct ChunkReader {
    chunk_size: u32,
    limits: ChunkLimits,
    streams: Vec<RecvStream>,
    /// Bytes reserved by partial messages.
    buffered: usize,
    /// All chunk bytes consumed, for acknowledgements.
    received: u64,
    acknowledged: u64,
    window: u32,
}

impl Default for ChunkReader {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkReader {
    /// A reader with chunk size 128 and the default [`ChunkLimits`].
    pub fn new() -> Self {
        Self::with_limits(ChunkLimits::default())
    }

    /// A reader with chunk size 128 and the given limits.
    pub fn with_limits(limits: ChunkLimits) -> Self {
        Self {
            chunk_size: DEFAULT_CHUNK_SIZE,
            limits,
            streams: Vec::new(),
            buffered: 0,
            received: 0,
            acknowledged: 0,
            window: 0,
        }
    }

    /// The chunk size the peer sends with (changed by its Set Chunk Size).
    pub fn chunk_size(&self) -> u32 {
        self.chunk_size
    }

    /// Sets the incoming chunk size directly (the reader does this itself
    /// when a Set Chunk Size message arrives).
    pub fn set_chunk_size(&mut self, size: u32) -> Result<(), ChunkError> {
        self.chunk_size = check_chunk_size(size)?;
        Ok(())
    }

    /// The limits in force.
    pub fn limits(&self) -> ChunkLimits {
        self.limits
    }

    /// How many chunk streams the peer has used so far.
    pub fn chunk_stream_count(&self) -> usize {
        self.streams.len()
    }

    /// Bytes currently reserved by partly received messages.
    pub fn buffered_bytes(&self) -> usize {
        self.buffered
    }

    /// Chunk bytes consumed so far, as the wrapping 32-bit count an
    /// Acknowledgement carries. Bytes are counted when their whole chunk is
    /// consumed; handshake bytes are not included.
    pub fn bytes_received(&self) -> u32 {
        self.received as u32
    }

    /// Sets the acknowledgement window (the reader does this itself when a
    /// Window Acknowledgement Size message arrives); 0 turns acknowledgements off.
    pub fn set_window_ack_size(&mut self, window: u32) {
        self.window = window;
    }

    /// The acknowledgement window in force (0: none).
    pub fn window_ack_size(&self) -> u32 {
        self.window
    }

    /// If at least a window of bytes arrived since the last acknowledgement,
    /// returns the sequence number to send in an Acknowledgement (type 3) and
    /// starts a new window.
    pub fn poll_acknowledgement(&mut self) -> Option<u32> {
        if self.window == 0 || self.received - self.acknowledged < u64::from(self.window) {
            return None;
        }
        self.acknowledged = self.received;
        Some(self.bytes_received())
    }

    /// Removes whole chunks from the front of `input` until a message is
    /// complete, and returns it; `Ok(None)` when `input` holds no complete
    /// chunk any more (append more bytes and call again).
    pub fn read_message(
        &mut self,
        input: &mut BytesMut,
    ) -> Result<Option<ReceivedMessage>, ChunkError> {
        loop {
            let Some(header) = self.parse_header(input)? else {
                return Ok(None);
            };
            if let Step::Message(message) = self.apply(header, input)? {
                self.on_message(&message)?;
                return Ok(Some(message));
            }
        }
    }

    /// Reads every complete message in `input` into `out`.
    pub fn read_messages(
        &mut self,
        input: &mut BytesMut,
        out: &mut Vec<ReceivedMessage>,
    ) -> Result<(), ChunkError> {
        while let Some(message) = self.read_message(input)? {
            out.push(message);
        }
        Ok(())
    }

    fn find(&self, csid: u32) -> Option<usize> {
        self.streams.iter().position(|s| s.csid == csid)
    }

    /// Parses the chunk at the front of `buf` without changing any state.
    /// `Ok(None)`: the chunk (header and payload) is not complete yet.
    fn parse_header(&self, buf: &[u8]) -> Result<Option<ChunkHeader>, ChunkError> {
        let Some(&first) = buf.first() else {
            return Ok(None);
        };
        let fmt = first >> 6;
        let (csid, mut pos) = match first & 0x3F {
            0 => match buf.get(1) {
                Some(&b) => (64 + u32::from(b), 2),
                None => return Ok(None),
            },
            1 => match buf.get(1..3) {
                Some(&[lo, hi]) => (64 + u32::from(lo) + 256 * u32::from(hi), 3),
                _ => return Ok(None),
            },
            id => (u32::from(id), 1),
        };
        let index = self.find(csid);
        let prev = index.and_then(|i| self.streams.get(i));
        if index.is_none() && self.streams.len() >= self.limits.max_chunk_streams {
            return Err(ChunkError::TooManyChunkStreams {
                max: self.limits.max_chunk_streams,
            });
        }
        let in_progress = prev.and_then(|s| s.partial.as_ref());
        if fmt < 3 && in_progress.is_some() {
            return Err(ChunkError::HeaderInsideMessage { csid, fmt });
        }
        let mut header = match prev {
            Some(s) => ChunkHeader {
                header_len: 0,
                payload_len: 0,
                index,
                csid,
                fmt,
                timestamp_field: s.delta,
                length: s.length,
                type_id: s.type_id,
                stream_id: s.stream_id,
                extended: None,
                learned_repeat: None,
                new_message: in_progress.is_none(),
            },
            None if fmt == 0 => ChunkHeader {
                header_len: 0,
                payload_len: 0,
                index,
                csid,
                fmt,
                timestamp_field: 0,
                length: 0,
                type_id: 0,
                stream_id: 0,
                extended: None,
                learned_repeat: None,
                new_message: true,
            },
            None => return Err(ChunkError::NoPreviousHeader { csid }),
        };
        let be24 = |a: u8, b: u8, c: u8| u32::from_be_bytes([0, a, b, c]);
        let message_header_len = match fmt {
            0 => 11,
            1 => 7,
            2 => 3,
            _ => 0,
        };
        let Some(fields) = buf.get(pos..pos + message_header_len) else {
            return Ok(None);
        };
        pos += message_header_len;
        match *fields {
            [t0, t1, t2, l0, l1, l2, ty, s0, s1, s2, s3] => {
                header.timestamp_field = be24(t0, t1, t2);
                header.length = be24(l0, l1, l2);
                header.type_id = ty;
                header.stream_id = u32::from_le_bytes([s0, s1, s2, s3]);
            }
            [t0, t1, t2, l0, l1, l2, ty] => {
                header.timestamp_field = be24(t0, t1, t2);
                header.length = be24(l0, l1, l2);
                header.type_id = ty;
            }
            [t0, t1, t2] => header.timestamp_field = be24(t0, t1, t2),
            _ => {}
        }
        let read_u32 = |at: usize| {
            buf.get(at..at + 4)
                .and_then(|b| b.first_chunk::<4>())
                .map(|b| u32::from_be_bytes(*b))
        };
        if fmt < 3 {
            if header.timestamp_field == EXTENDED_TIMESTAMP_MARKER {
                let Some(value) = read_u32(pos) else {
                    return Ok(None);
                };
                header.extended = Some(value);
                header.timestamp_field = value;
                pos += 4;
            }
        } else if let Some(s) = prev.filter(|s| s.extended) {
            if header.new_message {
                let Some(value) = read_u32(pos) else {
                    return Ok(None);
                };
                header.extended = Some(value);
                header.timestamp_field = value;
                pos += 4;
            } else {
                let repeats = match s.repeats_extended {
                    Some(repeats) => repeats,
                    None => {
                        let Some(value) = read_u32(pos) else {
                            return Ok(None);
                        };
                        // Some writers put the message's absolute
                        // timestamp there even after a delta header.
                        let repeats = value == s.extended_value || value == s.timestamp;
                        header.learned_repeat = Some(repeats);
                        repeats
                    }
                };
                if repeats {
                    pos += 4;
                }
            }
        }
        let chunk_size = self.chunk_size as usize;
        header.payload_len = match in_progress {
            Some(partial) => (header.length as usize)
                .saturating_sub(partial.len())
                .min(chunk_size),
            None => {
                if header.length > self.limits.max_message_length {
                    return Err(ChunkError::MessageTooLong {
                        length: header.length,
                        max: self.limits.max_message_length,
                    });
                }
                let length = header.length as usize;
                if length > chunk_size {
                    let needed = self.buffered.saturating_add(length);
                    if needed > self.limits.max_buffered_bytes {
                        return Err(ChunkError::BufferLimitExceeded {
                            needed,
                            max: self.limits.max_buffered_bytes,
                        });
                    }
                }
                length.min(chunk_size)
            }
        };
        header.header_len = pos;
        if buf.len().saturating_sub(pos) < header.payload_len {
            return Ok(None);
        }
        Ok(Some(header))
    }

    /// Applies a complete chunk: updates the chunk stream, consumes the
    /// chunk's bytes from `input`.
    fn apply(&mut self, header: ChunkHeader, input: &mut BytesMut) -> Result<Step, ChunkError> {
        let index = match header.index {
            Some(index) => index,
            None => {
                self.streams.push(RecvStream::new(header.csid));
                self.streams.len() - 1
            }
        };
        self.received += (header.header_len + header.payload_len) as u64;
        input.advance(header.header_len);
        let Some(stream) = self.streams.get_mut(index) else {
            return Ok(Step::Continue);
        };
        if let Some(repeats) = header.learned_repeat {
            stream.repeats_extended = Some(repeats);
        }
        if header.fmt < 3 {
            stream.extended = header.extended.is_some();
        }
        if let Some(value) = header.extended {
            stream.extended_value = value;
        }
        match header.fmt {
            0 => {
                stream.timestamp = header.timestamp_field;
                stream.delta = header.timestamp_field;
                stream.length = header.length;
                stream.type_id = header.type_id;
                stream.stream_id = header.stream_id;
            }
            1 | 2 => {
                stream.delta = header.timestamp_field;
                stream.timestamp = stream.timestamp.wrapping_add(header.timestamp_field);
                stream.length = header.length;
                stream.type_id = header.type_id;
            }
            _ if header.new_message => {
                stream.delta = header.timestamp_field;
                stream.timestamp = stream.timestamp.wrapping_add(header.timestamp_field);
            }
            _ => {}
        }
        let payload_len = header.payload_len;
        let length = stream.length as usize;
        let complete = if header.new_message {
            if payload_len == length {
                input.split_to(payload_len)
            } else {
                let mut partial = BytesMut::with_capacity(length);
                partial.extend_from_slice(input.get(..payload_len).unwrap_or(&[]));
                input.advance(payload_len);
                stream.partial = Some(partial);
                self.buffered += length;
                return Ok(Step::Continue);
            }
        } else {
            let Some(partial) = stream.partial.as_mut() else {
                return Ok(Step::Continue);
            };
            partial.extend_from_slice(input.get(..payload_len).unwrap_or(&[]));
            input.advance(payload_len);
            if partial.len() < length {
                return Ok(Step::Continue);
            }
            self.buffered = self.buffered.saturating_sub(length);
            match stream.partial.take() {
                Some(partial) => partial,
                None => return Ok(Step::Continue),
            }
        };
        Ok(Step::Message(ReceivedMessage {
            csid: stream.csid,
            message: RawMessage {
                timestamp: stream.timestamp,
                type_id: stream.type_id,
                stream_id: stream.stream_id,
                payload: complete.freeze(),
            },
        }))
    }

    /// Acts on the protocol control messages the reader itself needs.
    fn on_message(&mut self, received: &ReceivedMessage) -> Result<(), ChunkError> {
        let message = &received.message;
        let value = || {
            message
                .payload
                .first_chunk::<4>()
                .map(|b| u32::from_be_bytes(*b))
                .ok_or(ChunkError::ControlMessageTooShort {
                    type_id: message.type_id,
                    length: message.payload.len(),
                })
        };
        match message.type_id {
            type_id::SET_CHUNK_SIZE => self.set_chunk_size(value()?)?,
            type_id::ABORT => self.abort(value()?),
            type_id::WINDOW_ACK_SIZE => self.window = value()?,
            _ => {}
        }
        Ok(())
    }

    /// Drops the partial message on chunk stream `csid`, if any.
    pub fn abort(&mut self, csid: u32) {
        let stream = self.streams.iter_mut().find(|s| s.csid == csid);
        if let Some(stream) = stream.filter(|s| s.partial.is_some()) {
            stream.partial = None;
            self.buffered = self.buffered.saturating_sub(stream.length as usize);
        }
    }
}

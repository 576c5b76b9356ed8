//! RTMP messages: protocol control, user control, command, data, audio, video and aggregate.
//!
//! A [`RawMessage`] is what the chunk layer moves: a timestamp, a message type
//! id, a message stream id and the payload bytes. [`Message`] is the typed
//! view of a payload: [`Message::decode`] turns a type id and payload into it,
//! [`Message::encode`] writes the payload bytes back.
//!
//! Command, data and shared-object payloads stay raw [`Bytes`] together with
//! their [`AmfEncoding`]: decoding the AMF values is the session's business
//! (see [`crate::amf0`], [`crate::amf3`]). An AMF3 command or data payload
//! (types 17 and 15) keeps its leading format byte (normally `0x00`, meaning
//! "the rest is AMF0").
//!
//! Aggregate messages (type 22) are split into their sub-messages by
//! [`AggregateSplitter`].

use bytes::{BufMut, Bytes};
use core::fmt;

/// Message type ids (RTMP 1.0 §5.4, §7.1).
pub mod type_id {
    /// Set Chunk Size (protocol control).
    pub const SET_CHUNK_SIZE: u8 = 1;
    /// Abort Message (protocol control).
    pub const ABORT: u8 = 2;
    /// Acknowledgement (protocol control).
    pub const ACKNOWLEDGEMENT: u8 = 3;
    /// User Control Message.
    pub const USER_CONTROL: u8 = 4;
    /// Window Acknowledgement Size (protocol control).
    pub const WINDOW_ACK_SIZE: u8 = 5;
    /// Set Peer Bandwidth (protocol control).
    pub const SET_PEER_BANDWIDTH: u8 = 6;
    /// Audio data.
    pub const AUDIO: u8 = 8;
    /// Video data.
    pub const VIDEO: u8 = 9;
    /// Data message, AMF3.
    pub const DATA_AMF3: u8 = 15;
    /// Shared object message, AMF3.
    pub const SHARED_OBJECT_AMF3: u8 = 16;
    /// Command message, AMF3.
    pub const COMMAND_AMF3: u8 = 17;
    /// Data message, AMF0 (`@setDataFrame`, `onMetaData`, ...).
    pub const DATA_AMF0: u8 = 18;
    /// Shared object message, AMF0.
    pub const SHARED_OBJECT_AMF0: u8 = 19;
    /// Command message, AMF0 (`connect`, `publish`, `_result`, ...).
    pub const COMMAND_AMF0: u8 = 20;
    /// Aggregate message: a sequence of FLV-like tags.
    pub const AGGREGATE: u8 = 22;
}

/// One complete RTMP message as the chunk layer carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    /// Absolute message timestamp in milliseconds (32 bits, wraps).
    pub timestamp: u32,
    /// Message type id (see [`type_id`]).
    pub type_id: u8,
    /// Message stream id (0 for protocol control and `NetConnection` commands).
    pub stream_id: u32,
    /// The message payload.
    pub payload: Bytes,
}

impl RawMessage {
    /// Decodes the payload into a typed [`Message`]. Cheap: payload bytes are
    /// shared, not copied.
    pub fn decode(&self) -> Result<Message, MessageError> {
        Message::decode(self.type_id, self.payload.clone())
    }
}

/// The AMF version a command, data or shared-object payload is encoded with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AmfEncoding {
    /// AMF0 (types 18, 19, 20).
    Amf0,
    /// AMF3 (types 15, 16, 17).
    Amf3,
}

/// The limit type of a Set Peer Bandwidth message (RTMP 1.0 §5.4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitType {
    /// 0: the peer should limit its output bandwidth to the window size.
    Hard,
    /// 1: limit to the window size or the limit already in effect, whichever is smaller.
    Soft,
    /// 2: hard if the previous limit type was hard, else ignore.
    Dynamic,
    /// Any other value, kept so a decoder never rejects what a peer sent.
    Unknown(u8),
}

impl LimitType {
    /// The wire value.
    pub fn to_u8(self) -> u8 {
        match self {
            LimitType::Hard => 0,
            LimitType::Soft => 1,
            LimitType::Dynamic => 2,
            LimitType::Unknown(v) => v,
        }
    }

    /// The limit type for a wire value.
    pub fn from_u8(v: u8) -> Self {
        match v {
            0 => LimitType::Hard,
            1 => LimitType::Soft,
            2 => LimitType::Dynamic,
            v => LimitType::Unknown(v),
        }
    }
}

/// User control event type ids (RTMP 1.0 §7.1.7).
pub mod event_type {
    /// Stream Begin.
    pub const STREAM_BEGIN: u16 = 0;
    /// Stream EOF.
    pub const STREAM_EOF: u16 = 1;
    /// Stream Dry.
    pub const STREAM_DRY: u16 = 2;
    /// Set Buffer Length.
    pub const SET_BUFFER_LENGTH: u16 = 3;
    /// Stream Is Recorded.
    pub const STREAM_IS_RECORDED: u16 = 4;
    /// Ping Request.
    pub const PING_REQUEST: u16 = 6;
    /// Ping Response.
    pub const PING_RESPONSE: u16 = 7;
}

/// A User Control message (type 4) event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserControlEvent {
    /// 0: the stream became functional.
    StreamBegin {
        /// The message stream id.
        stream_id: u32,
    },
    /// 1: playback of the stream is over.
    StreamEof {
        /// The message stream id.
        stream_id: u32,
    },
    /// 2: no more data on the stream for now.
    StreamDry {
        /// The message stream id.
        stream_id: u32,
    },
    /// 3: the client's buffer length for a stream.
    SetBufferLength {
        /// The message stream id.
        stream_id: u32,
        /// Buffer length in milliseconds.
        buffer_length_ms: u32,
    },
    /// 4: the stream is a recorded stream.
    StreamIsRecorded {
        /// The message stream id.
        stream_id: u32,
    },
    /// 6: the server asks whether the client is reachable.
    PingRequest {
        /// The server's local time, echoed in the response.
        timestamp: u32,
    },
    /// 7: the answer to a ping request.
    PingResponse {
        /// The timestamp from the request.
        timestamp: u32,
    },
    /// Any other event type, with its event data kept raw.
    Unknown {
        /// The event type.
        event_type: u16,
        /// The event data (everything after the event type).
        data: Bytes,
    },
}

impl UserControlEvent {
    fn decode(payload: &Bytes) -> Result<Self, MessageError> {
        let short = |expected: usize| MessageError::TooShort {
            type_id: type_id::USER_CONTROL,
            expected,
            actual: payload.len(),
        };
        let (event, data) = payload.split_first_chunk::<2>().ok_or_else(|| short(2))?;
        let event = u16::from_be_bytes(*event);
        let word = |at: usize| -> Result<u32, MessageError> {
            data.get(at..at + 4)
                .and_then(|b| b.first_chunk::<4>())
                .map(|b| u32::from_be_bytes(*b))
                .ok_or_else(|| short(2 + at + 4))
        };
        Ok(match event {
            event_type::STREAM_BEGIN => UserControlEvent::StreamBegin {
                stream_id: word(0)?,
            },
            event_type::STREAM_EOF => UserControlEvent::StreamEof {
                stream_id: word(0)?,
            },
            event_type::STREAM_DRY => UserControlEvent::StreamDry {
                stream_id: word(0)?,
            },
            event_type::SET_BUFFER_LENGTH => UserControlEvent::SetBufferLength {
                stream_id: word(0)?,
                buffer_length_ms: word(4)?,
            },
            event_type::STREAM_IS_RECORDED => UserControlEvent::StreamIsRecorded {
                stream_id: word(0)?,
            },
            event_type::PING_REQUEST => UserControlEvent::PingRequest {
                timestamp: word(0)?,
            },
            event_type::PING_RESPONSE => UserControlEvent::PingResponse {
                timestamp: word(0)?,
            },
            event_type => UserControlEvent::Unknown {
                event_type,
                data: payload.slice(2..),
            },
        })
    }

    fn event_type(&self) -> u16 {
        match self {
            UserControlEvent::StreamBegin { .. } => event_type::STREAM_BEGIN,
            UserControlEvent::StreamEof { .. } => event_type::STREAM_EOF,
            UserControlEvent::StreamDry { .. } => event_type::STREAM_DRY,
            UserControlEvent::SetBufferLength { .. } => event_type::SET_BUFFER_LENGTH,
            UserControlEvent::StreamIsRecorded { .. } => event_type::STREAM_IS_RECORDED,
            UserControlEvent::PingRequest { .. } => event_type::PING_REQUEST,
            UserControlEvent::PingResponse { .. } => event_type::PING_RESPONSE,
            UserControlEvent::Unknown { event_type, .. } => *event_type,
        }
    }

    fn encoded_len(&self) -> usize {
        match self {
            UserControlEvent::SetBufferLength { .. } => 10,
            UserControlEvent::Unknown { data, .. } => 2 + data.len(),
            _ => 6,
        }
    }

    fn encode<B: BufMut>(&self, out: &mut B) {
        out.put_u16(self.event_type());
        match self {
            UserControlEvent::StreamBegin { stream_id }
            | UserControlEvent::StreamEof { stream_id }
            | UserControlEvent::StreamDry { stream_id }
            | UserControlEvent::StreamIsRecorded { stream_id } => out.put_u32(*stream_id),
            UserControlEvent::SetBufferLength {
                stream_id,
                buffer_length_ms,
            } => {
                out.put_u32(*stream_id);
                out.put_u32(*buffer_length_ms);
            }
            UserControlEvent::PingRequest { timestamp }
            | UserControlEvent::PingResponse { timestamp } => out.put_u32(*timestamp),
            UserControlEvent::Unknown { data, .. } => out.put_slice(data),
        }
    }
}

/// A typed RTMP message payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// 1: the sender's new maximum chunk size (1..=0x7FFFFFFF).
    SetChunkSize(u32),
    /// 2: discard the partially received message on this chunk stream.
    Abort {
        /// The chunk stream id whose partial message is dropped.
        chunk_stream_id: u32,
    },
    /// 3: the number of bytes received so far (wrapping 32-bit count).
    Acknowledgement {
        /// Bytes received so far.
        sequence_number: u32,
    },
    /// 4: a user control event.
    UserControl(UserControlEvent),
    /// 5: the window size after which the receiver must acknowledge.
    WindowAckSize(u32),
    /// 6: limit the peer's output bandwidth.
    SetPeerBandwidth {
        /// The window size in bytes.
        window_size: u32,
        /// How to apply it.
        limit_type: LimitType,
    },
    /// 8: an audio tag body (FLV `AUDIODATA`).
    Audio(Bytes),
    /// 9: a video tag body (FLV `VIDEODATA`).
    Video(Bytes),
    /// 20 / 17: a command (`connect`, `publish`, `_result`, ...), AMF kept raw.
    Command {
        /// AMF0 (20) or AMF3 (17).
        encoding: AmfEncoding,
        /// The AMF-encoded payload.
        payload: Bytes,
    },
    /// 18 / 15: a data message (`@setDataFrame`, `onMetaData`, ...), AMF kept raw.
    Data {
        /// AMF0 (18) or AMF3 (15).
        encoding: AmfEncoding,
        /// The AMF-encoded payload.
        payload: Bytes,
    },
    /// 19 / 16: a shared object message, kept raw.
    SharedObject {
        /// AMF0 (19) or AMF3 (16).
        encoding: AmfEncoding,
        /// The raw payload.
        payload: Bytes,
    },
    /// 22: an aggregate of FLV-like tags; split with [`AggregateSplitter`].
    Aggregate(Bytes),
    /// Any other type id, kept raw.
    Unknown {
        /// The message type id.
        type_id: u8,
        /// The raw payload.
        payload: Bytes,
    },
}

fn be_u32(type_id: u8, payload: &[u8]) -> Result<u32, MessageError> {
    payload
        .first_chunk::<4>()
        .map(|b| u32::from_be_bytes(*b))
        .ok_or(MessageError::TooShort {
            type_id,
            expected: 4,
            actual: payload.len(),
        })
}

impl Message {
    /// Decodes a payload of the given type id. Bytes after the fields a
    /// control message defines are ignored, as ffmpeg and nginx do.
    pub fn decode(type_id: u8, payload: Bytes) -> Result<Message, MessageError> {
        use self::type_id as t;
        Ok(match type_id {
            t::SET_CHUNK_SIZE => {
                let size = be_u32(type_id, &payload)?;
                if size == 0 || size > crate::chunk::MAX_CHUNK_SIZE {
                    return Err(MessageError::InvalidChunkSize(size));
                }
                Message::SetChunkSize(size)
            }
            t::ABORT => Message::Abort {
                chunk_stream_id: be_u32(type_id, &payload)?,
            },
            t::ACKNOWLEDGEMENT => Message::Acknowledgement {
                sequence_number: be_u32(type_id, &payload)?,
            },
            t::USER_CONTROL => Message::UserControl(UserControlEvent::decode(&payload)?),
            t::WINDOW_ACK_SIZE => Message::WindowAckSize(be_u32(type_id, &payload)?),
            t::SET_PEER_BANDWIDTH => match payload.get(..5) {
                Some(&[a, b, c, d, limit]) => Message::SetPeerBandwidth {
                    window_size: u32::from_be_bytes([a, b, c, d]),
                    limit_type: LimitType::from_u8(limit),
                },
                _ => {
                    return Err(MessageError::TooShort {
                        type_id,
                        expected: 5,
                        actual: payload.len(),
                    });
                }
            },
            t::AUDIO => Message::Audio(payload),
            t::VIDEO => Message::Video(payload),
            t::COMMAND_AMF0 | t::COMMAND_AMF3 => Message::Command {
                encoding: amf_encoding(type_id == t::COMMAND_AMF0),
                payload,
            },
            t::DATA_AMF0 | t::DATA_AMF3 => Message::Data {
                encoding: amf_encoding(type_id == t::DATA_AMF0),
                payload,
            },
            t::SHARED_OBJECT_AMF0 | t::SHARED_OBJECT_AMF3 => Message::SharedObject {
                encoding: amf_encoding(type_id == t::SHARED_OBJECT_AMF0),
                payload,
            },
            t::AGGREGATE => Message::Aggregate(payload),
            type_id => Message::Unknown { type_id, payload },
        })
    }

    /// The message type id this message is sent with.
    pub fn type_id(&self) -> u8 {
        use self::type_id as t;
        let pick = |encoding: &AmfEncoding, amf0: u8, amf3: u8| match encoding {
            AmfEncoding::Amf0 => amf0,
            AmfEncoding::Amf3 => amf3,
        };
        match self {
            Message::SetChunkSize(_) => t::SET_CHUNK_SIZE,
            Message::Abort { .. } => t::ABORT,
            Message::Acknowledgement { .. } => t::ACKNOWLEDGEMENT,
            Message::UserControl(_) => t::USER_CONTROL,
            Message::WindowAckSize(_) => t::WINDOW_ACK_SIZE,
            Message::SetPeerBandwidth { .. } => t::SET_PEER_BANDWIDTH,
            Message::Audio(_) => t::AUDIO,
            Message::Video(_) => t::VIDEO,
            Message::Command { encoding, .. } => pick(encoding, t::COMMAND_AMF0, t::COMMAND_AMF3),
            Message::Data { encoding, .. } => pick(encoding, t::DATA_AMF0, t::DATA_AMF3),
            Message::SharedObject { encoding, .. } => {
                pick(encoding, t::SHARED_OBJECT_AMF0, t::SHARED_OBJECT_AMF3)
            }
            Message::Aggregate(_) => t::AGGREGATE,
            Message::Unknown { type_id, .. } => *type_id,
        }
    }

    /// Whether this is a protocol control message (types 1, 2, 3, 5, 6), which
    /// travels on chunk stream 2 with message stream id 0.
    pub fn is_protocol_control(&self) -> bool {
        matches!(
            self,
            Message::SetChunkSize(_)
                | Message::Abort { .. }
                | Message::Acknowledgement { .. }
                | Message::WindowAckSize(_)
                | Message::SetPeerBandwidth { .. }
        )
    }

    /// The length of the encoded payload.
    pub fn encoded_len(&self) -> usize {
        match self {
            Message::SetChunkSize(_)
            | Message::Abort { .. }
            | Message::Acknowledgement { .. }
            | Message::WindowAckSize(_) => 4,
            Message::SetPeerBandwidth { .. } => 5,
            Message::UserControl(event) => event.encoded_len(),
            Message::Audio(p)
            | Message::Video(p)
            | Message::Aggregate(p)
            | Message::Command { payload: p, .. }
            | Message::Data { payload: p, .. }
            | Message::SharedObject { payload: p, .. }
            | Message::Unknown { payload: p, .. } => p.len(),
        }
    }

    /// Appends the payload bytes to `out`.
    pub fn encode<B: BufMut>(&self, out: &mut B) {
        match self {
            Message::SetChunkSize(v) | Message::WindowAckSize(v) => out.put_u32(*v),
            Message::Abort { chunk_stream_id } => out.put_u32(*chunk_stream_id),
            Message::Acknowledgement { sequence_number } => out.put_u32(*sequence_number),
            Message::SetPeerBandwidth {
                window_size,
                limit_type,
            } => {
                out.put_u32(*window_size);
                out.put_u8(limit_type.to_u8());
            }
            Message::UserControl(event) => event.encode(out),
            Message::Audio(p)
            | Message::Video(p)
            | Message::Aggregate(p)
            | Message::Command { payload: p, .. }
            | Message::Data { payload: p, .. }
            | Message::SharedObject { payload: p, .. }
            | Message::Unknown { payload: p, .. } => out.put_slice(p),
        }
    }

    /// The payload as [`Bytes`]: shared (no copy) for the variants that hold
    /// a payload, freshly encoded for control messages.
    pub fn to_payload(&self) -> Bytes {
        match self {
            Message::Audio(p)
            | Message::Video(p)
            | Message::Aggregate(p)
            | Message::Command { payload: p, .. }
            | Message::Data { payload: p, .. }
            | Message::SharedObject { payload: p, .. }
            | Message::Unknown { payload: p, .. } => p.clone(),
            _ => {
                let mut out = alloc::vec::Vec::with_capacity(self.encoded_len());
                self.encode(&mut out);
                Bytes::from(out)
            }
        }
    }

    /// Wraps the message with a timestamp and message stream id for the chunk writer.
    pub fn to_raw(&self, timestamp: u32, stream_id: u32) -> RawMessage {
        RawMessage {
            timestamp,
            type_id: self.type_id(),
            stream_id,
            payload: self.to_payload(),
        }
    }
}

fn amf_encoding(amf0: bool) -> AmfEncoding {
    if amf0 {
        AmfEncoding::Amf0
    } else {
        AmfEncoding::Amf3
    }
}

/// The size of an aggregate sub-tag header: type (1), data size (3),
/// timestamp (3 + 1 extension byte), stream id (3).
pub const AGGREGATE_TAG_HEADER_LEN: usize = 11;
/// The size of the back pointer after each aggregate sub-tag.
pub const AGGREGATE_BACK_POINTER_LEN: usize = 4;

/// Splits an aggregate message (type 22) into its sub-messages.
///
/// Each sub-tag is an FLV tag: an 11-byte header (type, 24-bit data size,
/// 24-bit timestamp plus an 8-bit extension holding the upper bits, 24-bit
/// stream id), the body, and a 4-byte back pointer (ignored, as ffmpeg does).
/// Timestamps are rebased like ffmpeg does: the first sub-message gets the
/// aggregate message's timestamp, each later one that plus its tag
/// timestamp's distance from the first tag's (32-bit wrapping arithmetic).
/// Sub-messages get the aggregate's message stream id. Bodies are shared
/// slices of the aggregate payload, not copies.
///
/// A truncated tag yields one [`MessageError::AggregateTruncated`] and ends
/// the iteration.
#[derive(Debug, Clone)]
pub struct AggregateSplitter {
    payload: Bytes,
    offset: usize,
    timestamp: u32,
    stream_id: u32,
    first_tag_timestamp: Option<u32>,
    failed: bool,
}

impl AggregateSplitter {
    /// Splits `message`'s payload; its type id is not checked.
    pub fn new(message: &RawMessage) -> Self {
        Self {
            payload: message.payload.clone(),
            offset: 0,
            timestamp: message.timestamp,
            stream_id: message.stream_id,
            first_tag_timestamp: None,
            failed: false,
        }
    }
}

impl Iterator for AggregateSplitter {
    type Item = Result<RawMessage, MessageError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let rest = self.payload.get(self.offset..)?;
        if rest.is_empty() {
            return None;
        }
        let truncated = MessageError::AggregateTruncated {
            offset: self.offset,
        };
        let Some(&[type_id, s0, s1, s2, t0, t1, t2, t3, _, _, _]) =
            rest.first_chunk::<AGGREGATE_TAG_HEADER_LEN>()
        else {
            self.failed = true;
            return Some(Err(truncated));
        };
        let size = u32::from_be_bytes([0, s0, s1, s2]) as usize;
        let tag_timestamp = u32::from_be_bytes([t3, t0, t1, t2]);
        let body_start = self.offset + AGGREGATE_TAG_HEADER_LEN;
        let body_end = body_start + size;
        // The back pointer of the last tag may be missing in the wild; the
        // body itself must be complete.
        if body_end > self.payload.len() {
            self.failed = true;
            return Some(Err(truncated));
        }
        let first = *self.first_tag_timestamp.get_or_insert(tag_timestamp);
        let timestamp = self
            .timestamp
            .wrapping_add(tag_timestamp.wrapping_sub(first));
        self.offset = body_end
            .saturating_add(AGGREGATE_BACK_POINTER_LEN)
            .min(self.payload.len());
        Some(Ok(RawMessage {
            timestamp,
            type_id,
            stream_id: self.stream_id,
            payload: self.payload.slice(body_start..body_end),
        }))
    }
}

/// Why a message payload could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageError {
    /// The payload is shorter than the message type requires.
    TooShort {
        /// The message type id.
        type_id: u8,
        /// Bytes required.
        expected: usize,
        /// Bytes present.
        actual: usize,
    },
    /// A Set Chunk Size of 0 or with bit 31 set.
    InvalidChunkSize(u32),
    /// An aggregate sub-tag runs past the end of the aggregate payload.
    AggregateTruncated {
        /// Offset of the truncated tag in the aggregate payload.
        offset: usize,
    },
}

impl fmt::Display for MessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MessageError::TooShort {
                type_id,
                expected,
                actual,
            } => write!(
                f,
                "message type {type_id}: payload of {actual} bytes, need {expected}"
            ),
            MessageError::InvalidChunkSize(size) => {
                write!(f, "invalid chunk size {size} (must be 1..=0x7FFFFFFF)")
            }
            MessageError::AggregateTruncated { offset } => {
                write!(
                    f,
                    "aggregate message: sub-tag at offset {offset} is truncated"
                )
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for MessageError {}

#[cfg(test)]
mod tests;

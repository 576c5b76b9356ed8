//! RTMP chunk streams: the reader (reassembly per chunk stream) and the writer (header compression).
//!
//! After the handshake, each direction of an RTMP connection is a sequence
//! of chunks (RTMP 1.0 §5.3). A chunk is a basic header (format and chunk
//! stream id, 1 to 3 bytes), a message header (11, 7, 3 or 0 bytes for
//! formats 0 to 3), an optional 4-byte extended timestamp, and at most
//! "chunk size" bytes of one message's payload. Chunks of different chunk
//! streams may interleave; chunks of one chunk stream never do.
//!
//! - [`ChunkReader`] turns received bytes into [`ReceivedMessage`]s.
//! - [`ChunkWriter`] turns [`RawMessage`](crate::message::RawMessage)s into bytes.
//!
//! Both are plain state machines: no I/O, no clock.

mod reader;
mod writer;

pub use reader::{ChunkLimits, ChunkReader, ReceivedMessage};
pub use writer::ChunkWriter;

use core::fmt;

/// The chunk size both directions start with (RTMP 1.0 §5.4.1).
pub const DEFAULT_CHUNK_SIZE: u32 = 128;
/// The largest chunk size a Set Chunk Size may announce (bit 31 must be 0).
pub const MAX_CHUNK_SIZE: u32 = 0x7FFF_FFFF;
/// The smallest chunk stream id a message may use (0 and 1 mark longer basic headers).
pub const MIN_CHUNK_STREAM_ID: u32 = 2;
/// The largest chunk stream id a 3-byte basic header can carry.
pub const MAX_CHUNK_STREAM_ID: u32 = 65599;
/// The chunk stream protocol control messages travel on.
pub const PROTOCOL_CONTROL_CHUNK_STREAM_ID: u32 = 2;
/// The largest message length a chunk message header can carry (24 bits).
pub const MAX_MESSAGE_LENGTH: u32 = 0x00FF_FFFF;
/// A 24-bit timestamp field holding this value means "see the extended timestamp".
pub const EXTENDED_TIMESTAMP_MARKER: u32 = 0x00FF_FFFF;

/// Why the chunk stream could not be read or written. A reader error means
/// the byte stream cannot be trusted any more: close the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkError {
    /// A chunk stream id outside 2..=65599 was given to the writer.
    InvalidChunkStreamId(u32),
    /// A format 1, 2 or 3 chunk arrived on a chunk stream that has no
    /// previous header to take the missing fields from.
    NoPreviousHeader {
        /// The chunk stream id.
        csid: u32,
    },
    /// A format 0, 1 or 2 chunk arrived while a message on the same chunk
    /// stream was only partly received (only format 3 may continue it).
    HeaderInsideMessage {
        /// The chunk stream id.
        csid: u32,
        /// The chunk's format (0, 1 or 2).
        fmt: u8,
    },
    /// A message is longer than the reader's limit (or, for the writer, than
    /// the 24-bit length field).
    MessageTooLong {
        /// The announced length.
        length: u32,
        /// The limit.
        max: u32,
    },
    /// A new chunk stream would exceed the number of chunk streams allowed.
    TooManyChunkStreams {
        /// The limit.
        max: usize,
    },
    /// The partly received messages would hold more bytes than allowed.
    BufferLimitExceeded {
        /// Bytes the partial messages would need.
        needed: usize,
        /// The limit.
        max: usize,
    },
    /// A chunk size of 0 or with bit 31 set.
    InvalidChunkSize(u32),
    /// A protocol control message the reader acts on (Set Chunk Size, Abort)
    /// has a payload shorter than 4 bytes.
    ControlMessageTooShort {
        /// The message type id.
        type_id: u8,
        /// Its payload length.
        length: usize,
    },
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkError::InvalidChunkStreamId(id) => {
                write!(f, "chunk stream id {id} is outside 2..=65599")
            }
            ChunkError::NoPreviousHeader { csid } => write!(
                f,
                "chunk stream {csid}: compressed header without a previous full header"
            ),
            ChunkError::HeaderInsideMessage { csid, fmt } => write!(
                f,
                "chunk stream {csid}: format {fmt} header inside a partly received message"
            ),
            ChunkError::MessageTooLong { length, max } => {
                write!(f, "message of {length} bytes exceeds the limit of {max}")
            }
            ChunkError::TooManyChunkStreams { max } => {
                write!(f, "more than {max} chunk streams")
            }
            ChunkError::BufferLimitExceeded { needed, max } => write!(
                f,
                "partial messages would buffer {needed} bytes, over the limit of {max}"
            ),
            ChunkError::InvalidChunkSize(size) => {
                write!(f, "invalid chunk size {size} (must be 1..=0x7FFFFFFF)")
            }
            ChunkError::ControlMessageTooShort { type_id, length } => write!(
                f,
                "protocol control message type {type_id} with a {length}-byte payload"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ChunkError {}

/// Checks a chunk size announced by Set Chunk Size.
pub(crate) fn check_chunk_size(size: u32) -> Result<u32, ChunkError> {
    if size == 0 || size > MAX_CHUNK_SIZE {
        Err(ChunkError::InvalidChunkSize(size))
    } else {
        Ok(size)
    }
}

#[cfg(test)]
mod tests;

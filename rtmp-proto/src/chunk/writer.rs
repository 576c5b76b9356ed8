//! The chunk stream writer: messages in, chunks out, with header compression.

use super::{
    ChunkError, DEFAULT_CHUNK_SIZE, EXTENDED_TIMESTAMP_MARKER, MAX_CHUNK_STREAM_ID,
    MAX_MESSAGE_LENGTH, MIN_CHUNK_STREAM_ID, PROTOCOL_CONTROL_CHUNK_STREAM_ID, check_chunk_size,
};
use crate::message::{Message, RawMessage};
use alloc::vec::Vec;
use bytes::BufMut;

/// The longest chunk header: 3-byte basic header, 11-byte message header,
/// 4-byte extended timestamp.
const MAX_HEADER_LEN: usize = 18;

/// What the writer remembers about the last message on one chunk stream.
#[derive(Debug, Clone, Copy)]
struct SendStream {
    csid: u32,
    stream_id: u32,
    timestamp: u32,
    length: u32,
    type_id: u8,
    /// The delta of the last format 1/2/3 header; `None` after a format 0
    /// header, so the next message never uses format 3 right after format 0
    /// (readers disagree on what delta that implies: ffmpeg and the spec use
    /// the format 0 timestamp, nginx-rtmp 0).
    delta: Option<u32>,
}

/// A small stack buffer for one chunk header.
struct HeaderBuf {
    bytes: [u8; MAX_HEADER_LEN],
    len: usize,
}

impl HeaderBuf {
    fn new() -> Self {
        Self {
            bytes: [0; MAX_HEADER_LEN],
            len: 0,
        }
    }

    fn push(&mut self, data: &[u8]) {
        if let Some(slot) = self.bytes.get_mut(self.len..self.len + data.len()) {
            slot.copy_from_slice(data);
            self.len += data.len();
        }
    }

    fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }

    /// The basic header for `fmt` and `csid` (2..=65599, checked by the caller).
    fn basic_header(&mut self, fmt: u8, csid: u32) {
        let fmt = fmt << 6;
        if csid < 64 {
            self.push(&[fmt | csid as u8]);
        } else if csid < 64 + 256 {
            self.push(&[fmt, (csid - 64) as u8]);
        } else {
            let [lo, hi] = ((csid - 64) as u16).to_le_bytes();
            self.push(&[fmt | 1, lo, hi]);
        }
    }
}

/// Splits messages into chunks, compressing headers.
///
/// Header format per message, per chunk stream:
/// - format 0 (full header) for the first message on a chunk stream, when
///   the message stream id changes, or when the timestamp goes backwards;
/// - format 1 (delta, length, type) when length or type changed;
/// - format 2 (delta only) when only the delta changed, and for the first
///   message after a format 0 header;
/// - format 3 (no header) when length, type and delta repeat.
///
/// Timestamps of 0xFFFFFF and above go in the extended timestamp field, and
/// every format 3 continuation chunk repeats it, as ffmpeg, nginx-rtmp and
/// OBS write and read it.
///
/// Each message is written whole; the writer never interleaves messages.
///
/// # Chunk size
/// The writer starts at 128. Either let it send the change itself with
/// [`write_set_chunk_size`](Self::write_set_chunk_size), or, if you send
/// the Set Chunk Size message yourself, call
/// [`set_chunk_size`](Self::set_chunk_size) right after writing it.
#[derive(Debug, Clone)]
pub struct ChunkWriter {
    chunk_size: u32,
    streams: Vec<SendStream>,
}

impl Default for ChunkWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkWriter {
    /// A writer with chunk size 128.
    pub fn new() -> Self {
        Self {
            chunk_size: DEFAULT_CHUNK_SIZE,
            streams: Vec::new(),
        }
    }

    /// The chunk size chunks are written with.
    pub fn chunk_size(&self) -> u32 {
        self.chunk_size
    }

    /// Switches the chunk size for the following messages. Call it after
    /// writing the Set Chunk Size message that announces it.
    pub fn set_chunk_size(&mut self, size: u32) -> Result<(), ChunkError> {
        self.chunk_size = check_chunk_size(size)?;
        Ok(())
    }

    /// Forgets what was last written on chunk stream `csid`: the next
    /// message on it gets a full (format 0) header. For when something
    /// else (another writer, pre-chunked bytes) wrote on that chunk stream.
    pub fn forget_chunk_stream(&mut self, csid: u32) {
        self.streams.retain(|s| s.csid != csid);
    }

    /// Writes a Set Chunk Size message (chunk stream 2, message stream 0,
    /// timestamp 0) with the current chunk size, then switches to `size`.
    pub fn write_set_chunk_size<B: BufMut>(
        &mut self,
        size: u32,
        out: &mut B,
    ) -> Result<(), ChunkError> {
        check_chunk_size(size)?;
        self.write_message(
            PROTOCOL_CONTROL_CHUNK_STREAM_ID,
            0,
            0,
            &Message::SetChunkSize(size),
            out,
        )?;
        self.set_chunk_size(size)
    }

    /// Encodes a typed message and writes it on chunk stream `csid`.
    pub fn write_message<B: BufMut>(
        &mut self,
        csid: u32,
        timestamp: u32,
        stream_id: u32,
        message: &Message,
        out: &mut B,
    ) -> Result<(), ChunkError> {
        let payload = message.to_payload();
        self.write_chunks(
            csid,
            timestamp,
            message.type_id(),
            stream_id,
            &payload,
            |header, body| {
                out.put_slice(header);
                out.put_slice(body);
            },
        )
    }

    /// Writes `message` on chunk stream `csid` into `out`.
    pub fn write<B: BufMut>(
        &mut self,
        csid: u32,
        message: &RawMessage,
        out: &mut B,
    ) -> Result<(), ChunkError> {
        self.write_chunks(
            csid,
            message.timestamp,
            message.type_id,
            message.stream_id,
            &message.payload,
            |header, body| {
                out.put_slice(header);
                out.put_slice(body);
            },
        )
    }

    /// Splits a message into chunks and hands each to `emit` as (chunk header,
    /// slice of `payload`), in order; for vectored writes without copying
    /// the payload. [`write`](Self::write) is this plus two `put_slice`s.
    ///
    /// The header lives only for the call (copy it out); the body slice
    /// borrows `payload` for its whole lifetime `'p`, so a caller can keep
    /// the slices (as `IoSlice`s for one `writev`, or as
    /// `Bytes::slice_ref` of the payload's `Bytes`) without copying:
    ///
    /// ```
    /// use rtmp_proto::chunk::ChunkWriter;
    /// let payload = vec![7u8; 300];
    /// let mut headers = Vec::new();
    /// let mut bodies: Vec<&[u8]> = Vec::new();
    /// ChunkWriter::new()
    ///     .write_chunks(6, 0, 9, 1, &payload, |header, body| {
    ///         headers.extend_from_slice(header);
    ///         bodies.push(body);
    ///     })
    ///     .unwrap();
    /// assert_eq!(bodies.iter().map(|b| b.len()).collect::<Vec<_>>(), [128, 128, 44]);
    /// assert_eq!(headers.len(), 12 + 1 + 1);
    /// ```
    ///
    /// Fails, writing nothing, if `csid` is outside 2..=65599 or the payload
    /// is longer than 16 MiB - 1.
    pub fn write_chunks<'p, F: FnMut(&[u8], &'p [u8])>(
        &mut self,
        csid: u32,
        timestamp: u32,
        type_id: u8,
        stream_id: u32,
        payload: &'p [u8],
        mut emit: F,
    ) -> Result<(), ChunkError> {
        if !(MIN_CHUNK_STREAM_ID..=MAX_CHUNK_STREAM_ID).contains(&csid) {
            return Err(ChunkError::InvalidChunkStreamId(csid));
        }
        let length = u32::try_from(payload.len())
            .ok()
            .filter(|&l| l <= MAX_MESSAGE_LENGTH)
            .ok_or(ChunkError::MessageTooLong {
                length: u32::try_from(payload.len()).unwrap_or(u32::MAX),
                max: MAX_MESSAGE_LENGTH,
            })?;
        let next = SendStream {
            csid,
            stream_id,
            timestamp,
            length,
            type_id,
            delta: None,
        };
        let (fmt, field) = match self.streams.iter_mut().find(|s| s.csid == csid) {
            Some(prev) if prev.stream_id == stream_id && timestamp >= prev.timestamp => {
                let delta = timestamp - prev.timestamp;
                let fmt = if prev.length != length || prev.type_id != type_id {
                    1
                } else if prev.delta == Some(delta) {
                    3
                } else {
                    2
                };
                *prev = SendStream {
                    delta: Some(delta),
                    ..next
                };
                (fmt, delta)
            }
            Some(prev) => {
                *prev = next;
                (0, timestamp)
            }
            None => {
                self.streams.push(next);
                (0, timestamp)
            }
        };

        let extended = field >= EXTENDED_TIMESTAMP_MARKER;
        let mut header = HeaderBuf::new();
        header.basic_header(fmt, csid);
        let be24 = |v: u32| {
            let [_, a, b, c] = v.to_be_bytes();
            [a, b, c]
        };
        if fmt < 3 {
            header.push(&be24(field.min(EXTENDED_TIMESTAMP_MARKER)));
        }
        if fmt < 2 {
            header.push(&be24(length));
            header.push(&[type_id]);
        }
        if fmt == 0 {
            header.push(&stream_id.to_le_bytes());
        }
        if extended {
            header.push(&field.to_be_bytes());
        }

        let mut continuation = HeaderBuf::new();
        continuation.basic_header(3, csid);
        if extended {
            continuation.push(&field.to_be_bytes());
        }

        let chunk_size = self.chunk_size as usize;
        let mut chunks = payload.chunks(chunk_size);
        emit(header.as_slice(), chunks.next().unwrap_or(&[]));
        for chunk in chunks {
            emit(continuation.as_slice(), chunk);
        }
        Ok(())
    }
}

//! Chunk-encoding a relayed frame once for every player that shares the
//! server's chunk size and message stream id.
//!
//! A player's media would otherwise go through its own session's chunk
//! writer, which copies the tag body into that session's send buffer: one
//! copy per frame per player. Here each frame is split into chunks once,
//! with a full (format 0) header so the encoding does not depend on what a
//! player received before; the chunk headers are kept in one small buffer
//! and the chunk payloads are slices of the publisher's `Bytes`, so players
//! write them with vectored writes and nothing is copied at all.
//!
//! The chunks come from [`rtmp_proto::session::chunk_media`], on the
//! session's media chunk streams, and the player's session is told of every
//! frame written this way ([`ServerSession::sent_prechunked_media`]), so
//! its byte counters hold and its own next message on that chunk stream
//! starts with a full header.
//!
//! [`ServerSession::sent_prechunked_media`]: rtmp_proto::session::ServerSession::sent_prechunked_media

use std::sync::OnceLock;

use bytes::Bytes;
use rtmp_proto::media::MediaKind;
use rtmp_proto::session::{StreamId, chunk_media};

/// A frame's chunks for one (chunk size, message stream id): alternating
/// header and payload slices, in wire order.
#[derive(Debug)]
pub(crate) struct Encoded {
    chunk_size: u32,
    stream_id: u32,
    parts: Vec<Bytes>,
    /// Bytes on the wire, headers and payload.
    len: usize,
}

impl Encoded {
    /// Alternating header and payload slices, in wire order.
    pub(crate) fn parts(&self) -> &[Bytes] {
        &self.parts
    }

    /// Bytes on the wire.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

/// The chunk encoding a frame keeps for the players that share it.
#[derive(Debug, Default)]
pub(crate) struct ChunkCache(OnceLock<Option<Encoded>>);

impl ChunkCache {
    /// Appends the chunks of `body` for a player with `chunk_size` and
    /// `stream_id` to `out` (as `wrap(part)`): the shared encoding when
    /// they match the first player's (nearly always: the server sets the
    /// chunk size and players take stream 1), else one made for this
    /// player. Answers the bytes appended; `None`, appending nothing, if
    /// the message cannot be chunked (too long, bad chunk size).
    pub(crate) fn append<T>(
        &self,
        frame: (MediaKind, u32, &Bytes),
        chunk_size: u32,
        stream_id: u32,
        out: &mut Vec<T>,
        wrap: impl Fn(Bytes) -> T,
    ) -> Option<usize> {
        let (kind, timestamp, body) = frame;
        let shared = self
            .0
            .get_or_init(|| encode(kind, timestamp, body, chunk_size, stream_id));
        match shared {
            Some(e) if e.chunk_size == chunk_size && e.stream_id == stream_id => {
                out.extend(e.parts.iter().cloned().map(wrap));
                Some(e.len)
            }
            _ => match encode(kind, timestamp, body, chunk_size, stream_id) {
                Some(e) => {
                    out.extend(e.parts.into_iter().map(wrap));
                    Some(e.len)
                }
                None => None,
            },
        }
    }

    /// The shared encoding, if it is the one for `chunk_size` and
    /// `stream_id` (made now if no player asked before). A player queues
    /// the frame itself then, not clones of its parts: cloning a `Bytes`
    /// is an atomic increment on a counter every player shares.
    pub(crate) fn shared(
        &self,
        frame: (MediaKind, u32, &Bytes),
        chunk_size: u32,
        stream_id: u32,
    ) -> Option<&Encoded> {
        let (kind, timestamp, body) = frame;
        self.0
            .get_or_init(|| encode(kind, timestamp, body, chunk_size, stream_id))
            .as_ref()
            .filter(|e| e.chunk_size == chunk_size && e.stream_id == stream_id)
    }

    /// The shared encoding, once made.
    pub(crate) fn encoded(&self) -> Option<&Encoded> {
        self.0.get().and_then(Option::as_ref)
    }

    #[cfg(test)]
    fn parts(
        &self,
        kind: MediaKind,
        timestamp: u32,
        body: &Bytes,
        chunk_size: u32,
        stream_id: u32,
    ) -> Option<Vec<Bytes>> {
        let mut out = Vec::new();
        self.append(
            (kind, timestamp, body),
            chunk_size,
            stream_id,
            &mut out,
            |b| b,
        )
        .map(|_| out)
    }
}

fn encode(
    kind: MediaKind,
    timestamp: u32,
    body: &Bytes,
    chunk_size: u32,
    stream_id: u32,
) -> Option<Encoded> {
    let mut headers = Vec::with_capacity(16 + body.len() / chunk_size.max(1) as usize * 5);
    // (header end, payload slice) per chunk: the slices borrow `body`.
    let mut chunks: Vec<(usize, &[u8])> = Vec::new();
    chunk_media(
        kind,
        timestamp,
        StreamId(stream_id),
        chunk_size,
        body,
        |header, payload| {
            headers.extend_from_slice(header);
            chunks.push((headers.len(), payload));
        },
    )
    .ok()?;
    let headers = Bytes::from(headers);
    let mut parts = Vec::with_capacity(chunks.len() * 2);
    let mut header_start = 0;
    for (header_end, payload) in chunks {
        parts.push(headers.slice(header_start..header_end));
        if !payload.is_empty() {
            parts.push(body.slice_ref(payload));
        }
        header_start = header_end;
    }
    Some(Encoded {
        chunk_size,
        stream_id,
        len: headers.len() + body.len(),
        parts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtmp_proto::chunk::{ChunkReader, ChunkWriter};
    use rtmp_proto::message::type_id;
    use rtmp_proto::session::VIDEO_CHUNK_STREAM_ID;

    fn concat(parts: &[Bytes]) -> Vec<u8> {
        parts.iter().flat_map(|p| p.iter().copied()).collect()
    }

    #[test]
    fn shared_chunks_are_what_a_fresh_chunk_writer_writes() {
        let body = Bytes::from((0..10_000u32).map(|i| i as u8).collect::<Vec<_>>());
        let parts = ChunkCache::default()
            .parts(MediaKind::Video, 1234, &body, 4096, 1)
            .unwrap();
        let mut expected = Vec::new();
        let mut writer = ChunkWriter::new();
        writer.set_chunk_size(4096).unwrap();
        let message = rtmp_proto::message::RawMessage {
            timestamp: 1234,
            type_id: type_id::VIDEO,
            stream_id: 1,
            payload: body.clone(),
        };
        writer
            .write(VIDEO_CHUNK_STREAM_ID, &message, &mut expected)
            .unwrap();
        assert_eq!(concat(&parts), expected);
        // Three chunks: header + payload each.
        assert_eq!(parts.len(), 6);
    }

    #[test]
    fn chunks_with_extended_timestamps_read_back() {
        let body = Bytes::from(vec![7u8; 9000]);
        let parts = ChunkCache::default()
            .parts(MediaKind::Audio, 0x0100_0000, &body, 4096, 1)
            .unwrap();
        let mut reader = ChunkReader::new();
        reader.set_chunk_size(4096).unwrap();
        let mut wire = bytes::BytesMut::from(&concat(&parts)[..]);
        let message = reader.read_message(&mut wire).unwrap().unwrap();
        assert_eq!(message.message.timestamp, 0x0100_0000);
        assert_eq!(message.message.payload, body);
    }

    #[test]
    fn a_player_with_another_chunk_size_gets_its_own_encoding() {
        let cache = ChunkCache::default();
        let body = Bytes::from(vec![1u8; 300]);
        let first = cache.parts(MediaKind::Video, 0, &body, 4096, 1).unwrap();
        let other = cache.parts(MediaKind::Video, 0, &body, 128, 1).unwrap();
        assert_eq!(first.len(), 2);
        assert_eq!(other.len(), 6);
        assert_eq!(
            cache.parts(MediaKind::Video, 0, &body, 4096, 1).unwrap(),
            first
        );
    }
}

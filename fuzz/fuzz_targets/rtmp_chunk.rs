//! The chunk reader on arbitrary bytes in arbitrary splits; every message it
//! yields also goes through the message decoder and the aggregate splitter.
//!
//! Input layout: byte 0 seeds the split sizes, byte 1 picks small limits or
//! the defaults; the rest is the chunk stream.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rtmp_proto::chunk::{ChunkLimits, ChunkReader};
use rtmp_proto::message::{AggregateSplitter, type_id};

fuzz_target!(|data: &[u8]| {
    let [seed, mode, stream @ ..] = data else {
        return;
    };
    let limits = if mode & 1 == 0 {
        ChunkLimits::default()
    } else {
        ChunkLimits {
            max_message_length: 4096,
            max_chunk_streams: 4,
            max_buffered_bytes: 8192,
        }
    };
    let mut reader = ChunkReader::with_limits(limits);
    let mut input = BytesMut::new();
    let mut state = u32::from(*seed) | 1;
    let mut rest = stream;
    'feed: while !rest.is_empty() {
        // xorshift32 split sizes: 1..=64, or everything left.
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = if state % 8 == 0 {
            rest.len()
        } else {
            (state % 64 + 1) as usize
        }
        .min(rest.len());
        let (piece, tail) = rest.split_at(n);
        rest = tail;
        input.extend_from_slice(piece);
        loop {
            match reader.read_message(&mut input) {
                Ok(Some(received)) => {
                    let message = received.message;
                    assert!(message.payload.len() <= limits.max_message_length as usize);
                    let _ = message.decode();
                    if message.type_id == type_id::AGGREGATE {
                        for part in AggregateSplitter::new(&message) {
                            if let Ok(part) = part {
                                let _ = part.decode();
                            }
                        }
                    }
                }
                Ok(None) => break,
                Err(_) => break 'feed,
            }
            assert!(reader.buffered_bytes() <= limits.max_buffered_bytes);
            assert!(reader.chunk_stream_count() <= limits.max_chunk_streams);
        }
    }
    let _ = reader.poll_acknowledgement();
});

//! RTMP chunk reading and writing, ours against `rml_rtmp` (crates.io) on the
//! same bytes in the same run.
//!
//! Workloads:
//! - `fixture`: ffmpeg publishing to nginx (client to server), handshake
//!   removed: connect, createStream, publish, metadata, then audio and video
//!   at chunk size 4096 (ffmpeg sends Set Chunk Size 4096 after connect).
//! - `synthetic_20mbps_cs128` / `_cs4096`: one second of a 20 Mbit/s stream,
//!   25 fps video (a keyframe four times the size of the other frames) on
//!   chunk stream 6 and 47 AAC frames (about 300 bytes) on chunk stream 4,
//!   interleaved by timestamp, written by our writer at chunk size 128, or
//!   after a Set Chunk Size 4096.
//!
//! Reading: both readers must return the same messages (checked before
//! timing). `rml_rtmp`'s API takes `&[u8]` and copies it into its own
//! buffer, so it gets the stream in 64 KiB pieces, as socket reads would
//! hand it over. Ours is measured twice: `rtmp-proto` with the stream
//! already in its `BytesMut` (an adapter reads the socket straight into that
//! buffer, so this is its real cost), and `rtmp-proto, copied in 64 KiB`,
//! which pays for the same extra copy `rml_rtmp` makes. Each reader follows the peer's Set
//! Chunk Size as its documentation asks: ours by itself, `rml_rtmp`'s
//! because the loop calls `set_max_chunk_size` on seeing the message.
//! Throughput is wire bytes.
//!
//! Writing: the same messages through our writer (into one reused buffer)
//! and through `rml_rtmp`'s serializer (one `Vec` per message, which is its
//! API). Throughput is payload bytes, the same for both. The row
//! `rtmp-proto, zero-copy gather` is what an adapter's `writev` path does:
//! `write_chunks` with the chunk headers copied into one reused buffer and
//! the payload slices only referenced (kept as (header end, body slice)
//! pairs, from which the `IoSlice`s are made), so no payload byte moves.
#![allow(missing_docs)]

use std::hint::black_box;

use bytes::{Buf, Bytes, BytesMut};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rml_rtmp::chunk_io::{ChunkDeserializer, ChunkSerializer};
use rml_rtmp::messages::MessagePayload;
use rml_rtmp::time::RtmpTimestamp;
use rtmp_proto::chunk::{ChunkReader, ChunkWriter};
use rtmp_proto::message::{RawMessage, type_id};

/// C0 (1 byte) + C1 (1536) + C2 (1536).
const HANDSHAKE_LEN: usize = 1 + 1536 + 1536;
/// How much a socket read hands the reader at a time.
const FEED: usize = 64 * 1024;
/// ffmpeg's chunk streams for audio and video when publishing.
const AUDIO_CSID: u32 = 4;
const VIDEO_CSID: u32 = 6;

/// What both readers must agree on: type, timestamp, stream id, payload.
type Summary = Vec<(u8, u32, u32, Bytes)>;

fn fixture() -> Vec<u8> {
    let path = benches::rtmp_data_dir().join("rtmp-ffmpeg-publish-to-nginx.client-to-server.bin");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    bytes[HANDSHAKE_LEN..].to_vec()
}

/// A small deterministic generator (xorshift64*), so the stream is the same
/// in every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// `base` ± 10 %.
    fn around(&mut self, base: usize) -> usize {
        let spread = base / 5;
        base - spread / 2 + (self.next() % spread as u64) as usize
    }

    fn payload(&mut self, first: &[u8], len: usize) -> Bytes {
        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(first);
        while out.len() < len {
            out.extend_from_slice(&self.next().to_le_bytes());
        }
        out.truncate(len);
        Bytes::from(out)
    }
}

/// One second of 20 Mbit/s: 2.5 MB of video in 25 frames (keyframe = 4 ×
/// inter frame, so 1 × 4x + 24 × x = 2.5 MB) and 47 AAC frames at 48 kHz.
fn synthetic_messages() -> Vec<(u32, RawMessage)> {
    const BYTES_PER_SECOND: usize = 20_000_000 / 8;
    let inter = BYTES_PER_SECOND / 28;
    let mut rng = Rng(0x5EED_2026_0020_4D62);
    let mut out = Vec::new();
    for frame in 0..25u32 {
        let keyframe = frame % 25 == 0;
        let len = rng.around(if keyframe { 4 * inter } else { inter });
        let tag: &[u8] = if keyframe {
            &[0x17, 0x01, 0, 0, 0]
        } else {
            &[0x27, 0x01, 0, 0, 0]
        };
        out.push((
            VIDEO_CSID,
            RawMessage {
                timestamp: frame * 40,
                type_id: type_id::VIDEO,
                stream_id: 1,
                payload: rng.payload(tag, len),
            },
        ));
    }
    for frame in 0..47u32 {
        let len = rng.around(300);
        out.push((
            AUDIO_CSID,
            RawMessage {
                timestamp: frame * 1024 * 1000 / 48_000,
                type_id: type_id::AUDIO,
                stream_id: 1,
                payload: rng.payload(&[0xAF, 0x01], len),
            },
        ));
    }
    // Interleave by timestamp, video first on ties (a stable sort keeps it).
    out.sort_by_key(|(_, m)| m.timestamp);
    out
}

/// The messages chunked by our writer; a Set Chunk Size first unless
/// `chunk_size` is the default 128.
fn write_ours(messages: &[(u32, RawMessage)], chunk_size: u32, out: &mut Vec<u8>) {
    let mut writer = ChunkWriter::new();
    if chunk_size != writer.chunk_size() {
        writer
            .write_set_chunk_size(chunk_size, out)
            .expect("valid chunk size");
    }
    for (csid, message) in messages {
        writer.write(*csid, message, out).expect("valid message");
    }
}

/// The messages chunked by our writer for a vectored write: headers
/// copied into `headers`, payload slices referenced in `chunks` as (end of
/// the chunk's header in `headers`, payload slice).
fn gather_ours<'m>(
    messages: &'m [(u32, RawMessage)],
    chunk_size: u32,
    headers: &mut Vec<u8>,
    chunks: &mut Vec<(usize, &'m [u8])>,
) {
    let mut writer = ChunkWriter::new();
    if chunk_size != writer.chunk_size() {
        writer
            .write_set_chunk_size(chunk_size, headers)
            .expect("valid chunk size");
    }
    for (csid, message) in messages {
        writer
            .write_chunks(
                *csid,
                message.timestamp,
                message.type_id,
                message.stream_id,
                &message.payload,
                |header, body| {
                    headers.extend_from_slice(header);
                    chunks.push((headers.len(), body));
                },
            )
            .expect("valid message");
    }
}

fn to_rml(message: &RawMessage) -> MessagePayload {
    MessagePayload {
        timestamp: RtmpTimestamp::new(message.timestamp),
        type_id: message.type_id,
        message_stream_id: message.stream_id,
        data: message.payload.clone(),
    }
}

/// The messages chunked by `rml_rtmp`'s serializer; returns the total
/// length (its API hands back one `Vec` per message).
fn write_rml(messages: &[MessagePayload], chunk_size: u32) -> usize {
    let mut serializer = ChunkSerializer::new();
    let mut total = 0;
    if chunk_size != 128 {
        let packet = serializer
            .set_max_chunk_size(chunk_size, RtmpTimestamp::new(0))
            .expect("valid chunk size");
        total += black_box(packet.bytes).len();
    }
    for message in messages {
        let packet = serializer
            .serialize(message, false, false)
            .expect("valid message");
        total += black_box(packet.bytes).len();
    }
    total
}

/// Reads the chunks in `input` with our reader; calls `each` per message.
fn read_ours_buffered(mut input: BytesMut, mut each: impl FnMut(&RawMessage)) {
    let mut reader = ChunkReader::new();
    while let Some(received) = reader.read_message(&mut input).expect("legal stream") {
        each(&received.message);
    }
    assert!(input.is_empty(), "stream ends on a chunk boundary");
}

/// Reads `stream` with our reader, copying it in 64 KiB pieces; calls `each`
/// per message.
fn read_ours(stream: &[u8], mut each: impl FnMut(&RawMessage)) {
    let mut reader = ChunkReader::new();
    let mut input = BytesMut::with_capacity(2 * FEED);
    for piece in stream.chunks(FEED) {
        input.extend_from_slice(piece);
        while let Some(received) = reader.read_message(&mut input).expect("legal stream") {
            each(&received.message);
        }
    }
    assert!(input.is_empty(), "stream ends on a chunk boundary");
}

/// Reads `stream` with `rml_rtmp`'s deserializer, applying Set Chunk Size as
/// its documentation asks (before the next call); calls `each` per message.
fn read_rml(stream: &[u8], mut each: impl FnMut(&MessagePayload)) {
    let mut deserializer = ChunkDeserializer::new();
    for piece in stream.chunks(FEED) {
        let mut next = piece;
        while let Some(message) = deserializer.get_next_message(next).expect("legal stream") {
            next = &[];
            if message.type_id == type_id::SET_CHUNK_SIZE {
                let size = message
                    .data
                    .first_chunk::<4>()
                    .map(|b| u32::from_be_bytes(*b))
                    .expect("4-byte Set Chunk Size");
                deserializer
                    .set_max_chunk_size(size as usize)
                    .expect("valid chunk size");
            }
            each(&message);
        }
    }
}

/// For each message of `summary`: its length and the chunk size it was
/// read at (128 until a Set Chunk Size).
fn copy_plan(summary: &Summary) -> Vec<(usize, usize)> {
    let mut chunk_size = 128;
    let mut plan = Vec::new();
    for (type_id, _, _, payload) in summary {
        plan.push((payload.len(), chunk_size));
        if *type_id == type_id::SET_CHUNK_SIZE {
            chunk_size = payload
                .first_chunk::<4>()
                .map(|b| u32::from_be_bytes(*b) as usize)
                .expect("4-byte Set Chunk Size");
        }
    }
    plan
}

/// The floor any reader with our output type pays, without reading a
/// header: split a one-chunk payload off the buffer, copy a longer one
/// chunk by chunk into a buffer of its length. `payloads` is the payloads
/// back to back.
fn copy_floor(plan: &[(usize, usize)], mut payloads: BytesMut) -> usize {
    let mut count = 0;
    for &(len, chunk_size) in plan {
        if len <= chunk_size {
            black_box(payloads.split_to(len).freeze());
        } else {
            let mut message = BytesMut::with_capacity(len);
            let mut left = len;
            while left > 0 {
                let n = left.min(chunk_size);
                message.extend_from_slice(&payloads[..n]);
                payloads.advance(n);
                left -= n;
            }
            black_box(message.freeze());
        }
        count += 1;
    }
    count
}

/// The floor of a reader that hands a multi-chunk payload over as the
/// chunks' own bytes (a list of `Bytes` split off the buffer) instead of
/// copying them together: what a segmented payload type would cost.
fn segment_floor(plan: &[(usize, usize)], mut payloads: BytesMut) -> usize {
    let mut count = 0;
    for &(len, chunk_size) in plan {
        let mut segments = Vec::with_capacity(len.div_ceil(chunk_size));
        let mut left = len;
        while left > 0 {
            let n = left.min(chunk_size);
            segments.push(payloads.split_to(n).freeze());
            left -= n;
        }
        black_box(segments);
        count += 1;
    }
    count
}

fn summary_ours(stream: &[u8]) -> Summary {
    let mut out = Vec::new();
    read_ours(stream, |m| {
        out.push((m.type_id, m.timestamp, m.stream_id, m.payload.clone()))
    });
    out
}

fn summary_rml(stream: &[u8]) -> Summary {
    let mut out = Vec::new();
    read_rml(stream, |m| {
        out.push((
            m.type_id,
            m.timestamp.value,
            m.message_stream_id,
            m.data.clone(),
        ))
    });
    out
}

fn read_workloads() -> Vec<(String, Vec<u8>)> {
    let messages = synthetic_messages();
    let mut out = vec![("fixture_publish".to_owned(), fixture())];
    for chunk_size in [128, 4096] {
        let mut stream = Vec::new();
        write_ours(&messages, chunk_size, &mut stream);
        out.push((format!("synthetic_20mbps_cs{chunk_size}"), stream));
    }
    out
}

fn read(c: &mut Criterion) {
    for (name, stream) in read_workloads() {
        // Both must read the workload to the same messages, or the
        // comparison means nothing.
        let ours = summary_ours(&stream);
        let theirs = summary_rml(&stream);
        assert!(ours.len() > 2, "{name}: the stream holds messages");
        assert_eq!(ours.len(), theirs.len(), "{name}: message count");
        assert!(
            ours == theirs,
            "{name}: both readers return the same messages"
        );

        let plan = copy_plan(&ours);
        let payloads: Vec<u8> = ours.iter().flat_map(|(.., p)| p.iter().copied()).collect();

        let mut group = c.benchmark_group(format!("rtmp_chunk_read/{name}"));
        group.throughput(Throughput::Bytes(stream.len() as u64));
        group.bench_function("rtmp-proto", |b| {
            b.iter_batched(
                || BytesMut::from(&stream[..]),
                |input| {
                    let mut count = 0usize;
                    read_ours_buffered(input, |m| {
                        black_box(m);
                        count += 1;
                    });
                    count
                },
                BatchSize::LargeInput,
            )
        });
        group.bench_function("floor: payload split or copied, no headers", |b| {
            b.iter_batched(
                || BytesMut::from(&payloads[..]),
                |input| copy_floor(&plan, input),
                BatchSize::LargeInput,
            )
        });
        group.bench_function("floor: chunks split off, not copied together", |b| {
            b.iter_batched(
                || BytesMut::from(&payloads[..]),
                |input| segment_floor(&plan, input),
                BatchSize::LargeInput,
            )
        });
        group.bench_function("rtmp-proto, copied in 64 KiB", |b| {
            b.iter(|| {
                let mut count = 0usize;
                read_ours(black_box(&stream), |m| {
                    black_box(m);
                    count += 1;
                });
                count
            })
        });
        group.bench_function("rml_rtmp", |b| {
            b.iter(|| {
                let mut count = 0usize;
                read_rml(black_box(&stream), |m| {
                    black_box(m);
                    count += 1;
                });
                count
            })
        });
        group.finish();
    }
}

fn write(c: &mut Criterion) {
    let messages = synthetic_messages();
    let rml_messages: Vec<MessagePayload> = messages.iter().map(|(_, m)| to_rml(m)).collect();
    let payload_bytes: usize = messages.iter().map(|(_, m)| m.payload.len()).sum();
    for chunk_size in [128u32, 4096] {
        // Both writers' output must read back to the messages written.
        let mut ours = Vec::new();
        write_ours(&messages, chunk_size, &mut ours);
        let mut theirs = Vec::new();
        let mut serializer = ChunkSerializer::new();
        if chunk_size != 128 {
            let packet = serializer
                .set_max_chunk_size(chunk_size, RtmpTimestamp::new(0))
                .expect("valid chunk size");
            theirs.extend_from_slice(&packet.bytes);
        }
        for message in &rml_messages {
            let packet = serializer.serialize(message, false, false).expect("valid");
            theirs.extend_from_slice(&packet.bytes);
        }
        let media = |s: Summary| -> Summary {
            s.into_iter()
                .filter(|(t, ..)| *t != type_id::SET_CHUNK_SIZE)
                .collect()
        };
        let written: Summary = messages
            .iter()
            .map(|(_, m)| (m.type_id, m.timestamp, m.stream_id, m.payload.clone()))
            .collect();
        assert!(media(summary_ours(&ours)) == written, "ours reads back");
        let (mut headers, mut chunks) = (Vec::new(), Vec::new());
        gather_ours(&messages, chunk_size, &mut headers, &mut chunks);
        let mut gathered = Vec::new();
        let mut header_start = 0;
        for (header_end, body) in &chunks {
            gathered.extend_from_slice(&headers[header_start..*header_end]);
            gathered.extend_from_slice(body);
            header_start = *header_end;
        }
        gathered.extend_from_slice(&headers[header_start..]);
        assert!(gathered == ours, "the gather is the same bytes");
        assert!(
            media(summary_rml(&theirs)) == written,
            "rml_rtmp's reads back"
        );

        let mut group =
            c.benchmark_group(format!("rtmp_chunk_write/synthetic_20mbps_cs{chunk_size}"));
        group.throughput(Throughput::Bytes(payload_bytes as u64));
        let mut out = Vec::with_capacity(ours.len());
        group.bench_function("rtmp-proto", |b| {
            b.iter(|| {
                out.clear();
                write_ours(black_box(&messages), chunk_size, &mut out);
                black_box(out.len())
            })
        });
        group.bench_function("rtmp-proto, zero-copy gather", |b| {
            b.iter(|| {
                headers.clear();
                chunks.clear();
                gather_ours(black_box(&messages), chunk_size, &mut headers, &mut chunks);
                black_box((headers.len(), chunks.len()))
            })
        });
        group.bench_function("rml_rtmp", |b| {
            b.iter(|| write_rml(black_box(&rml_messages), chunk_size))
        });
        group.finish();
    }
}

criterion_group!(benches, read, write);
criterion_main!(benches);

//! AMF0 decode and encode of a real `connect` command, ours against
//! `rml_rtmp`'s `rml_amf0` in the same run.
//!
//! The body is the first message ffmpeg sends after the handshake when
//! publishing to nginx (fixture `rtmp-ffmpeg-publish-to-nginx`), reassembled
//! by our chunk reader: `"connect"`, transaction id 1, and the command
//! object (app, type, flashVer, tcUrl).
#![allow(missing_docs)]

use std::hint::black_box;
use std::io::Cursor;

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rml_rtmp::rml_amf0;
use rtmp_proto::amf0;
use rtmp_proto::chunk::ChunkReader;
use rtmp_proto::message::type_id;

/// C0 (1 byte) + C1 (1536) + C2 (1536).
const HANDSHAKE_LEN: usize = 1 + 1536 + 1536;

fn connect_body() -> Vec<u8> {
    let path = benches::rtmp_data_dir().join("rtmp-ffmpeg-publish-to-nginx.client-to-server.bin");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut input = BytesMut::from(&bytes[HANDSHAKE_LEN..]);
    let first = ChunkReader::new()
        .read_message(&mut input)
        .expect("the fixture is a legal chunk stream")
        .expect("it starts with a complete message");
    assert_eq!(first.message.type_id, type_id::COMMAND_AMF0);
    first.message.payload.to_vec()
}

fn decode(c: &mut Criterion) {
    let body = connect_body();
    // Both must decode the body to the same three values, or the comparison
    // means nothing.
    let ours = amf0::decode_all(&body).expect("ours decodes connect");
    let theirs = rml_amf0::deserialize(&mut Cursor::new(&body[..])).expect("rml decodes connect");
    assert_eq!(ours.len(), 3, "name, transaction id, command object");
    assert_eq!(theirs.len(), ours.len());
    assert_eq!(ours[0].as_str(), Some("connect"));

    let mut group = c.benchmark_group("rtmp_amf0_decode/connect");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("rtmp-proto", |b| {
        b.iter(|| black_box(amf0::decode_all(black_box(&body))))
    });
    group.bench_function("rml_rtmp (rml_amf0)", |b| {
        b.iter(|| {
            black_box(rml_amf0::deserialize(&mut Cursor::new(black_box(
                &body[..],
            ))))
        })
    });
    group.finish();
}

fn encode(c: &mut Criterion) {
    let body = connect_body();
    let ours = amf0::decode_all(&body).expect("ours decodes connect");
    let theirs = rml_amf0::deserialize(&mut Cursor::new(&body[..])).expect("rml decodes connect");
    // Ours re-encodes to the bytes ffmpeg sent; rml_amf0 keeps objects in a
    // HashMap, so only its length can be compared.
    let mut out = Vec::with_capacity(body.len());
    amf0::encode_all(&ours, &mut out).expect("ours encodes");
    assert_eq!(out, body, "ours round-trips the bytes");
    let rml_out = rml_amf0::serialize(&theirs).expect("rml encodes");
    assert_eq!(rml_out.len(), body.len(), "rml_amf0 writes as many bytes");

    let mut group = c.benchmark_group("rtmp_amf0_encode/connect");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("rtmp-proto", |b| {
        b.iter(|| {
            out.clear();
            amf0::encode_all(black_box(&ours), &mut out).expect("encodes");
            black_box(out.len())
        })
    });
    group.bench_function("rml_rtmp (rml_amf0)", |b| {
        b.iter(|| black_box(rml_amf0::serialize(black_box(&theirs))))
    });
    group.finish();
}

criterion_group!(benches, decode, encode);
criterion_main!(benches);

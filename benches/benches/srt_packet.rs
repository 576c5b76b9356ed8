//! SRT packet decode and encode, ours against srt-rs's `srt-protocol` on the
//! same bytes in the same run.
//!
//! Workloads: a 1316-byte data packet, a full ACK, a NAK with 100 ranges, and
//! libsrt's CONCLUSION handshake (with HSREQ, KMREQ and SID) from the
//! AES-128 capture.
#![allow(missing_docs)]

use std::hint::black_box;

use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use srt_proto::packet::Packet;
use srt_proto::packet::control::{Ack, AckInfo, ControlBody, ControlPacket, FullAck};
use srt_proto::packet::data::{DataPacket, EncryptionKeySpec, PacketPosition};
use srt_proto::packet::loss_list::LossList;
use srt_proto::seq::{MsgNumber, SeqNumber, SeqRange};
use srt_proto::time::Timestamp;

fn workloads() -> Vec<(&'static str, Bytes)> {
    let mut out = Vec::new();
    let mut wire = Vec::new();

    let data = Packet::Data(DataPacket {
        seq: SeqNumber::new(123_456_789),
        position: PacketPosition::Only,
        in_order: false,
        encryption: EncryptionKeySpec::Unencrypted,
        retransmitted: false,
        msg_number: MsgNumber::new(4242),
        timestamp: Timestamp::new(987_654),
        dst_socket_id: 0x1234_5678,
        payload: Bytes::from(vec![0x47u8; 1316]),
    });
    data.encode(&mut wire);
    out.push(("data_1316", Bytes::from(std::mem::take(&mut wire))));

    let ack = Packet::Control(ControlPacket {
        timestamp: Timestamp::new(1_000_000),
        dst_socket_id: 0x1234_5678,
        body: ControlBody::Ack(Ack {
            ack_number: 77,
            ack_seq: SeqNumber::new(1_000_200),
            info: AckInfo::Full(FullAck {
                rtt: 40_000,
                rtt_variance: 5_000,
                available_buffer: 8192,
                packets_receiving_rate: 950,
                estimated_link_capacity: 100_000,
                receiving_rate: Some(1_250_000),
            }),
        }),
    });
    ack.encode(&mut wire);
    out.push(("ack_full", Bytes::from(std::mem::take(&mut wire))));

    let ranges = (0..100u32).map(|i| {
        let first = SeqNumber::new(1_000_000 + i * 10);
        SeqRange::new(first, first + 3).expect("short range")
    });
    let nak = Packet::Control(ControlPacket {
        timestamp: Timestamp::new(1_000_000),
        dst_socket_id: 0x1234_5678,
        body: ControlBody::Nak(LossList::from_ranges(ranges)),
    });
    nak.encode(&mut wire);
    out.push(("nak_100_ranges", Bytes::from(std::mem::take(&mut wire))));

    let conclusion = benches::srt_capture("srt-libsrt-aes128")
        .into_iter()
        .find(|d| match Packet::decode_slice(&d.payload) {
            Ok(Packet::Control(ControlPacket {
                body: ControlBody::Handshake(hs),
                ..
            })) => hs.extensions.len() >= 3,
            _ => false,
        })
        .expect("the capture has a CONCLUSION with extensions");
    out.push(("handshake_conclusion", Bytes::from(conclusion.payload)));
    out
}

fn decode(c: &mut Criterion) {
    for (name, bytes) in workloads() {
        let mut group = c.benchmark_group(format!("srt_decode/{name}"));
        group.throughput(Throughput::Elements(1));
        // Both must accept the workload, or the comparison means nothing.
        assert!(Packet::decode(&bytes).is_ok());
        assert!(srt_protocol::packet::Packet::parse(&mut bytes.clone(), false).is_ok());
        group.bench_function("srt-proto", |b| {
            b.iter(|| black_box(Packet::decode(black_box(&bytes))))
        });
        group.bench_function("srt-protocol (srt-rs)", |b| {
            b.iter(|| {
                let mut buf = black_box(bytes.clone());
                black_box(srt_protocol::packet::Packet::parse(&mut buf, false))
            })
        });
        // The receive path: the adapter hands over the datagram it owns, so
        // neither side pays for a reference-count increment.
        group.bench_function("srt-proto owned buffer", |b| {
            b.iter_batched(
                || bytes.clone(),
                Packet::decode_owned,
                BatchSize::SmallInput,
            )
        });
        group.bench_function("srt-protocol (srt-rs) owned buffer", |b| {
            b.iter_batched(
                || bytes.clone(),
                |mut buf| srt_protocol::packet::Packet::parse(&mut buf, false),
                BatchSize::SmallInput,
            )
        });
        group.finish();
    }
}

fn encode(c: &mut Criterion) {
    for (name, bytes) in workloads() {
        let mut group = c.benchmark_group(format!("srt_encode/{name}"));
        group.throughput(Throughput::Elements(1));
        let ours = Packet::decode(&bytes).expect("decodes");
        let theirs =
            srt_protocol::packet::Packet::parse(&mut bytes.clone(), false).expect("parses");
        let mut out = Vec::with_capacity(2048);
        group.bench_function("srt-proto", |b| {
            b.iter(|| {
                out.clear();
                black_box(&ours).encode(&mut out);
                black_box(out.len())
            })
        });
        group.bench_function("srt-protocol (srt-rs)", |b| {
            b.iter(|| {
                out.clear();
                black_box(&theirs).serialize(&mut out);
                black_box(out.len())
            })
        });
        group.finish();
    }
}

criterion_group!(benches, decode, encode);
criterion_main!(benches);

//! A broadcast group's receive path, per packet, with one, two and three
//! members (ours only: srt-rs has no socket groups):
//! - `broadcast_receive`: every 1316-byte live packet arrives on each
//!   member connection (100 µs apart, ≈105 Mbit/s), which delivers it at
//!   its TSBPD time; the group takes every copy, delivers the first and
//!   discards the others. Timed: the members' `handle_packet` /
//!   `handle_timeout` / `poll_transmit` / `poll_event`, the group's
//!   `on_member_message` / `poll_output`, per group packet (one sequence
//!   number, whatever the member count). One member is the baseline: a
//!   lone connection plus the group's bookkeeping.
//! - `dedup`: the group alone, fed every copy of each sequence number by
//!   each member in turn: the cost the group adds per packet.
//!
//! Each configuration is checked to deliver every packet exactly once
//! before it is timed.
#![allow(missing_docs)]

#[path = "../../srt-proto/tests/connection_support/mod.rs"]
mod connection_support;

use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use connection_support::pair_params;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use srt_proto::connection::{Connection, ConnectionEvent};
use srt_proto::group::{
    Group, GroupConfig, GroupEvent, GroupOutput, GroupType, MemberId, MemberObservation,
};
use srt_proto::packet::{DataPacket, EncryptionKeySpec, Packet, PacketPosition};
use srt_proto::seq::{MsgNumber, SeqNumber};
use srt_proto::time::{Instant, Timestamp};

const ISN: u32 = 0x1234;
const PACKETS: u64 = 10_000;
const LATENCY: Duration = Duration::from_millis(120);
const PAYLOAD: usize = 1316;

fn at(i: u64) -> Duration {
    Duration::from_micros(i * 100)
}

fn data(i: u64, payload: &Bytes) -> Packet {
    Packet::Data(DataPacket {
        seq: SeqNumber::new(ISN).wrapping_add(i as u32),
        position: PacketPosition::Only,
        in_order: false,
        encryption: EncryptionKeySpec::Unencrypted,
        retransmitted: false,
        msg_number: MsgNumber::new(i as u32 + 1),
        timestamp: Timestamp::new(at(i).as_micros() as u32),
        dst_socket_id: 0x2222,
        payload: payload.clone(),
    })
}

struct Receiving {
    group: Group,
    members: Vec<(MemberId, Connection)>,
}

fn receiving(n: usize) -> Receiving {
    let cfg = GroupConfig::new(GroupType::Broadcast, SeqNumber::new(ISN)).latency(LATENCY);
    let mut group = Group::new(cfg, 0x4000_0001, Instant::ZERO);
    let members = (0..n)
        .map(|_| {
            let (_, mut p) = pair_params(ISN, true, LATENCY, Instant::ZERO);
            p.options.recv_buffer_packets = 8192;
            let c = Connection::new(p, [2; 32]);
            let m = group.add_member(1, Instant::ZERO).unwrap();
            group.member_connected(m, MemberObservation::of(&c), Instant::ZERO);
            (m, c)
        })
        .collect();
    while group.poll_output().is_some() {}
    Receiving { group, members }
}

/// Feeds every packet to every member at its time, with the due timer
/// work, and hands member deliveries to the group; returns what the group
/// delivered (checked outside the timing).
fn receive(r: &mut Receiving, payload: &Bytes, out: &mut Vec<u32>) {
    let Receiving { group, members } = r;
    let mut step = |group: &mut Group, members: &mut Vec<(MemberId, Connection)>, now: Instant| {
        for (m, c) in members.iter_mut() {
            while let Some(p) = c.poll_transmit(now) {
                black_box(p);
            }
            while let Some(e) = c.poll_event() {
                if let ConnectionEvent::Message {
                    data,
                    src_time,
                    seq,
                    ..
                } = e
                {
                    group.on_member_message(*m, seq, data, src_time, now);
                }
            }
        }
        while let Some(o) = group.poll_output() {
            if let GroupOutput::Event(GroupEvent::Message { seq, data, .. }) = o {
                out.push(seq.as_u32());
                black_box(data);
            }
        }
    };
    let mut now = Instant::ZERO;
    for i in 0..PACKETS {
        now = Instant::ZERO + at(i);
        for (_, c) in members.iter_mut() {
            if c.next_timeout().is_some_and(|t| t <= now) {
                c.handle_timeout(now);
            }
            c.handle_packet(data(i, payload), now);
        }
        step(group, members, now);
    }
    let end = now + LATENCY + Duration::from_millis(20);
    while now < end {
        now += Duration::from_millis(1);
        for (_, c) in members.iter_mut() {
            if c.next_timeout().is_some_and(|t| t <= now) {
                c.handle_timeout(now);
            }
        }
        step(group, members, now);
    }
}

fn check(out: &[u32]) {
    assert_eq!(
        out.len() as u64,
        PACKETS,
        "delivered {} of {PACKETS}",
        out.len()
    );
    for (i, s) in out.iter().enumerate() {
        assert_eq!(*s, ISN + i as u32, "out of order at {i}");
    }
}

fn broadcast_receive(c: &mut Criterion) {
    let payload = Bytes::from(vec![7u8; PAYLOAD]);
    let mut g = c.benchmark_group("srt_group/broadcast_receive_1316B");
    g.throughput(Throughput::Elements(PACKETS));
    for n in [1usize, 2, 3] {
        let mut r = receiving(n);
        let mut out = Vec::with_capacity(PACKETS as usize);
        receive(&mut r, &payload, &mut out);
        check(&out);
        assert_eq!(r.group.stats().duplicates, PACKETS * (n as u64 - 1));
        g.bench_function(format!("{n}_members"), |b| {
            b.iter_batched(
                || (receiving(n), Vec::with_capacity(PACKETS as usize)),
                |(mut r, mut out)| {
                    receive(&mut r, &payload, &mut out);
                    (r, out)
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

fn dedup(c: &mut Criterion) {
    let mut g = c.benchmark_group("srt_group/dedup");
    g.throughput(Throughput::Elements(PACKETS));
    let payload = Bytes::from(vec![7u8; PAYLOAD]);
    for n in [2usize, 3] {
        let run = |r: &mut Receiving, out: &mut Vec<u32>| {
            let ids: Vec<MemberId> = r.members.iter().map(|(m, _)| *m).collect();
            for i in 0..PACKETS {
                let now = Instant::ZERO + at(i);
                let seq = SeqNumber::new(ISN).wrapping_add(i as u32);
                for m in &ids {
                    r.group
                        .on_member_message(*m, seq, payload.clone(), now, now);
                }
                while let Some(o) = r.group.poll_output() {
                    if let GroupOutput::Event(GroupEvent::Message { seq, .. }) = o {
                        out.push(seq.as_u32());
                    }
                }
            }
        };
        let mut r = receiving(n);
        let mut out = Vec::new();
        run(&mut r, &mut out);
        check(&out);
        g.bench_function(format!("{n}_members"), |b| {
            b.iter_batched(
                || (receiving(n), Vec::with_capacity(PACKETS as usize)),
                |(mut r, mut out)| {
                    run(&mut r, &mut out);
                    (r, out)
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, broadcast_receive, dedup);
criterion_main!(benches);

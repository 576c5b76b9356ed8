//! Property: whatever the application sends and whatever the network does
//! (loss, outages, pauses), a live receiver delivers each message at most
//! once, in order, uncorrupted, exactly at its TSBPD time, and counts as
//! dropped every message it skipped.

#![cfg(feature = "sim")]

mod connection_support;

use connection_support::*;
use core::time::Duration;
use proptest::prelude::*;
use srt_proto::connection::Connection;
use srt_proto::sim::{LinkConfig, Network, NodeId, Probability};
use srt_proto::time::Instant;

#[derive(Debug, Clone)]
enum Op {
    /// The application sends a message of this many bytes.
    Send(usize),
    /// Virtual time passes.
    Wait(u64),
    /// Both directions lose this percentage from now on.
    Loss(u32),
    /// Both directions are cut for this many milliseconds from now.
    Outage(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (16usize..=1316).prop_map(Op::Send),
        4 => (0u64..40).prop_map(Op::Wait),
        1 => (0u32..40).prop_map(Op::Loss),
        1 => (0u64..1500).prop_map(Op::Outage),
    ]
}

fn link(loss: u32) -> LinkConfig {
    LinkConfig::new()
        .latency(ONE_WAY)
        .loss(Probability::percent(f64::from(loss)))
}

fn run(seed: u64, ops: &[Op]) -> Result<(), TestCaseError> {
    let (pa, pb) = pair_params(42, true, LATENCY, Instant::ZERO);
    let a = Peer::new(Connection::new(pa, [1; 32]), addr(A), addr(B));
    let b = Peer::new(Connection::new(pb, [2; 32]), addr(B), addr(A));
    let mut net: Network<Peer> = network(seed, a, b, link(0));
    let mut sent = 0u64;
    let mut refused = 0u64;
    let mut loss = 0;
    for op in ops {
        match op {
            Op::Send(len) => {
                let index = sent;
                let mut ok = true;
                net.inject(NodeId(0), |peer, now, out| {
                    ok = peer.send_message(now, index, *len, out);
                })
                .unwrap();
                sent += 1;
                refused += u64::from(!ok);
            }
            Op::Wait(ms) => net
                .run_until(net.now() + Duration::from_millis(*ms))
                .unwrap(),
            Op::Loss(percent) => {
                loss = *percent;
                for (from, to) in [(A, B), (B, A)] {
                    net.link_mut(addr(from), addr(to))
                        .unwrap()
                        .reconfigure(link(loss));
                }
            }
            Op::Outage(ms) => {
                let (start, end) = (net.now(), net.now() + Duration::from_millis(*ms));
                for (from, to) in [(A, B), (B, A)] {
                    net.link_mut(addr(from), addr(to))
                        .unwrap()
                        .reconfigure(link(loss).partition(start, end));
                }
                // Outages never chain into the 5 s idle timeout: after one,
                // long enough for a keepalive each way (1 s of silence).
                net.run_until(end + Duration::from_millis(1500)).unwrap();
            }
        }
    }
    net.run_until(net.now() + Duration::from_secs(3)).unwrap();
    let closed = net.nodes()[0].closed.is_some() || net.nodes()[1].closed.is_some();
    prop_assert!(
        refused == 0 || closed,
        "{} sends refused on an open connection",
        refused
    );
    let b = &net.nodes()[1];
    let mut next = 0u64;
    let mut missing = 0u64;
    for r in &b.received {
        let (index, sent_at) =
            check_message(&r.data).ok_or_else(|| TestCaseError::fail("corrupted"))?;
        prop_assert!(index >= next, "message {} twice or out of order", index);
        missing += index - next;
        next = index + 1;
        let delay = r.delivered_at.duration_since(sent_at);
        prop_assert!(
            delay.abs_diff(LATENCY + ONE_WAY) <= Duration::from_millis(1),
            "message {} delivered after {:?}",
            index,
            delay
        );
    }
    let dropped = b.conn.stats(net.now()).total.receive_drop.packets;
    prop_assert!(
        missing <= dropped && dropped <= missing + (sent - next),
        "missing {} dropped {} sent {} next {}",
        missing,
        dropped,
        sent,
        next
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn live_delivery_invariants_hold_under_any_sends_faults_and_pauses(
        seed in any::<u64>(),
        ops in proptest::collection::vec(op(), 1..400),
    ) {
        run(seed, &ops)?;
    }
}

// ---------------------------------------------------------------------------
// A connected receiver fed arbitrary packets and time steps (the
// `srt_connection` fuzz target's property): it never panics, never holds
// more than its flow window, and never asks to be woken in the past.

use bytes::Bytes;
use srt_proto::packet::{
    Ack, AckInfo, ControlBody, ControlPacket, DataPacket, DropRequest, EncryptionKeySpec, LossList,
    Packet, PacketPosition,
};
use srt_proto::seq::{MsgNumber, SeqNumber, SeqRange};
use srt_proto::time::Timestamp;

const FLOW_WINDOW: u32 = 64;
const ISN: u32 = 0x7FFF_FF00;

#[derive(Debug, Clone)]
enum Input {
    Packet(Packet),
    Wait(u64),
}

fn seq() -> impl Strategy<Value = SeqNumber> {
    prop_oneof![
        3 => (0u32..200).prop_map(|o| SeqNumber::new(ISN).wrapping_add(o)),
        1 => (0u32..=SeqNumber::MAX).prop_map(SeqNumber::new),
    ]
}

fn data() -> impl Strategy<Value = Packet> {
    (
        seq(),
        0u32..4,
        any::<bool>(),
        0u32..3,
        any::<bool>(),
        any::<u32>(),
        0usize..1500,
    )
        .prop_map(|(seq, pp, in_order, kk, rexmit, ts, len)| {
            Packet::Data(DataPacket {
                seq,
                position: PacketPosition::from_bits(pp),
                in_order,
                encryption: match kk {
                    0 => EncryptionKeySpec::Unencrypted,
                    1 => EncryptionKeySpec::Even,
                    _ => EncryptionKeySpec::Odd,
                },
                retransmitted: rexmit,
                msg_number: MsgNumber::new(ts % MsgNumber::MAX),
                timestamp: Timestamp::new(ts),
                dst_socket_id: 0x2222,
                payload: Bytes::from(vec![0x5a; len]),
            })
        })
}

fn control() -> impl Strategy<Value = Packet> {
    let body = prop_oneof![
        (seq(), any::<u32>()).prop_map(|(s, n)| ControlBody::Ack(Ack {
            ack_number: n,
            ack_seq: s,
            info: AckInfo::Light,
        })),
        (seq(), any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(s, n, rtt, buf)| {
            ControlBody::Ack(Ack {
                ack_number: n,
                ack_seq: s,
                info: AckInfo::Small {
                    rtt,
                    rtt_variance: rtt / 2,
                    available_buffer: buf,
                },
            })
        }),
        proptest::collection::vec((seq(), 0u32..50), 0..8).prop_map(|v| {
            ControlBody::Nak(LossList::from_ranges(
                v.into_iter()
                    .filter_map(|(s, n)| SeqRange::new(s, s.wrapping_add(n))),
            ))
        }),
        (seq(), seq(), any::<u32>()).prop_map(|(first, last, m)| {
            ControlBody::DropRequest(DropRequest {
                msg_number: MsgNumber::new(m % MsgNumber::MAX),
                first,
                last,
            })
        }),
        any::<u32>().prop_map(|ack_number| ControlBody::AckAck { ack_number }),
        Just(ControlBody::KeepAlive),
        Just(ControlBody::CongestionWarning),
    ];
    (body, any::<u32>()).prop_map(|(body, ts)| {
        Packet::Control(ControlPacket {
            timestamp: Timestamp::new(ts),
            dst_socket_id: 0x2222,
            body,
        })
    })
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        6 => data().prop_map(Input::Packet),
        2 => control().prop_map(Input::Packet),
        2 => (0u64..300_000).prop_map(Input::Wait),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_receiver_fed_arbitrary_packets_stays_within_its_bounds(
        live in any::<bool>(),
        inputs in proptest::collection::vec(input(), 1..300),
    ) {
        let (_, mut pb) = pair_params(ISN, live, LATENCY, Instant::ZERO);
        pb.negotiated.flow_window = FLOW_WINDOW;
        let mut b = Connection::new(pb, [2; 32]);
        let mut now = Instant::ZERO;
        for input in inputs {
            match input {
                Input::Packet(p) => b.handle_packet(p, now),
                Input::Wait(us) => {
                    now += Duration::from_micros(us);
                    if b.next_timeout().is_some_and(|t| t <= now) {
                        b.handle_timeout(now);
                    }
                }
            }
            while b.poll_transmit(now).is_some() {}
            while b.poll_event().is_some() {}
            let s = b.stats(now);
            prop_assert!(s.recv_buffer_packets <= FLOW_WINDOW);
            prop_assert!(b.receive_loss_len() <= u64::from(FLOW_WINDOW));
            if let Some(t) = b.next_timeout() {
                // A timer in the past is fine once (it fires at once); it
                // must move on after firing.
                if t <= now {
                    b.handle_timeout(now);
                    while b.poll_transmit(now).is_some() {}
                    prop_assert!(b.next_timeout().is_none_or(|t| t > now), "stuck timer at {:?}", t);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// File mode: whatever the network does (short of the idle timeout), the
// stream arrives complete and byte-exact.

#[derive(Debug, Clone)]
enum Fault {
    Wait(u64),
    Loss(u32),
    Outage(u64),
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        4 => (0u64..200).prop_map(Fault::Wait),
        1 => (0u32..30).prop_map(Fault::Loss),
        1 => (0u64..2000).prop_map(Fault::Outage),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn a_file_stream_arrives_whole_and_byte_exact_under_any_faults(
        seed in any::<u64>(),
        total in 1u64..400_000,
        faults in proptest::collection::vec(fault(), 0..40),
    ) {
        let (pa, pb) = pair_params(7, false, Duration::ZERO, Instant::ZERO);
        let mut a = Peer::new(Connection::new(pa, [1; 32]), addr(A), addr(B));
        a.file = Some(FileSource { total, offset: 0, chunk: 10_000, done_at: None });
        let b = Peer::new(Connection::new(pb, [2; 32]), addr(B), addr(A));
        let mut net: Network<Peer> = network(seed, a, b, link(0));
        let mut loss = 0;
        for f in faults {
            match f {
                Fault::Wait(ms) => net.run_until(net.now() + Duration::from_millis(ms)).unwrap(),
                Fault::Loss(p) => {
                    loss = p;
                    for (from, to) in [(A, B), (B, A)] {
                        net.link_mut(addr(from), addr(to)).unwrap().reconfigure(link(loss));
                    }
                }
                Fault::Outage(ms) => {
                    let (start, end) = (net.now(), net.now() + Duration::from_millis(ms));
                    for (from, to) in [(A, B), (B, A)] {
                        net.link_mut(addr(from), addr(to))
                            .unwrap()
                            .reconfigure(link(loss).partition(start, end));
                    }
                    // Outages never chain into the 5 s idle timeout: after
                    // one, long enough for a keepalive each way.
                    net.run_until(end + Duration::from_millis(1500)).unwrap();
                }
            }
        }
        let deadline = net.now() + Duration::from_secs(60);
        while net.nodes()[1].stream_received < total && net.now() < deadline {
            net.run_until(net.now() + Duration::from_millis(100)).unwrap();
        }
        let b = &net.nodes()[1];
        prop_assert_eq!(b.stream_corrupt_at, None);
        prop_assert_eq!(b.stream_received, total);
    }
}

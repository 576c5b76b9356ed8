//! The sender's behaviours, one per test.

use super::*;
use crate::crypto::{
    CipherMode, GcmVariant, Kek, KeyLength, KeyPair, KeyRefreshConfig, Passphrase, Salt, Sek,
    SenderKeys, open_key_material,
};
use crate::packet::{EncryptionKeySpec, FullAck};
use crate::rng::SrtRng;
use alloc::vec;
use alloc::vec::Vec;
use proptest::prelude::*;

const PEER: u32 = 0x0BAD_CAFE;

fn ms(n: u64) -> Instant {
    Instant::from_micros(n * 1000)
}

fn us(n: u64) -> Instant {
    Instant::from_micros(n)
}

fn live_config() -> SenderConfig {
    SenderConfig {
        isn: SeqNumber::new(1000),
        payload_size: LIVE_PAYLOAD_SIZE,
        mss: 1500,
        flow_window: 8192,
        peer_latency: Duration::from_millis(120),
        snd_drop_delay: Some(Duration::ZERO),
        too_late_drop: true,
        peer_nak_report: true,
        max_bw: MaxBandwidth::Unlimited,
        input_bw: 0,
        min_input_bw: 0,
        overhead_percent: 25,
        congestion: Congestion::Live,
        message_api: true,
        crypto: None,
        retransmit_algorithm: RetransmitAlgorithm::Always,
        start_time: Instant::ZERO,
        peer_socket_id: PEER,
        buffer_packets: 8192,
    }
}

fn file_config() -> SenderConfig {
    SenderConfig {
        congestion: Congestion::File,
        payload_size: payload_size(1500, Congestion::File),
        peer_nak_report: false,
        too_late_drop: false,
        ..live_config()
    }
}

fn opts() -> SendOptions {
    SendOptions::default()
}

fn payload(n: usize) -> Bytes {
    Bytes::from(vec![0xA5; n])
}

/// Everything the sender hands out at `now`.
fn drain(s: &mut Sender, now: Instant) -> Vec<Packet> {
    let mut out = Vec::new();
    while let Some(p) = s.poll_transmit(now) {
        out.push(p);
        assert!(out.len() < 100_000, "poll_transmit never ends");
    }
    out
}

/// Everything the sender hands out from `now` within the next 500 µs,
/// following its pacing.
fn flush(s: &mut Sender, now: Instant) -> Vec<Packet> {
    let mut out = drain(s, now);
    let horizon = now + Duration::from_micros(500);
    while let Some(at) = s.next_timeout() {
        if at > horizon || at < now {
            break;
        }
        let more = drain(s, at);
        if more.is_empty() {
            break;
        }
        out.extend(more);
    }
    out
}

fn data(p: &Packet) -> &DataPacket {
    match p {
        Packet::Data(d) => d,
        Packet::Control(c) => panic!("expected data, got {c:?}"),
    }
}

fn drop_requests(packets: &[Packet]) -> Vec<DropRequest> {
    packets
        .iter()
        .filter_map(|p| match p {
            Packet::Control(ControlPacket {
                body: ControlBody::DropRequest(d),
                ..
            }) => Some(*d),
            _ => None,
        })
        .collect()
}

fn full_ack(seq: u32, available: u32) -> Ack {
    Ack {
        ack_number: 1,
        ack_seq: SeqNumber::new(seq),
        info: AckInfo::Full(FullAck {
            rtt: 20_000,
            rtt_variance: 2_000,
            available_buffer: available,
            packets_receiving_rate: 1000,
            estimated_link_capacity: 10_000,
            receiving_rate: Some(1_316_000),
        }),
    }
}

fn nak(first: u32, last: u32) -> LossList {
    LossList::from_ranges([SeqRange::new(SeqNumber::new(first), SeqNumber::new(last)).unwrap()])
}

#[test]
fn pushed_messages_get_consecutive_sequence_and_message_numbers() {
    let mut s = Sender::new(live_config(), ms(0));
    for _ in 0..3 {
        s.push(payload(100), &opts(), ms(0)).unwrap();
    }
    let sent = flush(&mut s, ms(0));
    let got: Vec<_> = sent
        .iter()
        .map(|p| {
            let d = data(p);
            (d.seq.as_u32(), d.msg_number.as_u32(), d.position)
        })
        .collect();
    assert_eq!(
        got,
        [
            (1000, 1, PacketPosition::Only),
            (1001, 2, PacketPosition::Only),
            (1002, 3, PacketPosition::Only)
        ]
    );
    assert!(
        sent.iter()
            .all(|p| p.dst_socket_id() == PEER && !data(p).retransmitted)
    );
}

#[test]
fn payload_is_moved_not_copied() {
    let mut s = Sender::new(live_config(), ms(0));
    let msg = payload(1316);
    let at = msg.as_ptr();
    s.push(msg, &opts(), ms(0)).unwrap();
    let sent = flush(&mut s, ms(0));
    assert_eq!(data(&sent[0]).payload.as_ptr(), at);
}

#[test]
fn file_message_splits_into_first_middle_last_packets_of_one_message() {
    let mut s = Sender::new(file_config(), ms(0));
    let chunk = payload_size(1500, Congestion::File);
    let msg = Bytes::from((0..chunk * 2 + 10).map(|i| i as u8).collect::<Vec<_>>());
    let in_order = SendOptions {
        in_order: true,
        ..opts()
    };
    s.push(msg.clone(), &in_order, ms(0)).unwrap();
    let sent = flush(&mut s, ms(0));
    let positions: Vec<_> = sent.iter().map(|p| data(p).position).collect();
    assert_eq!(
        positions,
        [
            PacketPosition::First,
            PacketPosition::Middle,
            PacketPosition::Last
        ]
    );
    assert!(sent.iter().all(|p| data(p).msg_number == MsgNumber::FIRST));
    assert!(sent.iter().all(|p| data(p).in_order));
    let joined: Vec<u8> = sent.iter().flat_map(|p| data(p).payload.to_vec()).collect();
    assert_eq!(joined, msg);
}

#[test]
fn live_message_longer_than_one_payload_is_refused() {
    let mut s = Sender::new(live_config(), ms(0));
    assert_eq!(
        s.push(payload(1317), &opts(), ms(0)),
        Err(SendError::MessageTooLong {
            len: 1317,
            max: 1316
        })
    );
    assert_eq!(s.push(Bytes::new(), &opts(), ms(0)), Err(SendError::Empty));
    assert!(s.is_empty());
}

#[test]
fn full_buffer_refuses_the_message() {
    let mut s = Sender::new(
        SenderConfig {
            buffer_packets: 2,
            ..live_config()
        },
        ms(0),
    );
    s.push(payload(10), &opts(), ms(0)).unwrap();
    s.push(payload(10), &opts(), ms(0)).unwrap();
    assert_eq!(
        s.push(payload(10), &opts(), ms(0)),
        Err(SendError::BufferFull)
    );
}

#[test]
fn src_time_becomes_the_timestamp() {
    let mut s = Sender::new(
        SenderConfig {
            start_time: ms(100),
            ..live_config()
        },
        ms(100),
    );
    let with_src = SendOptions {
        src_time: Some(ms(150)),
        ..opts()
    };
    s.push(payload(10), &with_src, ms(170)).unwrap();
    s.push(payload(10), &opts(), ms(180)).unwrap();
    let sent = flush(&mut s, ms(180));
    assert_eq!(data(&sent[0]).timestamp.as_u32(), 50_000);
    assert_eq!(data(&sent[1]).timestamp.as_u32(), 80_000);
}

#[test]
fn packets_are_paced_at_the_configured_bandwidth() {
    // (1316 + 44) bytes at 1.36 MB/s: one packet per millisecond.
    let mut s = Sender::new(
        SenderConfig {
            max_bw: MaxBandwidth::BytesPerSecond(1_360_000),
            // No probe pair (a sequence number that is a multiple of 16)
            // among the ten packets.
            isn: SeqNumber::new(1),
            ..live_config()
        },
        ms(0),
    );
    for _ in 0..10 {
        s.push(payload(1316), &opts(), ms(0)).unwrap();
    }
    assert_eq!(drain(&mut s, ms(0)).len(), 1);
    assert_eq!(s.next_timeout(), Some(ms(1)));
    assert_eq!(drain(&mut s, us(999)).len(), 0);
    let mut sent = 1;
    let mut now = ms(0);
    while let Some(at) = s.next_timeout() {
        if s.is_empty() || sent == 10 {
            break;
        }
        now = at;
        sent += drain(&mut s, now).len();
    }
    assert_eq!((sent, now), (10, ms(9)));
}

#[test]
fn every_sixteenth_packet_starts_a_back_to_back_probe_pair() {
    let mut s = Sender::new(
        SenderConfig {
            max_bw: MaxBandwidth::BytesPerSecond(1_360_000),
            isn: SeqNumber::new(15),
            ..live_config()
        },
        ms(0),
    );
    for _ in 0..4 {
        s.push(payload(1316), &opts(), ms(0)).unwrap();
    }
    let mut sent_at = Vec::new();
    let mut now = ms(0);
    while sent_at.len() < 4 {
        for p in drain(&mut s, now) {
            sent_at.push((data(&p).seq.as_u32(), now));
        }
        now = s.next_timeout().unwrap();
    }
    // 16 and 17 leave together; 18 waits two periods, keeping the rate.
    assert_eq!(
        sent_at,
        [(15, ms(0)), (16, ms(1)), (17, ms(1)), (18, ms(3))]
    );
}

#[test]
fn nak_retransmits_the_same_packet_with_the_r_flag() {
    let mut s = Sender::new(live_config(), ms(0));
    for _ in 0..5 {
        s.push(payload(100), &opts(), ms(0)).unwrap();
    }
    let first = flush(&mut s, ms(0));
    s.on_nak(&nak(1001, 1002), ms(30));
    let again = flush(&mut s, ms(30));
    assert_eq!(again.len(), 2);
    for (p, seq) in again.iter().zip([1001, 1002]) {
        let d = data(p);
        assert_eq!(d.seq.as_u32(), seq);
        assert!(d.retransmitted);
        let original = data(&first[(seq - 1000) as usize]);
        assert_eq!(
            (d.msg_number, d.timestamp, &d.payload),
            (original.msg_number, original.timestamp, &original.payload)
        );
    }
    assert_eq!(s.stats().retransmitted.packets, 2);
    assert_eq!(s.stats().lost.packets, 2);
}

#[test]
fn retransmissions_go_oldest_first_and_before_new_packets() {
    let mut s = Sender::new(live_config(), ms(0));
    for _ in 0..4 {
        s.push(payload(100), &opts(), ms(0)).unwrap();
    }
    flush(&mut s, ms(0));
    s.push(payload(100), &opts(), ms(1)).unwrap();
    s.on_nak(
        &LossList::from_ranges([
            SeqRange::single(SeqNumber::new(1003)),
            SeqRange::single(SeqNumber::new(1001)),
        ]),
        ms(1),
    );
    let seqs: Vec<_> = flush(&mut s, ms(1))
        .iter()
        .map(|p| (data(p).seq.as_u32(), data(p).retransmitted))
        .collect();
    assert_eq!(seqs, [(1001, true), (1003, true), (1004, false)]);
}

#[test]
fn nak_outside_what_was_sent_is_ignored() {
    let mut s = Sender::new(live_config(), ms(0));
    s.push(payload(100), &opts(), ms(0)).unwrap();
    flush(&mut s, ms(0));
    s.push(payload(100), &opts(), ms(0)).unwrap();
    // 1001 is buffered but not sent yet; 5000 never existed.
    s.on_nak(&nak(1001, 5000), ms(1));
    let out = flush(&mut s, ms(1));
    assert_eq!(out.len(), 1);
    assert!(!data(&out[0]).retransmitted);
    assert_eq!(s.stats().lost.packets, 0);
}

#[test]
fn nak_for_packets_no_longer_held_asks_the_peer_to_drop_them() {
    let mut s = Sender::new(live_config(), ms(0));
    for _ in 0..3 {
        s.push(payload(100), &opts(), ms(0)).unwrap();
    }
    flush(&mut s, ms(0));
    s.on_ack(&full_ack(1002, 8000), ms(20));
    s.on_nak(&nak(1000, 1002), ms(21));
    let out = flush(&mut s, ms(21));
    let drops = drop_requests(&out);
    assert_eq!(
        drops,
        [DropRequest {
            msg_number: MsgNumber::new(0),
            first: SeqNumber::new(1000),
            last: SeqNumber::new(1001)
        }]
    );
    assert_eq!(data(&out[1]).seq.as_u32(), 1002);
}

#[test]
fn ack_frees_the_acknowledged_packets() {
    let mut s = Sender::new(live_config(), ms(0));
    for _ in 0..3 {
        s.push(payload(100), &opts(), ms(0)).unwrap();
    }
    flush(&mut s, ms(0));
    s.on_ack(&full_ack(1002, 8000), ms(20));
    assert_eq!(s.stats().buffer_packets, 1);
    assert_eq!(s.stats().rtt, Duration::from_millis(20));
    assert_eq!(s.stats().flow_window, 8000);
    s.on_ack(
        &Ack {
            ack_number: 0,
            ack_seq: SeqNumber::new(1003),
            info: AckInfo::Light,
        },
        ms(21),
    );
    assert!(s.is_empty());
    assert_eq!(s.stats().flow_window, 7999);
}

#[test]
fn ack_of_packets_never_sent_is_ignored() {
    let mut s = Sender::new(live_config(), ms(0));
    s.push(payload(100), &opts(), ms(0)).unwrap();
    s.push(payload(100), &opts(), ms(0)).unwrap();
    let _ = s.poll_transmit(ms(0));
    s.on_ack(&full_ack(1002, 8000), ms(20));
    assert_eq!(s.stats().buffer_packets, 2);
    assert_eq!(s.stats().acks_invalid, 1);
}

#[test]
fn flow_window_limits_packets_in_flight() {
    let mut s = Sender::new(
        SenderConfig {
            flow_window: 3,
            ..live_config()
        },
        ms(0),
    );
    for _ in 0..10 {
        s.push(payload(100), &opts(), ms(0)).unwrap();
    }
    assert_eq!(flush(&mut s, ms(0)).len(), 3);
    assert_eq!(flush(&mut s, ms(5)).len(), 0);
    // Two acknowledged, and the peer has room for 4: 4 in flight.
    s.on_ack(&full_ack(1002, 4), ms(10));
    assert_eq!(flush(&mut s, ms(10)).len(), 3);
    assert_eq!(s.stats().in_flight, 4);
}

#[test]
fn too_late_packets_are_dropped_with_a_drop_request() {
    // Threshold: max(120 ms + 0, 1 s) + 20 ms = 1.02 s.
    let mut s = Sender::new(live_config(), ms(0));
    for t in [0, 10, 20] {
        s.push(payload(100), &opts(), ms(t)).unwrap();
    }
    flush(&mut s, ms(20));
    s.push(payload(100), &opts(), ms(1000)).unwrap();
    flush(&mut s, ms(1000));
    assert_eq!(s.next_timeout(), Some(us(1_020_001)));
    s.handle_timeout(ms(1031));
    let drops = drop_requests(&flush(&mut s, ms(1031)));
    assert_eq!(
        drops,
        [DropRequest {
            msg_number: MsgNumber::new(0),
            first: SeqNumber::new(1000),
            last: SeqNumber::new(1001)
        }]
    );
    assert_eq!(s.stats().dropped.packets, 2);
    assert_eq!(s.stats().buffer_packets, 2);
}

#[test]
fn too_late_drop_is_off_without_the_peers_tlpktdrop() {
    let mut s = Sender::new(
        SenderConfig {
            too_late_drop: false,
            ..live_config()
        },
        ms(0),
    );
    s.push(payload(100), &opts(), ms(0)).unwrap();
    flush(&mut s, ms(0));
    s.handle_timeout(ms(5000));
    assert_eq!(s.stats().dropped.packets, 0);
}

#[test]
fn expired_ttl_drops_the_unsent_message_with_a_drop_request() {
    let mut s = Sender::new(
        SenderConfig {
            flow_window: 1,
            ..live_config()
        },
        ms(0),
    );
    let short = SendOptions {
        ttl: Some(Duration::from_millis(50)),
        ..opts()
    };
    s.push(payload(100), &opts(), ms(0)).unwrap();
    s.push(payload(100), &short, ms(0)).unwrap();
    s.push(payload(100), &opts(), ms(0)).unwrap();
    assert_eq!(flush(&mut s, ms(0)).len(), 1);
    // The window opens after the TTL: message 2 is dropped, 3 goes.
    s.on_ack(&full_ack(1001, 1), ms(60));
    let out = flush(&mut s, ms(60));
    assert_eq!(
        drop_requests(&out),
        [DropRequest {
            msg_number: MsgNumber::new(2),
            first: SeqNumber::new(1001),
            last: SeqNumber::new(1001)
        }]
    );
    assert_eq!(out.len(), 1, "the window holds the dropped packet");
    s.on_ack(&full_ack(1002, 1), ms(70));
    let out = flush(&mut s, ms(70));
    assert_eq!(data(&out[0]).msg_number, MsgNumber::new(3));
    assert_eq!(data(&out[0]).seq.as_u32(), 1002);
    assert_eq!(s.stats().dropped.packets, 1);
}

#[test]
fn expired_ttl_turns_a_retransmission_into_a_drop_request() {
    let mut s = Sender::new(live_config(), ms(0));
    let short = SendOptions {
        ttl: Some(Duration::from_millis(50)),
        ..opts()
    };
    s.push(payload(100), &short, ms(0)).unwrap();
    flush(&mut s, ms(0));
    s.on_nak(&nak(1000, 1000), ms(80));
    let out = flush(&mut s, ms(80));
    assert_eq!(
        drop_requests(&out),
        [DropRequest {
            msg_number: MsgNumber::new(1),
            first: SeqNumber::new(1000),
            last: SeqNumber::new(1000)
        }]
    );
    assert_eq!(out.len(), 1);
}

#[test]
fn retransmission_timer_resends_unacknowledged_packets() {
    // File mode: LATEREXMIT. RTO = 1·(100 + 4·50 + 20) + 10 = 330 ms.
    let mut s = Sender::new(file_config(), ms(0));
    for _ in 0..3 {
        s.push(payload(100), &opts(), ms(0)).unwrap();
    }
    flush(&mut s, ms(0));
    assert_eq!(s.next_timeout(), Some(us(330_001)));
    s.handle_timeout(ms(329));
    assert!(flush(&mut s, ms(329)).is_empty());
    s.handle_timeout(ms(331));
    // Out of slow start at libsrt's initial 16 pps: one every 62.5 ms.
    let mut out = flush(&mut s, ms(331));
    while out.len() < 3 {
        let at = s.next_timeout().unwrap();
        assert!(at < ms(500));
        out.extend(flush(&mut s, at));
    }
    let seqs: Vec<_> = out
        .iter()
        .map(|p| (data(p).seq.as_u32(), data(p).retransmitted))
        .collect();
    assert_eq!(seqs, [(1000, true), (1001, true), (1002, true)]);
    // The next expiry waits twice as long.
    assert_eq!(s.next_timeout(), Some(us(650_001)));
}

#[test]
fn live_retransmission_timer_is_off_when_the_peer_sends_periodic_naks() {
    let mut s = Sender::new(live_config(), ms(0));
    s.push(payload(100), &opts(), ms(0)).unwrap();
    flush(&mut s, ms(0));
    s.handle_timeout(ms(900));
    assert!(flush(&mut s, ms(900)).is_empty());
}

#[test]
fn reduced_algorithm_does_not_resend_within_a_round_trip() {
    let mut s = Sender::new(
        SenderConfig {
            retransmit_algorithm: RetransmitAlgorithm::Reduced,
            ..live_config()
        },
        ms(0),
    );
    s.push(payload(100), &opts(), ms(0)).unwrap();
    s.push(payload(100), &opts(), ms(0)).unwrap();
    flush(&mut s, ms(0));
    // RTT 20 ms, variance 2 ms: no second retransmission within 12 ms.
    s.on_ack(&full_ack(1001, 8000), ms(1));
    s.on_nak(&nak(1001, 1001), ms(1));
    assert_eq!(flush(&mut s, ms(1)).len(), 1);
    s.on_nak(&nak(1001, 1001), ms(10));
    assert!(flush(&mut s, ms(10)).is_empty());
    s.on_nak(&nak(1001, 1001), ms(14));
    assert_eq!(flush(&mut s, ms(14)).len(), 1);
}

#[test]
fn always_algorithm_resends_on_every_nak() {
    let mut s = Sender::new(live_config(), ms(0));
    s.push(payload(100), &opts(), ms(0)).unwrap();
    flush(&mut s, ms(0));
    for t in [1, 2, 3] {
        s.on_nak(&nak(1000, 1000), ms(t));
        assert_eq!(flush(&mut s, ms(t)).len(), 1);
    }
}

#[test]
fn input_rate_is_measured_when_bandwidth_is_relative_to_it() {
    let mut s = Sender::new(
        SenderConfig {
            max_bw: MaxBandwidth::RelativeToInput,
            overhead_percent: 25,
            ..live_config()
        },
        ms(0),
    );
    // 1000 packets/s of 1316 bytes for 0.6 s: 1.36 MB/s measured.
    for t in 0..=600 {
        s.push(payload(1316), &opts(), ms(t)).unwrap();
        flush(&mut s, ms(t));
    }
    s.on_ack(&full_ack(s.next_seq().as_u32(), 8000), ms(600));
    assert_eq!(s.stats().input_rate, 1_360_000);
    // Plus 25 %: 1.7 MB/s, so (1316 + 44) bytes every 800 µs.
    assert_eq!(s.stats().send_period_ns, 800_000);
}

#[test]
fn sequence_numbers_wrap_after_2_pow_31() {
    let mut s = Sender::new(
        SenderConfig {
            isn: SeqNumber::new(SeqNumber::MAX - 1),
            ..live_config()
        },
        ms(0),
    );
    for _ in 0..4 {
        s.push(payload(100), &opts(), ms(0)).unwrap();
    }
    let seqs: Vec<_> = flush(&mut s, ms(0))
        .iter()
        .map(|p| data(p).seq.as_u32())
        .collect();
    assert_eq!(seqs, [SeqNumber::MAX - 1, SeqNumber::MAX, 0, 1]);
    s.on_nak(&nak(SeqNumber::MAX, 0), ms(1));
    let again: Vec<_> = flush(&mut s, ms(1))
        .iter()
        .map(|p| data(p).seq.as_u32())
        .collect();
    assert_eq!(again, [SeqNumber::MAX, 0]);
    s.on_ack(&full_ack(1, 8000), ms(2));
    assert_eq!(s.stats().buffer_packets, 1);
}

#[test]
fn file_congestion_control_ramps_up_then_backs_off_on_loss() {
    let mut s = Sender::new(file_config(), ms(0));
    for _ in 0..400 {
        s.push(payload(1456), &opts(), ms(0)).unwrap();
    }
    // Slow start: 16 packets, then the window grows by what is acked.
    assert_eq!(flush(&mut s, ms(0)).len(), 16);
    s.on_ack(&full_ack(1016, 8000), ms(10));
    assert_eq!(flush(&mut s, ms(10)).len(), 32);
    assert_eq!(s.stats().congestion_window, 32);
    // A heavy loss report ends slow start and slows the pace.
    s.on_nak(&nak(1016, 1047), ms(11));
    let period = s.stats().send_period_ns;
    // The receiver's rate, averaged from libsrt's initial 16 pps:
    // (7·16 + 1000) / 8 = 139 pps, so 7194.2 µs; 3 % slower, rounded up.
    assert_eq!(period, 7_411_000);
}

fn encrypted_config(refresh: KeyRefreshConfig) -> (SenderConfig, Passphrase) {
    let passphrase = Passphrase::new(b"sender-refresh-test").unwrap();
    let salt = Salt::new([7; 16]);
    let mode = CipherMode::AesGcm(GcmVariant::Srt154);
    let keys = SenderKeys::new(mode, salt, Sek::from_bytes(&[1; 16]).unwrap(), refresh);
    let crypto = SenderCrypto {
        keys,
        kek: Kek::derive(&passphrase, &salt, KeyLength::Aes128),
        rng: SrtRng::seed_from_u64(9),
    };
    let cfg = SenderConfig {
        crypto: Some(crypto),
        ..live_config()
    };
    (cfg, passphrase)
}

#[test]
fn key_refresh_announces_the_new_key_and_switches_without_losing_a_packet() {
    let (cfg, passphrase) = encrypted_config(KeyRefreshConfig::new(20, 5).unwrap());
    let mut s = Sender::new(cfg, ms(0));
    let mut receiver = KeyPair::new();
    receiver.install(
        CipherMode::AesGcm(GcmVariant::Srt154),
        &Salt::new([7; 16]),
        &crate::crypto::StreamKeys::Even(Sek::from_bytes(&[1; 16]).unwrap()),
    );
    let mut kk = Vec::new();
    let mut kmreqs = 0;
    for t in 0..40 {
        s.push(payload(100), &opts(), ms(t)).unwrap();
        for p in flush(&mut s, ms(t)) {
            match p {
                Packet::Data(d) => {
                    let mut plain = Vec::new();
                    receiver.decrypt_packet(&d, &mut plain).unwrap();
                    assert_eq!(plain, payload(100));
                    kk.push(d.encryption);
                }
                Packet::Control(ControlPacket {
                    body: ControlBody::KeyMaterialRequest(km),
                    ..
                }) => {
                    kmreqs += 1;
                    let got = open_key_material(&passphrase, &km, GcmVariant::Srt154).unwrap();
                    receiver.install(got.mode, &got.salt, &got.keys);
                    s.on_km_response(&KmResponse::KeyMaterial(*km), ms(t));
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert_eq!(kk.len(), 40);
    let first_odd = kk
        .iter()
        .position(|k| *k == EncryptionKeySpec::Odd)
        .unwrap();
    assert_eq!(first_odd, 20);
    assert!(kk[..20].iter().all(|k| *k == EncryptionKeySpec::Even));
    assert!(kk[20..].iter().all(|k| *k == EncryptionKeySpec::Odd));
    // Both keys before the switch (packet 16), the new key alone once the
    // old one is retired (packet 27), both again before the next switch
    // (packet 37).
    assert_eq!(kmreqs, 3);
    assert_eq!(s.stats().km_sent, 3);
}

#[test]
fn unanswered_kmreq_is_repeated_every_one_and_a_half_rtt() {
    let (cfg, _) = encrypted_config(KeyRefreshConfig::new(20, 5).unwrap());
    let mut s = Sender::new(cfg, ms(0));
    let mut kmreq_at = Vec::new();
    for t in 0..20 {
        s.push(payload(100), &opts(), ms(t)).unwrap();
        for p in flush(&mut s, ms(t)) {
            if let Packet::Control(_) = p {
                kmreq_at.push(t);
            }
        }
    }
    assert_eq!(kmreq_at.len(), 1);
    // Initial RTT 100 ms: repeated 150 ms later.
    let at = s.next_timeout().unwrap();
    assert_eq!(at, ms(kmreq_at[0] + 150));
    s.handle_timeout(at);
    let out = flush(&mut s, at);
    assert!(matches!(
        out.as_slice(),
        [Packet::Control(ControlPacket {
            body: ControlBody::KeyMaterialRequest(_),
            ..
        })]
    ));
}

#[test]
fn kmrsp_error_ends_the_repetitions_and_is_kept() {
    let (cfg, _) = encrypted_config(KeyRefreshConfig::new(20, 5).unwrap());
    let mut s = Sender::new(cfg, ms(0));
    for t in 0..20 {
        s.push(payload(100), &opts(), ms(t)).unwrap();
        flush(&mut s, ms(t));
    }
    assert_eq!(s.stats().km_sent, 1);
    s.on_km_response(&KmResponse::Error(KmState::BadSecret), ms(20));
    assert_eq!(s.km_peer_error(), Some(KmState::BadSecret));
    s.handle_timeout(ms(1000));
    flush(&mut s, ms(1000));
    assert_eq!(s.stats().km_sent, 1);
}

#[test]
fn retransmission_of_an_encrypted_packet_resends_the_ciphertext() {
    let (cfg, _) = encrypted_config(KeyRefreshConfig::default());
    let mut s = Sender::new(cfg, ms(0));
    s.push(payload(100), &opts(), ms(0)).unwrap();
    let first = flush(&mut s, ms(0));
    s.on_nak(&nak(1000, 1000), ms(5));
    let again = flush(&mut s, ms(5));
    assert_eq!(data(&again[0]).payload, data(&first[0]).payload);
    assert_eq!(data(&first[0]).payload.len(), 116, "GCM adds its tag");
    assert_eq!(data(&again[0]).encryption, EncryptionKeySpec::Even);
}

#[derive(Debug, Clone)]
enum Op {
    Push(u16, Option<u16>),
    Ack(u16, bool, u16),
    Nak(u16, u16),
    Advance(u16),
    Poll,
    Timeout,
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1u16..3000, proptest::option::of(0u16..500)).prop_map(|(n, ttl)| Op::Push(n, ttl)),
        (0u16..300, any::<bool>(), 0u16..100).prop_map(|(a, l, w)| Op::Ack(a, l, w)),
        (0u16..300, 0u16..300).prop_map(|(a, n)| Op::Nak(a, n)),
        (0u16..2000).prop_map(Op::Advance),
        Just(Op::Poll),
        Just(Op::Timeout),
    ]
}

proptest! {
    #[test]
    fn arbitrary_interleavings_never_panic_or_exceed_bounds(
        file in any::<bool>(),
        isn in prop_oneof![Just(SeqNumber::MAX - 50), 0..SeqNumber::MAX],
        ops in proptest::collection::vec(arb_op(), 1..120),
    ) {
        let base = if file { file_config() } else { live_config() };
        let cfg = SenderConfig {
            isn: SeqNumber::new(isn),
            buffer_packets: 64,
            flow_window: 32,
            max_bw: MaxBandwidth::BytesPerSecond(10_000_000),
            ..base
        };
        let mut s = Sender::new(cfg, ms(0));
        let mut now = ms(0);
        let mut last_seq: Option<SeqNumber> = None;
        let isn = SeqNumber::new(isn);
        for op in ops {
            match op {
                Op::Push(n, ttl) => {
                    let o = SendOptions { ttl: ttl.map(|t| Duration::from_millis(t.into())), ..opts() };
                    let _ = s.push(payload(n.into()), &o, now);
                }
                Op::Ack(a, light, w) => {
                    let mut ack = full_ack(isn.wrapping_add(a.into()).as_u32(), w.into());
                    if light { ack.info = AckInfo::Light; }
                    s.on_ack(&ack, now);
                }
                Op::Nak(a, n) => {
                    let first = isn.wrapping_add(a.into());
                    s.on_nak(&nak(first.as_u32(), first.wrapping_add(n.into()).as_u32()), now);
                }
                Op::Advance(d) => now += Duration::from_micros(u64::from(d) * 100),
                Op::Poll => {
                    for p in flush(&mut s, now) {
                        if let Packet::Data(d) = &p {
                            if !d.retransmitted {
                                if let Some(prev) = last_seq {
                                    prop_assert!(d.seq.is_after(prev));
                                }
                                last_seq = Some(d.seq);
                            }
                        }
                    }
                }
                Op::Timeout => {
                    s.handle_timeout(now);
                    drain(&mut s, now);
                    // Nothing is left due: the timer moves forward.
                    prop_assert!(s.next_timeout().is_none_or(|at| at > now));
                }
            }
            let st = s.stats();
            prop_assert!(st.buffer_packets <= 64);
            prop_assert!(st.in_flight <= st.buffer_packets);
            prop_assert!(s.control.len() <= MAX_PENDING_CONTROL);
        }
    }
}

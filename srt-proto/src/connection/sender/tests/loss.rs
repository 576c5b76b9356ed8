//! Too-late and TTL drops, the retransmission timer, the retransmit
//! algorithms, input-rate estimation, sequence wrap, file congestion
//! control.

use super::*;

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
fn a_nak_for_a_dropped_packet_is_answered_with_another_drop_request() {
    let mut s = Sender::new(live_config(), ms(0));
    let short = SendOptions {
        ttl: Some(Duration::from_millis(50)),
        ..opts()
    };
    s.push(payload(100), &short, ms(0)).unwrap();
    flush(&mut s, ms(0));
    s.on_nak(&nak(1000, 1000), ms(80));
    flush(&mut s, ms(80));
    // The DROPREQ was lost; the peer asks again.
    s.on_nak(&nak(1000, 1000), ms(120));
    let out = flush(&mut s, ms(120));
    assert_eq!(drop_requests(&out).len(), 1);
    assert_eq!(out.len(), 1);
    assert_eq!(s.stats().dropped.packets, 1);
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

#[test]
fn packets_held_back_past_the_peer_latency_are_dropped_in_one_go_not_sent() {
    // A receiver buffer that is full holds the sender to a window of 2:
    // what waits grows older than the peer's latency (120 ms) and the
    // receiver would drop it on arrival. When the window opens, the stale
    // backlog (and the unacknowledged packet before it) goes as one
    // DROPREQ, and the first packet young enough to arrive in time is
    // sent.
    let mut s = Sender::new(
        SenderConfig {
            flow_window: 1,
            ..live_config()
        },
        ms(0),
    );
    for t in 0..10 {
        s.push(payload(100), &opts(), ms(t * 20)).unwrap();
        let sent = flush(&mut s, ms(t * 20)).len();
        assert_eq!(sent, usize::from(t == 0));
    }
    s.on_ack(&full_ack(1000, 2), ms(185));
    let out = flush(&mut s, ms(185));
    assert_eq!(
        drop_requests(&out),
        [DropRequest {
            msg_number: MsgNumber::new(0),
            first: SeqNumber::new(1000),
            last: SeqNumber::new(1003)
        }]
    );
    let sent: Vec<u32> = out
        .iter()
        .filter_map(|p| match p {
            Packet::Data(d) => Some(d.seq.as_u32()),
            _ => None,
        })
        .collect();
    assert_eq!(sent, [1004, 1005]);
    assert_eq!(s.stats().dropped.packets, 4);
    assert_eq!(s.stats().flow_window, 2, "the drop gives no room back");
}

#[test]
fn without_the_too_late_drop_stale_packets_are_still_sent() {
    let mut s = Sender::new(
        SenderConfig {
            too_late_drop: false,
            flow_window: 1,
            ..live_config()
        },
        ms(0),
    );
    for t in 0..3 {
        s.push(payload(100), &opts(), ms(t)).unwrap();
        flush(&mut s, ms(t));
    }
    s.on_ack(&full_ack(1001, 2), ms(500));
    let out = flush(&mut s, ms(500));
    assert!(drop_requests(&out).is_empty());
    assert_eq!(out.len(), 2);
}

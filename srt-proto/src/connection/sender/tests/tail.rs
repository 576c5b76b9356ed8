//! The live tail-loss probe: libsrt's full retransmission timer stays off
//! when the peer sends periodic NAKs; only the last packet sent is probed,
//! one retransmission timeout after the last new packet.

use super::*;

/// Live sender with `n` packets pushed and sent at `at`.
fn sent_live(n: usize, at: Instant) -> Sender {
    let mut s = Sender::new(live_config(), at);
    for _ in 0..n {
        s.push(payload(100), &opts(), at).unwrap();
    }
    assert_eq!(flush(&mut s, at).len(), n);
    s
}

fn seqs(packets: &[Packet]) -> Vec<(u32, bool)> {
    packets
        .iter()
        .map(|p| (data(p).seq.as_u32(), data(p).retransmitted))
        .collect()
}

#[test]
fn live_mode_resends_only_the_last_packet_sent_not_everything_unacknowledged() {
    let mut s = sent_live(3, ms(0));
    s.handle_timeout(ms(900));
    assert_eq!(seqs(&flush(&mut s, ms(900))), [(1002, true)]);
    assert_eq!(s.stats().tail_probes, 1);
    assert_eq!(s.stats().retransmitted.packets, 1);
    assert_eq!(s.stats().lost.packets, 0, "a probe is not a reported loss");
}

#[test]
fn the_probe_waits_one_retransmission_timeout_after_the_last_new_packet() {
    // libsrt's initial RTT 100 ms, variance 50 ms: 100 + 4·50 + 20 + 10.
    let mut s = sent_live(1, ms(0));
    s.push(payload(100), &opts(), ms(40)).unwrap();
    flush(&mut s, ms(40));
    assert_eq!(s.next_timeout(), Some(ms(370)));
    s.handle_timeout(ms(369));
    assert!(flush(&mut s, ms(369)).is_empty());
    s.handle_timeout(ms(370));
    assert_eq!(seqs(&flush(&mut s, ms(370))), [(1001, true)]);
}

#[test]
fn the_timeout_follows_the_rtt_the_peer_reports() {
    // RTT 20 ms, variance 2 ms: 20 + 8 + 20 + 10 = 58 ms.
    let mut s = sent_live(2, ms(0));
    s.on_ack(&full_ack(1001, 8000), ms(30));
    // The second packet went a pacing interval after the first.
    let at = s.next_timeout().unwrap();
    assert!(at >= ms(58) && at < us(58_100), "{at:?}");
}

#[test]
fn the_probe_repeats_once_per_timeout_until_acknowledged() {
    let mut s = sent_live(1, ms(0));
    let mut probes = Vec::new();
    while let Some(at) = s.next_timeout() {
        if at > ms(700) {
            break;
        }
        s.handle_timeout(at);
        probes.extend(flush(&mut s, at).iter().map(|p| (at, data(p).seq.as_u32())));
    }
    assert_eq!(probes, [(ms(330), 1000), (ms(660), 1000)]);
    s.on_ack(&full_ack(1001, 8000), ms(700));
    assert_eq!(s.next_timeout(), None, "nothing left to probe");
}

#[test]
fn the_probe_stops_when_the_too_late_drop_takes_the_packet() {
    // Threshold 1.02 s: probes at 330, 660 and 990 ms, then the drop.
    let mut s = sent_live(1, ms(0));
    let mut now = ms(0);
    while let Some(at) = s.next_timeout() {
        assert!(at < ms(5000), "timer runs on: {at:?}");
        now = at;
        s.handle_timeout(at);
        flush(&mut s, at);
    }
    assert!(now <= ms(1021), "{now:?}");
    assert_eq!(s.stats().tail_probes, 3);
    assert_eq!(s.stats().dropped.packets, 1);
}

#[test]
fn a_packet_already_waiting_for_retransmission_is_not_probed_again() {
    let mut s = sent_live(1, ms(0));
    s.on_nak(&nak(1000, 1000), ms(329));
    s.handle_timeout(ms(329));
    assert_eq!(seqs(&flush(&mut s, ms(329))), [(1000, true)]);
    // The retransmission restarted the wait.
    assert_eq!(s.next_timeout(), Some(ms(329 + 330)));
    assert_eq!(s.stats().tail_probes, 0);
}

#[test]
fn a_stream_that_keeps_flowing_and_is_acknowledged_never_probes() {
    // A packet every 5 ms for 3 s; the receiver's full ACK every 10 ms
    // covers what arrived 20 ms (one way) earlier and comes back 20 ms
    // later; after the last packet, the ACKs catch up.
    let mut s = Sender::new(live_config(), ms(0));
    let mut sent_at: Vec<(Instant, u32)> = Vec::new();
    for t in (0..3200u64).step_by(5) {
        let now = ms(t);
        if t < 3000 {
            s.push(payload(1316), &opts(), now).unwrap();
        }
        if t % 10 == 0 {
            // Everything sent before now − RTT is acknowledged.
            if let Some(&(_, seq)) = sent_at
                .iter()
                .rev()
                .find(|(at, _)| *at + Duration::from_millis(40) <= now)
            {
                let mut ack = full_ack(seq + 1, 8000);
                ack.info = AckInfo::Full(FullAck {
                    rtt: 40_000,
                    rtt_variance: 1_000,
                    ..match ack.info {
                        AckInfo::Full(f) => f,
                        _ => unreachable!(),
                    }
                });
                s.on_ack(&ack, now);
            }
        }
        s.handle_timeout(now);
        for p in flush(&mut s, now) {
            let d = data(&p);
            assert!(
                !d.retransmitted,
                "spurious retransmission at {now:?}: {d:?}"
            );
            sent_at.push((now, d.seq.as_u32()));
        }
    }
    assert_eq!(s.stats().tail_probes, 0);
    assert!(s.is_empty());
}

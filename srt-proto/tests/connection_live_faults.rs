//! Live mode under harder conditions: bursty loss beyond repair, a sender
//! clock running fast, the timestamp and sequence wraps, key refresh.

#![cfg(feature = "sim")]

mod connection_support;

use connection_support::*;
use core::time::Duration;
use srt_proto::sim::{LinkConfig, Probability};
use srt_proto::time::Instant;

/// Loss in bursts of about 330 packets (350 ms of the stream, longer than
/// the 200 ms latency), one every 2000 packets or so, each way.
fn bursts() -> LinkConfig {
    LinkConfig::new().gilbert_elliott(
        Probability::percent(0.05),
        Probability::percent(0.3),
        Probability::percent(1.0),
        Probability::percent(100.0),
    )
}

#[test]
fn bursty_loss_beyond_repair_drops_only_what_it_counts() {
    for seed in 0..3 {
        let o = Scenario {
            link: bursts(),
            reverse_link: Some(random_loss(1.0)),
            ..Scenario::live(seed, 20)
        }
        .run()
        .unwrap();
        assert!(
            o.missing > 0,
            "the bursts must defeat ARQ for this test to mean anything: {o:?}"
        );
        assert!(o.drops_accounted(), "{o:?}");
        assert!(o.sender_dropped <= o.receiver_dropped, "{o:?}");
        eprintln!("seed {seed}: {o:?}");
    }
}

#[test]
fn bursts_on_the_ack_path_too_make_the_sender_drop_what_was_delivered() {
    // Bursts of 330 packets on the way back are seconds without an ACK:
    // the sender gives up (1 s + 20 ms) on packets the receiver has, as
    // libsrt's does. The receiver still counts exactly what it missed.
    let o = Scenario {
        link: bursts(),
        ..Scenario::live(0, 20)
    }
    .run()
    .unwrap();
    assert!(o.drops_accounted(), "{o:?}");
    assert!(o.sender_dropped > o.receiver_dropped, "{o:?}");
}

#[test]
fn a_partition_longer_than_the_sender_drop_threshold_is_counted_on_both_sides() {
    // 1.5 s without any packet either way: the sender gives up on what it
    // held (older than 1 s + 20 ms) and tells the receiver with DROPREQ.
    let at = |ms: u64| Instant::from_micros(ms * 1000);
    let o = Scenario {
        link: LinkConfig::new().partition(at(3000), at(4500)),
        ..Scenario::live(1, 8)
    }
    .run()
    .unwrap();
    assert!(o.sender_dropped > 0, "{o:?}");
    assert!(o.drops_accounted(), "{o:?}");
    assert!(o.sender_dropped <= o.receiver_dropped, "{o:?}");
}

#[test]
fn a_sender_clock_100_ppm_fast_still_gets_the_latency_within_2_ms() {
    // 10 virtual minutes by default (100 ppm: 60 ms of skew, which the
    // drift tracer and the time base absorb).
    let o = Scenario {
        sender_skew_ppm: 100,
        bits_per_second: 1_500_000,
        tolerance: Duration::from_millis(2),
        ..Scenario::live(5, 600)
    }
    .run()
    .unwrap();
    assert_eq!(o.delivered, o.sent, "{o:?}");
    assert!(
        o.drift_us < -1000,
        "the drift tracer must follow the skew: {o:?}"
    );
}

#[test]
fn a_sender_clock_100_ppm_slow_still_gets_the_latency_within_3_ms() {
    // A slow sender sees the receiver's ACKs, 10 ms apart on the
    // receiver's clock, a hair under 10 ms apart, and libsrt's ACKACK rule
    // (more than 10 ms since the last one) answers every other one: drift
    // samples come half as often, each 1000-sample batch takes 20 s, and
    // 100 ppm builds up to 2 ms in between.
    let o = Scenario {
        sender_skew_ppm: -100,
        bits_per_second: 1_500_000,
        tolerance: Duration::from_millis(3),
        ..Scenario::live(6, 600)
    }
    .run()
    .unwrap();
    assert_eq!(o.delivered, o.sent, "{o:?}");
    assert!(
        o.drift_us > 1000,
        "the drift tracer must follow the skew: {o:?}"
    );
}

#[test]
#[ignore = "one virtual hour; run in release"]
fn a_sender_clock_100_ppm_fast_for_an_hour_still_gets_the_latency_within_2_ms() {
    let t = std::time::Instant::now();
    let o = Scenario {
        sender_skew_ppm: 100,
        bits_per_second: 1_500_000,
        tolerance: Duration::from_millis(2),
        ..Scenario::live(5, 3600)
    }
    .run()
    .unwrap();
    assert_eq!(o.delivered, o.sent, "{o:?}");
    eprintln!("one hour at 100 ppm: {o:?} in {:?}", t.elapsed());
}

#[test]
fn crossing_the_timestamp_and_sequence_wraps_loses_nothing() {
    // Timestamps wrap 2^32 µs (01:11:34.967) after the connection's start;
    // the stream runs from 5 s before to 5 s after, and its sequence
    // numbers wrap after 3000 packets.
    let wrap = Instant::from_micros(1 << 32);
    let o = Scenario {
        start: wrap - Duration::from_secs(5),
        isn: 0x7FFF_FFFF - 3000,
        link: random_loss(2.0),
        repair: Repair::Eager,
        ..Scenario::live(9, 10)
    }
    .run()
    .unwrap();
    assert_eq!(
        (o.delivered, o.missing, o.receiver_dropped),
        (o.sent, 0, 0),
        "{o:?}"
    );
    assert!(o.sent > 9000);
}

#[test]
fn key_refresh_every_1000_packets_leaves_nothing_undecryptable() {
    let o = Scenario {
        key_refresh: Some((1000, 200)),
        ..Scenario::live(11, 22)
    }
    .run()
    .unwrap();
    assert!(o.sent >= 20_000, "{o:?}");
    assert_eq!((o.delivered, o.undecrypted), (o.sent, 0), "{o:?}");
    // Two announcements per refresh (new key, old key retired), each sent
    // once: the receiver's KMRSP echo stops the repeats.
    assert!((40..=44).contains(&o.km_sent), "{o:?}");
}

#[test]
fn key_refresh_over_a_lossy_link_leaves_nothing_undecryptable() {
    let o = Scenario {
        key_refresh: Some((1000, 200)),
        link: random_loss(5.0),
        repair: Repair::Eager,
        ..Scenario::live(12, 6)
    }
    .run()
    .unwrap();
    assert_eq!((o.delivered, o.undecrypted), (o.sent, 0), "{o:?}");
}

#[test]
fn aes_gcm_with_key_refresh_and_retransmissions_leaves_nothing_undecryptable() {
    // Retransmissions carry the R flag, which GCM's authenticated header
    // must not include: a lossy link proves both sides agree.
    let o = Scenario {
        key_refresh: Some((1000, 200)),
        gcm: true,
        link: random_loss(5.0),
        repair: Repair::Eager,
        ..Scenario::live(13, 4)
    }
    .run()
    .unwrap();
    assert!(o.retransmitted > 100, "{o:?}");
    assert_eq!((o.delivered, o.undecrypted), (o.sent, 0), "{o:?}");
}

#[test]
fn reorder_tolerance_spares_retransmissions_on_a_reordering_link() {
    // 5 % of packets overtaken by up to ~3 later ones, no loss.
    let reordering = LinkConfig::new().reorder(Probability::percent(5.0), Duration::from_millis(3));
    let run = |ttl| {
        Scenario {
            link: reordering.clone(),
            loss_max_ttl: ttl,
            ..Scenario::live(14, 5)
        }
        .run()
        .unwrap()
    };
    let (strict, tolerant) = (run(0), run(10));
    for o in [&strict, &tolerant] {
        assert_eq!((o.delivered, o.receiver_dropped), (o.sent, 0), "{o:?}");
    }
    let naks = |o: &Outcome| o.receiver_stats.unwrap().total.naks_sent;
    assert!(naks(&strict) > 100, "{strict:?}");
    assert!(
        naks(&tolerant) * 5 < naks(&strict),
        "{} vs {}",
        naks(&tolerant),
        naks(&strict)
    );
    assert!(tolerant.receiver_stats.unwrap().reorder_distance > 0);
}

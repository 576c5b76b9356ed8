//! Live mode between two connections on the simulator: ARQ repairs random
//! loss within the latency, TSBPD delivers each message at its time.
//!
//! The evidence: 10 Mbit/s for 60 virtual seconds, RTT 40 ms,
//! latency 200 ms, 10 % random loss both ways, over 200 seeds:
//! `cargo test --release -p srt-proto --features sim --test connection_live -- --ignored`.
//! The default run covers fewer seeds and shorter streams.

#![cfg(feature = "sim")]

mod connection_support;

use connection_support::*;
use core::time::Duration;
use srt_proto::sim::for_each_seed;

/// Seeds that once failed; never remove one.
/// Seed 127: a loss 87 ms into the stream, before the first RTT sample,
/// got its periodic NAKs 75 ms apart (libsrt's 100 ms RTT guess) until the
/// NAK timer learnt to follow the first sample at once. Seed 544: message
/// 4 lost, and no RTT sample for 150 ms (the ACK position stuck behind
/// early losses): the receiver now starts from the handshake's RTT.
const REGRESSION_SEEDS: &[u64] = &[127, 544];

fn ten_percent_both_ways(seed: u64, secs: u64) -> Result<(), String> {
    let o = Scenario {
        link: random_loss(10.0),
        repair: Repair::Eager,
        ..Scenario::live(seed, secs)
    }
    .run()?;
    if o.missing != 0 || o.delivered != o.sent || !o.drops_accounted() {
        return Err(format!("not everything delivered: {o:?}"));
    }
    Ok(())
}

#[test]
fn live_over_a_clean_link_delivers_every_message_at_its_tsbpd_time() {
    let o = Scenario::live(1, 2).run().unwrap();
    assert_eq!(o.delivered, o.sent);
    assert!(o.sent > 1800);
}

#[test]
fn live_with_ten_percent_loss_both_ways_repairs_everything_in_time() {
    let seeds = REGRESSION_SEEDS.iter().copied().chain(0..4);
    if let Err(failure) = for_each_seed(seeds, |seed| ten_percent_both_ways(seed, 10)) {
        panic!("{failure}");
    }
}

#[test]
#[ignore = "the issue's 200 seeds x 60 s; run in release"]
fn live_with_ten_percent_loss_both_ways_over_200_seeds_of_a_minute() {
    let t = std::time::Instant::now();
    // SEEDS=first..end picks another range.
    let range = std::env::var("SEEDS").ok().and_then(|r| {
        let (a, b) = r.split_once("..")?;
        Some(a.parse::<u64>().ok()?..b.parse::<u64>().ok()?)
    });
    let range = range.unwrap_or(0..200);
    let count = range.end - range.start;
    let seeds = REGRESSION_SEEDS.iter().copied().chain(range);
    if let Err(failure) = for_each_seed(seeds, |seed| ten_percent_both_ways(seed, 60)) {
        panic!("{failure}");
    }
    eprintln!("{count} seeds of 60 s in {:?}", t.elapsed());
}

#[test]
fn with_libsrt_repair_defaults_what_is_not_repaired_is_counted_dropped() {
    // SRTO_RETRANSMITALGO = 1 and a 20 ms NAK floor repair less within
    // 200 ms: a few packets per minute go; each is counted.
    let o = Scenario {
        link: random_loss(10.0),
        ..Scenario::live(0, 20)
    }
    .run()
    .unwrap();
    assert!(o.drops_accounted(), "{o:?}");
    assert!(o.delivered + o.missing >= o.sent, "{o:?}");
}

/// `SEED=n [TRACE=message index] [TRACE_CONTROL=1]`: prints the packets
/// about one message (and the early control packets) of one seed.
#[test]
#[ignore = "debugging aid"]
fn trace_one_seed() {
    let seed: u64 = std::env::var("SEED").unwrap().parse().unwrap();
    let trace = std::env::var("TRACE").ok().map(|t| t.parse().unwrap());
    let o = Scenario {
        link: random_loss(10.0),
        repair: Repair::Eager,
        trace,
        ..Scenario::live(seed, 60)
    }
    .run();
    eprintln!("{o:?}");
}

/// How much libsrt's own repair settings lose in the scenario.
#[test]
#[ignore = "measurement; run in release"]
fn libsrt_defaults_drop_rate_at_ten_percent_loss() {
    let (mut dropped, mut sent) = (0, 0);
    for seed in 0..50 {
        let o = Scenario {
            link: random_loss(10.0),
            ..Scenario::live(seed, 60)
        }
        .run()
        .unwrap();
        assert!(o.drops_accounted(), "{o:?}");
        dropped += o.missing;
        sent += o.sent;
    }
    eprintln!("libsrt defaults: {dropped} of {sent} messages dropped over 50 minutes");
}

#[test]
fn statistics_of_a_lossy_run_have_libsrt_meanings() {
    let o = Scenario {
        link: random_loss(10.0),
        repair: Repair::Eager,
        ..Scenario::live(21, 10)
    }
    .run()
    .unwrap();
    let (a, b) = (o.sender_stats.unwrap(), o.receiver_stats.unwrap());
    let (sa, sb) = (a.total, b.total);
    // Sender: every packet sent is new or a retransmission.
    assert_eq!(
        sa.sent.packets,
        sa.sent_unique.packets + sa.retransmitted.packets
    );
    assert_eq!(sa.sent_unique.packets, o.total_sent);
    // Receiver: every message delivered was received once, uniquely;
    // what arrived beyond that were duplicates or belated copies.
    assert_eq!(
        sb.received_unique.packets,
        o.delivered + (o.total_sent - o.sent)
    );
    assert!(sb.received.packets >= sb.received_unique.packets);
    assert!(sb.received_retransmitted.packets <= sa.retransmitted.packets);
    // About a tenth of the first transmissions went missing.
    let loss = sb.receive_loss.packets as f64 / sa.sent_unique.packets as f64;
    assert!((0.08..0.12).contains(&loss), "loss {loss}");
    // ACK, NAK and ACKACK counts seen from both ends.
    assert!(sa.acks_received <= sb.acks_sent && sa.acks_received > sb.acks_sent * 8 / 10);
    assert!(sa.naks_received <= sb.naks_sent);
    assert!(sb.ackacks_received <= sa.ackacks_sent);
    // The RTT the receiver measured and the latency it applies.
    assert!(
        b.rtt >= Duration::from_millis(40) && b.rtt < Duration::from_millis(45),
        "{:?}",
        b.rtt
    );
    assert_eq!(b.recv_latency, Duration::from_millis(200));
    assert_eq!(a.send_latency, Duration::from_millis(200));
    assert_eq!((sa.send_drop.packets, sb.receive_drop.packets), (0, 0));
    // Nothing left in flight at the end.
    assert_eq!((a.send_buffer_packets, b.recv_buffer_packets), (0, 0));
}

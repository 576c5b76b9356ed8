//! The simulator's link model, as a user sees it: one direction of a path.
#![cfg(feature = "sim")]

use bytes::Bytes;
use core::net::SocketAddr;
use core::time::Duration;
use srt_proto::sim::{Datagram, DropReason, Link, LinkConfig, Probability, SendOutcome};
use srt_proto::time::Instant;

const A: &str = "10.0.0.1:9000";
const B: &str = "10.0.0.2:9000";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn ms(n: u64) -> Instant {
    Instant::from_micros(n * 1_000)
}

/// A datagram from A to B carrying `seq` (and padding up to `len` bytes).
fn numbered(seq: u32, len: usize) -> Datagram {
    let mut data = seq.to_be_bytes().to_vec();
    data.resize(len.max(4), 0);
    Datagram {
        from: addr(A),
        to: addr(B),
        data: Bytes::from(data),
    }
}

fn seq_of(d: &Datagram) -> u32 {
    u32::from_be_bytes(d.data[..4].try_into().unwrap())
}

/// Everything the link delivers, with its delivery time, in delivery order.
fn drain(link: &mut Link) -> Vec<(Instant, u32)> {
    let mut delivered = Vec::new();
    while let Some(at) = link.next_delivery() {
        let d = link.poll_deliver(at).unwrap();
        delivered.push((at, seq_of(&d)));
    }
    delivered
}

/// Sends `count` small datagrams one every `gap`, starting at zero.
fn send_paced(link: &mut Link, count: u32, gap: Duration) -> Vec<SendOutcome> {
    (0..count)
        .map(|i| link.send(Instant::ZERO + gap * i, numbered(i, 100)))
        .collect()
}

#[test]
fn a_datagram_arrives_after_the_latency_and_not_before() {
    let mut link = Link::new(LinkConfig::new().latency(Duration::from_millis(30)));
    link.send(ms(5), numbered(1, 10));
    assert_eq!(link.next_delivery(), Some(ms(35)));
    assert_eq!(link.poll_deliver(ms(34)), None);
    assert_eq!(link.poll_deliver(ms(35)).map(|d| seq_of(&d)), Some(1));
    assert_eq!(link.stats().delivered, 1);
}

#[test]
fn datagrams_due_at_the_same_instant_come_out_in_send_order() {
    let mut link = Link::new(LinkConfig::new());
    for i in 0..50 {
        link.send(ms(1), numbered(i, 10));
    }
    let delivered = drain(&mut link);
    assert_eq!(
        delivered.iter().map(|&(_, s)| s).collect::<Vec<_>>(),
        (0..50).collect::<Vec<_>>()
    );
}

#[test]
fn an_earlier_now_is_taken_as_the_last_one_seen() {
    let mut link = Link::new(LinkConfig::new().latency(Duration::from_millis(10)));
    link.send(ms(100), numbered(0, 10));
    link.send(ms(50), numbered(1, 10));
    assert_eq!(drain(&mut link), [(ms(110), 0), (ms(110), 1)]);
}

#[test]
fn ten_percent_random_loss_drops_between_nine_and_eleven_percent() {
    let mut link = Link::new(LinkConfig::new().loss(Probability::percent(10.0)).seed(1));
    send_paced(&mut link, 100_000, Duration::from_micros(10));
    let stats = *link.stats();
    assert!(
        (9_000..=11_000).contains(&stats.dropped_random),
        "dropped {}",
        stats.dropped_random
    );
    assert_eq!(
        drain(&mut link).len() as u64,
        100_000 - stats.dropped_random
    );
}

/// Mean length of the runs of consecutive drops in `outcomes`.
fn mean_burst(outcomes: &[SendOutcome]) -> f64 {
    let (mut bursts, mut lost, mut in_burst) = (0u32, 0u32, false);
    for outcome in outcomes {
        let dropped = matches!(outcome, SendOutcome::Dropped(_));
        if dropped {
            lost += 1;
            if !in_burst {
                bursts += 1;
            }
        }
        in_burst = dropped;
    }
    f64::from(lost) / f64::from(bursts)
}

#[test]
fn gilbert_elliott_bursts_last_one_over_bad_to_good_datagrams_on_average() {
    // Bad spells of 1 / 20 % = 5 datagrams, all lost; loss rate 1 / 21.
    let config = LinkConfig::new()
        .gilbert_elliott(
            Probability::percent(1.0),
            Probability::percent(20.0),
            Probability::NEVER,
            Probability::ALWAYS,
        )
        .seed(2);
    let mut link = Link::new(config);
    let outcomes = send_paced(&mut link, 100_000, Duration::from_micros(10));
    let burst = mean_burst(&outcomes);
    assert!((4.5..=5.5).contains(&burst), "mean burst {burst}");
    let rate = link.stats().dropped_burst as f64 / 100_000.0;
    assert!((0.043..=0.053).contains(&rate), "loss rate {rate}");
    assert!(
        outcomes
            .iter()
            .all(|o| !matches!(o, SendOutcome::Dropped(r) if *r != DropReason::Burst))
    );
}

#[test]
fn random_loss_of_the_same_rate_has_no_bursts() {
    let mut link = Link::new(LinkConfig::new().loss(Probability::percent(4.76)).seed(2));
    let outcomes = send_paced(&mut link, 100_000, Duration::from_micros(10));
    let burst = mean_burst(&outcomes);
    assert!(burst < 1.1, "mean burst {burst}");
}

#[test]
fn the_rate_limit_sends_at_the_configured_rate() {
    // 1000 × 1316 bytes at 10 Mbit/s: the last leaves after 1.0528 s.
    let mut link = Link::new(LinkConfig::new().rate(10_000_000, 10 * 1024 * 1024));
    for i in 0..1000 {
        link.send(Instant::ZERO, numbered(i, 1316));
    }
    let delivered = drain(&mut link);
    assert_eq!(delivered.len(), 1000);
    let last = delivered.last().unwrap().0.as_micros();
    assert!((1_052_000..=1_053_600).contains(&last), "last at {last} µs");
    // Evenly spaced: the 500th leaves halfway.
    let mid = delivered[499].0.as_micros();
    assert!((526_000..=526_800).contains(&mid), "500th at {mid} µs");
}

#[test]
fn a_small_datagram_at_a_high_rate_keeps_the_rate_exact() {
    // 100 bytes at 1 Gbit/s is 0.8 µs: rounding each up to 1 µs would be 25 % off.
    let mut link = Link::new(LinkConfig::new().rate(1_000_000_000, 1 << 30));
    for i in 0..10_000 {
        link.send(Instant::ZERO, numbered(i, 100));
    }
    let last = drain(&mut link).last().unwrap().0.as_micros();
    assert_eq!(last, 8_000);
}

#[test]
fn an_overfilled_queue_drops_the_tail_and_counts_it() {
    let mut link = Link::new(LinkConfig::new().rate(1_000_000, 10 * 1316));
    let outcomes: Vec<_> = (0..100)
        .map(|i| link.send(Instant::ZERO, numbered(i, 1316)))
        .collect();
    assert!(
        outcomes[..10]
            .iter()
            .all(|o| matches!(o, SendOutcome::Scheduled { .. }))
    );
    assert!(
        outcomes[10..]
            .iter()
            .all(|o| *o == SendOutcome::Dropped(DropReason::Queue))
    );
    assert_eq!(link.stats().dropped_queue, 90);
    // The first has left at 10.528 ms: by 11 ms exactly one more fits,
    // behind the ten already queued (10 × 10.528 ms + 10.528 ms).
    assert_eq!(
        link.send(ms(11), numbered(100, 1316)),
        SendOutcome::Scheduled {
            at: Instant::from_micros(115_808),
            duplicate_at: None
        }
    );
    assert_eq!(
        link.send(ms(11), numbered(101, 1316)),
        SendOutcome::Dropped(DropReason::Queue)
    );
}

#[test]
fn a_partition_drops_exactly_the_datagrams_sent_in_its_window() {
    let config = LinkConfig::new()
        .latency(Duration::from_millis(5))
        .partition(ms(20), ms(30))
        .partition(ms(60), ms(61));
    let mut link = Link::new(config);
    let outcomes = send_paced(&mut link, 100, Duration::from_millis(1));
    for (i, outcome) in outcomes.iter().enumerate() {
        let in_window = (20..30).contains(&i) || i == 60;
        assert_eq!(
            *outcome == SendOutcome::Dropped(DropReason::Partition),
            in_window,
            "datagram sent at {i} ms"
        );
    }
    assert_eq!(link.stats().dropped_partition, 11);
    assert_eq!(drain(&mut link).len(), 89);
}

#[test]
fn datagrams_in_flight_when_a_partition_starts_still_arrive() {
    let config = LinkConfig::new()
        .latency(Duration::from_millis(50))
        .partition(ms(10), ms(100));
    let mut link = Link::new(config);
    link.send(ms(9), numbered(0, 10));
    assert_eq!(drain(&mut link), [(ms(59), 0)]);
}

#[test]
fn five_percent_duplication_delivers_about_five_percent_twice() {
    let mut link = Link::new(
        LinkConfig::new()
            .duplicate(Probability::percent(5.0))
            .seed(3),
    );
    send_paced(&mut link, 100_000, Duration::from_micros(10));
    let duplicated = link.stats().duplicated;
    assert!((4_500..=5_500).contains(&duplicated), "{duplicated}");
    assert_eq!(drain(&mut link).len() as u64, 100_000 + duplicated);
}

/// How many delivered datagrams arrived after one sent later than them.
fn inversions(delivered: &[(Instant, u32)]) -> usize {
    let mut highest = None;
    delivered
        .iter()
        .filter(|&&(_, seq)| {
            let late = highest.is_some_and(|h| seq < h);
            highest = highest.max(Some(seq));
            late
        })
        .count()
}

#[test]
fn jitter_varies_the_delay_but_never_reorders() {
    let config = LinkConfig::new()
        .latency(Duration::from_millis(10))
        .jitter(Duration::from_millis(5))
        .seed(4);
    let mut link = Link::new(config);
    send_paced(&mut link, 10_000, Duration::from_micros(100));
    let delivered = drain(&mut link);
    assert_eq!(inversions(&delivered), 0);
    let delays: Vec<u64> = delivered
        .iter()
        .map(|&(at, seq)| at.as_micros() - u64::from(seq) * 100)
        .collect();
    assert!(delays.iter().all(|&d| (5_000..=15_000).contains(&d)));
    let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
    assert!(distinct.len() > 1_000, "{} distinct delays", distinct.len());
}

#[test]
fn reordering_holds_back_the_configured_share_so_later_ones_overtake() {
    let config = LinkConfig::new()
        .latency(Duration::from_millis(10))
        .reorder(Probability::percent(5.0), Duration::from_millis(3))
        .seed(5);
    let mut link = Link::new(config);
    send_paced(&mut link, 10_000, Duration::from_micros(100));
    let reordered = link.stats().reordered;
    assert!((400..=600).contains(&reordered), "{reordered}");
    // Every held-back datagram is overtaken by the ones sent in the next 3 ms.
    assert_eq!(inversions(&drain(&mut link)) as u64, reordered);
}

#[test]
fn the_same_seed_gives_the_same_deliveries_and_another_seed_does_not() {
    let run = |seed| {
        let mut link = Link::new(LinkConfig::lossy_internet().seed(seed));
        send_paced(&mut link, 5_000, Duration::from_micros(500));
        drain(&mut link)
    };
    assert_eq!(run(9), run(9));
    assert_ne!(run(9), run(10));
}

#[test]
fn every_preset_delivers_most_datagrams_in_order_of_its_latency() {
    for (config, min_ms) in [
        (LinkConfig::lan(), 0),
        (LinkConfig::wifi(), 3),
        (LinkConfig::cellular(), 25),
        (LinkConfig::satellite(), 295),
        (LinkConfig::lossy_internet(), 40),
    ] {
        let mut link = Link::new(config);
        send_paced(&mut link, 2_000, Duration::from_millis(1));
        let delivered = drain(&mut link);
        assert!(delivered.len() > 1_800, "{}", delivered.len());
        let first = delivered[0].0.as_micros() - u64::from(delivered[0].1) * 1_000;
        assert!(first >= min_ms * 1_000, "first delay {first} µs");
    }
}

// ---- properties -----------------------------------------------------------

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn any_config() -> impl Strategy<Value = LinkConfig> {
        (
            (0u64..50_000, 0u64..20_000, 0u32..=1_000_000, any::<u64>()),
            proptest::option::of((0u32..=1_000_000, 0u32..=1_000_000, 0u32..=1_000_000)),
            (
                0u32..=1_000_000,
                proptest::option::of((0u32..=1_000_000, 0u64..20_000)),
            ),
            proptest::option::of((0u64..100_000_000, 0usize..100_000)),
            proptest::collection::vec((0u64..1_000_000, 0u64..200_000), 0..3),
        )
            .prop_map(
                |((lat, jit, loss, seed), ge, (dup, reorder), rate, parts)| {
                    let p = Probability::per_million;
                    let mut c = LinkConfig::new()
                        .latency(Duration::from_micros(lat))
                        .jitter(Duration::from_micros(jit))
                        .loss(p(loss))
                        .duplicate(p(dup))
                        .seed(seed);
                    if let Some((gb, bg, bad)) = ge {
                        c = c.gilbert_elliott(p(gb), p(bg), Probability::NEVER, p(bad));
                    }
                    if let Some((prob, extra)) = reorder {
                        c = c.reorder(p(prob), Duration::from_micros(extra));
                    }
                    if let Some((bps, queue)) = rate {
                        c = c.rate(bps, queue);
                    }
                    for (start, len) in parts {
                        c = c.partition(
                            Instant::from_micros(start),
                            Instant::from_micros(start + len),
                        );
                    }
                    c
                },
            )
    }

    proptest! {
        #[test]
        fn every_datagram_is_accounted_for_and_none_arrives_before_it_was_sent(
            config in any_config(),
            sends in proptest::collection::vec((0u64..5_000, 0usize..2_000), 0..200),
        ) {
            let mut link = Link::new(config);
            let mut now = Instant::ZERO;
            let mut sent_at = Vec::new();
            for (i, (gap, len)) in sends.iter().enumerate() {
                now += Duration::from_micros(*gap);
                sent_at.push(now);
                link.send(now, numbered(i as u32, *len));
            }
            let delivered = drain(&mut link);
            let s = *link.stats();
            prop_assert_eq!(
                s.sent + s.duplicated,
                s.delivered + s.dropped_random + s.dropped_burst + s.dropped_queue
                    + s.dropped_partition
            );
            prop_assert_eq!(s.delivered as usize, delivered.len());
            prop_assert!(delivered.windows(2).all(|w| w[0].0 <= w[1].0));
            for (at, seq) in delivered {
                prop_assert!(at >= sent_at[seq as usize]);
            }
        }
    }
}

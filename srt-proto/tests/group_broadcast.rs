//! Broadcast groups on the simulator: every message on every member, each
//! delivered once, in order, on time, whatever one path does.

#![cfg(feature = "sim")]

mod group_support;

use core::time::Duration;
use group_support::*;
use srt_proto::group::{GroupEvent, GroupType, MemberState};
use srt_proto::sim::{LinkConfig, Probability, for_each_seed};

const LATENCY: Duration = Duration::from_millis(300);

fn path(seed: u64) -> LinkConfig {
    LinkConfig::new()
        .latency(Duration::from_millis(10))
        .seed(seed)
}

/// Two paths: A loses 30 % each way, B is partitioned both ways from 3 s
/// to 8 s. 500 messages a second for 12 s.
fn lossy_and_partitioned_setup(seed: u64) -> Harness {
    let mut h = Harness::new(GroupType::Broadcast, LATENCY, 1_000 + seed as u32 * 7919);
    // The partitioned path must outlive its outage.
    h.options.peer_idle_timeout = Duration::from_secs(10);
    let lossy = path(seed).loss(Probability::percent(30.0));
    h.connect(1, lossy.clone(), lossy.seed(seed + 1000));
    let cut = path(seed + 2000).partition(ms(3_000), ms(8_000));
    h.connect(1, cut.clone(), cut.seed(seed + 3000));
    h.stream(ms(10), ms(12_010), Duration::from_millis(2));
    h
}

fn lossy_and_partitioned(seed: u64) -> Result<Harness, String> {
    let mut h = lossy_and_partitioned_setup(seed);
    h.run_until(ms(13_000));
    h.check_exactly_once_in_order_on_time(6_000)?;
    Ok(h)
}

#[test]
fn broadcast_over_a_lossy_and_a_partitioned_path_delivers_every_message_once_in_order_on_time() {
    if let Err(failure) = for_each_seed(0..10, |seed| lossy_and_partitioned(seed).map(|_| ())) {
        panic!("{failure}");
    }
}

#[test]
fn after_the_partition_heals_its_member_brings_messages_again() {
    let mut h = lossy_and_partitioned_setup(7);
    let b = h.pairs[1].rx_id;
    let brought = |h: &Harness| {
        let m = h.rx.member(b).unwrap();
        m.delivered + m.duplicates
    };
    h.run_until(ms(3_000));
    let before = brought(&h);
    h.run_until(ms(8_000));
    let during = brought(&h) - before;
    h.run_until(ms(13_000));
    let after = brought(&h) - before - during;
    // Cut from 3 s to 8 s: nothing sent then arrived; what was in flight
    // (at most the latency's worth) did.
    assert!(during < 200, "{during} messages through the cut path");
    // 500 a second from 8 s to 12 s.
    assert!(after > 1_900, "only {after} messages via the healed path");
    h.check_exactly_once_in_order_on_time(6_000).unwrap();
}

#[test]
fn the_partitioned_member_is_told_to_skip_what_the_other_delivered() {
    let h = lossy_and_partitioned(3).unwrap();
    let stats = h.rx.stats();
    assert!(stats.skips_sent > 0);
    // Its receiver forgot the outage instead of counting it lost.
    let b = &h.pairs[1].rx;
    assert_eq!(b.receive_loss_len(), 0);
    assert_eq!(stats.lost, 0);
    assert!(stats.duplicates > 0);
}

#[test]
fn a_member_joining_mid_stream_takes_the_group_time_base_and_carries_data() {
    let mut h = Harness::new(GroupType::Broadcast, LATENCY, 50);
    h.connect(1, path(1), path(2));
    h.stream(ms(0), ms(4_000), Duration::from_millis(2));
    h.run_until(ms(1_000));
    // The new path is slower: its own first packet would give it a later
    // time base.
    let slow = LinkConfig::new().latency(Duration::from_millis(40));
    let j = h.connect(1, slow.clone(), slow);
    h.run_until(ms(2_000));
    // The first path goes away: the joined one carries on alone, on the
    // same schedule.
    h.disconnect(0);
    h.run_until(ms(5_000));
    h.check_exactly_once_in_order_on_time(2_000).unwrap();
    let joined = h.pairs[j].rx_id;
    assert!(h.delivered.iter().filter(|d| d.member == joined).count() > 900);
    assert_eq!(
        h.pairs[j].rx.receive_time_base(),
        h.pairs[0].rx.receive_time_base()
    );
    assert!(h.rx_events.iter().any(|(_, e)| matches!(
        e,
        GroupEvent::MemberStateChanged { member, to: MemberState::Running, .. } if *member == joined
    )));
}

#[test]
fn a_member_joining_after_the_timestamp_wrap_keeps_the_schedule() {
    // SRT timestamps are 32-bit microseconds: they wrap after 71.6 min of
    // the group's time. A member joining after that stamps (and is read)
    // from the same group start as the first one.
    let mut h = Harness::new(GroupType::Broadcast, LATENCY, 70);
    h.options.peer_idle_timeout = Duration::from_secs(10);
    h.connect(1, path(1), path(2));
    let minute = 60_000;
    h.stream(ms(0), ms(74 * minute), Duration::from_millis(100));
    h.run_until(ms(72 * minute));
    let j = h.connect(1, path(3), path(4));
    h.run_until(ms(72 * minute + 30_000));
    // Only the late member is left for the last 90 s.
    h.disconnect(0);
    h.run_until(ms(75 * minute));
    h.check_exactly_once_in_order_on_time(74 * 600).unwrap();
    let joined = h.pairs[j].rx_id;
    assert!(h.delivered.iter().filter(|d| d.member == joined).count() > 800);
}

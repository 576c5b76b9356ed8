//! Main/backup groups on the simulator: one active path, standbys that
//! take over when it goes silent, with nothing lost.

#![cfg(feature = "sim")]

mod group_support;

use core::time::Duration;
use group_support::*;
use srt_proto::group::{BackupState, GroupEvent, GroupType, MemberId, MemberState};
use srt_proto::sim::{LinkConfig, for_each_seed};
use srt_proto::time::Instant;

const LATENCY: Duration = Duration::from_millis(400);

fn path(seed: u64) -> LinkConfig {
    LinkConfig::new()
        .latency(Duration::from_millis(10))
        .seed(seed)
}

fn cut_at(seed: u64, at: Instant) -> LinkConfig {
    path(seed).partition(at, ms(1_000_000))
}

/// When the sender switched to `to`, if it did.
fn switched_to(h: &Harness, to: MemberId) -> Option<Instant> {
    h.tx_events.iter().find_map(|(t, e)| match e {
        GroupEvent::ActiveSwitched { to: m, .. } if *m == to => Some(*t),
        _ => None,
    })
}

fn sent_on(h: &Harness, pair: usize) -> u64 {
    h.tx.member(h.pairs[pair].tx_id).map_or(0, |m| m.sent)
}

/// A (weight 10) is active, B (weight 5) on standby; A is cut both ways
/// at 3 s. 500 messages a second for 6 s.
fn failover(seed: u64) -> Result<(), String> {
    let mut h = Harness::new(GroupType::Backup, LATENCY, 77 + seed as u32);
    let cut = ms(3_000);
    h.connect(10, cut_at(seed, cut), cut_at(seed + 1, cut));
    let b = h.connect(5, path(seed + 2), path(seed + 3));
    h.stream(ms(10), ms(6_010), Duration::from_millis(2));
    h.run_until(ms(2_999));
    if sent_on(&h, b) != 0 {
        return Err(format!(
            "the standby carried {} messages before the cut",
            sent_on(&h, b)
        ));
    }
    h.run_until(ms(7_000));
    let at = switched_to(&h, h.pairs[b].tx_id).ok_or("no switch to the standby")?;
    let detection = at.duration_since(cut);
    if LATENCY < detection * 4 {
        return Err(format!(
            "failover took {detection:?}, over a quarter of the latency"
        ));
    }
    h.check_exactly_once_in_order_on_time(3_000)
}

#[test]
fn cutting_the_active_path_switches_to_the_standby_with_nothing_lost() {
    if let Err(failure) = for_each_seed(0..10, failover) {
        panic!("{failure}");
    }
}

#[test]
fn failover_is_detected_within_the_stability_timeout_and_an_rtt() {
    let mut h = Harness::new(GroupType::Backup, LATENCY, 9);
    let cut = ms(2_000);
    h.connect(10, cut_at(1, cut), cut_at(2, cut));
    let b = h.connect(5, path(3), path(4));
    h.stream(ms(0), ms(3_000), Duration::from_millis(2));
    h.run_until(ms(3_500));
    let at = switched_to(&h, h.pairs[b].tx_id).unwrap();
    // Silent for over max(60 ms, 2·SRTT + 4·RTTVar) after the last ACK
    // (≤ 10 ms before the cut plus 10 ms on the way), checked every send.
    let detection = at.duration_since(cut);
    assert!(detection > Duration::from_millis(50), "{detection:?}");
    assert!(detection < Duration::from_millis(100), "{detection:?}");
    let a = h.pairs[0].tx_id;
    assert_eq!(
        h.tx.member(a).unwrap().backup_state,
        Some(BackupState::ActiveUnstable)
    );
    h.check_exactly_once_in_order_on_time(1_500).unwrap();
}

#[test]
fn the_highest_weight_standby_takes_over() {
    let mut h = Harness::new(GroupType::Backup, LATENCY, 11);
    let cut = ms(2_000);
    h.connect(10, cut_at(1, cut), cut_at(2, cut));
    let low = h.connect(3, path(3), path(4));
    let high = h.connect(8, path(5), path(6));
    let mid = h.connect(5, path(7), path(8));
    h.stream(ms(0), ms(4_000), Duration::from_millis(2));
    h.run_until(ms(5_000));
    assert!(switched_to(&h, h.pairs[high].tx_id).is_some());
    assert_eq!(sent_on(&h, low), 0);
    assert_eq!(sent_on(&h, mid), 0);
    h.check_exactly_once_in_order_on_time(2_000).unwrap();
}

#[test]
fn a_heavier_member_joining_mid_stream_takes_over_and_the_old_one_can_leave() {
    let mut h = Harness::new(GroupType::Backup, LATENCY, 13);
    let first = h.connect(5, path(1), path(2));
    h.stream(ms(0), ms(6_000), Duration::from_millis(2));
    h.run_until(ms(2_000));
    let joined = h.connect(10, path(3), path(4));
    h.run_until(ms(4_000));
    let (f, j) = (h.pairs[first].tx_id, h.pairs[joined].tx_id);
    assert_eq!(
        h.tx.member(j).unwrap().backup_state,
        Some(BackupState::ActiveStable)
    );
    // Silenced once the newcomer was stable.
    assert_eq!(h.tx.member(f).unwrap().state, MemberState::Idle);
    let sent_before_leave = sent_on(&h, first);
    h.disconnect(first);
    h.run_until(ms(7_000));
    assert!(h.tx.member(f).is_none());
    assert!(sent_before_leave > 1_000);
    h.check_exactly_once_in_order_on_time(3_000).unwrap();
}

#[test]
fn the_active_member_leaving_hands_over_with_nothing_lost() {
    let mut h = Harness::new(GroupType::Backup, LATENCY, 17);
    let a = h.connect(10, path(1), path(2));
    let b = h.connect(5, path(3), path(4));
    h.stream(ms(0), ms(3_000), Duration::from_millis(2));
    h.run_until(ms(1_500));
    h.disconnect(a);
    h.run_until(ms(4_000));
    assert!(switched_to(&h, h.pairs[b].tx_id).is_some());
    h.check_exactly_once_in_order_on_time(1_500).unwrap();
}

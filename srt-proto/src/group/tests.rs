//! The group state machine, one behaviour per test.

use super::*;
use crate::endpoint::MemberCommand;
use alloc::vec;
use alloc::vec::Vec;
use core::time::Duration;

fn ms(n: u64) -> Instant {
    Instant::from_micros(n * 1000)
}

fn s(n: u32) -> SeqNumber {
    SeqNumber::new(n)
}

const ISN: u32 = 1000;

fn group(t: GroupType) -> Group {
    let cfg = GroupConfig::new(t, s(ISN)).latency(Duration::from_millis(200));
    Group::new(cfg, 0x4000_0001, Instant::ZERO)
}

/// A member that just heard from its peer, in the group's sequence space.
fn obs(now: Instant, next: u32) -> MemberObservation {
    MemberObservation {
        last_peer_activity: now,
        srtt: Duration::from_millis(10),
        rttvar: Duration::from_millis(2),
        send_acked_seq: s(next),
        next_send_seq: s(next),
        receive_time_base: None,
    }
}

fn outputs(g: &mut Group) -> Vec<GroupOutput> {
    core::iter::from_fn(|| g.poll_output()).collect()
}

fn sends(out: &[GroupOutput]) -> Vec<(MemberId, Bytes)> {
    out.iter()
        .filter_map(|o| match o {
            GroupOutput::Send { member, data, .. } => Some((*member, data.clone())),
            _ => None,
        })
        .collect()
}

fn commands(out: &[GroupOutput]) -> Vec<(MemberId, MemberCommand)> {
    out.iter()
        .filter_map(|o| match o {
            GroupOutput::Command { member, command } => Some((*member, *command)),
            _ => None,
        })
        .collect()
}

fn delivered(out: &[GroupOutput]) -> Vec<(u32, MemberId)> {
    out.iter()
        .filter_map(|o| match o {
            GroupOutput::Event(GroupEvent::Message { seq, member, .. }) => {
                Some((seq.as_u32(), *member))
            }
            _ => None,
        })
        .collect()
}

fn connected(g: &mut Group, weight: u16, now: Instant) -> MemberId {
    let m = g.add_member(weight, now).unwrap();
    g.member_connected(m, obs(now, g.next_send_seq().as_u32()), now);
    m
}

fn msg(n: u8) -> Bytes {
    Bytes::from(vec![n; 10])
}

#[test]
fn broadcast_sends_each_message_on_every_member_with_one_origin_time() {
    let mut g = group(GroupType::Broadcast);
    let a = connected(&mut g, 1, ms(0));
    let b = connected(&mut g, 1, ms(0));
    outputs(&mut g);
    g.send(msg(1), SendOptions::default(), ms(5)).unwrap();
    let out = outputs(&mut g);
    assert_eq!(sends(&out), [(a, msg(1)), (b, msg(1))]);
    for o in &out {
        if let GroupOutput::Send { options, .. } = o {
            assert_eq!(options.src_time, Some(ms(5)));
        }
    }
    assert_eq!(g.next_send_seq(), s(ISN + 1));
}

#[test]
fn a_member_in_another_sequence_space_is_moved_before_it_runs() {
    let mut g = group(GroupType::Broadcast);
    let m = g.add_member(1, ms(0)).unwrap();
    g.member_connected(m, obs(ms(0), 77), ms(0));
    outputs(&mut g);
    g.send(msg(1), SendOptions::default(), ms(1)).unwrap();
    let out = outputs(&mut g);
    assert_eq!(
        commands(&out),
        [(m, MemberCommand::OverrideSendSeq(s(ISN)))]
    );
    assert_eq!(sends(&out), [(m, msg(1))]);
}

#[test]
fn a_member_with_data_in_flight_waits_idle_until_its_buffer_empties() {
    let mut g = group(GroupType::Broadcast);
    let a = connected(&mut g, 1, ms(0));
    let b = g.add_member(1, ms(0)).unwrap();
    let mut busy = obs(ms(0), 77);
    busy.send_acked_seq = s(70);
    g.member_connected(b, busy, ms(0));
    g.send(msg(1), SendOptions::default(), ms(1)).unwrap();
    assert_eq!(sends(&outputs(&mut g)), [(a, msg(1))]);
    assert_eq!(g.member(b).unwrap().state, MemberState::Idle);
    g.observe(b, obs(ms(2), 77), ms(2));
    g.send(msg(2), SendOptions::default(), ms(3)).unwrap();
    let out = outputs(&mut g);
    assert_eq!(
        commands(&out),
        [(b, MemberCommand::OverrideSendSeq(s(ISN + 1)))]
    );
    assert_eq!(sends(&out), [(a, msg(2)), (b, msg(2))]);
}

#[test]
fn sending_without_a_connected_member_fails() {
    let mut g = group(GroupType::Broadcast);
    g.add_member(1, ms(0)).unwrap();
    assert_eq!(
        g.send(msg(1), SendOptions::default(), ms(1)),
        Err(GroupSendError::NoActiveMember)
    );
    assert_eq!(g.next_send_seq(), s(ISN));
}

#[test]
fn a_message_longer_than_a_packet_is_refused() {
    let mut g = group(GroupType::Broadcast);
    connected(&mut g, 1, ms(0));
    assert_eq!(
        g.send(Bytes::from(vec![0; 1317]), SendOptions::default(), ms(1)),
        Err(GroupSendError::MessageTooLong {
            len: 1317,
            max: 1316
        })
    );
    assert_eq!(
        g.send(Bytes::new(), SendOptions::default(), ms(1)),
        Err(GroupSendError::Empty)
    );
}

#[test]
fn the_first_copy_of_a_sequence_number_is_delivered_and_later_ones_dropped() {
    let mut g = group(GroupType::Broadcast);
    let a = connected(&mut g, 1, ms(0));
    let b = connected(&mut g, 1, ms(0));
    outputs(&mut g);
    g.on_member_message(a, s(5), msg(5), ms(1), ms(10));
    g.on_member_message(b, s(5), msg(5), ms(1), ms(10));
    g.on_member_message(b, s(6), msg(6), ms(2), ms(11));
    g.on_member_message(a, s(6), msg(6), ms(2), ms(11));
    assert_eq!(delivered(&outputs(&mut g)), [(5, a), (6, b)]);
    let st = g.stats();
    assert_eq!((st.delivered, st.duplicates, st.lost), (2, 2, 0));
    assert_eq!(g.member(a).unwrap().delivered, 1);
    assert_eq!(g.member(a).unwrap().duplicates, 1);
}

#[test]
fn an_older_sequence_number_after_a_newer_one_is_not_delivered() {
    let mut g = group(GroupType::Broadcast);
    let a = connected(&mut g, 1, ms(0));
    let b = connected(&mut g, 1, ms(0));
    outputs(&mut g);
    g.on_member_message(a, s(7), msg(7), ms(1), ms(10));
    g.on_member_message(b, s(6), msg(6), ms(1), ms(10));
    assert_eq!(delivered(&outputs(&mut g)), [(7, a)]);
}

#[test]
fn sequence_numbers_no_member_brought_are_counted_lost() {
    let mut g = group(GroupType::Broadcast);
    let a = connected(&mut g, 1, ms(0));
    g.on_member_message(a, s(1), msg(1), ms(1), ms(10));
    g.on_member_message(a, s(4), msg(4), ms(1), ms(10));
    assert_eq!(g.stats().lost, 2);
}

#[test]
fn delivery_follows_the_sequence_across_its_wrap() {
    let mut g = group(GroupType::Broadcast);
    let a = connected(&mut g, 1, ms(0));
    outputs(&mut g);
    g.on_member_message(a, s(SeqNumber::MAX), msg(1), ms(1), ms(10));
    g.on_member_message(a, s(0), msg(2), ms(1), ms(10));
    g.on_member_message(a, s(SeqNumber::MAX), msg(1), ms(1), ms(10));
    assert_eq!(delivered(&outputs(&mut g)), [(SeqNumber::MAX, a), (0, a)]);
}

#[test]
fn a_lagging_member_gets_the_watermark_and_one_in_step_does_not() {
    let mut g = group(GroupType::Broadcast);
    let a = connected(&mut g, 1, ms(0));
    let b = connected(&mut g, 1, ms(0));
    let c = connected(&mut g, 1, ms(0));
    outputs(&mut g);
    for n in 0..receive::SKIP_BATCH {
        g.on_member_message(a, s(n), msg(1), ms(1), ms(10));
        g.on_member_message(b, s(n), msg(1), ms(1), ms(10));
    }
    let last = s(receive::SKIP_BATCH - 1);
    assert_eq!(
        commands(&outputs(&mut g)),
        [(c, MemberCommand::SkipReceiveTo(last))]
    );
    assert_eq!(g.stats().skips_sent, 1);
}

#[test]
fn a_slow_trickle_still_sends_the_watermark_after_20_ms() {
    let mut g = group(GroupType::Broadcast);
    let a = connected(&mut g, 1, ms(0));
    let b = connected(&mut g, 1, ms(0));
    outputs(&mut g);
    for n in 0..10 {
        g.on_member_message(a, s(n), msg(1), ms(1), ms(10));
    }
    assert!(commands(&outputs(&mut g)).is_empty());
    let t = g.next_timeout().unwrap();
    assert_eq!(t, ms(20));
    g.handle_timeout(t);
    assert_eq!(
        commands(&outputs(&mut g)),
        [(b, MemberCommand::SkipReceiveTo(s(9)))]
    );
    assert_eq!(g.next_timeout(), None);
}

#[test]
fn a_new_member_gets_the_group_time_base() {
    let mut g = group(GroupType::Broadcast);
    let a = g.add_member(1, ms(0)).unwrap();
    let mut o = obs(ms(0), ISN);
    o.receive_time_base = Some(ms(3));
    g.member_connected(a, o, ms(0));
    let b = g.add_member(1, ms(1)).unwrap();
    g.member_connected(b, obs(ms(1), ISN), ms(1));
    let out = outputs(&mut g);
    assert_eq!(
        commands(&out),
        [(b, MemberCommand::SetReceiveTimeBase(ms(3)))]
    );
}

/// A fresh member's observation whose TSBPD time base is `us`.
fn with_time_base(us: u64) -> MemberObservation {
    MemberObservation {
        receive_time_base: Some(Instant::from_micros(us)),
        ..obs(ms(0), ISN)
    }
}

#[test]
fn a_member_time_base_off_the_group_one_is_reset_and_the_leader_is_followed() {
    let mut g = group(GroupType::Broadcast);
    let a = g.add_member(1, ms(0)).unwrap();
    let b = g.add_member(1, ms(0)).unwrap();
    let with_base = |t: u64| with_time_base(t * 1000);
    g.member_connected(a, with_base(3), ms(0));
    g.member_connected(b, with_base(9), ms(0));
    assert_eq!(
        commands(&outputs(&mut g)),
        [(b, MemberCommand::SetReceiveTimeBase(ms(3)))]
    );
    // The leader's drift correction moves the group's base.
    g.observe(a, with_base(4), ms(1));
    g.observe(b, with_base(3), ms(1));
    assert_eq!(
        commands(&outputs(&mut g)),
        [(b, MemberCommand::SetReceiveTimeBase(ms(4)))]
    );
}

#[test]
fn a_member_time_base_whole_timestamp_wraps_after_the_group_one_is_in_step() {
    // A member that joined after the peer's timestamps wrapped counts from
    // there: its base is 2^32 µs later for the same schedule.
    let mut g = group(GroupType::Broadcast);
    let a = g.add_member(1, ms(0)).unwrap();
    let b = g.add_member(1, ms(0)).unwrap();
    let with_base = with_time_base;
    g.member_connected(a, with_base(3_000), ms(0));
    g.member_connected(b, with_base(3_000 + (1 << 32) + 100), ms(0));
    assert!(commands(&outputs(&mut g)).is_empty());
    // Off by a wrap and 2 ms: reset.
    g.observe(b, with_base(1_000 + (1 << 32)), ms(1));
    assert_eq!(
        commands(&outputs(&mut g)),
        [(
            b,
            MemberCommand::SetReceiveTimeBase(Instant::from_micros(3_000))
        )]
    );
}

#[test]
fn backup_sends_on_one_member_and_keeps_the_other_on_standby() {
    let mut g = group(GroupType::Backup);
    let a = connected(&mut g, 10, ms(0));
    let b = connected(&mut g, 5, ms(0));
    outputs(&mut g);
    g.send(msg(1), SendOptions::default(), ms(1)).unwrap();
    assert_eq!(sends(&outputs(&mut g)), [(a, msg(1))]);
    assert_eq!(
        g.member(a).unwrap().backup_state,
        Some(BackupState::ActiveFresh)
    );
    assert_eq!(
        g.member(b).unwrap().backup_state,
        Some(BackupState::Standby)
    );
    assert_eq!(g.member(b).unwrap().state, MemberState::Idle);
}

#[test]
fn the_highest_weight_standby_is_activated_first() {
    let mut g = group(GroupType::Backup);
    let _low = connected(&mut g, 1, ms(0));
    let high = connected(&mut g, 9, ms(0));
    let _mid = connected(&mut g, 5, ms(0));
    outputs(&mut g);
    g.send(msg(1), SendOptions::default(), ms(1)).unwrap();
    assert_eq!(sends(&outputs(&mut g)), [(high, msg(1))]);
}

/// Runs a backup group with `a` active and answering every 10 ms up to
/// `until`, sending a message every ms; returns the time reached.
fn stream(g: &mut Group, a: MemberId, from: u64, until: u64, acked_upto: u32) {
    for t in from..until {
        let now = ms(t);
        if t % 10 == 0 {
            let mut o = obs(now, g.next_send_seq().as_u32());
            o.send_acked_seq = s(acked_upto.max(ISN));
            g.observe(a, o, now);
        }
        g.send(msg(t as u8), SendOptions::default(), now).unwrap();
        g.handle_timeout(now);
        outputs(g);
    }
}

#[test]
fn a_fresh_member_becomes_stable_after_its_probing_period() {
    let mut g = group(GroupType::Backup);
    let a = connected(&mut g, 1, ms(0));
    stream(&mut g, a, 1, 249, ISN);
    assert_eq!(
        g.member(a).unwrap().backup_state,
        Some(BackupState::ActiveFresh)
    );
    // Probing: max(60 ms, 200 ms latency) + 50 ms after activation at 1 ms.
    stream(&mut g, a, 249, 260, ISN);
    assert_eq!(
        g.member(a).unwrap().backup_state,
        Some(BackupState::ActiveStable)
    );
}

#[test]
fn a_silent_active_member_is_replaced_by_the_standby_with_a_replay_of_what_is_unacknowledged() {
    let mut g = group(GroupType::Backup);
    let a = connected(&mut g, 10, ms(0));
    let b = connected(&mut g, 5, ms(0));
    stream(&mut g, a, 1, 300, ISN + 280);
    assert_eq!(
        g.member(a).unwrap().backup_state,
        Some(BackupState::ActiveStable)
    );
    // The standby kept answering keepalives.
    g.observe(b, obs(ms(300), ISN), ms(300));
    // `a` falls silent at 290 (its last snapshot); it is unstable once
    // silent for longer than max(60 ms, 2·10 + 4·2 ms) = 60 ms.
    let mut switched_at = None;
    let mut out = Vec::new();
    for t in 300..400 {
        g.send(msg(t as u8), SendOptions::default(), ms(t)).unwrap();
        g.handle_timeout(ms(t));
        let o = outputs(&mut g);
        if switched_at.is_none()
            && o.iter()
                .any(|x| matches!(x, GroupOutput::Event(GroupEvent::ActiveSwitched { .. })))
        {
            switched_at = Some(t);
            out = o;
        }
    }
    let t = switched_at.expect("no switch");
    assert_eq!(t, 351, "unstable more than 60 ms after 290");
    assert_eq!(
        g.member(a).unwrap().backup_state,
        Some(BackupState::ActiveUnstable)
    );
    // b moved to the first unacknowledged message and got everything since.
    let first = ISN + 280;
    assert_eq!(
        commands(&out),
        [(b, MemberCommand::OverrideSendSeq(s(first)))]
    );
    let replayed: Vec<_> = sends(&out).into_iter().filter(|(m, _)| *m == b).collect();
    // Messages first..(sent before 351), then 351 itself on both.
    assert_eq!(replayed.len() as u32, (ISN + 350 - first) + 1);
    assert!(out.iter().any(|x| matches!(
        x,
        GroupOutput::Event(GroupEvent::ActiveSwitched { from: Some(f), to, .. }) if *f == a && *to == b
    )));
}

#[test]
fn a_pause_in_sending_does_not_make_the_active_member_unstable() {
    let mut g = group(GroupType::Backup);
    let a = connected(&mut g, 10, ms(0));
    let b = connected(&mut g, 5, ms(0));
    stream(&mut g, a, 1, 300, ISN + 280);
    // Everything acknowledged, then nothing sent for two seconds: the peer
    // has nothing to answer (keepalives only every second).
    let seq = g.next_send_seq().as_u32();
    g.observe(a, obs(ms(300), seq), ms(300));
    g.observe(b, obs(ms(300), ISN), ms(300));
    for t in 300..2_300 {
        g.handle_timeout(ms(t));
        assert!(
            !outputs(&mut g)
                .iter()
                .any(|x| matches!(x, GroupOutput::Event(GroupEvent::ActiveSwitched { .. }))),
            "switched at {t} ms while idle"
        );
    }
    assert_eq!(
        g.member(a).unwrap().backup_state,
        Some(BackupState::ActiveStable)
    );
    // Sending again: silence counts from the first unanswered message, so
    // a member that stays silent is replaced 60 ms later.
    let mut switched_at = None;
    for t in 2_300..2_400 {
        g.send(msg(t as u8), SendOptions::default(), ms(t)).unwrap();
        g.handle_timeout(ms(t));
        if switched_at.is_none()
            && outputs(&mut g)
                .iter()
                .any(|x| matches!(x, GroupOutput::Event(GroupEvent::ActiveSwitched { .. })))
        {
            switched_at = Some(t);
        }
    }
    assert_eq!(switched_at, Some(2_361));
}

#[test]
fn replayed_messages_keep_their_origin_times() {
    let mut g = group(GroupType::Backup);
    let a = connected(&mut g, 10, ms(0));
    let b = connected(&mut g, 5, ms(0));
    g.send(msg(1), SendOptions::default(), ms(1)).unwrap();
    g.send(msg(2), SendOptions::default(), ms(2)).unwrap();
    outputs(&mut g);
    g.member_closed(a, ms(3));
    let out = outputs(&mut g);
    let times: Vec<_> = out
        .iter()
        .filter_map(|o| match o {
            GroupOutput::Send {
                member, options, ..
            } if *member == b => options.src_time,
            _ => None,
        })
        .collect();
    assert_eq!(times, [ms(1), ms(2)]);
}

#[test]
fn a_higher_weight_member_joining_takes_over_and_the_other_is_silenced() {
    let mut g = group(GroupType::Backup);
    let low = connected(&mut g, 1, ms(0));
    stream(&mut g, low, 1, 300, ISN);
    let high = connected(&mut g, 9, ms(300));
    let out = outputs(&mut g);
    assert!(out.iter().any(|x| matches!(
        x,
        GroupOutput::Event(GroupEvent::ActiveSwitched { to, .. }) if *to == high
    )));
    // Both run until the new one is stable, then the lower goes back to
    // standby.
    for t in 301..600 {
        let now = ms(t);
        if t % 10 == 0 {
            let o = obs(now, g.next_send_seq().as_u32());
            g.observe(high, o, now);
            g.observe(low, o, now);
        }
        g.send(msg(1), SendOptions::default(), now).unwrap();
        outputs(&mut g);
    }
    assert_eq!(
        g.member(high).unwrap().backup_state,
        Some(BackupState::ActiveStable)
    );
    assert_eq!(
        g.member(low).unwrap().backup_state,
        Some(BackupState::Standby)
    );
    g.send(msg(2), SendOptions::default(), ms(600)).unwrap();
    assert_eq!(sends(&outputs(&mut g)), [(high, msg(2))]);
}

#[test]
fn an_unstable_member_that_answers_again_is_wary_then_stable_after_four_latencies() {
    let mut g = group(GroupType::Backup);
    let a = connected(&mut g, 1, ms(0));
    stream(&mut g, a, 1, 300, ISN);
    g.handle_timeout(ms(400));
    assert_eq!(
        g.member(a).unwrap().backup_state,
        Some(BackupState::ActiveUnstable)
    );
    g.observe(a, obs(ms(410), g.next_send_seq().as_u32()), ms(410));
    g.handle_timeout(ms(410));
    assert_eq!(
        g.member(a).unwrap().backup_state,
        Some(BackupState::ActiveUnstableWary)
    );
    stream(&mut g, a, 411, 1215, ISN);
    assert_eq!(
        g.member(a).unwrap().backup_state,
        Some(BackupState::ActiveStable)
    );
}

#[test]
fn a_member_unstable_for_the_peer_idle_timeout_is_broken_and_closed() {
    let mut g = group(GroupType::Backup);
    let a = connected(&mut g, 1, ms(0));
    stream(&mut g, a, 1, 300, ISN);
    g.handle_timeout(ms(400));
    outputs(&mut g);
    g.handle_timeout(ms(5_401));
    let out = outputs(&mut g);
    assert!(out.contains(&GroupOutput::CloseMember { member: a }));
    assert!(
        out.contains(&GroupOutput::Event(GroupEvent::MemberStateChanged {
            member: a,
            from: MemberState::Running,
            to: MemberState::Broken
        }))
    );
    assert!(g.member(a).is_none());
}

#[test]
fn a_closed_member_is_broken_then_removed() {
    let mut g = group(GroupType::Broadcast);
    let a = connected(&mut g, 1, ms(0));
    outputs(&mut g);
    g.member_closed(a, ms(1));
    assert_eq!(
        outputs(&mut g),
        [
            GroupOutput::Event(GroupEvent::MemberStateChanged {
                member: a,
                from: MemberState::Idle,
                to: MemberState::Broken
            }),
            GroupOutput::Event(GroupEvent::MemberRemoved { member: a }),
        ]
    );
    assert_eq!(g.stats().members, 0);
}

#[test]
fn the_replay_buffer_forgets_messages_older_than_the_latency() {
    let mut g = group(GroupType::Backup);
    connected(&mut g, 1, ms(0));
    for t in 1..=100 {
        g.send(msg(1), SendOptions::default(), ms(t)).unwrap();
    }
    assert_eq!(g.stats().replay_buffer, 100);
    // Sent at 1..=100 ms, 200 ms latency: the first 40 are too old at
    // 241 ms, all at 301 ms.
    g.handle_timeout(ms(241));
    assert_eq!(g.stats().replay_buffer, 60);
    g.handle_timeout(ms(301));
    assert_eq!(g.stats().replay_buffer, 0);
}

/// `a` stable and active, a message sent every ms up to 299 ms (seq
/// `ISN + t - 1`), its peer acknowledged up to `ISN + 290`; what `b`
/// gets when it takes over for `why`: the override and how many
/// messages.
fn takeover_replay(why: fn(&mut Group, MemberId)) -> (MemberCommand, usize) {
    let mut g = group(GroupType::Backup);
    let a = connected(&mut g, 10, ms(0));
    let b = connected(&mut g, 5, ms(0));
    stream(&mut g, a, 1, 300, ISN + 290);
    g.observe(b, obs(ms(299), 5000), ms(299));
    why(&mut g, a);
    let out = outputs(&mut g);
    let replayed = sends(&out).iter().filter(|(m, _)| *m == b).count();
    let c = commands(&out);
    assert_eq!(c.len(), 1);
    (c[0].1, replayed)
}

#[test]
fn a_standby_replacing_a_silent_member_replays_what_is_unacknowledged() {
    // Silent since 290 ms: unstable after 60 ms.
    let (c, n) = takeover_replay(|g, _| g.handle_timeout(ms(351)));
    assert_eq!(c, MemberCommand::OverrideSendSeq(s(ISN + 290)));
    assert_eq!(n, 9);
}

#[test]
fn a_standby_replacing_a_member_that_left_replays_everything_kept() {
    // At 300 ms everything sent from 100 ms on is within the latency.
    let (c, n) = takeover_replay(|g, a| g.remove_member(a, ms(300)));
    assert_eq!(c, MemberCommand::OverrideSendSeq(s(ISN + 99)));
    assert_eq!(n, 200);
}

#[test]
fn the_replay_buffer_holds_at_most_its_packet_cap() {
    let mut cfg = GroupConfig::new(GroupType::Backup, s(ISN));
    cfg.max_replay_packets = 16;
    let mut g = Group::new(cfg, 1, Instant::ZERO);
    connected(&mut g, 1, ms(0));
    for _ in 0..100 {
        g.send(msg(1), SendOptions::default(), ms(1)).unwrap();
    }
    assert_eq!(g.stats().replay_buffer, 16);
}

#[test]
fn the_member_count_is_capped() {
    let mut cfg = GroupConfig::new(GroupType::Broadcast, s(ISN));
    cfg.max_members = 2;
    let mut g = Group::new(cfg, 1, Instant::ZERO);
    g.add_member(1, ms(0)).unwrap();
    g.add_member(1, ms(0)).unwrap();
    assert_eq!(
        g.add_member(1, ms(0)),
        Err(AddMemberError::TooManyMembers { max: 2 })
    );
}

#[test]
fn a_refused_send_takes_the_member_out_until_it_can_rejoin() {
    let mut g = group(GroupType::Broadcast);
    let a = connected(&mut g, 1, ms(0));
    let b = connected(&mut g, 1, ms(0));
    g.send(msg(1), SendOptions::default(), ms(1)).unwrap();
    outputs(&mut g);
    g.member_send_failed(b, ms(1));
    assert_eq!(g.member(b).unwrap().state, MemberState::Idle);
    g.send(msg(2), SendOptions::default(), ms(2)).unwrap();
    assert_eq!(sends(&outputs(&mut g)), [(a, msg(2))]);
    // Its buffer emptied at its own sequence: moved and back in.
    g.observe(b, obs(ms(3), ISN), ms(3));
    g.send(msg(3), SendOptions::default(), ms(3)).unwrap();
    let out = outputs(&mut g);
    assert_eq!(
        commands(&out),
        [(b, MemberCommand::OverrideSendSeq(s(ISN + 2)))]
    );
    assert_eq!(sends(&out), [(a, msg(3)), (b, msg(3))]);
}

#[test]
fn sync_gives_the_next_sequence_number_and_the_group_start() {
    let mut g = Group::new(GroupConfig::new(GroupType::Broadcast, s(5)), 1, ms(7));
    connected(&mut g, 1, ms(8));
    g.send(msg(1), SendOptions::default(), ms(9)).unwrap();
    let sync = g.sync();
    assert_eq!(sync.initial_seq, s(6));
    assert_eq!(sync.start_time, ms(7));
}

#[test]
fn a_standby_that_stopped_hearing_its_peer_goes_after_one_that_answers() {
    let mut g = group(GroupType::Backup);
    let a = connected(&mut g, 10, ms(0));
    let dead = connected(&mut g, 8, ms(0));
    let alive = connected(&mut g, 5, ms(0));
    stream(&mut g, a, 1, 3_000, ISN);
    // Keepalives kept coming on `alive` only.
    g.observe(alive, obs(ms(2_900), ISN), ms(2_900));
    g.observe(dead, obs(ms(100), ISN), ms(2_900));
    outputs(&mut g);
    g.member_closed(a, ms(3_000));
    let out = outputs(&mut g);
    assert!(out.iter().any(|x| matches!(
        x,
        GroupOutput::Event(GroupEvent::ActiveSwitched { to, .. }) if *to == alive
    )));
}

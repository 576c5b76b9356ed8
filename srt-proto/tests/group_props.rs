//! A group fed arbitrary member events, messages and time steps never
//! panics, stays within its bounds, and delivers sequence numbers once,
//! in increasing order.

use bytes::Bytes;
use core::time::Duration;
use proptest::prelude::*;
use srt_proto::connection::SendOptions;
use srt_proto::group::{
    Group, GroupConfig, GroupEvent, GroupOutput, GroupType, MemberId, MemberObservation,
};
use srt_proto::seq::SeqNumber;
use srt_proto::time::Instant;

const MAX_MEMBERS: usize = 4;
const MAX_REPLAY: usize = 64;

#[derive(Debug, Clone)]
enum Op {
    Add(u16),
    Connect(usize, Obs),
    Observe(usize, Obs),
    Close(usize),
    Remove(usize),
    SendFailed(usize),
    Send(usize),
    Message(usize, u32),
    Advance(u32),
}

#[derive(Debug, Clone, Copy)]
struct Obs {
    silent_ms: u32,
    srtt_ms: u32,
    acked: u32,
    next: u32,
    base_ms: Option<u32>,
}

fn obs() -> impl Strategy<Value = Obs> {
    (
        0u32..500,
        0u32..300,
        0u32..40,
        0u32..40,
        proptest::option::of(0u32..50),
    )
        .prop_map(|(silent_ms, srtt_ms, acked, next, base_ms)| Obs {
            silent_ms,
            srtt_ms,
            acked,
            next,
            base_ms,
        })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        any::<u16>().prop_map(Op::Add),
        (0usize..6, obs()).prop_map(|(i, o)| Op::Connect(i, o)),
        (0usize..6, obs()).prop_map(|(i, o)| Op::Observe(i, o)),
        (0usize..6).prop_map(Op::Close),
        (0usize..6).prop_map(Op::Remove),
        (0usize..6).prop_map(Op::SendFailed),
        (0usize..1400).prop_map(Op::Send),
        (0usize..6, 0u32..200).prop_map(|(i, s)| Op::Message(i, s)),
        (0u32..200_000).prop_map(Op::Advance),
    ]
}

fn observation(o: Obs, now: Instant, base: u32) -> MemberObservation {
    MemberObservation {
        last_peer_activity: now.saturating_sub(Duration::from_millis(u64::from(o.silent_ms))),
        srtt: Duration::from_millis(u64::from(o.srtt_ms)),
        rttvar: Duration::from_millis(u64::from(o.srtt_ms / 2)),
        send_acked_seq: SeqNumber::new(base.wrapping_add(o.acked)),
        next_send_seq: SeqNumber::new(base.wrapping_add(o.next)),
        receive_time_base: o.base_ms.map(|b| Instant::from_micros(u64::from(b) * 1000)),
    }
}

fn run(group_type: GroupType, isn: u32, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut cfg = GroupConfig::new(group_type, SeqNumber::new(isn));
    cfg.max_members = MAX_MEMBERS;
    cfg.max_replay_packets = MAX_REPLAY;
    let mut g = Group::new(cfg, 0x4000_0000, Instant::ZERO);
    let mut now = Instant::ZERO;
    let mut ids: Vec<MemberId> = Vec::new();
    let mut last_delivered: Option<SeqNumber> = None;
    let mut fed = 0u64;
    for op in ops {
        let pick = |i: usize| ids.get(i % ids.len().max(1)).copied();
        match op {
            Op::Add(w) => {
                if let Ok(m) = g.add_member(w, now) {
                    ids.push(m);
                }
            }
            Op::Connect(i, o) => {
                if let Some(m) = pick(i) {
                    g.member_connected(m, observation(o, now, isn), now);
                }
            }
            Op::Observe(i, o) => {
                if let Some(m) = pick(i) {
                    g.observe(m, observation(o, now, isn), now);
                }
            }
            Op::Close(i) => {
                if let Some(m) = pick(i) {
                    g.member_closed(m, now);
                }
            }
            Op::Remove(i) => {
                if let Some(m) = pick(i) {
                    g.remove_member(m, now);
                }
            }
            Op::SendFailed(i) => {
                if let Some(m) = pick(i) {
                    g.member_send_failed(m, now);
                }
            }
            Op::Send(len) => {
                let _ = g.send(Bytes::from(vec![1u8; len]), SendOptions::default(), now);
            }
            Op::Message(i, s) => {
                if let Some(m) = pick(i) {
                    if g.member(m).is_some() {
                        fed += 1;
                    }
                    let seq = SeqNumber::new(isn.wrapping_add(s));
                    g.on_member_message(m, seq, Bytes::from_static(b"m"), now, now);
                }
            }
            Op::Advance(us) => {
                now += Duration::from_micros(u64::from(us));
                if g.next_timeout().is_some_and(|t| t <= now) {
                    g.handle_timeout(now);
                }
            }
        }
        let mut outputs = 0usize;
        while let Some(o) = g.poll_output() {
            outputs += 1;
            match o {
                GroupOutput::Event(GroupEvent::Message { seq, .. }) => {
                    if let Some(d) = last_delivered {
                        prop_assert!(seq.is_after(d), "{seq} delivered after {d}");
                    }
                    last_delivered = Some(seq);
                }
                GroupOutput::Send { member, .. } | GroupOutput::Command { member, .. } => {
                    prop_assert!(ids.contains(&member));
                }
                _ => {}
            }
        }
        // One input: at most a replay and a message per member, plus a
        // few events each.
        prop_assert!(
            outputs <= (MAX_REPLAY + 8) * MAX_MEMBERS,
            "{outputs} outputs"
        );
        let st = g.stats();
        prop_assert!(st.members <= MAX_MEMBERS);
        prop_assert!(st.replay_buffer <= MAX_REPLAY);
        prop_assert!(st.running <= st.members);
        prop_assert!(st.delivered + st.duplicates <= fed);
        prop_assert!(g.members().count() == st.members);
        if let Some(t) = g.next_timeout() {
            prop_assert!(t >= Instant::ZERO);
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn a_broadcast_group_fed_anything_stays_within_bounds(
        isn in any::<u32>(),
        ops in proptest::collection::vec(op(), 0..200),
    ) {
        run(GroupType::Broadcast, isn, ops)?;
    }

    #[test]
    fn a_backup_group_fed_anything_stays_within_bounds(
        isn in any::<u32>(),
        ops in proptest::collection::vec(op(), 0..200),
    ) {
        run(GroupType::Backup, isn, ops)?;
    }
}

//! Socket group membership in the endpoint: the GROUP handshake extension
//! on both sides (libsrt 1.5's `interpretGroup` / `makeMePeerOf` rules),
//! the listener's mirror groups, group synchronization of a member's
//! sequence numbers and time base, and member commands.

mod endpoint_group_support;

use bytes::Bytes;
use core::time::Duration;
use endpoint_group_support::{
    World, addr, data_packets, group, handshakes, member_config, rewrite_group, rewrite_handshake,
};
use srt_proto::access::AcceptOptions;
use srt_proto::connection::{OverrideSeqError, SendOptions};
use srt_proto::endpoint::{MemberCommand, MemberCommandError};
use srt_proto::group::GroupType;
use srt_proto::handshake::{GroupSync, HandshakeConfig};
use srt_proto::packet::Packet;
use srt_proto::packet::ext::HandshakeExtension;
use srt_proto::packet::handshake::{ExtensionFlags, HandshakeType};
use srt_proto::packet::reject::RejectReason;
use srt_proto::seq::SeqNumber;
use srt_proto::time::Instant;
use srt_proto::{AccessControl, ConnectionId, Event, Input, ListenConfig};

const LISTENER: &str = "10.0.0.1:4200";
const LISTENER_2: &str = "10.0.0.9:4200";
const PATH_A: &str = "10.0.1.2:5000";
const PATH_B: &str = "10.0.2.2:5000";
const GROUP_ID: u32 = 0x4000_1234;
const OTHER_GROUP_ID: u32 = 0x4000_5678;

fn start() -> Instant {
    Instant::ZERO + Duration::from_secs(10)
}

/// A listener (index 0) with `config`, and callers on two paths (1, 2).
fn world(config: ListenConfig) -> World {
    let mut w = World::new(start());
    let l = w.add(LISTENER, 1);
    w.add(PATH_A, 2);
    w.add(PATH_B, 3);
    w.input(l, Input::Listen(Box::new(config)));
    w
}

fn grouping() -> ListenConfig {
    ListenConfig::new(HandshakeConfig::default()).with_group_connect(true)
}

fn rejected(w: &World, i: usize) -> Vec<(RejectReason, bool)> {
    w.events(i, |e| match e {
        Event::Rejected {
            reason, by_peer, ..
        } => Some((*reason, *by_peer)),
        _ => None,
    })
}

fn send(w: &mut World, i: usize, conn: ConnectionId, text: &'static str) {
    w.input(
        i,
        Input::Send {
            conn,
            data: Bytes::from_static(text.as_bytes()),
            options: SendOptions::default(),
        },
    );
}

#[test]
fn grouped_caller_is_rejected_with_the_group_code_when_groupconnect_is_off() {
    let mut w = world(ListenConfig::new(HandshakeConfig::default()));
    w.connect(1, LISTENER, member_config(group(GROUP_ID, 0)));
    assert_eq!(rejected(&w, 1), [(RejectReason::Group, true)]);
    let incoming = w.events(0, |e| match e {
        Event::IncomingRejected { reason, .. } => Some(*reason),
        _ => None,
    });
    assert_eq!(incoming, [RejectReason::Group]);
    assert!(w.connected(0).is_empty());
    assert_eq!(w.eps[0].ep.state_size().groups, 0);
}

#[test]
fn grouped_caller_is_accepted_when_groupconnect_is_on_and_both_sides_name_the_groups() {
    let mut w = world(grouping());
    let conn = w.connect(1, LISTENER, member_config(group(GROUP_ID, 7)));
    let caller_side = w.member(1, conn).expect("caller is a member");
    let (_, listener_side) = w.connected(0)[0];
    let listener_side = listener_side.expect("listener side is a member");
    assert_eq!(listener_side.peer_group_id, GROUP_ID);
    assert_ne!(listener_side.local_group_id & (1 << 30), 0, "group-id bit");
    assert_eq!(listener_side.group_type, GroupType::Broadcast);
    assert_eq!(listener_side.weight, 7);
    assert_eq!(caller_side.local_group_id, GROUP_ID);
    assert_eq!(caller_side.peer_group_id, listener_side.local_group_id);
    assert_eq!(caller_side.group_type, GroupType::Broadcast);
    assert_eq!(caller_side.weight, 7);
}

#[test]
fn ungrouped_caller_connects_to_a_grouping_listener_without_membership() {
    let mut w = world(grouping());
    let conn = w.connect(1, LISTENER, HandshakeConfig::default());
    assert_eq!(w.connected(1), [(conn, None)]);
    assert_eq!(w.connected(0).len(), 1);
    assert_eq!(w.connected(0)[0].1, None);
}

#[test]
fn listener_answers_with_its_mirror_group_type_no_flags_and_the_callers_weight() {
    let mut w = world(grouping());
    w.connect(1, LISTENER, member_config(group(GROUP_ID, 300)));
    let local = w.connected(0)[0].1.unwrap().local_group_id;
    let answer = handshakes(&w.eps[0].sent)
        .into_iter()
        .find(|(_, hs)| hs.handshake_type == HandshakeType::Conclusion)
        .expect("conclusion answer")
        .1;
    let kinds: Vec<u16> = answer
        .extensions
        .iter()
        .map(HandshakeExtension::ty)
        .collect();
    assert_eq!(kinds, [2, 8], "HSRSP then GROUP, as libsrt orders them");
    assert_eq!(
        answer.extensions[1],
        HandshakeExtension::Group(srt_proto::packet::ext::GroupExt {
            group_id: local,
            group_type: 1,
            flags: 0,
            weight: 300,
        })
    );
    assert!(answer.extension_flags.contains(ExtensionFlags::CONFIG));
}

#[test]
fn two_members_of_one_peer_group_join_one_mirror_group() {
    let mut w = world(grouping());
    let a = w.connect(1, LISTENER, member_config(group(GROUP_ID, 1)));
    let b = w.connect(2, LISTENER, member_config(group(GROUP_ID, 2)));
    let members = w.connected(0);
    assert_eq!(members.len(), 2);
    let (first, second) = (members[0].1.unwrap(), members[1].1.unwrap());
    assert_eq!(first.local_group_id, second.local_group_id);
    assert_eq!((first.weight, second.weight), (1, 2));
    assert_eq!(w.member(1, a).unwrap().peer_group_id, first.local_group_id);
    assert_eq!(w.member(2, b).unwrap().peer_group_id, first.local_group_id);
    assert_eq!(w.eps[0].ep.state_size().groups, 1);
}

#[test]
fn members_of_two_peer_groups_get_two_mirror_groups() {
    let mut w = world(grouping());
    w.connect(1, LISTENER, member_config(group(GROUP_ID, 0)));
    w.connect(2, LISTENER, member_config(group(OTHER_GROUP_ID, 0)));
    let members = w.connected(0);
    let (first, second) = (members[0].1.unwrap(), members[1].1.unwrap());
    assert_ne!(first.local_group_id, second.local_group_id);
    assert_eq!(w.eps[0].ep.state_size().groups, 2);
}

#[test]
fn member_of_a_known_peer_group_with_another_type_is_rejected() {
    let mut w = world(grouping());
    w.connect(1, LISTENER, member_config(group(GROUP_ID, 0)));
    let mut backup = group(GROUP_ID, 0);
    backup.group_type = 2;
    w.connect(2, LISTENER, member_config(backup));
    assert_eq!(rejected(&w, 2), [(RejectReason::Group, true)]);
}

#[test]
fn group_id_without_the_group_bit_is_rogue_and_sync_on_msgno_is_refused() {
    let mut w = world(grouping());
    // Our caller refuses to send such an id, so it is cleared on the way.
    w.tamper = Some(Box::new(|from, data| {
        if from == addr(PATH_A) {
            rewrite_group(data, |g| g.group_id &= !(1 << 30));
        }
        true
    }));
    w.connect(1, LISTENER, member_config(group(GROUP_ID, 0)));
    assert_eq!(rejected(&w, 1), [(RejectReason::Rogue, true)]);
    let mut on_msgno = group(GROUP_ID, 0);
    on_msgno.flags = 1;
    w.connect(2, LISTENER, member_config(on_msgno));
    assert_eq!(rejected(&w, 2), [(RejectReason::Group, true)]);
    assert_eq!(w.eps[0].ep.state_size().groups, 0);
}

#[test]
fn mirror_group_is_forgotten_when_its_last_member_closes() {
    let mut w = world(grouping());
    let a = w.connect(1, LISTENER, member_config(group(GROUP_ID, 0)));
    let b = w.connect(2, LISTENER, member_config(group(GROUP_ID, 0)));
    assert_eq!(w.eps[0].ep.state_size().groups, 1);
    w.input(1, Input::Close { conn: a });
    w.advance(Duration::from_secs(1));
    assert_eq!(w.eps[0].ep.state_size().groups, 1, "one member is left");
    w.input(2, Input::Close { conn: b });
    w.advance(Duration::from_secs(1));
    assert_eq!(w.eps[0].ep.state_size().established, 0);
    assert_eq!(w.eps[0].ep.state_size().groups, 0);
    // The peer group comes back: a new mirror group.
    let before = w.connected(0)[0].1.unwrap().local_group_id;
    w.connect(1, LISTENER, member_config(group(GROUP_ID, 0)));
    let after = w.connected(0)[2].1.unwrap().local_group_id;
    assert_ne!(before, after);
}

#[test]
fn connection_request_names_the_mirror_group_before_the_decision() {
    let mut w = world(grouping().with_access(AccessControl::Ask));
    w.connect(1, LISTENER, member_config(group(GROUP_ID, 5)));
    w.connect(2, LISTENER, member_config(group(GROUP_ID, 6)));
    let requests = w.events(0, |e| match e {
        Event::ConnectionRequest(r) => Some((r.id, r.member, r.group)),
        _ => None,
    });
    assert_eq!(requests.len(), 2);
    let (m1, m2) = (requests[0].1.unwrap(), requests[1].1.unwrap());
    assert_eq!(m1.peer_group_id, GROUP_ID);
    assert_eq!(m1.local_group_id, m2.local_group_id, "one mirror group");
    assert_eq!((m1.weight, m2.weight), (5, 6));
    assert_eq!(requests[0].2.map(|g| g.group_id), Some(GROUP_ID));
    // Accepted: the connection is in the group the request named.
    w.input(
        0,
        Input::Accept {
            request: requests[0].0,
            options: AcceptOptions::new(),
        },
    );
    assert_eq!(w.connected(0)[0].1, Some(m1));
}

#[test]
fn waiting_requests_hold_their_mirror_group_until_refused_or_expired() {
    let mut w = world(grouping().with_access(AccessControl::Ask));
    w.connect(1, LISTENER, member_config(group(GROUP_ID, 0)));
    w.connect(2, LISTENER, member_config(group(OTHER_GROUP_ID, 0)));
    assert_eq!(w.eps[0].ep.state_size().groups, 2);
    let first = w.events(0, |e| match e {
        Event::ConnectionRequest(r) => Some(r.id),
        _ => None,
    })[0];
    w.input(
        0,
        Input::Reject {
            request: first,
            reason: RejectReason::Peer,
        },
    );
    assert_eq!(w.eps[0].ep.state_size().groups, 1);
    w.advance(Duration::from_secs(4));
    assert_eq!(w.eps[0].ep.state_size().pending_requests, 0);
    assert_eq!(w.eps[0].ep.state_size().groups, 0);
}

#[test]
fn mirror_groups_are_bounded_by_the_backlog_of_waiting_requests() {
    let mut w = World::new(start());
    let l = w.add(LISTENER, 1);
    let config = grouping().with_access(AccessControl::Ask).with_backlog(3);
    w.input(l, Input::Listen(Box::new(config)));
    for n in 0..10u16 {
        let caller = w.add(&format!("10.0.3.{}:5000", n + 1), 10 + n as u8);
        w.connect(
            caller,
            LISTENER,
            member_config(group(0x4000_0000 | u32::from(n + 1), 0)),
        );
    }
    assert_eq!(w.eps[l].ep.state_size().pending_requests, 3);
    assert_eq!(w.eps[l].ep.state_size().groups, 3);
}

#[test]
fn caller_rejects_a_listener_that_does_not_answer_its_group() {
    let mut w = world(grouping());
    // A listener that did not understand the group: its answer loses the
    // GROUP block.
    w.tamper = Some(Box::new(|from, data| {
        if from == addr(LISTENER) {
            rewrite_handshake(data, |hs| {
                hs.extensions
                    .retain(|e| !matches!(e, HandshakeExtension::Group(_)));
            });
        }
        true
    }));
    w.connect(1, LISTENER, member_config(group(GROUP_ID, 0)));
    assert_eq!(rejected(&w, 1), [(RejectReason::Group, false)]);
    assert!(w.connected(1).is_empty());
}

#[test]
fn member_answered_by_another_peer_group_than_its_group_has_is_rejected() {
    let mut w = world(grouping());
    let other = w.add(LISTENER_2, 4);
    w.input(other, Input::Listen(Box::new(grouping())));
    // Both members from one caller endpoint, to two listeners: each
    // listener makes its own mirror group.
    let a = w.connect(1, LISTENER, member_config(group(GROUP_ID, 0)));
    assert!(w.member(1, a).is_some());
    w.connect(1, LISTENER_2, member_config(group(GROUP_ID, 0)));
    assert_eq!(rejected(&w, 1), [(RejectReason::Group, false)]);
    assert_eq!(w.connected(1).len(), 1);
}

#[test]
fn rendezvous_with_a_group_is_refused_as_libsrt_has_none() {
    let mut w = world(grouping());
    w.input(
        1,
        Input::Rendezvous {
            remote: addr(PATH_B),
            config: Box::new(member_config(group(GROUP_ID, 0))),
        },
    );
    let failed = w.events(1, |e| match e {
        Event::ConnectFailed { reason, .. } => Some(*reason),
        _ => None,
    });
    assert_eq!(failed, [RejectReason::Group]);
}

#[test]
fn caller_refuses_to_send_a_group_id_without_the_group_bit() {
    let mut w = world(grouping());
    w.input(
        1,
        Input::Connect {
            remote: addr(LISTENER),
            config: Box::new(member_config(group(0x1234, 0))),
        },
    );
    let failed = w.events(1, |e| match e {
        Event::ConnectFailed { reason, .. } => Some(*reason),
        _ => None,
    });
    assert_eq!(failed, [RejectReason::Group]);
}

#[test]
fn group_sync_sets_the_initial_sequence_and_the_time_base_on_the_wire() {
    let mut w = world(grouping());
    let group_start = start() - Duration::from_secs(4);
    let isn = SeqNumber::new(123_456);
    let config = HandshakeConfig {
        group_sync: Some(GroupSync {
            initial_seq: isn,
            start_time: group_start,
        }),
        ..member_config(group(GROUP_ID, 0))
    };
    let conn = w.connect(1, LISTENER, config);
    let hss = handshakes(&w.eps[1].sent);
    let (ts, conclusion) = hss
        .iter()
        .find(|(_, hs)| hs.handshake_type == HandshakeType::Conclusion)
        .unwrap();
    assert_eq!(conclusion.initial_seq, isn);
    assert_eq!(*ts, 4_000_000, "handshake stamped from the group's start");
    w.advance(Duration::from_millis(500));
    send(&mut w, 1, conn, "first");
    w.advance(Duration::from_millis(300));
    let data = data_packets(&w.eps[1].sent);
    assert_eq!(data[0].seq, isn);
    let expected = 4_500_000;
    let stamped = data[0].timestamp.as_u32();
    assert!(
        (expected..expected + 10_000).contains(&stamped),
        "data stamped from the group's start: {stamped}"
    );
    let seqs = w.events(0, |e| match e {
        Event::Message { seq, data, .. } => Some((*seq, data.clone())),
        _ => None,
    });
    assert_eq!(seqs, [(isn, Bytes::from_static(b"first"))]);
}

#[test]
fn member_joining_a_long_running_group_stays_connected() {
    let mut w = world(grouping());
    let config = HandshakeConfig {
        group_sync: Some(GroupSync {
            initial_seq: SeqNumber::new(1),
            start_time: start() - Duration::from_secs(9),
        }),
        ..member_config(group(GROUP_ID, 0))
    };
    let conn = w.connect(1, LISTENER, config);
    w.advance(Duration::from_secs(2));
    send(&mut w, 1, conn, "still here");
    w.advance(Duration::from_secs(1));
    let closed = w.events(1, |e| matches!(e, Event::Closed { .. }).then_some(()));
    assert!(
        closed.is_empty(),
        "the group's old time base is no idle time"
    );
    assert_eq!(
        w.events(0, |e| matches!(e, Event::Message { .. }).then_some(()))
            .len(),
        1
    );
}

#[test]
fn later_listener_member_sends_and_receives_in_step_with_the_oldest_member() {
    let mut w = world(grouping());
    let a = w.connect(1, LISTENER, member_config(group(GROUP_ID, 0)));
    let (first, _) = w.connected(0)[0];
    w.advance(Duration::from_millis(300));
    for text in ["one", "two", "three"] {
        send(&mut w, 0, first, text);
    }
    // The caller's group has sent more than the listener's.
    for text in ["one", "two", "three", "four", "five"] {
        send(&mut w, 1, a, text);
    }
    w.advance(Duration::from_millis(300));
    // The caller's second member joins its running group.
    let sync = GroupSync {
        initial_seq: w.eps[1].ep.connection(a).unwrap().next_send_seq(),
        start_time: start(),
    };
    let config = HandshakeConfig {
        group_sync: Some(sync),
        ..member_config(group(GROUP_ID, 0))
    };
    let b = w.connect(2, LISTENER, config);
    let (second, _) = w.connected(0)[1];
    let (c1, c2) = (
        w.eps[0].ep.connection(first).unwrap(),
        w.eps[0].ep.connection(second).unwrap(),
    );
    assert_eq!(c2.params().negotiated.initial_seq, sync.initial_seq);
    assert_eq!(c1.next_send_seq(), sync.initial_seq - 2);
    assert_eq!(c2.next_send_seq(), c1.next_send_seq(), "one sequence space");
    assert_eq!(
        c2.params().start_time,
        c1.params().start_time,
        "one time base"
    );
    let base = c1.receive_time_base();
    assert!(base.is_some(), "the oldest member has received data");
    assert_eq!(c2.receive_time_base(), base, "one TSBPD time base");
    // The same message on both members: the same sequence number, due at
    // the same instant.
    send(&mut w, 1, a, "six");
    send(&mut w, 2, b, "six");
    w.advance(Duration::from_millis(300));
    let sixes = w.events(0, |e| match e {
        Event::Message {
            conn,
            data,
            seq,
            delivered_at,
            ..
        } if data.as_ref() == b"six" => Some((*conn, *seq, *delivered_at)),
        _ => None,
    });
    assert_eq!(sixes.len(), 2);
    assert_eq!(sixes[0].1, sync.initial_seq);
    assert_eq!(sixes[1].1, sync.initial_seq);
    assert_eq!(sixes[0].2, sixes[1].2);
    assert_eq!(
        w.eps[0].ep.connection(second).unwrap().receive_time_base(),
        base
    );
}

#[test]
fn member_commands_reach_the_connection() {
    let mut w = world(grouping());
    let conn = w.connect(1, LISTENER, member_config(group(GROUP_ID, 0)));
    let seq = SeqNumber::new(777);
    w.input(
        1,
        Input::Member {
            conn,
            command: MemberCommand::OverrideSendSeq(seq),
        },
    );
    assert_eq!(w.eps[1].ep.connection(conn).unwrap().next_send_seq(), seq);
    send(&mut w, 1, conn, "moved");
    w.advance(Duration::from_millis(20));
    assert_eq!(data_packets(&w.eps[1].sent)[0].seq, seq);
    let base = start() + Duration::from_millis(3);
    w.input(
        1,
        Input::Member {
            conn,
            command: MemberCommand::SetReceiveTimeBase(base),
        },
    );
    assert_eq!(
        w.eps[1].ep.connection(conn).unwrap().receive_time_base(),
        Some(base)
    );
    let failures = w.events(1, |e| {
        matches!(e, Event::MemberCommandFailed { .. }).then_some(())
    });
    assert!(failures.is_empty());
}

#[test]
fn override_with_data_in_flight_is_reported_failed() {
    let mut w = world(grouping());
    let conn = w.connect(1, LISTENER, member_config(group(GROUP_ID, 0)));
    w.tamper = Some(Box::new(|_, _| false));
    send(&mut w, 1, conn, "unacknowledged");
    w.advance(Duration::from_millis(20));
    let before = w.eps[1].ep.connection(conn).unwrap().next_send_seq();
    let command = MemberCommand::OverrideSendSeq(SeqNumber::new(5));
    w.input(1, Input::Member { conn, command });
    let failures = w.events(1, |e| match e {
        Event::MemberCommandFailed {
            conn: c,
            command: cmd,
            error,
        } => Some((*c, *cmd, *error)),
        _ => None,
    });
    assert_eq!(
        failures,
        [(
            conn,
            command,
            MemberCommandError::OverrideSendSeq(OverrideSeqError::SendBufferNotEmpty {
                packets: 1
            })
        )]
    );
    assert_eq!(
        w.eps[1].ep.connection(conn).unwrap().next_send_seq(),
        before
    );
}

#[test]
fn member_command_for_an_unknown_connection_is_reported_failed() {
    let mut w = world(grouping());
    let command = MemberCommand::SkipReceiveTo(SeqNumber::new(1));
    let conn = ConnectionId(42);
    w.input(1, Input::Member { conn, command });
    let failures = w.events(1, |e| match e {
        Event::MemberCommandFailed { error, .. } => Some(*error),
        _ => None,
    });
    assert_eq!(failures, [MemberCommandError::NotConnected]);
}

#[test]
fn skip_receive_to_forgets_packets_the_group_already_delivered() {
    let mut w = world(grouping());
    let conn = w.connect(1, LISTENER, member_config(group(GROUP_ID, 0)));
    let (accepted, _) = w.connected(0)[0];
    let isn = w.eps[1].ep.connection(conn).unwrap().next_send_seq();
    // The first two messages never reach this member (another member
    // brought them, and the group delivered them).
    w.tamper = Some(Box::new(|from, data| {
        !(from == addr(PATH_A) && matches!(Packet::decode(data), Ok(Packet::Data(_))))
    }));
    for text in ["lost 1", "lost 2"] {
        send(&mut w, 1, conn, text);
        w.advance(Duration::from_millis(5));
    }
    w.tamper = None;
    w.input(
        0,
        Input::Member {
            conn: accepted,
            command: MemberCommand::SkipReceiveTo(isn + 1),
        },
    );
    send(&mut w, 1, conn, "kept");
    w.advance(Duration::from_millis(400));
    let delivered = w.events(0, |e| match e {
        Event::Message { data, seq, .. } => Some((data.clone(), *seq)),
        _ => None,
    });
    assert_eq!(delivered, [(Bytes::from_static(b"kept"), isn + 2)]);
}

#[test]
fn new_group_ids_carry_the_group_bit_and_differ() {
    let mut w = world(grouping());
    let ids: Vec<u32> = (0..8).map(|_| w.eps[1].ep.new_group_id()).collect();
    assert!(ids.iter().all(|id| id & (1 << 30) != 0));
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len());
}

#[test]
fn backup_members_are_reported_as_backup_with_their_weights() {
    let mut w = world(grouping());
    let ext = |weight| srt_proto::packet::ext::GroupExt {
        group_type: 2,
        ..group(GROUP_ID, weight)
    };
    let main = w.connect(1, LISTENER, member_config(ext(10)));
    let standby = w.connect(2, LISTENER, member_config(ext(5)));
    assert_eq!(w.member(1, main).unwrap().group_type, GroupType::Backup);
    assert_eq!(w.member(2, standby).unwrap().weight, 5);
    let weights: Vec<(GroupType, u16)> = w
        .connected(0)
        .into_iter()
        .map(|(_, m)| m.map(|m| (m.group_type, m.weight)).unwrap())
        .collect();
    assert_eq!(weights, [(GroupType::Backup, 10), (GroupType::Backup, 5)]);
}

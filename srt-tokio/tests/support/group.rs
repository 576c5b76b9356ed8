//! SrtGroup over loopback, the same cases for both adapters (compiled by
//! srt-tokio's and srt-smol's `tests/group.rs` against their own `rt` and
//! `adapter` modules): broadcast over two paths with one cut mid-stream,
//! backup failover, member listing, members added and removed while
//! running, and the listener's accept of sockets and groups.

#[path = "common.rs"]
mod common;

use crate::adapter::{
    Accepted, BackupState, GroupMember, GroupType, MemberState, SrtGroup, SrtListener, SrtSocket,
};
use crate::rt;
use common::{any_port, message, within};
use futures_util::{SinkExt, StreamExt};
use srt_proto::packet::reject::RejectReason;
use srt_proto::sim::{LinkConfig, Probability};
use srt_tokio::relay::{Relay, RelayHandle};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// A relay in front of `upstream` that passes everything, until cut.
async fn path(upstream: SocketAddr) -> RelayHandle {
    rt::on_tokio(async move {
        Relay::builder()
            .listen(any_port())
            .upstream(upstream)
            .spawn()
            .await
            .unwrap()
    })
    .await
}

/// A relay in front of `upstream` losing `percent` of the datagrams
/// each way.
async fn lossy_path(upstream: SocketAddr, percent: f64, seed: u64) -> RelayHandle {
    rt::on_tokio(async move {
        let lossy = LinkConfig::new().loss(Probability::percent(percent));
        Relay::builder()
            .listen(any_port())
            .upstream(upstream)
            .forward(lossy.clone())
            .backward(lossy)
            .seed(seed)
            .spawn()
            .await
            .unwrap()
    })
    .await
}

/// The path goes dead both ways (for an hour).
fn cut(relay: &RelayHandle) {
    let now = relay.now();
    let until = now + Duration::from_secs(3600);
    relay.set_forward(relay.forward_config().partition(now, until));
    relay.set_backward(relay.backward_config().partition(now, until));
}

async fn group_listener(latency: Duration) -> SrtListener {
    SrtSocket::builder()
        .latency(latency)
        .group_connect(true)
        .listen(any_port())
        .await
        .unwrap()
}

/// The next group the listener hands out.
async fn accept_group(listener: &mut SrtListener) -> SrtGroup {
    match within("accept", listener.accept()).await {
        Some(Ok(Accepted::Group(g))) => g,
        Some(Ok(Accepted::Socket(s))) => panic!("a socket, not a group: {s:?}"),
        Some(Err(e)) => panic!("refused: {e}"),
        None => panic!("listener ended"),
    }
}

/// Waits until `group` lists `n` members past pending.
async fn wait_connected(group: &SrtGroup, n: usize) {
    within("members connect", async {
        loop {
            let members = group.members().await.unwrap();
            let connected = members
                .iter()
                .filter(|m| m.state != MemberState::Pending)
                .count();
            if connected >= n {
                return;
            }
            rt::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}

/// Sends messages `0..count` one per `gap`, running `at(i)` before
/// message `i` (no unchecked tail: each member's tail-loss probe repairs
/// a lost last packet while the group stays open).
async fn send_stream(
    mut group: SrtGroup,
    count: u32,
    gap: Duration,
    mut at: impl FnMut(u32, &SrtGroup) + Send,
) -> SrtGroup {
    for i in 0..count {
        at(i, &group);
        group.send((Instant::now(), message(i))).await.unwrap();
        rt::sleep(gap).await;
    }
    group
}

/// Receives until message `count - 1`, checking each arrives once, in
/// order, byte-exact.
async fn receive_all(group: &mut SrtGroup, count: u32) {
    let mut next = 0u32;
    within("all messages", async {
        while next < count {
            let (_, data) = group.next().await.expect("group ended").unwrap();
            assert_eq!(data, message(next), "message {next} (in order, once)");
            next += 1;
        }
    })
    .await;
}

/// A caller group of `group_type` with `latency` into a group listener
/// over two relays, its members made by `members` from the relays'
/// addresses; once the caller has both members connected: the caller's
/// group, the listener's, and the two relays.
async fn two_path_groups(
    group_type: GroupType,
    latency: Duration,
    members: impl FnOnce(SocketAddr, SocketAddr) -> [GroupMember; 2],
) -> (SrtGroup, SrtGroup, RelayHandle, RelayHandle) {
    let mut listener = group_listener(latency).await;
    let (a, b) = (
        path(listener.local_addr()).await,
        path(listener.local_addr()).await,
    );
    let sender = within(
        "call",
        SrtSocket::builder()
            .latency(latency)
            .call_group(group_type, members(a.local_addr(), b.local_addr())),
    )
    .await
    .unwrap();
    let receiver = accept_group(&mut listener).await;
    wait_connected(&sender, 2).await;
    (sender, receiver, a, b)
}

/// Streams 600 messages 2 ms apart from `sender`, cutting `path` before
/// message `cut_at`, and checks `receiver` gets every one once, in order;
/// then the sender back.
async fn stream_cutting(
    sender: SrtGroup,
    receiver: &mut SrtGroup,
    path: RelayHandle,
    cut_at: u32,
) -> SrtGroup {
    let sending = rt::spawn(send_stream(
        sender,
        600,
        Duration::from_millis(2),
        move |i, _| {
            if i == cut_at {
                cut(&path);
            }
        },
    ));
    receive_all(receiver, 600).await;
    sending.await
}

#[test]
fn broadcast_over_two_paths_delivers_every_message_once_in_order_when_one_is_cut() {
    rt::block_on(async {
        let (sender, mut receiver, a, _b) =
            two_path_groups(GroupType::Broadcast, Duration::from_millis(200), |a, b| {
                [GroupMember::new(a).token(1), GroupMember::new(b).token(2)]
            })
            .await;
        wait_connected(&receiver, 2).await;
        drop(stream_cutting(sender, &mut receiver, a, 200).await);
        let stats = receiver.stats().await.unwrap();
        assert!(stats.duplicates > 0, "both paths carried data: {stats:?}");
    });
}

#[test]
fn backup_fails_over_to_the_standby_with_nothing_lost_when_the_active_path_is_cut() {
    rt::block_on(async {
        let (sender, mut receiver, main, spare) = two_path_groups(
            GroupType::Backup,
            Duration::from_millis(500),
            |main, spare| {
                [
                    GroupMember::new(main).weight(10),
                    GroupMember::new(spare).weight(1),
                ]
            },
        )
        .await;
        let sender = stream_cutting(sender, &mut receiver, main, 250).await;
        let stats = sender.stats().await.unwrap();
        assert!(stats.activations >= 2, "the standby took over: {stats:?}");
        let members = sender.members().await.unwrap();
        let spare_member = members
            .iter()
            .find(|m| m.peer == spare.local_addr())
            .expect("the spare is a member");
        assert_eq!(spare_member.state, MemberState::Running);
    });
}

#[test]
fn a_backup_group_runs_its_heaviest_member_and_keeps_the_other_on_standby() {
    rt::block_on(async {
        let latency = Duration::from_millis(200);
        let mut listener = group_listener(latency).await;
        let addr = listener.local_addr();
        let mut sender = within(
            "call",
            SrtSocket::builder().latency(latency).call_group(
                GroupType::Backup,
                [
                    GroupMember::new(addr).weight(1).token(7),
                    GroupMember::new(addr).weight(5).token(8),
                ],
            ),
        )
        .await
        .unwrap();
        let mut receiver = accept_group(&mut listener).await;
        wait_connected(&sender, 2).await;
        for i in 0..50 {
            sender.send((Instant::now(), message(i))).await.unwrap();
            rt::sleep(Duration::from_millis(2)).await;
        }
        // Listed while the stream flows (a backup sender with nothing to
        // send hears only keepalives, and its active member goes unstable).
        let members = sender.members().await.unwrap();
        receive_all(&mut receiver, 50).await;
        assert_eq!(members.len(), 2, "{members:#?}");
        let heavy = members.iter().find(|m| m.token == Some(8)).unwrap();
        let light = members.iter().find(|m| m.token == Some(7)).unwrap();
        assert_eq!((heavy.weight, light.weight), (5, 1));
        assert_eq!(heavy.state, MemberState::Running, "{members:#?}");
        assert!(
            heavy.backup_state.is_some_and(BackupState::is_active),
            "{members:#?}"
        );
        assert_eq!(light.state, MemberState::Idle, "{members:#?}");
        assert_eq!(light.backup_state, Some(BackupState::Standby));
        assert_eq!(heavy.peer, addr);
        let listed = receiver.members().await.unwrap();
        assert_eq!(listed.len(), 2, "{listed:#?}");
        let mut weights: Vec<u16> = listed.iter().map(|m| m.weight).collect();
        weights.sort_unstable();
        assert_eq!(weights, [1, 5], "the listener sees the caller's weights");
        sender.close().await.unwrap();
    });
}

#[test]
fn a_member_added_and_one_removed_while_running_keep_the_stream_whole() {
    rt::block_on(async {
        let latency = Duration::from_millis(200);
        let mut listener = group_listener(latency).await;
        let addr = listener.local_addr();
        let sender = within(
            "call",
            SrtSocket::builder()
                .latency(latency)
                .call_group(GroupType::Broadcast, [GroupMember::new(addr).token(1)]),
        )
        .await
        .unwrap();
        let mut receiver = accept_group(&mut listener).await;
        let sending = rt::spawn(async move {
            let mut sender = sender;
            for i in 0..300u32 {
                if i == 100 {
                    let id = sender
                        .add_member(GroupMember::new(addr).token(2))
                        .await
                        .unwrap();
                    assert_eq!(sender.members().await.unwrap().len(), 2);
                    assert!(id.0 > 0);
                }
                if i == 200 {
                    let first = sender.members().await.unwrap()[0].id;
                    assert!(sender.remove_member(first).await.unwrap());
                    let left = sender.members().await.unwrap();
                    assert_eq!(left.len(), 1);
                    assert_eq!(left[0].token, Some(2));
                }
                sender.send((Instant::now(), message(i))).await.unwrap();
                rt::sleep(Duration::from_millis(2)).await;
            }
            sender
        });
        receive_all(&mut receiver, 300).await;
        sending.await.close().await.unwrap();
    });
}

#[test]
fn a_group_listener_hands_out_ungrouped_callers_as_sockets() {
    rt::block_on(async {
        let mut listener = group_listener(Duration::from_millis(120)).await;
        let mut caller = SrtSocket::builder()
            .call(listener.local_addr())
            .await
            .unwrap();
        let mut accepted = match within("accept", listener.accept()).await {
            Some(Ok(Accepted::Socket(s))) => s,
            other => panic!("expected a socket: {other:?}"),
        };
        caller.send((Instant::now(), message(1))).await.unwrap();
        let (_, data) = within("message", accepted.next()).await.unwrap().unwrap();
        assert_eq!(data, message(1));
    });
}

#[test]
fn a_listener_without_group_connect_refuses_a_grouped_caller() {
    rt::block_on(async {
        let listener = SrtSocket::builder().listen(any_port()).await.unwrap();
        let e = within(
            "call",
            SrtSocket::builder()
                .connect_timeout(Duration::from_secs(2))
                .call_group(
                    GroupType::Broadcast,
                    [GroupMember::new(listener.local_addr())],
                ),
        )
        .await
        .unwrap_err();
        assert_eq!(e.reject_reason(), Some(RejectReason::Group), "{e}");
    });
}

#[test]
fn a_closed_group_ends_the_peer_groups_stream() {
    rt::block_on(async {
        let mut listener = group_listener(Duration::from_millis(120)).await;
        let addr = listener.local_addr();
        let mut sender = SrtSocket::builder()
            .call_group(
                GroupType::Broadcast,
                [GroupMember::new(addr), GroupMember::new(addr)],
            )
            .await
            .unwrap();
        let mut receiver = accept_group(&mut listener).await;
        wait_connected(&sender, 2).await;
        sender.send((Instant::now(), message(0))).await.unwrap();
        receive_all(&mut receiver, 1).await;
        sender.close().await.unwrap();
        let end = within("end of stream", receiver.next()).await;
        assert!(end.is_none(), "{end:?}");
    });
}

#[test]
fn members_with_their_own_local_addresses_send_from_their_own_sockets() {
    rt::block_on(async {
        let mut listener = group_listener(Duration::from_millis(120)).await;
        let addr = listener.local_addr();
        let locals: [SocketAddr; 2] = [
            "127.0.0.1:0".parse().unwrap(),
            "127.0.0.2:0".parse().unwrap(),
        ];
        let mut sender = within(
            "call",
            SrtSocket::builder().call_group(
                GroupType::Broadcast,
                locals.map(|l| GroupMember::new(addr).local(l)),
            ),
        )
        .await
        .unwrap();
        let mut receiver = accept_group(&mut listener).await;
        wait_connected(&sender, 2).await;
        let members = sender.members().await.unwrap();
        let mut ips: Vec<_> = members.iter().map(|m| m.local.ip()).collect();
        ips.sort();
        assert_eq!(ips, locals.map(|l| l.ip()), "{members:#?}");
        assert_ne!(members[0].local.port(), 0);
        for i in 0..20 {
            sender.send((Instant::now(), message(i))).await.unwrap();
        }
        receive_all(&mut receiver, 20).await;
        let peers: Vec<_> = receiver
            .members()
            .await
            .unwrap()
            .iter()
            .map(|m| m.peer.ip())
            .collect();
        assert_eq!(peers.len(), 2);
        assert_ne!(peers[0], peers[1], "the listener sees two source addresses");
    });
}

#[test]
fn broadcast_over_a_30_percent_lossy_path_and_a_clean_one_delivers_everything_once() {
    rt::block_on(async {
        let latency = Duration::from_millis(200);
        let mut listener = group_listener(latency).await;
        let lossy = lossy_path(listener.local_addr(), 30.0, 7).await;
        let clean = path(listener.local_addr()).await;
        let sender = within(
            "call",
            SrtSocket::builder().latency(latency).call_group(
                GroupType::Broadcast,
                [
                    GroupMember::new(lossy.local_addr()),
                    GroupMember::new(clean.local_addr()),
                ],
            ),
        )
        .await
        .unwrap();
        let mut receiver = accept_group(&mut listener).await;
        wait_connected(&sender, 2).await;
        wait_connected(&receiver, 2).await;
        let sending = rt::spawn(send_stream(
            sender,
            500,
            Duration::from_millis(2),
            |_, _| {},
        ));
        receive_all(&mut receiver, 500).await;
        let stats = receiver.stats().await.unwrap();
        assert_eq!(stats.lost, 0, "{stats:?}");
        assert!(
            stats.duplicates > 0,
            "the lossy path carried copies too: {stats:?}"
        );
        drop(sending.await);
    });
}

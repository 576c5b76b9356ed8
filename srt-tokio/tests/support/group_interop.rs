//! SrtGroup against libsrt 1.5.1's socket groups over loopback, the same
//! cases for both adapters (compiled by srt-tokio's and srt-smol's
//! `tests/group_interop.rs`): our caller group into a libsrt group
//! listener and a libsrt caller group into our `group_connect` listener,
//! broadcast and main/backup, each member path through its own relay,
//! one path cut mid-stream. Every message must arrive once, in order,
//! byte for byte.
//!
//! The libsrt side is srt-proto's `tests/peers/group_peer.c` and its
//! support module (`group_peer_support`, included by path): it needs a
//! libsrt built with bonding (`SRT_BONDING_DIR`); without one the tests
//! skip, unless `CI` is set: then they fail.

use crate::adapter::{
    Accepted, BackupState, GroupMember, GroupType, MemberState, SrtGroup, SrtSocket,
};
use crate::group_peer_support::{Peer, Relay, assert_all_payloads, free_port, group_peer, payload};
use crate::rt;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const MESSAGES: usize = 400;
/// Path a is cut before this message.
const CUT_AT: usize = 150;
const PACE: Duration = Duration::from_millis(5);
/// The longest a step may take.
const WAIT: Duration = Duration::from_secs(20);

#[derive(Clone, Copy)]
struct Scenario {
    group_type: GroupType,
    /// Weights of paths a and b.
    weights: (u16, u16),
    latency: Duration,
}

const BROADCAST: Scenario = Scenario {
    group_type: GroupType::Broadcast,
    weights: (2, 1),
    latency: Duration::from_millis(200),
};

/// Main a (weight 10), backup b (weight 1); the latency leaves room to
/// detect the cut and replay on the standby.
const BACKUP: Scenario = Scenario {
    group_type: GroupType::Backup,
    weights: (10, 1),
    latency: Duration::from_millis(500),
};

impl Scenario {
    fn libsrt_options(&self) -> Vec<String> {
        vec!["--latency".into(), self.latency.as_millis().to_string()]
    }

    fn mode(&self) -> &'static str {
        match self.group_type {
            GroupType::Broadcast => "broadcast",
            GroupType::Backup => "backup",
        }
    }
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    rt::timeout(WAIT, f)
        .await
        .unwrap_or_else(|| panic!("{what}: nothing within {WAIT:?}"))
}

/// Our caller group through relays a and b into a libsrt group listener,
/// a cut before message [`CUT_AT`]; returns what libsrt delivered, the
/// relays, and our members as listed right before the cut.
async fn our_caller_to_libsrt(s: Scenario) -> Option<(Vec<Vec<u8>>, Arc<Relay>, Arc<Relay>)> {
    let exe = group_peer()?;
    let port = free_port();
    let options = s.libsrt_options();
    let options: Vec<&str> = options.iter().map(String::as_str).collect();
    let listener = Peer::listener(&exe, port, &options);
    let a = Arc::new(Relay::start(loopback(port)));
    let b = Arc::new(Relay::start(loopback(port)));
    let mut group = within(
        "call",
        SrtSocket::builder().latency(s.latency).call_group(
            s.group_type,
            [
                GroupMember::new(a.addr()).weight(s.weights.0),
                GroupMember::new(b.addr()).weight(s.weights.1),
            ],
        ),
    )
    .await
    .unwrap();
    wait_members(&group, 2).await;
    for i in 0..MESSAGES {
        if i == CUT_AT {
            check_before_cut(&group, s, &a, &b).await;
            a.cut();
        }
        group
            .send((Instant::now(), Bytes::from(payload(i))))
            .await
            .unwrap_or_else(|e| panic!("send {i}: {e}"));
        rt::sleep(PACE).await;
    }
    // Retransmissions and the replay settle within the latency.
    rt::sleep(s.latency * 2).await;
    let stats = group.stats().await.unwrap();
    within("close", group.close()).await.unwrap();
    let (delivered, lines) = listener.finish_keeping_lines(Duration::from_secs(10));
    if delivered.len() != MESSAGES {
        eprintln!("ours: {stats:?}\nlibsrt: {lines:#?}");
    }
    Some((delivered, a, b))
}

/// Before the cut: both members connected, with the weights sent; a
/// backup group runs the heavier one and keeps the other on standby.
async fn check_before_cut(group: &SrtGroup, s: Scenario, a: &Relay, b: &Relay) {
    let members = group.members().await.unwrap();
    assert_eq!(members.len(), 2, "{members:#?}");
    let on = |addr: SocketAddr| members.iter().find(|m| m.peer == addr).unwrap();
    let (ma, mb) = (on(a.addr()), on(b.addr()));
    assert_eq!((ma.weight, mb.weight), s.weights);
    match s.group_type {
        GroupType::Broadcast => {
            assert_eq!(ma.state, MemberState::Running, "{members:#?}");
            assert_eq!(mb.state, MemberState::Running, "{members:#?}");
        }
        GroupType::Backup => {
            assert!(
                ma.backup_state.is_some_and(BackupState::is_active),
                "{members:#?}"
            );
            assert_eq!(mb.backup_state, Some(BackupState::Standby), "{members:#?}");
        }
    }
}

async fn wait_members(group: &SrtGroup, n: usize) {
    within("members connect", async {
        while group
            .members()
            .await
            .unwrap()
            .iter()
            .filter(|m| m.state != MemberState::Pending)
            .count()
            < n
        {
            rt::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}

/// A libsrt caller group through relays a and b into our group listener;
/// libsrt streams the payloads, a is cut before [`CUT_AT`].
async fn libsrt_caller_to_ours(s: Scenario) -> Option<(Vec<Vec<u8>>, Arc<Relay>, Arc<Relay>)> {
    let exe = group_peer()?;
    let mut listener = SrtSocket::builder()
        .latency(s.latency)
        .group_connect(true)
        .listen("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let target = listener.local_addr();
    let a = Arc::new(Relay::start(target));
    let b = Arc::new(Relay::start(target));
    let options = s.libsrt_options();
    let options: Vec<&str> = options.iter().map(String::as_str).collect();
    let mut caller = Peer::start_caller(
        &exe,
        s.mode(),
        &[(a.addr(), s.weights.0), (b.addr(), s.weights.1)],
        2,
        &options,
    );
    let mut group = match within("accept", listener.accept()).await {
        Some(Ok(Accepted::Group(g))) => g,
        other => panic!("expected a group: {other:?}\nlibsrt: {:#?}", caller.lines()),
    };
    within("libsrt ready", async {
        while !caller.is_ready() {
            rt::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    wait_members(&group, 2).await;
    let mut weights: Vec<u16> = group
        .members()
        .await
        .unwrap()
        .iter()
        .map(|m| m.weight)
        .collect();
    weights.sort_unstable();
    let mut sent = vec![s.weights.0, s.weights.1];
    sent.sort_unstable();
    assert_eq!(weights, sent, "our group holds libsrt's members");
    let cut = Arc::clone(&a);
    let feeder = caller.stream_in_background(
        MESSAGES,
        PACE,
        vec![(
            CUT_AT,
            Box::new(move || cut.cut()) as Box<dyn FnOnce() + Send>,
        )],
    );
    let mut delivered = Vec::new();
    let _ = rt::timeout(WAIT, async {
        while delivered.len() < MESSAGES {
            match group.next().await {
                Some(Ok((_, data))) => delivered.push(data.to_vec()),
                _ => break,
            }
        }
    })
    .await;
    // A duplicate would show in a moment more.
    if let Some(Some(Ok((_, data)))) = rt::timeout(Duration::from_millis(300), group.next()).await {
        delivered.push(data.to_vec());
    }
    if delivered.len() != MESSAGES {
        eprintln!(
            "ours: {:?}\n{:#?}\nlibsrt: {:#?}",
            group.stats().await,
            group.members().await,
            caller.lines()
        );
    }
    feeder.join().unwrap();
    caller.finish(Duration::from_secs(10));
    Some((delivered, a, b))
}

#[test]
fn our_broadcast_group_delivers_everything_to_a_libsrt_listener_when_one_link_is_cut() {
    rt::block_on(async {
        let Some((delivered, a, b)) = our_caller_to_libsrt(BROADCAST).await else {
            return;
        };
        assert_all_payloads(&delivered, MESSAGES);
        assert!(a.data_up() >= CUT_AT as u64 - 2 && b.data_up() >= MESSAGES as u64);
    });
}

#[test]
fn our_backup_group_fails_over_into_a_libsrt_listener_without_loss() {
    rt::block_on(async {
        let Some((delivered, a, b)) = our_caller_to_libsrt(BACKUP).await else {
            return;
        };
        assert_all_payloads(&delivered, MESSAGES);
        assert!(
            a.data_up() >= CUT_AT as u64 - 2,
            "the main path carried the start"
        );
        assert!(
            b.data_up() >= (MESSAGES - CUT_AT) as u64,
            "the standby carried the rest: {}",
            b.data_up()
        );
    });
}

#[test]
fn a_libsrt_broadcast_group_delivers_everything_to_our_listener_when_one_link_is_cut() {
    rt::block_on(async {
        let Some((delivered, a, b)) = libsrt_caller_to_ours(BROADCAST).await else {
            return;
        };
        assert_all_payloads(&delivered, MESSAGES);
        assert!(a.data_up() >= CUT_AT as u64 - 2 && b.data_up() >= MESSAGES as u64);
    });
}

#[test]
fn a_libsrt_backup_group_fails_over_into_our_listener_without_loss() {
    rt::block_on(async {
        let Some((delivered, _, b)) = libsrt_caller_to_ours(BACKUP).await else {
            return;
        };
        assert_all_payloads(&delivered, MESSAGES);
        assert!(b.data_up() >= (MESSAGES - CUT_AT) as u64);
    });
}

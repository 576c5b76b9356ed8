//! Our socket group against libsrt 1.5.1's over real loopback UDP, each
//! member path through its own relay, one path cut mid-stream: our group
//! caller into a libsrt group listener, and a libsrt group caller into our
//! listener (`group_connect`), broadcast and main/backup, and a broadcast
//! whose cut path heals and carries data again. Every message must arrive
//! exactly once, in order, byte for byte.
//!
//! Our side is a `Group` over `Endpoint`s on `std::net::UdpSocket`s in one
//! thread (`group_peer_support::ours`); libsrt's is
//! `tests/peers/group_peer.c`. Needs a libsrt built with bonding (see
//! `group_peer_support`): skipped without one, failed in CI.

mod group_peer_support;

use bytes::Bytes;
use group_peer_support::ours::OurGroup;
use group_peer_support::{
    Peer, Relay, assert_all_payloads, free_port, group_peer, member_changes, payload,
};
use srt_proto::crypto::Passphrase;
use srt_proto::group::{GroupEvent, GroupType};
use srt_proto::handshake::HandshakeConfig;
use srt_proto::packet::reject::RejectReason;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

const MESSAGES: usize = 400;
/// Path a is cut before this message...
const CUT_AT: usize = 150;
/// ...and, where a test heals it, comes back before this one.
const HEAL_AT: usize = 250;
const PACE: Duration = Duration::from_millis(5);

/// One interop run: the group type, the weights of paths a and b, the
/// latency (ms), and whether path a heals.
#[derive(Clone, Copy)]
struct Scenario {
    group_type: GroupType,
    weights: (u16, u16),
    latency: u64,
    heals: bool,
    /// Both sides encrypt with this passphrase (AES-128).
    passphrase: Option<&'static str>,
}

/// Broadcast ignores weights; distinct ones show they travel right.
const BROADCAST: Scenario = Scenario {
    group_type: GroupType::Broadcast,
    weights: (2, 1),
    latency: 200,
    heals: false,
    passphrase: None,
};

/// Main (a, weight 10) and backup (b, weight 1); the latency leaves room
/// for detecting the cut (at least the 60 ms stability timeout) and
/// replaying on the standby.
const BACKUP: Scenario = Scenario {
    group_type: GroupType::Backup,
    weights: (10, 1),
    latency: 500,
    heals: false,
    passphrase: None,
};

impl Scenario {
    /// Our side's handshake.
    fn handshake(&self) -> HandshakeConfig {
        let latency = Duration::from_millis(self.latency);
        let config = HandshakeConfig {
            receive_latency: latency,
            peer_latency: latency,
            ..HandshakeConfig::default()
        };
        match self.passphrase {
            Some(p) => config.with_passphrase(Passphrase::new(p.as_bytes()).unwrap()),
            None => config,
        }
    }

    /// The libsrt peer's options.
    fn libsrt_options(&self) -> Vec<String> {
        let mut o = vec!["--latency".to_owned(), self.latency.to_string()];
        if let Some(p) = self.passphrase {
            o.extend(["--passphrase".to_owned(), p.to_owned()]);
        }
        o
    }

    fn mode(&self) -> &'static str {
        match self.group_type {
            GroupType::Broadcast => "broadcast",
            GroupType::Backup => "backup",
        }
    }
}

/// Data packets each relay had carried towards the receiver at a moment.
#[derive(Debug, Clone, Copy, Default)]
struct Carried {
    a: u64,
    b: u64,
}

/// What a run left behind to check.
struct Run {
    delivered: Vec<Vec<u8>>,
    at_cut: Carried,
    at_heal: Carried,
    a: Arc<Relay>,
    b: Arc<Relay>,
    ours: OurGroup,
    libsrt_lines: Vec<String>,
}

impl Run {
    fn carried_now(&self) -> Carried {
        carried(&self.a, &self.b)
    }

    /// Context for a failed assertion.
    fn report(&self) -> String {
        format!(
            "at cut {:?}, at heal {:?}, at end {:?}\nours: {}\nlibsrt: {:#?}",
            self.at_cut,
            self.at_heal,
            self.carried_now(),
            self.ours.describe(),
            self.libsrt_lines
        )
    }
}

fn carried(a: &Relay, b: &Relay) -> Carried {
    Carried {
        a: a.data_up(),
        b: b.data_up(),
    }
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Our caller group through relays a and b into a libsrt group listener;
/// streams the payloads one per `PACE`, cutting a before `CUT_AT` (and
/// healing it before `HEAL_AT` if the scenario says so).
fn our_caller_to_libsrt(s: Scenario) -> Option<Run> {
    let exe = group_peer()?;
    let (listener, port) = start_libsrt_listener(&exe, &s);
    let a = Arc::new(Relay::start(loopback(port)));
    let b = Arc::new(Relay::start(loopback(port)));
    let mut ours = OurGroup::caller(
        s.group_type,
        &[(a.addr(), s.weights.0), (b.addr(), s.weights.1)],
        &s.handshake(),
        7,
    );
    ours.run(Duration::from_secs(5), |g| g.connected_members() == 2);
    assert_eq!(
        ours.connected_members(),
        2,
        "members did not connect: {}\nlibsrt: {:#?}",
        ours.describe(),
        listener.lines()
    );

    let (mut at_cut, mut at_heal) = (Carried::default(), Carried::default());
    let (delivered, libsrt_lines) = send_into_libsrt(&mut ours, listener, &s, |i, _| {
        if i == CUT_AT {
            at_cut = carried(&a, &b);
            a.cut();
        }
        if i == HEAL_AT && s.heals {
            at_heal = carried(&a, &b);
            a.heal();
        }
    });
    // libsrt's listener reports each member with the weight we sent in
    // its GROUP extension.
    let mut weights: Vec<u16> = member_changes(&libsrt_lines).iter().map(|m| m.2).collect();
    weights.sort_unstable();
    weights.dedup();
    let mut sent = vec![s.weights.0, s.weights.1];
    sent.sort_unstable();
    sent.dedup();
    assert_eq!(weights, sent, "libsrt: {libsrt_lines:#?}");
    Some(Run {
        delivered,
        at_cut,
        at_heal,
        a,
        b,
        ours,
        libsrt_lines,
    })
}

/// A libsrt group listener with scenario `s`'s options on a free port;
/// the listener and its port.
fn start_libsrt_listener(exe: &Path, s: &Scenario) -> (Peer, u16) {
    let port = free_port();
    let options = s.libsrt_options();
    let options: Vec<&str> = options.iter().map(String::as_str).collect();
    (Peer::listener(exe, port, &options), port)
}

/// Sends the payloads from our caller group one per `PACE`, running
/// `before(i, ours)` before payload `i`; then retransmissions and ACKs
/// while libsrt delivers, and SHUTDOWN. What libsrt's `listener`
/// delivered, and its status lines.
fn send_into_libsrt(
    ours: &mut OurGroup,
    listener: Peer,
    s: &Scenario,
    mut before: impl FnMut(usize, &mut OurGroup),
) -> (Vec<Vec<u8>>, Vec<String>) {
    for i in 0..MESSAGES {
        before(i, ours);
        if let Err(e) = ours.send(Bytes::from(payload(i))) {
            panic!("send {i}: {e}\n{}", ours.describe());
        }
        ours.run(PACE, |_| false);
    }
    ours.run(Duration::from_millis(s.latency * 2 + 500), |_| false);
    ours.close();
    listener.finish_keeping_lines(Duration::from_secs(10))
}

/// Every payload delivered once, in order; on a shortfall, `context`,
/// our side and libsrt's lines first.
fn assert_all_delivered(delivered: &[Vec<u8>], lines: &[String], ours: &OurGroup, context: &str) {
    if delivered.len() != MESSAGES {
        eprintln!("{context}{}\nlibsrt: {lines:#?}", ours.describe());
    }
    assert_all_payloads(delivered, MESSAGES);
}

/// The member that joined at `JOIN_AT` (through `b`) carried the stream
/// from shortly after it joined.
fn assert_joined_member_carried(b: &Relay, ours: &OurGroup) {
    let joined = (MESSAGES - JOIN_AT) as u64;
    assert!(
        b.data_up() >= joined - 20,
        "b carried {} data packets: {}",
        b.data_up(),
        ours.describe()
    );
}

/// Backup over main (weight 10), heavy (5) and light (1), main cut at
/// `CUT_AT`: everything arrived, the heavier standby carried the rest and
/// the lighter one nothing.
fn assert_heavier_standby_took_over(
    delivered: &[Vec<u8>],
    lines: &[String],
    ours: &OurGroup,
    [main, heavy, light]: [&Relay; 3],
) {
    let carried = [main, heavy, light].map(|r| r.data_up());
    assert_all_delivered(delivered, lines, ours, &format!("carried {carried:?}\n"));
    assert!(
        carried[1] >= (MESSAGES - CUT_AT) as u64 && carried[2] == 0,
        "main, weight 5, weight 1 carried {carried:?}: {}",
        ours.describe()
    );
}

/// Starts libsrt's caller group (scenario `s`'s mode) on `targets`
/// (address, weight), `members` of them connecting at once, with
/// `options`, and runs our listener until libsrt says it is ready; fails
/// with both sides' logs if it did not get there.
fn start_libsrt_caller(
    exe: &Path,
    ours: &mut OurGroup,
    s: &Scenario,
    targets: &[(SocketAddr, u16)],
    members: usize,
    options: &[String],
) -> Peer {
    let options: Vec<&str> = options.iter().map(String::as_str).collect();
    let caller = Peer::start_caller(exe, s.mode(), targets, members, &options);
    ours.run(Duration::from_secs(8), |_| {
        caller.is_ready() || caller.has_failed()
    });
    assert!(
        caller.is_ready(),
        "libsrt: {:#?}\nours: {}",
        caller.lines(),
        ours.describe()
    );
    caller
}

/// Runs our listener while libsrt's `feeder` streams: until everything
/// arrived and libsrt closed the group (a member's SHUTDOWN), or a
/// generous deadline; then a moment more, in which a duplicate would
/// show. Stops libsrt and returns what our group delivered and libsrt's
/// status lines.
fn receive_libsrt_stream(
    ours: &mut OurGroup,
    caller: Peer,
    feeder: JoinHandle<()>,
) -> (Vec<Vec<u8>>, Vec<String>) {
    ours.run(Duration::from_secs(20), |g| {
        g.received.len() >= MESSAGES && g.closed >= 1
    });
    ours.run(Duration::from_millis(200), |_| false);
    feeder.join().unwrap();
    let lines = caller.lines();
    caller.finish(Duration::from_secs(10));
    let delivered = ours.received.iter().map(|m| m.to_vec()).collect();
    (delivered, lines)
}

/// A libsrt caller group through relays a and b into our group listener;
/// libsrt streams the payloads one per `PACE` while a is cut before
/// `CUT_AT` (and healed before `HEAL_AT` if the scenario says so).
fn libsrt_caller_to_ours(s: Scenario) -> Option<Run> {
    let exe = group_peer()?;
    let mut ours = OurGroup::listener(s.handshake(), 9);
    let target = ours.local_addr();
    let a = Arc::new(Relay::start(target));
    let b = Arc::new(Relay::start(target));
    let targets = [(a.addr(), s.weights.0), (b.addr(), s.weights.1)];
    let mut caller = start_libsrt_caller(&exe, &mut ours, &s, &targets, 2, &s.libsrt_options());

    // Our listener's group holds both members with libsrt's weights.
    let mut weights: Vec<u16> = ours
        .group()
        .map(|g| g.members().map(|m| m.weight).collect())
        .unwrap_or_default();
    weights.sort_unstable();
    let mut sent = vec![s.weights.0, s.weights.1];
    sent.sort_unstable();
    assert_eq!(weights, sent, "{}", ours.describe());

    // The feeder thread cuts (and heals) at its message count.
    let marks = Arc::new(Mutex::new((Carried::default(), Carried::default())));
    let mut actions: Vec<(usize, Box<dyn FnOnce() + Send>)> = Vec::new();
    let (ra, rb, m) = (a.clone(), b.clone(), marks.clone());
    actions.push((
        CUT_AT,
        Box::new(move || {
            m.lock().unwrap().0 = carried(&ra, &rb);
            ra.cut();
        }),
    ));
    if s.heals {
        let (ra, rb, m) = (a.clone(), b.clone(), marks.clone());
        actions.push((
            HEAL_AT,
            Box::new(move || {
                m.lock().unwrap().1 = carried(&ra, &rb);
                ra.heal();
            }),
        ));
    }
    let feeder = caller.stream_in_background(MESSAGES, PACE, actions);
    let (delivered, libsrt_lines) = receive_libsrt_stream(&mut ours, caller, feeder);
    let (at_cut, at_heal) = *marks.lock().unwrap();
    Some(Run {
        delivered,
        at_cut,
        at_heal,
        a,
        b,
        ours,
        libsrt_lines,
    })
}

/// Runs each of `checks` on `run`, if the scenario ran (the libsrt group
/// peer is there).
fn check(run: Option<Run>, checks: &[fn(&Run)]) {
    if let Some(run) = run {
        for check in checks {
            check(&run);
        }
    }
}

/// Everything delivered once, in order, byte for byte.
fn assert_delivered_all(run: &Run) {
    // GROUP_INTEROP_VERBOSE=1 shows every run (with GROUP_PEER_LOGLEVEL
    // for libsrt's own log).
    if run.delivered.len() != MESSAGES || std::env::var_os("GROUP_INTEROP_VERBOSE").is_some() {
        eprintln!("{}", run.report());
    }
    assert_all_payloads(&run.delivered, MESSAGES);
}

/// Every data packet on both paths was encrypted.
fn assert_all_encrypted(run: &Run) {
    for r in [&run.a, &run.b] {
        assert_eq!(r.encrypted_up(), r.data_up(), "{}", run.report());
    }
}

/// Broadcast: both paths carried every message until a was cut.
fn assert_broadcast_on_both_paths(run: &Run) {
    let c = run.at_cut;
    let least = CUT_AT as u64 - 2;
    assert!(c.a >= least && c.b >= least, "{}", run.report());
}

/// Backup: a (the main path) carried the stream, b nothing, until a was
/// cut; then b carried the rest, the first of it sooner after the cut
/// than the (backup scenarios') latency (else messages would have been
/// late).
fn assert_backup_switched(run: &Run) {
    let latency = BACKUP.latency;
    let failover = run
        .b
        .first_data_up()
        .zip(run.a.cut_at())
        .map(|(first, cut)| first.saturating_duration_since(cut));
    eprintln!("failover: the standby's first data {failover:?} after the cut");
    assert!(
        failover.is_some_and(|f| f < Duration::from_millis(latency)),
        "failover {failover:?}: {}",
        run.report()
    );
    let c = run.at_cut;
    assert!(c.a >= CUT_AT as u64 - 2, "main: {}", run.report());
    assert_eq!(c.b, 0, "the standby carried data: {}", run.report());
    let after = run.carried_now().b;
    assert!(
        after >= (MESSAGES - CUT_AT) as u64,
        "the standby took over {after} packets: {}",
        run.report()
    );
}

/// Our group logged a switch of its active member.
fn assert_active_switched(run: &Run) {
    assert!(
        run.ours
            .group_log
            .iter()
            .any(|e| matches!(e, GroupEvent::ActiveSwitched { .. })),
        "no switch: {}",
        run.report()
    );
}

/// The healed path carried data again.
fn assert_healed_path_used(run: &Run) {
    let (heal, end) = (run.at_heal.a, run.carried_now().a);
    assert!(
        end >= heal + (MESSAGES - HEAL_AT) as u64 / 2,
        "path a carried {heal} before healing and {end} at the end: {}",
        run.report()
    );
}

#[test]
fn our_broadcast_caller_delivers_everything_to_libsrt_when_one_link_is_cut() {
    check(
        our_caller_to_libsrt(BROADCAST),
        &[assert_delivered_all, assert_broadcast_on_both_paths],
    );
}

#[test]
fn our_broadcast_caller_sends_on_a_healed_link_again_into_libsrt() {
    check(
        our_caller_to_libsrt(Scenario {
            heals: true,
            ..BROADCAST
        }),
        &[assert_delivered_all, assert_healed_path_used],
    );
}

#[test]
fn our_backup_caller_fails_over_to_the_standby_without_loss_into_libsrt() {
    check(
        our_caller_to_libsrt(BACKUP),
        &[
            assert_delivered_all,
            assert_backup_switched,
            assert_active_switched,
        ],
    );
}

#[test]
fn libsrt_broadcast_caller_delivers_everything_to_our_listener_when_one_link_is_cut() {
    check(
        libsrt_caller_to_ours(BROADCAST),
        &[assert_delivered_all, assert_broadcast_on_both_paths],
    );
}

#[test]
fn libsrt_broadcast_caller_keeps_a_healed_link_into_our_listener() {
    check(
        libsrt_caller_to_ours(Scenario {
            heals: true,
            ..BROADCAST
        }),
        &[assert_delivered_all, assert_healed_path_used],
    );
}

#[test]
fn libsrt_backup_caller_fails_over_without_loss_into_our_listener() {
    check(
        libsrt_caller_to_ours(BACKUP),
        &[assert_delivered_all, assert_backup_switched],
    );
}

const SECRET: &str = "group-interop-secret";

#[test]
fn our_encrypted_broadcast_caller_delivers_everything_to_libsrt_when_one_link_is_cut() {
    check(
        our_caller_to_libsrt(Scenario {
            passphrase: Some(SECRET),
            ..BROADCAST
        }),
        &[
            assert_delivered_all,
            assert_broadcast_on_both_paths,
            assert_all_encrypted,
        ],
    );
}

#[test]
fn libsrt_encrypted_broadcast_caller_delivers_everything_to_our_listener_when_one_link_is_cut() {
    check(
        libsrt_caller_to_ours(Scenario {
            passphrase: Some(SECRET),
            ..BROADCAST
        }),
        &[
            assert_delivered_all,
            assert_broadcast_on_both_paths,
            assert_all_encrypted,
        ],
    );
}

/// Path b joins our running broadcast group at this message...
const JOIN_AT: usize = 100;
/// ...and path a is cut at this one.
const LATE_CUT_AT: usize = 250;

#[test]
fn a_member_joining_our_running_broadcast_group_carries_the_stream_into_libsrt() {
    let Some(exe) = group_peer() else { return };
    let s = BROADCAST;
    let (listener, port) = start_libsrt_listener(&exe, &s);
    let a = Relay::start(loopback(port));
    let b = Relay::start(loopback(port));
    let mut ours = OurGroup::caller(s.group_type, &[(a.addr(), 1)], &s.handshake(), 11);
    ours.run(Duration::from_secs(5), |g| g.connected_members() == 1);
    assert_eq!(ours.connected_members(), 1, "{}", ours.describe());

    let (delivered, lines) = send_into_libsrt(&mut ours, listener, &s, |i, ours| {
        if i == JOIN_AT {
            // The newcomer's handshake carries the group's next sequence
            // number as its ISN and the group's start as its time zero.
            ours.connect_member(b.addr(), 1);
        }
        if i == LATE_CUT_AT {
            assert_eq!(ours.connected_members(), 2, "{}", ours.describe());
            a.cut();
        }
    });
    assert_all_delivered(&delivered, &lines, &ours, "");
    assert_joined_member_carried(&b, &ours);
}

#[test]
fn a_member_joining_libsrt_running_broadcast_group_carries_the_stream_into_our_listener() {
    let Some(exe) = group_peer() else { return };
    let s = BROADCAST;
    let mut ours = OurGroup::listener(s.handshake(), 13);
    let target = ours.local_addr();
    let a = Arc::new(Relay::start(target));
    let b = Relay::start(target);
    let mut options = s.libsrt_options();
    options.extend(["--join-at".to_owned(), JOIN_AT.to_string()]);
    // b is held back until message JOIN_AT.
    let targets = [(a.addr(), 1), (b.addr(), 1)];
    let mut caller = start_libsrt_caller(&exe, &mut ours, &s, &targets, 1, &options);

    let ra = a.clone();
    let cut: Box<dyn FnOnce() + Send> = Box::new(move || ra.cut());
    let feeder = caller.stream_in_background(MESSAGES, PACE, vec![(LATE_CUT_AT, cut)]);
    let (delivered, lines) = receive_libsrt_stream(&mut ours, caller, feeder);
    assert!(lines.iter().any(|l| l.starts_with("joined")), "{lines:#?}");
    assert_all_delivered(&delivered, &lines, &ours, "");
    assert_joined_member_carried(&b, &ours);
}

#[test]
fn our_backup_caller_hands_over_to_the_heavier_of_two_standbys_into_libsrt() {
    let Some(exe) = group_peer() else { return };
    let s = BACKUP;
    let (listener, port) = start_libsrt_listener(&exe, &s);
    let [main, heavy, light] = [(); 3].map(|()| Relay::start(loopback(port)));
    let mut ours = OurGroup::caller(
        s.group_type,
        &[(main.addr(), 10), (light.addr(), 1), (heavy.addr(), 5)],
        &s.handshake(),
        17,
    );
    ours.run(Duration::from_secs(5), |g| g.connected_members() == 3);
    assert_eq!(ours.connected_members(), 3, "{}", ours.describe());

    let (delivered, lines) = send_into_libsrt(&mut ours, listener, &s, |i, _| {
        if i == CUT_AT {
            main.cut();
        }
    });
    assert_heavier_standby_took_over(&delivered, &lines, &ours, [&main, &heavy, &light]);
}

#[test]
fn libsrt_backup_caller_hands_over_to_the_heavier_of_two_standbys_into_our_listener() {
    let Some(exe) = group_peer() else { return };
    let s = BACKUP;
    let mut ours = OurGroup::listener(s.handshake(), 19);
    let target = ours.local_addr();
    let [main, heavy, light] = [(); 3].map(|()| Arc::new(Relay::start(target)));
    let targets = [(main.addr(), 10), (light.addr(), 1), (heavy.addr(), 5)];
    let mut caller = start_libsrt_caller(&exe, &mut ours, &s, &targets, 3, &s.libsrt_options());

    let m = main.clone();
    let cut: Box<dyn FnOnce() + Send> = Box::new(move || m.cut());
    let feeder = caller.stream_in_background(MESSAGES, PACE, vec![(CUT_AT, cut)]);
    let (delivered, lines) = receive_libsrt_stream(&mut ours, caller, feeder);
    assert_heavier_standby_took_over(&delivered, &lines, &ours, [&main, &heavy, &light]);
}

#[test]
fn a_libsrt_listener_without_groupconnect_refuses_our_group_caller_with_group() {
    let Some(exe) = group_peer() else { return };
    let port = free_port();
    let _listener = Peer::listener(&exe, port, &["--groupconnect", "0"]);
    let target = loopback(port);
    let mut ours = OurGroup::caller(
        GroupType::Broadcast,
        &[(target, 1), (target, 1)],
        &BROADCAST.handshake(),
        21,
    );
    ours.run(Duration::from_secs(5), |g| g.refused.len() >= 2);
    assert_eq!(
        ours.refused,
        [RejectReason::Group, RejectReason::Group],
        "{}",
        ours.describe()
    );
    assert_eq!(ours.connected_members(), 0);
}

#[test]
fn our_listener_without_group_connect_refuses_a_libsrt_group_caller_with_group() {
    let Some(exe) = group_peer() else { return };
    let mut ours = OurGroup::listener_with(BROADCAST.handshake(), false, 23);
    let target = ours.local_addr();
    let caller = Peer::start_caller(&exe, "broadcast", &[(target, 1), (target, 1)], 1, &[]);
    let refused = |l: &String| l.starts_with("refused");
    ours.run(Duration::from_secs(5), |_| {
        caller.lines().iter().filter(|l| refused(l)).count() >= 2
    });
    let lines = caller.lines();
    // libsrt's SRT_REJ_GROUP (15) through SRT_ECONNREJ (1002), per member.
    let refusals: Vec<&String> = lines.iter().filter(|l| refused(l)).collect();
    assert_eq!(
        refusals.len(),
        2,
        "libsrt: {lines:#?}\nours: {}",
        ours.describe()
    );
    for r in refusals {
        assert!(r.ends_with("error 1002 reject 15"), "{r}");
    }
    assert!(ours.group().is_none(), "{}", ours.describe());
    assert!(
        !ours.refused.is_empty() && ours.refused.iter().all(|r| *r == RejectReason::Group),
        "{:?}",
        ours.refused
    );
}

#[test]
fn our_encrypted_backup_caller_fails_over_without_loss_into_libsrt() {
    check(
        our_caller_to_libsrt(Scenario {
            passphrase: Some(SECRET),
            ..BACKUP
        }),
        &[
            assert_delivered_all,
            assert_backup_switched,
            assert_all_encrypted,
        ],
    );
}

#[test]
fn libsrt_encrypted_backup_caller_fails_over_without_loss_into_our_listener() {
    check(
        libsrt_caller_to_ours(Scenario {
            passphrase: Some(SECRET),
            ..BACKUP
        }),
        &[
            assert_delivered_all,
            assert_backup_switched,
            assert_all_encrypted,
        ],
    );
}

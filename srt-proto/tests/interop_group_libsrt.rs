//! The group interop harness proven on libsrt alone: a libsrt group caller
//! and a libsrt group listener (`tests/peers/group_peer.c`), each member
//! path through its own UDP relay, one path cut mid-stream. What passes here
//! is what libsrt itself achieves over the same relays, the baseline the
//! tests of our group against libsrt (`interop_group_ours.rs`) are held to.
//!
//! Needs a libsrt built with bonding (see `group_peer_support`): skipped
//! without one, failed in CI.

mod group_peer_support;

use group_peer_support::{Peer, Relay, assert_all_payloads, free_port, group_peer, payload};
use std::time::Duration;

const MESSAGES: usize = 400;
const CUT_AT: usize = 150;
const PACE: Duration = Duration::from_millis(5);

/// Sends the numbered payloads, one per `PACE`, running `at_cut` before
/// message `CUT_AT`, then ends the caller's input.
fn stream(caller: &mut Peer, at_cut: impl FnOnce()) {
    let mut at_cut = Some(at_cut);
    for i in 0..MESSAGES {
        if i == CUT_AT {
            (at_cut.take().unwrap())();
        }
        caller.send(&payload(i));
        std::thread::sleep(PACE);
    }
    caller.finish_input();
}

#[test]
fn libsrt_broadcast_group_delivers_everything_when_one_link_is_cut() {
    let Some(exe) = group_peer() else { return };
    let port = free_port();
    let listener = Peer::listener(&exe, port, &["--latency", "200"]);
    let target = format!("127.0.0.1:{port}").parse().unwrap();
    let (a, b) = (Relay::start(target), Relay::start(target));
    let mut caller = Peer::caller(
        &exe,
        "broadcast",
        &[(a.addr(), 1), (b.addr(), 1)],
        2,
        &["--latency", "200"],
    );

    let mut before_cut = (0, 0);
    stream(&mut caller, || {
        before_cut = (a.data_up(), b.data_up());
        a.cut();
    });
    caller.finish(Duration::from_secs(10));
    let got = listener.finish(Duration::from_secs(10));

    assert_all_payloads(&got, MESSAGES);
    // Broadcast: both paths carried every message until one was cut.
    assert!(before_cut.0 >= CUT_AT as u64, "path a: {before_cut:?}");
    assert!(before_cut.1 >= CUT_AT as u64, "path b: {before_cut:?}");
}

#[test]
fn libsrt_backup_group_switches_to_the_standby_when_the_active_link_is_cut() {
    let Some(exe) = group_peer() else { return };
    let port = free_port();
    let listener = Peer::listener(&exe, port, &["--latency", "500"]);
    let target = format!("127.0.0.1:{port}").parse().unwrap();
    let (main, standby) = (Relay::start(target), Relay::start(target));
    // The higher weight is the main link.
    let mut caller = Peer::caller(
        &exe,
        "backup",
        &[(main.addr(), 10), (standby.addr(), 1)],
        2,
        &["--latency", "500"],
    );

    let mut before_cut = (0, 0);
    stream(&mut caller, || {
        before_cut = (main.data_up(), standby.data_up());
        main.cut();
    });
    caller.finish(Duration::from_secs(10));
    let got = listener.finish(Duration::from_secs(10));

    assert_all_payloads(&got, MESSAGES);
    assert!(before_cut.0 >= CUT_AT as u64, "main: {before_cut:?}");
    assert_eq!(before_cut.1, 0, "the standby carried data: {before_cut:?}");
    assert!(
        standby.data_up() >= (MESSAGES - CUT_AT) as u64,
        "the standby took over only {} packets",
        standby.data_up()
    );
    // libsrt's own failover time, the yardstick for ours.
    let failover = standby
        .first_data_up()
        .zip(main.cut_at())
        .map(|(first, cut)| first.saturating_duration_since(cut));
    eprintln!("libsrt failover: the standby's first data {failover:?} after the cut");
    assert!(failover.is_some_and(|f| f < Duration::from_millis(500)));
}

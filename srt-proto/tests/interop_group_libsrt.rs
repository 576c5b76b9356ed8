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

/// Waits for both peers to exit and returns what the listener delivered;
/// when that is not everything, prints both peers' status lines and the
/// relays' counts first.
fn finish(caller: Peer, listener: Peer, relays: &[&Relay]) -> Vec<Vec<u8>> {
    let caller_lines = caller.finish_keeping_lines(Duration::from_secs(10)).1;
    let (got, listener_lines) = listener.finish_keeping_lines(Duration::from_secs(10));
    if got.len() != MESSAGES {
        let carried: Vec<(u64, u64)> = relays
            .iter()
            .map(|r| (r.data_up(), r.data_down()))
            .collect();
        eprintln!(
            "caller: {caller_lines:#?}\nlistener: {listener_lines:#?}\n\
             relays (data up, down): {carried:?}"
        );
    }
    got
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
    let got = finish(caller, listener, &[&a, &b]);

    assert_all_payloads(&got, MESSAGES);
    // Broadcast: both paths carried every message until one was cut (but
    // the last one or two, which libsrt's sender thread may still hold).
    assert!(before_cut.0 >= CUT_AT as u64 - 2, "path a: {before_cut:?}");
    assert!(before_cut.1 >= CUT_AT as u64 - 2, "path b: {before_cut:?}");
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
    let got = finish(caller, listener, &[&main, &standby]);

    assert_all_payloads(&got, MESSAGES);
    assert!(before_cut.0 >= CUT_AT as u64 - 2, "main: {before_cut:?}");
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

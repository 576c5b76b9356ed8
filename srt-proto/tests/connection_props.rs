//! Property: whatever the application sends and whatever the network does
//! (loss, outages, pauses), a live receiver delivers each message at most
//! once, in order, uncorrupted, exactly at its TSBPD time, and counts as
//! dropped every message it skipped.

#![cfg(feature = "sim")]

mod connection_support;

use connection_support::*;
use core::time::Duration;
use proptest::prelude::*;
use srt_proto::connection::Connection;
use srt_proto::sim::{LinkConfig, Network, NodeId, Probability};
use srt_proto::time::Instant;

#[derive(Debug, Clone)]
enum Op {
    /// The application sends a message of this many bytes.
    Send(usize),
    /// Virtual time passes.
    Wait(u64),
    /// Both directions lose this percentage from now on.
    Loss(u32),
    /// Both directions are cut for this many milliseconds from now.
    Outage(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (16usize..=1316).prop_map(Op::Send),
        4 => (0u64..40).prop_map(Op::Wait),
        1 => (0u32..40).prop_map(Op::Loss),
        1 => (0u64..1500).prop_map(Op::Outage),
    ]
}

fn link(loss: u32) -> LinkConfig {
    LinkConfig::new()
        .latency(ONE_WAY)
        .loss(Probability::percent(f64::from(loss)))
}

fn run(seed: u64, ops: &[Op]) -> Result<(), TestCaseError> {
    let (pa, pb) = pair_params(42, true, LATENCY, Instant::ZERO);
    let a = Peer::new(Connection::new(pa, [1; 32]), addr(A), addr(B));
    let b = Peer::new(Connection::new(pb, [2; 32]), addr(B), addr(A));
    let mut net: Network<Peer> = network(seed, a, b, link(0));
    let mut sent = 0u64;
    let mut refused = 0u64;
    let mut loss = 0;
    for op in ops {
        match op {
            Op::Send(len) => {
                let index = sent;
                let mut ok = true;
                net.inject(NodeId(0), |peer, now, out| {
                    ok = peer.send_message(now, index, *len, out);
                })
                .unwrap();
                sent += 1;
                refused += u64::from(!ok);
            }
            Op::Wait(ms) => net
                .run_until(net.now() + Duration::from_millis(*ms))
                .unwrap(),
            Op::Loss(percent) => {
                loss = *percent;
                for (from, to) in [(A, B), (B, A)] {
                    net.link_mut(addr(from), addr(to))
                        .unwrap()
                        .reconfigure(link(loss));
                }
            }
            Op::Outage(ms) => {
                let (start, end) = (net.now(), net.now() + Duration::from_millis(*ms));
                for (from, to) in [(A, B), (B, A)] {
                    net.link_mut(addr(from), addr(to))
                        .unwrap()
                        .reconfigure(link(loss).partition(start, end));
                }
            }
        }
    }
    net.run_until(net.now() + Duration::from_secs(3)).unwrap();
    prop_assert_eq!(refused, 0);
    let b = &net.nodes()[1];
    let mut next = 0u64;
    let mut missing = 0u64;
    for r in &b.received {
        let (index, sent_at) =
            check_message(&r.data).ok_or_else(|| TestCaseError::fail("corrupted"))?;
        prop_assert!(index >= next, "message {} twice or out of order", index);
        missing += index - next;
        next = index + 1;
        let delay = r.delivered_at.duration_since(sent_at);
        prop_assert!(
            delay.abs_diff(LATENCY + ONE_WAY) <= Duration::from_millis(1),
            "message {} delivered after {:?}",
            index,
            delay
        );
    }
    let dropped = b.conn.stats(net.now()).total.receive_drop.packets;
    prop_assert!(
        missing <= dropped && dropped <= missing + (sent - next),
        "missing {} dropped {} sent {} next {}",
        missing,
        dropped,
        sent,
        next
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn live_delivery_invariants_hold_under_any_sends_faults_and_pauses(
        seed in any::<u64>(),
        ops in proptest::collection::vec(op(), 1..400),
    ) {
        run(seed, &ops)?;
    }
}

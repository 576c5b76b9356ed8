//! File mode between two connections on the simulator: the stream API
//! delivers every byte in order over a lossy, rate-limited link, and the
//! file congestion controller fills the link.

#![cfg(feature = "sim")]

mod connection_support;

use connection_support::*;
use core::time::Duration;
use srt_proto::connection::Connection;
use srt_proto::sim::{LinkConfig, Probability};
use srt_proto::time::Instant;

const LINK_BPS: u64 = 100_000_000;

#[derive(Debug)]
#[allow(dead_code)] // read through Debug
struct FileOutcome {
    received: u64,
    elapsed: Duration,
    /// Payload throughput over the link's rate.
    utilisation: f64,
}

/// `total` bytes from A to B over 100 Mbit/s, 40 ms RTT, `loss` both ways.
fn file_run(seed: u64, total: u64, loss: f64, deadline: Duration) -> FileOutcome {
    let start = Instant::ZERO;
    let (pa, pb) = pair_params(77, false, Duration::ZERO, start);
    let mut a = Peer::new(Connection::new(pa, [1; 32]), addr(A), addr(B));
    a.file = Some(FileSource {
        total,
        offset: 0,
        chunk: 64 * 1024,
        done_at: None,
    });
    let b = Peer::new(Connection::new(pb, [2; 32]), addr(B), addr(A));
    // A queue of twice the bandwidth-delay product.
    let link = LinkConfig::new()
        .latency(Duration::from_millis(20))
        .loss(Probability::percent(loss))
        .rate(LINK_BPS, 1_000_000);
    let mut net = network(seed, a, b, link);
    let step = Duration::from_millis(100);
    while net.nodes()[1].stream_received < total && net.now() < start + deadline {
        net.run_until(net.now() + step).unwrap();
    }
    let b = &net.nodes()[1];
    assert_eq!(b.stream_corrupt_at, None, "corrupted");
    let elapsed = b.stream_last_at.unwrap_or(net.now()).duration_since(start);
    let bits = b.stream_received as f64 * 8.0;
    FileOutcome {
        received: b.stream_received,
        elapsed,
        utilisation: bits / elapsed.as_secs_f64() / LINK_BPS as f64,
    }
}

#[test]
fn a_file_over_a_clean_link_arrives_byte_exact() {
    let total = 8 * 1024 * 1024;
    let o = file_run(1, total, 0.0, Duration::from_secs(60));
    assert_eq!(o.received, total, "{o:?}");
    eprintln!("{o:?}");
}

#[test]
fn a_file_over_one_percent_loss_arrives_byte_exact() {
    let total = 16 * 1024 * 1024;
    let o = file_run(2, total, 1.0, Duration::from_secs(120));
    assert_eq!(o.received, total, "{o:?}");
    eprintln!("{o:?}");
}

#[test]
#[ignore = "1 GiB; run in release"]
fn one_gibibyte_over_one_percent_loss_arrives_byte_exact_using_80_percent_of_the_link() {
    let t = std::time::Instant::now();
    let total = 1 << 30;
    let o = file_run(3, total, 1.0, Duration::from_secs(600));
    eprintln!("1 GiB: {o:?} in {:?}", t.elapsed());
    assert_eq!(o.received, total, "{o:?}");
    assert!(o.utilisation >= 0.8, "{o:?}");
}

#[test]
fn the_message_api_delivers_every_message_whole_once_and_in_order_ones_in_order() {
    let (mut pa, mut pb) = pair_params(9, false, Duration::ZERO, Instant::ZERO);
    pa.negotiated.message_api = true;
    pb.negotiated.message_api = true;
    let mut a = Peer::new(Connection::new(pa, [1; 32]), addr(A), addr(B));
    let sizes: Vec<usize> = (0..400u64)
        .map(|i| 16 + (i * 7919 % 20_000) as usize)
        .collect();
    a.messages = Some(MessageSource {
        sizes: sizes.clone(),
        next: 0,
    });
    let b = Peer::new(Connection::new(pb, [2; 32]), addr(B), addr(A));
    let link = LinkConfig::new()
        .latency(Duration::from_millis(20))
        .loss(Probability::percent(3.0))
        .rate(LINK_BPS, 1_000_000);
    let mut net = network(4, a, b, link);
    net.run_until(Instant::ZERO + Duration::from_secs(20))
        .unwrap();
    let b = &net.nodes()[1];
    let mut seen = vec![false; sizes.len()];
    let mut last_in_order = None;
    let mut overtaken = 0;
    for (position, r) in b.received.iter().enumerate() {
        let (index, _) = check_message(&r.data).expect("uncorrupted");
        assert_eq!(r.data.len(), sizes[index as usize]);
        assert!(!seen[index as usize], "message {index} twice");
        seen[index as usize] = true;
        if in_order(index) {
            assert!(
                last_in_order < Some(index),
                "in-order message {index} out of order"
            );
            last_in_order = Some(index);
        }
        if index as usize != position {
            overtaken += 1;
        }
    }
    assert!(seen.iter().all(|s| *s), "every message delivered");
    assert!(overtaken > 0, "with loss, some unordered messages overtake");
}

//! Connections the endpoint established carry data: live messages from a
//! caller reach the listener's application, in order and complete, with
//! and without loss and encryption; closing reaches both sides.
#![cfg(feature = "sim")]

mod endpoint_common;

use core::time::Duration;
use endpoint_common::*;
use srt_proto::connection::{CloseReason, SendOptions};
use srt_proto::crypto::Passphrase;
use srt_proto::handshake::HandshakeConfig;
use srt_proto::sim::{LinkConfig, Network, NodeId, Probability};
use srt_proto::{ConnectionId, Event, Input, ListenConfig};

fn messages(n: &EpNode) -> Vec<bytes::Bytes> {
    n.events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Message { data, .. } => Some(data.clone()),
            _ => None,
        })
        .collect()
}

/// Connects, then the caller sends `count` messages 1 ms apart.
fn send_messages(
    link: LinkConfig,
    config: HandshakeConfig,
    count: usize,
    seed: u64,
) -> (Network<EpNode>, NodeId, NodeId, ConnectionId) {
    let (mut net, l, c) = network(seed, link);
    listen(&mut net, l, ListenConfig::new(config.clone()));
    connect(&mut net, c, LISTENER, config);
    net.run_until(at_ms(1_000)).unwrap();
    let (connected_at, conn) = node(&net, c).connected().expect("connected");
    let start = connected_at.max(net.now());
    for i in 0..count {
        let at = start + Duration::from_millis(i as u64);
        net.schedule(at, c, move |n, now, out| {
            n.feed(
                Input::Send {
                    conn,
                    data: message(i),
                    options: SendOptions::default(),
                },
                now,
                out,
            )
        })
        .unwrap();
    }
    let end = start + Duration::from_millis(count as u64 + 3_000);
    net.run_until(end).unwrap();
    (net, l, c, conn)
}

#[test]
fn a_thousand_live_messages_from_the_caller_all_arrive_in_order() {
    let link = LinkConfig::new().latency(Duration::from_millis(10));
    let (net, l, c, _) = send_messages(link, HandshakeConfig::default(), 1000, 1);
    let expected: Vec<_> = (0..1000).map(message).collect();
    assert_eq!(messages(node(&net, l)), expected);
    assert!(
        !node(&net, c)
            .events
            .iter()
            .any(|(_, e)| matches!(e, Event::SendFailed { .. }))
    );
}

#[test]
fn encrypted_messages_arrive_through_loss_reordering_and_duplication() {
    let link = LinkConfig::new()
        .latency(Duration::from_millis(10))
        .loss(Probability::percent(5.0))
        .duplicate(Probability::percent(2.0))
        .reorder(Probability::percent(5.0), Duration::from_millis(3))
        .seed(4);
    let secret = Passphrase::new(b"message passphrase").unwrap();
    let config = HandshakeConfig::default().with_passphrase(secret);
    let (net, l, _, _) = send_messages(link, config, 1000, 4);
    let expected: Vec<_> = (0..1000).map(message).collect();
    assert_eq!(messages(node(&net, l)), expected);
}

#[test]
fn closing_the_caller_closes_both_sides_and_frees_their_state() {
    let link = LinkConfig::new().latency(Duration::from_millis(10));
    let (mut net, l, c, conn) = send_messages(link, HandshakeConfig::default(), 10, 2);
    net.inject(c, move |n, now, out| {
        n.feed(Input::Close { conn }, now, out)
    })
    .unwrap();
    let later = net.now() + Duration::from_secs(5);
    net.run_until(later).unwrap();
    let closed = |n: &EpNode| {
        n.find(|(_, e)| match e {
            Event::Closed { reason, .. } => Some(*reason),
            _ => None,
        })
    };
    assert_eq!(closed(node(&net, c)), Some(CloseReason::LocalClose));
    assert_eq!(closed(node(&net, l)), Some(CloseReason::PeerShutdown));
    assert_eq!(node(&net, c).ep.state_size().total(), 0);
    assert_eq!(node(&net, l).ep.state_size().total(), 0);
}

#[test]
fn rendezvous_peers_exchange_messages_both_ways() {
    let (mut net, a, b) = network(3, LinkConfig::new().latency(Duration::from_millis(10)));
    rendezvous(&mut net, a, CALLER, HandshakeConfig::default());
    rendezvous(&mut net, b, LISTENER, HandshakeConfig::default());
    net.run_until(at_ms(2_000)).unwrap();
    let (_, conn_a) = node(&net, a).connected().expect("a connected");
    let (_, conn_b) = node(&net, b).connected().expect("b connected");
    for (id, conn) in [(a, conn_a), (b, conn_b)] {
        for i in 0..100 {
            let at = at_ms(2_000 + i as u64);
            net.schedule(at, id, move |n, now, out| {
                n.feed(
                    Input::Send {
                        conn,
                        data: message(i),
                        options: SendOptions::default(),
                    },
                    now,
                    out,
                )
            })
            .unwrap();
        }
    }
    net.run_until(at_ms(5_000)).unwrap();
    let expected: Vec<_> = (0..100).map(message).collect();
    assert_eq!(messages(node(&net, a)), expected);
    assert_eq!(messages(node(&net, b)), expected);
}

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
    // Nothing is left but, per host, the RTT the connection measured.
    for n in [c, l] {
        let size = node(&net, n).ep.state_size();
        assert!(size.cached_rtts <= 1);
        assert_eq!(size.total(), size.cached_rtts, "{size:?}");
    }
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

fn send_at(
    net: &mut Network<EpNode>,
    id: NodeId,
    conn: ConnectionId,
    at_time: u64,
    data: bytes::Bytes,
) {
    net.schedule(at_ms(at_time), id, move |n, now, out| {
        n.feed(
            Input::Send {
                conn,
                data,
                options: SendOptions::default(),
            },
            now,
            out,
        )
    })
    .unwrap();
}

/// The messages `n` received, by connection.
fn by_conn(n: &EpNode) -> std::collections::BTreeMap<ConnectionId, Vec<bytes::Bytes>> {
    let mut map = std::collections::BTreeMap::<_, Vec<_>>::new();
    for (_, e) in &n.events {
        if let Event::Message { conn, data, .. } = e {
            map.entry(*conn).or_default().push(data.clone());
        }
    }
    map
}

#[test]
fn twenty_callers_share_the_listeners_socket_and_each_stream_stays_apart() {
    let mut net = Network::new().with_seed(9);
    let l = net
        .add_node(addr(LISTENER), EpNode::new(addr(LISTENER), 9))
        .unwrap();
    listen(&mut net, l, ListenConfig::new(HandshakeConfig::default()));
    let callers: Vec<NodeId> = (0..20)
        .map(|i| {
            let a = addr(&format!("10.0.3.{}:6000", i + 1));
            let id = net.add_node(a, EpNode::new(a, 9)).unwrap();
            net.link_both_ways(
                a,
                addr(LISTENER),
                LinkConfig::new().latency(Duration::from_millis(5)),
            );
            connect(&mut net, id, LISTENER, HandshakeConfig::default());
            id
        })
        .collect();
    net.run_until(at_ms(500)).unwrap();
    assert_eq!(node(&net, l).ep.state_size().established, 20);
    for (k, &c) in callers.iter().enumerate() {
        let (_, conn) = node(&net, c).connected().unwrap();
        for i in 0..50 {
            let data = bytes::Bytes::from(format!("caller {k} message {i}").into_bytes());
            send_at(&mut net, c, conn, 500 + i, data);
        }
    }
    net.run_until(at_ms(3_000)).unwrap();
    let received = by_conn(node(&net, l));
    assert_eq!(received.len(), 20);
    for stream in received.values() {
        let k = String::from_utf8_lossy(&stream[0])
            .split(' ')
            .nth(1)
            .unwrap()
            .to_string();
        let expected: Vec<_> = (0..50)
            .map(|i| bytes::Bytes::from(format!("caller {k} message {i}").into_bytes()))
            .collect();
        assert_eq!(stream, &expected);
    }
}

#[test]
fn one_socket_is_listener_caller_and_rendezvous_peer_at_once() {
    // X listens, calls Y, and rendezvouses with Z; W calls X.
    let [x, y, z, w] = [
        "10.0.4.1:7000",
        "10.0.4.2:7000",
        "10.0.4.3:7000",
        "10.0.4.4:7000",
    ];
    let mut net = Network::new().with_seed(5);
    let ids: Vec<NodeId> = [x, y, z, w]
        .iter()
        .map(|a| net.add_node(addr(a), EpNode::new(addr(a), 5)).unwrap())
        .collect();
    for pair in [(x, y), (x, z), (x, w)] {
        net.link_both_ways(
            addr(pair.0),
            addr(pair.1),
            LinkConfig::new().latency(Duration::from_millis(5)),
        );
    }
    let (nx, ny, nz, nw) = (ids[0], ids[1], ids[2], ids[3]);
    listen(&mut net, nx, ListenConfig::new(HandshakeConfig::default()));
    listen(&mut net, ny, ListenConfig::new(HandshakeConfig::default()));
    connect(&mut net, nx, y, HandshakeConfig::default());
    rendezvous(&mut net, nx, z, HandshakeConfig::default());
    rendezvous(&mut net, nz, x, HandshakeConfig::default());
    connect(&mut net, nw, x, HandshakeConfig::default());
    net.run_until(at_ms(1_000)).unwrap();
    assert_eq!(node(&net, nx).ep.state_size().established, 3);
    for &peer in &[ny, nz, nw] {
        let (_, conn) = node(&net, peer).connected().unwrap();
        let data = bytes::Bytes::from(format!("from {}", node(&net, peer).addr).into_bytes());
        send_at(&mut net, peer, conn, 1_000, data);
    }
    net.run_until(at_ms(2_000)).unwrap();
    let mut got: Vec<String> = by_conn(node(&net, nx))
        .into_values()
        .flatten()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            format!("from {y}"),
            format!("from {z}"),
            format!("from {w}")
        ]
    );
}

#[test]
fn the_listener_starts_a_returning_hosts_connection_from_its_last_rtt() {
    let link = LinkConfig::new().latency(Duration::from_millis(20));
    let (mut net, l, c, conn) = send_messages(link, HandshakeConfig::default(), 1500, 6);
    let first = node(&net, l).connected().unwrap().1;
    assert_eq!(
        node(&net, l)
            .ep
            .connection(first)
            .unwrap()
            .params()
            .options
            .initial_rtt,
        None,
        "a stateless listener cannot time the first handshake"
    );
    net.inject(c, move |n, now, out| {
        n.feed(Input::Close { conn }, now, out)
    })
    .unwrap();
    let later = net.now() + Duration::from_secs(2);
    net.run_until(later).unwrap();
    assert_eq!(node(&net, l).ep.state_size().cached_rtts, 1);
    connect(&mut net, c, LISTENER, HandshakeConfig::default());
    let later = net.now() + Duration::from_secs(1);
    net.run_until(later).unwrap();
    let second = node(&net, l)
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Connected { conn, .. } => Some(*conn),
            _ => None,
        })
        .nth(1)
        .expect("a second connection");
    let rtt = node(&net, l)
        .ep
        .connection(second)
        .unwrap()
        .params()
        .options
        .initial_rtt
        .expect("the cached RTT");
    assert!(
        (Duration::from_millis(38)..Duration::from_millis(60)).contains(&rtt),
        "{rtt:?}"
    );
}

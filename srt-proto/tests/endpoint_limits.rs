//! What a peer cannot make the endpoint do: keep state for spoofed
//! handshakes, exceed its connection cap, ask the embedder twice about one
//! caller, or run its clock backwards.
#![cfg(feature = "sim")]

mod endpoint_common;

use bytes::Bytes;
use core::net::{IpAddr, Ipv4Addr, SocketAddr};
use core::time::Duration;
use endpoint_common::*;
use srt_proto::access::SinglePublisher;
use srt_proto::crypto::Passphrase;
use srt_proto::handshake::HandshakeConfig;
use srt_proto::packet::ext::ConfigString;
use srt_proto::packet::handshake::{EncryptionField, ExtensionFlags, Handshake, HandshakeType};
use srt_proto::packet::reject::RejectReason;
use srt_proto::packet::{ControlBody, ControlPacket, Packet};
use srt_proto::rng::SrtRng;
use srt_proto::seq::SeqNumber;
use srt_proto::sim::{LinkConfig, Network};
use srt_proto::time::{Instant, Timestamp};
use srt_proto::{Endpoint, EndpointConfig, Event, Input, ListenConfig, Output};

fn handshake_datagram(hs: Handshake, dst: u32) -> Bytes {
    let mut out = Vec::new();
    Packet::Control(ControlPacket {
        timestamp: Timestamp::new(0),
        dst_socket_id: dst,
        body: ControlBody::Handshake(Box::new(hs)),
    })
    .encode(&mut out);
    Bytes::from(out)
}

fn induction(socket_id: u32, kind: HandshakeType, cookie: u32, version: u32) -> Handshake {
    Handshake {
        version,
        encryption: EncryptionField::None,
        extension_flags: ExtensionFlags(2),
        initial_seq: SeqNumber::new(1),
        mtu: 1500,
        flow_window: 8192,
        handshake_type: kind,
        socket_id,
        syn_cookie: cookie,
        peer_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        extensions: Vec::new(),
    }
}

fn listening_endpoint() -> Endpoint {
    let mut ep = Endpoint::new(EndpointConfig::default(), [7; 32]);
    ep.handle_input(
        Input::Listen(Box::new(ListenConfig::new(HandshakeConfig::default()))),
        Instant::ZERO,
    );
    ep
}

fn random_addr(rng: &mut SrtRng) -> SocketAddr {
    let ip = Ipv4Addr::from(rng.u32());
    SocketAddr::new(IpAddr::V4(ip), (rng.u32() & 0xFFFF) as u16)
}

#[test]
fn hundred_thousand_spoofed_inductions_leave_the_listener_without_state() {
    let mut ep = listening_endpoint();
    let mut rng = SrtRng::seed_from_u64(99);
    let mut out = Vec::new();
    for i in 0..100_000u64 {
        let from = random_addr(&mut rng);
        let data = handshake_datagram(
            induction(rng.socket_id(), HandshakeType::Induction, 0, 4),
            0,
        );
        let now = Instant::from_micros(i * 10);
        out.clear();
        ep.handle_input_into(Input::Datagram { from, data }, now, &mut out);
        assert!(
            matches!(out.as_slice(), [Output::Transmit { to, .. }] if *to == from),
            "exactly one answer, to the source: {out:?}"
        );
        if i % 10_000 == 0 {
            assert_eq!(ep.state_size().total(), 0, "after {i} inductions");
        }
    }
    assert_eq!(ep.state_size().total(), 0);
    assert_eq!(ep.next_timeout(), None, "no timer armed for anyone");
}

#[test]
fn conclusions_with_forged_cookies_get_no_answer_and_leave_no_state() {
    let mut ep = listening_endpoint();
    let mut rng = SrtRng::seed_from_u64(5);
    for _ in 0..10_000 {
        let from = random_addr(&mut rng);
        let hs = induction(rng.socket_id(), HandshakeType::Conclusion, rng.u32(), 5);
        let out = ep.handle_input(
            Input::Datagram {
                from,
                data: handshake_datagram(hs, 0),
            },
            Instant::ZERO,
        );
        assert!(out.is_empty(), "{out:?}");
    }
    assert_eq!(ep.state_size().total(), 0);
}

#[test]
fn datagrams_for_unknown_sockets_are_dropped_silently() {
    let mut ep = listening_endpoint();
    let from: SocketAddr = "192.0.2.1:1234".parse().unwrap();
    for dst in [1u32, 42, 0x3FFF_FFFF] {
        let hs = induction(9, HandshakeType::Conclusion, 0, 5);
        let out = ep.handle_input(
            Input::Datagram {
                from,
                data: handshake_datagram(hs, dst),
            },
            Instant::ZERO,
        );
        assert!(out.is_empty());
    }
    let runt = ep.handle_input(
        Input::Datagram {
            from,
            data: Bytes::from_static(&[0x80, 0, 0]),
        },
        Instant::ZERO,
    );
    assert!(runt.is_empty());
}

/// One listener and `n` callers on a LAN.
fn crowd(
    n: usize,
    listener: EndpointConfig,
    listen_cfg: ListenConfig,
) -> (Network<EpNode>, Vec<srt_proto::sim::NodeId>) {
    let mut net = Network::new().with_seed(11);
    let l = net
        .add_node(
            addr(LISTENER),
            EpNode::with_config(addr(LISTENER), 11, listener),
        )
        .unwrap();
    listen(&mut net, l, listen_cfg);
    let mut ids = vec![l];
    for i in 0..n {
        let a = addr(&format!("10.0.2.{}:5000", i + 1));
        ids.push(net.add_node(a, EpNode::new(a, 11)).unwrap());
        net.link_both_ways(
            a,
            addr(LISTENER),
            LinkConfig::new().latency(Duration::from_millis(5)),
        );
    }
    (net, ids)
}

fn connect_at(
    net: &mut Network<EpNode>,
    id: srt_proto::sim::NodeId,
    ms: u64,
    config: HandshakeConfig,
) {
    net.schedule(at_ms(ms), id, move |n, now, out| {
        n.feed(
            Input::Connect {
                remote: addr(LISTENER),
                config: Box::new(config),
            },
            now,
            out,
        )
    })
    .unwrap();
}

#[test]
fn callers_beyond_max_connections_are_rejected_with_resource() {
    let cap = EndpointConfig {
        max_connections: 2,
        ..EndpointConfig::default()
    };
    let (mut net, ids) = crowd(3, cap, ListenConfig::new(HandshakeConfig::default()));
    for (i, &c) in ids[1..].iter().enumerate() {
        connect_at(&mut net, c, 50 * i as u64, HandshakeConfig::default());
    }
    net.run_until(at_ms(1_000)).unwrap();
    assert_eq!(node(&net, ids[0]).ep.state_size().established, 2);
    let third = node(&net, ids[3]).find(|(_, e)| match e {
        Event::Rejected {
            reason, by_peer, ..
        } => Some((*reason, *by_peer)),
        _ => None,
    });
    assert_eq!(third, Some((RejectReason::Resource, true)));
}

#[test]
fn single_publisher_is_released_when_an_accepted_publisher_fails_its_handshake() {
    let secret = |s: &str| Passphrase::new(s.as_bytes()).unwrap();
    let publish = ConfigString::new(b"#!::r=cam1,m=publish").unwrap();
    let listen_cfg =
        ListenConfig::new(HandshakeConfig::default().with_passphrase(secret("the right secret")))
            .with_policy(SinglePublisher::new());
    let (mut net, ids) = crowd(2, EndpointConfig::default(), listen_cfg);
    let wrong = HandshakeConfig::default()
        .with_passphrase(secret("the wrong secret"))
        .with_stream_id(publish.clone());
    let right = HandshakeConfig::default()
        .with_passphrase(secret("the right secret"))
        .with_stream_id(publish);
    connect_at(&mut net, ids[1], 0, wrong);
    connect_at(&mut net, ids[2], 500, right);
    net.run_until(at_ms(2_000)).unwrap();
    assert!(node(&net, ids[1]).connected().is_none());
    assert!(
        node(&net, ids[2]).connected().is_some(),
        "the resource was released: {:?}",
        node(&net, ids[2]).events
    );
}

#[test]
fn hsv4_conclusion_is_rejected_with_version() {
    let mut ep = listening_endpoint();
    let from: SocketAddr = "192.0.2.7:4000".parse().unwrap();
    let out = ep.handle_input(
        Input::Datagram {
            from,
            data: handshake_datagram(induction(77, HandshakeType::Induction, 0, 4), 0),
        },
        Instant::ZERO,
    );
    let Some(Output::Transmit { data, .. }) = out.first() else {
        panic!("{out:?}")
    };
    let Ok(Packet::Control(ControlPacket {
        body: ControlBody::Handshake(answer),
        ..
    })) = Packet::decode(data)
    else {
        panic!()
    };
    let conclusion = induction(77, HandshakeType::Conclusion, answer.syn_cookie, 4);
    let out = ep.handle_input(
        Input::Datagram {
            from,
            data: handshake_datagram(conclusion, 0),
        },
        Instant::ZERO,
    );
    let rejected = out.iter().find_map(|o| match o {
        Output::Event(Event::IncomingRejected { reason, .. }) => Some(*reason),
        _ => None,
    });
    assert_eq!(rejected, Some(RejectReason::Version));
}

#[test]
fn a_repeated_conclusion_gets_the_same_answer_and_no_second_connection() {
    let mut listener = listening_endpoint();
    let mut caller = Endpoint::new(EndpointConfig::default(), [8; 32]);
    let (l_addr, c_addr) = (addr(LISTENER), addr(CALLER));
    let t = Instant::from_micros(1_000);
    let mut to_listener = caller.handle_input(
        Input::Connect {
            remote: l_addr,
            config: Box::new(HandshakeConfig::default()),
        },
        t,
    );
    let mut conclusion = None;
    let mut answers = Vec::new();
    // Pump until the caller has sent its CONCLUSION and the listener answered.
    for _ in 0..4 {
        let mut to_caller = Vec::new();
        for o in to_listener.drain(..) {
            if let Output::Transmit { data, .. } = o {
                if Packet::decode(&data).is_ok_and(|p| {
                    matches!(p, Packet::Control(ControlPacket { body: ControlBody::Handshake(ref h), .. }) if h.handshake_type == HandshakeType::Conclusion)
                }) {
                    conclusion = Some(data.clone());
                }
                to_caller.extend(listener.handle_input(Input::Datagram { from: c_addr, data }, t));
            }
        }
        for o in to_caller {
            if let Output::Transmit { data, .. } = o {
                answers.push(data.clone());
                to_listener.extend(caller.handle_input(Input::Datagram { from: l_addr, data }, t));
            }
        }
    }
    let conclusion = conclusion.expect("the caller concluded");
    let first_answer = answers.last().cloned().unwrap();
    let again = listener.handle_input(
        Input::Datagram {
            from: c_addr,
            data: conclusion,
        },
        t,
    );
    let transmits: Vec<_> = again
        .iter()
        .filter_map(|o| match o {
            Output::Transmit { data, .. } => Some(data.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(transmits, [first_answer]);
    assert!(
        !again
            .iter()
            .any(|o| matches!(o, Output::Event(Event::Connected { .. })))
    );
    assert_eq!(listener.state_size().established, 1);
}

#[test]
fn time_never_runs_backwards() {
    let mut ep = Endpoint::new(EndpointConfig::default(), [1; 32]);
    let remote: SocketAddr = "192.0.2.9:9000".parse().unwrap();
    ep.handle_input(
        Input::Connect {
            remote,
            config: Box::new(HandshakeConfig::default()),
        },
        at_ms(10_000),
    );
    let wake = ep.next_timeout().unwrap();
    // A `now` from the past is the last one seen: nothing fires early.
    let out = ep.handle_input(Input::Timeout, at_ms(0));
    assert!(!out.iter().any(|o| matches!(o, Output::Transmit { .. })));
    assert_eq!(ep.next_timeout(), Some(wake));
    let failed = ep
        .handle_input(Input::Timeout, at_ms(13_000))
        .into_iter()
        .any(|o| {
            matches!(
                o,
                Output::Event(Event::Failed {
                    reason: RejectReason::Timeout,
                    ..
                })
            )
        });
    assert!(failed, "3 s after the connect, not after time zero");
}

#[test]
fn listening_again_expires_the_requests_waiting_under_the_old_configuration() {
    use srt_proto::AccessControl;
    use srt_proto::handshake::FixedCookieForTesting;
    let mut ep = Endpoint::new(EndpointConfig::default(), [2; 32])
        .with_fixed_cookie_for_testing(FixedCookieForTesting(77));
    let ask = || {
        Input::Listen(Box::new(
            ListenConfig::new(HandshakeConfig::default()).with_access(AccessControl::Ask),
        ))
    };
    ep.handle_input(ask(), Instant::ZERO);
    let from: SocketAddr = "192.0.2.3:3000".parse().unwrap();
    let conclusion = induction(5, HandshakeType::Conclusion, 77, 5);
    let out = ep.handle_input(
        Input::Datagram {
            from,
            data: handshake_datagram(conclusion, 0),
        },
        Instant::ZERO,
    );
    let request = out
        .iter()
        .find_map(|o| match o {
            Output::Event(Event::ConnectionRequest(req)) => Some(req.id),
            _ => None,
        })
        .expect("a request");
    assert_eq!(ep.state_size().pending_requests, 1);
    let out = ep.handle_input(ask(), Instant::ZERO);
    assert!(out.contains(&Output::Event(Event::RequestExpired { request })));
    assert_eq!(ep.state_size().pending_requests, 0);
}

proptest::proptest! {
    #[test]
    fn arbitrary_datagrams_never_panic_and_never_create_state(
        datagrams in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..200), 1..20),
        header_kind in 0u8..3,
    ) {
        let mut ep = listening_endpoint();
        let from: SocketAddr = "198.51.100.1:9000".parse().unwrap();
        for (i, mut d) in datagrams.into_iter().enumerate() {
            // Steer some inputs past the header check: a handshake to id 0.
            if header_kind > 0 && d.len() >= 16 {
                d[..4].copy_from_slice(&[0x80, 0, 0, 0]);
                d[12..16].copy_from_slice(&[0; 4]);
            }
            let now = Instant::from_micros(i as u64 * 1000);
            ep.handle_input(Input::Datagram { from, data: Bytes::from(d) }, now);
        }
        // Without a cookie the endpoint gave out, no state can exist.
        proptest::prop_assert_eq!(ep.state_size().total(), 0);
    }
}

#[test]
fn endpoint_and_its_inputs_and_outputs_can_move_to_another_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<Endpoint>();
    assert_send::<Input>();
    assert_send::<Output>();
}

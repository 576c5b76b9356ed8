//! The GROUP handshake extension against what libsrt 1.5.1 (with bonding)
//! puts on the wire: `tests/fixtures/srt-libsrt-group-*.jsonl` (how they
//! were made: `tests/fixtures/README.md`). libsrt's group caller has two
//! members, from 127.0.0.1:9301 (weight 1) and :9302 (weight 2), to a
//! listener on 127.0.0.1:9200 with `SRTO_GROUPCONNECT=1`.
//!
//! - libsrt's GROUP blocks decode and re-encode byte for byte;
//! - our caller's GROUP block is libsrt's, byte for byte, in the same place
//!   (right after HSREQ), and our caller accepts libsrt's real answer;
//! - our listener answers libsrt's members as libsrt's listener does: one
//!   mirror group for both, the type, no flags, each member's weight,
//!   right after HSRSP.

use bytes::Bytes;
use core::net::SocketAddr;
use srt_proto::endpoint::MemberInfo;
use srt_proto::group::GroupType;
use srt_proto::handshake::{FixedCookieForTesting, HandshakeConfig};
use srt_proto::packet::ext::{GroupExt, HandshakeExtension};
use srt_proto::packet::handshake::HandshakeType;
use srt_proto::packet::{ControlBody, Handshake, Packet};
use srt_proto::time::Instant;
use srt_proto::{Endpoint, EndpointConfig, Event, Input, ListenConfig, Output};

const LISTENER: &str = "127.0.0.1:9200";
const MEMBER_1: &str = "127.0.0.1:9301";
const MEMBER_2: &str = "127.0.0.1:9302";

struct Datagram {
    src: SocketAddr,
    dst: SocketAddr,
    data: Vec<u8>,
}

fn capture(kind: &str) -> Vec<Datagram> {
    let path = format!(
        "{}/tests/fixtures/srt-libsrt-group-{kind}.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            Datagram {
                src: v["src"].as_str().unwrap().parse().unwrap(),
                dst: v["dst"].as_str().unwrap().parse().unwrap(),
                data: hex::decode(v["hex"].as_str().unwrap()).unwrap(),
            }
        })
        .collect()
}

fn handshake(data: &[u8]) -> Option<Handshake> {
    match Packet::decode_slice(data).ok()? {
        Packet::Control(c) => match c.body {
            ControlBody::Handshake(hs) => Some(*hs),
            _ => None,
        },
        Packet::Data(_) => None,
    }
}

/// The CONCLUSION sent by `src` in the capture.
fn conclusion<'a>(dgs: &'a [Datagram], src: &str) -> &'a Datagram {
    dgs.iter()
        .find(|d| {
            d.src == src.parse::<SocketAddr>().unwrap()
                && handshake(&d.data).is_some_and(|h| h.handshake_type == HandshakeType::Conclusion)
        })
        .unwrap()
}

fn group_of(hs: &Handshake) -> GroupExt {
    hs.find_extension(|e| match e {
        HandshakeExtension::Group(g) => Some(*g),
        _ => None,
    })
    .expect("a GROUP block")
}

/// The raw GROUP block (header and two words) of a handshake datagram.
fn group_block(data: &[u8]) -> &[u8] {
    let at = data
        .windows(4)
        .position(|w| w == [0x00, 0x08, 0x00, 0x02])
        .expect("GROUP block header");
    &data[at..at + 12]
}

fn kinds(hs: &Handshake) -> Vec<u16> {
    hs.extensions.iter().map(HandshakeExtension::ty).collect()
}

fn set_u32(data: &mut [u8], at: usize, v: u32) {
    data[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

fn get_u32(data: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(data[at..at + 4].try_into().unwrap())
}

/// Datagram offsets: header destination id, CIF socket id, CIF cookie.
const DST_ID: usize = 12;
const CIF_SOCKET_ID: usize = 16 + 24;
const CIF_COOKIE: usize = 16 + 28;

#[test]
fn libsrt_group_blocks_decode_to_its_settings_and_reencode_exactly() {
    for (kind, group_type) in [("broadcast", 1), ("backup", 2)] {
        let dgs = capture(kind);
        let mut seen = 0;
        for d in &dgs {
            let Some(hs) = handshake(&d.data) else {
                continue;
            };
            if hs.handshake_type != HandshakeType::Conclusion {
                continue;
            }
            let mut out = Vec::new();
            hs.encode(&mut out);
            assert_eq!(out, d.data[16..], "{kind}: CIF re-encodes byte for byte");
            let g = group_of(&hs);
            assert_eq!(g.group_type, group_type, "{kind}");
            assert_eq!(g.flags, 0, "{kind}: libsrt sends no group flags");
            assert_ne!(g.group_id & (1 << 30), 0, "{kind}: group-id bit");
            // Requests carry the member's weight (1 from :9301, 2 from
            // :9302); answers echo it.
            let member = if d.src.port() == 9200 { d.dst } else { d.src };
            assert_eq!(
                u32::from(g.weight),
                u32::from(member.port()) - 9300,
                "{kind}"
            );
            seen += 1;
        }
        assert_eq!(seen, 4, "{kind}: two requests and two answers");
    }
}

#[test]
fn libsrt_listener_answers_each_member_with_one_mirror_group_and_its_weight() {
    for kind in ["broadcast", "backup"] {
        let dgs = capture(kind);
        let request = |src| group_of(&handshake(&conclusion(&dgs, src).data).unwrap());
        let answer_to = |member: &str| {
            let to: SocketAddr = member.parse().unwrap();
            let first = conclusion(&dgs, member);
            let peer_id = get_u32(&first.data, CIF_SOCKET_ID);
            dgs.iter()
                .filter(|d| d.src == LISTENER.parse::<SocketAddr>().unwrap())
                .filter_map(|d| Some((d, handshake(&d.data)?)))
                .find(|(d, h)| {
                    h.handshake_type == HandshakeType::Conclusion
                        && get_u32(&d.data, DST_ID) == peer_id
                })
                .map(|(_, h)| (to, h))
                .unwrap()
        };
        let (r1, r2) = (request(MEMBER_1), request(MEMBER_2));
        assert_eq!(r1.group_id, r2.group_id, "{kind}: one caller group");
        assert_eq!((r1.weight, r2.weight), (1, 2), "{kind}");
        let (a1, a2) = (
            group_of(&answer_to(MEMBER_1).1),
            group_of(&answer_to(MEMBER_2).1),
        );
        assert_eq!(a1.group_id, a2.group_id, "{kind}: one mirror group");
        assert_ne!(a1.group_id, r1.group_id);
        assert_eq!((a1.weight, a2.weight), (1, 2), "{kind}: weights echoed");
        assert_eq!((a1.group_type, a1.flags), (r1.group_type, 0), "{kind}");
        assert_eq!(
            kinds(&answer_to(MEMBER_1).1),
            [2, 8],
            "{kind}: HSRSP, GROUP"
        );
    }
}

fn caller_endpoint() -> Endpoint {
    Endpoint::new(EndpointConfig::default(), [7; 32])
}

#[test]
fn our_caller_sends_libsrts_group_block_and_accepts_libsrts_answer() {
    let dgs = capture("broadcast");
    let theirs = conclusion(&dgs, MEMBER_1);
    let their_hs = handshake(&theirs.data).unwrap();
    let ext = group_of(&their_hs);
    let mut ep = caller_endpoint();
    let now = Instant::ZERO;
    let config = HandshakeConfig {
        group: Some(ext),
        ..HandshakeConfig::default()
    };
    let listener: SocketAddr = LISTENER.parse().unwrap();
    let out = ep.handle_input(
        Input::Connect {
            remote: listener,
            config: Box::new(config),
        },
        now,
    );
    let conn = out
        .iter()
        .find_map(|o| match o {
            Output::Event(Event::Connecting { conn, .. }) => Some(*conn),
            _ => None,
        })
        .unwrap();
    // libsrt's INDUCTION answer, addressed to our socket.
    let their_peer_id = get_u32(&theirs.data, CIF_SOCKET_ID);
    let readdress = |d: &Datagram| {
        let mut data = d.data.clone();
        set_u32(&mut data, DST_ID, conn.0);
        if get_u32(&data, CIF_SOCKET_ID) == their_peer_id {
            set_u32(&mut data, CIF_SOCKET_ID, conn.0);
        }
        Bytes::from(data)
    };
    let from_listener: Vec<&Datagram> = dgs
        .iter()
        .filter(|d| d.src == listener && get_u32(&d.data, DST_ID) == their_peer_id)
        .collect();
    let induction = from_listener[0];
    let out = ep.handle_input(
        Input::Datagram {
            from: listener,
            data: readdress(induction),
        },
        now,
    );
    let ours = out
        .iter()
        .find_map(|o| match o {
            Output::Transmit { data, .. } => handshake(data)
                .filter(|h| h.handshake_type == HandshakeType::Conclusion)
                .map(|h| (data.clone(), h)),
            _ => None,
        })
        .expect("our CONCLUSION");
    assert_eq!(
        group_block(&ours.0),
        group_block(&theirs.data),
        "GROUP bytes"
    );
    assert_eq!(kinds(&ours.1), kinds(&their_hs), "HSREQ, then GROUP");
    // libsrt's CONCLUSION answer, addressed to our socket.
    let answer = from_listener
        .iter()
        .find(|d| handshake(&d.data).is_some_and(|h| h.handshake_type == HandshakeType::Conclusion))
        .unwrap();
    let mirror = group_of(&handshake(&answer.data).unwrap()).group_id;
    let out = ep.handle_input(
        Input::Datagram {
            from: listener,
            data: readdress(answer),
        },
        now,
    );
    let group = out.iter().find_map(|o| match o {
        Output::Event(Event::Connected { group, .. }) => Some(*group),
        _ => None,
    });
    assert_eq!(
        group,
        Some(Some(MemberInfo {
            peer_group_id: mirror,
            local_group_id: ext.group_id,
            group_type: GroupType::Broadcast,
            weight: 1,
        }))
    );
}

#[test]
fn our_listener_answers_libsrts_members_as_libsrts_listener_does() {
    for (kind, group_type) in [
        ("broadcast", GroupType::Broadcast),
        ("backup", GroupType::Backup),
    ] {
        let dgs = capture(kind);
        let cookie = get_u32(&conclusion(&dgs, MEMBER_1).data, CIF_COOKIE);
        let mut ep = Endpoint::new(EndpointConfig::default(), [9; 32])
            .with_fixed_cookie_for_testing(FixedCookieForTesting(cookie));
        let now = Instant::ZERO;
        let listen = ListenConfig::new(HandshakeConfig::default()).with_group_connect(true);
        ep.handle_input(Input::Listen(Box::new(listen)), now);
        let mut answers = Vec::new();
        let mut members = Vec::new();
        for member in [MEMBER_1, MEMBER_2] {
            let theirs = conclusion(&dgs, member);
            let mut data = theirs.data.clone();
            // Our fixed cookie stands for the one libsrt baked for this port.
            set_u32(&mut data, CIF_COOKIE, cookie);
            let out = ep.handle_input(
                Input::Datagram {
                    from: theirs.src,
                    data: Bytes::from(data),
                },
                now,
            );
            for o in out {
                match o {
                    Output::Transmit { data, .. } => {
                        if let Some(h) = handshake(&data) {
                            answers.push((data, h));
                        }
                    }
                    Output::Event(Event::Connected { group, .. }) => members.push(group.unwrap()),
                    _ => {}
                }
            }
        }
        assert_eq!(answers.len(), 2, "{kind}: one answer per member");
        let libsrt_answer = |member: &str| {
            let peer_id = get_u32(&conclusion(&dgs, member).data, CIF_SOCKET_ID);
            dgs.iter()
                .find(|d| {
                    get_u32(&d.data, DST_ID) == peer_id
                        && handshake(&d.data)
                            .is_some_and(|h| h.handshake_type == HandshakeType::Conclusion)
                })
                .unwrap()
        };
        for (i, member) in [MEMBER_1, MEMBER_2].into_iter().enumerate() {
            let (ours, ours_hs) = &answers[i];
            let theirs = libsrt_answer(member);
            let (a, b) = (group_block(ours), group_block(&theirs.data));
            assert_eq!(a[..4], b[..4], "{kind}: block header");
            assert_eq!(a[8..], b[8..], "{kind}: type, flags, weight word");
            assert_ne!(a[4] & 0x40, 0, "{kind}: group-id bit");
            assert_eq!(
                kinds(ours_hs),
                kinds(&handshake(&theirs.data).unwrap()),
                "{kind}"
            );
        }
        assert_eq!(
            group_block(&answers[0].0)[4..8],
            group_block(&answers[1].0)[4..8]
        );
        let caller_group = group_of(&handshake(&conclusion(&dgs, MEMBER_1).data).unwrap());
        assert_eq!(members.len(), 2);
        for (m, weight) in members.iter().zip([1, 2]) {
            assert_eq!(m.peer_group_id, caller_group.group_id, "{kind}");
            assert_eq!(m.local_group_id, members[0].local_group_id, "{kind}");
            assert_eq!((m.group_type, m.weight), (group_type, weight), "{kind}");
        }
    }
}

//! The rendezvous handshake against libsrt 1.5.1's
//! (`tests/data/srt-libsrt-rendezvous.jsonl`: A = 127.0.0.1:9100, cookie
//! `7a33d193`, the initiator; B = 127.0.0.2:9100, cookie `6b587647`, the
//! responder). Playing either side with that side's socket id, ISN and
//! cookie, and fed the other side's captured handshakes, our
//! [`Rendezvous`] answers what libsrt answered, field for field.

use srt_proto::handshake::rendezvous::{RENDEZVOUS_TIMEOUT_FACTOR, cookie_contest};
use srt_proto::handshake::{
    HandshakeConfig, Rendezvous, RendezvousEvent, RendezvousState, Role, Transmit,
};
use srt_proto::packet::ext::HandshakeExtension;
use srt_proto::packet::handshake::{Handshake, HandshakeType};
use srt_proto::packet::reject::RejectReason;
use srt_proto::rng::SrtRng;
use srt_proto::seq::SeqNumber;
use srt_proto::time::Instant;
use std::net::SocketAddr;

/// One handshake datagram of the capture.
struct Captured {
    src: SocketAddr,
    dst_socket_id: u32,
    hs: Handshake,
}

fn capture() -> Vec<Captured> {
    let path = format!(
        "{}/tests/data/srt-libsrt-rendezvous.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter_map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let bytes = hex::decode(v["hex"].as_str().unwrap()).unwrap();
            // Handshakes only: control type 0.
            if !bytes.starts_with(&[0x80, 0x00]) {
                return None;
            }
            Some(Captured {
                src: v["src"].as_str().unwrap().parse().unwrap(),
                dst_socket_id: u32::from_be_bytes(bytes[12..16].try_into().unwrap()),
                hs: Handshake::decode(&bytes[16..]).unwrap(),
            })
        })
        .collect()
}

const A: &str = "127.0.0.1:9100";
const B: &str = "127.0.0.2:9100";

/// Our rendezvous playing the captured side `me` (its id, ISN, cookie).
fn play(me: &str, peer: &str) -> (Rendezvous, Vec<Captured>) {
    let cap = capture();
    let mine = cap.iter().find(|c| c.src.to_string() == me).unwrap();
    let rdv = Rendezvous::new(
        HandshakeConfig::default(),
        peer.parse().unwrap(),
        mine.hs.socket_id,
        mine.hs.initial_seq,
        mine.hs.syn_cookie,
        &mut SrtRng::seed_from_u64(1),
        Instant::ZERO,
    );
    (rdv, cap)
}

/// Everything but the extension payloads must match libsrt's message.
fn assert_same_fields(ours: &Transmit, theirs: &Captured) {
    assert_eq!(ours.dst_socket_id, theirs.dst_socket_id, "destination id");
    let (o, t) = (&ours.handshake, &theirs.hs);
    assert_eq!(o.handshake_type, t.handshake_type);
    assert_eq!(o.version, t.version);
    assert_eq!(o.encryption, t.encryption);
    assert_eq!(o.extension_flags, t.extension_flags);
    assert_eq!(o.initial_seq, t.initial_seq);
    assert_eq!((o.mtu, o.flow_window), (t.mtu, t.flow_window));
    assert_eq!(o.socket_id, t.socket_id);
    assert_eq!(o.syn_cookie, t.syn_cookie);
    assert_eq!(o.peer_ip, t.peer_ip);
    let kinds = |hs: &Handshake| -> Vec<u16> {
        hs.extensions
            .iter()
            .map(|e| match e {
                HandshakeExtension::HsReq(_) => 1,
                HandshakeExtension::HsRsp(_) => 2,
                HandshakeExtension::KmReq(_) => 3,
                HandshakeExtension::KmRsp(_) => 4,
                _ => 99,
            })
            .collect()
    };
    assert_eq!(kinds(o), kinds(t), "extension blocks");
}

fn drain(rdv: &mut Rendezvous) -> Vec<Transmit> {
    std::iter::from_fn(|| rdv.poll_transmit()).collect()
}

#[test]
fn cookie_contest_compares_like_libsrt() {
    assert_eq!(
        cookie_contest(0x7a33_d193, 0x6b58_7647),
        Some(Role::Initiator)
    );
    assert_eq!(
        cookie_contest(0x6b58_7647, 0x7a33_d193),
        Some(Role::Responder)
    );
    // libsrt subtracts as ints: the difference wraps.
    assert_eq!(
        cookie_contest(0x0000_0001, 0xF000_0000),
        Some(Role::Initiator)
    );
    assert_eq!(cookie_contest(5, 5), None);
}

#[test]
fn as_libsrts_initiator_we_send_what_it_sent() {
    let (mut rdv, cap) = play(A, B);
    let now = Instant::from_micros(303_353);
    let first = drain(&mut rdv);
    assert_same_fields(&first[0], &cap[0]);
    let from_b: Vec<&Captured> = cap.iter().filter(|c| c.src.to_string() == B).collect();
    let from_a: Vec<&Captured> = cap.iter().filter(|c| c.src.to_string() == A).collect();
    // B's WAVEAHAND → our WAVEAHAND to B's id.
    rdv.handle_handshake(B.parse().unwrap(), &from_b[0].hs, now);
    assert_eq!(rdv.role(), Some(Role::Initiator));
    assert_eq!(rdv.state(), RendezvousState::Attention);
    assert_same_fields(&drain(&mut rdv)[0], from_a[2]);
    // B's empty CONCLUSION → our CONCLUSION with HSREQ.
    rdv.handle_handshake(B.parse().unwrap(), &from_b[1].hs, now);
    assert_eq!(rdv.state(), RendezvousState::Fine);
    assert_same_fields(&drain(&mut rdv)[0], from_a[3]);
    // B's CONCLUSION with HSRSP → AGREEMENT, connected.
    rdv.handle_handshake(B.parse().unwrap(), &from_b[2].hs, now);
    assert_same_fields(&drain(&mut rdv)[0], from_a[4]);
    match rdv.poll_event() {
        Some(RendezvousEvent::Established {
            role,
            send_isn,
            receive_isn,
            negotiated,
            ..
        }) => {
            assert_eq!(role, Role::Initiator);
            assert_eq!(send_isn, SeqNumber::new(0x1330_65b0));
            assert_eq!(receive_isn, SeqNumber::new(0x1a3c_89c5));
            assert_eq!(negotiated.peer_socket_id, 0x0285_4b27);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn as_libsrts_responder_we_send_what_it_sent() {
    let (mut rdv, cap) = play(B, A);
    let now = Instant::from_micros(303_433);
    let from_b: Vec<&Captured> = cap.iter().filter(|c| c.src.to_string() == B).collect();
    let from_a: Vec<&Captured> = cap.iter().filter(|c| c.src.to_string() == A).collect();
    assert_same_fields(&drain(&mut rdv)[0], from_b[0]);
    // A's WAVEAHAND to our id → our empty CONCLUSION.
    rdv.handle_handshake(A.parse().unwrap(), &from_a[2].hs, now);
    assert_eq!(rdv.role(), Some(Role::Responder));
    assert_same_fields(&drain(&mut rdv)[0], from_b[1]);
    // A's CONCLUSION with HSREQ → our CONCLUSION with HSRSP.
    rdv.handle_handshake(A.parse().unwrap(), &from_a[3].hs, now);
    assert_eq!(rdv.state(), RendezvousState::Initiated);
    assert_same_fields(&drain(&mut rdv)[0], from_b[2]);
    assert!(rdv.poll_event().is_none(), "not before AGREEMENT");
    // A's AGREEMENT → connected.
    rdv.handle_handshake(A.parse().unwrap(), &from_a[4].hs, now);
    match rdv.poll_event() {
        Some(RendezvousEvent::Established {
            role,
            send_isn,
            receive_isn,
            ..
        }) => {
            assert_eq!(role, Role::Responder);
            assert_eq!(send_isn, SeqNumber::new(0x1a3c_89c5));
            assert_eq!(receive_isn, SeqNumber::new(0x1330_65b0));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn responder_waiting_for_agreement_connects_on_the_initiators_traffic() {
    let (mut rdv, cap) = play(B, A);
    let from_a: Vec<&Captured> = cap.iter().filter(|c| c.src.to_string() == A).collect();
    rdv.handle_handshake(A.parse().unwrap(), &from_a[2].hs, Instant::ZERO);
    rdv.handle_handshake(A.parse().unwrap(), &from_a[3].hs, Instant::ZERO);
    rdv.handle_peer_traffic();
    assert_eq!(rdv.state(), RendezvousState::Connected);
}

#[test]
fn equal_cookies_stall_until_the_timeout_and_fail_with_rdvcookie() {
    let config = HandshakeConfig::default();
    let mut a = Rendezvous::new(
        config.clone(),
        B.parse().unwrap(),
        11,
        SeqNumber::new(1),
        0x1234_5678,
        &mut SrtRng::seed_from_u64(1),
        Instant::ZERO,
    );
    let b_wave = Handshake {
        socket_id: 22,
        ..drain(&mut a)[0].handshake.clone()
    };
    a.handle_handshake(B.parse().unwrap(), &b_wave, Instant::ZERO);
    assert_eq!(a.role(), None);
    assert_eq!(a.state(), RendezvousState::Waving);
    let deadline = Instant::ZERO + config.connect_timeout * RENDEZVOUS_TIMEOUT_FACTOR;
    a.handle_timeout(deadline);
    assert_eq!(
        a.poll_event(),
        Some(RendezvousEvent::Rejected {
            reason: RejectReason::RdvCookie,
            by_peer: false
        })
    );
}

#[test]
fn peer_rejection_ends_the_rendezvous_with_its_reason() {
    let (mut rdv, _) = play(A, B);
    let rejection = Handshake {
        handshake_type: HandshakeType::Rejection(RejectReason::BadSecret),
        socket_id: 7,
        ..drain(&mut rdv)[0].handshake.clone()
    };
    rdv.handle_handshake(B.parse().unwrap(), &rejection, Instant::ZERO);
    assert_eq!(
        rdv.poll_event(),
        Some(RendezvousEvent::Rejected {
            reason: RejectReason::BadSecret,
            by_peer: true
        })
    );
    assert!(rdv.next_timeout().is_none());
}

#[test]
fn roles_once_decided_stand_when_the_peers_cookie_changes() {
    let (mut rdv, cap) = play(A, B);
    let from_b: Vec<&Captured> = cap.iter().filter(|c| c.src.to_string() == B).collect();
    rdv.handle_handshake(B.parse().unwrap(), &from_b[0].hs, Instant::ZERO);
    assert_eq!(rdv.role(), Some(Role::Initiator));
    // The peer re-baked its cookie: now it would win a new contest.
    let conclusion = Handshake {
        syn_cookie: 0x7fff_ffff,
        ..from_b[1].hs.clone()
    };
    drain(&mut rdv);
    rdv.handle_handshake(B.parse().unwrap(), &conclusion, Instant::ZERO);
    assert_eq!(rdv.role(), Some(Role::Initiator));
    assert_eq!(rdv.state(), RendezvousState::Fine);
    let sent = drain(&mut rdv);
    assert!(
        sent[0]
            .handshake
            .find_extension(|e| matches!(e, HandshakeExtension::HsReq(_)).then_some(()))
            .is_some()
    );
}

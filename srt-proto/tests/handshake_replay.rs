//! The libsrt 1.5.1 caller's INDUCTION and CONCLUSION from the captures
//! (`tests/data/*.jsonl`, listener on port 9100) replayed into our
//! listener, with the cookie pinned to the one libsrt's listener gave
//! ([`FixedCookieForTesting`]): our answers say what libsrt's said, and
//! decode with our decoder and, when tshark is installed, with
//! Wireshark's SRT dissector. The libsrt listener's answers replayed into
//! our caller complete its handshake.

use srt_proto::crypto::Passphrase;
use srt_proto::handshake::{
    Caller, CallerEvent, FixedCookieForTesting, HandshakeConfig, Listener, ListenerAction, Transmit,
};
use srt_proto::packet::ext::{ConfigString, HandshakeExtension, KmResponse, SrtHs};
use srt_proto::packet::handshake::{Handshake, HandshakeType, SRT_MAGIC_CODE};
use srt_proto::packet::reject::RejectReason;
use srt_proto::packet::{ControlBody, ControlPacket, Packet};
use srt_proto::time::{Instant, Timestamp};

mod replay_support;
use replay_support::{dissect, find, handshakes, tshark_available};

const PASSPHRASE: &str = "correct-horse-battery";
const LISTENER_ID: u32 = 0x3baf_3146;

fn secure() -> HandshakeConfig {
    HandshakeConfig::default().with_passphrase(Passphrase::try_from(PASSPHRASE).unwrap())
}

/// Our answer as a whole datagram, and decoded back by our decoder.
fn datagram(t: &Transmit) -> (Vec<u8>, Handshake) {
    let packet = ControlPacket {
        timestamp: Timestamp::new(1000),
        dst_socket_id: t.dst_socket_id,
        body: ControlBody::Handshake(Box::new(t.handshake.clone())),
    };
    let mut bytes = Vec::new();
    packet.encode(&mut bytes);
    let Ok(Packet::Control(ControlPacket {
        body: ControlBody::Handshake(hs),
        ..
    })) = Packet::decode_slice(&bytes)
    else {
        panic!("our answer does not decode as a handshake");
    };
    (bytes, *hs)
}

struct Replay {
    induction_answer: Transmit,
    conclusion_action: ListenerAction,
}

/// Replays the capture's caller INDUCTION and CONCLUSION into a listener
/// configured with `config`.
fn replay(name: &str, config: HandshakeConfig) -> Replay {
    let hss = handshakes(name);
    let libsrt_answer = find(&hss, true, HandshakeType::Induction);
    let mut listener = Listener::new(
        config,
        FixedCookieForTesting(libsrt_answer.hs.syn_cookie),
        8,
    );
    let induction = find(&hss, false, HandshakeType::Induction);
    let now = Instant::ZERO;
    let ListenerAction::Reply(induction_answer) =
        listener.handle(induction.src, &induction.hs, now, &mut || LISTENER_ID)
    else {
        panic!("no INDUCTION answer");
    };
    let conclusion = find(&hss, false, HandshakeType::Conclusion);
    let conclusion_action =
        listener.handle(conclusion.src, &conclusion.hs, now, &mut || LISTENER_ID);
    Replay {
        induction_answer,
        conclusion_action,
    }
}

fn hsrsp(hs: &Handshake) -> SrtHs {
    hs.find_extension(|e| match e {
        HandshakeExtension::HsRsp(h) => Some(*h),
        _ => None,
    })
    .expect("HSRSP")
}

fn accepted(r: &Replay) -> &Transmit {
    match &r.conclusion_action {
        ListenerAction::Accepted { reply, .. } => reply,
        other => panic!("CONCLUSION not accepted: {other:?}"),
    }
}

#[test]
fn induction_answer_matches_libsrts_fields() {
    let hss = handshakes("srt-libsrt-aes128");
    let libsrt = &find(&hss, true, HandshakeType::Induction).hs;
    let mut cfg = secure();
    if let Some(e) = cfg.encryption.as_mut() {
        e.key_len = Some(srt_proto::crypto::KeyLength::Aes128);
    }
    let r = replay("srt-libsrt-aes128", cfg);
    let (_, ours) = datagram(&r.induction_answer);
    assert_eq!(ours.version, 5);
    assert_eq!(ours.extension_flags.bits(), SRT_MAGIC_CODE);
    assert_eq!(ours.encryption, libsrt.encryption);
    assert_eq!(ours.syn_cookie, libsrt.syn_cookie);
    assert_eq!(ours.socket_id, libsrt.socket_id);
    assert_eq!(ours.initial_seq, libsrt.initial_seq);
    assert_eq!(ours.peer_ip, libsrt.peer_ip);
}

#[test]
fn libsrt_plain_conclusion_is_accepted_with_its_stream_id() {
    let r = replay("srt-libsrt-plain", HandshakeConfig::default());
    let ListenerAction::Accepted { negotiated, .. } = &r.conclusion_action else {
        panic!("not accepted: {:?}", r.conclusion_action);
    };
    assert_eq!(
        negotiated.stream_id,
        Some(ConfigString::new(b"live/test").unwrap())
    );
    assert_eq!(negotiated.crypto, None);
    let hss = handshakes("srt-libsrt-plain");
    let libsrt = &find(&hss, true, HandshakeType::Conclusion).hs;
    let (_, ours) = datagram(accepted(&r));
    assert_eq!(ours.initial_seq, libsrt.initial_seq);
    assert_eq!(ours.syn_cookie, libsrt.syn_cookie);
    let (o, l) = (hsrsp(&ours), hsrsp(libsrt));
    assert_eq!(
        (o.receiver_tsbpd_delay, o.sender_tsbpd_delay),
        (l.receiver_tsbpd_delay, l.sender_tsbpd_delay)
    );
}

#[test]
fn libsrt_aes128_conclusion_is_accepted_and_its_km_echoed_as_libsrt_does() {
    let r = replay("srt-libsrt-aes128", secure());
    let ListenerAction::Accepted { negotiated, .. } = &r.conclusion_action else {
        panic!("not accepted: {:?}", r.conclusion_action);
    };
    assert!(negotiated.crypto.is_some());
    let hss = handshakes("srt-libsrt-aes128");
    let libsrt = &find(&hss, true, HandshakeType::Conclusion).hs;
    let (_, ours) = datagram(accepted(&r));
    let kmrsp = |hs: &Handshake| {
        hs.find_extension(|e| match e {
            HandshakeExtension::KmRsp(KmResponse::KeyMaterial(km)) => Some(km.clone()),
            _ => None,
        })
        .expect("KMRSP")
    };
    assert_eq!(kmrsp(&ours), kmrsp(libsrt));
    assert_eq!(ours.extension_flags, libsrt.extension_flags);
}

#[test]
fn libsrt_badsecret_conclusion_is_rejected_as_libsrt_rejected_it() {
    // The capture's caller used another passphrase than the listener's.
    let r = replay("srt-libsrt-badsecret", secure());
    let hss = handshakes("srt-libsrt-badsecret");
    let libsrt = &find(
        &hss,
        true,
        HandshakeType::Rejection(RejectReason::BadSecret),
    )
    .hs;
    let ListenerAction::Reply(t) = &r.conclusion_action else {
        panic!("no rejection: {:?}", r.conclusion_action);
    };
    let (_, ours) = datagram(t);
    assert_eq!(ours.handshake_type, libsrt.handshake_type);
}

#[test]
fn libsrt_listener_answers_complete_our_caller() {
    let hss = handshakes("srt-libsrt-plain");
    let libsrt_induction = find(&hss, false, HandshakeType::Induction);
    let config =
        HandshakeConfig::default().with_stream_id(ConfigString::new(b"live/test").unwrap());
    let mut rng = rand_chacha_seed();
    let mut caller = Caller::new(
        config,
        libsrt_induction.dst,
        libsrt_induction.hs.socket_id,
        libsrt_induction.hs.initial_seq,
        &mut rng,
        Instant::ZERO,
    );
    let ours = caller.poll_transmit().unwrap();
    assert_eq!(ours.handshake, libsrt_induction.hs);
    let answer = find(&hss, true, HandshakeType::Induction);
    caller.handle_handshake(answer.src, &answer.hs, Instant::ZERO);
    let conclusion = caller.poll_transmit().unwrap();
    assert_eq!(conclusion.handshake.syn_cookie, answer.hs.syn_cookie);
    let response = find(&hss, true, HandshakeType::Conclusion);
    caller.handle_handshake(response.src, &response.hs, Instant::ZERO);
    let Some(CallerEvent::Established(n)) = caller.poll_event() else {
        panic!("not established");
    };
    assert_eq!(n.peer_socket_id, response.hs.socket_id);
}

fn rand_chacha_seed() -> impl rand_core::Rng {
    use rand_core::SeedableRng;
    rand_chacha::ChaCha8Rng::seed_from_u64(1)
}

#[test]
fn our_answers_dissect_cleanly_in_tshark() {
    if !tshark_available() {
        return;
    }
    let plain = replay("srt-libsrt-plain", HandshakeConfig::default());
    let aes = replay("srt-libsrt-aes128", secure());
    let bad = replay("srt-libsrt-badsecret", secure());
    let mut datagrams = Vec::new();
    for r in [&plain, &aes, &bad] {
        datagrams.push(datagram(&r.induction_answer).0);
        match &r.conclusion_action {
            ListenerAction::Accepted { reply: t, .. } | ListenerAction::Reply(t) => {
                datagrams.push(datagram(t).0);
            }
            other => panic!("no CONCLUSION answer: {other:?}"),
        }
    }
    let (success, text, stderr) = dissect("hs-replay", &datagrams);
    assert!(success, "tshark failed: {stderr}");
    assert!(text.matches("Frame ").count() >= datagrams.len());
    assert!(
        text.contains("SRT Protocol"),
        "not dissected as SRT:\n{text}"
    );
    for bad in ["Malformed", "Expert Info (Error"] {
        assert!(!text.contains(bad), "tshark reports {bad}:\n{text}");
    }
}

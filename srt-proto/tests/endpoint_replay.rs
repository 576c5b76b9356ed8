//! The libsrt 1.5.1 caller's INDUCTION and CONCLUSION from the captures
//! replayed into a listening `Endpoint` whose cookie is pinned to the one
//! libsrt's listener gave (`with_fixed_cookie_for_testing`): the endpoint
//! answers what libsrt's listener answered, and (when tshark is installed)
//! Wireshark's SRT dissector reads every answer without complaint.

use bytes::Bytes;
use srt_proto::crypto::Passphrase;
use srt_proto::handshake::{FixedCookieForTesting, HandshakeConfig};
use srt_proto::packet::ext::{ConfigString, HandshakeExtension, KmResponse};
use srt_proto::packet::handshake::{Handshake, HandshakeType, SRT_MAGIC_CODE};
use srt_proto::packet::reject::RejectReason;
use srt_proto::packet::{ControlBody, ControlPacket, Packet};
use srt_proto::time::Instant;
use srt_proto::{Endpoint, EndpointConfig, Event, Input, ListenConfig, Output};

mod replay_support;
use replay_support::{Captured, dissect, find, handshakes, tshark_available};

const PASSPHRASE: &str = "correct-horse-battery";

fn decode(data: &Bytes) -> Handshake {
    match Packet::decode(data) {
        Ok(Packet::Control(ControlPacket {
            body: ControlBody::Handshake(hs),
            ..
        })) => *hs,
        other => panic!("not a handshake: {other:?}"),
    }
}

struct Replay {
    induction_answer: Bytes,
    conclusion_answer: Bytes,
    events: Vec<Event>,
}

fn replay(name: &str, config: HandshakeConfig) -> Replay {
    let hss = handshakes(name);
    let cookie = find(&hss, true, HandshakeType::Induction).hs.syn_cookie;
    let mut ep = Endpoint::new(EndpointConfig::default(), [3; 32])
        .with_fixed_cookie_for_testing(FixedCookieForTesting(cookie));
    let now = Instant::ZERO;
    ep.handle_input(Input::Listen(Box::new(ListenConfig::new(config))), now);
    let mut events = Vec::new();
    let mut feed = |c: &Captured| -> Bytes {
        let mut answer = None;
        let input = Input::Datagram {
            from: c.src,
            data: c.datagram.clone(),
        };
        for o in ep.handle_input(input, now) {
            match o {
                Output::Transmit { to, data } if answer.is_none() => {
                    assert_eq!(to, c.src);
                    answer = Some(data);
                }
                Output::Event(e) => events.push(e),
                _ => {}
            }
        }
        answer.expect("an answer")
    };
    let induction_answer = feed(find(&hss, false, HandshakeType::Induction));
    let conclusion_answer = feed(find(&hss, false, HandshakeType::Conclusion));
    Replay {
        induction_answer,
        conclusion_answer,
        events,
    }
}

fn secure() -> HandshakeConfig {
    HandshakeConfig::default().with_passphrase(Passphrase::try_from(PASSPHRASE).unwrap())
}

#[test]
fn induction_answer_carries_libsrts_fields() {
    let r = replay("srt-libsrt-plain", HandshakeConfig::default());
    let hss = handshakes("srt-libsrt-plain");
    let libsrt = &find(&hss, true, HandshakeType::Induction).hs;
    let ours = decode(&r.induction_answer);
    assert_eq!(ours.version, 5);
    assert_eq!(ours.extension_flags.bits(), SRT_MAGIC_CODE);
    assert_eq!(ours.syn_cookie, libsrt.syn_cookie);
    assert_eq!(ours.socket_id, libsrt.socket_id);
    assert_eq!(ours.initial_seq, libsrt.initial_seq);
    assert_eq!(ours.peer_ip, libsrt.peer_ip);
}

#[test]
fn libsrt_plain_caller_connects_with_its_stream_id() {
    let r = replay("srt-libsrt-plain", HandshakeConfig::default());
    let params = r
        .events
        .iter()
        .find_map(|e| match e {
            Event::Connected { params, .. } => Some(params.clone()),
            _ => None,
        })
        .expect("connected");
    assert_eq!(
        params.stream_id,
        Some(ConfigString::new(b"live/test").unwrap())
    );
    let hss = handshakes("srt-libsrt-plain");
    let libsrt = &find(&hss, true, HandshakeType::Conclusion).hs;
    let ours = decode(&r.conclusion_answer);
    assert_eq!(ours.handshake_type, HandshakeType::Conclusion);
    assert_eq!(ours.initial_seq, libsrt.initial_seq);
    assert_eq!(ours.syn_cookie, libsrt.syn_cookie);
    assert_eq!(ours.extension_flags, libsrt.extension_flags);
}

#[test]
fn libsrt_aes128_caller_connects_and_its_key_material_is_echoed() {
    let r = replay("srt-libsrt-aes128", secure());
    assert!(r.events.iter().any(|e| matches!(
        e,
        Event::Connected { params, .. } if params.crypto.is_some()
    )));
    let hss = handshakes("srt-libsrt-aes128");
    let libsrt = &find(&hss, true, HandshakeType::Conclusion).hs;
    let kmrsp = |hs: &Handshake| {
        hs.find_extension(|e| match e {
            HandshakeExtension::KmRsp(KmResponse::KeyMaterial(km)) => Some(km.clone()),
            _ => None,
        })
        .expect("KMRSP")
    };
    assert_eq!(kmrsp(&decode(&r.conclusion_answer)), kmrsp(libsrt));
}

#[test]
fn libsrt_caller_with_the_wrong_passphrase_is_rejected_as_libsrt_rejected_it() {
    let r = replay("srt-libsrt-badsecret", secure());
    let hss = handshakes("srt-libsrt-badsecret");
    let libsrt = find(
        &hss,
        true,
        HandshakeType::Rejection(RejectReason::BadSecret),
    );
    let ours = decode(&r.conclusion_answer);
    assert_eq!(ours.handshake_type, libsrt.hs.handshake_type);
    assert!(r.events.iter().any(|e| matches!(
        e,
        Event::IncomingRejected {
            reason: RejectReason::BadSecret,
            ..
        }
    )));
}

#[test]
fn endpoint_answers_dissect_cleanly_in_tshark() {
    if !tshark_available() {
        return;
    }
    let mut datagrams = Vec::new();
    for (name, config) in [
        ("srt-libsrt-plain", HandshakeConfig::default()),
        ("srt-libsrt-aes128", secure()),
        ("srt-libsrt-badsecret", secure()),
    ] {
        let r = replay(name, config);
        datagrams.push(r.induction_answer);
        datagrams.push(r.conclusion_answer);
    }
    let (success, text, stderr) = dissect("endpoint-replay", &datagrams);
    assert!(success, "{stderr}");
    assert_eq!(
        text.matches("\nFrame ").count() + usize::from(text.starts_with("Frame ")),
        datagrams.len()
    );
    assert_eq!(
        text.matches("SRT Protocol").count(),
        datagrams.len(),
        "{text}"
    );
    for bad in ["Malformed", "Expert Info (Error"] {
        assert!(!text.contains(bad), "tshark reports {bad}:\n{text}");
    }
}

//! Caller ↔ listener in memory: one behaviour per test.

use super::*;
use crate::crypto::{CipherMode, KeyLength, Passphrase};
use crate::packet::ext::{ConfigString, SrtVersion};
use crate::packet::handshake::{Handshake, HandshakeType};
use crate::packet::reject::RejectReason;
use crate::seq::SeqNumber;
use crate::time::Instant;
use alloc::vec::Vec;
use core::net::SocketAddr;
use core::time::Duration;
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;

const COOKIE: u32 = 0x1234_5678;
const CALLER_ID: u32 = 0x0a99_e8e7;
const LISTENER_ID: u32 = 0x3baf_3146;

fn caller_addr() -> SocketAddr {
    "10.0.0.1:5000".parse().unwrap()
}

fn listener_addr() -> SocketAddr {
    "10.0.0.2:9100".parse().unwrap()
}

fn pass(p: &str) -> Passphrase {
    Passphrase::new(p.as_bytes()).unwrap()
}

fn new_caller(config: HandshakeConfig) -> Caller {
    Caller::new(
        config,
        listener_addr(),
        CALLER_ID,
        SeqNumber::new(0x3e3b_824c),
        &mut ChaCha8Rng::seed_from_u64(7),
        Instant::ZERO,
    )
}

fn new_listener(config: HandshakeConfig) -> Listener<FixedCookieForTesting> {
    Listener::new(config, FixedCookieForTesting(COOKIE), 4)
}

/// Through the wire format and back, so what we send must decode.
fn wire(hs: &Handshake) -> Handshake {
    let mut bytes = Vec::new();
    hs.encode(&mut bytes);
    Handshake::decode(&bytes).unwrap()
}

struct Outcome {
    caller: Option<CallerEvent>,
    listener: Vec<ListenerAction>,
}

/// Runs the handshake over a lossless link until the caller is done.
fn connect(caller: &mut Caller, listener: &mut Listener<FixedCookieForTesting>) -> Outcome {
    let now = Instant::ZERO;
    let mut actions = Vec::new();
    for _ in 0..10 {
        let Some(t) = caller.poll_transmit() else {
            break;
        };
        let action = listener.handle(caller_addr(), &wire(&t.handshake), now, &mut || LISTENER_ID);
        let reply = match &action {
            ListenerAction::Reply(t) | ListenerAction::Accepted { reply: t, .. } => Some(t.clone()),
            _ => None,
        };
        actions.push(action);
        if let Some(reply) = reply {
            caller.handle_handshake(listener_addr(), &wire(&reply.handshake), now);
        }
    }
    Outcome {
        caller: caller.poll_event(),
        listener: actions,
    }
}

fn established(o: &Outcome) -> (&Negotiated, &Negotiated) {
    let Some(CallerEvent::Established(c)) = &o.caller else {
        panic!("caller not established: {:?}", o.caller);
    };
    let Some(ListenerAction::Accepted { negotiated: l, .. }) = o.listener.last() else {
        panic!("listener did not accept: {:?}", o.listener.last());
    };
    (c, l)
}

fn caller_rejection(o: &Outcome) -> (RejectReason, bool) {
    match &o.caller {
        Some(CallerEvent::Rejected { reason, by_peer }) => (*reason, *by_peer),
        other => panic!("caller not rejected: {other:?}"),
    }
}

fn listener_rejection(o: &Outcome) -> RejectReason {
    match o.listener.last() {
        Some(ListenerAction::Reply(t)) => t.handshake.reject_reason().expect("a rejection"),
        other => panic!("listener did not reject: {other:?}"),
    }
}

fn secure(p: &str) -> HandshakeConfig {
    HandshakeConfig::default().with_passphrase(pass(p))
}

#[test]
fn plain_caller_and_listener_connect_and_name_each_other() {
    let o = connect(
        &mut new_caller(HandshakeConfig::default()),
        &mut new_listener(HandshakeConfig::default()),
    );
    let (c, l) = established(&o);
    assert_eq!(c.peer_socket_id, LISTENER_ID);
    assert_eq!(l.peer_socket_id, CALLER_ID);
    assert_eq!(c.initial_seq, l.initial_seq);
    assert_eq!(c.crypto, None);
    assert_eq!(l.crypto, None);
}

#[test]
fn same_passphrase_gives_both_sides_the_same_keys() {
    let o = connect(
        &mut new_caller(secure("correct-horse-battery")),
        &mut new_listener(secure("correct-horse-battery")),
    );
    let (c, l) = established(&o);
    let (ck, lk) = (c.crypto.as_ref().unwrap(), l.crypto.as_ref().unwrap());
    assert_eq!(ck, lk);
    assert_eq!(ck.mode, CipherMode::AesCtr);
    assert_eq!(ck.key_len, KeyLength::Aes128);
}

#[test]
fn caller_takes_the_key_length_the_listener_advertises() {
    let mut listener_cfg = secure("correct-horse-battery");
    if let Some(e) = listener_cfg.encryption.as_mut() {
        e.key_len = Some(KeyLength::Aes256);
    }
    let o = connect(
        &mut new_caller(secure("correct-horse-battery")),
        &mut new_listener(listener_cfg),
    );
    let (c, l) = established(&o);
    assert_eq!(c.crypto.as_ref().unwrap().key_len, KeyLength::Aes256);
    assert_eq!(c.crypto, l.crypto);
}

#[test]
fn gcm_on_both_sides_negotiates_gcm() {
    let gcm = |p| {
        let mut cfg = secure(p);
        if let Some(e) = cfg.encryption.as_mut() {
            e.mode = CryptoMode::Gcm;
        }
        cfg
    };
    let o = connect(
        &mut new_caller(gcm("correct-horse-battery")),
        &mut new_listener(gcm("correct-horse-battery")),
    );
    let (c, l) = established(&o);
    assert!(matches!(
        c.crypto.as_ref().unwrap().mode,
        CipherMode::AesGcm(_)
    ));
    assert_eq!(c.crypto, l.crypto);
}

#[test]
fn gcm_caller_against_ctr_only_listener_is_rejected_with_crypto() {
    let mut caller_cfg = secure("correct-horse-battery");
    if let Some(e) = caller_cfg.encryption.as_mut() {
        e.mode = CryptoMode::Gcm;
    }
    let mut listener_cfg = secure("correct-horse-battery");
    if let Some(e) = listener_cfg.encryption.as_mut() {
        e.mode = CryptoMode::Ctr;
    }
    let o = connect(&mut new_caller(caller_cfg), &mut new_listener(listener_cfg));
    assert_eq!(listener_rejection(&o), RejectReason::Crypto);
    assert_eq!(caller_rejection(&o), (RejectReason::Crypto, true));
}

#[test]
fn wrong_passphrase_is_badsecret_on_both_sides() {
    let o = connect(
        &mut new_caller(secure("correct-horse-battery")),
        &mut new_listener(secure("wrong-horse-battery")),
    );
    assert_eq!(listener_rejection(&o), RejectReason::BadSecret);
    assert_eq!(caller_rejection(&o), (RejectReason::BadSecret, true));
}

#[test]
fn passphrase_on_the_caller_only_is_unsecure_when_enforced() {
    let o = connect(
        &mut new_caller(secure("correct-horse-battery")),
        &mut new_listener(HandshakeConfig::default()),
    );
    assert_eq!(listener_rejection(&o), RejectReason::Unsecure);
    assert_eq!(caller_rejection(&o), (RejectReason::Unsecure, true));
}

#[test]
fn passphrase_on_the_listener_only_is_unsecure_when_enforced() {
    let o = connect(
        &mut new_caller(HandshakeConfig::default()),
        &mut new_listener(secure("correct-horse-battery")),
    );
    assert_eq!(listener_rejection(&o), RejectReason::Unsecure);
    assert_eq!(caller_rejection(&o), (RejectReason::Unsecure, true));
}

#[test]
fn wrong_passphrase_without_enforcement_connects_unencrypted() {
    let lax = |p| HandshakeConfig {
        enforced_encryption: false,
        ..secure(p)
    };
    let o = connect(
        &mut new_caller(lax("correct-horse-battery")),
        &mut new_listener(lax("wrong-horse-battery")),
    );
    let (c, l) = established(&o);
    assert_eq!((c.crypto.as_ref(), l.crypto.as_ref()), (None, None));
}

#[test]
fn stream_id_reaches_the_listener() {
    let sid = ConfigString::new(b"#!::r=live/feed,m=publish").unwrap();
    let o = connect(
        &mut new_caller(HandshakeConfig::default().with_stream_id(sid.clone())),
        &mut new_listener(HandshakeConfig::default()),
    );
    let (_, l) = established(&o);
    assert_eq!(l.stream_id, Some(sid));
}

#[test]
fn latency_is_the_larger_of_both_sides_per_direction() {
    let caller_cfg = HandshakeConfig {
        receive_latency: Duration::from_millis(200),
        peer_latency: Duration::from_millis(50),
        ..HandshakeConfig::default()
    };
    let listener_cfg = HandshakeConfig {
        receive_latency: Duration::from_millis(120),
        peer_latency: Duration::from_millis(300),
        ..HandshakeConfig::default()
    };
    let o = connect(&mut new_caller(caller_cfg), &mut new_listener(listener_cfg));
    let (c, l) = established(&o);
    // caller → listener: listener receives with max(120, 50).
    assert_eq!(c.send_latency, Duration::from_millis(120));
    assert_eq!(l.receive_latency, Duration::from_millis(120));
    // listener → caller: caller receives with max(200, 300).
    assert_eq!(c.receive_latency, Duration::from_millis(300));
    assert_eq!(l.send_latency, Duration::from_millis(300));
}

#[test]
fn mss_and_flow_window_are_the_smaller_of_both_sides() {
    let caller_cfg = HandshakeConfig {
        mss: 1400,
        flow_window: 25_600,
        ..HandshakeConfig::default()
    };
    let o = connect(
        &mut new_caller(caller_cfg),
        &mut new_listener(HandshakeConfig::default()),
    );
    let (c, l) = established(&o);
    assert_eq!((c.mss, c.flow_window), (1400, 8192));
    assert_eq!((l.mss, l.flow_window), (1400, 8192));
}

#[test]
fn congestion_mismatch_is_rejected_with_congestion() {
    let file = HandshakeConfig {
        congestion: Congestion::File,
        ..HandshakeConfig::default()
    };
    let o = connect(
        &mut new_caller(file),
        &mut new_listener(HandshakeConfig::default()),
    );
    assert_eq!(listener_rejection(&o), RejectReason::Congestion);
}

#[test]
fn file_congestion_on_both_sides_connects() {
    let file = || HandshakeConfig {
        congestion: Congestion::File,
        message_api: false,
        ..HandshakeConfig::default()
    };
    let o = connect(&mut new_caller(file()), &mut new_listener(file()));
    let (c, l) = established(&o);
    assert_eq!(
        (c.congestion, l.congestion),
        (Congestion::File, Congestion::File)
    );
    assert!(!c.message_api && !l.message_api);
}

#[test]
fn message_api_mismatch_is_rejected_with_messageapi() {
    let stream = HandshakeConfig {
        message_api: false,
        ..HandshakeConfig::default()
    };
    let o = connect(
        &mut new_caller(stream),
        &mut new_listener(HandshakeConfig::default()),
    );
    assert_eq!(listener_rejection(&o), RejectReason::MessageApi);
}

#[test]
fn different_packet_filters_are_rejected_with_filter() {
    let filter = |f: &[u8]| HandshakeConfig {
        packet_filter: Some(ConfigString::new(f).unwrap()),
        ..HandshakeConfig::default()
    };
    let o = connect(
        &mut new_caller(filter(b"fec,cols:10")),
        &mut new_listener(filter(b"fec,cols:20")),
    );
    assert_eq!(listener_rejection(&o), RejectReason::Filter);
}

#[test]
fn a_peer_older_than_the_minimum_version_is_rejected_with_version() {
    let old = HandshakeConfig {
        srt_version: SrtVersion::new(1, 3, 0),
        ..HandshakeConfig::default()
    };
    let picky = HandshakeConfig {
        min_peer_version: SrtVersion::new(1, 4, 0),
        ..HandshakeConfig::default()
    };
    let o = connect(&mut new_caller(old), &mut new_listener(picky));
    assert_eq!(listener_rejection(&o), RejectReason::Version);
}

#[test]
fn hsreq_advertises_exactly_the_implemented_flags() {
    use crate::packet::ext::SrtFlags;
    let live = negotiate::advertised_flags(&HandshakeConfig::default());
    assert_eq!(live.bits(), 0x3f);
    let filtered = negotiate::advertised_flags(&HandshakeConfig {
        packet_filter: Some(ConfigString::new(b"fec").unwrap()),
        ..HandshakeConfig::default()
    });
    assert!(filtered.contains(SrtFlags::PACKET_FILTER));
    let stream = negotiate::advertised_flags(&HandshakeConfig {
        message_api: false,
        ..HandshakeConfig::default()
    });
    assert!(stream.contains(SrtFlags::STREAM));
}

#[test]
fn caller_sends_induction_every_250ms_and_times_out_at_3s() {
    let mut caller = new_caller(HandshakeConfig::default());
    let mut sent = Vec::new();
    let mut now = Instant::ZERO;
    while let Some(t) = caller.poll_transmit() {
        sent.push(now);
        assert_eq!(t.handshake.handshake_type, HandshakeType::Induction);
        assert_eq!(t.handshake.version, 4);
        now = caller.next_timeout().unwrap();
        caller.handle_timeout(now);
    }
    assert_eq!(sent.len(), 12);
    for (i, at) in sent.iter().enumerate() {
        assert_eq!(at.as_micros(), i as u64 * 250_000);
    }
    assert_eq!(now.as_micros(), 3_000_000);
    assert_eq!(
        caller.poll_event(),
        Some(CallerEvent::Rejected {
            reason: RejectReason::Timeout,
            by_peer: false
        })
    );
    assert_eq!(caller.next_timeout(), None);
}

#[test]
fn caller_resends_conclusion_until_answered() {
    let mut caller = new_caller(HandshakeConfig::default());
    let mut listener = new_listener(HandshakeConfig::default());
    let induction = caller.poll_transmit().unwrap();
    let ListenerAction::Reply(answer) = listener.handle(
        caller_addr(),
        &induction.handshake,
        Instant::ZERO,
        &mut || 1,
    ) else {
        panic!("no induction answer");
    };
    caller.handle_handshake(listener_addr(), &answer.handshake, Instant::ZERO);
    let first = caller.poll_transmit().unwrap();
    assert_eq!(first.handshake.handshake_type, HandshakeType::Conclusion);
    let at = caller.next_timeout().unwrap();
    assert_eq!(at.as_micros(), 250_000);
    caller.handle_timeout(at);
    assert_eq!(caller.poll_transmit().unwrap(), first);
}

#[test]
fn an_induction_answer_after_the_conclusion_was_sent_is_ignored() {
    let mut caller = new_caller(HandshakeConfig::default());
    let mut listener = new_listener(HandshakeConfig::default());
    let induction = caller.poll_transmit().unwrap();
    let ListenerAction::Reply(answer) = listener.handle(
        caller_addr(),
        &induction.handshake,
        Instant::ZERO,
        &mut || 1,
    ) else {
        panic!("no induction answer");
    };
    caller.handle_handshake(listener_addr(), &answer.handshake, Instant::ZERO);
    let conclusion = caller.poll_transmit().unwrap();
    caller.handle_handshake(listener_addr(), &answer.handshake, Instant::ZERO);
    assert_eq!(caller.poll_transmit(), None);
    assert_eq!(caller.poll_event(), None);
    let ListenerAction::Accepted { reply, .. } = listener.handle(
        caller_addr(),
        &conclusion.handshake,
        Instant::ZERO,
        &mut || 1,
    ) else {
        panic!("not accepted");
    };
    caller.handle_handshake(listener_addr(), &reply.handshake, Instant::ZERO);
    assert!(matches!(
        caller.poll_event(),
        Some(CallerEvent::Established(_))
    ));
}

#[test]
fn the_same_conclusion_answer_twice_is_harmless() {
    let mut caller = new_caller(HandshakeConfig::default());
    let mut listener = new_listener(HandshakeConfig::default());
    let o = connect(&mut caller, &mut listener);
    established(&o);
    let Some(ListenerAction::Accepted { reply, .. }) = o.listener.last() else {
        panic!("not accepted");
    };
    caller.handle_handshake(listener_addr(), &reply.handshake, Instant::ZERO);
    assert_eq!(caller.poll_event(), None);
    assert_eq!(caller.poll_transmit(), None);
}

#[test]
fn caller_ignores_handshakes_from_other_addresses() {
    let mut caller = new_caller(HandshakeConfig::default());
    let induction = caller.poll_transmit().unwrap();
    let mut bogus = induction.handshake.clone();
    bogus.handshake_type = HandshakeType::Rejection(RejectReason::Peer);
    caller.handle_handshake(caller_addr(), &bogus, Instant::ZERO);
    assert_eq!(caller.poll_event(), None);
    assert!(!caller.is_done());
}

#[test]
fn caller_refuses_an_hsv4_listener_with_version() {
    let mut caller = new_caller(HandshakeConfig::default());
    let mut answer = caller.poll_transmit().unwrap().handshake;
    answer.syn_cookie = COOKIE; // a UDT listener echoes version 4
    caller.handle_handshake(listener_addr(), &answer, Instant::ZERO);
    assert_eq!(
        caller.poll_event(),
        Some(CallerEvent::Rejected {
            reason: RejectReason::Version,
            by_peer: false
        })
    );
}

fn induction_answer_and_conclusion(
    listener: &mut Listener<FixedCookieForTesting>,
) -> (Transmit, Handshake) {
    let mut caller = new_caller(HandshakeConfig::default());
    let induction = caller.poll_transmit().unwrap();
    let ListenerAction::Reply(answer) = listener.handle(
        caller_addr(),
        &induction.handshake,
        Instant::ZERO,
        &mut || 1,
    ) else {
        panic!("no induction answer");
    };
    caller.handle_handshake(listener_addr(), &answer.handshake, Instant::ZERO);
    (answer, caller.poll_transmit().unwrap().handshake)
}

#[test]
fn listener_answers_induction_with_v5_cookie_and_magic_and_keeps_no_state() {
    let mut listener = new_listener(secure("correct-horse-battery"));
    let (answer, _) = induction_answer_and_conclusion(&mut listener);
    let hs = &answer.handshake;
    assert_eq!(hs.version, 5);
    assert_eq!(hs.syn_cookie, COOKIE);
    assert_eq!(hs.extension_flags.bits(), 0x4A17);
    assert_eq!(hs.socket_id, CALLER_ID);
    assert_eq!(answer.dst_socket_id, CALLER_ID);
    assert_eq!(listener.pending_requests(), 0);
    assert_eq!(listener.remembered_answers(), 0);
}

#[test]
fn conclusion_with_a_bad_cookie_is_ignored() {
    let mut listener = new_listener(HandshakeConfig::default());
    let (_, mut conclusion) = induction_answer_and_conclusion(&mut listener);
    conclusion.syn_cookie ^= 1;
    let action = listener.handle(caller_addr(), &conclusion, Instant::ZERO, &mut || 1);
    assert_eq!(action, ListenerAction::Ignore);
}

#[test]
fn hsv4_conclusion_is_rejected_with_version() {
    let mut listener = new_listener(HandshakeConfig::default());
    let (_, mut conclusion) = induction_answer_and_conclusion(&mut listener);
    conclusion.version = 4;
    conclusion.extensions.clear();
    let ListenerAction::Reply(t) =
        listener.handle(caller_addr(), &conclusion, Instant::ZERO, &mut || 1)
    else {
        panic!("no answer");
    };
    assert_eq!(t.handshake.reject_reason(), Some(RejectReason::Version));
}

#[test]
fn a_repeated_conclusion_gets_the_same_answer() {
    let mut listener = new_listener(HandshakeConfig::default());
    let (_, conclusion) = induction_answer_and_conclusion(&mut listener);
    let mut ids = [7u32, 8].into_iter();
    let mut alloc = || ids.next().unwrap();
    let ListenerAction::Accepted { reply, .. } =
        listener.handle(caller_addr(), &conclusion, Instant::ZERO, &mut alloc)
    else {
        panic!("not accepted");
    };
    let again = listener.handle(caller_addr(), &conclusion, Instant::ZERO, &mut alloc);
    assert_eq!(again, ListenerAction::Reply(reply));
}

#[test]
fn access_control_holds_the_request_until_the_embedder_accepts() {
    let mut listener = new_listener(HandshakeConfig::default()).with_access_control();
    let (_, conclusion) = induction_answer_and_conclusion(&mut listener);
    let ListenerAction::Request { id, negotiated, .. } =
        listener.handle(caller_addr(), &conclusion, Instant::ZERO, &mut || 1)
    else {
        panic!("no request");
    };
    assert_eq!(negotiated.peer_socket_id, CALLER_ID);
    assert_eq!(
        listener.handle(caller_addr(), &conclusion, Instant::ZERO, &mut || 1),
        ListenerAction::Ignore
    );
    let Some(ListenerAction::Accepted {
        reply,
        local_socket_id,
        ..
    }) = listener.accept(id, 42, Instant::ZERO)
    else {
        panic!("not accepted");
    };
    assert_eq!(local_socket_id, 42);
    assert_eq!(reply.handshake.socket_id, 42);
    assert_eq!(listener.pending_requests(), 0);
}

#[test]
fn access_control_rejection_carries_the_embedders_reason() {
    use crate::packet::reject::AccessReject;
    let mut listener = new_listener(HandshakeConfig::default()).with_access_control();
    let (_, conclusion) = induction_answer_and_conclusion(&mut listener);
    let ListenerAction::Request { id, .. } =
        listener.handle(caller_addr(), &conclusion, Instant::ZERO, &mut || 1)
    else {
        panic!("no request");
    };
    let reason = RejectReason::Access(AccessReject::Forbidden);
    let t = listener.reject(id, reason, Instant::ZERO).unwrap();
    assert_eq!(t.handshake.reject_reason(), Some(reason));
}

#[test]
fn requests_beyond_the_backlog_are_rejected_with_backlog() {
    let mut listener = Listener::new(HandshakeConfig::default(), FixedCookieForTesting(COOKIE), 1)
        .with_access_control();
    let (_, conclusion) = induction_answer_and_conclusion(&mut listener);
    assert!(matches!(
        listener.handle(caller_addr(), &conclusion, Instant::ZERO, &mut || 1),
        ListenerAction::Request { .. }
    ));
    let mut other = conclusion.clone();
    other.socket_id = 0x0bad_cafe;
    let ListenerAction::Reply(t) = listener.handle(caller_addr(), &other, Instant::ZERO, &mut || 1)
    else {
        panic!("no answer");
    };
    assert_eq!(t.handshake.reject_reason(), Some(RejectReason::Backlog));
}

#[test]
fn caller_and_listener_connect_with_the_crates_cookie_jar_and_rng() {
    use crate::cookie::CookieJar;
    use crate::rng::SrtRng;
    let mut rng = SrtRng::seed_from_u64(99);
    let mut listener = Listener::new(
        secure("correct-horse-battery"),
        CookieJar::from_rng(&mut rng),
        4,
    );
    let mut caller = Caller::new(
        secure("correct-horse-battery"),
        listener_addr(),
        rng.socket_id(),
        rng.initial_seq(),
        &mut rng,
        Instant::ZERO,
    );
    let now = Instant::from_micros(1_000);
    let mut established = None;
    while let Some(t) = caller.poll_transmit() {
        match listener.handle(caller_addr(), &wire(&t.handshake), now, &mut || {
            rng.socket_id()
        }) {
            ListenerAction::Reply(r) => caller.handle_handshake(listener_addr(), &r.handshake, now),
            ListenerAction::Accepted {
                reply, negotiated, ..
            } => {
                established = Some(negotiated);
                caller.handle_handshake(listener_addr(), &reply.handshake, now);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let Some(CallerEvent::Established(c)) = caller.poll_event() else {
        panic!("caller not established");
    };
    assert_eq!(c.crypto, established.unwrap().crypto);
}

proptest::proptest! {
    #[test]
    fn listener_and_caller_never_panic_on_arbitrary_handshakes(
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 48..200),
        ty in proptest::prelude::any::<u32>(),
    ) {
        let mut bytes = bytes;
        bytes[20..24].copy_from_slice(&ty.to_be_bytes());
        bytes[8] &= 0x7f;
        if let Ok(hs) = Handshake::decode(&bytes) {
            let mut listener = new_listener(secure("correct-horse-battery")).with_access_control();
            let _ = listener.handle(caller_addr(), &hs, Instant::ZERO, &mut || 1);
            let mut with_cookie = hs.clone();
            with_cookie.syn_cookie = COOKIE;
            let _ = listener.handle(caller_addr(), &with_cookie, Instant::ZERO, &mut || 1);
            let mut caller = new_caller(secure("correct-horse-battery"));
            caller.handle_handshake(listener_addr(), &hs, Instant::ZERO);
            caller.handle_handshake(listener_addr(), &with_cookie, Instant::ZERO);
        }
    }
}

fn member(config: HandshakeConfig) -> HandshakeConfig {
    HandshakeConfig {
        group: Some(crate::packet::ext::GroupExt {
            group_id: 0x4000_0042,
            group_type: 1,
            flags: 0,
            weight: 9,
        }),
        ..config
    }
}

/// The caller's CONCLUSION after the listener's INDUCTION answer.
fn caller_conclusion(
    caller: &mut Caller,
    listener: &mut Listener<FixedCookieForTesting>,
) -> Handshake {
    let now = Instant::ZERO;
    let induction = caller.poll_transmit().unwrap();
    let ListenerAction::Reply(answer) =
        listener.handle(caller_addr(), &wire(&induction.handshake), now, &mut || {
            LISTENER_ID
        })
    else {
        panic!("no induction answer");
    };
    caller.handle_handshake(listener_addr(), &wire(&answer.handshake), now);
    wire(&caller.poll_transmit().unwrap().handshake)
}

#[test]
fn standalone_listener_refuses_a_grouped_caller_with_group() {
    let o = connect(
        &mut new_caller(member(HandshakeConfig::default())),
        &mut new_listener(HandshakeConfig::default()),
    );
    assert_eq!(listener_rejection(&o), RejectReason::Group);
    assert_eq!(caller_rejection(&o), (RejectReason::Group, true));
}

#[test]
fn responder_orders_hsrsp_filter_group_kmrsp_as_libsrt() {
    let filter = ConfigString::new(b"fec,cols:10").unwrap();
    let config = HandshakeConfig {
        packet_filter: Some(filter),
        ..secure("group passphrase")
    };
    let mut caller = new_caller(member(config.clone()));
    let request = caller_conclusion(&mut caller, &mut new_listener(config.clone()));
    let kinds: Vec<u16> = request.extensions.iter().map(|e| e.ty()).collect();
    assert_eq!(kinds, [1, 7, 8, 3], "HSREQ, FILTER, GROUP, KMREQ");
    let answer = group::answer(0x4000_0077, &member(config.clone()).group.unwrap());
    let response = negotiate::respond(&config, &request, Some(answer)).unwrap();
    let kinds: Vec<u16> = response.extensions.iter().map(|e| e.ty()).collect();
    assert_eq!(kinds, [2, 7, 8, 4], "HSRSP, FILTER, GROUP, KMRSP");
    assert_eq!(response.negotiated.group, member(config).group);
}

#[test]
fn responder_without_a_group_answer_refuses_a_grouped_request() {
    let config = HandshakeConfig::default();
    let mut caller = new_caller(member(config.clone()));
    let request = caller_conclusion(&mut caller, &mut new_listener(config.clone()));
    assert_eq!(
        negotiate::respond(&config, &request, None),
        Err(RejectReason::Group)
    );
}

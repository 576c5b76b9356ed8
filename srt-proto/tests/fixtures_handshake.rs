//! The handshakes in the libsrt 1.5.1 captures (`tests/data/*.jsonl`)
//! decode to what `srt-live-transmit` was told to do, and re-encode byte
//! for byte. The handshake CIFs are decoded directly (bytes 16.. of each
//! handshake control packet); the KM messages travel inside them as
//! KMREQ/KMRSP blocks (the captures hold no separate KM control packet).

use srt_proto::packet::ext::{HandshakeExtension, KmResponse, SrtFlags, SrtHs, SrtVersion};
use srt_proto::packet::handshake::{
    EncryptionField, ExtensionFlags, Handshake, HandshakeType, SRT_MAGIC_CODE,
};
use srt_proto::packet::km::{Auth, Cipher, KeyFlags, KeyLength, KeyMaterial, StreamEncapsulation};
use srt_proto::packet::reject::RejectReason;
use std::net::{IpAddr, Ipv4Addr};

/// One handshake from a capture, with who sent it.
struct Hs {
    /// Sent by the side on port 9100 (the listener).
    from_listener: bool,
    /// The CIF as captured.
    cif: Vec<u8>,
    hs: Handshake,
}

fn datagrams(name: &str) -> Vec<(String, Vec<u8>)> {
    let path = format!("{}/tests/data/{name}.jsonl", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            (
                v["src"].as_str().unwrap().to_owned(),
                hex::decode(v["hex"].as_str().unwrap()).unwrap(),
            )
        })
        .collect()
}

/// Every handshake control packet (type 0: first two bytes 0x8000) in the
/// capture, decoded.
fn handshakes(name: &str) -> Vec<Hs> {
    datagrams(name)
        .into_iter()
        .filter(|(_, d)| d.starts_with(&[0x80, 0x00]))
        .map(|(src, d)| {
            let cif = d[16..].to_vec();
            let hs = Handshake::decode(&cif).unwrap_or_else(|e| panic!("{name}: {e}"));
            Hs {
                from_listener: src.ends_with(":9100") && src.starts_with("127.0.0.1"),
                cif,
                hs,
            }
        })
        .collect()
}

fn conclusion(hss: &[Hs], from_listener: bool) -> &Handshake {
    &hss.iter()
        .find(|h| {
            h.from_listener == from_listener && h.hs.handshake_type == HandshakeType::Conclusion
        })
        .expect("conclusion")
        .hs
}

fn hsreq(hs: &Handshake) -> SrtHs {
    hs.find_extension(|e| match e {
        HandshakeExtension::HsReq(x) => Some(*x),
        _ => None,
    })
    .expect("HSREQ")
}

fn hsrsp(hs: &Handshake) -> SrtHs {
    hs.find_extension(|e| match e {
        HandshakeExtension::HsRsp(x) => Some(*x),
        _ => None,
    })
    .expect("HSRSP")
}

fn stream_id(hs: &Handshake) -> Option<String> {
    hs.find_extension(|e| match e {
        HandshakeExtension::StreamId(s) => Some(s.as_str().unwrap().to_owned()),
        _ => None,
    })
}

fn kmreq(hs: &Handshake) -> &KeyMaterial {
    hs.find_extension(|e| match e {
        HandshakeExtension::KmReq(km) => Some(km),
        _ => None,
    })
    .expect("KMREQ")
}

fn kmrsp(hs: &Handshake) -> Option<&KmResponse> {
    hs.find_extension(|e| match e {
        HandshakeExtension::KmRsp(r) => Some(r),
        _ => None,
    })
}

const CAPTURES: [&str; 5] = [
    "srt-libsrt-plain",
    "srt-libsrt-aes128",
    "srt-libsrt-aes256",
    "srt-libsrt-badsecret",
    "srt-libsrt-rendezvous",
];

#[test]
fn every_captured_handshake_re_encodes_byte_exact() {
    let mut count = 0;
    for name in CAPTURES {
        for h in handshakes(name) {
            let mut out = Vec::new();
            h.hs.encode(&mut out);
            assert_eq!(out, h.cif, "{name}: {:?}", h.hs);
            assert_eq!(h.hs.encoded_len(), h.cif.len());
            count += 1;
        }
    }
    assert_eq!(count, 4 + 4 + 4 + 4 + 11);
}

#[test]
fn caller_induction_is_v4_and_listener_answers_v5_with_the_magic() {
    for name in [
        "srt-libsrt-plain",
        "srt-libsrt-aes128",
        "srt-libsrt-aes256",
        "srt-libsrt-badsecret",
    ] {
        let hss = handshakes(name);
        let (request, answer) = (&hss[0], &hss[1]);
        assert!(!request.from_listener && answer.from_listener, "{name}");
        assert_eq!(
            request.hs.handshake_type,
            HandshakeType::Induction,
            "{name}"
        );
        assert_eq!(request.hs.version, 4, "{name}");
        assert_eq!(request.hs.syn_cookie, 0, "{name}");
        assert_eq!(answer.hs.handshake_type, HandshakeType::Induction, "{name}");
        assert_eq!(answer.hs.version, 5, "{name}");
        assert_eq!(
            answer.hs.extension_flags,
            ExtensionFlags(SRT_MAGIC_CODE),
            "{name}"
        );
        assert_ne!(
            answer.hs.syn_cookie, 0,
            "{name}: the listener hands out a cookie"
        );
        assert_eq!(answer.hs.peer_ip, IpAddr::V4(Ipv4Addr::LOCALHOST), "{name}");
    }
}

#[test]
fn listener_induction_answer_advertises_its_key_length() {
    assert_eq!(
        handshakes("srt-libsrt-plain")[1].hs.encryption,
        EncryptionField::None
    );
    assert_eq!(
        handshakes("srt-libsrt-aes128")[1].hs.encryption,
        EncryptionField::Aes128
    );
    assert_eq!(
        handshakes("srt-libsrt-aes256")[1].hs.encryption,
        EncryptionField::Aes256
    );
}

#[test]
fn caller_conclusion_echoes_the_cookie() {
    let hss = handshakes("srt-libsrt-plain");
    let c = conclusion(&hss, false);
    assert_eq!(c.version, 5);
    assert_eq!(c.syn_cookie, hss[1].hs.syn_cookie);
}

#[test]
fn plain_conclusions_carry_120_ms_latency_and_the_stream_id() {
    let hss = handshakes("srt-libsrt-plain");
    let caller = conclusion(&hss, false);
    assert_eq!(
        caller.extension_flags,
        ExtensionFlags::HSREQ | ExtensionFlags::CONFIG
    );
    let req = hsreq(caller);
    assert_eq!(req.version, SrtVersion::new(1, 5, 1));
    assert!(
        req.flags
            .contains(SrtFlags::TSBPD_SND | SrtFlags::TSBPD_RCV | SrtFlags::TLPKTDROP)
    );
    assert_eq!(
        (req.receiver_tsbpd_delay, req.sender_tsbpd_delay),
        (120, 120)
    );
    assert_eq!(stream_id(caller).as_deref(), Some("live/test"));

    let listener = conclusion(&hss, true);
    let rsp = hsrsp(listener);
    assert_eq!(
        (rsp.receiver_tsbpd_delay, rsp.sender_tsbpd_delay),
        (120, 120)
    );
    assert_eq!(kmrsp(listener), None);
}

#[test]
fn aes128_caller_sends_kmreq_with_a_16_byte_ctr_key_and_the_access_control_stream_id() {
    let hss = handshakes("srt-libsrt-aes128");
    let caller = conclusion(&hss, false);
    assert_eq!(caller.encryption, EncryptionField::Aes128);
    assert_eq!(
        caller.extension_flags,
        ExtensionFlags::HSREQ | ExtensionFlags::KMREQ | ExtensionFlags::CONFIG
    );
    assert_eq!(
        stream_id(caller).as_deref(),
        Some("#!::r=live/enc,m=publish")
    );
    // No latency option: 120 ms for its own receiver, nothing asked of the peer.
    let req = hsreq(caller);
    assert_eq!((req.receiver_tsbpd_delay, req.sender_tsbpd_delay), (120, 0));
    assert!(req.flags.contains(SrtFlags::HAICRYPT));

    let km = kmreq(caller);
    assert_eq!(km.keys(), KeyFlags::Even);
    assert_eq!(km.key_len(), KeyLength::Aes128);
    assert_eq!(km.cipher(), Cipher::AesCtr);
    assert_eq!(km.auth(), Auth::None);
    assert_eq!(km.encapsulation(), StreamEncapsulation::TsSrt);
    assert_eq!(km.keki(), 0);
    assert_eq!(km.salt().len(), 16);
    assert_eq!(km.wrapped_keys().len(), 16 + 8);
}

#[test]
fn aes128_listener_echoes_the_key_material_in_kmrsp() {
    let hss = handshakes("srt-libsrt-aes128");
    let caller = conclusion(&hss, false);
    let listener = conclusion(&hss, true);
    assert_eq!(
        kmrsp(listener),
        Some(&KmResponse::KeyMaterial(kmreq(caller).clone()))
    );
    let rsp = hsrsp(listener);
    assert_eq!(
        (rsp.receiver_tsbpd_delay, rsp.sender_tsbpd_delay),
        (120, 120)
    );
}

#[test]
fn aes256_conclusions_carry_a_32_byte_key_and_200_ms_both_ways() {
    let hss = handshakes("srt-libsrt-aes256");
    let caller = conclusion(&hss, false);
    assert_eq!(caller.encryption, EncryptionField::Aes256);
    let req = hsreq(caller);
    assert_eq!(
        (req.receiver_tsbpd_delay, req.sender_tsbpd_delay),
        (200, 200)
    );
    let km = kmreq(caller);
    assert_eq!(km.key_len(), KeyLength::Aes256);
    assert_eq!(km.cipher(), Cipher::AesCtr);
    assert_eq!(km.salt().len(), 16);
    assert_eq!(km.wrapped_keys().len(), 32 + 8);
    assert_eq!(stream_id(caller), None);

    // The listener (default 120 ms) takes the larger of the two.
    let listener = conclusion(&hss, true);
    let rsp = hsrsp(listener);
    assert_eq!(
        (rsp.receiver_tsbpd_delay, rsp.sender_tsbpd_delay),
        (200, 200)
    );
    assert_eq!(kmrsp(listener), Some(&KmResponse::KeyMaterial(km.clone())));
}

#[test]
fn wrong_passphrase_is_answered_with_a_badsecret_rejection() {
    let hss = handshakes("srt-libsrt-badsecret");
    let caller = conclusion(&hss, false);
    assert_eq!(kmreq(caller).key_len(), KeyLength::Aes128);

    let answer = hss.last().unwrap();
    assert!(answer.from_listener);
    assert_eq!(answer.hs.handshake_type.to_u32(), 1010);
    assert_eq!(answer.hs.reject_reason(), Some(RejectReason::BadSecret));
    // The rejection carries no extension block, so no KMRSP state either.
    assert!(answer.hs.extensions.is_empty());
}

#[test]
fn rendezvous_goes_waveahand_conclusion_agreement_between_two_addresses() {
    let hss = handshakes("srt-libsrt-rendezvous");
    assert!(hss.iter().all(|h| h.hs.version == 5));
    assert_eq!(hss[0].hs.handshake_type, HandshakeType::Waveahand);
    assert_eq!(hss[0].hs.peer_ip, IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)));
    let types: Vec<_> = hss.iter().map(|h| h.hs.handshake_type).collect();
    assert!(types.contains(&HandshakeType::Conclusion));
    assert!(types.contains(&HandshakeType::Agreement));
    // The initiator's conclusion carries HSREQ, the responder's HSRSP.
    let with_hsreq = hss
        .iter()
        .filter(|h| {
            h.hs.extensions
                .iter()
                .any(|e| matches!(e, HandshakeExtension::HsReq(_)))
        })
        .count();
    let with_hsrsp = hss
        .iter()
        .filter(|h| {
            h.hs.extensions
                .iter()
                .any(|e| matches!(e, HandshakeExtension::HsRsp(_)))
        })
        .count();
    assert_eq!((with_hsreq, with_hsrsp), (1, 1));
}

#[test]
fn extension_flags_of_every_conclusion_match_its_blocks() {
    let mut checked = 0;
    for name in CAPTURES {
        for h in handshakes(name) {
            if h.hs.handshake_type == HandshakeType::Conclusion && !h.hs.extensions.is_empty() {
                assert_eq!(
                    h.hs.extension_flags,
                    ExtensionFlags::for_extensions(&h.hs.extensions),
                    "{name}"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 2 + 2 + 2 + 1 + 2);
}

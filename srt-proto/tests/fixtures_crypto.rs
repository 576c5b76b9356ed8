//! Real-world evidence for `srt_proto::crypto`: the KM messages and data
//! packets libsrt 1.5.1 (`srt-live-transmit`) sent on loopback, recorded in
//! `tests/data/srt-libsrt-*.jsonl`, decrypt with our KEK derivation, key
//! unwrap and AES-CTR to exactly the bytes the capture's source sent.
//!
//! The source sent 200 datagrams of 1316 bytes: datagram `i` is the 4-byte
//! big-endian `i` followed by 1312 bytes where byte `j` is `(i*7 + j) & 0xff`
//! (`j` counting from the start of those 1312 bytes, as the data shows).

use srt_proto::crypto::{
    CipherMode, CryptoContext, DecryptError, GcmVariant, Kek, KeyIndex, KeyLength, KeyPair, KeySet,
    Passphrase, StreamKeys, UnwrapError, open_key_material,
};
use srt_proto::packet::ext::{HandshakeExtension, KmResponse};
use srt_proto::packet::{ControlBody, DataPacket, KeyMaterial, Packet};
use std::collections::BTreeSet;

const PASSPHRASE: &str = "correct-horse-battery";
const WRONG_PASSPHRASE: &str = "wrong-horse-battery";

/// One UDP datagram of a capture, decoded.
struct Datagram {
    src: String,
    packet: Packet,
}

fn load(name: &str) -> Vec<Datagram> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let bytes = hex::decode(v["hex"].as_str().unwrap()).unwrap();
            Datagram {
                src: v["src"].as_str().unwrap().to_owned(),
                packet: Packet::decode_slice(&bytes).unwrap(),
            }
        })
        .collect()
}

/// The handshake extensions a datagram carries (none unless it is a
/// handshake).
fn extensions(d: &Datagram) -> &[HandshakeExtension] {
    match &d.packet {
        Packet::Control(c) => match &c.body {
            ControlBody::Handshake(hs) => &hs.extensions,
            _ => &[],
        },
        Packet::Data(_) => &[],
    }
}

/// The first KMREQ in the capture (the caller's conclusion request).
fn first_kmreq(capture: &[Datagram]) -> KeyMaterial {
    capture
        .iter()
        .flat_map(extensions)
        .find_map(|e| match e {
            HandshakeExtension::KmReq(km) => Some(km.clone()),
            _ => None,
        })
        .expect("a KMREQ in the capture")
}

fn data_packets(capture: &[Datagram]) -> impl Iterator<Item = &DataPacket> {
    capture.iter().filter_map(|d| match &d.packet {
        Packet::Data(p) => Some(p),
        Packet::Control(_) => None,
    })
}

fn passphrase(p: &str) -> Passphrase {
    Passphrase::try_from(p).unwrap()
}

/// The bytes the capture's source sent as datagram `i`.
fn expected_payload(i: u32) -> Vec<u8> {
    let mut p = i.to_be_bytes().to_vec();
    p.extend((0..1312u32).map(|j| (i.wrapping_mul(7).wrapping_add(j) & 0xff) as u8));
    p
}

struct Outcome {
    packets: usize,
    distinct: BTreeSet<u32>,
    retransmits: usize,
}

/// Opens the KMREQ with the passphrase and decrypts every data packet,
/// asserting each one is the datagram the source sent.
fn decrypt_capture(name: &str, key_len: KeyLength) -> Outcome {
    let capture = load(name);
    let km = first_kmreq(&capture);
    let received = open_key_material(&passphrase(PASSPHRASE), &km, GcmVariant::Srt154).unwrap();
    assert_eq!(
        received.mode,
        CipherMode::AesCtr,
        "libsrt 1.5.1 uses AES-CTR"
    );
    assert_eq!(received.keys.key_set(), KeySet::Even);
    assert_eq!(
        received.keys.get(KeyIndex::Even).unwrap().key_length(),
        key_len
    );
    let mut pair = KeyPair::new();
    pair.install(received.mode, &received.salt, &received.keys);

    let first_seq = data_packets(&capture)
        .map(|p| p.seq.as_u32())
        .min()
        .unwrap();
    let mut outcome = Outcome {
        packets: 0,
        distinct: BTreeSet::new(),
        retransmits: 0,
    };
    let mut plain = Vec::new();
    for p in data_packets(&capture) {
        pair.decrypt_packet(p, &mut plain).unwrap();
        let i = p.seq.as_u32() - first_seq;
        assert_eq!(
            plain,
            expected_payload(i),
            "{name}: packet {}",
            p.seq.as_u32()
        );
        outcome.packets += 1;
        outcome.distinct.insert(i);
        outcome.retransmits += usize::from(p.retransmitted);
    }
    outcome
}

#[test]
fn libsrt_aes128_capture_decrypts_to_the_source_datagrams() {
    let outcome = decrypt_capture("srt-libsrt-aes128.jsonl", KeyLength::Aes128);
    assert_eq!(outcome.distinct, (0..200).collect());
    // Any packet beyond the 200 must be a retransmission (R flag set) that
    // decrypted like its original. (These loopback captures have none.)
    assert_eq!(outcome.packets - 200, outcome.retransmits);
}

#[test]
fn libsrt_aes256_capture_decrypts_to_the_source_datagrams() {
    let outcome = decrypt_capture("srt-libsrt-aes256.jsonl", KeyLength::Aes256);
    assert_eq!(outcome.distinct, (0..200).collect());
    assert_eq!(outcome.packets - 200, outcome.retransmits);
}

#[test]
fn listener_answers_with_the_same_key_material_it_accepted() {
    // KMRSP (extension type 4) echoes the KMREQ when the listener has the
    // same passphrase: it opens to the same keys.
    let capture = load("srt-libsrt-aes128.jsonl");
    let kmrsp = capture
        .iter()
        .filter(|d| d.src.ends_with(":9100"))
        .flat_map(extensions)
        .find_map(|e| match e {
            HandshakeExtension::KmRsp(KmResponse::KeyMaterial(km)) => Some(km.clone()),
            _ => None,
        })
        .expect("a KMRSP from the listener");
    let pass = passphrase(PASSPHRASE);
    let answer = open_key_material(&pass, &kmrsp, GcmVariant::Srt154).unwrap();
    let request = open_key_material(&pass, &first_kmreq(&capture), GcmVariant::Srt154).unwrap();
    assert_eq!(answer, request);
}

#[test]
fn wrong_passphrase_fails_to_unwrap_the_badsecret_kmreq() {
    // In the badsecret capture the caller used "wrong-horse-battery" and the
    // listener "correct-horse-battery", which rejected the conclusion.
    let km = first_kmreq(&load("srt-libsrt-badsecret.jsonl"));
    let salt = srt_proto::crypto::Salt::from_slice(km.salt()).unwrap();
    let listener_kek = Kek::derive(&passphrase(PASSPHRASE), &salt, km.key_len().into());
    assert_eq!(
        listener_kek.unwrap(km.keys().into(), km.wrapped_keys()),
        Err(UnwrapError::IntegrityCheckFailed)
    );
    let caller_kek = Kek::derive(&passphrase(WRONG_PASSPHRASE), &salt, km.key_len().into());
    assert!(
        caller_kek
            .unwrap(km.keys().into(), km.wrapped_keys())
            .is_ok()
    );
}

#[test]
fn wrong_passphrase_fails_to_open_the_aes128_kmreq() {
    let km = first_kmreq(&load("srt-libsrt-aes128.jsonl"));
    assert_eq!(
        open_key_material(&passphrase(WRONG_PASSPHRASE), &km, GcmVariant::Srt154),
        Err(srt_proto::crypto::KmError::Unwrap(
            UnwrapError::IntegrityCheckFailed
        ))
    );
}

#[test]
fn decrypting_with_only_the_odd_slot_filled_names_the_missing_key() {
    // libsrt's data packets carry KK = 01 (even); a pair holding only an odd
    // key must refuse them rather than emit garbage.
    let capture = load("srt-libsrt-aes128.jsonl");
    let received = open_key_material(
        &passphrase(PASSPHRASE),
        &first_kmreq(&capture),
        GcmVariant::Srt154,
    )
    .unwrap();
    let StreamKeys::Even(sek) = &received.keys else {
        panic!("libsrt announces the even key first");
    };
    let mut pair = KeyPair::new();
    pair.set(
        KeyIndex::Odd,
        CryptoContext::new(CipherMode::AesCtr, sek, &received.salt),
    );
    let p = data_packets(&capture).next().unwrap();
    assert_eq!(
        pair.decrypt_packet(p, &mut Vec::new()),
        Err(DecryptError::KeyNotPresent(KeyIndex::Even))
    );
}

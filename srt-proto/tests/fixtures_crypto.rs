//! Real-world evidence for `srt_proto::crypto`: the KM messages and data
//! packets libsrt 1.5.1 (`srt-live-transmit`) sent on loopback, recorded in
//! `tests/data/srt-libsrt-*.jsonl`, decrypt with our KEK derivation, key
//! unwrap and AES-CTR to exactly the bytes the capture's source sent.
//!
//! The source sent 200 datagrams of 1316 bytes: datagram `i` is the 4-byte
//! big-endian `i` followed by 1312 bytes where byte `j` is `(i*7 + j) & 0xff`
//! (`j` counting from the start of those 1312 bytes, as the data shows).

use srt_proto::crypto::{
    CipherMode, CryptoContext, Kek, KeyIndex, KeyLength, KeyPair, KeySet, Passphrase, Salt,
    UnwrapError,
};
use std::collections::BTreeSet;

const PASSPHRASE: &str = "correct-horse-battery";
const WRONG_PASSPHRASE: &str = "wrong-horse-battery";

/// One UDP datagram of a capture.
struct Datagram {
    src: String,
    bytes: Vec<u8>,
}

fn load(name: &str) -> Vec<Datagram> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            Datagram {
                src: v["src"].as_str().unwrap().to_owned(),
                bytes: hex::decode(v["hex"].as_str().unwrap()).unwrap(),
            }
        })
        .collect()
}

/// The fields of a KM message (libsrt `hcrypt_msg.h`) this test needs.
struct KeyMaterial {
    key_set: KeySet,
    cipher: u8,
    key_len: KeyLength,
    salt: Salt,
    wrapped: Vec<u8>,
}

fn parse_km(km: &[u8]) -> KeyMaterial {
    assert_eq!(km[0], 0x12, "version 1, packet type KM");
    assert_eq!(&km[1..3], &[0x20, 0x29], "'HAI' signature");
    let salt_len = usize::from(km[14]) * 4;
    let key_len = usize::from(km[15]) * 4;
    let key_set = KeySet::from_kk(km[3] & 0b11).unwrap();
    let salt_end = 16 + salt_len;
    let wrap_end = salt_end + 8 + key_len * key_set.count();
    KeyMaterial {
        key_set,
        cipher: km[8],
        key_len: KeyLength::from_bytes(key_len).unwrap(),
        salt: Salt::from_slice(&km[16..salt_end]).unwrap(),
        wrapped: km[salt_end..wrap_end].to_vec(),
    }
}

/// The KM message in handshake extension `kind` (3 = KMREQ, 4 = KMRSP) of
/// a datagram, if it is a handshake carrying one: extensions follow the
/// 16-byte header and the 48-byte handshake body.
fn km_extension(d: &Datagram, kind: u16) -> Option<KeyMaterial> {
    let b = &d.bytes;
    let is_handshake = b.len() > 64 && b[0] == 0x80 && b[1] == 0;
    if !is_handshake {
        return None;
    }
    let mut ext = &b[64..];
    while ext.len() >= 4 {
        let this = u16::from_be_bytes([ext[0], ext[1]]);
        let len = usize::from(u16::from_be_bytes([ext[2], ext[3]])) * 4;
        if this == kind {
            return Some(parse_km(&ext[4..4 + len]));
        }
        ext = &ext[4 + len..];
    }
    None
}

/// The first KMREQ in the capture (the caller's conclusion request).
fn first_kmreq(capture: &[Datagram]) -> KeyMaterial {
    capture
        .iter()
        .find_map(|d| km_extension(d, 3))
        .expect("a KMREQ in the capture")
}

/// A data packet: F bit clear.
struct DataPacket<'a> {
    header: [u8; 16],
    seq: u32,
    retransmitted: bool,
    payload: &'a [u8],
}

fn data_packets<'a>(capture: &'a [Datagram]) -> impl Iterator<Item = DataPacket<'a>> + 'a {
    capture
        .iter()
        .filter(|d| d.bytes.len() >= 16 && d.bytes[0] & 0x80 == 0)
        .map(|d| DataPacket {
            header: d.bytes[..16].try_into().unwrap(),
            seq: u32::from_be_bytes(d.bytes[..4].try_into().unwrap()) & 0x7fff_ffff,
            retransmitted: d.bytes[4] & 0x04 != 0,
            payload: &d.bytes[16..],
        })
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

/// Derives the KEK, unwraps the key and decrypts every data packet,
/// asserting each one is the datagram the source sent.
fn decrypt_capture(name: &str, key_len: KeyLength) -> Outcome {
    let capture = load(name);
    let km = first_kmreq(&capture);
    assert_eq!(km.cipher, 2, "libsrt 1.5.1 announces AES-CTR");
    assert_eq!(km.key_len, key_len);
    assert_eq!(km.key_set, KeySet::Even);

    let passphrase = Passphrase::try_from(PASSPHRASE).unwrap();
    let kek = Kek::derive(&passphrase, &km.salt, km.key_len);
    let keys = kek.unwrap(km.key_set, &km.wrapped).unwrap();
    let mut pair = KeyPair::new();
    pair.install(CipherMode::AesCtr, &km.salt, &keys);

    let packets: Vec<_> = data_packets(&capture).collect();
    let first_seq = packets.iter().map(|p| p.seq).min().unwrap();
    let mut outcome = Outcome {
        packets: 0,
        distinct: BTreeSet::new(),
        retransmits: 0,
    };
    for p in &packets {
        let mut payload = p.payload.to_vec();
        pair.decrypt(&p.header, &mut payload).unwrap();
        let i = p.seq - first_seq;
        assert_eq!(payload, expected_payload(i), "{name}: packet seq {}", p.seq);
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
    // same passphrase: it unwraps under the same KEK.
    let capture = load("srt-libsrt-aes128.jsonl");
    let listener_hs = capture
        .iter()
        .filter(|d| d.src.ends_with(":9100"))
        .find_map(|d| km_extension(d, 4))
        .expect("a KMRSP from the listener");
    let kek = Kek::derive(
        &Passphrase::try_from(PASSPHRASE).unwrap(),
        &listener_hs.salt,
        listener_hs.key_len,
    );
    let keys = kek
        .unwrap(listener_hs.key_set, &listener_hs.wrapped)
        .unwrap();
    let req = first_kmreq(&capture);
    let req_keys = kek.unwrap(req.key_set, &req.wrapped).unwrap();
    assert_eq!(keys, req_keys);
}

#[test]
fn wrong_passphrase_fails_to_unwrap_the_badsecret_kmreq() {
    // In the badsecret capture the caller used "wrong-horse-battery" and the
    // listener "correct-horse-battery", which rejected the conclusion.
    let km = first_kmreq(&load("srt-libsrt-badsecret.jsonl"));
    let listener_kek = Kek::derive(
        &Passphrase::try_from(PASSPHRASE).unwrap(),
        &km.salt,
        km.key_len,
    );
    assert_eq!(
        listener_kek.unwrap(km.key_set, &km.wrapped),
        Err(UnwrapError::IntegrityCheckFailed)
    );
    let caller_kek = Kek::derive(
        &Passphrase::try_from(WRONG_PASSPHRASE).unwrap(),
        &km.salt,
        km.key_len,
    );
    assert!(caller_kek.unwrap(km.key_set, &km.wrapped).is_ok());
}

#[test]
fn wrong_passphrase_fails_to_unwrap_the_aes128_kmreq() {
    let km = first_kmreq(&load("srt-libsrt-aes128.jsonl"));
    let kek = Kek::derive(
        &Passphrase::try_from(WRONG_PASSPHRASE).unwrap(),
        &km.salt,
        km.key_len,
    );
    assert_eq!(
        kek.unwrap(km.key_set, &km.wrapped),
        Err(UnwrapError::IntegrityCheckFailed)
    );
}

#[test]
fn decrypting_with_the_odd_slot_empty_names_the_missing_key() {
    // libsrt's data packets carry KK = 01 (even); a pair holding only an odd
    // key must refuse them rather than emit garbage.
    let capture = load("srt-libsrt-aes128.jsonl");
    let km = first_kmreq(&capture);
    let kek = Kek::derive(
        &Passphrase::try_from(PASSPHRASE).unwrap(),
        &km.salt,
        km.key_len,
    );
    let keys = kek.unwrap(km.key_set, &km.wrapped).unwrap();
    let sek = keys.get(KeyIndex::Even).unwrap();
    let mut pair = KeyPair::new();
    pair.set(
        KeyIndex::Odd,
        CryptoContext::new(CipherMode::AesCtr, sek, &km.salt),
    );
    let p = data_packets(&capture).next().unwrap();
    let mut payload = p.payload.to_vec();
    assert_eq!(
        pair.decrypt(&p.header, &mut payload),
        Err(srt_proto::crypto::DecryptError::KeyNotPresent(
            KeyIndex::Even
        ))
    );
}

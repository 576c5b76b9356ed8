//! Every datagram libsrt 1.5.1 sent in the captures under `tests/data/`
//! decodes, and re-encodes byte for byte.
//!
//! Each `*.jsonl` line is one UDP datagram:
//! `{"t_us": …, "src": "ip:port", "dst": "ip:port", "hex": "…"}`.

use bytes::Bytes;
use srt_proto::packet::{ControlBody, EncryptionKeySpec, Packet, PacketPosition};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

struct Datagram {
    line: usize,
    src: String,
    bytes: Bytes,
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn capture(stem: &str) -> Vec<Datagram> {
    let path = data_dir().join(format!("{stem}.jsonl"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            Datagram {
                line: i + 1,
                src: v["src"].as_str().unwrap().to_owned(),
                bytes: Bytes::from(hex::decode(v["hex"].as_str().unwrap()).unwrap()),
            }
        })
        .collect()
}

fn all_stems() -> Vec<String> {
    let mut stems: Vec<String> = std::fs::read_dir(data_dir())
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".jsonl").map(str::to_owned)
        })
        .collect();
    stems.sort();
    stems
}

/// Datagram `i` of the source: the 4-byte big-endian `i`, then 1312 bytes
/// where byte `j` is `(i * 7 + j) & 0xff`.
fn expected_payload(i: u32) -> Vec<u8> {
    let mut v = i.to_be_bytes().to_vec();
    v.extend((0..1312u32).map(|j| (i.wrapping_mul(7).wrapping_add(j) & 0xff) as u8));
    v
}

#[test]
fn there_are_five_captures() {
    assert_eq!(
        all_stems(),
        [
            "srt-libsrt-aes128",
            "srt-libsrt-aes256",
            "srt-libsrt-badsecret",
            "srt-libsrt-plain",
            "srt-libsrt-rendezvous"
        ]
    );
}

#[test]
fn every_captured_datagram_decodes_and_reencodes_byte_exact() {
    let mut total = 0;
    for stem in all_stems() {
        for d in capture(&stem) {
            let p = Packet::decode(&d.bytes)
                .unwrap_or_else(|e| panic!("{stem}:{}: {e}: {}", d.line, hex::encode(&d.bytes)));
            let mut out = Vec::new();
            p.encode(&mut out);
            assert_eq!(p.encoded_len(), d.bytes.len(), "{stem}:{}", d.line);
            assert_eq!(
                hex::encode(&out),
                hex::encode(&d.bytes),
                "{stem}:{}",
                d.line
            );
            // The copying decoder agrees with the zero-copy one.
            assert_eq!(
                Packet::decode_slice(&d.bytes).unwrap(),
                p,
                "{stem}:{}",
                d.line
            );
            total += 1;
        }
    }
    assert!(total > 1000, "only {total} datagrams");
}

#[test]
fn plain_capture_carries_the_200_source_datagrams_in_sequence_order() {
    let mut by_seq = BTreeMap::new();
    let mut retransmits = 0;
    for d in capture("srt-libsrt-plain") {
        let Ok(Packet::Data(p)) = Packet::decode(&d.bytes) else {
            continue;
        };
        assert_eq!(p.position, PacketPosition::Only, "line {}", d.line);
        assert_eq!(p.encryption, EncryptionKeySpec::Unencrypted);
        if p.retransmitted {
            retransmits += 1;
        }
        if let Some(old) = by_seq.insert(p.seq.as_u32(), p.payload.clone()) {
            assert_eq!(old, p.payload, "retransmission of {} differs", p.seq);
        }
    }
    let seqs: Vec<u32> = by_seq.keys().copied().collect();
    assert_eq!(seqs.len(), 200, "{retransmits} retransmits");
    let first = seqs[0];
    assert!(
        seqs.iter().enumerate().all(|(i, s)| *s == first + i as u32),
        "sequence numbers are not consecutive"
    );
    for (i, payload) in by_seq.values().enumerate() {
        assert_eq!(payload[..], expected_payload(i as u32)[..], "datagram {i}");
    }
}

#[test]
fn plain_data_packets_count_message_numbers_from_1() {
    let msgs: Vec<u32> = capture("srt-libsrt-plain")
        .iter()
        .filter_map(|d| match Packet::decode(&d.bytes) {
            Ok(Packet::Data(p)) if !p.retransmitted => Some(p.msg_number.as_u32()),
            _ => None,
        })
        .collect();
    assert_eq!(msgs.first(), Some(&1));
    assert!(msgs.windows(2).all(|w| w[1] == w[0] + 1));
}

#[test]
fn encrypted_captures_use_the_even_key_on_every_data_packet() {
    for stem in ["srt-libsrt-aes128", "srt-libsrt-aes256"] {
        let data: Vec<_> = capture(stem)
            .into_iter()
            .filter_map(|d| match Packet::decode(&d.bytes) {
                Ok(Packet::Data(p)) => Some(p),
                _ => None,
            })
            .collect();
        assert_eq!(data.len(), 200, "{stem}");
        for p in data {
            assert_eq!(p.encryption, EncryptionKeySpec::Even, "{stem}");
            assert_eq!(p.payload.len(), 1316, "{stem}: CTR keeps the length");
        }
    }
}

#[test]
fn receiver_acks_and_sender_ackacks_pair_up() {
    let mut acks = Vec::new();
    let mut ackacks = Vec::new();
    for d in capture("srt-libsrt-plain") {
        match Packet::decode(&d.bytes) {
            Ok(Packet::Control(c)) => match c.body {
                ControlBody::Ack(a) => {
                    assert!(d.src.ends_with(":9100"), "ACK from the listener");
                    assert!(a.rtt().is_some(), "libsrt sent a full ACK here");
                    acks.push(a.ack_number);
                }
                ControlBody::AckAck { ack_number } => ackacks.push(ack_number),
                _ => {}
            },
            Ok(Packet::Data(_)) => {}
            Err(e) => panic!("line {}: {e}", d.line),
        }
    }
    assert!(!acks.is_empty());
    assert_eq!(acks, ackacks);
}

#[test]
fn every_capture_ends_the_connection_with_one_shutdown_except_the_rejected_one() {
    for stem in all_stems() {
        let shutdowns = capture(&stem)
            .iter()
            .filter(|d| {
                matches!(
                    Packet::decode(&d.bytes),
                    Ok(Packet::Control(c)) if c.body == ControlBody::Shutdown
                )
            })
            .count();
        let expected = usize::from(stem != "srt-libsrt-badsecret");
        assert_eq!(shutdowns, expected, "{stem}");
    }
}

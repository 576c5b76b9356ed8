//! Decrypts an encrypted SRT stream recorded from libsrt, with nothing but
//! the passphrase.
//!
//! ```text
//! cargo run -p srt-proto --example decrypt_capture -- [CAPTURE.jsonl] [PASSPHRASE]
//! ```
//!
//! The capture defaults to `tests/data/srt-libsrt-aes128.jsonl` (libsrt
//! 1.5.1 `srt-live-transmit` on loopback, AES-128) and the passphrase to
//! `correct-horse-battery`. A capture is one JSON object per UDP datagram:
//! `{"t_us": …, "src": "ip:port", "dst": "ip:port", "hex": "…"}`.
//!
//! The program decodes every datagram, finds the key material (KMREQ) in
//! the handshake, derives the key-encrypting key from the passphrase,
//! unwraps the stream key, decrypts every data packet (packets sent in
//! clear are taken as they are) and checks each payload against the
//! pattern the capture's source sent: datagram `i` is
//! the 4-byte big-endian `i` followed by 1312 bytes where byte `j` is
//! `(i*7 + j) & 0xff`. It exits with status 1 if anything does not match.

use srt_proto::crypto::{CipherMode, GcmVariant, KeyIndex, KeyPair, Passphrase, open_key_material};
use srt_proto::packet::ext::HandshakeExtension;
use srt_proto::packet::{ControlBody, EncryptionKeySpec, KeyMaterial, Packet};
use std::collections::BTreeSet;
use std::process::ExitCode;

const DEFAULT_PASSPHRASE: &str = "correct-horse-battery";

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// One datagram of the capture.
struct Datagram {
    src: String,
    packet: Packet,
}

fn load(path: &str) -> Result<Vec<Datagram>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut out = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let at = |what: &str| format!("{path}:{}: {what}", n + 1);
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| at(&format!("bad JSON: {e}")))?;
        let src = v["src"]
            .as_str()
            .ok_or_else(|| at("no \"src\""))?
            .to_owned();
        let hex = v["hex"].as_str().ok_or_else(|| at("no \"hex\""))?;
        let bytes = hex::decode(hex).map_err(|e| at(&format!("bad hex: {e}")))?;
        let packet =
            Packet::decode_slice(&bytes).map_err(|e| at(&format!("not an SRT packet: {e}")))?;
        out.push(Datagram { src, packet });
    }
    Ok(out)
}

/// Key material a datagram carries: a KMREQ in a handshake, or a KM
/// refresh in a user-defined control packet.
fn key_material(packet: &Packet) -> Option<&KeyMaterial> {
    let Packet::Control(control) = packet else {
        return None;
    };
    match &control.body {
        ControlBody::Handshake(hs) => hs.find_extension(|e| match e {
            HandshakeExtension::KmReq(km) => Some(km),
            _ => None,
        }),
        ControlBody::KeyMaterialRequest(km) => Some(km),
        _ => None,
    }
}

/// The payload the capture's source sent as datagram `i`.
fn expected_payload(i: u32) -> Vec<u8> {
    let mut p = i.to_be_bytes().to_vec();
    p.extend((0..1312u32).map(|j| (i.wrapping_mul(7).wrapping_add(j) & 0xff) as u8));
    p
}

fn run() -> Result<bool, String> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/srt-libsrt-aes128.jsonl"
        )
        .to_owned()
    });
    let passphrase_text = args.next().unwrap_or_else(|| DEFAULT_PASSPHRASE.to_owned());
    let passphrase =
        Passphrase::try_from(passphrase_text.as_str()).map_err(|e| format!("passphrase: {e}"))?;

    let capture = load(&path)?;
    println!("capture        {path}");
    println!("datagrams      {}", capture.len());

    let mut keys = KeyPair::new();
    let mut announced = None;
    let mut first_seq = None;
    let mut packets = 0usize;
    let mut bytes = 0usize;
    let mut retransmits = 0usize;
    let mut distinct = BTreeSet::new();
    let mut mismatches = 0usize;
    let mut clear = 0usize;
    let mut plain = Vec::new();

    for d in &capture {
        if let Some(km) = key_material(&d.packet) {
            // libsrt 1.5.1 and our captures predate AES-GCM; a GCM capture
            // from a 1.5.4+ peer would use the current layout.
            let received = match open_key_material(&passphrase, km, GcmVariant::Srt154) {
                Ok(r) => r,
                Err(e) => {
                    println!("key material   from {}: cannot open: {e}", d.src);
                    println!("verified       no (wrong passphrase?)");
                    return Ok(false);
                }
            };
            if announced.is_none() {
                let len = [KeyIndex::Even, KeyIndex::Odd]
                    .into_iter()
                    .find_map(|i| received.keys.get(i))
                    .map_or(0, |k| k.key_length().bytes() * 8);
                let cipher = match received.mode {
                    CipherMode::AesCtr => "AES-CTR".to_owned(),
                    CipherMode::AesGcm(v) => format!("AES-GCM ({v:?})"),
                };
                println!(
                    "key material   from {}: {:?} key, AES-{len}, {cipher}",
                    d.src,
                    received.keys.key_set()
                );
                announced = Some((len, cipher));
            }
            keys.install(received.mode, &received.salt, &received.keys);
            continue;
        }
        let Packet::Data(p) = &d.packet else {
            continue;
        };
        let seq = p.seq.as_u32();
        let i = seq.wrapping_sub(*first_seq.get_or_insert(seq));
        packets += 1;
        bytes += p.payload.len();
        retransmits += usize::from(p.retransmitted);
        distinct.insert(i);
        let result = if p.encryption == EncryptionKeySpec::Unencrypted {
            clear += 1;
            plain.clear();
            plain.extend_from_slice(&p.payload);
            Ok(())
        } else {
            keys.decrypt_packet(p, &mut plain)
        };
        let problem = match result {
            Ok(()) if plain == expected_payload(i) => continue,
            Ok(()) => "payload differs from the datagram the source sent".to_owned(),
            Err(e) => e.to_string(),
        };
        mismatches += 1;
        if mismatches <= 5 {
            eprintln!("packet {seq} (datagram {i}): {problem}");
        }
    }
    if mismatches > 5 {
        eprintln!("... and {} more", mismatches - 5);
    }

    let (key_bits, cipher) = announced.unwrap_or((0, "none (no key material)".to_owned()));
    let contiguous = distinct
        .iter()
        .copied()
        .eq(0..u32::try_from(distinct.len()).unwrap_or(0));
    if key_bits > 0 {
        println!("key length     {key_bits} bits");
    }
    println!("cipher         {cipher}");
    println!(
        "data packets   {packets} ({} distinct, {retransmits} retransmitted, {clear} in clear)",
        distinct.len()
    );
    println!("payload bytes  {bytes}");
    println!(
        "sequence       {}",
        if contiguous {
            "complete, no gaps"
        } else {
            "has gaps"
        }
    );
    let ok = mismatches == 0 && packets > 0 && contiguous;
    println!(
        "verified       {}",
        if ok {
            "yes: every payload is the datagram the source sent"
        } else {
            "NO"
        }
    );
    Ok(ok)
}

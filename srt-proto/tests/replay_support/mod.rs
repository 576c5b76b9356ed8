//! What the replay tests share: the libsrt captures' handshakes, and a
//! tshark run over our answers.
#![allow(dead_code)]

use bytes::Bytes;
use srt_proto::packet::handshake::{Handshake, HandshakeType};
use std::net::SocketAddr;

/// One handshake datagram of a capture.
pub struct Captured {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub datagram: Bytes,
    pub hs: Handshake,
}

/// The capture's listener sends from port 9100.
pub fn from_listener(c: &Captured) -> bool {
    c.src.port() == 9100
}

/// Every handshake datagram of the capture `name` in `tests/data`.
pub fn handshakes(name: &str) -> Vec<Captured> {
    let path = format!("{}/tests/data/{name}.jsonl", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .filter_map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let bytes = hex::decode(v["hex"].as_str().unwrap()).unwrap();
            if !bytes.starts_with(&[0x80, 0x00]) {
                return None;
            }
            Some(Captured {
                src: v["src"].as_str().unwrap().parse().unwrap(),
                dst: v["dst"].as_str().unwrap().parse().unwrap(),
                hs: Handshake::decode(&bytes[16..]).unwrap(),
                datagram: Bytes::from(bytes),
            })
        })
        .collect()
}

/// The first handshake of type `ty` from the listener or the caller.
pub fn find(hss: &[Captured], by_listener: bool, ty: HandshakeType) -> &Captured {
    hss.iter()
        .find(|c| from_listener(c) == by_listener && c.hs.handshake_type == ty)
        .unwrap_or_else(|| {
            panic!(
                "no {ty:?} from the {}",
                if by_listener { "listener" } else { "caller" }
            )
        })
}

/// A pcap file (Ethernet/IPv4/UDP) holding `datagrams` sent from port
/// 9100 to port 36381.
pub fn pcap<D: AsRef<[u8]>>(datagrams: &[D]) -> Vec<u8> {
    let mut out = Vec::new();
    for w in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, 1] {
        out.extend_from_slice(&w.to_le_bytes());
    }
    // The version word is two u16s: fix it up (2, 4).
    out[4..8].copy_from_slice(&[2, 0, 4, 0]);
    for (i, d) in datagrams.iter().map(AsRef::as_ref).enumerate() {
        let udp_len = 8 + d.len();
        let ip_len = 20 + udp_len;
        let mut frame = vec![0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00];
        let mut ip = vec![
            0x45,
            0,
            (ip_len >> 8) as u8,
            ip_len as u8,
            0,
            0,
            0x40,
            0,
            64,
            17,
            0,
            0,
        ];
        ip.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 1]);
        let sum: u32 = ip
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum();
        let sum = !(((sum & 0xffff) + (sum >> 16)) as u16);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        frame.extend_from_slice(&ip);
        frame.extend_from_slice(&9100u16.to_be_bytes());
        frame.extend_from_slice(&36381u16.to_be_bytes());
        frame.extend_from_slice(&(udp_len as u16).to_be_bytes());
        frame.extend_from_slice(&[0, 0]);
        frame.extend_from_slice(d);
        out.extend_from_slice(&(i as u32).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&frame);
    }
    out
}

/// Whether tshark is installed; without it the check is skipped, except in
/// CI (`CI` set), where it must be there.
pub fn tshark_available() -> bool {
    if std::process::Command::new("tshark")
        .arg("-v")
        .output()
        .is_ok()
    {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "tshark is required in CI");
    eprintln!("tshark not installed: skipping the dissector check");
    false
}

/// tshark's verbose dissection (`-d udp.port==9100,srt -V`) of `datagrams`
/// written to a pcap: (success, stdout, stderr).
pub fn dissect<D: AsRef<[u8]>>(tag: &str, datagrams: &[D]) -> (bool, String, String) {
    let dir = std::env::temp_dir().join(format!("srt-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("answers.pcap");
    std::fs::write(&file, pcap(datagrams)).unwrap();
    let out = std::process::Command::new("tshark")
        .arg("-r")
        .arg(&file)
        .args(["-d", "udp.port==9100,srt", "-V"])
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

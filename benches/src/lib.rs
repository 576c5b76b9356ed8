//! Shared helpers for the benchmarks in `benches/`: loading the real wire
//! captures the tests use, so benches measure the bytes peers really send.

use std::path::PathBuf;

/// One datagram of a capture in `srt-proto/tests/data/*.jsonl`.
#[derive(Debug, Clone)]
pub struct CapturedDatagram {
    /// Source address, `ip:port`.
    pub src: String,
    /// Destination address, `ip:port`.
    pub dst: String,
    /// The UDP payload.
    pub payload: Vec<u8>,
}

/// The directory of the SRT captures.
pub fn srt_data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../srt-proto/tests/data")
}

/// The directory of the RTMP captures.
pub fn rtmp_data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rtmp-proto/tests/data")
}

/// Reads every datagram of the SRT capture `stem` (e.g. `srt-libsrt-aes128`).
///
/// # Panics
/// If the file is missing or malformed: benches run on the project's own
/// fixtures.
pub fn srt_capture(stem: &str) -> Vec<CapturedDatagram> {
    let path = srt_data_dir().join(format!("{stem}.jsonl"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("capture line is JSON");
            let field = |k: &str| v[k].as_str().expect("capture field").to_owned();
            CapturedDatagram {
                src: field("src"),
                dst: field("dst"),
                payload: hex::decode(field("hex")).expect("capture hex"),
            }
        })
        .collect()
}

//! Shared by the fixture tests: the fixture files and the ffprobe packet
//! lists the demuxed samples are compared with.

use rtmp_proto::media::{MediaEvent, MediaKind};

/// One ffprobe packet row: `stream_index,pts_ms,dts_ms,size,flags`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub video: bool,
    pub pts: i64,
    pub dts: i64,
    pub size: usize,
    pub keyframe: bool,
}

/// The bytes of `tests/data/{name}`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The rows of the ffprobe packet list `tests/data/{name}` (stream index 0
/// is video, 1 audio).
pub fn expected_packets(name: &str) -> Vec<Packet> {
    let text = String::from_utf8(fixture(name)).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.trim().split(',').collect();
            assert_eq!(f.len(), 5, "row {line:?}");
            let video = match f[0] {
                "0" => true,
                "1" => false,
                other => panic!("stream index {other}"),
            };
            Packet {
                video,
                pts: f[1].parse().unwrap(),
                dts: f[2].parse().unwrap(),
                size: f[3].parse().unwrap(),
                keyframe: f[4].starts_with('K'),
            }
        })
        .collect()
}

/// The samples among `events`, as packet rows.
pub fn to_packets(events: &[MediaEvent]) -> Vec<Packet> {
    events
        .iter()
        .filter_map(|e| match e {
            MediaEvent::Sample(s) => Some(Packet {
                video: s.codec.kind() == MediaKind::Video,
                pts: s.pts(),
                dts: i64::from(s.dts),
                size: s.payload.len(),
                keyframe: s.keyframe,
            }),
            _ => None,
        })
        .collect()
}

/// `got` is the packet list `csv`, row for row.
pub fn assert_same_packets(got: &[Packet], csv: &str) {
    let want = expected_packets(csv);
    assert_eq!(got.len(), want.len(), "packet count");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "packet {i}");
    }
}

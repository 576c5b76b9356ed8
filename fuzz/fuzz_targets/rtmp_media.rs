#![no_main]
//! Media: the first byte picks what the rest is (audio tag body, video tag
//! body, FLV file stream, onMetaData body). Nothing panics, and whatever
//! parses re-encodes to something that parses to the same value:
//! - tag bodies: parse -> encode -> parse is the identity on the parsed tag;
//! - events: demux -> mux -> demux gives the same events back;
//! - FLV: read -> write -> read gives the same header and tags;
//! - onMetaData: parse -> encode -> parse -> encode gives the same bytes.
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use rtmp_proto::media::flv::{self, FlvItem, FlvReader};
use rtmp_proto::media::{AudioTag, Demuxer, MediaEvent, Metadata, VideoTag, mux};

/// Each event muxes to a tag that a demuxer in the same state as `twin`
/// turns back into exactly that event.
fn assert_events_round_trip(events: &[MediaEvent], twin: &mut Demuxer) {
    for event in events {
        let tag = match (event, mux(event)) {
            (_, Ok(tag)) => tag,
            // onMetaData holds any AMF0 the peer sent; re-encoding it is the
            // AMF0 codec's business (its own fuzz target), not this one's.
            (MediaEvent::Metadata(_), Err(_)) => continue,
            (_, Err(e)) => panic!("a demuxed event muxes: {e}"),
        };
        let mut again = Vec::new();
        twin.demux_tag(&tag, &mut again)
            .expect("a muxed event demuxes");
        match (event, again.as_slice()) {
            (MediaEvent::Metadata(a), [MediaEvent::Metadata(b)]) => {
                // Compare as bytes: NaN numbers are not equal to themselves.
                let (mut x, mut y) = (Vec::new(), Vec::new());
                a.encode(&mut x).expect("metadata encodes");
                b.encode(&mut y).expect("metadata encodes");
                assert_eq!(x, y);
            }
            (e, again) => assert_eq!(again, core::slice::from_ref(e)),
        }
    }
}

fn audio(body: &Bytes, timestamp: u32) {
    if let Ok(tag) = AudioTag::parse(body) {
        let bytes = tag.to_bytes().expect("a parsed audio tag encodes");
        assert_eq!(
            AudioTag::parse(&bytes).expect("an encoded audio tag parses"),
            tag
        );
    }
    let mut events = Vec::new();
    if Demuxer::new()
        .demux_audio(timestamp, body, &mut events)
        .is_ok()
    {
        assert_events_round_trip(&events, &mut Demuxer::new());
    }
}

fn video(body: &Bytes, timestamp: u32) {
    if let Ok(tag) = VideoTag::parse(body) {
        let bytes = tag.to_bytes().expect("a parsed video tag encodes");
        assert_eq!(
            VideoTag::parse(&bytes).expect("an encoded video tag parses"),
            tag
        );
    }
    let mut events = Vec::new();
    if Demuxer::new()
        .demux_video(timestamp, body, &mut events)
        .is_ok()
    {
        assert_events_round_trip(&events, &mut Demuxer::new());
    }
}

fn flv_stream(data: &[u8], piece: usize) {
    let mut reader = FlvReader::with_max_tag_size(1 << 16);
    let mut header = None;
    let mut tags = Vec::new();
    let mut demuxer = Demuxer::new();
    let mut twin = Demuxer::new();
    'feed: for chunk in data.chunks(piece.max(1)) {
        reader.push(chunk);
        loop {
            match reader.next_item() {
                Ok(Some(FlvItem::Header(h))) => header = Some(h),
                Ok(Some(FlvItem::Tag(t))) => {
                    let mut events = Vec::new();
                    if demuxer.demux_tag(&t, &mut events).is_ok() {
                        assert_events_round_trip(&events, &mut twin);
                    }
                    tags.push(t);
                }
                Ok(None) => break,
                Err(_) => break 'feed,
            }
        }
    }
    let Some(header) = header else { return };
    let mut file = Vec::new();
    flv::write_header(&header, &mut file);
    for t in &tags {
        flv::write_tag(t, &mut file).expect("a read tag writes");
    }
    let (h, again) = flv::read_file(&file).expect("a written file reads");
    // The writer always writes a 9-byte header.
    assert_eq!(
        h,
        flv::FlvHeader {
            data_offset: 9,
            ..header
        }
    );
    assert_eq!(again, tags);
}

fn metadata(data: &[u8]) {
    let Ok(m) = Metadata::parse(0, data) else {
        return;
    };
    let mut once = Vec::new();
    if m.encode(&mut once).is_err() {
        return;
    }
    let again = Metadata::parse(0, &once).expect("encoded metadata parses");
    let mut twice = Vec::new();
    again.encode(&mut twice).expect("metadata encodes");
    assert_eq!(once, twice);
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let body = Bytes::copy_from_slice(rest);
    let timestamp = u32::from(mode) << 20;
    match mode % 4 {
        0 => audio(&body, timestamp),
        1 => video(&body, timestamp),
        2 => flv_stream(rest, usize::from(mode >> 2)),
        _ => metadata(rest),
    }
});

//! Fixture evidence for `rtmp_proto::media`: the FLV files ffmpeg wrote
//! demux to exactly the packet lists ffprobe printed for them, and reading
//! then writing an FLV file gives the same bytes.

use bytes::Bytes;
use rtmp_proto::media::flv::{self, FlvItem, FlvReader};
use rtmp_proto::media::{Codec, Demuxer, MediaEvent};

mod support;

use support::{Packet, assert_same_packets, fixture, to_packets};

/// Reads `name` with the incremental reader fed in uneven pieces, demuxes
/// every tag, and returns the samples as packet rows.
fn demuxed_packets(name: &str) -> (Vec<Packet>, Vec<MediaEvent>) {
    let data = fixture(name);
    let mut reader = FlvReader::new();
    let mut demuxer = Demuxer::new();
    let mut events = Vec::new();
    let mut saw_header = false;
    for piece in data.chunks(777) {
        reader.push(piece);
        while let Some(item) = reader.next_item().unwrap() {
            match item {
                FlvItem::Header(h) => {
                    assert!(h.has_audio && h.has_video);
                    saw_header = true;
                }
                FlvItem::Tag(tag) => demuxer.demux_tag(&tag, &mut events).unwrap(),
            }
        }
    }
    reader.finish().unwrap();
    assert!(saw_header);
    assert_eq!(reader.previous_tag_size_mismatches(), 0);
    (to_packets(&events), events)
}

fn assert_demuxes_to(flv_name: &str, csv_name: &str) {
    let (got, _) = demuxed_packets(flv_name);
    assert_same_packets(&got, csv_name);
}

#[test]
fn source_flv_demuxes_to_the_ffprobe_packet_list() {
    assert_demuxes_to("source.flv", "source.packets.csv");
}

#[test]
fn played_flv_demuxes_to_the_ffprobe_packet_list() {
    assert_demuxes_to("played.flv", "played.packets.csv");
}

#[test]
fn source_flv_carries_metadata_and_one_avc_and_one_aac_configuration() {
    let (_, events) = demuxed_packets("source.flv");
    let MediaEvent::Metadata(m) = &events[0] else {
        panic!("first event is {:?}", events[0]);
    };
    assert!(m.width().is_some() && m.height().is_some());
    let configs: Vec<Codec> = events
        .iter()
        .filter_map(|e| match e {
            MediaEvent::Codec(c) => Some(c.codec),
            _ => None,
        })
        .collect();
    assert_eq!(
        configs,
        [
            Codec::Video(rtmp_proto::media::VideoCodec::Avc),
            Codec::Audio(rtmp_proto::media::AudioCodec::Aac)
        ]
    );
}

fn assert_read_write_identity(name: &str) {
    let data = fixture(name);
    let (header, tags) = flv::read_file(&data).unwrap();
    let mut out = Vec::new();
    flv::write_header(&header, &mut out);
    for tag in &tags {
        flv::write_tag(tag, &mut out).unwrap();
    }
    assert!(out == data, "{name}: rewritten file differs");
}

#[test]
fn source_flv_read_then_written_is_byte_identical() {
    assert_read_write_identity("source.flv");
}

#[test]
fn played_flv_read_then_written_is_byte_identical() {
    assert_read_write_identity("played.flv");
}

#[test]
fn every_tag_of_source_flv_remuxes_to_the_same_body() {
    let data = fixture("source.flv");
    let (_, tags) = flv::read_file(&data).unwrap();
    let mut demuxer = Demuxer::new();
    for tag in tags {
        let mut events = Vec::new();
        demuxer.demux_tag(&tag, &mut events).unwrap();
        let [event] = events.as_slice() else {
            panic!("one event per tag, got {events:?}");
        };
        let again = rtmp_proto::media::mux(event).unwrap();
        assert_eq!(again.tag_type, tag.tag_type);
        assert_eq!(again.timestamp, tag.timestamp);
        if matches!(event, MediaEvent::Metadata(_)) {
            // onMetaData re-encodes to equal AMF0 values, not necessarily equal bytes.
            continue;
        }
        assert_eq!(
            again.body,
            Bytes::clone(&tag.body),
            "tag at {}",
            tag.timestamp
        );
    }
}

//! From media events to tag bodies: legacy framing where it can say
//! everything (AVC and AAC on track 0, legacy codecs), Enhanced RTMP otherwise.

use alloc::vec::Vec;

use bytes::Bytes;

use super::MediaError;
use super::audio::{AudioData, AudioPacket, AudioTag};
use super::codec::{AudioCodec, Codec, TrackId, VideoCodec};
use super::demux::MediaEvent;
use super::enhanced::{Framing, ModEx, MultitrackType};
use super::flv::{FlvTag, TagType};
use super::video::{VideoData, VideoFrameType, VideoPacket, VideoTag, VideoTagContent};

/// Builds the tag for one event.
///
/// Framing: legacy for AVC and AAC on track 0 and for legacy codec ids and
/// sound formats; Enhanced RTMP for every other codec, for tracks other than
/// 0 (a OneTrack multitrack header), for a non-zero nanosecond offset (a
/// TimestampOffsetNano ModEx) and for packets legacy framing lacks (e.g. an
/// AAC SequenceEnd). Enhanced AVC/HEVC/VVC frames with a composition time
/// of 0 use CodedFramesX.
pub fn mux(event: &MediaEvent) -> Result<FlvTag, MediaError> {
    let mut body = Vec::new();
    let (tag_type, timestamp) = mux_into(event, &mut body)?;
    Ok(FlvTag {
        tag_type,
        timestamp,
        body: Bytes::from(body),
    })
}

/// Appends the tag body for one event to `out`; returns its tag type and
/// timestamp (ms). On error `out` is left as it was.
pub fn mux_into(event: &MediaEvent, out: &mut Vec<u8>) -> Result<(TagType, u32), MediaError> {
    let start = out.len();
    let r = mux_inner(event, out);
    if r.is_err() {
        out.truncate(start);
    }
    r
}

fn mux_inner(event: &MediaEvent, out: &mut Vec<u8>) -> Result<(TagType, u32), MediaError> {
    let ts = event.timestamp();
    match event {
        MediaEvent::Metadata(m) => {
            m.encode(out)?;
            Ok((TagType::Script, ts))
        }
        MediaEvent::VideoCommand { codec, command, .. } => {
            let tag = VideoTag {
                frame_type: VideoFrameType::Command,
                framing: if codec.is_some() {
                    Framing::Legacy
                } else {
                    Framing::enhanced()
                },
                content: VideoTagContent::Command {
                    codec: *codec,
                    command: *command,
                },
            };
            tag.encode(out)?;
            Ok((TagType::Video, ts))
        }
        MediaEvent::VideoMetadata {
            track, codec, amf, ..
        } => {
            video(
                out,
                VideoFrameType::Key,
                *track,
                *codec,
                0,
                VideoData::Metadata(amf.clone()),
            )?;
            Ok((TagType::Video, ts))
        }
        MediaEvent::AudioChannels {
            track,
            codec,
            config,
            ..
        } => {
            audio(
                out,
                *track,
                *codec,
                0,
                AudioData::MultichannelConfig(config.clone()),
            )?;
            Ok((TagType::Audio, ts))
        }
        MediaEvent::Codec(c) => {
            match c.codec {
                Codec::Video(v) => {
                    let data = if c.mpeg2ts {
                        VideoData::Mpeg2TsSequenceStart(c.config.clone())
                    } else {
                        VideoData::SequenceStart(c.config.clone())
                    };
                    video(out, VideoFrameType::Key, c.track, v, 0, data)?;
                }
                Codec::Audio(a) => {
                    if c.mpeg2ts {
                        return Err(MediaError::Unrepresentable(
                            "audio has no MPEG-2 TS sequence start",
                        ));
                    }
                    audio(
                        out,
                        c.track,
                        a,
                        0,
                        AudioData::SequenceStart(c.config.clone()),
                    )?;
                }
            }
            Ok((c.codec.kind().into(), ts))
        }
        MediaEvent::SequenceEnd { track, codec, .. } => {
            match *codec {
                Codec::Video(v) => video(
                    out,
                    VideoFrameType::Key,
                    *track,
                    v,
                    0,
                    VideoData::SequenceEnd,
                )?,
                Codec::Audio(a) => audio(out, *track, a, 0, AudioData::SequenceEnd)?,
            }
            Ok((codec.kind().into(), ts))
        }
        MediaEvent::Sample(s) => {
            match s.codec {
                Codec::Video(v) => {
                    let frame_type = if s.keyframe {
                        VideoFrameType::Key
                    } else {
                        VideoFrameType::Inter
                    };
                    let data = VideoData::CodedFrames {
                        composition_time: s.composition_time,
                        data: s.payload.clone(),
                    };
                    video(out, frame_type, s.track, v, s.nanos, data)?;
                }
                Codec::Audio(a) => {
                    if s.composition_time != 0 || !s.keyframe {
                        return Err(MediaError::Unrepresentable(
                            "audio samples have no composition time or frame type",
                        ));
                    }
                    audio(
                        out,
                        s.track,
                        a,
                        s.nanos,
                        AudioData::CodedFrames(s.payload.clone()),
                    )?;
                }
            }
            Ok((s.codec.kind().into(), ts))
        }
    }
}

/// The framing of one packet: legacy where the legacy header can carry it
/// (track 0, no nanosecond offset, and `legacy_form`: a codec and payload
/// the legacy header has a form for), else enhanced.
fn framing(track: TrackId, nanos: u32, legacy_form: bool) -> Result<Framing, MediaError> {
    if nanos > 0x00ff_ffff {
        return Err(MediaError::Unrepresentable(
            "nanosecond offset above 24 bits",
        ));
    }
    if track == TrackId(0) && nanos == 0 && legacy_form {
        return Ok(Framing::Legacy);
    }
    let mut modex = Vec::new();
    if nanos != 0 {
        modex.push(ModEx::timestamp_offset_nano(nanos));
    }
    Ok(Framing::Enhanced {
        modex,
        multitrack: (track != TrackId(0)).then_some(MultitrackType::OneTrack),
    })
}

fn video(
    out: &mut Vec<u8>,
    frame_type: VideoFrameType,
    track: TrackId,
    codec: VideoCodec,
    nanos: u32,
    data: VideoData,
) -> Result<(), MediaError> {
    let legacy_form = match codec {
        VideoCodec::Avc => matches!(
            data,
            VideoData::SequenceStart(_) | VideoData::CodedFrames { .. } | VideoData::SequenceEnd
        ),
        VideoCodec::Legacy(_) => true,
        _ => false,
    };
    let framing = framing(track, nanos, legacy_form)?;
    let legacy = matches!(framing, Framing::Legacy);
    let data = match data {
        VideoData::CodedFrames {
            composition_time: 0,
            data,
        } if !legacy && codec.has_composition_time() => VideoData::CodedFramesX(data),
        other => other,
    };
    let tag = VideoTag {
        frame_type,
        framing,
        content: VideoTagContent::Packets(alloc::vec![VideoPacket { track, codec, data }]),
    };
    tag.encode(out)
}

fn audio(
    out: &mut Vec<u8>,
    track: TrackId,
    codec: AudioCodec,
    nanos: u32,
    data: AudioData,
) -> Result<(), MediaError> {
    let legacy_form = match codec {
        AudioCodec::Aac => matches!(
            data,
            AudioData::SequenceStart(_) | AudioData::CodedFrames(_)
        ),
        AudioCodec::Legacy(_) => true,
        _ => false,
    };
    let tag = AudioTag {
        framing: framing(track, nanos, legacy_form)?,
        packets: alloc::vec![AudioPacket { track, codec, data }],
    };
    tag.encode(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{CodecConfig, Sample};

    fn sample(codec: Codec, track: u8, nanos: u32, composition_time: i32) -> MediaEvent {
        MediaEvent::Sample(Sample {
            track: TrackId(track),
            codec,
            dts: 40,
            composition_time,
            nanos,
            keyframe: true,
            payload: Bytes::from_static(b"P"),
        })
    }

    #[test]
    fn avc_on_track_0_uses_legacy_framing() {
        let tag = mux(&sample(Codec::Video(VideoCodec::Avc), 0, 0, 80)).unwrap();
        assert_eq!((tag.tag_type, tag.timestamp), (TagType::Video, 40));
        assert_eq!(tag.body.as_ref(), &[0x17, 1, 0, 0, 80, b'P']);
    }

    #[test]
    fn aac_on_track_0_uses_legacy_framing() {
        let tag = mux(&sample(Codec::Audio(AudioCodec::Aac), 0, 0, 0)).unwrap();
        assert_eq!(tag.body.as_ref(), &[0xaf, 1, b'P']);
    }

    #[test]
    fn hevc_uses_enhanced_framing_and_coded_frames_x_for_zero_composition_time() {
        let tag = mux(&sample(Codec::Video(VideoCodec::Hevc), 0, 0, 0)).unwrap();
        assert_eq!(tag.body.as_ref(), b"\x93hvc1P");
        let tag = mux(&sample(Codec::Video(VideoCodec::Hevc), 0, 0, 2)).unwrap();
        assert_eq!(tag.body.as_ref(), b"\x91hvc1\x00\x00\x02P");
    }

    #[test]
    fn track_other_than_0_uses_a_one_track_multitrack_header() {
        let tag = mux(&sample(Codec::Video(VideoCodec::Avc), 3, 0, 0)).unwrap();
        assert_eq!(tag.body.as_ref(), b"\x96\x03avc1\x03P");
    }

    #[test]
    fn nanosecond_offset_uses_a_modex() {
        let tag = mux(&sample(Codec::Audio(AudioCodec::Opus), 0, 500, 0)).unwrap();
        assert_eq!(tag.body.as_ref(), b"\x97\x02\x00\x01\xf4\x01OpusP");
    }

    #[test]
    fn aac_sequence_end_needs_enhanced_framing() {
        let e = MediaEvent::SequenceEnd {
            track: TrackId(0),
            codec: Codec::Audio(AudioCodec::Aac),
            timestamp: 0,
        };
        assert_eq!(mux(&e).unwrap().body.as_ref(), b"\x92mp4a");
    }

    #[test]
    fn legacy_codec_on_another_track_is_unrepresentable() {
        let e = sample(Codec::Video(VideoCodec::Legacy(2)), 1, 0, 0);
        assert!(matches!(mux(&e), Err(MediaError::Unrepresentable(_))));
    }

    #[test]
    fn failed_mux_leaves_the_buffer_alone() {
        let mut out = alloc::vec![1, 2, 3];
        let e = MediaEvent::Codec(CodecConfig {
            track: TrackId(0),
            codec: Codec::Audio(AudioCodec::Aac),
            timestamp: 0,
            config: Bytes::new(),
            mpeg2ts: true,
        });
        assert!(mux_into(&e, &mut out).is_err());
        assert_eq!(out, [1, 2, 3]);
    }
}

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

fn enhanced_framing(track: TrackId, nanos: u32) -> Framing {
    let mut modex = Vec::new();
    if nanos != 0 {
        modex.push(ModEx::timestamp_offset_nano(nanos));
    }
    Framing::Enhanced {
        modex,
        multitrack: (track != TrackId(0)).then_some(MultitrackType::OneTrack),
    }
}

fn video(
    out: &mut Vec<u8>,
    frame_type: VideoFrameType,
    track: TrackId,
    codec: VideoCodec,
    nanos: u32,
    data: VideoData,
) -> Result<(), MediaError> {
    if nanos > 0x00ff_ffff {
        return Err(MediaError::Unrepresentable(
            "nanosecond offset above 24 bits",
        ));
    }
    let legacy = track == TrackId(0)
        && nanos == 0
        && match codec {
            VideoCodec::Avc => matches!(
                data,
                VideoData::SequenceStart(_)
                    | VideoData::CodedFrames { .. }
                    | VideoData::SequenceEnd
            ),
            VideoCodec::Legacy(_) => true,
            _ => false,
        };
    let data = match data {
        VideoData::CodedFrames {
            composition_time: 0,
            data,
        } if !legacy && codec.has_composition_time() => VideoData::CodedFramesX(data),
        other => other,
    };
    let tag = VideoTag {
        frame_type,
        framing: if legacy {
            Framing::Legacy
        } else {
            enhanced_framing(track, nanos)
        },
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
    if nanos > 0x00ff_ffff {
        return Err(MediaError::Unrepresentable(
            "nanosecond offset above 24 bits",
        ));
    }
    let legacy = track == TrackId(0)
        && nanos == 0
        && match codec {
            AudioCodec::Aac => matches!(
                data,
                AudioData::SequenceStart(_) | AudioData::CodedFrames(_)
            ),
            AudioCodec::Legacy(_) => true,
            _ => false,
        };
    let tag = AudioTag {
        framing: if legacy {
            Framing::Legacy
        } else {
            enhanced_framing(track, nanos)
        },
        packets: alloc::vec![AudioPacket { track, codec, data }],
    };
    tag.encode(out)
}

//! From tag bodies to media events: codec configurations, samples with
//! dts/pts/keyframe, sequence ends and metadata.

use alloc::vec::Vec;

use bytes::Bytes;

use super::MediaError;
use super::aac::AacConfig;
use super::audio::{AudioData, AudioTag, MultichannelConfig};
use super::avc::{AvcConfig, NalUnits, hevc_nal_length_size};
use super::codec::{AudioCodec, Codec, TrackId, VideoCodec};
use super::enhanced::{Framing, ModEx};
use super::flv::{FlvTag, TagType};
use super::metadata::Metadata;
use super::video::{VideoCommand, VideoData, VideoTag, VideoTagContent};

/// A codec's decoder configuration (a sequence header / SequenceStart).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CodecConfig {
    /// The track it configures.
    pub track: TrackId,
    /// The codec.
    pub codec: Codec,
    /// The message timestamp, in milliseconds.
    pub timestamp: u32,
    /// The configuration record as sent (AVCDecoderConfigurationRecord,
    /// hvcC, av1C, vpcC, AudioSpecificConfig, Opus ID header, ...).
    pub config: Bytes,
    /// Whether the record is in MPEG-2 TS form (video MPEG2TSSequenceStart).
    pub mpeg2ts: bool,
}

/// One access unit (video) or frame (audio).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sample {
    /// The track.
    pub track: TrackId,
    /// The codec.
    pub codec: Codec,
    /// Decode timestamp: the message timestamp, in milliseconds.
    pub dts: u32,
    /// pts - dts in milliseconds (a signed 24-bit value; 0 for audio).
    pub composition_time: i32,
    /// A nanosecond offset (Enhanced RTMP v2 TimestampOffsetNano, below
    /// 1 ms by the spec) to add to both timestamps; 0 when absent.
    pub nanos: u32,
    /// Whether a decoder can start here. Always `true` for audio.
    pub keyframe: bool,
    /// The coded data without any FLV header bytes (length-prefixed NAL
    /// units for AVC/HEVC/VVC, raw AAC frames, OBUs for AV1, ...).
    pub payload: Bytes,
}

impl Sample {
    /// Presentation timestamp in milliseconds: `dts + composition_time`.
    pub fn pts(&self) -> i64 {
        i64::from(self.dts) + i64::from(self.composition_time)
    }
}

/// What a demuxer found in a message (or what a muxer is to send).
#[derive(Debug, Clone, PartialEq)]
pub enum MediaEvent {
    /// A decoder configuration for a track.
    Codec(CodecConfig),
    /// A coded sample.
    Sample(Sample),
    /// The end of a track's sequence.
    SequenceEnd {
        /// The track.
        track: TrackId,
        /// The codec.
        codec: Codec,
        /// The message timestamp, in milliseconds.
        timestamp: u32,
    },
    /// `onMetaData` from a data message or script tag.
    Metadata(Metadata),
    /// Enhanced RTMP video metadata (AMF0 name/value pairs such as `colorInfo`), raw.
    VideoMetadata {
        /// The track.
        track: TrackId,
        /// The codec.
        codec: VideoCodec,
        /// The message timestamp, in milliseconds.
        timestamp: u32,
        /// The AMF0-encoded payload.
        amf: Bytes,
    },
    /// A video command frame (client-side seeking start/end).
    VideoCommand {
        /// The legacy codec id's codec, `None` in enhanced framing.
        codec: Option<VideoCodec>,
        /// The message timestamp, in milliseconds.
        timestamp: u32,
        /// The command.
        command: VideoCommand,
    },
    /// An Enhanced RTMP multichannel configuration for an audio track.
    AudioChannels {
        /// The track.
        track: TrackId,
        /// The codec.
        codec: AudioCodec,
        /// The message timestamp, in milliseconds.
        timestamp: u32,
        /// The channel layout.
        config: MultichannelConfig,
    },
}

impl MediaEvent {
    /// The message timestamp (the dts for samples), in milliseconds.
    pub fn timestamp(&self) -> u32 {
        match self {
            Self::Codec(c) => c.timestamp,
            Self::Sample(s) => s.dts,
            Self::Metadata(m) => m.timestamp,
            Self::SequenceEnd { timestamp, .. }
            | Self::VideoMetadata { timestamp, .. }
            | Self::VideoCommand { timestamp, .. }
            | Self::AudioChannels { timestamp, .. } => *timestamp,
        }
    }
}

/// Turns tag bodies into [`MediaEvent`]s, remembering each video track's
/// NAL length size so AVC/HEVC samples can be validated.
///
/// State is one byte per video track id: bounded whatever the peer sends.
#[derive(Debug, Clone)]
pub struct Demuxer {
    /// NAL length size per video track (0: no configuration seen).
    nal_length_size: [u8; 256],
    validate_nal_units: bool,
}

impl Default for Demuxer {
    fn default() -> Self {
        Self::new()
    }
}

impl Demuxer {
    /// A demuxer that validates configurations and NAL unit framing.
    pub fn new() -> Self {
        Self {
            nal_length_size: [0; 256],
            validate_nal_units: true,
        }
    }

    /// Whether AVC/HEVC samples must be well-formed length-prefixed NAL
    /// units (default `true`; checked once the track's configuration is known).
    pub fn set_validate_nal_units(&mut self, on: bool) {
        self.validate_nal_units = on;
    }

    /// Demuxes one FLV tag (audio, video or script data); other tag types yield nothing.
    pub fn demux_tag(&mut self, tag: &FlvTag, out: &mut Vec<MediaEvent>) -> Result<(), MediaError> {
        match tag.tag_type {
            TagType::Audio => self.demux_audio(tag.timestamp, &tag.body, out),
            TagType::Video => self.demux_video(tag.timestamp, &tag.body, out),
            TagType::Script => self.demux_data(tag.timestamp, &tag.body, out),
            TagType::Other(_) => Ok(()),
        }
    }

    /// Demuxes a data message / script tag: `onMetaData` (optionally behind
    /// `@setDataFrame`) becomes [`MediaEvent::Metadata`]; any other data
    /// message is [`MediaError::NotMetadata`].
    pub fn demux_data(
        &mut self,
        timestamp: u32,
        body: &Bytes,
        out: &mut Vec<MediaEvent>,
    ) -> Result<(), MediaError> {
        out.push(MediaEvent::Metadata(Metadata::parse(timestamp, body)?));
        Ok(())
    }

    /// Demuxes a video message body stamped `timestamp` (ms). An empty body
    /// yields nothing. On error nothing is appended.
    pub fn demux_video(
        &mut self,
        timestamp: u32,
        body: &Bytes,
        out: &mut Vec<MediaEvent>,
    ) -> Result<(), MediaError> {
        if body.is_empty() {
            return Ok(());
        }
        let tag = VideoTag::parse(body)?;
        let start = out.len();
        let r = self.video_events(timestamp, tag, out);
        if r.is_err() {
            out.truncate(start);
        }
        r
    }

    fn video_events(
        &mut self,
        timestamp: u32,
        tag: VideoTag,
        out: &mut Vec<MediaEvent>,
    ) -> Result<(), MediaError> {
        let nanos = nanos_of(&tag.framing)?;
        let keyframe = tag.frame_type.is_key();
        let packets = match tag.content {
            VideoTagContent::Command { codec, command } => {
                out.push(MediaEvent::VideoCommand {
                    codec,
                    timestamp,
                    command,
                });
                return Ok(());
            }
            VideoTagContent::Packets(p) => p,
        };
        for p in packets {
            let slot = usize::from(p.track.0);
            let event = match p.data {
                VideoData::SequenceStart(config) => {
                    let size = match p.codec {
                        VideoCodec::Avc => AvcConfig::parse(&config)?.nal_length_size,
                        VideoCodec::Hevc => hevc_nal_length_size(&config).unwrap_or(0),
                        _ => 0,
                    };
                    if let Some(s) = self.nal_length_size.get_mut(slot) {
                        *s = size;
                    }
                    MediaEvent::Codec(CodecConfig {
                        track: p.track,
                        codec: Codec::Video(p.codec),
                        timestamp,
                        config,
                        mpeg2ts: false,
                    })
                }
                VideoData::Mpeg2TsSequenceStart(config) => MediaEvent::Codec(CodecConfig {
                    track: p.track,
                    codec: Codec::Video(p.codec),
                    timestamp,
                    config,
                    mpeg2ts: true,
                }),
                VideoData::CodedFrames {
                    composition_time,
                    data,
                } => {
                    self.check_nal_units(p.codec, slot, &data)?;
                    MediaEvent::Sample(Sample {
                        track: p.track,
                        codec: Codec::Video(p.codec),
                        dts: timestamp,
                        composition_time,
                        nanos,
                        keyframe,
                        payload: data,
                    })
                }
                VideoData::CodedFramesX(data) => {
                    self.check_nal_units(p.codec, slot, &data)?;
                    MediaEvent::Sample(Sample {
                        track: p.track,
                        codec: Codec::Video(p.codec),
                        dts: timestamp,
                        composition_time: 0,
                        nanos,
                        keyframe,
                        payload: data,
                    })
                }
                VideoData::SequenceEnd => MediaEvent::SequenceEnd {
                    track: p.track,
                    codec: Codec::Video(p.codec),
                    timestamp,
                },
                VideoData::Metadata(amf) => MediaEvent::VideoMetadata {
                    track: p.track,
                    codec: p.codec,
                    timestamp,
                    amf,
                },
            };
            out.push(event);
        }
        Ok(())
    }

    fn check_nal_units(
        &self,
        codec: VideoCodec,
        slot: usize,
        data: &Bytes,
    ) -> Result<(), MediaError> {
        if !self.validate_nal_units || !matches!(codec, VideoCodec::Avc | VideoCodec::Hevc) {
            return Ok(());
        }
        match self.nal_length_size.get(slot) {
            Some(&size) if size != 0 => NalUnits::validate(data, size).map(|_| ()),
            _ => Ok(()),
        }
    }

    /// Demuxes an audio message body stamped `timestamp` (ms). An empty body
    /// (the legacy "silence" message) yields nothing. On error nothing is appended.
    pub fn demux_audio(
        &mut self,
        timestamp: u32,
        body: &Bytes,
        out: &mut Vec<MediaEvent>,
    ) -> Result<(), MediaError> {
        if body.is_empty() {
            return Ok(());
        }
        let tag = AudioTag::parse(body)?;
        let nanos = nanos_of(&tag.framing)?;
        let mut events = Vec::with_capacity(tag.packets.len());
        for p in tag.packets {
            events.push(match p.data {
                AudioData::SequenceStart(config) => {
                    if p.codec == AudioCodec::Aac {
                        AacConfig::parse(&config)?;
                    }
                    MediaEvent::Codec(CodecConfig {
                        track: p.track,
                        codec: Codec::Audio(p.codec),
                        timestamp,
                        config,
                        mpeg2ts: false,
                    })
                }
                AudioData::CodedFrames(payload) => MediaEvent::Sample(Sample {
                    track: p.track,
                    codec: Codec::Audio(p.codec),
                    dts: timestamp,
                    composition_time: 0,
                    nanos,
                    keyframe: true,
                    payload,
                }),
                AudioData::SequenceEnd => MediaEvent::SequenceEnd {
                    track: p.track,
                    codec: Codec::Audio(p.codec),
                    timestamp,
                },
                AudioData::MultichannelConfig(config) => MediaEvent::AudioChannels {
                    track: p.track,
                    codec: p.codec,
                    timestamp,
                    config,
                },
            });
        }
        out.extend(events);
        Ok(())
    }
}

/// The TimestampOffsetNano of a tag's ModEx entries (the last one wins), or 0.
fn nanos_of(framing: &Framing) -> Result<u32, MediaError> {
    let mut nanos = 0;
    if let Framing::Enhanced { modex, .. } = framing {
        for m in modex {
            if let Some(n) = ModEx::nanos(m) {
                nanos = n?;
            }
        }
    }
    Ok(nanos)
}

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
        let mut configured = Vec::new();
        match self.video_events(timestamp, tag, out, &mut configured) {
            Ok(()) => {
                // Only a tag that demuxed whole changes the demuxer's state.
                for (slot, size) in configured {
                    if let Some(s) = self.nal_length_size.get_mut(slot) {
                        *s = size;
                    }
                }
                Ok(())
            }
            Err(e) => {
                out.truncate(start);
                Err(e)
            }
        }
    }

    /// Appends the tag's events; `configured` collects (track, NAL length
    /// size) for the configurations it carries.
    fn video_events(
        &self,
        timestamp: u32,
        tag: VideoTag,
        out: &mut Vec<MediaEvent>,
        configured: &mut Vec<(usize, u8)>,
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
                    configured.push((slot, size));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal AVC record with 4-byte NAL lengths.
    const AVCC: &[u8] = &[1, 0x42, 0, 0x1e, 0xff, 0xe1, 0, 1, 0x67, 1, 0, 1, 0x68];

    fn seq_header() -> Bytes {
        let mut b = alloc::vec![0x17, 0, 0, 0, 0];
        b.extend_from_slice(AVCC);
        Bytes::from(b)
    }

    fn video(d: &mut Demuxer, ts: u32, body: &[u8]) -> Result<Vec<MediaEvent>, MediaError> {
        let mut out = Vec::new();
        d.demux_video(ts, &Bytes::copy_from_slice(body), &mut out)?;
        Ok(out)
    }

    #[test]
    fn sequence_header_becomes_a_codec_event() {
        let mut d = Demuxer::new();
        let events = video(&mut d, 0, &seq_header()).unwrap();
        assert_eq!(
            events,
            [MediaEvent::Codec(CodecConfig {
                track: TrackId(0),
                codec: Codec::Video(VideoCodec::Avc),
                timestamp: 0,
                config: Bytes::from_static(AVCC),
                mpeg2ts: false,
            })]
        );
    }

    #[test]
    fn invalid_avc_record_is_an_error() {
        let mut d = Demuxer::new();
        assert!(matches!(
            video(&mut d, 0, &[0x17, 0, 0, 0, 0, 2]),
            Err(MediaError::BadAvcConfig(_))
        ));
    }

    #[test]
    fn pts_is_dts_plus_composition_time() {
        let mut d = Demuxer::new();
        let events = video(&mut d, 1000, &[0x17, 1, 0, 0, 80, 0, 0, 0, 1, 0x65]).unwrap();
        let MediaEvent::Sample(s) = &events[0] else {
            panic!()
        };
        assert_eq!((s.dts, s.pts(), s.keyframe), (1000, 1080, true));
        assert_eq!(s.payload, Bytes::from_static(&[0, 0, 0, 1, 0x65]));
    }

    #[test]
    fn negative_composition_time_gives_pts_before_dts() {
        let mut d = Demuxer::new();
        let events = video(&mut d, 0, &[0x27, 1, 0xff, 0xff, 0xff]).unwrap();
        let MediaEvent::Sample(s) = &events[0] else {
            panic!()
        };
        assert_eq!((s.pts(), s.keyframe), (-1, false));
    }

    #[test]
    fn avc_sample_with_broken_nal_framing_is_an_error_once_configured() {
        let mut d = Demuxer::new();
        let broken = [0x27, 1, 0, 0, 0, 0, 0, 0, 9, 0x41];
        assert!(
            video(&mut d, 0, &broken).is_ok(),
            "unknown NAL length size: not checked"
        );
        video(&mut d, 0, &seq_header()).unwrap();
        assert_eq!(video(&mut d, 40, &broken), Err(MediaError::BadNalUnit));
        d.set_validate_nal_units(false);
        assert!(video(&mut d, 40, &broken).is_ok());
    }

    #[test]
    fn timestamp_offset_nano_reaches_the_sample() {
        let mut d = Demuxer::new();
        let events = video(&mut d, 5, b"\x97\x02\x00\x03\xe8\x03vp09F").unwrap();
        let MediaEvent::Sample(s) = &events[0] else {
            panic!()
        };
        assert_eq!((s.dts, s.nanos), (5, 1000));
    }

    #[test]
    fn short_timestamp_offset_nano_is_an_error() {
        let mut d = Demuxer::new();
        assert_eq!(
            video(&mut d, 5, b"\x97\x00\x07\x03vp09F"),
            Err(MediaError::BadModEx)
        );
    }

    #[test]
    fn multitrack_tag_gives_one_event_per_track() {
        let mut d = Demuxer::new();
        let events = video(
            &mut d,
            9,
            b"\x96\x13av01\x00\x00\x00\x02AA\x01\x00\x00\x01B",
        )
        .unwrap();
        let tracks: Vec<TrackId> = events
            .iter()
            .map(|e| match e {
                MediaEvent::Sample(s) => s.track,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(tracks, [TrackId(0), TrackId(1)]);
    }

    #[test]
    fn empty_bodies_yield_nothing() {
        let mut d = Demuxer::new();
        let mut out = Vec::new();
        d.demux_audio(0, &Bytes::new(), &mut out).unwrap();
        d.demux_video(0, &Bytes::new(), &mut out).unwrap();
        assert!(out.is_empty());
    }

    #[test]
    fn audio_samples_are_keyframes_at_the_message_time() {
        let mut d = Demuxer::new();
        let mut out = Vec::new();
        d.demux_audio(23, &Bytes::from_static(&[0xaf, 1, 0x21]), &mut out)
            .unwrap();
        let MediaEvent::Sample(s) = &out[0] else {
            panic!()
        };
        assert_eq!(
            (s.dts, s.pts(), s.keyframe, s.codec),
            (23, 23, true, Codec::Audio(AudioCodec::Aac))
        );
    }

    #[test]
    fn invalid_audio_specific_config_is_an_error() {
        let mut d = Demuxer::new();
        let mut out = Vec::new();
        let r = d.demux_audio(0, &Bytes::from_static(&[0xaf, 0, 0x12]), &mut out);
        assert!(matches!(r, Err(MediaError::BadAacConfig(_))));
    }

    #[test]
    fn failed_tag_appends_nothing() {
        let mut d = Demuxer::new();
        video(&mut d, 0, &seq_header()).unwrap();
        let mut track1 = b"\x96\x00avc1\x01".to_vec();
        track1.extend_from_slice(AVCC);
        video(&mut d, 0, &track1).unwrap();
        let mut out = Vec::new();
        // Two tracks: track 0 is fine, track 1 has broken NAL framing.
        let body =
            b"\x96\x13avc1\x00\x00\x00\x05\x00\x00\x00\x01\x65\x01\x00\x00\x04\x00\x00\x00\x09";
        assert_eq!(
            d.demux_video(0, &Bytes::from_static(body), &mut out),
            Err(MediaError::BadNalUnit)
        );
        assert!(out.is_empty());
    }

    #[test]
    fn failed_tag_leaves_the_configuration_unchanged() {
        let mut d = Demuxer::new();
        // Two sequence starts: track 0 valid, track 1 not an AVC record.
        let mut body = b"\x96\x10avc1\x00\x00\x00\x0d".to_vec();
        body.extend_from_slice(AVCC);
        body.extend_from_slice(b"\x01\x00\x00\x01\x07");
        assert!(matches!(
            video(&mut d, 0, &body),
            Err(MediaError::BadAvcConfig(_))
        ));
        let broken = [0x27, 1, 0, 0, 0, 0, 0, 0, 9, 0x41];
        assert!(
            video(&mut d, 40, &broken).is_ok(),
            "track 0 must still be unconfigured"
        );
    }
}

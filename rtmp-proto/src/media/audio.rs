//! Audio tag bodies: the legacy AudioTagHeader (FLV v10.1 E.4.2) and the
//! Enhanced RTMP v2 ExAudioTagHeader (FourCC codecs, ModEx, multitrack,
//! multichannel configuration).

use alloc::vec::Vec;

use bytes::Bytes;

use super::MediaError;
use super::codec::{AudioCodec, FourCc, LegacySound, TrackId};
use super::cursor::Cursor;
use super::enhanced::{
    EnhancedPacket, Framing, read_modex, read_multitrack, read_tracks, write_packets,
};

/// SoundFormat of AAC.
const FORMAT_AAC: u8 = 10;
/// SoundFormat signalling the ExAudioTagHeader.
const FORMAT_EX_HEADER: u8 = 9;
/// Audio packet type of Multitrack.
const PACKET_TYPE_MULTITRACK: u8 = 5;
/// The header byte ffmpeg and the FLV spec use for AAC: 44 kHz, 16-bit, stereo.
const AAC_HEADER_BYTE: u8 = 0xaf;

/// The speaker order of a multichannel configuration (AudioChannelOrder).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ChannelOrder {
    /// Only the channel count is known.
    Unspecified,
    /// Channels in the native order; `flags` is the AudioChannelMask of those present.
    Native {
        /// AudioChannelMask bits of the channels present.
        flags: u32,
    },
    /// An explicit AudioChannel per channel, in bitstream order (one byte each).
    Custom(Bytes),
}

/// An Enhanced RTMP multichannel configuration (AudioPacketType 4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MultichannelConfig {
    /// The number of channels.
    pub channel_count: u8,
    /// Their order; a custom map has exactly `channel_count` entries.
    pub order: ChannelOrder,
}

impl MultichannelConfig {
    fn parse(cur: &mut Cursor) -> Result<Self, MediaError> {
        let order = cur.u8("audio channel order")?;
        let channel_count = cur.u8("channel count")?;
        let order = match order {
            0 => ChannelOrder::Unspecified,
            1 => ChannelOrder::Native {
                flags: cur.u32("audio channel flags")?,
            },
            2 => {
                ChannelOrder::Custom(cur.take(usize::from(channel_count), "audio channel mapping")?)
            }
            other => return Err(MediaError::UnknownChannelOrder(other)),
        };
        Ok(Self {
            channel_count,
            order,
        })
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), MediaError> {
        match &self.order {
            ChannelOrder::Unspecified => out.extend_from_slice(&[0, self.channel_count]),
            ChannelOrder::Native { flags } => {
                out.extend_from_slice(&[1, self.channel_count]);
                out.extend_from_slice(&flags.to_be_bytes());
            }
            ChannelOrder::Custom(map) => {
                if map.len() != usize::from(self.channel_count) {
                    return Err(MediaError::Unrepresentable(
                        "channel map length differs from the channel count",
                    ));
                }
                out.extend_from_slice(&[2, self.channel_count]);
                out.extend_from_slice(map);
            }
        }
        Ok(())
    }
}

/// What one track of an audio tag carries (AudioPacketType / AACPacketType).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AudioData {
    /// The decoder configuration (AudioSpecificConfig, Opus ID header, FLAC STREAMINFO, ...).
    SequenceStart(Bytes),
    /// Coded audio frames.
    CodedFrames(Bytes),
    /// End of sequence (enhanced only).
    SequenceEnd,
    /// Channel layout for codecs that do not describe it themselves (enhanced only).
    MultichannelConfig(MultichannelConfig),
}

impl AudioData {
    fn enhanced_packet_type(&self) -> u8 {
        match self {
            Self::SequenceStart(_) => 0,
            Self::CodedFrames(_) => 1,
            Self::SequenceEnd => 2,
            Self::MultichannelConfig(_) => 4,
        }
    }
}

/// One track's packet in an audio tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AudioPacket {
    /// The track (0 for legacy and non-multitrack tags).
    pub track: TrackId,
    /// The codec.
    pub codec: AudioCodec,
    /// The payload.
    pub data: AudioData,
}

impl EnhancedPacket for AudioPacket {
    const MULTITRACK_CODE: u8 = PACKET_TYPE_MULTITRACK;
    const LEGACY_CODEC: &'static str = "legacy sound format in enhanced framing";

    fn track(&self) -> TrackId {
        self.track
    }

    fn packet_type(&self) -> u8 {
        self.data.enhanced_packet_type()
    }

    fn fourcc(&self) -> Option<FourCc> {
        self.codec.fourcc()
    }

    fn write_body(&self, out: &mut Vec<u8>) -> Result<(), MediaError> {
        match &self.data {
            AudioData::SequenceStart(d) | AudioData::CodedFrames(d) => {
                out.extend_from_slice(d);
                Ok(())
            }
            AudioData::SequenceEnd => Ok(()),
            AudioData::MultichannelConfig(m) => m.encode(out),
        }
    }
}

/// A parsed audio tag body (an RTMP audio message body).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AudioTag {
    /// Legacy or enhanced framing, with ModEx and multitrack details.
    pub framing: Framing,
    /// The packets, one per track; all of the same kind in a multitrack tag.
    pub packets: Vec<AudioPacket>,
}

impl AudioTag {
    /// The most tracks one multitrack tag may carry.
    pub const MAX_TRACKS: usize = super::enhanced::MAX_TRACKS;

    /// Parses an audio tag body. Slices of `body` are shared, not copied.
    /// An empty body (the legacy "silence" message) is [`MediaError::EmptyBody`].
    pub fn parse(body: &Bytes) -> Result<Self, MediaError> {
        let mut cur = Cursor::new(body.clone());
        let first = cur
            .u8("audio tag header")
            .map_err(|_| MediaError::EmptyBody)?;
        let format = first >> 4;
        if format != FORMAT_EX_HEADER {
            let data = if format == FORMAT_AAC {
                match cur.u8("AACPacketType")? {
                    0 => AudioData::SequenceStart(cur.rest()),
                    1 => AudioData::CodedFrames(cur.rest()),
                    other => return Err(MediaError::UnknownPacketType(other)),
                }
            } else {
                AudioData::CodedFrames(cur.rest())
            };
            let codec = if format == FORMAT_AAC {
                AudioCodec::Aac
            } else {
                AudioCodec::Legacy(LegacySound::from_header_byte(first))
            };
            return Ok(Self {
                framing: Framing::Legacy,
                packets: alloc::vec![AudioPacket {
                    track: TrackId(0),
                    codec,
                    data,
                }],
            });
        }
        let (modex, packet_type) = read_modex(&mut cur, first & 0x0f)?;
        let (multitrack, packet_type, shared) =
            read_multitrack(&mut cur, packet_type, PACKET_TYPE_MULTITRACK)?;
        let mut packets = Vec::new();
        for (track, fourcc, mut body) in read_tracks(&mut cur, multitrack, shared)? {
            let data = match packet_type {
                0 => AudioData::SequenceStart(body.rest()),
                1 => AudioData::CodedFrames(body.rest()),
                2 => AudioData::SequenceEnd,
                4 => AudioData::MultichannelConfig(MultichannelConfig::parse(&mut body)?),
                other => return Err(MediaError::UnknownPacketType(other)),
            };
            packets.push(AudioPacket {
                track,
                codec: AudioCodec::from_fourcc(fourcc),
                data,
            });
        }
        Ok(Self {
            framing: Framing::Enhanced { modex, multitrack },
            packets,
        })
    }

    /// Appends the encoded tag body to `out`. On error `out` may hold a partial body.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), MediaError> {
        match &self.framing {
            Framing::Legacy => {
                let [packet] = self.packets.as_slice() else {
                    return Err(MediaError::Unrepresentable(
                        "legacy framing carries exactly one packet",
                    ));
                };
                encode_legacy(packet, out)
            }
            Framing::Enhanced { modex, multitrack } => write_packets(
                out,
                FORMAT_EX_HEADER << 4,
                modex,
                *multitrack,
                &self.packets,
            ),
        }
    }

    /// The encoded tag body as `Bytes`.
    pub fn to_bytes(&self) -> Result<Bytes, MediaError> {
        let mut out = Vec::new();
        self.encode(&mut out)?;
        Ok(Bytes::from(out))
    }
}

fn encode_legacy(packet: &AudioPacket, out: &mut Vec<u8>) -> Result<(), MediaError> {
    if packet.track != TrackId(0) {
        return Err(MediaError::Unrepresentable(
            "legacy framing is track 0 only",
        ));
    }
    match (packet.codec, &packet.data) {
        (AudioCodec::Aac, AudioData::SequenceStart(d)) => {
            out.extend_from_slice(&[AAC_HEADER_BYTE, 0]);
            out.extend_from_slice(d);
            Ok(())
        }
        (AudioCodec::Aac, AudioData::CodedFrames(d)) => {
            out.extend_from_slice(&[AAC_HEADER_BYTE, 1]);
            out.extend_from_slice(d);
            Ok(())
        }
        (AudioCodec::Legacy(s), AudioData::CodedFrames(d))
            if s.format != FORMAT_AAC
                && s.format != FORMAT_EX_HEADER
                && s.format < 16
                && s.rate < 4 =>
        {
            out.push(s.header_byte());
            out.extend_from_slice(d);
            Ok(())
        }
        _ => Err(MediaError::Unrepresentable(
            "legacy audio carries AAC config/frames or legacy-format frames only",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::FourCc;

    fn parse(b: &[u8]) -> Result<AudioTag, MediaError> {
        AudioTag::parse(&Bytes::copy_from_slice(b))
    }

    #[test]
    fn legacy_aac_sequence_header_is_a_sequence_start() {
        let tag = parse(&[0xaf, 0, 0x12, 0x10]).unwrap();
        assert_eq!(tag.framing, Framing::Legacy);
        assert_eq!(tag.packets[0].codec, AudioCodec::Aac);
        assert_eq!(
            tag.packets[0].data,
            AudioData::SequenceStart(Bytes::from_static(&[0x12, 0x10]))
        );
    }

    #[test]
    fn legacy_aac_raw_frame_is_coded_frames() {
        let tag = parse(&[0xaf, 1, 0x21, 0x00]).unwrap();
        assert_eq!(
            tag.packets[0].data,
            AudioData::CodedFrames(Bytes::from_static(&[0x21, 0x00]))
        );
    }

    #[test]
    fn legacy_aac_packet_type_2_is_unknown() {
        assert_eq!(parse(&[0xaf, 2]), Err(MediaError::UnknownPacketType(2)));
    }

    #[test]
    fn legacy_mp3_keeps_its_rate_size_and_type_bits() {
        let tag = parse(&[0x2e, 0xff, 0xfb]).unwrap();
        let AudioCodec::Legacy(s) = tag.packets[0].codec else {
            panic!()
        };
        assert_eq!(
            s,
            LegacySound {
                format: 2,
                rate: 3,
                sixteen_bit: true,
                stereo: false,
            }
        );
        assert!(tag.packets[0].codec.is_mp3());
        assert_eq!(tag.to_bytes().unwrap().as_ref(), &[0x2e, 0xff, 0xfb]);
    }

    #[test]
    fn empty_body_is_the_silence_message() {
        assert_eq!(parse(&[]), Err(MediaError::EmptyBody));
    }

    #[test]
    fn enhanced_opus_sequence_start() {
        let tag = parse(b"\x90OpusOpusHead").unwrap();
        assert_eq!(tag.packets[0].codec, AudioCodec::Opus);
        assert_eq!(
            tag.packets[0].data,
            AudioData::SequenceStart(Bytes::from_static(b"OpusHead"))
        );
    }

    #[test]
    fn enhanced_unknown_fourcc_is_kept() {
        let tag = parse(b"\x91zzzzX").unwrap();
        assert_eq!(tag.packets[0].codec, AudioCodec::Unknown(FourCc(*b"zzzz")));
    }

    #[test]
    fn enhanced_reserved_packet_type_is_rejected() {
        assert_eq!(parse(b"\x93mp4a"), Err(MediaError::UnknownPacketType(3)));
    }

    #[test]
    fn multichannel_config_with_custom_order_maps_each_channel() {
        let tag = parse(b"\x94Opus\x02\x03\x00\x01\x03").unwrap();
        assert_eq!(
            tag.packets[0].data,
            AudioData::MultichannelConfig(MultichannelConfig {
                channel_count: 3,
                order: ChannelOrder::Custom(Bytes::from_static(&[0, 1, 3])),
            })
        );
    }

    #[test]
    fn multichannel_config_with_native_order_has_channel_flags() {
        let tag = parse(b"\x94Opus\x01\x02\x00\x00\x00\x03").unwrap();
        assert_eq!(
            tag.packets[0].data,
            AudioData::MultichannelConfig(MultichannelConfig {
                channel_count: 2,
                order: ChannelOrder::Native { flags: 3 },
            })
        );
    }

    #[test]
    fn multichannel_config_with_reserved_order_is_rejected() {
        assert_eq!(
            parse(b"\x94Opus\x03\x02"),
            Err(MediaError::UnknownChannelOrder(3))
        );
    }

    #[test]
    fn multitrack_audio_many_tracks_one_codec() {
        let tag = parse(b"\x95\x11mp4a\x00\x00\x00\x01A\x05\x00\x00\x02BB").unwrap();
        assert_eq!(tag.packets.len(), 2);
        assert_eq!(tag.packets[1].track, TrackId(5));
        assert_eq!(
            tag.packets[1].data,
            AudioData::CodedFrames(Bytes::from_static(b"BB"))
        );
    }

    #[test]
    fn multitrack_audio_body_cut_short_is_truncated() {
        assert_eq!(
            parse(b"\x95\x11mp4a\x00\x00"),
            Err(MediaError::Truncated("track size"))
        );
    }

    #[test]
    fn legacy_framing_cannot_carry_opus() {
        let tag = AudioTag {
            framing: Framing::Legacy,
            packets: alloc::vec![AudioPacket {
                track: TrackId(0),
                codec: AudioCodec::Opus,
                data: AudioData::CodedFrames(Bytes::new()),
            }],
        };
        assert!(matches!(
            tag.to_bytes(),
            Err(MediaError::Unrepresentable(_))
        ));
    }
}

//! Video tag bodies: the legacy VideoTagHeader (FLV v10.1 E.4.3) and the
//! Enhanced RTMP ExVideoTagHeader (v1 FourCC codecs, v2 ModEx and multitrack).

use alloc::vec::Vec;

use bytes::Bytes;

use super::MediaError;
use super::codec::{FourCc, TrackId, VideoCodec};
use super::cursor::{Cursor, fits_i24, put_i24};
use super::enhanced::{
    EnhancedPacket, Framing, read_modex, read_multitrack, read_tracks, write_modex, write_packets,
};

/// Legacy codec id of AVC.
const CODEC_ID_AVC: u8 = 7;
/// Video packet type of Multitrack.
const PACKET_TYPE_MULTITRACK: u8 = 6;
/// Video packet type of Metadata.
const PACKET_TYPE_METADATA: u8 = 4;

/// VideoFrameType: the 3 bits after the IsExHeader bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VideoFrameType {
    /// 1: a seekable frame.
    Key,
    /// 2: a non-seekable frame.
    Inter,
    /// 3: a disposable inter frame (H.263 only).
    Disposable,
    /// 4: a generated key frame (server use).
    GeneratedKey,
    /// 5: a command frame; the body holds a [`VideoCommand`], not video.
    Command,
}

impl VideoFrameType {
    /// The 3-bit code.
    pub fn code(self) -> u8 {
        match self {
            Self::Key => 1,
            Self::Inter => 2,
            Self::Disposable => 3,
            Self::GeneratedKey => 4,
            Self::Command => 5,
        }
    }

    /// The frame type for a 3-bit code; 0, 6 and 7 are reserved.
    pub fn from_code(c: u8) -> Result<Self, MediaError> {
        match c {
            1 => Ok(Self::Key),
            2 => Ok(Self::Inter),
            3 => Ok(Self::Disposable),
            4 => Ok(Self::GeneratedKey),
            5 => Ok(Self::Command),
            other => Err(MediaError::ReservedFrameType(other)),
        }
    }

    /// Whether a decoder can start here (key or generated key frame).
    pub fn is_key(self) -> bool {
        matches!(self, Self::Key | Self::GeneratedKey)
    }
}

/// The byte of a command frame: 0 starts and 1 ends client-side seeking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VideoCommand(pub u8);

impl VideoCommand {
    /// Start of a client-side seeking frame sequence.
    pub const START_SEEK: Self = Self(0);
    /// End of a client-side seeking frame sequence.
    pub const END_SEEK: Self = Self(1);
}

/// What one track of a video tag carries (VideoPacketType / AVCPacketType).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum VideoData {
    /// The decoder configuration record (e.g. AVCDecoderConfigurationRecord, hvcC, av1C, vpcC).
    SequenceStart(Bytes),
    /// Coded frames with a composition time offset in milliseconds (pts - dts).
    /// Codecs other than AVC/HEVC/VVC carry none on the enhanced wire, so it must be 0 for them.
    CodedFrames {
        /// The composition time offset, a signed 24-bit number of milliseconds.
        composition_time: i32,
        /// The coded data (length-prefixed NAL units for AVC/HEVC/VVC).
        data: Bytes,
    },
    /// Coded frames with an implied composition time offset of 0 (enhanced only).
    CodedFramesX(Bytes),
    /// End of sequence.
    SequenceEnd,
    /// AMF-encoded metadata such as `colorInfo` (enhanced only).
    Metadata(Bytes),
    /// The sequence start carried in MPEG-2 TS form (enhanced only).
    Mpeg2TsSequenceStart(Bytes),
}

impl VideoData {
    fn enhanced_packet_type(&self) -> u8 {
        match self {
            Self::SequenceStart(_) => 0,
            Self::CodedFrames { .. } => 1,
            Self::SequenceEnd => 2,
            Self::CodedFramesX(_) => 3,
            Self::Metadata(_) => PACKET_TYPE_METADATA,
            Self::Mpeg2TsSequenceStart(_) => 5,
        }
    }
}

/// One track's packet in a video tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VideoPacket {
    /// The track (0 for legacy and non-multitrack tags).
    pub track: TrackId,
    /// The codec.
    pub codec: VideoCodec,
    /// The payload.
    pub data: VideoData,
}

/// What a video tag holds after its header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum VideoTagContent {
    /// Video packets, one per track; all of the same kind in a multitrack tag.
    Packets(Vec<VideoPacket>),
    /// A command frame.
    Command {
        /// The legacy codec id's codec (`None` in enhanced framing, which has no FourCC here).
        codec: Option<VideoCodec>,
        /// The command.
        command: VideoCommand,
    },
}

/// A parsed video tag body (an RTMP video message body).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VideoTag {
    /// The frame type (ignored by receivers for Metadata packets).
    pub frame_type: VideoFrameType,
    /// Legacy or enhanced framing, with ModEx and multitrack details.
    pub framing: Framing,
    /// The packets or the command.
    pub content: VideoTagContent,
}

impl VideoTag {
    /// Parses a video tag body. Slices of `body` are shared, not copied.
    pub fn parse(body: &Bytes) -> Result<Self, MediaError> {
        let mut cur = Cursor::new(body.clone());
        let first = cur
            .u8("video tag header")
            .map_err(|_| MediaError::EmptyBody)?;
        let frame_type = VideoFrameType::from_code((first >> 4) & 7)?;
        let low = first & 0x0f;
        if first & 0x80 == 0 {
            return Self::parse_legacy(frame_type, low, &mut cur);
        }
        let (modex, packet_type) = read_modex(&mut cur, low)?;
        if frame_type == VideoFrameType::Command && packet_type != PACKET_TYPE_METADATA {
            let command = VideoCommand(cur.u8("video command")?);
            return Ok(Self {
                frame_type,
                framing: Framing::Enhanced {
                    modex,
                    multitrack: None,
                },
                content: VideoTagContent::Command {
                    codec: None,
                    command,
                },
            });
        }
        let (multitrack, packet_type, shared) =
            read_multitrack(&mut cur, packet_type, PACKET_TYPE_MULTITRACK)?;
        let mut packets = Vec::new();
        for (track, fourcc, mut body) in read_tracks(&mut cur, multitrack, shared)? {
            let codec = VideoCodec::from_fourcc(fourcc);
            let data = match packet_type {
                0 => VideoData::SequenceStart(body.rest()),
                1 => {
                    let composition_time = if codec.has_composition_time() {
                        body.i24("composition time")?
                    } else {
                        0
                    };
                    VideoData::CodedFrames {
                        composition_time,
                        data: body.rest(),
                    }
                }
                2 => VideoData::SequenceEnd,
                3 => VideoData::CodedFramesX(body.rest()),
                PACKET_TYPE_METADATA => VideoData::Metadata(body.rest()),
                5 => VideoData::Mpeg2TsSequenceStart(body.rest()),
                other => return Err(MediaError::UnknownPacketType(other)),
            };
            packets.push(VideoPacket { track, codec, data });
        }
        Ok(Self {
            frame_type,
            framing: Framing::Enhanced { modex, multitrack },
            content: VideoTagContent::Packets(packets),
        })
    }

    fn parse_legacy(
        frame_type: VideoFrameType,
        codec_id: u8,
        cur: &mut Cursor,
    ) -> Result<Self, MediaError> {
        let codec = if codec_id == CODEC_ID_AVC {
            VideoCodec::Avc
        } else {
            VideoCodec::Legacy(codec_id)
        };
        if frame_type == VideoFrameType::Command {
            let command = VideoCommand(cur.u8("video command")?);
            return Ok(Self {
                frame_type,
                framing: Framing::Legacy,
                content: VideoTagContent::Command {
                    codec: Some(codec),
                    command,
                },
            });
        }
        let data = if codec == VideoCodec::Avc {
            let packet_type = cur.u8("AVCPacketType")?;
            let composition_time = cur.i24("composition time")?;
            match packet_type {
                0 => VideoData::SequenceStart(cur.rest()),
                1 => VideoData::CodedFrames {
                    composition_time,
                    data: cur.rest(),
                },
                2 => VideoData::SequenceEnd,
                other => return Err(MediaError::UnknownPacketType(other)),
            }
        } else {
            VideoData::CodedFrames {
                composition_time: 0,
                data: cur.rest(),
            }
        };
        Ok(Self {
            frame_type,
            framing: Framing::Legacy,
            content: VideoTagContent::Packets(alloc::vec![VideoPacket {
                track: TrackId(0),
                codec,
                data,
            }]),
        })
    }

    /// Appends the encoded tag body to `out`. On error `out` may hold a partial body.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), MediaError> {
        let high = self.frame_type.code() << 4;
        match (&self.framing, &self.content) {
            (Framing::Legacy, VideoTagContent::Command { codec, command }) => {
                let id = match codec {
                    Some(VideoCodec::Avc) => CODEC_ID_AVC,
                    Some(VideoCodec::Legacy(id)) if *id < 16 && *id != CODEC_ID_AVC => *id,
                    Some(_) | None => {
                        return Err(MediaError::Unrepresentable(
                            "legacy framing needs a legacy codec id",
                        ));
                    }
                };
                out.extend_from_slice(&[high | id, command.0]);
                Ok(())
            }
            (Framing::Legacy, VideoTagContent::Packets(packets)) => {
                let [packet] = packets.as_slice() else {
                    return Err(MediaError::Unrepresentable(
                        "legacy framing carries exactly one packet",
                    ));
                };
                encode_legacy(high, packet, out)
            }
            (
                Framing::Enhanced { modex, multitrack },
                VideoTagContent::Command { codec, command },
            ) => {
                if multitrack.is_some()
                    || codec.is_some()
                    || self.frame_type != VideoFrameType::Command
                {
                    return Err(MediaError::Unrepresentable(
                        "an enhanced command has no track, codec or other frame type",
                    ));
                }
                // The packet type nibble is not interpreted for commands: write 0.
                write_modex(out, 0x80 | high, modex, 0)?;
                out.push(command.0);
                Ok(())
            }
            (Framing::Enhanced { modex, multitrack }, VideoTagContent::Packets(packets)) => {
                if self.frame_type == VideoFrameType::Command
                    && packets
                        .first()
                        .is_some_and(|p| p.packet_type() != PACKET_TYPE_METADATA)
                {
                    return Err(MediaError::Unrepresentable(
                        "command frame type with video packets",
                    ));
                }
                write_packets(out, 0x80 | high, modex, *multitrack, packets)
            }
        }
    }

    /// The encoded tag body as `Bytes`.
    pub fn to_bytes(&self) -> Result<Bytes, MediaError> {
        let mut out = Vec::new();
        self.encode(&mut out)?;
        Ok(Bytes::from(out))
    }
}

fn encode_legacy(high: u8, packet: &VideoPacket, out: &mut Vec<u8>) -> Result<(), MediaError> {
    if packet.track != TrackId(0) {
        return Err(MediaError::Unrepresentable(
            "legacy framing is track 0 only",
        ));
    }
    match packet.codec {
        VideoCodec::Avc => {
            let (packet_type, cts, data): (u8, i32, &[u8]) = match &packet.data {
                VideoData::SequenceStart(d) => (0, 0, d),
                VideoData::CodedFrames {
                    composition_time,
                    data,
                } => (1, *composition_time, data),
                VideoData::CodedFramesX(d) => (1, 0, d),
                VideoData::SequenceEnd => (2, 0, &[]),
                _ => {
                    return Err(MediaError::Unrepresentable(
                        "legacy AVC has no metadata or MPEG-2 TS packets",
                    ));
                }
            };
            if !fits_i24(cts) {
                return Err(MediaError::Unrepresentable("composition time outside SI24"));
            }
            out.push(high | CODEC_ID_AVC);
            out.push(packet_type);
            put_i24(out, cts);
            out.extend_from_slice(data);
            Ok(())
        }
        VideoCodec::Legacy(id) if id < 16 && id != CODEC_ID_AVC => match &packet.data {
            VideoData::CodedFrames {
                composition_time: 0,
                data,
            }
            | VideoData::CodedFramesX(data) => {
                out.push(high | id);
                out.extend_from_slice(data);
                Ok(())
            }
            _ => Err(MediaError::Unrepresentable(
                "legacy codecs carry coded frames only",
            )),
        },
        _ => Err(MediaError::Unrepresentable(
            "legacy framing needs AVC or a legacy codec id",
        )),
    }
}

impl EnhancedPacket for VideoPacket {
    const MULTITRACK_CODE: u8 = PACKET_TYPE_MULTITRACK;
    const LEGACY_CODEC: &'static str = "legacy codec in enhanced framing";

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
        encode_enhanced_data(self, out)
    }
}

fn encode_enhanced_data(p: &VideoPacket, out: &mut Vec<u8>) -> Result<(), MediaError> {
    match &p.data {
        VideoData::SequenceStart(d)
        | VideoData::CodedFramesX(d)
        | VideoData::Metadata(d)
        | VideoData::Mpeg2TsSequenceStart(d) => {
            out.extend_from_slice(d);
        }
        VideoData::SequenceEnd => {}
        VideoData::CodedFrames {
            composition_time,
            data,
        } => {
            if p.codec.has_composition_time() {
                if !fits_i24(*composition_time) {
                    return Err(MediaError::Unrepresentable("composition time outside SI24"));
                }
                put_i24(out, *composition_time);
            } else if *composition_time != 0 {
                return Err(MediaError::Unrepresentable(
                    "this codec carries no composition time",
                ));
            }
            out.extend_from_slice(data);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{ModEx, MultitrackType};

    fn parse(b: &[u8]) -> Result<VideoTag, MediaError> {
        VideoTag::parse(&Bytes::copy_from_slice(b))
    }

    fn only_packet(tag: &VideoTag) -> &VideoPacket {
        match &tag.content {
            VideoTagContent::Packets(p) if p.len() == 1 => &p[0],
            other => panic!("expected one packet, got {other:?}"),
        }
    }

    #[test]
    fn legacy_avc_sequence_header_is_a_sequence_start() {
        let tag = parse(&[0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f]).unwrap();
        assert_eq!(tag.frame_type, VideoFrameType::Key);
        assert_eq!(tag.framing, Framing::Legacy);
        let p = only_packet(&tag);
        assert_eq!(p.codec, VideoCodec::Avc);
        assert_eq!(
            p.data,
            VideoData::SequenceStart(Bytes::from_static(&[1, 0x64, 0, 0x1f]))
        );
    }

    #[test]
    fn legacy_avc_nalu_carries_a_signed_composition_time() {
        let tag = parse(&[0x27, 1, 0xff, 0xff, 0xd8, 0, 0, 0, 1, 0x41]).unwrap();
        assert_eq!(tag.frame_type, VideoFrameType::Inter);
        assert_eq!(
            only_packet(&tag).data,
            VideoData::CodedFrames {
                composition_time: -40,
                data: Bytes::from_static(&[0, 0, 0, 1, 0x41]),
            }
        );
    }

    #[test]
    fn legacy_avc_end_of_sequence() {
        let tag = parse(&[0x17, 2, 0, 0, 0]).unwrap();
        assert_eq!(only_packet(&tag).data, VideoData::SequenceEnd);
    }

    #[test]
    fn legacy_avc_packet_type_3_is_unknown() {
        assert_eq!(
            parse(&[0x17, 3, 0, 0, 0]),
            Err(MediaError::UnknownPacketType(3))
        );
    }

    #[test]
    fn legacy_avc_header_cut_short_is_truncated() {
        assert_eq!(
            parse(&[0x17, 1, 0]),
            Err(MediaError::Truncated("composition time"))
        );
    }

    #[test]
    fn legacy_h263_passes_through_opaquely() {
        let tag = parse(&[0x32, 0xaa, 0xbb]).unwrap();
        assert_eq!(tag.frame_type, VideoFrameType::Disposable);
        let p = only_packet(&tag);
        assert_eq!(p.codec, VideoCodec::Legacy(2));
        assert_eq!(
            p.data,
            VideoData::CodedFrames {
                composition_time: 0,
                data: Bytes::from_static(&[0xaa, 0xbb]),
            }
        );
    }

    #[test]
    fn reserved_frame_types_are_rejected() {
        assert_eq!(
            parse(&[0x07, 1, 0, 0, 0]),
            Err(MediaError::ReservedFrameType(0))
        );
        assert_eq!(
            parse(&[0x67, 1, 0, 0, 0]),
            Err(MediaError::ReservedFrameType(6))
        );
    }

    #[test]
    fn empty_body_is_its_own_error() {
        assert_eq!(parse(&[]), Err(MediaError::EmptyBody));
    }

    #[test]
    fn legacy_command_frame_carries_the_command_byte() {
        let tag = parse(&[0x57, 1]).unwrap();
        assert_eq!(
            tag.content,
            VideoTagContent::Command {
                codec: Some(VideoCodec::Avc),
                command: VideoCommand::END_SEEK,
            }
        );
    }

    #[test]
    fn enhanced_hevc_coded_frames_carry_a_composition_time() {
        let tag = parse(b"\x91hvc1\x00\x00\x28NAL").unwrap();
        let p = only_packet(&tag);
        assert_eq!(p.codec, VideoCodec::Hevc);
        assert_eq!(
            p.data,
            VideoData::CodedFrames {
                composition_time: 40,
                data: Bytes::from_static(b"NAL"),
            }
        );
    }

    #[test]
    fn enhanced_av1_coded_frames_carry_no_composition_time() {
        let tag = parse(b"\x91av01OBU").unwrap();
        assert_eq!(
            only_packet(&tag).data,
            VideoData::CodedFrames {
                composition_time: 0,
                data: Bytes::from_static(b"OBU"),
            }
        );
    }

    #[test]
    fn enhanced_coded_frames_x_imply_composition_time_zero() {
        let tag = parse(b"\xa3avc1NAL").unwrap();
        assert_eq!(tag.frame_type, VideoFrameType::Inter);
        assert_eq!(
            only_packet(&tag).data,
            VideoData::CodedFramesX(Bytes::from_static(b"NAL"))
        );
    }

    #[test]
    fn enhanced_unknown_fourcc_is_kept() {
        let tag = parse(b"\x90abcdCONFIG").unwrap();
        let p = only_packet(&tag);
        assert_eq!(p.codec, VideoCodec::Unknown(FourCc(*b"abcd")));
        assert_eq!(
            p.data,
            VideoData::SequenceStart(Bytes::from_static(b"CONFIG"))
        );
    }

    #[test]
    fn enhanced_reserved_packet_type_is_rejected() {
        assert_eq!(parse(b"\x98vp09"), Err(MediaError::UnknownPacketType(8)));
    }

    #[test]
    fn enhanced_metadata_packet_carries_amf() {
        let tag = parse(b"\x94av01\x02\x00\x09colorInfo").unwrap();
        assert!(matches!(only_packet(&tag).data, VideoData::Metadata(ref d) if d.len() == 12));
    }

    #[test]
    fn enhanced_command_frame_has_no_fourcc() {
        let tag = parse(&[0xd0, 0]).unwrap();
        assert_eq!(
            tag.content,
            VideoTagContent::Command {
                codec: None,
                command: VideoCommand::START_SEEK,
            }
        );
    }

    #[test]
    fn modex_timestamp_offset_nano_precedes_the_packet_type() {
        // ModEx (7), size 3 - 1, data 0x0f4240 - 1 ns..., type 0 then CodedFramesX (3).
        let tag = parse(b"\x97\x02\x00\x01\x2c\x03vp09F").unwrap();
        let Framing::Enhanced { modex, multitrack } = &tag.framing else {
            panic!("not enhanced");
        };
        assert_eq!(*multitrack, None);
        assert_eq!(modex.len(), 1);
        assert_eq!(modex[0].nanos(), Some(Ok(300)));
        assert_eq!(
            only_packet(&tag).data,
            VideoData::CodedFramesX(Bytes::from_static(b"F"))
        );
    }

    #[test]
    fn modex_data_of_256_bytes_uses_the_16_bit_size() {
        let tag = VideoTag {
            frame_type: VideoFrameType::Key,
            framing: Framing::Enhanced {
                modex: alloc::vec![ModEx {
                    kind: 5,
                    data: Bytes::from(alloc::vec![7u8; 256]),
                }],
                multitrack: None,
            },
            content: VideoTagContent::Packets(alloc::vec![VideoPacket {
                track: TrackId(0),
                codec: VideoCodec::Vp9,
                data: VideoData::SequenceEnd,
            }]),
        };
        let body = tag.to_bytes().unwrap();
        assert_eq!(&body[..4], &[0x97, 0xff, 0x00, 0xff]);
        assert_eq!(VideoTag::parse(&body).unwrap(), tag);
    }

    #[test]
    fn multitrack_one_track_carries_a_track_id_and_no_size() {
        let tag = parse(b"\x96\x03av01\x02OBU").unwrap();
        assert_eq!(
            tag.framing,
            Framing::Enhanced {
                modex: Vec::new(),
                multitrack: Some(MultitrackType::OneTrack),
            }
        );
        let p = only_packet(&tag);
        assert_eq!(p.track, TrackId(2));
        assert_eq!(p.data, VideoData::CodedFramesX(Bytes::from_static(b"OBU")));
    }

    #[test]
    fn multitrack_many_tracks_splits_tracks_by_size() {
        let tag = parse(b"\x96\x13av01\x00\x00\x00\x02AA\x01\x00\x00\x01B").unwrap();
        let VideoTagContent::Packets(p) = &tag.content else {
            panic!()
        };
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[0].track, &p[0].data),
            (
                TrackId(0),
                &VideoData::CodedFramesX(Bytes::from_static(b"AA"))
            )
        );
        assert_eq!(
            (p[1].track, &p[1].data),
            (
                TrackId(1),
                &VideoData::CodedFramesX(Bytes::from_static(b"B"))
            )
        );
    }

    #[test]
    fn multitrack_many_codecs_reads_a_fourcc_per_track() {
        let tag = parse(b"\x96\x20avc1\x00\x00\x00\x01Ahvc1\x01\x00\x00\x01B").unwrap();
        let VideoTagContent::Packets(p) = &tag.content else {
            panic!()
        };
        assert_eq!(
            [p[0].codec, p[1].codec],
            [VideoCodec::Avc, VideoCodec::Hevc]
        );
    }

    #[test]
    fn multitrack_track_size_past_the_end_is_rejected() {
        assert_eq!(
            parse(b"\x96\x13av01\x00\x00\x00\x09AA"),
            Err(MediaError::TrackSizeOverrun)
        );
    }

    #[test]
    fn multitrack_inside_multitrack_is_rejected() {
        assert_eq!(
            parse(b"\x96\x06av01\x00"),
            Err(MediaError::NestedMultitrack)
        );
    }

    #[test]
    fn reserved_multitrack_type_is_rejected() {
        assert_eq!(
            parse(b"\x96\x33av01\x00"),
            Err(MediaError::UnknownMultitrackType(3))
        );
    }

    #[test]
    fn legacy_framing_cannot_carry_hevc() {
        let tag = VideoTag {
            frame_type: VideoFrameType::Key,
            framing: Framing::Legacy,
            content: VideoTagContent::Packets(alloc::vec![VideoPacket {
                track: TrackId(0),
                codec: VideoCodec::Hevc,
                data: VideoData::SequenceEnd,
            }]),
        };
        assert!(matches!(
            tag.to_bytes(),
            Err(MediaError::Unrepresentable(_))
        ));
    }
}

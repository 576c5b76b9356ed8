//! Video tag bodies: the legacy VideoTagHeader (FLV v10.1 E.4.3) and the
//! Enhanced RTMP ExVideoTagHeader (v1 FourCC codecs, v2 ModEx and multitrack).

use alloc::vec::Vec;

use bytes::Bytes;

use super::MediaError;
use super::codec::{TrackId, VideoCodec};
use super::cursor::{Cursor, fits_i24, put_i24};
use super::enhanced::{
    Framing, MultitrackType, read_modex, read_multitrack, read_tracks, write_ex_header,
    write_modex, write_track,
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
                let first = packets
                    .first()
                    .ok_or(MediaError::Unrepresentable("no packets"))?;
                let packet_type = first.data.enhanced_packet_type();
                if self.frame_type == VideoFrameType::Command && packet_type != PACKET_TYPE_METADATA
                {
                    return Err(MediaError::Unrepresentable(
                        "command frame type with video packets",
                    ));
                }
                let shared_needed = *multitrack != Some(MultitrackType::ManyTracksManyCodecs);
                if matches!(multitrack, None | Some(MultitrackType::OneTrack)) && packets.len() != 1
                {
                    return Err(MediaError::Unrepresentable(
                        "one-track framing carries exactly one packet",
                    ));
                }
                let shared = if shared_needed {
                    let f = first.codec.fourcc().ok_or(MediaError::Unrepresentable(
                        "legacy codec in enhanced framing",
                    ))?;
                    Some(f)
                } else {
                    None
                };
                write_ex_header(
                    out,
                    0x80 | high,
                    modex,
                    *multitrack,
                    PACKET_TYPE_MULTITRACK,
                    packet_type,
                    shared,
                )?;
                for p in packets {
                    if p.data.enhanced_packet_type() != packet_type {
                        return Err(MediaError::Unrepresentable(
                            "tracks of one tag share a packet type",
                        ));
                    }
                    let fourcc = p.codec.fourcc().ok_or(MediaError::Unrepresentable(
                        "legacy codec in enhanced framing",
                    ))?;
                    if shared_needed && Some(fourcc) != shared {
                        return Err(MediaError::Unrepresentable(
                            "tracks of this multitrack type share a codec",
                        ));
                    }
                    write_track(out, *multitrack, p.track, Some(fourcc), |out| {
                        encode_enhanced_data(p, out)
                    })?;
                }
                Ok(())
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

//! Codec identities: FourCCs, legacy FLV codec ids, tracks.

use core::fmt;

/// A four-character code naming a codec in Enhanced RTMP (`avc1`, `Opus`, ...).
///
/// On the wire and in `onMetaData` it is the big-endian `u32` of its ASCII bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FourCc(pub [u8; 4]);

impl FourCc {
    /// H.264/AVC, `avc1`.
    pub const AVC: Self = Self(*b"avc1");
    /// H.265/HEVC, `hvc1`.
    pub const HEVC: Self = Self(*b"hvc1");
    /// H.266/VVC, `vvc1`.
    pub const VVC: Self = Self(*b"vvc1");
    /// AV1, `av01`.
    pub const AV1: Self = Self(*b"av01");
    /// VP9, `vp09`.
    pub const VP9: Self = Self(*b"vp09");
    /// VP8, `vp08`.
    pub const VP8: Self = Self(*b"vp08");
    /// AAC, `mp4a`.
    pub const AAC: Self = Self(*b"mp4a");
    /// Opus, `Opus`.
    pub const OPUS: Self = Self(*b"Opus");
    /// FLAC, `fLaC`.
    pub const FLAC: Self = Self(*b"fLaC");
    /// AC-3, `ac-3`.
    pub const AC3: Self = Self(*b"ac-3");
    /// E-AC-3, `ec-3`.
    pub const EAC3: Self = Self(*b"ec-3");
    /// MP3, `.mp3`.
    pub const MP3: Self = Self(*b".mp3");

    /// The big-endian `u32` form used by `onMetaData`'s codec ids.
    pub const fn to_u32(self) -> u32 {
        u32::from_be_bytes(self.0)
    }

    /// The code whose big-endian `u32` form is `v`.
    pub const fn from_u32(v: u32) -> Self {
        Self(v.to_be_bytes())
    }
}

impl fmt::Debug for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FourCc(\"{self}\")")
    }
}

impl fmt::Display for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in &self.0 {
            if b.is_ascii_graphic() || b == b' ' {
                write!(f, "{}", char::from(b))?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

/// Audio or video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// RTMP message type 8, FLV tag type 8.
    Audio,
    /// RTMP message type 9, FLV tag type 9.
    Video,
}

/// An Enhanced RTMP track id; legacy tags are track 0, the default track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TrackId(pub u8);

/// A video codec, whichever framing carried it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VideoCodec {
    /// H.264/AVC: legacy codec id 7 or FourCC `avc1`.
    Avc,
    /// H.265/HEVC, `hvc1`.
    Hevc,
    /// H.266/VVC, `vvc1`.
    Vvc,
    /// AV1, `av01`.
    Av1,
    /// VP9, `vp09`.
    Vp9,
    /// VP8, `vp08`.
    Vp8,
    /// A legacy codec id other than AVC (2 Sorenson H.263, 3 screen video,
    /// 4 On2 VP6, 5 VP6 with alpha, 6 screen video v2, or reserved),
    /// passed through opaquely.
    Legacy(u8),
    /// A FourCC this crate does not know, kept as is.
    Unknown(FourCc),
}

impl VideoCodec {
    /// The codec for an Enhanced RTMP FourCC.
    pub fn from_fourcc(f: FourCc) -> Self {
        match f {
            FourCc::AVC => Self::Avc,
            FourCc::HEVC => Self::Hevc,
            FourCc::VVC => Self::Vvc,
            FourCc::AV1 => Self::Av1,
            FourCc::VP9 => Self::Vp9,
            FourCc::VP8 => Self::Vp8,
            other => Self::Unknown(other),
        }
    }

    /// The Enhanced RTMP FourCC, or `None` for a legacy-only codec.
    pub fn fourcc(self) -> Option<FourCc> {
        Some(match self {
            Self::Avc => FourCc::AVC,
            Self::Hevc => FourCc::HEVC,
            Self::Vvc => FourCc::VVC,
            Self::Av1 => FourCc::AV1,
            Self::Vp9 => FourCc::VP9,
            Self::Vp8 => FourCc::VP8,
            Self::Legacy(_) => return None,
            Self::Unknown(f) => f,
        })
    }

    /// Whether Enhanced RTMP `CodedFrames` carry an SI24 composition time
    /// offset for this codec (AVC, HEVC, VVC).
    pub fn has_composition_time(self) -> bool {
        matches!(self, Self::Avc | Self::Hevc | Self::Vvc)
    }

    /// The legacy `onMetaData` `videocodecid` number, or the FourCC's.
    pub fn metadata_id(self) -> f64 {
        match self {
            Self::Avc => 7.0,
            Self::Legacy(id) => f64::from(id),
            other => f64::from(other.fourcc().map_or(0, FourCc::to_u32)),
        }
    }
}

/// The legacy SoundFormat nibble and the rate/size/type bits that follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LegacySound {
    /// SoundFormat (0..=15; 9 and 10 are taken by the ExHeader and AAC).
    pub format: u8,
    /// SoundRate: 0 = 5.5 kHz, 1 = 11 kHz, 2 = 22 kHz, 3 = 44 kHz.
    pub rate: u8,
    /// SoundSize: `true` for 16-bit samples, `false` for 8-bit.
    pub sixteen_bit: bool,
    /// SoundType: `true` for stereo.
    pub stereo: bool,
}

impl LegacySound {
    /// SoundFormat 2, MP3.
    pub const MP3: u8 = 2;

    /// The first byte of a legacy audio tag body.
    pub fn header_byte(self) -> u8 {
        (self.format << 4)
            | ((self.rate & 3) << 2)
            | (u8::from(self.sixteen_bit) << 1)
            | u8::from(self.stereo)
    }

    /// Splits the first byte of a legacy audio tag body.
    pub fn from_header_byte(b: u8) -> Self {
        Self {
            format: b >> 4,
            rate: (b >> 2) & 3,
            sixteen_bit: b & 2 != 0,
            stereo: b & 1 != 0,
        }
    }
}

/// An audio codec, whichever framing carried it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioCodec {
    /// AAC: legacy SoundFormat 10 or FourCC `mp4a`.
    Aac,
    /// MP3 carried by the FourCC `.mp3` (legacy MP3 is [`AudioCodec::Legacy`]
    /// with SoundFormat 2 or 14, keeping its rate bits).
    Mp3,
    /// Opus, `Opus`.
    Opus,
    /// FLAC, `fLaC`.
    Flac,
    /// AC-3, `ac-3`.
    Ac3,
    /// E-AC-3, `ec-3`.
    Eac3,
    /// A legacy SoundFormat other than AAC, passed through with its header bits.
    Legacy(LegacySound),
    /// A FourCC this crate does not know, kept as is.
    Unknown(FourCc),
}

impl AudioCodec {
    /// The codec for an Enhanced RTMP FourCC.
    pub fn from_fourcc(f: FourCc) -> Self {
        match f {
            FourCc::AAC => Self::Aac,
            FourCc::MP3 => Self::Mp3,
            FourCc::OPUS => Self::Opus,
            FourCc::FLAC => Self::Flac,
            FourCc::AC3 => Self::Ac3,
            FourCc::EAC3 => Self::Eac3,
            other => Self::Unknown(other),
        }
    }

    /// The Enhanced RTMP FourCC, or `None` for a legacy-only format.
    pub fn fourcc(self) -> Option<FourCc> {
        Some(match self {
            Self::Aac => FourCc::AAC,
            Self::Mp3 => FourCc::MP3,
            Self::Opus => FourCc::OPUS,
            Self::Flac => FourCc::FLAC,
            Self::Ac3 => FourCc::AC3,
            Self::Eac3 => FourCc::EAC3,
            Self::Legacy(_) => return None,
            Self::Unknown(f) => f,
        })
    }

    /// Whether this is MP3, in either framing.
    pub fn is_mp3(self) -> bool {
        match self {
            Self::Mp3 => true,
            Self::Legacy(s) => s.format == LegacySound::MP3 || s.format == 14,
            _ => false,
        }
    }

    /// The legacy `onMetaData` `audiocodecid` number, or the FourCC's.
    pub fn metadata_id(self) -> f64 {
        match self {
            Self::Aac => 10.0,
            Self::Legacy(s) => f64::from(s.format),
            other => f64::from(other.fourcc().map_or(0, FourCc::to_u32)),
        }
    }
}

/// An audio or video codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// A video codec.
    Video(VideoCodec),
    /// An audio codec.
    Audio(AudioCodec),
}

impl Codec {
    /// Audio or video.
    pub fn kind(self) -> MediaKind {
        match self {
            Self::Video(_) => MediaKind::Video,
            Self::Audio(_) => MediaKind::Audio,
        }
    }
}

//! The error type of the media module.

use core::fmt;

/// What went wrong while parsing or building a tag body, a codec
/// configuration or an FLV file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaError {
    /// The input ended inside the named structure.
    Truncated(&'static str),
    /// A tag body was empty (for audio, the legacy "silence" message).
    EmptyBody,
    /// The video frame type is reserved (0, 6 or 7).
    ReservedFrameType(u8),
    /// A packet type is reserved or unknown in this position.
    UnknownPacketType(u8),
    /// The multitrack type is reserved (3..=15).
    UnknownMultitrackType(u8),
    /// A multitrack packet announced another Multitrack or a ModEx inside.
    NestedMultitrack,
    /// A multitrack tag carries more tracks than [`AudioTag::MAX_TRACKS`](crate::media::AudioTag::MAX_TRACKS).
    TooManyTracks,
    /// A multitrack track size points past the end of the tag body.
    TrackSizeOverrun,
    /// A ModEx entry is malformed (e.g. a TimestampOffsetNano shorter than 3 bytes).
    BadModEx,
    /// The AVCDecoderConfigurationRecord is invalid; the text names the field.
    BadAvcConfig(&'static str),
    /// The AudioSpecificConfig is invalid; the text names the field.
    BadAacConfig(&'static str),
    /// A length-prefixed NAL unit (or its length prefix) runs past the end of the sample.
    BadNalUnit,
    /// The multichannel configuration's channel order is reserved.
    UnknownChannelOrder(u8),
    /// This value cannot be written in the chosen framing; the text says why.
    Unrepresentable(&'static str),
    /// The FLV file does not start with the signature `FLV`.
    BadSignature,
    /// The FLV header's data offset is smaller than the 9-byte header.
    BadDataOffset(u32),
    /// An FLV tag is larger than the reader's limit.
    TagTooLarge {
        /// The size the tag header announced.
        size: u32,
        /// The reader's limit.
        limit: u32,
    },
    /// A data message is not `onMetaData` (or `@setDataFrame` + `onMetaData`).
    NotMetadata,
    /// The AMF0 payload of a data message did not decode.
    Amf,
}

impl fmt::Display for MediaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated(what) => write!(f, "truncated {what}"),
            Self::EmptyBody => f.write_str("empty tag body"),
            Self::ReservedFrameType(t) => write!(f, "reserved video frame type {t}"),
            Self::UnknownPacketType(t) => write!(f, "unknown packet type {t}"),
            Self::UnknownMultitrackType(t) => write!(f, "unknown multitrack type {t}"),
            Self::NestedMultitrack => {
                f.write_str("multitrack or ModEx nested inside a multitrack packet")
            }
            Self::TooManyTracks => f.write_str("too many tracks in one tag"),
            Self::TrackSizeOverrun => f.write_str("multitrack track size runs past the tag body"),
            Self::BadModEx => f.write_str("malformed ModEx entry"),
            Self::BadAvcConfig(what) => write!(f, "invalid AVCDecoderConfigurationRecord: {what}"),
            Self::BadAacConfig(what) => write!(f, "invalid AudioSpecificConfig: {what}"),
            Self::BadNalUnit => f.write_str("length-prefixed NAL unit out of bounds"),
            Self::UnknownChannelOrder(o) => write!(f, "unknown audio channel order {o}"),
            Self::Unrepresentable(why) => write!(f, "cannot be written: {why}"),
            Self::BadSignature => f.write_str("not an FLV file (bad signature)"),
            Self::BadDataOffset(o) => write!(f, "FLV data offset {o} is smaller than the header"),
            Self::TagTooLarge { size, limit } => {
                write!(f, "FLV tag of {size} bytes exceeds the limit of {limit}")
            }
            Self::NotMetadata => f.write_str("data message is not onMetaData"),
            Self::Amf => f.write_str("onMetaData payload is not valid AMF0"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for MediaError {}

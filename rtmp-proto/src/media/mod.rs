//! Media: FLV audio/video tags, legacy and Enhanced RTMP codecs and samples, FLV files.
//!
//! The body of an RTMP audio (type 8) or video (type 9) message is exactly an
//! FLV tag body, so everything here serves both RTMP sessions and `.flv`
//! files.
//!
//! # Layers
//! - Tag bodies, structurally: [`VideoTag`] and [`AudioTag`] parse and encode
//!   legacy FLV headers (Adobe FLV v10.1, annex E) and the Enhanced RTMP v1/v2
//!   extended headers (FourCC codecs, ModEx, multitrack). Parsing then
//!   encoding gives the same bytes for every canonical body.
//! - Events: a [`Demuxer`] turns a tag body plus its message timestamp into
//!   [`MediaEvent`]s (codec configuration, samples with dts/pts/keyframe,
//!   sequence end, `onMetaData`, ...); [`mux`] turns one event back into a
//!   tag, choosing legacy framing for AVC/AAC on track 0 and Enhanced RTMP
//!   framing for everything else.
//! - Ordering: [`FrameWriter`] takes configurations and samples in any order
//!   and emits `onMetaData` and each sequence header before the first frame
//!   that needs it.
//! - Files: [`flv`] reads (incrementally, bounded) and writes FLV files.
//!
//! Codec configuration records are parsed far enough to validate them:
//! [`AvcConfig`] (AVCDecoderConfigurationRecord) and [`AacConfig`]
//! (AudioSpecificConfig).

mod aac;
mod audio;
mod avc;
mod codec;
mod cursor;
mod demux;
mod enhanced;
mod error;
pub mod flv;
mod metadata;
mod mux;
#[cfg(test)]
mod proptests;
mod video;
mod writer;

pub use aac::AacConfig;
pub use audio::{AudioData, AudioPacket, AudioTag, ChannelOrder, MultichannelConfig};
pub use avc::{AvcConfig, NalUnits, hevc_nal_length_size};
pub use codec::{AudioCodec, Codec, FourCc, LegacySound, MediaKind, TrackId, VideoCodec};
pub use demux::{CodecConfig, Demuxer, MediaEvent, Sample};
pub use enhanced::{Framing, ModEx, MultitrackType};
pub use error::MediaError;
pub use flv::{FlvHeader, FlvItem, FlvReader, FlvTag, TagType};
pub use metadata::{CodecTag, Metadata, ON_METADATA, SET_DATA_FRAME};
pub use mux::{mux, mux_into};
pub use video::{VideoCommand, VideoData, VideoFrameType, VideoPacket, VideoTag, VideoTagContent};
pub use writer::{FrameWriter, FrameWriterConfig};

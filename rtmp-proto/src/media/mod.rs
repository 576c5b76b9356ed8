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
//!
//! ```
//! use bytes::Bytes;
//! use rtmp_proto::media::{Codec, Demuxer, MediaEvent, VideoCodec, mux};
//!
//! // An RTMP video message body at timestamp 1000 ms: a legacy AVC key
//! // frame with a composition time of 80 ms and one 1-byte NAL unit.
//! let body = Bytes::from_static(&[0x17, 1, 0, 0, 80, 0, 0, 0, 1, 0x65]);
//! let mut events = Vec::new();
//! Demuxer::new().demux_video(1000, &body, &mut events)?;
//! let MediaEvent::Sample(sample) = &events[0] else { unreachable!() };
//! assert_eq!(sample.codec, Codec::Video(VideoCodec::Avc));
//! assert_eq!((sample.dts, sample.pts(), sample.keyframe), (1000, 1080, true));
//! assert_eq!(sample.payload.as_ref(), &[0, 0, 0, 1, 0x65]);
//!
//! // And back: the same body, ready to send as a type 9 message.
//! let tag = mux(&events[0])?;
//! assert_eq!((tag.timestamp, &tag.body), (1000, &body));
//! # Ok::<(), rtmp_proto::media::MediaError>(())
//! ```
//!
//! # Decisions
//! - Tag bodies are shared, never copied: samples and configurations are
//!   `Bytes` slices of the message body.
//! - Unknown FourCCs are kept ([`VideoCodec::Unknown`], [`AudioCodec::Unknown`]);
//!   reserved frame types, packet types and multitrack types are typed errors,
//!   as the Enhanced RTMP spec asks ("fail in a controlled way").
//! - Legacy AAC is always written with the header byte `0xAF` (the FLV spec's
//!   fixed value); a legacy AAC tag read with other rate/size/type bits
//!   demuxes the same but re-encodes with `0xAF`.
//! - Disposable and generated key frames demux as inter and key frames.
//! - An empty audio or video body (the "silence" message) yields no event.
//! - Memory: the demuxer keeps one byte per video track id; a multitrack tag
//!   holds at most [`AudioTag::MAX_TRACKS`] tracks; the FLV reader holds
//!   only what was pushed and not yet pulled.

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

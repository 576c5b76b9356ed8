//! A frame writer: takes codec configurations and samples in any order and
//! emits tags in the order strict players want.
//!
//! # What goes out, and when
//! - `onMetaData` is the first tag: the one given with
//!   [`MediaEvent::Metadata`], or else one made from the configurations
//!   known at that moment (codec ids; AAC sample rate and channels). A
//!   metadata event after the first tag goes out at once, as an update.
//! - A track's sequence header (its [`CodecConfig`]) goes out before the
//!   first sample of that track, and again before the next sample after
//!   a configuration with different bytes arrives.
//! - Samples of a codec that needs a configuration (all but legacy codec
//!   ids and sound formats) are held until it arrives.
//! - Audio is held until a video configuration is known (when video is
//!   expected); then all known video configurations go out before the
//!   first audio tag.
//! - Holding is bounded: when more than [`FrameWriterConfig::max_held`]
//!   events are held, or the held events span more than
//!   [`FrameWriterConfig::max_hold_ms`], the writer stops waiting for video
//!   (audio flows, without a video codec in the metadata; a video
//!   configuration that comes later still precedes its first frame), and
//!   if that is not enough it drops the oldest held events, counting them
//!   in [`FrameWriter::dropped`].
//! - Relative order of the events it emits is the order they were pushed.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use bytes::Bytes;

use crate::amf0::Value;

use super::MediaError;
use super::aac::AacConfig;
use super::codec::{AudioCodec, Codec, MediaKind, TrackId, VideoCodec};
use super::demux::{CodecConfig, MediaEvent};
use super::flv::{FlvTag, TagType};
use super::metadata::Metadata;
use super::mux::mux;

/// Limits and expectations of a [`FrameWriter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameWriterConfig {
    /// Whether video is expected, so audio waits for a video configuration.
    pub expect_video: bool,
    /// How many events may be held at most (default 256).
    pub max_held: usize,
    /// How many milliseconds of events may be held at most (default 2000).
    pub max_hold_ms: u32,
    /// Whether `onMetaData` goes out behind `@setDataFrame`, as a publishing
    /// client sends it (default `false`: the form servers send to players
    /// and FLV files store).
    pub set_data_frame: bool,
}

impl Default for FrameWriterConfig {
    fn default() -> Self {
        Self {
            expect_video: true,
            max_held: 256,
            max_hold_ms: 2000,
            set_data_frame: false,
        }
    }
}

#[derive(Debug, Clone)]
struct TrackConfig {
    config: CodecConfig,
    sent: bool,
}

/// Orders configurations, metadata and samples for sending or recording.
#[derive(Debug, Clone)]
pub struct FrameWriter {
    settings: FrameWriterConfig,
    metadata: Option<Metadata>,
    metadata_sent: bool,
    configs: Vec<TrackConfig>,
    held: VecDeque<MediaEvent>,
    gave_up_on_video: bool,
    dropped: u64,
}

impl Default for FrameWriter {
    fn default() -> Self {
        Self::new(FrameWriterConfig::default())
    }
}

impl FrameWriter {
    /// A writer with these settings.
    pub fn new(settings: FrameWriterConfig) -> Self {
        Self {
            settings,
            metadata: None,
            metadata_sent: false,
            configs: Vec::new(),
            held: VecDeque::new(),
            gave_up_on_video: false,
            dropped: 0,
        }
    }

    /// Events dropped because the hold limits were exceeded.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Events currently held.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// Whether the writer stopped waiting for a video configuration.
    pub fn gave_up_on_video(&self) -> bool {
        self.gave_up_on_video
    }

    /// Takes one event; appends to `out` every tag that can go out now.
    pub fn push(&mut self, event: MediaEvent, out: &mut Vec<FlvTag>) -> Result<(), MediaError> {
        match event {
            MediaEvent::Metadata(m) => {
                if self.metadata_sent {
                    out.push(self.metadata_tag(&m)?);
                }
                self.metadata = Some(m);
            }
            MediaEvent::Codec(c) => self.set_config(c),
            other => self.held.push_back(other),
        }
        self.pump(out)?;
        self.enforce_limits(out)
    }

    /// End of stream: stops waiting for video, emits what can go out and
    /// drops (and counts) samples whose configuration never came.
    pub fn finish(&mut self, out: &mut Vec<FlvTag>) -> Result<(), MediaError> {
        self.gave_up_on_video = true;
        self.pump(out)?;
        self.dropped = self.dropped.saturating_add(self.held.len() as u64);
        self.held.clear();
        Ok(())
    }

    fn set_config(&mut self, c: CodecConfig) {
        let kind = c.codec.kind();
        match self
            .configs
            .iter_mut()
            .find(|t| t.config.track == c.track && t.config.codec.kind() == kind)
        {
            Some(t) => {
                if t.config.config != c.config
                    || t.config.codec != c.codec
                    || t.config.mpeg2ts != c.mpeg2ts
                {
                    t.sent = false;
                }
                t.config = c;
            }
            // At most 2 x 256 entries: one per media kind and track id.
            None => self.configs.push(TrackConfig {
                config: c,
                sent: false,
            }),
        }
    }

    fn config_index(&self, kind: MediaKind, track: TrackId) -> Option<usize> {
        self.configs
            .iter()
            .position(|t| t.config.track == track && t.config.codec.kind() == kind)
    }

    fn video_gate_open(&self) -> bool {
        !self.settings.expect_video
            || self.gave_up_on_video
            || self
                .configs
                .iter()
                .any(|t| t.config.codec.kind() == MediaKind::Video)
    }

    fn ready(&self, e: &MediaEvent) -> bool {
        let (kind, track, needs) = match e {
            MediaEvent::Sample(s) => (s.codec.kind(), s.track, needs_config(s.codec)),
            MediaEvent::SequenceEnd { track, codec, .. } => (codec.kind(), *track, false),
            MediaEvent::AudioChannels { track, .. } => (MediaKind::Audio, *track, false),
            MediaEvent::VideoMetadata { track, .. } => (MediaKind::Video, *track, false),
            _ => (MediaKind::Video, TrackId(0), false),
        };
        if needs && self.config_index(kind, track).is_none() {
            return false;
        }
        kind == MediaKind::Video || self.video_gate_open()
    }

    fn pump(&mut self, out: &mut Vec<FlvTag>) -> Result<(), MediaError> {
        while let Some(front) = self.held.front() {
            if !self.ready(front) {
                break;
            }
            let Some(e) = self.held.pop_front() else {
                break;
            };
            self.emit_metadata(out)?;
            let (kind, track) = match &e {
                MediaEvent::Sample(s) => (s.codec.kind(), Some(s.track)),
                MediaEvent::SequenceEnd { track, codec, .. } => (codec.kind(), Some(*track)),
                MediaEvent::AudioChannels { .. } => (MediaKind::Audio, None),
                _ => (MediaKind::Video, None),
            };
            if kind == MediaKind::Audio {
                // Video configurations precede the first audio tag.
                self.emit_configs(out, |c| c.codec.kind() == MediaKind::Video)?;
            }
            if let Some(track) = track {
                self.emit_configs(out, |c| c.codec.kind() == kind && c.track == track)?;
            }
            out.push(mux(&e)?);
        }
        Ok(())
    }

    fn emit_configs(
        &mut self,
        out: &mut Vec<FlvTag>,
        pick: impl Fn(&CodecConfig) -> bool,
    ) -> Result<(), MediaError> {
        for t in self
            .configs
            .iter_mut()
            .filter(|t| !t.sent && pick(&t.config))
        {
            out.push(mux(&MediaEvent::Codec(t.config.clone()))?);
            t.sent = true;
        }
        Ok(())
    }

    fn emit_metadata(&mut self, out: &mut Vec<FlvTag>) -> Result<(), MediaError> {
        if self.metadata_sent {
            return Ok(());
        }
        let m = match &self.metadata {
            Some(m) => m.clone(),
            None => self.synthesize_metadata(),
        };
        out.push(self.metadata_tag(&m)?);
        self.metadata_sent = true;
        Ok(())
    }

    fn metadata_tag(&self, m: &Metadata) -> Result<FlvTag, MediaError> {
        let mut body = Vec::new();
        if self.settings.set_data_frame {
            m.encode_set_data_frame(&mut body)?;
        } else {
            m.encode(&mut body)?;
        }
        Ok(FlvTag {
            tag_type: TagType::Script,
            timestamp: m.timestamp,
            body: Bytes::from(body),
        })
    }

    fn synthesize_metadata(&self) -> Metadata {
        let mut props = Value::EcmaArray(Vec::new());
        let default = |kind| {
            self.configs
                .iter()
                .filter(|t| t.config.codec.kind() == kind)
                .min_by_key(|t| t.config.track)
        };
        if let Some(Codec::Video(v)) = default(MediaKind::Video).map(|t| t.config.codec) {
            props.set("videocodecid", v.metadata_id());
        }
        if let Some(t) = default(MediaKind::Audio)
            && let Codec::Audio(a) = t.config.codec
        {
            props.set("audiocodecid", a.metadata_id());
            if a == AudioCodec::Aac
                && let Ok(asc) = AacConfig::parse(&t.config.config)
            {
                props.set("audiosamplerate", f64::from(asc.sample_rate));
                if let Some(ch) = asc.channels() {
                    props.set("stereo", ch >= 2);
                }
            }
        }
        Metadata::new(0, props)
    }

    fn enforce_limits(&mut self, out: &mut Vec<FlvTag>) -> Result<(), MediaError> {
        if self.over_limits() && !self.gave_up_on_video {
            self.gave_up_on_video = true;
            self.pump(out)?;
        }
        while self.over_limits() {
            self.held.pop_front();
            self.dropped = self.dropped.saturating_add(1);
            self.pump(out)?;
        }
        Ok(())
    }

    fn over_limits(&self) -> bool {
        if self.held.len() > self.settings.max_held {
            return true;
        }
        match (self.held.front(), self.held.back()) {
            (Some(a), Some(b)) => {
                b.timestamp().wrapping_sub(a.timestamp()) > self.settings.max_hold_ms
                    && b.timestamp() >= a.timestamp()
            }
            _ => false,
        }
    }
}

/// Whether a codec's samples are undecodable without a sequence header.
fn needs_config(codec: Codec) -> bool {
    !matches!(
        codec,
        Codec::Video(VideoCodec::Legacy(_))
            | Codec::Audio(
                AudioCodec::Legacy(_) | AudioCodec::Mp3 | AudioCodec::Ac3 | AudioCodec::Eac3
            )
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{Demuxer, Sample};

    const AVCC: &[u8] = &[1, 0x42, 0, 0x1e, 0xff, 0xe1, 0, 1, 0x67, 1, 0, 1, 0x68];
    const ASC: &[u8] = &[0x12, 0x10];

    fn config(codec: Codec, config: &'static [u8]) -> MediaEvent {
        MediaEvent::Codec(CodecConfig {
            track: TrackId(0),
            codec,
            timestamp: 0,
            config: Bytes::from_static(config),
            mpeg2ts: false,
        })
    }

    fn video_config() -> MediaEvent {
        config(Codec::Video(VideoCodec::Avc), AVCC)
    }

    fn audio_config() -> MediaEvent {
        config(Codec::Audio(AudioCodec::Aac), ASC)
    }

    fn frame(codec: Codec, dts: u32) -> MediaEvent {
        MediaEvent::Sample(Sample {
            track: TrackId(0),
            codec,
            dts,
            composition_time: 0,
            nanos: 0,
            keyframe: true,
            payload: Bytes::from_static(&[0, 0, 0, 1, 0x65]),
        })
    }

    fn video(dts: u32) -> MediaEvent {
        frame(Codec::Video(VideoCodec::Avc), dts)
    }

    fn audio(dts: u32) -> MediaEvent {
        frame(Codec::Audio(AudioCodec::Aac), dts)
    }

    /// What each tag is, in order: "meta", "vcfg", "acfg", "v@dts", "a@dts".
    fn kinds(tags: &[FlvTag]) -> Vec<alloc::string::String> {
        let mut d = Demuxer::new();
        tags.iter()
            .map(|t| {
                let mut e = Vec::new();
                d.demux_tag(t, &mut e).unwrap();
                match &e[0] {
                    MediaEvent::Metadata(_) => "meta".into(),
                    MediaEvent::Codec(c) if c.codec.kind() == MediaKind::Video => "vcfg".into(),
                    MediaEvent::Codec(_) => "acfg".into(),
                    MediaEvent::Sample(s) if s.codec.kind() == MediaKind::Video => {
                        alloc::format!("v@{}", s.dts)
                    }
                    MediaEvent::Sample(s) => alloc::format!("a@{}", s.dts),
                    other => alloc::format!("{other:?}"),
                }
            })
            .collect()
    }

    fn run(w: &mut FrameWriter, events: impl IntoIterator<Item = MediaEvent>) -> Vec<FlvTag> {
        let mut out = Vec::new();
        for e in events {
            w.push(e, &mut out).unwrap();
        }
        out
    }

    #[test]
    fn metadata_and_sequence_headers_precede_the_first_frames() {
        let mut w = FrameWriter::default();
        let tags = run(
            &mut w,
            [
                video_config(),
                audio_config(),
                video(0),
                audio(0),
                video(40),
            ],
        );
        assert_eq!(kinds(&tags), ["meta", "vcfg", "v@0", "acfg", "a@0", "v@40"]);
    }

    #[test]
    fn synthesized_metadata_names_the_codecs_and_audio_rate() {
        let mut w = FrameWriter::default();
        let tags = run(&mut w, [video_config(), audio_config(), video(0)]);
        assert_eq!(tags[0].tag_type, TagType::Script);
        let m = Metadata::parse(0, &tags[0].body).unwrap();
        assert_eq!(m.number("videocodecid"), Some(7.0));
        assert_eq!(m.number("audiocodecid"), Some(10.0));
        assert_eq!(m.audio_sample_rate(), Some(44_100.0));
        assert_eq!(m.stereo(), Some(true));
    }

    #[test]
    fn given_metadata_is_sent_instead_of_a_synthesized_one() {
        let mut w = FrameWriter::default();
        let given = Metadata::new(
            0,
            Value::EcmaArray(alloc::vec![("width".into(), 640.0.into())]),
        );
        let tags = run(
            &mut w,
            [
                MediaEvent::Metadata(given.clone()),
                video_config(),
                video(0),
            ],
        );
        assert_eq!(Metadata::parse(0, &tags[0].body).unwrap(), given);
    }

    #[test]
    fn audio_waits_for_the_video_configuration() {
        let mut w = FrameWriter::default();
        let tags = run(&mut w, [audio_config(), audio(0), audio(23)]);
        assert!(tags.is_empty());
        assert_eq!(w.held(), 2);
        let tags = run(&mut w, [video_config(), video(40)]);
        assert_eq!(
            kinds(&tags),
            ["meta", "vcfg", "acfg", "a@0", "a@23", "v@40"]
        );
    }

    #[test]
    fn video_frames_wait_for_their_configuration() {
        let mut w = FrameWriter::default();
        assert!(run(&mut w, [video(0)]).is_empty());
        let tags = run(&mut w, [video_config()]);
        assert_eq!(kinds(&tags), ["meta", "vcfg", "v@0"]);
    }

    #[test]
    fn audio_only_streams_flow_when_video_is_not_expected() {
        let mut w = FrameWriter::new(FrameWriterConfig {
            expect_video: false,
            ..FrameWriterConfig::default()
        });
        let tags = run(&mut w, [audio_config(), audio(0)]);
        assert_eq!(kinds(&tags), ["meta", "acfg", "a@0"]);
    }

    #[test]
    fn holding_audio_longer_than_the_time_limit_gives_up_on_video() {
        let mut w = FrameWriter::new(FrameWriterConfig {
            max_hold_ms: 100,
            ..FrameWriterConfig::default()
        });
        let tags = run(&mut w, [audio_config(), audio(0), audio(50), audio(100)]);
        assert!(tags.is_empty());
        let tags = run(&mut w, [audio(150)]);
        assert!(w.gave_up_on_video());
        assert_eq!(
            kinds(&tags),
            ["meta", "acfg", "a@0", "a@50", "a@100", "a@150"]
        );
        // Video that arrives later still gets its sequence header first.
        let tags = run(&mut w, [video_config(), video(200)]);
        assert_eq!(kinds(&tags), ["vcfg", "v@200"]);
        assert_eq!(w.dropped(), 0);
    }

    #[test]
    fn holding_more_than_the_count_limit_drops_the_oldest_unconfigured_frames() {
        let mut w = FrameWriter::new(FrameWriterConfig {
            max_held: 2,
            ..FrameWriterConfig::default()
        });
        let tags = run(&mut w, [video(0), video(1), video(2)]);
        assert!(tags.is_empty());
        assert_eq!((w.held(), w.dropped()), (2, 1));
        let tags = run(&mut w, [video_config()]);
        assert_eq!(kinds(&tags), ["meta", "vcfg", "v@1", "v@2"]);
    }

    #[test]
    fn a_changed_configuration_is_resent_before_the_next_frame() {
        let mut w = FrameWriter::default();
        run(&mut w, [video_config(), video(0)]);
        let changed = config(
            Codec::Video(VideoCodec::Avc),
            &[1, 0x4d, 0, 0x1f, 0xff, 0xe0, 0],
        );
        let tags = run(&mut w, [video_config(), video(40), changed, video(80)]);
        assert_eq!(kinds(&tags), ["v@40", "vcfg", "v@80"]);
    }

    #[test]
    fn finish_flushes_held_audio_and_counts_what_never_got_a_configuration() {
        let mut w = FrameWriter::default();
        run(&mut w, [audio_config(), audio(0), video(10)]);
        let mut out = Vec::new();
        w.finish(&mut out).unwrap();
        assert_eq!(kinds(&out), ["meta", "acfg", "a@0"]);
        assert_eq!(w.dropped(), 1);
    }

    #[test]
    fn publishing_form_puts_set_data_frame_first() {
        let mut w = FrameWriter::new(FrameWriterConfig {
            set_data_frame: true,
            ..FrameWriterConfig::default()
        });
        let tags = run(&mut w, [video_config(), video(0)]);
        let values = crate::amf0::decode_all(&tags[0].body).unwrap();
        assert_eq!(values[0].as_str(), Some(crate::media::SET_DATA_FRAME));
        assert_eq!(values[1].as_str(), Some(crate::media::ON_METADATA));
    }
}

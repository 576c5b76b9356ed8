//! `onMetaData`: the script tag / data message describing a stream, with a
//! typed view of its common keys over the raw AMF0 value.

use alloc::vec::Vec;

use crate::amf0::{self, Value};

use super::MediaError;
use super::codec::FourCc;

/// The data message handler name that precedes `onMetaData` when publishing.
pub const SET_DATA_FRAME: &str = "@setDataFrame";
/// The name of the metadata script call.
pub const ON_METADATA: &str = "onMetaData";

/// A codec id as `onMetaData` states it: a legacy FLV number or, in
/// Enhanced RTMP, a FourCC (as a number, or as a 4-character string).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodecTag {
    /// A legacy CodecID / SoundFormat number (e.g. 7 = AVC, 10 = AAC).
    Legacy(u8),
    /// An Enhanced RTMP FourCC.
    FourCc(FourCc),
}

impl CodecTag {
    fn from_value(v: &Value<'_>) -> Option<Self> {
        if let Some(n) = v.as_f64() {
            // `as` saturates (NaN to 0): the round trip keeps only whole u32 values.
            let whole = n as u32;
            if f64::from(whole) != n {
                return None;
            }
            let n = whole;
            return Some(match u8::try_from(n) {
                Ok(small) => Self::Legacy(small),
                Err(_) => Self::FourCc(FourCc::from_u32(n)),
            });
        }
        let s = v.as_str()?;
        let bytes: [u8; 4] = s.as_bytes().try_into().ok()?;
        Some(Self::FourCc(FourCc(bytes)))
    }
}

/// `onMetaData`: its properties (an ECMA array, sometimes an object) kept
/// whole, with accessors for the usual keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    /// The message timestamp, in milliseconds.
    pub timestamp: u32,
    /// The properties as sent (ECMA array or object).
    pub properties: Value<'static>,
}

impl Metadata {
    /// Metadata with these properties (use [`Value::ecma_array`]).
    pub fn new(timestamp: u32, properties: Value<'static>) -> Self {
        Self {
            timestamp,
            properties,
        }
    }

    /// Parses a data message / script tag body: `onMetaData` and its
    /// properties, optionally preceded by `@setDataFrame`.
    pub fn parse(timestamp: u32, body: &[u8]) -> Result<Self, MediaError> {
        let (first, used) = amf0::decode(body).map_err(|_| MediaError::Amf)?;
        let mut rest = body.get(used..).unwrap_or_default();
        let mut name = first;
        if name.as_str() == Some(SET_DATA_FRAME) {
            let (next, used) = amf0::decode(rest).map_err(|_| MediaError::Amf)?;
            rest = rest.get(used..).unwrap_or_default();
            name = next;
        }
        if name.as_str() != Some(ON_METADATA) {
            return Err(MediaError::NotMetadata);
        }
        let (properties, _) = amf0::decode(rest).map_err(|_| MediaError::Amf)?;
        if properties.properties().is_none() {
            return Err(MediaError::NotMetadata);
        }
        Ok(Self {
            timestamp,
            properties: properties.into_owned(),
        })
    }

    /// Appends the script tag body: `onMetaData` and the properties (the
    /// form stored in FLV files and sent to players).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), MediaError> {
        let name = Value::from(ON_METADATA);
        amf0::encode_all([&name, &self.properties], out).map_err(|_| MediaError::Amf)
    }

    /// Appends the data message a publisher sends: `@setDataFrame`,
    /// `onMetaData` and the properties.
    pub fn encode_set_data_frame(&self, out: &mut Vec<u8>) -> Result<(), MediaError> {
        let handler = Value::from(SET_DATA_FRAME);
        let name = Value::from(ON_METADATA);
        amf0::encode_all([&handler, &name, &self.properties], out).map_err(|_| MediaError::Amf)
    }

    /// Property `key` as a number.
    pub fn number(&self, key: &str) -> Option<f64> {
        self.properties.get_f64(key)
    }

    /// `width`, in pixels.
    pub fn width(&self) -> Option<f64> {
        self.number("width")
    }

    /// `height`, in pixels.
    pub fn height(&self) -> Option<f64> {
        self.number("height")
    }

    /// `framerate`, in frames per second.
    pub fn frame_rate(&self) -> Option<f64> {
        self.number("framerate")
    }

    /// `videodatarate`, in kbit/s.
    pub fn video_data_rate(&self) -> Option<f64> {
        self.number("videodatarate")
    }

    /// `audiodatarate`, in kbit/s.
    pub fn audio_data_rate(&self) -> Option<f64> {
        self.number("audiodatarate")
    }

    /// `audiosamplerate`, in Hz.
    pub fn audio_sample_rate(&self) -> Option<f64> {
        self.number("audiosamplerate")
    }

    /// `audiosamplesize`, in bits.
    pub fn audio_sample_size(&self) -> Option<f64> {
        self.number("audiosamplesize")
    }

    /// `audiochannels`, or 2/1 from `stereo`.
    pub fn audio_channels(&self) -> Option<f64> {
        self.number("audiochannels")
            .or_else(|| self.stereo().map(|s| if s { 2.0 } else { 1.0 }))
    }

    /// `stereo`.
    pub fn stereo(&self) -> Option<bool> {
        self.properties.get_bool("stereo")
    }

    /// `duration`, in seconds.
    pub fn duration(&self) -> Option<f64> {
        self.number("duration")
    }

    /// `filesize`, in bytes.
    pub fn file_size(&self) -> Option<f64> {
        self.number("filesize")
    }

    /// `encoder`, the software that produced the stream.
    pub fn encoder(&self) -> Option<&str> {
        self.properties.get_str("encoder")
    }

    /// `videocodecid`, legacy number or FourCC.
    pub fn video_codec(&self) -> Option<CodecTag> {
        CodecTag::from_value(self.properties.get("videocodecid")?)
    }

    /// `audiocodecid`, legacy number or FourCC.
    pub fn audio_codec(&self) -> Option<CodecTag> {
        CodecTag::from_value(self.properties.get("audiocodecid")?)
    }

    /// The per-track properties of `videoTrackIdInfoMap` / `audioTrackIdInfoMap`
    /// (Enhanced RTMP v2) for track `track` (1, 2, ...).
    pub fn track_info(&self, video: bool, track: u8) -> Option<&Value<'static>> {
        let map = if video {
            "videoTrackIdInfoMap"
        } else {
            "audioTrackIdInfoMap"
        };
        let mut key = [0u8; 3];
        let key = format_u8(track, &mut key);
        self.properties.get(map)?.get(key)
    }
}

/// Formats `n` in decimal into `buf`.
fn format_u8(n: u8, buf: &mut [u8; 3]) -> &str {
    let digits = [n / 100, (n / 10) % 10, n % 10];
    let skip = if n >= 100 {
        0
    } else if n >= 10 {
        1
    } else {
        2
    };
    for (slot, d) in buf.iter_mut().zip(digits) {
        *slot = b'0' + d;
    }
    core::str::from_utf8(buf.get(skip..).unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(values: &[Value<'_>]) -> Vec<u8> {
        let mut out = Vec::new();
        amf0::encode_all(values, &mut out).unwrap();
        out
    }

    fn props() -> Value<'static> {
        Value::EcmaArray(alloc::vec![
            ("width".into(), 1280.0.into()),
            ("height".into(), 720.0.into()),
            ("framerate".into(), 25.0.into()),
            ("videocodecid".into(), 7.0.into()),
            (
                "audiocodecid".into(),
                f64::from(FourCc::OPUS.to_u32()).into()
            ),
            ("audiosamplerate".into(), 48_000.0.into()),
            ("stereo".into(), true.into()),
            ("encoder".into(), "Lavf61".into()),
        ])
    }

    #[test]
    fn script_tag_form_gives_the_typed_view() {
        let m = Metadata::parse(0, &body(&[ON_METADATA.into(), props()])).unwrap();
        assert_eq!(
            (m.width(), m.height(), m.frame_rate()),
            (Some(1280.0), Some(720.0), Some(25.0))
        );
        assert_eq!(m.video_codec(), Some(CodecTag::Legacy(7)));
        assert_eq!(m.audio_codec(), Some(CodecTag::FourCc(FourCc::OPUS)));
        assert_eq!(
            (m.audio_sample_rate(), m.audio_channels()),
            (Some(48_000.0), Some(2.0))
        );
        assert_eq!(m.encoder(), Some("Lavf61"));
    }

    #[test]
    fn set_data_frame_form_is_accepted() {
        let m = Metadata::parse(
            7,
            &body(&[SET_DATA_FRAME.into(), ON_METADATA.into(), props()]),
        )
        .unwrap();
        assert_eq!(m.timestamp, 7);
        assert_eq!(m.properties, props());
    }

    #[test]
    fn codec_id_as_a_four_character_string_is_a_fourcc() {
        let p = Value::EcmaArray(alloc::vec![("videocodecid".into(), "hvc1".into())]);
        let m = Metadata::new(0, p);
        assert_eq!(m.video_codec(), Some(CodecTag::FourCc(FourCc::HEVC)));
    }

    #[test]
    fn other_data_messages_are_not_metadata() {
        assert_eq!(
            Metadata::parse(0, &body(&["onTextData".into(), props()])),
            Err(MediaError::NotMetadata)
        );
        assert_eq!(
            Metadata::parse(0, &body(&[ON_METADATA.into(), 1.0.into()])),
            Err(MediaError::NotMetadata)
        );
    }

    #[test]
    fn garbage_is_an_amf_error() {
        assert_eq!(Metadata::parse(0, &[0x02, 0x00]), Err(MediaError::Amf));
    }

    #[test]
    fn encode_forms_parse_back() {
        let m = Metadata::new(3, props());
        let mut a = Vec::new();
        m.encode(&mut a).unwrap();
        let mut b = Vec::new();
        m.encode_set_data_frame(&mut b).unwrap();
        assert_eq!(Metadata::parse(3, &a).unwrap(), m);
        assert_eq!(Metadata::parse(3, &b).unwrap(), m);
    }

    #[test]
    fn track_info_maps_are_read_by_track_id() {
        let track = Value::Object(alloc::vec![("width".into(), 640.0.into())]);
        let map = Value::Object(alloc::vec![("12".into(), track.clone())]);
        let m = Metadata::new(
            0,
            Value::EcmaArray(alloc::vec![("videoTrackIdInfoMap".into(), map)]),
        );
        assert_eq!(m.track_info(true, 12), Some(&track));
        assert_eq!(m.track_info(true, 1), None);
        assert_eq!(m.track_info(false, 12), None);
    }

    #[test]
    fn codec_id_that_is_not_a_whole_u32_is_ignored() {
        for bad in [1.5, -7.0, f64::NAN, 5e9] {
            let m = Metadata::new(
                0,
                Value::EcmaArray(alloc::vec![("audiocodecid".into(), bad.into())]),
            );
            assert_eq!(m.audio_codec(), None, "{bad}");
        }
    }
}

//! FLV files (Adobe FLV v10.1, annex E): the 9-byte header, then
//! PreviousTagSize0 and tags, each followed by its PreviousTagSize.
//!
//! [`FlvReader`] is incremental (push bytes, pull items) and zero-copy
//! (tag bodies share the reader's buffer); its memory is what the caller has
//! pushed and not yet pulled, and a tag header announcing more than
//! [`FlvReader::max_tag_size`] bytes is refused before anything is buffered
//! for it. [`read_file`] parses a whole file held in memory.
//! [`write_header`] and [`write_tag`] produce the same layout.

use alloc::vec::Vec;

use bytes::{Bytes, BytesMut};

use super::MediaError;
use super::codec::MediaKind;
use super::cursor::put_u24;

/// Length of the FLV file header.
pub const HEADER_LEN: usize = 9;
/// Length of an FLV tag header.
pub const TAG_HEADER_LEN: usize = 11;
/// The largest body a tag header can announce (24 bits).
pub const MAX_TAG_BODY: u32 = 0x00ff_ffff;

/// The FLV file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlvHeader {
    /// The version byte (1).
    pub version: u8,
    /// TypeFlagsAudio: audio tags are present.
    pub has_audio: bool,
    /// TypeFlagsVideo: video tags are present.
    pub has_video: bool,
    /// Offset of the first PreviousTagSize from the start of the file (9 for version 1).
    pub data_offset: u32,
}

impl FlvHeader {
    /// A version 1 header with the given flags.
    pub fn new(has_audio: bool, has_video: bool) -> Self {
        Self {
            version: 1,
            has_audio,
            has_video,
            data_offset: HEADER_LEN as u32,
        }
    }

    /// Parses the 9-byte header.
    pub fn parse(data: &[u8]) -> Result<Self, MediaError> {
        let h = data
            .first_chunk::<HEADER_LEN>()
            .ok_or(MediaError::Truncated("FLV header"))?;
        let [f, l, v, version, flags, o0, o1, o2, o3] = *h;
        if [f, l, v] != *b"FLV" {
            return Err(MediaError::BadSignature);
        }
        let data_offset = u32::from_be_bytes([o0, o1, o2, o3]);
        if data_offset < HEADER_LEN as u32 {
            return Err(MediaError::BadDataOffset(data_offset));
        }
        Ok(Self {
            version,
            has_audio: flags & 4 != 0,
            has_video: flags & 1 != 0,
            data_offset,
        })
    }
}

/// An FLV tag type (the whole first byte of the tag header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TagType {
    /// 8: audio.
    Audio,
    /// 9: video.
    Video,
    /// 18: script data (`onMetaData`).
    Script,
    /// Anything else, including tags with the filter (encryption) bit set; kept as read.
    Other(u8),
}

impl TagType {
    /// The tag header's first byte.
    pub fn to_u8(self) -> u8 {
        match self {
            Self::Audio => 8,
            Self::Video => 9,
            Self::Script => 18,
            Self::Other(b) => b,
        }
    }

    /// The tag type for a tag header's first byte.
    pub fn from_u8(b: u8) -> Self {
        match b {
            8 => Self::Audio,
            9 => Self::Video,
            18 => Self::Script,
            other => Self::Other(other),
        }
    }
}

impl From<MediaKind> for TagType {
    fn from(k: MediaKind) -> Self {
        match k {
            MediaKind::Audio => Self::Audio,
            MediaKind::Video => Self::Video,
        }
    }
}

/// One FLV tag (or one RTMP audio/video/data message: same body).
///
/// The tag header's StreamID (always 0 in files) is not kept; it is written as 0.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FlvTag {
    /// The tag type.
    pub tag_type: TagType,
    /// Timestamp in milliseconds (24 bits plus the 8-bit extension).
    pub timestamp: u32,
    /// The tag body.
    pub body: Bytes,
}

/// Appends the 9-byte file header and PreviousTagSize0.
///
/// The data offset written is always 9: `header.data_offset` only reports
/// what a file read had (the bytes a larger offset skips are not kept, so
/// they could not be written back anyway).
pub fn write_header(header: &FlvHeader, out: &mut Vec<u8>) {
    out.extend_from_slice(b"FLV");
    out.push(header.version);
    out.push((u8::from(header.has_audio) << 2) | u8::from(header.has_video));
    out.extend_from_slice(&(HEADER_LEN as u32).to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
}

/// Appends one tag (header, body, PreviousTagSize).
pub fn write_tag(tag: &FlvTag, out: &mut Vec<u8>) -> Result<(), MediaError> {
    let size = u32::try_from(tag.body.len())
        .ok()
        .filter(|s| *s <= MAX_TAG_BODY)
        .ok_or(MediaError::Unrepresentable("tag body larger than 16 MiB"))?;
    out.push(tag.tag_type.to_u8());
    put_u24(out, size);
    put_u24(out, tag.timestamp & 0x00ff_ffff);
    out.push((tag.timestamp >> 24) as u8);
    put_u24(out, 0);
    out.extend_from_slice(&tag.body);
    out.extend_from_slice(&(size + TAG_HEADER_LEN as u32).to_be_bytes());
    Ok(())
}

/// Something the reader found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlvItem {
    /// The file header (always first).
    Header(FlvHeader),
    /// A tag.
    Tag(FlvTag),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Header,
    Skip(usize),
    PreviousTagSize,
    Tag,
}

/// An incremental FLV reader: [`push`](Self::push) bytes, then call
/// [`next_item`](Self::next_item) until it returns `Ok(None)`.
#[derive(Debug)]
pub struct FlvReader {
    buf: BytesMut,
    state: State,
    max_tag_size: u32,
    last_tag_size: u32,
    mismatches: u64,
}

impl Default for FlvReader {
    fn default() -> Self {
        Self::new()
    }
}

impl FlvReader {
    /// A reader accepting any tag size the format allows (16 MiB - 1).
    pub fn new() -> Self {
        Self::with_max_tag_size(MAX_TAG_BODY)
    }

    /// A reader refusing tags whose body is larger than `max` bytes.
    pub fn with_max_tag_size(max: u32) -> Self {
        Self {
            buf: BytesMut::new(),
            state: State::Header,
            max_tag_size: max.min(MAX_TAG_BODY),
            last_tag_size: 0,
            mismatches: 0,
        }
    }

    /// The largest tag body this reader accepts.
    pub fn max_tag_size(&self) -> u32 {
        self.max_tag_size
    }

    /// Appends bytes read from the file.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Bytes pushed and not yet consumed.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// How many PreviousTagSize fields disagreed with the tag before them
    /// (they are not needed to read forward, so a mismatch is not an error).
    pub fn previous_tag_size_mismatches(&self) -> u64 {
        self.mismatches
    }

    /// Checks that the input ended on a tag boundary (a missing final
    /// PreviousTagSize is tolerated).
    pub fn finish(&self) -> Result<(), MediaError> {
        match (self.state, self.buf.len()) {
            (State::PreviousTagSize | State::Tag, 0) => Ok(()),
            (State::Header, _) => Err(MediaError::Truncated("FLV header")),
            _ => Err(MediaError::Truncated("FLV tag")),
        }
    }

    /// The next header or tag, `Ok(None)` if more bytes are needed. After an
    /// error the reader is not usable.
    pub fn next_item(&mut self) -> Result<Option<FlvItem>, MediaError> {
        loop {
            match self.state {
                State::Header => {
                    if self.buf.len() < HEADER_LEN {
                        return Ok(None);
                    }
                    let header = FlvHeader::parse(&self.buf)?;
                    let _ = self.buf.split_to(HEADER_LEN);
                    let extra =
                        usize::try_from(header.data_offset).unwrap_or(usize::MAX) - HEADER_LEN;
                    self.state = if extra > 0 {
                        State::Skip(extra)
                    } else {
                        State::PreviousTagSize
                    };
                    return Ok(Some(FlvItem::Header(header)));
                }
                State::Skip(n) => {
                    let k = n.min(self.buf.len());
                    let _ = self.buf.split_to(k);
                    if k < n {
                        self.state = State::Skip(n - k);
                        return Ok(None);
                    }
                    self.state = State::PreviousTagSize;
                }
                State::PreviousTagSize => {
                    let Some(&p) = self.buf.first_chunk::<4>() else {
                        return Ok(None);
                    };
                    if u32::from_be_bytes(p) != self.last_tag_size {
                        self.mismatches = self.mismatches.saturating_add(1);
                    }
                    let _ = self.buf.split_to(4);
                    self.state = State::Tag;
                }
                State::Tag => {
                    let Some(&h) = self.buf.first_chunk::<TAG_HEADER_LEN>() else {
                        return Ok(None);
                    };
                    let [t, s0, s1, s2, t0, t1, t2, t3, _, _, _] = h;
                    let size = u32::from_be_bytes([0, s0, s1, s2]);
                    if size > self.max_tag_size {
                        return Err(MediaError::TagTooLarge {
                            size,
                            limit: self.max_tag_size,
                        });
                    }
                    let total = TAG_HEADER_LEN + size as usize;
                    if self.buf.len() < total {
                        return Ok(None);
                    }
                    let mut unit = self.buf.split_to(total);
                    let body = unit.split_off(TAG_HEADER_LEN).freeze();
                    self.last_tag_size = size + TAG_HEADER_LEN as u32;
                    self.state = State::PreviousTagSize;
                    return Ok(Some(FlvItem::Tag(FlvTag {
                        tag_type: TagType::from_u8(t),
                        timestamp: u32::from_be_bytes([t3, t0, t1, t2]),
                        body,
                    })));
                }
            }
        }
    }
}

/// Parses a whole FLV file held in memory: its header and every tag.
pub fn read_file(data: &[u8]) -> Result<(FlvHeader, Vec<FlvTag>), MediaError> {
    let mut reader = FlvReader::new();
    reader.push(data);
    let mut header = None;
    let mut tags = Vec::new();
    while let Some(item) = reader.next_item()? {
        match item {
            FlvItem::Header(h) => header = Some(h),
            FlvItem::Tag(t) => tags.push(t),
        }
    }
    reader.finish()?;
    let header = header.ok_or(MediaError::Truncated("FLV header"))?;
    Ok((header, tags))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: [u8; 13] = *b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00";

    fn file(tags: &[FlvTag]) -> Vec<u8> {
        let mut out = Vec::new();
        write_header(&FlvHeader::new(true, true), &mut out);
        for t in tags {
            write_tag(t, &mut out).unwrap();
        }
        out
    }

    fn video(timestamp: u32, body: &'static [u8]) -> FlvTag {
        FlvTag {
            tag_type: TagType::Video,
            timestamp,
            body: Bytes::from_static(body),
        }
    }

    #[test]
    fn header_states_version_flags_and_offset() {
        let h = FlvHeader::parse(&HEADER).unwrap();
        assert_eq!(h, FlvHeader::new(true, true));
        let mut out = Vec::new();
        write_header(&h, &mut out);
        assert_eq!(out, HEADER);
    }

    #[test]
    fn bad_signature_is_rejected() {
        assert_eq!(
            FlvHeader::parse(b"FLX\x01\x05\x00\x00\x00\x09"),
            Err(MediaError::BadSignature)
        );
    }

    #[test]
    fn data_offset_below_9_is_rejected() {
        assert_eq!(
            FlvHeader::parse(b"FLV\x01\x05\x00\x00\x00\x08"),
            Err(MediaError::BadDataOffset(8))
        );
    }

    #[test]
    fn tag_layout_is_header_body_previous_tag_size() {
        let mut out = Vec::new();
        write_tag(&video(0x0123_4567, b"AB"), &mut out).unwrap();
        assert_eq!(
            out,
            [
                9, 0, 0, 2, 0x23, 0x45, 0x67, 0x01, 0, 0, 0, b'A', b'B', 0, 0, 0, 13
            ]
        );
    }

    #[test]
    fn timestamp_extension_is_the_high_byte() {
        let tags = [video(0xff00_0001, b"x")];
        let (_, read) = read_file(&file(&tags)).unwrap();
        assert_eq!(read[0].timestamp, 0xff00_0001);
    }

    #[test]
    fn reader_fed_one_byte_at_a_time_yields_header_then_tags() {
        let tags = [video(0, b"one"), video(40, b"two")];
        let data = file(&tags);
        let mut reader = FlvReader::new();
        let mut items = Vec::new();
        for b in &data {
            reader.push(core::slice::from_ref(b));
            while let Some(item) = reader.next_item().unwrap() {
                items.push(item);
            }
        }
        reader.finish().unwrap();
        assert_eq!(items.len(), 3);
        assert!(matches!(items[0], FlvItem::Header(_)));
        assert_eq!(items[2], FlvItem::Tag(tags[1].clone()));
        assert_eq!(reader.buffered(), 0);
    }

    #[test]
    fn tag_above_the_limit_is_refused_before_its_body_arrives() {
        let mut data = HEADER.to_vec();
        data.extend_from_slice(&[9, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let mut reader = FlvReader::with_max_tag_size(1024);
        reader.push(&data);
        assert!(matches!(reader.next_item(), Ok(Some(FlvItem::Header(_)))));
        assert_eq!(
            reader.next_item(),
            Err(MediaError::TagTooLarge {
                size: 0x10_0000,
                limit: 1024
            })
        );
    }

    #[test]
    fn file_cut_inside_a_tag_does_not_finish() {
        let mut data = file(&[video(0, b"body")]);
        data.truncate(data.len() - 6);
        assert_eq!(read_file(&data), Err(MediaError::Truncated("FLV tag")));
    }

    #[test]
    fn missing_final_previous_tag_size_is_tolerated() {
        let mut data = file(&[video(0, b"body")]);
        data.truncate(data.len() - 4);
        assert_eq!(read_file(&data).unwrap().1.len(), 1);
    }

    #[test]
    fn wrong_previous_tag_size_is_counted_not_fatal() {
        let mut data = file(&[video(0, b"a"), video(1, b"b")]);
        let at = HEADER.len() + TAG_HEADER_LEN + 1 + 3;
        data[at] = 99;
        let mut reader = FlvReader::new();
        reader.push(&data);
        let mut n = 0;
        while reader.next_item().unwrap().is_some() {
            n += 1;
        }
        assert_eq!((n, reader.previous_tag_size_mismatches()), (3, 1));
    }

    #[test]
    fn larger_data_offset_is_skipped() {
        let mut data = b"FLV\x01\x01\x00\x00\x00\x0cPAD\x00\x00\x00\x00".to_vec();
        write_tag(&video(5, b"v"), &mut data).unwrap();
        let (h, tags) = read_file(&data).unwrap();
        assert_eq!(h.data_offset, 12);
        assert_eq!(tags, [video(5, b"v")]);
    }

    #[test]
    fn unknown_tag_types_are_kept() {
        let t = FlvTag {
            tag_type: TagType::Other(0x28),
            timestamp: 1,
            body: Bytes::from_static(b"enc"),
        };
        assert_eq!(read_file(&file(core::slice::from_ref(&t))).unwrap().1, [t]);
    }

    #[test]
    fn writer_ignores_a_read_headers_large_data_offset() {
        // Found by fuzzing: padding up to the offset allocated gigabytes.
        let h = FlvHeader::parse(b"FLV\x01\x05\x73\x73\x73\x73").unwrap();
        let mut out = Vec::new();
        write_header(&h, &mut out);
        assert_eq!(out, HEADER);
    }
}

//! What the relay needs to know about a tag body without demuxing it:
//! whether it is a codec configuration (sequence header) and whether it is
//! a video key frame. Legacy FLV and Enhanced RTMP headers are both read.

use rtmp_proto::media::MediaKind;

/// Whether a tag body is a codec configuration: a legacy AVC/HEVC or AAC
/// sequence header, or an Enhanced RTMP `SequenceStart`.
pub(crate) fn is_sequence_header(kind: MediaKind, body: &[u8]) -> bool {
    match (kind, body) {
        // Enhanced video: IsExHeader bit, packet type in the low nibble.
        (MediaKind::Video, [first, ..]) if first & 0x80 != 0 => first & 0x0F == 0,
        // Legacy AVC (7) or HEVC (12, as some encoders send it): AVCPacketType 0.
        (MediaKind::Video, [first, 0, ..]) => matches!(first & 0x0F, 7 | 12),
        // Legacy AAC: AACPacketType 0.
        (MediaKind::Audio, [first, 0, ..]) => first >> 4 == 10,
        // Enhanced audio (sound format 9): packet type in the low nibble of byte 0.
        (MediaKind::Audio, [first, ..]) if first >> 4 == 9 => first & 0x0F == 0,
        _ => false,
    }
}

/// Whether a video tag body is a key frame (frame type 1, in the legacy and
/// the enhanced header alike). Sequence headers count as key frames too;
/// ask [`is_sequence_header`] first when the difference matters.
pub(crate) fn is_keyframe(body: &[u8]) -> bool {
    body.first().is_some_and(|b| (b >> 4) & 0x07 == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_avc_sequence_header_is_a_sequence_header_and_a_keyframe() {
        let body = [0x17, 0, 0, 0, 0, 1];
        assert!(is_sequence_header(MediaKind::Video, &body));
        assert!(is_keyframe(&body));
    }

    #[test]
    fn legacy_avc_nalu_is_not_a_sequence_header() {
        assert!(!is_sequence_header(MediaKind::Video, &[0x17, 1, 0, 0, 0]));
        assert!(is_keyframe(&[0x17, 1, 0, 0, 0]));
        assert!(!is_keyframe(&[0x27, 1, 0, 0, 0]));
    }

    #[test]
    fn enhanced_sequence_start_is_a_sequence_header() {
        // IsExHeader | key frame | SequenceStart, FourCC hvc1.
        let body = [0x90, b'h', b'v', b'c', b'1'];
        assert!(is_sequence_header(MediaKind::Video, &body));
        // CodedFramesX (3) is not.
        assert!(!is_sequence_header(
            MediaKind::Video,
            &[0x93, b'h', b'v', b'c', b'1']
        ));
    }

    #[test]
    fn aac_sequence_header_is_told_from_raw_aac() {
        assert!(is_sequence_header(MediaKind::Audio, &[0xAF, 0, 0x12, 0x10]));
        assert!(!is_sequence_header(MediaKind::Audio, &[0xAF, 1, 0x21]));
        assert!(!is_sequence_header(MediaKind::Audio, &[0x2F, 0, 1]));
    }

    #[test]
    fn empty_bodies_are_neither() {
        assert!(!is_sequence_header(MediaKind::Video, &[]));
        assert!(!is_sequence_header(MediaKind::Audio, &[]));
        assert!(!is_keyframe(&[]));
    }
}

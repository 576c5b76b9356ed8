//! Handshake extensions (draft-sharabayko-srt §3.2.1.1–§3.2.1.4), as
//! libsrt 1.5 puts them after a v5 handshake CIF.
//!
//! Each block is a 16-bit type, a 16-bit length in 4-byte words and that
//! many words of contents. Blocks follow one another to the end of the
//! packet. Known types decode to typed values; an unknown type is kept as
//! [`HandshakeExtension::Unknown`] so a handshake re-encodes byte for byte.

use super::DecodeError;
use super::km::{KeyMaterial, KmState};
use alloc::vec::Vec;
use core::{fmt, ops};

/// `SRT_CMD_HSREQ`: the initiator's SRT version, flags and latencies.
pub const SRT_CMD_HSREQ: u16 = 1;
/// `SRT_CMD_HSRSP`: the responder's SRT version, flags and latencies.
pub const SRT_CMD_HSRSP: u16 = 2;
/// `SRT_CMD_KMREQ`: key material from the initiator.
pub const SRT_CMD_KMREQ: u16 = 3;
/// `SRT_CMD_KMRSP`: key material echoed back, or a KM error state.
pub const SRT_CMD_KMRSP: u16 = 4;
/// `SRT_CMD_SID`: the stream id.
pub const SRT_CMD_SID: u16 = 5;
/// `SRT_CMD_CONGESTION`: the congestion controller's name.
pub const SRT_CMD_CONGESTION: u16 = 6;
/// `SRT_CMD_FILTER`: the packet filter configuration.
pub const SRT_CMD_FILTER: u16 = 7;
/// `SRT_CMD_GROUP`: socket group membership.
pub const SRT_CMD_GROUP: u16 = 8;

/// The longest string extension (stream id) libsrt accepts, in bytes
/// (`MAX_SID_LENGTH`).
pub const MAX_STRING_LEN: usize = 512;
/// The longest congestion controller name libsrt accepts
/// (`MAX_CONG_LENGTH`); longer names make it reject the connection.
pub const MAX_CONGESTION_LEN: usize = 16;
/// The longest packet filter configuration libsrt accepts
/// (`MAX_PFILTER_LENGTH`); longer ones make it reject the connection.
pub const MAX_FILTER_LEN: usize = 64;

/// An SRT library version, `major << 16 | minor << 8 | patch` on the wire
/// (libsrt 1.5.1 sends `0x00010501`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SrtVersion(pub u32);

impl SrtVersion {
    /// The version `major.minor.patch`.
    pub const fn new(major: u8, minor: u8, patch: u8) -> Self {
        Self(((major as u32) << 16) | ((minor as u32) << 8) | patch as u32)
    }

    /// The major version.
    pub const fn major(self) -> u8 {
        (self.0 >> 16) as u8
    }

    /// The minor version.
    pub const fn minor(self) -> u8 {
        (self.0 >> 8) as u8
    }

    /// The patch version.
    pub const fn patch(self) -> u8 {
        self.0 as u8
    }
}

impl fmt::Display for SrtVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major(), self.minor(), self.patch())
    }
}

/// The SRT flags of HSREQ/HSRSP (libsrt `SRT_OPT_*`). Bits without a name
/// are kept as they came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SrtFlags(pub u32);

impl SrtFlags {
    /// `SRT_OPT_TSBPDSND`: the sender side of timestamp-based delivery.
    pub const TSBPD_SND: Self = Self(0x01);
    /// `SRT_OPT_TSBPDRCV`: the receiver side of timestamp-based delivery.
    pub const TSBPD_RCV: Self = Self(0x02);
    /// `SRT_OPT_HAICRYPT`: AES-CTR encryption capability.
    pub const HAICRYPT: Self = Self(0x04);
    /// `SRT_OPT_TLPKTDROP`: drop packets too late to deliver.
    pub const TLPKTDROP: Self = Self(0x08);
    /// `SRT_OPT_NAKREPORT`: periodic NAK reports.
    pub const NAKREPORT: Self = Self(0x10);
    /// `SRT_OPT_REXMITFLG`: the retransmitted flag in data packets.
    pub const REXMITFLG: Self = Self(0x20);
    /// `SRT_OPT_STREAM`: stream (not message) mode.
    pub const STREAM: Self = Self(0x40);
    /// `SRT_OPT_FILTERCAP`: packet filter capability.
    pub const PACKET_FILTER: Self = Self(0x80);

    /// No flag set.
    pub const fn empty() -> Self {
        Self(0)
    }

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The raw bits.
    pub const fn bits(self) -> u32 {
        self.0
    }
}

impl ops::BitOr for SrtFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl ops::BitOrAssign for SrtFlags {
    fn bitor_assign(&mut self, rhs: Self) {
        self.0 |= rhs.0;
    }
}

/// The contents of HSREQ and HSRSP (§3.2.1.1): three words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SrtHs {
    /// The sender's SRT library version.
    pub version: SrtVersion,
    /// Its SRT flags.
    pub flags: SrtFlags,
    /// The latency its receiver uses, in milliseconds (high 16 bits of the
    /// third word, `SRT_HS_LATENCY_RCV`).
    pub receiver_tsbpd_delay: u16,
    /// The latency it asks its peer's receiver to use, in milliseconds (low
    /// 16 bits, `SRT_HS_LATENCY_SND`).
    pub sender_tsbpd_delay: u16,
}

const SRT_HS_LEN: usize = 12;

impl SrtHs {
    fn decode(contents: &[u8]) -> Result<Self, DecodeError> {
        let words: &[u8; SRT_HS_LEN] = contents.try_into().map_err(|_| DecodeError::BadLength {
            what: "HSREQ/HSRSP",
            len: contents.len(),
        })?;
        let [v0, v1, v2, v3, f0, f1, f2, f3, r0, r1, s0, s1] = *words;
        Ok(Self {
            version: SrtVersion(u32::from_be_bytes([v0, v1, v2, v3])),
            flags: SrtFlags(u32::from_be_bytes([f0, f1, f2, f3])),
            receiver_tsbpd_delay: u16::from_be_bytes([r0, r1]),
            sender_tsbpd_delay: u16::from_be_bytes([s0, s1]),
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.version.0.to_be_bytes());
        out.extend_from_slice(&self.flags.0.to_be_bytes());
        out.extend_from_slice(&self.receiver_tsbpd_delay.to_be_bytes());
        out.extend_from_slice(&self.sender_tsbpd_delay.to_be_bytes());
    }
}

/// Why [`ConfigString::new`] refused a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigStringError {
    /// Longer than [`MAX_STRING_LEN`] bytes; holds the length.
    TooLong(usize),
    /// Ends with a NUL byte, which the wire can't tell from padding.
    TrailingNul,
}

impl fmt::Display for ConfigStringError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLong(len) => write!(f, "string of {len} bytes: at most 512 allowed"),
            Self::TrailingNul => f.write_str("string ends with a NUL byte"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ConfigStringError {}

/// A string extension (stream id, congestion controller, packet filter).
///
/// libsrt writes the bytes as 32-bit words in its host (little-endian)
/// order, so on the wire every 4-byte group is reversed, and pads the
/// last word with NULs: "live/test" travels as `evil` `set/` `\0\0\0t`.
/// This type keeps the padded form, so decoding then encoding reproduces
/// the padding exactly.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConfigString {
    /// The string in reading order with its NUL padding; a whole number
    /// of words.
    padded: Vec<u8>,
}

impl ConfigString {
    /// The string `value` (at most [`MAX_STRING_LEN`] bytes, not ending
    /// with NUL), padded as libsrt pads it.
    pub fn new(value: &[u8]) -> Result<Self, ConfigStringError> {
        if value.len() > MAX_STRING_LEN {
            return Err(ConfigStringError::TooLong(value.len()));
        }
        if value.last() == Some(&0) {
            return Err(ConfigStringError::TrailingNul);
        }
        let mut padded = Vec::with_capacity(value.len().next_multiple_of(4));
        padded.extend_from_slice(value);
        padded.resize(value.len().next_multiple_of(4), 0);
        Ok(Self { padded })
    }

    /// The string's bytes, without the NUL padding.
    pub fn as_bytes(&self) -> &[u8] {
        let end = self
            .padded
            .iter()
            .rposition(|&b| b != 0)
            .map_or(0, |i| i + 1);
        self.padded.get(..end).unwrap_or_default()
    }

    /// The string, if it is UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        core::str::from_utf8(self.as_bytes()).ok()
    }

    fn decode(contents: &[u8], what: &'static str) -> Result<Self, DecodeError> {
        if contents.len() > MAX_STRING_LEN {
            return Err(DecodeError::BadLength {
                what,
                len: contents.len(),
            });
        }
        let mut padded = Vec::with_capacity(contents.len());
        for word in contents.chunks_exact(4) {
            padded.extend(word.iter().rev());
        }
        Ok(Self { padded })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        for word in self.padded.chunks(4) {
            out.extend(word.iter().rev());
        }
    }

    fn encoded_len(&self) -> usize {
        self.padded.len()
    }
}

/// Group membership (`SRT_CMD_GROUP`, libsrt `fillHsExtGroup`): two words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GroupExt {
    /// The group's id.
    pub group_id: u32,
    /// The group type (`SRT_GROUP_TYPE`: 1 broadcast, 2 backup), top byte.
    pub group_type: u8,
    /// The group flags, second byte.
    pub flags: u8,
    /// This member's weight (priority in backup groups), low 16 bits.
    pub weight: u16,
}

const GROUP_LEN: usize = 8;

impl GroupExt {
    fn decode(contents: &[u8]) -> Result<Self, DecodeError> {
        let words: &[u8; GROUP_LEN] = contents.try_into().map_err(|_| DecodeError::BadLength {
            what: "GROUP extension",
            len: contents.len(),
        })?;
        let [i0, i1, i2, i3, group_type, flags, w0, w1] = *words;
        Ok(Self {
            group_id: u32::from_be_bytes([i0, i1, i2, i3]),
            group_type,
            flags,
            weight: u16::from_be_bytes([w0, w1]),
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.group_id.to_be_bytes());
        out.extend_from_slice(&[self.group_type, self.flags]);
        out.extend_from_slice(&self.weight.to_be_bytes());
    }
}

/// What a KMRSP carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KmResponse {
    /// The key material, echoed back: the exchange succeeded.
    KeyMaterial(KeyMaterial),
    /// One word with the responder's KM state: the exchange failed (or
    /// only one side has a passphrase).
    ///
    /// libsrt stores this word in host order and swaps it twice on the
    /// way out, so on the (little-endian) wire BADSECRET is `04 00 00 00`;
    /// this crate reads and writes it that way.
    Error(KmState),
}

/// One handshake extension block.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HandshakeExtension {
    /// HSREQ (1), from the initiator.
    HsReq(SrtHs),
    /// HSRSP (2), from the responder.
    HsRsp(SrtHs),
    /// KMREQ (3): key material from the initiator.
    KmReq(KeyMaterial),
    /// KMRSP (4): the responder's answer to KMREQ.
    KmRsp(KmResponse),
    /// SID (5): the stream id.
    StreamId(ConfigString),
    /// CONGESTION (6): the congestion controller ("live", "file").
    Congestion(ConfigString),
    /// FILTER (7): the packet filter configuration.
    Filter(ConfigString),
    /// GROUP (8): group membership.
    Group(GroupExt),
    /// A block of another type, kept as it came. Its contents should be a
    /// whole number of words (the encoder pads them) and `ty` should not
    /// be one of the types above (it would decode as that type).
    Unknown {
        /// The block type.
        ty: u16,
        /// The block contents.
        contents: Vec<u8>,
    },
}

impl HandshakeExtension {
    /// The block type.
    pub fn ty(&self) -> u16 {
        match self {
            Self::HsReq(_) => SRT_CMD_HSREQ,
            Self::HsRsp(_) => SRT_CMD_HSRSP,
            Self::KmReq(_) => SRT_CMD_KMREQ,
            Self::KmRsp(_) => SRT_CMD_KMRSP,
            Self::StreamId(_) => SRT_CMD_SID,
            Self::Congestion(_) => SRT_CMD_CONGESTION,
            Self::Filter(_) => SRT_CMD_FILTER,
            Self::Group(_) => SRT_CMD_GROUP,
            Self::Unknown { ty, .. } => *ty,
        }
    }

    /// Decodes the block of type `ty` from its `contents` (a whole number
    /// of words).
    fn decode_contents(ty: u16, contents: &[u8]) -> Result<Self, DecodeError> {
        Ok(match ty {
            SRT_CMD_HSREQ => Self::HsReq(SrtHs::decode(contents)?),
            SRT_CMD_HSRSP => Self::HsRsp(SrtHs::decode(contents)?),
            SRT_CMD_KMREQ => Self::KmReq(KeyMaterial::decode(contents)?),
            SRT_CMD_KMRSP => Self::KmRsp(match contents.first_chunk::<4>() {
                Some(word) if contents.len() == 4 => {
                    KmResponse::Error(KmState::from_u32(u32::from_le_bytes(*word)))
                }
                _ => KmResponse::KeyMaterial(KeyMaterial::decode(contents)?),
            }),
            SRT_CMD_SID => Self::StreamId(ConfigString::decode(contents, "stream id")?),
            SRT_CMD_CONGESTION => {
                Self::Congestion(ConfigString::decode(contents, "congestion controller")?)
            }
            SRT_CMD_FILTER => Self::Filter(ConfigString::decode(contents, "packet filter")?),
            SRT_CMD_GROUP => Self::Group(GroupExt::decode(contents)?),
            ty => Self::Unknown {
                ty,
                contents: contents.to_vec(),
            },
        })
    }

    /// Decodes every block in `bytes` (the bytes after the 48-byte CIF).
    /// The blocks must fill `bytes` exactly.
    pub fn decode_all(mut bytes: &[u8]) -> Result<Vec<Self>, DecodeError> {
        let mut exts = Vec::new();
        while !bytes.is_empty() {
            let Some((header, rest)) = bytes.split_first_chunk::<4>() else {
                return Err(DecodeError::Truncated {
                    what: "handshake extension header",
                    needed: 4,
                    available: bytes.len(),
                });
            };
            let [t0, t1, l0, l1] = *header;
            let len = usize::from(u16::from_be_bytes([l0, l1])) * 4;
            let Some((contents, next)) = rest.split_at_checked(len) else {
                return Err(DecodeError::Truncated {
                    what: "handshake extension",
                    needed: len,
                    available: rest.len(),
                });
            };
            exts.push(Self::decode_contents(
                u16::from_be_bytes([t0, t1]),
                contents,
            )?);
            bytes = next;
        }
        Ok(exts)
    }

    /// Appends the block (header and contents) to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let contents_len = self.contents_len();
        let words = u16::try_from(contents_len / 4).unwrap_or(u16::MAX);
        out.extend_from_slice(&self.ty().to_be_bytes());
        out.extend_from_slice(&words.to_be_bytes());
        match self {
            Self::HsReq(hs) | Self::HsRsp(hs) => hs.encode(out),
            Self::KmReq(km) | Self::KmRsp(KmResponse::KeyMaterial(km)) => km.encode(out),
            Self::KmRsp(KmResponse::Error(state)) => {
                out.extend_from_slice(&state.to_u32().to_le_bytes());
            }
            Self::StreamId(s) | Self::Congestion(s) | Self::Filter(s) => s.encode(out),
            Self::Group(group) => group.encode(out),
            Self::Unknown { contents, .. } => {
                let take = contents.len().min(contents_len);
                out.extend_from_slice(contents.get(..take).unwrap_or_default());
                out.resize(out.len() + (contents_len - take), 0);
            }
        }
    }

    /// Bytes [`Self::encode`] appends.
    pub fn encoded_len(&self) -> usize {
        4 + self.contents_len()
    }

    /// The contents' length on the wire: a whole number of words.
    fn contents_len(&self) -> usize {
        match self {
            Self::HsReq(_) | Self::HsRsp(_) => SRT_HS_LEN,
            Self::KmReq(km) | Self::KmRsp(KmResponse::KeyMaterial(km)) => km.encoded_len(),
            Self::KmRsp(KmResponse::Error(_)) => 4,
            Self::StreamId(s) | Self::Congestion(s) | Self::Filter(s) => s.encoded_len(),
            Self::Group(_) => GROUP_LEN,
            Self::Unknown { contents, .. } => contents
                .len()
                .next_multiple_of(4)
                .min(usize::from(u16::MAX) * 4),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::packet::km::tests::arb_key_material;
    use crate::packet::km::{Cipher, KeyLength};
    use proptest::prelude::*;

    /// Decodes one block from hex (spaces allowed) and checks it re-encodes
    /// byte for byte.
    fn decode_one(hex_block: &str) -> HandshakeExtension {
        let bytes = hex::decode(hex_block.replace(' ', "")).unwrap();
        let mut exts = HandshakeExtension::decode_all(&bytes).unwrap();
        assert_eq!(exts.len(), 1);
        let ext = exts.remove(0);
        let mut out = Vec::new();
        ext.encode(&mut out);
        assert_eq!(out, bytes, "re-encoding must be byte-exact");
        assert_eq!(ext.encoded_len(), bytes.len());
        ext
    }

    fn encoded(ext: &HandshakeExtension) -> Vec<u8> {
        let mut out = Vec::new();
        ext.encode(&mut out);
        out
    }

    #[test]
    fn hsreq_puts_receiver_latency_in_the_high_half() {
        // The aes128 caller: 120 ms for its own receiver, 0 asked of the peer.
        let ext = decode_one("00010003 00010501 000000bf 00780000");
        let HandshakeExtension::HsReq(hs) = ext else {
            panic!("not HSREQ: {ext:?}");
        };
        assert_eq!(hs.version, SrtVersion::new(1, 5, 1));
        assert_eq!(hs.receiver_tsbpd_delay, 120);
        assert_eq!(hs.sender_tsbpd_delay, 0);
    }

    #[test]
    fn libsrt_1_5_flags_decode_to_named_flags() {
        let ext = decode_one("00020003 00010501 000000bf 00780078");
        let HandshakeExtension::HsRsp(hs) = ext else {
            panic!("not HSRSP: {ext:?}");
        };
        let expected = SrtFlags::TSBPD_SND
            | SrtFlags::TSBPD_RCV
            | SrtFlags::HAICRYPT
            | SrtFlags::TLPKTDROP
            | SrtFlags::NAKREPORT
            | SrtFlags::REXMITFLG
            | SrtFlags::PACKET_FILTER;
        assert_eq!(hs.flags, expected);
        assert!(!hs.flags.contains(SrtFlags::STREAM));
    }

    #[test]
    fn unknown_flag_bits_are_kept() {
        let ext = decode_one("00010003 00010501 800001bf 00780078");
        let HandshakeExtension::HsReq(hs) = ext else {
            panic!("not HSREQ: {ext:?}");
        };
        assert_eq!(hs.flags.bits(), 0x8000_01bf);
    }

    #[test]
    fn srt_version_displays_dotted() {
        use alloc::string::ToString;
        assert_eq!(SrtVersion(0x0001_0501).to_string(), "1.5.1");
    }

    #[test]
    fn stream_id_words_are_byte_reversed_and_padded() {
        let ext = decode_one("00050003 6576696c 7365742f 00000074");
        let HandshakeExtension::StreamId(sid) = ext else {
            panic!("not SID: {ext:?}");
        };
        assert_eq!(sid.as_str(), Some("live/test"));
        assert_eq!(
            encoded(&HandshakeExtension::StreamId(
                ConfigString::new(b"live/test").unwrap()
            )),
            hex::decode("000500036576696c7365742f00000074").unwrap()
        );
    }

    #[test]
    fn string_of_whole_words_has_no_terminator() {
        let congestion = ConfigString::new(b"live").unwrap();
        assert_eq!(
            encoded(&HandshakeExtension::Congestion(congestion)),
            hex::decode("000600016576696c").unwrap()
        );
    }

    #[test]
    fn extra_padding_words_are_kept() {
        let ext = decode_one("00070002 656c6966 00000000");
        let HandshakeExtension::Filter(filter) = ext else {
            panic!("not FILTER: {ext:?}");
        };
        assert_eq!(filter.as_bytes(), b"file");
    }

    #[test]
    fn stream_id_longer_than_512_bytes_is_rejected() {
        let mut bytes = hex::decode("00050081").unwrap();
        bytes.resize(4 + 129 * 4, b'a');
        assert_eq!(
            HandshakeExtension::decode_all(&bytes),
            Err(DecodeError::BadLength {
                what: "stream id",
                len: 516
            })
        );
        assert_eq!(
            ConfigString::new(&[b'a'; 513]),
            Err(ConfigStringError::TooLong(513))
        );
    }

    #[test]
    fn string_ending_in_nul_is_refused() {
        assert_eq!(
            ConfigString::new(b"ab\0"),
            Err(ConfigStringError::TrailingNul)
        );
    }

    #[test]
    fn kmreq_carries_key_material() {
        let ext = decode_one(concat!(
            "0003000e 12202901 00000000 02000200 00000404",
            "b84dc3eb 10344fc9 0a40f569 2323b50b",
            "8161923a 334b8d53 6b66a390 99b284cf bd481025 c0fe38f0"
        ));
        let HandshakeExtension::KmReq(km) = ext else {
            panic!("not KMREQ: {ext:?}");
        };
        assert_eq!(km.cipher(), Cipher::AesCtr);
        assert_eq!(km.key_len(), KeyLength::Aes128);
    }

    #[test]
    fn kmrsp_of_one_word_is_a_km_state_in_libsrt_byte_order() {
        let ext = decode_one("00040001 04000000");
        assert_eq!(
            ext,
            HandshakeExtension::KmRsp(KmResponse::Error(KmState::BadSecret))
        );
        let unsecured = decode_one("00040001 00000000");
        assert_eq!(
            unsecured,
            HandshakeExtension::KmRsp(KmResponse::Error(KmState::Unsecured))
        );
    }

    #[test]
    fn group_packs_type_flags_and_weight() {
        let ext = decode_one("00080002 12345678 02010064");
        assert_eq!(
            ext,
            HandshakeExtension::Group(GroupExt {
                group_id: 0x1234_5678,
                group_type: 2,
                flags: 1,
                weight: 100,
            })
        );
    }

    #[test]
    fn unknown_type_is_kept_not_fatal() {
        let bytes = hex::decode("00630001deadbeef00010003000105010000000000780078").unwrap();
        let exts = HandshakeExtension::decode_all(&bytes).unwrap();
        assert_eq!(
            exts[0],
            HandshakeExtension::Unknown {
                ty: 99,
                contents: hex::decode("deadbeef").unwrap()
            }
        );
        assert!(matches!(exts[1], HandshakeExtension::HsReq(_)));
    }

    #[test]
    fn block_longer_than_the_input_is_truncated() {
        let bytes = hex::decode("00050004 6576696c".replace(' ', "")).unwrap();
        assert!(matches!(
            HandshakeExtension::decode_all(&bytes),
            Err(DecodeError::Truncated { .. })
        ));
    }

    #[test]
    fn bytes_that_are_not_a_whole_header_are_truncated() {
        assert!(matches!(
            HandshakeExtension::decode_all(&[0, 1]),
            Err(DecodeError::Truncated { .. })
        ));
    }

    #[test]
    fn hsreq_of_wrong_length_is_rejected() {
        let bytes = hex::decode("0001000200010501000000bf").unwrap();
        assert!(matches!(
            HandshakeExtension::decode_all(&bytes),
            Err(DecodeError::BadLength { .. })
        ));
    }

    #[test]
    fn unknown_contents_are_padded_to_a_word() {
        let ext = HandshakeExtension::Unknown {
            ty: 42,
            contents: alloc::vec![1, 2, 3, 4, 5],
        };
        assert_eq!(
            encoded(&ext),
            hex::decode("002a00020102030405000000").unwrap()
        );
        assert_eq!(ext.encoded_len(), 12);
    }

    fn arb_string(max: usize) -> impl Strategy<Value = ConfigString> {
        proptest::collection::vec(any::<u8>(), 0..=max).prop_map(|mut v| {
            while v.last() == Some(&0) {
                v.pop();
            }
            ConfigString::new(&v).unwrap()
        })
    }

    fn arb_srt_hs() -> impl Strategy<Value = SrtHs> {
        (any::<u32>(), any::<u32>(), any::<u16>(), any::<u16>()).prop_map(|(v, f, r, s)| SrtHs {
            version: SrtVersion(v),
            flags: SrtFlags(f),
            receiver_tsbpd_delay: r,
            sender_tsbpd_delay: s,
        })
    }

    /// Any extension the decoder can produce.
    pub(crate) fn arb_extension() -> impl Strategy<Value = HandshakeExtension> {
        prop_oneof![
            arb_srt_hs().prop_map(HandshakeExtension::HsReq),
            arb_srt_hs().prop_map(HandshakeExtension::HsRsp),
            arb_key_material().prop_map(HandshakeExtension::KmReq),
            arb_key_material()
                .prop_map(|km| HandshakeExtension::KmRsp(KmResponse::KeyMaterial(km))),
            any::<u32>()
                .prop_map(|s| HandshakeExtension::KmRsp(KmResponse::Error(KmState::from_u32(s)))),
            arb_string(MAX_STRING_LEN).prop_map(HandshakeExtension::StreamId),
            arb_string(MAX_CONGESTION_LEN).prop_map(HandshakeExtension::Congestion),
            arb_string(MAX_FILTER_LEN).prop_map(HandshakeExtension::Filter),
            (any::<u32>(), any::<u8>(), any::<u8>(), any::<u16>()).prop_map(
                |(group_id, group_type, flags, weight)| HandshakeExtension::Group(GroupExt {
                    group_id,
                    group_type,
                    flags,
                    weight,
                })
            ),
            (9u16.., proptest::collection::vec(any::<u8>(), 0..16)).prop_map(|(ty, words)| {
                let mut contents = words;
                contents.resize(contents.len().next_multiple_of(4), 0);
                HandshakeExtension::Unknown { ty, contents }
            }),
        ]
    }

    proptest! {
        #[test]
        fn encode_then_decode_is_identity(exts in proptest::collection::vec(arb_extension(), 0..6)) {
            let mut out = Vec::new();
            for ext in &exts {
                ext.encode(&mut out);
            }
            prop_assert_eq!(out.len(), exts.iter().map(HandshakeExtension::encoded_len).sum::<usize>());
            prop_assert_eq!(HandshakeExtension::decode_all(&out).unwrap(), exts);
        }

        #[test]
        fn decode_of_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            if let Ok(exts) = HandshakeExtension::decode_all(&bytes) {
                let mut out = Vec::new();
                for ext in &exts {
                    ext.encode(&mut out);
                }
                prop_assert_eq!(out, bytes);
            }
        }

        #[test]
        fn decode_of_known_headers_with_random_contents_never_panics(
            ty in 0u16..10, words in 0u16..20,
            contents in proptest::collection::vec(any::<u8>(), 0..80),
        ) {
            let mut bytes = Vec::new();
            bytes.extend_from_slice(&ty.to_be_bytes());
            bytes.extend_from_slice(&words.to_be_bytes());
            bytes.extend_from_slice(&contents);
            let _ = HandshakeExtension::decode_all(&bytes);
        }
    }
}

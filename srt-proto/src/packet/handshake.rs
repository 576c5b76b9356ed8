//! The handshake control information field (CIF), v4 and v5, with its
//! extensions (draft-sharabayko-srt §3.2.1, libsrt `CHandShake`).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! |                            Version                            |
//! |        Encryption Field       |        Extension Field        |
//! |0|               Initial Packet Sequence Number                |
//! |                 Maximum Transmission Unit Size                |
//! |                    Maximum Flow Window Size                   |
//! |                         Handshake Type                        |
//! |                         SRT Socket ID                         |
//! |                           SYN Cookie                          |
//! |                    Peer IP Address (16 bytes)                 |
//! |              Extensions (type u16, length u16 in words, ...)  |
//! ```
//!
//! In a v4 handshake the encryption and extension fields together are the
//! UDT socket type (2, `UDT_DGRAM`, in libsrt's INDUCTION request); this
//! type splits the word the same way for both versions, so either
//! re-encodes exactly. Extension blocks are whatever follows the 48 fixed
//! bytes: libsrt's rejection keeps the request's extension flags while
//! carrying no block, so the flags don't say whether blocks follow.

use super::DecodeError;
use super::ext::HandshakeExtension;
use super::reject::{REJECTION_BASE, REJECTION_MAX, RejectReason};
use crate::seq::SeqNumber;
use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Bytes of the fixed part of the CIF (`CHandShake::m_iContentSize`).
pub const HANDSHAKE_CIF_LEN: usize = 48;

/// The extension field value a v5 listener puts in its INDUCTION answer
/// (`SrtHSRequest::SRT_MAGIC_CODE`).
pub const SRT_MAGIC_CODE: u16 = 0x4A17;

/// The stage of the handshake, or the reason of a rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandshakeType {
    /// WAVEAHAND (0): the first rendezvous message.
    Waveahand,
    /// INDUCTION (1): the first caller–listener exchange.
    Induction,
    /// CONCLUSION (`0xFFFF_FFFF`, -1): the second exchange, with extensions.
    Conclusion,
    /// AGREEMENT (`0xFFFF_FFFE`, -2): the last rendezvous message.
    Agreement,
    /// DONE (`0xFFFF_FFFD`, -3): libsrt's "nothing to send" marker.
    Done,
    /// A rejection (1000 + reason code, up to `0x7FFF_FFFF`).
    Rejection(RejectReason),
    /// Any other value, kept as it came.
    Unknown(u32),
}

impl HandshakeType {
    /// The wire value.
    pub fn to_u32(self) -> u32 {
        match self {
            Self::Waveahand => 0,
            Self::Induction => 1,
            Self::Conclusion => 0xFFFF_FFFF,
            Self::Agreement => 0xFFFF_FFFE,
            Self::Done => 0xFFFF_FFFD,
            Self::Rejection(reason) => reason.handshake_type(),
            Self::Unknown(v) => v,
        }
    }

    /// The handshake type for a wire value.
    pub fn from_u32(v: u32) -> Self {
        match v {
            0 => Self::Waveahand,
            1 => Self::Induction,
            0xFFFF_FFFF => Self::Conclusion,
            0xFFFF_FFFE => Self::Agreement,
            0xFFFF_FFFD => Self::Done,
            REJECTION_BASE..=REJECTION_MAX => {
                RejectReason::from_handshake_type(v).map_or(Self::Unknown(v), Self::Rejection)
            }
            v => Self::Unknown(v),
        }
    }
}

/// The encryption field: the key length the initiator advertises (v5),
/// `PBKEYLEN / 8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EncryptionField {
    /// 0: no encryption advertised.
    None,
    /// 2: AES-128.
    Aes128,
    /// 3: AES-192.
    Aes192,
    /// 4: AES-256.
    Aes256,
    /// Any other value, kept as it came.
    Unknown(u16),
}

impl EncryptionField {
    /// The wire value.
    pub fn to_u16(self) -> u16 {
        match self {
            Self::None => 0,
            Self::Aes128 => 2,
            Self::Aes192 => 3,
            Self::Aes256 => 4,
            Self::Unknown(v) => v,
        }
    }

    /// The field for a wire value.
    pub fn from_u16(v: u16) -> Self {
        match v {
            0 => Self::None,
            2 => Self::Aes128,
            3 => Self::Aes192,
            4 => Self::Aes256,
            v => Self::Unknown(v),
        }
    }

    /// The key length in bytes it advertises, if any.
    pub fn key_len(self) -> Option<usize> {
        match self {
            Self::Aes128 => Some(16),
            Self::Aes192 => Some(24),
            Self::Aes256 => Some(32),
            Self::None | Self::Unknown(_) => None,
        }
    }
}

/// The extension field: in a v5 CONCLUSION, which extension groups the
/// packet carries; in a v5 INDUCTION answer, [`SRT_MAGIC_CODE`]; in v4, the
/// low half of the socket type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ExtensionFlags(pub u16);

impl ExtensionFlags {
    /// `HS_EXT_HSREQ`: an HSREQ or HSRSP block.
    pub const HSREQ: Self = Self(0x1);
    /// `HS_EXT_KMREQ`: a KMREQ or KMRSP block.
    pub const KMREQ: Self = Self(0x2);
    /// `HS_EXT_CONFIG`: SID, CONGESTION, FILTER or GROUP blocks.
    pub const CONFIG: Self = Self(0x4);
    /// The INDUCTION answer's magic, [`SRT_MAGIC_CODE`].
    pub const MAGIC: Self = Self(SRT_MAGIC_CODE);

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The raw value.
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// The flags a CONCLUSION carrying `extensions` declares, as libsrt
    /// sets them: HSREQ for HSREQ/HSRSP, KMREQ for KMREQ/KMRSP, CONFIG for
    /// SID, CONGESTION, FILTER and GROUP.
    pub fn for_extensions(extensions: &[HandshakeExtension]) -> Self {
        extensions.iter().fold(Self(0), |flags, ext| {
            flags
                | match ext {
                    HandshakeExtension::HsReq(_) | HandshakeExtension::HsRsp(_) => Self::HSREQ,
                    HandshakeExtension::KmReq(_) | HandshakeExtension::KmRsp(_) => Self::KMREQ,
                    HandshakeExtension::StreamId(_)
                    | HandshakeExtension::Congestion(_)
                    | HandshakeExtension::Filter(_)
                    | HandshakeExtension::Group(_) => Self::CONFIG,
                    HandshakeExtension::Unknown { .. } => Self(0),
                }
        })
    }
}

impl core::ops::BitOr for ExtensionFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// The handshake control information field (CIF), v4 and v5, with its
/// extensions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Handshake {
    /// The handshake version: 4 (UDT legacy, a caller's INDUCTION) or 5.
    pub version: u32,
    /// The advertised key length (v5).
    pub encryption: EncryptionField,
    /// The extension flags, or the INDUCTION magic.
    pub extension_flags: ExtensionFlags,
    /// The sender's initial packet sequence number.
    pub initial_seq: SeqNumber,
    /// The maximum transmission unit, bytes (1500 by default).
    pub mtu: u32,
    /// The maximum flow window, packets (8192 by default).
    pub flow_window: u32,
    /// The handshake stage, or a rejection.
    pub handshake_type: HandshakeType,
    /// The sender's SRT socket id.
    pub socket_id: u32,
    /// The SYN cookie.
    pub syn_cookie: u32,
    /// The address the sender sees its peer at. See [`encode_peer_ip`] for
    /// the wire form.
    pub peer_ip: IpAddr,
    /// The extension blocks, in wire order (v5 CONCLUSION).
    pub extensions: Vec<HandshakeExtension>,
}

impl Handshake {
    /// Decodes from the bytes after the 16-byte control header.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let Some((fixed, rest)) = bytes.split_first_chunk::<HANDSHAKE_CIF_LEN>() else {
            return Err(DecodeError::Truncated {
                what: "handshake",
                needed: HANDSHAKE_CIF_LEN,
                available: bytes.len(),
            });
        };
        let word = |i: usize| {
            fixed
                .get(i * 4..i * 4 + 4)
                .and_then(|w| <[u8; 4]>::try_from(w).ok())
                .map_or(0, u32::from_be_bytes)
        };
        let isn = word(2);
        let initial_seq = SeqNumber::from_wire(isn).ok_or(DecodeError::InvalidField {
            what: "handshake initial sequence number",
            value: isn,
        })?;
        let type_word = word(1);
        let ip: [u8; 16] = fixed
            .get(32..)
            .and_then(|field| field.try_into().ok())
            .unwrap_or_default();
        Ok(Self {
            version: word(0),
            encryption: EncryptionField::from_u16((type_word >> 16) as u16),
            extension_flags: ExtensionFlags(type_word as u16),
            initial_seq,
            mtu: word(3),
            flow_window: word(4),
            handshake_type: HandshakeType::from_u32(word(5)),
            socket_id: word(6),
            syn_cookie: word(7),
            peer_ip: decode_peer_ip(&ip),
            extensions: HandshakeExtension::decode_all(rest)?,
        })
    }

    /// Appends the encoding to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.reserve(self.encoded_len());
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&self.encryption.to_u16().to_be_bytes());
        out.extend_from_slice(&self.extension_flags.0.to_be_bytes());
        out.extend_from_slice(&self.initial_seq.as_u32().to_be_bytes());
        out.extend_from_slice(&self.mtu.to_be_bytes());
        out.extend_from_slice(&self.flow_window.to_be_bytes());
        out.extend_from_slice(&self.handshake_type.to_u32().to_be_bytes());
        out.extend_from_slice(&self.socket_id.to_be_bytes());
        out.extend_from_slice(&self.syn_cookie.to_be_bytes());
        out.extend_from_slice(&encode_peer_ip(self.peer_ip));
        for ext in &self.extensions {
            ext.encode(out);
        }
    }

    /// Bytes [`Self::encode`] appends.
    pub fn encoded_len(&self) -> usize {
        HANDSHAKE_CIF_LEN
            + self
                .extensions
                .iter()
                .map(HandshakeExtension::encoded_len)
                .sum::<usize>()
    }

    /// The rejection reason, if this handshake is a rejection.
    pub fn reject_reason(&self) -> Option<RejectReason> {
        match self.handshake_type {
            HandshakeType::Rejection(reason) => Some(reason),
            _ => None,
        }
    }

    /// The first extension for which `f` returns `Some`.
    pub fn find_extension<'a, T>(
        &'a self,
        f: impl FnMut(&'a HandshakeExtension) -> Option<T>,
    ) -> Option<T> {
        self.extensions.iter().find_map(f)
    }
}

/// The 16-byte peer address field as libsrt writes it: four 32-bit words
/// copied from the address in memory and sent through `htonl`, so each
/// 4-byte group of the address is reversed on the (little-endian) wire.
/// IPv4 fills the first word and leaves the rest zero: 127.0.0.1 is
/// `01 00 00 7f 00 .. 00`.
pub fn encode_peer_ip(ip: IpAddr) -> [u8; 16] {
    let mut field = [0u8; 16];
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            field[..4].copy_from_slice(&[d, c, b, a]);
        }
        IpAddr::V6(v6) => {
            for (dst, src) in field.chunks_exact_mut(4).zip(v6.octets().chunks_exact(4)) {
                for (d, s) in dst.iter_mut().zip(src.iter().rev()) {
                    *d = *s;
                }
            }
        }
    }
    field
}

/// Reads the 16-byte peer address field (see [`encode_peer_ip`]). A field
/// whose last 12 bytes are zero is IPv4; any other is IPv6. Every field
/// reads to an address that [`encode_peer_ip`] writes back identically.
pub fn decode_peer_ip(field: &[u8; 16]) -> IpAddr {
    let mut octets = [0u8; 16];
    for (dst, src) in octets.chunks_exact_mut(4).zip(field.chunks_exact(4)) {
        for (d, s) in dst.iter_mut().zip(src.iter().rev()) {
            *d = *s;
        }
    }
    match octets {
        [a, b, c, d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] => IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
        _ => IpAddr::V6(Ipv6Addr::from(octets)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::ext::tests::arb_extension;
    use crate::packet::ext::{ConfigString, SrtFlags, SrtHs, SrtVersion};
    use proptest::prelude::*;

    fn cif(hex_words: &str) -> Vec<u8> {
        hex::decode(hex_words.replace(' ', "")).unwrap()
    }

    /// The plain capture's caller INDUCTION, after the control header.
    const CALLER_INDUCTION: &str = "00000004 00000002 3e3b824c 000005dc 00002000 00000001 \
                                    0a99e8e7 00000000 0100007f 00000000 00000000 00000000";

    #[test]
    fn decodes_the_v4_induction_libsrt_callers_send() {
        let hs = Handshake::decode(&cif(CALLER_INDUCTION)).unwrap();
        assert_eq!(hs.version, 4);
        assert_eq!(hs.encryption, EncryptionField::None);
        assert_eq!(hs.extension_flags, ExtensionFlags(2));
        assert_eq!(hs.initial_seq, SeqNumber::new(0x3e3b_824c));
        assert_eq!(hs.mtu, 1500);
        assert_eq!(hs.flow_window, 8192);
        assert_eq!(hs.handshake_type, HandshakeType::Induction);
        assert_eq!(hs.socket_id, 0x0a99_e8e7);
        assert_eq!(hs.syn_cookie, 0);
        assert_eq!(hs.peer_ip, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert!(hs.extensions.is_empty());
    }

    #[test]
    fn re_encodes_byte_exact() {
        let bytes = cif(CALLER_INDUCTION);
        let hs = Handshake::decode(&bytes).unwrap();
        let mut out = Vec::new();
        hs.encode(&mut out);
        assert_eq!(out, bytes);
        assert_eq!(hs.encoded_len(), 48);
    }

    #[test]
    fn induction_answer_carries_the_magic_and_advertised_key_length() {
        let hs = Handshake::decode(&cif(
            "00000005 00044a17 6f3ce285 000005dc 00002000 00000001 \
             116fbe48 0b70ac9f 0100007f 00000000 00000000 00000000",
        ))
        .unwrap();
        assert_eq!(hs.version, 5);
        assert_eq!(hs.extension_flags, ExtensionFlags::MAGIC);
        assert_eq!(hs.encryption, EncryptionField::Aes256);
        assert_eq!(hs.encryption.key_len(), Some(32));
    }

    #[test]
    fn rejection_type_decodes_to_its_reason() {
        let hs = Handshake::decode(&cif(
            "00000005 00000003 6f44c8e9 000005dc 00002000 000003f2 \
             11e2d302 7595807f 0100007f 00000000 00000000 00000000",
        ))
        .unwrap();
        assert_eq!(hs.reject_reason(), Some(RejectReason::BadSecret));
        // libsrt keeps the request's flags but sends no block.
        assert_eq!(
            hs.extension_flags,
            ExtensionFlags::HSREQ | ExtensionFlags::KMREQ
        );
        assert!(hs.extensions.is_empty());
    }

    #[test]
    fn handshake_types_have_their_wire_values() {
        for (ty, v) in [
            (HandshakeType::Waveahand, 0),
            (HandshakeType::Induction, 1),
            (HandshakeType::Conclusion, 0xFFFF_FFFF),
            (HandshakeType::Agreement, 0xFFFF_FFFE),
            (HandshakeType::Done, 0xFFFF_FFFD),
            (HandshakeType::Rejection(RejectReason::Rogue), 1004),
            (HandshakeType::Unknown(2), 2),
            (HandshakeType::Unknown(0x8000_0000), 0x8000_0000),
        ] {
            assert_eq!(ty.to_u32(), v);
            assert_eq!(HandshakeType::from_u32(v), ty);
        }
    }

    #[test]
    fn conclusion_carries_extensions() {
        let hs = Handshake::decode(&cif(
            "00000005 00000005 3e3b824c 000005dc 00002000 ffffffff \
             0a99e8e7 fe1366ce 0100007f 00000000 00000000 00000000 \
             00010003 00010501 000000bf 00780078 \
             00050003 6576696c 7365742f 00000074",
        ))
        .unwrap();
        assert_eq!(hs.handshake_type, HandshakeType::Conclusion);
        assert_eq!(
            hs.extensions,
            [
                HandshakeExtension::HsReq(SrtHs {
                    version: SrtVersion::new(1, 5, 1),
                    flags: SrtFlags(0xbf),
                    receiver_tsbpd_delay: 120,
                    sender_tsbpd_delay: 120,
                }),
                HandshakeExtension::StreamId(ConfigString::new(b"live/test").unwrap()),
            ]
        );
    }

    #[test]
    fn shorter_than_48_bytes_is_truncated() {
        let bytes = cif(CALLER_INDUCTION);
        assert_eq!(
            Handshake::decode(&bytes[..47]),
            Err(DecodeError::Truncated {
                what: "handshake",
                needed: 48,
                available: 47
            })
        );
    }

    #[test]
    fn initial_sequence_number_with_top_bit_is_rejected() {
        let mut bytes = cif(CALLER_INDUCTION);
        bytes[8] |= 0x80;
        assert!(matches!(
            Handshake::decode(&bytes),
            Err(DecodeError::InvalidField { .. })
        ));
    }

    #[test]
    fn ipv4_peer_address_is_one_reversed_word() {
        assert_eq!(
            encode_peer_ip(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))),
            [2, 0, 0, 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn ipv6_peer_address_is_four_reversed_words() {
        let ip: IpAddr = "2001:db8::1".parse().unwrap();
        let field = encode_peer_ip(ip);
        assert_eq!(field[..4], [0xb8, 0x0d, 0x01, 0x20]);
        assert_eq!(field[12..], [1, 0, 0, 0]);
        assert_eq!(decode_peer_ip(&field), ip);
    }

    fn arb_handshake() -> impl Strategy<Value = Handshake> {
        (
            (any::<u32>(), any::<u16>(), any::<u16>(), 0..=SeqNumber::MAX),
            (any::<u32>(), any::<u32>(), any::<u32>(), any::<u32>()),
            (any::<u32>(), any::<[u8; 16]>(), any::<bool>()),
            proptest::collection::vec(arb_extension(), 0..5),
        )
            .prop_map(
                |(
                    (version, enc, ext, isn),
                    (mtu, window, ty, id),
                    (cookie, ip, v4),
                    extensions,
                )| {
                    let mut ip = ip;
                    if v4 {
                        ip[4..].fill(0);
                    }
                    Handshake {
                        version,
                        encryption: EncryptionField::from_u16(enc),
                        extension_flags: ExtensionFlags(ext),
                        initial_seq: SeqNumber::new(isn),
                        mtu,
                        flow_window: window,
                        handshake_type: HandshakeType::from_u32(ty),
                        socket_id: id,
                        syn_cookie: cookie,
                        peer_ip: decode_peer_ip(&ip),
                        extensions,
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn encode_then_decode_is_identity(hs in arb_handshake()) {
            let mut out = Vec::new();
            hs.encode(&mut out);
            prop_assert_eq!(out.len(), hs.encoded_len());
            prop_assert_eq!(Handshake::decode(&out).unwrap(), hs);
        }

        #[test]
        fn every_peer_address_field_round_trips(field in any::<[u8; 16]>()) {
            prop_assert_eq!(encode_peer_ip(decode_peer_ip(&field)), field);
        }

        #[test]
        fn decode_of_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(hs) = Handshake::decode(&bytes) {
                let mut out = Vec::new();
                hs.encode(&mut out);
                prop_assert_eq!(out, bytes);
            }
        }

        #[test]
        fn decode_of_valid_cif_with_random_tail_never_panics(tail in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut bytes = cif(CALLER_INDUCTION);
            bytes.extend_from_slice(&tail);
            if let Ok(hs) = Handshake::decode(&bytes) {
                let mut out = Vec::new();
                hs.encode(&mut out);
                prop_assert_eq!(out, bytes);
            }
        }
    }
}

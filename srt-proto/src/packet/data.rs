//! Data packets (draft-sharabayko-srt §3.1).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |0|                    Packet Sequence Number                   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |P P|O|K K|R|                   Message Number                  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                           Timestamp                           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                     Destination Socket ID                     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                            Payload                          ...
//! ```

use super::{DecodeError, HEADER_LEN, header_words};
use crate::seq::{MsgNumber, SeqNumber};
use crate::time::Timestamp;
use alloc::vec::Vec;
use bytes::Bytes;

/// Length of the AES-GCM authentication tag that ends an AES-GCM encrypted
/// payload.
pub const GCM_TAG_LEN: usize = 16;

/// Where a packet sits in its message: the `PP` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketPosition {
    /// `0b10`: the first packet of a message of several (libsrt `PB_FIRST`).
    First,
    /// `0b00`: neither first nor last (libsrt `PB_SUBSEQUENT`).
    Middle,
    /// `0b01`: the last packet of a message of several (libsrt `PB_LAST`).
    Last,
    /// `0b11`: the whole message in one packet (libsrt `PB_SOLO`), as in live
    /// mode.
    Only,
}

impl PacketPosition {
    /// From the two `PP` bits (higher bits are ignored).
    #[inline]
    pub const fn from_bits(bits: u32) -> Self {
        match bits & 0b11 {
            0b10 => Self::First,
            0b00 => Self::Middle,
            0b01 => Self::Last,
            _ => Self::Only,
        }
    }

    /// The two `PP` bits.
    pub const fn bits(self) -> u32 {
        match self {
            Self::First => 0b10,
            Self::Middle => 0b00,
            Self::Last => 0b01,
            Self::Only => 0b11,
        }
    }

    /// Whether this packet starts a message.
    pub const fn is_first(self) -> bool {
        matches!(self, Self::First | Self::Only)
    }

    /// Whether this packet ends a message.
    pub const fn is_last(self) -> bool {
        matches!(self, Self::Last | Self::Only)
    }
}

/// Which key encrypted the payload: the `KK` field (libsrt
/// `EncryptionKeySpec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EncryptionKeySpec {
    /// `0b00`: the payload is not encrypted (libsrt `EK_NOENC`).
    Unencrypted,
    /// `0b01`: encrypted with the even key (libsrt `EK_EVEN`).
    Even,
    /// `0b10`: encrypted with the odd key (libsrt `EK_ODD`).
    Odd,
}

impl EncryptionKeySpec {
    /// From the two `KK` bits; `0b11` is not allowed on a data packet.
    #[inline]
    pub const fn from_bits(bits: u32) -> Result<Self, DecodeError> {
        match bits {
            0b00 => Ok(Self::Unencrypted),
            0b01 => Ok(Self::Even),
            0b10 => Ok(Self::Odd),
            _ => Err(DecodeError::InvalidField {
                what: "data packet encryption key flags (KK)",
                value: bits,
            }),
        }
    }

    /// The two `KK` bits.
    pub const fn bits(self) -> u32 {
        match self {
            Self::Unencrypted => 0b00,
            Self::Even => 0b01,
            Self::Odd => 0b10,
        }
    }
}

/// An SRT data packet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DataPacket {
    /// The packet sequence number.
    pub seq: SeqNumber,
    /// Where the packet sits in its message (`PP`).
    pub position: PacketPosition,
    /// `O`: the message must be delivered in order.
    pub in_order: bool,
    /// `KK`: which key, if any, encrypted the payload.
    pub encryption: EncryptionKeySpec,
    /// `R`: this is a retransmission.
    pub retransmitted: bool,
    /// The message number.
    pub msg_number: MsgNumber,
    /// The sender's timestamp.
    pub timestamp: Timestamp,
    /// The receiving socket's ID.
    pub dst_socket_id: u32,
    /// The payload (encrypted if [`Self::encryption`] says so; with AES-GCM
    /// it ends in the [`GCM_TAG_LEN`]-byte tag).
    pub payload: Bytes,
}

const POSITION_SHIFT: u32 = 30;
const IN_ORDER_BIT: u32 = 1 << 29;
const KEY_SHIFT: u32 = 27;
const REXMIT_BIT: u32 = 1 << 26;

impl DataPacket {
    /// Decodes a datagram that holds a data packet. The payload shares
    /// `datagram`'s memory (no copy).
    #[inline]
    pub fn decode(datagram: &Bytes) -> Result<Self, DecodeError> {
        let [w0, w1, w2, w3] = header_words(datagram)?;
        if w0 & 0x8000_0000 != 0 {
            return Err(DecodeError::InvalidField {
                what: "data packet F bit",
                value: 1,
            });
        }
        Self::from_header(w0, w1, w2, w3, datagram.slice(HEADER_LEN..))
    }

    /// Builds the packet from its four header words (`w0` with F clear) and
    /// its payload.
    #[inline]
    pub(super) fn from_header(
        w0: u32,
        w1: u32,
        w2: u32,
        w3: u32,
        payload: Bytes,
    ) -> Result<Self, DecodeError> {
        Ok(Self {
            seq: SeqNumber::new(w0),
            position: PacketPosition::from_bits(w1 >> POSITION_SHIFT),
            in_order: w1 & IN_ORDER_BIT != 0,
            encryption: EncryptionKeySpec::from_bits((w1 >> KEY_SHIFT) & 0b11)?,
            retransmitted: w1 & REXMIT_BIT != 0,
            msg_number: MsgNumber::new(w1),
            timestamp: Timestamp::new(w2),
            dst_socket_id: w3,
            payload,
        })
    }

    /// The 16 header bytes as they go on the wire. AES-GCM authenticates
    /// them (with `R` cleared, and word order depending on the libsrt
    /// version: see `crypto::gcm::gcm_aad`).
    pub fn header_bytes(&self) -> [u8; HEADER_LEN] {
        let w1 = (self.position.bits() << POSITION_SHIFT)
            | if self.in_order { IN_ORDER_BIT } else { 0 }
            | (self.encryption.bits() << KEY_SHIFT)
            | if self.retransmitted { REXMIT_BIT } else { 0 }
            | self.msg_number.as_u32();
        let [a, b, c, d] = self.seq.as_u32().to_be_bytes();
        let [e, f, g, h] = w1.to_be_bytes();
        let [i, j, k, l] = self.timestamp.as_u32().to_be_bytes();
        let [m, n, o, p] = self.dst_socket_id.to_be_bytes();
        [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p]
    }

    /// Appends the encoding to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.reserve(self.encoded_len());
        out.extend_from_slice(&self.header_bytes());
        out.extend_from_slice(&self.payload);
    }

    /// Bytes [`Self::encode`] appends.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + self.payload.len()
    }

    /// Splits an AES-GCM payload into its ciphertext and its
    /// [`GCM_TAG_LEN`]-byte authentication tag, or fails if the payload is
    /// shorter than a tag.
    pub fn split_gcm_tag(&self) -> Result<(&[u8], &[u8; GCM_TAG_LEN]), DecodeError> {
        let split = self.payload.len().checked_sub(GCM_TAG_LEN);
        match split.and_then(|at| self.payload.split_at_checked(at)) {
            Some((text, tag)) => match <&[u8; GCM_TAG_LEN]>::try_from(tag) {
                Ok(tag) => Ok((text, tag)),
                Err(_) => Err(self.short_for_gcm()),
            },
            None => Err(self.short_for_gcm()),
        }
    }

    fn short_for_gcm(&self) -> DecodeError {
        DecodeError::Truncated {
            what: "AES-GCM payload",
            needed: GCM_TAG_LEN,
            available: self.payload.len(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> DataPacket {
        DataPacket {
            seq: SeqNumber::new(0x3E3B_824C),
            position: PacketPosition::Only,
            in_order: false,
            encryption: EncryptionKeySpec::Unencrypted,
            retransmitted: false,
            msg_number: MsgNumber::new(1),
            timestamp: Timestamp::new(0x000D_1530),
            dst_socket_id: 0x3BAF_3146,
            payload: Bytes::from_static(&[0, 1, 2, 3]),
        }
    }

    // The first data packet of the libsrt plain capture, cut to 4 payload bytes.
    const LIBSRT_FIRST: &str = "3e3b824cc0000001000d15303baf314600010203";

    #[test]
    fn decodes_libsrt_header_fields() {
        let bytes = Bytes::from(hex::decode(LIBSRT_FIRST).unwrap());
        assert_eq!(DataPacket::decode(&bytes).unwrap(), sample());
    }

    #[test]
    fn encodes_libsrt_bytes() {
        let mut out = Vec::new();
        sample().encode(&mut out);
        assert_eq!(hex::encode(&out), LIBSRT_FIRST);
        assert_eq!(out.len(), sample().encoded_len());
    }

    #[test]
    fn flag_bits_land_where_the_draft_puts_them() {
        let mut p = sample();
        p.position = PacketPosition::First;
        p.in_order = true;
        p.encryption = EncryptionKeySpec::Odd;
        p.retransmitted = true;
        p.msg_number = MsgNumber::new(MsgNumber::MAX);
        let h = p.header_bytes();
        assert_eq!(h[4..8], [0b1011_0111, 0xFF, 0xFF, 0xFF]);
    }

    #[test]
    fn payload_shares_the_datagram_memory() {
        let bytes = Bytes::from(hex::decode(LIBSRT_FIRST).unwrap());
        let p = DataPacket::decode(&bytes).unwrap();
        assert_eq!(p.payload.as_ptr(), bytes[16..].as_ptr());
    }

    #[test]
    fn key_flags_3_is_an_error() {
        let mut raw = hex::decode(LIBSRT_FIRST).unwrap();
        raw[4] |= 0b0001_1000;
        let err = DataPacket::decode(&Bytes::from(raw)).unwrap_err();
        assert!(matches!(err, DecodeError::InvalidField { value: 3, .. }));
    }

    #[test]
    fn control_bit_is_refused() {
        let mut raw = hex::decode(LIBSRT_FIRST).unwrap();
        raw[0] |= 0x80;
        assert!(DataPacket::decode(&Bytes::from(raw)).is_err());
    }

    #[test]
    fn header_shorter_than_16_bytes_is_truncated() {
        let raw = Bytes::from_static(&[0; 15]);
        assert!(matches!(
            DataPacket::decode(&raw),
            Err(DecodeError::Truncated {
                needed: 16,
                available: 15,
                ..
            })
        ));
    }

    #[test]
    fn empty_payload_is_allowed() {
        let raw = Bytes::from_static(&[0; 16]);
        assert!(DataPacket::decode(&raw).unwrap().payload.is_empty());
    }

    #[test]
    fn gcm_tag_is_the_last_16_bytes() {
        let mut p = sample();
        p.payload = Bytes::from((0u8..20).collect::<Vec<_>>());
        let (text, tag) = p.split_gcm_tag().unwrap();
        assert_eq!(text, &[0, 1, 2, 3]);
        assert_eq!(tag, &core::array::from_fn::<u8, 16, _>(|i| i as u8 + 4));
    }

    #[test]
    fn gcm_payload_shorter_than_a_tag_is_an_error() {
        let mut p = sample();
        p.payload = Bytes::from_static(&[0; 15]);
        assert!(p.split_gcm_tag().is_err());
        p.payload = Bytes::from_static(&[0; 16]);
        assert_eq!(p.split_gcm_tag().unwrap().0, &[] as &[u8]);
    }

    pub(crate) fn arb_data_packet() -> impl Strategy<Value = DataPacket> {
        (
            (
                0..=SeqNumber::MAX,
                0u32..4,
                any::<bool>(),
                0u32..3,
                any::<bool>(),
            ),
            (0..=MsgNumber::MAX, any::<u32>(), any::<u32>()),
            proptest::collection::vec(any::<u8>(), 0..64),
        )
            .prop_map(|((seq, pp, o, kk, r), (msg, ts, id), payload)| DataPacket {
                seq: SeqNumber::new(seq),
                position: PacketPosition::from_bits(pp),
                in_order: o,
                encryption: EncryptionKeySpec::from_bits(kk).unwrap(),
                retransmitted: r,
                msg_number: MsgNumber::new(msg),
                timestamp: Timestamp::new(ts),
                dst_socket_id: id,
                payload: Bytes::from(payload),
            })
    }

    proptest! {
        #[test]
        fn encode_then_decode_is_identity(p in arb_data_packet()) {
            let mut out = Vec::new();
            p.encode(&mut out);
            prop_assert_eq!(out.len(), p.encoded_len());
            prop_assert_eq!(DataPacket::decode(&Bytes::from(out)).unwrap(), p);
        }

        #[test]
        fn decode_then_encode_is_byte_exact(raw in proptest::collection::vec(any::<u8>(), 0..40)) {
            let bytes = Bytes::from(raw.clone());
            if let Ok(p) = DataPacket::decode(&bytes) {
                let mut out = Vec::new();
                p.encode(&mut out);
                prop_assert_eq!(out, raw);
            }
        }
    }
}

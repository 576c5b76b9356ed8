//! The SRT wire format (draft-sharabayko-srt §3), as libsrt 1.5 puts it on
//! the wire.
//!
//! Every SRT datagram starts with the same 16-byte header: bit 0 (`F`) tells
//! a [`DataPacket`] (0) from a [`ControlPacket`] (1); the third word is the
//! sender's [`Timestamp`] and the fourth the destination socket ID.
//!
//! [`Packet::decode`] is total: any input gives a packet or a typed
//! [`DecodeError`], never a panic. It takes the datagram as [`Bytes`] and
//! shares its memory (a data payload is `datagram.slice(16..)`), so it copies
//! nothing and allocates nothing beyond what the handshake and key material
//! decoders keep, which is bounded by the input's size.
//!
//! ```
//! use bytes::Bytes;
//! use srt_proto::packet::{Packet, PacketPosition};
//!
//! let datagram = Bytes::from_static(&[
//!     0x00, 0x00, 0x00, 0x2A, // F=0, sequence number 42
//!     0xC0, 0x00, 0x00, 0x07, // PP=solo, message number 7
//!     0x00, 0x00, 0x03, 0xE8, // timestamp 1000 µs
//!     0x12, 0x34, 0x56, 0x78, // destination socket
//!     b'h', b'i',
//! ]);
//! let Packet::Data(data) = Packet::decode(&datagram)? else { unreachable!() };
//! assert_eq!(data.seq.as_u32(), 42);
//! assert_eq!(data.position, PacketPosition::Only);
//! assert_eq!(&data.payload[..], b"hi");
//!
//! let mut out = Vec::new();
//! Packet::Data(data).encode(&mut out);
//! assert_eq!(out, datagram);
//! # Ok::<(), srt_proto::packet::DecodeError>(())
//! ```

pub mod control;
pub mod data;
mod error;
pub mod ext;
pub mod handshake;
pub mod km;
pub mod loss_list;
pub mod reject;

pub use control::{Ack, AckInfo, ControlBody, ControlPacket, DropRequest, FullAck};
pub use data::{DataPacket, EncryptionKeySpec, GCM_TAG_LEN, PacketPosition};
pub use error::DecodeError;
pub use handshake::Handshake;
pub use km::KeyMaterial;
pub use loss_list::LossList;

use crate::time::Timestamp;
use alloc::vec::Vec;
use bytes::{Buf, Bytes};

/// Length of the header every SRT packet starts with.
pub const HEADER_LEN: usize = 16;

/// One SRT datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// A data packet (`F` = 0).
    Data(DataPacket),
    /// A control packet (`F` = 1).
    Control(ControlPacket),
}

impl Packet {
    /// Decodes a datagram, sharing its memory (no copy of the payload: it
    /// is `datagram.slice(16..)`, one reference-count increment).
    #[inline]
    pub fn decode(datagram: &Bytes) -> Result<Self, DecodeError> {
        // Check the header first so a runt costs no reference count.
        let [w0, w1, w2, w3] = header_words(datagram)?;
        if w0 & 0x8000_0000 == 0 {
            Self::decode_owned(datagram.clone())
        } else {
            // Most control packets keep no bytes: no reference taken.
            ControlPacket::from_header(w0, w1, w2, w3, control::Cif::Shared(datagram))
                .map(Self::Control)
        }
    }

    /// Decodes a datagram the caller hands over, reusing its reference to
    /// the memory: cheaper than [`Self::decode`] on the receive path (no
    /// atomic reference-count traffic at all for a data packet).
    #[inline]
    pub fn decode_owned(mut datagram: Bytes) -> Result<Self, DecodeError> {
        let [w0, w1, w2, w3] = header_words(&datagram)?;
        // `header_words` checked that the header is there.
        datagram.advance(HEADER_LEN);
        if w0 & 0x8000_0000 == 0 {
            DataPacket::from_header(w0, w1, w2, w3, datagram).map(Self::Data)
        } else {
            ControlPacket::from_header(w0, w1, w2, w3, control::Cif::Owned(datagram))
                .map(Self::Control)
        }
    }

    /// Decodes a datagram from a borrowed slice, copying it once.
    pub fn decode_slice(datagram: &[u8]) -> Result<Self, DecodeError> {
        // Check the header first so a runt costs no allocation.
        header_words(datagram)?;
        Self::decode_owned(Bytes::copy_from_slice(datagram))
    }

    /// Appends the encoding to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Data(p) => p.encode(out),
            Self::Control(p) => p.encode(out),
        }
    }

    /// Bytes [`Self::encode`] appends.
    pub fn encoded_len(&self) -> usize {
        match self {
            Self::Data(p) => p.encoded_len(),
            Self::Control(p) => p.encoded_len(),
        }
    }

    /// The destination socket ID.
    pub fn dst_socket_id(&self) -> u32 {
        match self {
            Self::Data(p) => p.dst_socket_id,
            Self::Control(p) => p.dst_socket_id,
        }
    }

    /// The sender's timestamp.
    pub fn timestamp(&self) -> Timestamp {
        match self {
            Self::Data(p) => p.timestamp,
            Self::Control(p) => p.timestamp,
        }
    }
}

impl From<DataPacket> for Packet {
    fn from(p: DataPacket) -> Self {
        Self::Data(p)
    }
}

impl From<ControlPacket> for Packet {
    fn from(p: ControlPacket) -> Self {
        Self::Control(p)
    }
}

/// The destination socket ID of a datagram, read without decoding the rest
/// (for demultiplexing), or `None` if it is shorter than a header.
pub fn peek_dst_socket_id(datagram: &[u8]) -> Option<u32> {
    let (_, rest) = datagram.split_first_chunk::<12>()?;
    rest.first_chunk::<4>().map(|w| u32::from_be_bytes(*w))
}

/// The four header words, big-endian.
#[inline]
pub(crate) fn header_words(bytes: &[u8]) -> Result<[u32; 4], DecodeError> {
    let Some(h) = bytes.first_chunk::<HEADER_LEN>() else {
        return Err(DecodeError::Truncated {
            what: "SRT packet header",
            needed: HEADER_LEN,
            available: bytes.len(),
        });
    };
    let [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p] = *h;
    Ok([
        u32::from_be_bytes([a, b, c, d]),
        u32::from_be_bytes([e, f, g, h]),
        u32::from_be_bytes([i, j, k, l]),
        u32::from_be_bytes([m, n, o, p]),
    ])
}

/// Appends `v` big-endian.
pub(crate) fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn f_bit_picks_data_or_control() {
        let mut raw = [0u8; 20];
        assert!(matches!(Packet::decode_slice(&raw), Ok(Packet::Data(_))));
        raw[0] = 0x80;
        raw[1] = 0x01;
        assert!(matches!(Packet::decode_slice(&raw), Ok(Packet::Control(_))));
    }

    #[test]
    fn decode_owned_keeps_the_payload_in_place() {
        let raw = Bytes::from(hex::decode("0000002ac000000700000001000000026869").unwrap());
        let payload_at = raw[16..].as_ptr();
        let Ok(Packet::Data(p)) = Packet::decode_owned(raw) else {
            panic!("not data")
        };
        assert_eq!(p.payload.as_ptr(), payload_at);
        assert_eq!(&p.payload[..], b"hi");
    }

    #[test]
    fn runt_is_truncated() {
        assert!(matches!(
            Packet::decode_slice(&[0x80; 15]),
            Err(DecodeError::Truncated {
                needed: 16,
                available: 15,
                ..
            })
        ));
        assert!(Packet::decode_slice(&[]).is_err());
    }

    #[test]
    fn accessors_read_the_common_header() {
        let raw = hex::decode("8001000000000000deadbeef1234567800000000").unwrap();
        let p = Packet::decode_slice(&raw).unwrap();
        assert_eq!(p.timestamp(), Timestamp::new(0xDEAD_BEEF));
        assert_eq!(p.dst_socket_id(), 0x1234_5678);
        assert_eq!(peek_dst_socket_id(&raw), Some(0x1234_5678));
        assert_eq!(peek_dst_socket_id(&raw[..15]), None);
    }

    #[test]
    fn packet_stays_small() {
        assert!(
            core::mem::size_of::<DataPacket>() <= 56,
            "{}",
            core::mem::size_of::<DataPacket>()
        );
        assert!(
            core::mem::size_of::<Packet>() <= 72,
            "{}",
            core::mem::size_of::<Packet>()
        );
    }

    fn arb_packet() -> impl Strategy<Value = Packet> {
        prop_oneof![
            data::tests::arb_data_packet().prop_map(Packet::Data),
            control::tests::arb_control_packet().prop_map(Packet::Control),
        ]
    }

    /// Arbitrary datagrams, biased to start like real ones so the decoders
    /// get past the header and type checks.
    fn arb_datagram() -> impl Strategy<Value = Vec<u8>> {
        let tail = || proptest::collection::vec(any::<u8>(), 0..96);
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..120),
            (0u16..10, any::<u16>(), any::<[u8; 12]>(), tail()).prop_map(|(t, st, h, rest)| {
                let mut v = (0x8000_0000u32 | (u32::from(t) << 16) | u32::from(st % 4))
                    .to_be_bytes()
                    .to_vec();
                v.extend_from_slice(&h);
                v.extend(rest);
                v
            }),
            (1u16..9, any::<[u8; 12]>(), tail()).prop_map(|(st, h, rest)| {
                let mut v = (0xFFFF_0000u32 | u32::from(st)).to_be_bytes().to_vec();
                v.extend_from_slice(&h);
                v.extend(rest);
                v
            }),
        ]
    }

    proptest! {
        #[test]
        fn encode_then_decode_is_identity(p in arb_packet()) {
            let mut out = Vec::new();
            p.encode(&mut out);
            prop_assert_eq!(out.len(), p.encoded_len());
            prop_assert_eq!(Packet::decode(&Bytes::from(out)).unwrap(), p);
        }

        #[test]
        fn decode_of_arbitrary_bytes_never_panics(raw in arb_datagram()) {
            let _ = Packet::decode(&Bytes::from(raw));
        }

        #[test]
        fn decoded_arbitrary_input_reencodes_to_the_same_packet(raw in arb_datagram()) {
            if let Ok(p) = Packet::decode(&Bytes::from(raw)) {
                let mut out = Vec::new();
                p.encode(&mut out);
                prop_assert_eq!(out.len(), p.encoded_len());
                prop_assert_eq!(Packet::decode(&Bytes::from(out)).unwrap(), p);
            }
        }
    }
}

//! Control packets (draft-sharabayko-srt §3.2).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |1|         Control Type        |            Subtype            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                   Type-specific Information                   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                           Timestamp                           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                     Destination Socket ID                     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Control Information Field (CIF)             ...
//! ```
//!
//! Decoding is as lenient as libsrt where libsrt ignores something: the
//! type-specific information of types that do not use it, the subtype of
//! types other than user-defined (0x7FFF), and bytes after the fields a type
//! defines (libsrt sends 4 zero bytes of padding with KEEPALIVE, SHUTDOWN,
//! ACKACK, CONGESTION WARNING and PEERERROR) are dropped. Encoding writes
//! them as libsrt does: zeros, and that 4-byte padding. So libsrt's packets
//! re-encode byte-exact, and any decoded packet re-encodes to bytes that
//! decode to the same value. Unknown types and user-defined subtypes decode
//! to [`ControlBody::Unknown`], which keeps every byte.

use super::ext::KmResponse;
use super::handshake::Handshake;
use super::km::{KeyMaterial, KmState};
use super::loss_list::LossList;
use super::{DecodeError, HEADER_LEN, header_words, put_u32};
use crate::seq::{MsgNumber, SeqNumber, SeqRange};
use crate::time::Timestamp;
use alloc::boxed::Box;
use alloc::vec::Vec;
use bytes::Bytes;

/// Control type of a HANDSHAKE packet.
pub const TYPE_HANDSHAKE: u16 = 0x0000;
/// Control type of a KEEPALIVE packet.
pub const TYPE_KEEPALIVE: u16 = 0x0001;
/// Control type of an ACK packet.
pub const TYPE_ACK: u16 = 0x0002;
/// Control type of a NAK (loss report) packet.
pub const TYPE_NAK: u16 = 0x0003;
/// Control type of a CONGESTION WARNING packet.
pub const TYPE_CONGESTION_WARNING: u16 = 0x0004;
/// Control type of a SHUTDOWN packet.
pub const TYPE_SHUTDOWN: u16 = 0x0005;
/// Control type of an ACKACK packet.
pub const TYPE_ACKACK: u16 = 0x0006;
/// Control type of a DROPREQ (message drop request) packet.
pub const TYPE_DROPREQ: u16 = 0x0007;
/// Control type of a PEERERROR packet.
pub const TYPE_PEERERROR: u16 = 0x0008;
/// Control type of user-defined packets; the subtype says which.
pub const TYPE_USER_DEFINED: u16 = 0x7FFF;

/// User-defined subtype: HSv4 SRT handshake request (libsrt `SRT_CMD_HSREQ`).
pub const SUBTYPE_HSREQ: u16 = 1;
/// User-defined subtype: HSv4 SRT handshake response (libsrt `SRT_CMD_HSRSP`).
pub const SUBTYPE_HSRSP: u16 = 2;
/// User-defined subtype: key material request (libsrt `SRT_CMD_KMREQ`).
pub const SUBTYPE_KMREQ: u16 = 3;
/// User-defined subtype: key material response (libsrt `SRT_CMD_KMRSP`).
pub const SUBTYPE_KMRSP: u16 = 4;

/// The 4 zero bytes libsrt sends as the CIF of packets that have none.
const PADDING: [u8; 4] = [0; 4];

/// An SRT control packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlPacket {
    /// The sender's timestamp.
    pub timestamp: Timestamp,
    /// The receiving socket's ID (0 in a caller's first handshake).
    pub dst_socket_id: u32,
    /// Type, subtype, type-specific information and CIF.
    pub body: ControlBody,
}

/// What a control packet says: its type with the fields that type carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlBody {
    /// HANDSHAKE (0x0000): the handshake CIF.
    Handshake(Box<Handshake>),
    /// KEEPALIVE (0x0001).
    KeepAlive,
    /// ACK (0x0002).
    Ack(Ack),
    /// NAK (0x0003): the lost sequence numbers.
    Nak(LossList),
    /// CONGESTION WARNING (0x0004).
    CongestionWarning,
    /// SHUTDOWN (0x0005).
    Shutdown,
    /// ACKACK (0x0006).
    AckAck {
        /// The number of the ACK being acknowledged.
        ack_number: u32,
    },
    /// DROPREQ (0x0007): the receiver must stop waiting for these packets.
    DropRequest(DropRequest),
    /// PEERERROR (0x0008).
    PeerError {
        /// The error code (libsrt sends 4000 for a failed file transfer).
        code: u32,
    },
    /// User-defined (0x7FFF) subtype 1, `SRT_CMD_HSREQ`: an HSv4 SRT
    /// handshake request, as its raw CIF (the SRT handshake extension words).
    SrtHandshakeRequest(Bytes),
    /// User-defined (0x7FFF) subtype 2, `SRT_CMD_HSRSP`: an HSv4 SRT
    /// handshake response, as its raw CIF.
    SrtHandshakeResponse(Bytes),
    /// User-defined (0x7FFF) subtype 3, `SRT_CMD_KMREQ`: key material.
    KeyMaterialRequest(Box<KeyMaterial>),
    /// User-defined (0x7FFF) subtype 4, `SRT_CMD_KMRSP`: the key material
    /// echoed back, or a one-word KM state when the responder could not use
    /// the request (that word is little-endian on the wire, as libsrt sends
    /// it; see [`KmResponse::Error`]).
    KeyMaterialResponse(Box<KmResponse>),
    /// A control type, or user-defined subtype, this crate does not know.
    /// Encodes back exactly as received. Constructing one with a known
    /// `control_type` (or a known user-defined subtype) makes a packet that
    /// decodes as that known type.
    Unknown {
        /// The 15-bit control type (bit 15 is dropped on encode).
        control_type: u16,
        /// The subtype.
        subtype: u16,
        /// The type-specific information.
        info: u32,
        /// The whole CIF.
        cif: Bytes,
    },
}

/// An ACK's information after the acknowledged sequence number, in the
/// three forms libsrt sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AckInfo {
    /// Light ACK: the CIF is the sequence number alone (4 bytes), sent every
    /// 64 packets between full ACKs.
    Light,
    /// Small ACK (16-byte CIF): RTT, its variance and the available buffer.
    Small {
        /// Round-trip time, µs.
        rtt: u32,
        /// Round-trip time variance, µs.
        rtt_variance: u32,
        /// Free space in the receiver buffer, packets.
        available_buffer: u32,
    },
    /// Full ACK (28-byte CIF; 24 bytes from a peer older than SRT 1.0.3,
    /// without the receiving rate in bytes).
    Full(FullAck),
}

/// The fields of a full ACK after the acknowledged sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FullAck {
    /// Round-trip time, µs.
    pub rtt: u32,
    /// Round-trip time variance, µs.
    pub rtt_variance: u32,
    /// Free space in the receiver buffer, packets.
    pub available_buffer: u32,
    /// Packets received per second.
    pub packets_receiving_rate: u32,
    /// Estimated link capacity, packets per second.
    pub estimated_link_capacity: u32,
    /// Bytes received per second; `None` only in the 24-byte form.
    pub receiving_rate: Option<u32>,
}

/// An ACK packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ack {
    /// The ACK number (type-specific information), echoed in the ACKACK;
    /// libsrt sends 0 in a light ACK.
    pub ack_number: u32,
    /// The last acknowledged packet sequence number plus one: every packet
    /// before it has arrived.
    pub ack_seq: SeqNumber,
    /// The rest of the CIF.
    pub info: AckInfo,
}

impl Ack {
    /// Round-trip time and its variance (µs), if the form carries them.
    pub const fn rtt(&self) -> Option<(u32, u32)> {
        match self.info {
            AckInfo::Light => None,
            AckInfo::Small {
                rtt, rtt_variance, ..
            } => Some((rtt, rtt_variance)),
            AckInfo::Full(f) => Some((f.rtt, f.rtt_variance)),
        }
    }

    /// Free space in the receiver buffer (packets), if the form carries it.
    pub const fn available_buffer(&self) -> Option<u32> {
        match self.info {
            AckInfo::Light => None,
            AckInfo::Small {
                available_buffer, ..
            } => Some(available_buffer),
            AckInfo::Full(f) => Some(f.available_buffer),
        }
    }

    fn cif_len(&self) -> usize {
        match self.info {
            AckInfo::Light => 4,
            AckInfo::Small { .. } => 16,
            AckInfo::Full(FullAck {
                receiving_rate: None,
                ..
            }) => 24,
            AckInfo::Full(_) => 28,
        }
    }

    fn decode(info: u32, cif: &[u8]) -> Result<Self, DecodeError> {
        // libsrt reads whole words and ignores a ragged end and words past
        // the ones it knows (a 32-byte ACK from SRT 1.0.2 adds a send rate).
        // Straight-line loads (no per-word loop state): a word past the
        // end reads as 0 and is not counted.
        let w: [u32; 7] = core::array::from_fn(|i| be_word(cif, i));
        let n = (cif.len() / 4).min(7);
        let [
            seq,
            rtt,
            rtt_variance,
            available_buffer,
            pkt_rate,
            capacity,
            byte_rate,
        ] = w;
        let ack_seq = SeqNumber::from_wire(seq).ok_or(DecodeError::InvalidField {
            what: "ACK sequence number",
            value: seq,
        })?;
        let info_form = match (n, cif.len()) {
            (0, len) => {
                return Err(DecodeError::Truncated {
                    what: "ACK",
                    needed: 4,
                    available: len,
                });
            }
            (1, 4) => AckInfo::Light,
            (1..=3, len) => return Err(DecodeError::BadLength { what: "ACK", len }),
            (4 | 5, _) => AckInfo::Small {
                rtt,
                rtt_variance,
                available_buffer,
            },
            (6, _) => AckInfo::Full(FullAck {
                rtt,
                rtt_variance,
                available_buffer,
                packets_receiving_rate: pkt_rate,
                estimated_link_capacity: capacity,
                receiving_rate: None,
            }),
            _ => AckInfo::Full(FullAck {
                rtt,
                rtt_variance,
                available_buffer,
                packets_receiving_rate: pkt_rate,
                estimated_link_capacity: capacity,
                receiving_rate: Some(byte_rate),
            }),
        };
        Ok(Self {
            ack_number: info,
            ack_seq,
            info: info_form,
        })
    }

    fn encode_cif(&self, out: &mut Vec<u8>) {
        put_u32(out, self.ack_seq.as_u32());
        match self.info {
            AckInfo::Light => {}
            AckInfo::Small {
                rtt,
                rtt_variance,
                available_buffer,
            } => {
                for w in [rtt, rtt_variance, available_buffer] {
                    put_u32(out, w);
                }
            }
            AckInfo::Full(f) => {
                for w in [
                    f.rtt,
                    f.rtt_variance,
                    f.available_buffer,
                    f.packets_receiving_rate,
                    f.estimated_link_capacity,
                ] {
                    put_u32(out, w);
                }
                if let Some(rate) = f.receiving_rate {
                    put_u32(out, rate);
                }
            }
        }
    }
}

/// A DROPREQ packet: the sender no longer has packets `first ..= last` (of
/// message `msg_number`) and the receiver must stop asking for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DropRequest {
    /// The message dropped (type-specific information); 0 when the sender
    /// does not know it and the drop goes by sequence numbers only.
    pub msg_number: MsgNumber,
    /// First sequence number to drop.
    pub first: SeqNumber,
    /// Last sequence number to drop (inclusive).
    pub last: SeqNumber,
}

impl DropRequest {
    /// `first ..= last` as a range, or `None` if `last` is before `first`.
    pub const fn range(&self) -> Option<SeqRange> {
        SeqRange::new(self.first, self.last)
    }
}

impl ControlBody {
    /// The 15-bit control type.
    pub fn control_type(&self) -> u16 {
        match self {
            Self::Handshake(_) => TYPE_HANDSHAKE,
            Self::KeepAlive => TYPE_KEEPALIVE,
            Self::Ack(_) => TYPE_ACK,
            Self::Nak(_) => TYPE_NAK,
            Self::CongestionWarning => TYPE_CONGESTION_WARNING,
            Self::Shutdown => TYPE_SHUTDOWN,
            Self::AckAck { .. } => TYPE_ACKACK,
            Self::DropRequest(_) => TYPE_DROPREQ,
            Self::PeerError { .. } => TYPE_PEERERROR,
            Self::SrtHandshakeRequest(_)
            | Self::SrtHandshakeResponse(_)
            | Self::KeyMaterialRequest(_)
            | Self::KeyMaterialResponse(_) => TYPE_USER_DEFINED,
            Self::Unknown { control_type, .. } => control_type & 0x7FFF,
        }
    }

    /// The subtype (non-zero only for user-defined packets).
    pub fn subtype(&self) -> u16 {
        match self {
            Self::SrtHandshakeRequest(_) => SUBTYPE_HSREQ,
            Self::SrtHandshakeResponse(_) => SUBTYPE_HSRSP,
            Self::KeyMaterialRequest(_) => SUBTYPE_KMREQ,
            Self::KeyMaterialResponse(_) => SUBTYPE_KMRSP,
            Self::Unknown { subtype, .. } => *subtype,
            _ => 0,
        }
    }

    /// The type-specific information word.
    pub fn type_specific_info(&self) -> u32 {
        match self {
            Self::Ack(ack) => ack.ack_number,
            Self::AckAck { ack_number } => *ack_number,
            Self::DropRequest(d) => d.msg_number.as_u32(),
            Self::PeerError { code } => *code,
            Self::Unknown { info, .. } => *info,
            _ => 0,
        }
    }

    fn cif_len(&self) -> usize {
        match self {
            Self::Handshake(hs) => hs.encoded_len(),
            Self::KeepAlive
            | Self::CongestionWarning
            | Self::Shutdown
            | Self::AckAck { .. }
            | Self::PeerError { .. } => PADDING.len(),
            Self::Ack(ack) => ack.cif_len(),
            Self::Nak(list) => list.encoded_len(),
            Self::DropRequest(_) => 8,
            Self::SrtHandshakeRequest(cif)
            | Self::SrtHandshakeResponse(cif)
            | Self::Unknown { cif, .. } => cif.len(),
            Self::KeyMaterialRequest(km) => km.encoded_len(),
            Self::KeyMaterialResponse(rsp) => match &**rsp {
                KmResponse::KeyMaterial(km) => km.encoded_len(),
                KmResponse::Error(_) => 4,
            },
        }
    }

    fn encode_cif(&self, out: &mut Vec<u8>) {
        match self {
            Self::Handshake(hs) => hs.encode(out),
            Self::KeepAlive
            | Self::CongestionWarning
            | Self::Shutdown
            | Self::AckAck { .. }
            | Self::PeerError { .. } => out.extend_from_slice(&PADDING),
            Self::Ack(ack) => ack.encode_cif(out),
            Self::Nak(list) => list.encode(out),
            Self::DropRequest(d) => {
                put_u32(out, d.first.as_u32());
                put_u32(out, d.last.as_u32());
            }
            Self::SrtHandshakeRequest(cif)
            | Self::SrtHandshakeResponse(cif)
            | Self::Unknown { cif, .. } => out.extend_from_slice(cif),
            Self::KeyMaterialRequest(km) => km.encode(out),
            Self::KeyMaterialResponse(rsp) => match &**rsp {
                KmResponse::KeyMaterial(km) => km.encode(out),
                KmResponse::Error(state) => out.extend_from_slice(&state.to_u32().to_le_bytes()),
            },
        }
    }
}

/// A control packet's CIF as the decoder gets it.
pub(super) enum Cif<'a> {
    /// Inside a datagram the caller keeps (header included): read in
    /// place, sliced only by a body that keeps bytes.
    Shared(&'a Bytes),
    /// Handed over, header already removed.
    Owned(Bytes),
}

impl Cif<'_> {
    fn as_slice(&self) -> &[u8] {
        match self {
            Self::Shared(datagram) => datagram.get(HEADER_LEN..).unwrap_or_default(),
            Self::Owned(cif) => cif,
        }
    }

    fn into_bytes(self) -> Bytes {
        match self {
            Self::Shared(datagram) if datagram.len() >= HEADER_LEN => datagram.slice(HEADER_LEN..),
            Self::Shared(_) => Bytes::new(),
            Self::Owned(cif) => cif,
        }
    }
}

impl ControlPacket {
    /// Decodes a datagram that holds a control packet. Byte fields of the
    /// result share `datagram`'s memory.
    pub fn decode(datagram: &Bytes) -> Result<Self, DecodeError> {
        let [w0, w1, w2, w3] = header_words(datagram)?;
        if w0 & 0x8000_0000 == 0 {
            return Err(DecodeError::InvalidField {
                what: "control packet F bit",
                value: 0,
            });
        }
        Self::from_header(w0, w1, w2, w3, Cif::Shared(datagram))
    }

    /// Builds the packet from its four header words (`w0` with F set) and
    /// its CIF.
    pub(super) fn from_header(
        w0: u32,
        info: u32,
        w2: u32,
        w3: u32,
        cif: Cif<'_>,
    ) -> Result<Self, DecodeError> {
        // Truncation is the point: these are the two 16-bit halves of `w0`.
        let control_type = ((w0 >> 16) & 0x7FFF) as u16;
        let subtype = (w0 & 0xFFFF) as u16;
        // Only the bodies that keep bytes take a reference to the datagram
        // (an atomic increment, and a decrement when dropped): an ACK, an
        // ACKACK or a keepalive is read in place.
        let body = match control_type {
            TYPE_HANDSHAKE => ControlBody::Handshake(Box::new(Handshake::decode(cif.as_slice())?)),
            TYPE_KEEPALIVE => ControlBody::KeepAlive,
            TYPE_ACK => ControlBody::Ack(Ack::decode(info, cif.as_slice())?),
            TYPE_NAK => ControlBody::Nak(LossList::decode(cif.into_bytes())?),
            TYPE_CONGESTION_WARNING => ControlBody::CongestionWarning,
            TYPE_SHUTDOWN => ControlBody::Shutdown,
            TYPE_ACKACK => ControlBody::AckAck { ack_number: info },
            TYPE_DROPREQ => ControlBody::DropRequest(decode_drop_request(info, cif.as_slice())?),
            TYPE_PEERERROR => ControlBody::PeerError { code: info },
            TYPE_USER_DEFINED => match subtype {
                SUBTYPE_HSREQ => ControlBody::SrtHandshakeRequest(cif.into_bytes()),
                SUBTYPE_HSRSP => ControlBody::SrtHandshakeResponse(cif.into_bytes()),
                SUBTYPE_KMREQ => {
                    ControlBody::KeyMaterialRequest(Box::new(KeyMaterial::decode(cif.as_slice())?))
                }
                SUBTYPE_KMRSP => {
                    ControlBody::KeyMaterialResponse(Box::new(match *cif.as_slice() {
                        [a, b, c, d] => {
                            KmResponse::Error(KmState::from_u32(u32::from_le_bytes([a, b, c, d])))
                        }
                        _ => KmResponse::KeyMaterial(KeyMaterial::decode(cif.as_slice())?),
                    }))
                }
                _ => ControlBody::Unknown {
                    control_type,
                    subtype,
                    info,
                    cif: cif.into_bytes(),
                },
            },
            _ => ControlBody::Unknown {
                control_type,
                subtype,
                info,
                cif: cif.into_bytes(),
            },
        };
        Ok(Self {
            timestamp: Timestamp::new(w2),
            dst_socket_id: w3,
            body,
        })
    }

    /// Appends the encoding to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.reserve(self.encoded_len());
        let w0 = 0x8000_0000
            | (u32::from(self.body.control_type()) << 16)
            | u32::from(self.body.subtype());
        put_u32(out, w0);
        put_u32(out, self.body.type_specific_info());
        put_u32(out, self.timestamp.as_u32());
        put_u32(out, self.dst_socket_id);
        self.body.encode_cif(out);
    }

    /// Bytes [`Self::encode`] appends.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + self.body.cif_len()
    }
}

/// The `i`-th big-endian 32-bit word of `bytes`, 0 if it is not all there.
#[inline]
fn be_word(bytes: &[u8], i: usize) -> u32 {
    bytes
        .get(i * 4..)
        .and_then(|rest| rest.first_chunk::<4>())
        .map_or(0, |w| u32::from_be_bytes(*w))
}

fn decode_drop_request(info: u32, cif: &[u8]) -> Result<DropRequest, DecodeError> {
    let Some((first, rest)) = cif.split_first_chunk::<4>() else {
        return Err(drop_request_truncated(cif));
    };
    let Some((last, _)) = rest.split_first_chunk::<4>() else {
        return Err(drop_request_truncated(cif));
    };
    let seq = |word: &[u8; 4], what| {
        let raw = u32::from_be_bytes(*word);
        SeqNumber::from_wire(raw).ok_or(DecodeError::InvalidField { what, value: raw })
    };
    Ok(DropRequest {
        msg_number: MsgNumber::new(info),
        first: seq(first, "DROPREQ first sequence number")?,
        last: seq(last, "DROPREQ last sequence number")?,
    })
}

fn drop_request_truncated(cif: &[u8]) -> DecodeError {
    DecodeError::Truncated {
        what: "DROPREQ",
        needed: 8,
        available: cif.len(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::packet::loss_list::tests::arb_loss_list;
    use alloc::vec;
    use proptest::prelude::*;

    fn decode_hex(h: &str) -> Result<ControlPacket, DecodeError> {
        ControlPacket::decode(&Bytes::from(hex::decode(h).unwrap()))
    }

    fn encode_hex(p: &ControlPacket) -> alloc::string::String {
        let mut out = Vec::new();
        p.encode(&mut out);
        assert_eq!(out.len(), p.encoded_len());
        hex::encode(out)
    }

    fn packet(body: ControlBody) -> ControlPacket {
        ControlPacket {
            timestamp: Timestamp::new(0x0102_0304),
            dst_socket_id: 0x0A0B_0C0D,
            body,
        }
    }

    // From the libsrt plain capture.
    const LIBSRT_FULL_ACK: &str =
        "8002000000000001000d14670a99e8e73e3b824d000186a00000c35000001ffe00000002000003e8000005e1";
    const LIBSRT_ACKACK: &str = "8006000000000001000d166b3baf314600000000";
    const LIBSRT_KEEPALIVE: &str = "80010000000000000023fe093baf314600000000";
    const LIBSRT_SHUTDOWN: &str = "8005000000000000004d92d23baf314600000000";

    #[test]
    fn decodes_libsrt_full_ack() {
        let p = decode_hex(LIBSRT_FULL_ACK).unwrap();
        assert_eq!(p.timestamp, Timestamp::new(0x000D_1467));
        assert_eq!(p.dst_socket_id, 0x0A99_E8E7);
        let ControlBody::Ack(ack) = p.body else {
            panic!("not an ACK: {p:?}")
        };
        assert_eq!(ack.ack_number, 1);
        assert_eq!(ack.ack_seq, SeqNumber::new(0x3E3B_824D));
        assert_eq!(
            ack.info,
            AckInfo::Full(FullAck {
                rtt: 100_000,
                rtt_variance: 50_000,
                available_buffer: 8190,
                packets_receiving_rate: 2,
                estimated_link_capacity: 1000,
                receiving_rate: Some(1505),
            })
        );
        assert_eq!(encode_hex(&p), LIBSRT_FULL_ACK);
    }

    #[test]
    fn libsrt_padded_packets_reencode_byte_exact() {
        for (h, body) in [
            (LIBSRT_ACKACK, ControlBody::AckAck { ack_number: 1 }),
            (LIBSRT_KEEPALIVE, ControlBody::KeepAlive),
            (LIBSRT_SHUTDOWN, ControlBody::Shutdown),
        ] {
            let p = decode_hex(h).unwrap();
            assert_eq!(p.body, body);
            assert_eq!(encode_hex(&p), h);
        }
    }

    #[test]
    fn light_ack_is_the_sequence_number_alone() {
        let p = packet(ControlBody::Ack(Ack {
            ack_number: 0,
            ack_seq: SeqNumber::new(77),
            info: AckInfo::Light,
        }));
        assert_eq!(encode_hex(&p), "8002000000000000010203040a0b0c0d0000004d");
        assert_eq!(p.encoded_len(), 20);
    }

    #[test]
    fn small_ack_is_16_bytes_of_cif() {
        let p = packet(ControlBody::Ack(Ack {
            ack_number: 9,
            ack_seq: SeqNumber::new(77),
            info: AckInfo::Small {
                rtt: 1,
                rtt_variance: 2,
                available_buffer: 3,
            },
        }));
        assert_eq!(p.encoded_len(), 32);
        assert_eq!(decode_hex(&encode_hex(&p)).unwrap(), p);
    }

    #[test]
    fn ack_of_24_bytes_has_no_byte_rate() {
        let p = decode_hex(&LIBSRT_FULL_ACK[..(16 + 24) * 2]).unwrap();
        let ControlBody::Ack(ack) = p.body else {
            panic!("not an ACK")
        };
        assert!(matches!(
            ack.info,
            AckInfo::Full(FullAck {
                receiving_rate: None,
                ..
            })
        ));
        assert_eq!(p.encoded_len(), 40);
    }

    #[test]
    fn ack_words_past_the_known_ones_are_ignored() {
        let p = decode_hex(&alloc::format!("{LIBSRT_FULL_ACK}00001234")).unwrap();
        assert_eq!(encode_hex(&p), LIBSRT_FULL_ACK);
    }

    #[test]
    fn ack_between_light_and_small_is_bad_length() {
        assert!(matches!(
            decode_hex(&LIBSRT_FULL_ACK[..(16 + 8) * 2]),
            Err(DecodeError::BadLength { len: 8, .. })
        ));
        assert!(matches!(
            decode_hex(&LIBSRT_FULL_ACK[..(16 + 5) * 2]),
            Err(DecodeError::BadLength { len: 5, .. })
        ));
    }

    #[test]
    fn ack_without_cif_is_truncated() {
        assert!(matches!(
            decode_hex(&LIBSRT_FULL_ACK[..32]),
            Err(DecodeError::Truncated { .. })
        ));
    }

    #[test]
    fn nak_carries_the_loss_list() {
        let p = decode_hex("80030000000000000000000100000002800000050000000900000010").unwrap();
        let ControlBody::Nak(list) = &p.body else {
            panic!("not a NAK")
        };
        let ranges: Vec<_> = list.iter().collect();
        assert_eq!(
            ranges,
            [
                SeqRange::new(SeqNumber::new(5), SeqNumber::new(9)).unwrap(),
                SeqRange::single(SeqNumber::new(16))
            ]
        );
    }

    #[test]
    fn dropreq_has_msg_number_in_info_and_two_sequence_numbers() {
        let p = packet(ControlBody::DropRequest(DropRequest {
            msg_number: MsgNumber::new(12),
            first: SeqNumber::new(100),
            last: SeqNumber::new(104),
        }));
        assert_eq!(
            encode_hex(&p),
            "800700000000000c010203040a0b0c0d0000006400000068"
        );
        assert_eq!(decode_hex(&encode_hex(&p)).unwrap(), p);
    }

    #[test]
    fn dropreq_shorter_than_two_words_is_truncated() {
        assert!(matches!(
            decode_hex("800700000000000c010203040a0b0c0d00000064"),
            Err(DecodeError::Truncated {
                needed: 8,
                available: 4,
                ..
            })
        ));
    }

    #[test]
    fn peer_error_code_is_in_info() {
        let p = decode_hex("8008000000000fa0000000010000000200000000").unwrap();
        assert_eq!(p.body, ControlBody::PeerError { code: 4000 });
    }

    #[test]
    fn congestion_warning_is_type_4() {
        let p = decode_hex("8004000000000000000000010000000200000000").unwrap();
        assert_eq!(p.body, ControlBody::CongestionWarning);
    }

    #[test]
    fn kmrsp_of_one_word_is_the_error_form() {
        let h = "ffff000400000000000000010000000204000000";
        let p = decode_hex(h).unwrap();
        assert_eq!(
            p.body,
            ControlBody::KeyMaterialResponse(Box::new(KmResponse::Error(KmState::BadSecret)))
        );
        assert_eq!(encode_hex(&p), h);
    }

    #[test]
    fn hsv4_hsreq_keeps_its_words() {
        let h = "ffff000100000000000000010000000200010501000000bf00780000";
        let p = decode_hex(h).unwrap();
        assert!(matches!(p.body, ControlBody::SrtHandshakeRequest(ref c) if c.len() == 12));
        assert_eq!(encode_hex(&p), h);
    }

    #[test]
    fn unknown_type_and_subtype_reencode_byte_exact() {
        for h in [
            "8123456789abcdef0000000100000002deadbeef01",
            "ffff0063ffffffff00000001000000020102",
            "80090000000000000000000000000000",
        ] {
            let p = decode_hex(h).unwrap();
            assert!(matches!(p.body, ControlBody::Unknown { .. }), "{h}");
            assert_eq!(encode_hex(&p), h);
        }
    }

    #[test]
    fn data_packet_is_refused() {
        assert!(decode_hex(LIBSRT_ACKACK.replacen('8', "0", 1).as_str()).is_err());
    }

    /// Handshake CIFs libsrt sent in the plain capture: the caller's
    /// induction, its conclusion, and the listener's conclusion.
    const LIBSRT_HANDSHAKE_CIFS: [&str; 3] = [
        "00000004000000023e3b824c000005dc00002000000000010a99e8e7000000000100007f000000000000000000000000",
        "00000005000000053e3b824c000005dc00002000ffffffff0a99e8e7fe1366ce0100007f0000000000000000000000000001000300010501000000bf00780078000500036576696c7365742f00000074",
        "00000005000000013e3b824c000005dc00002000ffffffff3baf3146fe1366ce0100007f0000000000000000000000000002000300010501000000bf00780078",
    ];

    /// Key material libsrt sent in the AES-128 and AES-256 captures.
    const LIBSRT_KM: [&str; 2] = [
        "12202901000000000200020000000404b84dc3eb10344fc90a40f5692323b50b8161923a334b8d536b66a39099b284cfbd481025c0fe38f0",
        "12202901000000000200020000000408ba126d648086b43001324102dc301e39f6df0424774855edb99a97a045ada8c48976bf93808ab2a34ebff4519bb0c6ed6e95375702d5ce00",
    ];

    #[test]
    fn kmreq_carries_libsrt_key_material_byte_exact() {
        let h = alloc::format!("ffff0003000000000000000100000002{}", LIBSRT_KM[0]);
        let p = decode_hex(&h).unwrap();
        assert!(matches!(p.body, ControlBody::KeyMaterialRequest(_)));
        assert_eq!(encode_hex(&p), h);
    }

    pub(crate) fn arb_control_packet() -> impl Strategy<Value = ControlPacket> {
        let u = any::<u32>;
        let seq = || (0..=SeqNumber::MAX).prop_map(SeqNumber::new);
        let bytes = || proptest::collection::vec(any::<u8>(), 0..48).prop_map(Bytes::from);
        let info = prop_oneof![
            Just(AckInfo::Light),
            (u(), u(), u()).prop_map(|(rtt, rtt_variance, available_buffer)| AckInfo::Small {
                rtt,
                rtt_variance,
                available_buffer
            }),
            (u(), u(), u(), u(), u(), proptest::option::of(u())).prop_map(|(a, b, c, d, e, f)| {
                AckInfo::Full(FullAck {
                    rtt: a,
                    rtt_variance: b,
                    available_buffer: c,
                    packets_receiving_rate: d,
                    estimated_link_capacity: e,
                    receiving_rate: f,
                })
            }),
        ];
        let body =
            prop_oneof![
                prop::sample::select(&LIBSRT_HANDSHAKE_CIFS[..]).prop_map(|h| {
                    ControlBody::Handshake(Box::new(
                        Handshake::decode(&hex::decode(h).unwrap()).unwrap(),
                    ))
                }),
                Just(ControlBody::KeepAlive),
                (u(), seq(), info).prop_map(|(ack_number, ack_seq, info)| ControlBody::Ack(Ack {
                    ack_number,
                    ack_seq,
                    info
                })),
                arb_loss_list().prop_map(ControlBody::Nak),
                Just(ControlBody::CongestionWarning),
                Just(ControlBody::Shutdown),
                u().prop_map(|ack_number| ControlBody::AckAck { ack_number }),
                (0..=MsgNumber::MAX, seq(), seq()).prop_map(|(m, first, last)| {
                    ControlBody::DropRequest(DropRequest {
                        msg_number: MsgNumber::new(m),
                        first,
                        last,
                    })
                }),
                u().prop_map(|code| ControlBody::PeerError { code }),
                bytes().prop_map(ControlBody::SrtHandshakeRequest),
                bytes().prop_map(ControlBody::SrtHandshakeResponse),
                u().prop_map(|state| ControlBody::KeyMaterialResponse(Box::new(
                    KmResponse::Error(KmState::from_u32(state))
                ))),
                prop::sample::select(&LIBSRT_KM[..]).prop_map(|h| {
                    ControlBody::KeyMaterialRequest(Box::new(
                        KeyMaterial::decode(&hex::decode(h).unwrap()).unwrap(),
                    ))
                }),
                prop::sample::select(&LIBSRT_KM[..]).prop_map(|h| {
                    ControlBody::KeyMaterialResponse(Box::new(KmResponse::KeyMaterial(
                        KeyMaterial::decode(&hex::decode(h).unwrap()).unwrap(),
                    )))
                }),
                (0x0009u16..0x7FFF, any::<u16>(), u(), bytes()).prop_map(
                    |(control_type, subtype, info, cif)| ControlBody::Unknown {
                        control_type,
                        subtype,
                        info,
                        cif
                    }
                ),
                (5u16.., u(), bytes()).prop_map(|(subtype, info, cif)| ControlBody::Unknown {
                    control_type: TYPE_USER_DEFINED,
                    subtype,
                    info,
                    cif
                }),
            ];
        (u(), u(), body).prop_map(|(ts, id, body)| ControlPacket {
            timestamp: Timestamp::new(ts),
            dst_socket_id: id,
            body,
        })
    }

    proptest! {
        #[test]
        fn encode_then_decode_is_identity(p in arb_control_packet()) {
            let mut out = Vec::new();
            p.encode(&mut out);
            prop_assert_eq!(out.len(), p.encoded_len());
            prop_assert_eq!(ControlPacket::decode(&Bytes::from(out)).unwrap(), p);
        }
    }
}

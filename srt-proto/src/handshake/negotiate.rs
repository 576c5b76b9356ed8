//! Option negotiation as pure functions: from our [`HandshakeConfig`] and
//! the peer's CONCLUSION to the options in effect, or a [`RejectReason`]
//! with libsrt's code (`interpretSrtHandshake`, `processSrtMsg_HSREQ`,
//! `processSrtMsg_KMREQ` in libsrt's `core.cpp`).
//!
//! The initiator (caller, or the rendezvous side that won the cookie
//! contest) sends HSREQ and KMREQ; the responder answers HSRSP and KMRSP.
//!
//! Rules, as libsrt 1.5 applies them:
//! - MSS and flow window: the smaller of the two sides'.
//! - TSBPD latency, per direction: the larger of what the receiver wants
//!   and what the sender asks for. The responder decides and tells the
//!   initiator in HSRSP.
//! - Peer version below `min_peer_version` → VERSION; message API on one
//!   side and stream API on the other → MESSAGEAPI; different congestion
//!   controllers → CONGESTION; different packet filters → FILTER; a GROUP
//!   extension we don't accept → GROUP (the GROUP rules are in
//!   [`super::group`]).
//! - Encryption: a KMREQ the responder can't unwrap → KMRSP BADSECRET;
//!   a KMREQ without a passphrase here → KMRSP NOSECRET; a cipher other
//!   than the configured one → KMRSP BADCRYPTOMODE. With enforced
//!   encryption these reject the connection (BADSECRET, UNSECURE, CRYPTO),
//!   as does a passphrase on one side only (UNSECURE); without it the
//!   connection goes on unencrypted.

use super::config::{Congestion, CryptoMode, HandshakeConfig};
use super::group;
use crate::crypto::{
    CipherMode, GcmVariant, KeyLength, KmError, Salt, Sek, StreamKeys, open_key_material,
    seal_key_material,
};
use crate::packet::ext::{
    ConfigString, GroupExt, HandshakeExtension, KmResponse, SrtFlags, SrtHs, SrtVersion,
};
use crate::packet::handshake::Handshake;
use crate::packet::km::{Cipher, KeyMaterial, KmState};
use crate::packet::reject::RejectReason;
use crate::seq::SeqNumber;
use alloc::vec::Vec;
use core::time::Duration;

/// The keys a connection encrypts and decrypts payloads with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedCrypto {
    /// The payload cipher.
    pub mode: CipherMode,
    /// The key length.
    pub key_len: KeyLength,
    /// The salt every IV is built from.
    pub salt: Salt,
    /// The stream key(s); both directions use them.
    pub keys: StreamKeys,
}

/// The options in effect once a handshake completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The peer's socket id: the destination of everything we send.
    pub peer_socket_id: u32,
    /// The initial sequence number of both directions (the initiator's;
    /// libsrt's responder adopts it).
    pub initial_seq: SeqNumber,
    /// Maximum segment size, bytes: the smaller of both sides'.
    pub mss: u32,
    /// Flow window, packets: the smaller of both sides'.
    pub flow_window: u32,
    /// TSBPD latency of the data we send (the peer's receiver).
    pub send_latency: Duration,
    /// TSBPD latency of the data we receive.
    pub receive_latency: Duration,
    /// The peer's SRT version.
    pub peer_version: SrtVersion,
    /// The SRT flags in effect, from our point of view: a capability both
    /// sides have; `TSBPD_RCV` when our receiver and the peer's sender do
    /// TSBPD, `TSBPD_SND` the other way round.
    pub flags: SrtFlags,
    /// The stream id the caller sent.
    pub stream_id: Option<ConfigString>,
    /// The congestion controller.
    pub congestion: Congestion,
    /// Message API (true) or stream API.
    pub message_api: bool,
    /// The packet filter in effect.
    pub packet_filter: Option<ConfigString>,
    /// The peer's GROUP extension, if it sent one: a caller's own group
    /// (listener side), or the listener's mirror group answering ours
    /// (caller side).
    pub group: Option<GroupExt>,
    /// Whether our receiver tracks clock drift (local option).
    pub drift_tracer: bool,
    /// The encryption in effect.
    pub crypto: Option<NegotiatedCrypto>,
}

/// The SRT flags we advertise in HSREQ/HSRSP: exactly what this crate
/// implements. `TSBPD_SND | TSBPD_RCV` with the live congestion
/// controller, `HAICRYPT` always (we can decrypt), `TLPKTDROP` and
/// `NAKREPORT` as configured, `REXMITFLG` always, `STREAM` with the stream
/// API, `PACKET_FILTER` only with a filter configured.
pub fn advertised_flags(config: &HandshakeConfig) -> SrtFlags {
    let mut flags = SrtFlags::HAICRYPT | SrtFlags::REXMITFLG;
    if config.congestion == Congestion::Live {
        flags |= SrtFlags::TSBPD_SND | SrtFlags::TSBPD_RCV;
    }
    if config.tlpktdrop {
        flags |= SrtFlags::TLPKTDROP;
    }
    if config.nak_report {
        flags |= SrtFlags::NAKREPORT;
    }
    if !config.message_api {
        flags |= SrtFlags::STREAM;
    }
    if config.packet_filter.is_some() {
        flags |= SrtFlags::PACKET_FILTER;
    }
    flags
}

/// A latency in whole milliseconds as HSREQ carries it (saturating at
/// 65535 ms).
pub fn latency_ms(latency: Duration) -> u16 {
    u16::try_from(latency.as_millis()).unwrap_or(u16::MAX)
}

/// The flags in effect between `ours` and `theirs` (see
/// [`Negotiated::flags`]).
pub fn flags_in_effect(ours: SrtFlags, theirs: SrtFlags) -> SrtFlags {
    let mut flags = SrtFlags(ours.bits() & theirs.bits() & !0x03);
    if ours.contains(SrtFlags::TSBPD_RCV) && theirs.contains(SrtFlags::TSBPD_SND) {
        flags |= SrtFlags::TSBPD_RCV;
    }
    if ours.contains(SrtFlags::TSBPD_SND) && theirs.contains(SrtFlags::TSBPD_RCV) {
        flags |= SrtFlags::TSBPD_SND;
    }
    flags
}

/// The secret an initiator draws once, before it knows the key length:
/// a 16-byte salt and 32 bytes of key, cut to the negotiated length.
#[derive(Clone)]
pub struct InitiatorSecret {
    salt: Salt,
    key: [u8; 32],
}

impl Drop for InitiatorSecret {
    fn drop(&mut self) {
        self.key.fill(0);
    }
}

impl core::fmt::Debug for InitiatorSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("InitiatorSecret(<secret>)")
    }
}

impl InitiatorSecret {
    /// Draws salt and key from `rng` (the crate's seeded generator).
    pub fn draw(rng: &mut impl rand_core::Rng) -> Self {
        let mut salt = [0u8; 16];
        rng.fill_bytes(&mut salt);
        let mut key = [0u8; 32];
        rng.fill_bytes(&mut key);
        Self {
            salt: Salt::new(salt),
            key,
        }
    }

    /// The KM message announcing this secret's key of `key_len`, and the
    /// keys it stands for.
    pub fn key_material(
        &self,
        config: &HandshakeConfig,
        key_len: KeyLength,
    ) -> Result<Option<(KeyMaterial, NegotiatedCrypto)>, KmError> {
        let Some(enc) = &config.encryption else {
            return Ok(None);
        };
        let bytes = self.key.get(..key_len.bytes()).unwrap_or_default();
        let sek = Sek::from_bytes(bytes).map_err(|_| KmError::SaltLength(bytes.len()))?;
        let mode = match enc.mode {
            CryptoMode::Auto | CryptoMode::Ctr => CipherMode::AesCtr,
            CryptoMode::Gcm => CipherMode::AesGcm(GcmVariant::Srt154),
        };
        let keys = StreamKeys::Even(sek);
        let km = seal_key_material(&enc.passphrase, &self.salt, &keys, mode)?;
        Ok(Some((
            km,
            NegotiatedCrypto {
                mode,
                key_len,
                salt: self.salt,
                keys,
            },
        )))
    }
}

/// The extension blocks of an initiator's CONCLUSION, in libsrt's order:
/// HSREQ, SID, CONGESTION (only when not `live`), FILTER, GROUP, KMREQ.
pub fn initiator_extensions(
    config: &HandshakeConfig,
    km: Option<&KeyMaterial>,
) -> Vec<HandshakeExtension> {
    let mut exts = Vec::with_capacity(6);
    exts.push(HandshakeExtension::HsReq(SrtHs {
        version: config.srt_version,
        flags: advertised_flags(config),
        receiver_tsbpd_delay: latency_ms(config.receive_latency),
        sender_tsbpd_delay: latency_ms(config.peer_latency),
    }));
    if let Some(sid) = &config.stream_id {
        exts.push(HandshakeExtension::StreamId(sid.clone()));
    }
    if config.congestion != Congestion::Live
        && let Ok(name) = ConfigString::new(config.congestion.name().as_bytes())
    {
        exts.push(HandshakeExtension::Congestion(name));
    }
    if let Some(filter) = &config.packet_filter {
        exts.push(HandshakeExtension::Filter(filter.clone()));
    }
    if let Some(group) = config.group {
        exts.push(HandshakeExtension::Group(group));
    }
    if let Some(km) = km {
        exts.push(HandshakeExtension::KmReq(km.clone()));
    }
    exts
}

/// What the responder answers an acceptable CONCLUSION with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The options in effect (the peer socket id is the initiator's).
    pub negotiated: Negotiated,
    /// In libsrt's order (`createSrtHandshake`): HSRSP, FILTER when a
    /// filter is in effect, GROUP when the initiator joined a group, KMRSP
    /// when it sent KMREQ.
    pub extensions: Vec<HandshakeExtension>,
}

struct Common {
    peer_version: SrtVersion,
    flags: SrtFlags,
    congestion: Congestion,
    packet_filter: Option<ConfigString>,
}

/// Checks shared by both roles on the peer's HSREQ/HSRSP and config blocks.
/// `default_congestion` is what a missing CONGESTION block means: `live`
/// in a request, "as requested" in a response (libsrt's responder doesn't
/// echo it).
fn check_common(
    config: &HandshakeConfig,
    peer: &Handshake,
    peer_hs: &SrtHs,
    default_congestion: Congestion,
) -> Result<Common, RejectReason> {
    if peer_hs.version < config.min_peer_version {
        return Err(RejectReason::Version);
    }
    if peer_hs.flags.contains(SrtFlags::STREAM) == config.message_api {
        return Err(RejectReason::MessageApi);
    }
    let congestion = match peer.find_extension(|e| match e {
        HandshakeExtension::Congestion(c) => Some(c),
        _ => None,
    }) {
        Some(name) => Congestion::from_name(name.as_bytes()).ok_or(RejectReason::Congestion)?,
        None => default_congestion,
    };
    if congestion != config.congestion {
        return Err(RejectReason::Congestion);
    }
    let peer_filter = peer.find_extension(|e| match e {
        HandshakeExtension::Filter(f) => Some(f),
        _ => None,
    });
    let packet_filter = match (&config.packet_filter, peer_filter) {
        (Some(ours), Some(theirs)) if ours != theirs => return Err(RejectReason::Filter),
        (Some(f), _) | (None, Some(f)) => Some(f.clone()),
        (None, None) => None,
    };
    Ok(Common {
        peer_version: peer_hs.version,
        flags: flags_in_effect(advertised_flags(config), peer_hs.flags),
        congestion,
        packet_filter,
    })
}

fn cipher_allowed(mode: CryptoMode, cipher: Cipher) -> bool {
    match mode {
        CryptoMode::Auto => matches!(cipher, Cipher::AesCtr | Cipher::AesGcm),
        CryptoMode::Ctr => cipher == Cipher::AesCtr,
        CryptoMode::Gcm => cipher == Cipher::AesGcm,
    }
}

/// The responder's crypto decision: the keys, the KMRSP to send, or the
/// KM state that failed.
fn respond_crypto(
    config: &HandshakeConfig,
    peer_version: SrtVersion,
    kmreq: Option<&KeyMaterial>,
) -> Result<(Option<NegotiatedCrypto>, Option<KmResponse>), RejectReason> {
    let failed = |state: KmState, reason: RejectReason| {
        if config.enforced_encryption {
            Err(reason)
        } else {
            Ok((None, Some(KmResponse::Error(state))))
        }
    };
    match (kmreq, &config.encryption) {
        (None, None) => Ok((None, None)),
        (None, Some(_)) if config.enforced_encryption => Err(RejectReason::Unsecure),
        (None, Some(_)) => Ok((None, None)),
        (Some(_), None) => failed(KmState::NoSecret, RejectReason::Unsecure),
        (Some(km), Some(enc)) => {
            if !cipher_allowed(enc.mode, km.cipher()) {
                return failed(KmState::BadCryptoMode, RejectReason::Crypto);
            }
            let variant = GcmVariant::for_peer_version(peer_version.0);
            match open_key_material(&enc.passphrase, km, variant) {
                Ok(received) => Ok((
                    Some(NegotiatedCrypto {
                        mode: received.mode,
                        key_len: km.key_len().into(),
                        salt: received.salt,
                        keys: received.keys,
                    }),
                    Some(KmResponse::KeyMaterial(km.clone())),
                )),
                Err(KmError::UnsupportedCipher(_)) => {
                    failed(KmState::BadCryptoMode, RejectReason::Crypto)
                }
                Err(_) => failed(KmState::BadSecret, RejectReason::BadSecret),
            }
        }
    }
}

/// The responder's side: checks an initiator's CONCLUSION (HSREQ, KMREQ,
/// SID, CONGESTION, FILTER, GROUP) against `config` and builds the
/// answer. `group_answer` is our GROUP answer to the initiator's GROUP
/// extension ([`super::group::answer`], after
/// [`super::group::check_request`]); a GROUP extension without an answer
/// is refused with GROUP, as by a listener without `SRTO_GROUPCONNECT`.
pub fn respond(
    config: &HandshakeConfig,
    request: &Handshake,
    group_answer: Option<GroupExt>,
) -> Result<Response, RejectReason> {
    let hsreq = request
        .find_extension(|e| match e {
            HandshakeExtension::HsReq(hs) => Some(*hs),
            _ => None,
        })
        .ok_or(RejectReason::Rogue)?;
    let common = check_common(config, request, &hsreq, Congestion::Live)?;
    let group = request.find_extension(|e| match e {
        HandshakeExtension::Group(g) => Some(*g),
        _ => None,
    });
    let group_answer = match (group, group_answer) {
        (Some(_), None) => return Err(RejectReason::Group),
        (Some(_), answer) => answer,
        (None, _) => None,
    };
    let kmreq = request.find_extension(|e| match e {
        HandshakeExtension::KmReq(km) => Some(km),
        _ => None,
    });
    let (crypto, kmrsp) = respond_crypto(config, common.peer_version, kmreq)?;
    let receive_latency = config
        .receive_latency
        .max(Duration::from_millis(hsreq.sender_tsbpd_delay.into()));
    let send_latency = config
        .peer_latency
        .max(Duration::from_millis(hsreq.receiver_tsbpd_delay.into()));
    let mut extensions = Vec::with_capacity(4);
    extensions.push(HandshakeExtension::HsRsp(SrtHs {
        version: config.srt_version,
        flags: advertised_flags(config),
        receiver_tsbpd_delay: latency_ms(receive_latency),
        sender_tsbpd_delay: latency_ms(send_latency),
    }));
    if let Some(filter) = &common.packet_filter {
        extensions.push(HandshakeExtension::Filter(filter.clone()));
    }
    if let Some(answer) = group_answer {
        extensions.push(HandshakeExtension::Group(answer));
    }
    if let Some(kmrsp) = kmrsp {
        extensions.push(HandshakeExtension::KmRsp(kmrsp));
    }
    let stream_id = request.find_extension(|e| match e {
        HandshakeExtension::StreamId(s) => Some(s.clone()),
        _ => None,
    });
    Ok(Response {
        negotiated: Negotiated {
            peer_socket_id: request.socket_id,
            initial_seq: request.initial_seq,
            mss: config.mss.min(request.mtu),
            flow_window: config.flow_window.min(request.flow_window),
            send_latency,
            receive_latency,
            peer_version: common.peer_version,
            flags: common.flags,
            stream_id,
            congestion: common.congestion,
            message_api: config.message_api,
            packet_filter: common.packet_filter,
            group,
            drift_tracer: config.drift_tracer,
            crypto,
        },
        extensions,
    })
}

/// The initiator's side: checks the responder's CONCLUSION answer (HSRSP,
/// KMRSP) given what we sent (`sent_crypto`: the keys our KMREQ carried,
/// `initial_seq`: our ISN).
pub fn conclude(
    config: &HandshakeConfig,
    sent_crypto: Option<&NegotiatedCrypto>,
    sent_km: Option<&KeyMaterial>,
    initial_seq: SeqNumber,
    response: &Handshake,
) -> Result<Negotiated, RejectReason> {
    if let Some(reason) = response.reject_reason() {
        return Err(reason);
    }
    let hsrsp = response
        .find_extension(|e| match e {
            HandshakeExtension::HsRsp(hs) => Some(*hs),
            _ => None,
        })
        .ok_or(RejectReason::Rogue)?;
    let common = check_common(config, response, &hsrsp, config.congestion)?;
    let peer_group = response.find_extension(|e| match e {
        HandshakeExtension::Group(g) => Some(*g),
        _ => None,
    });
    group::check_response(config.group.as_ref(), peer_group.as_ref())?;
    let kmrsp = response.find_extension(|e| match e {
        HandshakeExtension::KmRsp(r) => Some(r),
        _ => None,
    });
    let enforced = config.enforced_encryption;
    let crypto = match (sent_crypto, kmrsp) {
        (None, _) => None,
        (Some(crypto), Some(KmResponse::KeyMaterial(echo))) => {
            if Some(echo) != sent_km {
                return Err(RejectReason::Rogue);
            }
            let mut crypto = crypto.clone();
            if let CipherMode::AesGcm(_) = crypto.mode {
                crypto.mode = CipherMode::AesGcm(GcmVariant::for_peer_version(hsrsp.version.0));
            }
            Some(crypto)
        }
        (Some(_), Some(KmResponse::Error(state))) if enforced => {
            return Err(match state {
                KmState::BadSecret => RejectReason::BadSecret,
                KmState::BadCryptoMode => RejectReason::Crypto,
                _ => RejectReason::Unsecure,
            });
        }
        (Some(_), None) if enforced => return Err(RejectReason::Unsecure),
        (Some(_), _) => None,
    };
    Ok(Negotiated {
        peer_socket_id: response.socket_id,
        initial_seq,
        mss: config.mss.min(response.mtu),
        flow_window: config.flow_window.min(response.flow_window),
        send_latency: config
            .peer_latency
            .max(Duration::from_millis(hsrsp.receiver_tsbpd_delay.into())),
        receive_latency: config
            .receive_latency
            .max(Duration::from_millis(hsrsp.sender_tsbpd_delay.into())),
        peer_version: common.peer_version,
        flags: common.flags,
        stream_id: config.stream_id.clone(),
        congestion: common.congestion,
        message_api: config.message_api,
        packet_filter: common.packet_filter,
        group: peer_group,
        drift_tracer: config.drift_tracer,
        crypto,
    })
}

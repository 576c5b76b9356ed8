//! Encryption in flight on the sending side: payloads encrypted with the
//! active key at their first transmission, and the key refresh announced
//! to the peer with KMREQ until it answers with KMRSP.
//!
//! libsrt (`CCryptoControl::sendKeysToPeer`) resends an unanswered KMREQ
//! every 1.5 RTT, at most 10 times; so does this. Retransmissions resend
//! the ciphertext of the first transmission with its `KK` bits, so a packet
//! lost across a key switch is still decryptable with the old key, which
//! the receiver keeps until the sender retires it `KMPREANNOUNCE` packets
//! after the switch.

use crate::crypto::{CipherMode, Kek, KeyEvent, KeyIndex, Sek, SenderKeys, StreamKeys};
use crate::packet::ext::KmResponse;
use crate::packet::km::{Cipher, KeyMaterial, KmState};
use crate::packet::{DataPacket, EncryptionKeySpec};
use crate::rng::SrtRng;
use crate::time::Instant;
use alloc::vec::Vec;
use bytes::Bytes;
use core::time::Duration;

/// libsrt's `SRT_MAX_KMRETRY`: how many times a KMREQ goes out unanswered.
const KM_MAX_RETRY: u32 = 10;

/// What the sender needs to encrypt: the keys with their refresh schedule,
/// the key-encrypting key that wraps new keys for KMREQ, and the seeded
/// generator new keys come from.
#[derive(Debug, Clone)]
pub(crate) struct SenderCrypto {
    /// The stream keys and libsrt's refresh schedule.
    pub keys: SenderKeys,
    /// The KEK derived from the passphrase and the salt (the salt stays
    /// the same across refreshes, so the KEK does too).
    pub kek: Kek,
    /// Where fresh stream keys come from.
    pub rng: SrtRng,
}

/// The encryption state of a sender.
#[derive(Debug, Clone)]
pub(super) struct Crypto {
    cfg: SenderCrypto,
    /// The KM message announcing the current keys, once a refresh began.
    announcement: Option<KeyMaterial>,
    /// KMREQ repetitions left.
    retries_left: u32,
    /// A KMREQ should go out now.
    due: bool,
    /// When the last KMREQ went out.
    last_sent: Option<Instant>,
    /// The peer's answer to a KMREQ, when it was an error.
    peer_error: Option<KmState>,
    /// A key of the negotiated length, overwritten to make fresh ones.
    key_template: Sek,
}

impl Crypto {
    /// Starts with the keys the handshake agreed on (already known to the
    /// peer: nothing to announce).
    pub(super) fn new(cfg: SenderCrypto) -> Self {
        let key_template = match cfg.keys.announcement() {
            StreamKeys::Even(k) | StreamKeys::Odd(k) | StreamKeys::Both { even: k, .. } => k,
        };
        Self {
            key_template,
            cfg,
            announcement: None,
            retries_left: 0,
            due: false,
            last_sent: None,
            peer_error: None,
        }
    }

    /// Bytes the cipher adds to each payload.
    pub(super) fn overhead(&self) -> usize {
        self.cfg.keys.mode().overhead()
    }

    /// Encrypts `packet`'s payload in place with the active key, first
    /// advancing the refresh schedule (which may queue a KMREQ), and sets
    /// `KK`. If the cipher fails the packet stays plaintext with `KK`
    /// cleared, and this returns `false`.
    pub(super) fn encrypt(&mut self, packet: &mut DataPacket) -> bool {
        let Self {
            cfg, key_template, ..
        } = self;
        let rng = &mut cfg.rng;
        if let Some(event) = cfg.keys.poll(|| fresh_key(rng, key_template)) {
            self.on_key_event(event);
        }
        packet.encryption = match self.cfg.keys.active() {
            KeyIndex::Even => EncryptionKeySpec::Even,
            KeyIndex::Odd => EncryptionKeySpec::Odd,
        };
        let header = packet.header_bytes();
        // No copy when the application handed over the only reference.
        let mut payload: Vec<u8> = Vec::from(core::mem::take(&mut packet.payload));
        let ok = self.cfg.keys.encrypt(&header, &mut payload).is_ok();
        if !ok {
            packet.encryption = EncryptionKeySpec::Unencrypted;
        }
        packet.payload = Bytes::from(payload);
        ok
    }

    fn on_key_event(&mut self, event: KeyEvent) {
        if let KeyEvent::Announce(keys) = event
            && let Some(km) = self.seal(&keys)
        {
            self.announcement = Some(km);
            self.retries_left = KM_MAX_RETRY;
            self.due = true;
            self.peer_error = None;
        }
    }

    /// The KM message for `keys`, wrapped with the KEK.
    fn seal(&self, keys: &StreamKeys) -> Option<KeyMaterial> {
        let wrapped = self.cfg.kek.wrap(keys).ok()?;
        let key_len = match keys {
            StreamKeys::Even(k) | StreamKeys::Odd(k) | StreamKeys::Both { even: k, .. } => {
                k.key_length()
            }
        };
        let cipher = match self.cfg.keys.mode() {
            CipherMode::AesCtr => Cipher::AesCtr,
            CipherMode::AesGcm(_) => Cipher::AesGcm,
        };
        KeyMaterial::new(
            keys.key_set().into(),
            key_len.into(),
            cipher,
            self.cfg.keys.salt().as_bytes(),
            &wrapped,
        )
        .ok()
    }

    /// The KMREQ to send now, if one is due.
    pub(super) fn poll_kmreq(&mut self, now: Instant) -> Option<KeyMaterial> {
        if !self.due {
            return None;
        }
        self.due = false;
        let km = self.announcement.clone()?;
        self.retries_left = self.retries_left.saturating_sub(1);
        self.last_sent = Some(now);
        Some(km)
    }

    /// Whether a KMREQ waits to go out.
    pub(super) fn kmreq_due(&self) -> bool {
        self.due
    }

    /// When an unanswered KMREQ is repeated: 1.5 RTT after the last one.
    pub(super) fn next_resend(&self, srtt: Duration) -> Option<Instant> {
        if self.retries_left == 0 || self.due || self.announcement.is_none() {
            return None;
        }
        self.last_sent.map(|at| at + srtt.mul_f64(1.5))
    }

    /// Queues a repetition of an unanswered KMREQ if 1.5 RTT have passed.
    pub(super) fn on_timeout(&mut self, now: Instant, srtt: Duration) {
        if self.next_resend(srtt).is_some_and(|at| at <= now) {
            self.due = true;
        }
    }

    /// The peer answered a KMREQ: an echo of the current announcement ends
    /// the repetitions; an error ends them too and is kept.
    pub(super) fn on_response(&mut self, resp: &KmResponse) {
        match resp {
            KmResponse::KeyMaterial(km) => {
                if self.announcement.as_ref() == Some(km) {
                    self.retries_left = 0;
                    self.due = false;
                }
            }
            KmResponse::Error(state) => {
                self.retries_left = 0;
                self.due = false;
                self.peer_error = Some(*state);
            }
        }
    }

    /// The KM state the peer answered with, if it could not use our keys.
    pub(super) fn peer_error(&self) -> Option<KmState> {
        self.peer_error
    }
}

/// A fresh stream key from the sender's generator, as long as `template`
/// (the first key).
fn fresh_key(rng: &mut SrtRng, template: &Sek) -> Sek {
    let mut key = template.clone();
    rng.fill(key.key.as_bytes_mut());
    key
}

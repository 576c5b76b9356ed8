//! The sender's key refresh: after a number of packets libsrt moves to a
//! fresh stream key in the idle slot, announcing it ahead of the switch and
//! retiring the old key after it (`hcryptCtx_Tx_ManageKM` in
//! `hcrypt_ctx_tx.c`).
//!
//! With refresh rate `R` and pre-announce `P` (packets counted on the
//! active key, from 1 for the first key and from 0 after a switch):
//! 1. count > `R − P`: a new key goes in the idle slot, with the same salt,
//!    and the KM message now carries both keys (`KK = 3`);
//! 2. count > `R`: data packets switch to the new key;
//! 3. count on the new key > `P`: the old key is retired and the KM message
//!    carries the new key alone.

use super::context::{CipherMode, CryptoContext};
use super::gcm::{GCM_HEADER_LEN, GcmError};
use super::key::{Salt, Sek};
use super::wrap::{KeyIndex, StreamKeys};
use alloc::vec::Vec;
use core::fmt;

/// libsrt's default refresh rate: a new key every 2^24 packets
/// (`HAICRYPT_DEF_KM_REFRESH_RATE`, `SRTO_KMREFRESHRATE`).
pub const DEFAULT_KM_REFRESH_RATE: u32 = 0x100_0000;

/// libsrt's default pre-announce: 4096 packets before the switch and after
/// it (`HAICRYPT_DEF_KM_PRE_ANNOUNCE`, `SRTO_KMPREANNOUNCE`).
pub const DEFAULT_KM_PRE_ANNOUNCE: u32 = 0x1000;

/// When to refresh the stream key, in packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRefreshConfig {
    refresh_rate: u32,
    pre_announce: u32,
}

impl KeyRefreshConfig {
    /// Checks the values as libsrt's option setters do: both non-zero, and
    /// the pre-announce at most `(refresh_rate − 1) / 2`, so the new key is
    /// announced before the switch and the old one retired before the next
    /// announcement.
    pub fn new(refresh_rate: u32, pre_announce: u32) -> Result<Self, KeyRefreshConfigError> {
        let max = refresh_rate.saturating_sub(1) / 2;
        if pre_announce == 0 || pre_announce > max {
            return Err(KeyRefreshConfigError {
                refresh_rate,
                pre_announce,
            });
        }
        Ok(Self {
            refresh_rate,
            pre_announce,
        })
    }

    /// Packets sent with one key before the switch to the next.
    pub fn refresh_rate(&self) -> u32 {
        self.refresh_rate
    }

    /// Packets before the switch that the next key is announced, and after
    /// it that the old key is retired.
    pub fn pre_announce(&self) -> u32 {
        self.pre_announce
    }
}

impl Default for KeyRefreshConfig {
    /// libsrt's defaults: refresh every 2^24 packets, pre-announce 4096.
    fn default() -> Self {
        Self {
            refresh_rate: DEFAULT_KM_REFRESH_RATE,
            pre_announce: DEFAULT_KM_PRE_ANNOUNCE,
        }
    }
}

/// A refresh rate and pre-announce that do not fit together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRefreshConfigError {
    /// The refresh rate offered.
    pub refresh_rate: u32,
    /// The pre-announce offered.
    pub pre_announce: u32,
}

impl fmt::Display for KeyRefreshConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "key pre-announce {} must be between 1 and (refresh rate {} - 1) / 2",
            self.pre_announce, self.refresh_rate
        )
    }
}

#[cfg(feature = "std")]
impl std::error::Error for KeyRefreshConfigError {}

/// What the sender must do after [`SenderKeys::poll`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyEvent {
    /// Send a KM message (KMREQ) with these keys; it replaces the previous
    /// announcement (resend it, not the old one, until the peer answers).
    Announce(StreamKeys),
    /// Data packets now use this key: set their `KK` bits to it.
    Switched(KeyIndex),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// One key, announced alone.
    Single,
    /// The next key is in the idle slot and announced with the active one.
    PreAnnounced,
    /// Switched to the new key; the old one is still announced.
    Switched,
}

/// A sender's stream keys: the active one, the next one around a refresh,
/// and the schedule that moves between them.
///
/// Drive it with [`SenderKeys::poll`] before each data packet (it asks for
/// a fresh key through its argument only when one is due), then
/// [`SenderKeys::encrypt`] the packet, whose `KK` bits must name
/// [`SenderKeys::active`].
#[derive(Debug, Clone)]
pub struct SenderKeys {
    mode: CipherMode,
    salt: Salt,
    config: KeyRefreshConfig,
    active_index: KeyIndex,
    active: (Sek, CryptoContext),
    /// The key in the other slot: the next one (pre-announced) or the
    /// previous one (switched, not yet retired).
    other: Option<(Sek, CryptoContext)>,
    /// Packets encrypted with the active key (libsrt's `pkt_cnt`).
    sent: u32,
    phase: Phase,
}

impl SenderKeys {
    /// Starts with `first` as the even key, as libsrt does.
    pub fn new(mode: CipherMode, salt: Salt, first: Sek, config: KeyRefreshConfig) -> Self {
        let context = CryptoContext::new(mode, &first, &salt);
        Self {
            mode,
            salt,
            config,
            active_index: KeyIndex::Even,
            active: (first, context),
            other: None,
            // libsrt's first context starts counting at 1 (`hcryptCtx_Tx_Init`).
            sent: 1,
            phase: Phase::Single,
        }
    }

    /// The cipher.
    pub fn mode(&self) -> CipherMode {
        self.mode
    }

    /// The salt every key is used with (a refresh keeps it).
    pub fn salt(&self) -> &Salt {
        &self.salt
    }

    /// The key data packets are encrypted with now.
    pub fn active(&self) -> KeyIndex {
        self.active_index
    }

    /// The keys a KM message should carry now: the active key, plus the
    /// other one from the pre-announcement until the old key is retired.
    pub fn announcement(&self) -> StreamKeys {
        let active = self.active.0.clone();
        match (&self.other, self.active_index) {
            (None, KeyIndex::Even) => StreamKeys::Even(active),
            (None, KeyIndex::Odd) => StreamKeys::Odd(active),
            (Some((other, _)), KeyIndex::Even) => StreamKeys::Both {
                even: active,
                odd: other.clone(),
            },
            (Some((other, _)), KeyIndex::Odd) => StreamKeys::Both {
                even: other.clone(),
                odd: active,
            },
        }
    }

    /// Advances the schedule; call before each data packet. `fresh_key` is
    /// called only when the next key is due (it should come from the
    /// sender's seeded RNG, with the active key's length).
    pub fn poll(&mut self, fresh_key: impl FnOnce() -> Sek) -> Option<KeyEvent> {
        let rate = self.config.refresh_rate;
        let pre = self.config.pre_announce;
        match self.phase {
            Phase::PreAnnounced if self.sent > rate => {
                let next = self.other.take()?;
                let previous = core::mem::replace(&mut self.active, next);
                self.other = Some(previous);
                self.active_index = other(self.active_index);
                self.sent = 0;
                self.phase = Phase::Switched;
                Some(KeyEvent::Switched(self.active_index))
            }
            Phase::Single if self.sent > rate - pre => {
                let sek = fresh_key();
                let context = CryptoContext::new(self.mode, &sek, &self.salt);
                self.other = Some((sek, context));
                self.phase = Phase::PreAnnounced;
                Some(KeyEvent::Announce(self.announcement()))
            }
            Phase::Switched if self.sent > pre => {
                self.other = None;
                self.phase = Phase::Single;
                Some(KeyEvent::Announce(self.announcement()))
            }
            _ => None,
        }
    }

    /// Encrypts a data packet's payload with the active key (see
    /// [`CryptoContext::encrypt`]) and counts it.
    pub fn encrypt(
        &mut self,
        header: &[u8; GCM_HEADER_LEN],
        payload: &mut Vec<u8>,
    ) -> Result<(), GcmError> {
        self.active.1.encrypt(header, payload)?;
        self.sent = self.sent.saturating_add(1);
        Ok(())
    }
}

fn other(index: KeyIndex) -> KeyIndex {
    match index {
        KeyIndex::Even => KeyIndex::Odd,
        KeyIndex::Odd => KeyIndex::Even,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::KeyPair;
    use alloc::vec;

    fn key(n: u8) -> Sek {
        Sek::from_bytes(&[n; 16]).unwrap()
    }

    fn header(seq: u32, index: KeyIndex) -> [u8; 16] {
        let mut h = [0u8; 16];
        h[..4].copy_from_slice(&seq.to_be_bytes());
        h[4] = 0xc0
            | match index {
                KeyIndex::Even => 0x08,
                KeyIndex::Odd => 0x10,
            };
        h
    }

    /// Runs `packets` packets through a sender with refresh rate 10 and
    /// pre-announce 3, returning (packet number, event) pairs.
    fn events(packets: u32) -> Vec<(u32, KeyEvent)> {
        let config = KeyRefreshConfig::new(10, 3).unwrap();
        let mut sender = SenderKeys::new(CipherMode::AesCtr, Salt::new([1; 16]), key(0), config);
        let mut next = 1u8;
        let mut out = Vec::new();
        for i in 0..packets {
            if let Some(e) = sender.poll(|| {
                next += 1;
                key(next - 1)
            }) {
                out.push((i, e));
            }
            sender
                .encrypt(&header(i, sender.active()), &mut vec![0; 8])
                .unwrap();
        }
        out
    }

    #[test]
    fn libsrt_defaults_are_2_pow_24_and_4096() {
        let c = KeyRefreshConfig::default();
        assert_eq!((c.refresh_rate(), c.pre_announce()), (1 << 24, 4096));
    }

    #[test]
    fn pre_announce_above_half_the_refresh_rate_is_refused() {
        assert!(KeyRefreshConfig::new(11, 5).is_ok());
        assert_eq!(
            KeyRefreshConfig::new(10, 5),
            Err(KeyRefreshConfigError {
                refresh_rate: 10,
                pre_announce: 5
            })
        );
        assert!(KeyRefreshConfig::new(10, 0).is_err());
        assert!(KeyRefreshConfig::new(0, 0).is_err());
    }

    #[test]
    fn first_key_is_even_and_announced_alone() {
        let sender = SenderKeys::new(
            CipherMode::AesCtr,
            Salt::new([1; 16]),
            key(7),
            KeyRefreshConfig::default(),
        );
        assert_eq!(sender.active(), KeyIndex::Even);
        assert_eq!(sender.announcement(), StreamKeys::Even(key(7)));
    }

    #[test]
    fn refresh_announces_switches_then_retires_on_libsrt_counts() {
        // The first key counts from 1: its 8th packet (index 7) exceeds
        // R - P = 7, its 11th (index 10) exceeds R = 10. The new key counts
        // from 0, so its 4th packet (index 14) exceeds P = 3.
        assert_eq!(
            events(23),
            vec![
                (
                    7,
                    KeyEvent::Announce(StreamKeys::Both {
                        even: key(0),
                        odd: key(1)
                    })
                ),
                (10, KeyEvent::Switched(KeyIndex::Odd)),
                (14, KeyEvent::Announce(StreamKeys::Odd(key(1)))),
                (
                    18,
                    KeyEvent::Announce(StreamKeys::Both {
                        even: key(2),
                        odd: key(1)
                    })
                ),
                (21, KeyEvent::Switched(KeyIndex::Even)),
            ]
        );
    }

    #[test]
    fn a_receiver_following_the_announcements_decrypts_every_packet() {
        let config = KeyRefreshConfig::new(10, 3).unwrap();
        let salt = Salt::new([4; 16]);
        let mode = CipherMode::AesGcm(crate::crypto::GcmVariant::Srt154);
        let mut sender = SenderKeys::new(mode, salt, key(0), config);
        let mut receiver = KeyPair::new();
        receiver.install(mode, &salt, &sender.announcement());
        let mut n = 0u8;
        for i in 0..50u32 {
            if let Some(KeyEvent::Announce(keys)) = sender.poll(|| {
                n += 1;
                key(n)
            }) {
                receiver.install(mode, &salt, &keys);
            }
            let h = header(i, sender.active());
            let mut payload = i.to_be_bytes().to_vec();
            sender.encrypt(&h, &mut payload).unwrap();
            receiver.decrypt(&h, &mut payload).unwrap();
            assert_eq!(payload, i.to_be_bytes());
        }
        assert!(n >= 4, "four refreshes in 50 packets at rate 10");
    }
}

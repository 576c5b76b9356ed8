//! Payload encryption behind one interface, whichever cipher the key
//! material negotiated, and the even/odd key pair a receiver holds.

use super::ctr::CtrCipher;
use super::gcm::{GCM_HEADER_LEN, GCM_TAG_LEN, GcmCipher, GcmError, GcmVariant};
use super::key::{KeyLength, Salt, Sek};
use super::wrap::{KeyIndex, StreamKeys};
use crate::packet::DataPacket;
use alloc::vec::Vec;
use core::fmt;

/// The payload cipher, as the KM message's `Cipher` field names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CipherMode {
    /// AES-CTR (KM cipher `2`), no authentication; every libsrt version.
    AesCtr,
    /// AES-GCM (KM cipher `4`, auth `1`) in one of libsrt's two layouts.
    AesGcm(GcmVariant),
}

impl CipherMode {
    /// Bytes the cipher appends to each payload: 0 for CTR, 16 for GCM.
    pub const fn overhead(self) -> usize {
        match self {
            CipherMode::AesCtr => 0,
            CipherMode::AesGcm(_) => GCM_TAG_LEN,
        }
    }
}

/// One stream key ready to encrypt and decrypt payloads.
///
/// The key schedule is computed once, when the context is made; per packet
/// only the IV is built.
#[derive(Debug, Clone)]
pub enum CryptoContext {
    /// AES-CTR.
    Ctr(CtrCipher),
    /// AES-GCM.
    Gcm(GcmCipher),
}

impl CryptoContext {
    /// Prepares a stream key and its salt for the negotiated cipher.
    pub fn new(mode: CipherMode, sek: &Sek, salt: &Salt) -> Self {
        match mode {
            CipherMode::AesCtr => CryptoContext::Ctr(CtrCipher::new(sek, salt)),
            CipherMode::AesGcm(variant) => CryptoContext::Gcm(GcmCipher::new(sek, salt, variant)),
        }
    }

    /// The cipher this context runs.
    pub fn mode(&self) -> CipherMode {
        match self {
            CryptoContext::Ctr(_) => CipherMode::AesCtr,
            CryptoContext::Gcm(g) => CipherMode::AesGcm(g.variant()),
        }
    }

    /// The key length (AES-128, -192 or -256).
    pub fn key_length(&self) -> KeyLength {
        match self {
            CryptoContext::Ctr(c) => c.key_length(),
            CryptoContext::Gcm(g) => g.key_length(),
        }
    }

    /// Encrypts the payload of the data packet with this `header` in place;
    /// GCM appends its 16-byte tag.
    ///
    /// The packet index is the header's first word; the GCM tag also covers
    /// the rest of the header, so it must be final (apart from the `R`
    /// flag) before this call.
    pub fn encrypt(
        &self,
        header: &[u8; GCM_HEADER_LEN],
        payload: &mut Vec<u8>,
    ) -> Result<(), GcmError> {
        match self {
            CryptoContext::Ctr(c) => {
                c.encrypt(packet_index(header), payload);
                Ok(())
            }
            CryptoContext::Gcm(g) => g.seal(header, payload),
        }
    }

    /// Decrypts the payload of the data packet with this `header` in place;
    /// for GCM, checks and then removes the tag.
    pub fn decrypt(
        &self,
        header: &[u8; GCM_HEADER_LEN],
        payload: &mut Vec<u8>,
    ) -> Result<(), GcmError> {
        let len = self.decrypt_in_place(header, payload)?;
        payload.truncate(len);
        Ok(())
    }

    /// Decrypts in place without resizing: returns the plaintext length
    /// (the whole buffer for CTR, 16 bytes less for GCM).
    pub fn decrypt_in_place(
        &self,
        header: &[u8; GCM_HEADER_LEN],
        payload: &mut [u8],
    ) -> Result<usize, GcmError> {
        match self {
            CryptoContext::Ctr(c) => {
                c.decrypt(packet_index(header), payload);
                Ok(payload.len())
            }
            CryptoContext::Gcm(g) => g.open_in_place(header, payload),
        }
    }
}

/// The packet index libsrt feeds the IV: the header's first 32-bit word.
fn packet_index(header: &[u8; GCM_HEADER_LEN]) -> u32 {
    header
        .first_chunk::<4>()
        .map_or(0, |w| u32::from_be_bytes(*w))
}

/// The `KK` bits of a data packet header: which key encrypted it.
pub fn header_key_index(header: &[u8; GCM_HEADER_LEN]) -> Option<KeyIndex> {
    match header.get(4).map(|b| (b >> 3) & 0b11) {
        Some(0b01) => Some(KeyIndex::Even),
        Some(0b10) => Some(KeyIndex::Odd),
        _ => None,
    }
}

/// Why a received payload could not be decrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecryptError {
    /// The header's `KK` bits say the payload is clear (`00`), or carry the
    /// reserved value `11`.
    NoKeyIndex,
    /// The packet names a key slot we hold no key for (not yet announced,
    /// or already retired).
    KeyNotPresent(KeyIndex),
    /// AES-GCM refused the payload.
    Gcm(GcmError),
}

impl fmt::Display for DecryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecryptError::NoKeyIndex => f.write_str("data packet names no encryption key"),
            DecryptError::KeyNotPresent(index) => write!(f, "no {index:?} key to decrypt with"),
            DecryptError::Gcm(e) => fmt::Display::fmt(e, f),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for DecryptError {}

impl From<GcmError> for DecryptError {
    fn from(e: GcmError) -> Self {
        DecryptError::Gcm(e)
    }
}

/// The even and odd key slots a receiver decrypts with.
///
/// libsrt's sender announces a new key in the idle slot before it switches
/// to it, and retires the old one a while after: each data packet's `KK`
/// bits say which slot to use.
#[derive(Debug, Clone, Default)]
pub struct KeyPair {
    even: Option<CryptoContext>,
    odd: Option<CryptoContext>,
}

impl KeyPair {
    /// No keys yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fills the slots a KM message announced, leaving the others as they
    /// were.
    pub fn install(&mut self, mode: CipherMode, salt: &Salt, keys: &StreamKeys) {
        for index in [KeyIndex::Even, KeyIndex::Odd] {
            if let Some(sek) = keys.get(index) {
                self.set(index, CryptoContext::new(mode, sek, salt));
            }
        }
    }

    /// Puts a context in a slot.
    pub fn set(&mut self, index: KeyIndex, context: CryptoContext) {
        *self.slot(index) = Some(context);
    }

    /// Empties a slot (a retired key).
    pub fn remove(&mut self, index: KeyIndex) {
        *self.slot(index) = None;
    }

    /// The context in a slot.
    pub fn get(&self, index: KeyIndex) -> Option<&CryptoContext> {
        match index {
            KeyIndex::Even => self.even.as_ref(),
            KeyIndex::Odd => self.odd.as_ref(),
        }
    }

    /// Decrypts a received payload in place with the key its header's `KK`
    /// bits name; GCM's tag is checked and removed.
    pub fn decrypt(
        &self,
        header: &[u8; GCM_HEADER_LEN],
        payload: &mut Vec<u8>,
    ) -> Result<(), DecryptError> {
        let len = self.decrypt_in_place(header, payload)?;
        payload.truncate(len);
        Ok(())
    }

    /// Decrypts in place without resizing; returns the plaintext length.
    pub fn decrypt_in_place(
        &self,
        header: &[u8; GCM_HEADER_LEN],
        payload: &mut [u8],
    ) -> Result<usize, DecryptError> {
        let index = header_key_index(header).ok_or(DecryptError::NoKeyIndex)?;
        let context = self.get(index).ok_or(DecryptError::KeyNotPresent(index))?;
        Ok(context.decrypt_in_place(header, payload)?)
    }

    /// Decrypts a received data packet into `out` (cleared first): its
    /// payload is copied once, then decrypted in place there.
    pub fn decrypt_packet(
        &self,
        packet: &DataPacket,
        out: &mut Vec<u8>,
    ) -> Result<(), DecryptError> {
        out.clear();
        out.extend_from_slice(&packet.payload);
        self.decrypt(&packet.header_bytes(), out)
    }

    fn slot(&mut self, index: KeyIndex) -> &mut Option<CryptoContext> {
        match index {
            KeyIndex::Even => &mut self.even,
            KeyIndex::Odd => &mut self.odd,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn header(seq: u32, kk: u8) -> [u8; 16] {
        let mut h = [0u8; 16];
        h[..4].copy_from_slice(&seq.to_be_bytes());
        h[4] = 0xc0 | (kk << 3);
        h
    }

    fn sek(byte: u8) -> Sek {
        Sek::from_bytes(&[byte; 16]).unwrap()
    }

    const SALT: Salt = Salt::new([3; 16]);

    #[test]
    fn ctr_context_keeps_the_payload_length() {
        let c = CryptoContext::new(CipherMode::AesCtr, &sek(1), &SALT);
        let mut buf = alloc::vec![0u8; 100];
        c.encrypt(&header(5, 1), &mut buf).unwrap();
        assert_eq!(buf.len(), 100);
        assert_eq!(c.mode().overhead(), 0);
    }

    #[test]
    fn gcm_context_appends_a_tag() {
        let c = CryptoContext::new(CipherMode::AesGcm(GcmVariant::Srt154), &sek(1), &SALT);
        let mut buf = alloc::vec![0u8; 100];
        c.encrypt(&header(5, 1), &mut buf).unwrap();
        assert_eq!(buf.len(), 100 + c.mode().overhead());
    }

    #[test]
    fn ctr_context_uses_the_header_sequence_number_as_packet_index() {
        let c = CryptoContext::new(CipherMode::AesCtr, &sek(1), &SALT);
        let raw = CtrCipher::new(&sek(1), &SALT);
        let mut via_context = alloc::vec![0u8; 64];
        let mut via_cipher = via_context.clone();
        c.encrypt(&header(0x0123_4567, 1), &mut via_context)
            .unwrap();
        raw.encrypt(0x0123_4567, &mut via_cipher);
        assert_eq!(via_context, via_cipher);
    }

    #[test]
    fn key_pair_decrypts_with_the_slot_the_header_names() {
        let even = CryptoContext::new(CipherMode::AesCtr, &sek(1), &SALT);
        let odd = CryptoContext::new(CipherMode::AesCtr, &sek(2), &SALT);
        let mut pair = KeyPair::new();
        pair.set(KeyIndex::Even, even.clone());
        pair.set(KeyIndex::Odd, odd.clone());
        for (kk, ctx) in [(1, &even), (2, &odd)] {
            let h = header(9, kk);
            let mut buf = b"sixteen byte msg".to_vec();
            ctx.encrypt(&h, &mut buf).unwrap();
            pair.decrypt(&h, &mut buf).unwrap();
            assert_eq!(buf, b"sixteen byte msg");
        }
    }

    #[test]
    fn key_pair_refuses_clear_and_reserved_key_bits() {
        let mut pair = KeyPair::new();
        pair.install(
            CipherMode::AesCtr,
            &SALT,
            &StreamKeys::Both {
                even: sek(1),
                odd: sek(2),
            },
        );
        let mut buf = alloc::vec![0u8; 8];
        assert_eq!(
            pair.decrypt(&header(1, 0), &mut buf),
            Err(DecryptError::NoKeyIndex)
        );
        assert_eq!(
            pair.decrypt(&header(1, 3), &mut buf),
            Err(DecryptError::NoKeyIndex)
        );
    }

    #[test]
    fn key_pair_reports_a_retired_key() {
        let mut pair = KeyPair::new();
        pair.install(
            CipherMode::AesCtr,
            &SALT,
            &StreamKeys::Both {
                even: sek(1),
                odd: sek(2),
            },
        );
        pair.remove(KeyIndex::Odd);
        let mut buf = alloc::vec![0u8; 8];
        assert_eq!(
            pair.decrypt(&header(1, 2), &mut buf),
            Err(DecryptError::KeyNotPresent(KeyIndex::Odd))
        );
    }

    #[test]
    fn key_pair_passes_on_gcm_tag_failures() {
        let mut pair = KeyPair::new();
        pair.install(
            CipherMode::AesGcm(GcmVariant::Srt154),
            &SALT,
            &StreamKeys::Even(sek(1)),
        );
        let mut buf = alloc::vec![0u8; 40];
        assert_eq!(
            pair.decrypt(&header(1, 1), &mut buf),
            Err(DecryptError::Gcm(GcmError::AuthenticationFailed))
        );
    }

    proptest! {
        #[test]
        fn decrypt_inverts_encrypt_for_every_mode(
            mode in prop::sample::select(alloc::vec![
                CipherMode::AesCtr,
                CipherMode::AesGcm(GcmVariant::Srt154),
                CipherMode::AesGcm(GcmVariant::Srt152),
            ]),
            key in any::<[u8; 32]>(),
            seq in 0u32..=0x7fff_ffff,
            payload in prop::collection::vec(any::<u8>(), 0..1500),
        ) {
            let c = CryptoContext::new(mode, &Sek::from_bytes(&key).unwrap(), &SALT);
            let h = header(seq, 1);
            let mut buf = payload.clone();
            c.encrypt(&h, &mut buf).unwrap();
            c.decrypt(&h, &mut buf).unwrap();
            prop_assert_eq!(buf, payload);
        }
    }
}

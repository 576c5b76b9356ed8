//! AES-GCM payload encryption (KM cipher `4`), which libsrt added in 1.5.2
//! as a preview and changed in 1.5.4.
//!
//! Both forms encrypt the payload, authenticate it together with the
//! 16-byte data packet header, and append a 16-byte tag. They differ in
//! the nonce and in the byte order of the header they authenticate
//! (libsrt `cryspr.c`, `crysprFallback_MsEncrypt`/`MsDecrypt`):
//!
//! | | 1.5.4 and later ([`GcmVariant::Srt154`]) | 1.5.2–1.5.3 ([`GcmVariant::Srt152`]) |
//! |---|---|---|
//! | 96-bit IV | `salt[0..12]` XOR (`0^8 ‖ pki`) (`hcrypt_SetGcmIV`) | first 12 bytes of the CTR counter block: `salt[0..12]` XOR (`0^10 ‖ pki[0..2]`) (OpenSSL keeps 12 of the 16 IV bytes it is handed) |
//! | AAD | the header in network byte order | the header as libsrt keeps it in memory: each 32-bit word in host order, which is little-endian on every platform libsrt ships GCM on (x86, ARM) |
//!
//! In both, the AAD has the retransmission flag `R` cleared: the sender
//! encrypts a packet once, before any retransmission sets the flag, and
//! libsrt's receiver clears it before decrypting (`core.cpp`, "must be
//! excluded from GCM auth tag"). libsrt picks the old form when the peer's
//! version is 1.5.3 or lower ([`GcmVariant::for_peer_version`]); we do the
//! same, so we emit the 1.5.4 form to current peers and speak the old one
//! only to old peers.

use super::aes_key::array;
use super::ctr::ctr_iv;
use super::key::{KeyLength, Salt, Sek};
use aes::cipher::KeyInit;
use aes::{Aes128, Aes192, Aes256};
use aes_gcm::AesGcm;
use aes_gcm::aead::AeadInOut;
use aes_gcm::aead::consts::U12;
use alloc::vec::Vec;
use core::fmt;

/// Length of the authentication tag appended to each payload.
pub const GCM_TAG_LEN: usize = 16;

/// Length of the data packet header the tag authenticates.
pub const GCM_HEADER_LEN: usize = 16;

/// The retransmission flag `R` in byte 4 of a data packet header, excluded
/// from the authenticated data.
const RETRANSMIT_FLAG: u8 = 0x04;

/// Which of libsrt's two AES-GCM layouts to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GcmVariant {
    /// libsrt 1.5.4 and later: a nonce that takes the whole packet index,
    /// and the header in network byte order as AAD. What we emit.
    Srt154,
    /// libsrt 1.5.2 and 1.5.3 (the "AEAD API preview"): the first 12 bytes
    /// of the CTR counter block as nonce, and the header in little-endian
    /// 32-bit words as AAD.
    Srt152,
}

impl GcmVariant {
    /// The variant libsrt uses with a peer of this version, encoded as in
    /// the HSREQ extension (`0x00MMmmpp`, so 1.5.3 is `0x0001_0503`):
    /// [`GcmVariant::Srt152`] up to 1.5.3, [`GcmVariant::Srt154`] after.
    pub const fn for_peer_version(version: u32) -> Self {
        if version <= 0x0001_0503 {
            GcmVariant::Srt152
        } else {
            GcmVariant::Srt154
        }
    }
}

/// Why AES-GCM sealing or opening failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GcmError {
    /// The encrypted payload is shorter than the 16-byte tag it must end
    /// with.
    MissingTag {
        /// The payload's length in bytes.
        len: usize,
    },
    /// The tag does not match: the packet was altered, or it was sealed
    /// with another key, salt or variant. The payload is left untouched.
    AuthenticationFailed,
    /// The payload exceeds AES-GCM's limit (about 64 GB).
    PayloadTooLong,
}

impl fmt::Display for GcmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GcmError::MissingTag { len } => write!(
                f,
                "AES-GCM payload of {len} bytes is shorter than its {GCM_TAG_LEN}-byte tag"
            ),
            GcmError::AuthenticationFailed => f.write_str("AES-GCM authentication tag mismatch"),
            GcmError::PayloadTooLong => f.write_str("payload too long for AES-GCM"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for GcmError {}

/// The 96-bit nonce for one packet, per variant (see the module docs).
pub fn gcm_iv(salt: &Salt, pkt_index: u32, variant: GcmVariant) -> [u8; 12] {
    let mut iv = [0u8; 12];
    match variant {
        GcmVariant::Srt154 => {
            for (dst, src) in iv.iter_mut().zip(salt.as_bytes()) {
                *dst = *src;
            }
            for (dst, src) in iv.iter_mut().skip(8).zip(pkt_index.to_be_bytes()) {
                *dst ^= src;
            }
        }
        GcmVariant::Srt152 => {
            for (dst, src) in iv.iter_mut().zip(ctr_iv(salt, pkt_index)) {
                *dst = src;
            }
        }
    }
    iv
}

/// The authenticated data for one header, per variant: the header with the
/// `R` flag cleared, in network order (1.5.4) or as little-endian 32-bit
/// words (1.5.2).
pub fn gcm_aad(header: &[u8; GCM_HEADER_LEN], variant: GcmVariant) -> [u8; GCM_HEADER_LEN] {
    let mut aad = *header;
    if let Some(b) = aad.get_mut(4) {
        *b &= !RETRANSMIT_FLAG;
    }
    if variant == GcmVariant::Srt152 {
        for word in aad.chunks_exact_mut(4) {
            word.reverse();
        }
    }
    aad
}

#[derive(Clone)]
enum Engine {
    A128(AesGcm<Aes128, U12>),
    A192(AesGcm<Aes192, U12>),
    A256(AesGcm<Aes256, U12>),
}

/// AES-GCM with one stream key, the salt of its KM message and one of
/// libsrt's two layouts.
///
/// The AES key schedule and the GHASH key are computed once, in
/// [`GcmCipher::new`].
#[derive(Clone)]
pub struct GcmCipher {
    engine: Engine,
    salt: Salt,
    variant: GcmVariant,
}

impl GcmCipher {
    /// Prepares the cipher for one stream key, its salt and a layout.
    pub fn new(sek: &Sek, salt: &Salt, variant: GcmVariant) -> Self {
        let key = sek.as_bytes();
        let engine = match sek.key_length() {
            KeyLength::Aes128 => Engine::A128(AesGcm::from(Aes128::new(&array::<16, _>(key)))),
            KeyLength::Aes192 => Engine::A192(AesGcm::from(Aes192::new(&array::<24, _>(key)))),
            KeyLength::Aes256 => Engine::A256(AesGcm::from(Aes256::new(&array::<32, _>(key)))),
        };
        Self {
            engine,
            salt: *salt,
            variant,
        }
    }

    /// The key length (AES-128, -192 or -256).
    pub fn key_length(&self) -> KeyLength {
        match self.engine {
            Engine::A128(_) => KeyLength::Aes128,
            Engine::A192(_) => KeyLength::Aes192,
            Engine::A256(_) => KeyLength::Aes256,
        }
    }

    /// The layout this cipher uses.
    pub fn variant(&self) -> GcmVariant {
        self.variant
    }

    /// The salt the nonces are built from.
    pub fn salt(&self) -> &Salt {
        &self.salt
    }

    /// Encrypts `payload` in place and returns the tag to send after it.
    ///
    /// `header` is the data packet's 16-byte header as it goes on the wire;
    /// its first word is the packet index.
    pub fn seal_detached(
        &self,
        header: &[u8; GCM_HEADER_LEN],
        payload: &mut [u8],
    ) -> Result<[u8; GCM_TAG_LEN], GcmError> {
        let (nonce, aad) = self.nonce_and_aad(header);
        let nonce = nonce.into();
        let tag = match &self.engine {
            Engine::A128(g) => g.encrypt_inout_detached(&nonce, &aad, payload.into()),
            Engine::A192(g) => g.encrypt_inout_detached(&nonce, &aad, payload.into()),
            Engine::A256(g) => g.encrypt_inout_detached(&nonce, &aad, payload.into()),
        };
        tag.map(Into::into).map_err(|_| GcmError::PayloadTooLong)
    }

    /// Encrypts `payload` in place and appends the 16-byte tag.
    pub fn seal(
        &self,
        header: &[u8; GCM_HEADER_LEN],
        payload: &mut Vec<u8>,
    ) -> Result<(), GcmError> {
        let tag = self.seal_detached(header, payload)?;
        payload.extend_from_slice(&tag);
        Ok(())
    }

    /// Checks `tag` and, if it matches, decrypts `payload` in place.
    ///
    /// On a mismatch the payload is left as it was.
    pub fn open_detached(
        &self,
        header: &[u8; GCM_HEADER_LEN],
        payload: &mut [u8],
        tag: &[u8; GCM_TAG_LEN],
    ) -> Result<(), GcmError> {
        let (nonce, aad) = self.nonce_and_aad(header);
        let nonce = nonce.into();
        let tag = (*tag).into();
        let result = match &self.engine {
            Engine::A128(g) => g.decrypt_inout_detached(&nonce, &aad, payload.into(), &tag),
            Engine::A192(g) => g.decrypt_inout_detached(&nonce, &aad, payload.into(), &tag),
            Engine::A256(g) => g.decrypt_inout_detached(&nonce, &aad, payload.into(), &tag),
        };
        result.map_err(|_| GcmError::AuthenticationFailed)
    }

    /// Checks and decrypts `data` (ciphertext followed by the tag) in
    /// place; returns the plaintext length, `data.len() - 16`. The
    /// plaintext is `data[..len]`.
    pub fn open_in_place(
        &self,
        header: &[u8; GCM_HEADER_LEN],
        data: &mut [u8],
    ) -> Result<usize, GcmError> {
        let len = data.len();
        let plain_len = len
            .checked_sub(GCM_TAG_LEN)
            .ok_or(GcmError::MissingTag { len })?;
        let (payload, tag) = data.split_at_mut(plain_len);
        let tag: &[u8; GCM_TAG_LEN] = (&*tag)
            .try_into()
            .map_err(|_| GcmError::MissingTag { len })?;
        self.open_detached(header, payload, tag)?;
        Ok(plain_len)
    }

    /// Checks and decrypts `data` (ciphertext followed by the tag) in
    /// place, then removes the tag.
    pub fn open(&self, header: &[u8; GCM_HEADER_LEN], data: &mut Vec<u8>) -> Result<(), GcmError> {
        let plain_len = self.open_in_place(header, data)?;
        data.truncate(plain_len);
        Ok(())
    }

    fn nonce_and_aad(&self, header: &[u8; GCM_HEADER_LEN]) -> ([u8; 12], [u8; GCM_HEADER_LEN]) {
        let pkt_index = header
            .first_chunk::<4>()
            .map_or(0, |w| u32::from_be_bytes(*w));
        (
            gcm_iv(&self.salt, pkt_index, self.variant),
            gcm_aad(header, self.variant),
        )
    }
}

impl fmt::Debug for GcmCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GcmCipher")
            .field("key_length", &self.key_length())
            .field("variant", &self.variant)
            .finish_non_exhaustive()
    }
}

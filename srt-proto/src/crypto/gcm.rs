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

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    // Vectors computed with OpenSSL's AES-GCM (through Python
    // `cryptography`), with nonce and AAD laid out from libsrt's C sources
    // independently of this module: key 00..0f (or 00..1f), salt a0..af,
    // a header with sequence 0x12345678, KK = even and R set, 40 bytes.
    const SALT: [u8; 16] = [
        0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae,
        0xaf,
    ];
    const HEADER: [u8; 16] = [
        0x12, 0x34, 0x56, 0x78, 0xcc, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x64, 0x0a, 0x0b, 0x0c,
        0x0d,
    ];
    const PLAINTEXT: &[u8; 40] = b"SRT payload authenticated with AES-GCM!!";

    fn cipher(key_len: usize, variant: GcmVariant) -> GcmCipher {
        let key: Vec<u8> = (0..key_len as u8).collect();
        GcmCipher::new(&Sek::from_bytes(&key).unwrap(), &Salt::new(SALT), variant)
    }

    fn sealed(key_len: usize, variant: GcmVariant) -> String {
        let mut buf = PLAINTEXT.to_vec();
        cipher(key_len, variant).seal(&HEADER, &mut buf).unwrap();
        hex::encode(buf)
    }

    #[test]
    fn srt154_aes128_matches_openssl() {
        assert_eq!(
            sealed(16, GcmVariant::Srt154),
            concat!(
                "614b38900e4cfd866adeb242b81ecb502b13f54bedcfb1a98caea5212f6a9186d0978852f6710753",
                "2f7ac2ae583704365f0ec8a7eafde8a3"
            )
        );
    }

    #[test]
    fn srt152_aes128_matches_openssl() {
        assert_eq!(
            sealed(16, GcmVariant::Srt152),
            concat!(
                "7dd0d332f3c918d721a9c684d0750f9452523e54f2a21242630400b4e16d7ddcb13349a918002e8f",
                "fa4339c746cd8205726289da365c5bf3"
            )
        );
    }

    #[test]
    fn srt154_aes256_matches_openssl() {
        assert_eq!(
            sealed(32, GcmVariant::Srt154),
            concat!(
                "dc75b7c88b558bebd52683dbc555846d33d3a873e90bf95f575fda4c8d60013e54071a13b53fd8cb",
                "9dbb2409082d0f4169ec6d5e8695c886"
            )
        );
    }

    #[test]
    fn srt152_aes256_matches_openssl() {
        assert_eq!(
            sealed(32, GcmVariant::Srt152),
            concat!(
                "111690055250466f09b205f6e29b743447af08d1851789f4d4d8bf94be84318a9938e365e66bbc60",
                "4073f0dbdcb0d0c7e9852287691af46e"
            )
        );
    }

    #[test]
    fn srt154_nonce_is_salt_xor_packet_index_at_bytes_8_to_12() {
        assert_eq!(
            hex::encode(gcm_iv(&Salt::new(SALT), 0x1234_5678, GcmVariant::Srt154)),
            "a0a1a2a3a4a5a6a7ba9dfcd3"
        );
    }

    #[test]
    fn srt152_nonce_is_the_first_12_bytes_of_the_ctr_block() {
        assert_eq!(
            hex::encode(gcm_iv(&Salt::new(SALT), 0x1234_5678, GcmVariant::Srt152)),
            "a0a1a2a3a4a5a6a7a8a9b89f"
        );
    }

    #[test]
    fn aad_clears_the_retransmission_flag() {
        let aad = gcm_aad(&HEADER, GcmVariant::Srt154);
        assert_eq!(aad[4], 0xc8);
        assert_eq!(aad[..4], HEADER[..4]);
        assert_eq!(aad[5..], HEADER[5..]);
    }

    #[test]
    fn srt152_aad_is_the_header_in_little_endian_words() {
        assert_eq!(
            hex::encode(gcm_aad(&HEADER, GcmVariant::Srt152)),
            "78563412010000c8640100000d0c0b0a"
        );
    }

    #[test]
    fn a_retransmitted_packet_opens_with_the_original_tag() {
        let c = cipher(16, GcmVariant::Srt154);
        let mut first = HEADER;
        first[4] &= !0x04;
        let mut buf = PLAINTEXT.to_vec();
        c.seal(&first, &mut buf).unwrap();
        // The retransmission carries R = 1 and the same encrypted payload.
        c.open(&HEADER, &mut buf).unwrap();
        assert_eq!(buf, PLAINTEXT);
    }

    #[test]
    fn open_refuses_a_payload_shorter_than_the_tag() {
        let mut buf = alloc::vec![0u8; 15];
        assert_eq!(
            cipher(16, GcmVariant::Srt154).open(&HEADER, &mut buf),
            Err(GcmError::MissingTag { len: 15 })
        );
    }

    #[test]
    fn open_with_the_other_variant_fails() {
        let mut buf = PLAINTEXT.to_vec();
        cipher(16, GcmVariant::Srt154)
            .seal(&HEADER, &mut buf)
            .unwrap();
        assert_eq!(
            cipher(16, GcmVariant::Srt152).open(&HEADER, &mut buf),
            Err(GcmError::AuthenticationFailed)
        );
    }

    #[test]
    fn failed_open_leaves_the_payload_untouched() {
        let mut buf = PLAINTEXT.to_vec();
        let c = cipher(16, GcmVariant::Srt154);
        c.seal(&HEADER, &mut buf).unwrap();
        buf[3] ^= 1;
        let before = buf.clone();
        assert_eq!(
            c.open(&HEADER, &mut buf),
            Err(GcmError::AuthenticationFailed)
        );
        assert_eq!(buf, before);
    }

    #[test]
    fn peer_version_picks_the_variant_as_libsrt_does() {
        assert_eq!(
            GcmVariant::for_peer_version(0x0001_0502),
            GcmVariant::Srt152
        );
        assert_eq!(
            GcmVariant::for_peer_version(0x0001_0503),
            GcmVariant::Srt152
        );
        assert_eq!(
            GcmVariant::for_peer_version(0x0001_0504),
            GcmVariant::Srt154
        );
        assert_eq!(
            GcmVariant::for_peer_version(0x0001_0600),
            GcmVariant::Srt154
        );
    }

    fn any_key() -> impl Strategy<Value = Vec<u8>> {
        prop::sample::select(alloc::vec![16usize, 24, 32])
            .prop_flat_map(|n| prop::collection::vec(any::<u8>(), n))
    }

    fn any_variant() -> impl Strategy<Value = GcmVariant> {
        prop::sample::select(alloc::vec![GcmVariant::Srt154, GcmVariant::Srt152])
    }

    proptest! {
        #[test]
        fn open_inverts_seal(
            key in any_key(),
            salt in any::<[u8; 16]>(),
            header in any::<[u8; 16]>(),
            variant in any_variant(),
            payload in prop::collection::vec(any::<u8>(), 0..1500),
        ) {
            let c = GcmCipher::new(&Sek::from_bytes(&key).unwrap(), &Salt::new(salt), variant);
            let mut buf = payload.clone();
            c.seal(&header, &mut buf).unwrap();
            prop_assert_eq!(buf.len(), payload.len() + GCM_TAG_LEN);
            c.open(&header, &mut buf).unwrap();
            prop_assert_eq!(buf, payload);
        }

        #[test]
        fn any_flipped_bit_in_payload_tag_or_header_is_detected(
            key in any_key(),
            variant in any_variant(),
            payload in prop::collection::vec(any::<u8>(), 1..300),
            header in any::<[u8; 16]>(),
            flip in any::<prop::sample::Index>(),
            bit in 0u8..8,
        ) {
            let c = GcmCipher::new(&Sek::from_bytes(&key).unwrap(), &Salt::new([9; 16]), variant);
            let mut buf = payload;
            c.seal(&header, &mut buf).unwrap();
            // Positions: the sealed bytes, then the header (except the R
            // flag, which is deliberately not authenticated).
            let mut header = header;
            let at = flip.index(buf.len() + 16);
            if at < buf.len() {
                buf[at] ^= 1 << bit;
            } else {
                let h = at - buf.len();
                let mask = if h == 4 && bit == 2 { 1 << 3 } else { 1 << bit };
                header[h] ^= mask;
            }
            prop_assert_eq!(c.open(&header, &mut buf), Err(GcmError::AuthenticationFailed));
        }

        #[test]
        fn open_of_arbitrary_bytes_never_panics(
            header in any::<[u8; 16]>(),
            data in prop::collection::vec(any::<u8>(), 0..100),
        ) {
            let c = GcmCipher::new(&Sek::from_bytes(&[1; 16]).unwrap(), &Salt::new([2; 16]), GcmVariant::Srt154);
            let mut data = data;
            let _ = c.open(&header, &mut data);
        }
    }
}

//! Secrets: the passphrase, the salt, the key-encrypting key (KEK) derived
//! from them, and the stream-encrypting keys (SEKs) it protects.

use core::fmt;

/// Iterations of PBKDF2-HMAC-SHA1 libsrt uses to derive the KEK
/// (`HAICRYPT_PBKDF2_ITER_CNT`).
pub const PBKDF2_ITERATIONS: u32 = 2048;

/// How many trailing bytes of the KM salt feed PBKDF2
/// (`HAICRYPT_PBKDF2_SALT_LEN`): libsrt uses the last 8 of the 16.
pub const PBKDF2_SALT_LEN: usize = 8;

/// Length of the salt carried in the key material message
/// (`HAICRYPT_SALT_SZ`).
pub const SALT_LEN: usize = 16;

/// An AES key length, as the `pbkeylen` option and the KM message's `KLen`
/// field give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyLength {
    /// 16 bytes: AES-128.
    Aes128,
    /// 24 bytes: AES-192.
    Aes192,
    /// 32 bytes: AES-256.
    Aes256,
}

impl KeyLength {
    /// The key length in bytes (16, 24 or 32).
    pub const fn bytes(self) -> usize {
        match self {
            KeyLength::Aes128 => 16,
            KeyLength::Aes192 => 24,
            KeyLength::Aes256 => 32,
        }
    }

    /// The key length for a byte count, if it is one AES has.
    pub const fn from_bytes(len: usize) -> Option<Self> {
        match len {
            16 => Some(KeyLength::Aes128),
            24 => Some(KeyLength::Aes192),
            32 => Some(KeyLength::Aes256),
            _ => None,
        }
    }
}

impl TryFrom<usize> for KeyLength {
    type Error = InvalidKeyLength;

    fn try_from(len: usize) -> Result<Self, Self::Error> {
        KeyLength::from_bytes(len).ok_or(InvalidKeyLength { len })
    }
}

/// A key of a length AES does not have (not 16, 24 or 32 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidKeyLength {
    /// The length that was offered, in bytes.
    pub len: usize,
}

impl fmt::Display for InvalidKeyLength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an AES key is 16, 24 or 32 bytes long, not {} bytes",
            self.len
        )
    }
}

#[cfg(feature = "std")]
impl std::error::Error for InvalidKeyLength {}

/// Key bytes of one of the three AES lengths, wiped when dropped.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct KeyBytes {
    bytes: [u8; 32],
    len: KeyLength,
}

impl KeyBytes {
    pub(crate) fn from_slice(key: &[u8]) -> Result<Self, InvalidKeyLength> {
        let len = KeyLength::try_from(key.len())?;
        let mut bytes = [0u8; 32];
        if let Some(dst) = bytes.get_mut(..key.len()) {
            dst.copy_from_slice(key);
        }
        Ok(Self { bytes, len })
    }

    pub(crate) fn zeroed(len: KeyLength) -> Self {
        Self {
            bytes: [0u8; 32],
            len,
        }
    }

    pub(crate) fn len(&self) -> KeyLength {
        self.len
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len.bytes()).unwrap_or(&[])
    }

    pub(crate) fn as_bytes_mut(&mut self) -> &mut [u8] {
        self.bytes.get_mut(..self.len.bytes()).unwrap_or(&mut [])
    }
}

impl Drop for KeyBytes {
    fn drop(&mut self) {
        self.bytes.fill(0);
        // Best effort without `unsafe` or a new dependency: make the wiped
        // array observable so the stores are not elided as dead.
        core::hint::black_box(&self.bytes);
    }
}

/// A passphrase checked against libsrt's limits: 10 to 80 bytes.
///
/// libsrt's `SRTO_PASSPHRASE` setter rejects anything outside
/// `10..=HAICRYPT_SECRET_MAX_SZ` (80), and its documentation gives the same
/// `[10..80]` range. The bytes are wiped when the value is dropped, and
/// `Debug` does not print them.
#[derive(Clone)]
pub struct Passphrase {
    bytes: [u8; Passphrase::MAX_LEN],
    len: usize,
}

impl Passphrase {
    /// The shortest passphrase libsrt accepts, in bytes.
    pub const MIN_LEN: usize = 10;
    /// The longest passphrase libsrt accepts, in bytes.
    pub const MAX_LEN: usize = 80;

    /// Checks the length and keeps a copy of the passphrase.
    pub fn new(passphrase: &[u8]) -> Result<Self, PassphraseError> {
        let len = passphrase.len();
        if len < Self::MIN_LEN {
            return Err(PassphraseError::TooShort { len });
        }
        let mut bytes = [0u8; Self::MAX_LEN];
        let dst = bytes
            .get_mut(..len)
            .ok_or(PassphraseError::TooLong { len })?;
        dst.copy_from_slice(passphrase);
        Ok(Self { bytes, len })
    }

    /// The passphrase bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

impl TryFrom<&str> for Passphrase {
    type Error = PassphraseError;

    fn try_from(passphrase: &str) -> Result<Self, Self::Error> {
        Passphrase::new(passphrase.as_bytes())
    }
}

impl TryFrom<&[u8]> for Passphrase {
    type Error = PassphraseError;

    fn try_from(passphrase: &[u8]) -> Result<Self, Self::Error> {
        Passphrase::new(passphrase)
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Passphrase")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl Drop for Passphrase {
    fn drop(&mut self) {
        self.bytes.fill(0);
        core::hint::black_box(&self.bytes);
    }
}

/// Why a passphrase was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassphraseError {
    /// Fewer than [`Passphrase::MIN_LEN`] bytes.
    TooShort {
        /// The length offered, in bytes.
        len: usize,
    },
    /// More than [`Passphrase::MAX_LEN`] bytes.
    TooLong {
        /// The length offered, in bytes.
        len: usize,
    },
}

impl fmt::Display for PassphraseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PassphraseError::TooShort { len } => write!(
                f,
                "passphrase is {len} bytes, shorter than the minimum of {}",
                Passphrase::MIN_LEN
            ),
            PassphraseError::TooLong { len } => write!(
                f,
                "passphrase is {len} bytes, longer than the maximum of {}",
                Passphrase::MAX_LEN
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for PassphraseError {}

/// The 16-byte salt of a key material message.
///
/// Its last 8 bytes salt the KEK derivation; its first 14 (CTR) or 12 (GCM)
/// bytes are the nonce every payload IV is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Salt([u8; SALT_LEN]);

impl Salt {
    /// Wraps 16 salt bytes (from the KM message, or from the sender's RNG).
    pub const fn new(bytes: [u8; SALT_LEN]) -> Self {
        Self(bytes)
    }

    /// Reads a salt from a slice of exactly 16 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    /// The salt bytes.
    pub const fn as_bytes(&self) -> &[u8; SALT_LEN] {
        &self.0
    }

    /// The part of the salt PBKDF2 uses: its last 8 bytes
    /// (`hcryptCtx_GenSecret`: `LSB(64, Salt)`).
    pub fn pbkdf2_salt(&self) -> &[u8] {
        let (_, tail) = self.0.split_at(SALT_LEN - PBKDF2_SALT_LEN);
        tail
    }
}

impl From<[u8; SALT_LEN]> for Salt {
    fn from(bytes: [u8; SALT_LEN]) -> Self {
        Self(bytes)
    }
}

/// The key-encrypting key: it wraps the stream keys in KM messages.
///
/// libsrt derives it from the passphrase with PBKDF2-HMAC-SHA1, 2048
/// iterations, over the last 8 bytes of the KM salt, as long as the stream
/// key it protects. Wiped when dropped; `Debug` does not print it.
#[derive(Clone, PartialEq, Eq)]
pub struct Kek {
    pub(crate) key: KeyBytes,
}

impl Kek {
    /// Derives the KEK from a passphrase as libsrt does
    /// (`hcryptCtx_GenSecret`): `PBKDF2-HMAC-SHA1(passphrase, salt[8..16],
    /// 2048, len)`.
    pub fn derive(passphrase: &Passphrase, salt: &Salt, len: KeyLength) -> Self {
        let mut key = KeyBytes::zeroed(len);
        pbkdf2::pbkdf2_hmac::<sha1::Sha1>(
            passphrase.as_bytes(),
            salt.pbkdf2_salt(),
            PBKDF2_ITERATIONS,
            key.as_bytes_mut(),
        );
        Self { key }
    }

    /// Uses raw key bytes as the KEK (a pre-shared KEK, or a test vector).
    pub fn from_bytes(key: &[u8]) -> Result<Self, InvalidKeyLength> {
        KeyBytes::from_slice(key).map(|key| Self { key })
    }

    /// The KEK's length.
    pub fn key_length(&self) -> KeyLength {
        self.key.len()
    }

    /// The KEK bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.key.as_bytes()
    }
}

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kek")
            .field("len", &self.key.len())
            .finish_non_exhaustive()
    }
}

/// A stream-encrypting key: the AES key payloads are encrypted with.
///
/// The sender makes it from its seeded RNG; the receiver unwraps it from
/// the KM message with the [`Kek`]. Wiped when dropped; `Debug` does not
/// print it.
#[derive(Clone, PartialEq, Eq)]
pub struct Sek {
    pub(crate) key: KeyBytes,
}

impl Sek {
    /// Uses raw key bytes (16, 24 or 32 of them) as a stream key.
    pub fn from_bytes(key: &[u8]) -> Result<Self, InvalidKeyLength> {
        KeyBytes::from_slice(key).map(|key| Self { key })
    }

    /// The key's length.
    pub fn key_length(&self) -> KeyLength {
        self.key.len()
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.key.as_bytes()
    }
}

impl fmt::Debug for Sek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sek")
            .field("len", &self.key.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pbkdf2_sha1(password: &[u8], salt: &[u8], rounds: u32, len: usize) -> alloc::vec::Vec<u8> {
        let mut out = alloc::vec![0u8; len];
        pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password, salt, rounds, &mut out);
        out
    }

    // RFC 6070 test vectors for PBKDF2-HMAC-SHA1: they pin the primitive the
    // KEK derivation is built on.
    #[test]
    fn pbkdf2_hmac_sha1_matches_rfc6070_one_iteration() {
        assert_eq!(
            hex::encode(pbkdf2_sha1(b"password", b"salt", 1, 20)),
            "0c60c80f961f0e71f3a9b524af6012062fe037a6"
        );
    }

    #[test]
    fn pbkdf2_hmac_sha1_matches_rfc6070_4096_iterations() {
        assert_eq!(
            hex::encode(pbkdf2_sha1(b"password", b"salt", 4096, 20)),
            "4b007901b765489abead49d926f721d065a429c1"
        );
    }

    #[test]
    fn pbkdf2_hmac_sha1_matches_rfc6070_long_password_and_salt() {
        assert_eq!(
            hex::encode(pbkdf2_sha1(
                b"passwordPASSWORDpassword",
                b"saltSALTsaltSALTsaltSALTsaltSALTsalt",
                4096,
                25
            )),
            "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"
        );
    }

    #[test]
    fn pbkdf2_hmac_sha1_matches_rfc6070_embedded_nul() {
        assert_eq!(
            hex::encode(pbkdf2_sha1(b"pass\0word", b"sa\0lt", 4096, 16)),
            "56fa6aa75548099dcc37d7f03425e0c3"
        );
    }

    #[test]
    fn kek_uses_only_the_last_eight_salt_bytes() {
        let pass = Passphrase::new(b"correct-horse-battery").unwrap();
        let a = Salt::new([1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 9, 9, 9, 9, 9]);
        let b = Salt::new([0xff, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9]);
        let c = Salt::new([1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 9, 9, 9, 9, 8]);
        let ka = Kek::derive(&pass, &a, KeyLength::Aes128);
        assert_eq!(ka, Kek::derive(&pass, &b, KeyLength::Aes128));
        assert_ne!(ka, Kek::derive(&pass, &c, KeyLength::Aes128));
    }

    #[test]
    fn kek_is_pbkdf2_hmac_sha1_with_2048_rounds() {
        let pass = Passphrase::new(b"correct-horse-battery").unwrap();
        let salt = Salt::new(*b"0123456789abcdef");
        for len in [KeyLength::Aes128, KeyLength::Aes192, KeyLength::Aes256] {
            let kek = Kek::derive(&pass, &salt, len);
            assert_eq!(
                kek.as_bytes(),
                pbkdf2_sha1(b"correct-horse-battery", b"89abcdef", 2048, len.bytes()).as_slice()
            );
        }
    }

    #[test]
    fn passphrase_of_nine_bytes_is_too_short() {
        assert_eq!(
            Passphrase::new(b"123456789").unwrap_err(),
            PassphraseError::TooShort { len: 9 }
        );
    }

    #[test]
    fn passphrase_of_ten_bytes_is_accepted() {
        assert_eq!(
            Passphrase::new(b"1234567890").unwrap().as_bytes(),
            b"1234567890"
        );
    }

    #[test]
    fn passphrase_of_eighty_bytes_is_accepted() {
        assert_eq!(Passphrase::new(&[b'x'; 80]).unwrap().as_bytes().len(), 80);
    }

    #[test]
    fn passphrase_of_eighty_one_bytes_is_too_long() {
        assert_eq!(
            Passphrase::new(&[b'x'; 81]).unwrap_err(),
            PassphraseError::TooLong { len: 81 }
        );
    }

    #[test]
    fn debug_output_does_not_reveal_secrets() {
        let pass = Passphrase::new(b"correct-horse-battery").unwrap();
        let sek = Sek::from_bytes(&[0xab; 16]).unwrap();
        let text = alloc::format!("{pass:?} {sek:?}");
        assert!(!text.contains("horse"), "{text}");
        assert!(!text.contains("171"), "{text}");
        assert!(!text.to_lowercase().contains("ab, ab"), "{text}");
    }

    #[test]
    fn key_lengths_other_than_16_24_32_are_refused() {
        for len in [0, 8, 15, 17, 31, 33, 64] {
            assert_eq!(
                Sek::from_bytes(&alloc::vec![0; len]).unwrap_err(),
                InvalidKeyLength { len }
            );
        }
    }
}

//! From a decoded key material message to ready keys, and back: the glue
//! between [`crate::packet::km`] and this module.

use super::context::CipherMode;
use super::gcm::GcmVariant;
use super::key::{Kek, KeyLength, Passphrase, Salt};
use super::wrap::{KeyIndex, KeySet, StreamKeys, UnwrapError, WrapError};
use crate::packet::EncryptionKeySpec;
use crate::packet::km::{self, Cipher, KeyFlags, KeyMaterial};
use core::fmt;

impl From<km::KeyLength> for KeyLength {
    fn from(len: km::KeyLength) -> Self {
        match len {
            km::KeyLength::Aes128 => KeyLength::Aes128,
            km::KeyLength::Aes192 => KeyLength::Aes192,
            km::KeyLength::Aes256 => KeyLength::Aes256,
        }
    }
}

impl From<KeyLength> for km::KeyLength {
    fn from(len: KeyLength) -> Self {
        match len {
            KeyLength::Aes128 => km::KeyLength::Aes128,
            KeyLength::Aes192 => km::KeyLength::Aes192,
            KeyLength::Aes256 => km::KeyLength::Aes256,
        }
    }
}

impl From<KeyFlags> for KeySet {
    fn from(flags: KeyFlags) -> Self {
        match flags {
            KeyFlags::Even => KeySet::Even,
            KeyFlags::Odd => KeySet::Odd,
            KeyFlags::Both => KeySet::Both,
        }
    }
}

impl From<KeySet> for KeyFlags {
    fn from(set: KeySet) -> Self {
        match set {
            KeySet::Even => KeyFlags::Even,
            KeySet::Odd => KeyFlags::Odd,
            KeySet::Both => KeyFlags::Both,
        }
    }
}

impl From<KeyIndex> for EncryptionKeySpec {
    fn from(index: KeyIndex) -> Self {
        match index {
            KeyIndex::Even => EncryptionKeySpec::Even,
            KeyIndex::Odd => EncryptionKeySpec::Odd,
        }
    }
}

impl KeyIndex {
    /// The key a data packet's `KK` bits name, if it is encrypted.
    pub fn from_key_spec(spec: EncryptionKeySpec) -> Option<Self> {
        match spec {
            EncryptionKeySpec::Unencrypted => None,
            EncryptionKeySpec::Even => Some(KeyIndex::Even),
            EncryptionKeySpec::Odd => Some(KeyIndex::Odd),
        }
    }
}

/// What a receiver learns from a KM message it could unwrap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedKeys {
    /// The payload cipher.
    pub mode: CipherMode,
    /// The salt every payload IV is built from.
    pub salt: Salt,
    /// The stream key(s).
    pub keys: StreamKeys,
}

/// Why a KM message could not be turned into keys, or keys into one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KmError {
    /// The message names a cipher libsrt does not encrypt payloads with
    /// (only AES-CTR and AES-GCM are used).
    UnsupportedCipher(u8),
    /// The salt is not the 16 bytes libsrt always sends (the IVs are built
    /// from its first 14).
    SaltLength(usize),
    /// The keys could not be unwrapped; a wrong passphrase is
    /// [`UnwrapError::IntegrityCheckFailed`].
    Unwrap(UnwrapError),
    /// The keys could not be wrapped.
    Wrap(WrapError),
}

impl fmt::Display for KmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KmError::UnsupportedCipher(c) => write!(f, "KM cipher {c} is not AES-CTR or AES-GCM"),
            KmError::SaltLength(len) => write!(f, "KM salt of {len} bytes, expected 16"),
            KmError::Unwrap(e) => fmt::Display::fmt(e, f),
            KmError::Wrap(e) => fmt::Display::fmt(e, f),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for KmError {}

impl From<UnwrapError> for KmError {
    fn from(e: UnwrapError) -> Self {
        KmError::Unwrap(e)
    }
}

impl From<WrapError> for KmError {
    fn from(e: WrapError) -> Self {
        KmError::Wrap(e)
    }
}

/// Derives the KEK for a received KM message and unwraps its keys.
///
/// `gcm_variant` is the AES-GCM layout to use should the message announce
/// GCM: pick it with [`GcmVariant::for_peer_version`] from the peer's
/// HSREQ version, as libsrt does.
pub fn open_key_material(
    passphrase: &Passphrase,
    km: &KeyMaterial,
    gcm_variant: GcmVariant,
) -> Result<ReceivedKeys, KmError> {
    let mode = match km.cipher() {
        Cipher::AesCtr => CipherMode::AesCtr,
        Cipher::AesGcm => CipherMode::AesGcm(gcm_variant),
        other => return Err(KmError::UnsupportedCipher(other.to_u8())),
    };
    let salt = Salt::from_slice(km.salt()).ok_or(KmError::SaltLength(km.salt().len()))?;
    let kek = Kek::derive(passphrase, &salt, km.key_len().into());
    let keys = kek.unwrap(km.keys().into(), km.wrapped_keys())?;
    Ok(ReceivedKeys { mode, salt, keys })
}

/// Builds the KM message a sender announces its keys with: the KEK is
/// derived from `passphrase` and `salt`, as long as the keys.
pub fn seal_key_material(
    passphrase: &Passphrase,
    salt: &Salt,
    keys: &StreamKeys,
    mode: CipherMode,
) -> Result<KeyMaterial, KmError> {
    let key_len = match keys {
        StreamKeys::Even(k) | StreamKeys::Odd(k) | StreamKeys::Both { even: k, .. } => {
            k.key_length()
        }
    };
    let kek = Kek::derive(passphrase, salt, key_len);
    let wrapped = kek.wrap(keys)?;
    let cipher = match mode {
        CipherMode::AesCtr => Cipher::AesCtr,
        CipherMode::AesGcm(_) => Cipher::AesGcm,
    };
    // The lengths are consistent by construction: a 16-byte salt and
    // `wrap` output for these keys.
    KeyMaterial::new(
        keys.key_set().into(),
        key_len.into(),
        cipher,
        salt.as_bytes(),
        &wrapped,
    )
    .map_err(|_| KmError::SaltLength(salt.as_bytes().len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Sek;

    fn pass() -> Passphrase {
        Passphrase::new(b"correct-horse-battery").unwrap()
    }

    #[test]
    fn sealed_key_material_opens_with_the_same_passphrase() {
        let keys = StreamKeys::Both {
            even: Sek::from_bytes(&[1; 24]).unwrap(),
            odd: Sek::from_bytes(&[2; 24]).unwrap(),
        };
        let salt = Salt::new([5; 16]);
        let mode = CipherMode::AesGcm(GcmVariant::Srt154);
        let km = seal_key_material(&pass(), &salt, &keys, mode).unwrap();
        assert_eq!(km.cipher(), Cipher::AesGcm);
        assert_eq!(km.keys(), KeyFlags::Both);
        let got = open_key_material(&pass(), &km, GcmVariant::Srt154).unwrap();
        assert_eq!(got, ReceivedKeys { mode, salt, keys });
    }

    #[test]
    fn sealed_key_material_survives_the_wire_encoding() {
        let keys = StreamKeys::Even(Sek::from_bytes(&[9; 16]).unwrap());
        let km =
            seal_key_material(&pass(), &Salt::new([3; 16]), &keys, CipherMode::AesCtr).unwrap();
        let mut wire = alloc::vec::Vec::new();
        km.encode(&mut wire);
        let decoded = KeyMaterial::decode(&wire).unwrap();
        assert_eq!(
            open_key_material(&pass(), &decoded, GcmVariant::Srt154)
                .unwrap()
                .keys,
            keys
        );
    }

    #[test]
    fn opening_with_another_passphrase_fails_the_integrity_check() {
        let keys = StreamKeys::Odd(Sek::from_bytes(&[9; 32]).unwrap());
        let km =
            seal_key_material(&pass(), &Salt::new([3; 16]), &keys, CipherMode::AesCtr).unwrap();
        let other = Passphrase::new(b"wrong-horse-battery").unwrap();
        assert_eq!(
            open_key_material(&other, &km, GcmVariant::Srt154),
            Err(KmError::Unwrap(UnwrapError::IntegrityCheckFailed))
        );
    }

    #[test]
    fn a_cipher_other_than_ctr_or_gcm_is_refused() {
        let km = KeyMaterial::new(
            KeyFlags::Even,
            km::KeyLength::Aes128,
            Cipher::AesCbc,
            &[0; 16],
            &[0; 24],
        )
        .unwrap();
        assert_eq!(
            open_key_material(&pass(), &km, GcmVariant::Srt154),
            Err(KmError::UnsupportedCipher(3))
        );
    }

    #[test]
    fn a_salt_other_than_16_bytes_is_refused() {
        let km = KeyMaterial::new(
            KeyFlags::Even,
            km::KeyLength::Aes128,
            Cipher::AesCtr,
            &[0; 8],
            &[0; 24],
        )
        .unwrap();
        assert_eq!(
            open_key_material(&pass(), &km, GcmVariant::Srt154),
            Err(KmError::SaltLength(8))
        );
    }

    #[test]
    fn key_lengths_and_sets_convert_both_ways() {
        for len in [KeyLength::Aes128, KeyLength::Aes192, KeyLength::Aes256] {
            assert_eq!(KeyLength::from(km::KeyLength::from(len)), len);
        }
        for set in [KeySet::Even, KeySet::Odd, KeySet::Both] {
            assert_eq!(KeySet::from(KeyFlags::from(set)), set);
        }
        for index in [KeyIndex::Even, KeyIndex::Odd] {
            assert_eq!(KeyIndex::from_key_spec(index.into()), Some(index));
        }
        assert_eq!(
            KeyIndex::from_key_spec(EncryptionKeySpec::Unencrypted),
            None
        );
    }
}

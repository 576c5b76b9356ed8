//! Wrapping the stream keys under the KEK (AES key wrap, RFC 3394), as the
//! `Wrap` field of a key material message carries them.

use super::aes_key::AesKey;
use super::key::{Kek, KeyBytes, KeyLength, Sek};
use arrayvec::ArrayVec;
use core::fmt;

/// Length of the RFC 3394 integrity check value that wrapping prepends.
pub const WRAP_OVERHEAD: usize = 8;

/// The longest wrapped-key field: two 256-bit keys plus the 8-byte check.
pub const MAX_WRAPPED_LEN: usize = WRAP_OVERHEAD + 2 * 32;

/// A wrapped-key field as it goes into a KM message (at most
/// [`MAX_WRAPPED_LEN`] bytes; no allocation).
pub type WrappedKeys = ArrayVec<u8, MAX_WRAPPED_LEN>;

/// One of the two key slots (the `KK` bits of a data packet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyIndex {
    /// The even key (`KK = 0b01`).
    Even,
    /// The odd key (`KK = 0b10`).
    Odd,
}

/// Which keys a KM message carries (its `KK` field): libsrt announces both
/// around a key refresh, one otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeySet {
    /// Only the even key (`KK = 1`).
    Even,
    /// Only the odd key (`KK = 2`).
    Odd,
    /// Both keys, even first (`KK = 3`).
    Both,
}

impl KeySet {
    /// Reads the 2-bit `KK` field; `0` (no key) is not a key set.
    pub const fn from_kk(kk: u8) -> Option<Self> {
        match kk {
            1 => Some(KeySet::Even),
            2 => Some(KeySet::Odd),
            3 => Some(KeySet::Both),
            _ => None,
        }
    }

    /// The 2-bit `KK` field value.
    pub const fn kk(self) -> u8 {
        match self {
            KeySet::Even => 1,
            KeySet::Odd => 2,
            KeySet::Both => 3,
        }
    }

    /// How many keys the set holds (1 or 2).
    pub const fn count(self) -> usize {
        match self {
            KeySet::Even | KeySet::Odd => 1,
            KeySet::Both => 2,
        }
    }
}

/// The stream keys a KM message carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamKeys {
    /// Only the even key.
    Even(Sek),
    /// Only the odd key.
    Odd(Sek),
    /// Both keys (during a key refresh).
    Both {
        /// The even key.
        even: Sek,
        /// The odd key.
        odd: Sek,
    },
}

impl StreamKeys {
    /// Which slots are filled (the KM message's `KK` field).
    pub fn key_set(&self) -> KeySet {
        match self {
            StreamKeys::Even(_) => KeySet::Even,
            StreamKeys::Odd(_) => KeySet::Odd,
            StreamKeys::Both { .. } => KeySet::Both,
        }
    }

    /// The key in one slot, if present.
    pub fn get(&self, index: KeyIndex) -> Option<&Sek> {
        match (self, index) {
            (StreamKeys::Even(k) | StreamKeys::Both { even: k, .. }, KeyIndex::Even) => Some(k),
            (StreamKeys::Odd(k) | StreamKeys::Both { odd: k, .. }, KeyIndex::Odd) => Some(k),
            _ => None,
        }
    }
}

/// Why key material could not be wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrapError {
    /// The even and odd keys differ in length; a KM message has one `KLen`.
    KeyLengthMismatch {
        /// The even key's length.
        even: KeyLength,
        /// The odd key's length.
        odd: KeyLength,
    },
}

impl fmt::Display for WrapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WrapError::KeyLengthMismatch { even, odd } => write!(
                f,
                "even key is {} bytes but odd key is {} bytes",
                even.bytes(),
                odd.bytes()
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for WrapError {}

/// Why a wrapped-key field could not be unwrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnwrapError {
    /// The field's length is not 8 bytes plus one or two AES keys of equal
    /// length, as the key set requires.
    InvalidLength {
        /// The field's length in bytes.
        len: usize,
    },
    /// The RFC 3394 integrity check failed: the KEK is wrong, which in
    /// practice means the peers' passphrases differ.
    IntegrityCheckFailed,
}

impl fmt::Display for UnwrapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnwrapError::InvalidLength { len } => {
                write!(
                    f,
                    "wrapped key field of {len} bytes has no valid key layout"
                )
            }
            UnwrapError::IntegrityCheckFailed => {
                f.write_str("key unwrap integrity check failed (wrong passphrase?)")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for UnwrapError {}

impl Kek {
    /// Wraps the stream keys (both concatenated, even first, when there are
    /// two) with AES key wrap (RFC 3394) under this KEK.
    pub fn wrap(&self, keys: &StreamKeys) -> Result<WrappedKeys, WrapError> {
        let mut plain = Plain([0u8; 64]);
        let plain_len = match keys {
            StreamKeys::Even(k) | StreamKeys::Odd(k) => copy_into(&mut plain.0, &[k]),
            StreamKeys::Both { even, odd } => {
                if even.key_length() != odd.key_length() {
                    return Err(WrapError::KeyLengthMismatch {
                        even: even.key_length(),
                        odd: odd.key_length(),
                    });
                }
                copy_into(&mut plain.0, &[even, odd])
            }
        };
        let mut out = [0u8; MAX_WRAPPED_LEN];
        let plain = plain.0.get(..plain_len).unwrap_or(&[]);
        let wrapped_len = AesKey::new(&self.key).wrap(plain, &mut out);
        let mut result = WrappedKeys::new();
        // `wrapped_len` is at most MAX_WRAPPED_LEN by construction.
        let _ = result.try_extend_from_slice(out.get(..wrapped_len).unwrap_or(&[]));
        Ok(result)
    }

    /// Unwraps a wrapped-key field holding the keys `set` names; the key
    /// length follows from the field's length.
    ///
    /// A wrong KEK (a passphrase mismatch) gives
    /// [`UnwrapError::IntegrityCheckFailed`].
    pub fn unwrap(&self, set: KeySet, wrapped: &[u8]) -> Result<StreamKeys, UnwrapError> {
        let invalid = UnwrapError::InvalidLength { len: wrapped.len() };
        let keys_len = wrapped.len().checked_sub(WRAP_OVERHEAD).ok_or(invalid)?;
        if keys_len % set.count() != 0 {
            return Err(invalid);
        }
        let key_len = KeyLength::from_bytes(keys_len / set.count()).ok_or(invalid)?;

        let mut plain = Plain([0u8; 64]);
        let plain_buf = plain.0.get_mut(..keys_len).ok_or(invalid)?;
        AesKey::new(&self.key).unwrap(wrapped, plain_buf)?;

        let (a, b) = plain_buf.split_at_checked(key_len.bytes()).ok_or(invalid)?;
        let sek = |bytes: &[u8]| {
            let mut key = KeyBytes::zeroed(key_len);
            key.as_bytes_mut().copy_from_slice(bytes);
            Sek { key }
        };
        Ok(match set {
            KeySet::Even => StreamKeys::Even(sek(a)),
            KeySet::Odd => StreamKeys::Odd(sek(a)),
            KeySet::Both => StreamKeys::Both {
                even: sek(a),
                odd: sek(b),
            },
        })
    }
}

/// A stack buffer of key bytes that is wiped when dropped.
struct Plain([u8; 64]);

impl Drop for Plain {
    fn drop(&mut self) {
        self.0.fill(0);
        core::hint::black_box(&self.0);
    }
}

fn copy_into(dst: &mut [u8; 64], keys: &[&Sek]) -> usize {
    let mut at = 0;
    for key in keys {
        let bytes = key.as_bytes();
        if let Some(slot) = dst.get_mut(at..at + bytes.len()) {
            slot.copy_from_slice(bytes);
            at += bytes.len();
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn unhex(s: &str) -> alloc::vec::Vec<u8> {
        hex::decode(s).unwrap()
    }

    fn kek(s: &str) -> Kek {
        Kek::from_bytes(&unhex(s)).unwrap()
    }

    fn sek(s: &str) -> Sek {
        Sek::from_bytes(&unhex(s)).unwrap()
    }

    // RFC 3394 §4.1: wrap 128 bits of key data with a 128-bit KEK.
    #[test]
    fn wrap_matches_rfc3394_4_1() {
        let wrapped = kek("000102030405060708090A0B0C0D0E0F")
            .wrap(&StreamKeys::Even(sek("00112233445566778899AABBCCDDEEFF")))
            .unwrap();
        assert_eq!(
            hex::encode_upper(&wrapped),
            "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"
        );
    }

    // RFC 3394 §4.2: wrap 128 bits of key data with a 192-bit KEK.
    #[test]
    fn wrap_matches_rfc3394_4_2() {
        let wrapped = kek("000102030405060708090A0B0C0D0E0F1011121314151617")
            .wrap(&StreamKeys::Odd(sek("00112233445566778899AABBCCDDEEFF")))
            .unwrap();
        assert_eq!(
            hex::encode_upper(&wrapped),
            "96778B25AE6CA435F92B5B97C050AED2468AB8A17AD84E5D"
        );
    }

    // RFC 3394 §4.6: wrap 256 bits of key data with a 256-bit KEK.
    #[test]
    fn unwrap_matches_rfc3394_4_6() {
        let keys = kek("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F")
            .unwrap(
                KeySet::Even,
                &unhex(concat!(
                    "28C9F404C4B810F4CBCCB35CFB87F826",
                    "3F5786E2D80ED326CBC7F0E71A99F43B",
                    "FB988B9B7A02DD21"
                )),
            )
            .unwrap();
        assert_eq!(
            keys,
            StreamKeys::Even(sek(
                "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F"
            ))
        );
    }

    #[test]
    fn both_keys_are_wrapped_together_even_first() {
        let k = kek("000102030405060708090A0B0C0D0E0F");
        let even = sek("00112233445566778899AABBCCDDEEFF");
        let odd = sek("FFEEDDCCBBAA99887766554433221100");
        let wrapped = k
            .wrap(&StreamKeys::Both {
                even: even.clone(),
                odd: odd.clone(),
            })
            .unwrap();
        assert_eq!(wrapped.len(), 8 + 32);
        // Unwrapping as a single 256-bit key gives the concatenation.
        let single = k.unwrap(KeySet::Even, &wrapped).unwrap();
        let mut concat = even.as_bytes().to_vec();
        concat.extend_from_slice(odd.as_bytes());
        assert_eq!(
            single.get(KeyIndex::Even).unwrap().as_bytes(),
            concat.as_slice()
        );
        assert_eq!(
            k.unwrap(KeySet::Both, &wrapped).unwrap(),
            StreamKeys::Both { even, odd }
        );
    }

    #[test]
    fn unwrap_with_wrong_kek_fails_the_integrity_check() {
        let wrapped = kek("000102030405060708090A0B0C0D0E0F")
            .wrap(&StreamKeys::Even(sek("00112233445566778899AABBCCDDEEFF")))
            .unwrap();
        assert_eq!(
            kek("000102030405060708090A0B0C0D0E0E").unwrap(KeySet::Even, &wrapped),
            Err(UnwrapError::IntegrityCheckFailed)
        );
    }

    #[test]
    fn unwrap_refuses_lengths_without_a_key_layout() {
        let k = kek("000102030405060708090A0B0C0D0E0F");
        for len in [0, 7, 8, 16, 23, 25, 48, 80] {
            assert_eq!(
                k.unwrap(KeySet::Even, &alloc::vec![0; len]),
                Err(UnwrapError::InvalidLength { len })
            );
        }
        // 8 + 24 is one AES-192 key, but not two keys of any AES length.
        assert_eq!(
            k.unwrap(KeySet::Both, &[0; 32]),
            Err(UnwrapError::InvalidLength { len: 32 })
        );
    }

    #[test]
    fn wrapping_two_keys_of_different_lengths_is_refused() {
        let k = kek("000102030405060708090A0B0C0D0E0F");
        assert_eq!(
            k.wrap(&StreamKeys::Both {
                even: Sek::from_bytes(&[1; 16]).unwrap(),
                odd: Sek::from_bytes(&[2; 32]).unwrap(),
            }),
            Err(WrapError::KeyLengthMismatch {
                even: KeyLength::Aes128,
                odd: KeyLength::Aes256
            })
        );
    }

    #[test]
    fn key_set_round_trips_through_kk() {
        for set in [KeySet::Even, KeySet::Odd, KeySet::Both] {
            assert_eq!(KeySet::from_kk(set.kk()), Some(set));
        }
        assert_eq!(KeySet::from_kk(0), None);
    }

    fn any_key() -> impl Strategy<Value = alloc::vec::Vec<u8>> {
        prop::sample::select(alloc::vec![16usize, 24, 32])
            .prop_flat_map(|n| prop::collection::vec(any::<u8>(), n))
    }

    proptest! {
        #[test]
        fn unwrap_inverts_wrap(kek_bytes in any_key(), a in any_key(), b_seed in any::<u8>(), both in any::<bool>()) {
            let k = Kek::from_bytes(&kek_bytes).unwrap();
            let even = Sek::from_bytes(&a).unwrap();
            let keys = if both {
                let odd: alloc::vec::Vec<u8> = a.iter().map(|x| x ^ b_seed ^ 0x5a).collect();
                StreamKeys::Both { even, odd: Sek::from_bytes(&odd).unwrap() }
            } else {
                StreamKeys::Odd(even)
            };
            let wrapped = k.wrap(&keys).unwrap();
            prop_assert_eq!(k.unwrap(keys.key_set(), &wrapped).unwrap(), keys);
        }

        #[test]
        fn unwrap_of_arbitrary_bytes_never_panics(
            kek_bytes in any_key(),
            kk in 1u8..=3,
            data in prop::collection::vec(any::<u8>(), 0..100),
        ) {
            let k = Kek::from_bytes(&kek_bytes).unwrap();
            let _ = k.unwrap(KeySet::from_kk(kk).unwrap(), &data);
        }
    }
}

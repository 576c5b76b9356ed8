//! The key material (KM) message carried by KMREQ/KMRSP
//! (draft-sharabayko-srt §3.2.2, libsrt `haicrypt/hcrypt_msg.h`).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! |S|  V  |   PT  |              Sign             |   Resv    | KK|
//! |                              KEKI                             |
//! |    Cipher     |      Auth     |       SE      |     Resv1     |
//! |             Resv2             |     SLen/4    |     KLen/4    |
//! |                       Salt (SLen bytes)                       |
//! |     Wrapped key(s): KLen bytes per key + 8-byte ICV (RFC 3394) |
//! ```
//!
//! Decoding checks everything the lengths depend on and keeps the
//! reserved bits, so a decoded message re-encodes byte for byte (libsrt
//! compares a KMRSP with the KMREQ it sent, byte for byte).

use super::DecodeError;
use alloc::vec::Vec;
use arrayvec::ArrayVec;
use core::fmt;

/// The KM message version, `V` (always 1).
pub const KM_VERSION: u8 = 1;
/// The packet type `PT` of a KM message.
pub const KM_PACKET_TYPE: u8 = 2;
/// `Sign`: the PnP vendor id "HAI".
pub const KM_SIGN: u16 = 0x2029;
/// The longest salt, in bytes (`HAICRYPT_SALT_SZ`).
pub const MAX_SALT_LEN: usize = 16;
/// Bytes of the RFC 3394 integrity check value added by key wrap.
pub const WRAP_ICV_LEN: usize = 8;
/// The longest wrapped-key field: two 32-byte keys plus the ICV.
pub const MAX_WRAPPED_LEN: usize = 2 * 32 + WRAP_ICV_LEN;
/// Bytes before the salt.
const HEADER_LEN: usize = 16;

/// Which stream encrypting keys (SEKs) the message carries (`KK`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyFlags {
    /// The even key only (1).
    Even,
    /// The odd key only (2).
    Odd,
    /// Both keys, even first (3).
    Both,
}

impl KeyFlags {
    /// The `KK` field value.
    pub fn to_bits(self) -> u8 {
        match self {
            Self::Even => 1,
            Self::Odd => 2,
            Self::Both => 3,
        }
    }

    /// The flags for a `KK` value; 0 (no key) is not valid.
    pub fn from_bits(bits: u8) -> Option<Self> {
        match bits {
            1 => Some(Self::Even),
            2 => Some(Self::Odd),
            3 => Some(Self::Both),
            _ => None,
        }
    }

    /// How many keys are wrapped: 2 for [`Self::Both`], else 1.
    pub fn key_count(self) -> usize {
        if self == Self::Both { 2 } else { 1 }
    }
}

/// The length of each stream encrypting key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyLength {
    /// 16 bytes, AES-128.
    Aes128,
    /// 24 bytes, AES-192.
    Aes192,
    /// 32 bytes, AES-256.
    Aes256,
}

impl KeyLength {
    /// The key length in bytes.
    pub fn bytes(self) -> usize {
        match self {
            Self::Aes128 => 16,
            Self::Aes192 => 24,
            Self::Aes256 => 32,
        }
    }

    /// The key length for a byte count of 16, 24 or 32.
    pub fn from_bytes(bytes: usize) -> Option<Self> {
        match bytes {
            16 => Some(Self::Aes128),
            24 => Some(Self::Aes192),
            32 => Some(Self::Aes256),
            _ => None,
        }
    }
}

/// The cipher (`HCRYPT_CIPHER_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cipher {
    /// 0: none.
    None,
    /// 1: AES-ECB (never used for payloads).
    AesEcb,
    /// 2: AES-CTR, what libsrt uses by default.
    AesCtr,
    /// 3: AES-CBC (never used for payloads).
    AesCbc,
    /// 4: AES-GCM (libsrt 1.5.2 and later, `SRTO_CRYPTOMODE`).
    AesGcm,
    /// Any other value, kept as it was.
    Unknown(u8),
}

impl Cipher {
    /// The wire value.
    pub fn to_u8(self) -> u8 {
        match self {
            Self::None => 0,
            Self::AesEcb => 1,
            Self::AesCtr => 2,
            Self::AesCbc => 3,
            Self::AesGcm => 4,
            Self::Unknown(v) => v,
        }
    }

    /// The cipher for a wire value.
    pub fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::None,
            1 => Self::AesEcb,
            2 => Self::AesCtr,
            3 => Self::AesCbc,
            4 => Self::AesGcm,
            v => Self::Unknown(v),
        }
    }
}

/// The message authentication (`HCRYPT_AUTH_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Auth {
    /// 0: none (with AES-CTR).
    None,
    /// 1: AES-GCM's tag (with AES-GCM).
    AesGcm,
    /// Any other value, kept as it was.
    Unknown(u8),
}

impl Auth {
    /// The wire value.
    pub fn to_u8(self) -> u8 {
        match self {
            Self::None => 0,
            Self::AesGcm => 1,
            Self::Unknown(v) => v,
        }
    }

    /// The authentication for a wire value.
    pub fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::None,
            1 => Self::AesGcm,
            v => Self::Unknown(v),
        }
    }
}

/// The stream encapsulation (`HCRYPT_SE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamEncapsulation {
    /// 0: unspecified.
    Unspecified,
    /// 1: MPEG-TS over UDP.
    TsUdp,
    /// 2: MPEG-TS or anything over SRT, what libsrt sends.
    TsSrt,
    /// Any other value, kept as it was.
    Unknown(u8),
}

impl StreamEncapsulation {
    /// The wire value.
    pub fn to_u8(self) -> u8 {
        match self {
            Self::Unspecified => 0,
            Self::TsUdp => 1,
            Self::TsSrt => 2,
            Self::Unknown(v) => v,
        }
    }

    /// The encapsulation for a wire value.
    pub fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::Unspecified,
            1 => Self::TsUdp,
            2 => Self::TsSrt,
            v => Self::Unknown(v),
        }
    }
}

/// The state of a key material exchange (libsrt `SRT_KM_STATE`), which a
/// KMRSP carries instead of key material when the exchange failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KmState {
    /// `SRT_KM_S_UNSECURED` (0): no encryption.
    Unsecured,
    /// `SRT_KM_S_SECURING` (1): exchanging key material.
    Securing,
    /// `SRT_KM_S_SECURED` (2): keys exchanged.
    Secured,
    /// `SRT_KM_S_NOSECRET` (3): encrypted, and no passphrase to decrypt.
    NoSecret,
    /// `SRT_KM_S_BADSECRET` (4): encrypted with a different passphrase.
    BadSecret,
    /// `SRT_KM_S_BADCRYPTOMODE` (5): a different cipher mode (libsrt 1.5.2+).
    BadCryptoMode,
    /// Any other value, kept as it was.
    Unknown(u32),
}

impl KmState {
    /// The numeric state.
    pub fn to_u32(self) -> u32 {
        match self {
            Self::Unsecured => 0,
            Self::Securing => 1,
            Self::Secured => 2,
            Self::NoSecret => 3,
            Self::BadSecret => 4,
            Self::BadCryptoMode => 5,
            Self::Unknown(v) => v,
        }
    }

    /// The state for a numeric value.
    pub fn from_u32(v: u32) -> Self {
        match v {
            0 => Self::Unsecured,
            1 => Self::Securing,
            2 => Self::Secured,
            3 => Self::NoSecret,
            4 => Self::BadSecret,
            5 => Self::BadCryptoMode,
            v => Self::Unknown(v),
        }
    }
}

impl fmt::Display for KmState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsecured => f.write_str("unsecured"),
            Self::Securing => f.write_str("securing"),
            Self::Secured => f.write_str("secured"),
            Self::NoSecret => f.write_str("no secret"),
            Self::BadSecret => f.write_str("bad secret"),
            Self::BadCryptoMode => f.write_str("bad crypto mode"),
            Self::Unknown(v) => write!(f, "unknown KM state {v}"),
        }
    }
}

/// Why [`KeyMaterial::new`] refused its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMaterialError {
    /// The salt is longer than 16 bytes or not a whole number of 4-byte
    /// words.
    SaltLength(usize),
    /// The wrapped keys are not `key count × key length + 8` bytes.
    WrappedLength {
        /// The length the flags and key length call for.
        expected: usize,
        /// The length given.
        got: usize,
    },
}

impl fmt::Display for KeyMaterialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SaltLength(len) => write!(
                f,
                "salt of {len} bytes: must be at most 16 and a multiple of 4"
            ),
            Self::WrappedLength { expected, got } => {
                write!(f, "wrapped keys of {got} bytes, expected {expected}")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for KeyMaterialError {}

/// The key material (KM) message: wrapped stream encrypting keys and the
/// salt they are used with.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyMaterial {
    keki: u32,
    keys: KeyFlags,
    cipher: Cipher,
    auth: Auth,
    encapsulation: StreamEncapsulation,
    key_len: KeyLength,
    salt: ArrayVec<u8, MAX_SALT_LEN>,
    wrapped: ArrayVec<u8, MAX_WRAPPED_LEN>,
    /// The reserved bits: the 6 above `KK`, `Resv1` and `Resv2`, kept so a
    /// decoded message re-encodes exactly. Zero when built.
    reserved: (u8, u8, u16),
}

impl KeyMaterial {
    /// Builds a message with KEKI 0, stream encapsulation
    /// [`StreamEncapsulation::TsSrt`] and the authentication that goes with
    /// `cipher` ([`Auth::AesGcm`] for AES-GCM, else [`Auth::None`]), as
    /// libsrt does. `wrapped` is the RFC 3394 output for the key(s), even
    /// key first: `keys.key_count() * key_len.bytes() + 8` bytes.
    pub fn new(
        keys: KeyFlags,
        key_len: KeyLength,
        cipher: Cipher,
        salt: &[u8],
        wrapped: &[u8],
    ) -> Result<Self, KeyMaterialError> {
        if salt.len() > MAX_SALT_LEN || !salt.len().is_multiple_of(4) {
            return Err(KeyMaterialError::SaltLength(salt.len()));
        }
        let expected = wrapped_len(keys, key_len);
        if wrapped.len() != expected {
            return Err(KeyMaterialError::WrappedLength {
                expected,
                got: wrapped.len(),
            });
        }
        let mut salt_buf = ArrayVec::new();
        salt_buf
            .try_extend_from_slice(salt)
            .map_err(|_| KeyMaterialError::SaltLength(salt.len()))?;
        let mut wrapped_buf = ArrayVec::new();
        wrapped_buf.try_extend_from_slice(wrapped).map_err(|_| {
            KeyMaterialError::WrappedLength {
                expected,
                got: wrapped.len(),
            }
        })?;
        let auth = if cipher == Cipher::AesGcm {
            Auth::AesGcm
        } else {
            Auth::None
        };
        Ok(Self {
            keki: 0,
            keys,
            cipher,
            auth,
            encapsulation: StreamEncapsulation::TsSrt,
            key_len,
            salt: salt_buf,
            wrapped: wrapped_buf,
            reserved: (0, 0, 0),
        })
    }

    /// The same message with another KEK index.
    pub fn with_keki(mut self, keki: u32) -> Self {
        self.keki = keki;
        self
    }

    /// The same message with another authentication field.
    pub fn with_auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// The same message with another stream encapsulation field.
    pub fn with_encapsulation(mut self, encapsulation: StreamEncapsulation) -> Self {
        self.encapsulation = encapsulation;
        self
    }

    /// The KEK index (`KEKI`); 0 is the default key-encrypting key.
    pub fn keki(&self) -> u32 {
        self.keki
    }

    /// Which keys are wrapped (`KK`).
    pub fn keys(&self) -> KeyFlags {
        self.keys
    }

    /// The cipher.
    pub fn cipher(&self) -> Cipher {
        self.cipher
    }

    /// The authentication.
    pub fn auth(&self) -> Auth {
        self.auth
    }

    /// The stream encapsulation (`SE`).
    pub fn encapsulation(&self) -> StreamEncapsulation {
        self.encapsulation
    }

    /// The length of each key.
    pub fn key_len(&self) -> KeyLength {
        self.key_len
    }

    /// The salt (16 bytes from libsrt).
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// The wrapped key(s) with the 8-byte ICV, as RFC 3394 unwrap takes
    /// them: `keys().key_count() * key_len().bytes() + 8` bytes.
    pub fn wrapped_keys(&self) -> &[u8] {
        &self.wrapped
    }

    /// Decodes a KM message that fills `bytes` exactly.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let Some((header, rest)) = bytes.split_first_chunk::<HEADER_LEN>() else {
            return Err(DecodeError::Truncated {
                what: "key material",
                needed: HEADER_LEN,
                available: bytes.len(),
            });
        };
        let [
            b0,
            s0,
            s1,
            b3,
            k0,
            k1,
            k2,
            k3,
            cipher,
            auth,
            se,
            resv1,
            r0,
            r1,
            slen,
            klen,
        ] = *header;
        if b0 >> 7 != 0 || (b0 >> 4) & 0x7 != KM_VERSION {
            return Err(DecodeError::InvalidField {
                what: "key material version",
                value: u32::from(b0 >> 4),
            });
        }
        if b0 & 0x0F != KM_PACKET_TYPE {
            return Err(DecodeError::InvalidField {
                what: "key material packet type",
                value: u32::from(b0 & 0x0F),
            });
        }
        let sign = u16::from_be_bytes([s0, s1]);
        if sign != KM_SIGN {
            return Err(DecodeError::InvalidField {
                what: "key material sign",
                value: u32::from(sign),
            });
        }
        let keys = KeyFlags::from_bits(b3 & 0x3).ok_or(DecodeError::InvalidField {
            what: "key material KK",
            value: u32::from(b3 & 0x3),
        })?;
        let salt_len = usize::from(slen) * 4;
        if salt_len > MAX_SALT_LEN {
            return Err(DecodeError::BadLength {
                what: "key material salt",
                len: salt_len,
            });
        }
        let key_len =
            KeyLength::from_bytes(usize::from(klen) * 4).ok_or(DecodeError::InvalidField {
                what: "key material key length",
                value: u32::from(klen) * 4,
            })?;
        let wrapped_len = wrapped_len(keys, key_len);
        if rest.len() != salt_len + wrapped_len {
            return Err(DecodeError::BadLength {
                what: "key material",
                len: bytes.len(),
            });
        }
        let (salt, wrapped) = rest
            .split_at_checked(salt_len)
            .ok_or(DecodeError::BadLength {
                what: "key material",
                len: bytes.len(),
            })?;
        let mut salt_buf = ArrayVec::new();
        let mut wrapped_buf = ArrayVec::new();
        if salt_buf.try_extend_from_slice(salt).is_err()
            || wrapped_buf.try_extend_from_slice(wrapped).is_err()
        {
            return Err(DecodeError::BadLength {
                what: "key material",
                len: bytes.len(),
            });
        }
        Ok(Self {
            keki: u32::from_be_bytes([k0, k1, k2, k3]),
            keys,
            cipher: Cipher::from_u8(cipher),
            auth: Auth::from_u8(auth),
            encapsulation: StreamEncapsulation::from_u8(se),
            key_len,
            salt: salt_buf,
            wrapped: wrapped_buf,
            reserved: (b3 >> 2, resv1, u16::from_be_bytes([r0, r1])),
        })
    }

    /// Appends the encoding to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.reserve(self.encoded_len());
        let sign = KM_SIGN.to_be_bytes();
        let (resv_kk, resv1, resv2) = self.reserved;
        out.extend_from_slice(&[
            (KM_VERSION << 4) | KM_PACKET_TYPE,
            sign[0],
            sign[1],
            (resv_kk << 2) | self.keys.to_bits(),
        ]);
        out.extend_from_slice(&self.keki.to_be_bytes());
        out.extend_from_slice(&[
            self.cipher.to_u8(),
            self.auth.to_u8(),
            self.encapsulation.to_u8(),
            resv1,
        ]);
        out.extend_from_slice(&resv2.to_be_bytes());
        // Both lengths are at most 32, so their word counts fit a byte.
        out.push(u8::try_from(self.salt.len() / 4).unwrap_or(u8::MAX));
        out.push(u8::try_from(self.key_len.bytes() / 4).unwrap_or(u8::MAX));
        out.extend_from_slice(&self.salt);
        out.extend_from_slice(&self.wrapped);
    }

    /// Bytes [`Self::encode`] appends (always a multiple of 4).
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + self.salt.len() + self.wrapped.len()
    }
}

fn wrapped_len(keys: KeyFlags, key_len: KeyLength) -> usize {
    keys.key_count() * key_len.bytes() + WRAP_ICV_LEN
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The KMREQ contents the libsrt caller sent in `srt-libsrt-aes128`.
    const AES128_KM: &str = concat!(
        "12202901000000000200020000000404",
        "b84dc3eb10344fc90a40f5692323b50b",
        "8161923a334b8d536b66a39099b284cfbd481025c0fe38f0",
    );

    fn km_bytes() -> Vec<u8> {
        hex::decode(AES128_KM).unwrap()
    }

    #[test]
    fn decodes_libsrt_aes128_key_material() {
        let km = KeyMaterial::decode(&km_bytes()).unwrap();
        assert_eq!(km.keys(), KeyFlags::Even);
        assert_eq!(km.keki(), 0);
        assert_eq!(km.cipher(), Cipher::AesCtr);
        assert_eq!(km.auth(), Auth::None);
        assert_eq!(km.encapsulation(), StreamEncapsulation::TsSrt);
        assert_eq!(km.key_len(), KeyLength::Aes128);
        assert_eq!(km.salt(), &km_bytes()[16..32]);
        assert_eq!(km.wrapped_keys().len(), 16 + 8);
        assert_eq!(km.wrapped_keys(), &km_bytes()[32..]);
    }

    #[test]
    fn re_encodes_libsrt_key_material_exactly() {
        let bytes = km_bytes();
        let km = KeyMaterial::decode(&bytes).unwrap();
        let mut out = Vec::new();
        km.encode(&mut out);
        assert_eq!(out, bytes);
        assert_eq!(km.encoded_len(), bytes.len());
    }

    #[test]
    fn built_message_matches_what_libsrt_sends() {
        let bytes = km_bytes();
        let km = KeyMaterial::new(
            KeyFlags::Even,
            KeyLength::Aes128,
            Cipher::AesCtr,
            &bytes[16..32],
            &bytes[32..],
        )
        .unwrap();
        let mut out = Vec::new();
        km.encode(&mut out);
        assert_eq!(out, bytes);
    }

    #[test]
    fn both_keys_need_two_wrapped_keys() {
        let err = KeyMaterial::new(
            KeyFlags::Both,
            KeyLength::Aes256,
            Cipher::AesCtr,
            &[0; 16],
            &[0; 40],
        )
        .unwrap_err();
        assert_eq!(
            err,
            KeyMaterialError::WrappedLength {
                expected: 72,
                got: 40
            }
        );
    }

    #[test]
    fn gcm_cipher_brings_gcm_auth() {
        let km = KeyMaterial::new(
            KeyFlags::Odd,
            KeyLength::Aes192,
            Cipher::AesGcm,
            &[1; 16],
            &[2; 32],
        )
        .unwrap();
        assert_eq!(km.auth(), Auth::AesGcm);
    }

    #[test]
    fn rejects_a_length_that_disagrees_with_klen() {
        let mut bytes = km_bytes();
        bytes.pop();
        assert!(matches!(
            KeyMaterial::decode(&bytes),
            Err(DecodeError::BadLength { .. })
        ));
    }

    #[test]
    fn rejects_wrong_sign() {
        let mut bytes = km_bytes();
        bytes[1] = 0x21;
        assert!(matches!(
            KeyMaterial::decode(&bytes),
            Err(DecodeError::InvalidField {
                what: "key material sign",
                ..
            })
        ));
    }

    #[test]
    fn rejects_no_key_flag() {
        let mut bytes = km_bytes();
        bytes[3] = 0;
        assert!(KeyMaterial::decode(&bytes).is_err());
    }

    #[test]
    fn rejects_unsupported_key_length() {
        let mut bytes = km_bytes();
        bytes[15] = 5;
        assert!(matches!(
            KeyMaterial::decode(&bytes),
            Err(DecodeError::InvalidField {
                what: "key material key length",
                value: 20
            })
        ));
    }

    #[test]
    fn rejects_salt_longer_than_16() {
        let mut bytes = km_bytes();
        bytes[14] = 5;
        bytes.extend_from_slice(&[0; 4]);
        assert!(matches!(
            KeyMaterial::decode(&bytes),
            Err(DecodeError::BadLength { .. })
        ));
    }

    #[test]
    fn keeps_reserved_bits() {
        let mut bytes = km_bytes();
        bytes[3] |= 0xF0;
        bytes[11] = 0x5A;
        bytes[12] = 0xA5;
        let km = KeyMaterial::decode(&bytes).unwrap();
        let mut out = Vec::new();
        km.encode(&mut out);
        assert_eq!(out, bytes);
    }

    #[test]
    fn km_state_values_are_libsrts() {
        assert_eq!(KmState::from_u32(0), KmState::Unsecured);
        assert_eq!(KmState::from_u32(3), KmState::NoSecret);
        assert_eq!(KmState::from_u32(4), KmState::BadSecret);
        assert_eq!(KmState::from_u32(5), KmState::BadCryptoMode);
        assert_eq!(KmState::from_u32(9), KmState::Unknown(9));
    }

    pub(crate) fn arb_key_material() -> impl Strategy<Value = KeyMaterial> {
        (
            1u8..=3,
            prop_oneof![Just(16usize), Just(24), Just(32)],
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
            any::<u32>(),
            0usize..=4,
            proptest::collection::vec(any::<u8>(), 72),
        )
            .prop_map(|(kk, klen, cipher, auth, se, keki, salt_words, bytes)| {
                let keys = KeyFlags::from_bits(kk).unwrap();
                let key_len = KeyLength::from_bytes(klen).unwrap();
                let n = keys.key_count() * klen + 8;
                KeyMaterial::new(
                    keys,
                    key_len,
                    Cipher::from_u8(cipher),
                    &bytes[..salt_words * 4],
                    &bytes[..n],
                )
                .unwrap()
                .with_keki(keki)
                .with_auth(Auth::from_u8(auth))
                .with_encapsulation(StreamEncapsulation::from_u8(se))
            })
    }

    proptest! {
        #[test]
        fn encode_then_decode_is_identity(km in arb_key_material()) {
            let mut out = Vec::new();
            km.encode(&mut out);
            prop_assert_eq!(out.len(), km.encoded_len());
            prop_assert_eq!(out.len() % 4, 0);
            prop_assert_eq!(KeyMaterial::decode(&out).unwrap(), km);
        }

        #[test]
        fn decode_of_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
            if let Ok(km) = KeyMaterial::decode(&bytes) {
                let mut out = Vec::new();
                km.encode(&mut out);
                prop_assert_eq!(out, bytes);
            }
        }

        #[test]
        fn decode_of_valid_header_with_random_tail_never_panics(
            tail in proptest::collection::vec(any::<u8>(), 0..100),
            kk in any::<u8>(), slen in any::<u8>(), klen in any::<u8>(),
        ) {
            let mut bytes = hex::decode("12202900000000000200020000000000").unwrap();
            bytes[3] = kk;
            bytes[14] = slen;
            bytes[15] = klen;
            bytes.extend_from_slice(&tail);
            let _ = KeyMaterial::decode(&bytes);
        }
    }
}

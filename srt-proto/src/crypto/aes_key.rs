//! An AES block cipher of any of the three key lengths, with its key
//! schedule computed once.
//!
//! The `aes` crate picks its backend at run time: on x86/x86_64 it checks
//! for AES-NI with `cpufeatures` when the key is set up and uses it when
//! present (the portable bitsliced code otherwise, or when built with
//! `--cfg aes_backend="soft"`); on aarch64 it uses the ARMv8 AES
//! instructions the same way.

use super::key::{KeyBytes, KeyLength};
use super::wrap::{UnwrapError, WRAP_OVERHEAD};
use aes::cipher::common::InnerInit;
use aes::cipher::{InnerIvInit, KeyInit, StreamCipher, StreamCipherCoreWrapper};
use aes::{Aes128, Aes192, Aes256};
use aes_kw::AesKw;
use ctr::CtrCore;
use ctr::flavors::Ctr128BE;

/// The expanded key of one AES key.
#[derive(Clone)]
pub(crate) enum AesKey {
    A128(Aes128),
    A192(Aes192),
    A256(Aes256),
}

impl AesKey {
    pub(crate) fn new(key: &KeyBytes) -> Self {
        let bytes = key.as_bytes();
        match key.len() {
            KeyLength::Aes128 => Self::A128(Aes128::new(&array::<16, _>(bytes))),
            KeyLength::Aes192 => Self::A192(Aes192::new(&array::<24, _>(bytes))),
            KeyLength::Aes256 => Self::A256(Aes256::new(&array::<32, _>(bytes))),
        }
    }

    /// Wraps `plain` (a whole number of 8-byte blocks, at most 64 bytes)
    /// into `out`, returning the wrapped length (`plain.len() + 8`).
    pub(crate) fn wrap(&self, plain: &[u8], out: &mut [u8]) -> usize {
        let result = match self {
            Self::A128(c) => AesKw::<&Aes128>::inner_init(c)
                .wrap_key(plain, out)
                .map(<[u8]>::len),
            Self::A192(c) => AesKw::<&Aes192>::inner_init(c)
                .wrap_key(plain, out)
                .map(<[u8]>::len),
            Self::A256(c) => AesKw::<&Aes256>::inner_init(c)
                .wrap_key(plain, out)
                .map(<[u8]>::len),
        };
        // The callers pass whole AES keys and a large enough buffer, the only
        // conditions `wrap_key` checks.
        result.unwrap_or(0)
    }

    /// Unwraps `wrapped` into `out` (exactly `wrapped.len() - 8` bytes).
    pub(crate) fn unwrap(&self, wrapped: &[u8], out: &mut [u8]) -> Result<(), UnwrapError> {
        if wrapped.len() != out.len() + WRAP_OVERHEAD
            || out.is_empty()
            || !out.len().is_multiple_of(8)
        {
            return Err(UnwrapError::InvalidLength { len: wrapped.len() });
        }
        let result = match self {
            Self::A128(c) => AesKw::<&Aes128>::inner_init(c)
                .unwrap_key(wrapped, out)
                .map(|_| ()),
            Self::A192(c) => AesKw::<&Aes192>::inner_init(c)
                .unwrap_key(wrapped, out)
                .map(|_| ()),
            Self::A256(c) => AesKw::<&Aes256>::inner_init(c)
                .unwrap_key(wrapped, out)
                .map(|_| ()),
        };
        result.map_err(|e| match e {
            aes_kw::Error::IntegrityCheckFailed => UnwrapError::IntegrityCheckFailed,
            aes_kw::Error::InvalidDataSize | aes_kw::Error::InvalidOutputSize { .. } => {
                UnwrapError::InvalidLength { len: wrapped.len() }
            }
        })
    }

    /// XORs `buf` with the AES-CTR keystream that starts at counter block
    /// `iv` (128-bit big-endian increment, as OpenSSL's CTR mode).
    pub(crate) fn apply_ctr(&self, iv: &[u8; 16], buf: &mut [u8]) {
        let iv = (*iv).into();
        match self {
            Self::A128(c) => StreamCipherCoreWrapper::from_core(
                CtrCore::<&Aes128, Ctr128BE>::inner_iv_init(c, &iv),
            )
            .apply_keystream(buf),
            Self::A192(c) => StreamCipherCoreWrapper::from_core(
                CtrCore::<&Aes192, Ctr128BE>::inner_iv_init(c, &iv),
            )
            .apply_keystream(buf),
            Self::A256(c) => StreamCipherCoreWrapper::from_core(
                CtrCore::<&Aes256, Ctr128BE>::inner_iv_init(c, &iv),
            )
            .apply_keystream(buf),
        }
    }
}

/// A fixed-size key array from a slice whose length the caller checked.
pub(crate) fn array<const N: usize, T: From<[u8; N]>>(bytes: &[u8]) -> T {
    T::from(bytes.first_chunk::<N>().copied().unwrap_or([0u8; N]))
}

//! Encryption primitives as libsrt uses them: KEK derivation, key wrap,
//! AES-CTR and AES-GCM payload encryption.
//!
//! The pieces, in the order a receiver meets them (facts from libsrt's
//! `haicrypt/`: `hcrypt_sa.c`, `hcrypt.h`, `cryspr.c`):
//!
//! 1. [`Passphrase`] (10 to 80 bytes) + the KM message's [`Salt`] →
//!    [`Kek::derive`]: PBKDF2-HMAC-SHA1, 2048 rounds, over the salt's last
//!    8 bytes, as long as the stream key.
//! 2. [`Kek::unwrap`] the KM message's wrapped-key field (RFC 3394 AES key
//!    wrap) into [`StreamKeys`]: the even key, the odd key, or both. A
//!    wrong passphrase shows up here as
//!    [`UnwrapError::IntegrityCheckFailed`]. The sender uses
//!    [`Kek::wrap`].
//! 3. A [`CryptoContext`] per stream key ([`CtrCipher`] or [`GcmCipher`]),
//!    and a [`KeyPair`] that picks the key by each data packet's `KK` bits.
//!    The packet index every IV is built from is the first 32-bit word of
//!    the data packet header (its sequence number).
//!
//! Nothing here draws random numbers: the sender's keys and salts come
//! from the caller's seeded RNG ([`Sek::from_bytes`], [`Salt::new`]).
//! Secrets ([`Passphrase`], [`Kek`], [`Sek`]) are overwritten with zeros
//! when dropped (best effort, without `unsafe`) and never printed by
//! `Debug`; the expanded AES key schedules inside the ciphers are not
//! wiped.
//!
//! # Speed
//! The `aes` crate detects AES-NI (x86) or the ARMv8 AES instructions at
//! run time and uses them. Measured on the project's 2-core AMD EPYC test
//! machine, one core, 1316-byte payloads, release build: AES-128-CTR about
//! 2.7 GB/s, AES-128-GCM about 1.1 GB/s.

mod aes_key;
mod context;
mod ctr;
mod gcm;
mod key;
mod wrap;

pub use context::{CipherMode, CryptoContext, DecryptError, KeyPair, header_key_index};
pub use ctr::{CtrCipher, ctr_iv};
pub use gcm::{GCM_HEADER_LEN, GCM_TAG_LEN, GcmCipher, GcmError, GcmVariant, gcm_aad, gcm_iv};
pub use key::{
    InvalidKeyLength, Kek, KeyLength, PBKDF2_ITERATIONS, PBKDF2_SALT_LEN, Passphrase,
    PassphraseError, SALT_LEN, Salt, Sek,
};
pub use wrap::{
    KeyIndex, KeySet, MAX_WRAPPED_LEN, StreamKeys, UnwrapError, WRAP_OVERHEAD, WrapError,
    WrappedKeys,
};

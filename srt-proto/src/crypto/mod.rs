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
//! 4. A sender holds [`SenderKeys`]: the active key and libsrt's refresh
//!    schedule (announce the next key, switch, retire the old one).
//!
//! [`open_key_material`] does steps 1 and 2 for a decoded
//! [`crate::packet::KeyMaterial`]; [`seal_key_material`] builds one for a
//! sender.
//!
//! ```
//! use srt_proto::crypto::{
//!     CipherMode, CryptoContext, GcmVariant, KeyPair, Passphrase, Salt, Sek, StreamKeys,
//!     open_key_material, seal_key_material,
//! };
//!
//! let passphrase = Passphrase::try_from("correct-horse-battery")?;
//!
//! // Sender: key and salt come from its seeded RNG.
//! let salt = Salt::new([0x5a; 16]);
//! let sek = Sek::from_bytes(&[0x42; 16])?;
//! let mode = CipherMode::AesGcm(GcmVariant::Srt154);
//! let km = seal_key_material(&passphrase, &salt, &StreamKeys::Even(sek.clone()), mode)?;
//! let sender = CryptoContext::new(mode, &sek, &salt);
//! // A data packet header: sequence 7, KK = even (0x08 in byte 4).
//! let header = [0, 0, 0, 7, 0xc8, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9];
//! let mut payload = b"hello, SRT".to_vec();
//! sender.encrypt(&header, &mut payload)?;
//!
//! // Receiver: the KM message arrived in the handshake (KMREQ).
//! let received = open_key_material(&passphrase, &km, GcmVariant::Srt154)?;
//! let mut keys = KeyPair::new();
//! keys.install(received.mode, &received.salt, &received.keys);
//! keys.decrypt(&header, &mut payload)?;
//! assert_eq!(payload, b"hello, SRT");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
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
//! run time (`cpufeatures`) and uses them; `--cfg aes_backend="soft"`
//! forces the portable code. Measured through [`CryptoContext::encrypt`]
//! on the project's shared 2-core AMD EPYC machine, one core, 1316-byte
//! payloads, release build: AES-128-CTR 4.4–5.8 GB/s (230–300 ns per
//! packet), AES-256-CTR 3.1–4.7 GB/s, AES-128-GCM 2.0–2.6 GB/s; with the
//! soft backend AES-128-CTR drops to 0.18 GB/s, which confirms AES-NI is
//! what runs by default.

mod aes_key;
mod context;
mod ctr;
mod gcm;
mod key;
mod km;
mod refresh;
mod wrap;

pub use context::{CipherMode, CryptoContext, DecryptError, KeyPair, header_key_index};
pub use ctr::{CtrCipher, ctr_iv};
pub use gcm::{GCM_HEADER_LEN, GCM_TAG_LEN, GcmCipher, GcmError, GcmVariant, gcm_aad, gcm_iv};
pub use key::{
    InvalidKeyLength, Kek, KeyLength, PBKDF2_ITERATIONS, PBKDF2_SALT_LEN, Passphrase,
    PassphraseError, SALT_LEN, Salt, Sek,
};
pub use km::{KmError, ReceivedKeys, open_key_material, seal_key_material};
pub use refresh::{
    DEFAULT_KM_PRE_ANNOUNCE, DEFAULT_KM_REFRESH_RATE, KeyEvent, KeyRefreshConfig,
    KeyRefreshConfigError, SenderKeys,
};
pub use wrap::{
    KeyIndex, KeySet, MAX_WRAPPED_LEN, StreamKeys, UnwrapError, WRAP_OVERHEAD, WrapError,
    WrappedKeys,
};

//! Encryption primitives as libsrt uses them: KEK derivation, key wrap,
//! AES-CTR and AES-GCM payload encryption.

//! SRT payload encryption throughput on 1316-byte payloads (seven MPEG-TS
//! packets, the usual live payload): AES-CTR and AES-GCM as libsrt does
//! them, plus the cost of deriving a KEK (once per connection).
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use srt_proto::crypto::{CtrCipher, GcmCipher, GcmVariant, Kek, KeyLength, Passphrase, Salt, Sek};

const PAYLOAD: usize = 1316;

fn ciphers(c: &mut Criterion) {
    let salt = Salt::new([0x5a; 16]);
    for (name, len) in [("aes128", 16usize), ("aes256", 32)] {
        let sek = Sek::from_bytes(&vec![0x11; len]).expect("valid key length");
        let mut group = c.benchmark_group(format!("srt_crypto/{name}"));
        group.throughput(Throughput::Bytes(PAYLOAD as u64));

        let ctr = CtrCipher::new(&sek, &salt);
        let mut payload = vec![0x47u8; PAYLOAD];
        let mut index = 0u32;
        group.bench_function("ctr_encrypt_1316", |b| {
            b.iter(|| {
                index = index.wrapping_add(1);
                ctr.encrypt(index, black_box(&mut payload));
            })
        });

        let gcm = GcmCipher::new(&sek, &salt, GcmVariant::Srt154);
        let mut header = [0u8; 16];
        group.bench_function("gcm_seal_1316", |b| {
            b.iter(|| {
                index = index.wrapping_add(1) & 0x7fff_ffff;
                header[..4].copy_from_slice(&index.to_be_bytes());
                black_box(gcm.seal_detached(&header, black_box(&mut payload)))
            })
        });
        group.finish();
    }

    let passphrase = Passphrase::new(b"correct-horse-battery").expect("valid passphrase");
    c.bench_function("srt_crypto/kek_derive_pbkdf2_2048", |b| {
        b.iter(|| Kek::derive(black_box(&passphrase), &salt, KeyLength::Aes128))
    });
}

criterion_group!(benches, ciphers);
criterion_main!(benches);

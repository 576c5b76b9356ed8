//! Encryption and key refresh; the property test over arbitrary
//! interleavings.

use super::*;
use proptest::prelude::*;

fn encrypted_config(refresh: KeyRefreshConfig) -> (SenderConfig, Passphrase) {
    let passphrase = Passphrase::new(b"sender-refresh-test").unwrap();
    let salt = Salt::new([7; 16]);
    let mode = CipherMode::AesGcm(GcmVariant::Srt154);
    let keys = SenderKeys::new(mode, salt, Sek::from_bytes(&[1; 16]).unwrap(), refresh);
    let crypto = SenderCrypto {
        keys,
        kek: Kek::derive(&passphrase, &salt, KeyLength::Aes128),
        rng: SrtRng::seed_from_u64(9),
    };
    let cfg = SenderConfig {
        crypto: Some(crypto),
        ..live_config()
    };
    (cfg, passphrase)
}

#[test]
fn key_refresh_announces_the_new_key_and_switches_without_losing_a_packet() {
    let (cfg, passphrase) = encrypted_config(KeyRefreshConfig::new(20, 5).unwrap());
    let mut s = Sender::new(cfg, ms(0));
    let mut receiver = KeyPair::new();
    receiver.install(
        CipherMode::AesGcm(GcmVariant::Srt154),
        &Salt::new([7; 16]),
        &crate::crypto::StreamKeys::Even(Sek::from_bytes(&[1; 16]).unwrap()),
    );
    let mut kk = Vec::new();
    let mut kmreqs = 0;
    for t in 0..40 {
        s.push(payload(100), &opts(), ms(t)).unwrap();
        for p in flush(&mut s, ms(t)) {
            match p {
                Packet::Data(d) => {
                    let mut plain = Vec::new();
                    receiver.decrypt_packet(&d, &mut plain).unwrap();
                    assert_eq!(plain, payload(100));
                    kk.push(d.encryption);
                }
                Packet::Control(ControlPacket {
                    body: ControlBody::KeyMaterialRequest(km),
                    ..
                }) => {
                    kmreqs += 1;
                    let got = open_key_material(&passphrase, &km, GcmVariant::Srt154).unwrap();
                    receiver.install(got.mode, &got.salt, &got.keys);
                    s.on_km_response(&KmResponse::KeyMaterial(*km), ms(t));
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert_eq!(kk.len(), 40);
    let first_odd = kk
        .iter()
        .position(|k| *k == EncryptionKeySpec::Odd)
        .unwrap();
    assert_eq!(first_odd, 20);
    assert!(kk[..20].iter().all(|k| *k == EncryptionKeySpec::Even));
    assert!(kk[20..].iter().all(|k| *k == EncryptionKeySpec::Odd));
    // Both keys before the switch (packet 16), the new key alone once the
    // old one is retired (packet 27), both again before the next switch
    // (packet 37).
    assert_eq!(kmreqs, 3);
    assert_eq!(s.stats().km_sent, 3);
}

#[test]
fn unanswered_kmreq_is_repeated_every_one_and_a_half_rtt() {
    let (cfg, _) = encrypted_config(KeyRefreshConfig::new(20, 5).unwrap());
    let mut s = Sender::new(cfg, ms(0));
    let mut kmreq_at = Vec::new();
    for t in 0..20 {
        s.push(payload(100), &opts(), ms(t)).unwrap();
        for p in flush(&mut s, ms(t)) {
            if let Packet::Control(_) = p {
                kmreq_at.push(t);
            }
        }
    }
    assert_eq!(kmreq_at.len(), 1);
    // Initial RTT 100 ms: repeated 150 ms later.
    let at = s.next_timeout().unwrap();
    assert_eq!(at, ms(kmreq_at[0] + 150));
    s.handle_timeout(at);
    let out = flush(&mut s, at);
    assert!(matches!(
        out.as_slice(),
        [Packet::Control(ControlPacket {
            body: ControlBody::KeyMaterialRequest(_),
            ..
        })]
    ));
}

#[test]
fn kmrsp_error_ends_the_repetitions_and_is_kept() {
    let (cfg, _) = encrypted_config(KeyRefreshConfig::new(20, 5).unwrap());
    let mut s = Sender::new(cfg, ms(0));
    for t in 0..20 {
        s.push(payload(100), &opts(), ms(t)).unwrap();
        flush(&mut s, ms(t));
    }
    assert_eq!(s.stats().km_sent, 1);
    s.on_km_response(&KmResponse::Error(KmState::BadSecret), ms(20));
    assert_eq!(s.km_peer_error(), Some(KmState::BadSecret));
    s.handle_timeout(ms(1000));
    flush(&mut s, ms(1000));
    assert_eq!(s.stats().km_sent, 1);
}

#[test]
fn retransmission_of_an_encrypted_packet_resends_the_ciphertext() {
    let (cfg, _) = encrypted_config(KeyRefreshConfig::default());
    let mut s = Sender::new(cfg, ms(0));
    s.push(payload(100), &opts(), ms(0)).unwrap();
    let first = flush(&mut s, ms(0));
    s.on_nak(&nak(1000, 1000), ms(5));
    let again = flush(&mut s, ms(5));
    assert_eq!(data(&again[0]).payload, data(&first[0]).payload);
    assert_eq!(data(&first[0]).payload.len(), 116, "GCM adds its tag");
    assert_eq!(data(&again[0]).encryption, EncryptionKeySpec::Even);
}

#[derive(Debug, Clone)]
enum Op {
    Push(u16, Option<u16>),
    Ack(u16, bool, u16),
    Nak(u16, u16),
    Advance(u16),
    Poll,
    Timeout,
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1u16..3000, proptest::option::of(0u16..500)).prop_map(|(n, ttl)| Op::Push(n, ttl)),
        (0u16..300, any::<bool>(), 0u16..100).prop_map(|(a, l, w)| Op::Ack(a, l, w)),
        (0u16..300, 0u16..300).prop_map(|(a, n)| Op::Nak(a, n)),
        (0u16..2000).prop_map(Op::Advance),
        Just(Op::Poll),
        Just(Op::Timeout),
    ]
}

proptest! {
    #[test]
    fn arbitrary_interleavings_never_panic_or_exceed_bounds(
        file in any::<bool>(),
        isn in prop_oneof![Just(SeqNumber::MAX - 50), 0..SeqNumber::MAX],
        ops in proptest::collection::vec(arb_op(), 1..120),
    ) {
        let base = if file { file_config() } else { live_config() };
        let cfg = SenderConfig {
            isn: SeqNumber::new(isn),
            buffer_packets: 64,
            flow_window: 32,
            max_bw: MaxBandwidth::BytesPerSecond(10_000_000),
            ..base
        };
        let mut s = Sender::new(cfg, ms(0));
        let mut now = ms(0);
        let mut last_seq: Option<SeqNumber> = None;
        let isn = SeqNumber::new(isn);
        for op in ops {
            match op {
                Op::Push(n, ttl) => {
                    let o = SendOptions { ttl: ttl.map(|t| Duration::from_millis(t.into())), ..opts() };
                    let _ = s.push(payload(n.into()), &o, now);
                }
                Op::Ack(a, light, w) => {
                    let mut ack = full_ack(isn.wrapping_add(a.into()).as_u32(), w.into());
                    if light { ack.info = AckInfo::Light; }
                    s.on_ack(&ack, now);
                }
                Op::Nak(a, n) => {
                    let first = isn.wrapping_add(a.into());
                    s.on_nak(&nak(first.as_u32(), first.wrapping_add(n.into()).as_u32()), now);
                }
                Op::Advance(d) => now += Duration::from_micros(u64::from(d) * 100),
                Op::Poll => {
                    for p in flush(&mut s, now) {
                        if let Packet::Data(d) = &p
                            && !d.retransmitted
                        {
                            if let Some(prev) = last_seq {
                                prop_assert!(d.seq.is_after(prev));
                            }
                            last_seq = Some(d.seq);
                        }
                    }
                }
                Op::Timeout => {
                    s.handle_timeout(now);
                    drain(&mut s, now);
                    // Nothing is left due: the timer moves forward.
                    prop_assert!(s.next_timeout().is_none_or(|at| at > now));
                }
            }
            let st = s.stats();
            prop_assert!(st.buffer_packets <= 64);
            prop_assert!(st.in_flight <= st.buffer_packets);
            prop_assert!(s.control.len() <= MAX_PENDING_CONTROL);
        }
    }
}

//! Handshake, one behaviour per test.

use super::*;
use alloc::vec::Vec;
use proptest::prelude::*;

const PUBLISH_C2S: &[u8] =
    include_bytes!("../../tests/data/rtmp-ffmpeg-publish-to-nginx.client-to-server.bin");
const PUBLISH_S2C: &[u8] =
    include_bytes!("../../tests/data/rtmp-ffmpeg-publish-to-nginx.server-to-client.bin");

fn counter(seed: u8) -> impl FnMut(&mut [u8]) {
    let mut n = seed;
    move |buf: &mut [u8]| {
        for b in buf {
            n = n.wrapping_mul(31).wrapping_add(7);
            *b = n;
        }
    }
}

fn packet(bytes: &[u8]) -> [u8; HANDSHAKE_PACKET_SIZE] {
    bytes[..HANDSHAKE_PACKET_SIZE].try_into().unwrap()
}

fn client(form: HandshakeForm) -> Handshake {
    let config = ClientConfig {
        epoch: 0x0102_0304,
        form,
        ..ClientConfig::default()
    };
    Handshake::client(config, counter(1))
}

fn server() -> Handshake {
    let config = ServerConfig {
        epoch: 0x0A0B_0C0D,
        ..ServerConfig::default()
    };
    Handshake::server(config, counter(2))
}

/// Runs both sides against each other; returns them when done.
fn run(mut client: Handshake, mut server: Handshake) -> (Handshake, Handshake) {
    for _ in 0..3 {
        let to_server = client.take_output();
        assert_eq!(server.receive(&to_server), Ok(to_server.len()));
        let to_client = server.take_output();
        assert_eq!(client.receive(&to_client), Ok(to_client.len()));
    }
    assert!(client.is_done() && server.is_done());
    (client, server)
}

const DIGEST0: HandshakeForm = HandshakeForm::Digest(DigestScheme::Scheme0);
const DIGEST1: HandshakeForm = HandshakeForm::Digest(DigestScheme::Scheme1);

#[test]
fn client_sends_c0_and_c1_at_once() {
    let hs = client(HandshakeForm::Simple);
    let out = hs.pending_output();
    assert_eq!(out.len(), 1 + HANDSHAKE_PACKET_SIZE);
    assert_eq!(out[0], 3);
    assert_eq!(out[1..5], [1, 2, 3, 4]);
}

#[test]
fn simple_c1_has_a_zero_version_word() {
    let hs = client(HandshakeForm::Simple);
    assert_eq!(hs.pending_output()[5..9], [0, 0, 0, 0]);
}

#[test]
fn digest_c1_carries_the_version_and_a_valid_digest_where_its_scheme_says() {
    for (form, scheme) in [
        (DIGEST0, DigestScheme::Scheme0),
        (DIGEST1, DigestScheme::Scheme1),
    ] {
        let hs = client(form);
        let c1 = packet(&hs.pending_output()[1..]);
        assert_eq!(c1[4..8], DEFAULT_CLIENT_VERSION);
        let (found, _) = find_digest(&c1, PLAYER_PARTIAL_KEY).unwrap();
        assert_eq!(found, scheme);
    }
}

#[test]
fn server_sends_nothing_before_c1_is_complete() {
    let mut hs = server();
    let c0c1 = client(DIGEST0).take_output();
    assert_eq!(hs.receive(&c0c1[..1000]), Ok(1000));
    assert!(hs.pending_output().is_empty());
}

#[test]
fn server_rejects_rtmpe_version_6_from_the_first_byte() {
    assert_eq!(
        server().receive(&[6]),
        Err(HandshakeError::UnsupportedVersion(6))
    );
}

#[test]
fn server_rejects_any_version_but_3() {
    for version in [0u8, 1, 2, 4, 8, 9, 0x47] {
        assert_eq!(
            server().receive(&[version, 0, 0]),
            Err(HandshakeError::UnsupportedVersion(version))
        );
    }
}

#[test]
fn client_rejects_an_s0_that_is_not_3() {
    let mut hs = client(DIGEST0);
    assert_eq!(hs.receive(&[6]), Err(HandshakeError::UnsupportedVersion(6)));
}

#[test]
fn server_answers_a_simple_c1_with_a_simple_s1_and_an_echo() {
    let mut hs = server();
    let c0c1 = client(HandshakeForm::Simple).take_output();
    hs.receive(&c0c1).unwrap();
    let out = hs.take_output();
    assert_eq!(out.len(), 1 + 2 * HANDSHAKE_PACKET_SIZE);
    assert_eq!(out[0], 3);
    assert_eq!(out[1..5], [0x0A, 0x0B, 0x0C, 0x0D], "S1 epoch");
    assert_eq!(out[5..9], [0, 0, 0, 0], "S1 version word");
    assert_eq!(out[1537..], c0c1[1..], "S2 echoes C1");
    assert_eq!(hs.form(), Some(HandshakeForm::Simple));
}

#[test]
fn server_answers_a_digest_c1_with_the_same_scheme() {
    for form in [DIGEST0, DIGEST1] {
        let mut hs = server();
        hs.receive(&client(form).take_output()).unwrap();
        assert_eq!(hs.form(), Some(form));
        let out = hs.take_output();
        let s1 = packet(&out[1..]);
        assert_eq!(s1[4..8], DEFAULT_SERVER_VERSION);
        let (scheme, _) = find_digest(&s1, SERVER_PARTIAL_KEY).unwrap();
        assert_eq!(HandshakeForm::Digest(scheme), form);
    }
}

#[test]
fn server_falls_back_to_the_simple_form_when_no_digest_validates() {
    let mut c0c1 = client(DIGEST0).take_output();
    // Corrupt every byte after the version word: no digest can validate.
    for b in &mut c0c1[9..] {
        *b ^= 0x5A;
    }
    let mut hs = server();
    hs.receive(&c0c1).unwrap();
    assert_eq!(hs.form(), Some(HandshakeForm::Simple));
    let out = hs.take_output();
    assert_eq!(out[1537..], c0c1[1..], "S2 echoes C1");
}

#[test]
fn simple_handshake_completes_and_each_side_sees_the_other() {
    let (client, server) = run(client(HandshakeForm::Simple), server());
    assert_eq!(client.peer_response_valid(), Some(true));
    assert_eq!(client.peer_epoch(), Some(0x0A0B_0C0D));
    assert_eq!(server.peer_epoch(), Some(0x0102_0304));
    assert_eq!(server.form(), Some(HandshakeForm::Simple));
}

#[test]
fn digest_handshake_completes_with_a_verified_s2_under_either_scheme() {
    for form in [DIGEST0, DIGEST1] {
        let (client, server) = run(client(form), server());
        assert_eq!(client.peer_response_valid(), Some(true));
        assert_eq!(client.form(), Some(form));
        assert_eq!(server.form(), Some(form));
    }
}

#[test]
fn client_c2_echoes_s1_when_s1_has_no_digest() {
    let mut hs = client(DIGEST0);
    let mut s0s1 = alloc::vec![3u8];
    s0s1.extend((0..HANDSHAKE_PACKET_SIZE).map(|i| i as u8));
    hs.receive(&s0s1).unwrap();
    assert_eq!(hs.form(), Some(HandshakeForm::Simple));
    let out = hs.take_output();
    assert_eq!(out[1 + HANDSHAKE_PACKET_SIZE..], s0s1[1..]);
}

#[test]
fn client_sends_c2_before_s2_arrives() {
    let mut hs = client(DIGEST0);
    let _c0c1 = hs.take_output();
    let mut s = server();
    s.receive(&client(DIGEST0).take_output()).unwrap();
    let s0s1s2 = s.take_output();
    hs.receive(&s0s1s2[..1 + HANDSHAKE_PACKET_SIZE]).unwrap();
    assert_eq!(hs.take_output().len(), HANDSHAKE_PACKET_SIZE);
    assert!(!hs.is_done());
}

#[test]
fn client_accepts_a_simple_s2_whose_second_word_is_the_time_c1_was_read() {
    let mut hs = client(HandshakeForm::Simple);
    let c1 = hs.take_output()[1..].to_vec();
    let mut s0s1s2 = alloc::vec![3u8];
    s0s1s2.extend_from_slice(&[0u8; HANDSHAKE_PACKET_SIZE]);
    let mut s2 = c1.clone();
    s2[4..8].copy_from_slice(&[0, 0, 0, 42]);
    s0s1s2.extend_from_slice(&s2);
    hs.receive(&s0s1s2).unwrap();
    assert_eq!(hs.peer_response_valid(), Some(true));
}

#[test]
fn client_reports_an_s2_that_answers_neither_way() {
    let mut hs = client(DIGEST0);
    let mut s = server();
    s.receive(&client(HandshakeForm::Simple).take_output())
        .unwrap();
    // S0+S1 are fine (simple), but S2 echoes another client's C1.
    hs.receive(&s.take_output()).unwrap();
    assert!(hs.is_done());
    assert_eq!(hs.peer_response_valid(), Some(false));
}

#[test]
fn server_leaves_bytes_after_c2_for_the_chunk_reader() {
    let mut c = client(DIGEST0);
    let mut s = server();
    s.receive(&c.take_output()).unwrap();
    c.receive(&s.take_output()).unwrap();
    let mut c2_and_chunk = c.take_output();
    c2_and_chunk.extend_from_slice(&[0x03, 0, 0, 0]);
    assert_eq!(s.receive(&c2_and_chunk), Ok(HANDSHAKE_PACKET_SIZE));
    assert!(s.is_done());
    assert_eq!(s.receive(&[0x03]), Ok(0), "done: nothing more consumed");
}

#[test]
fn one_byte_at_a_time_completes_the_same_handshake() {
    let mut c = client(DIGEST1);
    let mut s = server();
    while !(c.is_done() && s.is_done()) {
        for byte in c.take_output() {
            assert_eq!(s.receive(&[byte]), Ok(1));
        }
        for byte in s.take_output() {
            assert_eq!(c.receive(&[byte]), Ok(1));
        }
    }
    assert_eq!(c.peer_response_valid(), Some(true));
}

#[test]
fn ffmpegs_c1_carries_a_scheme_0_digest() {
    let c1 = packet(&PUBLISH_C2S[1..]);
    let (scheme, _) = find_digest(&c1, PLAYER_PARTIAL_KEY).unwrap();
    assert_eq!(scheme, DigestScheme::Scheme0);
}

#[test]
fn nginxs_s2_verifies_against_ffmpegs_c1_digest() {
    // The check our client makes, on a real exchange.
    let c1 = packet(&PUBLISH_C2S[1..]);
    let (_, client_digest) = find_digest(&c1, PLAYER_PARTIAL_KEY).unwrap();
    let s2 = &PUBLISH_S2C[1 + HANDSHAKE_PACKET_SIZE..1 + 2 * HANDSHAKE_PACKET_SIZE];
    let key = hmac_sha256(&FLASH_MEDIA_SERVER_KEY, &[&client_digest]);
    assert_eq!(hmac_sha256(&key, &[&s2[..1504]]), s2[1504..]);
}

#[test]
fn our_s2_for_ffmpegs_c1_is_signed_the_way_nginx_signs_it() {
    let mut hs = server();
    hs.receive(&PUBLISH_C2S[..1 + HANDSHAKE_PACKET_SIZE])
        .unwrap();
    let out = hs.take_output();
    let s2 = &out[1 + HANDSHAKE_PACKET_SIZE..];
    let c1 = packet(&PUBLISH_C2S[1..]);
    let (_, client_digest) = find_digest(&c1, PLAYER_PARTIAL_KEY).unwrap();
    let key = hmac_sha256(&FLASH_MEDIA_SERVER_KEY, &[&client_digest]);
    assert_eq!(hmac_sha256(&key, &[&s2[..1504]]), s2[1504..]);
}

#[test]
fn the_keys_are_the_adobe_strings_and_the_shared_tail() {
    assert_eq!(&FLASH_PLAYER_KEY[..30], b"Genuine Adobe Flash Player 001");
    assert_eq!(
        &FLASH_MEDIA_SERVER_KEY[..36],
        b"Genuine Adobe Flash Media Server 001"
    );
    assert_eq!(FLASH_PLAYER_KEY[30..], FLASH_MEDIA_SERVER_KEY[36..]);
    assert_eq!(FLASH_PLAYER_KEY[30..32], [0xF0, 0xEE]);
}

#[test]
fn error_message_names_rtmpe() {
    let text = alloc::format!("{}", HandshakeError::UnsupportedVersion(6));
    assert!(text.contains("RTMPE"), "{text}");
}

proptest! {
    #[test]
    fn server_never_panics_on_arbitrary_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..4000),
        split in 1usize..2000,
    ) {
        let mut hs = server();
        let mut total = 0;
        for piece in bytes.chunks(split) {
            match hs.receive(piece) {
                Ok(n) => { prop_assert!(n <= piece.len()); total += n; }
                Err(HandshakeError::UnsupportedVersion(v)) => { prop_assert_ne!(v, 3); break; }
            }
        }
        prop_assert!(total <= 1 + 2 * HANDSHAKE_PACKET_SIZE);
    }

    #[test]
    fn client_never_panics_on_arbitrary_s0_s1_s2(
        mut bytes in proptest::collection::vec(any::<u8>(), 0..4000),
        digest in any::<bool>(),
    ) {
        if let Some(first) = bytes.first_mut() { *first = 3; }
        let mut hs = client(if digest { DIGEST0 } else { HandshakeForm::Simple });
        let used = hs.receive(&bytes).unwrap();
        prop_assert_eq!(used, bytes.len().min(1 + 2 * HANDSHAKE_PACKET_SIZE));
        let whole = 1 + 2 * HANDSHAKE_PACKET_SIZE;
        prop_assert_eq!(hs.is_done(), bytes.len() >= whole);
        let _: Vec<u8> = hs.take_output();
    }
}

//! SrtSocket and SrtListener over loopback, the same cases for both
//! adapters (this file is compiled by srt-tokio's and srt-smol's
//! `tests/socket.rs` against their own `rt`): delivery plain and
//! encrypted, rejections, loss repair through the impairing relay,
//! rendezvous, file mode and the runtime's byte-stream traits, close,
//! idle timeout, stats.

#[path = "common.rs"]
mod common;

use crate::rt::{self, AsyncReadExt, AsyncWriteExt, SrtError, SrtSocket, TransType};
use bytes::Bytes;
use common::{
    accept_one, any_port, check_impaired_and_shut, deliver, lossy_relay, message, pair, within,
};
use futures_util::{SinkExt, StreamExt};
use srt_proto::access::Whitelist;
use srt_proto::crypto::KeyLength;
use srt_proto::packet::reject::RejectReason;
use srt_tokio::relay::Relay;
use std::time::{Duration, Instant};

const SECRET: &str = "loopback secret 1234";
/// The send buffer a socket has unless told otherwise (libsrt's too).
const DEFAULT_SEND_BUFFER: u32 = 8192;

#[test]
fn a_caller_delivers_1000_messages_byte_exact_to_a_listener() {
    rt::block_on(async {
        let (caller, accepted) = pair(SrtSocket::builder).await;
        deliver(caller, accepted, 1000, Duration::from_micros(500)).await;
    });
}

/// A connection encrypted with `key_len` on both sides delivers.
async fn encrypted_delivery(key_len: KeyLength) {
    let builder = || SrtSocket::builder().passphrase(SECRET).key_length(key_len);
    let (caller, accepted) = pair(builder).await;
    let crypto = caller.params().crypto.as_ref().expect("not encrypted");
    assert_eq!(crypto.key_len, key_len);
    assert!(accepted.params().crypto.is_some());
    deliver(caller, accepted, 1000, Duration::from_micros(500)).await;
}

#[test]
fn an_aes_128_connection_delivers_1000_messages_byte_exact() {
    rt::block_on(encrypted_delivery(KeyLength::Aes128));
}

#[test]
fn an_aes_256_connection_delivers_1000_messages_byte_exact() {
    rt::block_on(encrypted_delivery(KeyLength::Aes256));
}

#[test]
fn a_wrong_passphrase_is_bad_secret_on_both_sides() {
    rt::block_on(async {
        let mut listener = SrtSocket::builder()
            .passphrase(SECRET)
            .listen(any_port())
            .await
            .unwrap();
        let call = SrtSocket::builder()
            .passphrase("not the right secret")
            .call(listener.local_addr());
        let error = within("call", call)
            .await
            .expect_err("a wrong passphrase connected");
        assert_eq!(
            error.reject_reason(),
            Some(RejectReason::BadSecret),
            "{error}"
        );
        match within("listener", listener.next()).await.unwrap() {
            Err(SrtError::IncomingRejected { reason, .. }) => {
                assert_eq!(reason, RejectReason::BadSecret);
            }
            other => panic!("listener saw {other:?}"),
        }
    });
}

#[test]
fn a_stream_id_off_the_whitelist_is_rejected_with_1403() {
    rt::block_on(async {
        let mut listener = SrtSocket::builder()
            .access_policy(Whitelist::raw().with(["allowed"]))
            .listen(any_port())
            .await
            .unwrap();
        let call = SrtSocket::builder()
            .stream_id("intruder")
            .call(listener.local_addr());
        let error = within("call", call).await.expect_err("connected");
        let reason = error.reject_reason().expect("not a rejection");
        assert_eq!(reason.code(), 1403, "{error}");

        let allowed = SrtSocket::builder()
            .stream_id("allowed")
            .call(listener.local_addr());
        let caller = within("call", allowed).await.unwrap();
        let accepted = loop {
            match within("listener", listener.next()).await.unwrap() {
                Ok(socket) => break socket,
                Err(SrtError::IncomingRejected { .. }) => continue,
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(accepted.stream_id(), Some(&b"allowed"[..]));
        drop(caller);
    });
}

#[test]
fn a_whitelist_edited_while_listening_admits_the_new_stream_id() {
    rt::block_on(async {
        let listener = SrtSocket::builder()
            .access_policy(Whitelist::raw())
            .listen(any_port())
            .await
            .unwrap();
        let inserted = listener
            .with_policy(|w: &mut Whitelist| w.insert("late"))
            .await
            .unwrap();
        assert_eq!(inserted, Some(true));
        let call = SrtSocket::builder()
            .stream_id("late")
            .call(listener.local_addr());
        within("call", call).await.unwrap();
    });
}

/// The relay is srt-tokio's: on smol it runs on a tokio worker thread
/// while the sockets run on smol.
#[test]
fn every_message_arrives_in_order_through_a_relay_losing_5_percent_and_reordering() {
    rt::block_on(async {
        let mut listener = SrtSocket::builder()
            .latency(Duration::from_millis(300))
            .listen(any_port())
            .await
            .unwrap();
        let relay = lossy_relay(listener.local_addr(), 5).await;
        let caller = SrtSocket::builder()
            .latency(Duration::from_millis(300))
            .call(relay.local_addr());
        let caller = within("call", caller).await.unwrap();
        let accepted = accept_one(&mut listener).await;
        deliver(caller, accepted, 1000, Duration::from_millis(1)).await;
        check_impaired_and_shut(relay).await;
    });
}

#[test]
fn stats_count_what_was_sent_and_received() {
    rt::block_on(async {
        let (mut caller, mut accepted) = pair(SrtSocket::builder).await;
        for i in 0..10 {
            caller.send((Instant::now(), message(i))).await.unwrap();
        }
        for _ in 0..10 {
            within("message", accepted.next()).await.unwrap().unwrap();
        }
        let sent = caller.stats().await.unwrap().unwrap();
        let received = accepted.stats().await.unwrap().unwrap();
        assert_eq!(sent.total.sent_unique.packets, 10);
        assert_eq!(received.total.received_unique.packets, 10);
    });
}

#[test]
fn closing_the_caller_ends_the_listener_side_stream() {
    rt::block_on(async {
        let (caller, mut accepted) = pair(SrtSocket::builder).await;
        within("close", caller.close()).await.unwrap();
        let end = within("end", accepted.next()).await;
        assert!(end.is_none(), "{end:?}");
    });
}

#[test]
fn dropping_a_socket_closes_its_connection() {
    rt::block_on(async {
        let (caller, mut accepted) = pair(SrtSocket::builder).await;
        drop(caller);
        let end = within("end", accepted.next()).await;
        assert!(end.is_none(), "{end:?}");
    });
}

#[test]
fn a_rendezvous_connects_and_delivers() {
    rt::block_on(async {
        let a = std::net::UdpSocket::bind(any_port()).unwrap();
        let b = std::net::UdpSocket::bind(any_port()).unwrap();
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        drop((a, b));
        let left = rt::spawn(SrtSocket::builder().rendezvous(a_addr, b_addr));
        let right = SrtSocket::builder().rendezvous(b_addr, a_addr);
        let right = within("right", right).await.unwrap();
        let left = within("left", left).await.unwrap();
        deliver(left, right, 100, Duration::from_millis(1)).await;
    });
}

#[test]
fn one_listener_socket_carries_several_callers_at_once() {
    rt::block_on(async {
        let mut listener = SrtSocket::builder().listen(any_port()).await.unwrap();
        let addr = listener.local_addr();
        let callers = (0..3u8).map(|i| async move {
            let mut caller = SrtSocket::builder()
                .stream_id(format!("caller {i}"))
                .call(addr)
                .await
                .unwrap();
            caller
                .send((Instant::now(), Bytes::from(vec![i; 100])))
                .await
                .unwrap();
            caller
        });
        let callers = within("calls", futures_util::future::join_all(callers)).await;
        let mut seen = Vec::new();
        for _ in 0..3 {
            let mut socket = accept_one(&mut listener).await;
            assert_eq!(socket.local_addr(), addr);
            let (_, data) = within("message", socket.next()).await.unwrap().unwrap();
            let id = socket.stream_id().unwrap().to_vec();
            assert_eq!(id, format!("caller {}", data[0]).into_bytes());
            seen.push(data[0]);
        }
        seen.sort_unstable();
        assert_eq!(seen, [0, 1, 2]);
        drop(callers);
    });
}

#[test]
fn a_silent_peer_ends_the_stream_with_a_timeout_error() {
    rt::block_on(async {
        let mut listener = SrtSocket::builder()
            .peer_idle_timeout(Duration::from_millis(500))
            .listen(any_port())
            .await
            .unwrap();
        let relay = Relay::builder()
            .listen(any_port())
            .upstream(listener.local_addr())
            .spawn();
        let relay = rt::on_tokio(relay).await.unwrap();
        let call = SrtSocket::builder().call(relay.local_addr());
        let _caller = within("call", call).await.unwrap();
        let mut accepted = accept_one(&mut listener).await;
        let now = relay.now();
        let cut = now + Duration::from_secs(3600);
        relay.set_forward(relay.forward_config().partition(now, cut));
        relay.set_backward(relay.backward_config().partition(now, cut));
        let error = within("idle timeout", accepted.next())
            .await
            .expect("ended without an error")
            .expect_err("a message arrived");
        assert_eq!(error.kind(), std::io::ErrorKind::TimedOut, "{error}");
        assert!(within("end", accepted.next()).await.is_none());
        rt::on_tokio(relay.shutdown()).await;
    });
}

#[test]
fn a_call_nobody_answers_fails_with_timeout_after_the_connect_timeout() {
    rt::block_on(async {
        let silent = std::net::UdpSocket::bind(any_port()).unwrap();
        let started = Instant::now();
        let call = SrtSocket::builder()
            .connect_timeout(Duration::from_millis(500))
            .call(silent.local_addr().unwrap());
        let error = within("call", call).await.expect_err("connected");
        assert_eq!(
            error.reject_reason(),
            Some(RejectReason::Timeout),
            "{error}"
        );
        assert!(started.elapsed() >= Duration::from_millis(500));
    });
}

/// `len` bytes of a pattern that depends on `modulus`.
fn byte_stream(len: u32, modulus: u32) -> Vec<u8> {
    (0..len).map(|i| (i % modulus) as u8).collect()
}

/// A file-mode caller and the connection its listener accepted, with a
/// send buffer of `send_buffer` packets.
async fn file_pair(send_buffer: u32) -> (SrtSocket, SrtSocket) {
    pair(|| {
        SrtSocket::builder()
            .transtype(TransType::File)
            .send_buffer(send_buffer)
    })
    .await
}

/// `got` is `sent`, reported by length and first difference (not by
/// printing megabytes).
fn assert_same_bytes(got: &[u8], sent: &[u8]) {
    assert_eq!(got.len(), sent.len(), "the lengths differ");
    let first = got.iter().zip(sent).position(|(a, b)| a != b);
    assert_eq!(first, None, "the bytes differ from this offset on");
}

/// Reads `accepted`'s stream to its end, as messages.
async fn collect_to_end(accepted: &mut SrtSocket) -> Vec<u8> {
    let mut got = Vec::new();
    while let Some(piece) = within("piece", accepted.next()).await {
        got.extend_from_slice(&piece.unwrap().1);
    }
    got
}

#[test]
fn file_mode_delivers_a_byte_stream_whole() {
    rt::block_on(async {
        let (mut caller, mut accepted) = file_pair(DEFAULT_SEND_BUFFER).await;
        assert!(!accepted.params().message_api);
        let payload = byte_stream(200_000, 241);
        for chunk in payload.chunks(10_000) {
            caller
                .send((Instant::now(), Bytes::copy_from_slice(chunk)))
                .await
                .unwrap();
        }
        let mut got = Vec::new();
        while got.len() < payload.len() {
            let (_, bytes) = within("piece", accepted.next()).await.unwrap().unwrap();
            got.extend_from_slice(&bytes);
        }
        assert_eq!(got, payload);
        within("close", caller.close()).await.unwrap();
    });
}

#[test]
fn close_lingers_until_the_peer_has_everything_in_file_mode() {
    rt::block_on(async {
        let (mut caller, mut accepted) = file_pair(DEFAULT_SEND_BUFFER).await;
        let payload = byte_stream(1_000_000, 239);
        for chunk in payload.chunks(50_000) {
            caller
                .send((Instant::now(), Bytes::copy_from_slice(chunk)))
                .await
                .unwrap();
        }
        let closing = rt::spawn(caller.close());
        let got = collect_to_end(&mut accepted).await;
        assert_same_bytes(&got, &payload);
        within("close", closing).await.unwrap();
    });
}

#[test]
fn a_sender_waits_for_room_in_a_full_send_buffer_instead_of_failing() {
    rt::block_on(async {
        let (mut caller, mut accepted) = file_pair(32).await;
        // 2 MB through a 32-packet (~47 kB) send buffer.
        let payload = byte_stream(2_000_000, 233);
        let chunks: Vec<Bytes> = payload.chunks(8_000).map(Bytes::copy_from_slice).collect();
        let sending = rt::spawn(async move {
            for chunk in chunks {
                caller.send((Instant::now(), chunk)).await.unwrap();
            }
            caller.close().await.unwrap();
        });
        let got = collect_to_end(&mut accepted).await;
        assert_same_bytes(&got, &payload);
        within("sender", sending).await;
    });
}

#[test]
fn file_mode_sockets_are_the_runtimes_async_read_and_write() {
    rt::block_on(async {
        let (mut caller, mut accepted) = file_pair(64).await;
        let payload = byte_stream(3_000_000, 229);
        let sent = payload.clone();
        let writing = rt::spawn(async move {
            caller.write_all(&sent).await.unwrap();
            rt::shutdown_write(&mut caller).await;
            caller
        });
        let mut got = Vec::new();
        within("read", accepted.read_to_end(&mut got))
            .await
            .unwrap();
        assert_same_bytes(&got, &payload);
        within("writer", writing).await;
    });
}

#[test]
fn a_live_write_sends_at_most_one_packet_as_one_message() {
    rt::block_on(async {
        let (mut caller, mut accepted) = pair(SrtSocket::builder).await;
        let written = caller.write(&[7u8; 5000]).await.unwrap();
        assert!(written > 1000 && written <= 1456, "{written}");
        let (_, got) = within("message", accepted.next()).await.unwrap().unwrap();
        assert_eq!(got.len(), written);
    });
}

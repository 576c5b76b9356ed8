//! SrtSocket and SrtListener over loopback: delivery, encryption,
//! rejections, loss repair through the relay.

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use srt_proto::access::Whitelist;
use srt_proto::packet::reject::RejectReason;
use srt_proto::sim::{LinkConfig, Probability};
use srt_tokio::relay::Relay;
use srt_tokio::{SrtError, SrtListener, SrtSocket, SrtSocketBuilder};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::time::timeout;

const SECRET: &str = "loopback secret 1234";
const WAIT: Duration = Duration::from_secs(20);

fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Message `i`: its number, then a pattern that depends on it.
fn message(i: u32) -> Bytes {
    let mut m = i.to_be_bytes().to_vec();
    m.extend((0..1312u32).map(|j| (i.wrapping_mul(31).wrapping_add(j) % 251) as u8));
    Bytes::from(m)
}

async fn accept_one(listener: &mut SrtListener) -> SrtSocket {
    timeout(WAIT, listener.next())
        .await
        .expect("no caller within the wait")
        .expect("listener ended")
        .expect("caller refused")
}

/// Sends `count` messages paced at one per `gap`, and checks the receiver
/// gets them all, in order, byte-exact.
/// Messages sent after the checked ones; see [`deliver`].
const TAIL: u32 = 20;

async fn deliver(mut sender: SrtSocket, mut receiver: SrtSocket, count: u32, gap: Duration) {
    let sending = tokio::spawn(async move {
        // A live stream keeps flowing: a lost last packet is invisible to
        // the receiver until a later one arrives (libsrt's live sender has
        // no blind retransmission while the peer sends NAK reports), so an
        // unchecked tail follows the checked messages.
        for i in 0..count + TAIL {
            sender.send((Instant::now(), message(i))).await.unwrap();
            tokio::time::sleep(gap).await;
        }
        sender
    });
    for i in 0..count {
        let (_, got) = timeout(WAIT, receiver.next())
            .await
            .unwrap_or_else(|_| panic!("message {i} did not arrive"))
            .expect("stream ended early")
            .expect("stream error");
        assert_eq!(got, message(i), "message {i} differs");
    }
    let sender = sending.await.unwrap();
    timeout(WAIT, sender.close()).await.unwrap().unwrap();
}

async fn pair(builder: impl Fn() -> SrtSocketBuilder) -> (SrtSocket, SrtSocket) {
    let mut listener = builder().listen(any_port()).await.unwrap();
    let addr = listener.local_addr();
    let caller = timeout(WAIT, builder().call(addr)).await.unwrap().unwrap();
    let accepted = accept_one(&mut listener).await;
    (caller, accepted)
}

#[tokio::test]
async fn a_caller_delivers_1000_messages_byte_exact_to_a_listener() {
    let (caller, accepted) = pair(SrtSocket::builder).await;
    deliver(caller, accepted, 1000, Duration::from_micros(500)).await;
}

#[tokio::test]
async fn an_aes_128_connection_delivers_1000_messages_byte_exact() {
    let builder = || {
        SrtSocket::builder()
            .passphrase(SECRET)
            .key_length(srt_proto::crypto::KeyLength::Aes128)
    };
    let (caller, accepted) = pair(builder).await;
    let crypto = caller.params().crypto.as_ref().expect("not encrypted");
    assert_eq!(crypto.key_len, srt_proto::crypto::KeyLength::Aes128);
    assert!(accepted.params().crypto.is_some());
    deliver(caller, accepted, 1000, Duration::from_micros(500)).await;
}

#[tokio::test]
async fn a_wrong_passphrase_is_bad_secret_on_both_sides() {
    let mut listener = SrtSocket::builder()
        .passphrase(SECRET)
        .listen(any_port())
        .await
        .unwrap();
    let call = SrtSocket::builder()
        .passphrase("not the right secret")
        .call(listener.local_addr());
    let caller = timeout(WAIT, call).await.unwrap();
    let error = caller.expect_err("a wrong passphrase connected");
    assert_eq!(
        error.reject_reason(),
        Some(RejectReason::BadSecret),
        "{error}"
    );
    let seen = timeout(WAIT, listener.next()).await.unwrap().unwrap();
    match seen {
        Err(SrtError::IncomingRejected { reason, .. }) => {
            assert_eq!(reason, RejectReason::BadSecret);
        }
        other => panic!("listener saw {other:?}"),
    }
}

#[tokio::test]
async fn a_stream_id_off_the_whitelist_is_rejected_with_1403() {
    let mut listener = SrtSocket::builder()
        .access_policy(Whitelist::raw().with(["allowed"]))
        .listen(any_port())
        .await
        .unwrap();
    let call = SrtSocket::builder()
        .stream_id("intruder")
        .call(listener.local_addr());
    let error = timeout(WAIT, call).await.unwrap().expect_err("connected");
    let reason = error.reject_reason().expect("not a rejection");
    assert_eq!(reason.code(), 1403, "{error}");

    let allowed = SrtSocket::builder()
        .stream_id("allowed")
        .call(listener.local_addr());
    let caller = timeout(WAIT, allowed).await.unwrap().unwrap();
    let accepted = loop {
        match timeout(WAIT, listener.next()).await.unwrap().unwrap() {
            Ok(socket) => break socket,
            Err(SrtError::IncomingRejected { .. }) => continue,
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(accepted.stream_id(), Some(&b"allowed"[..]));
    drop(caller);
}

#[tokio::test]
async fn a_whitelist_edited_while_listening_admits_the_new_stream_id() {
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
    timeout(WAIT, call).await.unwrap().unwrap();
}

#[tokio::test]
async fn every_message_arrives_in_order_through_a_relay_losing_5_percent() {
    let mut listener = SrtSocket::builder()
        .latency(Duration::from_millis(300))
        .listen(any_port())
        .await
        .unwrap();
    let link = LinkConfig::new()
        .loss(Probability::percent(5.0))
        .latency(Duration::from_millis(5));
    let relay = Relay::builder()
        .listen(any_port())
        .upstream(listener.local_addr())
        .forward(link.clone())
        .backward(link)
        .seed(5)
        .spawn()
        .await
        .unwrap();
    let caller = SrtSocket::builder()
        .latency(Duration::from_millis(300))
        .call(relay.local_addr());
    let caller = timeout(WAIT, caller).await.unwrap().unwrap();
    let accepted = accept_one(&mut listener).await;
    deliver(caller, accepted, 1000, Duration::from_millis(1)).await;
    let stats = relay.stats();
    assert!(
        stats.forward.link.dropped_random > 0,
        "the relay lost nothing: {stats}"
    );
    relay.shutdown().await;
}

#[tokio::test]
async fn stats_count_what_was_sent_and_received() {
    let (mut caller, mut accepted) = pair(SrtSocket::builder).await;
    for i in 0..10 {
        caller.send((Instant::now(), message(i))).await.unwrap();
    }
    for _ in 0..10 {
        timeout(WAIT, accepted.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }
    let sent = caller.stats().await.unwrap().unwrap();
    let received = accepted.stats().await.unwrap().unwrap();
    assert_eq!(sent.total.sent_unique.packets, 10);
    assert_eq!(received.total.received_unique.packets, 10);
}

#[tokio::test]
async fn closing_the_caller_ends_the_listener_side_stream() {
    let (caller, mut accepted) = pair(SrtSocket::builder).await;
    timeout(WAIT, caller.close()).await.unwrap().unwrap();
    let end = timeout(WAIT, accepted.next()).await.unwrap();
    assert!(end.is_none(), "{end:?}");
}

#[tokio::test]
async fn a_rendezvous_connects_and_delivers() {
    let a = std::net::UdpSocket::bind(any_port()).unwrap();
    let b = std::net::UdpSocket::bind(any_port()).unwrap();
    let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    drop((a, b));
    let left = SrtSocket::builder().rendezvous(a_addr, b_addr);
    let right = SrtSocket::builder().rendezvous(b_addr, a_addr);
    let (left, right) = timeout(WAIT, async { tokio::join!(left, right) })
        .await
        .unwrap();
    deliver(left.unwrap(), right.unwrap(), 100, Duration::from_millis(1)).await;
}

#[tokio::test]
async fn file_mode_delivers_a_byte_stream_whole() {
    let builder = || SrtSocket::builder().transtype(srt_tokio::TransType::File);
    let (mut caller, mut accepted) = pair(builder).await;
    assert!(!accepted.params().message_api);
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 241) as u8).collect();
    for chunk in payload.chunks(10_000) {
        caller
            .send((Instant::now(), Bytes::copy_from_slice(chunk)))
            .await
            .unwrap();
    }
    let mut got = Vec::new();
    while got.len() < payload.len() {
        let (_, bytes) = timeout(WAIT, accepted.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        got.extend_from_slice(&bytes);
    }
    assert_eq!(got, payload);
    timeout(WAIT, caller.close()).await.unwrap().unwrap();
}

#[tokio::test]
async fn one_listener_socket_carries_several_callers_at_once() {
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
    let callers = timeout(WAIT, futures_util::future::join_all(callers))
        .await
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let mut socket = accept_one(&mut listener).await;
        assert_eq!(socket.local_addr(), addr);
        let (_, data) = timeout(WAIT, socket.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let id = socket.stream_id().unwrap().to_vec();
        assert_eq!(id, format!("caller {}", data[0]).into_bytes());
        seen.push(data[0]);
    }
    seen.sort_unstable();
    assert_eq!(seen, [0, 1, 2]);
    drop(callers);
}

#[tokio::test]
async fn dropping_a_socket_closes_its_connection() {
    let (caller, mut accepted) = pair(SrtSocket::builder).await;
    drop(caller);
    let end = timeout(WAIT, accepted.next()).await.unwrap();
    assert!(end.is_none(), "{end:?}");
}

#[tokio::test]
async fn a_silent_peer_ends_the_stream_with_a_timeout_error() {
    let mut listener = SrtSocket::builder()
        .peer_idle_timeout(Duration::from_millis(500))
        .listen(any_port())
        .await
        .unwrap();
    let relay = Relay::builder()
        .listen(any_port())
        .upstream(listener.local_addr())
        .spawn()
        .await
        .unwrap();
    let call = SrtSocket::builder().call(relay.local_addr());
    let _caller = timeout(WAIT, call).await.unwrap().unwrap();
    let mut accepted = accept_one(&mut listener).await;
    let now = relay.now();
    let cut = now + Duration::from_secs(3600);
    relay.set_forward(relay.forward_config().partition(now, cut));
    relay.set_backward(relay.backward_config().partition(now, cut));
    let error = timeout(WAIT, accepted.next())
        .await
        .unwrap()
        .expect("ended without an error")
        .expect_err("a message arrived");
    assert_eq!(error.kind(), std::io::ErrorKind::TimedOut, "{error}");
    assert!(timeout(WAIT, accepted.next()).await.unwrap().is_none());
}

#[tokio::test]
async fn close_lingers_until_the_peer_has_everything_in_file_mode() {
    let builder = || SrtSocket::builder().transtype(srt_tokio::TransType::File);
    let (mut caller, mut accepted) = pair(builder).await;
    let payload: Vec<u8> = (0..1_000_000u32).map(|i| (i % 239) as u8).collect();
    for chunk in payload.chunks(50_000) {
        caller
            .send((Instant::now(), Bytes::copy_from_slice(chunk)))
            .await
            .unwrap();
    }
    let closing = tokio::spawn(caller.close());
    let mut got = Vec::new();
    while let Some(piece) = timeout(WAIT, accepted.next()).await.unwrap() {
        got.extend_from_slice(&piece.unwrap().1);
    }
    assert_eq!(got.len(), payload.len());
    assert!(got == payload, "the bytes differ");
    timeout(WAIT, closing).await.unwrap().unwrap().unwrap();
}

#[tokio::test]
async fn a_sender_waits_for_room_in_a_full_send_buffer_instead_of_failing() {
    let builder = || {
        SrtSocket::builder()
            .transtype(srt_tokio::TransType::File)
            .send_buffer(32)
    };
    let (mut caller, mut accepted) = pair(builder).await;
    // 2 MB through a 32-packet (~47 kB) send buffer.
    let payload: Vec<u8> = (0..2_000_000u32).map(|i| (i % 233) as u8).collect();
    let chunks: Vec<Bytes> = payload.chunks(8_000).map(Bytes::copy_from_slice).collect();
    let sending = tokio::spawn(async move {
        for chunk in chunks {
            caller.send((Instant::now(), chunk)).await.unwrap();
        }
        caller.close().await.unwrap();
    });
    let mut got = Vec::new();
    while let Some(piece) = timeout(WAIT, accepted.next()).await.unwrap() {
        got.extend_from_slice(&piece.unwrap().1);
    }
    assert_eq!(got.len(), payload.len());
    assert!(got == payload, "the bytes differ");
    timeout(WAIT, sending).await.unwrap().unwrap();
}

#[tokio::test]
async fn file_mode_sockets_are_async_read_and_write() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let builder = || {
        SrtSocket::builder()
            .transtype(srt_tokio::TransType::File)
            .send_buffer(64)
    };
    let (mut caller, mut accepted) = pair(builder).await;
    let payload: Vec<u8> = (0..3_000_000u32).map(|i| (i % 229) as u8).collect();
    let sent = payload.clone();
    let writing = tokio::spawn(async move {
        caller.write_all(&sent).await.unwrap();
        caller.shutdown().await.unwrap();
        caller
    });
    let mut got = Vec::new();
    timeout(WAIT, accepted.read_to_end(&mut got))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.len(), payload.len());
    assert!(got == payload, "the bytes differ");
    timeout(WAIT, writing).await.unwrap().unwrap();
}

#[tokio::test]
async fn a_live_write_sends_at_most_one_packet_as_one_message() {
    use tokio::io::AsyncWriteExt;
    let (mut caller, mut accepted) = pair(SrtSocket::builder).await;
    let written = caller.write(&[7u8; 5000]).await.unwrap();
    assert!(written > 1000 && written <= 1456, "{written}");
    let (_, got) = timeout(WAIT, accepted.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(got.len(), written);
}

#[tokio::test]
async fn a_call_nobody_answers_fails_with_timeout_after_the_connect_timeout() {
    let silent = std::net::UdpSocket::bind(any_port()).unwrap();
    let started = Instant::now();
    let call = SrtSocket::builder()
        .connect_timeout(Duration::from_millis(500))
        .call(silent.local_addr().unwrap());
    let error = timeout(WAIT, call).await.unwrap().expect_err("connected");
    assert_eq!(
        error.reject_reason(),
        Some(RejectReason::Timeout),
        "{error}"
    );
    assert!(started.elapsed() >= Duration::from_millis(500));
}

//! srt-smol's SrtSocket and SrtListener over loopback, run on smol: the
//! core set srt-tokio passes (delivery plain and encrypted, rejections,
//! loss repair through the impairing relay), plus its byte-stream view.

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use smol::Timer;
use smol::io::{AsyncReadExt, AsyncWriteExt};
use srt_proto::access::Whitelist;
use srt_proto::packet::reject::RejectReason;
use srt_proto::sim::{LinkConfig, Probability};
use srt_smol::{SrtError, SrtListener, SrtSocket, SrtSocketBuilder, TransType};
use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const SECRET: &str = "loopback secret 1234";
const WAIT: Duration = Duration::from_secs(20);

fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// `f`'s output, or a panic naming `what` if it takes longer than [`WAIT`].
async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    let expired = async {
        Timer::after(WAIT).await;
        None
    };
    smol::future::or(async { Some(f.await) }, expired)
        .await
        .unwrap_or_else(|| panic!("{what}: nothing within {WAIT:?}"))
}

/// Message `i`: its number, then a pattern that depends on it.
fn message(i: u32) -> Bytes {
    let mut m = i.to_be_bytes().to_vec();
    m.extend((0..1312u32).map(|j| (i.wrapping_mul(31).wrapping_add(j) % 251) as u8));
    Bytes::from(m)
}

async fn accept_one(listener: &mut SrtListener) -> SrtSocket {
    within("accept", listener.next())
        .await
        .expect("listener ended")
        .expect("caller refused")
}

/// Sends `count` messages paced at one per `gap`, and checks the receiver
/// gets them all, in order, byte-exact.
/// Messages sent after the checked ones; see [`deliver`].
const TAIL: u32 = 20;

async fn deliver(mut sender: SrtSocket, mut receiver: SrtSocket, count: u32, gap: Duration) {
    let sending = smol::spawn(async move {
        // A live stream keeps flowing: a lost last packet is invisible to
        // the receiver until a later one arrives (libsrt's live sender has
        // no blind retransmission while the peer sends NAK reports), so an
        // unchecked tail follows the checked messages.
        for i in 0..count + TAIL {
            sender.send((Instant::now(), message(i))).await.unwrap();
            Timer::after(gap).await;
        }
        sender
    });
    for i in 0..count {
        let (_, got) = within(&format!("message {i}"), receiver.next())
            .await
            .expect("stream ended early")
            .expect("stream error");
        assert_eq!(got, message(i), "message {i} differs");
    }
    let sender = sending.await;
    within("close", sender.close()).await.unwrap();
}

async fn pair(builder: impl Fn() -> SrtSocketBuilder) -> (SrtSocket, SrtSocket) {
    let mut listener = builder().listen(any_port()).await.unwrap();
    let addr = listener.local_addr();
    let caller = within("call", builder().call(addr)).await.unwrap();
    let accepted = accept_one(&mut listener).await;
    (caller, accepted)
}

#[test]
fn a_caller_delivers_1000_messages_byte_exact_to_a_listener() {
    smol::block_on(async {
        let (caller, accepted) = pair(SrtSocket::builder).await;
        deliver(caller, accepted, 1000, Duration::from_micros(500)).await;
    });
}

#[test]
fn an_aes_128_connection_delivers_1000_messages_byte_exact() {
    smol::block_on(async {
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
    });
}

#[test]
fn a_wrong_passphrase_is_bad_secret_on_both_sides() {
    smol::block_on(async {
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
    smol::block_on(async {
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

/// The relay is srt-tokio's (tokio-based): it runs on a tokio runtime's
/// worker thread while the sockets run on smol.
#[test]
fn every_message_arrives_in_order_through_a_relay_losing_5_percent() {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    smol::block_on(async {
        let mut listener = SrtSocket::builder()
            .latency(Duration::from_millis(300))
            .listen(any_port())
            .await
            .unwrap();
        let link = LinkConfig::new()
            .loss(Probability::percent(5.0))
            .latency(Duration::from_millis(5));
        let relay = tokio
            .block_on(
                srt_tokio::relay::Relay::builder()
                    .listen(any_port())
                    .upstream(listener.local_addr())
                    .forward(link.clone())
                    .backward(link)
                    .seed(5)
                    .spawn(),
            )
            .unwrap();
        let caller = SrtSocket::builder()
            .latency(Duration::from_millis(300))
            .call(relay.local_addr());
        let caller = within("call", caller).await.unwrap();
        let accepted = accept_one(&mut listener).await;
        deliver(caller, accepted, 1000, Duration::from_millis(1)).await;
        let stats = relay.stats();
        assert!(
            stats.forward.link.dropped_random > 0,
            "the relay lost nothing: {stats}"
        );
        tokio.block_on(relay.shutdown());
    });
}

#[test]
fn closing_the_caller_ends_the_listener_side_stream() {
    smol::block_on(async {
        let (caller, mut accepted) = pair(SrtSocket::builder).await;
        within("close", caller.close()).await.unwrap();
        assert!(within("end", accepted.next()).await.is_none());
    });
}

#[test]
fn file_mode_sockets_are_futures_io_read_and_write() {
    smol::block_on(async {
        let builder = || SrtSocket::builder().transtype(TransType::File);
        let (mut caller, mut accepted) = pair(builder).await;
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 249) as u8).collect();
        let expected = data.clone();
        let writing = smol::spawn(async move {
            caller.write_all(&data).await.unwrap();
            caller.close().await.unwrap();
        });
        let mut got = Vec::new();
        within("read", accepted.read_to_end(&mut got))
            .await
            .unwrap();
        writing.await;
        assert_eq!(got.len(), expected.len());
        assert!(got == expected, "the byte stream differs");
    });
}

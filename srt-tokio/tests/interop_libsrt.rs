//! srt-tokio against libsrt 1.5 (`srt-live-transmit`) on loopback, checked
//! byte-exact on a known payload. Skipped with a message when
//! `srt-live-transmit` is not installed, unless `CI` is set (then it
//! fails).

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use srt_proto::packet::Packet;
use srt_proto::packet::control::ControlBody;
use srt_proto::packet::handshake::HandshakeType;
use srt_proto::packet::reject::RejectReason;
use srt_proto::sim::{LinkConfig, Probability};
use srt_tokio::relay::Relay;
use srt_tokio::{SrtSocket, SrtSocketBuilder};
use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::time::timeout;

const SECRET: &str = "interop secret 0123";
const COUNT: u32 = 100;
const WAIT: Duration = Duration::from_secs(10);

fn libsrt_available() -> bool {
    let found = Command::new("srt-live-transmit")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "srt-live-transmit is required in CI"
        );
        eprintln!("srt-live-transmit not installed: skipping");
    }
    found
}

/// A free UDP port on loopback (bound and released).
fn free_port() -> u16 {
    StdUdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `srt-live-transmit INPUT OUTPUT`, killed when dropped.
struct LiveTransmit(Child);

impl LiveTransmit {
    async fn start(input: &str, output: &str) -> Self {
        Self::start_logging(input, output, Stdio::null()).await
    }

    /// Starts it with its log (stderr) going to `log`.
    async fn start_logging(input: &str, output: &str, log: Stdio) -> Self {
        let child = Command::new("srt-live-transmit")
            .args(["-a:no", input, output])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        // Let it bind its sockets.
        tokio::time::sleep(Duration::from_millis(300)).await;
        Self(child)
    }
}

impl Drop for LiveTransmit {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Message `i`: its number, then a pattern made from it (1316 bytes).
fn message(i: u32) -> Bytes {
    let mut m = i.to_be_bytes().to_vec();
    m.extend((0..1312u32).map(|j| (i.wrapping_mul(7).wrapping_add(j) % 253) as u8));
    Bytes::from(m)
}

/// Reads datagrams until all `COUNT` messages arrived, in order.
async fn expect_datagrams(socket: &UdpSocket) {
    let mut buf = vec![0u8; 2048];
    for i in 0..COUNT {
        let len = timeout(WAIT, socket.recv(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("message {i} did not come out"))
            .unwrap();
        assert_eq!(&buf[..len], &message(i)[..], "message {i} differs");
    }
}

async fn send_all(socket: &mut SrtSocket) {
    for i in 0..COUNT {
        socket.send((Instant::now(), message(i))).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

async fn our_caller_to_libsrt_listener(builder: SrtSocketBuilder, query: &str) {
    let srt_port = free_port();
    let out = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let out_addr = out.local_addr().unwrap();
    let _libsrt = LiveTransmit::start(
        &format!("srt://127.0.0.1:{srt_port}?mode=listener{query}"),
        &format!("udp://{out_addr}"),
    )
    .await;
    let remote: SocketAddr = format!("127.0.0.1:{srt_port}").parse().unwrap();
    let mut caller = timeout(WAIT, builder.call(remote)).await.unwrap().unwrap();
    send_all(&mut caller).await;
    expect_datagrams(&out).await;
    timeout(WAIT, caller.close()).await.unwrap().unwrap();
}

#[tokio::test]
async fn our_caller_delivers_byte_exact_through_a_libsrt_listener() {
    if !libsrt_available() {
        return;
    }
    our_caller_to_libsrt_listener(SrtSocket::builder(), "").await;
}

#[tokio::test]
async fn our_aes_128_caller_delivers_byte_exact_through_a_libsrt_listener() {
    if !libsrt_available() {
        return;
    }
    let builder = SrtSocket::builder().passphrase(SECRET);
    let query = format!("&passphrase={SECRET}&pbkeylen=16");
    our_caller_to_libsrt_listener(builder, &query).await;
}

#[tokio::test]
async fn our_aes_256_caller_delivers_byte_exact_through_a_libsrt_listener() {
    if !libsrt_available() {
        return;
    }
    let builder = SrtSocket::builder()
        .passphrase(SECRET)
        .key_length(srt_proto::crypto::KeyLength::Aes256);
    let query = format!("&passphrase={SECRET}&pbkeylen=32");
    our_caller_to_libsrt_listener(builder, &query).await;
}

#[tokio::test]
async fn our_caller_with_a_wrong_passphrase_is_refused_by_libsrt_with_bad_secret() {
    if !libsrt_available() {
        return;
    }
    let srt_port = free_port();
    let out_port = free_port();
    let _libsrt = LiveTransmit::start(
        &format!("srt://127.0.0.1:{srt_port}?mode=listener&passphrase={SECRET}"),
        &format!("udp://127.0.0.1:{out_port}"),
    )
    .await;
    let remote: SocketAddr = format!("127.0.0.1:{srt_port}").parse().unwrap();
    let call = SrtSocket::builder()
        .passphrase("a different secret")
        .call(remote);
    let error = timeout(WAIT, call).await.unwrap().expect_err("connected");
    assert_eq!(
        error.reject_reason(),
        Some(RejectReason::BadSecret),
        "{error}"
    );
}

#[tokio::test]
async fn a_libsrt_caller_delivers_byte_exact_to_our_encrypted_listener() {
    if !libsrt_available() {
        return;
    }
    let mut listener = SrtSocket::builder()
        .passphrase(SECRET)
        .listen("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let in_port = free_port();
    let _libsrt = LiveTransmit::start(
        &format!("udp://127.0.0.1:{in_port}"),
        &format!(
            "srt://{}?mode=caller&passphrase={SECRET}",
            listener.local_addr()
        ),
    )
    .await;
    // srt-live-transmit connects its output once input arrives: feed it.
    let input = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let input_addr: SocketAddr = format!("127.0.0.1:{in_port}").parse().unwrap();
    input.send_to(&message(u32::MAX), input_addr).await.unwrap();
    let mut accepted = timeout(WAIT, listener.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    // Whatever was sent before the connection came up may be lost; start
    // counting from a fresh run.
    let sending = tokio::spawn(async move {
        for i in 0..COUNT {
            input.send_to(&message(i), input_addr).await.unwrap();
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    let mut next = 0;
    while next < COUNT {
        let (_, got) = timeout(WAIT, accepted.next())
            .await
            .unwrap_or_else(|_| panic!("message {next} did not arrive"))
            .unwrap()
            .unwrap();
        if got == message(u32::MAX) {
            continue;
        }
        assert_eq!(got, message(next), "message {next} differs");
        next += 1;
    }
    sending.await.unwrap();
}

/// Forwards datagrams between one client and `upstream`, and records the
/// rejection codes in the handshakes coming back: what the client was told.
async fn rejection_tap(upstream: SocketAddr) -> (SocketAddr, tokio::sync::mpsc::Receiver<u32>) {
    let outer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let inner = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    inner.connect(upstream).await.unwrap();
    let addr = outer.local_addr().unwrap();
    let (codes, rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(async move {
        let (mut a, mut b) = (vec![0u8; 2048], vec![0u8; 2048]);
        let mut client = None;
        loop {
            tokio::select! {
                Ok((n, from)) = outer.recv_from(&mut a) => {
                    client = Some(from);
                    let _ = inner.send(&a[..n]).await;
                }
                Ok(n) = inner.recv(&mut b) => {
                    if let Ok(Packet::Control(c)) = Packet::decode_slice(&b[..n])
                        && let ControlBody::Handshake(hs) = c.body
                        && let HandshakeType::Rejection(reason) = hs.handshake_type
                        && codes.send(reason.code()).await.is_err()
                    {
                        return;
                    }
                    if let Some(client) = client {
                        let _ = outer.send_to(&b[..n], client).await;
                    }
                }
                else => return,
            }
        }
    });
    (addr, rx)
}

#[tokio::test]
async fn a_libsrt_caller_off_our_whitelist_is_sent_1403() {
    if !libsrt_available() {
        return;
    }
    let mut listener = SrtSocket::builder()
        .access_policy(srt_proto::access::Whitelist::raw().with(["allowed"]))
        .listen("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (tap, mut codes) = rejection_tap(listener.local_addr()).await;
    let in_port = free_port();
    let log_path = std::env::temp_dir().join(format!("srt-tokio-interop-{in_port}.log"));
    let log = std::fs::File::create(&log_path).unwrap();
    let libsrt = LiveTransmit::start_logging(
        &format!("udp://127.0.0.1:{in_port}"),
        &format!("srt://{tap}?mode=caller&streamid=intruder"),
        Stdio::from(log),
    )
    .await;
    let input = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    input
        .send_to(b"knock", format!("127.0.0.1:{in_port}"))
        .await
        .unwrap();

    let seen = timeout(WAIT, listener.next()).await.unwrap().unwrap();
    match seen {
        Err(srt_tokio::SrtError::IncomingRejected { reason, .. }) => {
            assert_eq!(reason.code(), 1403);
        }
        other => panic!("our listener saw {other:?}"),
    }
    let code = timeout(WAIT, codes.recv()).await.unwrap().unwrap();
    assert_eq!(code, 1403, "the rejection on the wire to libsrt");
    // libsrt took it as a rejection (1403 is in its application range).
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(libsrt);
    let log = std::fs::read_to_string(&log_path).unwrap();
    let _ = std::fs::remove_file(&log_path);
    assert!(log.contains("REJECT"), "libsrt's log: {log}");
}

#[tokio::test]
async fn our_caller_repairs_5_percent_loss_and_reordering_to_a_libsrt_listener() {
    if !libsrt_available() {
        return;
    }
    let srt_port = free_port();
    let out = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let out_addr = out.local_addr().unwrap();
    let _libsrt = LiveTransmit::start(
        &format!("srt://127.0.0.1:{srt_port}?mode=listener&latency=300&passphrase={SECRET}"),
        &format!("udp://{out_addr}"),
    )
    .await;
    let upstream: SocketAddr = format!("127.0.0.1:{srt_port}").parse().unwrap();
    let link = LinkConfig::new()
        .latency(Duration::from_millis(5))
        .loss(Probability::percent(5.0))
        .reorder(Probability::percent(2.0), Duration::from_millis(3));
    let relay = Relay::builder()
        .listen("127.0.0.1:0".parse().unwrap())
        .upstream(upstream)
        .forward(link.clone())
        .backward(link)
        .seed(11)
        .spawn()
        .await
        .unwrap();
    let call = SrtSocket::builder()
        .passphrase(SECRET)
        .latency(Duration::from_millis(300))
        .call(relay.local_addr());
    let mut caller = timeout(WAIT, call).await.unwrap().unwrap();
    send_all(&mut caller).await;
    // A live stream keeps flowing: in live mode a lost last packet is
    // invisible to the receiver (nothing after it shows the gap) and
    // libsrt's sender does not retransmit blindly while the peer sends NAK
    // reports, so the checked messages are followed by a tail that is not
    // checked, as a real stream's next packets would.
    for i in COUNT..COUNT + 20 {
        caller.send((Instant::now(), message(i))).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    expect_datagrams(&out).await;
    let stats = relay.stats();
    assert!(
        stats.forward.link.dropped_random > 0,
        "nothing lost: {stats}"
    );
    let sent = caller.stats().await.unwrap().unwrap();
    assert!(sent.total.retransmitted.packets > 0);
    relay.shutdown().await;
}

#[tokio::test]
async fn our_aes_192_caller_delivers_byte_exact_through_a_libsrt_listener() {
    if !libsrt_available() {
        return;
    }
    let builder = SrtSocket::builder()
        .passphrase(SECRET)
        .key_length(srt_proto::crypto::KeyLength::Aes192);
    let query = format!("&passphrase={SECRET}&pbkeylen=24");
    our_caller_to_libsrt_listener(builder, &query).await;
}

#[tokio::test]
async fn a_libsrt_caller_with_a_wrong_passphrase_is_refused_by_our_listener_with_bad_secret() {
    if !libsrt_available() {
        return;
    }
    let mut listener = SrtSocket::builder()
        .passphrase(SECRET)
        .listen("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (tap, mut codes) = rejection_tap(listener.local_addr()).await;
    let in_port = free_port();
    let _libsrt = LiveTransmit::start(
        &format!("udp://127.0.0.1:{in_port}"),
        &format!("srt://{tap}?mode=caller&passphrase=the+wrong+secret"),
    )
    .await;
    let input = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    input
        .send_to(b"knock", format!("127.0.0.1:{in_port}"))
        .await
        .unwrap();
    match timeout(WAIT, listener.next()).await.unwrap().unwrap() {
        Err(srt_tokio::SrtError::IncomingRejected { reason, .. }) => {
            assert_eq!(reason, RejectReason::BadSecret);
        }
        other => panic!("our listener saw {other:?}"),
    }
    let code = timeout(WAIT, codes.recv()).await.unwrap().unwrap();
    assert_eq!(
        code,
        RejectReason::BadSecret.code(),
        "the rejection sent to libsrt"
    );
}

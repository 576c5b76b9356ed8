//! Our adapter against libsrt 1.5 (`srt-live-transmit`) on loopback, every
//! case checked byte-exact on a known payload; the same cases for both
//! adapters (compiled by srt-tokio's and srt-smol's
//! `tests/interop_libsrt.rs` against their own `rt`). Skipped with a
//! message when `srt-live-transmit` is not installed, unless `CI` is set
//! (then they fail).

#[path = "common.rs"]
mod common;

use crate::rt::{self, SrtError, SrtListener, SrtSocket, SrtSocketBuilder, UdpSocket};
use common::{any_port, free_port, loopback, message, within};
use futures_util::{SinkExt, StreamExt};
use srt_proto::crypto::KeyLength;
use srt_proto::packet::Packet;
use srt_proto::packet::control::ControlBody;
use srt_proto::packet::handshake::HandshakeType;
use srt_proto::packet::reject::RejectReason;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "interop secret 0123";
/// The messages each case checks.
const COUNT: u32 = 100;
/// Sent ahead of a run from libsrt's side: srt-live-transmit connects its
/// SRT output only once its input has something. Whatever precedes the
/// connection may be lost, so receivers skip it and check a fresh run.
const KNOCK: u32 = u32::MAX;
/// Where libsrt runs in the rendezvous cases (ours is on 127.0.0.1).
const LIBSRT_HOST: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// Runs a case if libsrt is here.
fn with_libsrt(case: impl std::future::Future<Output = ()>) {
    if common::peer_installed("srt-live-transmit") {
        rt::block_on(case);
    }
}

/// `srt-live-transmit INPUT OUTPUT`, killed when dropped; its log
/// (stderr) goes to a temp file, removed when dropped.
struct LiveTransmit {
    child: Child,
    log: PathBuf,
}

impl LiveTransmit {
    async fn start(input: &str, output: &str) -> Self {
        let log = std::env::temp_dir().join(format!(
            "srt-interop-{}-{}.log",
            std::process::id(),
            free_port()
        ));
        let child = Command::new("srt-live-transmit")
            .args(["-a:no", input, output])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        // Let it bind its sockets.
        rt::sleep(Duration::from_millis(300)).await;
        Self { child, log }
    }

    /// Stops it and returns its log.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::fs::read_to_string(&self.log).unwrap()
    }
}

impl Drop for LiveTransmit {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// The pbkeylen query libsrt takes for `key_len`.
fn pbkeylen(key_len: KeyLength) -> usize {
    match key_len {
        KeyLength::Aes128 => 16,
        KeyLength::Aes192 => 24,
        KeyLength::Aes256 => 32,
    }
}

/// Our builder and libsrt's URI query for a connection encrypted with
/// `key_len` (`None`: plain).
fn encryption(key_len: Option<KeyLength>) -> (SrtSocketBuilder, String) {
    match key_len {
        None => (SrtSocket::builder(), String::new()),
        Some(key_len) => (
            SrtSocket::builder().passphrase(SECRET).key_length(key_len),
            format!("&passphrase={SECRET}&pbkeylen={}", pbkeylen(key_len)),
        ),
    }
}

/// Sends messages `0..COUNT` on `sender` paced at 1 ms. No unchecked tail:
/// the sender stays open while the output is checked, and its tail-loss
/// probe repairs a lost last packet (libsrt's sender, which has none, gets
/// a tail in [`Feeder::run`]).
async fn send_stream(sender: &mut SrtSocket) {
    for i in 0..COUNT {
        sender.send((Instant::now(), message(i))).await.unwrap();
        rt::sleep(Duration::from_millis(1)).await;
    }
}

/// Checks that datagrams `0..COUNT` come out of `socket` in order,
/// byte-exact.
async fn expect_datagrams(socket: &UdpSocket) {
    let mut buf = vec![0u8; 2048];
    for i in 0..COUNT {
        let len = within(&format!("message {i}"), socket.recv(&mut buf))
            .await
            .unwrap();
        assert_eq!(&buf[..len], &message(i)[..], "message {i} differs");
    }
}

/// Our `sender` into libsrt, whose UDP output is `out`: every message
/// comes out in order, byte-exact; then `sender` closes.
async fn deliver_to_libsrt(mut sender: SrtSocket, out: &UdpSocket) {
    futures_util::future::join(send_stream(&mut sender), expect_datagrams(out)).await;
    within("close", sender.close()).await.unwrap();
}

/// A UDP socket libsrt's UDP output can write to, and its address.
async fn udp_sink() -> (UdpSocket, SocketAddr) {
    let out = UdpSocket::bind(any_port()).await.unwrap();
    let addr = out.local_addr().unwrap();
    (out, addr)
}

/// libsrt's UDP input, fed by us.
struct Feeder {
    socket: UdpSocket,
    input: SocketAddr,
}

impl Feeder {
    /// Knocks on libsrt's UDP input at `input`: srt-live-transmit
    /// connects its SRT output once its input has something.
    async fn knock(input: SocketAddr) -> Self {
        let socket = UdpSocket::bind(any_port()).await.unwrap();
        socket.send_to(&message(KNOCK), input).await.unwrap();
        Self { socket, input }
    }

    /// Feeds `0..COUNT` and a tail of 20, paced at 1 ms, in a task (start
    /// it once connected).
    fn run(self) -> impl std::future::Future<Output = ()> {
        rt::spawn(async move {
            for i in 0..COUNT + 20 {
                self.socket.send_to(&message(i), self.input).await.unwrap();
                rt::sleep(Duration::from_millis(1)).await;
            }
        })
    }
}

/// Checks that `0..COUNT` arrive on `receiver` in order, byte-exact, after
/// whatever knocks come first.
async fn receive_from_libsrt(receiver: &mut SrtSocket) {
    let mut next = 0;
    while next < COUNT {
        let (_, got) = within(&format!("message {next}"), receiver.next())
            .await
            .expect("stream ended early")
            .expect("stream error");
        if got == message(KNOCK) {
            continue;
        }
        assert_eq!(got, message(next), "message {next} differs");
        next += 1;
    }
}

/// `srt-live-transmit srt://…?mode=listener{query} udp://…`: the process,
/// its SRT address and the socket its UDP output writes to.
async fn libsrt_listener(query: &str) -> (LiveTransmit, SocketAddr, UdpSocket) {
    let srt_port = free_port();
    let (out, out_addr) = udp_sink().await;
    let libsrt = LiveTransmit::start(
        &format!("srt://127.0.0.1:{srt_port}?mode=listener{query}"),
        &format!("udp://{out_addr}"),
    )
    .await;
    (libsrt, loopback(srt_port), out)
}

async fn our_caller_to_libsrt_listener(key_len: Option<KeyLength>) {
    let (builder, query) = encryption(key_len);
    let (_libsrt, srt_addr, out) = libsrt_listener(&query).await;
    let caller = within("call", builder.call(srt_addr)).await.unwrap();
    deliver_to_libsrt(caller, &out).await;
}

/// One test of `case` per encryption: `test_name => key length`.
macro_rules! per_encryption {
    ($case:ident: $($name:ident => $key_len:expr),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                with_libsrt($case($key_len));
            }
        )*
    };
}

per_encryption! { our_caller_to_libsrt_listener:
    our_caller_delivers_byte_exact_through_a_libsrt_listener => None,
    our_aes_128_caller_delivers_byte_exact_through_a_libsrt_listener => Some(KeyLength::Aes128),
    our_aes_192_caller_delivers_byte_exact_through_a_libsrt_listener => Some(KeyLength::Aes192),
    our_aes_256_caller_delivers_byte_exact_through_a_libsrt_listener => Some(KeyLength::Aes256),
}

async fn libsrt_caller_to_our_listener(key_len: Option<KeyLength>) {
    let (builder, query) = encryption(key_len);
    let mut listener = builder.listen(any_port()).await.unwrap();
    let in_port = free_port();
    let _libsrt = LiveTransmit::start(
        &format!("udp://127.0.0.1:{in_port}"),
        &format!("srt://{}?mode=caller{query}", listener.local_addr()),
    )
    .await;
    let feeder = Feeder::knock(loopback(in_port)).await;
    let mut accepted = common::accept_one(&mut listener).await;
    let feeding = feeder.run();
    let crypto = accepted.params().crypto.as_ref().map(|c| c.key_len);
    assert_eq!(crypto, key_len, "the negotiated encryption");
    receive_from_libsrt(&mut accepted).await;
    within("feeding", feeding).await;
}

per_encryption! { libsrt_caller_to_our_listener:
    a_libsrt_caller_delivers_byte_exact_to_our_listener => None,
    a_libsrt_aes_128_caller_delivers_byte_exact_to_our_listener => Some(KeyLength::Aes128),
    a_libsrt_aes_192_caller_delivers_byte_exact_to_our_listener => Some(KeyLength::Aes192),
    a_libsrt_aes_256_caller_delivers_byte_exact_to_our_listener => Some(KeyLength::Aes256),
}

/// Our rendezvous on 127.0.0.1 and libsrt's `srt://OURS?mode=rendezvous`
/// URI (plus `query`), bound on [`LIBSRT_HOST`].
fn rendezvous_addresses(query: &str) -> (SocketAddr, SocketAddr, String) {
    let ours = loopback(free_port());
    let probe = std::net::UdpSocket::bind((LIBSRT_HOST, 0)).unwrap();
    let theirs = probe.local_addr().unwrap();
    drop(probe);
    let uri = format!(
        "srt://{ours}?mode=rendezvous&adapter={LIBSRT_HOST}&port={}{query}",
        theirs.port()
    );
    (ours, theirs, uri)
}

async fn our_rendezvous_to_libsrt(key_len: Option<KeyLength>) {
    let (builder, query) = encryption(key_len);
    let (ours, theirs, uri) = rendezvous_addresses(&query);
    let (out, out_addr) = udp_sink().await;
    let _libsrt = LiveTransmit::start(&uri, &format!("udp://{out_addr}")).await;
    let socket = within("rendezvous", builder.rendezvous(ours, theirs))
        .await
        .unwrap();
    assert_eq!(socket.peer_addr(), theirs);
    let crypto = socket.params().crypto.as_ref().map(|c| c.key_len);
    assert_eq!(crypto, key_len, "the negotiated encryption");
    deliver_to_libsrt(socket, &out).await;
}

per_encryption! { our_rendezvous_to_libsrt:
    our_rendezvous_delivers_byte_exact_to_libsrt_on_another_address => None,
    our_aes_256_rendezvous_delivers_byte_exact_to_libsrt_on_another_address => Some(KeyLength::Aes256),
}

async fn libsrt_to_our_rendezvous(key_len: Option<KeyLength>) {
    let (builder, query) = encryption(key_len);
    let (ours, theirs, uri) = rendezvous_addresses(&query);
    let in_port = free_port();
    let _libsrt = LiveTransmit::start(&format!("udp://127.0.0.1:{in_port}"), &uri).await;
    let connecting = rt::spawn(builder.rendezvous(ours, theirs));
    let feeder = Feeder::knock(loopback(in_port)).await;
    let mut socket = within("rendezvous", connecting).await.unwrap();
    let feeding = feeder.run();
    assert_eq!(socket.peer_addr(), theirs);
    let crypto = socket.params().crypto.as_ref().map(|c| c.key_len);
    assert_eq!(crypto, key_len, "the negotiated encryption");
    receive_from_libsrt(&mut socket).await;
    within("feeding", feeding).await;
}

per_encryption! { libsrt_to_our_rendezvous:
    libsrt_on_another_address_delivers_byte_exact_to_our_rendezvous => None,
    libsrt_on_another_address_delivers_byte_exact_to_our_aes_256_rendezvous => Some(KeyLength::Aes256),
}

#[test]
fn our_caller_with_a_wrong_passphrase_is_refused_by_libsrt_with_bad_secret() {
    with_libsrt(async {
        let query = format!("&passphrase={SECRET}");
        let (libsrt, srt_addr, _out) = libsrt_listener(&query).await;
        let call = SrtSocket::builder()
            .passphrase("a different secret")
            .call(srt_addr);
        let error = within("call", call).await.expect_err("connected");
        assert_eq!(
            error.reject_reason(),
            Some(RejectReason::BadSecret),
            "{error}"
        );
        // libsrt rejected it too, for the same reason (1010, BADSECRET).
        let log = libsrt.stop();
        assert!(log.contains("REJECT): 1010"), "libsrt's log: {log}");
    });
}

/// Forwards datagrams between one client and `upstream`, and records the
/// rejection codes in the handshakes coming back: what the client was
/// told. Runs on tokio (see `rt::on_tokio`).
async fn rejection_tap(upstream: SocketAddr) -> (SocketAddr, tokio::sync::mpsc::Receiver<u32>) {
    use tokio::net::UdpSocket;
    let outer = UdpSocket::bind(any_port()).await.unwrap();
    let inner = UdpSocket::bind(any_port()).await.unwrap();
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

/// The rejection `listener` reports for the next caller.
async fn rejected_reason(listener: &mut SrtListener) -> RejectReason {
    match within("listener", listener.next()).await.unwrap() {
        Err(SrtError::IncomingRejected { reason, .. }) => reason,
        other => panic!("our listener saw {other:?}"),
    }
}

/// How our listener (made by `builder`) refused a libsrt caller with
/// `query`: the reason it reported, the code the handshake sent back to
/// libsrt carried, and libsrt's log.
async fn libsrt_caller_refused(
    builder: SrtSocketBuilder,
    query: &str,
) -> (RejectReason, u32, String) {
    let mut listener = builder.listen(any_port()).await.unwrap();
    let (tap, mut codes) = rt::on_tokio(rejection_tap(listener.local_addr())).await;
    let in_port = free_port();
    let libsrt = LiveTransmit::start(
        &format!("udp://127.0.0.1:{in_port}"),
        &format!("srt://{tap}?mode=caller{query}"),
    )
    .await;
    let _feeder = Feeder::knock(loopback(in_port)).await;
    let ours = rejected_reason(&mut listener).await;
    let on_the_wire = within("the tap", codes.recv()).await.unwrap();
    // Let libsrt log what it made of it.
    rt::sleep(Duration::from_millis(300)).await;
    (ours, on_the_wire, libsrt.stop())
}

#[test]
fn a_libsrt_caller_off_our_whitelist_is_sent_1403() {
    with_libsrt(async {
        let builder = SrtSocket::builder()
            .access_policy(srt_proto::access::Whitelist::raw().with(["allowed"]));
        let (ours, on_the_wire, log) = libsrt_caller_refused(builder, "&streamid=intruder").await;
        assert_eq!(ours.code(), 1403);
        assert_eq!(on_the_wire, 1403, "the rejection on the wire to libsrt");
        // libsrt took it as a rejection (1403 is in its application range).
        assert!(log.contains("REJECT"), "libsrt's log: {log}");
    });
}

#[test]
fn a_libsrt_caller_with_a_wrong_passphrase_is_refused_by_our_listener_with_bad_secret() {
    with_libsrt(async {
        let builder = SrtSocket::builder().passphrase(SECRET);
        let query = "&passphrase=the+wrong+secret";
        let (ours, on_the_wire, log) = libsrt_caller_refused(builder, query).await;
        assert_eq!(ours, RejectReason::BadSecret);
        assert_eq!(
            on_the_wire,
            RejectReason::BadSecret.code(),
            "the rejection sent to libsrt"
        );
        assert!(log.contains("REJECT"), "libsrt's log: {log}");
    });
}

#[test]
fn our_caller_repairs_5_percent_loss_and_reordering_to_a_libsrt_listener() {
    with_libsrt(async {
        let query = format!("&latency=300&passphrase={SECRET}");
        let (_libsrt, srt_addr, out) = libsrt_listener(&query).await;
        let relay = common::lossy_relay(srt_addr, 11).await;
        let call = SrtSocket::builder()
            .passphrase(SECRET)
            .latency(Duration::from_millis(300))
            .call(relay.local_addr());
        let mut caller = within("call", call).await.unwrap();
        futures_util::future::join(send_stream(&mut caller), expect_datagrams(&out)).await;
        let sent = caller.stats().await.unwrap().unwrap();
        assert!(sent.total.retransmitted.packets > 0, "{sent:?}");
        common::check_impaired_and_shut(relay).await;
    });
}

#[test]
fn a_libsrt_caller_through_5_percent_loss_and_reordering_delivers_in_order_to_our_listener() {
    with_libsrt(async {
        let mut listener = SrtSocket::builder()
            .passphrase(SECRET)
            .latency(Duration::from_millis(300))
            .listen(any_port())
            .await
            .unwrap();
        let relay = common::lossy_relay(listener.local_addr(), 12).await;
        let in_port = free_port();
        let _libsrt = LiveTransmit::start(
            &format!("udp://127.0.0.1:{in_port}"),
            &format!(
                "srt://{}?mode=caller&latency=300&passphrase={SECRET}",
                relay.local_addr()
            ),
        )
        .await;
        let feeder = Feeder::knock(loopback(in_port)).await;
        let mut accepted = common::accept_one(&mut listener).await;
        let feeding = feeder.run();
        receive_from_libsrt(&mut accepted).await;
        within("feeding", feeding).await;
        let received = accepted.stats().await.unwrap().unwrap();
        let repaired = received.total.received_retransmitted.packets;
        assert!(repaired > 0, "{received:?}");
        common::check_impaired_and_shut(relay).await;
    });
}

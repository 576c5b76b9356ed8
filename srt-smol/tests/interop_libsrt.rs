//! srt-smol against libsrt 1.5 (`srt-live-transmit`) on loopback, checked
//! byte-exact. Skipped with a message when `srt-live-transmit` is not
//! installed, unless `CI` is set (then it fails).

use bytes::Bytes;
use futures_util::SinkExt;
use smol::Timer;
use smol::net::UdpSocket;
use srt_smol::{SrtSocket, SrtSocketBuilder};
use std::future::Future;
use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
        let child = Command::new("srt-live-transmit")
            .args(["-a:no", input, output])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Let it bind its sockets.
        Timer::after(Duration::from_millis(300)).await;
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

/// Our smol caller into `srt-live-transmit srt://…?mode=listener{query}
/// udp://…`: all [`COUNT`] messages come out of its UDP side in order,
/// byte-exact.
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
    let mut caller = within("call", builder.call(remote)).await.unwrap();
    let sending = async {
        for i in 0..COUNT {
            caller.send((Instant::now(), message(i))).await.unwrap();
            Timer::after(Duration::from_millis(1)).await;
        }
    };
    let receiving = async {
        let mut buf = vec![0u8; 2048];
        for i in 0..COUNT {
            let len = within(&format!("message {i}"), out.recv(&mut buf))
                .await
                .unwrap();
            assert_eq!(&buf[..len], &message(i)[..], "message {i} differs");
        }
    };
    smol::future::zip(sending, receiving).await;
    within("close", caller.close()).await.unwrap();
}

#[test]
fn our_smol_caller_delivers_byte_exact_through_a_libsrt_listener() {
    if !libsrt_available() {
        return;
    }
    smol::block_on(our_caller_to_libsrt_listener(SrtSocket::builder(), ""));
}

#[test]
fn our_smol_aes_128_caller_delivers_byte_exact_through_a_libsrt_listener() {
    if !libsrt_available() {
        return;
    }
    let builder = SrtSocket::builder().passphrase(SECRET);
    let query = format!("&passphrase={SECRET}&pbkeylen=16");
    smol::block_on(our_caller_to_libsrt_listener(builder, &query));
}

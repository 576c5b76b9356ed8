//! Helpers the shared test cases use, written against the test binary's
//! `rt` module (tokio here, smol in srt-smol's tests) so one body tests
//! both adapters.
#![allow(dead_code)]

use crate::rt::{self, SrtListener, SrtSocket, SrtSocketBuilder};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use srt_proto::sim::{LinkConfig, Probability};
use srt_tokio::relay::{Relay, RelayHandle};
use std::future::Future;
use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::time::{Duration, Instant};

/// The longest any one step of a test may take.
pub const WAIT: Duration = Duration::from_secs(20);

/// `f`'s output, or a panic naming `what` if it takes longer than [`WAIT`].
pub async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    rt::timeout(WAIT, f)
        .await
        .unwrap_or_else(|| panic!("{what}: nothing within {WAIT:?}"))
}

/// Any free port on 127.0.0.1, for binding.
pub fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// A free UDP port on 127.0.0.1 (bound and released), for a peer process.
pub fn free_port() -> u16 {
    StdUdpSocket::bind(any_port())
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `127.0.0.1:port`.
pub fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Message `i`: its number, then a pattern made from it (1316 bytes, a
/// live payload's usual size).
pub fn message(i: u32) -> Bytes {
    let mut m = i.to_be_bytes().to_vec();
    m.extend((0..1312u32).map(|j| (i.wrapping_mul(31).wrapping_add(j) % 251) as u8));
    Bytes::from(m)
}

/// The next connection `listener` accepts.
pub async fn accept_one(listener: &mut SrtListener) -> SrtSocket {
    within("accept", listener.next())
        .await
        .expect("listener ended")
        .expect("caller refused")
}

/// A caller connected to a listener, both made by `builder`:
/// `(caller, accepted)`.
pub async fn pair(builder: impl Fn() -> SrtSocketBuilder) -> (SrtSocket, SrtSocket) {
    let mut listener = builder().listen(any_port()).await.unwrap();
    let addr = listener.local_addr();
    let caller = within("call", builder().call(addr)).await.unwrap();
    let accepted = accept_one(&mut listener).await;
    (caller, accepted)
}

/// Sends `count` messages paced at one per `gap`, and checks the receiver
/// gets them all, in order, byte-exact; then closes the sender.
pub async fn deliver(mut sender: SrtSocket, mut receiver: SrtSocket, count: u32, gap: Duration) {
    let sending = rt::spawn(async move {
        // No unchecked tail: the sender stays open until every message
        // arrived, and its tail-loss probe repairs a lost last packet.
        for i in 0..count {
            sender.send((Instant::now(), message(i))).await.unwrap();
            rt::sleep(gap).await;
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

#[path = "peer.rs"]
mod peer;
#[allow(unused_imports)] // not every binary runs a peer
pub use peer::peer_installed;

/// A link losing 5 % of its datagrams and reordering 2 % by 3 ms, with
/// 5 ms of latency.
pub fn lossy_link() -> LinkConfig {
    LinkConfig::new()
        .latency(Duration::from_millis(5))
        .loss(Probability::percent(5.0))
        .reorder(Probability::percent(2.0), Duration::from_millis(3))
}

/// srt-tokio's impairing relay to `upstream`, [`lossy_link`] both ways,
/// seeded with `seed`; on tokio's reactor whatever runtime the test is on.
pub async fn lossy_relay(upstream: SocketAddr, seed: u64) -> RelayHandle {
    let relay = Relay::builder()
        .listen(any_port())
        .upstream(upstream)
        .forward(lossy_link())
        .backward(lossy_link())
        .seed(seed)
        .spawn();
    rt::on_tokio(relay).await.unwrap()
}

/// Checks that `relay` really lost and reordered datagrams on the way
/// forward, then shuts it down.
pub async fn check_impaired_and_shut(relay: RelayHandle) {
    let stats = relay.stats();
    assert!(
        stats.forward.link.dropped_random > 0,
        "nothing lost: {stats}"
    );
    assert!(
        stats.forward.link.reordered > 0,
        "nothing reordered: {stats}"
    );
    rt::on_tokio(relay.shutdown()).await;
}

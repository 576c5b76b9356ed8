//! The impairment relay over loopback: a plain UDP client sends through the
//! relay to a plain UDP server, and what arrives is checked against the
//! configured impairments.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use srt_proto::sim::{LinkConfig, Probability};
use srt_proto::time::Instant;
use srt_tokio::relay::{Relay, RelayError, RelayHandle};
use tokio::net::UdpSocket;
use tokio::time::timeout;

/// How long a receiver waits for one more datagram before it decides the
/// stream has ended.
const QUIET: Duration = Duration::from_millis(300);

async fn socket() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").await.unwrap()
}

async fn relay_to(server: &UdpSocket, forward: LinkConfig) -> RelayHandle {
    Relay::builder()
        .upstream(server.local_addr().unwrap())
        .forward(forward)
        .seed(7)
        .spawn()
        .await
        .unwrap()
}

/// Sends datagrams carrying the numbers `range` (as big-endian u32, padded
/// to 100 bytes) in small paced bursts so no socket buffer overflows.
async fn send_numbered(client: &UdpSocket, to: SocketAddr, range: std::ops::Range<u32>) {
    for n in range {
        let mut payload = [0_u8; 100];
        payload[..4].copy_from_slice(&n.to_be_bytes());
        client.send_to(&payload, to).await.unwrap();
        if n % 50 == 49 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

/// Receives numbered datagrams until none has come for [`QUIET`].
async fn receive_numbers(socket: &UdpSocket) -> Vec<u32> {
    let mut numbers = Vec::new();
    let mut buf = [0_u8; 2048];
    while let Ok(Ok(len)) = timeout(QUIET, socket.recv(&mut buf)).await {
        let bytes: [u8; 4] = buf[..len.min(4)].try_into().unwrap();
        numbers.push(u32::from_be_bytes(bytes));
    }
    numbers
}

/// Sends `count` numbered datagrams through `relay` and returns what the
/// server received, receiving concurrently with the sending.
async fn send_through(relay: &RelayHandle, server: &UdpSocket, count: u32) -> Vec<u32> {
    let client = socket().await;
    let sending = send_numbered(&client, relay.local_addr(), 0..count);
    let (_, received) = tokio::join!(sending, receive_numbers(server));
    received
}

#[tokio::test]
async fn a_perfect_link_passes_every_datagram_in_order() {
    let server = socket().await;
    let relay = relay_to(&server, LinkConfig::new()).await;
    let received = send_through(&relay, &server, 1_000).await;
    assert_eq!(received, (0..1_000).collect::<Vec<_>>());
    let stats = relay.stats();
    assert_eq!(stats.forward.received, 1_000);
    assert_eq!(stats.forward.sent, 1_000);
    assert_eq!(stats.clients, 1);
}

#[tokio::test]
async fn ten_percent_loss_over_5000_datagrams_lands_within_tolerance() {
    let server = socket().await;
    let relay = relay_to(&server, LinkConfig::new().loss(Probability::percent(10.0))).await;
    let received = send_through(&relay, &server, 5_000).await;
    let stats = relay.stats();
    // Every datagram reached the relay, and everything the link let
    // through reached the server: the losses are the relay's own.
    assert_eq!(stats.forward.received, 5_000);
    assert_eq!(received.len() as u64, stats.forward.sent);
    let lost = 5_000 - received.len();
    assert_eq!(lost as u64, stats.forward.link.dropped_random);
    // Binomial(5000, 0.1): mean 500, standard deviation 21; allow ~5 sigma.
    assert!((400..=600).contains(&lost), "lost {lost} of 5000");
    // Loss alone never reorders.
    assert!(received.windows(2).all(|w| w[0] < w[1]));
}

#[tokio::test]
async fn latency_delays_each_datagram_by_at_least_the_configured_amount() {
    let server = socket().await;
    let latency = Duration::from_millis(80);
    let relay = relay_to(&server, LinkConfig::new().latency(latency)).await;
    let client = socket().await;
    for _ in 0..5 {
        let sent_at = tokio::time::Instant::now();
        client.send_to(b"ping", relay.local_addr()).await.unwrap();
        let mut buf = [0_u8; 16];
        let len = timeout(Duration::from_secs(2), server.recv(&mut buf))
            .await
            .unwrap()
            .unwrap();
        let took = sent_at.elapsed();
        assert_eq!(&buf[..len], b"ping");
        assert!(took >= latency, "arrived after {took:?}");
        // Loose: the machine may be busy, but the timer must not be
        // waiting for some other event to wake it.
        assert!(
            took < latency + Duration::from_millis(400),
            "arrived after {took:?}"
        );
    }
}

#[tokio::test]
async fn a_partition_set_at_run_time_drops_everything_until_healed() {
    let server = socket().await;
    let relay = relay_to(&server, LinkConfig::new()).await;
    assert_eq!(send_through(&relay, &server, 100).await.len(), 100);

    let now = relay.now();
    let cut = relay
        .forward_config()
        .partition(now, Instant::from_micros(u64::MAX));
    relay.set_forward(cut);
    assert!(send_through(&relay, &server, 100).await.is_empty());
    assert_eq!(relay.stats().forward.link.dropped_partition, 100);

    relay.set_forward(LinkConfig::new());
    assert_eq!(
        send_through(&relay, &server, 100).await,
        (0..100).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_partition_placed_in_relay_time_heals_by_itself() {
    let server = socket().await;
    let relay = relay_to(&server, LinkConfig::new()).await;
    let now = relay.now();
    let outage = Duration::from_millis(300);
    relay.set_forward(LinkConfig::new().partition(now, now + outage));
    assert!(send_through(&relay, &server, 20).await.is_empty());
    // send_through waited QUIET (300 ms) for stragglers: the outage is over.
    assert!(relay.now() >= now + outage);
    assert_eq!(send_through(&relay, &server, 20).await.len(), 20);
}

#[tokio::test]
async fn duplication_delivers_copies() {
    let server = socket().await;
    let relay = relay_to(&server, LinkConfig::new().duplicate(Probability::ALWAYS)).await;
    let received = send_through(&relay, &server, 200).await;
    let expected: Vec<u32> = (0..200).flat_map(|n| [n, n]).collect();
    assert_eq!(received, expected);
    assert_eq!(relay.stats().forward.link.duplicated, 200);
}

#[tokio::test]
async fn partial_duplication_shows_some_duplicates_and_loses_nothing() {
    let server = socket().await;
    let relay = relay_to(
        &server,
        LinkConfig::new().duplicate(Probability::percent(20.0)),
    )
    .await;
    let received = send_through(&relay, &server, 500).await;
    let distinct: BTreeSet<u32> = received.iter().copied().collect();
    assert_eq!(distinct, (0..500).collect());
    let duplicates = received.len() - distinct.len();
    assert_eq!(duplicates as u64, relay.stats().forward.link.duplicated);
    assert!((50..=150).contains(&duplicates), "{duplicates} duplicates");
}

#[tokio::test]
async fn reordering_lets_later_datagrams_overtake_held_back_ones() {
    let server = socket().await;
    let forward = LinkConfig::new().reorder(Probability::percent(10.0), Duration::from_millis(30));
    let relay = relay_to(&server, forward).await;
    let received = send_through(&relay, &server, 500).await;
    let mut sorted = received.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        (0..500).collect::<Vec<_>>(),
        "nothing lost or doubled"
    );
    let overtaken = received.windows(2).filter(|w| w[0] > w[1]).count();
    assert!(overtaken > 0);
    assert!(relay.stats().forward.link.reordered > 0);
}

#[tokio::test]
async fn answers_go_back_to_the_client_that_sent() {
    let server = socket().await;
    let relay = relay_to(&server, LinkConfig::new()).await;
    let alice = socket().await;
    let bob = socket().await;
    alice.send_to(b"alice", relay.local_addr()).await.unwrap();
    bob.send_to(b"bob", relay.local_addr()).await.unwrap();

    let mut buf = [0_u8; 16];
    let mut seen = BTreeSet::new();
    for _ in 0..2 {
        let (len, from) = server.recv_from(&mut buf).await.unwrap();
        // Echo each greeting back to the relay socket it came from.
        server.send_to(&buf[..len], from).await.unwrap();
        seen.insert(from);
    }
    assert_eq!(seen.len(), 2, "each client has its own upstream socket");

    let len = timeout(QUIET, alice.recv(&mut buf)).await.unwrap().unwrap();
    assert_eq!(&buf[..len], b"alice");
    let len = timeout(QUIET, bob.recv(&mut buf)).await.unwrap().unwrap();
    assert_eq!(&buf[..len], b"bob");
    let stats = relay.stats();
    assert_eq!((stats.clients, stats.backward.sent), (2, 2));
}

#[tokio::test]
async fn each_direction_has_its_own_impairments() {
    let server = socket().await;
    let relay = relay_to(&server, LinkConfig::new()).await;
    relay.set_backward(LinkConfig::new().loss(Probability::ALWAYS));
    let client = socket().await;
    client.send_to(b"hello", relay.local_addr()).await.unwrap();
    let mut buf = [0_u8; 16];
    let (len, from) = timeout(QUIET, server.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..len], b"hello", "forward is untouched");
    server.send_to(b"answer", from).await.unwrap();
    assert!(timeout(QUIET, client.recv(&mut buf)).await.is_err());
    let stats = relay.stats();
    assert_eq!(stats.backward.link.dropped_random, 1);
    assert_eq!(relay.backward_config().loss, Probability::ALWAYS);
    assert_eq!(relay.forward_config().loss, Probability::NEVER);
}

#[tokio::test]
async fn a_full_client_table_refuses_new_active_clients() {
    let server = socket().await;
    let relay = Relay::builder()
        .upstream(server.local_addr().unwrap())
        .max_clients(1)
        .spawn()
        .await
        .unwrap();
    let first = socket().await;
    let second = socket().await;
    first.send_to(b"1", relay.local_addr()).await.unwrap();
    assert_eq!(receive_numbers_raw(&server).await, vec![b"1".to_vec()]);
    second.send_to(b"2", relay.local_addr()).await.unwrap();
    assert!(receive_numbers_raw(&server).await.is_empty());
    let stats = relay.stats();
    assert_eq!((stats.clients, stats.clients_refused), (1, 1));
    assert_eq!(stats.forward.dropped_no_client, 1);
}

#[tokio::test]
async fn an_idle_client_gives_its_place_to_a_new_one() {
    let server = socket().await;
    let relay = Relay::builder()
        .upstream(server.local_addr().unwrap())
        .max_clients(1)
        .client_idle_timeout(Duration::from_millis(50))
        .spawn()
        .await
        .unwrap();
    let first = socket().await;
    let second = socket().await;
    first.send_to(b"1", relay.local_addr()).await.unwrap();
    assert_eq!(receive_numbers_raw(&server).await.len(), 1);
    second.send_to(b"2", relay.local_addr()).await.unwrap();
    assert_eq!(receive_numbers_raw(&server).await, vec![b"2".to_vec()]);
    let stats = relay.stats();
    assert_eq!((stats.clients_seen, stats.clients_evicted), (2, 1));
}

async fn receive_numbers_raw(socket: &UdpSocket) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0_u8; 2048];
    while let Ok(Ok(len)) = timeout(Duration::from_millis(150), socket.recv(&mut buf)).await {
        out.push(buf[..len].to_vec());
    }
    out
}

#[tokio::test]
async fn the_same_seed_and_arrival_order_lose_the_same_datagrams() {
    async fn lost_with_seed(seed: u64) -> Vec<u32> {
        let server = socket().await;
        let relay = Relay::builder()
            .upstream(server.local_addr().unwrap())
            .forward(LinkConfig::new().loss(Probability::percent(20.0)))
            .seed(seed)
            .spawn()
            .await
            .unwrap();
        let received: BTreeSet<u32> = send_through(&relay, &server, 300)
            .await
            .into_iter()
            .collect();
        (0..300).filter(|n| !received.contains(n)).collect()
    }
    let first = lost_with_seed(11).await;
    assert!(!first.is_empty());
    assert_eq!(first, lost_with_seed(11).await);
    assert_ne!(first, lost_with_seed(12).await);
}

#[tokio::test]
async fn a_rate_limit_with_a_small_queue_drops_a_burst_tail() {
    let server = socket().await;
    // 1 Mbit/s behind a 2000-byte queue: of a burst of 100-byte datagrams,
    // about 20 fit and the rest are tail-dropped.
    let relay = relay_to(&server, LinkConfig::new().rate(1_000_000, 2_000)).await;
    let received = send_through(&relay, &server, 50).await;
    let stats = relay.stats();
    assert!(stats.forward.link.dropped_queue > 0);
    assert_eq!(received.len() as u64 + stats.forward.link.dropped_queue, 50);
}

#[tokio::test]
async fn shutdown_releases_the_listen_address() {
    let server = socket().await;
    let relay = relay_to(&server, LinkConfig::new()).await;
    let addr = relay.local_addr();
    relay.shutdown().await;
    UdpSocket::bind(addr).await.unwrap();
}

#[tokio::test]
async fn a_relay_without_upstream_does_not_start() {
    let err = Relay::builder().spawn().await.unwrap_err();
    assert!(matches!(err, RelayError::NoUpstream));
    assert_eq!(err.to_string(), "relay: no upstream address was given");
}

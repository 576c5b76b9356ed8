//! `srt-transmit` with socket groups, in-process: a UDP stream sent into
//! a broadcast group given in libsrt's simplified and direct URI forms
//! (one path cut mid-stream) reaches our group listener whole, and a
//! `groupconnect` listener relays a grouped caller's stream to UDP.

#[allow(dead_code)]
#[path = "../examples/srt-transmit/transmit.rs"]
mod transmit;

#[path = "support/transmit.rs"]
mod transmit_support;

use futures_util::{SinkExt, StreamExt};
use srt_tokio::relay::{Relay, RelayHandle};
use srt_tokio::{Accepted, GroupMember, GroupType, SrtGroup, SrtSocket};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::time::timeout;
use transmit::Medium;
use transmit_support::{args, free_port, message, spawn_transmit};

const COUNT: u32 = 300;
/// Path a is cut before this message.
const CUT_AT: u32 = 100;
const WAIT: Duration = Duration::from_secs(10);

async fn path(upstream: SocketAddr) -> RelayHandle {
    Relay::builder()
        .listen("127.0.0.1:0".parse().unwrap())
        .upstream(upstream)
        .spawn()
        .await
        .unwrap()
}

fn cut(relay: &RelayHandle) {
    let now = relay.now();
    let until = now + Duration::from_secs(3600);
    relay.set_forward(relay.forward_config().partition(now, until));
    relay.set_backward(relay.backward_config().partition(now, until));
}

/// Sends `COUNT` datagrams to `to`, cutting `a` before [`CUT_AT`].
async fn send_datagrams(to: SocketAddr, a: Option<&RelayHandle>) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for i in 0..COUNT {
        if i == CUT_AT
            && let Some(a) = a
        {
            cut(a);
        }
        socket.send_to(&message(i), to).await.unwrap();
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn receive_group(group: &mut SrtGroup) {
    for i in 0..COUNT {
        let (_, data) = timeout(WAIT, group.next())
            .await
            .unwrap_or_else(|_| panic!("message {i} did not come"))
            .expect("group ended")
            .unwrap();
        assert_eq!(data, message(i), "message {i} (once, in order)");
    }
}

/// srt-transmit from UDP into a broadcast group written as `group` (with
/// `{a}` and `{b}` standing for the two relays' addresses).
async fn udp_into_a_group(group: &[&str]) {
    let mut listener = SrtSocket::builder()
        .group_connect(true)
        .listen("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (a, b) = (
        path(listener.local_addr()).await,
        path(listener.local_addr()).await,
    );
    let in_port = free_port();
    let input = format!("udp://127.0.0.1:{in_port}");
    let mut list = vec!["-t:4".to_owned(), input];
    list.extend(group.iter().map(|g| {
        g.replace("{a}", &a.local_addr().to_string())
            .replace("{b}", &b.local_addr().to_string())
    }));
    let list: Vec<&str> = list.iter().map(String::as_str).collect();
    let parsed = args(&list);
    assert!(matches!(parsed.output, Medium::Group(ref g) if g.nodes.len() == 2));
    let run = spawn_transmit(&list);
    let mut group = match timeout(WAIT, listener.accept()).await.unwrap() {
        Some(Ok(Accepted::Group(g))) => g,
        other => panic!("expected a group: {other:?}"),
    };
    // Both members in before the stream starts.
    timeout(WAIT, async {
        while group.members().await.unwrap().len() < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    tokio::join!(
        send_datagrams(format!("127.0.0.1:{in_port}").parse().unwrap(), Some(&a)),
        receive_group(&mut group)
    );
    let (result, log) = timeout(WAIT, run).await.unwrap().unwrap();
    assert_eq!(result.unwrap().messages, u64::from(COUNT), "{log}");
}

#[tokio::test]
async fn udp_into_a_broadcast_group_in_libsrts_simplified_form_survives_a_cut_path() {
    udp_into_a_group(&["srt://*?type=broadcast&latency=200", "{a}", "{b}?weight=1"]).await;
}

#[tokio::test]
async fn udp_into_a_broadcast_group_in_libsrts_direct_form_survives_a_cut_path() {
    udp_into_a_group(&["srt:////group?type=broadcast&nodes={a},{b}&latency=200"]).await;
}

#[tokio::test]
async fn a_groupconnect_listener_relays_a_grouped_callers_stream_to_udp() {
    let sink = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let srt_port = free_port();
    let run = spawn_transmit(&[
        &format!("srt://:{srt_port}?groupconnect=1&latency=200"),
        &format!("udp://{}", sink.local_addr().unwrap()),
    ]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let target: SocketAddr = format!("127.0.0.1:{srt_port}").parse().unwrap();
    let mut group = SrtSocket::builder()
        .latency(Duration::from_millis(200))
        .call_group(
            GroupType::Backup,
            [GroupMember::new(target).weight(2), GroupMember::new(target)],
        )
        .await
        .unwrap();
    let sending = tokio::spawn(async move {
        for i in 0..COUNT {
            group.send((Instant::now(), message(i))).await.unwrap();
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        group
    });
    let mut buf = vec![0u8; 2048];
    for i in 0..COUNT {
        let len = timeout(WAIT, sink.recv(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("message {i} did not come out"))
            .unwrap();
        assert_eq!(&buf[..len], &message(i)[..], "message {i}");
    }
    sending.await.unwrap().close().await.unwrap();
    let (result, log) = timeout(WAIT, run).await.unwrap().unwrap();
    assert_eq!(result.unwrap().messages, u64::from(COUNT), "{log}");
}

#[test]
fn group_uris_that_do_not_parse_are_usage_errors() {
    let parse = |list: &[&str]| transmit::parse_args(list.iter().map(|s| (*s).to_owned()));
    let e = parse(&["srt:////group?type=balancing&nodes=a:1", "udp://:5000"]).unwrap_err();
    assert_eq!(e.exit_code(), 2, "{e}");
    let e = parse(&["udp://:5000", "srt://*?type=backup"]).unwrap_err();
    assert_eq!(e.exit_code(), 2, "{e}");
    assert!(e.to_string().contains("at least one node"), "{e}");
}

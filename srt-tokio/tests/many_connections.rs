//! 1000 callers on one listener socket on loopback, each at a low rate,
//! all delivering; prints the process's memory. Ignored by default (it
//! takes a few seconds and a thousand sockets):
//! `cargo test -p srt-tokio --test many_connections -- --ignored --nocapture`.

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use srt_tokio::SrtSocket;
use std::time::{Duration, Instant};
use tokio::time::timeout;

const CALLERS: usize = 1000;
const MESSAGES: u32 = 5;
const WAIT: Duration = Duration::from_secs(60);
/// Long enough to repair a loss (e.g. a datagram the listener socket's
/// buffer had no room for while a thousand handshakes arrived) that is
/// only noticed when the next message, `GAP` later, arrives.
const LATENCY: Duration = Duration::from_secs(1);
const GAP: Duration = Duration::from_millis(200);

/// Resident memory of this process, kB (Linux), if known.
fn rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a thousand sockets; run on demand"]
async fn a_thousand_callers_on_one_listener_socket_all_deliver() {
    let before = rss_kb();
    let mut listener = SrtSocket::builder()
        .max_connections(CALLERS + 16)
        .latency(LATENCY)
        .listen("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = listener.local_addr();
    let started = Instant::now();

    let receivers = tokio::spawn(async move {
        let mut tasks = Vec::with_capacity(CALLERS);
        for _ in 0..CALLERS {
            let mut socket = timeout(WAIT, listener.next())
                .await
                .expect("a caller did not arrive")
                .unwrap()
                .unwrap();
            tasks.push(tokio::spawn(async move {
                let id = socket.stream_id().unwrap().to_vec();
                for i in 0..MESSAGES {
                    let (_, got) = timeout(WAIT, socket.next())
                        .await
                        .unwrap()
                        .unwrap()
                        .unwrap();
                    let mut want = id.clone();
                    want.extend_from_slice(&i.to_be_bytes());
                    assert_eq!(got, want);
                }
                socket
            }));
        }
        (listener, tasks)
    });

    let mut callers = Vec::with_capacity(CALLERS);
    for n in 0..CALLERS {
        callers.push(tokio::spawn(async move {
            let id = format!("caller {n}");
            let mut socket = timeout(
                WAIT,
                SrtSocket::builder()
                    .latency(LATENCY)
                    .stream_id(&id)
                    .call(addr),
            )
            .await
            .unwrap()
            .unwrap();
            for i in 0..MESSAGES {
                let mut message = id.clone().into_bytes();
                message.extend_from_slice(&i.to_be_bytes());
                socket
                    .send((Instant::now(), Bytes::from(message)))
                    .await
                    .unwrap();
                tokio::time::sleep(GAP).await;
            }
            socket
        }));
    }
    let mut senders = Vec::with_capacity(CALLERS);
    for caller in callers {
        senders.push(caller.await.unwrap());
    }
    let (listener, tasks) = receivers.await.unwrap();
    let mut accepted = Vec::with_capacity(CALLERS);
    for task in tasks {
        accepted.push(task.await.unwrap());
    }
    let during = rss_kb();
    println!(
        "{CALLERS} connections, {MESSAGES} messages each, all delivered in {:.1} s; \
         RSS before {before:?} kB, with {} caller sockets and one listener socket \
         carrying {} connections: {during:?} kB",
        started.elapsed().as_secs_f64(),
        senders.len(),
        accepted.len(),
    );
    drop((senders, accepted, listener));
}

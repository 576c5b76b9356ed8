//! The demo: an encrypted live stream over loopback through a lossy,
//! jittery, reordering relay, repaired by SRT, verified message by message.
//!
//! ```text
//! cargo run -p srt-tokio --example loopback
//! ```
//!
//! A listener and a caller (AES-128, passphrase) connect through
//! `srt_tokio::relay` (seeded: 5 % loss, jitter and reordering forward;
//! 1 % loss back). The caller sends 2 Mbit/s of 1316-byte messages for
//! eight seconds; each carries its number and a pattern made from it. The
//! listener checks every message, a line per second shows progress, and a
//! table of both ends' statistics and the relay's ends the run. The exit
//! status is non-zero if a message arrived corrupted or out of order.

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use srt_proto::connection::Stats;
use srt_proto::crypto::KeyLength;
use srt_proto::sim::{LinkConfig, Probability};
use srt_tokio::relay::Relay;
use srt_tokio::{SrtSocket, SrtSocketBuilder};
use std::error::Error;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tokio::time::{MissedTickBehavior, interval, sleep, timeout};

const PASSPHRASE: &str = "srt loopback demo passphrase";
const MESSAGE_LEN: usize = 1316;
const BITRATE: u64 = 2_000_000;
const SENDING: Duration = Duration::from_secs(8);
const LATENCY: Duration = Duration::from_millis(250);
const SEED: u64 = 2026;

/// Message `n`: its number (big-endian), then `"SRT #n "` repeated.
fn message(n: u32) -> Bytes {
    let mut m = Vec::with_capacity(MESSAGE_LEN);
    m.extend_from_slice(&n.to_be_bytes());
    let tag = format!("SRT #{n} ");
    while m.len() < MESSAGE_LEN {
        let room = MESSAGE_LEN - m.len();
        m.extend_from_slice(&tag.as_bytes()[..tag.len().min(room)]);
    }
    Bytes::from(m)
}

/// What the receiving side saw.
#[derive(Default)]
struct Check {
    received: u64,
    next: u32,
    missing: u64,
    corrupted: u64,
    out_of_order: u64,
}

impl Check {
    fn see(&mut self, data: &Bytes) {
        self.received += 1;
        let Some(n) = data.first_chunk::<4>().map(|b| u32::from_be_bytes(*b)) else {
            self.corrupted += 1;
            return;
        };
        if *data != message(n) {
            self.corrupted += 1;
        } else if n < self.next {
            self.out_of_order += 1;
        } else {
            self.missing += u64::from(n - self.next);
            self.next = n + 1;
        }
    }
}

fn builder() -> SrtSocketBuilder {
    SrtSocket::builder()
        .passphrase(PASSPHRASE)
        .key_length(KeyLength::Aes128)
        .latency(LATENCY)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn table(sender: &Stats, receiver: &Stats) {
    let (s, r) = (&sender.total, &receiver.total);
    let row = |name: &str, a: String, b: String| println!("  {name:<28} {a:>12} {b:>12}");
    println!();
    row("", "caller".into(), "listener".into());
    row("", "(sender)".into(), "(receiver)".into());
    row(
        "packets sent (unique)",
        s.sent_unique.packets.to_string(),
        "".into(),
    );
    row(
        "packets retransmitted",
        s.retransmitted.packets.to_string(),
        "".into(),
    );
    row(
        "losses reported by NAK",
        s.send_loss.packets.to_string(),
        "".into(),
    );
    row(
        "packets dropped (too late)",
        s.send_drop.packets.to_string(),
        r.receive_drop.packets.to_string(),
    );
    row(
        "packets received (unique)",
        "".into(),
        r.received_unique.packets.to_string(),
    );
    row(
        "packets lost on the way",
        "".into(),
        r.receive_loss.packets.to_string(),
    );
    row(
        "retransmissions received",
        "".into(),
        r.received_retransmitted.packets.to_string(),
    );
    row(
        "belated (duplicates)",
        "".into(),
        r.receive_belated.packets.to_string(),
    );
    row("NAKs", s.naks_received.to_string(), r.naks_sent.to_string());
    row("RTT", ms(sender.rtt), ms(receiver.rtt));
    row(
        "TSBPD latency",
        ms(sender.send_latency),
        ms(receiver.recv_latency),
    );
}

async fn run() -> Result<bool, Box<dyn Error>> {
    let any: SocketAddr = "127.0.0.1:0".parse()?;
    let mut listener = builder().listen(any).await?;
    let forward = LinkConfig::new()
        .latency(Duration::from_millis(10))
        .jitter(Duration::from_millis(2))
        .loss(Probability::percent(5.0))
        .reorder(Probability::percent(1.0), Duration::from_millis(5));
    let backward = LinkConfig::new()
        .latency(Duration::from_millis(10))
        .loss(Probability::percent(1.0));
    let relay = Relay::builder()
        .listen(any)
        .upstream(listener.local_addr())
        .forward(forward)
        .backward(backward)
        .seed(SEED)
        .spawn()
        .await?;
    println!(
        "listener {}  <-  relay {} (5 % loss, jitter, reordering; seed {SEED})  <-  caller",
        listener.local_addr(),
        relay.local_addr()
    );
    let wait = Duration::from_secs(5);
    let mut caller = timeout(wait, builder().call(relay.local_addr())).await??;
    let mut accepted = timeout(wait, listener.next())
        .await?
        .ok_or("listener ended")??;
    let cipher = accepted
        .params()
        .crypto
        .as_ref()
        .map(|c| (c.mode, c.key_len));
    println!("connected, encryption {cipher:?}, latency {}", ms(LATENCY));
    println!();

    let per_message = Duration::from_secs_f64((MESSAGE_LEN as f64 * 8.0) / BITRATE as f64);
    let mut send_tick = interval(per_message);
    send_tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut report = interval(Duration::from_secs(1));
    report.tick().await;
    let start = Instant::now();
    let mut sent: u32 = 0;
    let mut check = Check::default();
    let mut sending = true;
    let finish = sleep(SENDING + LATENCY * 2 + Duration::from_millis(500));
    tokio::pin!(finish);

    loop {
        tokio::select! {
            _ = send_tick.tick(), if sending => {
                caller.send((Instant::now(), message(sent))).await?;
                sent += 1;
                sending = start.elapsed() < SENDING;
            }
            got = accepted.next() => match got {
                Some(Ok((_, data))) => check.see(&data),
                Some(Err(e)) => return Err(e.into()),
                None => return Err("the connection closed early".into()),
            },
            _ = report.tick() => {
                let s = caller.stats().await?.ok_or("caller gone")?;
                let r = accepted.stats().await?.ok_or("listener side gone")?;
                println!(
                    "{:>4.1} s  sent {:>5}  received {:>5}  retransmitted {:>4}  lost {:>4}  dropped {:>3}  RTT {}",
                    start.elapsed().as_secs_f64(),
                    sent,
                    check.received,
                    s.total.retransmitted.packets,
                    r.total.receive_loss.packets,
                    r.total.receive_drop.packets,
                    ms(r.rtt),
                );
            }
            () = &mut finish => break,
        }
    }

    let sender = caller.stats().await?.ok_or("caller gone")?;
    let receiver = accepted.stats().await?.ok_or("listener side gone")?;
    timeout(wait, caller.close()).await??;
    let relay_stats = relay.stats();
    relay.shutdown().await;

    table(&sender, &receiver);
    println!();
    println!("relay:");
    for line in relay_stats.to_string().lines() {
        println!("  {line}");
    }
    println!();
    let missing_at_end = u64::from(sent - check.next);
    println!(
        "messages: {sent} sent, {} received, {} missing, {} corrupted, {} out of order",
        check.received,
        check.missing + missing_at_end,
        check.corrupted,
        check.out_of_order
    );
    Ok(check.corrupted == 0 && check.out_of_order == 0)
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(true) => {
            println!("every received message verified, in order");
            ExitCode::SUCCESS
        }
        Ok(false) => {
            println!("FAILED: corrupted or out-of-order messages");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("loopback: {e}");
            ExitCode::FAILURE
        }
    }
}

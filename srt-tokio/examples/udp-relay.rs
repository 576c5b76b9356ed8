//! A UDP impairment relay for the command line: netem in user space.
//!
//! ```text
//! cargo run -p srt-tokio --example udp-relay -- \
//!     --listen 127.0.0.1:5000 --upstream 127.0.0.1:6000 \
//!     --loss 5% --delay 20ms --jitter 5ms --seed 7 --stats 1s
//! ```
//!
//! Point the sender at the listen address instead of the upstream. Every
//! impairment applies to both directions unless `--direction` says
//! otherwise. Run with `--help` for the options.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use srt_tokio::proto::sim::{LinkConfig, Probability};
use srt_tokio::relay::{Relay, RelayStats};

const USAGE: &str = "\
usage: udp-relay --listen ADDR:PORT --upstream ADDR:PORT [options]

Forwards UDP datagrams from --listen to --upstream and the answers back,
impaired by a seeded link model (srt_proto::sim).

options (each impairment applies to --direction, default both):
  --preset NAME         start from lan, wifi, cellular, satellite or lossy-internet
  --loss P%             independent random loss
  --burst G2B%,B2G%[,LOSS%]
                        Gilbert-Elliott bursty loss: chance per datagram to
                        enter and to leave the bad state, and the loss in it
                        (default 100%)
  --delay D             one-way latency (e.g. 20ms, 1.5s, 500us)
  --jitter D            delay varies within delay +- jitter (never reorders)
  --dup P%              duplicate datagrams
  --reorder P%[,D]      hold back datagrams by D (default 10ms) so later ones overtake
  --rate R              bottleneck rate: bit, kbit, mbit or gbit per second
  --queue BYTES         the bottleneck's queue (default 100 ms at --rate, at least 16384)
  --direction forward|backward|both
  --seed N              seed of the random decisions (default 0)
  --max-clients N       client table size (default 64)
  --stats D             print statistics every D (default 1s; 0 for never)
  --duration D          stop after D (default: run until Ctrl-C)
  --help";

/// Which directions the impairments apply to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Forward,
    Backward,
    Both,
}

struct Args {
    listen: SocketAddr,
    upstream: SocketAddr,
    link: LinkConfig,
    direction: Direction,
    seed: u64,
    max_clients: usize,
    stats: Duration,
    duration: Option<Duration>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("udp-relay: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let (forward, backward) = match args.direction {
        Direction::Forward => (args.link, LinkConfig::new()),
        Direction::Backward => (LinkConfig::new(), args.link),
        Direction::Both => (args.link.clone(), args.link),
    };
    let relay = match Relay::builder()
        .listen(args.listen)
        .upstream(args.upstream)
        .forward(forward)
        .backward(backward)
        .seed(args.seed)
        .max_clients(args.max_clients)
        .spawn()
        .await
    {
        Ok(relay) => relay,
        Err(e) => {
            eprintln!("udp-relay: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "udp-relay: {} -> {} (seed {})",
        relay.local_addr(),
        relay.upstream(),
        args.seed
    );

    let stop = async {
        match args.duration {
            Some(d) => tokio::time::sleep(d).await,
            None => {
                // If Ctrl-C cannot be caught, run until killed.
                if tokio::signal::ctrl_c().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        }
    };
    tokio::pin!(stop);
    let mut last = RelayStats::default();
    let period = (!args.stats.is_zero()).then_some(args.stats);
    let mut ticker = tokio::time::interval(period.unwrap_or(Duration::from_secs(3600)));
    ticker.tick().await;
    loop {
        tokio::select! {
            () = &mut stop => break,
            _ = ticker.tick(), if period.is_some() => {
                let stats = relay.stats();
                print_rates(&last, &stats, args.stats);
                last = stats;
            }
        }
    }
    println!("{}", relay.stats());
    relay.shutdown().await;
    ExitCode::SUCCESS
}

/// One line per period: packets and bits per second each way, then the
/// totals.
fn print_rates(last: &RelayStats, now: &RelayStats, period: Duration) {
    let secs = period.as_secs_f64();
    let rate = |bytes: u64, before: u64| bytes.saturating_sub(before) as f64 * 8.0 / secs / 1e6;
    println!(
        "fwd {:>8.3} Mbit/s  bwd {:>8.3} Mbit/s  | total: fwd lost {} dup {}  bwd lost {} dup {}  clients {}",
        rate(now.forward.sent_bytes, last.forward.sent_bytes),
        rate(now.backward.sent_bytes, last.backward.sent_bytes),
        lost(now, true),
        now.forward.link.duplicated,
        lost(now, false),
        now.backward.link.duplicated,
        now.clients,
    );
}

fn lost(stats: &RelayStats, forward: bool) -> u64 {
    let d = if forward {
        &stats.forward
    } else {
        &stats.backward
    };
    d.link
        .dropped_random
        .saturating_add(d.link.dropped_burst)
        .saturating_add(d.link.dropped_queue)
        .saturating_add(d.link.dropped_partition)
        .saturating_add(d.dropped_overflow)
}

/// The arguments, or `None` for `--help`.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut listen = None;
    let mut upstream = None;
    let mut link = LinkConfig::new();
    let mut direction = Direction::Both;
    let mut seed = 0;
    let mut max_clients = 64;
    let mut stats = Duration::from_secs(1);
    let mut duration = None;
    let mut rate = None;
    let mut queue = None;
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Ok(None);
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |what: &str| format!("{flag} {value}: {what}");
        match flag.as_str() {
            "--listen" => listen = Some(value.parse().map_err(|_| bad("not ADDR:PORT"))?),
            "--upstream" => upstream = Some(value.parse().map_err(|_| bad("not ADDR:PORT"))?),
            "--preset" => {
                link = match value.as_str() {
                    "lan" => LinkConfig::lan(),
                    "wifi" => LinkConfig::wifi(),
                    "cellular" => LinkConfig::cellular(),
                    "satellite" => LinkConfig::satellite(),
                    "lossy-internet" => LinkConfig::lossy_internet(),
                    _ => return Err(bad("unknown preset")),
                }
            }
            "--loss" => link = link.loss(percent(&value).ok_or_else(|| bad("not a percentage"))?),
            "--burst" => {
                let parts: Vec<_> = value.split(',').map(percent).collect();
                let (g2b, b2g, in_bad) = match parts.as_slice() {
                    [Some(g), Some(b)] => (*g, *b, Probability::ALWAYS),
                    [Some(g), Some(b), Some(l)] => (*g, *b, *l),
                    _ => return Err(bad("expected G2B%,B2G%[,LOSS%]")),
                };
                link = link.gilbert_elliott(g2b, b2g, Probability::NEVER, in_bad);
            }
            "--delay" => {
                link = link.latency(duration_arg(&value).ok_or_else(|| bad("not a duration"))?)
            }
            "--jitter" => {
                link = link.jitter(duration_arg(&value).ok_or_else(|| bad("not a duration"))?)
            }
            "--dup" => {
                link = link.duplicate(percent(&value).ok_or_else(|| bad("not a percentage"))?)
            }
            "--reorder" => {
                let (p, d) = value.split_once(',').unwrap_or((&value, "10ms"));
                let p = percent(p).ok_or_else(|| bad("not a percentage"))?;
                let d = duration_arg(d).ok_or_else(|| bad("not a duration"))?;
                link = link.reorder(p, d);
            }
            "--rate" => {
                rate = Some(bits_per_second(&value).ok_or_else(|| bad("expected e.g. 10mbit"))?)
            }
            "--queue" => {
                queue = Some(
                    value
                        .parse::<usize>()
                        .map_err(|_| bad("not a byte count"))?,
                )
            }
            "--direction" => {
                direction = match value.as_str() {
                    "forward" => Direction::Forward,
                    "backward" => Direction::Backward,
                    "both" => Direction::Both,
                    _ => return Err(bad("expected forward, backward or both")),
                }
            }
            "--seed" => seed = value.parse().map_err(|_| bad("not a number"))?,
            "--max-clients" => max_clients = value.parse().map_err(|_| bad("not a number"))?,
            "--stats" => stats = duration_arg(&value).ok_or_else(|| bad("not a duration"))?,
            "--duration" => {
                duration = Some(duration_arg(&value).ok_or_else(|| bad("not a duration"))?)
            }
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if let Some(bps) = rate {
        // Default queue: 100 ms worth of data at the rate.
        let default_queue = usize::try_from(bps / 80).unwrap_or(usize::MAX).max(16_384);
        link = link.rate(bps, queue.unwrap_or(default_queue));
    } else if queue.is_some() {
        return Err("--queue needs --rate".to_owned());
    }
    Ok(Some(Args {
        listen: listen.ok_or("--listen is required")?,
        upstream: upstream.ok_or("--upstream is required")?,
        link,
        direction,
        seed,
        max_clients,
        stats,
        duration,
    }))
}

/// `5%`, `5` or `0.5%`.
fn percent(text: &str) -> Option<Probability> {
    let number: f64 = text.strip_suffix('%').unwrap_or(text).parse().ok()?;
    (0.0..=100.0)
        .contains(&number)
        .then(|| Probability::percent(number))
}

/// `20ms`, `1.5s`, `500us`, `0`.
fn duration_arg(text: &str) -> Option<Duration> {
    if text == "0" {
        return Some(Duration::ZERO);
    }
    let (number, scale) = if let Some(n) = text.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else {
        return None;
    };
    let seconds = number.parse::<f64>().ok()? * scale;
    Duration::try_from_secs_f64(seconds).ok()
}

/// `10mbit`, `500kbit`, `1gbit`, `64000bit`.
fn bits_per_second(text: &str) -> Option<u64> {
    let lower = text.to_ascii_lowercase();
    let (number, scale) = if let Some(n) = lower.strip_suffix("gbit") {
        (n.to_owned(), 1e9)
    } else if let Some(n) = lower.strip_suffix("mbit") {
        (n.to_owned(), 1e6)
    } else if let Some(n) = lower.strip_suffix("kbit") {
        (n.to_owned(), 1e3)
    } else if let Some(n) = lower.strip_suffix("bit") {
        (n.to_owned(), 1.0)
    } else {
        return None;
    };
    let bps = number.parse::<f64>().ok()? * scale;
    (1.0..1e15).contains(&bps).then_some(bps as u64)
}

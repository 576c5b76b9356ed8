//! A UDP load generator and sink for benchmarks (`benches/srt_transmit.sh`).
//!
//! ```text
//! udp-load send ADDR:PORT MBIT SECONDS [SIZE]   # paced datagrams of SIZE (1316) bytes
//! udp-load recv ADDR:PORT SECONDS               # counts what arrives
//! ```
//!
//! `send` prints `sent PACKETS BYTES SECONDS`; `recv` listens for at most
//! SECONDS after the first datagram (or until 2 s pass without one) and
//! prints `received PACKETS BYTES SECONDS` (from the first datagram to the
//! last).

use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const USAGE: &str =
    "usage: udp-load send ADDR:PORT MBIT SECONDS [SIZE] | udp-load recv ADDR:PORT SECONDS";

/// Why a run failed.
#[derive(Debug)]
enum LoadError {
    Usage(String),
    Io(std::io::Error),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Usage(m) => write!(f, "{m}\n{USAGE}"),
            Self::Io(e) => write!(f, "socket error: {e}"),
        }
    }
}

impl From<std::io::Error> for LoadError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

fn arg<T: std::str::FromStr>(args: &[String], i: usize, what: &str) -> Result<T, LoadError> {
    let text = args
        .get(i)
        .ok_or_else(|| LoadError::Usage(format!("missing {what}")))?;
    text.parse()
        .map_err(|_| LoadError::Usage(format!("invalid {what}: {text:?}")))
}

/// Sends `mbit` Mbit/s of `size`-byte datagrams for `seconds`, paced in
/// 1 ms slots.
fn send(to: SocketAddr, mbit: f64, seconds: f64, size: usize) -> Result<(), LoadError> {
    let socket = UdpSocket::bind(if to.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" })?;
    let per_second = mbit * 1e6 / 8.0 / size as f64;
    let total = (per_second * seconds) as u64;
    let mut datagram = vec![0u8; size];
    let start = Instant::now();
    let mut sent = 0u64;
    while sent < total {
        let due = ((start.elapsed().as_secs_f64() * per_second) as u64 + 1).min(total);
        while sent < due {
            if let Some(head) = datagram.first_chunk_mut::<8>() {
                *head = sent.to_be_bytes();
            }
            // A full socket buffer (ENOBUFS) only delays the datagram.
            if socket.send_to(&datagram, to).is_ok() {
                sent += 1;
            }
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    println!(
        "sent {sent} {} {:.3}",
        sent * size as u64,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `SO_RCVBUF` the counting side asks for, bytes.
const RECV_BUFFER: usize = 32 * 1024 * 1024;

/// Counts datagrams arriving on `bind`.
fn recv(bind: SocketAddr, seconds: f64) -> Result<(), LoadError> {
    let socket = UdpSocket::bind(bind)?;
    // A large kernel queue, so what the relay delivers is not dropped here
    // while this thread is off the CPU (the default ~208 KB holds ~2 ms
    // at 1 Gbit/s); Linux caps it at net.core.rmem_max.
    let _ = socket2::SockRef::from(&socket).set_recv_buffer_size(RECV_BUFFER);
    socket.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut buf = vec![0u8; 65536];
    let (mut packets, mut bytes) = (0u64, 0u64);
    let mut first: Option<Instant> = None;
    let mut last = Instant::now();
    let overall = Instant::now();
    loop {
        if let Some(first) = first
            && first.elapsed().as_secs_f64() > seconds
        {
            break;
        }
        match socket.recv(&mut buf) {
            Ok(n) => {
                last = Instant::now();
                first.get_or_insert(last);
                packets += 1;
                bytes += n as u64;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                // Idle: stop once data came and went, or after a minute
                // of nothing.
                if first.is_some() || overall.elapsed() > Duration::from_secs(60) {
                    break;
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    let span = first.map_or(0.0, |f| last.duration_since(f).as_secs_f64());
    println!("received {packets} {bytes} {span:.3}");
    Ok(())
}

fn run(args: &[String]) -> Result<(), LoadError> {
    match args.first().map(String::as_str) {
        Some("send") => {
            let size = if args.len() > 4 {
                arg(args, 4, "SIZE")?
            } else {
                1316
            };
            send(
                arg(args, 1, "ADDR:PORT")?,
                arg(args, 2, "MBIT")?,
                arg(args, 3, "SECONDS")?,
                size,
            )
        }
        Some("recv") => recv(arg(args, 1, "ADDR:PORT")?, arg(args, 2, "SECONDS")?),
        _ => Err(LoadError::Usage("expected send or recv".to_owned())),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("udp-load: {e}");
            ExitCode::from(2)
        }
    }
}

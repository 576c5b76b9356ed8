//! A UDP relay per member path, which a test can cut and heal mid-stream,
//! counting what it carries.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Counters of one relay direction.
#[derive(Default)]
pub struct Counts {
    /// Datagrams forwarded.
    pub forwarded: AtomicU64,
    /// Of those, SRT data packets (first bit 0).
    pub data: AtomicU64,
    /// Of the data packets, those encrypted (KK bits set).
    pub encrypted: AtomicU64,
    /// Datagrams dropped because the link was cut.
    pub dropped: AtomicU64,
    /// When the first data packet passed.
    pub first_data: Mutex<Option<Instant>>,
}

/// A UDP relay for one member path: whatever reaches its address goes to
/// `target` from a socket of its own, and the answers go back to whoever
/// sent first. `cut()` drops everything in both directions until `heal()`.
pub struct Relay {
    addr: SocketAddr,
    cut: Arc<AtomicBool>,
    cut_at: Mutex<Option<Instant>>,
    stop: Arc<AtomicBool>,
    /// Towards the target (the member's caller side to its listener side).
    pub upstream: Arc<Counts>,
    /// From the target back.
    pub downstream: Arc<Counts>,
    threads: Vec<JoinHandle<()>>,
}

impl Relay {
    /// A relay on a fresh loopback port forwarding to `target`.
    pub fn start(target: SocketAddr) -> Self {
        let front = UdpSocket::bind("127.0.0.1:0").unwrap();
        let back = UdpSocket::bind("127.0.0.1:0").unwrap();
        back.connect(target).unwrap();
        for s in [&front, &back] {
            s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        }
        let addr = front.local_addr().unwrap();
        let cut = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let upstream = Arc::new(Counts::default());
        let downstream = Arc::new(Counts::default());
        let client: Arc<Mutex<Option<SocketAddr>>> = Arc::default();
        let front = Arc::new(front);
        let back = Arc::new(back);

        let up = {
            let (front, back) = (front.clone(), back.clone());
            let (cut, stop, counts, client) =
                (cut.clone(), stop.clone(), upstream.clone(), client.clone());
            std::thread::spawn(move || {
                let mut buf = [0u8; 2048];
                while !stop.load(Ordering::Relaxed) {
                    let Ok((n, from)) = front.recv_from(&mut buf) else {
                        continue;
                    };
                    client.lock().unwrap().get_or_insert(from);
                    forward(&back, None, &buf[..n], &cut, &counts);
                }
            })
        };
        let down = {
            let (cut, stop, counts) = (cut.clone(), stop.clone(), downstream.clone());
            std::thread::spawn(move || {
                let mut buf = [0u8; 2048];
                while !stop.load(Ordering::Relaxed) {
                    let Ok(n) = back.recv(&mut buf) else {
                        continue;
                    };
                    let to = *client.lock().unwrap();
                    if let Some(to) = to {
                        forward(&front, Some(to), &buf[..n], &cut, &counts);
                    }
                }
            })
        };
        Self {
            addr,
            cut,
            cut_at: Mutex::new(None),
            stop,
            upstream,
            downstream,
            threads: vec![up, down],
        }
    }

    /// Where members connect to reach the target through this relay.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The link goes dead: nothing passes either way.
    pub fn cut(&self) {
        self.cut_at.lock().unwrap().get_or_insert_with(Instant::now);
        self.cut.store(true, Ordering::SeqCst);
    }

    /// When the link was first cut.
    pub fn cut_at(&self) -> Option<Instant> {
        *self.cut_at.lock().unwrap()
    }

    /// When the first data packet went towards the target.
    pub fn first_data_up(&self) -> Option<Instant> {
        *self.upstream.first_data.lock().unwrap()
    }

    /// The link comes back.
    pub fn heal(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }

    /// Data packets carried towards the target so far.
    pub fn data_up(&self) -> u64 {
        self.upstream.data.load(Ordering::SeqCst)
    }

    /// Encrypted data packets carried towards the target so far.
    pub fn encrypted_up(&self) -> u64 {
        self.upstream.encrypted.load(Ordering::SeqCst)
    }

    /// Data packets carried back from the target so far.
    pub fn data_down(&self) -> u64 {
        self.downstream.data.load(Ordering::SeqCst)
    }
}

/// How long the relay holds each handshake packet.
const HANDSHAKE_DELAY: Duration = Duration::from_millis(10);

fn forward(
    socket: &UdpSocket,
    to: Option<SocketAddr>,
    data: &[u8],
    cut: &AtomicBool,
    counts: &Counts,
) {
    if cut.load(Ordering::SeqCst) {
        counts.dropped.fetch_add(1, Ordering::Relaxed);
        return;
    }
    if data.starts_with(&[0x80, 0x00]) {
        // A handshake: give it a real network's round trip. On bare
        // loopback libsrt 1.5.1's srt_connect_group can finish a member's
        // handshake (in its receive thread) before it marks that member
        // PENDING (in the calling thread), which then overwrites IDLE and
        // leaves the member pending for good.
        std::thread::sleep(HANDSHAKE_DELAY);
    }
    let sent = match to {
        Some(to) => socket.send_to(data, to),
        None => socket.send(data),
    };
    if sent.is_ok() {
        counts.forwarded.fetch_add(1, Ordering::Relaxed);
        if data.first().is_some_and(|b| b & 0x80 == 0) {
            if counts.data.fetch_add(1, Ordering::SeqCst) == 0 {
                *counts.first_data.lock().unwrap() = Some(Instant::now());
            }
            // Word 1 of a data packet: PP O KK R then the message number.
            if data.get(4).is_some_and(|b| b & 0x18 != 0) {
                counts.encrypted.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

//! Our `Endpoint` against libsrt 1.5.1 (`srt-live-transmit`) over real
//! loopback UDP, driven by a minimal std event loop: a libsrt listener
//! takes our caller's messages (plain and encrypted), a libsrt caller
//! (plain and encrypted) delivers to our listener, and a rendezvous with
//! libsrt connects and carries data whichever side wins the cookie contest
//! (each rendezvous peer sends from its own initial sequence number, as
//! libsrt's do). Skipped when `srt-live-transmit` is not installed
//! (required in CI).

use bytes::Bytes;
use srt_proto::connection::SendOptions;
use srt_proto::crypto::Passphrase;
use srt_proto::handshake::HandshakeConfig;
use srt_proto::time::Instant;
use srt_proto::{ConnectionId, Endpoint, EndpointConfig, Event, Input, ListenConfig, Output};
use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn libsrt_available() -> bool {
    let found = Command::new("srt-live-transmit")
        .arg("-version")
        .output()
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

/// A free UDP port on loopback (bound and released).
fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// srt-live-transmit, killed when dropped.
struct Libsrt(Child);

impl Libsrt {
    fn start(input: &str, output: &str) -> Self {
        let child = Command::new("srt-live-transmit")
            .args(["-q", "-a:no", input, output])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Give it time to bind its sockets.
        std::thread::sleep(Duration::from_millis(300));
        Self(child)
    }
}

impl Drop for Libsrt {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An endpoint on a real UDP socket, with the std clock mapped onto the
/// crate's.
struct Driver {
    socket: UdpSocket,
    ep: Endpoint,
    t0: std::time::Instant,
    events: Vec<Event>,
}

impl Driver {
    fn new(seed: u8) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        Self {
            socket,
            ep: Endpoint::new(EndpointConfig::default(), [seed; 32]),
            t0: std::time::Instant::now(),
            events: Vec::new(),
        }
    }

    fn addr(&self) -> SocketAddr {
        self.socket.local_addr().unwrap()
    }

    fn now(&self) -> Instant {
        Instant::from_micros(self.t0.elapsed().as_micros() as u64)
    }

    fn input(&mut self, input: Input) {
        let now = self.now();
        for output in self.ep.handle_input(input, now) {
            match output {
                Output::Transmit { to, data } => {
                    self.socket.send_to(&data, to).unwrap();
                }
                Output::Event(e) => self.events.push(e),
                Output::Timeout(_) => {}
            }
        }
    }

    /// Runs the loop for `duration` or until `done` says so.
    fn run(&mut self, duration: Duration, mut done: impl FnMut(&[Event]) -> bool) {
        let end = std::time::Instant::now() + duration;
        let mut buf = vec![0u8; 2048];
        while std::time::Instant::now() < end && !done(&self.events) {
            let now = self.now();
            let wait = self
                .ep
                .next_timeout()
                .map_or(Duration::from_millis(5), |t| t.duration_since(now))
                .clamp(Duration::from_micros(200), Duration::from_millis(5));
            self.socket.set_read_timeout(Some(wait)).unwrap();
            if let Ok((n, from)) = self.socket.recv_from(&mut buf) {
                let data = Bytes::copy_from_slice(&buf[..n]);
                self.input(Input::Datagram { from, data });
            }
            if self.ep.next_timeout().is_some_and(|t| t <= self.now()) {
                self.input(Input::Timeout);
            }
        }
    }

    /// Runs until a handshake ends: connected, rejected or failed.
    fn run_until_settled(&mut self, duration: Duration) {
        self.run(duration, |e| {
            e.iter().any(|e| {
                matches!(
                    e,
                    Event::Connected { .. } | Event::Rejected { .. } | Event::Failed { .. }
                )
            })
        });
    }

    fn connected(&self) -> Option<ConnectionId> {
        self.events.iter().find_map(|e| match e {
            Event::Connected { conn, .. } => Some(*conn),
            _ => None,
        })
    }

    fn messages(&self) -> Vec<Bytes> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Message { data, .. } => Some(data.clone()),
                _ => None,
            })
            .collect()
    }
}

fn payload(i: usize) -> Bytes {
    let mut v = format!("interop message {i:04} ").into_bytes();
    v.resize(188, b'.');
    Bytes::from(v)
}

/// Our caller to a libsrt listener that forwards to a UDP socket we read.
/// Sends the 50 numbered payloads on `conn`, 5 ms apart, and returns what
/// libsrt wrote to `sink`: the endpoint keeps running (retransmissions,
/// ACKs) while the sink is read, until 50 came out or 5 s passed (a loaded
/// machine can hold libsrt's output back well past its latency).
fn send_fifty(d: &mut Driver, conn: ConnectionId, sink: &UdpSocket) -> Vec<Bytes> {
    for i in 0..50 {
        d.input(Input::Send {
            conn,
            data: payload(i),
            options: SendOptions::default(),
        });
        d.run(Duration::from_millis(5), |_| false);
    }
    sink.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 2048];
    let mut got = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while got.len() < 50 && std::time::Instant::now() < deadline {
        d.run(Duration::from_millis(50), |_| false);
        while let Ok(n) = sink.recv(&mut buf) {
            got.push(Bytes::copy_from_slice(&buf[..n]));
        }
    }
    // Anything more (a duplicate) would show in the comparison.
    d.run(Duration::from_millis(100), |_| false);
    while let Ok(n) = sink.recv(&mut buf) {
        got.push(Bytes::copy_from_slice(&buf[..n]));
    }
    got
}

fn caller_to_libsrt_listener(params: &str, config: HandshakeConfig) {
    let srt_port = free_port();
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    let sink_addr = sink.local_addr().unwrap();
    let _libsrt = Libsrt::start(
        &format!("srt://:{srt_port}?mode=listener{params}"),
        &format!("udp://{sink_addr}"),
    );
    let mut d = Driver::new(1);
    let remote: SocketAddr = format!("127.0.0.1:{srt_port}").parse().unwrap();
    d.input(Input::Connect {
        remote,
        config: Box::new(config),
    });
    d.run_until_settled(Duration::from_secs(4));
    let conn = d.connected().unwrap_or_else(|| panic!("{:?}", d.events));
    assert_eq!(
        send_fifty(&mut d, conn, &sink),
        (0..50).map(payload).collect::<Vec<_>>()
    );
}

#[test]
fn our_caller_sends_to_a_libsrt_listener() {
    if libsrt_available() {
        caller_to_libsrt_listener("", HandshakeConfig::default());
    }
}

#[test]
fn our_encrypted_caller_sends_to_a_libsrt_listener() {
    if libsrt_available() {
        let secret = Passphrase::new(b"interop-passphrase").unwrap();
        caller_to_libsrt_listener(
            "&passphrase=interop-passphrase",
            HandshakeConfig::default().with_passphrase(secret),
        );
    }
}

/// srt-live-transmit (UDP in, SRT caller with `params`) into our listener
/// configured with `config`: feeds it until we are connected, checks the
/// connection with `check_connected`, then sends fifty numbered messages
/// and expects exactly them.
fn libsrt_caller_to_our_listener(
    seed: u8,
    params: &str,
    config: HandshakeConfig,
    check_connected: impl FnOnce(&[Event]),
) {
    let mut d = Driver::new(seed);
    d.input(Input::Listen(Box::new(ListenConfig::new(config))));
    let feed_port = free_port();
    let _libsrt = Libsrt::start(
        &format!("udp://:{feed_port}"),
        &format!("srt://{}{params}", d.addr()),
    );
    let feeder = UdpSocket::bind("127.0.0.1:0").unwrap();
    let feed_addr: SocketAddr = format!("127.0.0.1:{feed_port}").parse().unwrap();
    // srt-live-transmit connects when its input has data: keep feeding
    // until we are connected, then send the numbered messages.
    for _ in 0..200 {
        feeder.send_to(b"warm-up", feed_addr).unwrap();
        d.run(Duration::from_millis(20), |_| false);
        if d.connected().is_some() {
            break;
        }
    }
    check_connected(&d.events);
    d.run(Duration::from_millis(300), |_| false);
    for i in 0..50 {
        feeder.send_to(&payload(i), feed_addr).unwrap();
        d.run(Duration::from_millis(5), |_| false);
    }
    d.run(Duration::from_millis(800), |_| false);
    let got: Vec<_> = d
        .messages()
        .into_iter()
        .filter(|m| m.as_ref() != b"warm-up")
        .collect();
    let expected: Vec<_> = (0..50).map(payload).collect();
    assert_eq!(got, expected);
}

#[test]
fn a_libsrt_caller_delivers_to_our_listener() {
    if !libsrt_available() {
        return;
    }
    libsrt_caller_to_our_listener(2, "", HandshakeConfig::default(), |events| {
        let connected = events.iter().any(|e| matches!(e, Event::Connected { .. }));
        assert!(connected, "{events:?}");
    });
}

#[test]
fn an_encrypted_libsrt_caller_delivers_to_our_listener() {
    if !libsrt_available() {
        return;
    }
    let secret = Passphrase::new(b"interop-passphrase").unwrap();
    libsrt_caller_to_our_listener(
        3,
        "?passphrase=interop-passphrase",
        HandshakeConfig::default().with_passphrase(secret),
        |events| {
            let encrypted = events
                .iter()
                .any(|e| matches!(e, Event::Connected { params, .. } if params.crypto.is_some()));
            assert!(encrypted, "{events:?}");
        },
    );
}

/// Our endpoint (seeded `seed`) in rendezvous with a libsrt that writes
/// what it receives to the returned UDP sink; run until the handshake
/// settles.
fn rendezvous_with_libsrt(seed: u8) -> (Driver, UdpSocket, Libsrt) {
    let mut d = Driver::new(seed);
    let libsrt_port = free_port();
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    let libsrt = Libsrt::start(
        &format!("srt://{}?mode=rendezvous&port={libsrt_port}", d.addr()),
        &format!("udp://{}", sink.local_addr().unwrap()),
    );
    let remote: SocketAddr = format!("127.0.0.1:{libsrt_port}").parse().unwrap();
    d.input(Input::Rendezvous {
        remote,
        config: Box::new(HandshakeConfig::default()),
    });
    d.run_until_settled(Duration::from_secs(5));
    (d, sink, libsrt)
}

#[test]
fn rendezvous_with_libsrt_connects_both_sides() {
    if !libsrt_available() {
        return;
    }
    let (mut d, _sink, _libsrt) = rendezvous_with_libsrt(4);
    assert!(d.connected().is_some(), "{:?}", d.events);
    // libsrt is connected too: it keeps the connection (no SHUTDOWN, no
    // rejection) and answers our keepalives.
    d.run(Duration::from_millis(1500), |_| false);
    assert!(
        !d.events.iter().any(|e| matches!(e, Event::Closed { .. })),
        "{:?}",
        d.events
    );
}

/// Our rendezvous peer sends 50 messages that libsrt writes to a UDP sink.
/// Each side sends from its own initial sequence number (libsrt's way), so
/// this holds whichever side wins the cookie contest: the seeds give our
/// endpoint different cookies, so both outcomes occur across them.
#[test]
fn rendezvous_with_libsrt_carries_data_whoever_wins_the_cookie_contest() {
    if !libsrt_available() {
        return;
    }
    for seed in [6, 7, 8, 9] {
        let (mut d, sink, _libsrt) = rendezvous_with_libsrt(seed);
        let conn = d
            .connected()
            .unwrap_or_else(|| panic!("seed {seed}: {:?}", d.events));
        let expected: Vec<_> = (0..50).map(payload).collect();
        assert_eq!(send_fifty(&mut d, conn, &sink), expected, "seed {seed}");
    }
}

#[test]
fn encrypted_rendezvous_with_libsrt_connects_with_keys() {
    if !libsrt_available() {
        return;
    }
    let mut d = Driver::new(5);
    let libsrt_port = free_port();
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    let _libsrt = Libsrt::start(
        &format!(
            "srt://{}?mode=rendezvous&port={libsrt_port}&passphrase=interop-passphrase",
            d.addr()
        ),
        &format!("udp://{}", sink.local_addr().unwrap()),
    );
    let remote: SocketAddr = format!("127.0.0.1:{libsrt_port}").parse().unwrap();
    d.input(Input::Rendezvous {
        remote,
        config: Box::new(
            HandshakeConfig::default()
                .with_passphrase(Passphrase::new(b"interop-passphrase").unwrap()),
        ),
    });
    d.run_until_settled(Duration::from_secs(5));
    let encrypted = d
        .events
        .iter()
        .any(|e| matches!(e, Event::Connected { params, .. } if params.crypto.is_some()));
    assert!(encrypted, "{:?}", d.events);
    // libsrt is connected too: it keeps the connection (no SHUTDOWN, no
    // rejection) and answers our keepalives.
    d.run(Duration::from_millis(1500), |_| false);
    assert!(
        !d.events.iter().any(|e| matches!(e, Event::Closed { .. })),
        "{:?}",
        d.events
    );
}

//! A caller and a listener driven by `std::net::UdpSocket`, no async
//! runtime: the model for embedding the Sans-I/O core in your own loop.
//!
//! Each side is one thread owning one socket and one [`Endpoint`]. The loop
//! is the whole contract:
//! 1. block in `recv_from` no longer than until `next_timeout()`
//!    (`set_read_timeout`);
//! 2. feed what happened (a datagram, or the timer) with the current time;
//! 3. do what comes out: send every `Transmit`, act on every `Event`.
//!
//! The caller sends 100 live messages, waits until the listener has
//! acknowledged them all, and closes; the listener prints what arrived and
//! exits when the caller's SHUTDOWN closes the connection.
//!
//! Run with `cargo run -p srt-proto --example blocking_loop`.

use bytes::Bytes;
use srt_proto::connection::SendOptions;
use srt_proto::handshake::HandshakeConfig;
use srt_proto::time::Instant;
use srt_proto::{ConnectionId, Endpoint, EndpointConfig, Event, Input, ListenConfig, Output};
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

const MESSAGES: u32 = 100;

/// One endpoint on one blocking UDP socket.
struct Driver {
    endpoint: Endpoint,
    socket: UdpSocket,
    /// The origin of the endpoint's clock: `Instant` is microseconds since.
    origin: std::time::Instant,
    out: Vec<Output>,
    buf: Vec<u8>,
}

impl Driver {
    fn bind(addr: &str, seed: [u8; 32]) -> io::Result<Self> {
        Ok(Self {
            // A real program seeds from the OS (e.g. the `getrandom` crate).
            endpoint: Endpoint::new(EndpointConfig::default(), seed),
            socket: UdpSocket::bind(addr)?,
            origin: std::time::Instant::now(),
            out: Vec::new(),
            buf: vec![0; 1500],
        })
    }

    /// The one place std time becomes protocol time.
    fn now(&self) -> Instant {
        let micros = self.origin.elapsed().as_micros();
        Instant::from_micros(u64::try_from(micros).unwrap_or(u64::MAX))
    }

    /// Feeds `input`, sends the datagrams that come out, returns the events.
    fn feed(&mut self, input: Input) -> io::Result<Vec<Event>> {
        let now = self.now();
        self.out.clear();
        self.endpoint.handle_input_into(input, now, &mut self.out);
        let mut events = Vec::new();
        for output in self.out.drain(..) {
            match output {
                Output::Transmit { to, data } => {
                    self.socket.send_to(&data, to)?;
                }
                Output::Event(event) => events.push(event),
                // `next_timeout` below says the same.
                Output::Timeout(_) => {}
            }
        }
        Ok(events)
    }

    /// Waits for a datagram or the endpoint's timer, at most `max_wait`,
    /// and feeds what happened.
    fn step(&mut self, max_wait: Duration) -> io::Result<Vec<Event>> {
        let now = self.now();
        let wait = match self.endpoint.next_timeout() {
            Some(at) => at
                .checked_duration_since(now)
                .unwrap_or_default()
                .min(max_wait),
            None => max_wait,
        };
        // A zero read timeout is an error in std: wait at least 1 µs.
        self.socket
            .set_read_timeout(Some(wait.max(Duration::from_micros(1))))?;
        match self.socket.recv_from(&mut self.buf) {
            Ok((len, from)) => {
                let data = Bytes::copy_from_slice(self.buf.get(..len).unwrap_or_default());
                self.feed(Input::Datagram { from, data })
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                let due = self
                    .endpoint
                    .next_timeout()
                    .is_some_and(|at| at <= self.now());
                if due {
                    self.feed(Input::Timeout)
                } else {
                    Ok(Vec::new())
                }
            }
            Err(e) => Err(e),
        }
    }
}

fn listener(mut driver: Driver) -> io::Result<Vec<Bytes>> {
    let listen = ListenConfig::new(HandshakeConfig::default());
    driver.feed(Input::Listen(Box::new(listen)))?;
    let mut received = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        for event in driver.step(Duration::from_millis(100))? {
            match event {
                Event::Connected { peer, .. } => println!("listener: caller {peer} connected"),
                Event::Message { data, .. } => received.push(data),
                Event::Closed { reason, .. } => {
                    println!("listener: connection closed ({reason})");
                    return Ok(received);
                }
                other => println!("listener: {other:?}"),
            }
        }
    }
    Err(io::Error::new(io::ErrorKind::TimedOut, "no SHUTDOWN"))
}

fn caller(mut driver: Driver, listener: SocketAddr) -> io::Result<()> {
    let connect = Input::Connect {
        remote: listener,
        config: Box::new(HandshakeConfig::default()),
    };
    driver.feed(connect)?;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut conn: Option<ConnectionId> = None;
    let mut sent = 0;
    let mut all_acked_at: Option<std::time::Instant> = None;
    while std::time::Instant::now() < deadline {
        // Send one message per millisecond once connected.
        let max_wait = if conn.is_some() && sent < MESSAGES {
            Duration::from_millis(1)
        } else {
            Duration::from_millis(100)
        };
        for event in driver.step(max_wait)? {
            match event {
                Event::Connected { conn: id, .. } => {
                    println!("caller: connected as {id:?}");
                    conn = Some(id);
                }
                Event::Rejected { reason, .. } | Event::Failed { reason, .. } => {
                    return Err(io::Error::other(format!("caller: refused: {reason:?}")));
                }
                Event::Closed { reason, .. } => {
                    println!("caller: closed ({reason})");
                    return Ok(());
                }
                other => println!("caller: {other:?}"),
            }
        }
        let Some(id) = conn else { continue };
        if sent < MESSAGES {
            let data = Bytes::from(format!("message {sent:03}"));
            let options = SendOptions::default();
            let events = driver.feed(Input::Send {
                conn: id,
                data,
                options,
            })?;
            if let Some(event) = events.first() {
                return Err(io::Error::other(format!("send: {event:?}")));
            }
            sent += 1;
            continue;
        }
        // Everything sent: close once the listener acknowledged it all and
        // had a latency's time to deliver it.
        let acked = driver
            .endpoint
            .connection(id)
            .is_some_and(|c| c.is_send_buffer_empty());
        match all_acked_at {
            None if acked => all_acked_at = Some(std::time::Instant::now()),
            Some(at) if at.elapsed() > Duration::from_millis(300) => {
                driver.feed(Input::Close { conn: id })?;
                println!("caller: sent {sent} messages, closing");
                return Ok(());
            }
            _ => {}
        }
    }
    Err(io::Error::new(
        io::ErrorKind::TimedOut,
        "caller did not finish",
    ))
}

fn main() -> io::Result<()> {
    let listen_side = Driver::bind("127.0.0.1:0", [1; 32])?;
    let listen_addr = listen_side.socket.local_addr()?;
    let call_side = Driver::bind("127.0.0.1:0", [2; 32])?;
    let listener = std::thread::spawn(move || listener(listen_side));
    caller(call_side, listen_addr)?;
    let received = listener
        .join()
        .map_err(|_| io::Error::other("listener thread panicked"))??;

    println!(
        "listener received {} of {MESSAGES} messages",
        received.len()
    );
    if let (Some(first), Some(last)) = (received.first(), received.last()) {
        println!("first: {first:?}, last: {last:?}");
    }
    let in_order = received
        .iter()
        .enumerate()
        .all(|(i, m)| m.as_ref() == format!("message {i:03}").as_bytes());
    if received.len() != MESSAGES as usize || !in_order {
        return Err(io::Error::other("messages missing or out of order"));
    }
    println!("all {MESSAGES} messages arrived in order");
    Ok(())
}

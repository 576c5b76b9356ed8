//! Two `Connection`s on the simulator: a `Node` wrapper with an optional
//! message source, a clock that may run fast or slow, and a record of what
//! was delivered.

#![allow(dead_code)]

use bytes::Bytes;
use core::net::SocketAddr;
use core::time::Duration;
use srt_proto::connection::{
    CloseReason, Connection, ConnectionEvent, ConnectionOptions, ConnectionParams,
    RetransmitAlgorithm, SendOptions,
};
use srt_proto::handshake::{Congestion, Negotiated};
use srt_proto::packet::Packet;
use srt_proto::packet::ext::{SrtFlags, SrtVersion};
use srt_proto::seq::{MsgNumber, SeqNumber};
use srt_proto::sim::{Datagram, LinkConfig, Network, Node, Probability};
use srt_proto::time::Instant;

mod scenario;
#[allow(unused_imports)] // not every test file runs scenarios
pub use scenario::*;

pub const A: &str = "10.0.0.1:9000";
pub const B: &str = "10.0.0.2:9000";

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// What one side negotiated, for a live or file connection.
pub fn negotiated(peer_socket_id: u32, isn: u32, live: bool, latency: Duration) -> Negotiated {
    let mut flags = SrtFlags::HAICRYPT | SrtFlags::REXMITFLG | SrtFlags::NAKREPORT;
    if live {
        flags |= SrtFlags::TSBPD_SND | SrtFlags::TSBPD_RCV | SrtFlags::TLPKTDROP;
    }
    Negotiated {
        peer_socket_id,
        initial_seq: SeqNumber::new(isn),
        mss: 1500,
        flow_window: 25600,
        send_latency: latency,
        receive_latency: latency,
        peer_version: SrtVersion::new(1, 5, 4),
        flags,
        stream_id: None,
        congestion: if live {
            Congestion::Live
        } else {
            Congestion::File
        },
        message_api: live,
        packet_filter: None,
        group: None,
        drift_tracer: true,
        crypto: None,
    }
}

/// Parameters for both ends of one connection.
pub fn pair_params(
    isn: u32,
    live: bool,
    latency: Duration,
    start: Instant,
) -> (ConnectionParams, ConnectionParams) {
    let a = ConnectionParams {
        local_socket_id: 0x1111,
        peer_socket_id: 0x2222,
        peer_addr: addr(B),
        negotiated: negotiated(0x2222, isn, live, latency),
        options: ConnectionOptions::default(),
        start_time: start,
    };
    let b = ConnectionParams {
        local_socket_id: 0x2222,
        peer_socket_id: 0x1111,
        peer_addr: addr(A),
        negotiated: negotiated(0x1111, isn, live, latency),
        options: ConnectionOptions::default(),
        start_time: start,
    };
    (a, b)
}

/// A message the test sends: its index, its virtual send time and a
/// filler that depends on the index, so corruption shows.
pub fn message(index: u64, sent_at: Instant, len: usize) -> Bytes {
    let len = len.max(16);
    let mut v = Vec::with_capacity(len + 8);
    v.extend_from_slice(&index.to_be_bytes());
    v.extend_from_slice(&sent_at.as_micros().to_be_bytes());
    // splitmix64 words: cheap, and different for every index and offset.
    let mut x = index.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    while v.len() < len {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        v.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    v.truncate(len);
    Bytes::from(v)
}

/// Reads a message back: (index, virtual send time), if uncorrupted.
pub fn check_message(data: &[u8]) -> Option<(u64, Instant)> {
    let index = u64::from_be_bytes(data.get(..8)?.try_into().ok()?);
    let sent = u64::from_be_bytes(data.get(8..16)?.try_into().ok()?);
    let sent = Instant::from_micros(sent);
    (message(index, sent, data.len()) == data).then_some((index, sent))
}

/// A constant-rate source of live messages.
#[derive(Debug, Clone)]
pub struct Source {
    pub next: Instant,
    pub interval: Duration,
    pub size: usize,
    pub until: Instant,
    pub sent: u64,
    pub refused: u64,
}

impl Source {
    /// `bits_per_second` of `size`-byte messages from `start` to `until`.
    pub fn live(bits_per_second: u64, size: usize, start: Instant, until: Instant) -> Self {
        let interval = Duration::from_nanos(size as u64 * 8 * 1_000_000_000 / bits_per_second);
        Self {
            next: start,
            interval,
            size,
            until,
            sent: 0,
            refused: 0,
        }
    }
}

/// One delivered message.
#[derive(Debug, Clone)]
pub struct Received {
    pub data: Bytes,
    pub delivered_at: Instant,
    pub src_time: Instant,
    pub msg_number: MsgNumber,
}

/// A `Connection` on the simulator.
#[derive(Debug)]
pub struct Peer {
    pub conn: Connection,
    pub addr: SocketAddr,
    pub peer: SocketAddr,
    /// The local clock runs this many parts per million fast (negative:
    /// slow) against virtual time, from virtual time zero.
    pub skew_ppm: i64,
    pub source: Option<Source>,
    pub received: Vec<Received>,
    pub closed: Option<(Instant, CloseReason)>,
    /// Stream API: bytes received so far (checked against
    /// [`file_byte`] on the fly).
    pub stream_received: u64,
    /// The first offset whose byte was wrong.
    pub stream_corrupt_at: Option<u64>,
    /// When the last stream byte arrived.
    pub stream_last_at: Option<Instant>,
    /// In file mode: bytes still to send, fed as the send buffer allows.
    pub file: Option<FileSource>,
    /// Prints every packet about this sequence number (debugging).
    pub trace: Option<SeqNumber>,
    /// File mode, message API: messages of these sizes, fed as the send
    /// buffer allows; every third one in order.
    pub messages: Option<MessageSource>,
    buf: Vec<u8>,
}

/// Messages for the file-mode message API.
#[derive(Debug, Clone)]
pub struct MessageSource {
    pub sizes: Vec<usize>,
    pub next: usize,
}

/// Whether message `index` of a [`MessageSource`] asks for in-order
/// delivery.
pub fn in_order(index: u64) -> bool {
    index.is_multiple_of(3)
}

fn about(p: &Packet, seq: SeqNumber) -> bool {
    use srt_proto::packet::ControlBody;
    if std::env::var("TRACE_CONTROL").is_ok()
        && let Packet::Control(c) = p
        && c.timestamp.as_u32() < 250_000
    {
        return true;
    }
    match p {
        Packet::Data(d) => d.seq == seq,
        Packet::Control(c) => match &c.body {
            ControlBody::Nak(l) => l.iter().any(|r| r.contains(seq)),
            ControlBody::DropRequest(d) => d.range().is_some_and(|r| r.contains(seq)),
            _ => false,
        },
    }
}

/// A file-mode source: `total` bytes, in chunks of `chunk`.
#[derive(Debug, Clone)]
pub struct FileSource {
    pub total: u64,
    pub offset: u64,
    pub chunk: usize,
    pub done_at: Option<Instant>,
}

/// The byte at `offset` of the test file.
pub fn file_byte(offset: u64) -> u8 {
    (offset.wrapping_mul(2_654_435_761) >> 13) as u8
}

impl Peer {
    pub fn new(conn: Connection, addr: SocketAddr, peer: SocketAddr) -> Self {
        Self {
            conn,
            addr,
            peer,
            skew_ppm: 0,
            source: None,
            received: Vec::new(),
            closed: None,
            stream_received: 0,
            stream_corrupt_at: None,
            stream_last_at: None,
            file: None,
            trace: None,
            messages: None,
            buf: Vec::with_capacity(1500),
        }
    }

    /// Virtual time to this peer's clock.
    pub fn local(&self, now: Instant) -> Instant {
        skewed(self.skew_ppm, now)
    }

    /// This peer's clock to virtual time (rounded up).
    pub fn virt(&self, local: Instant) -> Instant {
        if self.skew_ppm == 0 {
            return local;
        }
        let l = local.as_micros() as i128;
        let d = 1_000_000 + self.skew_ppm as i128;
        let v = (l * 1_000_000 + d - 1) / d;
        Instant::from_micros(v.max(0) as u64)
    }

    fn feed(&mut self, now: Instant) {
        let local = self.local(now);
        if let Some(src) = &mut self.source {
            while src.next <= now && src.next < src.until {
                let m = message(src.sent, src.next, src.size);
                let at = skewed(self.skew_ppm, src.next);
                match self.conn.send(
                    m,
                    SendOptions {
                        src_time: Some(at),
                        ..Default::default()
                    },
                    local,
                ) {
                    Ok(()) => {}
                    Err(_) => src.refused += 1,
                }
                src.sent += 1;
                src.next += src.interval;
            }
        }
        if let Some(m) = &mut self.messages {
            while let Some(len) = m.sizes.get(m.next) {
                let index = m.next as u64;
                let options = SendOptions {
                    in_order: in_order(index),
                    ..Default::default()
                };
                if self
                    .conn
                    .send(message(index, now, *len), options, local)
                    .is_err()
                {
                    break;
                }
                m.next += 1;
            }
        }
        if let Some(f) = &mut self.file {
            while f.offset < f.total {
                let len = (f.total - f.offset).min(f.chunk as u64) as usize;
                let data: Vec<u8> = (0..len as u64).map(|i| file_byte(f.offset + i)).collect();
                match self
                    .conn
                    .send(Bytes::from(data), SendOptions::default(), local)
                {
                    Ok(()) => f.offset += len as u64,
                    Err(_) => break,
                }
            }
        }
    }

    /// The application sends message `index` of `len` bytes now (live
    /// mode); false if the connection refused it.
    pub fn send_message(
        &mut self,
        now: Instant,
        index: u64,
        len: usize,
        out: &mut Vec<Datagram>,
    ) -> bool {
        let local = self.local(now);
        let m = message(index, now, len);
        let options = SendOptions {
            src_time: Some(local),
            ..Default::default()
        };
        let ok = self.conn.send(m, options, local).is_ok();
        self.drain(now, out);
        ok
    }

    fn drain(&mut self, now: Instant, out: &mut Vec<Datagram>) {
        let local = self.local(now);
        while let Some(p) = self.conn.poll_transmit(local) {
            if let Some(seq) = self.trace
                && about(&p, seq)
            {
                let s = self.conn.stats(local);
                eprintln!(
                    "{now:?} {} (rtt {:?}/{:?}) sends {p:?}",
                    self.addr, s.rtt, s.rtt_var
                );
            }
            self.buf.clear();
            p.encode(&mut self.buf);
            out.push(Datagram {
                from: self.addr,
                to: self.peer,
                data: Bytes::copy_from_slice(&self.buf),
            });
        }
        while let Some(e) = self.conn.poll_event() {
            match e {
                ConnectionEvent::Message {
                    data,
                    src_time,
                    delivered_at,
                    msg_number,
                    ..
                } => {
                    if self.file.is_none()
                        && self.source.is_none()
                        && !self.conn.params().negotiated.message_api
                    {
                        for (i, byte) in data.iter().enumerate() {
                            let offset = self.stream_received + i as u64;
                            if *byte != file_byte(offset) && self.stream_corrupt_at.is_none() {
                                self.stream_corrupt_at = Some(offset);
                            }
                        }
                        self.stream_received += data.len() as u64;
                        self.stream_last_at = Some(now);
                    } else {
                        self.received.push(Received {
                            data,
                            delivered_at: self.virt(delivered_at),
                            src_time,
                            msg_number,
                        });
                    }
                }
                ConnectionEvent::Closed { reason } => self.closed = Some((now, reason)),
                _ => {}
            }
        }
        if let Some(f) = &mut self.file
            && f.offset >= f.total
            && f.done_at.is_none()
            && self.conn.is_send_buffer_empty()
        {
            f.done_at = Some(now);
        }
    }
}

impl Node for Peer {
    fn handle_datagram(&mut self, now: Instant, datagram: Datagram, out: &mut Vec<Datagram>) {
        let local = self.local(now);
        if let Ok(p) = Packet::decode_owned(datagram.data) {
            if let Some(seq) = self.trace
                && about(&p, seq)
            {
                eprintln!("{now:?} {} receives {p:?}", self.addr);
            }
            self.conn.handle_packet(p, local);
        }
        self.feed(now);
        self.drain(now, out);
    }

    fn handle_timeout(&mut self, now: Instant, out: &mut Vec<Datagram>) {
        self.feed(now);
        if let Some(t) = self.conn.next_timeout()
            && self.virt(t) <= now
        {
            // Rounding between the clocks may leave the local time a
            // microsecond short of the deadline: the deadline wins.
            self.conn.handle_timeout(self.local(now).max(t));
        }
        self.drain(now, out);
    }

    fn next_timeout(&self) -> Option<Instant> {
        let conn = self.conn.next_timeout().map(|t| self.virt(t));
        let src = self
            .source
            .as_ref()
            .filter(|s| s.next < s.until)
            .map(|s| s.next);
        match (conn, src) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// A network of two peers, A sending to B over `link` both ways.
pub fn network(seed: u64, a: Peer, b: Peer, link: LinkConfig) -> Network<Peer> {
    let mut net = Network::new().with_seed(seed);
    net.add_node(addr(A), a).unwrap();
    net.add_node(addr(B), b).unwrap();
    net.link_both_ways(addr(A), addr(B), link);
    net
}

/// Virtual time on a clock `ppm` parts per million fast.
pub fn skewed(ppm: i64, now: Instant) -> Instant {
    if ppm == 0 {
        return now;
    }
    let v = now.as_micros() as i128;
    let l = v + v * ppm as i128 / 1_000_000;
    Instant::from_micros(l.max(0) as u64)
}

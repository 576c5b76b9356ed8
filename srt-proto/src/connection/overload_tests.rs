//! A live stream offered faster than the receiver's buffer can hold for
//! the latency, on the simulator: delivery degrades, it does not stop.
//!
//! With a 100-packet buffer (and flow window), 200 ms latency and 20 ms
//! each way, the buffer covers 100 packets of the ~760 a 40 Mbit/s stream
//! has in flight over the latency. Before the fix the sender ended at a
//! window of 2 sending packets that were already too late, the receiver
//! never moved its buffer and nothing more was delivered after the first
//! quarter second (the same collapse as srt-transmit above ~700 Mbit/s
//! with the default 8192-packet buffer).

use super::*;
use crate::handshake::{Congestion, Negotiated};
use crate::packet::Packet;
use crate::packet::ext::{SrtFlags, SrtVersion};
use crate::seq::SeqNumber;
use crate::sim::{Datagram, LinkConfig, Network, Node};
use crate::time::Instant;
use alloc::vec;
use alloc::vec::Vec;
use bytes::Bytes;
use core::net::SocketAddr;
use core::time::Duration;

const LATENCY: Duration = Duration::from_millis(200);
const BUFFER: u32 = 100;
const SIZE: usize = 1316;

fn addr(last: u8) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, last], 9000))
}

fn params(local: u32, peer: u32, peer_addr: SocketAddr) -> ConnectionParams {
    let options = ConnectionOptions {
        recv_buffer_packets: BUFFER,
        ..ConnectionOptions::default()
    };
    ConnectionParams {
        local_socket_id: local,
        peer_socket_id: peer,
        peer_addr,
        negotiated: Negotiated {
            peer_socket_id: peer,
            initial_seq: SeqNumber::new(1000),
            mss: 1500,
            flow_window: BUFFER,
            send_latency: LATENCY,
            receive_latency: LATENCY,
            peer_version: SrtVersion::new(1, 5, 4),
            flags: SrtFlags::HAICRYPT
                | SrtFlags::REXMITFLG
                | SrtFlags::NAKREPORT
                | SrtFlags::TSBPD_SND
                | SrtFlags::TSBPD_RCV
                | SrtFlags::TLPKTDROP,
            stream_id: None,
            congestion: Congestion::Live,
            message_api: true,
            packet_filter: None,
            group: None,
            drift_tracer: true,
            crypto: None,
        },
        options,
        start_time: Instant::ZERO,
    }
}

/// One connection, and a constant-rate source when it sends.
struct Peer {
    conn: Connection,
    addr: SocketAddr,
    peer: SocketAddr,
    /// (next send, interval, end)
    source: Option<(Instant, Duration, Instant)>,
    /// Message indices delivered, with their delivery times.
    delivered: Vec<(u64, Instant)>,
    sent: u64,
}

impl Peer {
    fn feed(&mut self, now: Instant) {
        if let Some((next, interval, end)) = &mut self.source {
            while *next <= now && *next < *end {
                let mut m = vec![0u8; SIZE];
                m[..8].copy_from_slice(&self.sent.to_be_bytes());
                let options = SendOptions {
                    src_time: Some(*next),
                    ..Default::default()
                };
                let _ = self.conn.send(Bytes::from(m), options, now);
                self.sent += 1;
                *next += *interval;
            }
        }
    }

    fn drain(&mut self, now: Instant, out: &mut Vec<Datagram>) {
        let mut buf = Vec::new();
        while let Some(p) = self.conn.poll_transmit(now) {
            buf.clear();
            p.encode(&mut buf);
            out.push(Datagram {
                from: self.addr,
                to: self.peer,
                data: Bytes::copy_from_slice(&buf),
            });
        }
        while let Some(e) = self.conn.poll_event() {
            if let ConnectionEvent::Message { data, .. } = e {
                let index = u64::from_be_bytes(data[..8].try_into().unwrap());
                self.delivered.push((index, now));
            }
        }
    }
}

impl Node for Peer {
    fn handle_datagram(&mut self, now: Instant, datagram: Datagram, out: &mut Vec<Datagram>) {
        if let Ok(p) = Packet::decode_owned(datagram.data) {
            self.conn.handle_packet(p, now);
        }
        self.feed(now);
        self.drain(now, out);
    }

    fn handle_timeout(&mut self, now: Instant, out: &mut Vec<Datagram>) {
        self.feed(now);
        if self.conn.next_timeout().is_some_and(|t| t <= now) {
            self.conn.handle_timeout(now);
        }
        self.drain(now, out);
    }

    fn next_timeout(&self) -> Option<Instant> {
        let conn = self.conn.next_timeout();
        let src = self
            .source
            .filter(|(next, _, end)| next < end)
            .map(|(next, _, _)| next);
        match (conn, src) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Runs `secs` of a `bits_per_second` stream from A to B; what B delivered.
fn run(bits_per_second: u64, secs: u64) -> Vec<(u64, Instant)> {
    let interval = Duration::from_nanos(SIZE as u64 * 8 * 1_000_000_000 / bits_per_second);
    let end = Instant::ZERO + Duration::from_secs(secs);
    let a = Peer {
        conn: Connection::new(params(0x1111, 0x2222, addr(2)), [1; 32]),
        addr: addr(1),
        peer: addr(2),
        source: Some((Instant::ZERO, interval, end)),
        delivered: Vec::new(),
        sent: 0,
    };
    let b = Peer {
        conn: Connection::new(params(0x2222, 0x1111, addr(1)), [2; 32]),
        addr: addr(2),
        peer: addr(1),
        source: None,
        delivered: Vec::new(),
        sent: 0,
    };
    let mut net = Network::new().with_seed(1);
    net.add_node(addr(1), a).unwrap();
    net.add_node(addr(2), b).unwrap();
    net.link_both_ways(
        addr(1),
        addr(2),
        LinkConfig::new().latency(Duration::from_millis(20)),
    );
    net.run_until(end + LATENCY + Duration::from_millis(100))
        .unwrap();
    net.nodes()[1].delivered.clone()
}

#[test]
fn a_stream_beyond_what_the_receive_buffer_holds_degrades_instead_of_stopping() {
    let delivered = run(40_000_000, 3);
    // The last two seconds: ~7600 messages offered; the buffer allows
    // about one window per round trip and ACK, far more than nothing.
    let from = Instant::ZERO + Duration::from_secs(1);
    let late: Vec<_> = delivered.iter().filter(|(_, at)| *at >= from).collect();
    assert!(late.len() > 1500, "{} delivered after 1 s", late.len());
    assert!(
        delivered.windows(2).all(|w| w[0].0 < w[1].0),
        "in order, once"
    );
}

#[test]
fn a_stream_the_receive_buffer_holds_is_delivered_whole() {
    // 4 Mbit/s: ~76 packets over the latency, within the 100 of the buffer.
    let delivered = run(4_000_000, 2);
    let offered = 2 * 4_000_000 / (SIZE as u64 * 8) + 1;
    assert_eq!(delivered.len() as u64, offered);
}

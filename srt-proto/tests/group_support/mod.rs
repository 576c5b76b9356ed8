//! A sending group and a receiving group whose members are `Connection`
//! pairs joined by simulated links (one `Link` each way per pair), stepped
//! through virtual time event by event. The groups' outputs are applied
//! as an embedder would: sends and commands on the member connections,
//! observations after every round, delivered messages recorded.

#![allow(dead_code)]

pub mod endpoints;
pub mod live;

pub use live::{ms, negotiated};

use bytes::Bytes;
use core::net::SocketAddr;
use core::time::Duration;
use srt_proto::connection::{
    Connection, ConnectionEvent, ConnectionOptions, ConnectionParams, ConnectionState, SendOptions,
};
use srt_proto::endpoint::MemberCommand;
use srt_proto::group::{
    Group, GroupConfig, GroupEvent, GroupOutput, GroupType, MemberId, MemberObservation,
};
use srt_proto::packet::Packet;
use srt_proto::seq::SeqNumber;
use srt_proto::sim::{Datagram, Link, LinkConfig};
use srt_proto::time::Instant;

/// One member path: the sender's connection, the receiver's, and the
/// links between them.
pub struct Pair {
    pub tx_id: MemberId,
    pub rx_id: MemberId,
    pub tx: Connection,
    pub rx: Connection,
    /// Sender → receiver.
    pub fwd: Link,
    /// Receiver → sender.
    pub back: Link,
    pub tx_open: bool,
    pub rx_open: bool,
}

/// A message the receiving group delivered.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub n: u32,
    pub seq: SeqNumber,
    pub at: Instant,
    pub src_time: Instant,
    pub member: MemberId,
}

pub struct Harness {
    pub now: Instant,
    pub latency: Duration,
    pub options: ConnectionOptions,
    pub tx: Group,
    pub rx: Group,
    pub pairs: Vec<Pair>,
    /// When message `n` was sent.
    pub sent: Vec<Instant>,
    pub delivered: Vec<Delivered>,
    pub tx_events: Vec<(Instant, GroupEvent)>,
    pub rx_events: Vec<(Instant, GroupEvent)>,
    /// Messages every `interval` in `[from, until)`.
    pub send_from: Instant,
    pub send_until: Instant,
    pub interval: Duration,
    next_socket_id: u32,
    scratch: Vec<u8>,
}

/// Message `n` of a harness's stream: 188 bytes (one TS packet), `n`
/// big-endian first.
pub fn numbered(n: u32) -> Bytes {
    let mut payload = vec![0u8; 188];
    payload[..4].copy_from_slice(&n.to_be_bytes());
    Bytes::from(payload)
}

const TX_ADDR: &str = "10.0.0.1:9000";
const RX_ADDR: &str = "10.0.0.2:9000";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

impl Harness {
    pub fn new(group_type: GroupType, latency: Duration, isn: u32) -> Self {
        let cfg = GroupConfig::new(group_type, SeqNumber::new(isn)).latency(latency);
        Self {
            now: Instant::ZERO,
            latency,
            options: ConnectionOptions::default(),
            tx: Group::new(cfg.clone(), 0x4000_0001, Instant::ZERO),
            rx: Group::new(cfg, 0x4000_0002, Instant::ZERO),
            pairs: Vec::new(),
            sent: Vec::new(),
            delivered: Vec::new(),
            tx_events: Vec::new(),
            rx_events: Vec::new(),
            send_from: Instant::ZERO,
            send_until: Instant::ZERO,
            interval: Duration::from_millis(2),
            next_socket_id: 100,
            scratch: Vec::new(),
        }
    }

    /// Streams a message every `interval` from `from` until `until`.
    pub fn stream(&mut self, from: Instant, until: Instant, interval: Duration) {
        self.send_from = from;
        self.send_until = until;
        self.interval = interval;
    }

    /// Connects a new member path now (as if its handshake just ended):
    /// the sender's connection joins with the group's `sync()` (ISN and
    /// time zero); the index of the pair.
    pub fn connect(&mut self, weight: u16, fwd: LinkConfig, back: LinkConfig) -> usize {
        let now = self.now;
        let tx_id = self.tx.add_member(weight, now).unwrap();
        let rx_id = self.rx.add_member(weight, now).unwrap();
        let sync = self.tx.sync();
        let (a, b) = (self.next_socket_id, self.next_socket_id + 1);
        self.next_socket_id += 2;
        let params = |local, peer, start_time| ConnectionParams {
            local_socket_id: local,
            peer_socket_id: peer,
            peer_addr: addr(RX_ADDR),
            negotiated: negotiated(peer, sync.initial_seq, self.latency),
            options: self.options.clone(),
            start_time,
        };
        let tx = Connection::new_at(params(a, b, sync.start_time), [a as u8; 32], now);
        let rx = Connection::new_at(params(b, a, now), [b as u8; 32], now);
        self.tx
            .member_connected(tx_id, MemberObservation::of(&tx), now);
        self.rx
            .member_connected(rx_id, MemberObservation::of(&rx), now);
        self.pairs.push(Pair {
            tx_id,
            rx_id,
            tx,
            rx,
            fwd: Link::new(fwd),
            back: Link::new(back),
            tx_open: true,
            rx_open: true,
        });
        self.settle();
        self.pairs.len() - 1
    }

    /// The sender takes a member path out of its group and closes its
    /// connection; the receiving side learns it from the SHUTDOWN.
    pub fn disconnect(&mut self, pair: usize) {
        let now = self.now;
        let p = &mut self.pairs[pair];
        p.tx.close(now);
        let t = p.tx_id;
        self.tx.remove_member(t, now);
        self.settle();
    }

    fn next_send(&self) -> Option<Instant> {
        let n = self.sent.len() as u32;
        let t = self.send_from + self.interval * n;
        (t < self.send_until).then_some(t)
    }

    fn next_event(&self) -> Option<Instant> {
        let mut t = self.next_send();
        let mut take = |c: Option<Instant>| {
            if let Some(c) = c {
                t = Some(t.map_or(c, |t: Instant| t.min(c)));
            }
        };
        take(self.tx.next_timeout());
        take(self.rx.next_timeout());
        for p in &self.pairs {
            take(p.fwd.next_delivery());
            take(p.back.next_delivery());
            take(p.tx.next_timeout());
            take(p.rx.next_timeout());
        }
        t
    }

    /// Runs every event up to `end`, then stops at `end`.
    pub fn run_until(&mut self, end: Instant) {
        while let Some(t) = self.next_event() {
            if t > end {
                break;
            }
            self.now = t.max(self.now);
            self.step();
        }
        self.now = end.max(self.now);
    }

    fn step(&mut self) {
        let now = self.now;
        if self.next_send().is_some_and(|t| t <= now) {
            let payload = numbered(self.sent.len() as u32);
            self.sent.push(now);
            // A refused message (no member yet) is simply not delivered;
            // the tests check what they expect.
            let _ = self.tx.send(payload, SendOptions::default(), now);
        }
        for p in &mut self.pairs {
            while let Some(d) = p.fwd.poll_deliver(now) {
                if let Ok(packet) = Packet::decode_owned(d.data) {
                    p.rx.handle_packet(packet, now);
                }
            }
            while let Some(d) = p.back.poll_deliver(now) {
                if let Ok(packet) = Packet::decode_owned(d.data) {
                    p.tx.handle_packet(packet, now);
                }
            }
            if p.tx.next_timeout().is_some_and(|t| t <= now) {
                p.tx.handle_timeout(now);
            }
            if p.rx.next_timeout().is_some_and(|t| t <= now) {
                p.rx.handle_timeout(now);
            }
        }
        if self.tx.next_timeout().is_some_and(|t| t <= now) {
            self.tx.handle_timeout(now);
        }
        if self.rx.next_timeout().is_some_and(|t| t <= now) {
            self.rx.handle_timeout(now);
        }
        self.settle();
    }

    /// Applies group outputs and flushes connections until quiet.
    fn settle(&mut self) {
        let now = self.now;
        for _ in 0..8 {
            let mut busy = self.apply_outputs();
            busy |= self.flush();
            if !busy {
                break;
            }
        }
        for p in &self.pairs {
            if p.tx_open {
                self.tx.observe(p.tx_id, MemberObservation::of(&p.tx), now);
            }
            if p.rx_open {
                self.rx.observe(p.rx_id, MemberObservation::of(&p.rx), now);
            }
        }
        self.apply_outputs();
        self.flush();
    }

    fn apply_outputs(&mut self) -> bool {
        let now = self.now;
        let mut busy = false;
        while let Some(o) = self.tx.poll_output() {
            busy = true;
            match o {
                GroupOutput::Send {
                    member,
                    data,
                    options,
                } => {
                    if let Some(p) = self.pairs.iter_mut().find(|p| p.tx_id == member)
                        && p.tx.send(data, options, now).is_err()
                    {
                        self.tx.member_send_failed(member, now);
                    }
                }
                GroupOutput::Command { member, command } => {
                    if let Some(p) = self.pairs.iter_mut().find(|p| p.tx_id == member)
                        && !apply(&mut p.tx, command, now)
                    {
                        self.tx.member_send_failed(member, now);
                    }
                }
                GroupOutput::CloseMember { member } => {
                    if let Some(p) = self.pairs.iter_mut().find(|p| p.tx_id == member) {
                        p.tx.close(now);
                    }
                }
                GroupOutput::Event(e) => self.tx_events.push((now, e)),
            }
        }
        while let Some(o) = self.rx.poll_output() {
            busy = true;
            match o {
                GroupOutput::Send { .. } => panic!("the receiving group sends nothing"),
                GroupOutput::Command { member, command } => {
                    if let Some(p) = self.pairs.iter_mut().find(|p| p.rx_id == member) {
                        apply(&mut p.rx, command, now);
                    }
                }
                GroupOutput::CloseMember { member } => {
                    if let Some(p) = self.pairs.iter_mut().find(|p| p.rx_id == member) {
                        p.rx.close(now);
                    }
                }
                GroupOutput::Event(GroupEvent::Message {
                    data,
                    src_time,
                    seq,
                    member,
                }) => {
                    let n = u32::from_be_bytes(data[..4].try_into().unwrap());
                    self.delivered.push(Delivered {
                        n,
                        seq,
                        at: now,
                        src_time,
                        member,
                    });
                }
                GroupOutput::Event(e) => self.rx_events.push((now, e)),
            }
        }
        busy
    }

    fn flush(&mut self) -> bool {
        let now = self.now;
        let mut busy = false;
        for p in &mut self.pairs {
            while let Some(packet) = p.tx.poll_transmit(now) {
                busy = true;
                self.scratch.clear();
                packet.encode(&mut self.scratch);
                let d = Datagram {
                    from: addr(TX_ADDR),
                    to: addr(RX_ADDR),
                    data: Bytes::copy_from_slice(&self.scratch),
                };
                p.fwd.send(now, d);
            }
            while let Some(packet) = p.rx.poll_transmit(now) {
                busy = true;
                self.scratch.clear();
                packet.encode(&mut self.scratch);
                let d = Datagram {
                    from: addr(RX_ADDR),
                    to: addr(TX_ADDR),
                    data: Bytes::copy_from_slice(&self.scratch),
                };
                p.back.send(now, d);
            }
            while let Some(e) = p.tx.poll_event() {
                busy = true;
                if let ConnectionEvent::Closed { .. } = e
                    && p.tx_open
                {
                    p.tx_open = false;
                    self.tx.member_closed(p.tx_id, now);
                }
            }
            while let Some(e) = p.rx.poll_event() {
                busy = true;
                match e {
                    ConnectionEvent::Message {
                        data,
                        src_time,
                        seq,
                        ..
                    } => self.rx.on_member_message(p.rx_id, seq, data, src_time, now),
                    ConnectionEvent::Closed { .. } if p.rx_open => {
                        p.rx_open = false;
                        self.rx.member_closed(p.rx_id, now);
                    }
                    _ => {}
                }
            }
            if p.tx.state() == ConnectionState::Closed && p.tx_open {
                p.tx_open = false;
            }
        }
        busy
    }

    /// Checks the delivery record: every message sent in `range` delivered
    /// exactly once, in order, each `latency` (plus the path's one-way
    /// delay) after it was sent, within 1 ms of the others.
    pub fn check_exactly_once_in_order_on_time(&self, count: u32) -> Result<(), String> {
        let mut expected = 0u32;
        for d in &self.delivered {
            if d.n != expected {
                return Err(format!(
                    "message {} delivered where {} was due (seq {}) at {:?}",
                    d.n, expected, d.seq, d.at
                ));
            }
            expected += 1;
        }
        if expected != count {
            return Err(format!("{expected} of {count} messages delivered"));
        }
        let delays: Vec<Duration> = self
            .delivered
            .iter()
            .map(|d| d.at.duration_since(self.sent[d.n as usize]))
            .collect();
        let min = *delays.iter().min().unwrap();
        let max = *delays.iter().max().unwrap();
        if min < self.latency {
            return Err(format!(
                "delivered {min:?} after sending, before the latency"
            ));
        }
        if max - min > Duration::from_millis(1) {
            return Err(format!(
                "delivery delays spread from {min:?} to {max:?}, more than 1 ms"
            ));
        }
        Ok(())
    }
}

/// Runs a member command on a connection; false if it was refused.
pub fn apply(c: &mut Connection, command: MemberCommand, now: Instant) -> bool {
    match command {
        MemberCommand::OverrideSendSeq(seq) => c.override_send_seq(seq).is_ok(),
        MemberCommand::SkipReceiveTo(seq) => {
            c.skip_receive_to(seq, now);
            true
        }
        MemberCommand::SetReceiveTimeBase(base) => {
            c.set_receive_time_base(base, now);
            true
        }
    }
}

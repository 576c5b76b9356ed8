//! A tiny world of endpoints for the group handshake tests: datagrams
//! arrive at once (no link), time moves only when a test says so, and
//! every datagram and event is kept.
#![allow(dead_code)]

use bytes::Bytes;
use core::net::SocketAddr;
use core::time::Duration;
use srt_proto::endpoint::MemberInfo;
use srt_proto::handshake::HandshakeConfig;
use srt_proto::packet::ext::GroupExt;
use srt_proto::packet::{ControlBody, Packet};
use srt_proto::time::Instant;
use srt_proto::{ConnectionId, Endpoint, EndpointConfig, Event, Input, Output};
use std::collections::VecDeque;

/// Changes a datagram on its way (returns false to drop it).
pub type Tamper = Box<dyn FnMut(SocketAddr, &mut Bytes) -> bool>;

pub struct Ep {
    pub addr: SocketAddr,
    pub ep: Endpoint,
    pub events: Vec<Event>,
    /// Every datagram it sent, with the destination.
    pub sent: Vec<(SocketAddr, Bytes)>,
}

pub struct World {
    pub now: Instant,
    pub eps: Vec<Ep>,
    /// Applied to every datagram before it is delivered.
    pub tamper: Option<Tamper>,
}

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A broadcast (type 1) group with id `id` and weight `weight`.
pub fn group(id: u32, weight: u16) -> GroupExt {
    GroupExt {
        group_id: id,
        group_type: 1,
        flags: 0,
        weight,
    }
}

pub fn member_config(ext: GroupExt) -> HandshakeConfig {
    HandshakeConfig {
        group: Some(ext),
        ..HandshakeConfig::default()
    }
}

impl World {
    pub fn new(start: Instant) -> Self {
        Self {
            now: start,
            eps: Vec::new(),
            tamper: None,
        }
    }

    /// An endpoint at `address`, seeded with `seed`; its index.
    pub fn add(&mut self, address: &str, seed: u8) -> usize {
        self.eps.push(Ep {
            addr: addr(address),
            ep: Endpoint::new(EndpointConfig::default(), [seed; 32]),
            events: Vec::new(),
            sent: Vec::new(),
        });
        self.eps.len() - 1
    }

    /// Feeds `input` to endpoint `i` and delivers everything that follows.
    pub fn input(&mut self, i: usize, input: Input) {
        let mut queue = VecDeque::new();
        self.feed(i, input, &mut queue);
        self.pump(queue);
    }

    fn feed(
        &mut self,
        i: usize,
        input: Input,
        queue: &mut VecDeque<(SocketAddr, SocketAddr, Bytes)>,
    ) {
        let now = self.now;
        let ep = &mut self.eps[i];
        for output in ep.ep.handle_input(input, now) {
            match output {
                Output::Transmit { to, data } => {
                    ep.sent.push((to, data.clone()));
                    queue.push_back((ep.addr, to, data));
                }
                Output::Event(e) => ep.events.push(e),
                Output::Timeout(_) => {}
            }
        }
    }

    fn pump(&mut self, mut queue: VecDeque<(SocketAddr, SocketAddr, Bytes)>) {
        while let Some((from, to, mut data)) = queue.pop_front() {
            if let Some(tamper) = &mut self.tamper
                && !tamper(from, &mut data)
            {
                continue;
            }
            if let Some(i) = self.eps.iter().position(|e| e.addr == to) {
                self.feed(i, Input::Datagram { from, data }, &mut queue);
            }
        }
    }

    /// Runs every timer due within `d`, then sets the clock to the end.
    pub fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            let due = self
                .eps
                .iter()
                .enumerate()
                .filter_map(|(i, e)| e.ep.next_timeout().map(|t| (t, i)))
                .filter(|&(t, _)| t <= end)
                .min();
            let Some((t, i)) = due else { break };
            self.now = self.now.max(t);
            self.input(i, Input::Timeout);
        }
        self.now = end;
    }

    /// Starts a call from endpoint `i` to `remote`; the new connection's id.
    pub fn connect(&mut self, i: usize, remote: &str, config: HandshakeConfig) -> ConnectionId {
        let before = self.eps[i].events.len();
        self.input(
            i,
            Input::Connect {
                remote: addr(remote),
                config: Box::new(config),
            },
        );
        self.eps[i].events[before..]
            .iter()
            .find_map(|e| match e {
                Event::Connecting { conn, .. } => Some(*conn),
                _ => None,
            })
            .expect("connecting")
    }

    /// Every connection endpoint `i` reported connected, with its group.
    pub fn connected(&self, i: usize) -> Vec<(ConnectionId, Option<MemberInfo>)> {
        self.eps[i]
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Connected { conn, group, .. } => Some((*conn, *group)),
                _ => None,
            })
            .collect()
    }

    /// The group of connection `conn` on endpoint `i`, as `Connected` said.
    pub fn member(&self, i: usize, conn: ConnectionId) -> Option<MemberInfo> {
        self.connected(i)
            .into_iter()
            .find(|(c, _)| *c == conn)
            .and_then(|(_, g)| g)
    }

    /// The events of endpoint `i` that `f` picks.
    pub fn events<T>(&self, i: usize, f: impl FnMut(&Event) -> Option<T>) -> Vec<T> {
        self.eps[i].events.iter().filter_map(f).collect()
    }
}

/// The handshakes among `sent`, decoded, with their packet timestamps.
pub fn handshakes(sent: &[(SocketAddr, Bytes)]) -> Vec<(u32, srt_proto::packet::Handshake)> {
    sent.iter()
        .filter_map(|(_, d)| match Packet::decode(d).ok()? {
            Packet::Control(c) => match c.body {
                ControlBody::Handshake(hs) => Some((c.timestamp.as_u32(), *hs)),
                _ => None,
            },
            Packet::Data(_) => None,
        })
        .collect()
}

/// The data packets among `sent`, decoded.
pub fn data_packets(sent: &[(SocketAddr, Bytes)]) -> Vec<srt_proto::packet::DataPacket> {
    sent.iter()
        .filter_map(|(_, d)| match Packet::decode(d).ok()? {
            Packet::Data(p) => Some(p),
            Packet::Control(_) => None,
        })
        .collect()
}

/// Rewrites the handshake in `data` (a CONCLUSION) with `f`.
pub fn rewrite_handshake(data: &mut Bytes, f: impl FnOnce(&mut srt_proto::packet::Handshake)) {
    if let Ok(Packet::Control(mut c)) = Packet::decode(data)
        && let ControlBody::Handshake(hs) = &mut c.body
        && hs.handshake_type == srt_proto::packet::handshake::HandshakeType::Conclusion
    {
        f(hs);
        let mut out = Vec::new();
        Packet::Control(c).encode(&mut out);
        *data = Bytes::from(out);
    }
}

/// Rewrites the GROUP block of the handshake in `data` with `f`.
pub fn rewrite_group(data: &mut Bytes, mut f: impl FnMut(&mut GroupExt)) {
    rewrite_handshake(data, |hs| {
        for e in &mut hs.extensions {
            if let srt_proto::packet::ext::HandshakeExtension::Group(g) = e {
                f(g);
            }
        }
    });
}

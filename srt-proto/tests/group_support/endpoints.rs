//! A socket group above full `Endpoint`s, as a simulator `Node`: a caller
//! side with one endpoint (address) per member path, each member
//! handshaking with the GROUP extension and the group's sync; or a
//! listener side with one endpoint accepting grouped callers
//! (`group_connect`). Endpoint events go to the group, group outputs to
//! the endpoints, until neither has anything left; then every member is
//! observed.

use core::net::SocketAddr;
use core::time::Duration;
use srt_proto::group::{
    Group, GroupConfig, GroupEvent, GroupOutput, GroupType, MemberId, MemberObservation,
};
use srt_proto::handshake::HandshakeConfig;
use srt_proto::packet::ext::GroupExt;
use srt_proto::seq::SeqNumber;
use srt_proto::sim::{Datagram, Node};
use srt_proto::time::Instant;
use srt_proto::{ConnectionId, Endpoint, EndpointConfig, Event, Input, ListenConfig, Output};

#[derive(Debug, Clone, Copy)]
struct Member {
    ep: usize,
    conn: Option<ConnectionId>,
    id: MemberId,
}

/// What the caller's application does, and when.
#[derive(Debug, Clone)]
pub enum Action {
    /// Connect a new member from endpoint `ep` to `remote` with `weight`.
    Connect {
        ep: usize,
        remote: SocketAddr,
        weight: u16,
    },
    /// Take member path `ep` out of the group and close its connection.
    Leave { ep: usize },
}

pub struct GroupNode {
    pub group: Group,
    pub endpoints: Vec<(SocketAddr, Endpoint)>,
    members: Vec<Member>,
    latency: Duration,
    group_id: u32,
    /// Scheduled application actions, in time order.
    pub actions: Vec<(Instant, Action)>,
    /// Messages every `interval` in `[send_from, send_until)`.
    pub send_from: Instant,
    pub send_until: Instant,
    pub interval: Duration,
    /// When message `n` was sent (caller).
    pub sent: Vec<Instant>,
    /// What the group delivered: (when, message number, seq, member).
    pub delivered: Vec<(Instant, u32, SeqNumber, MemberId)>,
    pub events: Vec<(Instant, GroupEvent)>,
    pub endpoint_events: Vec<(Instant, String)>,
    started: bool,
}

fn handshake(latency: Duration) -> HandshakeConfig {
    HandshakeConfig {
        receive_latency: latency,
        peer_latency: latency,
        ..HandshakeConfig::default()
    }
}

impl GroupNode {
    /// A caller group with one endpoint per address in `paths`.
    pub fn caller(
        group_type: GroupType,
        latency: Duration,
        isn: u32,
        paths: &[SocketAddr],
        config: &EndpointConfig,
        seed: u8,
    ) -> Self {
        let endpoints: Vec<_> = paths
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let ep = Endpoint::new(config.clone(), [seed.wrapping_add(i as u8); 32]);
                (*a, ep)
            })
            .collect();
        let cfg = GroupConfig::new(group_type, SeqNumber::new(isn)).latency(latency);
        let mut node = Self::empty(Group::new(cfg, 0, Instant::ZERO), endpoints, latency);
        node.group_id = node.endpoints[0].1.new_group_id();
        node
    }

    /// A listener group on one endpoint at `addr`.
    pub fn listener(
        group_type: GroupType,
        latency: Duration,
        addr: SocketAddr,
        config: &EndpointConfig,
        seed: u8,
    ) -> Self {
        let ep = Endpoint::new(config.clone(), [seed; 32]);
        let cfg = GroupConfig::new(group_type, SeqNumber::new(0)).latency(latency);
        Self::empty(Group::new(cfg, 0, Instant::ZERO), vec![(addr, ep)], latency)
    }

    fn empty(group: Group, endpoints: Vec<(SocketAddr, Endpoint)>, latency: Duration) -> Self {
        Self {
            group,
            endpoints,
            members: Vec::new(),
            latency,
            group_id: 0,
            actions: Vec::new(),
            send_from: Instant::ZERO,
            send_until: Instant::ZERO,
            interval: Duration::from_millis(2),
            sent: Vec::new(),
            delivered: Vec::new(),
            events: Vec::new(),
            endpoint_events: Vec::new(),
            started: false,
        }
    }

    /// Connected members (with a connection that is established).
    pub fn connected(&self) -> usize {
        self.members
            .iter()
            .filter(|m| {
                m.conn
                    .and_then(|c| self.endpoints[m.ep].1.connection(c))
                    .is_some()
            })
            .count()
    }

    /// The group member on endpoint `ep`, if any.
    pub fn member_on(&self, ep: usize) -> Option<MemberId> {
        self.members.iter().find(|m| m.ep == ep).map(|m| m.id)
    }

    fn next_send(&self) -> Option<Instant> {
        let t = self.send_from + self.interval * self.sent.len() as u32;
        (t < self.send_until).then_some(t)
    }

    fn feed(&mut self, ep: usize, input: Input, now: Instant, out: &mut Vec<Datagram>) {
        let outputs = self.endpoints[ep].1.handle_input(input, now);
        let from = self.endpoints[ep].0;
        for o in outputs {
            match o {
                Output::Transmit { to, data } => out.push(Datagram { from, to, data }),
                Output::Event(e) => self.on_event(ep, e, now),
                Output::Timeout(_) => {}
            }
        }
    }

    fn member_of(&self, ep: usize, conn: ConnectionId) -> Option<MemberId> {
        self.members
            .iter()
            .find(|m| m.ep == ep && m.conn == Some(conn))
            .map(|m| m.id)
    }

    fn on_event(&mut self, ep: usize, e: Event, now: Instant) {
        self.endpoint_events
            .push((now, format!("ep{ep}: {e:?}").chars().take(200).collect()));
        match e {
            Event::Connecting { conn, .. } => {
                if let Some(m) = self
                    .members
                    .iter_mut()
                    .find(|m| m.ep == ep && m.conn.is_none())
                {
                    m.conn = Some(conn);
                }
            }
            Event::Connected { conn, group, .. } => {
                let id = match self.member_of(ep, conn) {
                    Some(id) => id,
                    None => {
                        let Some(info) = group else { return };
                        let Ok(id) = self.group.add_member(info.weight, now) else {
                            return;
                        };
                        self.members.push(Member {
                            ep,
                            conn: Some(conn),
                            id,
                        });
                        id
                    }
                };
                if let Some(c) = self.endpoints[ep].1.connection(conn) {
                    let obs = MemberObservation::of(c);
                    self.group.member_connected(id, obs, now);
                }
            }
            Event::Message {
                conn,
                data,
                src_time,
                seq,
                ..
            } => {
                if let Some(id) = self.member_of(ep, conn) {
                    self.group.on_member_message(id, seq, data, src_time, now);
                }
            }
            Event::Closed { conn, .. }
            | Event::Failed { conn, .. }
            | Event::Rejected { conn, .. } => {
                if let Some(id) = self.member_of(ep, conn) {
                    self.group.member_closed(id, now);
                    self.members.retain(|m| m.id != id);
                }
            }
            Event::SendFailed { conn, .. } | Event::MemberCommandFailed { conn, .. } => {
                if let Some(id) = self.member_of(ep, conn) {
                    self.group.member_send_failed(id, now);
                }
            }
            _ => {}
        }
    }

    fn apply_group(&mut self, now: Instant, out: &mut Vec<Datagram>) -> bool {
        let mut busy = false;
        while let Some(o) = self.group.poll_output() {
            busy = true;
            let target = |id: MemberId, members: &[Member]| {
                members
                    .iter()
                    .find(|m| m.id == id)
                    .and_then(|m| m.conn.map(|c| (m.ep, c)))
            };
            match o {
                GroupOutput::Send {
                    member,
                    data,
                    options,
                } => {
                    if let Some((ep, conn)) = target(member, &self.members) {
                        self.feed(
                            ep,
                            Input::Send {
                                conn,
                                data,
                                options,
                            },
                            now,
                            out,
                        );
                    }
                }
                GroupOutput::Command { member, command } => {
                    if let Some((ep, conn)) = target(member, &self.members) {
                        self.feed(ep, Input::Member { conn, command }, now, out);
                    }
                }
                GroupOutput::CloseMember { member } => {
                    if let Some((ep, conn)) = target(member, &self.members) {
                        self.feed(ep, Input::Close { conn }, now, out);
                    }
                    self.members.retain(|m| m.id != member);
                }
                GroupOutput::Event(GroupEvent::Message {
                    data, seq, member, ..
                }) => {
                    let n = u32::from_be_bytes(data[..4].try_into().unwrap());
                    self.delivered.push((now, n, seq, member));
                }
                GroupOutput::Event(e) => self.events.push((now, e)),
            }
        }
        busy
    }

    fn settle(&mut self, now: Instant, out: &mut Vec<Datagram>) {
        for _ in 0..16 {
            if !self.apply_group(now, out) {
                break;
            }
        }
        for m in self.members.clone() {
            let Some(conn) = m.conn else { continue };
            if let Some(c) = self.endpoints[m.ep].1.connection(conn) {
                let obs = MemberObservation::of(c);
                self.group.observe(m.id, obs, now);
            }
        }
        for _ in 0..16 {
            if !self.apply_group(now, out) {
                break;
            }
        }
    }

    fn run_actions(&mut self, now: Instant, out: &mut Vec<Datagram>) {
        while let Some((t, _)) = self.actions.first() {
            if *t > now {
                break;
            }
            let (_, action) = self.actions.remove(0);
            match action {
                Action::Connect { ep, remote, weight } => {
                    let Ok(id) = self.group.add_member(weight, now) else {
                        continue;
                    };
                    self.members.push(Member { ep, conn: None, id });
                    let mut config = handshake(self.latency);
                    config.group = Some(GroupExt {
                        group_id: self.group_id,
                        group_type: self.group.group_type().to_u8(),
                        flags: 0,
                        weight,
                    });
                    config.group_sync = Some(self.group.sync());
                    let input = Input::Connect {
                        remote,
                        config: Box::new(config),
                    };
                    self.feed(ep, input, now, out);
                }
                Action::Leave { ep } => {
                    if let Some(m) = self.members.iter().find(|m| m.ep == ep).copied() {
                        self.group.remove_member(m.id, now);
                        if let Some(conn) = m.conn {
                            self.feed(ep, Input::Close { conn }, now, out);
                        }
                        self.members.retain(|x| x.id != m.id);
                    }
                }
            }
        }
    }
}

impl Node for GroupNode {
    fn handle_datagram(&mut self, now: Instant, d: Datagram, out: &mut Vec<Datagram>) {
        let Some(ep) = self.endpoints.iter().position(|(a, _)| *a == d.to) else {
            return;
        };
        self.feed(
            ep,
            Input::Datagram {
                from: d.from,
                data: d.data,
            },
            now,
            out,
        );
        self.settle(now, out);
    }

    fn handle_timeout(&mut self, now: Instant, out: &mut Vec<Datagram>) {
        if !self.started {
            self.started = true;
            if self.group_id == 0 {
                let mut config = handshake(self.latency);
                config.group = None;
                let listen = ListenConfig::new(config).with_group_connect(true);
                self.feed(0, Input::Listen(Box::new(listen)), now, out);
            }
        }
        self.run_actions(now, out);
        if self.next_send().is_some_and(|t| t <= now) {
            let payload = super::numbered(self.sent.len() as u32);
            self.sent.push(now);
            let _ = self.group.send(payload, Default::default(), now);
        }
        for ep in 0..self.endpoints.len() {
            if self.endpoints[ep]
                .1
                .next_timeout()
                .is_some_and(|t| t <= now)
            {
                self.feed(ep, Input::Timeout, now, out);
            }
        }
        if self.group.next_timeout().is_some_and(|t| t <= now) {
            self.group.handle_timeout(now);
        }
        self.settle(now, out);
    }

    fn next_timeout(&self) -> Option<Instant> {
        let mut t = if self.started {
            None
        } else {
            Some(Instant::ZERO)
        };
        let mut take = |c: Option<Instant>| {
            if let Some(c) = c {
                t = Some(t.map_or(c, |t: Instant| t.min(c)));
            }
        };
        take(self.next_send());
        take(self.actions.first().map(|(t, _)| *t));
        take(self.group.next_timeout());
        for (_, ep) in &self.endpoints {
            take(ep.next_timeout());
        }
        t
    }
}

/// Checks the receiver's record against the sender's: every message
/// delivered exactly once, in order, `latency` plus a path delay after it
/// was sent, all within 1 ms of each other.
pub fn check_delivery(
    sent: &[Instant],
    delivered: &[(Instant, u32, SeqNumber, MemberId)],
    latency: Duration,
) -> Result<(), String> {
    for (i, d) in delivered.iter().enumerate() {
        if d.1 != i as u32 {
            return Err(format!(
                "message {} delivered where {i} was due at {:?}",
                d.1, d.0
            ));
        }
    }
    if delivered.len() != sent.len() {
        return Err(format!(
            "{} of {} messages delivered",
            delivered.len(),
            sent.len()
        ));
    }
    let delays: Vec<Duration> = delivered
        .iter()
        .map(|d| d.0.duration_since(sent[d.1 as usize]))
        .collect();
    let (Some(min), Some(max)) = (delays.iter().min(), delays.iter().max()) else {
        return Err("nothing delivered".into());
    };
    if *min < latency {
        return Err(format!(
            "delivered {min:?} after sending, before the latency"
        ));
    }
    if *max - *min > Duration::from_millis(1) {
        return Err(format!(
            "delivery delays from {min:?} to {max:?}, over 1 ms apart"
        ));
    }
    Ok(())
}

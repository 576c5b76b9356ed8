//! Our socket group on real loopback UDP, driven as an embedder without an
//! async runtime would: a [`Group`] above one or more [`Endpoint`]s, each
//! on its own `std::net::UdpSocket` (a caller has one per member path, a
//! listener one for all members), one thread, one loop.
//!
//! The loop, after the model of `examples/blocking_loop.rs`: read every
//! datagram waiting on each socket and feed it; feed `Timeout` to every
//! endpoint (and the group) whose `next_timeout()` is due; apply what
//! comes out (endpoint events go to the group, group outputs go to the
//! member endpoints, until neither has anything left); give the group a
//! fresh observation of each member; then sleep until the earliest
//! `next_timeout()`, at most 1 ms (std has no select over several
//! sockets, so the sockets are non-blocking and polled at that step).

use bytes::Bytes;
use srt_proto::connection::SendOptions;
use srt_proto::group::{
    Group, GroupConfig, GroupEvent, GroupOutput, GroupSendError, GroupType, MemberId,
    MemberObservation,
};
use srt_proto::handshake::HandshakeConfig;
use srt_proto::packet::ext::GroupExt;
use srt_proto::packet::reject::RejectReason;
use srt_proto::seq::SeqNumber;
use srt_proto::time::Instant;
use srt_proto::{ConnectionId, Endpoint, EndpointConfig, Event, Input, ListenConfig, Output};
use std::collections::VecDeque;
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

/// One UDP socket and the endpoint on it.
struct Node {
    socket: UdpSocket,
    ep: Endpoint,
}

/// A member: which node its connection lives on, the connection once
/// connected, and its id in the group.
#[derive(Debug, Clone, Copy)]
struct Member {
    node: usize,
    conn: Option<ConnectionId>,
    id: MemberId,
    open: bool,
}

/// Our group (caller or listener side) and its member endpoints.
pub struct OurGroup {
    nodes: Vec<Node>,
    members: Vec<Member>,
    group: Option<Group>,
    latency: Duration,
    /// A caller: one node per member, created with it.
    caller: bool,
    /// A caller's handshake for new members, and its endpoints' seed.
    handshake: Option<HandshakeConfig>,
    seed: u8,
    t0: std::time::Instant,
    events: VecDeque<(usize, Event)>,
    /// Everything the endpoints reported, for diagnostics.
    pub endpoint_log: Vec<String>,
    /// Everything the group reported (messages included).
    pub group_log: Vec<GroupEvent>,
    /// The messages the group delivered, in order.
    pub received: Vec<Bytes>,
    /// Members whose connection closed (after connecting).
    pub closed: usize,
    /// Why handshakes were refused: ours (caller) or the callers' (listener).
    pub refused: Vec<RejectReason>,
    buf: Vec<u8>,
}

fn bind() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_nonblocking(true).unwrap();
    socket
}

impl OurGroup {
    fn empty(latency: Duration) -> Self {
        Self {
            nodes: Vec::new(),
            members: Vec::new(),
            group: None,
            latency,
            caller: false,
            handshake: None,
            seed: 0,
            t0: std::time::Instant::now(),
            events: VecDeque::new(),
            endpoint_log: Vec::new(),
            group_log: Vec::new(),
            received: Vec::new(),
            closed: 0,
            refused: Vec::new(),
            buf: vec![0; 2048],
        }
    }

    /// A caller group of `group_type`: one socket and endpoint per target,
    /// each connecting with `handshake` plus the GROUP extension (our group
    /// id, the member's weight) and the group's sync (ISN and time zero).
    /// The group's latency is the handshake's receive latency.
    pub fn caller(
        group_type: GroupType,
        targets: &[(SocketAddr, u16)],
        handshake: &HandshakeConfig,
        seed: u8,
    ) -> Self {
        let latency = handshake.receive_latency;
        let mut me = Self::empty(latency);
        me.caller = true;
        me.seed = seed;
        me.handshake = Some(handshake.clone());
        let now = me.now();
        let group_id = 0x4000_0000 | (u32::from(seed) << 16) | 0x1234;
        let config = GroupConfig::new(group_type, SeqNumber::new(0x0123_4567 + u32::from(seed)))
            .latency(latency);
        me.group = Some(Group::new(config, group_id, now));
        for &(remote, weight) in targets {
            me.connect_member(remote, weight);
        }
        me
    }

    /// Caller: one more member, on a socket of its own, connecting to
    /// `remote` with `weight`; it joins the group's sequence space and
    /// time base through its handshake (`Group::sync`), also mid-stream.
    pub fn connect_member(&mut self, remote: SocketAddr, weight: u16) {
        let now = self.now();
        let (Some(group), Some(handshake)) = (self.group.as_mut(), self.handshake.as_ref()) else {
            panic!("only a caller connects members");
        };
        let id = group.add_member(weight, now).unwrap();
        let mut config = handshake.clone();
        config.group = Some(GroupExt {
            group_id: group.local_group_id(),
            group_type: group.group_type().to_u8(),
            flags: 0,
            weight,
        });
        config.group_sync = Some(group.sync());
        let node = self.nodes.len();
        self.nodes.push(Node {
            socket: bind(),
            ep: Endpoint::new(
                EndpointConfig::default(),
                [self.seed.wrapping_add(node as u8); 32],
            ),
        });
        self.members.push(Member {
            node,
            conn: None,
            id,
            open: true,
        });
        self.feed(
            node,
            Input::Connect {
                remote,
                config: Box::new(config),
            },
        );
        self.pump();
    }

    /// A listener that accepts grouped callers (`group_connect`) with
    /// `handshake`; the group is created when its first member connects.
    pub fn listener(handshake: HandshakeConfig, seed: u8) -> Self {
        Self::listener_with(handshake, true, seed)
    }

    /// A listener with `group_connect` as given (off: grouped callers are
    /// refused with GROUP, as libsrt's listener without
    /// `SRTO_GROUPCONNECT` refuses them).
    pub fn listener_with(handshake: HandshakeConfig, group_connect: bool, seed: u8) -> Self {
        let mut me = Self::empty(handshake.receive_latency);
        me.nodes.push(Node {
            socket: bind(),
            ep: Endpoint::new(EndpointConfig::default(), [seed; 32]),
        });
        let mut listen = ListenConfig::new(handshake);
        listen.group_connect = group_connect;
        me.feed(0, Input::Listen(Box::new(listen)));
        me.pump();
        me
    }

    /// The listener's address.
    pub fn local_addr(&self) -> SocketAddr {
        self.nodes[0].socket.local_addr().unwrap()
    }

    fn now(&self) -> Instant {
        Instant::from_micros(self.t0.elapsed().as_micros() as u64)
    }

    /// The group, once it exists.
    pub fn group(&self) -> Option<&Group> {
        self.group.as_ref()
    }

    /// How many members are connected now.
    pub fn connected_members(&self) -> usize {
        self.members
            .iter()
            .filter(|m| m.open && m.conn.is_some())
            .count()
    }

    fn feed(&mut self, node: usize, input: Input) {
        let now = self.now();
        let n = &mut self.nodes[node];
        for output in n.ep.handle_input(input, now) {
            match output {
                Output::Transmit { to, data } => {
                    // A full socket buffer is loss, as on a real network.
                    let _ = n.socket.send_to(&data, to);
                }
                Output::Event(e) => self.events.push_back((node, e)),
                Output::Timeout(_) => {}
            }
        }
    }

    fn member_of_conn(&self, node: usize, conn: ConnectionId) -> Option<usize> {
        self.members
            .iter()
            .position(|m| m.node == node && m.conn == Some(conn))
    }

    /// Applies endpoint events to the group and group outputs to the
    /// endpoints until neither has anything left.
    fn pump(&mut self) {
        loop {
            if let Some((node, event)) = self.events.pop_front() {
                self.on_event(node, event);
                continue;
            }
            let Some(output) = self.group.as_mut().and_then(Group::poll_output) else {
                return;
            };
            self.on_group_output(output);
        }
    }

    fn on_event(&mut self, node: usize, event: Event) {
        let now = self.now();
        match &event {
            Event::Message { .. } => {}
            other => self
                .endpoint_log
                .push(format!("{:?} node {node}: {other:?}", self.t0.elapsed())),
        }
        match event {
            Event::Connected {
                conn, group: info, ..
            } => {
                let Some(info) = info else {
                    // Not a group member: nothing for us.
                    self.feed(node, Input::Close { conn });
                    return;
                };
                let member = if let Some(i) = self
                    .members
                    .iter()
                    .position(|m| m.node == node && m.conn.is_none() && m.open)
                    .filter(|_| self.caller)
                {
                    // Caller: the node's pending member.
                    self.members[i].conn = Some(conn);
                    i
                } else {
                    // Listener: a new member of the mirror group (this
                    // loop holds one group: a member of another is
                    // refused).
                    if self
                        .group
                        .as_ref()
                        .is_some_and(|g| g.local_group_id() != info.local_group_id)
                    {
                        self.endpoint_log
                            .push(format!("member of another group: {info:?}"));
                        self.feed(node, Input::Close { conn });
                        return;
                    }
                    let group = self.group.get_or_insert_with(|| {
                        let config = GroupConfig::new(info.group_type, SeqNumber::new(0))
                            .latency(self.latency);
                        Group::new(config, info.local_group_id, now)
                    });
                    let Ok(id) = group.add_member(info.weight, now) else {
                        self.feed(node, Input::Close { conn });
                        return;
                    };
                    self.members.push(Member {
                        node,
                        conn: Some(conn),
                        id,
                        open: true,
                    });
                    self.members.len() - 1
                };
                let m = self.members[member];
                let obs = self.nodes[node]
                    .ep
                    .connection(conn)
                    .map(MemberObservation::of);
                if let (Some(group), Some(obs)) = (self.group.as_mut(), obs) {
                    group.member_connected(m.id, obs, now);
                }
            }
            Event::Message {
                conn,
                data,
                src_time,
                seq,
                ..
            } => {
                if let Some(i) = self.member_of_conn(node, conn) {
                    let id = self.members[i].id;
                    if let Some(group) = self.group.as_mut() {
                        group.on_member_message(id, seq, data, src_time, now);
                    }
                }
            }
            Event::Closed { conn, .. }
            | Event::Failed { conn, .. }
            | Event::Rejected { conn, .. } => {
                if let Event::Rejected { reason, .. } | Event::Failed { reason, .. } = event {
                    self.refused.push(reason);
                }
                let i = self.member_of_conn(node, conn).or_else(|| {
                    // A caller member that never connected.
                    self.members
                        .iter()
                        .position(|m| m.node == node && m.conn.is_none() && m.open)
                        .filter(|_| self.caller)
                });
                if let Some(i) = i {
                    self.close_member(i, now);
                }
            }
            Event::IncomingRejected { reason, .. } => self.refused.push(reason),
            Event::ConnectFailed { reason, .. } => {
                self.refused.push(reason);
                let i = self
                    .members
                    .iter()
                    .position(|m| m.node == node && m.conn.is_none() && m.open)
                    .filter(|_| self.caller);
                if let Some(i) = i {
                    self.close_member(i, now);
                }
            }
            Event::SendFailed { conn, .. } | Event::MemberCommandFailed { conn, .. } => {
                if let Some(i) = self.member_of_conn(node, conn) {
                    let id = self.members[i].id;
                    if let Some(group) = self.group.as_mut() {
                        group.member_send_failed(id, now);
                    }
                }
            }
            _ => {}
        }
    }

    fn close_member(&mut self, i: usize, now: Instant) {
        let m = &mut self.members[i];
        if !m.open {
            return;
        }
        m.open = false;
        if m.conn.is_some() {
            self.closed += 1;
        }
        let id = m.id;
        if let Some(group) = self.group.as_mut() {
            group.member_closed(id, now);
        }
    }

    fn on_group_output(&mut self, output: GroupOutput) {
        let target = |me: &Self, id: MemberId| {
            me.members
                .iter()
                .find(|m| m.id == id && m.open)
                .and_then(|m| Some((m.node, m.conn?)))
        };
        match output {
            GroupOutput::Send {
                member,
                data,
                options,
            } => {
                if let Some((node, conn)) = target(self, member) {
                    self.feed(
                        node,
                        Input::Send {
                            conn,
                            data,
                            options,
                        },
                    );
                }
            }
            GroupOutput::Command { member, command } => {
                if let Some((node, conn)) = target(self, member) {
                    self.feed(node, Input::Member { conn, command });
                }
            }
            GroupOutput::CloseMember { member } => {
                if let Some((node, conn)) = target(self, member) {
                    self.feed(node, Input::Close { conn });
                }
                if let Some(m) = self.members.iter_mut().find(|m| m.id == member) {
                    m.open = false;
                }
            }
            GroupOutput::Event(e) => {
                if let GroupEvent::Message { data, .. } = &e {
                    self.received.push(data.clone());
                }
                self.group_log.push(e);
            }
        }
    }

    /// Gives the group a fresh snapshot of every connected member.
    fn observe_members(&mut self) {
        let now = self.now();
        for m in &self.members {
            let (Some(conn), true) = (m.conn, m.open) else {
                continue;
            };
            let Some(c) = self.nodes[m.node].ep.connection(conn) else {
                continue;
            };
            let obs = MemberObservation::of(c);
            if let Some(group) = self.group.as_mut() {
                group.observe(m.id, obs, now);
            }
        }
    }

    /// One round of the loop, waiting at most `max_wait` for something to
    /// happen.
    pub fn step(&mut self, max_wait: Duration) {
        for node in 0..self.nodes.len() {
            loop {
                match self.nodes[node].socket.recv_from(&mut self.buf) {
                    Ok((n, from)) => {
                        let data = Bytes::copy_from_slice(&self.buf[..n]);
                        self.feed(node, Input::Datagram { from, data });
                        self.pump();
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    // ICMP port unreachable and the like: nothing came.
                    Err(_) => break,
                }
            }
            let now = self.now();
            if self.nodes[node].ep.next_timeout().is_some_and(|t| t <= now) {
                self.feed(node, Input::Timeout);
                self.pump();
            }
        }
        let now = self.now();
        if let Some(group) = self.group.as_mut()
            && group.next_timeout().is_some_and(|t| t <= now)
        {
            group.handle_timeout(now);
        }
        self.pump();
        self.observe_members();
        self.pump();

        let now = self.now();
        let next = self
            .nodes
            .iter()
            .filter_map(|n| n.ep.next_timeout())
            .chain(self.group.as_ref().and_then(Group::next_timeout))
            .min();
        let wait = next
            .map_or(max_wait, |t| {
                t.checked_duration_since(now).unwrap_or_default()
            })
            .min(max_wait)
            .min(Duration::from_millis(1));
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }

    /// Runs the loop for `duration`, or until `done` says so.
    pub fn run(&mut self, duration: Duration, mut done: impl FnMut(&Self) -> bool) {
        let end = std::time::Instant::now() + duration;
        while std::time::Instant::now() < end && !done(self) {
            self.step(Duration::from_millis(1));
        }
    }

    /// Sends one message on the group.
    pub fn send(&mut self, data: Bytes) -> Result<(), GroupSendError> {
        let now = self.now();
        let result = self
            .group
            .as_mut()
            .map_or(Err(GroupSendError::NoActiveMember), |g| {
                g.send(data, SendOptions::default(), now)
            });
        self.pump();
        result
    }

    /// Closes every member connection (SHUTDOWN to the peer).
    pub fn close(&mut self) {
        for i in 0..self.members.len() {
            let m = self.members[i];
            if let (Some(conn), true) = (m.conn, m.open) {
                self.feed(m.node, Input::Close { conn });
            }
        }
        self.pump();
    }

    /// A summary for failure messages.
    pub fn describe(&self) -> String {
        format!(
            "endpoint events: {:#?}\ngroup events (messages left out): {:#?}\nstats: {:?}",
            self.endpoint_log,
            self.group_log
                .iter()
                .filter(|e| !matches!(e, GroupEvent::Message { .. }))
                .collect::<Vec<_>>(),
            self.group.as_ref().map(Group::stats)
        )
    }
}

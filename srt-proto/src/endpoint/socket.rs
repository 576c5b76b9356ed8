//! The sockets of an endpoint: routing a datagram to its socket, draining
//! what a socket has to say, timers, and the move from handshake to
//! connection.

use super::{
    ConnState, ConnectionId, Endpoint, Event, MemberInfo, Output, RTT_CACHE_MIN_LIFE,
    RTT_CACHE_SIZE,
};
use crate::connection::{Connection, ConnectionEvent, ConnectionParams, ConnectionState};
use crate::crypto::Passphrase;
use crate::group::GroupType;
use crate::handshake::{CallerEvent, Negotiated, RendezvousEvent, Transmit};
use crate::packet::handshake::{Handshake, HandshakeType};
use crate::packet::reject::RejectReason;
use crate::packet::{ControlBody, ControlPacket, Packet};
use crate::seq::SeqNumber;
use crate::time::Instant;
use alloc::boxed::Box;
use alloc::vec::Vec;
use bytes::Bytes;
use core::net::SocketAddr;
use core::time::Duration;

impl Endpoint {
    /// A datagram addressed to our socket `id`.
    pub(super) fn for_socket(
        &mut self,
        id: u32,
        from: SocketAddr,
        data: Bytes,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        if from != conn.peer {
            return;
        }
        let Ok(packet) = Packet::decode_owned(data) else {
            return;
        };
        if let Packet::Control(ControlPacket {
            body: ControlBody::Handshake(hs),
            ..
        }) = &packet
        {
            self.socket_handshake(id, from, hs, now, out);
            return;
        }
        match &mut conn.state {
            ConnState::Established(c) => c.handle_packet(packet, now),
            ConnState::Rendezvous(r) => {
                // The responder learns from the initiator's traffic that the
                // AGREEMENT was lost; the packet then goes to the connection.
                r.handle_peer_traffic();
                self.drain(id, now, out);
                if let Some(ConnState::Established(c)) =
                    self.conns.get_mut(&id).map(|c| &mut c.state)
                {
                    c.handle_packet(packet, now);
                }
            }
            ConnState::Calling(_) => return,
        }
        self.drain(id, now, out);
    }

    /// A handshake for our socket `id` (by destination id, or by peer
    /// address for a rendezvous or an accepted connection).
    pub(super) fn socket_handshake(
        &mut self,
        id: u32,
        from: SocketAddr,
        hs: &Handshake,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        match &mut conn.state {
            ConnState::Calling(c) => c.handle_handshake(from, hs, now),
            ConnState::Rendezvous(r) => r.handle_handshake(from, hs, now),
            ConnState::Established(_) => {
                // The peer lost our last answer: send it again.
                let repeat = matches!(
                    hs.handshake_type,
                    HandshakeType::Conclusion | HandshakeType::Waveahand
                );
                if let (true, Some(reply)) = (repeat, &conn.repeat_reply) {
                    let t = Transmit {
                        to: conn.peer,
                        dst_socket_id: conn.peer_socket_id,
                        handshake: (**reply).clone(),
                    };
                    self.io.handshake(t, conn.start, now, out);
                }
                return;
            }
        }
        self.drain(id, now, out);
    }

    /// Collects everything socket `id` has to say, and moves it on when
    /// its handshake finished or its connection closed.
    pub(super) fn drain(&mut self, id: u32, now: Instant, out: &mut Vec<Output>) {
        self.drain_socket(id, now, out);
        self.rearm(id);
    }

    /// Puts socket `id`'s next wake-up in the timer index.
    pub(super) fn rearm(&mut self, id: u32) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let next = match &conn.state {
            ConnState::Calling(c) => c.next_timeout(),
            ConnState::Rendezvous(r) => r.next_timeout(),
            ConnState::Established(c) => c.next_timeout(),
        };
        if next == conn.armed {
            return;
        }
        if let Some(old) = conn.armed {
            self.timers.remove(&(old, id));
        }
        if let Some(at) = next {
            self.timers.insert((at, id));
        }
        conn.armed = next;
    }

    pub(super) fn drain_socket(&mut self, id: u32, now: Instant, out: &mut Vec<Output>) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let start = conn.start;
        let cid = ConnectionId(id);
        match &mut conn.state {
            ConnState::Calling(caller) => {
                while let Some(t) = caller.poll_transmit() {
                    conn.rtt.sent(&t.handshake, now);
                    self.io.handshake(t, start, now, out);
                }
                match caller.poll_event() {
                    Some(CallerEvent::Established(negotiated)) => {
                        conn.rtt.answered(now);
                        self.establish(id, negotiated, None, now, out);
                    }
                    Some(CallerEvent::Rejected { reason, by_peer }) => {
                        self.remove(id);
                        out.push(Output::Event(failure(cid, reason, by_peer)));
                    }
                    None => {}
                }
            }
            ConnState::Rendezvous(rdv) => {
                while let Some(t) = rdv.poll_transmit() {
                    conn.rtt.sent(&t.handshake, now);
                    self.io.handshake(t, start, now, out);
                }
                conn.peer_socket_id = rdv.peer_socket_id();
                match rdv.poll_event() {
                    Some(RendezvousEvent::Established {
                        mut negotiated,
                        repeat_reply,
                        send_isn,
                        receive_isn,
                        ..
                    }) => {
                        conn.rtt.answered(now);
                        // libsrt's rendezvous peers each send from their
                        // own initial sequence number.
                        negotiated.initial_seq = send_isn;
                        conn.receive_isn = Some(receive_isn);
                        self.establish(id, negotiated, repeat_reply.map(Box::new), now, out);
                    }
                    Some(RendezvousEvent::Rejected { reason, by_peer }) => {
                        self.remove(id);
                        out.push(Output::Event(failure(cid, reason, by_peer)));
                    }
                    None => {}
                }
            }
            ConnState::Established(c) => {
                let mut closed = false;
                loop {
                    let mut progressed = false;
                    while let Some(packet) = c.poll_transmit(now) {
                        self.io.transmit(conn.peer, &packet, out);
                        progressed = true;
                    }
                    while let Some(event) = c.poll_event() {
                        progressed = true;
                        match event {
                            ConnectionEvent::Message {
                                data,
                                src_time,
                                delivered_at,
                                msg_number,
                                seq,
                            } => out.push(Output::Event(Event::Message {
                                conn: cid,
                                data,
                                src_time,
                                delivered_at,
                                msg_number,
                                seq,
                            })),
                            ConnectionEvent::Closed { reason } => {
                                closed = true;
                                out.push(Output::Event(Event::Closed { conn: cid, reason }));
                            }
                            // Events the endpoint does not surface (yet).
                            #[allow(unreachable_patterns)]
                            _ => {}
                        }
                    }
                    if !progressed {
                        break;
                    }
                }
                if closed || c.state() == ConnectionState::Closed {
                    self.remove(id);
                }
            }
        }
    }

    /// A connection for socket `id` from what its handshake negotiated and
    /// what the endpoint learnt along the way, created `now`; `start` is its
    /// time base (its own start, or its group's, which may lie long before).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn make_connection(
        &mut self,
        id: u32,
        peer: SocketAddr,
        start: Instant,
        now: Instant,
        negotiated: &Negotiated,
        passphrase: Option<&Passphrase>,
        handshake: HandshakeFacts,
    ) -> Box<Connection> {
        let mut options = self.config.connection_options.clone();
        options.receive_initial_seq = handshake.receive_isn;
        if let Some(rtt) = handshake.rtt.or_else(|| self.cached_rtt(peer)) {
            options.initial_rtt = Some(rtt);
        }
        if negotiated.crypto.is_some() {
            options.passphrase = passphrase.cloned();
        }
        let params = ConnectionParams {
            local_socket_id: id,
            peer_socket_id: negotiated.peer_socket_id,
            peer_addr: peer,
            negotiated: negotiated.clone(),
            options,
            start_time: start,
        };
        Box::new(Connection::new_at(params, self.rng.bytes::<32>(), now))
    }

    /// Keeps the RTT a connection that lived long enough to measure it saw
    /// for its peer's host (libsrt's per-host cache), for the next
    /// connection with that host whose handshake gives no sample (the
    /// stateless listener's). Bounded: the oldest entry goes first.
    fn remember_rtt(&mut self, peer: SocketAddr, c: &Connection) {
        let stats = c.stats(self.last_now);
        if stats.elapsed < RTT_CACHE_MIN_LIFE {
            return;
        }
        let ip = peer.ip();
        self.rtt_cache.retain(|(cached, _)| *cached != ip);
        if self.rtt_cache.len() >= RTT_CACHE_SIZE {
            self.rtt_cache.pop_front();
        }
        self.rtt_cache.push_back((ip, stats.rtt));
    }

    /// The RTT cached for `peer`'s host.
    fn cached_rtt(&self, peer: SocketAddr) -> Option<Duration> {
        let ip = peer.ip();
        self.rtt_cache
            .iter()
            .rev()
            .find_map(|(cached, rtt)| (*cached == ip).then_some(*rtt))
    }

    /// The handshake of socket `id` succeeded: start its connection.
    pub(super) fn establish(
        &mut self,
        id: u32,
        negotiated: Box<Negotiated>,
        repeat_reply: Option<Box<Handshake>>,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        let Some((peer, start, passphrase, rtt, receive_isn, own_group)) =
            self.conns.get_mut(&id).map(|c| {
                (
                    c.peer,
                    c.start,
                    c.passphrase.take(),
                    c.rtt.sample,
                    c.receive_isn,
                    c.own_group,
                )
            })
        else {
            return;
        };
        // The handshake checked that the listener answered our GROUP.
        let member = own_group.zip(negotiated.group).and_then(|(own, answer)| {
            Some(MemberInfo {
                peer_group_id: answer.group_id,
                local_group_id: own.group_id,
                group_type: GroupType::from_u8(own.group_type)?,
                weight: own.weight,
            })
        });
        if let Some(m) = &member
            && self.peer_group_conflicts(id, m)
        {
            // libsrt: a group already bound to another peer group refuses
            // the member (interpretGroup, initiator side).
            self.remove(id);
            out.push(Output::Event(failure(
                ConnectionId(id),
                RejectReason::Group,
                false,
            )));
            return;
        }
        let facts = HandshakeFacts { rtt, receive_isn };
        let connection = self.make_connection(
            id,
            peer,
            start,
            now,
            &negotiated,
            passphrase.as_ref(),
            facts,
        );
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        conn.peer_socket_id = negotiated.peer_socket_id;
        conn.repeat_reply = repeat_reply;
        conn.member = member;
        conn.state = ConnState::Established(connection);
        self.connected(id, negotiated, now, out);
    }

    /// Whether another established member of `m`'s local group has a
    /// different peer group.
    fn peer_group_conflicts(&self, id: u32, m: &MemberInfo) -> bool {
        self.conns.iter().any(|(&other, c)| {
            other != id
                && matches!(c.state, ConnState::Established(_))
                && c.member.is_some_and(|o| {
                    o.local_group_id == m.local_group_id && o.peer_group_id != m.peer_group_id
                })
        })
    }

    /// Reports socket `id` connected and collects what its connection has
    /// to say.
    pub(super) fn connected(
        &mut self,
        id: u32,
        negotiated: Box<Negotiated>,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        let Some(conn) = self.conns.get(&id) else {
            return;
        };
        out.push(Output::Event(Event::Connected {
            conn: ConnectionId(id),
            peer: conn.peer,
            params: negotiated,
            request: conn.request,
            group: conn.member,
        }));
        self.drain(id, now, out);
    }

    /// Forgets socket `id`, and tells the access policy when it had
    /// accepted it.
    pub(super) fn remove(&mut self, id: u32) {
        let Some(conn) = self.conns.remove(&id) else {
            return;
        };
        if let Some(at) = conn.armed {
            self.timers.remove(&(at, id));
        }
        if let ConnState::Established(c) = &conn.state {
            self.remember_rtt(conn.peer, c);
        }
        self.accepted.remove(&(conn.peer, conn.peer_socket_id));
        if let Some(member) = &conn.member {
            self.groups.leave(member, id);
        }
        if self.rendezvous.get(&conn.peer) == Some(&id) {
            self.rendezvous.remove(&conn.peer);
        }
        if let (true, Some(request)) = (conn.policy_accepted, conn.request)
            && let Some(policy) = self.access_policy_mut()
        {
            policy.closed(request);
        }
    }
}

/// The event for a handshake that did not succeed.
pub(super) fn failure(conn: ConnectionId, reason: RejectReason, by_peer: bool) -> Event {
    match (reason, by_peer) {
        (RejectReason::Timeout | RejectReason::RdvCookie, false) => Event::Failed { conn, reason },
        _ => Event::Rejected {
            conn,
            reason,
            by_peer,
        },
    }
}

/// What the endpoint learnt during a handshake that is not in
/// [`Negotiated`]: it shapes the connection's start.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct HandshakeFacts {
    /// The handshake's round-trip time, when it could be measured.
    pub(super) rtt: Option<Duration>,
    /// The peer's own initial sequence number, when its data starts there
    /// rather than at the negotiated one (a libsrt rendezvous).
    pub(super) receive_isn: Option<SeqNumber>,
}

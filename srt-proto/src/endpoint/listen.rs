//! The listener side of the endpoint (libsrt `processConnectRequest`):
//! stateless INDUCTION answers, CONCLUSIONs checked against the SYN
//! cookie, access control, negotiation and acceptance.
//!
//! The access decision comes before negotiation, as in libsrt (whose
//! listen callback runs before the handshake extensions are interpreted),
//! so that an accept can set this connection's passphrase and latency
//! ([`AcceptOptions`]) and the negotiation then uses them.

use super::{AccessControl, Conn, ConnState, Endpoint, Event, ListenConfig, MemberInfo, Output};
use crate::access::{AcceptOptions, ConnectionRequest, Decision};
use crate::crypto::Passphrase;
use crate::handshake::config::{CryptoMode, EncryptionConfig};
use crate::handshake::group;
use crate::handshake::negotiate::{self, Negotiated};
use crate::handshake::{CookieSource, HandshakeConfig, RequestId, Transmit};
use crate::packet::ext::{GroupExt, HandshakeExtension};
use crate::packet::handshake::{EncryptionField, ExtensionFlags, Handshake, HandshakeType};
use crate::packet::reject::RejectReason;
use crate::time::Instant;
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::net::SocketAddr;

/// A request waiting for the embedder.
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) id: RequestId,
    peer: SocketAddr,
    request: Box<Handshake>,
    deadline: Instant,
    /// The group membership it holds (released on the decision).
    pub(super) member: Option<MemberInfo>,
}

/// A rejection remembered, to answer a repeated CONCLUSION the same way
/// without asking the embedder again.
#[derive(Debug)]
pub(super) struct Rejection {
    peer: SocketAddr,
    peer_socket_id: u32,
    reason: RejectReason,
}

/// Who a new connection is, on the listener side.
struct Accepted {
    local_id: u32,
    from: SocketAddr,
    request: Option<RequestId>,
    policy_accepted: bool,
    passphrase: Option<Passphrase>,
    member: Option<MemberInfo>,
}

/// The listening state.
#[derive(Debug)]
pub(super) struct Listening {
    pub(super) config: ListenConfig,
    pub(super) pending: Vec<Pending>,
    pub(super) rejections: VecDeque<Rejection>,
    next_request: u64,
}

impl Listening {
    pub(super) fn new(mut config: ListenConfig) -> Self {
        config.backlog = config.backlog.max(1);
        Self {
            config,
            pending: Vec::new(),
            rejections: VecDeque::new(),
            next_request: 0,
        }
    }

    pub(super) fn next_timeout(&self) -> Option<Instant> {
        self.pending.iter().map(|p| p.deadline).min()
    }

    fn remember(&mut self, peer: SocketAddr, peer_socket_id: u32, reason: RejectReason) {
        if self.rejections.len() >= self.config.backlog {
            self.rejections.pop_front();
        }
        self.rejections.push_back(Rejection {
            peer,
            peer_socket_id,
            reason,
        });
    }
}

/// The listener's configuration with an accept's overrides.
fn with_options(base: &HandshakeConfig, options: &AcceptOptions) -> HandshakeConfig {
    let mut config = base.clone();
    if let Some(passphrase) = &options.passphrase {
        match &mut config.encryption {
            Some(enc) => enc.passphrase = passphrase.clone(),
            None => {
                config.encryption = Some(EncryptionConfig {
                    passphrase: passphrase.clone(),
                    key_len: None,
                    mode: CryptoMode::Auto,
                });
            }
        }
    }
    if let Some(latency) = options.latency {
        config.receive_latency = latency;
        config.peer_latency = latency;
    }
    config
}

/// The caller's GROUP extension in `hs`.
fn group_extension(hs: &Handshake) -> Option<GroupExt> {
    hs.find_extension(|e| match e {
        HandshakeExtension::Group(g) => Some(*g),
        _ => None,
    })
}

/// The listener's answer skeleton to `hs` from `from`.
fn answer(config: &HandshakeConfig, from: SocketAddr, hs: &Handshake) -> Handshake {
    Handshake {
        version: 5,
        encryption: hs.encryption,
        extension_flags: hs.extension_flags,
        initial_seq: hs.initial_seq,
        mtu: config.mss,
        flow_window: config.flow_window,
        handshake_type: HandshakeType::Conclusion,
        socket_id: 0,
        syn_cookie: hs.syn_cookie,
        peer_ip: from.ip(),
        extensions: Vec::new(),
    }
}

impl Endpoint {
    /// A handshake addressed to id 0 that no socket claimed.
    pub(super) fn listener_handshake(
        &mut self,
        from: SocketAddr,
        hs: &Handshake,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        match hs.handshake_type {
            HandshakeType::Induction => self.induction(from, hs, now, out),
            HandshakeType::Conclusion if self.cookies.verify(from, hs.syn_cookie, now) => {
                self.conclusion(from, hs, now, out);
            }
            // A bad cookie or another type: no answer (an answer would make
            // us a reflector for spoofed sources).
            _ => {}
        }
    }

    /// INDUCTION: a v5 answer with a cookie, the magic and our key length;
    /// no state.
    fn induction(&mut self, from: SocketAddr, hs: &Handshake, now: Instant, out: &mut Vec<Output>) {
        let Some(listening) = &self.listening else {
            return;
        };
        let config = &listening.config.handshake;
        let encryption = match config.advertised_key_len() {
            Some(len) => EncryptionField::from_u16((len.bytes() / 8) as u16),
            None => EncryptionField::None,
        };
        let reply = Handshake {
            encryption,
            extension_flags: ExtensionFlags::MAGIC,
            handshake_type: HandshakeType::Induction,
            // libsrt leaves the caller's socket id in place.
            socket_id: hs.socket_id,
            syn_cookie: self.cookies.cookie(from, now),
            ..answer(config, from, hs)
        };
        let t = Transmit {
            to: from,
            dst_socket_id: hs.socket_id,
            handshake: reply,
        };
        let epoch = self.epoch();
        self.io.handshake(t, epoch, now, out);
    }

    /// CONCLUSION with a valid cookie.
    fn conclusion(
        &mut self,
        from: SocketAddr,
        hs: &Handshake,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        let Some(listening) = &mut self.listening else {
            return;
        };
        if listening
            .pending
            .iter()
            .any(|p| p.peer == from && p.request.socket_id == hs.socket_id)
        {
            // Still waiting for the embedder: the caller repeats itself.
            return;
        }
        if let Some(r) = listening
            .rejections
            .iter()
            .find(|r| r.peer == from && r.peer_socket_id == hs.socket_id)
        {
            let reason = r.reason;
            self.send_rejection(from, hs, reason, now, out);
            return;
        }
        if hs.version != 5 {
            // A UDT-era (HSv4) caller: a clean, specific refusal.
            self.refuse(from, hs, None, RejectReason::Version, now, out);
            return;
        }
        // Group membership first: libsrt refuses a grouped caller without
        // SRTO_GROUPCONNECT before its listen callback runs, and the
        // access decision sees the mirror group.
        let group_connect = listening.config.group_connect;
        let member = match group_extension(hs) {
            None => None,
            Some(ext) => match self.groups.admit(&ext, group_connect, &mut self.rng) {
                Ok(member) => Some(member),
                Err(reason) => {
                    self.refuse(from, hs, None, reason, now, out);
                    return;
                }
            },
        };
        self.decide(from, hs, member, now, out);
        if let Some(member) = &member {
            self.groups.release(member);
        }
    }

    /// Runs the access decision on an acceptable CONCLUSION; `member` is
    /// its group membership, held by the caller of this function (a
    /// pending request holds its own).
    fn decide(
        &mut self,
        from: SocketAddr,
        hs: &Handshake,
        member: Option<MemberInfo>,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        let Some(listening) = &mut self.listening else {
            return;
        };
        let id = RequestId(listening.next_request);
        match &mut listening.config.access {
            AccessControl::Off => self.negotiate(from, hs, None, false, None, member, now, out),
            AccessControl::Policy(policy) => {
                listening.next_request = listening.next_request.wrapping_add(1);
                let request = ConnectionRequest::from_handshake(id, from, hs).with_member(member);
                match policy.decide(&request) {
                    Decision::Accept(options) => {
                        let options = Some(&options);
                        self.negotiate(from, hs, Some(id), true, options, member, now, out);
                    }
                    Decision::Reject(reason) => self.refuse(from, hs, Some(id), reason, now, out),
                }
            }
            AccessControl::Ask => {
                if listening.pending.len() >= listening.config.backlog {
                    // Not remembered: the caller may try again when there
                    // is room.
                    self.send_rejection(from, hs, RejectReason::Backlog, now, out);
                    out.push(Output::Event(Event::IncomingRejected {
                        peer: from,
                        peer_socket_id: hs.socket_id,
                        request: None,
                        reason: RejectReason::Backlog,
                    }));
                    return;
                }
                listening.next_request = listening.next_request.wrapping_add(1);
                listening.pending.push(Pending {
                    id,
                    peer: from,
                    request: Box::new(hs.clone()),
                    deadline: now.saturating_add(listening.config.request_timeout),
                    member,
                });
                if let Some(member) = &member {
                    // The pending request's own hold on the mirror group.
                    self.groups.hold(member);
                }
                let request = ConnectionRequest::from_handshake(id, from, hs).with_member(member);
                out.push(Output::Event(Event::ConnectionRequest(Box::new(request))));
            }
        }
    }

    /// Negotiates `hs` (with an accept's `options`) and accepts or refuses.
    #[allow(clippy::too_many_arguments)]
    fn negotiate(
        &mut self,
        from: SocketAddr,
        hs: &Handshake,
        request: Option<RequestId>,
        policy_accepted: bool,
        options: Option<&AcceptOptions>,
        member: Option<MemberInfo>,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        let Some(listening) = &self.listening else {
            return;
        };
        let base = &listening.config.handshake;
        let overridden = options.map(|options| with_options(base, options));
        let config = overridden.as_ref().unwrap_or(base);
        let group_answer = member
            .zip(group_extension(hs))
            .map(|(m, ext)| group::answer(m.local_group_id, &ext));
        let result = negotiate::respond(config, hs, group_answer);
        let passphrase = config.encryption.as_ref().map(|e| e.passphrase.clone());
        let response = match result {
            Ok(response) => response,
            Err(reason) => {
                self.release(request, policy_accepted);
                self.refuse(from, hs, request, reason, now, out);
                return;
            }
        };
        let skeleton = answer(base, from, hs);
        let Some(local_id) = self.new_socket_id().filter(|_| self.has_room()) else {
            self.release(request, policy_accepted);
            self.refuse(from, hs, request, RejectReason::Resource, now, out);
            return;
        };
        let reply = Handshake {
            extension_flags: ExtensionFlags::for_extensions(&response.extensions),
            mtu: response.negotiated.mss,
            flow_window: response.negotiated.flow_window,
            socket_id: local_id,
            extensions: response.extensions,
            ..skeleton
        };
        let accepted = Accepted {
            local_id,
            from,
            request,
            policy_accepted,
            passphrase,
            member,
        };
        self.accept_connection(accepted, reply, response.negotiated, now, out);
    }

    fn accept_connection(
        &mut self,
        accepted: Accepted,
        reply: Handshake,
        negotiated: Negotiated,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        let Accepted {
            local_id,
            from,
            request,
            policy_accepted,
            passphrase,
            member,
        } = accepted;
        let peer_socket_id = negotiated.peer_socket_id;
        // A later member of a group sends in step with the group's oldest
        // member (libsrt synchronizeWithGroup): the same time base, the
        // same next sequence number, the same TSBPD base for what it
        // receives.
        let first = member
            .and_then(|m| self.groups.join(&m, local_id))
            .and_then(|first| match &self.conns.get(&first)?.state {
                ConnState::Established(c) => Some((
                    self.conns.get(&first).map_or(now, |f| f.start),
                    c.next_send_seq(),
                    c.receive_time_base(),
                )),
                _ => None,
            });
        let start = first.map_or(now, |(start, _, _)| start);
        let t = Transmit {
            to: from,
            dst_socket_id: peer_socket_id,
            handshake: reply.clone(),
        };
        self.io.handshake(t, start, now, out);
        let mut connection = self.make_connection(
            local_id,
            from,
            start,
            now,
            &negotiated,
            passphrase.as_ref(),
            super::socket::HandshakeFacts::default(),
        );
        if let Some((_, next_seq, time_base)) = first {
            // A fresh connection has nothing in flight: this cannot fail.
            let _ = connection.override_send_seq(next_seq);
            if let Some(base) = time_base {
                connection.set_receive_time_base(base, now);
            }
        }
        self.conns.insert(
            local_id,
            Conn {
                peer: from,
                peer_socket_id,
                request,
                policy_accepted,
                repeat_reply: Some(Box::new(reply)),
                passphrase: None,
                receive_isn: None,
                armed: None,
                own_group: None,
                member,
                rtt: super::RttProbe::default(),
                start,
                state: ConnState::Established(connection),
            },
        );
        self.accepted.insert((from, peer_socket_id), local_id);
        self.connected(local_id, Box::new(negotiated), now, out);
    }

    /// Tells a policy that a request it accepted will not become a
    /// connection.
    fn release(&mut self, request: Option<RequestId>, policy_accepted: bool) {
        if let (true, Some(id)) = (policy_accepted, request)
            && let Some(policy) = self.access_policy_mut()
        {
            policy.closed(id);
        }
    }

    /// Refuses `hs`: answer, remember, report.
    fn refuse(
        &mut self,
        from: SocketAddr,
        hs: &Handshake,
        request: Option<RequestId>,
        reason: RejectReason,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        if let Some(listening) = &mut self.listening {
            listening.remember(from, hs.socket_id, reason);
        }
        self.send_rejection(from, hs, reason, now, out);
        out.push(Output::Event(Event::IncomingRejected {
            peer: from,
            peer_socket_id: hs.socket_id,
            request,
            reason,
        }));
    }

    fn send_rejection(
        &mut self,
        from: SocketAddr,
        hs: &Handshake,
        reason: RejectReason,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        let Some(listening) = &self.listening else {
            return;
        };
        let reply = Handshake {
            handshake_type: HandshakeType::Rejection(reason),
            ..answer(&listening.config.handshake, from, hs)
        };
        let t = Transmit {
            to: from,
            dst_socket_id: hs.socket_id,
            handshake: reply,
        };
        let epoch = self.epoch();
        self.io.handshake(t, epoch, now, out);
    }

    fn take_pending(&mut self, request: RequestId) -> Option<Pending> {
        let listening = self.listening.as_mut()?;
        let index = listening.pending.iter().position(|p| p.id == request)?;
        Some(listening.pending.remove(index))
    }

    /// [`super::Input::Accept`].
    pub(super) fn accept(
        &mut self,
        request: RequestId,
        options: AcceptOptions,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        if let Some(p) = self.take_pending(request) {
            self.negotiate(
                p.peer,
                &p.request,
                Some(p.id),
                false,
                Some(&options),
                p.member,
                now,
                out,
            );
            if let Some(member) = &p.member {
                self.groups.release(member);
            }
        }
    }

    /// [`super::Input::Reject`].
    pub(super) fn reject(
        &mut self,
        request: RequestId,
        reason: RejectReason,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        if let Some(p) = self.take_pending(request) {
            self.refuse(p.peer, &p.request, Some(p.id), reason, now, out);
            if let Some(member) = &p.member {
                self.groups.release(member);
            }
        }
    }

    /// Requests past their deadline expire; their callers hear TIMEOUT.
    pub(super) fn expire_requests(&mut self, now: Instant, out: &mut Vec<Output>) {
        let Some(listening) = &mut self.listening else {
            return;
        };
        let mut expired = Vec::new();
        listening.pending.retain(|p| {
            let keep = p.deadline > now;
            if !keep {
                expired.push((p.id, p.peer, p.request.clone(), p.member));
            }
            keep
        });
        for (id, peer, hs, member) in expired {
            self.send_rejection(peer, &hs, RejectReason::Timeout, now, out);
            if let Some(member) = &member {
                self.groups.release(member);
            }
            out.push(Output::Event(Event::RequestExpired { request: id }));
        }
    }
}

//! The listener side of the caller–listener handshake (libsrt
//! `processConnectRequest`).
//!
//! - INDUCTION (any version) is answered with a v5 INDUCTION carrying a
//!   SYN cookie, the `0x4A17` magic and our advertised key length. No
//!   state is created: the cookie is a function of the peer's address and
//!   the time.
//! - CONCLUSION with a cookie the [`CookieSource`] accepts is negotiated
//!   ([`super::negotiate::respond`]). With access control on, the request
//!   is handed to the embedder ([`ListenerAction::Request`]) and waits for
//!   [`Listener::accept`] or [`Listener::reject`]; otherwise it is accepted
//!   at once. Undecided requests are bounded by the backlog: beyond it,
//!   CONCLUSIONs are answered with BACKLOG.
//! - CONCLUSION with a bad cookie is dropped without an answer, as libsrt
//!   does (an answer would let anyone use us as a reflector).
//! - CONCLUSION of version 4 (a UDT-era caller) is rejected with VERSION.
//! - A repeated CONCLUSION for a connection already answered gets the same
//!   answer again (the caller lost ours).
//! - A grouped caller is refused with GROUP: group membership (the mirror
//!   group per peer group) lives in [`crate::Endpoint`].

use super::config::HandshakeConfig;
use super::negotiate::{self, Negotiated};
use crate::packet::handshake::{EncryptionField, ExtensionFlags, Handshake, HandshakeType};
use crate::packet::reject::RejectReason;
use crate::time::Instant;
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::net::SocketAddr;
use core::time::Duration;

/// Where SYN cookies come from: a keyed hash of the peer's address and a
/// time slot (libsrt `bake`), accepting the current and the previous slot.
pub trait CookieSource {
    /// The cookie for `peer` at `now`.
    fn cookie(&self, peer: SocketAddr, now: Instant) -> u32;
    /// Whether `cookie` is one we gave `peer` recently.
    fn verify(&self, peer: SocketAddr, cookie: u32, now: Instant) -> bool;
}

/// A cookie source that always yields the same cookie: for replaying
/// captured handshakes in tests and for simulations where the cookie does
/// not matter. Never use it on a real network: it makes the listener's
/// INDUCTION answer predictable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedCookieForTesting(pub u32);

impl CookieSource for FixedCookieForTesting {
    fn cookie(&self, _peer: SocketAddr, _now: Instant) -> u32 {
        self.0
    }
    fn verify(&self, _peer: SocketAddr, cookie: u32, _now: Instant) -> bool {
        cookie == self.0
    }
}

/// A handshake to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The address to send to.
    pub to: SocketAddr,
    /// The destination socket id of the control packet header.
    pub dst_socket_id: u32,
    /// The handshake CIF.
    pub handshake: Handshake,
}

/// Identifies a request waiting for the embedder's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// What the listener wants done with a handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenerAction {
    /// Nothing to do (bad cookie, a request already waiting, a stray
    /// handshake type).
    Ignore,
    /// Send this answer; no connection results (INDUCTION answer, a
    /// repeated answer, a rejection).
    Reply(Transmit),
    /// Access control: decide on this request with [`Listener::accept`] or
    /// [`Listener::reject`].
    Request {
        /// The request's id.
        id: RequestId,
        /// The caller's address.
        peer: SocketAddr,
        /// What negotiation would give (peer socket id, stream id, crypto…).
        negotiated: Box<Negotiated>,
    },
    /// A connection is accepted: send the answer and start it.
    Accepted {
        /// The CONCLUSION answer.
        reply: Transmit,
        /// Our socket id for the connection.
        local_socket_id: u32,
        /// The options in effect.
        negotiated: Box<Negotiated>,
    },
}

#[derive(Debug, Clone)]
struct Pending {
    id: RequestId,
    peer: SocketAddr,
    request: Handshake,
    response: negotiate::Response,
}

#[derive(Debug, Clone)]
struct Answered {
    peer: SocketAddr,
    peer_socket_id: u32,
    reply: Transmit,
    at: Instant,
}

/// How long a listener remembers its CONCLUSION answers to resend them.
pub const ANSWER_MEMORY: Duration = Duration::from_secs(10);

/// The listener's handshake logic for one listening socket.
#[derive(Debug, Clone)]
pub struct Listener<C> {
    config: HandshakeConfig,
    cookies: C,
    backlog: usize,
    access_control: bool,
    next_request: u64,
    pending: Vec<Pending>,
    answered: Vec<Answered>,
}

impl<C: CookieSource> Listener<C> {
    /// A listener that accepts whatever negotiates, with at most `backlog`
    /// requests undecided and remembered answers bounded by `backlog` too.
    pub fn new(config: HandshakeConfig, cookies: C, backlog: usize) -> Self {
        Self {
            config,
            cookies,
            backlog: backlog.max(1),
            access_control: false,
            next_request: 0,
            pending: Vec::new(),
            answered: Vec::new(),
        }
    }

    /// The same listener, handing every negotiable request to the embedder
    /// first ([`ListenerAction::Request`]).
    pub fn with_access_control(mut self) -> Self {
        self.access_control = true;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &HandshakeConfig {
        &self.config
    }

    /// How many requests wait for a decision.
    pub fn pending_requests(&self) -> usize {
        self.pending.len()
    }

    /// How many CONCLUSION answers are remembered for resending.
    pub fn remembered_answers(&self) -> usize {
        self.answered.len()
    }

    /// Handles a handshake from `from`; `alloc_socket_id` names the socket
    /// of a connection this call accepts.
    pub fn handle(
        &mut self,
        from: SocketAddr,
        hs: &Handshake,
        now: Instant,
        alloc_socket_id: &mut impl FnMut() -> u32,
    ) -> ListenerAction {
        self.answered
            .retain(|a| now.duration_since(a.at) < ANSWER_MEMORY);
        match hs.handshake_type {
            HandshakeType::Induction => ListenerAction::Reply(self.induction_answer(from, hs, now)),
            HandshakeType::Conclusion => self.conclusion(from, hs, now, alloc_socket_id),
            _ => ListenerAction::Ignore,
        }
    }

    fn induction_answer(&self, from: SocketAddr, hs: &Handshake, now: Instant) -> Transmit {
        let encryption = match self.config.advertised_key_len() {
            Some(len) => EncryptionField::from_u16((len.bytes() / 8) as u16),
            None => EncryptionField::None,
        };
        Transmit {
            to: from,
            dst_socket_id: hs.socket_id,
            handshake: Handshake {
                version: 5,
                encryption,
                extension_flags: ExtensionFlags::MAGIC,
                initial_seq: hs.initial_seq,
                mtu: self.config.mss,
                flow_window: self.config.flow_window,
                handshake_type: HandshakeType::Induction,
                // libsrt leaves the caller's socket id in place.
                socket_id: hs.socket_id,
                syn_cookie: self.cookies.cookie(from, now),
                peer_ip: from.ip(),
                extensions: Vec::new(),
            },
        }
    }

    fn rejection(&self, from: SocketAddr, hs: &Handshake, reason: RejectReason) -> Transmit {
        Transmit {
            to: from,
            dst_socket_id: hs.socket_id,
            handshake: Handshake {
                version: 5,
                encryption: hs.encryption,
                extension_flags: hs.extension_flags,
                initial_seq: hs.initial_seq,
                mtu: self.config.mss,
                flow_window: self.config.flow_window,
                handshake_type: HandshakeType::Rejection(reason),
                socket_id: 0,
                syn_cookie: hs.syn_cookie,
                peer_ip: from.ip(),
                extensions: Vec::new(),
            },
        }
    }

    fn conclusion(
        &mut self,
        from: SocketAddr,
        hs: &Handshake,
        now: Instant,
        alloc_socket_id: &mut impl FnMut() -> u32,
    ) -> ListenerAction {
        if !self.cookies.verify(from, hs.syn_cookie, now) {
            return ListenerAction::Ignore;
        }
        if let Some(a) = self
            .answered
            .iter()
            .find(|a| a.peer == from && a.peer_socket_id == hs.socket_id)
        {
            return ListenerAction::Reply(a.reply.clone());
        }
        if self
            .pending
            .iter()
            .any(|p| p.peer == from && p.request.socket_id == hs.socket_id)
        {
            return ListenerAction::Ignore;
        }
        if hs.version != 5 {
            return self.reject_and_remember(from, hs, RejectReason::Version, now);
        }
        let response = match negotiate::respond(&self.config, hs, None) {
            Ok(response) => response,
            Err(reason) => return self.reject_and_remember(from, hs, reason, now),
        };
        if !self.access_control {
            return self.accept_now(from, hs, response, now, alloc_socket_id());
        }
        if self.pending.len() >= self.backlog {
            return ListenerAction::Reply(self.rejection(from, hs, RejectReason::Backlog));
        }
        let id = RequestId(self.next_request);
        self.next_request = self.next_request.wrapping_add(1);
        let negotiated = Box::new(response.negotiated.clone());
        self.pending.push(Pending {
            id,
            peer: from,
            request: hs.clone(),
            response,
        });
        ListenerAction::Request {
            id,
            peer: from,
            negotiated,
        }
    }

    fn remember(&mut self, from: SocketAddr, hs: &Handshake, reply: &Transmit, now: Instant) {
        if self.answered.len() >= self.backlog {
            self.answered.remove(0);
        }
        self.answered.push(Answered {
            peer: from,
            peer_socket_id: hs.socket_id,
            reply: reply.clone(),
            at: now,
        });
    }

    fn reject_and_remember(
        &mut self,
        from: SocketAddr,
        hs: &Handshake,
        reason: RejectReason,
        now: Instant,
    ) -> ListenerAction {
        let reply = self.rejection(from, hs, reason);
        self.remember(from, hs, &reply, now);
        ListenerAction::Reply(reply)
    }

    fn accept_now(
        &mut self,
        from: SocketAddr,
        hs: &Handshake,
        response: negotiate::Response,
        now: Instant,
        local_socket_id: u32,
    ) -> ListenerAction {
        let reply = Transmit {
            to: from,
            dst_socket_id: hs.socket_id,
            handshake: Handshake {
                version: 5,
                encryption: hs.encryption,
                extension_flags: ExtensionFlags::for_extensions(&response.extensions),
                initial_seq: hs.initial_seq,
                mtu: response.negotiated.mss,
                flow_window: response.negotiated.flow_window,
                handshake_type: HandshakeType::Conclusion,
                socket_id: local_socket_id,
                syn_cookie: hs.syn_cookie,
                peer_ip: from.ip(),
                extensions: response.extensions,
            },
        };
        self.remember(from, hs, &reply, now);
        ListenerAction::Accepted {
            reply,
            local_socket_id,
            negotiated: Box::new(response.negotiated),
        }
    }

    /// Accepts the waiting request `id` as socket `local_socket_id`;
    /// `None` if there is no such request.
    pub fn accept(
        &mut self,
        id: RequestId,
        local_socket_id: u32,
        now: Instant,
    ) -> Option<ListenerAction> {
        let index = self.pending.iter().position(|p| p.id == id)?;
        let p = self.pending.remove(index);
        Some(self.accept_now(p.peer, &p.request, p.response, now, local_socket_id))
    }

    /// Rejects the waiting request `id` with `reason`: the answer to send,
    /// or `None` if there is no such request.
    pub fn reject(
        &mut self,
        id: RequestId,
        reason: RejectReason,
        now: Instant,
    ) -> Option<Transmit> {
        let index = self.pending.iter().position(|p| p.id == id)?;
        let p = self.pending.remove(index);
        match self.reject_and_remember(p.peer, &p.request, reason, now) {
            ListenerAction::Reply(t) => Some(t),
            _ => None,
        }
    }
}

//! The HSv5 rendezvous handshake (libsrt `processRendezvous`,
//! `rendezvousSwitchState`, `cookieContest`).
//!
//! Both sides call each other at once. Each sends WAVEAHAND (version 5, no
//! extensions, its cookie, destination id 0 until it knows the peer's id)
//! every `retransmit_interval` (250 ms). The first handshake from the peer
//! carries the peer's cookie, and the cookie contest gives the roles: the
//! side whose cookie is larger, compared as libsrt does (the difference of
//! the two as a signed 32-bit number), is the *initiator* (it sends HSREQ
//! and KMREQ); the other is the *responder* (it answers HSRSP and KMRSP).
//!
//! States, as libsrt names them, and what each side does there:
//!
//! | state       | initiator                                  | responder                                        |
//! |-------------|--------------------------------------------|--------------------------------------------------|
//! | `waving`    | WAVEAHAND                                  | WAVEAHAND                                        |
//! | `attention` | got WAVEAHAND: WAVEAHAND to the peer's id  | got WAVEAHAND: CONCLUSION without extensions     |
//! | `fine`      | got CONCLUSION: CONCLUSION + HSREQ (KMREQ) | —                                                |
//! | `initiated` | —                                          | got HSREQ: CONCLUSION + HSRSP (KMRSP)            |
//! | `connected` | got HSRSP: AGREEMENT, done                 | got AGREEMENT (or any packet of the connection)  |
//!
//! This is the exchange `tests/data/srt-libsrt-rendezvous.jsonl` shows
//! between two libsrt 1.5 peers, message for message. Every state resends
//! its message on the timer and when the peer repeats itself, so lost or
//! duplicated handshakes only cost time. A failure to negotiate sends the
//! peer a rejection with libsrt's code.
//!
//! **Equal cookies** (a draw, about one chance in 2³²): libsrt cannot
//! assign roles and ignores the peer's handshakes ("cookie contest
//! unresolved"), so the handshake stalls until the connect timeout. We do
//! the same, and report the failure as [`RejectReason::RdvCookie`] instead
//! of a plain timeout.
//!
//! **Timeout**: libsrt gives a rendezvous ten times the connect timeout
//! (`SRTO_CONNTIMEO` × 10, 30 s by default), since both sides must be
//! started by hand; so do we ([`RENDEZVOUS_TIMEOUT_FACTOR`]).
//!
//! **Sequence numbers**: each side sends from its own initial sequence
//! number and receives from the peer's (the responder's data in the
//! capture starts at its own ISN); [`RendezvousEvent::Established`] gives
//! both.

use super::config::HandshakeConfig;
use super::listener::Transmit;
use super::negotiate::{self, InitiatorSecret, Negotiated, NegotiatedCrypto};
use crate::crypto::KeyLength;
use crate::packet::ext::HandshakeExtension;
use crate::packet::handshake::{EncryptionField, ExtensionFlags, Handshake, HandshakeType};
use crate::packet::km::KeyMaterial;
use crate::packet::reject::RejectReason;
use crate::seq::SeqNumber;
use crate::time::Instant;
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::net::SocketAddr;

/// How many connect timeouts a rendezvous may take (libsrt: 10).
pub const RENDEZVOUS_TIMEOUT_FACTOR: u32 = 10;

/// The rendezvous state (libsrt `CHandShake::RendezvousState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RendezvousState {
    /// No handshake from the peer yet.
    Waving,
    /// The peer's WAVEAHAND arrived; roles are known.
    Attention,
    /// Initiator: the peer's CONCLUSION arrived; HSREQ sent.
    Fine,
    /// Responder: the initiator's HSREQ arrived; HSRSP sent.
    Initiated,
    /// The connection is up.
    Connected,
    /// The handshake failed (rejected or timed out).
    Failed,
}

/// Which side of the SRT handshake we play after the cookie contest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The larger cookie: sends HSREQ/KMREQ.
    Initiator,
    /// The smaller cookie: answers HSRSP/KMRSP.
    Responder,
}

/// The cookie contest as libsrt's `cookieContest` runs it: `None` for a
/// draw.
pub fn cookie_contest(ours: u32, theirs: u32) -> Option<Role> {
    // libsrt subtracts the cookies as ints: a wrapping, signed comparison.
    match (ours.wrapping_sub(theirs) as i32).signum() {
        1 => Some(Role::Initiator),
        -1 => Some(Role::Responder),
        _ => None,
    }
}

/// What came of a rendezvous.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RendezvousEvent {
    /// The connection is up.
    Established {
        /// The options in effect. `initial_seq` is the initiator's ISN,
        /// as in a caller–listener connection; see `send_isn` and
        /// `receive_isn` for libsrt's per-direction numbers.
        negotiated: Box<Negotiated>,
        /// The role we played.
        role: Role,
        /// The sequence number our first data packet carries (our ISN).
        send_isn: SeqNumber,
        /// The sequence number the peer's first data packet carries (its
        /// ISN).
        receive_isn: SeqNumber,
        /// What to send again if the peer repeats its last handshake
        /// (initiator: AGREEMENT; responder: the HSRSP CONCLUSION).
        repeat_reply: Option<Handshake>,
    },
    /// The rendezvous failed.
    Rejected {
        /// Why.
        reason: RejectReason,
        /// Whether the peer sent this reason.
        by_peer: bool,
    },
}

#[derive(Debug, Clone)]
struct Sent {
    crypto: Option<NegotiatedCrypto>,
    km: Option<KeyMaterial>,
}

/// One side of a rendezvous handshake.
#[derive(Debug)]
pub struct Rendezvous {
    config: HandshakeConfig,
    remote: SocketAddr,
    local_socket_id: u32,
    initial_seq: SeqNumber,
    cookie: u32,
    secret: InitiatorSecret,
    state: RendezvousState,
    role: Option<Role>,
    draw: bool,
    peer_socket_id: u32,
    peer_isn: SeqNumber,
    /// The handshake resent on the timer.
    current: Handshake,
    sent: Option<Box<Sent>>,
    /// Responder: what negotiation gave, until AGREEMENT arrives.
    pending: Option<Box<Negotiated>>,
    deadline: Instant,
    next_send: Instant,
    transmits: VecDeque<Transmit>,
    events: VecDeque<RendezvousEvent>,
}

impl Rendezvous {
    /// Starts a rendezvous with `remote` as socket `local_socket_id`, with
    /// initial sequence number `initial_seq` and rendezvous cookie
    /// `cookie`; key material (if a passphrase is set) is drawn from `rng`.
    /// The first WAVEAHAND is ready in [`Self::poll_transmit`].
    pub fn new(
        config: HandshakeConfig,
        remote: SocketAddr,
        local_socket_id: u32,
        initial_seq: SeqNumber,
        cookie: u32,
        rng: &mut impl rand_core::Rng,
        now: Instant,
    ) -> Self {
        let timeout = config
            .connect_timeout
            .saturating_mul(RENDEZVOUS_TIMEOUT_FACTOR);
        let current = Handshake {
            version: 5,
            encryption: EncryptionField::None,
            extension_flags: ExtensionFlags(0),
            initial_seq,
            mtu: config.mss,
            flow_window: config.flow_window,
            handshake_type: HandshakeType::Waveahand,
            socket_id: local_socket_id,
            syn_cookie: cookie,
            peer_ip: remote.ip(),
            extensions: Vec::new(),
        };
        let mut rdv = Self {
            deadline: now.saturating_add(timeout),
            next_send: now,
            config,
            remote,
            local_socket_id,
            initial_seq,
            cookie,
            secret: InitiatorSecret::draw(rng),
            state: RendezvousState::Waving,
            role: None,
            draw: false,
            peer_socket_id: 0,
            peer_isn: initial_seq,
            current,
            sent: None,
            pending: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        };
        rdv.send(now);
        rdv
    }

    /// Our socket id.
    pub fn local_socket_id(&self) -> u32 {
        self.local_socket_id
    }

    /// The peer's address.
    pub fn remote(&self) -> SocketAddr {
        self.remote
    }

    /// The peer's socket id, once a handshake from it arrived (else 0).
    pub fn peer_socket_id(&self) -> u32 {
        self.peer_socket_id
    }

    /// Our rendezvous cookie.
    pub fn cookie(&self) -> u32 {
        self.cookie
    }

    /// The state.
    pub fn state(&self) -> RendezvousState {
        self.state
    }

    /// Our role, once the cookie contest is decided.
    pub fn role(&self) -> Option<Role> {
        self.role
    }

    /// Whether the handshake has finished (either way).
    pub fn is_done(&self) -> bool {
        matches!(
            self.state,
            RendezvousState::Connected | RendezvousState::Failed
        )
    }

    /// The next handshake to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next outcome (at most one per rendezvous).
    pub fn poll_event(&mut self) -> Option<RendezvousEvent> {
        self.events.pop_front()
    }

    /// When to call [`Self::handle_timeout`].
    pub fn next_timeout(&self) -> Option<Instant> {
        (!self.is_done()).then(|| self.next_send.min(self.deadline))
    }

    /// The timer fired: resend, or give up after the timeout.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.is_done() {
            return;
        }
        if now >= self.deadline {
            let reason = if self.draw {
                RejectReason::RdvCookie
            } else {
                RejectReason::Timeout
            };
            self.fail(reason, false);
        } else if now >= self.next_send {
            self.send(now);
        }
    }

    /// A packet other than a handshake arrived from the peer for our
    /// socket: for a responder waiting for AGREEMENT, the initiator is
    /// connected, so we are too (libsrt does the same when AGREEMENT is
    /// lost).
    pub fn handle_peer_traffic(&mut self) {
        if self.state == RendezvousState::Initiated && self.role == Some(Role::Responder) {
            self.responder_connected();
        }
    }

    fn fail(&mut self, reason: RejectReason, by_peer: bool) {
        self.state = RendezvousState::Failed;
        self.events
            .push_back(RendezvousEvent::Rejected { reason, by_peer });
    }

    fn send(&mut self, now: Instant) {
        self.transmits.push_back(Transmit {
            to: self.remote,
            dst_socket_id: self.peer_socket_id,
            handshake: self.current.clone(),
        });
        self.next_send = now.saturating_add(self.config.retransmit_interval);
    }

    fn reject_peer(&mut self, reason: RejectReason) {
        let mut hs = self.current.clone();
        hs.handshake_type = HandshakeType::Rejection(reason);
        hs.extensions.clear();
        hs.extension_flags = ExtensionFlags(0);
        self.transmits.push_back(Transmit {
            to: self.remote,
            dst_socket_id: self.peer_socket_id,
            handshake: hs,
        });
        self.fail(reason, false);
    }

    fn set_current(&mut self, kind: HandshakeType, extensions: Vec<HandshakeExtension>) {
        self.current.handshake_type = kind;
        self.current.extension_flags = ExtensionFlags::for_extensions(&extensions);
        self.current.extensions = extensions;
    }

    /// A handshake arrived from `from`.
    pub fn handle_handshake(&mut self, from: SocketAddr, hs: &Handshake, now: Instant) {
        if from != self.remote || self.is_done() {
            return;
        }
        if let Some(reason) = hs.reject_reason() {
            self.fail(reason, true);
            return;
        }
        if hs.version != 5 {
            // An HSv4 (UDT-era) rendezvous peer: we speak HSv5 only.
            self.reject_peer(RejectReason::Version);
            return;
        }
        if hs.socket_id == 0 {
            return;
        }
        // The contest is run once: as in libsrt, its outcome stands even
        // if a peer's cookie changes later.
        let role = match self.role {
            Some(role) => role,
            None => match cookie_contest(self.cookie, hs.syn_cookie) {
                Some(role) => role,
                None => {
                    // A draw: libsrt waits and lets the timeout end it.
                    self.draw = true;
                    return;
                }
            },
        };
        self.role = Some(role);
        self.peer_socket_id = hs.socket_id;
        self.peer_isn = hs.initial_seq;
        match role {
            Role::Initiator => self.initiator(hs, now),
            Role::Responder => self.responder(hs, now),
        }
    }

    fn initiator(&mut self, hs: &Handshake, now: Instant) {
        match (self.state, hs.handshake_type) {
            (RendezvousState::Waving, HandshakeType::Waveahand) => {
                self.state = RendezvousState::Attention;
                self.send(now);
            }
            (RendezvousState::Attention, HandshakeType::Waveahand) => self.send(now),
            (
                RendezvousState::Waving | RendezvousState::Attention | RendezvousState::Fine,
                HandshakeType::Conclusion,
            ) => {
                let has_hsrsp = hs
                    .find_extension(|e| matches!(e, HandshakeExtension::HsRsp(_)).then_some(()))
                    .is_some();
                if has_hsrsp && self.state == RendezvousState::Fine {
                    self.initiator_conclude(hs);
                } else if !has_hsrsp {
                    if self.state != RendezvousState::Fine {
                        self.initiator_conclusion(hs);
                    }
                    self.send(now);
                }
            }
            _ => {}
        }
    }

    fn initiator_conclusion(&mut self, hs: &Handshake) {
        let key_len = self
            .config
            .advertised_key_len()
            .or_else(|| hs.encryption.key_len().and_then(KeyLength::from_bytes))
            .unwrap_or(KeyLength::Aes128);
        let Ok(sealed) = self.secret.key_material(&self.config, key_len) else {
            self.reject_peer(RejectReason::Ipe);
            return;
        };
        let (km, crypto) = sealed.map_or((None, None), |(km, c)| (Some(km), Some(c)));
        self.current.encryption = match crypto {
            Some(_) => EncryptionField::from_u16((key_len.bytes() / 8) as u16),
            None => EncryptionField::None,
        };
        let extensions = negotiate::initiator_extensions(&self.config, km.as_ref());
        self.set_current(HandshakeType::Conclusion, extensions);
        self.sent = Some(Box::new(Sent { crypto, km }));
        self.state = RendezvousState::Fine;
    }

    fn initiator_conclude(&mut self, hs: &Handshake) {
        let (crypto, km) = match &self.sent {
            Some(s) => (s.crypto.as_ref(), s.km.as_ref()),
            None => (None, None),
        };
        match negotiate::conclude(&self.config, crypto, km, self.initial_seq, hs) {
            Ok(negotiated) => {
                self.set_current(HandshakeType::Agreement, Vec::new());
                self.current.encryption = EncryptionField::None;
                self.state = RendezvousState::Connected;
                let agreement = self.current.clone();
                self.transmits.push_back(Transmit {
                    to: self.remote,
                    dst_socket_id: self.peer_socket_id,
                    handshake: agreement.clone(),
                });
                self.events.push_back(RendezvousEvent::Established {
                    negotiated: Box::new(negotiated),
                    role: Role::Initiator,
                    send_isn: self.initial_seq,
                    receive_isn: self.peer_isn,
                    repeat_reply: Some(agreement),
                });
            }
            Err(reason) => self.reject_peer(reason),
        }
    }

    fn responder(&mut self, hs: &Handshake, now: Instant) {
        match (self.state, hs.handshake_type) {
            (
                RendezvousState::Waving | RendezvousState::Attention,
                HandshakeType::Waveahand | HandshakeType::Conclusion,
            ) => {
                let has_hsreq = hs
                    .find_extension(|e| matches!(e, HandshakeExtension::HsReq(_)).then_some(()))
                    .is_some();
                if has_hsreq {
                    self.responder_answer(hs, now);
                } else {
                    if self.state == RendezvousState::Waving {
                        self.state = RendezvousState::Attention;
                        self.set_current(HandshakeType::Conclusion, Vec::new());
                    }
                    self.send(now);
                }
            }
            (RendezvousState::Initiated, HandshakeType::Conclusion) => self.send(now),
            (RendezvousState::Initiated, HandshakeType::Agreement) => self.responder_connected(),
            _ => {}
        }
    }

    fn responder_answer(&mut self, hs: &Handshake, now: Instant) {
        match negotiate::respond(&self.config, hs, None) {
            Ok(response) => {
                self.current.encryption = hs.encryption;
                self.set_current(HandshakeType::Conclusion, response.extensions);
                self.current.mtu = response.negotiated.mss;
                self.current.flow_window = response.negotiated.flow_window;
                self.sent = None;
                self.pending = Some(Box::new(response.negotiated));
                self.state = RendezvousState::Initiated;
                self.send(now);
            }
            Err(reason) => self.reject_peer(reason),
        }
    }

    fn responder_connected(&mut self) {
        let Some(negotiated) = self.pending.take() else {
            return;
        };
        self.state = RendezvousState::Connected;
        self.events.push_back(RendezvousEvent::Established {
            negotiated,
            role: Role::Responder,
            send_isn: self.initial_seq,
            receive_isn: self.peer_isn,
            repeat_reply: Some(self.current.clone()),
        });
    }
}

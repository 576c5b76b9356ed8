//! The caller side of the caller–listener handshake (libsrt
//! `startConnect` / `processConnectResponse`).
//!
//! Driving contract: after [`Caller::new`] and after every
//! `handle_*` call, drain [`Caller::poll_transmit`] and
//! [`Caller::poll_event`]; call [`Caller::handle_timeout`] at
//! [`Caller::next_timeout`].
//!
//! 1. INDUCTION, version 4 with the `UDT_DGRAM` socket type (2) in the
//!    extension field and cookie 0, as libsrt sends it; resent every
//!    `retransmit_interval` (250 ms).
//! 2. On a v5 INDUCTION answer with the `0x4A17` magic: CONCLUSION with
//!    the listener's cookie, HSREQ, SID, CONGESTION, FILTER, GROUP and
//!    KMREQ; resent the same way. Any later INDUCTION answer is ignored.
//! 3. On the CONCLUSION answer: [`CallerEvent::Established`]; on a
//!    rejection: [`CallerEvent::Rejected`]. After `connect_timeout`
//!    (3 s) without either: [`CallerEvent::Rejected`] with
//!    [`RejectReason::Timeout`].

use super::config::HandshakeConfig;
use super::listener::Transmit;
use super::negotiate::{self, InitiatorSecret, Negotiated, NegotiatedCrypto};
use crate::crypto::KeyLength;
use crate::packet::handshake::{
    EncryptionField, ExtensionFlags, Handshake, HandshakeType, SRT_MAGIC_CODE,
};
use crate::packet::km::KeyMaterial;
use crate::packet::reject::RejectReason;
use crate::seq::SeqNumber;
use crate::time::Instant;
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::net::SocketAddr;

/// The extension field of libsrt's v4 INDUCTION request: `UDT_DGRAM`.
pub const UDT_DGRAM: u16 = 2;

/// What came of a caller's handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerEvent {
    /// The connection is up with these options.
    Established(Box<Negotiated>),
    /// The connection failed: refused by the listener (its reason), by us
    /// (the listener's answer did not negotiate), or timed out
    /// ([`RejectReason::Timeout`]).
    Rejected {
        /// Why.
        reason: RejectReason,
        /// Whether the listener sent this reason (false: we decided).
        by_peer: bool,
    },
}

#[derive(Debug, Clone)]
enum State {
    Induction,
    Conclusion(Box<Concluding>),
    Done,
}

#[derive(Debug, Clone)]
struct Concluding {
    request: Handshake,
    crypto: Option<NegotiatedCrypto>,
    km: Option<KeyMaterial>,
}

/// The caller's handshake state machine.
#[derive(Debug)]
pub struct Caller {
    config: HandshakeConfig,
    remote: SocketAddr,
    local_socket_id: u32,
    initial_seq: SeqNumber,
    secret: InitiatorSecret,
    state: State,
    deadline: Instant,
    next_send: Instant,
    transmits: VecDeque<Transmit>,
    events: VecDeque<CallerEvent>,
}

impl Caller {
    /// Starts connecting to `remote` as socket `local_socket_id` with
    /// initial sequence number `initial_seq`; key material (if a
    /// passphrase is set) is drawn from `rng`. The first INDUCTION is
    /// ready in [`Self::poll_transmit`].
    pub fn new(
        config: HandshakeConfig,
        remote: SocketAddr,
        local_socket_id: u32,
        initial_seq: SeqNumber,
        rng: &mut impl rand_core::Rng,
        now: Instant,
    ) -> Self {
        let mut caller = Self {
            deadline: now.saturating_add(config.connect_timeout),
            next_send: now,
            config,
            remote,
            local_socket_id,
            initial_seq,
            secret: InitiatorSecret::draw(rng),
            state: State::Induction,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        };
        caller.send(now);
        caller
    }

    /// Our socket id.
    pub fn local_socket_id(&self) -> u32 {
        self.local_socket_id
    }

    /// The next handshake to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next outcome (at most one per handshake).
    pub fn poll_event(&mut self) -> Option<CallerEvent> {
        self.events.pop_front()
    }

    /// Whether the handshake has finished (either way).
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// When to call [`Self::handle_timeout`].
    pub fn next_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Done => None,
            _ => Some(self.next_send.min(self.deadline)),
        }
    }

    /// The timer fired: resend, or give up after the connect timeout.
    pub fn handle_timeout(&mut self, now: Instant) {
        if matches!(self.state, State::Done) {
            return;
        }
        if now >= self.deadline {
            self.finish(RejectReason::Timeout, false);
        } else if now >= self.next_send {
            self.send(now);
        }
    }

    fn finish(&mut self, reason: RejectReason, by_peer: bool) {
        self.state = State::Done;
        self.events
            .push_back(CallerEvent::Rejected { reason, by_peer });
    }

    fn send(&mut self, now: Instant) {
        let handshake = match &self.state {
            State::Induction => Handshake {
                version: 4,
                encryption: EncryptionField::None,
                extension_flags: ExtensionFlags(UDT_DGRAM),
                initial_seq: self.initial_seq,
                mtu: self.config.mss,
                flow_window: self.config.flow_window,
                handshake_type: HandshakeType::Induction,
                socket_id: self.local_socket_id,
                syn_cookie: 0,
                peer_ip: self.remote.ip(),
                extensions: Vec::new(),
            },
            State::Conclusion(c) => c.request.clone(),
            State::Done => return,
        };
        self.transmits.push_back(Transmit {
            to: self.remote,
            dst_socket_id: 0,
            handshake,
        });
        self.next_send = now.saturating_add(self.config.retransmit_interval);
    }

    /// A handshake arrived from `from`.
    pub fn handle_handshake(&mut self, from: SocketAddr, hs: &Handshake, now: Instant) {
        if from != self.remote {
            return;
        }
        if let Some(reason) = hs.reject_reason() {
            if !matches!(self.state, State::Done) {
                self.finish(reason, true);
            }
            return;
        }
        match (&self.state, hs.handshake_type) {
            (State::Induction, HandshakeType::Induction) => self.on_induction_answer(hs, now),
            (State::Conclusion(_), HandshakeType::Conclusion) => self.on_conclusion_answer(hs),
            _ => {}
        }
    }

    fn on_induction_answer(&mut self, hs: &Handshake, now: Instant) {
        if hs.version != 5 || hs.extension_flags.bits() != SRT_MAGIC_CODE {
            // An HSv4-only (UDT) listener: we speak HSv5 only.
            self.finish(RejectReason::Version, false);
            return;
        }
        let key_len = self
            .config
            .advertised_key_len()
            .or_else(|| hs.encryption.key_len().and_then(KeyLength::from_bytes))
            .unwrap_or(KeyLength::Aes128);
        let Ok(sealed) = self.secret.key_material(&self.config, key_len) else {
            self.finish(RejectReason::Ipe, false);
            return;
        };
        let (km, crypto) = sealed.map_or((None, None), |(km, c)| (Some(km), Some(c)));
        let extensions = negotiate::initiator_extensions(&self.config, km.as_ref());
        let encryption = match crypto {
            Some(_) => EncryptionField::from_u16((key_len.bytes() / 8) as u16),
            None => EncryptionField::None,
        };
        let request = Handshake {
            version: 5,
            encryption,
            extension_flags: ExtensionFlags::for_extensions(&extensions),
            initial_seq: self.initial_seq,
            mtu: self.config.mss,
            flow_window: self.config.flow_window,
            handshake_type: HandshakeType::Conclusion,
            socket_id: self.local_socket_id,
            syn_cookie: hs.syn_cookie,
            peer_ip: self.remote.ip(),
            extensions,
        };
        self.state = State::Conclusion(Box::new(Concluding {
            request,
            crypto,
            km,
        }));
        self.send(now);
    }

    fn on_conclusion_answer(&mut self, hs: &Handshake) {
        let State::Conclusion(c) = &self.state else {
            return;
        };
        let result = negotiate::conclude(
            &self.config,
            c.crypto.as_ref(),
            c.km.as_ref(),
            self.initial_seq,
            hs,
        );
        match result {
            Ok(negotiated) => {
                self.state = State::Done;
                self.events
                    .push_back(CallerEvent::Established(Box::new(negotiated)));
            }
            Err(reason) => self.finish(reason, false),
        }
    }
}

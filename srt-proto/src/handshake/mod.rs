//! The connection handshake: caller, listener and rendezvous state machines, and option negotiation.
//!
//! - [`config`]: what one side wants ([`HandshakeConfig`]).
//! - [`negotiate`]: pure functions from our config and the peer's
//!   CONCLUSION to the options in effect ([`Negotiated`]) or a
//!   [`RejectReason`](crate::packet::reject::RejectReason).
//! - [`listener`]: the stateless listener ([`Listener`]), usable on its
//!   own. [`crate::Endpoint`] runs the same steps itself, but asks for the
//!   access decision *before* negotiating, as libsrt's listen callback
//!   runs, so that an accept can set that connection's passphrase.
//! - [`caller`]: the caller ([`Caller`]).
//! - [`rendezvous`]: the HSv5 rendezvous ([`Rendezvous`]).
//! - [`group`]: the GROUP extension's rules (socket groups).
//!
//! What libsrt 1.5.1 does in rendezvous, from
//! `tests/data/srt-libsrt-rendezvous.jsonl` (A cookie `7a33d193` >
//! B cookie `6b587647`, so A is the initiator): both send WAVEAHAND (v5,
//! no extensions, destination id 0) every 250 ms; A answers B's WAVEAHAND
//! with a WAVEAHAND addressed to B's id; B (responder) sends a CONCLUSION
//! without extensions; A sends CONCLUSION with HSREQ (and KMREQ); B answers
//! CONCLUSION with HSRSP; A closes with AGREEMENT.

pub mod caller;
pub mod config;
pub mod group;
pub mod listener;
pub mod negotiate;
pub mod rendezvous;

pub use caller::{Caller, CallerEvent};
pub use config::{
    Congestion, CryptoMode, EncryptionConfig, GroupSync, HandshakeConfig, OUR_SRT_VERSION,
};
pub use listener::{
    CookieSource, FixedCookieForTesting, Listener, ListenerAction, RequestId, Transmit,
};
pub use negotiate::{InitiatorSecret, Negotiated, NegotiatedCrypto, Response};
pub use rendezvous::{Rendezvous, RendezvousEvent, RendezvousState, Role};

#[cfg(test)]
mod tests;

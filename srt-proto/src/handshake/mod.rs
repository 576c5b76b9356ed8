//! The connection handshake: caller, listener and rendezvous state machines, and option negotiation.
//!
//! - [`config`]: what one side wants ([`HandshakeConfig`]).
//! - [`negotiate`]: pure functions from our config and the peer's
//!   CONCLUSION to the options in effect ([`Negotiated`]) or a
//!   [`RejectReason`](crate::packet::reject::RejectReason).
//! - [`listener`]: the stateless listener ([`Listener`]).
//! - [`caller`]: the caller ([`Caller`]).
//!
//! Rendezvous is not written yet.

pub mod caller;
pub mod config;
pub mod listener;
pub mod negotiate;

pub use caller::{Caller, CallerEvent};
pub use config::{Congestion, CryptoMode, EncryptionConfig, HandshakeConfig, OUR_SRT_VERSION};
pub use listener::{
    CookieSource, FixedCookieForTesting, Listener, ListenerAction, RequestId, Transmit,
};
pub use negotiate::{InitiatorSecret, Negotiated, NegotiatedCrypto, Response};

#[cfg(test)]
mod tests;

//! The connection handshake: caller, listener and rendezvous state machines, and option negotiation.

//! Stateless SYN cookies for the listener.

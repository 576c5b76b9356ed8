//! [`SrtServer`]: a listener that hands each connection to a [`Handler`]
//! by what its stream id asks for, and closes it when the handler returns,
//! once the peer has played out what the handler sent (in the spirit of
//! srtgo's `Server` and ExLibSRT's server).
//!
//! Which callers get in at all is the listener's access policy
//! ([`SrtSocketBuilder::access_policy`](crate::SrtSocketBuilder::access_policy)),
//! decided during the handshake; the handler sees only accepted
//! connections.
//!
//! The framework (`server/framework.rs`: `Role`, `Session`, `Handler`,
//! `SrtServer`) is runtime-neutral and srt-smol compiles the same file;
//! tokio's part is the private `rt` below: where a connection's task runs
//! and how the server waits.

mod framework;

pub use framework::{Handler, Role, Session, SrtServer};

/// Tokio's part of the server.
mod rt {
    use std::future::Future;
    use std::time::Duration;

    /// Runs a connection's handler in a task of its own.
    pub(super) fn spawn(task: impl Future<Output = ()> + Send + 'static) {
        drop(tokio::spawn(task));
    }

    /// Waits `duration`.
    pub(super) async fn sleep(duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

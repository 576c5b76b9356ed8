//! [`SrtServer`]: a listener that hands each connection to a [`Handler`]
//! by what its stream id asks for (publish or subscribe), and closes it
//! when the handler returns, once the peer has played out what the handler
//! sent. The same API as srt-tokio's server.
//!
//! Which callers get in at all is the listener's access policy
//! ([`SrtSocketBuilder::access_policy`](crate::SrtSocketBuilder::access_policy)),
//! decided during the handshake; the handler sees only accepted
//! connections.
//!
//! The framework is srt-tokio's runtime-neutral `server/framework.rs`,
//! compiled here from the same file; smol's part is the private `rt`
//! below: where a connection's task runs and how the server waits.

#[path = "../../srt-tokio/src/server/framework.rs"]
mod framework;

pub use framework::{Handler, Role, Session, SrtServer};

/// smol's part of the server.
mod rt {
    use std::future::Future;
    use std::time::Duration;

    /// Runs a connection's handler in a task of its own on smol's global
    /// executor.
    pub(super) fn spawn(task: impl Future<Output = ()> + Send + 'static) {
        smol::spawn(task).detach();
    }

    /// Waits `duration`.
    pub(super) async fn sleep(duration: Duration) {
        smol::Timer::after(duration).await;
    }
}

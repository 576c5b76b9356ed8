//! The socket task's loop, runtime-neutral: each round gathers everything
//! that is ready at once (a batch of datagrams, queued commands, the
//! timer), hands it all to the [`Engine`], then sends what the engine
//! queued in as few system calls as the OS allows: one wake-up, one timer
//! update and one flush per batch rather than per datagram. A runtime
//! supplies only its socket ([`DatagramIo`]) and its timer
//! ([`WakeTimer`]); srt-smol includes this file too.

use crate::engine::{Engine, Wake};
use crate::group::WakeTimer;
use bytes::Bytes;
use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::task::{Context, Poll};

/// Commands and controls taken from the channels in one round at most, so
/// a busy application cannot hold off datagrams and timers.
const CHANNEL_BATCH: usize = 64;

/// A runtime's UDP socket as the task uses it.
pub(crate) trait DatagramIo {
    /// Pushes the datagrams waiting (one batch) into `wakes`, or
    /// [`Wake::SocketError`]; `Pending` (registered for readiness) if
    /// none wait.
    fn poll_recv(&mut self, cx: &mut Context<'_>, wakes: &mut Vec<Wake>) -> Poll<()>;

    /// Sends `transmits` in order and empties it. A failed send is a lost
    /// datagram; ARQ repairs it.
    fn send_all(&mut self, transmits: &mut Vec<(SocketAddr, Bytes)>) -> impl Future<Output = ()>;
}

/// Runs the socket task until the engine is done.
pub(crate) async fn run(mut engine: Engine, mut io: impl DatagramIo, mut timer: impl WakeTimer) {
    let mut transmits: Vec<(SocketAddr, Bytes)> = Vec::new();
    let mut wakes: Vec<Wake> = Vec::new();
    // The deadline `timer` is set for; `None` once it fired (or with
    // nothing to wait for).
    let mut armed: Option<std::time::Instant> = None;
    loop {
        let wake_at = engine.next_wake();
        if wake_at != armed {
            if let Some(at) = wake_at {
                timer.set(at);
            }
            armed = wake_at;
        }
        poll_fn(|cx| {
            // Every source is polled every round (so each one's waker is
            // registered and none starves the others); whatever is ready
            // is handled together.
            let _ = io.poll_recv(cx, &mut wakes);
            for _ in 0..CHANNEL_BATCH {
                match engine.poll_channels(cx) {
                    Poll::Ready(wake) => wakes.push(wake),
                    Poll::Pending => break,
                }
            }
            if armed.is_some() && timer.poll_fired(cx).is_ready() {
                armed = None;
                wakes.push(Wake::Timer);
            }
            if wakes.is_empty() {
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        })
        .await;
        engine.handle_round(wakes.drain(..));
        engine.drain(&mut transmits);
        io.send_all(&mut transmits).await;
        if engine.is_done() {
            return;
        }
    }
}

//! The server framework itself, runtime-neutral: srt-smol compiles this
//! same file (`#[path]`) next to its own `rt` glue, so the two adapters'
//! servers cannot drift apart. The runtime's part (a task per connection,
//! a sleep) is the parent module's `rt`.

use crate::{SrtError, SrtListener, SrtSocket, SrtSocketBuilder};
use futures_core::Stream;
use srt_proto::streamid::{Mode, StreamId};
use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::rt;

/// What an accepted connection is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The caller sends (`m=publish`).
    Publish,
    /// The caller receives (`m=request`, the default, and anything else).
    Subscribe,
}

/// An accepted connection as a handler gets it.
#[derive(Debug)]
pub struct Session {
    /// The connection. When the handler returns, the server waits until
    /// the peer has acknowledged what was sent and its latency has passed
    /// (at most 5 s), then closes it.
    pub socket: SrtSocket,
    /// The caller's stream id, parsed (`None`: none sent, or not valid).
    pub stream_id: Option<StreamId>,
    /// What it is for.
    pub role: Role,
}

/// What a server does with its connections. Each runs in its own task.
pub trait Handler: Send + Sync + 'static {
    /// What a connection is for; `None` closes it at once. The default
    /// reads the stream id's `m` key: `publish` publishes, anything else
    /// (and no stream id) subscribes.
    fn classify(&self, stream_id: Option<&StreamId>) -> Option<Role> {
        match stream_id.map(StreamId::mode) {
            Some(Mode::Publish) => Some(Role::Publish),
            _ => Some(Role::Subscribe),
        }
    }

    /// Serves a connection for as long as it should last.
    fn serve(&self, session: &mut Session) -> impl Future<Output = ()> + Send;

    /// A caller the listener refused (access policy, wrong passphrase…);
    /// the default ignores it.
    fn rejected(&self, error: SrtError) {
        let _ = error;
    }
}

/// The longest a server waits for a connection's last messages to play
/// out before it closes it.
const MAX_PLAY_OUT: Duration = Duration::from_secs(5);

/// Waits until what was sent on `socket` has been acknowledged and the
/// peer's latency has passed, so the peer has played it out before the
/// SHUTDOWN: a live receiver drops what it still holds when the
/// connection ends (libsrt's too). At most [`MAX_PLAY_OUT`].
async fn played_out(socket: &SrtSocket) {
    let deadline = Instant::now() + MAX_PLAY_OUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match socket.stats().await {
            Ok(Some(stats)) if stats.send_buffer_packets > 0 && !left.is_zero() => {
                rt::sleep(left.min(Duration::from_millis(10))).await;
            }
            Ok(Some(stats)) => {
                rt::sleep(left.min(stats.send_latency)).await;
                return;
            }
            _ => return,
        }
    }
}

/// A listener with a [`Handler`].
#[derive(Debug)]
pub struct SrtServer {
    listener: SrtListener,
}

impl SrtServer {
    /// Listens on `addr` with `builder`'s options.
    pub async fn bind(builder: SrtSocketBuilder, addr: SocketAddr) -> Result<Self, SrtError> {
        Ok(Self {
            listener: builder.listen(addr).await?,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr()
    }

    /// The listener (e.g. to edit its access policy while serving).
    pub fn listener(&self) -> &SrtListener {
        &self.listener
    }

    /// Accepts connections and serves each with `handler` in a task of its
    /// own; runs until the listener ends (drop the future to stop
    /// accepting; connections being served go on).
    pub async fn serve<H: Handler>(mut self, handler: H) {
        let handler = Arc::new(handler);
        while let Some(next) = poll_fn(|cx| Pin::new(&mut self.listener).poll_next(cx)).await {
            let socket = match next {
                Ok(socket) => socket,
                Err(error) => {
                    handler.rejected(error);
                    continue;
                }
            };
            let stream_id = socket.stream_id().and_then(|id| StreamId::parse(id).ok());
            let Some(role) = handler.classify(stream_id.as_ref()) else {
                // Dropping the socket closes it.
                continue;
            };
            let handler = Arc::clone(&handler);
            rt::spawn(async move {
                let mut session = Session {
                    socket,
                    stream_id,
                    role,
                };
                handler.serve(&mut session).await;
                played_out(&session.socket).await;
                let _ = session.socket.close().await;
            });
        }
    }
}

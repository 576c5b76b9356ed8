//! [`RtmpServer`]: a TCP listener, one task per connection, the live-stream
//! registry, and clean shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::conn::serve_connection;
use crate::handler::{Handler, SessionId};
use crate::registry::{Registry, RegistryLimits};
use crate::stats::StreamStats;

/// How an [`RtmpServer`] behaves.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Where to listen (default `0.0.0.0:1935`).
    pub listen: SocketAddr,
    /// The protocol session's settings (chunk size, windows, limits; a ping
    /// every 20 s instead of the session's default of none).
    pub session: rtmp_proto::session::ServerConfig,
    /// Relay publishes to players through the registry (default `true`).
    /// Without it the server only hands media to the observers and refuses
    /// every play.
    pub relay: bool,
    /// A player of a key nobody publishes waits for a publisher (default
    /// `true`, as nginx-rtmp's `live on`); otherwise it is refused with
    /// `NetStream.Play.StreamNotFound`.
    pub play_waits_for_publisher: bool,
    /// Frames a player may fall behind the publisher before it loses some
    /// and resumes at the next key frame (default 512).
    pub player_queue: usize,
    /// The GOP cache is dropped (until the next key frame) past this many
    /// bytes (default 16 MiB) ...
    pub max_gop_bytes: usize,
    /// ... or this many frames (default 4096).
    pub max_gop_frames: usize,
    /// The handshake and `connect` must be done within this (default 10 s).
    pub handshake_timeout: Duration,
    /// A session that sent nothing for this long is closed (default 60 s).
    /// The server pings every peer (`session.ping_interval`, default 20 s)
    /// so a live player, which otherwise sends little, answers in time.
    pub idle_timeout: Duration,
    /// One write to a peer may take at most this long (default 30 s).
    pub write_timeout: Duration,
    /// Bytes read from a socket at once (default 4 KiB: players send little,
    /// and a 4 Mbit/s publisher needs some 125 reads a second).
    pub read_buffer: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], crate::url::DEFAULT_PORT)),
            session: rtmp_proto::session::ServerConfig {
                ping_interval: Some(Duration::from_secs(20)),
                ..rtmp_proto::session::ServerConfig::default()
            },
            relay: true,
            play_waits_for_publisher: true,
            player_queue: 512,
            max_gop_bytes: 16 << 20,
            max_gop_frames: 4096,
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            write_timeout: Duration::from_secs(30),
            read_buffer: 4 << 10,
        }
    }
}

impl ServerOptions {
    /// The defaults, listening on `listen`.
    pub fn listen(listen: SocketAddr) -> Self {
        Self {
            listen,
            ..Self::default()
        }
    }
}

/// What every connection task shares.
pub(crate) struct Shared {
    pub(crate) options: ServerOptions,
    pub(crate) handler: Arc<dyn Handler>,
    pub(crate) registry: Registry,
    pub(crate) shutdown: watch::Receiver<bool>,
    pub(crate) origin: std::time::Instant,
}

/// An RTMP server: accepts connections, asks its [`Handler`] about every
/// connect, publish and play, and relays publishes to players.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// use rtmp_tokio::{AcceptAll, RtmpServer, ServerOptions};
/// let server = RtmpServer::bind(ServerOptions::listen("127.0.0.1:1935".parse().unwrap()), AcceptAll).await?;
/// println!("listening on {}", server.local_addr());
/// tokio::signal::ctrl_c().await?;
/// server.shutdown().await;
/// # Ok(()) }
/// ```
pub struct RtmpServer {
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    accept_task: JoinHandle<()>,
    /// Closed (every sender dropped) once all connection tasks ended.
    tasks_done: mpsc::Receiver<()>,
}

impl RtmpServer {
    /// Binds `options.listen` and starts accepting connections on the
    /// current tokio runtime.
    pub async fn bind(options: ServerOptions, handler: impl Handler) -> std::io::Result<Self> {
        Self::bind_shared(options, Arc::new(handler)).await
    }

    /// [`bind`](Self::bind) with a handler already behind an `Arc`.
    pub async fn bind_shared(
        options: ServerOptions,
        handler: Arc<dyn Handler>,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(options.listen).await?;
        let local_addr = listener.local_addr()?;
        let (stop, shutdown) = watch::channel(false);
        let limits = RegistryLimits {
            player_queue: options.player_queue,
            max_gop_bytes: options.max_gop_bytes,
            max_gop_frames: options.max_gop_frames,
        };
        let shared = Arc::new(Shared {
            options,
            handler,
            registry: Registry::new(limits),
            shutdown,
            origin: std::time::Instant::now(),
        });
        let (task_token, tasks_done) = mpsc::channel::<()>(1);
        let accept_task = tokio::spawn(accept_loop(listener, shared.clone(), task_token));
        Ok(Self {
            local_addr,
            shared,
            stop,
            accept_task,
            tasks_done,
        })
    }

    /// The address the server listens on (with the port the OS chose for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A snapshot of every live stream: publisher, players, frames, GOP
    /// cache and frames dropped by slow players.
    pub fn streams(&self) -> Vec<StreamStats> {
        self.shared.registry.stats()
    }

    /// Stops accepting, closes every session (each is told
    /// [`crate::DisconnectReason::Shutdown`]) and waits for their tasks,
    /// at most `write_timeout` plus a second.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        let _ = (&mut self.accept_task).await;
        let grace = self.shared.options.write_timeout + Duration::from_secs(1);
        let _ = tokio::time::timeout(grace, self.tasks_done.recv()).await;
    }
}

impl Drop for RtmpServer {
    fn drop(&mut self) {
        // Dropping without `shutdown` still stops everything, without waiting.
        let _ = self.stop.send(true);
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, task_token: mpsc::Sender<()>) {
    static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);
    let mut shutdown = shared.shutdown.clone();
    loop {
        tokio::select! {
            _ = crate::util::stopped(&mut shutdown) => return,
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let id = SessionId(NEXT_SESSION.fetch_add(1, Ordering::Relaxed));
                    let shared = shared.clone();
                    let token = task_token.clone();
                    tokio::spawn(async move {
                        serve_connection(tcp, peer, id, shared).await;
                        drop(token);
                    });
                }
                // Out of file descriptors and the like: back off, keep serving.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
        }
    }
}

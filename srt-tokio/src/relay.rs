//! A user-space UDP impairment relay: netem for machines (and kernels)
//! without it.
//!
//! A [`Relay`] listens on a local UDP address and forwards every datagram
//! it receives to an upstream address; the upstream's answers go back to
//! whoever sent. Each direction passes through its own
//! [`srt_proto::sim::Link`], so a relay applies exactly the impairments the
//! simulator does (latency, jitter, random and Gilbert-Elliott loss,
//! duplication, reordering, a rate limit with a tail-drop queue,
//! partitions, presets such as [`LinkConfig::wifi`]), but to real sockets in
//! real time.
//!
//! ```no_run
//! use std::time::Duration;
//! use srt_proto::sim::{LinkConfig, Probability};
//! use srt_tokio::relay::Relay;
//!
//! # async fn demo() -> Result<(), srt_tokio::relay::RelayError> {
//! let relay = Relay::builder()
//!     .listen("127.0.0.1:5000".parse().unwrap())
//!     .upstream("127.0.0.1:6000".parse().unwrap())
//!     .forward(LinkConfig::new().loss(Probability::percent(5.0)).latency(Duration::from_millis(20)))
//!     .backward(LinkConfig::new().latency(Duration::from_millis(20)))
//!     .seed(42)
//!     .spawn()
//!     .await?;
//! // Point the SRT caller at relay.local_addr() instead of 127.0.0.1:6000.
//! // Later, cut the forward direction for a second:
//! let now = relay.now();
//! let cut = relay.forward_config().partition(now, now + Duration::from_secs(1));
//! relay.set_forward(cut);
//! println!("{}", relay.stats());
//! relay.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Clients
//! Every client address (the source of a datagram arriving at the listen
//! address) gets its own upstream socket, bound to an ephemeral port and
//! connected to the upstream, so the upstream sees one peer per client and
//! its answers find their way back. The table is bounded
//! ([`RelayBuilder::max_clients`]); when it is full, a new client takes the
//! place of the one that has been quiet longest if that one has been quiet
//! for [`RelayBuilder::client_idle_timeout`], and is refused otherwise
//! (counted in [`RelayStats::clients_refused`]). All clients share the two
//! links, as flows share a bottleneck.
//!
//! # Time and determinism
//! Relay time ([`RelayHandle::now`]) is the `tokio` clock's time since the
//! relay started, in microseconds, as an [`srt_proto::time::Instant`]: use
//! it to place partitions. Every random decision (which datagram is lost or
//! duplicated or held back, each jitter draw) comes from the link's seeded
//! generator and depends only on the seed and the order in which datagrams
//! arrived in that direction, so the same seed and the same arrival order
//! make the same decisions. Exact replay of a run is still impossible: the
//! arrival times and arrival order come from the OS, partitions and the
//! rate limit depend on those times, and the timer wakes up to about a
//! millisecond late.
//!
//! # Limits
//! The relay reads its sockets with the OS's default receive buffer
//! (about 208 KiB on Linux); a datagram the kernel drops before the relay
//! reads it never reaches the link and is not counted: compare what you
//! sent with [`DirectionStats::received`]. One task does everything; a
//! release build on a busy two-core machine relayed 30 000 datagrams of
//! 1316 bytes per second (316 Mbit/s) with 0.6 % lost that way. Deliveries
//! are up to about a millisecond late (the tokio timer's resolution).
//!
//! # Memory
//! Without a rate limit, a link holds everything in flight for its latency.
//! Each direction therefore refuses datagrams once
//! [`RelayBuilder::max_in_flight_bytes`] are in flight (counted in
//! [`DirectionStats::dropped_overflow`]).

mod worker;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use srt_proto::sim::{Link, LinkConfig, LinkStats};
use srt_proto::time::Instant;
use tokio::net::UdpSocket;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Mixed into [`RelayBuilder::seed`] to seed the backward link, so the two
/// directions draw different random sequences from one seed.
const BACKWARD_SEED_MIX: u64 = 0x9E37_79B9_7F4A_7C15;

/// Default [`RelayBuilder::max_clients`].
pub const DEFAULT_MAX_CLIENTS: usize = 64;
/// Default [`RelayBuilder::client_idle_timeout`].
pub const DEFAULT_CLIENT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Default [`RelayBuilder::max_in_flight_bytes`], per direction.
pub const DEFAULT_MAX_IN_FLIGHT_BYTES: usize = 64 * 1024 * 1024;

/// The entry point: [`Relay::builder`].
#[derive(Debug)]
pub struct Relay;

impl Relay {
    /// A builder with a perfect link both ways, listening on
    /// `127.0.0.1:0`; set at least [`RelayBuilder::upstream`].
    pub fn builder() -> RelayBuilder {
        RelayBuilder::default()
    }
}

/// Configures and starts a relay ([`Relay::builder`]).
#[derive(Debug, Clone)]
pub struct RelayBuilder {
    listen: SocketAddr,
    upstream: Option<SocketAddr>,
    forward: LinkConfig,
    backward: LinkConfig,
    seed: Option<u64>,
    max_clients: usize,
    client_idle_timeout: Duration,
    max_in_flight_bytes: usize,
}

impl Default for RelayBuilder {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            upstream: None,
            forward: LinkConfig::new(),
            backward: LinkConfig::new(),
            seed: None,
            max_clients: DEFAULT_MAX_CLIENTS,
            client_idle_timeout: DEFAULT_CLIENT_IDLE_TIMEOUT,
            max_in_flight_bytes: DEFAULT_MAX_IN_FLIGHT_BYTES,
        }
    }
}

impl RelayBuilder {
    /// The local address clients send to (port 0: pick one, see
    /// [`RelayHandle::local_addr`]). Default `127.0.0.1:0`.
    #[must_use]
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Where datagrams from clients go. Required.
    #[must_use]
    pub fn upstream(mut self, addr: SocketAddr) -> Self {
        self.upstream = Some(addr);
        self
    }

    /// Impairments from clients to the upstream. Default: a perfect link.
    #[must_use]
    pub fn forward(mut self, config: LinkConfig) -> Self {
        self.forward = config;
        self
    }

    /// Impairments from the upstream back to clients. Default: a perfect
    /// link.
    #[must_use]
    pub fn backward(mut self, config: LinkConfig) -> Self {
        self.backward = config;
        self
    }

    /// Seeds both links, overriding the seeds in their configs: the forward
    /// link gets `seed`, the backward link a value derived from it.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// How many clients may have an upstream socket at once. Default
    /// [`DEFAULT_MAX_CLIENTS`]; at least 1.
    #[must_use]
    pub fn max_clients(mut self, max: usize) -> Self {
        self.max_clients = max;
        self
    }

    /// How long a client must have been quiet before a new client may take
    /// its place in a full table. Default [`DEFAULT_CLIENT_IDLE_TIMEOUT`].
    #[must_use]
    pub fn client_idle_timeout(mut self, timeout: Duration) -> Self {
        self.client_idle_timeout = timeout;
        self
    }

    /// How many bytes each direction may hold in flight before it drops
    /// new datagrams. Default [`DEFAULT_MAX_IN_FLIGHT_BYTES`].
    #[must_use]
    pub fn max_in_flight_bytes(mut self, max: usize) -> Self {
        self.max_in_flight_bytes = max;
        self
    }

    /// Binds the listen address and starts the relay on the current tokio
    /// runtime. The relay runs until [`RelayHandle::shutdown`] or until the
    /// handle is dropped.
    pub async fn spawn(self) -> Result<RelayHandle, RelayError> {
        let upstream = self.upstream.ok_or(RelayError::NoUpstream)?;
        if self.max_clients == 0 {
            return Err(RelayError::NoClientsAllowed);
        }
        let (forward, backward) = match self.seed {
            Some(seed) => (
                self.forward.seed(seed),
                self.backward.seed(seed ^ BACKWARD_SEED_MIX),
            ),
            None => (self.forward, self.backward),
        };
        let listen = UdpSocket::bind(self.listen)
            .await
            .map_err(|source| RelayError::Bind {
                addr: self.listen,
                source,
            })?;
        let local_addr = listen.local_addr().map_err(|source| RelayError::Bind {
            addr: self.listen,
            source,
        })?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                forward: Direction::new(forward),
                backward: Direction::new(backward),
                clients: Clients::default(),
            }),
        });
        let start = tokio::time::Instant::now();
        let (shutdown_tx, shutdown_rx) = oneshot::channel();
        let worker = worker::Worker::new(worker::WorkerConfig {
            listen,
            upstream,
            shared: Arc::clone(&shared),
            start,
            shutdown: shutdown_rx,
            max_clients: self.max_clients,
            client_idle_timeout: self.client_idle_timeout,
            max_in_flight_bytes: self.max_in_flight_bytes,
        });
        let task = tokio::spawn(worker.run());
        Ok(RelayHandle {
            local_addr,
            upstream,
            start,
            shared,
            shutdown: Some(shutdown_tx),
            task: Some(task),
        })
    }
}

/// Why a relay could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum RelayError {
    /// [`RelayBuilder::upstream`] was not set.
    NoUpstream,
    /// [`RelayBuilder::max_clients`] was 0.
    NoClientsAllowed,
    /// The listen address could not be bound.
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the OS said.
        source: io::Error,
    },
}

impl fmt::Display for RelayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoUpstream => f.write_str("relay: no upstream address was given"),
            Self::NoClientsAllowed => f.write_str("relay: max_clients must be at least 1"),
            Self::Bind { addr, source } => write!(f, "relay: cannot bind {addr}: {source}"),
        }
    }
}

impl std::error::Error for RelayError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Bind { source, .. } => Some(source),
            Self::NoUpstream | Self::NoClientsAllowed => None,
        }
    }
}

/// A running relay. Dropping it stops the relay (without waiting);
/// [`RelayHandle::shutdown`] stops it and waits until its sockets are
/// closed.
#[derive(Debug)]
pub struct RelayHandle {
    local_addr: SocketAddr,
    upstream: SocketAddr,
    start: tokio::time::Instant,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RelayHandle {
    /// The address clients send to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Where datagrams from clients go.
    pub fn upstream(&self) -> SocketAddr {
        self.upstream
    }

    /// Relay time: microseconds since the relay started, on the tokio
    /// clock. Partitions in a [`LinkConfig`] are in this time.
    pub fn now(&self) -> Instant {
        relay_time(self.start, tokio::time::Instant::now())
    }

    /// What the relay has done so far.
    pub fn stats(&self) -> RelayStats {
        self.shared.lock().stats()
    }

    /// The forward link's configuration now (its seed is the one it started
    /// with).
    pub fn forward_config(&self) -> LinkConfig {
        self.shared.lock().forward.link.config().clone()
    }

    /// The backward link's configuration now.
    pub fn backward_config(&self) -> LinkConfig {
        self.shared.lock().backward.link.config().clone()
    }

    /// Changes the forward impairments from now on. Datagrams already in
    /// flight keep their delivery times; the random generator carries on
    /// (`config.seed` is ignored). To cut the link, add a partition
    /// starting at [`RelayHandle::now`] or set the loss to
    /// [`Probability::ALWAYS`](srt_proto::sim::Probability::ALWAYS).
    pub fn set_forward(&self, config: LinkConfig) {
        self.shared.lock().forward.link.reconfigure(config);
    }

    /// Changes the backward impairments from now on (see
    /// [`RelayHandle::set_forward`]).
    pub fn set_backward(&self, config: LinkConfig) {
        self.shared.lock().backward.link.reconfigure(config);
    }

    /// Stops the relay and waits until it has closed its sockets. Datagrams
    /// still in flight are discarded.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            // An error means the worker is already gone: nothing to stop.
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            // A worker that panicked has stopped too; nothing to report.
            let _ = task.await;
        }
    }
}

/// Relay time of `at`: microseconds since `start`.
fn relay_time(start: tokio::time::Instant, at: tokio::time::Instant) -> Instant {
    let micros = at.saturating_duration_since(start).as_micros();
    Instant::from_micros(u64::try_from(micros).unwrap_or(u64::MAX))
}

/// Counters of one direction of a relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DirectionStats {
    /// What the link did (sent = offered to the link, delivered = handed
    /// back for transmission, and the drops by reason).
    pub link: LinkStats,
    /// Datagrams received from the sockets.
    pub received: u64,
    /// Bytes received from the sockets.
    pub received_bytes: u64,
    /// Datagrams transmitted after the link delivered them.
    pub sent: u64,
    /// Bytes transmitted after the link delivered them.
    pub sent_bytes: u64,
    /// Dropped because [`RelayBuilder::max_in_flight_bytes`] were in flight.
    pub dropped_overflow: u64,
    /// Dropped because their client had left the table (forward only) or
    /// had been refused a place in it.
    pub dropped_no_client: u64,
    /// Transmissions the OS refused.
    pub send_errors: u64,
    /// Receive errors the OS reported (e.g. "connection refused" when the
    /// upstream port is closed).
    pub recv_errors: u64,
    /// Datagrams in flight now.
    pub in_flight: usize,
    /// Bytes in flight now.
    pub in_flight_bytes: usize,
}

/// What a relay has done so far ([`RelayHandle::stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RelayStats {
    /// Clients to upstream.
    pub forward: DirectionStats,
    /// Upstream to clients.
    pub backward: DirectionStats,
    /// Clients in the table now.
    pub clients: usize,
    /// Clients that ever got a place in the table.
    pub clients_seen: u64,
    /// New clients turned away because the table was full of active ones
    /// (or their upstream socket could not be opened).
    pub clients_refused: u64,
    /// Idle clients whose place went to a new client.
    pub clients_evicted: u64,
}

impl fmt::Display for DirectionStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = &self.link;
        write!(
            f,
            "rcvd {} sent {} | lost {} (random {} burst {} queue {} partition {} overflow {}) \
             | dup {} reord {} | in flight {}",
            self.received,
            self.sent,
            l.dropped_random
                .saturating_add(l.dropped_burst)
                .saturating_add(l.dropped_queue)
                .saturating_add(l.dropped_partition)
                .saturating_add(self.dropped_overflow),
            l.dropped_random,
            l.dropped_burst,
            l.dropped_queue,
            l.dropped_partition,
            self.dropped_overflow,
            l.duplicated,
            l.reordered,
            self.in_flight,
        )?;
        if self.send_errors > 0 || self.recv_errors > 0 || self.dropped_no_client > 0 {
            write!(
                f,
                " | errors send {} recv {} no-client {}",
                self.send_errors, self.recv_errors, self.dropped_no_client
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for RelayStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "forward:  {}", self.forward)?;
        writeln!(f, "backward: {}", self.backward)?;
        write!(
            f,
            "clients:  {} now, {} seen, {} refused, {} evicted",
            self.clients, self.clients_seen, self.clients_refused, self.clients_evicted
        )
    }
}

/// State shared by the handle and the worker.
#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
}

impl Shared {
    /// The state; a panic elsewhere while it was held leaves it usable
    /// (every update is a counter or a link call that completed).
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Debug)]
struct State {
    forward: Direction,
    backward: Direction,
    clients: Clients,
}

impl State {
    fn stats(&self) -> RelayStats {
        RelayStats {
            forward: self.forward.stats(),
            backward: self.backward.stats(),
            clients: self.clients.current,
            clients_seen: self.clients.seen,
            clients_refused: self.clients.refused,
            clients_evicted: self.clients.evicted,
        }
    }
}

/// Client-table counters.
#[derive(Debug, Default)]
struct Clients {
    current: usize,
    seen: u64,
    refused: u64,
    evicted: u64,
}

/// One direction: its link and its counters.
#[derive(Debug)]
struct Direction {
    link: Link,
    counters: DirectionStats,
}

impl Direction {
    fn new(config: LinkConfig) -> Self {
        Self {
            link: Link::new(config),
            counters: DirectionStats::default(),
        }
    }

    fn stats(&self) -> DirectionStats {
        DirectionStats {
            link: *self.link.stats(),
            in_flight: self.link.in_flight(),
            ..self.counters
        }
    }
}

//! The relay's task: one loop that owns the sockets, feeds arrivals to the
//! links and transmits what the links deliver when it is due.

use std::future::{Future, poll_fn};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use srt_proto::sim::{Datagram, SendOutcome};
use srt_proto::time::Instant;
use tokio::io::ReadBuf;
use tokio::net::UdpSocket;
use tokio::sync::oneshot;
use tokio::time::Sleep;

use super::{Direction, Shared, relay_time};

/// Large enough for any UDP datagram.
const RECV_BUFFER: usize = 65_536;

/// How many more events one wake-up handles before transmitting.
const BATCH: usize = 64;

/// How many receive errors in a row one poll of a socket swallows before
/// it yields (an error is consumed by reading it, so the next read
/// normally succeeds or pends).
const MAX_ERRORS_PER_POLL: usize = 8;

/// Everything the worker starts with.
pub(super) struct WorkerConfig {
    pub(super) listen: UdpSocket,
    pub(super) upstream: SocketAddr,
    pub(super) shared: Arc<Shared>,
    pub(super) start: tokio::time::Instant,
    pub(super) shutdown: oneshot::Receiver<()>,
    pub(super) max_clients: usize,
    pub(super) client_idle_timeout: Duration,
    pub(super) max_in_flight_bytes: usize,
}

/// One client: its address and the socket that talks to the upstream for it.
struct Client {
    addr: SocketAddr,
    socket: UdpSocket,
    last_seen: tokio::time::Instant,
}

/// What woke the worker.
enum Event {
    Shutdown,
    Timer,
    FromClient(SocketAddr, Bytes),
    FromUpstream(SocketAddr, Bytes),
}

/// Which socket an event came from, for round-robin fairness.
#[derive(Clone, Copy)]
enum Source {
    Listen,
    Client(usize),
}

pub(super) struct Worker {
    listen: UdpSocket,
    upstream: SocketAddr,
    shared: Arc<Shared>,
    start: tokio::time::Instant,
    shutdown: oneshot::Receiver<()>,
    max_clients: usize,
    client_idle_timeout: Duration,
    max_in_flight_bytes: usize,
    clients: Vec<Client>,
    timer: Pin<Box<Sleep>>,
    /// The relay time the timer is set for, if it is set.
    timer_at: Option<Instant>,
    /// The source polled first next time (0 = listen, 1.. = clients).
    round_robin: usize,
    buf: Vec<u8>,
    due_forward: Vec<Datagram>,
    due_backward: Vec<Datagram>,
}

impl Worker {
    pub(super) fn new(config: WorkerConfig) -> Self {
        Self {
            listen: config.listen,
            upstream: config.upstream,
            shared: config.shared,
            start: config.start,
            shutdown: config.shutdown,
            max_clients: config.max_clients,
            client_idle_timeout: config.client_idle_timeout,
            max_in_flight_bytes: config.max_in_flight_bytes,
            clients: Vec::new(),
            timer: Box::pin(tokio::time::sleep_until(config.start)),
            timer_at: None,
            round_robin: 0,
            buf: vec![0; RECV_BUFFER],
            due_forward: Vec::new(),
            due_backward: Vec::new(),
        }
    }

    /// Runs until shut down.
    pub(super) async fn run(mut self) {
        loop {
            let event = poll_fn(|cx| self.poll_event(cx)).await;
            if !self.handle(event).await {
                return;
            }
            // Take what else is already waiting before transmitting, so a
            // burst costs one delivery pass instead of one per datagram.
            // Polling with a no-op waker is fine: the next `poll_fn` above
            // polls every source again with the task's waker before it
            // sleeps.
            for _ in 0..BATCH {
                let next = self.poll_event(&mut Context::from_waker(Waker::noop()));
                match next {
                    Poll::Ready(event) => {
                        if !self.handle(event).await {
                            return;
                        }
                    }
                    Poll::Pending => break,
                }
            }
            self.deliver_due().await;
            self.arm_timer();
        }
    }

    /// Acts on one event; false on shutdown.
    async fn handle(&mut self, event: Event) -> bool {
        match event {
            Event::Shutdown => return false,
            Event::Timer => {}
            Event::FromClient(from, data) => self.on_client_datagram(from, data).await,
            Event::FromUpstream(client, data) => self.on_upstream_datagram(client, data),
        }
        true
    }

    fn now(&self) -> Instant {
        relay_time(self.start, tokio::time::Instant::now())
    }

    /// The next thing to do, or `Pending` with every source's waker set.
    fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<Event> {
        if Pin::new(&mut self.shutdown).poll(cx).is_ready() {
            // Sent or dropped: either way the handle wants us gone.
            return Poll::Ready(Event::Shutdown);
        }
        if self.timer_at.is_some() && self.timer.as_mut().poll(cx).is_ready() {
            self.timer_at = None;
            return Poll::Ready(Event::Timer);
        }
        let sources = self.clients.len().saturating_add(1);
        for k in 0..sources {
            let index = self.round_robin.wrapping_add(k) % sources;
            let source = match index.checked_sub(1) {
                None => Source::Listen,
                Some(i) => Source::Client(i),
            };
            if let Some(event) = self.poll_source(cx, source) {
                self.round_robin = index.wrapping_add(1);
                return Poll::Ready(event);
            }
        }
        Poll::Pending
    }

    /// One datagram from `source`, if one is waiting.
    fn poll_source(&mut self, cx: &mut Context<'_>, source: Source) -> Option<Event> {
        let mut errors = 0_usize;
        loop {
            let mut read = ReadBuf::new(&mut self.buf);
            let polled = match source {
                Source::Listen => match self.listen.poll_recv_from(cx, &mut read) {
                    Poll::Ready(Ok(from)) => Poll::Ready(Ok(from)),
                    Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                    Poll::Pending => Poll::Pending,
                },
                Source::Client(i) => {
                    let client = self.clients.get(i)?;
                    match client.socket.poll_recv(cx, &mut read) {
                        Poll::Ready(Ok(())) => Poll::Ready(Ok(client.addr)),
                        Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                        Poll::Pending => Poll::Pending,
                    }
                }
            };
            match polled {
                Poll::Pending => return None,
                Poll::Ready(Ok(addr)) => {
                    let data = Bytes::copy_from_slice(read.filled());
                    return Some(match source {
                        Source::Listen => Event::FromClient(addr, data),
                        Source::Client(_) => Event::FromUpstream(addr, data),
                    });
                }
                Poll::Ready(Err(_)) => {
                    self.count_recv_error(source);
                    errors = errors.saturating_add(1);
                    if errors >= MAX_ERRORS_PER_POLL {
                        // Come back soon rather than spin here.
                        cx.waker().wake_by_ref();
                        return None;
                    }
                }
            }
        }
    }

    fn count_recv_error(&self, source: Source) {
        let mut state = self.shared.lock();
        let direction = match source {
            Source::Listen => &mut state.forward,
            Source::Client(_) => &mut state.backward,
        };
        direction.counters.recv_errors = direction.counters.recv_errors.saturating_add(1);
    }

    /// A datagram from a client: find or make its upstream socket, then
    /// offer it to the forward link.
    async fn on_client_datagram(&mut self, from: SocketAddr, data: Bytes) {
        let now = self.now();
        let known = self.clients.iter().position(|c| c.addr == from);
        let admitted = match known {
            Some(i) => Some(i),
            None => self.admit(from).await,
        };
        let mut state = self.shared.lock();
        let Some(i) = admitted else {
            let counters = &mut state.forward.counters;
            counters.received = counters.received.saturating_add(1);
            counters.received_bytes = counters.received_bytes.saturating_add(len64(&data));
            counters.dropped_no_client = counters.dropped_no_client.saturating_add(1);
            return;
        };
        if let Some(client) = self.clients.get_mut(i) {
            client.last_seen = tokio::time::Instant::now();
        }
        let datagram = Datagram {
            from,
            to: self.upstream,
            data,
        };
        state.forward.offer(now, datagram, self.max_in_flight_bytes);
    }

    /// Gives `addr` a place in the client table, evicting the longest-quiet
    /// client if the table is full and that one is idle; `None` if refused.
    async fn admit(&mut self, addr: SocketAddr) -> Option<usize> {
        if self.clients.len() >= self.max_clients {
            let quietest = self
                .clients
                .iter()
                .enumerate()
                .min_by_key(|(_, c)| c.last_seen)
                .map(|(i, c)| (i, c.last_seen.elapsed()));
            match quietest {
                Some((i, quiet)) if quiet >= self.client_idle_timeout => {
                    self.clients.swap_remove(i);
                    let mut state = self.shared.lock();
                    state.clients.evicted = state.clients.evicted.saturating_add(1);
                    state.clients.current = self.clients.len();
                }
                _ => {
                    let mut state = self.shared.lock();
                    state.clients.refused = state.clients.refused.saturating_add(1);
                    return None;
                }
            }
        }
        let socket = match open_upstream_socket(self.upstream).await {
            Ok(socket) => socket,
            Err(_) => {
                let mut state = self.shared.lock();
                state.clients.refused = state.clients.refused.saturating_add(1);
                return None;
            }
        };
        self.clients.push(Client {
            addr,
            socket,
            last_seen: tokio::time::Instant::now(),
        });
        let mut state = self.shared.lock();
        state.clients.seen = state.clients.seen.saturating_add(1);
        state.clients.current = self.clients.len();
        self.clients.len().checked_sub(1)
    }

    /// A datagram from the upstream for `client`: offer it to the backward
    /// link.
    fn on_upstream_datagram(&mut self, client: SocketAddr, data: Bytes) {
        let now = self.now();
        if let Some(c) = self.clients.iter_mut().find(|c| c.addr == client) {
            c.last_seen = tokio::time::Instant::now();
        }
        let datagram = Datagram {
            from: self.upstream,
            to: client,
            data,
        };
        self.shared
            .lock()
            .backward
            .offer(now, datagram, self.max_in_flight_bytes);
    }

    /// Transmits everything the links have delivered by now.
    async fn deliver_due(&mut self) {
        let now = self.now();
        {
            let mut state = self.shared.lock();
            state.forward.poll_due(now, &mut self.due_forward);
            state.backward.poll_due(now, &mut self.due_backward);
        }
        if self.due_forward.is_empty() && self.due_backward.is_empty() {
            return;
        }
        let mut forward = Tally::default();
        for datagram in self.due_forward.drain(..) {
            let Some(client) = self.clients.iter().find(|c| c.addr == datagram.from) else {
                forward.no_client = forward.no_client.saturating_add(1);
                continue;
            };
            forward.record(client.socket.send(&datagram.data).await, &datagram.data);
        }
        let mut backward = Tally::default();
        for datagram in self.due_backward.drain(..) {
            let sent = self.listen.send_to(&datagram.data, datagram.to).await;
            backward.record(sent, &datagram.data);
        }
        let mut state = self.shared.lock();
        forward.add_to(&mut state.forward);
        backward.add_to(&mut state.backward);
    }

    /// Sets the timer for the earliest delivery of either link.
    fn arm_timer(&mut self) {
        let next = {
            let state = self.shared.lock();
            match (
                state.forward.link.next_delivery(),
                state.backward.link.next_delivery(),
            ) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        };
        if next == self.timer_at {
            return;
        }
        self.timer_at = None;
        let Some(at) = next else {
            return;
        };
        let Some(deadline) = self
            .start
            .checked_add(Duration::from_micros(at.as_micros()))
        else {
            return;
        };
        self.timer.as_mut().reset(deadline);
        self.timer_at = Some(at);
    }
}

/// Outcomes of a batch of transmissions, added to the shared counters
/// under one lock.
#[derive(Default)]
struct Tally {
    sent: u64,
    sent_bytes: u64,
    errors: u64,
    no_client: u64,
}

impl Tally {
    fn record(&mut self, result: io::Result<usize>, data: &[u8]) {
        match result {
            Ok(_) => {
                self.sent = self.sent.saturating_add(1);
                self.sent_bytes = self.sent_bytes.saturating_add(len64(data));
            }
            Err(_) => self.errors = self.errors.saturating_add(1),
        }
    }

    fn add_to(&self, direction: &mut Direction) {
        let c = &mut direction.counters;
        c.sent = c.sent.saturating_add(self.sent);
        c.sent_bytes = c.sent_bytes.saturating_add(self.sent_bytes);
        c.send_errors = c.send_errors.saturating_add(self.errors);
        c.dropped_no_client = c.dropped_no_client.saturating_add(self.no_client);
    }
}

impl Direction {
    /// Offers an arrival to the link unless `max_in_flight_bytes` are
    /// already in flight.
    fn offer(&mut self, now: Instant, datagram: Datagram, max_in_flight_bytes: usize) {
        let len = datagram.data.len();
        let c = &mut self.counters;
        c.received = c.received.saturating_add(1);
        c.received_bytes = c.received_bytes.saturating_add(len64(&datagram.data));
        if c.in_flight_bytes.saturating_add(len) > max_in_flight_bytes {
            c.dropped_overflow = c.dropped_overflow.saturating_add(1);
            return;
        }
        if let SendOutcome::Scheduled { duplicate_at, .. } = self.link.send(now, datagram) {
            let copies = if duplicate_at.is_some() { 2 } else { 1 };
            c.in_flight_bytes = c.in_flight_bytes.saturating_add(len.saturating_mul(copies));
        }
    }

    /// Moves everything due by `now` into `out`.
    fn poll_due(&mut self, now: Instant, out: &mut Vec<Datagram>) {
        while let Some(datagram) = self.link.poll_deliver(now) {
            self.counters.in_flight_bytes = self
                .counters
                .in_flight_bytes
                .saturating_sub(datagram.data.len());
            out.push(datagram);
        }
    }
}

/// A socket on an ephemeral port of the upstream's family, connected to it.
async fn open_upstream_socket(upstream: SocketAddr) -> io::Result<UdpSocket> {
    let any = match upstream.ip() {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    let socket = UdpSocket::bind(SocketAddr::new(any, 0)).await?;
    socket.connect(upstream).await?;
    Ok(socket)
}

fn len64(data: &[u8]) -> u64 {
    u64::try_from(data.len()).unwrap_or(u64::MAX)
}

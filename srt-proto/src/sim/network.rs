//! [`Network`]: any number of [`Node`]s joined by [`Link`]s, stepped through
//! virtual time event by event.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::fmt;
use core::net::SocketAddr;

use super::config::LinkConfig;
use super::link::{Datagram, Link, LinkStats, SendOutcome};
use crate::time::Instant;

/// Something that lives at one or more addresses of a [`Network`]: an SRT
/// endpoint, or the user's application wrapped around one.
///
/// The three methods mirror the Sans-I/O contract: inputs (a datagram
/// arrived, the timer fired) with the current time, outputs appended to
/// `out`, and the time the node next wants to be woken.
///
/// An endpoint (one per UDP socket) fits in a thin wrapper that knows its
/// own address: `handle_datagram` feeds it `Input::Datagram { from, data }`,
/// `handle_timeout` feeds it `Input::Timeout`, each `Output::Transmit { to,
/// data }` becomes a [`Datagram`] from the wrapper's address, and the
/// other outputs (delivered messages, events) go into the wrapper's own
/// state for the test to inspect through [`Network::node`]. Application
/// inputs (send a message, close) reach it through [`Network::inject`] and
/// [`Network::schedule`].
pub trait Node {
    /// A datagram addressed to this node arrived at `now`. Append the
    /// datagrams to send in response to `out`, with their `from` set to the
    /// sending address (usually `datagram.to`).
    fn handle_datagram(&mut self, now: Instant, datagram: Datagram, out: &mut Vec<Datagram>);

    /// The time asked for by [`Node::next_timeout`] has come.
    fn handle_timeout(&mut self, now: Instant, out: &mut Vec<Datagram>);

    /// When to call [`Node::handle_timeout`] next, if ever. A time at or
    /// before the network's current time means "now".
    fn next_timeout(&self) -> Option<Instant>;
}

impl<T: Node + ?Sized> Node for Box<T> {
    fn handle_datagram(&mut self, now: Instant, datagram: Datagram, out: &mut Vec<Datagram>) {
        (**self).handle_datagram(now, datagram, out);
    }

    fn handle_timeout(&mut self, now: Instant, out: &mut Vec<Datagram>) {
        (**self).handle_timeout(now, out);
    }

    fn next_timeout(&self) -> Option<Instant> {
        (**self).next_timeout()
    }
}

/// Names a node of a [`Network`], in the order nodes were added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub usize);

/// Something that happened in a [`Network`], recorded when tracing is on
/// ([`Network::record_trace`]). Two runs with the same seeds and inputs
/// record equal traces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TraceEvent {
    /// A node transmitted a datagram onto a link.
    Transmitted {
        /// When.
        at: Instant,
        /// Sender's address.
        from: SocketAddr,
        /// Receiver's address.
        to: SocketAddr,
        /// Payload length in bytes.
        len: usize,
        /// What the link decided.
        outcome: SendOutcome,
    },
    /// A link delivered a datagram to the node bound at `to`.
    Delivered {
        /// When.
        at: Instant,
        /// Sender's address.
        from: SocketAddr,
        /// Receiver's address.
        to: SocketAddr,
        /// Payload length in bytes.
        len: usize,
    },
    /// A link delivered a datagram to an address no node is bound to; it
    /// was discarded.
    Unbound {
        /// When.
        at: Instant,
        /// Sender's address.
        from: SocketAddr,
        /// Receiver's address.
        to: SocketAddr,
    },
    /// A node's timer fired.
    Timeout {
        /// When.
        at: Instant,
        /// Which node.
        node: NodeId,
    },
    /// A scheduled application input ran on a node.
    Injected {
        /// When.
        at: Instant,
        /// Which node.
        node: NodeId,
    },
}

/// What can go wrong while building or running a [`Network`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimError {
    /// Another node is already bound to this address.
    AddressInUse(SocketAddr),
    /// No node has this id.
    UnknownNode(NodeId),
    /// A node sent from `from` to `to`, no link joins them and the network
    /// has no default link. The datagram is lost.
    NoLink {
        /// Sender's address.
        from: SocketAddr,
        /// Receiver's address.
        to: SocketAddr,
    },
    /// More than the allowed number of events happened at one instant
    /// (see [`Network::max_events_per_instant`]): usually a node that keeps
    /// asking for a timeout at the current time without making progress.
    Stalled {
        /// The instant time could not get past.
        at: Instant,
        /// The node handled last, most likely the culprit.
        node: Option<NodeId>,
        /// Events handled at that instant.
        events: u32,
    },
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AddressInUse(addr) => write!(f, "address {addr} is already bound to a node"),
            Self::UnknownNode(NodeId(id)) => write!(f, "no node with id {id}"),
            Self::NoLink { from, to } => write!(f, "no link from {from} to {to}"),
            Self::Stalled { at, node, events } => {
                write!(
                    f,
                    "{events} events at {} µs without time advancing",
                    at.as_micros()
                )?;
                match node {
                    Some(NodeId(id)) => write!(f, " (last handled: node {id})"),
                    None => Ok(()),
                }
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for SimError {}

/// An application input scheduled to run on a node at a virtual time.
type Injection<N> = Box<dyn FnOnce(&mut N, Instant, &mut Vec<Datagram>)>;

/// Nodes bound to addresses, directional links between address pairs, and
/// virtual time.
///
/// Time starts at [`Instant::ZERO`] and only moves forward. Each
/// [`Network::step`] jumps to the earliest pending event (a scheduled
/// injection, a link delivery, a node's timeout) and handles everything due
/// at that instant, including what those handlers cause at the same instant
/// (e.g. over a zero-latency link). Within an instant the order is fixed:
/// injections in the order scheduled, then deliveries link by link in
/// address order, then timeouts in node order, repeated until nothing is
/// due. So the same seeds and inputs give the same run.
///
/// Nodes can be one type, an enum of several, or `Box<dyn Node>`.
pub struct Network<N> {
    now: Instant,
    seed: u64,
    nodes: Vec<N>,
    bindings: BTreeMap<SocketAddr, NodeId>,
    links: BTreeMap<(SocketAddr, SocketAddr), Link>,
    default_link: Option<LinkConfig>,
    injections: BTreeMap<(Instant, u64), (NodeId, Injection<N>)>,
    next_injection: u64,
    max_events_per_instant: u32,
    trace: Option<Vec<TraceEvent>>,
    scratch: Vec<Datagram>,
}

impl<N: fmt::Debug> fmt::Debug for Network<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Network")
            .field("now", &self.now)
            .field("nodes", &self.nodes)
            .field("bindings", &self.bindings)
            .field("links", &self.links)
            .field("pending_injections", &self.injections.len())
            .finish_non_exhaustive()
    }
}

impl<N: Node> Default for Network<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<N: Node> Network<N> {
    /// Default for [`Network::max_events_per_instant`].
    pub const DEFAULT_MAX_EVENTS_PER_INSTANT: u32 = 100_000;

    /// An empty network at time zero with network seed 0, no default link
    /// and tracing off.
    pub fn new() -> Self {
        Self {
            now: Instant::ZERO,
            seed: 0,
            nodes: Vec::new(),
            bindings: BTreeMap::new(),
            links: BTreeMap::new(),
            default_link: None,
            injections: BTreeMap::new(),
            next_injection: 0,
            max_events_per_instant: Self::DEFAULT_MAX_EVENTS_PER_INSTANT,
            trace: None,
            scratch: Vec::new(),
        }
    }

    /// Sets the network seed, mixed into every link's seed together with the
    /// link's addresses, so one seed varies the whole run and the two
    /// directions of a path never draw the same numbers. Set it before
    /// adding links.
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Uses `config` for every address pair without a link of its own
    /// (created on first use); without a default, sending over such a pair
    /// is [`SimError::NoLink`].
    #[must_use]
    pub fn with_default_link(mut self, config: LinkConfig) -> Self {
        self.default_link = Some(config);
        self
    }

    /// Caps the events handled at one instant before [`Network::step`]
    /// reports [`SimError::Stalled`].
    #[must_use]
    pub fn max_events_per_instant(mut self, max: u32) -> Self {
        self.max_events_per_instant = max;
        self
    }

    /// Turns recording of [`TraceEvent`]s on or off (off drops the record).
    pub fn record_trace(&mut self, on: bool) {
        self.trace = on.then(|| self.trace.take().unwrap_or_default());
    }

    /// The events recorded so far.
    pub fn trace(&self) -> &[TraceEvent] {
        self.trace.as_deref().unwrap_or_default()
    }

    /// The current virtual time.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Adds a node bound to `addr`.
    pub fn add_node(&mut self, addr: SocketAddr, node: N) -> Result<NodeId, SimError> {
        if self.bindings.contains_key(&addr) {
            return Err(SimError::AddressInUse(addr));
        }
        let id = NodeId(self.nodes.len());
        self.nodes.push(node);
        self.bindings.insert(addr, id);
        Ok(id)
    }

    /// Binds one more address to an existing node.
    pub fn bind(&mut self, id: NodeId, addr: SocketAddr) -> Result<(), SimError> {
        if id.0 >= self.nodes.len() {
            return Err(SimError::UnknownNode(id));
        }
        if self.bindings.contains_key(&addr) {
            return Err(SimError::AddressInUse(addr));
        }
        self.bindings.insert(addr, id);
        Ok(())
    }

    /// The node with this id.
    pub fn node(&self, id: NodeId) -> Option<&N> {
        self.nodes.get(id.0)
    }

    /// The node with this id, to inspect or change its state. Datagrams it
    /// should send belong in [`Network::inject`] instead.
    pub fn node_mut(&mut self, id: NodeId) -> Option<&mut N> {
        self.nodes.get_mut(id.0)
    }

    /// All nodes, in id order.
    pub fn nodes(&self) -> &[N] {
        &self.nodes
    }

    /// Joins `from` to `to` (one direction) with a link behaving as
    /// `config`, replacing any link between them (and what it had in
    /// flight; use [`Network::link_mut`] and [`Link::reconfigure`] to change
    /// a link during a run instead). The link's seed is
    /// `config.seed` mixed with the network seed and both addresses.
    pub fn link(&mut self, from: SocketAddr, to: SocketAddr, config: LinkConfig) {
        let link = self.make_link(from, to, config);
        self.links.insert((from, to), link);
    }

    /// Joins `a` and `b` both ways with links behaving as `config` (each
    /// direction draws its own numbers).
    pub fn link_both_ways(&mut self, a: SocketAddr, b: SocketAddr, config: LinkConfig) {
        self.link(a, b, config.clone());
        self.link(b, a, config);
    }

    /// The link from `from` to `to`, if one exists yet.
    pub fn link_between(&self, from: SocketAddr, to: SocketAddr) -> Option<&Link> {
        self.links.get(&(from, to))
    }

    /// The link from `from` to `to`, to reconfigure it during a run.
    pub fn link_mut(&mut self, from: SocketAddr, to: SocketAddr) -> Option<&mut Link> {
        self.links.get_mut(&(from, to))
    }

    /// The counters of the link from `from` to `to`, if one exists yet.
    pub fn link_stats(&self, from: SocketAddr, to: SocketAddr) -> Option<&LinkStats> {
        self.link_between(from, to).map(Link::stats)
    }

    /// Runs `input` on node `id` now and sends what it appends to `out`:
    /// the hook for application inputs (send this message, close, ...).
    pub fn inject<F>(&mut self, id: NodeId, input: F) -> Result<(), SimError>
    where
        F: FnOnce(&mut N, Instant, &mut Vec<Datagram>),
    {
        let now = self.now;
        let mut out = core::mem::take(&mut self.scratch);
        let node = self.nodes.get_mut(id.0).ok_or(SimError::UnknownNode(id))?;
        input(node, now, &mut out);
        self.record(TraceEvent::Injected { at: now, node: id });
        let routed = self.route(&mut out);
        self.scratch = out;
        routed
    }

    /// Schedules `input` to run on node `id` at `at` (or now, if `at` has
    /// passed), like [`Network::inject`] but in the future. Inputs due at
    /// the same instant run in the order they were scheduled.
    pub fn schedule<F>(&mut self, at: Instant, id: NodeId, input: F) -> Result<(), SimError>
    where
        F: FnOnce(&mut N, Instant, &mut Vec<Datagram>) + 'static,
    {
        if id.0 >= self.nodes.len() {
            return Err(SimError::UnknownNode(id));
        }
        let key = (at.max(self.now), self.next_injection);
        self.next_injection = self.next_injection.wrapping_add(1);
        self.injections.insert(key, (id, Box::new(input)));
        Ok(())
    }

    /// When the next event is due: the earliest scheduled input, link
    /// delivery or node timeout, never before [`Network::now`].
    pub fn next_event_time(&self) -> Option<Instant> {
        let injection = self.injections.keys().next().map(|&(at, _)| at);
        let delivery = self.links.values().filter_map(Link::next_delivery).min();
        let timeout = self.nodes.iter().filter_map(Node::next_timeout).min();
        [injection, delivery, timeout]
            .into_iter()
            .flatten()
            .min()
            .map(|at| at.max(self.now))
    }

    /// Advances to the next event time and handles everything due then.
    /// Returns the new time, or `None` when nothing is left to happen.
    pub fn step(&mut self) -> Result<Option<Instant>, SimError> {
        let Some(at) = self.next_event_time() else {
            return Ok(None);
        };
        self.now = at;
        let mut events: u32 = 0;
        let mut last_node = None;
        let mut out = core::mem::take(&mut self.scratch);
        let result = self.drain_instant(&mut out, &mut events, &mut last_node);
        out.clear();
        self.scratch = out;
        result.map(|()| Some(at))
    }

    /// Steps until the next event would be after `deadline`, then moves the
    /// clock to `deadline` (if it is later than now).
    pub fn run_until(&mut self, deadline: Instant) -> Result<(), SimError> {
        while self.next_event_time().is_some_and(|at| at <= deadline) {
            self.step()?;
        }
        self.now = self.now.max(deadline);
        Ok(())
    }

    /// Handles everything due at `self.now` until nothing is.
    fn drain_instant(
        &mut self,
        out: &mut Vec<Datagram>,
        events: &mut u32,
        last_node: &mut Option<NodeId>,
    ) -> Result<(), SimError> {
        let now = self.now;
        loop {
            let mut progressed = false;
            while let Some(entry) = self.injections.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                let (id, input) = entry.remove();
                self.count(events, *last_node)?;
                *last_node = Some(id);
                if let Some(node) = self.nodes.get_mut(id.0) {
                    input(node, now, out);
                }
                self.record(TraceEvent::Injected { at: now, node: id });
                self.route(out)?;
                progressed = true;
            }
            let due: Vec<Datagram> = self
                .links
                .values_mut()
                .flat_map(|link| core::iter::from_fn(move || link.poll_deliver(now)))
                .collect();
            for datagram in due {
                self.count(events, *last_node)?;
                progressed = true;
                let Some(&id) = self.bindings.get(&datagram.to) else {
                    self.record(TraceEvent::Unbound {
                        at: now,
                        from: datagram.from,
                        to: datagram.to,
                    });
                    continue;
                };
                *last_node = Some(id);
                self.record(TraceEvent::Delivered {
                    at: now,
                    from: datagram.from,
                    to: datagram.to,
                    len: datagram.data.len(),
                });
                if let Some(node) = self.nodes.get_mut(id.0) {
                    node.handle_datagram(now, datagram, out);
                }
                self.route(out)?;
            }
            for index in 0..self.nodes.len() {
                let id = NodeId(index);
                let Some(node) = self.nodes.get_mut(index) else {
                    break;
                };
                if node.next_timeout().is_none_or(|at| at > now) {
                    continue;
                }
                node.handle_timeout(now, out);
                self.count(events, Some(id))?;
                *last_node = Some(id);
                progressed = true;
                self.record(TraceEvent::Timeout { at: now, node: id });
                self.route(out)?;
            }
            if !progressed {
                return Ok(());
            }
        }
    }

    /// Counts one event at the current instant; errors past the cap.
    fn count(&self, events: &mut u32, node: Option<NodeId>) -> Result<(), SimError> {
        *events = events.saturating_add(1);
        if *events > self.max_events_per_instant {
            return Err(SimError::Stalled {
                at: self.now,
                node,
                events: *events,
            });
        }
        Ok(())
    }

    /// Sends every datagram in `out` over its link, emptying `out`.
    fn route(&mut self, out: &mut Vec<Datagram>) -> Result<(), SimError> {
        let now = self.now;
        for datagram in out.drain(..) {
            let key = (datagram.from, datagram.to);
            if !self.links.contains_key(&key) {
                let Some(config) = self.default_link.clone() else {
                    return Err(SimError::NoLink {
                        from: key.0,
                        to: key.1,
                    });
                };
                let link = self.make_link(key.0, key.1, config);
                self.links.insert(key, link);
            }
            let len = datagram.data.len();
            let Some(link) = self.links.get_mut(&key) else {
                continue;
            };
            let outcome = link.send(now, datagram);
            self.record(TraceEvent::Transmitted {
                at: now,
                from: key.0,
                to: key.1,
                len,
                outcome,
            });
        }
        Ok(())
    }

    /// A link for `from → to` with its seed mixed from the config's, the
    /// network's and the addresses.
    fn make_link(&self, from: SocketAddr, to: SocketAddr, config: LinkConfig) -> Link {
        let seed = mix(mix(config.seed ^ mix(self.seed)) ^ address_hash(from, to));
        Link::new(config.seed(seed))
    }

    fn record(&mut self, event: TraceEvent) {
        if let Some(trace) = &mut self.trace {
            trace.push(event);
        }
    }
}

/// SplitMix64's finaliser: spreads every input bit over the output.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stable (FNV-1a) hash of an ordered address pair.
fn address_hash(from: SocketAddr, to: SocketAddr) -> u64 {
    let mut hash: u64 = 0xCBF2_9CE4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
        }
    };
    for addr in [from, to] {
        match addr {
            SocketAddr::V4(v4) => eat(&v4.ip().octets()),
            SocketAddr::V6(v6) => eat(&v6.ip().octets()),
        }
        eat(&addr.port().to_be_bytes());
    }
    hash
}

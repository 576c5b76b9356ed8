//! The simulator: a Sans-I/O link model and a driver that steps endpoints
//! through virtual time (feature `sim`).
//!
//! It is meant for your own deterministic simulation tests as much as ours:
//! put your application, with its SRT endpoints inside, on a simulated
//! network, break the network in reproducible ways, and check what your
//! application saw. Nothing here reads a clock or the OS's randomness: time
//! is virtual and every random decision comes from seeded generators, so a
//! run is a pure function of its seeds and inputs.
//!
//! - [`LinkConfig`] describes one direction of a path: latency, jitter,
//!   random loss, bursty (Gilbert-Elliott) loss, duplication, reordering, a
//!   rate limit with a tail-drop queue, and partitions that start and heal.
//!   Presets: [`LinkConfig::lan`], [`LinkConfig::wifi`],
//!   [`LinkConfig::cellular`], [`LinkConfig::satellite`],
//!   [`LinkConfig::lossy_internet`] (numbers in [`presets`]).
//! - [`Link`] applies a config to datagrams; it is itself Sans-I/O
//!   (`send(now, datagram)`, `next_delivery()`, `poll_deliver(now)`), so it
//!   can also sit in a real UDP relay.
//! - [`Network`] binds [`Node`]s to addresses, joins address pairs with
//!   links, and steps everything through virtual time, jumping from event to
//!   event. [`Network::inject`] and [`Network::schedule`] feed application
//!   inputs; [`Network::record_trace`] records what happened.
//! - [`for_each_seed`] runs a scenario over many seeds and names the first
//!   that fails, which then becomes a regression test.
//!
//! # Example: your application over Wi-Fi
//!
//! A node that pings its peer every 100 ms and counts the echoes, and a
//! node that echoes; with `srt_proto`'s endpoint inside your node, the
//! shape is the same.
//!
//! ```
//! use bytes::Bytes;
//! use core::net::SocketAddr;
//! use core::time::Duration;
//! use srt_proto::sim::{Datagram, LinkConfig, Network, Node};
//! use srt_proto::time::Instant;
//!
//! struct Pinger { addr: SocketAddr, peer: SocketAddr, next_ping: Instant, echoes: u32 }
//! struct Echo;
//!
//! impl Node for Pinger {
//!     fn handle_datagram(&mut self, _now: Instant, _d: Datagram, _out: &mut Vec<Datagram>) {
//!         self.echoes += 1;
//!     }
//!     fn handle_timeout(&mut self, now: Instant, out: &mut Vec<Datagram>) {
//!         let data = Bytes::from_static(b"ping");
//!         out.push(Datagram { from: self.addr, to: self.peer, data });
//!         self.next_ping = now + Duration::from_millis(100);
//!     }
//!     fn next_timeout(&self) -> Option<Instant> {
//!         Some(self.next_ping)
//!     }
//! }
//!
//! impl Node for Echo {
//!     fn handle_datagram(&mut self, _now: Instant, d: Datagram, out: &mut Vec<Datagram>) {
//!         out.push(Datagram { from: d.to, to: d.from, data: d.data });
//!     }
//!     fn handle_timeout(&mut self, _now: Instant, _out: &mut Vec<Datagram>) {}
//!     fn next_timeout(&self) -> Option<Instant> {
//!         None
//!     }
//! }
//!
//! // Both node types in one network: box them (or use an enum).
//! let a: SocketAddr = "10.0.0.1:5000".parse().unwrap();
//! let b: SocketAddr = "10.0.0.2:5000".parse().unwrap();
//! let mut net: Network<Box<dyn Node>> = Network::new().with_seed(7);
//! let pinger = Pinger { addr: a, peer: b, next_ping: Instant::ZERO, echoes: 0 };
//! net.add_node(a, Box::new(pinger)).unwrap();
//! net.add_node(b, Box::new(Echo)).unwrap();
//! net.link_both_ways(a, b, LinkConfig::wifi());
//!
//! net.run_until(Instant::ZERO + Duration::from_millis(9_950)).unwrap();
//!
//! // 100 pings (at 0, 0.1 s, ..., 9.9 s); Wi-Fi loses a few of them or
//! // their echoes.
//! let stats = net.link_stats(a, b).unwrap();
//! assert_eq!(stats.sent, 100);
//! assert!(stats.delivered >= 90);
//! ```
//!
//! # Determinism
//! A [`Network`] handles the events of one instant in a fixed order and
//! every link draws from its own generator, seeded from
//! [`LinkConfig::seed`], the network seed ([`Network::with_seed`]) and the
//! link's addresses. Same seeds, same nodes, same inputs: same run, event
//! for event. Time never runs backwards.
//!
//! # A failing seed is a regression test
//! Run a scenario over a range of seeds with [`for_each_seed`]; when one
//! fails, its number is in the error. Add it to a list the test always runs
//! first, so the bug it found stays fixed:
//!
//! ```
//! use srt_proto::sim::for_each_seed;
//!
//! /// Seeds that once failed; never remove one.
//! const REGRESSION_SEEDS: &[u64] = &[17, 4242];
//!
//! fn scenario(seed: u64) -> Result<(), &'static str> {
//!     // Build a Network::new().with_seed(seed), run it, check invariants.
//!     if seed == u64::MAX { Err("invariant broken") } else { Ok(()) }
//! }
//!
//! let seeds = REGRESSION_SEEDS.iter().copied().chain(0..100);
//! if let Err(failure) = for_each_seed(seeds, scenario) {
//!     panic!("{failure}"); // "seed 1234 failed: invariant broken"
//! }
//! ```

mod config;
mod link;
mod network;
pub mod presets;

use core::fmt;

pub use config::{GilbertElliott, LinkConfig, Partition, Probability, RateLimit, Reorder};
pub use link::{Datagram, DropReason, Link, LinkStats, SendOutcome};
pub use network::{Network, Node, NodeId, SimError, TraceEvent};

/// The first seed for which a scenario failed, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedFailure<E> {
    /// The seed to add to your regression list.
    pub seed: u64,
    /// What the scenario reported.
    pub error: E,
}

impl<E: fmt::Display> fmt::Display for SeedFailure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seed {} failed: {}", self.seed, self.error)
    }
}

#[cfg(feature = "std")]
impl<E: fmt::Debug + fmt::Display> std::error::Error for SeedFailure<E> {}

/// Runs `scenario` once per seed, in order, and stops at the first failure,
/// naming its seed. Put the seeds that once failed first (see the module
/// docs).
pub fn for_each_seed<I, E, F>(seeds: I, mut scenario: F) -> Result<(), SeedFailure<E>>
where
    I: IntoIterator<Item = u64>,
    F: FnMut(u64) -> Result<(), E>,
{
    for seed in seeds {
        scenario(seed).map_err(|error| SeedFailure { seed, error })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn for_each_seed_names_the_first_failing_seed() {
        let mut ran = alloc::vec::Vec::new();
        let result = for_each_seed([3, 5, 8, 13], |seed| {
            ran.push(seed);
            if seed % 2 == 0 { Err("even") } else { Ok(()) }
        });
        assert_eq!(
            result,
            Err(SeedFailure {
                seed: 8,
                error: "even"
            })
        );
        assert_eq!(ran, [3, 5, 8]);
        assert_eq!(
            SeedFailure {
                seed: 8,
                error: "even"
            }
            .to_string(),
            "seed 8 failed: even"
        );
    }

    #[test]
    fn for_each_seed_passes_when_every_seed_passes() {
        assert_eq!(for_each_seed(0..10, |_| Ok::<(), ()>(())), Ok(()));
    }
}

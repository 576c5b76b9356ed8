//! The simulator's network driver, as a user sees it: nodes on addresses,
//! links between them, virtual time.
#![cfg(feature = "sim")]

use bytes::Bytes;
use core::net::SocketAddr;
use core::time::Duration;
use srt_proto::sim::{
    Datagram, LinkConfig, Network, Node, NodeId, SimError, TraceEvent, for_each_seed,
};
use srt_proto::time::Instant;

const A: &str = "10.0.0.1:9000";
const B: &str = "10.0.0.2:9000";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn ms(n: u64) -> Instant {
    Instant::from_micros(n * 1_000)
}

fn seq_of(d: &Datagram) -> u32 {
    u32::from_be_bytes(d.data[..4].try_into().unwrap())
}

/// Sends numbered pings one at a time, resending every 50 ms until the echo
/// of the current one comes back, until `goal` pings have been answered.
#[derive(Debug)]
struct Pinger {
    addr: SocketAddr,
    peer: SocketAddr,
    goal: u32,
    answered: u32,
    resend_at: Option<Instant>,
}

impl Pinger {
    fn new(addr: SocketAddr, peer: SocketAddr, goal: u32) -> Self {
        Self {
            addr,
            peer,
            goal,
            answered: 0,
            resend_at: Some(Instant::ZERO),
        }
    }

    fn ping(&mut self, now: Instant, out: &mut Vec<Datagram>) {
        out.push(Datagram {
            from: self.addr,
            to: self.peer,
            data: Bytes::copy_from_slice(&self.answered.to_be_bytes()),
        });
        self.resend_at = Some(now + Duration::from_millis(50));
    }
}

/// Echoes every datagram back where it came from.
#[derive(Debug)]
struct Echo;

/// The two toy nodes in one network.
#[derive(Debug)]
enum Toy {
    Pinger(Pinger),
    Echo(Echo),
}

impl Node for Toy {
    fn handle_datagram(&mut self, now: Instant, d: Datagram, out: &mut Vec<Datagram>) {
        match self {
            Toy::Pinger(p) => {
                if seq_of(&d) == p.answered {
                    p.answered += 1;
                    p.resend_at = None;
                    if p.answered < p.goal {
                        p.ping(now, out);
                    }
                }
            }
            Toy::Echo(Echo) => out.push(Datagram {
                from: d.to,
                to: d.from,
                data: d.data,
            }),
        }
    }

    fn handle_timeout(&mut self, now: Instant, out: &mut Vec<Datagram>) {
        if let Toy::Pinger(p) = self {
            p.ping(now, out);
        }
    }

    fn next_timeout(&self) -> Option<Instant> {
        match self {
            Toy::Pinger(p) => p.resend_at,
            Toy::Echo(_) => None,
        }
    }
}

fn answered(net: &Network<Toy>, id: NodeId) -> u32 {
    match net.node(id) {
        Some(Toy::Pinger(p)) => p.answered,
        other => panic!("not a pinger: {other:?}"),
    }
}

/// A pinger at A and an echo at B, joined both ways by `config`.
fn ping_pong(seed: u64, config: LinkConfig, goal: u32) -> (Network<Toy>, NodeId) {
    let mut net = Network::new().with_seed(seed);
    let pinger = net
        .add_node(addr(A), Toy::Pinger(Pinger::new(addr(A), addr(B), goal)))
        .unwrap();
    net.add_node(addr(B), Toy::Echo(Echo)).unwrap();
    net.link_both_ways(addr(A), addr(B), config);
    (net, pinger)
}

#[test]
fn ping_pong_over_lossy_links_gets_every_ping_answered() {
    let (mut net, pinger) = ping_pong(1, LinkConfig::lossy_internet(), 200);
    net.run_until(Instant::ZERO + Duration::from_secs(60))
        .unwrap();
    assert_eq!(answered(&net, pinger), 200);
    let there = net.link_stats(addr(A), addr(B)).unwrap();
    let back = net.link_stats(addr(B), addr(A)).unwrap();
    assert!(there.sent > 200, "no ping was ever lost: {there:?}");
    assert_eq!(back.sent, there.delivered);
    // Nothing left to do once every ping is answered.
    assert_eq!(net.next_event_time(), None);
}

#[test]
fn ping_pong_over_a_lossless_link_takes_one_round_trip_per_ping() {
    let config = LinkConfig::new().latency(Duration::from_millis(10));
    let (mut net, pinger) = ping_pong(1, config, 10);
    net.run_until(ms(199)).unwrap();
    assert_eq!(answered(&net, pinger), 9);
    net.run_until(ms(200)).unwrap();
    assert_eq!(answered(&net, pinger), 10);
    assert_eq!(net.now(), ms(200));
}

#[test]
fn every_seed_gets_every_ping_answered_over_wifi() {
    const REGRESSION_SEEDS: &[u64] = &[];
    let seeds = REGRESSION_SEEDS.iter().copied().chain(0..20);
    let result = for_each_seed(seeds, |seed| {
        let (mut net, pinger) = ping_pong(seed, LinkConfig::wifi(), 50);
        net.run_until(ms(30_000)).map_err(|e| e.to_string())?;
        match answered(&net, pinger) {
            50 => Ok(()),
            n => Err(format!("{n} of 50 answered")),
        }
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

fn traced_run(seed: u64) -> Vec<TraceEvent> {
    let (mut net, _) = ping_pong(seed, LinkConfig::cellular(), 100);
    net.record_trace(true);
    net.run_until(ms(20_000)).unwrap();
    net.trace().to_vec()
}

#[test]
fn the_same_seed_gives_the_same_run_event_for_event() {
    let first = traced_run(11);
    assert!(first.len() > 400, "{} events", first.len());
    assert_eq!(first, traced_run(11));
}

#[test]
fn another_network_seed_gives_another_run() {
    assert_ne!(traced_run(11), traced_run(12));
}

#[test]
fn time_never_runs_backwards_in_a_trace() {
    let at = |e: &TraceEvent| match *e {
        TraceEvent::Transmitted { at, .. }
        | TraceEvent::Delivered { at, .. }
        | TraceEvent::Unbound { at, .. }
        | TraceEvent::Timeout { at, .. }
        | TraceEvent::Injected { at, .. } => at,
    };
    let trace = traced_run(3);
    assert!(trace.windows(2).all(|w| at(&w[0]) <= at(&w[1])));
}

/// Always wants a timeout at time zero and never changes its mind.
struct Spinner;

impl Node for Spinner {
    fn handle_datagram(&mut self, _: Instant, _: Datagram, _: &mut Vec<Datagram>) {}
    fn handle_timeout(&mut self, _: Instant, _: &mut Vec<Datagram>) {}
    fn next_timeout(&self) -> Option<Instant> {
        Some(Instant::ZERO)
    }
}

#[test]
fn a_node_that_never_stops_asking_for_now_is_reported_as_stalled() {
    let mut net = Network::new().max_events_per_instant(1_000);
    let id = net.add_node(addr(A), Spinner).unwrap();
    assert_eq!(
        net.run_until(ms(1)),
        Err(SimError::Stalled {
            at: Instant::ZERO,
            node: Some(id),
            events: 1_001
        })
    );
}

#[test]
fn sending_over_a_pair_without_a_link_is_an_error_without_a_default() {
    let mut net: Network<Toy> = Network::new();
    net.add_node(addr(A), Toy::Pinger(Pinger::new(addr(A), addr(B), 1)))
        .unwrap();
    assert_eq!(
        net.step(),
        Err(SimError::NoLink {
            from: addr(A),
            to: addr(B)
        })
    );
}

#[test]
fn the_default_link_carries_pairs_without_a_link_of_their_own() {
    let mut net =
        Network::new().with_default_link(LinkConfig::new().latency(Duration::from_millis(1)));
    let pinger = net
        .add_node(addr(A), Toy::Pinger(Pinger::new(addr(A), addr(B), 3)))
        .unwrap();
    net.add_node(addr(B), Toy::Echo(Echo)).unwrap();
    net.run_until(ms(10)).unwrap();
    assert_eq!(answered(&net, pinger), 3);
    assert!(net.link_between(addr(B), addr(A)).is_some());
}

#[test]
fn binding_a_taken_address_is_refused() {
    let mut net = Network::new();
    let id = net.add_node(addr(A), Toy::Echo(Echo)).unwrap();
    assert_eq!(
        net.add_node(addr(A), Toy::Echo(Echo)),
        Err(SimError::AddressInUse(addr(A)))
    );
    assert_eq!(net.bind(id, addr(A)), Err(SimError::AddressInUse(addr(A))));
    assert_eq!(
        net.bind(NodeId(7), addr(B)),
        Err(SimError::UnknownNode(NodeId(7)))
    );
}

#[test]
fn a_scheduled_input_runs_at_its_time_and_its_datagrams_are_sent() {
    let mut net = Network::new();
    net.record_trace(true);
    let echo = net.add_node(addr(B), Toy::Echo(Echo)).unwrap();
    net.link(
        addr(B),
        addr(A),
        LinkConfig::new().latency(Duration::from_millis(2)),
    );
    net.schedule(ms(40), echo, |_, now, out| {
        assert_eq!(now, ms(40));
        out.push(Datagram {
            from: addr(B),
            to: addr(A),
            data: Bytes::from_static(b"hi"),
        });
    })
    .unwrap();
    assert_eq!(net.next_event_time(), Some(ms(40)));
    net.run_until(ms(100)).unwrap();
    assert_eq!(
        net.trace()[0],
        TraceEvent::Injected {
            at: ms(40),
            node: echo
        }
    );
    // Nobody lives at A: the datagram arrives at 42 ms and is discarded.
    assert_eq!(
        net.trace()[2],
        TraceEvent::Unbound {
            at: ms(42),
            from: addr(B),
            to: addr(A)
        }
    );
}

#[test]
fn an_injected_input_runs_now() {
    let mut net = Network::new();
    let echo = net.add_node(addr(B), Toy::Echo(Echo)).unwrap();
    net.link(addr(B), addr(A), LinkConfig::new());
    net.run_until(ms(5)).unwrap();
    net.inject(echo, |_, now, out| {
        assert_eq!(now, ms(5));
        out.push(Datagram {
            from: addr(B),
            to: addr(A),
            data: Bytes::from_static(b"hi"),
        });
    })
    .unwrap();
    assert_eq!(net.link_stats(addr(B), addr(A)).unwrap().sent, 1);
}

#[test]
fn run_until_moves_the_clock_even_when_nothing_happens() {
    let mut net: Network<Toy> = Network::new();
    assert_eq!(net.step(), Ok(None));
    net.run_until(ms(250)).unwrap();
    assert_eq!(net.now(), ms(250));
}

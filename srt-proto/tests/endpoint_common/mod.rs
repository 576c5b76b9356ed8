//! Shared by the `endpoint_*` tests: an [`Endpoint`] as a simulator node.
#![allow(dead_code)]

use bytes::Bytes;
use core::net::SocketAddr;
use core::time::Duration;
use srt_proto::access::ConnectionRequest;
use srt_proto::handshake::HandshakeConfig;
use srt_proto::sim::{Datagram, LinkConfig, Network, Node, NodeId};
use srt_proto::time::Instant;
use srt_proto::{ConnectionId, Endpoint, EndpointConfig, Event, Input, ListenConfig, Output};

/// What a node does with a connection request (access control `Ask`).
pub type Answer = Box<dyn FnMut(&ConnectionRequest) -> Option<Input>>;

/// An endpoint bound to `addr`, keeping every event it reported.
pub struct EpNode {
    pub addr: SocketAddr,
    pub ep: Endpoint,
    pub events: Vec<(Instant, Event)>,
    pub answer: Option<Answer>,
    buf: Vec<Output>,
}

impl EpNode {
    pub fn new(addr: SocketAddr, seed: u64) -> Self {
        Self::with_config(addr, seed, EndpointConfig::default())
    }

    pub fn with_config(addr: SocketAddr, seed: u64, config: EndpointConfig) -> Self {
        let mut rng_seed = [0u8; 32];
        rng_seed[..8].copy_from_slice(&seed.to_le_bytes());
        rng_seed[8..16].copy_from_slice(&u64::from(addr.port()).to_le_bytes());
        rng_seed[16] = match addr.ip() {
            core::net::IpAddr::V4(v4) => v4.octets()[3],
            core::net::IpAddr::V6(_) => 0,
        };
        Self {
            addr,
            ep: Endpoint::new(config, rng_seed),
            events: Vec::new(),
            answer: None,
            buf: Vec::new(),
        }
    }

    pub fn feed(&mut self, input: Input, now: Instant, out: &mut Vec<Datagram>) {
        let mut buf = core::mem::take(&mut self.buf);
        buf.clear();
        self.ep.handle_input_into(input, now, &mut buf);
        let mut follow_ups = Vec::new();
        for o in buf.drain(..) {
            match o {
                Output::Transmit { to, data } => out.push(Datagram {
                    from: self.addr,
                    to,
                    data,
                }),
                Output::Event(e) => {
                    if let (Event::ConnectionRequest(req), Some(answer)) = (&e, &mut self.answer)
                        && let Some(input) = answer(req)
                    {
                        follow_ups.push(input);
                    }
                    self.events.push((now, e));
                }
                Output::Timeout(_) => {}
            }
        }
        self.buf = buf;
        for input in follow_ups {
            self.feed(input, now, out);
        }
    }

    /// The first event `f` picks.
    pub fn find<T>(&self, f: impl FnMut(&(Instant, Event)) -> Option<T>) -> Option<T> {
        self.events.iter().find_map(f)
    }

    /// When the first `Connected` came, and for which connection.
    pub fn connected(&self) -> Option<(Instant, ConnectionId)> {
        self.find(|(at, e)| match e {
            Event::Connected { conn, .. } => Some((*at, *conn)),
            _ => None,
        })
    }
}

impl Node for EpNode {
    fn handle_datagram(&mut self, now: Instant, d: Datagram, out: &mut Vec<Datagram>) {
        self.feed(
            Input::Datagram {
                from: d.from,
                data: d.data,
            },
            now,
            out,
        );
    }
    fn handle_timeout(&mut self, now: Instant, out: &mut Vec<Datagram>) {
        self.feed(Input::Timeout, now, out);
    }
    fn next_timeout(&self) -> Option<Instant> {
        self.ep.next_timeout()
    }
}

pub const LISTENER: &str = "10.0.0.1:4200";
pub const CALLER: &str = "10.0.0.2:5000";

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

pub fn at_ms(ms: u64) -> Instant {
    Instant::ZERO + Duration::from_millis(ms)
}

/// A listener and a caller node joined by `link` both ways.
pub fn network(seed: u64, link: LinkConfig) -> (Network<EpNode>, NodeId, NodeId) {
    let mut net = Network::new().with_seed(seed);
    let l = net
        .add_node(addr(LISTENER), EpNode::new(addr(LISTENER), seed))
        .unwrap();
    let c = net
        .add_node(addr(CALLER), EpNode::new(addr(CALLER), seed))
        .unwrap();
    net.link_both_ways(addr(LISTENER), addr(CALLER), link);
    (net, l, c)
}

pub fn listen(net: &mut Network<EpNode>, node: NodeId, config: ListenConfig) {
    net.inject(node, |n, now, out| {
        n.feed(Input::Listen(Box::new(config)), now, out)
    })
    .unwrap();
}

pub fn connect(net: &mut Network<EpNode>, node: NodeId, remote: &str, config: HandshakeConfig) {
    let remote = addr(remote);
    net.inject(node, move |n, now, out| {
        n.feed(
            Input::Connect {
                remote,
                config: Box::new(config),
            },
            now,
            out,
        )
    })
    .unwrap();
}

pub fn rendezvous(net: &mut Network<EpNode>, node: NodeId, remote: &str, config: HandshakeConfig) {
    let remote = addr(remote);
    net.inject(node, move |n, now, out| {
        n.feed(
            Input::Rendezvous {
                remote,
                config: Box::new(config),
            },
            now,
            out,
        )
    })
    .unwrap();
}

pub fn node(net: &Network<EpNode>, id: NodeId) -> &EpNode {
    net.node(id).unwrap()
}

pub fn message(n: usize) -> Bytes {
    Bytes::from(format!("message {n:05}").into_bytes())
}

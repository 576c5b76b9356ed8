//! The endpoint: one per UDP socket. It demultiplexes datagrams by
//! destination socket id, runs the handshakes (caller, listener,
//! rendezvous), asks the embedder about incoming connections, and owns the
//! [`Connection`]s, so that many connections share one socket as they do
//! behind libsrt's multiplexer.
//!
//! # Driving contract
//! Feed every event of the socket's life to [`Endpoint::handle_input`] (or
//! [`Endpoint::handle_input_into`], which appends to a buffer you keep):
//! a datagram arrived ([`Input::Datagram`]), the timer fired
//! ([`Input::Timeout`]), or the application wants something (connect,
//! listen, rendezvous, answer a request, send, close). Each call returns
//! everything it produced, in order: datagrams to send
//! ([`Output::Transmit`]), events ([`Output::Event`]) and, last, when to
//! call again ([`Output::Timeout`], also available from
//! [`Endpoint::next_timeout`]). Nothing is left behind for a later call.
//! Time never runs backwards: a `now` earlier than one already seen is
//! taken as that one.
//!
//! # Demultiplexing
//! - A datagram whose destination socket id names one of our sockets goes
//!   to it: a caller's INDUCTION or CONCLUSION answer, a rendezvous
//!   handshake, or the packets of an established connection. For a
//!   connection, only datagrams from its peer's address count; a data
//!   packet goes straight from [`bytes::Bytes`] through
//!   [`Packet::decode_owned`] to [`Connection::handle_packet`] without a
//!   copy.
//! - Destination id 0 is a handshake for the listener (INDUCTION,
//!   CONCLUSION), or a rendezvous WAVEAHAND matched by the peer's address.
//!   A repeated CONCLUSION of a connection already accepted gets the same
//!   answer again.
//! - Anything else is dropped without an answer.
//!
//! # Bounded state
//! Nothing a peer sends makes the endpoint keep more than configured: the
//! listener answers INDUCTIONs with a SYN cookie and keeps nothing
//! ([`crate::cookie`]); a CONCLUSION with a valid cookie waits for the
//! embedder's decision in a backlog of [`ListenConfig::backlog`] entries
//! (overflow: BACKLOG rejection) that expire after
//! [`ListenConfig::request_timeout`]; recent rejections are remembered (to
//! answer repeats the same) in a ring of the same size; connections are
//! capped by [`EndpointConfig::max_connections`] (beyond: RESOURCE).
//! [`Endpoint::state_size`] counts all of it.
//!
//! # Socket groups
//! The endpoint carries the handshake side of libsrt 1.5's socket groups;
//! the group itself ([`crate::group`]) sits above the member connections
//! and drives them with inputs.
//! - A caller joins a group by its [`HandshakeConfig::group`] (id from
//!   [`Endpoint::new_group_id`], type, weight): the CONCLUSION carries the
//!   GROUP extension, and the listener's answer (its mirror group) must
//!   come back, as [`crate::handshake::group`] describes. A member joining
//!   a running group also sets [`HandshakeConfig::group_sync`]: its ISN is
//!   the group's next sequence number and its packets are stamped from the
//!   group's start, so every member numbers and stamps a message alike.
//!   libsrt has no group rendezvous; [`Input::Rendezvous`] with a group
//!   fails with GROUP.
//! - A listener accepts grouped callers only with
//!   [`ListenConfig::group_connect`] (else GROUP, as libsrt's
//!   `SRTO_GROUPCONNECT` off). All members of one peer group join one
//!   mirror group with a random id (bit 30 set), created with the first
//!   member and forgotten when the last member and the last waiting
//!   request are gone ([`StateSize::groups`]). The access decision sees it
//!   ([`crate::access::ConnectionRequest::member`]). A later member starts
//!   in step with the group's oldest member, as libsrt's
//!   `synchronizeWithGroup` does: the same sender time base, its next send
//!   sequence number, and its TSBPD time base when that is known (else the
//!   group sets it later with [`MemberCommand::SetReceiveTimeBase`]). What
//!   it receives starts at the caller's ISN, which is its group's next
//!   sequence number.
//! - Both sides report the membership in [`Event::Connected`] (`group`);
//!   [`Event::Message`] carries each message's sequence number, and
//!   [`Input::Member`] runs a group's [`MemberCommand`] on a member.
//!
//! # Example: the embedder decides who gets in
//! With [`AccessControl::Ask`], each caller whose CONCLUSION carries a
//! valid cookie becomes an [`Event::ConnectionRequest`] with its stream id
//! parsed; [`Input::Accept`] may give that connection its own passphrase
//! (or latency), [`Input::Reject`] sends the caller a code. (For fixed
//! rules, [`AccessControl::Policy`] with the ready-made policies of
//! [`crate::access`] decides inside the endpoint.)
//!
//! ```
//! use core::net::{IpAddr, SocketAddr};
//! use srt_proto::access::AcceptOptions;
//! use srt_proto::crypto::Passphrase;
//! use srt_proto::handshake::HandshakeConfig;
//! use srt_proto::packet::ext::ConfigString;
//! use srt_proto::time::Instant;
//! use srt_proto::{AccessControl, Endpoint, EndpointConfig, Event, Input, ListenConfig, Output};
//!
//! let (l_addr, c_addr): (SocketAddr, SocketAddr) = ("192.0.2.1:4200".parse()?, "192.0.2.2:5000".parse()?);
//! let mut listener = Endpoint::new(EndpointConfig::default(), [1; 32]);
//! let mut caller = Endpoint::new(EndpointConfig::default(), [2; 32]);
//! let now = Instant::ZERO;
//! let ask = ListenConfig::new(HandshakeConfig::default()).with_access(AccessControl::Ask);
//! listener.handle_input(Input::Listen(Box::new(ask)), now);
//!
//! // A publisher for "cam1", with the passphrase of that stream.
//! let secret = Passphrase::new(b"cam1 secret passphrase")?;
//! let config = HandshakeConfig::default()
//!     .with_stream_id(ConfigString::new(b"#!::r=cam1,m=publish")?)
//!     .with_passphrase(secret.clone());
//! let mut to_listener = caller.handle_input(Input::Connect { remote: l_addr, config: Box::new(config) }, now);
//!
//! let mut connected = Vec::new();
//! while !to_listener.is_empty() {
//!     let mut to_caller = Vec::new();
//!     for output in to_listener.drain(..) {
//!         let Output::Transmit { data, .. } = output else { continue };
//!         for answer in listener.handle_input(Input::Datagram { from: c_addr, data }, now) {
//!             match answer {
//!                 Output::Event(Event::ConnectionRequest(req)) => {
//!                     assert_eq!(req.resource(), Some("cam1"));
//!                     // This stream's secret is set here, per connection.
//!                     let options = AcceptOptions::new().with_passphrase(secret.clone());
//!                     to_caller.extend(listener.handle_input(Input::Accept { request: req.id, options }, now));
//!                 }
//!                 other => to_caller.push(other),
//!             }
//!         }
//!     }
//!     for output in to_caller {
//!         match output {
//!             Output::Transmit { data, .. } => {
//!                 to_listener.extend(caller.handle_input(Input::Datagram { from: l_addr, data }, now));
//!             }
//!             Output::Event(Event::Connected { params, .. }) => connected.push(params.crypto.is_some()),
//!             _ => {}
//!         }
//!     }
//!     to_listener.retain(|o| match o {
//!         Output::Event(Event::Connected { params, .. }) => {
//!             connected.push(params.crypto.is_some());
//!             false
//!         }
//!         _ => true,
//!     });
//! }
//! assert_eq!(connected, [true, true], "both sides connected, encrypted");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod groups;
mod io;
mod listen;
mod socket;
mod types;

pub use types::{
    AccessControl, ConnectionId, EndpointConfig, Event, Input, ListenConfig, MemberCommand,
    MemberCommandError, MemberInfo, Output, PolicyObject, StateSize,
};

use crate::access::AccessPolicy;
use crate::connection::{CloseReason, Connection, SendOptions};
use crate::cookie::CookieJar;
use crate::crypto::Passphrase;
use crate::group::GroupType;
use crate::handshake::group::is_group_id;
use crate::handshake::{
    Caller, CookieSource, FixedCookieForTesting, HandshakeConfig, Rendezvous, RequestId,
};
use crate::packet::ext::GroupExt;
use crate::packet::handshake::{Handshake, HandshakeType};
use crate::packet::reject::RejectReason;
use crate::packet::{ControlBody, ControlPacket, Packet, peek_dst_socket_id};
use crate::rng::{SRTGROUP_MASK, SrtRng};
use crate::seq::SeqNumber;
use crate::time::Instant;
use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::vec::Vec;
use bytes::Bytes;
use core::net::{IpAddr, SocketAddr};
use groups::MirrorGroups;
use io::Io;
use listen::Listening;

/// How many hosts' RTTs the endpoint remembers.
const RTT_CACHE_SIZE: usize = 128;

/// How long a connection must have lived for its RTT to be remembered
/// (long enough for ACKACKs to have measured it).
const RTT_CACHE_MIN_LIFE: core::time::Duration = core::time::Duration::from_secs(1);

/// How many socket ids to draw before giving up on finding a free one.
const SOCKET_ID_ATTEMPTS: usize = 32;

#[derive(Debug)]
enum ConnState {
    Calling(Box<Caller>),
    Rendezvous(Box<Rendezvous>),
    Established(Box<Connection>),
}

#[derive(Debug)]
struct Conn {
    peer: SocketAddr,
    peer_socket_id: u32,
    /// The access request this connection was accepted from.
    request: Option<RequestId>,
    /// Whether an access policy inside the endpoint accepted it (and must
    /// hear [`AccessPolicy::closed`]).
    policy_accepted: bool,
    /// The handshake to send again when the peer repeats its last one.
    repeat_reply: Option<Box<Handshake>>,
    /// The passphrase the connection encrypts with, for its key refreshes.
    passphrase: Option<Passphrase>,
    /// The peer's initial sequence number when it sends from its own (a
    /// rendezvous), not from the negotiated one.
    receive_isn: Option<SeqNumber>,
    /// The wake-up time this socket has in the timer index.
    armed: Option<Instant>,
    /// A caller's own GROUP extension, until its handshake settles the
    /// membership.
    own_group: Option<GroupExt>,
    /// The socket group the connection is a member of.
    member: Option<MemberInfo>,
    /// The handshake's round-trip time, as far as measured.
    rtt: RttProbe,
    /// The time base of the packets we send (handshake and connection):
    /// when the socket started, or its group's start.
    start: Instant,
    state: ConnState,
}

/// Measures the handshake's round trip, close to Karn's rule: a request
/// answered (the next handshake, or the connection, follows its answer)
/// gives a sample from its first sending when it was sent once, or when
/// the answer came before the retransmission timer could have sent a copy
/// (an extra copy sent at once in reply to a repeated peer message costs
/// at most that much accuracy). A request resent by the timer gives none:
/// the answer may be to any copy. A phase is a handshake type with its extension flags
/// (a rendezvous responder's empty CONCLUSION and its HSRSP are two
/// phases); WAVEAHAND (both sides wave on their own) and AGREEMENT are not
/// requests, so they give no sample.
#[derive(Debug, Default, Clone, Copy)]
struct RttProbe {
    /// The handshake's retransmission interval.
    interval: core::time::Duration,
    /// The current phase, when its handshake was first sent, and how often.
    phase: Option<(u32, Instant, u32)>,
    /// The latest sample.
    sample: Option<core::time::Duration>,
}

impl RttProbe {
    fn new(interval: core::time::Duration) -> Self {
        Self {
            interval,
            ..Self::default()
        }
    }

    /// Handshake `hs` goes out at `now`.
    fn sent(&mut self, hs: &Handshake, now: Instant) {
        let kind = match hs.handshake_type {
            // Not requests: nothing answers them.
            HandshakeType::Waveahand | HandshakeType::Agreement => 0,
            other => (other.to_u32() & 0xFFFF) << 16 | u32::from(hs.extension_flags.bits()),
        };
        match &mut self.phase {
            Some((k, _, sends)) if *k == kind => *sends = sends.saturating_add(1),
            _ => {
                // A new phase: the last one's request was answered now.
                self.answered(now);
                self.phase = Some((kind, now, 1));
            }
        }
    }

    /// The current phase was answered at `now`.
    fn answered(&mut self, now: Instant) {
        if let Some((kind, first, sends)) = self.phase {
            let elapsed = now.duration_since(first);
            if kind != 0 && (sends == 1 || elapsed < self.interval) {
                self.sample = Some(elapsed);
            }
        }
    }
}

/// Where the listener's SYN cookies come from.
#[derive(Clone)]
enum Cookies {
    Jar(CookieJar),
    Fixed(FixedCookieForTesting),
}

impl CookieSource for Cookies {
    fn cookie(&self, peer: SocketAddr, now: Instant) -> u32 {
        match self {
            Self::Jar(jar) => jar.cookie(peer, now),
            Self::Fixed(fixed) => fixed.cookie(peer, now),
        }
    }

    fn verify(&self, peer: SocketAddr, cookie: u32, now: Instant) -> bool {
        match self {
            Self::Jar(jar) => jar.verify(peer, cookie, now),
            Self::Fixed(fixed) => fixed.verify(peer, cookie, now),
        }
    }
}

/// One SRT endpoint: one UDP socket's worth of handshakes and connections.
/// See the [module docs](self).
pub struct Endpoint {
    config: EndpointConfig,
    rng: SrtRng,
    cookies: Cookies,
    epoch: Option<Instant>,
    last_now: Instant,
    listening: Option<Listening>,
    conns: BTreeMap<u32, Conn>,
    /// Accepted connections by (peer address, peer socket id), for
    /// repeated CONCLUSIONs addressed to id 0.
    accepted: BTreeMap<(SocketAddr, u32), u32>,
    /// Rendezvous sockets by peer address, for WAVEAHANDs addressed to id 0.
    rendezvous: BTreeMap<SocketAddr, u32>,
    /// Every socket's next wake-up, earliest first: the next timeout is
    /// the first entry, and a timer costs no walk over all sockets.
    timers: BTreeSet<(Instant, u32)>,
    /// The last RTT seen per peer host, newest last.
    rtt_cache: VecDeque<(IpAddr, core::time::Duration)>,
    /// The listener's mirror groups by peer group id.
    groups: MirrorGroups,
    io: Io,
}

impl core::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Endpoint")
            .field("listening", &self.listening.is_some())
            .field("state", &self.state_size())
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// An endpoint with `config`; every random value it needs (socket ids,
    /// sequence numbers, cookie secret, keys) comes from a generator seeded
    /// with `rng_seed`.
    pub fn new(config: EndpointConfig, rng_seed: [u8; 32]) -> Self {
        let mut rng = SrtRng::from_seed(rng_seed);
        let cookies = Cookies::Jar(CookieJar::from_rng(&mut rng));
        Self {
            config,
            rng,
            cookies,
            epoch: None,
            last_now: Instant::ZERO,
            listening: None,
            conns: BTreeMap::new(),
            accepted: BTreeMap::new(),
            rendezvous: BTreeMap::new(),
            timers: BTreeSet::new(),
            rtt_cache: VecDeque::new(),
            groups: MirrorGroups::default(),
            io: Io::default(),
        }
    }

    /// The same endpoint, answering every INDUCTION with `cookie` and
    /// accepting only that cookie in a CONCLUSION: for replaying captured
    /// handshakes in tests. Never use it on a real network: a predictable
    /// cookie lets callers with spoofed addresses through.
    pub fn with_fixed_cookie_for_testing(mut self, cookie: FixedCookieForTesting) -> Self {
        self.cookies = Cookies::Fixed(cookie);
        self
    }

    /// Handles one input at `now` and returns everything it produced.
    pub fn handle_input(&mut self, input: Input, now: Instant) -> Vec<Output> {
        let mut out = Vec::new();
        self.handle_input_into(input, now, &mut out);
        out
    }

    /// Handles one input at `now`, appending what it produced to `out`
    /// (which is not cleared): the hot-path form of
    /// [`Self::handle_input`].
    pub fn handle_input_into(&mut self, input: Input, now: Instant, out: &mut Vec<Output>) {
        let now = self.advance(now);
        match input {
            Input::Datagram { from, data } => self.datagram(from, data, now, out),
            Input::Timeout => self.timeout(now, out),
            Input::Connect { remote, config } => {
                self.connect(remote, *config, now, out);
            }
            Input::Listen(config) => {
                // Requests waiting under the old configuration expire.
                self.stop_listening(out);
                self.listening = Some(Listening::new(*config));
            }
            Input::StopListening => self.stop_listening(out),
            Input::Rendezvous { remote, config } => {
                self.rendezvous(remote, *config, now, out);
            }
            Input::Accept { request, options } => self.accept(request, options, now, out),
            Input::Reject { request, reason } => self.reject(request, reason, now, out),
            Input::Send {
                conn,
                data,
                options,
            } => self.send(conn, data, options, now, out),
            Input::Close { conn } => self.close(conn, now, out),
            Input::Member { conn, command } => self.member_command(conn, command, now, out),
        }
        if let Some(at) = self.next_timeout() {
            out.push(Output::Timeout(at));
        }
    }

    /// When to feed [`Input::Timeout`] next, if ever.
    pub fn next_timeout(&self) -> Option<Instant> {
        let conns = self.timers.first().map(|&(at, _)| at);
        let requests = self.listening.as_ref().and_then(Listening::next_timeout);
        conns.into_iter().chain(requests).min()
    }

    /// How much state the endpoint holds, by kind.
    pub fn state_size(&self) -> StateSize {
        let (pending_requests, remembered_rejections) = self
            .listening
            .as_ref()
            .map_or((0, 0), |l| (l.pending.len(), l.rejections.len()));
        let mut size = StateSize {
            pending_requests,
            remembered_rejections,
            index_entries: self.accepted.len() + self.rendezvous.len(),
            cached_rtts: self.rtt_cache.len(),
            groups: self.groups.len(),
            ..StateSize::default()
        };
        for conn in self.conns.values() {
            match conn.state {
                ConnState::Calling(_) => size.calling += 1,
                ConnState::Rendezvous(_) => size.rendezvous += 1,
                ConnState::Established(_) => size.established += 1,
            }
        }
        size
    }

    /// The established connection `conn`, to read its statistics or state.
    pub fn connection(&self, conn: ConnectionId) -> Option<&Connection> {
        match &self.conns.get(&conn.0)?.state {
            ConnState::Established(c) => Some(c),
            _ => None,
        }
    }

    /// Whether the endpoint is listening.
    pub fn is_listening(&self) -> bool {
        self.listening.is_some()
    }

    /// The access policy of the listener, if one decides inside the
    /// endpoint ([`AccessControl::Policy`]).
    pub fn access_policy_mut(&mut self) -> Option<&mut dyn PolicyObject> {
        match &mut self.listening.as_mut()?.config.access {
            AccessControl::Policy(p) => Some(p.as_mut()),
            _ => None,
        }
    }

    /// The listener's access policy as its concrete type `P`, e.g. to edit
    /// a [`crate::access::Whitelist`] while running; `None` if there is no
    /// policy or it is not a `P`.
    pub fn access_policy<P: AccessPolicy + Send + 'static>(&mut self) -> Option<&mut P> {
        self.access_policy_mut()?.as_any_mut().downcast_mut::<P>()
    }

    fn advance(&mut self, now: Instant) -> Instant {
        let now = now.max(self.last_now);
        self.last_now = now;
        if self.epoch.is_none() {
            self.epoch = Some(now);
        }
        now
    }

    fn epoch(&self) -> Instant {
        self.epoch.unwrap_or(Instant::ZERO)
    }

    /// A fresh socket id, unused by any of our sockets.
    fn new_socket_id(&mut self) -> Option<u32> {
        (0..SOCKET_ID_ATTEMPTS)
            .map(|_| self.rng.socket_id())
            .find(|id| !self.conns.contains_key(id))
    }

    fn has_room(&self) -> bool {
        self.conns.len() < self.config.max_connections
    }

    /// Starts a caller handshake to `remote`; the id is also reported as
    /// [`Event::Connecting`].
    pub fn connect(
        &mut self,
        remote: SocketAddr,
        config: HandshakeConfig,
        now: Instant,
        out: &mut Vec<Output>,
    ) -> Option<ConnectionId> {
        let now = self.advance(now);
        let Some(id) = self.new_socket_id().filter(|_| self.has_room()) else {
            out.push(Output::Event(Event::ConnectFailed {
                remote,
                reason: RejectReason::Resource,
            }));
            return None;
        };
        if let Some(own) = &config.group
            && (GroupType::from_u8(own.group_type).is_none() || !is_group_id(own.group_id))
        {
            out.push(Output::Event(Event::ConnectFailed {
                remote,
                reason: RejectReason::Group,
            }));
            return None;
        }
        let (isn, start) = match config.group_sync {
            Some(sync) => (sync.initial_seq, sync.start_time.min(now)),
            None => (self.rng.initial_seq(), now),
        };
        let own_group = config.group;
        let passphrase = config.encryption.as_ref().map(|e| e.passphrase.clone());
        let rtt = RttProbe::new(config.retransmit_interval);
        let caller = Caller::new(config, remote, id, isn, &mut self.rng, now);
        out.push(Output::Event(Event::Connecting {
            conn: ConnectionId(id),
            remote,
        }));
        self.conns.insert(
            id,
            Conn {
                peer: remote,
                peer_socket_id: 0,
                request: None,
                policy_accepted: false,
                repeat_reply: None,
                passphrase,
                receive_isn: None,
                armed: None,
                own_group,
                member: None,
                rtt,
                start,
                state: ConnState::Calling(Box::new(caller)),
            },
        );
        self.drain(id, now, out);
        Some(ConnectionId(id))
    }

    /// Starts a rendezvous with `remote`; the id is also reported as
    /// [`Event::Connecting`]. One rendezvous per remote address.
    pub fn rendezvous(
        &mut self,
        remote: SocketAddr,
        config: HandshakeConfig,
        now: Instant,
        out: &mut Vec<Output>,
    ) -> Option<ConnectionId> {
        let now = self.advance(now);
        if config.group.is_some() {
            // libsrt connects groups caller–listener only (its rendezvous
            // has no side to create the mirror group).
            out.push(Output::Event(Event::ConnectFailed {
                remote,
                reason: RejectReason::Group,
            }));
            return None;
        }
        let free = !self.rendezvous.contains_key(&remote) && self.has_room();
        let Some(id) = self.new_socket_id().filter(|_| free) else {
            out.push(Output::Event(Event::ConnectFailed {
                remote,
                reason: RejectReason::Resource,
            }));
            return None;
        };
        let isn = self.rng.initial_seq();
        let cookie = self.cookies.cookie(remote, now);
        let passphrase = config.encryption.as_ref().map(|e| e.passphrase.clone());
        let rtt = RttProbe::new(config.retransmit_interval);
        let rdv = Rendezvous::new(config, remote, id, isn, cookie, &mut self.rng, now);
        out.push(Output::Event(Event::Connecting {
            conn: ConnectionId(id),
            remote,
        }));
        self.rendezvous.insert(remote, id);
        self.conns.insert(
            id,
            Conn {
                peer: remote,
                peer_socket_id: 0,
                request: None,
                policy_accepted: false,
                repeat_reply: None,
                passphrase,
                receive_isn: None,
                armed: None,
                own_group: None,
                member: None,
                rtt,
                start: now,
                state: ConnState::Rendezvous(Box::new(rdv)),
            },
        );
        self.drain(id, now, out);
        Some(ConnectionId(id))
    }

    fn stop_listening(&mut self, out: &mut Vec<Output>) {
        if let Some(listening) = self.listening.take() {
            for p in listening.pending {
                if let Some(member) = &p.member {
                    self.groups.release(member);
                }
                out.push(Output::Event(Event::RequestExpired { request: p.id }));
            }
        }
    }

    fn send(
        &mut self,
        conn: ConnectionId,
        data: Bytes,
        options: SendOptions,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        let result = match self.conns.get_mut(&conn.0).map(|c| &mut c.state) {
            Some(ConnState::Established(c)) => c.send(data, options, now),
            _ => Err(crate::connection::SendError::ConnectionClosed),
        };
        match result {
            Ok(()) => self.drain(conn.0, now, out),
            Err(error) => out.push(Output::Event(Event::SendFailed { conn, error })),
        }
    }

    /// [`Input::Member`]: a group's command for member `conn`.
    fn member_command(
        &mut self,
        conn: ConnectionId,
        command: MemberCommand,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        let result = match self.conns.get_mut(&conn.0).map(|c| &mut c.state) {
            Some(ConnState::Established(c)) => match command {
                MemberCommand::OverrideSendSeq(seq) => c
                    .override_send_seq(seq)
                    .map_err(MemberCommandError::OverrideSendSeq),
                MemberCommand::SkipReceiveTo(seq) => {
                    c.skip_receive_to(seq, now);
                    Ok(())
                }
                MemberCommand::SetReceiveTimeBase(base) => {
                    c.set_receive_time_base(base, now);
                    Ok(())
                }
            },
            _ => Err(MemberCommandError::NotConnected),
        };
        match result {
            Ok(()) => self.drain(conn.0, now, out),
            Err(error) => out.push(Output::Event(Event::MemberCommandFailed {
                conn,
                command,
                error,
            })),
        }
    }

    /// A fresh group id for a group of ours that calls out: random from
    /// the endpoint's generator, with libsrt's group-id bit (bit 30) set,
    /// and none of our listener's mirror groups'. Goes in
    /// [`crate::packet::ext::GroupExt::group_id`] of every member's
    /// [`HandshakeConfig::group`].
    pub fn new_group_id(&mut self) -> u32 {
        let mirrors = &self.groups;
        let mut id = self.rng.socket_id() | SRTGROUP_MASK;
        for _ in 0..SOCKET_ID_ATTEMPTS {
            if !mirrors.has_local_id(id) {
                break;
            }
            id = self.rng.socket_id() | SRTGROUP_MASK;
        }
        id
    }

    fn close(&mut self, conn: ConnectionId, now: Instant, out: &mut Vec<Output>) {
        let Some(c) = self.conns.get_mut(&conn.0) else {
            return;
        };
        match &mut c.state {
            ConnState::Established(c) => {
                c.close(now);
                self.drain(conn.0, now, out);
            }
            ConnState::Calling(_) | ConnState::Rendezvous(_) => {
                self.remove(conn.0);
                out.push(Output::Event(Event::Closed {
                    conn,
                    reason: CloseReason::LocalClose,
                }));
            }
        }
    }

    fn timeout(&mut self, now: Instant, out: &mut Vec<Output>) {
        // Each due socket once (a socket that re-arms at `now` waits for the
        // next call rather than spinning here).
        let mut budget = self.timers.len();
        while budget > 0 {
            budget -= 1;
            let Some(&(at, id)) = self.timers.first() else {
                break;
            };
            if at > now {
                break;
            }
            self.timers.pop_first();
            if let Some(conn) = self.conns.get_mut(&id) {
                conn.armed = None;
                match &mut conn.state {
                    ConnState::Calling(c) => c.handle_timeout(now),
                    ConnState::Rendezvous(r) => r.handle_timeout(now),
                    ConnState::Established(c) => c.handle_timeout(now),
                }
            }
            self.drain(id, now, out);
        }
        self.expire_requests(now, out);
    }

    fn datagram(&mut self, from: SocketAddr, data: Bytes, now: Instant, out: &mut Vec<Output>) {
        let Some(dst) = peek_dst_socket_id(&data) else {
            return;
        };
        if dst != 0 {
            if self.conns.contains_key(&dst) {
                self.for_socket(dst, from, data, now, out);
            }
            return;
        }
        let Ok(Packet::Control(ControlPacket {
            body: ControlBody::Handshake(hs),
            ..
        })) = Packet::decode_owned(data)
        else {
            return;
        };
        if let Some(&id) = self.rendezvous.get(&from) {
            self.socket_handshake(id, from, &hs, now, out);
        } else if let Some(&id) = self.accepted.get(&(from, hs.socket_id)) {
            self.socket_handshake(id, from, &hs, now, out);
        } else if self.listening.is_some() {
            self.listener_handshake(from, &hs, now, out);
        }
    }
}

//! The endpoint's inputs, outputs, events and configuration.

use crate::access::{AcceptOptions, AccessPolicy, ConnectionRequest};
use crate::connection::{CloseReason, ConnectionOptions, OverrideSeqError, SendError, SendOptions};
use crate::group::GroupType;
use crate::handshake::{HandshakeConfig, Negotiated, RequestId};
use crate::packet::reject::RejectReason;
use crate::seq::{MsgNumber, SeqNumber};
use crate::time::Instant;
use alloc::boxed::Box;
use bytes::Bytes;
use core::any::Any;
use core::fmt;
use core::net::SocketAddr;
use core::time::Duration;

/// Names one of the endpoint's sockets (a connection, or a handshake in
/// progress): our SRT socket id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub u32);

/// Endpoint-wide settings.
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// The most sockets (connections and handshakes in progress) at once;
    /// beyond it, callers are rejected with RESOURCE (default 1024).
    pub max_connections: usize,
    /// The local knobs every connection starts with.
    pub connection_options: ConnectionOptions,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            connection_options: ConnectionOptions::default(),
        }
    }
}

/// Who decides on incoming connections.
pub enum AccessControl {
    /// Everyone whose handshake negotiates is accepted.
    Off,
    /// The embedder: each request is reported as
    /// [`Event::ConnectionRequest`] and waits for [`Input::Accept`] or
    /// [`Input::Reject`].
    Ask,
    /// A policy inside the endpoint decides at once; it hears
    /// [`AccessPolicy::closed`] when a connection it accepted ends or fails.
    /// [`super::Endpoint::access_policy`] hands it back by type (to edit a
    /// whitelist while running).
    Policy(Box<dyn PolicyObject>),
}

impl fmt::Debug for AccessControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Off => f.write_str("Off"),
            Self::Ask => f.write_str("Ask"),
            Self::Policy(_) => f.write_str("Policy(..)"),
        }
    }
}

/// An [`AccessPolicy`] the endpoint can own and hand back by its type:
/// every `AccessPolicy + Send + 'static` is one.
pub trait PolicyObject: AccessPolicy + Send + 'static {
    /// The policy as [`Any`], to get the concrete type back.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<P: AccessPolicy + Send + 'static> PolicyObject for P {
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// How to listen.
#[derive(Debug)]
pub struct ListenConfig {
    /// Our side of the handshake.
    pub handshake: HandshakeConfig,
    /// Who decides on requests.
    pub access: AccessControl,
    /// How many requests may wait for a decision at once (the `backlog`
    /// of libsrt's `srt_listen`); beyond it, BACKLOG. Also the size of the
    /// ring of remembered rejections. Default 64.
    pub backlog: usize,
    /// How long a request waits for a decision before it expires
    /// ([`Event::RequestExpired`]; the caller then gets TIMEOUT). Default
    /// 3 s, the default connect timeout of a caller.
    pub request_timeout: Duration,
    /// Accept callers that join a socket group (`SRTO_GROUPCONNECT`,
    /// default false: a caller with a GROUP extension is rejected with
    /// GROUP, as libsrt does). When on, all members of one peer group join
    /// one mirror group here ([`MemberInfo::local_group_id`]).
    pub group_connect: bool,
}

impl ListenConfig {
    /// Listening with `handshake`, everyone accepted.
    pub fn new(handshake: HandshakeConfig) -> Self {
        Self {
            handshake,
            access: AccessControl::Off,
            backlog: 64,
            request_timeout: Duration::from_secs(3),
            group_connect: false,
        }
    }

    /// With `access` deciding on requests.
    pub fn with_access(mut self, access: AccessControl) -> Self {
        self.access = access;
        self
    }

    /// With a policy deciding on requests ([`AccessControl::Policy`]).
    pub fn with_policy(self, policy: impl AccessPolicy + Send + 'static) -> Self {
        self.with_access(AccessControl::Policy(Box::new(policy)))
    }

    /// With this backlog.
    pub fn with_backlog(mut self, backlog: usize) -> Self {
        self.backlog = backlog;
        self
    }

    /// With grouped callers accepted or not ([`Self::group_connect`]).
    pub fn with_group_connect(mut self, group_connect: bool) -> Self {
        self.group_connect = group_connect;
        self
    }
}

/// A connection's membership in a socket group, as its handshake settled
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemberInfo {
    /// The peer's group id (bit 30 set): on the listener side the caller's
    /// group, on the caller side the listener's mirror group.
    pub peer_group_id: u32,
    /// Our group id (bit 30 set): on the caller side the id it sent, on the
    /// listener side the mirror group every member of the peer group joins.
    pub local_group_id: u32,
    /// The group type.
    pub group_type: GroupType,
    /// The member's weight (its priority in a backup group), as the caller
    /// set it.
    pub weight: u16,
}

/// Something a socket group needs done to one of its member connections
/// ([`Input::Member`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberCommand {
    /// Send the next new packet with this sequence number (a standby
    /// member taking over); refused while packets are unacknowledged.
    OverrideSendSeq(SeqNumber),
    /// The group delivered everything up to and including this sequence
    /// number: forget it here without delivering or NAKing it.
    SkipReceiveTo(SeqNumber),
    /// Use this TSBPD time base (the local instant of peer timestamp 0),
    /// the one the group's members share.
    SetReceiveTimeBase(Instant),
}

/// Why a [`MemberCommand`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberCommandError {
    /// No established connection has that id (unknown, still
    /// handshaking, or gone).
    NotConnected,
    /// The connection refused to move its send sequence.
    OverrideSendSeq(OverrideSeqError),
}

impl fmt::Display for MemberCommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotConnected => f.write_str("no established connection by that id"),
            Self::OverrideSendSeq(e) => e.fmt(f),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for MemberCommandError {}

/// Everything that can happen to an endpoint.
#[derive(Debug)]
pub enum Input {
    /// A datagram arrived on the socket.
    Datagram {
        /// Its source address.
        from: SocketAddr,
        /// Its bytes.
        data: Bytes,
    },
    /// The time from [`Output::Timeout`] / `next_timeout` has come.
    Timeout,
    /// Call `remote` (caller–listener). The new socket's id comes back as
    /// [`Event::Connecting`].
    Connect {
        /// The listener's address.
        remote: SocketAddr,
        /// Our handshake options.
        config: Box<HandshakeConfig>,
    },
    /// Listen for callers (replacing an earlier listen configuration).
    Listen(Box<ListenConfig>),
    /// Stop listening: waiting requests expire, connections stay.
    StopListening,
    /// Rendezvous with `remote`. The new socket's id comes back as
    /// [`Event::Connecting`].
    Rendezvous {
        /// The peer's address.
        remote: SocketAddr,
        /// Our handshake options.
        config: Box<HandshakeConfig>,
    },
    /// Accept a [`ConnectionRequest`].
    Accept {
        /// The request.
        request: RequestId,
        /// Settings for this connection (passphrase, latency).
        options: AcceptOptions,
    },
    /// Reject a [`ConnectionRequest`]; the caller learns `reason`.
    Reject {
        /// The request.
        request: RequestId,
        /// The reason (e.g. `RejectReason::User(2001)`).
        reason: RejectReason,
    },
    /// Send a message on a connection.
    Send {
        /// The connection.
        conn: ConnectionId,
        /// The message (live mode) or bytes (stream API).
        data: Bytes,
        /// Per-message options.
        options: SendOptions,
    },
    /// Close a connection (gracefully), or abandon a handshake.
    Close {
        /// The connection.
        conn: ConnectionId,
    },
    /// A socket group's command for one of its members; what the
    /// connection then sends goes out with this call's outputs. A failure
    /// is reported as [`Event::MemberCommandFailed`].
    Member {
        /// The member connection.
        conn: ConnectionId,
        /// What to do.
        command: MemberCommand,
    },
}

/// What the embedder must do or know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send `data` to `to` from the endpoint's socket.
    Transmit {
        /// The destination.
        to: SocketAddr,
        /// The datagram.
        data: Bytes,
    },
    /// Something happened.
    Event(Event),
    /// Feed [`Input::Timeout`] at this time (always the last output of a
    /// call, when there is a timer).
    Timeout(Instant),
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// [`Input::Connect`] or [`Input::Rendezvous`] started socket `conn`.
    Connecting {
        /// The new socket.
        conn: ConnectionId,
        /// The peer.
        remote: SocketAddr,
    },
    /// [`Input::Connect`] or [`Input::Rendezvous`] could not start (too
    /// many sockets: RESOURCE; a rendezvous with that peer already runs).
    ConnectFailed {
        /// The peer.
        remote: SocketAddr,
        /// Why.
        reason: RejectReason,
    },
    /// A connection is established.
    Connected {
        /// The connection.
        conn: ConnectionId,
        /// The peer's address.
        peer: SocketAddr,
        /// What the handshake negotiated.
        params: Box<Negotiated>,
        /// The request it was accepted from (listener side, access
        /// control on).
        request: Option<RequestId>,
        /// The socket group the connection is a member of.
        group: Option<MemberInfo>,
    },
    /// A caller asks to connect; answer with [`Input::Accept`] or
    /// [`Input::Reject`] before [`ListenConfig::request_timeout`].
    ConnectionRequest(Box<ConnectionRequest>),
    /// A request was not answered in time (or listening stopped); the
    /// caller was told TIMEOUT.
    RequestExpired {
        /// The request.
        request: RequestId,
    },
    /// Our handshake was refused: by the peer (`by_peer`), or by us
    /// because the peer's answer did not negotiate.
    Rejected {
        /// The socket.
        conn: ConnectionId,
        /// Why (libsrt's code).
        reason: RejectReason,
        /// Whether the peer sent the reason.
        by_peer: bool,
    },
    /// The listener refused a caller (the caller was sent `reason`).
    IncomingRejected {
        /// The caller's address.
        peer: SocketAddr,
        /// The caller's socket id.
        peer_socket_id: u32,
        /// The request, if the access control saw it.
        request: Option<RequestId>,
        /// Why (libsrt's code).
        reason: RejectReason,
    },
    /// Our handshake got no answer: TIMEOUT after the connect timeout, or
    /// RDVCOOKIE for a rendezvous whose cookies were equal.
    Failed {
        /// The socket.
        conn: ConnectionId,
        /// Why.
        reason: RejectReason,
    },
    /// A message arrived on a connection.
    Message {
        /// The connection.
        conn: ConnectionId,
        /// The message.
        data: Bytes,
        /// The sender's origin time on our clock.
        src_time: Instant,
        /// When it was delivered.
        delivered_at: Instant,
        /// The sender's message number.
        msg_number: MsgNumber,
        /// The sequence number of the message's first packet (members of
        /// a group carry a message with the same one).
        seq: SeqNumber,
    },
    /// A connection (or a handshake abandoned by [`Input::Close`]) ended.
    Closed {
        /// The connection.
        conn: ConnectionId,
        /// Why.
        reason: CloseReason,
    },
    /// [`Input::Send`] failed.
    SendFailed {
        /// The connection.
        conn: ConnectionId,
        /// Why (`ConnectionClosed` also for an unknown connection).
        error: SendError,
    },
    /// An [`Input::Member`] command failed; nothing changed.
    MemberCommandFailed {
        /// The connection.
        conn: ConnectionId,
        /// The command.
        command: MemberCommand,
        /// Why.
        error: MemberCommandError,
    },
}

/// How much state an endpoint holds ([`super::Endpoint::state_size`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateSize {
    /// Caller handshakes in progress.
    pub calling: usize,
    /// Rendezvous handshakes in progress.
    pub rendezvous: usize,
    /// Established connections.
    pub established: usize,
    /// Requests waiting for the embedder.
    pub pending_requests: usize,
    /// Rejections remembered to answer repeats.
    pub remembered_rejections: usize,
    /// Entries of the address indexes (accepted connections, rendezvous).
    pub index_entries: usize,
    /// Hosts in the RTT cache (at most 128; filled only by connections
    /// that lived a second).
    pub cached_rtts: usize,
    /// Mirror groups the listener keeps for peer groups (each has a live
    /// member or a request waiting for a decision).
    pub groups: usize,
}

impl StateSize {
    /// Everything, summed.
    pub fn total(&self) -> usize {
        self.calling
            + self.rendezvous
            + self.established
            + self.pending_requests
            + self.remembered_rejections
            + self.index_entries
            + self.cached_rtts
            + self.groups
    }
}

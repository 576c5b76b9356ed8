//! One SRT connection after its handshake: ARQ, TSBPD, congestion control,
//! keepalive and idle timeout, shutdown, encryption in flight, statistics.
//!
//! # Driving contract
//! A [`Connection`] is a plain state machine. Inputs are the `handle_*`
//! methods, [`Connection::send`] and [`Connection::close`]; outputs are
//! [`Connection::poll_transmit`] (datagrams to send to the peer, already
//! addressed to its socket id and timestamped) and [`Connection::poll_event`]
//! (delivered messages, closure). After every input, drain `poll_transmit`
//! and `poll_event` until both return `None`, then arm a timer for
//! [`Connection::next_timeout`] and call [`Connection::handle_timeout`] when
//! it fires. Time never runs backwards: a `now` earlier than one already
//! seen is treated as that one.
//!
//! A connection normally comes out of an [`Endpoint`](crate::endpoint)
//! handshake; it can also be built directly from [`ConnectionParams`], as
//! here: two live connections joined by a wire that delivers after 10 ms.
//!
//! ```
//! use bytes::Bytes;
//! use core::time::Duration;
//! use srt_proto::connection::*;
//! use srt_proto::handshake::{Congestion, Negotiated};
//! use srt_proto::packet::ext::{SrtFlags, SrtVersion};
//! use srt_proto::seq::SeqNumber;
//! use srt_proto::time::Instant;
//!
//! let negotiated = |peer_socket_id| Negotiated {
//!     peer_socket_id,
//!     initial_seq: SeqNumber::new(1),
//!     mss: 1500,
//!     flow_window: 8192,
//!     send_latency: Duration::from_millis(120),
//!     receive_latency: Duration::from_millis(120),
//!     peer_version: SrtVersion::new(1, 5, 4),
//!     flags: SrtFlags::TSBPD_SND | SrtFlags::TSBPD_RCV | SrtFlags::TLPKTDROP
//!         | SrtFlags::NAKREPORT | SrtFlags::REXMITFLG,
//!     stream_id: None,
//!     congestion: Congestion::Live,
//!     message_api: true,
//!     packet_filter: None,
//!     group: None,
//!     drift_tracer: true,
//!     crypto: None,
//! };
//! let params = |local, peer| ConnectionParams {
//!     local_socket_id: local,
//!     peer_socket_id: peer,
//!     peer_addr: "127.0.0.1:9000".parse().unwrap(),
//!     negotiated: negotiated(peer),
//!     options: ConnectionOptions::default(),
//!     start_time: Instant::ZERO,
//! };
//! let mut a = Connection::new(params(1, 2), [1; 32]);
//! let mut b = Connection::new(params(2, 1), [2; 32]);
//!
//! let delay = Duration::from_millis(10);
//! let mut wire: Vec<(Instant, bool, srt_proto::packet::Packet)> = Vec::new(); // (arrival, to_b, packet)
//! let mut now = Instant::ZERO;
//! a.send(Bytes::from_static(b"hello"), SendOptions::default(), now).unwrap();
//! let mut delivered = None;
//! while delivered.is_none() {
//!     // Drain both connections' output onto the wire.
//!     while let Some(p) = a.poll_transmit(now) { wire.push((now + delay, true, p)); }
//!     while let Some(p) = b.poll_transmit(now) { wire.push((now + delay, false, p)); }
//!     while let Some(event) = b.poll_event() {
//!         if let ConnectionEvent::Message { data, delivered_at, .. } = event {
//!             delivered = Some((data, delivered_at));
//!         }
//!     }
//!     // Jump to the next arrival or timer.
//!     let next_arrival = wire.iter().map(|(t, ..)| *t).min();
//!     now = [next_arrival, a.next_timeout(), b.next_timeout()]
//!         .into_iter().flatten().min().unwrap();
//!     let (due, rest): (Vec<_>, Vec<_>) = wire.into_iter().partition(|(t, ..)| *t <= now);
//!     wire = rest;
//!     for (_, to_b, p) in due {
//!         if to_b { b.handle_packet(p, now) } else { a.handle_packet(p, now) }
//!     }
//!     a.handle_timeout(now);
//!     b.handle_timeout(now);
//! }
//! let (data, at) = delivered.unwrap();
//! assert_eq!(&data[..], b"hello");
//! // Sent at 0, on the wire 10 ms, delivered 120 ms (the latency) later.
//! assert_eq!(at, Instant::ZERO + Duration::from_millis(130));
//! ```
//!
//! # How it follows libsrt (1.5), and where it does not
//! - ACK: a full ACK every 10 ms when there is something new to
//!   acknowledge (repeated after `RTT + 4·RTTVar` until ACKACKed), a small
//!   ACK when the timer fires within 10 ms of the last full one, a light ACK
//!   every 64 packets in between. ACKACK gives the RTT (`rtt = 7/8·rtt +
//!   1/8·sample`, `rttvar = 3/4·rttvar + 1/4·|rtt − sample|`, from 100 ms /
//!   50 ms) and a drift sample (1000 samples per update, ±5 ms kept, the
//!   excess moves the time base).
//! - NAK: at once for a new gap (with `SRTO_LOSSMAXTTL`, after as many
//!   later packets as the reorder tolerance, which adapts to the reordering
//!   seen as libsrt's does), then the whole loss list every `(RTT + 4·RTTVar) /
//!   nak_report_accel`, at least `min_nak_interval` (libsrt: 2 and 20 ms;
//!   both are [`ConnectionOptions`] here). Unlike libsrt, the NAK timer
//!   follows a shorter RTT as soon as an ACKACK gives one.
//! - TSBPD: delivery at time base + timestamp + latency + drift; the time
//!   base comes from the first packet of the peer (libsrt takes the
//!   handshake). Too-late drop skips missing packets when the next packet
//!   is due and ACKs past them. Unlike libsrt, a packet arriving after its
//!   delivery time is never delivered late: it is counted belated and its
//!   place is skipped (and counted dropped) like a missing one.
//! - Drop counts: the receiver counts every packet it skipped
//!   (`receive_drop`); the sender counts what it gave up on itself
//!   (`send_drop`, older than `max(latency + SNDDROPDELAY, 1 s) + 20 ms`,
//!   announced with DROPREQ). Packets the receiver dropped and acknowledged
//!   past are not sender drops, so the sender's count is normally the
//!   smaller; it is larger only when ACKs stop for over a second.
//! - Tail loss: a lost last packet of a live stream is invisible to both
//!   sides in libsrt (nothing later reveals the gap, and its live sender
//!   has no retransmission timer when the peer sends NAK reports). Here the
//!   live sender probes instead: when nothing new went out for `SRTT +
//!   4·RTTVar + 30 ms` while packets wait for acknowledgement, it resends
//!   the last one (counted in [`Counters::tail_probes`]), once per such
//!   timeout until it is acknowledged or too late. A clean link never
//!   probes while a stream flows.
//! - SHUTDOWN from the peer: libsrt's receiver closes at once and throws
//!   away what it held for TSBPD (the last `latency` of the stream). Here
//!   a live receiver plays that out first: the connection is
//!   [`ConnectionState::Closing`], its send direction closed and its
//!   receive direction [`DirectionState::Draining`]; each message goes at
//!   its TSBPD time (the too-late drop skips what never came, counted as
//!   dropped); no ACK, NAK or keepalive goes out (the peer is gone, so
//!   nothing could be repaired); then [`CloseReason::PeerShutdown`] once
//!   nothing is held, or at the latest when the last packet held was due
//!   (bounded by the peer idle timeout). In file mode everything received
//!   in order was delivered as it arrived, so the close is immediate.
//! - Statistics count payload bytes; [`Traffic::bytes_with_headers`] gives
//!   libsrt's figures with 44 header bytes per packet.

mod conn;
mod options;
#[cfg(all(test, feature = "sim"))]
mod overload_tests;
mod receiver;
mod rtt;
pub(crate) mod sender;
mod stats;

pub use conn::Connection;
pub use options::{ConnectionOptions, DEFAULT_FILE_LINGER, MaxBandwidth, RetransmitAlgorithm};
pub use stats::{Counters, HEADER_OVERHEAD, Stats, Traffic};

use crate::handshake::Negotiated;
use crate::seq::{MsgNumber, SeqNumber};
use crate::time::Instant;
use bytes::Bytes;
use core::fmt;
use core::net::SocketAddr;
use core::time::Duration;

/// Everything a connection starts from: the handshake's outcome plus local
/// facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionParams {
    /// Our socket id (the destination id of the packets we receive).
    pub local_socket_id: u32,
    /// The peer's socket id (the destination id of the packets we send).
    pub peer_socket_id: u32,
    /// The peer's address.
    pub peer_addr: SocketAddr,
    /// What the handshake negotiated: initial sequence number, MSS, flow
    /// window, latencies, flags, crypto, congestion controller, message API.
    pub negotiated: Negotiated,
    /// Local knobs.
    pub options: ConnectionOptions,
    /// The connection's time base: the wire timestamps we send are relative
    /// to it, and so are the peer's as we map them.
    pub start_time: Instant,
}

/// Per-message options of [`Connection::send`] (libsrt's `SRT_MSGCTRL`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendOptions {
    /// `srctime`: the message's origin time, carried to the receiver as its
    /// packet timestamp (TSBPD delivers it `latency` after this time). `None`
    /// stamps it with the time of [`Connection::send`].
    pub src_time: Option<Instant>,
    /// `msgttl`: drop the message if it has not been sent within this time.
    /// `None` never drops it for age (live mode still drops too-late packets).
    pub ttl: Option<Duration>,
    /// `inorder`: the receiver must deliver this message in order (message
    /// API in file mode; live mode always delivers in order).
    pub in_order: bool,
}

/// Why [`Connection::send`] refused a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// The connection is closing or closed; nothing more can be sent.
    ConnectionClosed,
    /// The message does not fit: in live mode a message must fit one packet
    /// payload; with the message API, in the send buffer.
    MessageTooLong {
        /// The message's length, bytes.
        len: usize,
        /// The largest length accepted, bytes.
        max: usize,
    },
    /// The send buffer is full; try again once the peer acknowledged data.
    BufferFull,
    /// The message is empty.
    Empty,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ConnectionClosed => f.write_str("the connection is closed"),
            Self::MessageTooLong { len, max } => {
                write!(f, "message of {len} bytes exceeds the maximum of {max}")
            }
            Self::BufferFull => f.write_str("the send buffer is full"),
            Self::Empty => f.write_str("the message is empty"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for SendError {}

/// Why [`Connection::override_send_seq`] refused to move the sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverrideSeqError {
    /// Packets sent earlier are not all acknowledged yet: their sequence
    /// numbers would clash with the new ones.
    SendBufferNotEmpty {
        /// Packets still held.
        packets: usize,
    },
    /// The connection is closed.
    ConnectionClosed,
}

impl fmt::Display for OverrideSeqError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SendBufferNotEmpty { packets } => write!(
                f,
                "cannot override the send sequence: {packets} packets are unacknowledged"
            ),
            Self::ConnectionClosed => f.write_str("the connection is closed"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for OverrideSeqError {}

/// Why a connection closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The peer sent SHUTDOWN.
    PeerShutdown,
    /// Nothing arrived from the peer for the peer idle timeout
    /// (`SRTO_PEERIDLETIMEO`).
    PeerIdle,
    /// The application closed the connection ([`Connection::close`]).
    LocalClose,
    /// The peer sent PEERERROR with this code (libsrt sends 4000 when a file
    /// transfer fails on its side).
    PeerError(u32),
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PeerShutdown => f.write_str("the peer shut the connection down"),
            Self::PeerIdle => f.write_str("the peer went silent (idle timeout)"),
            Self::LocalClose => f.write_str("closed locally"),
            Self::PeerError(code) => write!(f, "the peer reported error {code}"),
        }
    }
}

/// What a connection reports to the application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionEvent {
    /// A message (live mode, message API) or a run of stream bytes (stream
    /// API) is delivered.
    Message {
        /// The message.
        data: Bytes,
        /// The sender's origin time of the message mapped onto our clock
        /// (TSBPD time minus latency); in file mode, the arrival time.
        src_time: Instant,
        /// When it was delivered (its TSBPD time in live mode).
        delivered_at: Instant,
        /// The message number the sender gave it.
        msg_number: MsgNumber,
        /// The sequence number of its first packet (groups deliver each
        /// sequence number once, whichever member brings it).
        seq: SeqNumber,
    },
    /// The connection closed; nothing more will be delivered or sent.
    Closed {
        /// Why.
        reason: CloseReason,
    },
}

/// The lifecycle state of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionState {
    /// Sending and receiving.
    Connected,
    /// [`Connection::close`] was called: no new data is accepted, the send
    /// buffer drains (linger), then SHUTDOWN goes out. Or the peer sent
    /// SHUTDOWN while a live receiver held data: it plays that out at its
    /// TSBPD times, then closes ([`DirectionState::Draining`] receiving).
    Closing,
    /// Closed (see the [`ConnectionEvent::Closed`] reason).
    Closed,
}

/// The state of one direction of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectionState {
    /// Data flows.
    Open,
    /// Finishing what is buffered, nothing new accepted. Sending:
    /// [`Connection::close`] was called and the send buffer still goes out
    /// (linger). Receiving: the peer sent SHUTDOWN and the live receiver
    /// plays out what it holds, each message at its TSBPD time.
    Draining,
    /// Nothing more flows this way.
    Closed,
}

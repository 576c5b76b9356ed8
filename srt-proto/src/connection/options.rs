//! The local knobs of a connection (what libsrt calls socket options that
//! are not negotiated), with libsrt 1.5's defaults.

use crate::crypto::{KeyRefreshConfig, Passphrase};
use crate::seq::SeqNumber;
use core::time::Duration;

/// How the live sender limits its bandwidth (`SRTO_MAXBW`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxBandwidth {
    /// `SRTO_MAXBW = -1` (libsrt's default): no limit of its own; the live
    /// congestion controller caps it at 1 Gbit/s.
    Unlimited,
    /// `SRTO_MAXBW = 0`: the input rate (`SRTO_INPUTBW`, or the measured
    /// input rate when that is 0) plus `SRTO_OHEADBW` percent.
    RelativeToInput,
    /// `SRTO_MAXBW > 0`: this many bytes per second.
    BytesPerSecond(u64),
}

/// Which packets the sender retransmits (`SRTO_RETRANSMITALGO`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetransmitAlgorithm {
    /// `0`: retransmit on every NAK and on every periodic-NAK/RTO expiry.
    Always,
    /// `1` (libsrt 1.5's default): a lost packet is retransmitted again only
    /// after a round trip has passed since its last retransmission.
    Reduced,
}

/// The local options of one connection. [`Default`] gives libsrt 1.5's
/// defaults.
#[derive(Debug, Clone)]
pub struct ConnectionOptions {
    /// `SRTO_MAXBW`; default [`MaxBandwidth::Unlimited`].
    pub max_bw: MaxBandwidth,
    /// `SRTO_INPUTBW`, bytes per second; 0 (default) means "estimate the
    /// input rate".
    pub input_bw: u64,
    /// `SRTO_MININPUTBW`, bytes per second: the floor of the estimated input
    /// rate; default 0.
    pub min_input_bw: u64,
    /// `SRTO_OHEADBW`, percent of the input rate added for retransmissions;
    /// default 25, libsrt accepts 5 to 100.
    pub overhead_bw_percent: u32,
    /// `SRTO_SNDDROPDELAY`: extra time beyond the peer's latency before the
    /// sender drops a packet it could not deliver; `None` (libsrt `-1`)
    /// turns sender-side drop off. Default `Some(0)`.
    pub snd_drop_delay: Option<Duration>,
    /// `SRTO_LOSSMAXTTL`: how many later packets may arrive before a gap is
    /// reported lost (reorder tolerance); default 0 (report at once).
    pub loss_max_ttl: u32,
    /// `SRTO_PEERIDLETIMEO`: the connection closes with
    /// [`CloseReason::PeerIdle`](super::CloseReason::PeerIdle) after this
    /// long without a packet from the peer; default 5 s.
    pub peer_idle_timeout: Duration,
    /// `SRTO_LINGER`: how long [`close`](super::Connection::close) waits for
    /// the send buffer to drain before sending SHUTDOWN. `None` (default)
    /// takes libsrt's per-mode default: 0 in live mode, 180 s in file mode.
    pub linger: Option<Duration>,
    /// `SRTO_SNDBUF`, packets: the send buffer's capacity; default 8192.
    pub send_buffer_packets: u32,
    /// `SRTO_RCVBUF`, packets: the receive buffer's capacity; default 8192.
    /// The receive buffer also never holds more than the negotiated flow
    /// window.
    pub recv_buffer_packets: u32,
    /// `SRTO_KMREFRESHRATE` and `SRTO_KMPREANNOUNCE`; defaults 2^24 and
    /// 4096 packets.
    pub key_refresh: KeyRefreshConfig,
    /// `SRTO_RETRANSMITALGO`; default [`RetransmitAlgorithm::Reduced`].
    pub retransmit_algorithm: RetransmitAlgorithm,
    /// Interval of the keepalive sent when nothing else was sent; 1 s.
    pub keepalive_interval: Duration,
    /// The periodic NAK interval is `(RTT + 4·RTTVar) / nak_report_accel`,
    /// at least [`min_nak_interval`](Self::min_nak_interval); libsrt's live
    /// congestion controller fixes the accelerator at 2
    /// (`m_iNakReportAccel`). A larger one repairs more losses within the
    /// latency at the cost of more NAKs (and, with
    /// [`RetransmitAlgorithm::Always`], retransmissions).
    pub nak_report_accel: u32,
    /// The floor of the periodic NAK interval; libsrt's live congestion
    /// controller fixes it at 20 ms (`m_iMinNakInterval_us`).
    pub min_nak_interval: Duration,
    /// The round-trip time measured during the handshake, if the caller of
    /// [`Connection::new`](super::Connection::new) knows it: the receiver
    /// starts from it (RTTVar half of it) instead of libsrt's 100 ms guess,
    /// so its first NAK reports come at the pace of the real RTT. The first
    /// ACKACK replaces it either way. Default `None`.
    pub initial_rtt: Option<Duration>,
    /// `SRTO_PASSPHRASE`: the secret the stream keys are wrapped with. The
    /// handshake already installed the first keys; the connection needs the
    /// passphrase to unwrap the peer's refreshed keys (KMREQ) and to wrap
    /// its own. `None` for an unencrypted connection.
    pub passphrase: Option<Passphrase>,
    /// The sequence number the peer's data starts from, when it is not
    /// [`Negotiated::initial_seq`](crate::handshake::Negotiated): in a libsrt
    /// rendezvous each side sends from its own initial sequence number, so
    /// the endpoint sets this to the peer's. `None`: the negotiated one.
    pub receive_initial_seq: Option<SeqNumber>,
}

impl PartialEq for ConnectionOptions {
    fn eq(&self, other: &Self) -> bool {
        let same_secret = match (&self.passphrase, &other.passphrase) {
            (None, None) => true,
            (Some(a), Some(b)) => a.as_bytes() == b.as_bytes(),
            _ => false,
        };
        same_secret
            && self.max_bw == other.max_bw
            && self.input_bw == other.input_bw
            && self.min_input_bw == other.min_input_bw
            && self.overhead_bw_percent == other.overhead_bw_percent
            && self.snd_drop_delay == other.snd_drop_delay
            && self.loss_max_ttl == other.loss_max_ttl
            && self.peer_idle_timeout == other.peer_idle_timeout
            && self.linger == other.linger
            && self.send_buffer_packets == other.send_buffer_packets
            && self.recv_buffer_packets == other.recv_buffer_packets
            && self.key_refresh == other.key_refresh
            && self.retransmit_algorithm == other.retransmit_algorithm
            && self.keepalive_interval == other.keepalive_interval
            && self.nak_report_accel == other.nak_report_accel
            && self.min_nak_interval == other.min_nak_interval
            && self.initial_rtt == other.initial_rtt
            && self.receive_initial_seq == other.receive_initial_seq
    }
}

impl Eq for ConnectionOptions {}

/// libsrt's linger in file mode when `SRTO_LINGER` is left alone.
pub const DEFAULT_FILE_LINGER: Duration = Duration::from_secs(180);

impl Default for ConnectionOptions {
    fn default() -> Self {
        Self {
            max_bw: MaxBandwidth::Unlimited,
            input_bw: 0,
            min_input_bw: 0,
            overhead_bw_percent: 25,
            snd_drop_delay: Some(Duration::ZERO),
            loss_max_ttl: 0,
            peer_idle_timeout: Duration::from_secs(5),
            linger: None,
            send_buffer_packets: 8192,
            recv_buffer_packets: 8192,
            key_refresh: KeyRefreshConfig::default(),
            retransmit_algorithm: RetransmitAlgorithm::Reduced,
            keepalive_interval: Duration::from_secs(1),
            nak_report_accel: 2,
            min_nak_interval: Duration::from_millis(20),
            initial_rtt: None,
            passphrase: None,
            receive_initial_seq: None,
        }
    }
}

//! The sender's counters and gauges, which the connection folds into
//! libsrt's `srt_bstats` set.

use crate::connection::Traffic;
use core::time::Duration;

/// What the sender counted since it started, and its state now.
///
/// Counters are totals (the connection derives interval values from
/// them); gauges are as of the last call into the sender.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SenderStats {
    /// `pktSent`/`byteSent`: data packets sent, retransmissions included
    /// (payload bytes as sent, so with the GCM tag when there is one).
    pub sent: Traffic,
    /// `pktSentUnique`/`byteSentUnique`: data packets sent for the first
    /// time.
    pub sent_unique: Traffic,
    /// `pktRetrans`/`byteRetrans`: retransmissions.
    pub retransmitted: Traffic,
    /// `pktSndLoss`/`byteSndLoss`: packets newly put on the loss list, by a
    /// NAK or by the retransmission timer.
    pub lost: Traffic,
    /// `pktSndDrop`/`byteSndDrop`: packets given up on (too late, or TTL
    /// expired), whether they were sent or not.
    pub dropped: Traffic,
    /// ACKs received (light, small and full).
    pub acks_received: u64,
    /// ACKs ignored because they acknowledged packets never sent.
    pub acks_invalid: u64,
    /// NAKs received.
    pub naks_received: u64,
    /// DROPREQs sent.
    pub drop_requests_sent: u64,
    /// KMREQs sent (key refresh announcements and their repetitions).
    pub km_sent: u64,
    /// Times the retransmission timer expired and resent unacknowledged
    /// packets.
    pub rto_expirations: u64,
    /// Tail-loss probes sent: the last unacknowledged packet resent
    /// because nothing new went out or was acknowledged for a
    /// retransmission timeout (live mode; not in libsrt).
    pub tail_probes: u64,
    /// `usPktSndPeriod`: the interval between data packets, nanoseconds.
    pub send_period_ns: u64,
    /// `mbpsMaxBW` as bytes per second: the live controller's bandwidth
    /// limit (0 in file mode).
    pub max_bw: u64,
    /// `pktFlowWindow`: the peer's free buffer, packets.
    pub flow_window: u64,
    /// `pktCongestionWindow`: the controller's window, packets (saturated
    /// to `u32::MAX` when unlimited).
    pub congestion_window: u64,
    /// `pktFlightSize`: packets sent and not yet acknowledged.
    pub in_flight: u64,
    /// `pktSndBuf`: packets in the send buffer.
    pub buffer_packets: u64,
    /// `byteSndBuf`: payload bytes in the send buffer.
    pub buffer_bytes: u64,
    /// `msSndBuf`: how long the oldest packet has been in the buffer
    /// (origin time to now).
    pub buffer_span: Duration,
    /// The measured input rate, bytes per second with headers (when the
    /// bandwidth is relative to the input and `SRTO_INPUTBW` is 0).
    pub input_rate: u64,
    /// `msRTT`: the smoothed RTT from the peer's ACKs.
    pub rtt: Duration,
    /// The RTT variance from the peer's ACKs.
    pub rtt_var: Duration,
    /// Packets per second the receiver reports receiving.
    pub delivery_rate_pps: u64,
    /// `mbpsBandwidth` as packets per second: the link capacity the
    /// receiver estimates.
    pub bandwidth_pps: u64,
}

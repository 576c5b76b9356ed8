//! Connection statistics: libsrt's `srt_bstats` set (`CBytePerfMon`), with
//! the same meanings, as totals since the connection started and as
//! interval counters since the last [`reset`](super::Connection::reset_interval_stats).

use core::time::Duration;

/// Bytes libsrt adds per packet for the IP, UDP and SRT headers when it
/// reports bytes "with headers" (`CPacket::HDR_SIZE + CPacket::UDP_HDR_SIZE`
/// = 16 + 28).
pub const HEADER_OVERHEAD: u64 = 44;

/// A packet count and the payload bytes of those packets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Packets.
    pub packets: u64,
    /// Payload bytes (SRT payload, after decryption overhead removal).
    pub bytes: u64,
}

impl Traffic {
    /// Counts one packet of `payload` bytes.
    pub fn add(&mut self, payload: usize) {
        self.packets = self.packets.saturating_add(1);
        self.bytes = self.bytes.saturating_add(payload as u64);
    }

    /// Counts `packets` packets of `bytes` payload bytes in all.
    pub fn add_many(&mut self, packets: u64, bytes: u64) {
        self.packets = self.packets.saturating_add(packets);
        self.bytes = self.bytes.saturating_add(bytes);
    }

    /// What was counted since `earlier` (a snapshot of the same counter).
    pub fn since(&self, earlier: &Self) -> Self {
        Self {
            packets: self.packets.saturating_sub(earlier.packets),
            bytes: self.bytes.saturating_sub(earlier.bytes),
        }
    }

    /// Bytes including the 44-byte IP/UDP/SRT header of each packet: what
    /// libsrt 1.5 reports in `byteSent`, `byteRecv` and the other byte
    /// fields of `srt_bstats`.
    pub fn bytes_with_headers(&self) -> u64 {
        self.bytes
            .saturating_add(self.packets.saturating_mul(HEADER_OVERHEAD))
    }
}

/// The counters libsrt keeps both as totals and per interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// `pktSent`/`byteSent`: DATA packets sent, retransmissions included.
    pub sent: Traffic,
    /// `pktSentUnique`/`byteSentUnique`: DATA packets sent for the first
    /// time.
    pub sent_unique: Traffic,
    /// `pktRetrans`/`byteRetrans`: retransmitted DATA packets.
    pub retransmitted: Traffic,
    /// `pktSndLoss`/`byteSndLoss`: packets the peer reported lost (NAK).
    pub send_loss: Traffic,
    /// `pktSndDrop`/`byteSndDrop`: packets the sender dropped as too late
    /// to be delivered (announced to the peer with DROPREQ).
    pub send_drop: Traffic,
    /// `pktRecv`/`byteRecv`: DATA packets received, duplicates and
    /// retransmissions included.
    pub received: Traffic,
    /// `pktRecvUnique`/`byteRecvUnique`: DATA packets received for the first
    /// time and accepted into the receive buffer.
    pub received_unique: Traffic,
    /// `pktRcvRetrans`/`byteRcvRetrans`: received packets carrying the
    /// retransmission flag.
    pub received_retransmitted: Traffic,
    /// `pktRcvLoss`/`byteRcvLoss`: packets found missing by the receiver (a
    /// gap in the sequence); bytes estimated from the average payload.
    pub receive_loss: Traffic,
    /// `pktRcvDrop`/`byteRcvDrop`: packets the receiver gave up on (too-late
    /// drop, or dropped at the sender's request), plus packets that arrived
    /// but could not be stored (beyond the buffer).
    pub receive_drop: Traffic,
    /// `pktRcvBelated`/`byteRcvBelated`: packets that arrived after their
    /// place was already delivered or dropped.
    pub receive_belated: Traffic,
    /// `pktRcvUndecrypt`/`byteRcvUndecrypt`: packets that could not be
    /// decrypted (no key, or authentication failed); never delivered.
    pub receive_undecrypted: Traffic,
    /// `pktSentACK`: ACK packets sent (full, small and light).
    pub acks_sent: u64,
    /// `pktRecvACK`: ACK packets received.
    pub acks_received: u64,
    /// `pktSentNAK`: NAK packets sent.
    pub naks_sent: u64,
    /// `pktRecvNAK`: NAK packets received.
    pub naks_received: u64,
    /// ACKACK packets sent.
    pub ackacks_sent: u64,
    /// ACKACK packets received.
    pub ackacks_received: u64,
    /// KMREQ packets sent (initial announcement and key refreshes).
    pub km_sent: u64,
    /// KMREQ and KMRSP packets received.
    pub km_received: u64,
    /// `usSndDuration`: time the sender had data to send.
    pub send_duration: Duration,
    /// Tail-loss probes: the last unacknowledged packet resent (and
    /// counted in `retransmitted` too) because nothing new was sent for a
    /// retransmission timeout, so a lost last packet is found (live mode;
    /// libsrt has none).
    pub tail_probes: u64,
}

impl Counters {
    /// What was counted since `earlier` (a snapshot of the totals): the
    /// interval counters.
    pub fn since(&self, earlier: &Self) -> Self {
        Self {
            sent: self.sent.since(&earlier.sent),
            sent_unique: self.sent_unique.since(&earlier.sent_unique),
            retransmitted: self.retransmitted.since(&earlier.retransmitted),
            send_loss: self.send_loss.since(&earlier.send_loss),
            send_drop: self.send_drop.since(&earlier.send_drop),
            received: self.received.since(&earlier.received),
            received_unique: self.received_unique.since(&earlier.received_unique),
            received_retransmitted: self
                .received_retransmitted
                .since(&earlier.received_retransmitted),
            receive_loss: self.receive_loss.since(&earlier.receive_loss),
            receive_drop: self.receive_drop.since(&earlier.receive_drop),
            receive_belated: self.receive_belated.since(&earlier.receive_belated),
            receive_undecrypted: self.receive_undecrypted.since(&earlier.receive_undecrypted),
            acks_sent: self.acks_sent.saturating_sub(earlier.acks_sent),
            acks_received: self.acks_received.saturating_sub(earlier.acks_received),
            naks_sent: self.naks_sent.saturating_sub(earlier.naks_sent),
            naks_received: self.naks_received.saturating_sub(earlier.naks_received),
            ackacks_sent: self.ackacks_sent.saturating_sub(earlier.ackacks_sent),
            ackacks_received: self
                .ackacks_received
                .saturating_sub(earlier.ackacks_received),
            km_sent: self.km_sent.saturating_sub(earlier.km_sent),
            km_received: self.km_received.saturating_sub(earlier.km_received),
            send_duration: self.send_duration.saturating_sub(earlier.send_duration),
            tail_probes: self.tail_probes.saturating_sub(earlier.tail_probes),
        }
    }
}

/// A snapshot of a connection's statistics (libsrt's `srt_bstats`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stats {
    /// `msTimeStamp`: time since the connection started.
    pub elapsed: Duration,
    /// Totals since the connection started (libsrt's `*Total` fields).
    pub total: Counters,
    /// Counters since the last interval reset (libsrt's interval fields).
    pub interval: Counters,
    /// How long the current interval has lasted.
    pub interval_duration: Duration,
    /// `mbpsSendRate`: send rate over the interval, Mbit/s, payload plus
    /// headers as libsrt counts it.
    pub send_rate_mbps: f64,
    /// `mbpsRecvRate`: receive rate over the interval, Mbit/s.
    pub recv_rate_mbps: f64,
    /// `msRTT`: smoothed round-trip time.
    pub rtt: Duration,
    /// RTT variance.
    pub rtt_var: Duration,
    /// `usPktSndPeriod`: the sender's inter-packet interval.
    pub send_period: Duration,
    /// `pktFlowWindow`: free space in the peer's receive buffer, packets,
    /// as its last ACK said.
    pub flow_window: u32,
    /// `pktCongestionWindow`: the congestion window, packets.
    pub congestion_window: u32,
    /// `pktFlightSize`: packets sent and not yet acknowledged.
    pub flight_size: u32,
    /// `mbpsBandwidth`: estimated link capacity, Mbit/s.
    pub bandwidth_mbps: f64,
    /// `mbpsMaxBW`: the sender's bandwidth limit, Mbit/s (0 = none).
    pub max_bw_mbps: f64,
    /// `byteAvailSndBuf`: free space in the send buffer, bytes.
    pub send_buffer_available_bytes: u64,
    /// `byteAvailRcvBuf`: free space in the receive buffer, bytes.
    pub recv_buffer_available_bytes: u64,
    /// `pktSndBuf`: packets in the send buffer (unacknowledged).
    pub send_buffer_packets: u32,
    /// `byteSndBuf`: payload bytes in the send buffer.
    pub send_buffer_bytes: u64,
    /// `msSndBuf`: time span of the send buffer (oldest to newest packet).
    pub send_buffer_span: Duration,
    /// `pktRcvBuf`: packets in the receive buffer (acknowledged, not yet
    /// delivered).
    pub recv_buffer_packets: u32,
    /// `byteRcvBuf`: payload bytes in the receive buffer.
    pub recv_buffer_bytes: u64,
    /// `msRcvBuf`: time span of the receive buffer.
    pub recv_buffer_span: Duration,
    /// `msSndTsbPdDelay`: the TSBPD latency of the data we send.
    pub send_latency: Duration,
    /// `msRcvTsbPdDelay`: the TSBPD latency of the data we receive.
    pub recv_latency: Duration,
    /// `byteMSS`: the negotiated maximum segment size.
    pub mss: u32,
    /// `pktReorderTolerance`: the current reorder tolerance, packets.
    pub reorder_tolerance: u32,
    /// `pktReorderDistance`: the largest reordering seen, packets.
    pub reorder_distance: u32,
    /// `pktRcvAvgBelatedTime` (ms in libsrt): average lateness of belated
    /// packets.
    pub recv_avg_belated_time: Duration,
}

/// Megabits per second for `bytes` over `span` (0 for an empty span).
pub(crate) fn mbps(bytes: u64, span: Duration) -> f64 {
    let micros = span.as_micros();
    if micros == 0 {
        return 0.0;
    }
    // bits per microsecond = Mbit/s
    (bytes as f64 * 8.0) / micros as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_with_headers_adds_44_bytes_per_packet() {
        let mut t = Traffic::default();
        t.add(1316);
        t.add(100);
        assert_eq!(t.bytes_with_headers(), 1316 + 100 + 88);
    }

    #[test]
    fn one_megabyte_in_one_second_is_eight_mbps() {
        assert!((mbps(1_000_000, Duration::from_secs(1)) - 8.0).abs() < 1e-9);
        assert_eq!(mbps(5, Duration::ZERO), 0.0);
    }
}

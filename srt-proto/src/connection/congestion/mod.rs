//! Congestion control: how fast the sender may put packets on the wire and
//! how many may be in flight, as libsrt's two controllers decide it
//! (`congctl.cpp`).
//!
//! - [`LiveCc`] (`live`, libsrt's `LiveCC`): pacing only. The inter-packet
//!   period is the average packet size over the bandwidth limit
//!   (`SRTO_MAXBW`, or the input rate plus overhead); no window of its own,
//!   so only the peer's flow window limits packets in flight.
//! - [`FileCc`] (`file`, libsrt's `FileCC`, which is UDT's native
//!   controller): slow start on a window, then rate control that probes up
//!   every 10 ms and backs off on loss reports.
//!
//! The sender talks to both through the [`CongestionControl`] trait; a
//! [`Controller`] picks one at connection start without a box or a
//! virtual call.

mod file;
mod live;

pub(crate) use file::FileCc;
pub(crate) use live::LiveCc;

use crate::seq::SeqNumber;
use crate::time::Instant;

/// libsrt's `BW_INFINITE`: 1 Gbit/s in bytes per second, the live
/// controller's bandwidth when nothing limits it.
pub(crate) const BW_INFINITE: u64 = 1_000_000_000 / 8;

/// libsrt's `COMM_SYN_INTERVAL_US`: the 10 ms clock of ACKs and rate
/// control, microseconds.
pub(crate) const SYN_INTERVAL_US: u64 = 10_000;

/// Bytes libsrt counts per packet beside the payload: 28 (IPv4 + UDP) + 16
/// (SRT header).
pub(crate) const PACKET_OVERHEAD: u64 = 44;

/// What the sender knows that a controller may use, handed to every event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CcContext {
    /// Smoothed round-trip time, microseconds.
    pub srtt_us: u64,
    /// Packets per second the receiver reports receiving (ACK field,
    /// averaged); 0 until reported.
    pub delivery_rate_pps: u64,
    /// Link capacity the receiver estimates, packets per second (ACK field,
    /// averaged); 0 until reported.
    pub bandwidth_pps: u64,
    /// Maximum segment size, bytes.
    pub mss: u64,
    /// The last sequence number sent for the first time.
    pub last_sent: SeqNumber,
    /// Packets waiting for retransmission (the sender's loss list length).
    pub loss_len: u64,
    /// In a loss report: how many packets it reported lost for the first
    /// time (not retransmitted before); a report that only repeats known
    /// losses has 0. Outside loss reports, 0.
    pub fresh_losses: u64,
}

/// The events a controller reacts to and the limits it sets.
pub(crate) trait CongestionControl {
    /// The interval between two data packets, nanoseconds (0: unpaced).
    fn send_period_ns(&self) -> u64;
    /// The congestion window, packets: at most this many unacknowledged.
    fn window(&self) -> u64;
    /// A data packet with `payload_len` bytes was sent.
    fn on_packet_sent(&mut self, payload_len: usize);
    /// An ACK acknowledged everything before `ack_seq`.
    fn on_ack(&mut self, ack_seq: SeqNumber, ctx: &CcContext, now: Instant);
    /// A NAK reported losses, the first of them `first_lost`.
    fn on_loss(&mut self, first_lost: SeqNumber, ctx: &CcContext, now: Instant);
    /// The retransmission timer expired (no ACK for an RTO).
    fn on_rto(&mut self, ctx: &CcContext, now: Instant);
    /// The bandwidth limits changed (libsrt `updateBandwidth`): `max_bw` is
    /// `SRTO_MAXBW` in bytes per second (negative: unlimited, 0: relative to
    /// the input), `bw` the input rate plus overhead (0: unknown).
    fn update_bandwidth(&mut self, max_bw: i64, bw: u64);
    /// Whether the retransmission timer resends even with packets already
    /// queued for retransmission (libsrt FASTREXMIT, live) or only when
    /// nothing is queued (LATEREXMIT, file).
    fn rto_resends_with_losses_queued(&self) -> bool;
}

/// The controller of one connection: one of libsrt's two.
#[derive(Debug, Clone)]
pub(crate) enum Controller {
    /// Live mode.
    Live(LiveCc),
    /// File mode.
    File(FileCc),
}

impl CongestionControl for Controller {
    /// The controller's period cut to whole microseconds, as libsrt keeps
    /// its send interval (`m_tdSendInterval = microseconds_from((int64_t)
    /// pktSndPeriod_us())` in `CUDT::updateCC`). It matters at high rates:
    /// 1316-byte packets at the default 1 Gbit/s cap are 10.88 µs apart by
    /// the formula and 10 µs apart on libsrt's wire, so a 1000 Mbit/s live
    /// stream fits (1052.8 Mbit/s of payload) instead of losing ~3 %.
    #[inline]
    fn send_period_ns(&self) -> u64 {
        let period = match self {
            Self::Live(c) => c.send_period_ns(),
            Self::File(c) => c.send_period_ns(),
        };
        period - period % 1_000
    }

    #[inline]
    fn window(&self) -> u64 {
        match self {
            Self::Live(c) => c.window(),
            Self::File(c) => c.window(),
        }
    }

    #[inline]
    fn on_packet_sent(&mut self, payload_len: usize) {
        match self {
            Self::Live(c) => c.on_packet_sent(payload_len),
            Self::File(c) => c.on_packet_sent(payload_len),
        }
    }

    fn on_ack(&mut self, ack_seq: SeqNumber, ctx: &CcContext, now: Instant) {
        match self {
            Self::Live(c) => c.on_ack(ack_seq, ctx, now),
            Self::File(c) => c.on_ack(ack_seq, ctx, now),
        }
    }

    fn on_loss(&mut self, first_lost: SeqNumber, ctx: &CcContext, now: Instant) {
        match self {
            Self::Live(c) => c.on_loss(first_lost, ctx, now),
            Self::File(c) => c.on_loss(first_lost, ctx, now),
        }
    }

    fn on_rto(&mut self, ctx: &CcContext, now: Instant) {
        match self {
            Self::Live(c) => c.on_rto(ctx, now),
            Self::File(c) => c.on_rto(ctx, now),
        }
    }

    fn update_bandwidth(&mut self, max_bw: i64, bw: u64) {
        match self {
            Self::Live(c) => c.update_bandwidth(max_bw, bw),
            Self::File(c) => c.update_bandwidth(max_bw, bw),
        }
    }

    fn rto_resends_with_losses_queued(&self) -> bool {
        match self {
            Self::Live(c) => c.rto_resends_with_losses_queued(),
            Self::File(c) => c.rto_resends_with_losses_queued(),
        }
    }
}

/// libsrt's `avg_iir<N>`: `(old·(N−1) + new) / N`, in integers.
pub(crate) const fn avg_iir(n: u64, old: u64, new: u64) -> u64 {
    match (old.saturating_mul(n.saturating_sub(1)).saturating_add(new)).checked_div(n) {
        Some(avg) => avg,
        None => new,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_is_whole_microseconds_as_libsrt_sends() {
        // (1316 + 44) bytes at 1 Gbit/s: 10.88 µs by the formula, 10 µs on
        // libsrt's wire, so 1316-byte payload can go at 1052.8 Mbit/s.
        let live = Controller::Live(LiveCc::new(1316));
        assert_eq!(live.send_period_ns(), 10_000);
        let mut capped = LiveCc::new(1316);
        capped.update_bandwidth(1_000_000, 0);
        // 1360 bytes at 1 MB/s: exactly 1360 µs, kept.
        assert_eq!(Controller::Live(capped).send_period_ns(), 1_360_000);
    }
}

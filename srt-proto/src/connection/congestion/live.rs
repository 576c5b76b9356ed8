//! libsrt's live congestion controller (`LiveCC` in `congctl.cpp`): it only
//! paces.
//!
//! The period between packets is `(average payload + 44) / bandwidth`,
//! where the average payload is a 1/128 running average of the packets
//! sent (libsrt `avg_iir<128>`) and 44 bytes stand for the IP, UDP and SRT
//! headers. The bandwidth is `SRTO_MAXBW` when set, else the input rate
//! plus `SRTO_OHEADBW` percent, and 1 Gbit/s (libsrt `BW_INFINITE`) when
//! nothing is known. The window is unlimited: the peer's flow window is the
//! only limit on packets in flight.

use super::{BW_INFINITE, CcContext, CongestionControl, PACKET_OVERHEAD, avg_iir};
use crate::seq::SeqNumber;
use crate::time::Instant;

/// libsrt's live congestion controller.
#[derive(Debug, Clone)]
pub(crate) struct LiveCc {
    /// The bandwidth limit, bytes per second (never 0).
    max_bw: u64,
    /// Running average of the payload sizes sent, bytes.
    avg_payload: u64,
    /// The period derived from the two, nanoseconds.
    period_ns: u64,
}

impl LiveCc {
    /// A controller for packets of at most `max_payload` bytes, starting at
    /// 1 Gbit/s until [`CongestionControl::update_bandwidth`] says more.
    pub(crate) fn new(max_payload: usize) -> Self {
        let mut cc = Self {
            max_bw: BW_INFINITE,
            avg_payload: max_payload as u64,
            period_ns: 0,
        };
        cc.update_period();
        cc
    }

    /// The bandwidth the period is computed from, bytes per second.
    pub(crate) fn max_bw(&self) -> u64 {
        self.max_bw
    }

    fn set_max_bw(&mut self, max_bw: i64) {
        self.max_bw = match u64::try_from(max_bw) {
            Ok(bw) if bw > 0 => bw,
            _ => BW_INFINITE,
        };
        self.update_period();
    }

    fn update_period(&mut self) {
        let packet = self.avg_payload.saturating_add(PACKET_OVERHEAD);
        self.period_ns = packet
            .saturating_mul(1_000_000_000)
            .checked_div(self.max_bw)
            .unwrap_or(0);
    }
}

impl CongestionControl for LiveCc {
    #[inline]
    fn send_period_ns(&self) -> u64 {
        self.period_ns
    }

    #[inline]
    fn window(&self) -> u64 {
        u64::MAX
    }

    #[inline]
    fn on_packet_sent(&mut self, payload_len: usize) {
        // libsrt recomputes the period from this average on ACK and RTO only.
        self.avg_payload = avg_iir(128, self.avg_payload, payload_len as u64);
    }

    fn on_ack(&mut self, _ack_seq: SeqNumber, _ctx: &CcContext, _now: Instant) {
        self.update_period();
    }

    fn on_loss(&mut self, _first_lost: SeqNumber, _ctx: &CcContext, _now: Instant) {}

    fn on_rto(&mut self, _ctx: &CcContext, _now: Instant) {
        self.update_period();
    }

    fn update_bandwidth(&mut self, max_bw: i64, bw: u64) {
        if max_bw != 0 {
            self.set_max_bw(max_bw);
        } else if bw != 0 {
            self.set_max_bw(i64::try_from(bw).unwrap_or(i64::MAX));
        }
    }

    fn rto_resends_with_losses_queued(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlimited_bandwidth_paces_at_one_gigabit() {
        let cc = LiveCc::new(1316);
        // (1316 + 44) bytes at 125 MB/s: 10.88 µs.
        assert_eq!(cc.send_period_ns(), 10_880);
    }

    #[test]
    fn max_bw_sets_the_period_from_the_packet_size() {
        let mut cc = LiveCc::new(1316);
        cc.update_bandwidth(1_360_000, 0);
        assert_eq!(cc.send_period_ns(), 1_000_000);
    }

    #[test]
    fn input_bandwidth_is_used_when_max_bw_is_relative() {
        let mut cc = LiveCc::new(1316);
        cc.update_bandwidth(0, 2_720_000);
        assert_eq!(cc.send_period_ns(), 500_000);
        // An unknown input rate keeps the last limit.
        cc.update_bandwidth(0, 0);
        assert_eq!(cc.send_period_ns(), 500_000);
    }

    #[test]
    fn smaller_packets_shorten_the_period_on_the_next_ack() {
        let mut cc = LiveCc::new(1316);
        cc.update_bandwidth(1_360_000, 0);
        for _ in 0..2000 {
            cc.on_packet_sent(156);
        }
        let ctx = CcContext {
            srtt_us: 100_000,
            delivery_rate_pps: 0,
            bandwidth_pps: 0,
            mss: 1500,
            last_sent: SeqNumber::new(0),
            loss_len: 0,
            fresh_losses: 0,
        };
        cc.on_ack(SeqNumber::new(1), &ctx, Instant::ZERO);
        assert!(cc.send_period_ns() < 160_000, "{}", cc.send_period_ns());
    }

    #[test]
    fn live_has_no_window_of_its_own() {
        assert_eq!(LiveCc::new(1316).window(), u64::MAX);
    }
}

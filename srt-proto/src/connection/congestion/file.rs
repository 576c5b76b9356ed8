//! libsrt's file congestion controller (`FileCC` in `congctl.cpp`, UDT's
//! native algorithm), chosen over CUBIC because it is what a libsrt peer
//! runs in file mode, so both ends behave the same on a shared link, and
//! because it paces (a rate, not just a window), which suits UDP.
//!
//! - Slow start: the window starts at 16 packets and grows by every packet
//!   acknowledged (rate control runs at most every 10 ms); packets are not
//!   paced. It ends when the window passes the maximum (the flow window),
//!   on the first loss report, or on a retransmission timeout; the period
//!   then becomes `1 / delivery rate` (or `window / (RTT + 10 ms)`).
//! - Congestion avoidance, on each ACK at most every 10 ms: the window
//!   follows `delivery rate · (RTT + 10 ms) + 16`, and unless a loss was
//!   reported since the last increase, the rate rises by
//!   `max(10^ceil(log10(B · MSS · 8)) · 1.5e−6 / MSS, 1 / MSS)` packets per
//!   10 ms, where `B` is the spare capacity (estimated bandwidth, capped at
//!   twice the rate of the last decrease, minus the current rate).
//! - Loss report: below 2 % of the packets in flight lost, nothing but a
//!   note of the rate. Otherwise, if the loss starts after the last
//!   decrease point, the period grows by 3 % (a new congestion epoch);
//!   within an epoch, at most 5 more 3 % decreases, each on a randomly
//!   chosen NAK count (so several senders do not back off in lockstep).
//! - `SRTO_MAXBW` > 0 caps the rate.
//!
//! libsrt computes in `double`; so does this (`core` has the four
//! operations; `ceil` and the power of ten are done by hand).

use super::{CcContext, CongestionControl, SYN_INTERVAL_US};
use crate::seq::SeqNumber;
use crate::time::Instant;

/// The initial window, packets (UDT).
const INITIAL_WINDOW: f64 = 16.0;

/// libsrt's file controller.
#[derive(Debug, Clone)]
pub(crate) struct FileCc {
    /// Packet send period, microseconds.
    period_us: f64,
    /// Congestion window, packets.
    window: f64,
    /// The largest window (the flow window), packets.
    max_window: f64,
    slow_start: bool,
    /// When rate control last ran.
    last_rc: Option<Instant>,
    last_ack: SeqNumber,
    /// A loss was reported since the last rate increase.
    loss: bool,
    /// The highest sequence sent when the rate was last decreased.
    last_dec_seq: SeqNumber,
    /// The period at the last decrease, microseconds.
    last_dec_period_us: f64,
    nak_count: u64,
    dec_random: u64,
    avg_nak_num: u64,
    dec_count: u64,
    /// `SRTO_MAXBW` in bytes per second; 0 or negative: no cap.
    max_bw: i64,
    /// State of the generator that picks the random decrease point.
    rng: u32,
}

impl FileCc {
    /// A controller for a connection whose first sequence number is `isn`,
    /// with a flow window of `max_window` packets; `seed` varies the random
    /// decrease points between connections.
    pub(crate) fn new(isn: SeqNumber, max_window: u32, seed: u32) -> Self {
        Self {
            period_us: 1.0,
            window: INITIAL_WINDOW,
            max_window: f64::from(max_window.max(2)),
            slow_start: true,
            last_rc: None,
            last_ack: isn,
            loss: false,
            last_dec_seq: isn.prev(),
            last_dec_period_us: 1.0,
            nak_count: 0,
            dec_random: 1,
            avg_nak_num: 0,
            dec_count: 0,
            max_bw: 0,
            rng: seed | 1,
        }
    }

    /// Whether the controller is still in slow start.
    #[cfg(test)]
    pub(crate) fn in_slow_start(&self) -> bool {
        self.slow_start
    }

    /// The packet send period, microseconds.
    #[cfg(test)]
    pub(crate) fn period_us(&self) -> f64 {
        self.period_us
    }

    /// Leaves slow start: from now on the rate, not the window, governs.
    fn end_slow_start(&mut self, ctx: &CcContext) {
        if !self.slow_start {
            return;
        }
        self.slow_start = false;
        self.period_us = if ctx.delivery_rate_pps > 0 {
            1_000_000.0 / ctx.delivery_rate_pps as f64
        } else {
            self.window / (ctx.srtt_us as f64 + SYN_INTERVAL_US as f64)
        };
    }

    /// xorshift32: a uniformly distributed number in `1 ..= max`.
    fn random_in(&mut self, max: u64) -> u64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng = x;
        u64::from(x) % max.max(1) + 1
    }
}

/// `ceil(x)` for the non-negative values used here.
fn ceil(x: f64) -> f64 {
    if !(0.0..9.0e15).contains(&x) {
        return x;
    }
    let whole = x as u64 as f64;
    if whole < x { whole + 1.0 } else { whole }
}

/// `10^ceil(log10(x))` for `x ≥ 1`: the smallest power of ten at least `x`.
fn pow10_at_least(x: f64) -> f64 {
    let mut p = 1.0;
    while p < x && p < 1.0e18 {
        p *= 10.0;
    }
    p
}

impl CongestionControl for FileCc {
    #[inline]
    fn send_period_ns(&self) -> u64 {
        let ns = self.period_us * 1000.0;
        if ns >= 1.0 { ns as u64 } else { 0 }
    }

    #[inline]
    fn window(&self) -> u64 {
        if self.window >= 1.0 {
            self.window as u64
        } else {
            1
        }
    }

    fn on_packet_sent(&mut self, _payload_len: usize) {}

    fn on_ack(&mut self, ack_seq: SeqNumber, ctx: &CcContext, now: Instant) {
        if let Some(last) = self.last_rc
            && now.duration_since(last).as_micros() < u128::from(SYN_INTERVAL_US)
        {
            return;
        }
        self.last_rc = Some(now);
        let rtt_rc = ctx.srtt_us as f64 + SYN_INTERVAL_US as f64;
        if self.slow_start {
            let grown = self.last_ack.offset_to(ack_seq).max(0);
            self.window += f64::from(grown);
            self.last_ack = ack_seq;
            if self.window > self.max_window {
                self.end_slow_start(ctx);
            }
        } else {
            self.window = ctx.delivery_rate_pps as f64 / 1_000_000.0 * rtt_rc + INITIAL_WINDOW;
        }
        self.window = self.window.min(self.max_window);

        if !self.slow_start {
            if self.loss {
                self.loss = false;
            } else {
                let mss = ctx.mss.max(1) as f64;
                let loss_bw = 2.0 * (1_000_000.0 / self.last_dec_period_us);
                let bw_pps = loss_bw.min(ctx.bandwidth_pps as f64);
                let mut spare = bw_pps - 1_000_000.0 / self.period_us;
                if self.period_us > self.last_dec_period_us && bw_pps / 9.0 < spare {
                    spare = bw_pps / 9.0;
                }
                let inc = if spare <= 0.0 {
                    1.0 / mss
                } else {
                    (pow10_at_least(spare * mss * 8.0) * 0.000_001_5 / mss).max(1.0 / mss)
                };
                let rc = SYN_INTERVAL_US as f64;
                self.period_us = (self.period_us * rc) / (self.period_us * inc + rc);
            }
        }

        if self.max_bw > 0 {
            let min_period = 1_000_000.0 / (self.max_bw as f64 / ctx.mss.max(1) as f64);
            if self.period_us < min_period {
                self.period_us = min_period;
            }
        }
    }

    fn on_loss(&mut self, first_lost: SeqNumber, ctx: &CcContext, _now: Instant) {
        self.end_slow_start(ctx);
        self.loss = true;

        let in_flight = if self.period_us > 0.0 {
            (ctx.srtt_us as f64 / self.period_us) as u64
        } else {
            0
        };
        let lost_per_mille = ctx
            .loss_len
            .saturating_mul(1000)
            .checked_div(in_flight)
            .unwrap_or(0);
        if lost_per_mille < 20 {
            self.last_dec_period_us = self.period_us;
            return;
        }

        if first_lost.is_after(self.last_dec_seq) {
            self.last_dec_period_us = self.period_us;
            self.period_us = ceil(self.period_us * 1.03);
            // 0.03 share of the new epoch's NAK count, rounded up.
            self.avg_nak_num =
                ceil(self.avg_nak_num as f64 * (1.0 - 0.03) + self.nak_count as f64 * 0.03) as u64;
            self.nak_count = 1;
            self.dec_count = 1;
            self.last_dec_seq = ctx.last_sent;
            self.dec_random = if self.avg_nak_num > 1 {
                self.random_in(self.avg_nak_num)
            } else {
                1
            };
        } else {
            let may_decrease = self.dec_count < 5;
            self.dec_count = self.dec_count.saturating_add(1);
            if may_decrease {
                self.nak_count = self.nak_count.saturating_add(1);
                if self.nak_count % self.dec_random.max(1) == 0 {
                    self.period_us = ceil(self.period_us * 1.03);
                    self.last_dec_seq = ctx.last_sent;
                }
            }
        }
    }

    fn on_rto(&mut self, ctx: &CcContext, _now: Instant) {
        self.end_slow_start(ctx);
    }

    fn update_bandwidth(&mut self, max_bw: i64, _bw: u64) {
        if max_bw != 0 {
            self.max_bw = max_bw;
        }
    }

    fn rto_resends_with_losses_queued(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(last_sent: u32, loss_len: u64) -> CcContext {
        CcContext {
            srtt_us: 40_000,
            delivery_rate_pps: 8_000,
            bandwidth_pps: 9_000,
            mss: 1500,
            last_sent: SeqNumber::new(last_sent),
            loss_len,
        }
    }

    fn at_ms(ms: u64) -> Instant {
        Instant::from_micros(ms * 1000)
    }

    #[test]
    fn slow_start_grows_the_window_by_the_packets_acknowledged() {
        let mut cc = FileCc::new(SeqNumber::new(0), 8192, 7);
        assert_eq!(cc.window(), 16);
        cc.on_ack(SeqNumber::new(16), &ctx(16, 0), at_ms(10));
        assert_eq!(cc.window(), 32);
        cc.on_ack(SeqNumber::new(48), &ctx(48, 0), at_ms(20));
        assert_eq!(cc.window(), 64);
        assert!(cc.in_slow_start());
        assert_eq!(cc.send_period_ns(), 1000);
    }

    #[test]
    fn rate_control_runs_at_most_every_10_ms() {
        let mut cc = FileCc::new(SeqNumber::new(0), 8192, 7);
        cc.on_ack(SeqNumber::new(16), &ctx(16, 0), at_ms(10));
        cc.on_ack(SeqNumber::new(32), &ctx(32, 0), at_ms(15));
        assert_eq!(cc.window(), 32);
    }

    #[test]
    fn slow_start_ends_past_the_flow_window_at_the_delivery_rate() {
        let mut cc = FileCc::new(SeqNumber::new(0), 100, 7);
        cc.on_ack(SeqNumber::new(200), &ctx(200, 0), at_ms(10));
        assert!(!cc.in_slow_start());
        // 1 / 8000 pps = 125 µs, and the same ACK already probes upwards.
        let period = cc.send_period_ns();
        assert!((120_000..125_000).contains(&period), "{period}");
        assert_eq!(cc.window(), 100);
    }

    #[test]
    fn loss_ends_slow_start_and_then_backs_off() {
        let mut cc = FileCc::new(SeqNumber::new(0), 8192, 7);
        cc.on_ack(SeqNumber::new(1000), &ctx(1000, 0), at_ms(10));
        cc.on_loss(SeqNumber::new(900), &ctx(1000, 100), at_ms(11));
        assert!(!cc.in_slow_start());
        // 1 / 8000 pps = 125 µs, then 3 % slower (rounded up).
        assert_eq!(cc.period_us(), 129.0);
    }

    #[test]
    fn light_loss_does_not_slow_down() {
        let mut cc = FileCc::new(SeqNumber::new(0), 8192, 7);
        cc.on_ack(SeqNumber::new(1000), &ctx(1000, 0), at_ms(10));
        // 40 ms at 125 µs: 320 in flight, 1 lost is 0.3 %.
        cc.on_loss(SeqNumber::new(900), &ctx(1000, 1), at_ms(11));
        assert_eq!(cc.period_us(), 125.0);
    }

    #[test]
    fn without_loss_the_rate_probes_upwards() {
        let mut cc = FileCc::new(SeqNumber::new(0), 8192, 7);
        cc.on_ack(SeqNumber::new(1000), &ctx(1000, 0), at_ms(10));
        cc.on_loss(SeqNumber::new(900), &ctx(1000, 100), at_ms(11));
        let backed_off = cc.period_us();
        let mut t = 20;
        for n in 0..50 {
            cc.on_ack(SeqNumber::new(1000 + n * 10), &ctx(1500, 0), at_ms(t));
            t += 10;
        }
        assert!(cc.period_us() < backed_off, "{}", cc.period_us());
    }

    #[test]
    fn max_bw_caps_the_rate() {
        let mut cc = FileCc::new(SeqNumber::new(0), 100, 7);
        cc.update_bandwidth(1_500_000, 0);
        cc.on_ack(SeqNumber::new(200), &ctx(200, 0), at_ms(10));
        // 1000 packets of 1500 bytes per second: 1 ms.
        assert_eq!(cc.send_period_ns(), 1_000_000);
    }

    #[test]
    fn ceil_and_power_of_ten() {
        assert_eq!(ceil(2.0), 2.0);
        assert_eq!(ceil(2.01), 3.0);
        assert_eq!(pow10_at_least(1.0), 1.0);
        assert_eq!(pow10_at_least(999.0), 1000.0);
        assert_eq!(pow10_at_least(1001.0), 10_000.0);
    }
}

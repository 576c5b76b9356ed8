//! The file congestion controller: libsrt's `FileCC` (`congctl.cpp`, UDT's
//! native algorithm), with one change so that it fills a lossy link.
//!
//! Why FileCC and not CUBIC: it is what a libsrt peer runs in file mode,
//! so both ends behave alike on a shared link, and it paces (a rate, not
//! just a window), which suits UDP.
//!
//! - Slow start: the window starts at 16 packets and grows by every packet
//!   acknowledged (rate control runs at most every 10 ms); packets are not
//!   paced. It ends when the window passes the maximum (the flow window),
//!   on congestion, or on a retransmission timeout; the period then
//!   becomes `1 / delivery rate` (or `window / (RTT + 10 ms)`).
//! - Congestion avoidance, on each ACK at most every 10 ms: the window
//!   follows `delivery rate · (RTT + 10 ms) + 16`, and unless congestion
//!   was seen since the last increase, the rate rises by
//!   `max(10^ceil(log10(B · MSS · 8)) · 1.5e−6 / MSS, 1 / MSS)` packets per
//!   10 ms, where `B` is the spare capacity (the receiver's packet-pair
//!   estimate, capped at twice the rate of the last decrease, minus the
//!   current rate).
//! - Congestion: if the loss starts after the last decrease point, the
//!   period grows by 3 % (a new congestion epoch); within an epoch, at
//!   most 5 more 3 % decreases, each on a randomly chosen report (so
//!   several senders do not back off in lockstep).
//! - `SRTO_MAXBW` > 0 caps the rate.
//!
//! **Three changes.** First, libsrt takes every loss report as congestion
//! once the packets on the loss list reach 2 % of `RTT / period`. On a
//! link with random loss that spirals down: a slow rate makes one lost
//! packet look like 2 %, each report slows the rate further, and periodic
//! NAK reports repeat the same loss (measured on the simulator: 100 Mbit/s,
//! 40 ms RTT, 1 % random loss, libsrt's rule falls to about 2 Mbit/s).
//! Here a report is congestion only when it reports packets lost for the
//! first time and the fresh losses over the last two measurement windows
//! (each at least two RTTs and 20 ms long) are at least 3 packets and
//! 3 % of the packets sent above the link's usual loss rate, which is
//! learned from the windows (a 1/16 running average, up to 15 %): steady
//! random loss leaves the rate alone, a queue overflowing does not.
//!
//! Second, below 90 % of the link capacity the receiver measures (packet
//! pairs), the rate climbs at least 1 % per 10 ms step: UDT's additive step
//! is tiny once the spare capacity is a few hundred packets per second, and
//! recovering from slow start's overshoot took it 25 s on the same link.
//!
//! Third, the window in congestion avoidance is three bandwidth-delay
//! products, not one: a lost packet holds the acknowledgement back for a
//! round trip or more, and with one BDP the sender stalled on every loss
//! (60 Mbit/s instead of 88 on that link).
//!
//! libsrt computes in `double`; so does this (`core` has the four
//! operations; `ceil` and the power of ten are done by hand).

use super::{CcContext, CongestionControl, SYN_INTERVAL_US};
use crate::seq::SeqNumber;
use crate::time::Instant;

/// The initial window, packets (UDT).
const INITIAL_WINDOW: f64 = 16.0;

/// Fresh losses, as a share of the packets sent, above the usual loss rate
/// of the link that mean congestion.
const CONGESTION_EXCESS_LOSS: f64 = 0.03;

/// The usual (random) loss rate is learned up to this share.
const MAX_BASELINE_LOSS: f64 = 0.15;

/// Each measurement window moves the learned loss rate this share of the
/// way to its own.
const BASELINE_GAIN: f64 = 1.0 / 16.0;

/// A window with fewer packets sent does not teach the loss rate.
const BASELINE_MIN_SENT: u64 = 50;

/// Fewer fresh losses than this are never congestion.
const CONGESTION_MIN_LOSSES: u64 = 3;

/// The window in congestion avoidance, in bandwidth-delay products
/// (libsrt: 1).
const WINDOW_BDP_FACTOR: f64 = 3.0;

/// Below this share of the measured link capacity the rate climbs fast.
const FAST_CLIMB_BELOW: f64 = 0.9;

/// The fast climb: the rate grows at least this much per rate-control step.
const FAST_CLIMB_STEP: f64 = 1.01;

/// The shortest loss measurement window, microseconds.
const MIN_MEASURE_US: u64 = 20_000;

/// Packets sent and fresh losses over one measurement window.
#[derive(Debug, Clone, Copy, Default)]
struct LossSample {
    sent: u64,
    lost: u64,
}

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
    /// The current loss measurement window and when it started.
    current: LossSample,
    current_start: Option<Instant>,
    /// The window before it.
    previous: LossSample,
    /// The loss rate the link usually has (random loss), learned from the
    /// measurement windows.
    baseline_loss: f64,
    /// The current window again, not cleared by a decrease: what the
    /// usual loss rate is learned from.
    learning: LossSample,
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
            current: LossSample::default(),
            current_start: None,
            previous: LossSample::default(),
            baseline_loss: 0.0,
            learning: LossSample::default(),
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

    /// Starts a new measurement window when the current one is two RTTs
    /// (and at least 20 ms) old.
    fn roll_window(&mut self, ctx: &CcContext, now: Instant) {
        let start = *self.current_start.get_or_insert(now);
        let length = ctx.srtt_us.saturating_mul(2).max(MIN_MEASURE_US);
        if now.duration_since(start).as_micros() >= u128::from(length) {
            let done = core::mem::take(&mut self.learning);
            if done.sent >= BASELINE_MIN_SENT {
                let rate = (done.lost as f64 / done.sent as f64).min(MAX_BASELINE_LOSS);
                self.baseline_loss += (rate - self.baseline_loss) * BASELINE_GAIN;
            }
            self.previous = self.current;
            self.current = LossSample::default();
            self.current_start = Some(now);
        }
    }

    /// Whether the fresh losses measured say the link is congested: at
    /// least 3 of them, and 3 % of the packets sent above the usual loss
    /// rate.
    fn congested(&self) -> bool {
        let lost = self.current.lost.saturating_add(self.previous.lost);
        let sent = self.current.sent.saturating_add(self.previous.sent).max(1);
        lost >= CONGESTION_MIN_LOSSES
            && lost as f64 / sent as f64 >= self.baseline_loss + CONGESTION_EXCESS_LOSS
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

    fn on_packet_sent(&mut self, _payload_len: usize) {
        self.current.sent = self.current.sent.saturating_add(1);
        self.learning.sent = self.learning.sent.saturating_add(1);
    }

    fn on_ack(&mut self, ack_seq: SeqNumber, ctx: &CcContext, now: Instant) {
        self.roll_window(ctx, now);
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
            self.window = WINDOW_BDP_FACTOR * ctx.delivery_rate_pps as f64 / 1_000_000.0 * rtt_rc
                + INITIAL_WINDOW;
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
                let before = self.period_us;
                self.period_us = (before * rc) / (before * inc + rc);
                // Below 90 % of the capacity the receiver measures, climb at
                // least 1 % per step (see the module docs).
                if (ctx.bandwidth_pps as f64) * FAST_CLIMB_BELOW > 1_000_000.0 / before {
                    self.period_us = self.period_us.min(before / FAST_CLIMB_STEP);
                }
            }
        }

        if self.max_bw > 0 {
            let min_period = 1_000_000.0 / (self.max_bw as f64 / ctx.mss.max(1) as f64);
            if self.period_us < min_period {
                self.period_us = min_period;
            }
        }
    }

    fn on_loss(&mut self, first_lost: SeqNumber, ctx: &CcContext, now: Instant) {
        self.roll_window(ctx, now);
        self.current.lost = self.current.lost.saturating_add(ctx.fresh_losses);
        self.learning.lost = self.learning.lost.saturating_add(ctx.fresh_losses);
        if ctx.fresh_losses == 0 || !self.congested() {
            // libsrt's "below 2 %" branch: note the rate, change nothing.
            if !self.slow_start {
                self.last_dec_period_us = self.period_us;
            }
            return;
        }
        self.end_slow_start(ctx);
        self.loss = true;
        // The decrease answers these losses: later ones must show anew that
        // the link is congested.
        self.current = LossSample::default();
        self.previous = LossSample::default();
        self.current_start = Some(now);

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
                if self.nak_count.is_multiple_of(self.dec_random.max(1)) {
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

    fn ctx(last_sent: u32, fresh_losses: u64) -> CcContext {
        CcContext {
            srtt_us: 40_000,
            delivery_rate_pps: 8_000,
            bandwidth_pps: 9_000,
            mss: 1500,
            last_sent: SeqNumber::new(last_sent),
            loss_len: fresh_losses,
            fresh_losses,
        }
    }

    /// `n` packets sent.
    fn send(cc: &mut FileCc, n: u64) {
        for _ in 0..n {
            cc.on_packet_sent(1456);
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
    fn congestion_ends_slow_start_and_then_backs_off() {
        let mut cc = FileCc::new(SeqNumber::new(0), 8192, 7);
        send(&mut cc, 1000);
        cc.on_ack(SeqNumber::new(1000), &ctx(1000, 0), at_ms(10));
        // 100 of 1000 packets lost: congestion.
        cc.on_loss(SeqNumber::new(900), &ctx(1000, 100), at_ms(11));
        assert!(!cc.in_slow_start());
        // 1 / 8000 pps = 125 µs, then 3 % slower (rounded up).
        assert_eq!(cc.period_us(), 129.0);
    }

    #[test]
    fn random_loss_below_three_percent_is_not_congestion() {
        let mut cc = FileCc::new(SeqNumber::new(0), 8192, 7);
        send(&mut cc, 1000);
        cc.on_ack(SeqNumber::new(1000), &ctx(1000, 0), at_ms(10));
        for n in 0..10 {
            cc.on_loss(SeqNumber::new(900 + n), &ctx(1000, 2), at_ms(11 + n as u64));
        }
        // 20 of 1000: 2 %, slow start goes on.
        assert!(cc.in_slow_start());
        send(&mut cc, 10);
        cc.on_loss(SeqNumber::new(990), &ctx(1000, 15), at_ms(30));
        assert!(!cc.in_slow_start());
    }

    #[test]
    fn steady_random_loss_is_learned_and_only_more_is_congestion() {
        let mut cc = FileCc::new(SeqNumber::new(0), 8192, 7);
        let mut t = 0;
        // Four seconds of 6 % loss in 80 ms windows: learned (the first
        // windows still count as congestion).
        for n in 0..50 {
            send(&mut cc, 100);
            cc.on_loss(SeqNumber::new(n * 100), &ctx(n * 100, 6), at_ms(t));
            t += 80;
        }
        assert!(cc.baseline_loss > 0.05, "{}", cc.baseline_loss);
        let before = cc.period_us();
        send(&mut cc, 100);
        cc.on_loss(SeqNumber::new(5000), &ctx(5000, 6), at_ms(t));
        assert_eq!(cc.period_us(), before);
        // Twice that is congestion.
        cc.on_loss(SeqNumber::new(5001), &ctx(5001, 8), at_ms(t + 1));
        assert!(cc.period_us() > before);
    }

    #[test]
    fn a_repeated_loss_report_is_not_congestion() {
        let mut cc = FileCc::new(SeqNumber::new(0), 8192, 7);
        send(&mut cc, 20);
        cc.on_ack(SeqNumber::new(20), &ctx(20, 0), at_ms(10));
        for t in 11..20 {
            cc.on_loss(SeqNumber::new(5), &ctx(20, 0), at_ms(t));
        }
        assert!(cc.in_slow_start());
    }

    #[test]
    fn a_few_losses_are_never_congestion() {
        let mut cc = FileCc::new(SeqNumber::new(0), 8192, 7);
        send(&mut cc, 16);
        cc.on_loss(SeqNumber::new(3), &ctx(16, 2), at_ms(1));
        assert!(cc.in_slow_start());
    }

    #[test]
    fn without_loss_the_rate_probes_upwards() {
        let mut cc = FileCc::new(SeqNumber::new(0), 8192, 7);
        send(&mut cc, 1000);
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

//! Timestamp-based packet delivery: the peer's 32-bit timestamps unwrapped
//! onto a 64-bit time line, mapped onto our clock through a time base, plus
//! the latency and the clock drift libsrt's `DriftTracer` measures
//! (`tsbpd_time.cpp`).

use crate::time::{Instant, Timestamp};
use core::time::Duration;

/// libsrt's `TSBPD_DRIFT_MAX_SAMPLES`: drift samples averaged per update.
pub(crate) const DRIFT_SAMPLES: u32 = 1000;
/// libsrt's `TSBPD_DRIFT_MAX_VALUE`: the largest drift (µs) kept in the
/// tracer; anything beyond it moves the time base instead.
pub(crate) const DRIFT_MAX_US: i64 = 5000;

/// Averages drift samples in batches of [`DRIFT_SAMPLES`], keeping at most
/// ±[`DRIFT_MAX_US`] as the drift and handing the excess ("overdrift") to
/// the time base (`DriftTracer<1000, 5000, true>`).
#[derive(Debug, Clone, Default)]
pub(crate) struct DriftTracer {
    sum: i64,
    span: u32,
    drift: i64,
    overdrift: i64,
}

impl DriftTracer {
    /// Adds a sample; true when a batch completed and the drift changed.
    pub(crate) fn update(&mut self, sample_us: i64) -> bool {
        self.sum = self.sum.saturating_add(sample_us);
        self.span += 1;
        self.overdrift = 0;
        if self.span < DRIFT_SAMPLES {
            return false;
        }
        self.drift = self.sum / i64::from(self.span);
        self.sum = 0;
        self.span = 0;
        if self.drift.abs() > DRIFT_MAX_US {
            self.overdrift = if self.drift < 0 {
                -DRIFT_MAX_US
            } else {
                DRIFT_MAX_US
            };
            self.drift -= self.overdrift;
        }
        true
    }

    /// The current drift, µs.
    pub(crate) fn drift(&self) -> i64 {
        self.drift
    }

    /// What the last update moved beyond the drift limit, µs.
    pub(crate) fn overdrift(&self) -> i64 {
        self.overdrift
    }
}

/// The receiver's TSBPD clock.
#[derive(Debug, Clone)]
pub(crate) struct TsbpdClock {
    /// Our time (µs, signed) at which the peer's unwrapped timestamp 0 is.
    base: Option<i64>,
    /// The latest unwrapped timestamp seen: wrap detection is relative to
    /// it.
    last: Option<i64>,
    latency: Duration,
    drift: DriftTracer,
    track_drift: bool,
    first_rtt: Option<i64>,
}

impl TsbpdClock {
    pub(crate) fn new(latency: Duration, track_drift: bool) -> Self {
        Self {
            base: None,
            last: None,
            latency,
            drift: DriftTracer::default(),
            track_drift,
            first_rtt: None,
        }
    }

    /// Unwraps a 32-bit timestamp onto the 64-bit line, relative to the
    /// latest one (timestamps within ±35 min of it are placed correctly,
    /// so a wrap every 01:11:35 moves the line forward).
    pub(crate) fn unwrap(&mut self, ts: Timestamp) -> i64 {
        match self.last {
            None => {
                let v = i64::from(ts.as_u32());
                self.last = Some(v);
                v
            }
            Some(last) => {
                let diff = ts.as_u32().wrapping_sub(last as u32) as i32;
                let v = last.saturating_add(i64::from(diff));
                if v > last {
                    self.last = Some(v);
                }
                v
            }
        }
    }

    /// Sets the time base from the first packet of the peer, if not set
    /// yet: that packet's timestamp maps onto its arrival time (libsrt does
    /// the same with the handshake).
    pub(crate) fn observe(&mut self, unwrapped: i64, arrival: Instant) {
        if self.base.is_none() {
            self.base = Some(micros(arrival).saturating_sub(unwrapped));
        }
    }

    /// Whether a packet set the time base yet.
    pub(crate) fn has_base(&self) -> bool {
        self.base.is_some()
    }

    /// The origin time of a packet on our clock (TSBPD time − latency).
    pub(crate) fn origin_time(&self, unwrapped: i64) -> Instant {
        let base = self.base.unwrap_or(0);
        to_instant(
            base.saturating_add(unwrapped)
                .saturating_add(self.drift.drift()),
        )
    }

    /// When a packet with this unwrapped timestamp is due for delivery.
    pub(crate) fn delivery_time(&self, unwrapped: i64) -> Instant {
        self.origin_time(unwrapped).saturating_add(self.latency)
    }

    /// A drift sample from an ACKACK: its timestamp, arrival time and the RTT
    /// sample it produced (`CTsbpdTime::addDriftSample`). Half the change of
    /// the RTT since the first sample is taken as a change of the one-way
    /// delay, not drift.
    pub(crate) fn add_drift_sample(&mut self, ts: Timestamp, arrival: Instant, rtt_us: i64) {
        if !self.track_drift {
            return;
        }
        let unwrapped = self.unwrap(ts);
        let Some(base) = self.base else {
            return;
        };
        let first_rtt = *self.first_rtt.get_or_insert(rtt_us);
        let rtt_delta = (rtt_us - first_rtt) / 2;
        let sample = micros(arrival) - base.saturating_add(unwrapped) - rtt_delta;
        if self.drift.update(sample) {
            self.base = Some(base.saturating_add(self.drift.overdrift()));
        }
    }

    /// The current drift, µs.
    pub(crate) fn drift_us(&self) -> i64 {
        self.drift.drift()
    }

    /// Our instant of the peer's (unwrapped) timestamp 0, drift included;
    /// `None` before the first packet, or if it lies before our origin.
    pub(crate) fn time_base(&self) -> Option<Instant> {
        let at = self.base?.saturating_add(self.drift.drift());
        u64::try_from(at).ok().map(Instant::from_micros)
    }

    /// Takes another clock's time base (group members share one): this
    /// clock's [`Self::time_base`] gives `base` moved by whole timestamp
    /// wraps (2^32 µs, 71.6 min) onto this clock's own unwrapped line. A
    /// member that joined after a wrap counts its timestamps from there,
    /// the group's oldest member from the start; `now` tells which wrap
    /// this clock's latest timestamp belongs to. Before any timestamp,
    /// the line is anchored at `now`, so the first one unwraps onto the
    /// group's line directly.
    pub(crate) fn set_time_base(&mut self, base: Instant, now: Instant) {
        let base = micros(base).saturating_sub(self.drift.drift());
        let now = micros(now);
        match self.last {
            None => {
                self.last = Some(now.saturating_sub(base).max(0));
                self.base = Some(base);
            }
            Some(last) => {
                // now ≈ base + k·2^32 + last: the nearest whole k.
                let off = now.saturating_sub(base).saturating_sub(last);
                let wraps = off.saturating_add(WRAP_US / 2).div_euclid(WRAP_US);
                self.base = Some(base.saturating_add(wraps.saturating_mul(WRAP_US)));
            }
        }
    }
}

/// The span of the 32-bit microsecond timestamps.
const WRAP_US: i64 = 1 << 32;

fn micros(t: Instant) -> i64 {
    i64::try_from(t.as_micros()).unwrap_or(i64::MAX)
}

fn to_instant(us: i64) -> Instant {
    Instant::from_micros(u64::try_from(us).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Instant {
        Instant::from_micros(ms * 1000)
    }

    #[test]
    fn delivery_is_first_arrival_plus_timestamp_offset_plus_latency() {
        let mut c = TsbpdClock::new(Duration::from_millis(200), true);
        let first = c.unwrap(Timestamp::new(1_000_000));
        c.observe(first, at(5_000));
        assert_eq!(c.delivery_time(first), at(5_200));
        let later = c.unwrap(Timestamp::new(1_010_000));
        assert_eq!(c.delivery_time(later), at(5_210));
    }

    #[test]
    fn timestamps_across_the_32_bit_wrap_keep_increasing() {
        let mut c = TsbpdClock::new(Duration::from_millis(120), false);
        let before = c.unwrap(Timestamp::new(u32::MAX - 999));
        let after = c.unwrap(Timestamp::new(1000));
        assert_eq!(after - before, 2000);
        // A retransmission from before the wrap still maps before it.
        assert_eq!(c.unwrap(Timestamp::new(u32::MAX - 499)), before + 500);
    }

    const WRAP: u64 = 1 << 32;

    #[test]
    fn a_group_base_set_before_any_packet_places_a_wrapped_timestamp_after_the_wrap() {
        // The group's oldest member has counted from its start B = 1 s; the
        // peer's clock wrapped 2 s ago, so this member's first timestamp
        // is small.
        let b = Instant::from_micros(1_000_000);
        let now = Instant::from_micros(1_000_000 + WRAP + 2_000_000);
        let mut c = TsbpdClock::new(Duration::from_millis(120), false);
        c.set_time_base(b, now);
        let u = c.unwrap(Timestamp::new(1_990_000));
        c.observe(u, now);
        assert_eq!(
            c.delivery_time(u),
            Instant::from_micros(1_000_000 + WRAP + 1_990_000 + 120_000)
        );
        assert_eq!(c.time_base(), Some(b));
    }

    #[test]
    fn a_group_base_set_after_packets_moves_by_whole_wraps_to_this_clocks_line() {
        let mut c = TsbpdClock::new(Duration::from_millis(120), false);
        // The member's own first packet: timestamp 2 s arriving at 5000 s.
        let now = Instant::from_micros(5_000_000_000);
        let u = c.unwrap(Timestamp::new(2_000_000));
        c.observe(u, now);
        // The group's base B lies one wrap (and 3 ms) earlier on the
        // oldest member's line.
        let b = Instant::from_micros(5_000_000_000 - 2_000_000 - WRAP - 3_000);
        c.set_time_base(b, now);
        assert_eq!(
            c.time_base(),
            Some(Instant::from_micros(b.as_micros() + WRAP))
        );
        assert_eq!(
            c.delivery_time(u),
            Instant::from_micros(5_000_000_000 - 3_000 + 120_000)
        );
    }

    #[test]
    fn drift_tracer_reports_only_after_a_full_batch() {
        let mut d = DriftTracer::default();
        for _ in 0..DRIFT_SAMPLES - 1 {
            assert!(!d.update(1000));
        }
        assert!(d.update(1000));
        assert_eq!(d.drift(), 1000);
        assert_eq!(d.overdrift(), 0);
    }

    #[test]
    fn drift_beyond_five_ms_moves_into_the_overdrift() {
        let mut d = DriftTracer::default();
        for _ in 0..DRIFT_SAMPLES {
            d.update(-7000);
        }
        assert_eq!(d.drift(), -2000);
        assert_eq!(d.overdrift(), -5000);
    }

    #[test]
    fn ackack_samples_move_delivery_with_a_slow_peer_clock() {
        // The peer's clock runs 1 ms behind every batch: drift follows it.
        let mut c = TsbpdClock::new(Duration::from_millis(100), true);
        let t0 = c.unwrap(Timestamp::new(0));
        c.observe(t0, at(0));
        for i in 0..DRIFT_SAMPLES {
            let ts = u64::from(i) * 10_000;
            c.add_drift_sample(
                Timestamp::new(ts as u32),
                Instant::from_micros(ts + 1000),
                20_000,
            );
        }
        assert_eq!(c.drift_us(), 1000);
        assert_eq!(c.delivery_time(t0), at(101));
    }

    #[test]
    fn rtt_growth_is_not_taken_for_drift() {
        let mut c = TsbpdClock::new(Duration::from_millis(100), true);
        let t0 = c.unwrap(Timestamp::new(0));
        c.observe(t0, at(0));
        c.add_drift_sample(Timestamp::new(0), at(0), 20_000);
        for i in 1..DRIFT_SAMPLES {
            let ts = u64::from(i) * 10_000;
            // RTT grew by 4 ms: the one-way delay by 2 ms.
            c.add_drift_sample(
                Timestamp::new(ts as u32),
                Instant::from_micros(ts + 2000),
                24_000,
            );
        }
        assert_eq!(c.drift_us(), 0);
    }
}

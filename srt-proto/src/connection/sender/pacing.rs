//! When the next data packet may leave ([`Pacer`]) and how fast the
//! application feeds the sender ([`InputRate`], libsrt's
//! `CRateEstimator`).

use super::congestion::{BW_INFINITE, PACKET_OVERHEAD};
use crate::time::Instant;

/// Spaces data packets by the congestion controller's period.
///
/// Like libsrt, every packet whose sequence number is a multiple of 16 is
/// followed at once by the next one (a packet pair the receiver measures
/// the link capacity with); the pair's second period is added to the one
/// after it, so the average rate stays the same.
///
/// The schedule is kept in nanoseconds, so any period works without drift
/// (the controllers give whole microseconds, as libsrt's send interval). A sender that fell
/// behind catches up back-to-back, as libsrt repays an overslept send
/// interval, but by at most [`CATCH_UP_NS`] of slots: an event loop whose
/// timer wakes once a millisecond (tokio's) still sends at the full rate,
/// while a sender idle for longer restarts from now instead of bursting
/// everything it missed.
/// How far behind its schedule the pacer may catch up, nanoseconds: twice
/// the granularity of a millisecond timer.
pub(super) const CATCH_UP_NS: u64 = 2_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pacer {
    /// The earliest time of the next data packet, nanoseconds.
    next_ns: u64,
    /// A period owed by a probe pair, added after the pair.
    debt_ns: u64,
}

impl Pacer {
    /// A pacer that lets the first packet go at `now`.
    pub(super) fn new(now: Instant) -> Self {
        Self {
            next_ns: now.as_micros().saturating_mul(1000),
            debt_ns: 0,
        }
    }

    /// Whether a data packet may leave at `now`.
    #[inline]
    pub(super) fn ready(&self, now: Instant) -> bool {
        now.as_micros().saturating_mul(1000) >= self.next_ns
    }

    /// The next slot, rounded up to the microsecond.
    #[inline]
    pub(super) fn next_slot(&self) -> Instant {
        Instant::from_micros(self.next_ns.div_ceil(1000))
    }

    /// A data packet left at `now`; the next may leave `period_ns` later,
    /// or at once if this one is the first of a probe pair.
    #[inline]
    pub(super) fn on_sent(&mut self, now: Instant, period_ns: u64, probe: bool) {
        let now_ns = now.as_micros().saturating_mul(1000);
        if probe {
            // The pair's second packet may go at once: the schedule stays
            // where it is (behind `now` by at most the catch-up window),
            // so a timer that wakes once a millisecond keeps the credit
            // it is owed.
            self.next_ns = self
                .next_ns
                .max(now_ns.saturating_sub(CATCH_UP_NS.max(period_ns)));
            self.debt_ns = period_ns;
            return;
        }
        // The slot this packet used, but never further back than the
        // catch-up window (nor than one period, for periods longer than it).
        let base = self
            .next_ns
            .max(now_ns.saturating_sub(CATCH_UP_NS.max(period_ns)));
        let wait = period_ns.saturating_add(core::mem::take(&mut self.debt_ns));
        self.next_ns = base.saturating_add(wait);
    }
}

/// libsrt's first sampling period of the input rate: 500 ms
/// (`INPUTRATE_FAST_START_US`).
const FAST_START_US: u64 = 500_000;
/// libsrt's sampling period once running: 1 s (`INPUTRATE_RUNNING_US`).
const RUNNING_US: u64 = 1_000_000;
/// During fast start, a sample ends early after this many packets
/// (`INPUTRATE_MAX_PACKETS`).
const FAST_START_MAX_PACKETS: u64 = 2000;

/// The application's input rate (payload plus 44 header bytes per packet,
/// bytes per second), measured as libsrt's `CRateEstimator` does: the first
/// sample covers 500 ms or 2000 packets, the next ones 1 s each. Until the
/// first sample ends it reports 1 Gbit/s (libsrt
/// `INPUTRATE_INITIAL_BYTESPS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct InputRate {
    /// Sampling period, µs; 0 when not measuring.
    period_us: u64,
    start: Option<Instant>,
    packets: u64,
    bytes: u64,
    rate: u64,
}

impl InputRate {
    /// An estimator, measuring if `enabled`.
    pub(super) fn new(enabled: bool) -> Self {
        Self {
            period_us: if enabled { FAST_START_US } else { 0 },
            start: None,
            packets: 0,
            bytes: 0,
            rate: BW_INFINITE,
        }
    }

    /// Whether it measures.
    #[inline]
    pub(super) fn enabled(&self) -> bool {
        self.period_us != 0
    }

    /// The last measured rate, bytes per second.
    pub(super) fn rate(&self) -> u64 {
        self.rate
    }

    /// `packets` packets with `bytes` payload bytes in all entered the send
    /// buffer with origin time `origin`.
    #[inline]
    pub(super) fn update(&mut self, origin: Instant, packets: u64, bytes: u64) {
        if self.period_us == 0 {
            return;
        }
        let Some(start) = self.start else {
            // libsrt starts the clock with the first message, uncounted.
            self.start = Some(origin);
            return;
        };
        if origin < start {
            return;
        }
        self.packets = self.packets.saturating_add(packets);
        self.bytes = self.bytes.saturating_add(bytes);
        let early = self.period_us < RUNNING_US && self.packets > FAST_START_MAX_PACKETS;
        let elapsed = origin.duration_since(start).as_micros() as u64;
        if !early && elapsed <= self.period_us {
            return;
        }
        let total = self
            .bytes
            .saturating_add(self.packets.saturating_mul(PACKET_OVERHEAD));
        if let Some(rate) = total.saturating_mul(1_000_000).checked_div(elapsed) {
            self.rate = rate;
        }
        self.packets = 0;
        self.bytes = 0;
        self.start = Some(origin);
        self.period_us = RUNNING_US;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(n: u64) -> Instant {
        Instant::from_micros(n)
    }

    #[test]
    fn pacer_spaces_packets_by_the_period_without_drift() {
        let mut p = Pacer::new(us(0));
        assert!(p.ready(us(0)));
        p.on_sent(us(0), 10_880, false);
        assert!(!p.ready(us(10)));
        assert_eq!(p.next_slot(), us(11));
        for _ in 0..99 {
            let at = p.next_slot();
            p.on_sent(at, 10_880, false);
        }
        // 100 periods of 10.88 µs: 1088 µs, not 1100.
        assert_eq!(p.next_slot(), us(1088));
    }

    #[test]
    fn pacer_restarts_after_idling_with_at_most_the_catch_up_window_owed() {
        let mut p = Pacer::new(us(0));
        p.on_sent(us(0), 1_000_000, false);
        p.on_sent(us(50_000), 1_000_000, false);
        // Idle for 49 ms: only the last 2 ms of slots may be caught up.
        assert_eq!(p.next_slot(), us(49_000));
        p.on_sent(us(50_000), 1_000_000, false);
        assert!(p.ready(us(50_000)));
        p.on_sent(us(50_000), 1_000_000, false);
        assert_eq!(p.next_slot(), us(51_000));
    }

    /// Packets a pacer at 1 Gbit/s of 1316-byte packets (10.88 µs apart)
    /// sends in 100 ms when its loop wakes once a millisecond and sends
    /// everything due; `probe(n)` says whether packet `n` starts a probe
    /// pair.
    fn sent_in_100_ms_woken_every_ms(probe: impl Fn(u64) -> bool) -> u64 {
        let period = 10_880;
        let mut p = Pacer::new(us(0));
        let mut sent = 0u64;
        for wake in 1..=100u64 {
            let now = us(wake * 1000);
            while p.ready(now) {
                p.on_sent(now, period, probe(sent));
                sent += 1;
            }
        }
        sent
    }

    #[test]
    fn pacer_woken_once_a_millisecond_still_sends_at_the_full_rate() {
        // 100 ms at one packet per 10.88 µs is 9191 packets.
        let sent = sent_in_100_ms_woken_every_ms(|_| false);
        assert!((9180..=9200).contains(&sent), "sent {sent}");
    }

    #[test]
    fn pacer_woken_once_a_millisecond_with_probe_pairs_still_sends_at_the_full_rate() {
        // Every 16th packet starts a probe pair, as the sender does: the
        // pair must not give up the catch-up credit.
        let sent = sent_in_100_ms_woken_every_ms(|n| n.is_multiple_of(16));
        assert!((9180..=9200).contains(&sent), "sent {sent}");
    }

    #[test]
    fn a_probe_pair_goes_back_to_back_and_the_pace_catches_up() {
        let mut p = Pacer::new(us(0));
        p.on_sent(us(0), 1_000_000, true);
        assert!(p.ready(us(0)));
        p.on_sent(us(0), 1_000_000, false);
        assert_eq!(p.next_slot(), us(2000));
    }

    #[test]
    fn input_rate_reports_one_gigabit_until_measured() {
        let r = InputRate::new(true);
        assert_eq!(r.rate(), BW_INFINITE);
        assert!(!InputRate::new(false).enabled());
    }

    #[test]
    fn input_rate_first_sample_ends_after_half_a_second() {
        let mut r = InputRate::new(true);
        // 1000 packets a second of 1000 bytes: 1044 kB/s with headers.
        for i in 0..=501 {
            r.update(us(i * 1000), 1, 1000);
        }
        assert_eq!(r.rate(), 1_044_000);
    }

    #[test]
    fn input_rate_fast_start_ends_early_after_2000_packets() {
        let mut r = InputRate::new(true);
        r.update(us(0), 1, 1316);
        for i in 1..=2001 {
            r.update(us(i * 10), 1, 1316);
        }
        // 2001 packets of 1360 bytes in 20.01 ms.
        assert_eq!(r.rate(), 136_000_000);
    }
}

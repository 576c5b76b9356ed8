//! What a link does to the datagrams it carries: [`LinkConfig`] and its parts.
//!
//! Probabilities are kept as integer parts per million ([`Probability`]) so
//! the model needs no floating-point maths beyond the conversion from a
//! percentage, and every decision is an exact integer comparison against a
//! draw from the link's seeded generator.

use alloc::vec::Vec;
use core::time::Duration;

use crate::time::Instant;

/// One million: [`Probability`]'s denominator.
const MILLION: u32 = 1_000_000;

/// A probability in parts per million, from [`Probability::NEVER`] (0) to
/// [`Probability::ALWAYS`] (1 000 000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Probability(u32);

impl Probability {
    /// Never happens.
    pub const NEVER: Self = Self(0);
    /// Always happens.
    pub const ALWAYS: Self = Self(MILLION);

    /// `ppm` parts per million; values above one million mean
    /// [`Probability::ALWAYS`].
    pub const fn per_million(ppm: u32) -> Self {
        if ppm > MILLION {
            Self::ALWAYS
        } else {
            Self(ppm)
        }
    }

    /// A percentage, rounded to the nearest part per million: `percent(1.5)`
    /// is 15 000 ppm. Negative values and NaN mean never, values of 100 and
    /// above mean always.
    pub fn percent(percent: f64) -> Self {
        let ppm = percent * 10_000.0 + 0.5;
        if ppm.is_nan() || ppm < 1.0 {
            Self::NEVER
        } else if ppm >= f64::from(MILLION) {
            Self::ALWAYS
        } else {
            // In range [1, 1e6): the cast truncates the +0.5 into rounding.
            Self(ppm as u32)
        }
    }

    /// `numerator` in `denominator` (`ratio(1, 50)` is 2 %), rounded down to
    /// whole parts per million. A zero denominator means never.
    pub fn ratio(numerator: u32, denominator: u32) -> Self {
        match u64::from(numerator)
            .saturating_mul(u64::from(MILLION))
            .checked_div(u64::from(denominator))
        {
            Some(ppm) => Self::per_million(u32::try_from(ppm).unwrap_or(MILLION)),
            None => Self::NEVER,
        }
    }

    /// Parts per million.
    pub const fn as_per_million(self) -> u32 {
        self.0
    }

    /// The probability as a percentage.
    pub fn as_percent(self) -> f64 {
        f64::from(self.0) / 10_000.0
    }

    /// True for [`Probability::NEVER`].
    pub const fn is_never(self) -> bool {
        self.0 == 0
    }
}

/// The Gilbert-Elliott two-state loss model: bursty loss.
///
/// The link is either *good* or *bad*. Before each datagram the state may
/// flip (good→bad with `good_to_bad`, bad→good with `bad_to_good`); then the
/// datagram is lost with the loss probability of the current state. A stay in
/// the bad state lasts on average `1 / bad_to_good` datagrams, so with
/// `loss_in_bad` at 100 % and `loss_in_good` at 0 the mean burst of
/// consecutive losses is `1 / bad_to_good` datagrams and the long-run loss
/// rate is `good_to_bad / (good_to_bad + bad_to_good)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GilbertElliott {
    /// Chance, per datagram, to move from the good to the bad state.
    pub good_to_bad: Probability,
    /// Chance, per datagram, to move from the bad to the good state.
    pub bad_to_good: Probability,
    /// Chance to lose a datagram while in the good state.
    pub loss_in_good: Probability,
    /// Chance to lose a datagram while in the bad state.
    pub loss_in_bad: Probability,
}

/// Reordering: some datagrams are held back so that later ones overtake them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reorder {
    /// Chance that a datagram is held back.
    pub probability: Probability,
    /// How much longer a held-back datagram takes than it would have.
    pub extra_delay: Duration,
}

/// A bottleneck: a transmitter of fixed rate fed by a byte-limited FIFO queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateLimit {
    /// Transmission rate in bits per second (0: no limit); a datagram of `n` bytes takes
    /// `n * 8 / bits_per_second` seconds to send.
    pub bits_per_second: u64,
    /// Capacity of the queue in bytes, counting the datagram being
    /// transmitted. A datagram that does not fit is dropped (tail drop).
    pub queue_bytes: usize,
}

/// A window of time in which the link carries nothing: every datagram sent
/// at an instant in `[start, end)` is dropped. Datagrams already in flight
/// when it starts still arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Partition {
    /// First instant of the outage.
    pub start: Instant,
    /// First instant after the outage (the link heals here).
    pub end: Instant,
}

impl Partition {
    /// True if a datagram sent at `now` is dropped by this partition.
    pub fn contains(&self, now: Instant) -> bool {
        self.start <= now && now < self.end
    }
}

/// Everything one direction of a simulated path does to datagrams, built
/// with chained calls in the spirit of str0m's `netem`:
///
/// ```
/// use core::time::Duration;
/// use srt_proto::sim::{LinkConfig, Probability};
/// use srt_proto::time::Instant;
///
/// let config = LinkConfig::new()
///     .latency(Duration::from_millis(20))
///     .jitter(Duration::from_millis(2))
///     .loss(Probability::percent(1.0))
///     .rate(10_000_000, 64 * 1024)
///     .partition(Instant::from_micros(5_000_000), Instant::from_micros(6_000_000))
///     .seed(42);
/// assert_eq!(config.latency, Duration::from_millis(20));
/// ```
///
/// The order in which a datagram meets the model: partitions, then bursty
/// loss ([`GilbertElliott`]), then random loss, then the rate limit's queue,
/// then latency and jitter, then reordering. A duplicate, if one is made,
/// takes the same path from the queue on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct LinkConfig {
    /// Fixed one-way delay added to every datagram.
    pub latency: Duration,
    /// Each datagram's delay varies uniformly within `latency ± jitter`
    /// (never below zero). Jitter alone never reorders: a datagram is never
    /// delivered before one sent earlier (see [`crate::sim::Link`]).
    pub jitter: Duration,
    /// Independent random loss.
    pub loss: Probability,
    /// Bursty loss, applied before the random loss.
    pub gilbert_elliott: Option<GilbertElliott>,
    /// Chance that a datagram is delivered twice.
    pub duplicate: Probability,
    /// Reordering, off by default.
    pub reorder: Option<Reorder>,
    /// Bottleneck rate and queue, unlimited by default.
    pub rate: Option<RateLimit>,
    /// Outages.
    pub partitions: Vec<Partition>,
    /// Seed of the link's random generator.
    pub seed: u64,
}

impl Default for LinkConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl LinkConfig {
    /// A perfect link: no delay, no loss, no limit, seed 0.
    pub const fn new() -> Self {
        Self {
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
            loss: Probability::NEVER,
            gilbert_elliott: None,
            duplicate: Probability::NEVER,
            reorder: None,
            rate: None,
            partitions: Vec::new(),
            seed: 0,
        }
    }

    /// Sets the fixed one-way delay.
    #[must_use]
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Sets the jitter: delays vary uniformly within `latency ± jitter`.
    #[must_use]
    pub fn jitter(mut self, jitter: Duration) -> Self {
        self.jitter = jitter;
        self
    }

    /// Sets the independent random loss.
    #[must_use]
    pub fn loss(mut self, loss: Probability) -> Self {
        self.loss = loss;
        self
    }

    /// Adds bursty loss (see [`GilbertElliott`] for the parameters).
    #[must_use]
    pub fn gilbert_elliott(
        mut self,
        good_to_bad: Probability,
        bad_to_good: Probability,
        loss_in_good: Probability,
        loss_in_bad: Probability,
    ) -> Self {
        self.gilbert_elliott = Some(GilbertElliott {
            good_to_bad,
            bad_to_good,
            loss_in_good,
            loss_in_bad,
        });
        self
    }

    /// Sets the chance that a datagram is delivered twice.
    #[must_use]
    pub fn duplicate(mut self, probability: Probability) -> Self {
        self.duplicate = probability;
        self
    }

    /// Holds back a share `probability` of datagrams by `extra_delay`, so
    /// the ones sent after them in that time overtake them.
    #[must_use]
    pub fn reorder(mut self, probability: Probability, extra_delay: Duration) -> Self {
        self.reorder = Some(Reorder {
            probability,
            extra_delay,
        });
        self
    }

    /// Limits the link to `bits_per_second` behind a queue of `queue_bytes`
    /// (see [`RateLimit`]). A rate of 0 removes the limit.
    #[must_use]
    pub fn rate(mut self, bits_per_second: u64, queue_bytes: usize) -> Self {
        self.rate = (bits_per_second > 0).then_some(RateLimit {
            bits_per_second,
            queue_bytes,
        });
        self
    }

    /// Adds an outage: datagrams sent in `[start, end)` are dropped. Call
    /// again for more outages.
    #[must_use]
    pub fn partition(mut self, start: Instant, end: Instant) -> Self {
        self.partitions.push(Partition { start, end });
        self
    }

    /// Sets the seed of the link's random generator.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_converts_to_rounded_parts_per_million() {
        assert_eq!(Probability::percent(1.5).as_per_million(), 15_000);
        assert_eq!(Probability::percent(0.00004).as_per_million(), 0);
        assert_eq!(Probability::percent(0.00005).as_per_million(), 1);
        assert_eq!(Probability::percent(100.0), Probability::ALWAYS);
        assert_eq!(Probability::percent(250.0), Probability::ALWAYS);
        assert_eq!(Probability::percent(-3.0), Probability::NEVER);
        assert_eq!(Probability::percent(f64::NAN), Probability::NEVER);
    }

    #[test]
    fn ratio_converts_and_a_zero_denominator_means_never() {
        assert_eq!(Probability::ratio(1, 50).as_per_million(), 20_000);
        assert_eq!(Probability::ratio(3, 2), Probability::ALWAYS);
        assert_eq!(Probability::ratio(1, 0), Probability::NEVER);
    }

    #[test]
    fn per_million_caps_at_always() {
        assert_eq!(Probability::per_million(2_000_000), Probability::ALWAYS);
    }

    #[test]
    fn a_zero_rate_removes_the_limit() {
        let config = LinkConfig::new().rate(1_000, 10).rate(0, 10);
        assert_eq!(config.rate, None);
    }

    #[test]
    fn a_partition_covers_its_start_but_not_its_end() {
        let p = Partition {
            start: Instant::from_micros(10),
            end: Instant::from_micros(20),
        };
        assert!(!p.contains(Instant::from_micros(9)));
        assert!(p.contains(Instant::from_micros(10)));
        assert!(p.contains(Instant::from_micros(19)));
        assert!(!p.contains(Instant::from_micros(20)));
    }
}

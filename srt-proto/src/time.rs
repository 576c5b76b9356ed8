//! Time: the crate's [`Instant`] and SRT's 32-bit microsecond wire timestamps.
//!
//! The crate never reads a clock: the embedder passes the current
//! [`Instant`] in. A connection keeps its time base (the instant it started)
//! and stamps packets with [`Timestamp::from_instant`], the microseconds since
//! then modulo 2^32, which wraps every 4294.967296 s (01:11:34.967).

use core::ops::{Add, AddAssign, Sub, SubAssign};
use core::time::Duration;

/// Saturating conversion of a [`Duration`] to whole microseconds.
fn duration_micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// A point in time, in microseconds from an arbitrary origin chosen by the
/// embedder. Adapters map `std::time::Instant` onto it; simulations start at 0.
///
/// Arithmetic with [`Duration`] saturates at the ends of the `u64` range
/// (and truncates durations to whole microseconds) instead of panicking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(u64);

impl Instant {
    /// The origin.
    pub const ZERO: Self = Self(0);

    /// The instant `micros` microseconds after the origin.
    pub const fn from_micros(micros: u64) -> Self {
        Self(micros)
    }

    /// Microseconds since the origin.
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// `self + d`, or `None` past the end of the range.
    pub fn checked_add(self, d: Duration) -> Option<Self> {
        u64::try_from(d.as_micros())
            .ok()
            .and_then(|us| self.0.checked_add(us))
            .map(Self)
    }

    /// `self - d`, or `None` before the origin.
    pub fn checked_sub(self, d: Duration) -> Option<Self> {
        u64::try_from(d.as_micros())
            .ok()
            .and_then(|us| self.0.checked_sub(us))
            .map(Self)
    }

    /// `self + d`, stopping at the largest instant.
    #[must_use]
    pub fn saturating_add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(duration_micros(d)))
    }

    /// `self - d`, stopping at the origin.
    #[must_use]
    pub fn saturating_sub(self, d: Duration) -> Self {
        Self(self.0.saturating_sub(duration_micros(d)))
    }

    /// Time elapsed from `earlier` to `self`, or zero if `earlier` is later.
    pub const fn duration_since(self, earlier: Self) -> Duration {
        Duration::from_micros(self.0.saturating_sub(earlier.0))
    }

    /// Time elapsed from `earlier` to `self`, or `None` if `earlier` is later.
    pub const fn checked_duration_since(self, earlier: Self) -> Option<Duration> {
        match self.0.checked_sub(earlier.0) {
            Some(us) => Some(Duration::from_micros(us)),
            None => None,
        }
    }
}

impl Add<Duration> for Instant {
    type Output = Self;
    /// Saturating: see [`Instant::saturating_add`].
    fn add(self, d: Duration) -> Self {
        self.saturating_add(d)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, d: Duration) {
        *self = self.saturating_add(d);
    }
}

impl Sub<Duration> for Instant {
    type Output = Self;
    /// Saturating: see [`Instant::saturating_sub`].
    fn sub(self, d: Duration) -> Self {
        self.saturating_sub(d)
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, d: Duration) {
        *self = self.saturating_sub(d);
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    /// Saturating: see [`Instant::duration_since`].
    fn sub(self, earlier: Instant) -> Duration {
        self.duration_since(earlier)
    }
}

/// A 32-bit SRT timestamp: microseconds since the connection's time base,
/// modulo 2^32, so it wraps every 2^32 µs (01:11:34.967, about 71.6 min).
///
/// It has no total order; compare two timestamps with
/// [`Timestamp::wrapping_diff`], which is right while they are less than
/// half a wrap (about 35.8 min) apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Timestamp(u32);

impl Timestamp {
    /// How long it takes the wire timestamp to wrap around: 2^32 µs.
    pub const WRAP_PERIOD: Duration = Duration::from_micros(1 << 32);

    /// A timestamp from its wire value.
    pub const fn new(raw: u32) -> Self {
        Self(raw)
    }

    /// The wire value.
    pub const fn as_u32(self) -> u32 {
        self.0
    }

    /// The wire timestamp of `now` on a connection whose time base is
    /// `time_base`: the microseconds between them, truncated modulo 2^32.
    /// An instant before the time base gives 0.
    pub const fn from_instant(now: Instant, time_base: Instant) -> Self {
        // Truncation is the point: the wire keeps the low 32 bits.
        Self(now.0.saturating_sub(time_base.0) as u32)
    }

    /// `self - earlier` in microseconds, taking the shorter way around the
    /// 2^32 circle: positive if `self` is after `earlier`.
    pub const fn wrapping_diff(self, earlier: Self) -> i32 {
        self.0.wrapping_sub(earlier.0) as i32
    }

    /// The time from `earlier` forward to `self`, assuming `self` is not
    /// before it (less than one wrap apart).
    pub const fn wrapping_duration_since(self, earlier: Self) -> Duration {
        Duration::from_micros(self.0.wrapping_sub(earlier.0) as u64)
    }

    /// The timestamp `d` later, wrapping.
    #[must_use]
    pub fn wrapping_add(self, d: Duration) -> Self {
        // Truncation is the point: only the low 32 bits count.
        Self(self.0.wrapping_add(d.as_micros() as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn adding_a_duration_moves_forward_in_microseconds() {
        let t = Instant::from_micros(1_000) + Duration::from_millis(2);
        assert_eq!(t.as_micros(), 3_000);
    }

    #[test]
    fn arithmetic_saturates_instead_of_panicking() {
        assert_eq!(
            Instant::from_micros(u64::MAX - 1) + Duration::from_secs(1),
            Instant::from_micros(u64::MAX)
        );
        assert_eq!(
            Instant::from_micros(5) - Duration::from_secs(1),
            Instant::ZERO
        );
        assert_eq!(
            Instant::ZERO + Duration::MAX,
            Instant::from_micros(u64::MAX)
        );
        assert_eq!(
            Instant::from_micros(5).checked_sub(Duration::from_micros(6)),
            None
        );
        assert_eq!(
            Instant::from_micros(u64::MAX).checked_add(Duration::from_micros(1)),
            None
        );
    }

    #[test]
    fn duration_since_a_later_instant_is_zero() {
        let (a, b) = (Instant::from_micros(10), Instant::from_micros(25));
        assert_eq!(b.duration_since(a), Duration::from_micros(15));
        assert_eq!(a.duration_since(b), Duration::ZERO);
        assert_eq!(a - b, Duration::ZERO);
        assert_eq!(a.checked_duration_since(b), None);
    }

    #[test]
    fn sub_microsecond_durations_are_truncated() {
        assert_eq!(
            Instant::ZERO + Duration::from_nanos(1_999),
            Instant::from_micros(1)
        );
    }

    #[test]
    fn timestamp_is_micros_since_time_base() {
        let base = Instant::from_micros(7_000_000);
        let now = base + Duration::from_micros(123_456);
        assert_eq!(Timestamp::from_instant(now, base).as_u32(), 123_456);
    }

    #[test]
    fn timestamp_wraps_after_71_minutes_35_seconds() {
        let base = Instant::from_micros(42);
        assert_eq!(Timestamp::WRAP_PERIOD, Duration::from_micros(4_294_967_296));
        assert!(Timestamp::WRAP_PERIOD < Duration::from_secs(71 * 60 + 35));
        assert!(Timestamp::WRAP_PERIOD > Duration::from_secs(71 * 60 + 34));
        let just_after = base + Timestamp::WRAP_PERIOD + Duration::from_micros(5);
        assert_eq!(Timestamp::from_instant(just_after, base).as_u32(), 5);
    }

    #[test]
    fn timestamp_before_time_base_is_zero() {
        let ts = Timestamp::from_instant(Instant::from_micros(1), Instant::from_micros(2));
        assert_eq!(ts, Timestamp::new(0));
    }

    #[test]
    fn timestamp_difference_across_the_wrap_is_small() {
        let before = Timestamp::new(u32::MAX - 9);
        let after = Timestamp::new(10);
        assert_eq!(after.wrapping_diff(before), 20);
        assert_eq!(before.wrapping_diff(after), -20);
        assert_eq!(
            after.wrapping_duration_since(before),
            Duration::from_micros(20)
        );
        assert_eq!(before.wrapping_add(Duration::from_micros(20)), after);
    }

    proptest! {
        #[test]
        fn wire_timestamps_differ_like_instants(base in 0u64..1 << 40, a in 0u64..1 << 40, d in 0u64..(1 << 31)) {
            let base = Instant::from_micros(base);
            let t1 = base + Duration::from_micros(a);
            let t2 = t1 + Duration::from_micros(d);
            let (w1, w2) = (Timestamp::from_instant(t1, base), Timestamp::from_instant(t2, base));
            prop_assert_eq!(w2.wrapping_duration_since(w1), t2 - t1);
            prop_assert_eq!(i64::from(w1.wrapping_diff(w2)), -(d as i64));
        }
    }
}

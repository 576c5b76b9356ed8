//! The one place `std::time::Instant` and [`srt_proto::time::Instant`] meet.

use srt_proto::time::Instant as ProtoInstant;
use std::time::{Duration, Instant};

/// Maps wall-clock instants onto the protocol clock of one endpoint:
/// protocol time is microseconds since the clock's origin.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    origin: Instant,
}

impl Clock {
    /// A clock whose protocol time zero is now.
    pub(crate) fn start() -> Self {
        Self {
            origin: Instant::now(),
        }
    }

    /// Protocol time now.
    pub(crate) fn now(self) -> ProtoInstant {
        self.to_proto(Instant::now())
    }

    /// `at` on the protocol clock (instants before the origin map to zero).
    pub(crate) fn to_proto(self, at: Instant) -> ProtoInstant {
        let micros = at.saturating_duration_since(self.origin).as_micros();
        ProtoInstant::from_micros(u64::try_from(micros).unwrap_or(u64::MAX))
    }

    /// `at` on the wall clock.
    pub(crate) fn to_std(self, at: ProtoInstant) -> Instant {
        let since = Duration::from_micros(at.as_micros());
        self.origin
            .checked_add(since)
            .unwrap_or(self.origin + Duration::from_secs(86_400 * 365))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wall_instant_maps_to_the_protocol_clock_and_back_to_the_microsecond() {
        let clock = Clock::start();
        let at = Instant::now() + Duration::from_millis(1234);
        let back = clock.to_std(clock.to_proto(at));
        let diff = if back > at { back - at } else { at - back };
        assert!(diff < Duration::from_micros(1), "{diff:?}");
    }

    #[test]
    fn instants_before_the_origin_map_to_protocol_zero() {
        let before = Instant::now();
        let clock = Clock::start();
        std::thread::sleep(Duration::from_millis(1));
        assert_eq!(clock.to_proto(before), ProtoInstant::ZERO);
    }
}

//! Round-trip time estimation as libsrt does it: 100 ms / 50 ms before the
//! first sample, then `rtt = 7/8·rtt + 1/8·sample` and
//! `rttvar = 3/4·rttvar + 1/4·|rtt − sample|` (`avg_iir<8>`, `avg_iir<4>`).

use core::time::Duration;

/// libsrt's RTT before any measurement, µs.
pub(crate) const INITIAL_RTT_US: u32 = 100_000;
/// libsrt's RTT variance before any measurement, µs.
pub(crate) const INITIAL_RTT_VAR_US: u32 = 50_000;

/// A smoothed RTT and its variance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rtt {
    rtt: u32,
    var: u32,
    measured: bool,
}

impl Default for Rtt {
    fn default() -> Self {
        Self {
            rtt: INITIAL_RTT_US,
            var: INITIAL_RTT_VAR_US,
            measured: false,
        }
    }
}

impl Rtt {
    /// Starts from an RTT known beforehand (from the handshake), µs, with
    /// half of it as the variance; still replaced by the first sample.
    pub(crate) fn starting_at(rtt: u32) -> Self {
        Self {
            rtt,
            var: rtt / 2,
            measured: false,
        }
    }

    /// Folds in a sample (µs). The first sample replaces the defaults:
    /// `rtt = sample`, `rttvar = sample / 2`.
    pub(crate) fn update(&mut self, sample: u32) {
        if !self.measured {
            self.rtt = sample;
            self.var = sample / 2;
            self.measured = true;
            return;
        }
        let diff = self.rtt.abs_diff(sample);
        self.var = iir(self.var, diff, 4);
        self.rtt = iir(self.rtt, sample, 8);
    }

    /// Smoothed RTT, µs.
    pub(crate) fn rtt_us(&self) -> u32 {
        self.rtt
    }

    /// RTT variance, µs.
    pub(crate) fn var_us(&self) -> u32 {
        self.var
    }

    /// Whether a sample was taken.
    pub(crate) fn is_measured(&self) -> bool {
        self.measured
    }

    /// `RTT + 4·RTTVar`.
    pub(crate) fn rto(&self) -> Duration {
        Duration::from_micros(u64::from(self.rtt) + 4 * u64::from(self.var))
    }
}

/// `old + (sample − old) / n` in integers, as libsrt's `avg_iir`.
fn iir(old: u32, sample: u32, n: i64) -> u32 {
    let v = i64::from(old) + (i64::from(sample) - i64::from(old)) / n;
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_100_ms_and_50_ms() {
        let r = Rtt::default();
        assert_eq!((r.rtt_us(), r.var_us()), (100_000, 50_000));
        assert!(!r.is_measured());
    }

    #[test]
    fn a_handshake_rtt_is_a_starting_point_the_first_sample_replaces() {
        let mut r = Rtt::starting_at(40_000);
        assert_eq!((r.rtt_us(), r.var_us()), (40_000, 20_000));
        r.update(30_000);
        assert_eq!((r.rtt_us(), r.var_us()), (30_000, 15_000));
    }

    #[test]
    fn the_first_sample_replaces_the_defaults() {
        let mut r = Rtt::default();
        r.update(40_000);
        assert_eq!((r.rtt_us(), r.var_us()), (40_000, 20_000));
    }

    #[test]
    fn later_samples_are_smoothed_by_eighths_and_quarters() {
        let mut r = Rtt::default();
        r.update(40_000);
        r.update(48_000);
        // var = 20000 + (8000 − 20000)/4 = 17000; rtt = 40000 + 8000/8 = 41000
        assert_eq!((r.rtt_us(), r.var_us()), (41_000, 17_000));
        assert_eq!(r.rto(), Duration::from_micros(41_000 + 68_000));
    }
}

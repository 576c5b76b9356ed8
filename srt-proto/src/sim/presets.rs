//! Ready-made [`LinkConfig`]s for common paths, one direction each.
//!
//! The numbers are typical, not measured from any one network; they are
//! meant to give a protocol something realistic to chew on. Adjust any of
//! them with the builder methods, e.g. `LinkConfig::wifi().seed(7)`.
//!
//! | preset | latency ± jitter | random loss | bursts (G→B, B→G, loss in bad) | extras | rate / queue |
//! |---|---|---|---|---|---|
//! | [`lan`](LinkConfig::lan) | 0.2 ms ± 0.05 ms | 0 | none | | 1 Gbit/s / 256 KiB |
//! | [`wifi`](LinkConfig::wifi) | 5 ms ± 2 ms | 0.1 % | 0.2 %, 25 %, 60 % | | 40 Mbit/s / 128 KiB |
//! | [`cellular`](LinkConfig::cellular) | 40 ms ± 15 ms | 0.5 % | 0.1 %, 10 %, 50 % | reorder 0.1 % by 10 ms | 10 Mbit/s / 256 KiB |
//! | [`satellite`](LinkConfig::satellite) | 300 ms ± 5 ms | 0.5 % | 0.05 %, 5 %, 80 % | | 20 Mbit/s / 1 MiB |
//! | [`lossy_internet`](LinkConfig::lossy_internet) | 50 ms ± 10 ms | 2 % | 1 %, 20 %, 40 % | duplicate 0.1 %, reorder 1 % by 5 ms | 20 Mbit/s / 512 KiB |

use core::time::Duration;

use super::config::{LinkConfig, Probability};

/// Shorthand for a percentage.
fn pct(percent: f64) -> Probability {
    Probability::percent(percent)
}

impl LinkConfig {
    /// A wired local network: 0.2 ms ± 0.05 ms, no loss, 1 Gbit/s behind a
    /// 256 KiB queue.
    pub fn lan() -> Self {
        Self::new()
            .latency(Duration::from_micros(200))
            .jitter(Duration::from_micros(50))
            .rate(1_000_000_000, 256 * 1024)
    }

    /// Wi-Fi: 5 ms ± 2 ms, 0.1 % random loss plus bursts (0.2 % chance per
    /// datagram to enter a bad spell lasting 4 datagrams on average, losing
    /// 60 % in it), 40 Mbit/s behind a 128 KiB queue.
    pub fn wifi() -> Self {
        Self::new()
            .latency(Duration::from_millis(5))
            .jitter(Duration::from_millis(2))
            .loss(pct(0.1))
            .gilbert_elliott(pct(0.2), pct(25.0), Probability::NEVER, pct(60.0))
            .rate(40_000_000, 128 * 1024)
    }

    /// A mobile (4G-like) uplink: 40 ms ± 15 ms, 0.5 % random loss plus
    /// bursts (0.1 % to enter, 10 datagrams on average, 50 % lost),
    /// 0.1 % of datagrams held back 10 ms, 10 Mbit/s behind a 256 KiB queue.
    pub fn cellular() -> Self {
        Self::new()
            .latency(Duration::from_millis(40))
            .jitter(Duration::from_millis(15))
            .loss(pct(0.5))
            .gilbert_elliott(pct(0.1), pct(10.0), Probability::NEVER, pct(50.0))
            .reorder(pct(0.1), Duration::from_millis(10))
            .rate(10_000_000, 256 * 1024)
    }

    /// A geostationary satellite hop: 300 ms ± 5 ms, 0.5 % random loss plus
    /// rare long fades (0.05 % to enter, 20 datagrams on average, 80 %
    /// lost), 20 Mbit/s behind a 1 MiB queue.
    pub fn satellite() -> Self {
        Self::new()
            .latency(Duration::from_millis(300))
            .jitter(Duration::from_millis(5))
            .loss(pct(0.5))
            .gilbert_elliott(pct(0.05), pct(5.0), Probability::NEVER, pct(80.0))
            .rate(20_000_000, 1024 * 1024)
    }

    /// A bad long-distance internet path: 50 ms ± 10 ms, 2 % random loss
    /// plus bursts (1 % to enter, 5 datagrams on average, 40 % lost), 0.1 %
    /// duplicated, 1 % held back 5 ms, 20 Mbit/s behind a 512 KiB queue.
    pub fn lossy_internet() -> Self {
        Self::new()
            .latency(Duration::from_millis(50))
            .jitter(Duration::from_millis(10))
            .loss(pct(2.0))
            .gilbert_elliott(pct(1.0), pct(20.0), Probability::NEVER, pct(40.0))
            .duplicate(pct(0.1))
            .reorder(pct(1.0), Duration::from_millis(5))
            .rate(20_000_000, 512 * 1024)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_order_by_latency_as_documented() {
        let latencies = [
            LinkConfig::lan().latency,
            LinkConfig::wifi().latency,
            LinkConfig::cellular().latency,
            LinkConfig::lossy_internet().latency,
            LinkConfig::satellite().latency,
        ];
        assert!(latencies.windows(2).all(|w| matches!(w, [a, b] if a < b)));
    }

    #[test]
    fn only_the_lan_preset_is_lossless() {
        assert!(LinkConfig::lan().loss.is_never());
        assert!(LinkConfig::lan().gilbert_elliott.is_none());
        for lossy in [
            LinkConfig::wifi(),
            LinkConfig::cellular(),
            LinkConfig::satellite(),
            LinkConfig::lossy_internet(),
        ] {
            assert!(!lossy.loss.is_never());
        }
    }
}

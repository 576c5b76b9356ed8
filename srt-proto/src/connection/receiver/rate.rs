//! The receiver's arrival-rate and link-capacity estimates for full ACKs
//! (libsrt `CPktTimeWindow`): the median-filtered inter-arrival time of the
//! last 16 packets, and the median gap of the last 64 probe pairs (the
//! packets whose sequence numbers end in 0x0 and 0x1 in hex, sent back to
//! back).

use crate::seq::SeqNumber;
use crate::time::Instant;

const ARRIVALS: usize = 16;
const PROBES: usize = 64;

#[derive(Debug, Clone)]
pub(crate) struct RateWindow {
    intervals: [u32; ARRIVALS],
    sizes: [u32; ARRIVALS],
    next: usize,
    filled: usize,
    last_arrival: Option<Instant>,
    probes: [u32; PROBES],
    probe_next: usize,
    probe_filled: usize,
    probe_start: Option<(SeqNumber, Instant)>,
}

impl Default for RateWindow {
    fn default() -> Self {
        Self {
            intervals: [0; ARRIVALS],
            sizes: [0; ARRIVALS],
            next: 0,
            filled: 0,
            last_arrival: None,
            probes: [0; PROBES],
            probe_next: 0,
            probe_filled: 0,
            probe_start: None,
        }
    }
}

impl RateWindow {
    /// Records a data packet's arrival.
    pub(crate) fn on_arrival(
        &mut self,
        seq: SeqNumber,
        payload: usize,
        retransmitted: bool,
        now: Instant,
    ) {
        if let Some(last) = self.last_arrival {
            let gap = u32::try_from(now.duration_since(last).as_micros()).unwrap_or(u32::MAX);
            if let (Some(i), Some(s)) = (
                self.intervals.get_mut(self.next),
                self.sizes.get_mut(self.next),
            ) {
                *i = gap;
                *s = u32::try_from(payload).unwrap_or(u32::MAX);
            }
            self.next = (self.next + 1) % ARRIVALS;
            self.filled = (self.filled + 1).min(ARRIVALS);
        }
        self.last_arrival = Some(now);
        // Probe pairs: ...0 then ...1, neither retransmitted.
        if retransmitted {
            self.probe_start = None;
            return;
        }
        match seq.as_u32() & 0xF {
            0 => self.probe_start = Some((seq, now)),
            1 => {
                if let Some((first, t)) = self.probe_start.take()
                    && first.next() == seq
                {
                    let gap = u32::try_from(now.duration_since(t).as_micros()).unwrap_or(u32::MAX);
                    if let Some(p) = self.probes.get_mut(self.probe_next) {
                        *p = gap.max(1);
                    }
                    self.probe_next = (self.probe_next + 1) % PROBES;
                    self.probe_filled = (self.probe_filled + 1).min(PROBES);
                }
            }
            _ => {}
        }
    }

    /// Packets and bytes per second received, from the median-filtered
    /// inter-arrival times (0 until the window is full).
    pub(crate) fn receive_rate(&self) -> (u32, u32) {
        if self.filled < ARRIVALS {
            return (0, 0);
        }
        let mut sorted = self.intervals;
        sorted.sort_unstable();
        let median = u64::from(sorted.get(ARRIVALS / 2).copied().unwrap_or(0));
        let (lo, hi) = (median / 8, median.saturating_mul(8));
        let (mut count, mut sum, mut bytes) = (0u64, 0u64, 0u64);
        for (i, s) in self.intervals.iter().zip(self.sizes.iter()) {
            let i = u64::from(*i);
            if i > lo && i < hi {
                count += 1;
                sum += i;
                bytes += u64::from(*s);
            }
        }
        if count <= ARRIVALS as u64 / 2 || sum == 0 {
            return (0, 0);
        }
        let pps = count * 1_000_000 / sum;
        let bps = bytes * 1_000_000 / sum;
        (
            u32::try_from(pps).unwrap_or(u32::MAX),
            u32::try_from(bps).unwrap_or(u32::MAX),
        )
    }

    /// Estimated link capacity, packets per second (0 before any probe).
    pub(crate) fn bandwidth(&self) -> u32 {
        if self.probe_filled == 0 {
            return 0;
        }
        let mut sorted = self.probes;
        let window = sorted.get_mut(..self.probe_filled).unwrap_or_default();
        window.sort_unstable();
        let median = u64::from(window.get(window.len() / 2).copied().unwrap_or(1)).max(1);
        u32::try_from(1_000_000 / median).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_arrivals_every_millisecond_are_1000_packets_per_second() {
        let mut w = RateWindow::default();
        for i in 0..20u32 {
            w.on_arrival(
                SeqNumber::new(i + 2),
                1000,
                false,
                Instant::from_micros(u64::from(i) * 1000),
            );
        }
        assert_eq!(w.receive_rate(), (1000, 1_000_000));
    }

    #[test]
    fn probe_pairs_give_the_link_capacity() {
        let mut w = RateWindow::default();
        w.on_arrival(SeqNumber::new(16), 1000, false, Instant::from_micros(1000));
        w.on_arrival(SeqNumber::new(17), 1000, false, Instant::from_micros(1100));
        assert_eq!(w.bandwidth(), 10_000);
    }
}

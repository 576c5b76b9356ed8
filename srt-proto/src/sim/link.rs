//! [`Link`]: one direction of a simulated path, itself a Sans-I/O state
//! machine. Datagrams go in with [`Link::send`] and come out at their
//! delivery time from [`Link::poll_deliver`].

use alloc::collections::{BinaryHeap, VecDeque};
use core::cmp::{Ordering, Reverse};
use core::net::SocketAddr;
use core::time::Duration;

use bytes::Bytes;
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

use super::config::{LinkConfig, Probability};
use crate::time::Instant;

/// A UDP datagram in the simulation: what a node transmits and what a link
/// carries and delivers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Datagram {
    /// The sender's address.
    pub from: SocketAddr,
    /// The receiver's address.
    pub to: SocketAddr,
    /// The payload.
    pub data: Bytes,
}

/// Counters of what a [`Link`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LinkStats {
    /// Datagrams handed to [`Link::send`].
    pub sent: u64,
    /// Datagrams handed out by [`Link::poll_deliver`], duplicates included.
    pub delivered: u64,
    /// Dropped by the independent random loss.
    pub dropped_random: u64,
    /// Dropped by the Gilbert-Elliott bursty loss.
    pub dropped_burst: u64,
    /// Dropped because the rate limit's queue was full (copies included).
    pub dropped_queue: u64,
    /// Dropped because they were sent during a partition.
    pub dropped_partition: u64,
    /// Extra copies made.
    pub duplicated: u64,
    /// Datagrams (copies included) held back so that later ones overtake.
    pub reordered: u64,
}

/// Why a link dropped a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// The independent random loss.
    Random,
    /// The Gilbert-Elliott bursty loss.
    Burst,
    /// The rate limit's queue was full.
    Queue,
    /// The link was partitioned.
    Partition,
}

/// What [`Link::send`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendOutcome {
    /// The datagram will be delivered.
    Scheduled {
        /// When it will be delivered.
        at: Instant,
        /// When its duplicate will be delivered, if one was made and fitted
        /// in the queue.
        duplicate_at: Option<Instant>,
    },
    /// The datagram was dropped.
    Dropped(DropReason),
}

/// A datagram waiting for its delivery time.
#[derive(Debug, Clone)]
struct Scheduled {
    at: Instant,
    /// Send order, the tie-breaker: equal delivery times go out FIFO.
    seq: u64,
    datagram: Datagram,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Scheduled {}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// One direction of a simulated path: latency, jitter, loss (random and
/// bursty), duplication, reordering, a rate limit with a tail-drop queue,
/// and partitions, every decision drawn from a generator seeded with
/// [`LinkConfig::seed`]. The same config and the same sends give the same
/// deliveries, always.
///
/// # Ordering
/// Jitter does not reorder. Like netem once a rate is set, a datagram's
/// delivery time is `max(previous delivery, departure + latency ± jitter)`,
/// so jitter bunches datagrams up instead of swapping them: real paths
/// reorder rarely, and a receiver's reordering logic should be exercised on
/// purpose with [`LinkConfig::reorder`], not by accident. Datagrams due at
/// the same instant come out in the order they were sent. A held-back
/// (reordered) datagram does not hold up the ones after it.
///
/// # Rate limit
/// With [`LinkConfig::rate`], datagrams wait in a FIFO queue for a
/// transmitter that sends `bits_per_second`; a datagram departs when its last
/// bit is sent (kept to the nanosecond so the rate stays exact for small
/// datagrams), then meets latency and jitter. A datagram that would make the
/// queued bytes exceed `queue_bytes` is dropped and counted in
/// [`LinkStats::dropped_queue`].
///
/// ```
/// use bytes::Bytes;
/// use core::time::Duration;
/// use srt_proto::sim::{Datagram, Link, LinkConfig};
/// use srt_proto::time::Instant;
///
/// let mut link = Link::new(LinkConfig::new().latency(Duration::from_millis(10)));
/// let datagram = Datagram {
///     from: "10.0.0.1:9000".parse().unwrap(),
///     to: "10.0.0.2:9000".parse().unwrap(),
///     data: Bytes::from_static(b"hello"),
/// };
/// link.send(Instant::ZERO, datagram.clone());
/// assert_eq!(link.next_delivery(), Some(Instant::from_micros(10_000)));
/// assert_eq!(link.poll_deliver(Instant::from_micros(9_999)), None);
/// assert_eq!(link.poll_deliver(Instant::from_micros(10_000)), Some(datagram));
/// ```
#[derive(Debug, Clone)]
pub struct Link {
    config: LinkConfig,
    rng: ChaCha8Rng,
    in_flight: BinaryHeap<Reverse<Scheduled>>,
    next_seq: u64,
    /// No in-order datagram is delivered before this (FIFO under jitter).
    fifo_floor: Instant,
    /// The last `now` seen: time never runs backwards.
    last_now: Instant,
    /// When the transmitter finishes what it has been given, in ns.
    busy_until_ns: u64,
    /// Datagrams in the rate limit's queue: (transmission end in ns, bytes).
    queue: VecDeque<(u64, usize)>,
    queued_bytes: usize,
    /// Gilbert-Elliott state.
    in_bad_state: bool,
    stats: LinkStats,
}

impl Link {
    /// A link that behaves as `config` says, seeded with `config.seed`.
    pub fn new(config: LinkConfig) -> Self {
        let rng = ChaCha8Rng::seed_from_u64(config.seed);
        Self {
            config,
            rng,
            in_flight: BinaryHeap::new(),
            next_seq: 0,
            fifo_floor: Instant::ZERO,
            last_now: Instant::ZERO,
            busy_until_ns: 0,
            queue: VecDeque::new(),
            queued_bytes: 0,
            in_bad_state: false,
            stats: LinkStats::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &LinkConfig {
        &self.config
    }

    /// Changes how the link behaves from now on (e.g. to start an outage
    /// at a time decided during the run), keeping what is in flight, the
    /// queue, the counters and the random generator; `config.seed` is
    /// ignored.
    pub fn reconfigure(&mut self, config: LinkConfig) {
        self.config = config;
    }

    /// The counters so far.
    pub fn stats(&self) -> &LinkStats {
        &self.stats
    }

    /// Datagrams scheduled but not yet delivered.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Offers a datagram to the link at `now`: decides whether it is dropped,
    /// duplicated, queued and delayed, and schedules its delivery. A `now`
    /// earlier than one seen before is taken as that one.
    pub fn send(&mut self, now: Instant, datagram: Datagram) -> SendOutcome {
        let now = now.max(self.last_now);
        self.last_now = now;
        self.stats.sent = self.stats.sent.saturating_add(1);

        if self.config.partitions.iter().any(|p| p.contains(now)) {
            self.stats.dropped_partition = self.stats.dropped_partition.saturating_add(1);
            return SendOutcome::Dropped(DropReason::Partition);
        }
        if let Some(ge) = self.config.gilbert_elliott {
            let flip = if self.in_bad_state {
                ge.bad_to_good
            } else {
                ge.good_to_bad
            };
            if self.chance(flip) {
                self.in_bad_state = !self.in_bad_state;
            }
            let loss = if self.in_bad_state {
                ge.loss_in_bad
            } else {
                ge.loss_in_good
            };
            if self.chance(loss) {
                self.stats.dropped_burst = self.stats.dropped_burst.saturating_add(1);
                return SendOutcome::Dropped(DropReason::Burst);
            }
        }
        if self.chance(self.config.loss) {
            self.stats.dropped_random = self.stats.dropped_random.saturating_add(1);
            return SendOutcome::Dropped(DropReason::Random);
        }

        let duplicate = self.chance(self.config.duplicate);
        let copy = duplicate.then(|| datagram.clone());
        let Some(at) = self.schedule(now, datagram) else {
            return SendOutcome::Dropped(DropReason::Queue);
        };
        let duplicate_at = copy.and_then(|copy| {
            self.stats.duplicated = self.stats.duplicated.saturating_add(1);
            self.schedule(now, copy)
        });
        SendOutcome::Scheduled { at, duplicate_at }
    }

    /// When the next datagram is due, if any is in flight.
    pub fn next_delivery(&self) -> Option<Instant> {
        self.in_flight.peek().map(|Reverse(s)| s.at)
    }

    /// The next datagram due at or before `now`, if any. Call until it
    /// returns `None` to collect everything due.
    pub fn poll_deliver(&mut self, now: Instant) -> Option<Datagram> {
        let now = now.max(self.last_now);
        self.last_now = now;
        if self.next_delivery()? > now {
            return None;
        }
        let Reverse(scheduled) = self.in_flight.pop()?;
        self.stats.delivered = self.stats.delivered.saturating_add(1);
        Some(scheduled.datagram)
    }

    /// Queues, delays and schedules one datagram; `None` if the queue is full.
    fn schedule(&mut self, now: Instant, datagram: Datagram) -> Option<Instant> {
        let departure = match self.transmit(now, datagram.data.len()) {
            Some(departure) => departure,
            None => {
                self.stats.dropped_queue = self.stats.dropped_queue.saturating_add(1);
                return None;
            }
        };
        let at = self.delay(departure);
        let held_back = match self.config.reorder {
            Some(reorder) => self
                .chance(reorder.probability)
                .then_some(reorder.extra_delay),
            None => None,
        };
        let at = match held_back {
            Some(extra) => {
                self.stats.reordered = self.stats.reordered.saturating_add(1);
                at.max(self.fifo_floor) + extra
            }
            None => {
                let at = at.max(self.fifo_floor);
                self.fifo_floor = at;
                at
            }
        };
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        self.in_flight
            .push(Reverse(Scheduled { at, seq, datagram }));
        Some(at)
    }

    /// When a datagram of `len` bytes offered at `now` leaves the rate
    /// limit's transmitter, or `None` if the queue has no room for it.
    fn transmit(&mut self, now: Instant, len: usize) -> Option<Instant> {
        let Some(rate) = self.config.rate.filter(|r| r.bits_per_second > 0) else {
            return Some(now);
        };
        let now_ns = now.as_micros().saturating_mul(1_000);
        while let Some(&(end_ns, bytes)) = self.queue.front() {
            if end_ns > now_ns {
                break;
            }
            self.queue.pop_front();
            self.queued_bytes = self.queued_bytes.saturating_sub(bytes);
        }
        if self.queued_bytes.saturating_add(len) > rate.queue_bytes {
            return None;
        }
        let bits = u128::try_from(len).unwrap_or(u128::MAX).saturating_mul(8);
        let serialisation_ns = bits
            .saturating_mul(1_000_000_000)
            .checked_div(u128::from(rate.bits_per_second))
            .unwrap_or(0);
        let serialisation_ns = u64::try_from(serialisation_ns).unwrap_or(u64::MAX);
        let end_ns = self
            .busy_until_ns
            .max(now_ns)
            .saturating_add(serialisation_ns);
        self.busy_until_ns = end_ns;
        self.queue.push_back((end_ns, len));
        self.queued_bytes = self.queued_bytes.saturating_add(len);
        // Departure rounded up to the next whole microsecond.
        Some(Instant::from_micros(end_ns.div_ceil(1_000)))
    }

    /// `departure + latency ± jitter`, never before `departure`.
    fn delay(&mut self, departure: Instant) -> Instant {
        let base = departure + self.config.latency;
        let jitter_us = u64::try_from(self.config.jitter.as_micros()).unwrap_or(u64::MAX / 4);
        if jitter_us == 0 {
            return base;
        }
        let span = jitter_us.saturating_mul(2).saturating_add(1);
        let draw = self.rng.next_u64() % span;
        let at = if draw >= jitter_us {
            base + Duration::from_micros(draw - jitter_us)
        } else {
            base - Duration::from_micros(jitter_us - draw)
        };
        at.max(departure)
    }

    /// One seeded draw: true with probability `p`. `NEVER` and `ALWAYS` draw
    /// nothing, so turning a feature off does not shift the random sequence
    /// of the others.
    fn chance(&mut self, p: Probability) -> bool {
        match p.as_per_million() {
            0 => false,
            1_000_000.. => true,
            ppm => {
                // Scales a uniform u32 onto [0, 1e6) without modulo bias
                // worth mentioning.
                let draw = (u64::from(self.rng.next_u32()) * 1_000_000) >> 32;
                draw < u64::from(ppm)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn datagram() -> Datagram {
        let addr = SocketAddr::from(([10, 0, 0, 1], 9000));
        Datagram {
            from: addr,
            to: addr,
            data: Bytes::from_static(b"x"),
        }
    }

    fn drops(config: LinkConfig) -> alloc::vec::Vec<bool> {
        let mut link = Link::new(config);
        (0..1_000)
            .map(|_| {
                matches!(
                    link.send(Instant::ZERO, datagram()),
                    SendOutcome::Dropped(_)
                )
            })
            .collect()
    }

    #[test]
    fn certain_outcomes_draw_nothing_so_the_other_decisions_stay_put() {
        let lossy = LinkConfig::new().loss(Probability::percent(30.0)).seed(8);
        let also_duplicating = lossy.clone().duplicate(Probability::ALWAYS);
        assert_eq!(drops(lossy.clone()), drops(also_duplicating));
        let half_duplicating = lossy.clone().duplicate(Probability::percent(50.0));
        assert_ne!(drops(lossy), drops(half_duplicating));
    }

    #[test]
    fn reconfiguring_keeps_what_is_in_flight() {
        let mut link = Link::new(LinkConfig::new().latency(Duration::from_millis(5)));
        link.send(Instant::ZERO, datagram());
        link.reconfigure(LinkConfig::new().loss(Probability::ALWAYS));
        assert_eq!(
            link.send(Instant::ZERO, datagram()),
            SendOutcome::Dropped(DropReason::Random)
        );
        assert_eq!(link.in_flight(), 1);
        assert_eq!(link.next_delivery(), Some(Instant::from_micros(5_000)));
    }
}

//! The receiving half of a connection: receive buffer, loss list, ACK and
//! NAK, RTT from ACKACK, TSBPD delivery with drift tracking, too-late drop,
//! message reassembly and decryption.

mod ack;
mod buffer;
mod delivery;
mod group;
mod loss;
mod rate;
mod tsbpd;

use super::ConnectionEvent;
use super::rtt::Rtt;
use super::stats::Counters;
use crate::crypto::KeyPair;
use crate::packet::{
    Ack, AckInfo, ControlBody, DataPacket, EncryptionKeySpec, LossList as WireLossList,
};
#[cfg(test)]
use crate::seq::MsgNumber;
use crate::seq::{SeqNumber, SeqRange};
use crate::time::{Instant, Timestamp};
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use buffer::{Entry, Insert, ReceiveBuffer};
use bytes::Bytes;
use core::time::Duration;
use loss::{FreshLoss, LossList};
use rate::RateWindow;
pub(crate) use tsbpd::TsbpdClock;

/// libsrt's `COMM_SYN_INTERVAL_US`: the full ACK period.
pub(crate) const ACK_INTERVAL: Duration = Duration::from_millis(10);
/// libsrt's `SELF_CLOCK_INTERVAL`: a light ACK every this many packets.
pub(crate) const LIGHT_ACK_PACKETS: u32 = 64;

/// What the receiver needs to know from the handshake and the options.
#[derive(Debug, Clone)]
pub(crate) struct ReceiverConfig {
    pub(crate) initial_seq: SeqNumber,
    /// Packets the buffer holds at most.
    pub(crate) capacity: usize,
    pub(crate) latency: Duration,
    /// TSBPD delivery (live mode); otherwise deliver as soon as in order.
    pub(crate) tsbpd: bool,
    /// Too-late packet drop.
    pub(crate) tlpktdrop: bool,
    /// Periodic NAK reports.
    pub(crate) nak_report: bool,
    pub(crate) drift_tracer: bool,
    /// Reorder tolerance, packets.
    pub(crate) loss_max_ttl: u32,
    /// Message API (a message may span packets) or stream API.
    pub(crate) message_api: bool,
    /// Most NAK words in one packet.
    pub(crate) max_nak_words: usize,
    /// Divisor of `RTT + 4·RTTVar` for the periodic NAK interval.
    pub(crate) nak_report_accel: u32,
    /// Floor of the periodic NAK interval.
    pub(crate) min_nak_interval: Duration,
    /// The RTT known from the handshake, if any.
    pub(crate) initial_rtt: Option<Duration>,
}

/// A message ready for the application (what the tests read back from
/// the [`ConnectionEvent::Message`] the receiver queues).
#[cfg(test)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Delivery {
    pub(crate) data: Bytes,
    pub(crate) msg_number: MsgNumber,
    pub(crate) src_time: Instant,
    pub(crate) delivered_at: Instant,
}

/// The receiving half.
#[derive(Debug)]
pub(crate) struct Receiver {
    cfg: ReceiverConfig,
    buf: ReceiveBuffer,
    loss: LossList,
    fresh: VecDeque<FreshLoss>,
    /// One past the highest sequence number received.
    next_expected: SeqNumber,
    tsbpd: TsbpdClock,
    rtt: Rtt,
    rate: RateWindow,
    keys: Option<KeyPair>,
    scratch: Vec<u8>,
    // ACK state
    ack_number: u32,
    history: VecDeque<ack::SentAck>,
    last_ack_seq: SeqNumber,
    last_ack_time: Option<Instant>,
    last_full_ack_time: Option<Instant>,
    last_ackacked: SeqNumber,
    next_ack: Instant,
    packets_since_ack: u32,
    light_acks: u32,
    next_nak: Option<Instant>,
    // outputs
    control: VecDeque<ControlBody>,
    /// Delivered messages, already in the form the connection hands out,
    /// so they move to its queue without being rebuilt.
    delivered: VecDeque<ConnectionEvent>,
    // statistics
    pub(crate) counters: Counters,
    reorder_distance: u32,
    /// libsrt's `m_iReorderTolerance`: starts at `SRTO_LOSSMAXTTL`, grows
    /// (up to it) with the reordering seen, shrinks when packets keep
    /// coming in order.
    reorder_tolerance: u32,
    consec_ordered: u32,
    consec_early: u32,
    belated_time_sum: u64,
}

impl Receiver {
    pub(crate) fn new(cfg: ReceiverConfig, keys: Option<KeyPair>, now: Instant) -> Self {
        let isn = cfg.initial_seq;
        Self {
            buf: ReceiveBuffer::new(isn, cfg.capacity),
            loss: LossList::default(),
            fresh: VecDeque::new(),
            next_expected: isn,
            tsbpd: TsbpdClock::new(cfg.latency, cfg.drift_tracer),
            rtt: cfg.initial_rtt.map_or_else(Rtt::default, |r| {
                Rtt::starting_at(u32::try_from(r.as_micros()).unwrap_or(u32::MAX))
            }),
            rate: RateWindow::default(),
            keys,
            scratch: Vec::new(),
            ack_number: 0,
            history: VecDeque::new(),
            last_ack_seq: isn,
            last_ack_time: None,
            last_full_ack_time: None,
            last_ackacked: isn,
            next_ack: now + ACK_INTERVAL,
            packets_since_ack: 0,
            light_acks: 1,
            next_nak: None,
            control: VecDeque::new(),
            delivered: VecDeque::new(),
            counters: Counters::default(),
            reorder_distance: 0,
            reorder_tolerance: cfg.loss_max_ttl,
            consec_ordered: 0,
            consec_early: 0,
            belated_time_sum: 0,
            cfg,
        }
    }

    /// The keys data packets are decrypted with.
    pub(crate) fn keys_mut(&mut self) -> &mut Option<KeyPair> {
        &mut self.keys
    }

    pub(crate) fn rtt(&self) -> &Rtt {
        &self.rtt
    }

    pub(crate) fn tsbpd(&self) -> &TsbpdClock {
        &self.tsbpd
    }

    pub(crate) fn tsbpd_mut(&mut self) -> &mut TsbpdClock {
        &mut self.tsbpd
    }

    /// Notes any packet's timestamp from the peer (sets the TSBPD time
    /// base from the first one).
    pub(crate) fn observe_timestamp(&mut self, ts: Timestamp, now: Instant) {
        // Every packet moves the unwrapped time line on, so a wrap is seen
        // even across a long silence of data.
        let unwrapped = self.tsbpd.unwrap(ts);
        self.tsbpd.observe(unwrapped, now);
    }

    /// The next control packet body to send.
    #[cfg(test)]
    pub(crate) fn poll_control(&mut self) -> Option<ControlBody> {
        self.control.pop_front()
    }

    /// The next delivered message.
    #[cfg(test)]
    pub(crate) fn poll_delivery(&mut self) -> Option<Delivery> {
        match self.delivered.pop_front()? {
            ConnectionEvent::Message {
                data,
                src_time,
                delivered_at,
                msg_number,
                ..
            } => Some(Delivery {
                data,
                msg_number,
                src_time,
                delivered_at,
            }),
            ConnectionEvent::Closed { .. } => None,
        }
    }

    /// Moves the queued control packets and delivered messages to the end
    /// of the connection's queues: a swap of the queues when the
    /// connection's is empty (the usual case), no per-element work.
    pub(crate) fn drain_into(
        &mut self,
        control: &mut VecDeque<ControlBody>,
        events: &mut VecDeque<ConnectionEvent>,
    ) {
        move_all(&mut self.control, control);
        move_all(&mut self.delivered, events);
    }

    /// The sequence number an ACK would carry now: the first missing packet.
    pub(crate) fn ack_seq(&self) -> SeqNumber {
        let mut ack = self.next_expected;
        if let Some(f) = self.loss.first() {
            ack = ack.min_wrapped(f);
        }
        if let Some(f) = self.fresh.front() {
            ack = ack.min_wrapped(f.range.first());
        }
        ack.max_wrapped(self.buf.start())
    }

    /// Handles a DATA packet.
    #[cfg(test)]
    pub(crate) fn on_data(&mut self, mut packet: DataPacket, now: Instant) {
        self.on_data_mut(&mut packet, now);
    }

    /// Handles a DATA packet in place (its payload is moved out): the
    /// packet is not copied on its way in.
    pub(crate) fn on_data_mut(&mut self, packet: &mut DataPacket, now: Instant) {
        let len = packet.payload.len();
        self.counters.received.add(len);
        if packet.retransmitted {
            self.counters.received_retransmitted.add(len);
        }
        self.rate
            .on_arrival(packet.seq, len, packet.retransmitted, now);
        let ts = self.tsbpd.unwrap(packet.timestamp);
        // A retransmission carries its origin time but left the sender
        // later: it cannot place the time base (the sender's tail-loss
        // probe can be the first packet to arrive). Before any other
        // packet did, its delivery time is unknown.
        let unknown_time = self.cfg.tsbpd && packet.retransmitted && !self.tsbpd.has_base();
        if !unknown_time {
            self.tsbpd.observe(ts, now);
        }
        let seq = packet.seq;
        let Some(off) = self.buf.offset(seq) else {
            self.counters.receive_belated.add(len);
            if self.cfg.tsbpd {
                let late = now.duration_since(self.tsbpd.delivery_time(ts));
                self.belated_time_sum = self
                    .belated_time_sum
                    .saturating_add(u64::try_from(late.as_micros()).unwrap_or(u64::MAX));
            }
            return;
        };
        if off >= self.buf.capacity() {
            // No room: libsrt drops it and counts it dropped.
            self.counters.receive_drop.add(len);
            return;
        }
        if matches!(
            self.buf.get(off),
            Some(buffer::Slot::Full(_) | buffer::Slot::Dropped | buffer::Slot::Taken)
        ) {
            return;
        }
        if unknown_time && !self.cfg.tlpktdrop {
            // Nothing better to go by: late delivery is accepted anyway.
            self.tsbpd.observe(ts, now);
        }
        if unknown_time && self.cfg.tlpktdrop {
            // Its delivery time cannot be known: treated as belated.
            self.counters.receive_belated.add(len);
            self.track_sequence(seq, packet.retransmitted, now);
            return;
        }
        if self.cfg.tsbpd && self.cfg.tlpktdrop && self.tsbpd.delivery_time(ts) < now {
            // Arrived after its delivery time: delivering it now would be
            // late. Its place is skipped (and counted dropped) when the next
            // packet is due.
            self.counters.receive_belated.add(len);
            let late = now.duration_since(self.tsbpd.delivery_time(ts));
            self.belated_time_sum = self
                .belated_time_sum
                .saturating_add(u64::try_from(late.as_micros()).unwrap_or(u64::MAX));
            // Not awaited any more: off the loss list, and gaps before it
            // noted as for any arrival.
            self.track_sequence(seq, packet.retransmitted, now);
            self.skip_past_belated(seq, now);
            return;
        }
        let payload = match (packet.encryption, &self.keys) {
            // The packet is ours: move its payload instead of sharing it
            // (a clone is two atomic operations per packet).
            (EncryptionKeySpec::Unencrypted, _) => core::mem::take(&mut packet.payload),
            (_, Some(keys)) => match keys.decrypt_packet(packet, &mut self.scratch) {
                Ok(()) => Bytes::copy_from_slice(&self.scratch),
                Err(_) => {
                    self.counters.receive_undecrypted.add(len);
                    return;
                }
            },
            (_, None) => {
                self.counters.receive_undecrypted.add(len);
                return;
            }
        };
        self.track_sequence(seq, packet.retransmitted, now);
        let entry = Entry {
            msg: packet.msg_number,
            position: packet.position,
            in_order: packet.in_order,
            ts,
            payload,
        };
        let plen = entry.payload.len();
        if self.buf.insert(seq, entry) == Insert::Stored {
            self.counters.received_unique.add(plen);
            // File mode, message API: a message sent without the in-order
            // flag goes to the application as soon as it is whole.
            if !self.cfg.tsbpd
                && self.cfg.message_api
                && !packet.in_order
                && let Some(m) = self.buf.take_unordered_message(off)
            {
                self.delivered.push_back(ConnectionEvent::Message {
                    seq: m.seq,
                    data: m.data,
                    msg_number: m.msg,
                    src_time: self.tsbpd.origin_time(m.ts),
                    delivered_at: now,
                });
            }
        }
        self.packets_since_ack += 1;
        if self.packets_since_ack >= LIGHT_ACK_PACKETS.saturating_mul(self.light_acks) {
            self.light_acks += 1;
            self.counters.acks_sent += 1;
            self.control.push_back(ControlBody::Ack(Ack {
                ack_number: 0,
                ack_seq: self.ack_seq(),
                info: AckInfo::Light,
            }));
        }
        self.deliver(now);
    }

    /// Gap detection, loss-list upkeep and libsrt's adaptive reorder
    /// tolerance for an accepted arrival (`processData`, `unlose`).
    fn track_sequence(&mut self, seq: SeqNumber, retransmitted: bool, now: Instant) {
        let mut in_order = true;
        if !seq.is_before(self.next_expected) {
            // New packet: everything between the last one and it is missing.
            if seq != self.next_expected
                && let Some(gap) = SeqRange::new(self.next_expected, seq.prev())
            {
                let avg = self.average_payload();
                self.counters
                    .receive_loss
                    .add_many(u64::from(gap.len()), u64::from(gap.len()) * avg);
                if self.reorder_tolerance == 0 {
                    self.report_loss(gap, now);
                } else {
                    self.fresh.push_back(FreshLoss {
                        range: gap,
                        ttl: self.reorder_tolerance,
                    });
                }
            }
            self.next_expected = seq.next();
        } else {
            // A hole filled: a retransmission, or (no R flag) a packet that
            // came out of order.
            self.loss.remove(seq);
            let mut raised = false;
            if !retransmitted {
                in_order = false;
                let distance = seq.offset_to(self.next_expected.prev()).unsigned_abs();
                self.reorder_distance = self.reorder_distance.max(distance);
                if distance > self.reorder_tolerance {
                    self.reorder_tolerance = distance.min(self.cfg.loss_max_ttl);
                    raised = true;
                }
            }
            if self.reorder_tolerance > 0 {
                let had_ttl = self.remove_fresh(seq);
                if !in_order {
                    self.consec_ordered = 0;
                    if raised {
                        self.consec_early = 0;
                    } else if had_ttl.is_some_and(|t| t > 2) {
                        // Came well before its report was due, ten times
                        // running: the tolerance can shrink.
                        self.consec_early += 1;
                        if self.consec_early >= 10 {
                            self.consec_early = 0;
                            self.reorder_tolerance = self.reorder_tolerance.saturating_sub(1);
                        }
                    }
                }
            }
        }
        self.age_fresh_losses(now);
        if in_order {
            // Fifty packets in a row in order: the tolerance can shrink.
            self.consec_ordered += 1;
            if self.consec_ordered >= 50 {
                self.consec_ordered = 0;
                self.reorder_tolerance = self.reorder_tolerance.saturating_sub(1);
            }
        }
    }

    fn report_loss(&mut self, gap: SeqRange, now: Instant) {
        self.loss.push_back(gap);
        self.send_nak(core::iter::once(gap));
        if self.next_nak.is_none() {
            self.next_nak = Some(now + self.nak_interval());
        }
    }

    /// Reports the fresh losses whose time has come, then counts one more
    /// arrival against the others (libsrt: a record is reported on the
    /// first arrival after its TTL reached 0).
    fn age_fresh_losses(&mut self, now: Instant) {
        let mut due = Vec::new();
        while let Some(f) = self.fresh.front() {
            if f.ttl > 0 {
                break;
            }
            if let Some(f) = self.fresh.pop_front() {
                due.push(f.range);
            }
        }
        for f in self.fresh.iter_mut() {
            f.ttl = f.ttl.saturating_sub(1);
        }
        for range in due {
            self.report_loss(range, now);
        }
    }

    /// Takes one packet off the fresh losses; the TTL its record had.
    fn remove_fresh(&mut self, seq: SeqNumber) -> Option<u32> {
        let i = self.fresh.iter().position(|f| f.range.contains(seq))?;
        let f = self.fresh.get(i).copied()?;
        let before = SeqRange::new(f.range.first(), seq.prev()).filter(|_| f.range.first() != seq);
        let after = SeqRange::new(seq.next(), f.range.last()).filter(|_| f.range.last() != seq);
        self.fresh.remove(i);
        for (at, range) in (i..).zip([before, after].into_iter().flatten()) {
            self.fresh.insert(at, FreshLoss { range, ttl: f.ttl });
        }
        Some(f.ttl)
    }

    fn send_nak<I: IntoIterator<Item = SeqRange>>(&mut self, ranges: I) {
        let mut words = 0usize;
        let mut kept = Vec::new();
        for r in ranges {
            let w = WireLossList::range_encoded_len(r) / 4;
            if words + w > self.cfg.max_nak_words {
                break;
            }
            words += w;
            kept.push(r);
        }
        if kept.is_empty() {
            return;
        }
        self.counters.naks_sent += 1;
        self.control
            .push_back(ControlBody::Nak(WireLossList::from_ranges(kept)));
    }

    fn nak_interval(&self) -> Duration {
        (self.rtt.rto() / self.cfg.nak_report_accel.max(1)).max(self.cfg.min_nak_interval)
    }

    fn average_payload(&self) -> u64 {
        let u = self.counters.received_unique;
        u.bytes.checked_div(u.packets).unwrap_or(0)
    }

    /// When [`Receiver::handle_timeout`] must run next.
    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        let mut t = self.next_delivery();
        if self.ack_seq() != self.last_ackacked {
            t = Some(t.map_or(self.next_ack, |t| t.min(self.next_ack)));
        }
        if let Some(n) = self.next_nak {
            t = Some(t.map_or(n, |t| t.min(n)));
        }
        t
    }

    /// Runs the timers due at `now`: delivery and drop, the 10 ms ACK and
    /// the periodic NAK.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        self.deliver(now);
        if now >= self.next_ack {
            self.next_ack = now + ACK_INTERVAL;
            self.send_ack(now);
        }
        if let Some(n) = self.next_nak
            && now >= n
        {
            if self.cfg.nak_report && !self.loss.is_empty() {
                let ranges: Vec<SeqRange> = self.loss.ranges().collect();
                self.send_nak(ranges);
            }
            self.next_nak = if self.loss.is_empty() {
                None
            } else {
                Some(now + self.nak_interval())
            };
        }
    }

    /// Buffer occupancy: packets, bytes, time span.
    pub(crate) fn buffer_occupancy(&self) -> (u32, u64, Duration) {
        let span = self.buf.timespan().map_or(Duration::ZERO, |(a, b)| {
            Duration::from_micros(u64::try_from(b.saturating_sub(a)).unwrap_or(0))
        });
        (
            u32::try_from(self.buf.packets()).unwrap_or(u32::MAX),
            self.buf.bytes() as u64,
            span,
        )
    }

    /// A packet arrived after its delivery time: everything up to it is
    /// too late as well (live timestamps grow with the sequence), so the
    /// buffer starts after it. What is due is delivered first; the gaps
    /// and the packet's own place count as dropped, as the too-late drop
    /// counts them. Without this a sender that fell behind (a full
    /// buffer, a flow window of 2) sends nothing but belated packets, none
    /// is stored, the buffer's start never moves, the window it announces
    /// stays at 2, and delivery stops for good instead of degrading.
    fn skip_past_belated(&mut self, seq: SeqNumber, now: Instant) {
        self.deliver(now);
        let Some(off) = self.buf.offset(seq) else {
            return;
        };
        let n = off.saturating_add(1).min(self.buf.capacity());
        self.drop_front_counted(n);
        // The walk cleans the loss list and the expected sequence up.
        self.deliver(now);
    }

    /// Free space in the receive buffer, packets.
    pub(crate) fn free_slots(&self) -> usize {
        self.buf.capacity().saturating_sub(self.buf.span())
    }

    pub(crate) fn reorder_distance(&self) -> u32 {
        self.reorder_distance
    }

    pub(crate) fn reorder_tolerance(&self) -> u32 {
        self.reorder_tolerance
    }

    pub(crate) fn average_belated_time(&self) -> Duration {
        let n = self.counters.receive_belated.packets;
        if n == 0 {
            return Duration::ZERO;
        }
        Duration::from_micros(self.belated_time_sum / n)
    }

    /// Packets in the loss list.
    pub(crate) fn loss_len(&self) -> u64 {
        self.loss.len()
    }
}

/// Appends everything in `from` to `to`, leaving `from` empty.
fn move_all<T>(from: &mut VecDeque<T>, to: &mut VecDeque<T>) {
    if from.is_empty() {
        return;
    }
    if to.is_empty() {
        // Both keep an allocation: no growth on either side later.
        core::mem::swap(from, to);
    } else {
        to.append(from);
    }
}

#[cfg(test)]
mod tests;

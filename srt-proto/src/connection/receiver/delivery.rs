//! Delivery: TSBPD (or in-order, in file mode) hand-over of whole
//! messages, too-late drop, and the sender's drop requests.

use super::Receiver;
use super::buffer::Head;
use super::loss::FreshLoss;
use crate::connection::ConnectionEvent;
use crate::packet::{DropRequest, PacketPosition};
use crate::seq::SeqRange;
use crate::time::Instant;
use alloc::collections::VecDeque;

impl Receiver {
    /// Handles a DROPREQ: stop waiting for these packets.
    pub(crate) fn on_drop_request(&mut self, req: &DropRequest, now: Instant) {
        let Some(range) = req.range() else {
            return;
        };
        let start = self.buf.start();
        // Clip to what is not yet delivered.
        if range.last().is_before(start) {
            return;
        }
        let first = range.first().max_wrapped(start);
        self.loss
            .remove_range(SeqRange::new(first, range.last()).unwrap_or(range));
        if let Some(r) = SeqRange::new(first, range.last()) {
            let mut kept = VecDeque::new();
            for f in self.fresh.drain(..) {
                if f.range.last().is_before(r.first()) || f.range.first().is_after(r.last()) {
                    kept.push_back(f);
                } else {
                    if f.range.first().is_before(r.first())
                        && let Some(b) = SeqRange::new(f.range.first(), r.first().prev())
                    {
                        kept.push_back(FreshLoss {
                            range: b,
                            ttl: f.ttl,
                        });
                    }
                    if f.range.last().is_after(r.last())
                        && let Some(a) = SeqRange::new(r.last().next(), f.range.last())
                    {
                        kept.push_back(FreshLoss {
                            range: a,
                            ttl: f.ttl,
                        });
                    }
                }
            }
            self.fresh = kept;
        }
        let (Some(first_off), Some(last_off)) =
            (self.buf.offset(first), self.buf.offset(range.last()))
        else {
            return;
        };
        self.buf.mark_dropped(first_off, last_off);
        // A run that goes on past the capacity is dropped whole (the
        // buffer remembers where it ends).
        let last_in_buffer = if first_off < self.buf.capacity() {
            last_off
        } else {
            last_off.min(self.buf.capacity().saturating_sub(1))
        };
        let after = start
            .wrapping_add(u32::try_from(last_in_buffer).unwrap_or(0))
            .next();
        // As libsrt: the expected sequence moves only when the range covers
        // it (a range wholly ahead leaves the gap before it to be found).
        if !first.is_after(self.next_expected) && after.is_after(self.next_expected) {
            self.next_expected = after;
        }
        self.deliver(now);
    }

    /// Delivers what is due and drops what is too late.
    #[inline]
    pub(crate) fn deliver(&mut self, now: Instant) {
        if self.head_waits(now) {
            return;
        }
        self.deliver_due(now);
    }

    /// True when [`Self::deliver`] has nothing to do at `now`: the head is
    /// a whole message not due yet (TSBPD), and nothing lies before the
    /// buffer's start to clean up. The check every arriving packet makes
    /// in live mode, short of the full walk.
    #[inline]
    fn head_waits(&self, now: Instant) -> bool {
        let Some(e) = self.buf.front_entry() else {
            return false;
        };
        let start = self.buf.start();
        self.cfg.tsbpd
            && (!self.cfg.message_api || e.position == PacketPosition::Only)
            && self.tsbpd.delivery_time(e.ts) > now
            && !self.next_expected.is_before(start)
            && self.loss.first().is_none_or(|f| !f.is_before(start))
            && self
                .fresh
                .front()
                .is_none_or(|f| !f.range.first().is_before(start))
            && (self.next_nak.is_none() || !self.loss.is_empty())
    }

    /// The walk of [`Self::deliver`].
    fn deliver_due(&mut self, now: Instant) {
        loop {
            let skipped = self.buf.skip_dropped_run();
            if skipped > 0 {
                let avg = self.average_payload();
                self.counters.receive_drop.add_many(skipped, skipped * avg);
            }
            if self.buf.head_is_skippable() {
                let d = self.buf.drop_front(1);
                let avg = self.average_payload();
                self.counters
                    .receive_drop
                    .add_many(d.requested, d.requested * avg);
                continue;
            }
            match self.buf.head(self.cfg.message_api) {
                Head::Empty => break,
                Head::Complete { packets, ts } => {
                    if self.cfg.tsbpd && self.tsbpd.delivery_time(ts) > now {
                        break;
                    }
                    if packets == 1 {
                        // One packet, one message (live mode): its payload
                        // goes out as it is, nothing to join.
                        let seq = self.buf.start();
                        let Some(e) = self.buf.pop_single() else {
                            break;
                        };
                        self.delivered.push_back(ConnectionEvent::Message {
                            seq,
                            data: e.payload,
                            msg_number: e.msg,
                            src_time: self.tsbpd.origin_time(e.ts),
                            delivered_at: now,
                        });
                        continue;
                    }
                    let Some(m) = self.buf.pop_message(packets) else {
                        break;
                    };
                    self.delivered.push_back(ConnectionEvent::Message {
                        seq: m.seq,
                        data: m.data,
                        msg_number: m.msg,
                        src_time: self.tsbpd.origin_time(m.ts),
                        delivered_at: now,
                    });
                }
                Head::Blocked { next } => {
                    let Some((off, ts)) = next else {
                        break;
                    };
                    if !(self.cfg.tsbpd && self.cfg.tlpktdrop) || self.tsbpd.delivery_time(ts) > now
                    {
                        break;
                    }
                    self.drop_front_counted(off);
                }
            }
        }
        self.forget_before_start();
    }

    /// Drops the first `n` places of the buffer, counting the packets
    /// stored there and the gaps (missing or requested by the sender's
    /// DROPREQ) as receiver drops, as the too-late drop counts them.
    pub(super) fn drop_front_counted(&mut self, n: usize) {
        let d = self.buf.drop_front(n);
        let avg = self.average_payload();
        let lost = d.missing + d.requested;
        self.counters
            .receive_drop
            .add_many(lost + d.discarded, lost * avg + d.discarded_bytes);
    }

    /// Whatever lies before the buffer's start is neither awaited nor
    /// expected any more: the expected sequence, the loss list and the
    /// losses not yet reported move past it.
    fn forget_before_start(&mut self) {
        let start = self.buf.start();
        if self.next_expected.is_before(start) {
            self.next_expected = start;
        }
        self.loss.remove_before(start);
        while let Some(f) = self.fresh.front_mut() {
            if !f.range.first().is_before(start) {
                break;
            }
            if f.range.last().is_before(start) {
                self.fresh.pop_front();
            } else if let Some(r) = SeqRange::new(start, f.range.last()) {
                f.range = r;
                break;
            } else {
                break;
            }
        }
        if self.loss.is_empty() {
            self.next_nak = None;
        }
    }

    /// Packets stored and not yet delivered.
    pub(crate) fn held_packets(&self) -> usize {
        self.buf.packets()
    }

    /// When the last packet held is due (TSBPD only): the latest the
    /// play-out after the peer's SHUTDOWN can last.
    pub(crate) fn last_held_due(&self) -> Option<Instant> {
        if !self.cfg.tsbpd {
            return None;
        }
        let (_, last) = self.buf.timespan()?;
        Some(self.tsbpd.delivery_time(last))
    }

    /// Gives up on everything still held (the play-out after the peer's
    /// SHUTDOWN is over): stored packets and the gaps between them count
    /// as dropped, as the too-late drop counts them.
    pub(crate) fn discard_held(&mut self) {
        let span = self.buf.span();
        if span == 0 {
            return;
        }
        self.drop_front_counted(span);
        self.forget_before_start();
    }

    /// When the next delivery or too-late drop is due (TSBPD only).
    pub(crate) fn next_delivery(&self) -> Option<Instant> {
        if !self.cfg.tsbpd {
            return None;
        }
        match self.buf.head(self.cfg.message_api) {
            Head::Empty => None,
            Head::Complete { ts, .. } => Some(self.tsbpd.delivery_time(ts)),
            Head::Blocked { next } => {
                if !self.cfg.tlpktdrop {
                    return None;
                }
                next.map(|(_, ts)| self.tsbpd.delivery_time(ts))
            }
        }
    }
}

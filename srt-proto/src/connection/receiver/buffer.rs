//! The receive buffer: one slot per sequence number from the first packet
//! not yet delivered, up to the buffer's capacity (the negotiated flow
//! window, at most `SRTO_RCVBUF`). Slots are allocated as packets arrive,
//! so an idle connection holds almost nothing.

use crate::packet::PacketPosition;
use crate::seq::{MsgNumber, SeqNumber};
use alloc::collections::VecDeque;
use bytes::{Bytes, BytesMut};

/// A stored packet.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) msg: MsgNumber,
    pub(crate) position: PacketPosition,
    /// The `O` flag: the message must be delivered in order.
    pub(crate) in_order: bool,
    /// The peer's timestamp, unwrapped.
    pub(crate) ts: i64,
    pub(crate) payload: Bytes,
}

#[derive(Debug, Clone)]
pub(crate) enum Slot {
    /// Not received (yet).
    Empty,
    /// Received.
    Full(Entry),
    /// Given up on at the sender's request (DROPREQ): skipped, not awaited.
    Dropped,
    /// Delivered ahead of order (a message sent without the in-order
    /// flag); skipped when the head reaches it.
    Taken,
}

/// What [`ReceiveBuffer::insert`] did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Insert {
    /// Stored.
    Stored,
    /// Its slot already holds it (or was dropped on request).
    Duplicate,
    /// Its place was already delivered or dropped.
    Belated,
    /// It lies beyond the buffer's capacity; not stored.
    Overflow,
}

/// A message taken from the head of the buffer.
#[derive(Debug, Clone)]
pub(crate) struct Message {
    /// The sequence number of its first packet.
    pub(crate) seq: SeqNumber,
    pub(crate) data: Bytes,
    pub(crate) msg: MsgNumber,
    pub(crate) ts: i64,
}

/// What the head of the buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Head {
    /// Nothing stored.
    Empty,
    /// A complete message of this many packets, with its first packet's
    /// timestamp.
    Complete { packets: usize, ts: i64 },
    /// The head cannot be delivered yet (missing packets); the first later
    /// packet that starts a message is `offset` slots in, with this
    /// timestamp (the too-late drop skips to it when it is due).
    Blocked { next: Option<(usize, i64)> },
}

#[derive(Debug, Clone)]
pub(crate) struct ReceiveBuffer {
    slots: VecDeque<Slot>,
    start: SeqNumber,
    capacity: usize,
    packets: usize,
    bytes: usize,
    /// Slots before this sequence number were dropped on request even
    /// where they lie beyond the capacity (a DROPREQ for a long run the
    /// sender skipped); the slots are made, as `Dropped`, only when the
    /// start comes within reach of them.
    dropped_until: SeqNumber,
}

impl ReceiveBuffer {
    pub(crate) fn new(start: SeqNumber, capacity: usize) -> Self {
        Self {
            slots: VecDeque::new(),
            start,
            capacity: capacity.max(2),
            packets: 0,
            bytes: 0,
            dropped_until: start,
        }
    }

    /// The first sequence number not yet delivered or dropped.
    pub(crate) fn start(&self) -> SeqNumber {
        self.start
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Packets stored.
    pub(crate) fn packets(&self) -> usize {
        self.packets
    }

    /// Payload bytes stored.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Slots in use from the start (stored, missing or dropped).
    pub(crate) fn span(&self) -> usize {
        self.slots.len()
    }

    /// The slot offset of `seq` from the start, if it is not before it.
    pub(crate) fn offset(&self, seq: SeqNumber) -> Option<usize> {
        usize::try_from(self.start.offset_to(seq)).ok()
    }

    /// Stores a packet.
    #[inline]
    pub(crate) fn insert(&mut self, seq: SeqNumber, entry: Entry) -> Insert {
        let Some(off) = self.offset(seq) else {
            return Insert::Belated;
        };
        if off >= self.capacity {
            return Insert::Overflow;
        }
        if off >= self.slots.len() && seq.is_before(self.dropped_until) {
            // Its place was dropped on request.
            return Insert::Duplicate;
        }
        if off == self.slots.len() {
            // The in-order case: the packet extends the buffer by its own
            // slot, nothing to fill or look up.
            self.packets += 1;
            self.bytes += entry.payload.len();
            // Written in place: a `Slot` built on the stack and copied in
            // stalls on store forwarding (perf).
            self.slots.push_back(Slot::Empty);
            if let Some(slot) = self.slots.back_mut() {
                *slot = Slot::Full(entry);
            }
            return Insert::Stored;
        }
        self.fill_to(off);
        let Some(slot) = self.slots.get_mut(off) else {
            return Insert::Overflow;
        };
        match slot {
            Slot::Empty => {
                self.packets += 1;
                self.bytes += entry.payload.len();
                *slot = Slot::Full(entry);
                Insert::Stored
            }
            Slot::Full(_) | Slot::Dropped | Slot::Taken => Insert::Duplicate,
        }
    }

    /// Marks the slots of `first..=last` (clipped to the buffer) dropped;
    /// returns the offset one past the last marked slot.
    pub(crate) fn mark_dropped(&mut self, first_off: usize, last_off: usize) {
        if first_off < self.capacity && last_off >= self.capacity {
            // The run goes on past the capacity: what lies beyond is
            // remembered as one number, not as slots.
            let after = self
                .start
                .wrapping_add(u32::try_from(last_off).unwrap_or(u32::MAX))
                .next();
            if after.is_after(self.dropped_until) {
                self.dropped_until = after;
            }
        }
        let last_off = last_off.min(self.capacity.saturating_sub(1));
        self.fill_to(last_off);
        for off in first_off..=last_off {
            if let Some(slot) = self.slots.get_mut(off)
                && matches!(slot, Slot::Empty)
            {
                *slot = Slot::Dropped;
            }
        }
    }

    /// Makes slots up to `off` (missing, or dropped on request where
    /// [`Self::mark_dropped`] ran past the capacity).
    fn fill_to(&mut self, off: usize) {
        while self.slots.len() <= off {
            let seq = self
                .start
                .wrapping_add(u32::try_from(self.slots.len()).unwrap_or(0));
            self.slots.push_back(if seq.is_before(self.dropped_until) {
                Slot::Dropped
            } else {
                Slot::Empty
            });
        }
    }

    /// When no slot is in use and the start lies in a run dropped on
    /// request past the capacity: moves the start to the run's end at
    /// once and returns how many places it skipped.
    pub(crate) fn skip_dropped_run(&mut self) -> u64 {
        if !self.slots.is_empty() || !self.start.is_before(self.dropped_until) {
            return 0;
        }
        let n = self.start.offset_to(self.dropped_until).max(0);
        self.start = self.dropped_until;
        u64::try_from(n).unwrap_or(0)
    }

    /// The packet at the head, if one is stored there.
    #[inline]
    pub(crate) fn front_entry(&self) -> Option<&Entry> {
        match self.slots.front() {
            Some(Slot::Full(e)) => Some(e),
            _ => None,
        }
    }

    pub(crate) fn get(&self, off: usize) -> Option<&Slot> {
        self.slots.get(off)
    }

    /// The timestamp of the first stored packet and of the last (for the
    /// buffer's time span).
    pub(crate) fn timespan(&self) -> Option<(i64, i64)> {
        let first = self.slots.iter().find_map(full_ts)?;
        let last = self.slots.iter().rev().find_map(full_ts)?;
        Some((first, last))
    }

    /// What the head holds. `whole_messages`: a message needs all its
    /// packets (message API); otherwise (stream API) each packet is one
    /// delivery.
    pub(crate) fn head(&self, whole_messages: bool) -> Head {
        match self.slots.front() {
            None => Head::Empty,
            Some(Slot::Full(e)) => {
                if !whole_messages || e.position == PacketPosition::Only {
                    return Head::Complete {
                        packets: 1,
                        ts: e.ts,
                    };
                }
                if e.position.is_first() {
                    for (i, slot) in self.slots.iter().enumerate().skip(1) {
                        match slot {
                            Slot::Full(p) if p.position.is_last() => {
                                return Head::Complete {
                                    packets: i + 1,
                                    ts: e.ts,
                                };
                            }
                            Slot::Full(p) if p.position.is_first() => break,
                            Slot::Full(_) => {}
                            _ => break,
                        }
                    }
                }
                Head::Blocked {
                    next: self.next_message_start(),
                }
            }
            Some(_) => Head::Blocked {
                next: self.next_message_start(),
            },
        }
    }

    fn next_message_start(&self) -> Option<(usize, i64)> {
        self.slots
            .iter()
            .enumerate()
            .skip(1)
            .find_map(|(i, s)| match s {
                Slot::Full(e) if e.position.is_first() => Some((i, e.ts)),
                _ => None,
            })
    }

    /// Takes the packet at the head, if one is stored there (a message of
    /// one packet).
    #[inline]
    pub(crate) fn pop_single(&mut self) -> Option<Entry> {
        if !matches!(self.slots.front(), Some(Slot::Full(_))) {
            return None;
        }
        let Some(Slot::Full(e)) = self.slots.pop_front() else {
            return None;
        };
        self.start = self.start.next();
        self.packets -= 1;
        self.bytes -= e.payload.len();
        Some(e)
    }

    /// Takes the complete message of `packets` packets at the head.
    pub(crate) fn pop_message(&mut self, packets: usize) -> Option<Message> {
        let seq = self.start;
        let mut first: Option<(MsgNumber, i64)> = None;
        let mut single: Option<Bytes> = None;
        let mut joined: Option<BytesMut> = None;
        for _ in 0..packets {
            let Some(Slot::Full(e)) = self.slots.pop_front() else {
                return None;
            };
            self.start = self.start.next();
            self.packets -= 1;
            self.bytes -= e.payload.len();
            first.get_or_insert((e.msg, e.ts));
            match (&mut single, &mut joined) {
                (None, None) => single = Some(e.payload),
                (Some(s), None) => {
                    let mut b = BytesMut::with_capacity(s.len() + e.payload.len());
                    b.extend_from_slice(s);
                    b.extend_from_slice(&e.payload);
                    joined = Some(b);
                    single = None;
                }
                (_, Some(b)) => b.extend_from_slice(&e.payload),
            }
        }
        let (msg, ts) = first?;
        let data = match joined {
            Some(b) => b.freeze(),
            None => single.unwrap_or_default(),
        };
        Some(Message { seq, data, msg, ts })
    }

    /// Drops the first `n` slots. Returns (missing, dropped-on-request,
    /// stored packets discarded, their bytes).
    pub(crate) fn drop_front(&mut self, n: usize) -> Dropped {
        let mut d = Dropped::default();
        for _ in 0..n {
            match self.slots.pop_front() {
                None => d.missing += 1,
                Some(Slot::Empty) => d.missing += 1,
                Some(Slot::Dropped) => d.requested += 1,
                Some(Slot::Taken) => {}
                Some(Slot::Full(e)) => {
                    self.packets -= 1;
                    self.bytes -= e.payload.len();
                    d.discarded += 1;
                    d.discarded_bytes += e.payload.len() as u64;
                }
            }
            self.start = self.start.next();
        }
        d
    }

    /// Forgets every slot before `target` (delivered by another member of
    /// a group): stored packets are discarded without being counted, and
    /// the buffer starts at `target`. Nothing happens if `target` is not
    /// after the start.
    pub(crate) fn skip_to(&mut self, target: SeqNumber) {
        let Ok(n) = usize::try_from(self.start.offset_to(target)) else {
            return;
        };
        if target.is_after(self.dropped_until) {
            self.dropped_until = target;
        }
        for slot in self.slots.drain(..n.min(self.slots.len())) {
            if let Slot::Full(e) = slot {
                self.packets -= 1;
                self.bytes -= e.payload.len();
            }
        }
        self.start = target;
    }

    /// Whether the head slot was dropped on request or delivered ahead of
    /// order: either way it is not awaited.
    pub(crate) fn head_is_skippable(&self) -> bool {
        matches!(self.slots.front(), Some(Slot::Dropped | Slot::Taken))
    }

    /// Takes the message the packet at `off` belongs to, if all its
    /// packets are here and it may be delivered out of order; its slots
    /// are marked taken.
    pub(crate) fn take_unordered_message(&mut self, off: usize) -> Option<Message> {
        let mut first = off;
        loop {
            let Some(Slot::Full(e)) = self.slots.get(first) else {
                return None;
            };
            if e.in_order {
                return None;
            }
            if e.position.is_first() {
                break;
            }
            first = first.checked_sub(1)?;
        }
        let mut last = first;
        loop {
            let Some(Slot::Full(e)) = self.slots.get(last) else {
                return None;
            };
            if e.position.is_last() {
                break;
            }
            last += 1;
            if let Some(Slot::Full(next)) = self.slots.get(last)
                && next.position.is_first()
            {
                return None;
            }
        }
        let mut data = BytesMut::new();
        let mut head: Option<(MsgNumber, i64)> = None;
        for off in first..=last {
            let slot = self.slots.get_mut(off)?;
            if let Slot::Full(e) = core::mem::replace(slot, Slot::Taken) {
                self.packets -= 1;
                self.bytes -= e.payload.len();
                head.get_or_insert((e.msg, e.ts));
                data.extend_from_slice(&e.payload);
            }
        }
        let (msg, ts) = head?;
        Some(Message {
            seq: self.start.wrapping_add(u32::try_from(first).unwrap_or(0)),
            data: data.freeze(),
            msg,
            ts,
        })
    }
}

/// What [`ReceiveBuffer::drop_front`] skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Dropped {
    pub(crate) missing: u64,
    pub(crate) requested: u64,
    pub(crate) discarded: u64,
    pub(crate) discarded_bytes: u64,
}

fn full_ts(s: &Slot) -> Option<i64> {
    match s {
        Slot::Full(e) => Some(e.ts),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(position: PacketPosition, msg: u32, ts: i64, data: &'static [u8]) -> Entry {
        Entry {
            msg: MsgNumber::new(msg),
            position,
            ts,
            payload: Bytes::from_static(data),
            in_order: true,
        }
    }
    fn s(n: u32) -> SeqNumber {
        SeqNumber::new(n)
    }

    #[test]
    fn a_single_packet_message_at_the_head_is_complete() {
        let mut b = ReceiveBuffer::new(s(100), 16);
        assert_eq!(
            b.insert(s(100), entry(PacketPosition::Only, 1, 5, b"a")),
            Insert::Stored
        );
        assert_eq!(b.head(true), Head::Complete { packets: 1, ts: 5 });
        let m = b.pop_message(1).unwrap();
        assert_eq!(&m.data[..], b"a");
        assert_eq!(b.start(), s(101));
        assert_eq!(b.packets(), 0);
    }

    #[test]
    fn a_multi_packet_message_waits_for_its_middle_and_joins_in_order() {
        let mut b = ReceiveBuffer::new(s(0), 16);
        b.insert(s(0), entry(PacketPosition::First, 7, 1, b"ab"));
        b.insert(s(2), entry(PacketPosition::Last, 7, 1, b"ef"));
        assert!(matches!(b.head(true), Head::Blocked { next: None }));
        b.insert(s(1), entry(PacketPosition::Middle, 7, 1, b"cd"));
        assert_eq!(b.head(true), Head::Complete { packets: 3, ts: 1 });
        assert_eq!(&b.pop_message(3).unwrap().data[..], b"abcdef");
    }

    #[test]
    fn the_stream_api_delivers_each_packet_alone() {
        let mut b = ReceiveBuffer::new(s(0), 16);
        b.insert(s(0), entry(PacketPosition::First, 1, 1, b"ab"));
        assert_eq!(b.head(false), Head::Complete { packets: 1, ts: 1 });
    }

    #[test]
    fn packets_beyond_the_capacity_overflow() {
        let mut b = ReceiveBuffer::new(s(0), 4);
        assert_eq!(
            b.insert(s(4), entry(PacketPosition::Only, 1, 1, b"x")),
            Insert::Overflow
        );
        assert_eq!(
            b.insert(s(3), entry(PacketPosition::Only, 1, 1, b"x")),
            Insert::Stored
        );
        assert_eq!(b.span(), 4);
    }

    #[test]
    fn duplicates_and_belated_packets_are_told_apart() {
        let mut b = ReceiveBuffer::new(s(10), 8);
        b.insert(s(10), entry(PacketPosition::Only, 1, 1, b"x"));
        assert_eq!(
            b.insert(s(10), entry(PacketPosition::Only, 1, 1, b"x")),
            Insert::Duplicate
        );
        b.pop_message(1);
        assert_eq!(
            b.insert(s(10), entry(PacketPosition::Only, 1, 1, b"x")),
            Insert::Belated
        );
    }

    #[test]
    fn a_gap_at_the_head_points_at_the_next_message_start() {
        let mut b = ReceiveBuffer::new(s(0), 8);
        b.insert(s(2), entry(PacketPosition::Last, 1, 1, b"x"));
        b.insert(s(3), entry(PacketPosition::Only, 2, 9, b"y"));
        assert_eq!(b.head(true), Head::Blocked { next: Some((3, 9)) });
        let d = b.drop_front(3);
        assert_eq!((d.missing, d.discarded, d.discarded_bytes), (2, 1, 1));
        assert_eq!(b.head(true), Head::Complete { packets: 1, ts: 9 });
    }

    #[test]
    fn slots_dropped_on_request_count_apart_from_missing_ones() {
        let mut b = ReceiveBuffer::new(s(0), 8);
        b.mark_dropped(0, 1);
        assert!(b.head_is_skippable());
        let d = b.drop_front(2);
        assert_eq!((d.missing, d.requested), (0, 2));
        assert_eq!(b.start(), s(2));
    }

    #[test]
    fn sequence_numbers_across_the_wrap_are_stored_in_order() {
        let mut b = ReceiveBuffer::new(s(SeqNumber::MAX), 8);
        b.insert(s(0), entry(PacketPosition::Only, 2, 2, b"b"));
        b.insert(s(SeqNumber::MAX), entry(PacketPosition::Only, 1, 1, b"a"));
        assert_eq!(&b.pop_message(1).unwrap().data[..], b"a");
        assert_eq!(&b.pop_message(1).unwrap().data[..], b"b");
        assert_eq!(b.start(), s(1));
    }
}

#[cfg(test)]
mod unordered_tests {
    use super::*;

    fn e(position: PacketPosition, in_order: bool, data: &'static [u8]) -> Entry {
        Entry {
            msg: MsgNumber::new(3),
            position,
            in_order,
            ts: 0,
            payload: Bytes::from_static(data),
        }
    }

    #[test]
    fn a_complete_unordered_message_behind_a_gap_is_taken_and_later_skipped() {
        let mut b = ReceiveBuffer::new(SeqNumber::new(0), 8);
        b.insert(SeqNumber::new(2), e(PacketPosition::First, false, b"ab"));
        assert!(b.take_unordered_message(2).is_none());
        b.insert(SeqNumber::new(3), e(PacketPosition::Last, false, b"cd"));
        assert_eq!(&b.take_unordered_message(3).unwrap().data[..], b"abcd");
        assert_eq!(b.packets(), 0);
        b.insert(SeqNumber::new(0), e(PacketPosition::Only, true, b"x"));
        b.pop_message(1);
        b.drop_front(1);
        assert!(b.head_is_skippable());
    }

    #[test]
    fn an_in_order_message_is_never_taken_ahead() {
        let mut b = ReceiveBuffer::new(SeqNumber::new(0), 8);
        b.insert(SeqNumber::new(2), e(PacketPosition::Only, true, b"ab"));
        assert!(b.take_unordered_message(2).is_none());
    }
}

//! The send buffer: every packet from the moment the application hands it
//! over until the peer acknowledges it (or the sender gives up on it).
//!
//! Packets get their sequence number when they enter (libsrt assigns it
//! when it first sends a packet, but packets leave in the order they came,
//! so the numbers are the same), which makes the buffer a ring indexed by
//! sequence offset: entry `i` is sequence `front + i`. The first
//! `sent` entries went out at least once; the rest wait for their first
//! transmission. The loss list is a flag on each entry plus a cursor below
//! which no flag is set, so NAKs and retransmissions allocate nothing and
//! a NAK costs at most the buffer's length however wide its ranges.

use crate::packet::{EncryptionKeySpec, PacketPosition};
use crate::seq::{MsgNumber, SeqNumber, SeqRange};
use crate::time::Instant;
use alloc::collections::VecDeque;
use bytes::Bytes;

/// One packet in the send buffer.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    /// The payload: plaintext until the first transmission, the ciphertext
    /// after it when the connection encrypts (retransmissions resend it
    /// with the same `KK`, as libsrt does).
    pub payload: Bytes,
    /// The origin time (the message's `srctime`, or when it was pushed):
    /// the packet's timestamp and the start of its TTL and too-late clock.
    pub origin: Instant,
    /// When the message's TTL expires, if it has one.
    pub ttl_deadline: Option<Instant>,
    /// The message the packet belongs to.
    pub msg: MsgNumber,
    /// Where the packet sits in its message.
    pub position: PacketPosition,
    /// The `O` flag.
    pub in_order: bool,
    /// The key the payload was encrypted with (set at first transmission).
    pub key: EncryptionKeySpec,
    /// When it was first sent.
    pub first_sent: Option<Instant>,
    /// When it was last retransmitted.
    pub last_rexmit: Option<Instant>,
    /// How many times it was retransmitted.
    pub rexmit_count: u32,
    /// It is on the loss list: retransmit it.
    pub needs_rexmit: bool,
    /// The sender gave up on it (TTL); a DROPREQ told the peer.
    pub dropped: bool,
}

impl Entry {
    /// A packet that has not been sent yet.
    pub(super) fn new(
        payload: Bytes,
        origin: Instant,
        ttl_deadline: Option<Instant>,
        msg: MsgNumber,
        position: PacketPosition,
        in_order: bool,
    ) -> Self {
        Self {
            payload,
            origin,
            ttl_deadline,
            msg,
            position,
            in_order,
            key: EncryptionKeySpec::Unencrypted,
            first_sent: None,
            last_rexmit: None,
            rexmit_count: 0,
            needs_rexmit: false,
            dropped: false,
        }
    }
}

/// The send buffer (see the module docs).
#[derive(Debug, Clone)]
pub(super) struct SendBuffer {
    entries: VecDeque<Entry>,
    /// The sequence number of `entries[0]`; the next one to assign when
    /// the buffer is empty.
    front: SeqNumber,
    capacity: usize,
    /// How many entries (from the front) were sent at least once.
    sent: usize,
    /// Payload bytes held.
    bytes: u64,
    /// Entries flagged for retransmission.
    rexmit_pending: usize,
    /// No entry below this index is flagged.
    rexmit_cursor: usize,
}

impl SendBuffer {
    /// An empty buffer of `capacity` packets whose first packet will be
    /// `isn`. Memory grows with use, up to the capacity.
    pub(super) fn new(isn: SeqNumber, capacity: usize) -> Self {
        Self {
            entries: VecDeque::with_capacity(capacity.min(64)),
            front: isn,
            capacity,
            sent: 0,
            bytes: 0,
            rexmit_pending: 0,
            rexmit_cursor: 0,
        }
    }

    /// Packets held.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Room left, packets.
    #[inline]
    pub(super) fn free(&self) -> usize {
        self.capacity.saturating_sub(self.entries.len())
    }

    /// Payload bytes held.
    #[inline]
    pub(super) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The sequence number of the oldest packet held (the next one to
    /// assign if the buffer is empty).
    #[inline]
    pub(super) fn front(&self) -> SeqNumber {
        self.front
    }

    /// The sequence number the next pushed packet gets.
    pub(super) fn next_seq(&self) -> SeqNumber {
        self.front
            .wrapping_add(u32::try_from(self.entries.len()).unwrap_or(0))
    }

    /// Numbers the next pushed packet `seq`; only for an empty buffer
    /// (the caller checked).
    pub(super) fn restart_at(&mut self, seq: SeqNumber) {
        if self.entries.is_empty() {
            self.front = seq;
            self.sent = 0;
            self.rexmit_pending = 0;
            self.rexmit_cursor = 0;
        }
    }

    /// Packets sent at least once and not yet acknowledged (the flight
    /// span).
    #[inline]
    pub(super) fn sent(&self) -> usize {
        self.sent
    }

    /// The sequence number the next first transmission gets.
    #[inline]
    pub(super) fn next_unsent_seq(&self) -> SeqNumber {
        self.front.wrapping_add(self.sent as u32)
    }

    /// Packets waiting for retransmission.
    #[inline]
    pub(super) fn rexmit_pending(&self) -> usize {
        self.rexmit_pending
    }

    /// The oldest packet held.
    #[inline]
    pub(super) fn first(&self) -> Option<&Entry> {
        self.entries.front()
    }

    /// Appends a packet (the caller checked [`Self::free`]).
    #[inline]
    pub(super) fn push(&mut self, entry: Entry) {
        self.bytes = self.bytes.saturating_add(entry.payload.len() as u64);
        self.entries.push_back(entry);
    }

    /// The entry at `index`.
    #[inline]
    pub(super) fn get(&self, index: usize) -> Option<&Entry> {
        self.entries.get(index)
    }

    /// The entry at `index`, to change.
    #[inline]
    pub(super) fn get_mut(&mut self, index: usize) -> Option<&mut Entry> {
        self.entries.get_mut(index)
    }

    /// The first unsent packet, with its index.
    #[inline]
    pub(super) fn next_unsent(&mut self) -> Option<(usize, &mut Entry)> {
        let index = self.sent;
        self.entries.get_mut(index).map(|e| (index, e))
    }

    /// Marks the first unsent packet as sent.
    #[inline]
    pub(super) fn mark_sent(&mut self) {
        if self.sent < self.entries.len() {
            self.sent += 1;
        }
    }

    /// Removes `n` packets from the front (acknowledged or dropped):
    /// returns the packets and payload bytes removed.
    pub(super) fn pop_front(&mut self, n: usize) -> (u64, u64) {
        let n = n.min(self.entries.len());
        let mut bytes = 0u64;
        for entry in self.entries.drain(..n) {
            bytes = bytes.saturating_add(entry.payload.len() as u64);
            if entry.needs_rexmit {
                self.rexmit_pending = self.rexmit_pending.saturating_sub(1);
            }
        }
        self.bytes = self.bytes.saturating_sub(bytes);
        self.front = self.front.wrapping_add(n as u32);
        self.sent = self.sent.saturating_sub(n);
        self.rexmit_cursor = self.rexmit_cursor.saturating_sub(n);
        (n as u64, bytes)
    }

    /// Removes every packet before `seq` (an acknowledgement): returns the
    /// packets and bytes removed, nothing if `seq` is not after the front
    /// or is beyond the packets sent.
    pub(super) fn ack_before(&mut self, seq: SeqNumber) -> (u64, u64) {
        match usize::try_from(self.front.offset_to(seq)) {
            Ok(n) if n <= self.sent => self.pop_front(n),
            _ => (0, 0),
        }
    }

    /// Flags the sent packets of `range` for retransmission: returns how
    /// many were newly flagged, their payload bytes, and how many of them
    /// were never retransmitted before (fresh losses).
    pub(super) fn flag_rexmit(&mut self, range: SeqRange) -> (usize, u64, usize) {
        // Clip to the sent packets: `[front, front + sent)`.
        let start = self.front.offset_to(range.first()).max(0);
        let end = self.front.offset_to(range.last());
        let (Ok(start), Ok(end)) = (usize::try_from(start), usize::try_from(end)) else {
            return (0, 0, 0);
        };
        let end = end.min(self.sent.saturating_sub(1));
        if self.sent == 0 || start > end {
            return (0, 0, 0);
        }
        let (mut flagged, mut bytes, mut fresh) = (0, 0u64, 0);
        for entry in self.entries.range_mut(start..=end) {
            // Dropped packets are flagged too: the retransmission path
            // answers them with a DROPREQ, as libsrt does.
            if !entry.needs_rexmit {
                entry.needs_rexmit = true;
                flagged += 1;
                bytes = bytes.saturating_add(entry.payload.len() as u64);
                if entry.rexmit_count == 0 && !entry.dropped {
                    fresh += 1;
                }
            }
        }
        self.rexmit_pending = self.rexmit_pending.saturating_add(flagged);
        self.rexmit_cursor = self.rexmit_cursor.min(start);
        (flagged, bytes, fresh)
    }

    /// The oldest packet flagged for retransmission, with its index; the
    /// flag stays until [`Self::unflag`].
    pub(super) fn next_flagged(&mut self) -> Option<usize> {
        if self.rexmit_pending == 0 {
            return None;
        }
        let limit = self.sent;
        let start = self.rexmit_cursor;
        let found = self
            .entries
            .range(start..limit.max(start))
            .position(|e| e.needs_rexmit)
            .map(|p| p + start);
        match found {
            Some(index) => {
                self.rexmit_cursor = index;
                Some(index)
            }
            None => {
                // Nothing flagged among the sent packets: the count is stale.
                self.rexmit_pending = 0;
                self.rexmit_cursor = limit;
                None
            }
        }
    }

    /// Takes the packet at `index` off the loss list.
    pub(super) fn unflag(&mut self, index: usize) {
        if let Some(entry) = self.entries.get_mut(index)
            && entry.needs_rexmit
        {
            entry.needs_rexmit = false;
            self.rexmit_pending = self.rexmit_pending.saturating_sub(1);
        }
    }

    /// Replaces the payload of the packet at `index` (with its ciphertext),
    /// keeping the byte count right.
    pub(super) fn set_payload(&mut self, index: usize, payload: Bytes) {
        if let Some(entry) = self.entries.get_mut(index) {
            let old = entry.payload.len() as u64;
            self.bytes = self
                .bytes
                .saturating_sub(old)
                .saturating_add(payload.len() as u64);
            entry.payload = payload;
        }
    }

    /// Clears the payload of the packet at `index` (dropped: it will not
    /// be sent again) and returns the bytes released.
    pub(super) fn release_payload(&mut self, index: usize) -> u64 {
        match self.entries.get_mut(index) {
            Some(entry) => {
                let len = entry.payload.len() as u64;
                entry.payload = Bytes::new();
                self.bytes = self.bytes.saturating_sub(len);
                len
            }
            None => 0,
        }
    }

    /// The index range `first ..= last` of the message the packet at
    /// `index` belongs to (the packets around it with its message number).
    pub(super) fn message_bounds(&self, index: usize) -> Option<(usize, usize)> {
        let msg = self.entries.get(index)?.msg;
        let mut first = index;
        while first > 0 {
            match self.entries.get(first - 1) {
                Some(e) if e.msg == msg && !e.position.is_last() => first -= 1,
                _ => break,
            }
        }
        let mut last = index;
        loop {
            match self.entries.get(last) {
                Some(e) if !e.position.is_last() => match self.entries.get(last + 1) {
                    Some(next) if next.msg == msg => last += 1,
                    _ => break,
                },
                _ => break,
            }
        }
        Some((first, last))
    }

    /// The index just past the end of the message that holds `index`.
    pub(super) fn message_end(&self, index: usize) -> usize {
        self.message_bounds(index)
            .map_or(index.saturating_add(1), |(_, last)| last + 1)
    }

    /// Forgets that packets from `index` on were sent, so they go out again
    /// as first transmissions (never used for packets the peer may hold:
    /// only to skip dropped unsent packets forward).
    pub(super) fn skip_unsent_to(&mut self, index: usize) {
        if index > self.sent {
            self.sent = index.min(self.entries.len());
        }
    }

    /// Flags every sent packet for retransmission (the RTO path): returns
    /// how many were newly flagged and their payload bytes.
    pub(super) fn flag_all_sent(&mut self) -> (usize, u64) {
        if self.sent == 0 {
            return (0, 0);
        }
        let last = self.front.wrapping_add(self.sent as u32 - 1);
        SeqRange::new(self.front, last).map_or((0, 0), |r| {
            let (flagged, bytes, _) = self.flag_rexmit(r);
            (flagged, bytes)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buffer_with(n: u32, sent: usize) -> SendBuffer {
        let mut b = SendBuffer::new(SeqNumber::new(100), 16);
        for i in 0..n {
            b.push(Entry::new(
                Bytes::from_static(b"abcd"),
                Instant::ZERO,
                None,
                MsgNumber::new(i + 1),
                PacketPosition::Only,
                false,
            ));
        }
        for _ in 0..sent {
            b.mark_sent();
        }
        b
    }

    fn range(a: u32, b: u32) -> SeqRange {
        SeqRange::new(SeqNumber::new(a), SeqNumber::new(b)).unwrap()
    }

    #[test]
    fn ack_removes_packets_before_the_ack_number() {
        let mut b = buffer_with(5, 5);
        assert_eq!(b.ack_before(SeqNumber::new(103)), (3, 12));
        assert_eq!(b.front(), SeqNumber::new(103));
        assert_eq!((b.len(), b.sent(), b.bytes()), (2, 2, 8));
    }

    #[test]
    fn ack_beyond_what_was_sent_is_ignored() {
        let mut b = buffer_with(5, 2);
        assert_eq!(b.ack_before(SeqNumber::new(104)), (0, 0));
        assert_eq!(b.ack_before(SeqNumber::new(99)), (0, 0));
        assert_eq!(b.len(), 5);
    }

    #[test]
    fn flagging_clips_to_the_sent_packets() {
        let mut b = buffer_with(6, 4);
        assert_eq!(b.flag_rexmit(range(90, 200)), (4, 16, 4));
        assert_eq!(b.flag_rexmit(range(101, 102)), (0, 0, 0));
        assert_eq!(b.rexmit_pending(), 4);
        assert_eq!(b.next_flagged(), Some(0));
        b.unflag(0);
        assert_eq!(b.next_flagged(), Some(1));
    }

    #[test]
    fn popping_flagged_packets_keeps_the_count() {
        let mut b = buffer_with(6, 6);
        b.flag_rexmit(range(101, 104));
        b.ack_before(SeqNumber::new(103));
        assert_eq!(b.rexmit_pending(), 2);
        assert_eq!(b.next_flagged(), Some(0));
        assert_eq!(b.get(0).map(|e| e.msg), Some(MsgNumber::new(4)));
    }

    #[test]
    fn message_bounds_follow_the_position_flags() {
        let mut b = SendBuffer::new(SeqNumber::new(0), 16);
        let positions = [
            (1, PacketPosition::Only),
            (2, PacketPosition::First),
            (2, PacketPosition::Middle),
            (2, PacketPosition::Last),
            (3, PacketPosition::Only),
        ];
        for (msg, position) in positions {
            let e = Entry::new(
                Bytes::new(),
                Instant::ZERO,
                None,
                MsgNumber::new(msg),
                position,
                false,
            );
            b.push(e);
        }
        assert_eq!(b.message_bounds(0), Some((0, 0)));
        assert_eq!(b.message_bounds(2), Some((1, 3)));
        assert_eq!(b.message_bounds(4), Some((4, 4)));
        assert_eq!(b.message_end(1), 4);
    }
}

//! Sequence numbers (31 bits) and message numbers (26 bits), wrap-aware.
//!
//! Both live on a circle: after the largest value comes the smallest again.
//! Two numbers are ordered by the shorter way around the circle, as libsrt's
//! `CSeqNo::seqcmp` does: `b` is after `a` when going forward from `a` to `b`
//! takes fewer than half a turn. That is not a total order (it is not
//! transitive over more than half a turn, and two numbers exactly half a turn
//! apart are each "before" the other), so these types do not implement
//! [`Ord`]; use [`SeqNumber::cmp_wrapped`] and [`SeqNumber::offset_to`], and
//! keep the numbers you compare within a quarter turn of each other.

use core::cmp::Ordering;
use core::fmt;
use core::iter::FusedIterator;
use core::ops::{Add, AddAssign, Sub, SubAssign};

/// A 31-bit SRT packet sequence number.
///
/// Arithmetic wraps modulo 2^31. `+`/`-` with a `u32` step forward/backward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SeqNumber(u32);

/// Half a turn of the sequence-number circle: `2^30`.
const SEQ_HALF: u32 = 1 << 30;

impl SeqNumber {
    /// The largest sequence number, `2^31 - 1`.
    pub const MAX: u32 = 0x7FFF_FFFF;

    /// Makes a sequence number from the low 31 bits of `raw`.
    pub const fn new(raw: u32) -> Self {
        Self(raw & Self::MAX)
    }

    /// Makes a sequence number from a wire word, or `None` if bit 31 is set
    /// (a 31-bit field holds no such value).
    pub const fn from_wire(raw: u32) -> Option<Self> {
        if raw > Self::MAX {
            None
        } else {
            Some(Self(raw))
        }
    }

    /// The number as it goes on the wire.
    pub const fn as_u32(self) -> u32 {
        self.0
    }

    /// The number `n` steps after this one, wrapping after [`Self::MAX`] to 0.
    #[must_use]
    pub const fn wrapping_add(self, n: u32) -> Self {
        Self::new(self.0.wrapping_add(n))
    }

    /// The number `n` steps before this one, wrapping below 0 to [`Self::MAX`].
    #[must_use]
    pub const fn wrapping_sub(self, n: u32) -> Self {
        Self::new(self.0.wrapping_sub(n))
    }

    /// The number `n` steps away (forward if positive), wrapping.
    #[must_use]
    pub const fn wrapping_add_signed(self, n: i32) -> Self {
        Self::new(self.0.wrapping_add_signed(n))
    }

    /// The next sequence number (libsrt `incseq`).
    #[must_use]
    pub const fn next(self) -> Self {
        self.wrapping_add(1)
    }

    /// The previous sequence number (libsrt `decseq`).
    #[must_use]
    pub const fn prev(self) -> Self {
        self.wrapping_sub(1)
    }

    /// How many steps forward lead from `self` to `other`: positive if `other`
    /// is after `self`, negative if before, by the shorter way around the
    /// circle (libsrt `CSeqNo::seqoff(self, other)`).
    ///
    /// The result is in `-2^30 ..= 2^30 - 1`; two numbers exactly `2^30`
    /// apart give `-2^30` both ways.
    pub const fn offset_to(self, other: Self) -> i32 {
        let forward = other.0.wrapping_sub(self.0) & Self::MAX;
        if forward < SEQ_HALF {
            forward as i32
        } else {
            // `forward` is in 2^30 ..= 2^31 - 1: setting bit 31 makes it
            // `forward - 2^31`, in -2^30 ..= -1.
            (forward | 0x8000_0000) as i32
        }
    }

    /// Compares on the circle: `Less` if `self` comes before `other` (libsrt
    /// `seqcmp(self, other) < 0`). Not a total order: see the module docs.
    pub const fn cmp_wrapped(self, other: Self) -> Ordering {
        let off = other.offset_to(self);
        if off < 0 {
            Ordering::Less
        } else if off > 0 {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    }

    /// Whether `self` comes strictly before `other` on the circle.
    pub const fn is_before(self, other: Self) -> bool {
        self.offset_to(other) > 0
    }

    /// Whether `self` comes strictly after `other` on the circle.
    pub const fn is_after(self, other: Self) -> bool {
        other.offset_to(self) > 0
    }

    /// The later of the two on the circle.
    #[must_use]
    pub const fn max_wrapped(self, other: Self) -> Self {
        if other.is_after(self) { other } else { self }
    }

    /// The earlier of the two on the circle.
    #[must_use]
    pub const fn min_wrapped(self, other: Self) -> Self {
        if other.is_before(self) { other } else { self }
    }
}

impl Add<u32> for SeqNumber {
    type Output = Self;
    fn add(self, n: u32) -> Self {
        self.wrapping_add(n)
    }
}

impl AddAssign<u32> for SeqNumber {
    fn add_assign(&mut self, n: u32) {
        *self = self.wrapping_add(n);
    }
}

impl Sub<u32> for SeqNumber {
    type Output = Self;
    fn sub(self, n: u32) -> Self {
        self.wrapping_sub(n)
    }
}

impl SubAssign<u32> for SeqNumber {
    fn sub_assign(&mut self, n: u32) {
        *self = self.wrapping_sub(n);
    }
}

impl fmt::Display for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{}", self.0)
    }
}

/// An inclusive, non-empty run of sequence numbers `first ..= last`, which
/// may wrap past [`SeqNumber::MAX`]. At most `2^30` numbers long, so that
/// `last` is never before `first` on the circle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SeqRange {
    first: SeqNumber,
    last: SeqNumber,
}

impl SeqRange {
    /// The longest allowed range, `2^30` numbers.
    pub const MAX_LEN: u32 = SEQ_HALF;

    /// The range `first ..= last`, or `None` if `last` is before `first` on
    /// the circle (which also rules out ranges longer than [`Self::MAX_LEN`]).
    pub const fn new(first: SeqNumber, last: SeqNumber) -> Option<Self> {
        if first.offset_to(last) < 0 {
            None
        } else {
            Some(Self { first, last })
        }
    }

    /// The range holding only `seq`.
    pub const fn single(seq: SeqNumber) -> Self {
        Self {
            first: seq,
            last: seq,
        }
    }

    /// The first number in the range.
    pub const fn first(self) -> SeqNumber {
        self.first
    }

    /// The last number in the range (inclusive).
    pub const fn last(self) -> SeqNumber {
        self.last
    }

    /// How many numbers the range holds (at least 1, at most
    /// [`Self::MAX_LEN`]). A range is never empty, so there is no `is_empty`.
    #[allow(clippy::len_without_is_empty)]
    pub const fn len(self) -> u32 {
        // `new` guarantees an offset in 0 ..= 2^30 - 1.
        self.first.offset_to(self.last).unsigned_abs() + 1
    }

    /// Whether `seq` is in the range.
    pub const fn contains(self, seq: SeqNumber) -> bool {
        let off = self.first.offset_to(seq);
        off >= 0 && off.unsigned_abs() < self.len()
    }

    /// The numbers of the range, first to last.
    pub const fn iter(self) -> SeqRangeIter {
        SeqRangeIter {
            next: self.first,
            remaining: self.len(),
        }
    }
}

impl IntoIterator for SeqRange {
    type Item = SeqNumber;
    type IntoIter = SeqRangeIter;
    fn into_iter(self) -> SeqRangeIter {
        self.iter()
    }
}

impl fmt::Display for SeqRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}..={}", self.first, self.last)
        }
    }
}

/// Iterator over the numbers of a [`SeqRange`].
#[derive(Debug, Clone)]
pub struct SeqRangeIter {
    next: SeqNumber,
    remaining: u32,
}

impl Iterator for SeqRangeIter {
    type Item = SeqNumber;

    fn next(&mut self) -> Option<SeqNumber> {
        if self.remaining == 0 {
            return None;
        }
        let seq = self.next;
        self.next = seq.next();
        self.remaining -= 1;
        Some(seq)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::try_from(self.remaining).unwrap_or(usize::MAX);
        (n, Some(n))
    }
}

impl ExactSizeIterator for SeqRangeIter {}
impl FusedIterator for SeqRangeIter {}

/// A 26-bit SRT message number.
///
/// libsrt numbers messages from 1 and, after [`Self::MAX`], continues at 1
/// again: message number 0 is never given to a message (libsrt's
/// `SRT_MSGNO_CONTROL`; a DROPREQ carries 0 when it does not know the
/// message). [`Self::next`] follows that rule. Ordering is wrap-aware on the
/// 2^26 circle, like [`SeqNumber`]'s (threshold 2^25).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MsgNumber(u32);

/// Half a turn of the message-number circle: `2^25`.
const MSG_HALF: u32 = 1 << 25;

impl MsgNumber {
    /// The largest message number, `2^26 - 1`.
    pub const MAX: u32 = 0x03FF_FFFF;

    /// The first message number libsrt gives a message.
    pub const FIRST: Self = Self(1);

    /// Makes a message number from the low 26 bits of `raw`.
    pub const fn new(raw: u32) -> Self {
        Self(raw & Self::MAX)
    }

    /// The number as it goes on the wire.
    pub const fn as_u32(self) -> u32 {
        self.0
    }

    /// The next message number: one more, except that [`Self::MAX`] (and 0)
    /// is followed by 1, as in libsrt.
    #[must_use]
    pub const fn next(self) -> Self {
        if self.0 >= Self::MAX {
            Self(1)
        } else {
            Self(self.0 + 1)
        }
    }

    /// How many steps forward lead from `self` to `other` on the 2^26
    /// circle, in `-2^25 ..= 2^25 - 1`. (This counts the unused 0 as a step
    /// when the way crosses it.)
    pub const fn offset_to(self, other: Self) -> i32 {
        let forward = other.0.wrapping_sub(self.0) & Self::MAX;
        if forward < MSG_HALF {
            forward as i32
        } else {
            forward as i32 - (1 << 26)
        }
    }

    /// Compares on the circle: `Less` if `self` comes before `other`.
    pub const fn cmp_wrapped(self, other: Self) -> Ordering {
        let off = other.offset_to(self);
        if off < 0 {
            Ordering::Less
        } else if off > 0 {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    }
}

impl fmt::Display for MsgNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    fn s(n: u32) -> SeqNumber {
        SeqNumber::new(n)
    }

    #[test]
    fn new_keeps_only_31_bits() {
        assert_eq!(SeqNumber::new(0xFFFF_FFFF).as_u32(), SeqNumber::MAX);
        assert_eq!(SeqNumber::new(0x8000_0005).as_u32(), 5);
    }

    #[test]
    fn from_wire_rejects_bit_31() {
        assert_eq!(SeqNumber::from_wire(0x8000_0000), None);
        assert_eq!(
            SeqNumber::from_wire(SeqNumber::MAX),
            Some(s(SeqNumber::MAX))
        );
    }

    #[test]
    fn next_after_max_is_zero() {
        assert_eq!(s(SeqNumber::MAX).next(), s(0));
        assert_eq!(s(0).prev(), s(SeqNumber::MAX));
    }

    #[test]
    fn add_and_sub_wrap() {
        assert_eq!(s(SeqNumber::MAX - 1) + 5, s(3));
        assert_eq!(s(3) - 5, s(SeqNumber::MAX - 1));
        assert_eq!(s(10).wrapping_add_signed(-11), s(SeqNumber::MAX));
    }

    #[test]
    fn offset_across_the_wrap_is_short_way() {
        assert_eq!(s(SeqNumber::MAX - 1).offset_to(s(2)), 4);
        assert_eq!(s(2).offset_to(s(SeqNumber::MAX - 1)), -4);
    }

    #[test]
    fn offset_half_a_turn_apart_is_negative_both_ways() {
        let a = s(0);
        let b = s(1 << 30);
        assert_eq!(a.offset_to(b), -(1 << 30));
        assert_eq!(b.offset_to(a), -(1 << 30));
    }

    #[test]
    fn cmp_wrapped_orders_across_the_wrap() {
        assert_eq!(s(SeqNumber::MAX).cmp_wrapped(s(0)), Ordering::Less);
        assert_eq!(s(0).cmp_wrapped(s(SeqNumber::MAX)), Ordering::Greater);
        assert_eq!(s(7).cmp_wrapped(s(7)), Ordering::Equal);
        assert!(s(SeqNumber::MAX).is_before(s(0)));
        assert!(s(0).is_after(s(SeqNumber::MAX)));
        assert_eq!(s(SeqNumber::MAX).max_wrapped(s(1)), s(1));
        assert_eq!(s(SeqNumber::MAX).min_wrapped(s(1)), s(SeqNumber::MAX));
    }

    #[test]
    fn range_rejects_last_before_first() {
        assert_eq!(SeqRange::new(s(10), s(9)), None);
        assert!(SeqRange::new(s(10), s(10)).is_some());
    }

    #[test]
    fn range_across_the_wrap_has_len_and_members() {
        let r = SeqRange::new(s(SeqNumber::MAX - 1), s(1)).unwrap();
        assert_eq!(r.len(), 4);
        assert!(r.contains(s(SeqNumber::MAX)));
        assert!(r.contains(s(0)));
        assert!(!r.contains(s(2)));
        assert!(!r.contains(s(SeqNumber::MAX - 2)));
        let all: Vec<_> = r.iter().map(SeqNumber::as_u32).collect();
        assert_eq!(all, [SeqNumber::MAX - 1, SeqNumber::MAX, 0, 1]);
    }

    #[test]
    fn range_is_at_most_half_the_circle_long() {
        let r = SeqRange::new(s(5), s(5) + (SeqRange::MAX_LEN - 1)).unwrap();
        assert_eq!(r.len(), SeqRange::MAX_LEN);
        assert_eq!(SeqRange::new(s(5), s(5) + SeqRange::MAX_LEN), None);
    }

    #[test]
    fn range_iter_is_exact_size() {
        let r = SeqRange::new(s(1), s(3)).unwrap();
        assert_eq!(r.iter().len(), 3);
        assert_eq!(r.iter().count(), 3);
    }

    #[test]
    fn msg_number_after_max_is_one() {
        assert_eq!(MsgNumber::new(MsgNumber::MAX).next(), MsgNumber::new(1));
        assert_eq!(MsgNumber::new(0).next(), MsgNumber::new(1));
        assert_eq!(MsgNumber::new(41).next(), MsgNumber::new(42));
    }

    #[test]
    fn msg_number_keeps_only_26_bits() {
        assert_eq!(MsgNumber::new(0xFFFF_FFFF).as_u32(), MsgNumber::MAX);
    }

    #[test]
    fn msg_number_compares_across_the_wrap() {
        let max = MsgNumber::new(MsgNumber::MAX);
        assert_eq!(max.cmp_wrapped(MsgNumber::new(1)), Ordering::Less);
        assert_eq!(max.offset_to(MsgNumber::new(1)), 2);
        assert_eq!(
            MsgNumber::new(3).cmp_wrapped(MsgNumber::new(2)),
            Ordering::Greater
        );
    }

    proptest! {
        #[test]
        fn offset_then_add_returns_to_other(a in 0..=SeqNumber::MAX, b in 0..=SeqNumber::MAX) {
            let (a, b) = (s(a), s(b));
            prop_assert_eq!(a.wrapping_add_signed(a.offset_to(b)), b);
        }

        #[test]
        fn offset_is_antisymmetric_except_half_a_turn(a in 0..=SeqNumber::MAX, b in 0..=SeqNumber::MAX) {
            let (a, b) = (s(a), s(b));
            let (ab, ba) = (a.offset_to(b), b.offset_to(a));
            if ab != -(1 << 30) {
                prop_assert_eq!(ab, -ba);
            }
        }

        #[test]
        fn stepping_n_forward_gives_offset_n(a in 0..=SeqNumber::MAX, n in 0u32..(1 << 30)) {
            let a = s(a);
            prop_assert_eq!(a.offset_to(a + n), n as i32);
            prop_assert!(SeqRange::new(a, a + n).is_some_and(|r| r.len() == n + 1));
        }

        #[test]
        fn range_contains_exactly_its_iterated_members(a in 0..=SeqNumber::MAX, n in 0u32..50, probe in 0u32..60) {
            let r = SeqRange::new(s(a), s(a) + n).unwrap();
            let seq = s(a).wrapping_sub(5) + probe;
            let listed = r.iter().any(|x| x == seq);
            prop_assert_eq!(r.contains(seq), listed);
        }
    }
}

//! The receiver's loss list: the sequence numbers found missing, as sorted,
//! disjoint ranges (libsrt `CRcvLossList`), plus the "fresh" losses held
//! back for the reorder tolerance (`SRTO_LOSSMAXTTL`).

use crate::seq::{SeqNumber, SeqRange};
use alloc::collections::VecDeque;

/// Sorted, disjoint ranges of missing packets. Every range lies inside the
/// receive buffer's window, so the list never holds more ranges than the
/// buffer has slots.
#[derive(Debug, Clone, Default)]
pub(crate) struct LossList {
    ranges: VecDeque<SeqRange>,
    len: u64,
}

impl LossList {
    /// Missing packets in all.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The first missing packet.
    pub(crate) fn first(&self) -> Option<SeqNumber> {
        self.ranges.front().map(|r| r.first())
    }

    /// Adds a range that lies after everything already listed (a new gap).
    pub(crate) fn push_back(&mut self, range: SeqRange) {
        if let Some(last) = self.ranges.back_mut()
            && last.last().next() == range.first()
            && let Some(merged) = SeqRange::new(last.first(), range.last())
        {
            *last = merged;
        } else {
            self.ranges.push_back(range);
        }
        self.len += u64::from(range.len());
    }

    /// Removes one packet (it arrived); true if it was listed.
    pub(crate) fn remove(&mut self, seq: SeqNumber) -> bool {
        let Some(i) = self.find(seq) else {
            return false;
        };
        let Some(r) = self.ranges.get(i).copied() else {
            return false;
        };
        self.len -= 1;
        let before = SeqRange::new(r.first(), seq.prev()).filter(|_| r.first() != seq);
        let after = SeqRange::new(seq.next(), r.last()).filter(|_| r.last() != seq);
        match (before, after) {
            (None, None) => {
                self.ranges.remove(i);
            }
            (Some(b), None) => {
                if let Some(slot) = self.ranges.get_mut(i) {
                    *slot = b;
                }
            }
            (None, Some(a)) => {
                if let Some(slot) = self.ranges.get_mut(i) {
                    *slot = a;
                }
            }
            (Some(b), Some(a)) => {
                if let Some(slot) = self.ranges.get_mut(i) {
                    *slot = b;
                }
                self.ranges.insert(i + 1, a);
            }
        }
        true
    }

    /// Removes every packet before `seq`; returns how many were listed.
    pub(crate) fn remove_before(&mut self, seq: SeqNumber) -> u64 {
        let mut removed = 0u64;
        while let Some(r) = self.ranges.front().copied() {
            if !r.first().is_before(seq) {
                break;
            }
            if r.last().is_before(seq) {
                removed += u64::from(r.len());
                self.ranges.pop_front();
            } else {
                let kept = SeqRange::new(seq, r.last());
                if let (Some(kept), Some(front)) = (kept, self.ranges.front_mut()) {
                    removed += u64::from(r.len() - kept.len());
                    *front = kept;
                }
                break;
            }
        }
        self.len -= removed;
        removed
    }

    /// Removes every listed packet inside `range`; returns how many.
    pub(crate) fn remove_range(&mut self, range: SeqRange) -> u64 {
        // Ranges are few; rebuild the affected part.
        let mut removed = 0u64;
        let mut out = VecDeque::with_capacity(self.ranges.len() + 1);
        for r in self.ranges.drain(..) {
            let overlap_first = r.first().max_wrapped(range.first());
            let overlap_last = r.last().min_wrapped(range.last());
            if overlap_first.is_after(overlap_last) {
                out.push_back(r);
                continue;
            }
            if r.first().is_before(overlap_first)
                && let Some(b) = SeqRange::new(r.first(), overlap_first.prev())
            {
                out.push_back(b);
            }
            removed += u64::from(overlap_first.offset_to(overlap_last).unsigned_abs()) + 1;
            if overlap_last.is_before(r.last())
                && let Some(a) = SeqRange::new(overlap_last.next(), r.last())
            {
                out.push_back(a);
            }
        }
        self.ranges = out;
        self.len -= removed;
        removed
    }

    /// The listed ranges, in order.
    pub(crate) fn ranges(&self) -> impl Iterator<Item = SeqRange> + '_ {
        self.ranges.iter().copied()
    }

    fn find(&self, seq: SeqNumber) -> Option<usize> {
        // Binary search on the sorted ranges.
        let (mut lo, mut hi) = (0usize, self.ranges.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let r = self.ranges.get(mid)?;
            if r.last().is_before(seq) {
                lo = mid + 1;
            } else if seq.is_before(r.first()) {
                hi = mid;
            } else {
                return Some(mid);
            }
        }
        None
    }
}

/// A gap not yet reported, waiting for `ttl` more packets to arrive
/// (reorder tolerance).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FreshLoss {
    pub(crate) range: SeqRange,
    pub(crate) ttl: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn s(n: u32) -> SeqNumber {
        SeqNumber::new(n)
    }
    fn r(a: u32, b: u32) -> SeqRange {
        SeqRange::new(s(a), s(b)).unwrap()
    }
    fn list(l: &LossList) -> Vec<(u32, u32)> {
        l.ranges()
            .map(|r| (r.first().as_u32(), r.last().as_u32()))
            .collect()
    }

    #[test]
    fn adjacent_gaps_merge_into_one_range() {
        let mut l = LossList::default();
        l.push_back(r(10, 12));
        l.push_back(r(13, 13));
        assert_eq!(list(&l), [(10, 13)]);
        assert_eq!(l.len(), 4);
    }

    #[test]
    fn an_arrival_in_the_middle_splits_its_range() {
        let mut l = LossList::default();
        l.push_back(r(10, 14));
        assert!(l.remove(s(12)));
        assert_eq!(list(&l), [(10, 11), (13, 14)]);
        assert!(!l.remove(s(12)));
        assert!(l.remove(s(10)));
        assert!(l.remove(s(14)));
        assert_eq!(list(&l), [(11, 11), (13, 13)]);
        assert_eq!(l.len(), 2);
    }

    #[test]
    fn removing_before_a_sequence_trims_the_front() {
        let mut l = LossList::default();
        l.push_back(r(10, 14));
        l.push_back(r(20, 21));
        assert_eq!(l.remove_before(s(12)), 2);
        assert_eq!(list(&l), [(12, 14), (20, 21)]);
        assert_eq!(l.remove_before(s(30)), 5);
        assert!(l.is_empty());
    }

    #[test]
    fn removing_a_range_cuts_every_overlap() {
        let mut l = LossList::default();
        l.push_back(r(10, 14));
        l.push_back(r(20, 24));
        assert_eq!(l.remove_range(r(13, 21)), 4);
        assert_eq!(list(&l), [(10, 12), (22, 24)]);
        assert_eq!(l.len(), 6);
    }

    #[test]
    fn ranges_across_the_sequence_wrap_work() {
        let mut l = LossList::default();
        l.push_back(r(SeqNumber::MAX - 1, 1));
        assert_eq!(l.len(), 4);
        assert!(l.remove(s(0)));
        assert_eq!(list(&l), [(SeqNumber::MAX - 1, SeqNumber::MAX), (1, 1)]);
        assert_eq!(l.first(), Some(s(SeqNumber::MAX - 1)));
    }
}

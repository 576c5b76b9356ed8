//! The compressed loss list carried by a NAK (draft-sharabayko-srt §3.2.5,
//! Appendix A).
//!
//! A list of 32-bit words. A word with bit 31 clear is one lost sequence
//! number. A word with bit 31 set starts a range: its low 31 bits are the
//! first lost number and the next word (bit 31 clear) the last one,
//! inclusive.

use super::{DecodeError, put_u32};
use crate::seq::{SeqNumber, SeqRange};
use alloc::vec::Vec;
use bytes::Bytes;
use core::iter::FusedIterator;

/// Bit 31 of a loss-list word: this word starts a range.
const RANGE_FIRST: u32 = 0x8000_0000;

/// A validated NAK loss list.
///
/// It keeps the wire bytes (shared with the datagram, no copy) and yields
/// [`SeqRange`]s on [`Self::iter`], so decoding allocates nothing and
/// re-encoding gives back exactly the bytes received.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct LossList {
    cif: Bytes,
}

impl LossList {
    /// The empty list.
    pub const fn new() -> Self {
        Self { cif: Bytes::new() }
    }

    /// Validates a NAK's control information field.
    ///
    /// Fails if its length is not a multiple of 4, if a range start is the
    /// last word or is followed by another range start, or if a range ends
    /// before it starts (wrap-aware, as libsrt checks). A range whose first
    /// and last are equal is accepted, as libsrt does.
    pub fn decode(cif: Bytes) -> Result<Self, DecodeError> {
        if !cif.len().is_multiple_of(4) {
            return Err(DecodeError::BadLength {
                what: "NAK loss list",
                len: cif.len(),
            });
        }
        let mut words = Words(&cif);
        while let Some(word) = words.next() {
            if word & RANGE_FIRST == 0 {
                continue;
            }
            let Some(last) = words.next() else {
                return Err(DecodeError::Truncated {
                    what: "NAK loss range",
                    needed: 8,
                    available: 4,
                });
            };
            let last = SeqNumber::from_wire(last).ok_or(DecodeError::InvalidField {
                what: "NAK loss range end",
                value: last,
            })?;
            if SeqRange::new(SeqNumber::new(word), last).is_none() {
                return Err(DecodeError::InvalidField {
                    what: "NAK loss range end before start",
                    value: last.as_u32(),
                });
            }
        }
        Ok(Self { cif })
    }

    /// The list for `ranges`, in the given order: a single word for a
    /// one-number range, two words otherwise.
    pub fn from_ranges<I: IntoIterator<Item = SeqRange>>(ranges: I) -> Self {
        let mut out = Vec::new();
        Self::encode_ranges(ranges, &mut out);
        Self {
            cif: Bytes::from(out),
        }
    }

    /// Appends the wire form of `ranges` to `out` without building a
    /// [`LossList`] (for writing a NAK straight into an output buffer).
    pub fn encode_ranges<I: IntoIterator<Item = SeqRange>>(ranges: I, out: &mut Vec<u8>) {
        for range in ranges {
            if range.first() == range.last() {
                put_u32(out, range.first().as_u32());
            } else {
                put_u32(out, range.first().as_u32() | RANGE_FIRST);
                put_u32(out, range.last().as_u32());
            }
        }
    }

    /// Bytes one range takes on the wire: 4 for a single number, 8 for more.
    pub const fn range_encoded_len(range: SeqRange) -> usize {
        if range.len() == 1 { 4 } else { 8 }
    }

    /// The lost ranges, in wire order.
    pub fn iter(&self) -> LossListIter<'_> {
        LossListIter {
            words: Words(&self.cif),
        }
    }

    /// Whether the list holds no range.
    pub fn is_empty(&self) -> bool {
        self.cif.is_empty()
    }

    /// The wire bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.cif
    }

    /// Appends the encoding to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.cif);
    }

    /// Bytes [`Self::encode`] appends.
    pub fn encoded_len(&self) -> usize {
        self.cif.len()
    }
}

impl<'a> IntoIterator for &'a LossList {
    type Item = SeqRange;
    type IntoIter = LossListIter<'a>;
    fn into_iter(self) -> LossListIter<'a> {
        self.iter()
    }
}

/// Iterator over the ranges of a [`LossList`].
#[derive(Debug, Clone)]
pub struct LossListIter<'a> {
    words: Words<'a>,
}

impl Iterator for LossListIter<'_> {
    type Item = SeqRange;

    fn next(&mut self) -> Option<SeqRange> {
        let word = self.words.next()?;
        let first = SeqNumber::new(word);
        if word & RANGE_FIRST == 0 {
            return Some(SeqRange::single(first));
        }
        // Validated on decode, so these never fail; if they did, the list
        // would simply end.
        let last = SeqNumber::from_wire(self.words.next()?)?;
        SeqRange::new(first, last)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let words = self.words.0.len() / 4;
        (words.div_ceil(2), Some(words))
    }
}

impl FusedIterator for LossListIter<'_> {}

/// Big-endian 32-bit words of a byte slice (a trailing partial word is
/// ignored).
#[derive(Debug, Clone)]
struct Words<'a>(&'a [u8]);

impl Iterator for Words<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        let (word, rest) = self.0.split_first_chunk::<4>()?;
        self.0 = rest;
        Some(u32::from_be_bytes(*word))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(n: u32) -> SeqNumber {
        SeqNumber::new(n)
    }

    fn r(a: u32, b: u32) -> SeqRange {
        SeqRange::new(s(a), s(b)).unwrap()
    }

    fn decode_hex(h: &str) -> Result<LossList, DecodeError> {
        LossList::decode(Bytes::from(hex::decode(h).unwrap()))
    }

    #[test]
    fn single_loss_is_one_word_with_bit_31_clear() {
        let list = LossList::from_ranges([r(5, 5)]);
        assert_eq!(list.as_bytes(), &[0, 0, 0, 5]);
    }

    #[test]
    fn range_is_first_with_bit_31_then_last() {
        let list = LossList::from_ranges([r(5, 9)]);
        assert_eq!(list.as_bytes(), &[0x80, 0, 0, 5, 0, 0, 0, 9]);
    }

    #[test]
    fn decodes_mixed_singles_and_ranges_in_order() {
        let list = decode_hex("00000003800000070000000a0000000c").unwrap();
        let ranges: Vec<_> = list.iter().collect();
        assert_eq!(ranges, [r(3, 3), r(7, 10), r(12, 12)]);
    }

    #[test]
    fn range_across_the_wrap_is_accepted() {
        let list = decode_hex("fffffffe00000001").unwrap();
        assert_eq!(list.iter().next(), Some(r(SeqNumber::MAX - 1, 1)));
    }

    #[test]
    fn range_start_as_last_word_is_truncated() {
        assert!(matches!(
            decode_hex("0000000180000005"),
            Err(DecodeError::Truncated { .. })
        ));
    }

    #[test]
    fn range_end_before_start_is_refused() {
        assert!(matches!(
            decode_hex("8000000900000005"),
            Err(DecodeError::InvalidField { .. })
        ));
    }

    #[test]
    fn range_start_followed_by_range_start_is_refused() {
        assert!(decode_hex("8000000580000009").is_err());
    }

    #[test]
    fn length_not_a_multiple_of_4_is_refused() {
        assert!(matches!(
            decode_hex("000000010000"),
            Err(DecodeError::BadLength { len: 6, .. })
        ));
    }

    #[test]
    fn range_with_equal_ends_is_accepted_and_kept_byte_exact() {
        let list = decode_hex("8000000500000005").unwrap();
        assert_eq!(list.iter().collect::<Vec<_>>(), [r(5, 5)]);
        assert_eq!(list.encoded_len(), 8);
    }

    #[test]
    fn empty_list_is_valid() {
        let list = LossList::decode(Bytes::new()).unwrap();
        assert!(list.is_empty());
        assert_eq!(list.iter().next(), None);
    }

    pub(crate) fn arb_range() -> impl Strategy<Value = SeqRange> {
        (
            0..=SeqNumber::MAX,
            prop_oneof![Just(0u32), 0u32..1000, 0u32..(1 << 30)],
        )
            .prop_map(|(a, n)| SeqRange::new(s(a), s(a) + n).unwrap())
    }

    pub(crate) fn arb_loss_list() -> impl Strategy<Value = LossList> {
        proptest::collection::vec(arb_range(), 0..20).prop_map(LossList::from_ranges)
    }

    proptest! {
        #[test]
        fn ranges_survive_encode_and_decode(ranges in proptest::collection::vec(arb_range(), 0..20)) {
            let list = LossList::from_ranges(ranges.iter().copied());
            prop_assert_eq!(list.encoded_len(), ranges.iter().map(|r| LossList::range_encoded_len(*r)).sum::<usize>());
            let decoded = LossList::decode(Bytes::copy_from_slice(list.as_bytes())).unwrap();
            prop_assert_eq!(decoded.iter().collect::<Vec<_>>(), ranges);
        }

        #[test]
        fn decode_of_arbitrary_words_never_panics_and_yields_at_most_one_range_per_word(
            raw in proptest::collection::vec(any::<u8>(), 0..64)
        ) {
            if let Ok(list) = LossList::decode(Bytes::from(raw.clone())) {
                let n = list.iter().count();
                prop_assert!(n <= raw.len() / 4);
                let mut out = Vec::new();
                list.encode(&mut out);
                prop_assert_eq!(out, raw);
            }
        }
    }
}

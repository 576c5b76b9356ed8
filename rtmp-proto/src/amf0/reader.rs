//! Bounded reading of untrusted bytes, shared by the AMF0 and AMF3 decoders.

use super::Limits;
use super::error::{DecodeError, DecodeErrorKind};
use super::string::AmfString;

/// The input of one decode call: the bytes not yet read, and the limits with
/// the budget spent so far.
pub(crate) struct Input<'a> {
    len: usize,
    rest: &'a [u8],
    limits: Limits,
    elements: u32,
    /// Bytes the counts of the containers being decoded have claimed and
    /// their elements not yet begun: one byte (or more) per announced
    /// element. Nested counts claim from what the outer ones left, so the
    /// capacity reserved for all open containers together stays within the
    /// input.
    claimed: usize,
}

impl<'a> Input<'a> {
    #[inline]
    pub(crate) fn new(input: &'a [u8], limits: Limits) -> Self {
        Self {
            len: input.len(),
            rest: input,
            limits,
            elements: 0,
            claimed: 0,
        }
    }

    /// Byte offset of the next unread byte.
    #[inline]
    pub(crate) fn offset(&self) -> usize {
        self.len.saturating_sub(self.rest.len())
    }

    #[inline]
    pub(crate) fn remaining(&self) -> usize {
        self.rest.len()
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    #[inline]
    pub(crate) fn error(&self, kind: DecodeErrorKind) -> DecodeError {
        DecodeError {
            kind,
            offset: self.offset(),
        }
    }

    #[inline]
    pub(crate) fn error_at(offset: usize, kind: DecodeErrorKind) -> DecodeError {
        DecodeError { kind, offset }
    }

    #[inline]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    #[inline]
    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        let (&byte, rest) = self
            .rest
            .split_first()
            .ok_or_else(|| self.error(DecodeErrorKind::UnexpectedEnd))?;
        self.rest = rest;
        Ok(byte)
    }

    /// The next `N` bytes, by reference: returning them by value inside a
    /// `Result` put them at an odd offset and cost a store-forwarding stall
    /// per number read.
    #[inline]
    fn take<const N: usize>(&mut self) -> Result<&'a [u8; N], DecodeError> {
        match self.rest.split_first_chunk::<N>() {
            Some((head, rest)) => {
                self.rest = rest;
                Ok(head)
            }
            None => Err(self.error(DecodeErrorKind::UnexpectedEnd)),
        }
    }

    #[inline]
    pub(crate) fn u16(&mut self) -> Result<u16, DecodeError> {
        self.take().map(|b| u16::from_be_bytes(*b))
    }

    #[inline]
    pub(crate) fn i16(&mut self) -> Result<i16, DecodeError> {
        self.take().map(|b| i16::from_be_bytes(*b))
    }

    #[inline]
    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        self.take().map(|b| u32::from_be_bytes(*b))
    }

    #[inline]
    pub(crate) fn f64(&mut self) -> Result<f64, DecodeError> {
        self.take().map(|b| f64::from_be_bytes(*b))
    }

    #[inline]
    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let (head, rest) = self
            .rest
            .split_at_checked(n)
            .ok_or_else(|| self.error(DecodeErrorKind::UnexpectedEnd))?;
        self.rest = rest;
        Ok(head)
    }

    /// `n` bytes of string, borrowed and unchecked (see [`AmfString`]).
    #[inline]
    pub(crate) fn string(&mut self, n: usize) -> Result<AmfString<'a>, DecodeError> {
        self.bytes(n).map(AmfString::from_bytes)
    }

    /// Bytes left that no open container has claimed.
    #[inline]
    pub(crate) fn unclaimed(&self) -> usize {
        self.remaining().saturating_sub(self.claimed)
    }

    /// Checks a count field against the unclaimed input: each of the `count`
    /// elements takes at least `min_size` bytes. Returns a capacity that is
    /// safe to allocate: bounded by the input and by the element budget.
    #[inline]
    pub(crate) fn check_count(&self, count: u32, min_size: usize) -> Result<usize, DecodeError> {
        let count_usize = usize::try_from(count).unwrap_or(usize::MAX);
        let remaining = self.unclaimed();
        if count_usize.saturating_mul(min_size) > remaining {
            return Err(self.error(DecodeErrorKind::CountExceedsInput { count, remaining }));
        }
        let budget = self.limits.max_elements.saturating_sub(self.elements);
        Ok(count_usize.min(usize::try_from(budget).unwrap_or(usize::MAX)))
    }

    /// [`check_count`](Self::check_count) for a container whose elements are
    /// values (decoded recursively): also claims the bytes, released one
    /// element at a time with [`begin_claimed`](Self::begin_claimed).
    #[inline]
    pub(crate) fn claim(&mut self, count: u32, min_size: usize) -> Result<usize, DecodeError> {
        let capacity = self.check_count(count, min_size)?;
        let bytes = usize::try_from(count)
            .unwrap_or(usize::MAX)
            .saturating_mul(min_size);
        self.claimed = self.claimed.saturating_add(bytes);
        Ok(capacity)
    }

    /// An element of a claimed container begins: releases its `min_size`.
    #[inline]
    pub(crate) fn begin_claimed(&mut self, min_size: usize) {
        self.claimed = self.claimed.saturating_sub(min_size);
    }

    /// Spends one element of the budget, for a value about to be decoded.
    #[inline]
    pub(crate) fn count_element(&mut self) -> Result<(), DecodeError> {
        if self.elements >= self.limits.max_elements {
            return Err(self.error(DecodeErrorKind::ElementLimitExceeded {
                limit: self.limits.max_elements,
            }));
        }
        self.elements = self.elements.saturating_add(1);
        Ok(())
    }

    /// The depth of the children of a container at `depth`.
    #[inline]
    pub(crate) fn enter(&self, depth: u32) -> Result<u32, DecodeError> {
        if depth >= self.limits.max_depth {
            return Err(self.error(DecodeErrorKind::DepthLimitExceeded {
                limit: self.limits.max_depth,
            }));
        }
        Ok(depth.saturating_add(1))
    }
}

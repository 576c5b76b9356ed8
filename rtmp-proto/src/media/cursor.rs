//! A bounds-checked big-endian reader over a `Bytes` buffer (zero copy), and
//! an MSB-first bit reader.

use bytes::Bytes;

use super::MediaError;

/// Reads big-endian integers and sub-slices from a `Bytes`, never panicking.
#[derive(Debug, Clone)]
pub(crate) struct Cursor {
    buf: Bytes,
    pos: usize,
}

impl Cursor {
    pub(crate) fn new(buf: Bytes) -> Self {
        Self { buf, pos: 0 }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], MediaError> {
        let rest = self
            .buf
            .get(self.pos..)
            .ok_or(MediaError::Truncated(what))?;
        let head = rest.first_chunk::<N>().ok_or(MediaError::Truncated(what))?;
        self.pos += N;
        Ok(*head)
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, MediaError> {
        let [b] = self.array::<1>(what)?;
        Ok(b)
    }

    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, MediaError> {
        Ok(u16::from_be_bytes(self.array::<2>(what)?))
    }

    pub(crate) fn u24(&mut self, what: &'static str) -> Result<u32, MediaError> {
        let [a, b, c] = self.array::<3>(what)?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    /// A signed 24-bit integer (SI24), sign-extended.
    pub(crate) fn i24(&mut self, what: &'static str) -> Result<i32, MediaError> {
        let v = self.u24(what)?;
        Ok(sign_extend_24(v))
    }

    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, MediaError> {
        Ok(u32::from_be_bytes(self.array::<4>(what)?))
    }

    pub(crate) fn four(&mut self, what: &'static str) -> Result<[u8; 4], MediaError> {
        self.array::<4>(what)
    }

    /// The next `n` bytes as a zero-copy slice.
    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<Bytes, MediaError> {
        if n > self.remaining() {
            return Err(MediaError::Truncated(what));
        }
        let end = self.pos + n;
        let out = self.buf.slice(self.pos..end);
        self.pos = end;
        Ok(out)
    }

    /// Everything left, as a zero-copy slice.
    pub(crate) fn rest(&mut self) -> Bytes {
        let n = self.remaining();
        let out = self.buf.slice(self.buf.len() - n..);
        self.pos = self.buf.len();
        out
    }
}

/// Sign-extends the low 24 bits of `v`.
pub(crate) fn sign_extend_24(v: u32) -> i32 {
    ((v << 8) as i32) >> 8
}

/// Appends the low 24 bits of `v`, big-endian.
pub(crate) fn put_u24(out: &mut alloc::vec::Vec<u8>, v: u32) {
    let [_, a, b, c] = v.to_be_bytes();
    out.extend_from_slice(&[a, b, c]);
}

/// Appends a signed 24-bit integer; the caller checked the range.
pub(crate) fn put_i24(out: &mut alloc::vec::Vec<u8>, v: i32) {
    put_u24(out, v as u32);
}

/// Whether `v` fits a signed 24-bit integer.
pub(crate) fn fits_i24(v: i32) -> bool {
    (-(1 << 23)..(1 << 23)).contains(&v)
}

/// Reads bits MSB first from a byte slice.
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    bit: usize,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self { data, bit: 0 }
    }

    /// Reads `n` (at most 32) bits, or `None` past the end.
    pub(crate) fn bits(&mut self, n: u32) -> Option<u32> {
        let mut v: u32 = 0;
        for _ in 0..n {
            let byte = *self.data.get(self.bit / 8)?;
            let b = (byte >> (7 - (self.bit % 8))) & 1;
            v = (v << 1) | u32::from(b);
            self.bit += 1;
        }
        Some(v)
    }
}

/// Writes bits MSB first.
pub(crate) struct BitWriter {
    out: alloc::vec::Vec<u8>,
    bit: usize,
}

impl BitWriter {
    pub(crate) fn new() -> Self {
        Self {
            out: alloc::vec::Vec::new(),
            bit: 0,
        }
    }

    /// Writes the low `n` bits of `v`.
    pub(crate) fn bits(&mut self, n: u32, v: u32) {
        for i in (0..n).rev() {
            if self.bit.is_multiple_of(8) {
                self.out.push(0);
            }
            let b = ((v >> i) & 1) as u8;
            if let Some(last) = self.out.last_mut() {
                *last |= b << (7 - (self.bit % 8));
            }
            self.bit += 1;
        }
    }

    pub(crate) fn finish(self) -> alloc::vec::Vec<u8> {
        self.out
    }
}

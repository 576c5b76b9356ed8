//! Sequence numbers (31 bits) and message numbers (26 bits), wrap-aware.

/// A 31-bit SRT packet sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SeqNumber(u32);

impl SeqNumber {
    /// The largest sequence number, `2^31 - 1`.
    pub const MAX: u32 = 0x7FFF_FFFF;

    /// Makes a sequence number from the low 31 bits of `raw`.
    pub const fn new(raw: u32) -> Self {
        Self(raw & Self::MAX)
    }

    /// The number as it goes on the wire.
    pub const fn as_u32(self) -> u32 {
        self.0
    }
}

/// A 26-bit SRT message number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MsgNumber(u32);

impl MsgNumber {
    /// The largest message number, `2^26 - 1`.
    pub const MAX: u32 = 0x03FF_FFFF;

    /// Makes a message number from the low 26 bits of `raw`.
    pub const fn new(raw: u32) -> Self {
        Self(raw & Self::MAX)
    }

    /// The number as it goes on the wire.
    pub const fn as_u32(self) -> u32 {
        self.0
    }
}

//! Time: the crate's [`Instant`] and SRT's 32-bit microsecond wire timestamps.

/// A point in time, in microseconds from an arbitrary origin chosen by the
/// embedder. Adapters map `std::time::Instant` onto it; simulations start at 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(u64);

impl Instant {
    /// The instant `micros` microseconds after the origin.
    pub const fn from_micros(micros: u64) -> Self {
        Self(micros)
    }

    /// Microseconds since the origin.
    pub const fn as_micros(self) -> u64 {
        self.0
    }
}

/// A 32-bit SRT timestamp: microseconds since the connection's time base,
/// wrapping every 2^32 µs (about 01:11:35).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Timestamp(u32);

impl Timestamp {
    /// A timestamp from its wire value.
    pub const fn new(raw: u32) -> Self {
        Self(raw)
    }

    /// The wire value.
    pub const fn as_u32(self) -> u32 {
        self.0
    }
}

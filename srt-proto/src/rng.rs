//! The crate's one source of randomness: a ChaCha20 generator seeded at
//! construction.
//!
//! Nothing in this crate asks the operating system for randomness. An
//! adapter (`srt-tokio`, `srt-smol`) seeds [`SrtRng::from_seed`] with 32
//! bytes from the OS once per endpoint; tests and simulations seed
//! [`SrtRng::seed_from_u64`] with a number, and the same number gives the
//! same socket ids, sequence numbers, cookie secrets, salts and keys, so a
//! failing run replays exactly.
//!
//! ChaCha20 is a cryptographic generator: with an OS seed its output is fit
//! for key material (SEKs, salts) and for the SYN-cookie secret.

use crate::seq::SeqNumber;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

/// libsrt's `SRTGROUP_MASK`: socket ids of groups have bit 30 set. A
/// socket id from [`SrtRng::socket_id`] never has it, so it can't be
/// taken for a group id.
pub const SRTGROUP_MASK: u32 = 1 << 30;

/// The largest socket id [`SrtRng::socket_id`] returns (libsrt's
/// `MAX_SOCKET_VAL`, `SRTGROUP_MASK - 1`).
pub const MAX_SOCKET_ID: u32 = SRTGROUP_MASK - 1;

/// A seeded ChaCha20 generator with the draws SRT needs.
///
/// `Debug` does not print the generator's state, which would reveal every
/// future draw.
#[derive(Clone)]
pub struct SrtRng {
    inner: ChaCha20Rng,
}

impl SrtRng {
    /// A generator seeded with 32 bytes; adapters take them from the OS.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            inner: ChaCha20Rng::from_seed(seed),
        }
    }

    /// A generator seeded with a number, for tests and simulations. Not for
    /// production: 64 bits of seed are guessable.
    pub fn seed_from_u64(seed: u64) -> Self {
        Self {
            inner: ChaCha20Rng::seed_from_u64(seed),
        }
    }

    /// A uniformly random `u32`.
    pub fn u32(&mut self) -> u32 {
        self.inner.next_u32()
    }

    /// A uniformly random `u64`.
    pub fn u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Fills `dst` with random bytes (salts, keys, secrets).
    pub fn fill(&mut self, dst: &mut [u8]) {
        self.inner.fill_bytes(dst);
    }

    /// `N` random bytes.
    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        self.fill(&mut out);
        out
    }

    /// A uniformly random value in `0..bound`; 0 when `bound` is 0.
    /// Unbiased (rejection sampling).
    pub fn below(&mut self, bound: u32) -> u32 {
        if bound == 0 {
            return 0;
        }
        // Reject the top partial range of `u32` so every residue is
        // equally likely.
        let zone = u32::MAX - (u32::MAX - bound + 1) % bound;
        loop {
            let x = self.u32();
            if x <= zone {
                return x % bound;
            }
        }
    }

    /// A socket id for a new socket: uniform in `1..=`[`MAX_SOCKET_ID`],
    /// the range libsrt's `CUDTUnited::generateSocketID` draws from. Never
    /// 0 (which means "no socket" in a handshake) and never with the group
    /// bit [`SRTGROUP_MASK`] set. The caller checks for collisions with
    /// ids in use.
    pub fn socket_id(&mut self) -> u32 {
        1 + self.below(MAX_SOCKET_ID)
    }

    /// An initial sequence number: uniform over the 31-bit space, as
    /// libsrt's `generateISN` draws it.
    pub fn initial_seq(&mut self) -> SeqNumber {
        SeqNumber::new(self.u32() & SeqNumber::MAX)
    }
}

/// `SrtRng` is a [`rand_core::Rng`] and a [`rand_core::CryptoRng`], so
/// code written against those traits (e.g. key generation) takes it too.
impl rand_core::TryRng for SrtRng {
    type Error = core::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.inner.next_u32())
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(self.inner.next_u64())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.inner.fill_bytes(dst);
        Ok(())
    }
}

impl rand_core::TryCryptoRng for SrtRng {}

impl core::fmt::Debug for SrtRng {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SrtRng").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    fn draws(rng: &mut SrtRng) -> Vec<u32> {
        let mut v = Vec::new();
        v.push(rng.u32());
        v.push(rng.socket_id());
        v.push(rng.initial_seq().as_u32());
        let mut salt = [0u8; 16];
        rng.fill(&mut salt);
        v.extend(
            salt.chunks_exact(4)
                .map(|c| u32::from_be_bytes(c.try_into().unwrap())),
        );
        v
    }

    #[test]
    fn same_seed_gives_the_same_sequence() {
        let a = draws(&mut SrtRng::seed_from_u64(7));
        let b = draws(&mut SrtRng::seed_from_u64(7));
        assert_eq!(a, b);
        let c = draws(&mut SrtRng::from_seed([9; 32]));
        let d = draws(&mut SrtRng::from_seed([9; 32]));
        assert_eq!(c, d);
    }

    #[test]
    fn different_seeds_give_different_sequences() {
        let a = draws(&mut SrtRng::seed_from_u64(7));
        let b = draws(&mut SrtRng::seed_from_u64(8));
        assert_ne!(a, b);
    }

    #[test]
    fn clone_continues_the_same_sequence() {
        let mut a = SrtRng::seed_from_u64(3);
        a.u32();
        let mut b = a.clone();
        assert_eq!(a.u64(), b.u64());
    }

    #[test]
    fn debug_does_not_reveal_the_state() {
        let rng = SrtRng::from_seed([0xAB; 32]);
        let text = format!("{rng:?}");
        assert_eq!(text, "SrtRng { .. }");
    }

    #[test]
    fn rand_core_traits_draw_from_the_same_stream() {
        fn draw(rng: &mut impl rand_core::CryptoRng) -> u32 {
            rng.next_u32()
        }
        let mut a = SrtRng::seed_from_u64(21);
        let mut b = SrtRng::seed_from_u64(21);
        assert_eq!(draw(&mut a), b.u32());
    }

    #[test]
    fn below_zero_is_zero() {
        assert_eq!(SrtRng::seed_from_u64(1).below(0), 0);
    }

    #[test]
    fn below_covers_a_small_range() {
        let mut rng = SrtRng::seed_from_u64(5);
        let mut seen = [false; 3];
        for _ in 0..200 {
            seen[rng.below(3) as usize] = true;
        }
        assert_eq!(seen, [true; 3]);
    }

    #[test]
    fn bytes_are_not_all_zero() {
        let key: [u8; 32] = SrtRng::seed_from_u64(0).bytes();
        assert_ne!(key, [0; 32]);
    }

    proptest! {
        #[test]
        fn socket_ids_avoid_zero_and_the_group_bit(seed in any::<u64>()) {
            let mut rng = SrtRng::seed_from_u64(seed);
            for _ in 0..64 {
                let id = rng.socket_id();
                prop_assert!((1..=MAX_SOCKET_ID).contains(&id));
                prop_assert_eq!(id & SRTGROUP_MASK, 0);
            }
        }

        #[test]
        fn initial_seqs_fit_31_bits(seed in any::<u64>()) {
            let mut rng = SrtRng::seed_from_u64(seed);
            for _ in 0..64 {
                prop_assert!(rng.initial_seq().as_u32() <= SeqNumber::MAX);
            }
        }

        #[test]
        fn below_stays_below_the_bound(seed in any::<u64>(), bound in 1u32..) {
            let mut rng = SrtRng::seed_from_u64(seed);
            prop_assert!(rng.below(bound) < bound);
        }
    }
}

//! Stateless SYN cookies for the listener.
//!
//! A listener answers a caller's INDUCTION with a cookie and accepts the
//! CONCLUSION only if it carries that cookie back, so a spoofed source
//! address can't make the listener hold state. The cookie is computed, not
//! stored: no per-peer memory is kept.
//!
//! libsrt (`CUDT::bake`) hashes `host:port:minutes` with MD5, where
//! `minutes` counts whole minutes since the listener started, and on a
//! mismatch tries again with the previous minute. We keep the shape (one
//! [`COOKIE_SLOT`] of a minute, the current and the previous slot
//! accepted, so a cookie lives between one and two minutes) but use a
//! keyed MAC: HMAC-SHA1 under a 32-byte secret drawn from the endpoint's
//! [`SrtRng`], truncated to 32 bits. Without the secret a cookie can't be
//! predicted, which MD5 over public data does not give. The caller treats
//! the cookie as opaque, so this interoperates with libsrt callers.

use crate::rng::SrtRng;
use crate::time::Instant;
use core::net::{IpAddr, SocketAddr};
use core::time::Duration;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

/// How long one cookie time slot lasts (libsrt: one minute).
pub const COOKIE_SLOT: Duration = Duration::from_secs(60);

/// Microseconds in a [`COOKIE_SLOT`].
const SLOT_MICROS: u64 = 60_000_000;

/// Bakes and checks SYN cookies under one secret.
///
/// `Debug` does not print the secret, and dropping the jar wipes it.
#[derive(Clone)]
pub struct CookieJar {
    secret: [u8; 32],
}

impl CookieJar {
    /// A jar with this secret. Take it from the endpoint's [`SrtRng`] (see
    /// [`Self::from_rng`]); two jars with one secret bake the same cookies.
    pub fn new(secret: [u8; 32]) -> Self {
        Self { secret }
    }

    /// A jar with a secret drawn from `rng`.
    pub fn from_rng(rng: &mut SrtRng) -> Self {
        Self::new(rng.bytes())
    }

    /// The cookie for `peer` at time `now`.
    pub fn cookie(&self, peer: SocketAddr, now: Instant) -> u32 {
        self.bake(peer, slot_of(now))
    }

    /// Whether `cookie` is one this jar baked for `peer` in the slot of
    /// `now` or in the slot before.
    pub fn verify(&self, peer: SocketAddr, cookie: u32, now: Instant) -> bool {
        let slot = slot_of(now);
        let current = ct_eq(self.bake(peer, slot), cookie);
        let previous = slot
            .checked_sub(1)
            .is_some_and(|prev| ct_eq(self.bake(peer, prev), cookie));
        current | previous
    }

    /// HMAC-SHA1(secret, family ‖ address ‖ port ‖ slot), first 4 bytes
    /// big-endian. The family byte keeps an IPv4 address apart from its
    /// IPv4-mapped IPv6 form.
    fn bake(&self, peer: SocketAddr, slot: u64) -> u32 {
        let Ok(mut mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(&self.secret) else {
            // HMAC takes keys of any length; this can't happen.
            return 0;
        };
        match peer.ip() {
            IpAddr::V4(ip) => {
                mac.update(&[4]);
                mac.update(&ip.octets());
            }
            IpAddr::V6(ip) => {
                mac.update(&[6]);
                mac.update(&ip.octets());
            }
        }
        mac.update(&peer.port().to_be_bytes());
        mac.update(&slot.to_be_bytes());
        let tag = mac.finalize().into_bytes();
        tag.first_chunk::<4>().map_or(0, |b| u32::from_be_bytes(*b))
    }
}

/// The listener's cookie source ([`crate::handshake::Listener`]).
impl crate::handshake::CookieSource for CookieJar {
    fn cookie(&self, peer: SocketAddr, now: Instant) -> u32 {
        CookieJar::cookie(self, peer, now)
    }

    fn verify(&self, peer: SocketAddr, cookie: u32, now: Instant) -> bool {
        CookieJar::verify(self, peer, cookie, now)
    }
}

impl Drop for CookieJar {
    fn drop(&mut self) {
        self.secret.fill(0);
        core::hint::black_box(&self.secret);
    }
}

impl core::fmt::Debug for CookieJar {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CookieJar").finish_non_exhaustive()
    }
}

/// The time slot `now` falls in.
fn slot_of(now: Instant) -> u64 {
    now.as_micros() / SLOT_MICROS
}

/// Compares without an early exit, so timing doesn't tell how many leading
/// bits of a guess were right.
fn ct_eq(a: u32, b: u32) -> bool {
    core::hint::black_box(a ^ b) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use core::net::{Ipv4Addr, Ipv6Addr};
    use proptest::prelude::*;

    const SECRET: [u8; 32] = [0x5A; 32];

    fn peer(port: u16) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)), port)
    }

    fn at_secs(s: u64) -> Instant {
        Instant::from_micros(s * 1_000_000)
    }

    #[test]
    fn same_peer_in_the_same_slot_gets_the_same_cookie() {
        let jar = CookieJar::new(SECRET);
        assert_eq!(
            jar.cookie(peer(9000), at_secs(60)),
            jar.cookie(peer(9000), at_secs(119))
        );
    }

    #[test]
    fn another_port_gets_another_cookie() {
        let jar = CookieJar::new(SECRET);
        assert_ne!(
            jar.cookie(peer(9000), at_secs(5)),
            jar.cookie(peer(9001), at_secs(5))
        );
    }

    #[test]
    fn another_address_gets_another_cookie() {
        let jar = CookieJar::new(SECRET);
        let other = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 8)), 9000);
        assert_ne!(
            jar.cookie(peer(9000), at_secs(5)),
            jar.cookie(other, at_secs(5))
        );
    }

    #[test]
    fn ipv4_and_its_mapped_ipv6_form_get_different_cookies() {
        let jar = CookieJar::new(SECRET);
        let v4 = Ipv4Addr::new(192, 0, 2, 7);
        let mapped = SocketAddr::new(IpAddr::V6(v4.to_ipv6_mapped()), 9000);
        assert_ne!(
            jar.cookie(peer(9000), at_secs(5)),
            jar.cookie(mapped, at_secs(5))
        );
    }

    #[test]
    fn another_secret_gets_another_cookie() {
        let a = CookieJar::new(SECRET);
        let b = CookieJar::new([0xA5; 32]);
        assert_ne!(
            a.cookie(peer(9000), at_secs(5)),
            b.cookie(peer(9000), at_secs(5))
        );
    }

    #[test]
    fn the_next_slot_gets_another_cookie() {
        let jar = CookieJar::new(SECRET);
        assert_ne!(
            jar.cookie(peer(9000), at_secs(59)),
            jar.cookie(peer(9000), at_secs(60))
        );
    }

    #[test]
    fn a_cookie_from_the_previous_slot_is_accepted() {
        let jar = CookieJar::new(SECRET);
        let cookie = jar.cookie(peer(9000), at_secs(59));
        assert!(jar.verify(peer(9000), cookie, at_secs(119)));
    }

    #[test]
    fn a_cookie_from_two_slots_back_is_rejected() {
        let jar = CookieJar::new(SECRET);
        let cookie = jar.cookie(peer(9000), at_secs(59));
        assert!(!jar.verify(peer(9000), cookie, at_secs(120)));
    }

    #[test]
    fn a_cookie_from_the_future_is_rejected() {
        let jar = CookieJar::new(SECRET);
        let cookie = jar.cookie(peer(9000), at_secs(60));
        assert!(!jar.verify(peer(9000), cookie, at_secs(59)));
    }

    #[test]
    fn a_cookie_for_another_peer_is_rejected() {
        let jar = CookieJar::new(SECRET);
        let cookie = jar.cookie(peer(9000), at_secs(5));
        assert!(!jar.verify(peer(9002), cookie, at_secs(5)));
    }

    #[test]
    fn the_first_slot_has_no_previous_slot() {
        let jar = CookieJar::new(SECRET);
        let cookie = jar.cookie(peer(9000), Instant::ZERO);
        assert!(jar.verify(peer(9000), cookie, Instant::ZERO));
        assert!(!jar.verify(peer(9000), cookie.wrapping_add(1), Instant::ZERO));
    }

    #[test]
    fn jars_from_the_same_rng_seed_agree() {
        let a = CookieJar::from_rng(&mut SrtRng::seed_from_u64(11));
        let b = CookieJar::from_rng(&mut SrtRng::seed_from_u64(11));
        assert_eq!(a.cookie(peer(1), at_secs(3)), b.cookie(peer(1), at_secs(3)));
    }

    #[test]
    fn serves_as_the_listeners_cookie_source() {
        use crate::handshake::CookieSource;
        let jar = CookieJar::new(SECRET);
        let cookie = CookieSource::cookie(&jar, peer(9000), at_secs(5));
        assert_eq!(cookie, jar.cookie(peer(9000), at_secs(5)));
        assert!(CookieSource::verify(&jar, peer(9000), cookie, at_secs(65)));
    }

    #[test]
    fn debug_does_not_reveal_the_secret() {
        assert_eq!(format!("{:?}", CookieJar::new(SECRET)), "CookieJar { .. }");
    }

    fn any_addr() -> impl Strategy<Value = SocketAddr> {
        prop_oneof![
            (any::<[u8; 4]>(), any::<u16>())
                .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port)),
            (any::<[u8; 16]>(), any::<u16>())
                .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port)),
        ]
    }

    proptest! {
        #[test]
        fn a_fresh_cookie_always_verifies(
            secret in any::<[u8; 32]>(),
            addr in any_addr(),
            now in any::<u64>(),
            later in 0..SLOT_MICROS,
        ) {
            let jar = CookieJar::new(secret);
            let baked = Instant::from_micros(now);
            let cookie = jar.cookie(addr, baked);
            prop_assert!(jar.verify(addr, cookie, baked));
            prop_assert!(jar.verify(addr, cookie, baked.saturating_add(Duration::from_micros(later))));
        }
    }
}

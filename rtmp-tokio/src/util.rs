//! Small things the server and client share: the clock mapping and the
//! handshake's random bytes.

use std::net::SocketAddr;

use rtmp_proto::session::Instant;

/// The protocol clock: microseconds since `origin`.
pub(crate) fn proto_now(origin: std::time::Instant) -> Instant {
    Instant::from_micros(u64::try_from(origin.elapsed().as_micros()).unwrap_or(u64::MAX))
}

/// Fills the handshake's random field. RTMP's random bytes protect nothing
/// (the handshake is not a security measure), so a seeded xorshift is enough.
pub(crate) struct Xorshift(u64);

impl Xorshift {
    pub(crate) fn seeded(salt: u64, peer: SocketAddr) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let port = u64::from(peer.port());
        Self((nanos ^ salt.rotate_left(32) ^ port.rotate_left(16)) | 1)
    }

    pub(crate) fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            *b = (self.0 >> 24) as u8;
        }
    }
}

/// Resolves once the server's stop flag is set (or its sender is gone).
pub(crate) async fn stopped(flag: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = flag.wait_for(|stop| *stop).await;
}

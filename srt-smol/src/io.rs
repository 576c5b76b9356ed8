//! `futures-io`'s `AsyncRead`/`AsyncWrite` (smol's `smol::io` traits) for
//! [`SrtSocket`]: the same runtime-neutral byte-stream view srt-tokio binds
//! to tokio's traits.

use crate::SrtSocket;
use futures_sink::Sink;
use smol::io::{AsyncRead, AsyncWrite};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Reads the received bytes as one stream (in file mode, the peer's byte
/// stream; in live mode, the messages back to back). A read ends (0 bytes)
/// when the connection closes.
impl AsyncRead for SrtSocket {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_bytes(cx, buf)
    }
}

/// Writes bytes as messages stamped with the current time: in live mode
/// each write sends at most one packet's payload as one message; in file
/// mode up to 64 KiB a write. A full send buffer makes writes wait.
/// `close` starts a graceful close (the linger runs on the socket's task).
impl AsyncWrite for SrtSocket {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_bytes(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Sink::poll_flush(self, cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Sink::poll_close(self, cx)
    }
}

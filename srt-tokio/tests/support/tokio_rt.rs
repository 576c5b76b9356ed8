//! The runtime the shared test cases (`support/*.rs`, also compiled by
//! srt-smol's tests) run on here: tokio, and srt-tokio's sockets. Each
//! test binary names this module `rt`; srt-smol's tests name their smol
//! twin `rt` instead.
#![allow(dead_code, unused_imports)]

pub use srt_tokio::{
    Handler, Role, Session, SrtError, SrtListener, SrtServer, SrtSocket, SrtSocketBuilder,
    TransType,
};
pub use tokio::io::{AsyncReadExt, AsyncWriteExt};
pub use tokio::net::UdpSocket;

use std::future::Future;
use std::time::Duration;

/// Runs a test body on a fresh current-thread runtime, as `#[tokio::test]`
/// does.
pub fn block_on<T>(body: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(body)
}

/// Waits `duration`.
pub async fn sleep(duration: Duration) {
    tokio::time::sleep(duration).await;
}

/// `f`'s output, or `None` if it takes longer than `limit`.
pub async fn timeout<T>(limit: Duration, f: impl Future<Output = T>) -> Option<T> {
    tokio::time::timeout(limit, f).await.ok()
}

/// Runs `task` concurrently; the returned future is its output.
pub fn spawn<T: Send + 'static>(
    task: impl Future<Output = T> + Send + 'static,
) -> impl Future<Output = T> {
    let handle = tokio::spawn(task);
    async move { handle.await.unwrap() }
}

/// Runs `task` in the background until it ends (or the runtime does).
pub fn detach(task: impl Future<Output = ()> + Send + 'static) {
    drop(tokio::spawn(task));
}

/// Runs `f` where tokio's reactor is (srt-tokio's relay and tokio UDP
/// helpers need it): here, in place.
pub async fn on_tokio<T: Send + 'static>(f: impl Future<Output = T> + Send + 'static) -> T {
    f.await
}

/// Ends the writing half of a file-mode socket through the runtime's
/// `AsyncWrite` (tokio's `shutdown`), which waits until the peer has it
/// all.
pub async fn shutdown_write(socket: &mut SrtSocket) {
    socket.shutdown().await.unwrap();
}

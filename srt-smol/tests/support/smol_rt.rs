//! The runtime the shared test cases (srt-tokio's `tests/support/*.rs`)
//! run on here: smol, and srt-smol's sockets. Each test binary names this
//! module `rt`, as srt-tokio's tests name their tokio twin.
#![allow(dead_code, unused_imports)]

pub use smol::io::{AsyncReadExt, AsyncWriteExt};
pub use smol::net::UdpSocket;
pub use srt_smol::{
    Handler, Role, Session, SrtError, SrtListener, SrtServer, SrtSocket, SrtSocketBuilder,
    TransType,
};

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

/// Runs a test body on the current thread (the sockets' tasks run on
/// smol's global executor).
pub fn block_on<T>(body: impl Future<Output = T>) -> T {
    smol::block_on(body)
}

/// Waits `duration`.
pub async fn sleep(duration: Duration) {
    smol::Timer::after(duration).await;
}

/// `f`'s output, or `None` if it takes longer than `limit`.
pub async fn timeout<T>(limit: Duration, f: impl Future<Output = T>) -> Option<T> {
    let expired = async {
        smol::Timer::after(limit).await;
        None
    };
    smol::future::or(async { Some(f.await) }, expired).await
}

/// Runs `task` concurrently; the returned future is its output.
pub fn spawn<T: Send + 'static>(
    task: impl Future<Output = T> + Send + 'static,
) -> impl Future<Output = T> {
    smol::spawn(task)
}

/// Runs `task` in the background until it ends.
pub fn detach(task: impl Future<Output = ()> + Send + 'static) {
    smol::spawn(task).detach();
}

/// Runs `f` on a tokio runtime's worker thread and waits for it here:
/// srt-tokio's impairing relay and the tests' tokio UDP helpers need
/// tokio's reactor, the sockets under test run on smol.
pub async fn on_tokio<T: Send + 'static>(f: impl Future<Output = T> + Send + 'static) -> T {
    static TOKIO: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    let tokio = TOKIO.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    });
    tokio.spawn(f).await.unwrap()
}

/// Ends the writing half of a file-mode socket through the runtime's
/// `AsyncWrite` (futures-io's `close`), which waits until the peer has it
/// all.
pub async fn shutdown_write(socket: &mut SrtSocket) {
    AsyncWriteExt::close(socket).await.unwrap();
}

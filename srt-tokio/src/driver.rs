//! The task that owns one UDP socket and its [`Endpoint`](srt_proto::Endpoint)
//! (tokio).
//!
//! With `io.rs` (tokio's `AsyncRead`/`AsyncWrite`) and the server's spawn,
//! the only code that touches the runtime: the socket, the timer and the
//! spawn. What the task does with each wake is the runtime-neutral
//! [`Engine`]'s; everything it exchanges with [`crate::SrtSocket`] and
//! [`crate::SrtListener`] goes through the channels of `shared.rs`.

use crate::engine::{Engine, Wake};
use crate::error::SrtError;
use crate::shared::DriverHandle;
use bytes::{Bytes, BytesMut};
use srt_proto::EndpointConfig;
use std::future::poll_fn;
use std::net::SocketAddr;
use tokio::net::UdpSocket;

/// The room left for each datagram we read: an SRT datagram is at most
/// the MSS (1500 bytes at most in libsrt), anything longer is cut and fails
/// to decode.
const MAX_DATAGRAM: usize = 2048;

/// Datagrams are read into blocks of this size and handed on as slices of
/// them, so a block costs one allocation for ~60 full-size datagrams
/// instead of one each; a block is freed when its last datagram is.
const RECEIVE_BLOCK: usize = 128 * 1024;

/// Binds `local`, seeds an endpoint from the OS and starts its task.
pub(crate) async fn spawn(
    local: SocketAddr,
    config: EndpointConfig,
    queue: usize,
) -> Result<DriverHandle, SrtError> {
    let socket = UdpSocket::bind(local).await?;
    let (engine, handle) = Engine::new(socket.local_addr()?, config, queue)?;
    tokio::spawn(run(engine, socket));
    Ok(handle)
}

/// What the select saw: a datagram is split off the block after it.
enum Got {
    Datagram(SocketAddr),
    Wake(Wake),
}

async fn run(mut engine: Engine, socket: UdpSocket) {
    let mut block = BytesMut::new();
    let mut transmits: Vec<(SocketAddr, Bytes)> = Vec::new();
    loop {
        if block.capacity() < MAX_DATAGRAM {
            block = BytesMut::with_capacity(RECEIVE_BLOCK);
        }
        let wake_at = engine.next_wake();
        let timer = async {
            match wake_at {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        let got = tokio::select! {
            r = socket.recv_buf_from(&mut block) => match r {
                Ok((_, from)) => Got::Datagram(from),
                Err(_) => Got::Wake(Wake::SocketError),
            },
            w = poll_fn(|cx| engine.poll_channels(cx)) => Got::Wake(w),
            () = timer => Got::Wake(Wake::Timer),
        };
        let wake = match got {
            // The datagram is all the block holds: split it off, the rest
            // of the block stays for the next one.
            Got::Datagram(from) => Wake::Datagram {
                from,
                data: block.split().freeze(),
            },
            Got::Wake(wake) => wake,
        };
        engine.handle(wake);
        engine.drain(&mut transmits);
        for (to, data) in transmits.drain(..) {
            // A failed send is a lost datagram; ARQ repairs it.
            let _ = socket.send_to(&data, to).await;
        }
        if engine.is_done() {
            return;
        }
    }
}

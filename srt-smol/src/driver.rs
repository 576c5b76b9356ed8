//! The task that owns one UDP socket and its [`Endpoint`](srt_proto::Endpoint)
//! (smol): an `Async<UdpSocket>`, an `async-io` timer and a task on smol's
//! global executor. What the task does with each wake is the
//! runtime-neutral [`Engine`]'s.

use crate::engine::{Engine, Wake};
use crate::error::SrtError;
use crate::shared::DriverHandle;
use bytes::{Bytes, BytesMut};
use smol::{Async, Timer};
use srt_proto::EndpointConfig;
use std::future::{Future, poll_fn};
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::pin::Pin;
use std::task::{Context, Poll};

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
    let socket = Async::<UdpSocket>::bind(local)?;
    let (engine, handle) = Engine::new(socket.get_ref().local_addr()?, config, queue)?;
    smol::spawn(run(engine, socket)).detach();
    Ok(handle)
}

/// A datagram read into the front of `block` (split off it), if one is
/// waiting; `Pending` registers for the socket's readiness.
fn poll_datagram(
    socket: &Async<UdpSocket>,
    block: &mut BytesMut,
    cx: &mut Context<'_>,
) -> Poll<Wake> {
    loop {
        match socket.poll_readable(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Err(_)) => return Poll::Ready(Wake::SocketError),
            Poll::Ready(Ok(())) => {}
        }
        if block.len() < MAX_DATAGRAM {
            *block = BytesMut::zeroed(RECEIVE_BLOCK);
        }
        let Some(room) = block.get_mut(..MAX_DATAGRAM) else {
            return Poll::Ready(Wake::SocketError);
        };
        match socket.get_ref().recv_from(room) {
            Ok((len, from)) => {
                let data = block.split_to(len.min(MAX_DATAGRAM)).freeze();
                return Poll::Ready(Wake::Datagram { from, data });
            }
            // Readiness was stale: poll again to wait for the next.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => return Poll::Ready(Wake::SocketError),
        }
    }
}

async fn run(mut engine: Engine, socket: Async<UdpSocket>) {
    let mut block = BytesMut::new();
    let mut transmits: Vec<(SocketAddr, Bytes)> = Vec::new();
    let mut timer = Timer::never();
    // Who is polled first this round, so no source starves the others.
    let mut turn = 0_u8;
    loop {
        match engine.next_wake() {
            Some(at) => timer.set_at(at),
            None => timer = Timer::never(),
        }
        turn = (turn + 1) % 3;
        let wake = poll_fn(|cx| {
            for i in 0..3 {
                let polled = match (turn + i) % 3 {
                    0 => poll_datagram(&socket, &mut block, cx),
                    1 => engine.poll_channels(cx),
                    _ => Pin::new(&mut timer).poll(cx).map(|_| Wake::Timer),
                };
                if polled.is_ready() {
                    return polled;
                }
            }
            Poll::Pending
        })
        .await;
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

//! The task that owns one UDP socket and its [`Endpoint`](srt_proto::Endpoint)
//! (smol): an `Async<UdpSocket>`, an `async-io` timer and a task on smol's
//! global executor. What the task does with each wake is the
//! runtime-neutral [`Engine`]'s; the datagram I/O (batched where the OS
//! offers it) is srt-tokio's runtime-neutral `udp.rs`.
//!
//! Each round the task gathers everything that is ready at once (a batch
//! of datagrams, queued commands, the timer), hands it all to the engine,
//! then sends what the engine queued.

#[path = "../../srt-tokio/src/driver/udp.rs"]
pub(crate) mod udp;

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
use udp::Batched;

/// Commands and controls taken from the channels in one round at most, so
/// a busy application cannot hold off datagrams and timers.
const CHANNEL_BATCH: usize = 64;

/// Binds `local`, seeds an endpoint from the OS and starts its task.
pub(crate) async fn spawn(
    local: SocketAddr,
    config: EndpointConfig,
    queue: usize,
    buffers: udp::UdpBuffers,
) -> Result<DriverHandle, SrtError> {
    let socket = UdpSocket::bind(local)?;
    udp::set_buffer_sizes(&socket, buffers);
    let io = if udp::batching_enabled() {
        Io::Batched(Box::new(Batched::new((&socket).into())?))
    } else {
        Io::Plain(BytesMut::new())
    };
    let socket = Async::new(socket)?;
    let (engine, handle) = Engine::new(socket.get_ref().local_addr()?, config, queue)?;
    smol::spawn(run(engine, socket, io)).detach();
    Ok(handle)
}

/// How the task reads and writes datagrams.
enum Io {
    /// `recvmmsg`, GRO and GSO where the OS has them (`udp.rs`).
    Batched(Box<Batched>),
    /// One datagram per system call, read into an arena.
    Plain(BytesMut),
}

impl Io {
    /// Pushes the datagrams waiting on `socket` (one batch) into `wakes`;
    /// `Pending` (registered for readiness) if none wait.
    fn poll_recv(
        &mut self,
        socket: &Async<UdpSocket>,
        cx: &mut Context<'_>,
        wakes: &mut Vec<Wake>,
    ) -> Poll<()> {
        loop {
            match socket.poll_readable(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(_)) => {
                    wakes.push(Wake::SocketError);
                    return Poll::Ready(());
                }
                Poll::Ready(Ok(())) => {}
            }
            let read = match self {
                Self::Batched(batched) => batched.recv(socket.get_ref().into(), wakes).map(drop),
                Self::Plain(arena) => recv_plain(socket.get_ref(), arena, wakes),
            };
            match read {
                Ok(()) => return Poll::Ready(()),
                // Readiness was stale: poll again to wait for the next.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => {
                    wakes.push(Wake::SocketError);
                    return Poll::Ready(());
                }
            }
        }
    }

    /// Sends `transmits` in order and empties it. A failed send is a lost
    /// datagram; ARQ repairs it.
    async fn send_all(
        &mut self,
        socket: &Async<UdpSocket>,
        transmits: &mut Vec<(SocketAddr, Bytes)>,
    ) {
        let mut at = 0;
        while let Some(rest) = transmits.get(at..).filter(|r| !r.is_empty()) {
            at += match self {
                Self::Batched(batched) => socket
                    .write_with(|s| batched.send(s.into(), rest))
                    .await
                    .unwrap_or(1),
                Self::Plain(_) => {
                    if let Some((to, data)) = rest.first() {
                        let _ = socket.send_to(data, *to).await;
                    }
                    1
                }
            };
        }
        transmits.clear();
    }
}

/// One datagram read into the front of `arena` (split off it).
fn recv_plain(socket: &UdpSocket, arena: &mut BytesMut, wakes: &mut Vec<Wake>) -> io::Result<()> {
    if arena.len() < udp::MAX_DATAGRAM {
        *arena = BytesMut::zeroed(udp::ARENA);
    }
    let room = arena
        .get_mut(..udp::MAX_DATAGRAM)
        .ok_or_else(|| io::Error::from(io::ErrorKind::OutOfMemory))?;
    let (len, from) = socket.recv_from(room)?;
    let data = arena.split_to(len.min(udp::MAX_DATAGRAM)).freeze();
    wakes.push(Wake::Datagram { from, data });
    Ok(())
}

async fn run(mut engine: Engine, socket: Async<UdpSocket>, mut io: Io) {
    let mut transmits: Vec<(SocketAddr, Bytes)> = Vec::new();
    let mut wakes: Vec<Wake> = Vec::new();
    let mut timer = Timer::never();
    // The deadline `timer` is set for; `None` once it fired (or with
    // nothing to wait for).
    let mut armed: Option<std::time::Instant> = None;
    loop {
        let wake_at = engine.next_wake();
        if wake_at != armed {
            match wake_at {
                Some(at) => timer.set_at(at),
                None => timer = Timer::never(),
            }
            armed = wake_at;
        }
        poll_fn(|cx| {
            // Every source is polled every round (so each one's waker is
            // registered and none starves the others); whatever is ready
            // is handled together.
            let _ = io.poll_recv(&socket, cx, &mut wakes);
            for _ in 0..CHANNEL_BATCH {
                match engine.poll_channels(cx) {
                    Poll::Ready(wake) => wakes.push(wake),
                    Poll::Pending => break,
                }
            }
            if armed.is_some() && Pin::new(&mut timer).poll(cx).is_ready() {
                armed = None;
                wakes.push(Wake::Timer);
            }
            if wakes.is_empty() {
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        })
        .await;
        engine.handle_round(wakes.drain(..));
        engine.drain(&mut transmits);
        io.send_all(&socket, &mut transmits).await;
        if engine.is_done() {
            return;
        }
    }
}

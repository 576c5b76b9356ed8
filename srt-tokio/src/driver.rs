//! The task that owns one UDP socket and its [`Endpoint`](srt_proto::Endpoint)
//! (tokio).
//!
//! With `io.rs` (tokio's `AsyncRead`/`AsyncWrite`) and the server's spawn,
//! the only code that touches the runtime: the socket, the timer and the
//! spawn. What the task does with each wake is the runtime-neutral
//! [`Engine`]'s; everything it exchanges with [`crate::SrtSocket`] and
//! [`crate::SrtListener`] goes through the channels of `shared.rs`.
//!
//! Each round the task gathers everything that is ready at once (a batch
//! of datagrams, queued commands, the timer), hands it all to the engine,
//! then sends what the engine queued in as few system calls as the OS
//! allows (`udp.rs`): one wake-up, one timer update and one flush per
//! batch rather than per datagram.

#[path = "driver/udp.rs"]
pub(crate) mod udp;

use crate::engine::{Engine, Wake};
use crate::error::SrtError;
use crate::shared::DriverHandle;
use bytes::{Bytes, BytesMut};
use srt_proto::EndpointConfig;
use std::future::{Future, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::task::{Context, Poll};
use tokio::io::Interest;
use tokio::net::UdpSocket;
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
    let socket = std::net::UdpSocket::bind(local)?;
    socket.set_nonblocking(true)?;
    udp::set_buffer_sizes(&socket, buffers);
    let io = if udp::batching_enabled() {
        Io::Batched(Box::new(Batched::new((&socket).into())?))
    } else {
        Io::Plain(BytesMut::new())
    };
    let socket = UdpSocket::from_std(socket)?;
    let (engine, handle) = Engine::new(socket.local_addr()?, config, queue)?;
    tokio::spawn(run(engine, socket, io));
    Ok(handle)
}

/// How the task reads and writes datagrams.
enum Io {
    /// `recvmmsg`, GRO and GSO where the OS has them (`udp.rs`).
    Batched(Box<Batched>),
    /// One datagram per system call, read into the spare room of an arena.
    Plain(BytesMut),
}

impl Io {
    /// Pushes the datagrams waiting on `socket` (one batch) into `wakes`;
    /// `Pending` (registered for readiness) if none wait.
    fn poll_recv(
        &mut self,
        socket: &UdpSocket,
        cx: &mut Context<'_>,
        wakes: &mut Vec<Wake>,
    ) -> Poll<()> {
        loop {
            match socket.poll_recv_ready(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(_)) => {
                    wakes.push(Wake::SocketError);
                    return Poll::Ready(());
                }
                Poll::Ready(Ok(())) => {}
            }
            let before = wakes.len();
            let read = match self {
                Self::Batched(batched) => socket
                    .try_io(Interest::READABLE, || {
                        match batched.recv(socket.into(), wakes)? {
                            true => Ok(()),
                            // The read emptied the queue: clear the
                            // readiness now (as tokio does after a short
                            // read) instead of learning it from one more
                            // recvmmsg failing with EAGAIN. A datagram that
                            // arrives later raises a new edge.
                            false => Err(io::ErrorKind::WouldBlock.into()),
                        }
                    })
                    .or_else(|e| {
                        if e.kind() == io::ErrorKind::WouldBlock && wakes.len() > before {
                            Ok(())
                        } else {
                            Err(e)
                        }
                    }),
                Self::Plain(arena) => {
                    if arena.capacity() < udp::MAX_DATAGRAM {
                        *arena = BytesMut::with_capacity(udp::ARENA);
                    }
                    socket.try_recv_buf_from(arena).map(|(_, from)| {
                        let data = arena.split().freeze();
                        wakes.push(Wake::Datagram { from, data });
                    })
                }
            };
            match read {
                Ok(()) => return Poll::Ready(()),
                // Readiness was stale (and is now cleared): poll again to
                // register for the next.
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
    async fn send_all(&mut self, socket: &UdpSocket, transmits: &mut Vec<(SocketAddr, Bytes)>) {
        let mut at = 0;
        while let Some(rest) = transmits.get(at..).filter(|r| !r.is_empty()) {
            at += match self {
                Self::Batched(batched) => socket
                    .async_io(Interest::WRITABLE, || batched.send(socket.into(), rest))
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

async fn run(mut engine: Engine, socket: UdpSocket, mut io: Io) {
    let mut transmits: Vec<(SocketAddr, Bytes)> = Vec::new();
    let mut wakes: Vec<Wake> = Vec::new();
    let mut sleep = pin!(tokio::time::sleep_until(tokio::time::Instant::now()));
    // The deadline `sleep` is armed for; `None` once it fired (or with
    // nothing to wait for).
    let mut armed: Option<std::time::Instant> = None;
    loop {
        let wake_at = engine.next_wake();
        if wake_at != armed {
            if let Some(at) = wake_at {
                sleep.as_mut().reset(at.into());
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
            if armed.is_some() && sleep.as_mut().poll(cx).is_ready() {
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

//! The task that owns one UDP socket and its [`Endpoint`](srt_proto::Endpoint)
//! (tokio).
//!
//! With `io.rs` (tokio's `AsyncRead`/`AsyncWrite`) and the server's spawn,
//! the only code that touches the runtime: the socket, the timer and the
//! spawn. What the task does with each wake is the runtime-neutral
//! [`Engine`]'s; everything it exchanges with [`crate::SrtSocket`] and
//! [`crate::SrtListener`] goes through the channels of `shared.rs`.
//!
//! The loop itself (`rounds.rs`) and the datagram I/O (`udp.rs`) are
//! runtime-neutral; this file gives them tokio's socket and timer.

#[path = "driver/rounds.rs"]
mod rounds;
#[path = "driver/udp.rs"]
pub mod udp;

use crate::engine::{Engine, Wake};
use crate::error::SrtError;
use crate::shared::DriverHandle;
use bytes::{Bytes, BytesMut};
use rounds::DatagramIo;
use srt_proto::EndpointConfig;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};
use tokio::io::Interest;
use tokio::net::UdpSocket;
use udp::Batched;

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
    tokio::spawn(async move {
        let sleep = std::pin::pin!(tokio::time::sleep_until(tokio::time::Instant::now()));
        rounds::run(engine, TokioIo { socket, io }, sleep).await;
    });
    Ok(handle)
}

/// How the task reads and writes datagrams.
enum Io {
    /// `recvmmsg`, GRO and GSO where the OS has them (`udp.rs`).
    Batched(Box<Batched>),
    /// One datagram per system call, read into the spare room of an arena.
    Plain(BytesMut),
}

/// tokio's socket with its way of reading and writing.
struct TokioIo {
    socket: UdpSocket,
    io: Io,
}

impl DatagramIo for TokioIo {
    fn poll_recv(&mut self, cx: &mut Context<'_>, wakes: &mut Vec<Wake>) -> Poll<()> {
        let socket = &self.socket;
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
            let read = match &mut self.io {
                Io::Batched(batched) => socket
                    .try_io(Interest::READABLE, || {
                        match batched.recv(socket.into(), |from, data| {
                            wakes.push(Wake::Datagram { from, data })
                        })? {
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
                Io::Plain(arena) => {
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

    async fn send_all(&mut self, transmits: &mut Vec<(SocketAddr, Bytes)>) {
        let socket = &self.socket;
        let mut at = 0;
        while let Some(rest) = transmits.get(at..).filter(|r| !r.is_empty()) {
            at += match &mut self.io {
                Io::Batched(batched) => socket
                    .async_io(Interest::WRITABLE, || batched.send(socket.into(), rest))
                    .await
                    .unwrap_or(1),
                Io::Plain(_) => {
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

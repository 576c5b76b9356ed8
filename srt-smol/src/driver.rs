//! The task that owns one UDP socket and its [`Endpoint`](srt_proto::Endpoint)
//! (smol): an `Async<UdpSocket>`, an `async-io` timer and a task on smol's
//! global executor. What the task does with each wake is the
//! runtime-neutral [`Engine`]'s; the datagram I/O (batched where the OS
//! offers it) is srt-tokio's runtime-neutral `udp.rs`.
//!
//! The loop itself is srt-tokio's runtime-neutral `driver/rounds.rs`.

#[path = "../../srt-tokio/src/driver/rounds.rs"]
mod rounds;
#[path = "../../srt-tokio/src/driver/udp.rs"]
pub(crate) mod udp;

use crate::engine::{Engine, Wake};
use crate::error::SrtError;
use crate::shared::DriverHandle;
use bytes::{Bytes, BytesMut};
use rounds::DatagramIo;
use smol::{Async, Timer};
use srt_proto::EndpointConfig;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::task::{Context, Poll};
use udp::Batched;

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
    smol::spawn(rounds::run(engine, SmolIo { socket, io }, Timer::never())).detach();
    Ok(handle)
}

/// How the task reads and writes datagrams.
enum Io {
    /// `recvmmsg`, GRO and GSO where the OS has them (`udp.rs`).
    Batched(Box<Batched>),
    /// One datagram per system call, read into an arena.
    Plain(BytesMut),
}

/// smol's socket with its way of reading and writing.
struct SmolIo {
    socket: Async<UdpSocket>,
    io: Io,
}

impl DatagramIo for SmolIo {
    fn poll_recv(&mut self, cx: &mut Context<'_>, wakes: &mut Vec<Wake>) -> Poll<()> {
        let socket = &self.socket;
        loop {
            match socket.poll_readable(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(_)) => {
                    wakes.push(Wake::SocketError);
                    return Poll::Ready(());
                }
                Poll::Ready(Ok(())) => {}
            }
            let read = match &mut self.io {
                Io::Batched(batched) => batched
                    .recv(socket.get_ref().into(), |from, data| {
                        wakes.push(Wake::Datagram { from, data })
                    })
                    .map(drop),
                Io::Plain(arena) => recv_plain(socket.get_ref(), arena, wakes),
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

    async fn send_all(&mut self, transmits: &mut Vec<(SocketAddr, Bytes)>) {
        let socket = &self.socket;
        let mut at = 0;
        while let Some(rest) = transmits.get(at..).filter(|r| !r.is_empty()) {
            at += match &mut self.io {
                Io::Batched(batched) => socket
                    .write_with(|s| batched.send(s.into(), rest))
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

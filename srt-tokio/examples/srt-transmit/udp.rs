//! `srt-transmit`'s UDP input and output, batched where the OS allows it
//! with srt-tokio's own [`Batched`] (the code its socket task uses): one
//! `recvmmsg` (and UDP GRO) reads every datagram waiting, and a run of
//! datagrams of one size leaves as one UDP GSO send. Received datagrams
//! are copied into a shared arena, so there is no allocation per datagram.
//!
//! `SRT_UDP_BATCH=0` in the environment turns batching off (one datagram
//! per system call), as it does in srt-tokio.

use bytes::{Bytes, BytesMut};
use srt_tokio::udp::Batched;
pub use srt_tokio::udp::batching_enabled;
use srt_tokio::uri::UdpOptions;
use std::io;
use std::net::SocketAddr;
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// The room for one datagram (a UDP datagram of MPEG-TS is 1316 bytes;
/// jumbo datagrams up to this size are kept whole).
const MAX_DATAGRAM: usize = 9216;
/// Unbatched reads go into arenas of this size.
const ARENA: usize = 128 * 1024;
/// `SO_RCVBUF` asked for on the input unless the URI says `rcvbuf`, as
/// srt-tokio does for its sockets (libsrt's `SRTO_UDP_RCVBUF` default);
/// Linux caps it at `rmem_max`.
const RECV_BUFFER: usize = 8192 * 1500;

/// Applies the URI's `rcvbuf` and `sndbuf` (`SO_RCVBUF`, `SO_SNDBUF`),
/// `rcvbuf` defaulting to `default_rcvbuf`; the OS may grant less.
fn set_buffer_sizes(socket: &UdpSocket, options: &UdpOptions, default_rcvbuf: Option<usize>) {
    let sock = socket2::SockRef::from(socket);
    let rcvbuf = options.rcvbuf.map(|b| b as usize).or(default_rcvbuf);
    if let Some(bytes) = rcvbuf {
        let _ = sock.set_recv_buffer_size(bytes);
    }
    if let Some(bytes) = options.sndbuf {
        let _ = sock.set_send_buffer_size(bytes as usize);
    }
}

/// A UDP socket datagrams are read from.
pub struct UdpInput {
    socket: UdpSocket,
    batch: Option<Batched>,
    arena: BytesMut,
}

impl UdpInput {
    /// Reads from `socket` (batched if `batching`), with the URI's
    /// buffer sizes.
    pub fn new(socket: UdpSocket, batching: bool, options: &UdpOptions) -> io::Result<Self> {
        set_buffer_sizes(&socket, options, Some(RECV_BUFFER));
        let batch = if batching {
            Some(Batched::with_max_datagram((&socket).into(), MAX_DATAGRAM)?)
        } else {
            None
        };
        Ok(Self {
            socket,
            batch,
            arena: BytesMut::with_capacity(ARENA),
        })
    }

    /// Waits for datagrams and appends every one waiting (one system
    /// call's worth) to `out`.
    pub async fn read(&mut self, out: &mut Vec<Bytes>) -> io::Result<()> {
        let Self {
            socket,
            batch,
            arena,
        } = self;
        let Some(batch) = batch else {
            if arena.capacity() < MAX_DATAGRAM {
                *arena = BytesMut::with_capacity(ARENA);
            }
            socket.recv_buf(arena).await?;
            out.push(arena.split().freeze());
            return Ok(());
        };
        loop {
            socket.readable().await?;
            let before = out.len();
            let read = socket.try_io(Interest::READABLE, || {
                match batch.recv((&*socket).into(), |_, data| out.push(data))? {
                    true => Ok(()),
                    // The read emptied the queue: clear the readiness now
                    // rather than learn it from one more recvmmsg failing
                    // with EAGAIN (a later datagram raises a new edge).
                    false => Err(io::ErrorKind::WouldBlock.into()),
                }
            });
            match read {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if out.len() > before {
                        return Ok(());
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// A UDP socket datagrams are sent from, to one destination.
pub struct UdpOutput {
    socket: UdpSocket,
    dest: SocketAddr,
    batch: Option<Batched>,
    /// The datagrams being written, addressed (reused).
    addressed: Vec<(SocketAddr, Bytes)>,
}

impl UdpOutput {
    /// Sends to `dest` from `socket` (batched if `batching`), with the
    /// URI's buffer sizes.
    pub fn new(
        socket: UdpSocket,
        dest: SocketAddr,
        batching: bool,
        options: &UdpOptions,
    ) -> io::Result<Self> {
        set_buffer_sizes(&socket, options, None);
        let batch = if batching {
            Some(Batched::with_max_datagram((&socket).into(), MAX_DATAGRAM)?)
        } else {
            None
        };
        Ok(Self {
            socket,
            dest,
            batch,
            addressed: Vec::new(),
        })
    }

    /// Sends `datagrams` in order, a run of one size as one GSO send.
    pub async fn write(&mut self, datagrams: &[Bytes]) -> io::Result<()> {
        let Self {
            socket,
            dest,
            batch,
            addressed,
        } = self;
        let Some(batch) = batch else {
            for datagram in datagrams {
                socket.send_to(datagram, *dest).await?;
            }
            return Ok(());
        };
        addressed.clear();
        addressed.extend(datagrams.iter().map(|d| (*dest, d.clone())));
        let mut at = 0;
        while let Some(rest) = addressed.get(at..).filter(|r| !r.is_empty()) {
            at += socket
                .async_io(Interest::WRITABLE, || batch.send((&*socket).into(), rest))
                .await?;
        }
        addressed.clear();
        Ok(())
    }
}

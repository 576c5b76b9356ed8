//! `srt-transmit`'s UDP input and output, batched where the OS allows it
//! (through `quinn-udp`, as srt-tokio's socket task): one `recvmmsg` (and
//! UDP GRO) reads every datagram waiting, and a run of datagrams of one
//! size leaves as one UDP GSO send. Received datagrams are copied into a
//! shared arena, so there is no allocation per datagram.
//!
//! `SRT_UDP_BATCH=0` in the environment turns batching off (one datagram
//! per system call), as it does in srt-tokio.

use bytes::{Bytes, BytesMut};
use quinn_udp::{RecvMeta, Transmit, UdpSocketState};
use srt_tokio::uri::UdpOptions;
use std::io::{self, IoSliceMut};
use std::net::SocketAddr;
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// Datagrams one batched read takes (quinn-udp's batch on Linux).
const SLOTS: usize = 32;
/// The room for one datagram without GRO (a UDP datagram of MPEG-TS is
/// 1316 bytes; jumbo datagrams up to this size are kept whole).
const PLAIN_SLOT: usize = 9216;
/// With GRO a slot holds a train of datagrams coalesced by the kernel.
const GRO_SLOT: usize = 64 * 1024;
const GRO_SLOTS: usize = 8;
/// Received datagrams are stored back to back in arenas of this size.
const ARENA: usize = 128 * 1024;
/// The most bytes one GSO send carries.
const MAX_GSO_BYTES: usize = 65_000;
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

/// Whether batched I/O is on: yes unless `SRT_UDP_BATCH=0`.
pub fn batching_enabled() -> bool {
    std::env::var_os("SRT_UDP_BATCH").is_none_or(|v| v != "0")
}

/// A UDP socket datagrams are read from.
pub struct UdpInput {
    socket: UdpSocket,
    batch: Option<RecvBatch>,
    arena: BytesMut,
}

/// The buffers of batched reads.
struct RecvBatch {
    state: UdpSocketState,
    scratch: Vec<u8>,
    slot: usize,
    metas: Vec<RecvMeta>,
}

impl UdpInput {
    /// Reads from `socket` (batched if `batching`), with the URI's
    /// buffer sizes.
    pub fn new(socket: UdpSocket, batching: bool, options: &UdpOptions) -> io::Result<Self> {
        set_buffer_sizes(&socket, options, Some(RECV_BUFFER));
        let batch = if batching {
            let state = UdpSocketState::new((&socket).into())?;
            let (slots, slot) = if state.gro_segments() > 1 {
                (GRO_SLOTS, GRO_SLOT)
            } else {
                (SLOTS, PLAIN_SLOT)
            };
            let slots = slots.clamp(1, quinn_udp::BATCH_SIZE.max(1));
            Some(RecvBatch {
                state,
                scratch: vec![0; slots * slot],
                slot,
                metas: vec![RecvMeta::default(); slots],
            })
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
        match batch {
            Some(batch) => loop {
                socket.readable().await?;
                let before = out.len();
                let read = socket.try_io(Interest::READABLE, || {
                    match batch.recv(socket, arena, out)? {
                        true => Ok(()),
                        // The read emptied the queue: clear the readiness
                        // now rather than learn it from one more recvmmsg
                        // failing with EAGAIN (a later datagram raises a
                        // new edge).
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
            },
            None => {
                if arena.capacity() < PLAIN_SLOT {
                    *arena = BytesMut::with_capacity(ARENA);
                }
                socket.recv_buf(arena).await?;
                out.push(arena.split().freeze());
                Ok(())
            }
        }
    }
}

impl RecvBatch {
    /// One batched read into `out`; `Ok(true)` if every slot was filled
    /// (more may wait).
    fn recv(
        &mut self,
        socket: &UdpSocket,
        arena: &mut BytesMut,
        out: &mut Vec<Bytes>,
    ) -> io::Result<bool> {
        let count = {
            let mut chunks = self.scratch.chunks_mut(self.slot);
            let mut bufs: [IoSliceMut<'_>; SLOTS] =
                std::array::from_fn(|_| IoSliceMut::new(chunks.next().unwrap_or_default()));
            let slots = self.metas.len().min(SLOTS);
            let bufs = bufs.get_mut(..slots).unwrap_or_default();
            self.state.recv(socket.into(), bufs, &mut self.metas)?
        };
        for (meta, chunk) in self
            .metas
            .iter()
            .take(count)
            .zip(self.scratch.chunks(self.slot))
        {
            let Some(data) = chunk.get(..meta.len) else {
                continue;
            };
            // One datagram after the other (GRO: `stride` bytes each), so
            // an arena's slack is less than one datagram.
            let stride = if meta.stride == 0 {
                data.len()
            } else {
                meta.stride
            };
            for datagram in data.chunks(stride.max(1)) {
                if arena.capacity() < datagram.len() {
                    *arena = BytesMut::with_capacity(ARENA.max(datagram.len()));
                }
                arena.extend_from_slice(datagram);
                out.push(arena.split().freeze());
            }
        }
        Ok(count >= self.metas.len())
    }
}

/// A UDP socket datagrams are sent from, to one destination.
pub struct UdpOutput {
    socket: UdpSocket,
    dest: SocketAddr,
    state: Option<UdpSocketState>,
    /// A GSO train being assembled (reused).
    train: Vec<u8>,
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
        let state = if batching {
            Some(UdpSocketState::new((&socket).into())?)
        } else {
            None
        };
        Ok(Self {
            socket,
            dest,
            state,
            train: Vec::new(),
        })
    }

    /// Sends `datagrams` in order, a run of one size as one GSO send.
    pub async fn write(&mut self, datagrams: &[Bytes]) -> io::Result<()> {
        let mut at = 0;
        while let Some(rest) = datagrams.get(at..).filter(|r| !r.is_empty()) {
            at += self.write_some(rest).await?;
        }
        Ok(())
    }

    async fn write_some(&mut self, datagrams: &[Bytes]) -> io::Result<usize> {
        let Self {
            socket,
            dest,
            state,
            train,
        } = self;
        let socket = &*socket;
        let Some(first) = datagrams.first() else {
            return Ok(0);
        };
        let Some(state) = state else {
            socket.send_to(first, *dest).await?;
            return Ok(1);
        };
        let size = first.len().max(1);
        let max = state.max_gso_segments().min(MAX_GSO_BYTES / size).max(1);
        let run = gso_run(datagrams, max);
        if run > 1 {
            train.clear();
            for d in datagrams.iter().take(run) {
                train.extend_from_slice(d);
            }
            let sent = socket
                .async_io(Interest::WRITABLE, || {
                    state.try_send(socket.into(), &transmit(*dest, train, Some(size)))
                })
                .await;
            match sent {
                Ok(()) => return Ok(run),
                // GSO refused (quinn-udp turns it off): send them one by
                // one below.
                Err(_) if state.max_gso_segments() <= 1 => {}
                Err(e) => return Err(e),
            }
        }
        socket
            .async_io(Interest::WRITABLE, || {
                state.try_send(socket.into(), &transmit(*dest, first, None))
            })
            .await?;
        Ok(1)
    }
}

fn transmit(destination: SocketAddr, contents: &[u8], segment_size: Option<usize>) -> Transmit<'_> {
    Transmit {
        destination,
        ecn: None,
        contents,
        segment_size,
        src_ip: None,
    }
}

/// How many of the first `datagrams` (at most `max`) can leave as one GSO
/// send: all of one size, except that the last may be shorter.
fn gso_run(datagrams: &[Bytes], max: usize) -> usize {
    let Some(first) = datagrams.first() else {
        return 0;
    };
    let mut run = 1;
    for d in datagrams.iter().skip(1).take(max.saturating_sub(1)) {
        if d.len() > first.len() || d.is_empty() {
            break;
        }
        run += 1;
        if d.len() < first.len() {
            break;
        }
    }
    run
}

//! The datagram I/O of the task that owns one UDP socket, shared by the
//! tokio and smol drivers (srt-smol includes this file): socket buffer
//! sizes and, where the OS offers it, batched I/O through `quinn-udp`.
//!
//! Batched, one `recvmmsg` reads up to [`PLAIN_SLOTS`] datagrams (Linux;
//! one elsewhere), and with UDP GRO a slot may hold up to 64 datagrams of
//! one sender coalesced by the kernel. Sends of consecutive datagrams of
//! one size to one peer (a paced burst of data packets) leave as one UDP
//! GSO `sendmsg`. Each received datagram is copied once into a shared
//! arena and handed on as a slice of it, so there is no allocation per
//! datagram and the scratch buffer the kernel writes into is reused.
//!
//! Unbatched (`SRT_UDP_BATCH=0` in the environment, for measuring the
//! difference), the drivers fall back to one datagram per system call
//! through the runtime's own socket calls.
//!
//! srt-tokio also exports [`Batched`] (as `srt_tokio::udp`) for an
//! application's own UDP input and output next to SRT, as the
//! `srt-transmit` example uses it: it does the system calls, the caller
//! waits for readiness with its runtime.

use bytes::{Bytes, BytesMut};
use quinn_udp::{RecvMeta, Transmit, UdpSockRef, UdpSocketState};
use std::io::{self, IoSliceMut};
use std::net::SocketAddr;

/// The room left for each datagram read without GRO: an SRT datagram is
/// at most the MSS (1500 bytes at most in libsrt), anything longer is cut
/// and fails to decode.
pub const MAX_DATAGRAM: usize = 2048;

/// Received datagrams are stored back to back in arenas of this size and
/// handed on as slices of them: one allocation per ~90 full-size
/// datagrams, less than one datagram of slack each.
pub(crate) const ARENA: usize = 128 * 1024;

/// `SO_RCVBUF` asked for: libsrt's default `SRTO_UDP_RCVBUF` (8192 packets
/// of 1500 bytes), so a burst at 1 Gbit/s waits in the kernel instead of
/// being dropped there. Linux caps it at `net.core.rmem_max`.
pub(crate) const RECV_BUFFER: usize = 8192 * 1500;

/// `SO_SNDBUF` asked for: more than libsrt's 64 KiB, because the task
/// sends a timer tick's worth of paced packets at once (about 90 at
/// 1 Gbit/s). Linux caps it at `net.core.wmem_max`.
pub(crate) const SEND_BUFFER: usize = 1024 * 1024;

/// Datagrams one batched read takes without GRO (quinn-udp's batch on
/// Linux).
const PLAIN_SLOTS: usize = 32;

/// With GRO each slot must hold a whole coalesced datagram train (at most
/// 64 KiB); fewer slots keep the scratch buffer (all of it touched once
/// trains arrive) at 512 KiB, and 8 trains are up to ~380 datagrams.
const GRO_SLOTS: usize = 8;
const GRO_SLOT: usize = 64 * 1024;

/// The most bytes one GSO send carries (the UDP length limit, with room
/// for headers).
const MAX_GSO_BYTES: usize = 65_000;

/// Whether batched I/O is on: yes unless `SRT_UDP_BATCH=0` is in the
/// environment.
pub fn batching_enabled() -> bool {
    std::env::var_os("SRT_UDP_BATCH").is_none_or(|v| v != "0")
}

/// The kernel buffer sizes asked for one UDP socket (libsrt's
/// `SRTO_UDP_RCVBUF` and `SRTO_UDP_SNDBUF`), bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct UdpBuffers {
    /// `SO_RCVBUF`.
    pub(crate) receive: usize,
    /// `SO_SNDBUF`.
    pub(crate) send: usize,
}

impl Default for UdpBuffers {
    fn default() -> Self {
        Self {
            receive: RECV_BUFFER,
            send: SEND_BUFFER,
        }
    }
}

/// Asks for `sizes`; the OS may grant less (Linux caps them at
/// `net.core.rmem_max` and `wmem_max`), which only costs drops under
/// bursts, so a refusal is not an error.
pub(crate) fn set_buffer_sizes(socket: &std::net::UdpSocket, sizes: UdpBuffers) {
    let socket = socket2::SockRef::from(socket);
    let _ = socket.set_recv_buffer_size(sizes.receive);
    let _ = socket.set_send_buffer_size(sizes.send);
}

/// Batched datagram I/O on one non-blocking UDP socket: `recvmmsg` and
/// UDP GRO for reading, UDP GSO for runs of same-size datagrams to one
/// peer (through quinn-udp; one datagram per call where the OS has none
/// of these). It makes the system calls; wait for the socket's readiness
/// with your runtime and retry on `WouldBlock`.
pub struct Batched {
    state: UdpSocketState,
    /// Where the kernel writes: `metas.len()` slots of `slot` bytes.
    scratch: Vec<u8>,
    slot: usize,
    metas: Vec<RecvMeta>,
    arena: BytesMut,
    /// A GSO train being assembled (reused).
    train: Vec<u8>,
}

impl Batched {
    /// Sets `socket` up for batched I/O (non-blocking, GRO where offered)
    /// of SRT datagrams ([`MAX_DATAGRAM`] bytes at most).
    pub fn new(socket: UdpSockRef<'_>) -> io::Result<Self> {
        Self::with_max_datagram(socket, MAX_DATAGRAM)
    }

    /// The same for datagrams of up to `max_datagram` bytes (longer ones
    /// are cut) where the OS has no GRO.
    pub fn with_max_datagram(socket: UdpSockRef<'_>, max_datagram: usize) -> io::Result<Self> {
        let state = UdpSocketState::new(socket)?;
        let (slots, slot) = if state.gro_segments() > 1 {
            (GRO_SLOTS, GRO_SLOT.max(max_datagram))
        } else {
            (PLAIN_SLOTS, max_datagram.max(1))
        };
        let slots = slots.clamp(1, quinn_udp::BATCH_SIZE.max(1));
        Ok(Self {
            state,
            scratch: vec![0; slots * slot],
            slot,
            metas: vec![RecvMeta::default(); slots],
            arena: BytesMut::with_capacity(ARENA),
            train: Vec::new(),
        })
    }

    /// Reads what waits (one system call) and calls `push` with each
    /// datagram's source and bytes (a slice of a shared arena: no
    /// allocation per datagram); `WouldBlock` if nothing waited.
    /// `Ok(true)` if every slot was filled (more may wait), `Ok(false)` if
    /// the read emptied the socket's queue.
    pub fn recv(
        &mut self,
        socket: UdpSockRef<'_>,
        mut push: impl FnMut(SocketAddr, Bytes),
    ) -> io::Result<bool> {
        let count = {
            let mut chunks = self.scratch.chunks_mut(self.slot);
            let mut bufs: [IoSliceMut<'_>; PLAIN_SLOTS] =
                std::array::from_fn(|_| IoSliceMut::new(chunks.next().unwrap_or_default()));
            let slots = self.metas.len().min(PLAIN_SLOTS);
            let bufs = bufs.get_mut(..slots).unwrap_or_default();
            self.state.recv(socket, bufs, &mut self.metas)?
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
            store(&mut self.arena, data, meta.stride, |data| {
                push(meta.addr, data)
            });
        }
        Ok(count >= self.metas.len())
    }

    /// Sends the first datagrams of `transmits`: a run to one peer of one
    /// size as one GSO send, else the first alone. Returns how many left
    /// (a datagram the OS refused counts as sent: it is lost, as UDP
    /// datagrams may be; SRT's ARQ repairs it); `WouldBlock` if the socket
    /// buffer is full.
    pub fn send(
        &mut self,
        socket: UdpSockRef<'_>,
        transmits: &[(SocketAddr, Bytes)],
    ) -> io::Result<usize> {
        let Some((to, first)) = transmits.first() else {
            return Ok(0);
        };
        let size = first.len().max(1);
        let max = self
            .state
            .max_gso_segments()
            .min(MAX_GSO_BYTES / size)
            .max(1);
        let run = gso_run(transmits, max);
        let result = if run == 1 {
            self.state.try_send(socket, &transmit(*to, first, None))
        } else {
            self.train.clear();
            for (_, data) in transmits.iter().take(run) {
                self.train.extend_from_slice(data);
            }
            self.state
                .try_send(socket, &transmit(*to, &self.train, Some(size)))
        };
        match result {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Err(e),
            Ok(()) | Err(_) => Ok(run),
        }
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

/// How many of the first `transmits` (at most `max`) can leave as one GSO
/// send: same peer, same size, except that the last may be shorter.
fn gso_run(transmits: &[(SocketAddr, Bytes)], max: usize) -> usize {
    let Some((to, first)) = transmits.first() else {
        return 0;
    };
    let mut run = 1;
    for (peer, data) in transmits.iter().skip(1).take(max.saturating_sub(1)) {
        if peer != to || data.len() > first.len() || data.is_empty() {
            break;
        }
        run += 1;
        if data.len() < first.len() {
            break;
        }
    }
    run
}

/// Copies what one read returned into `arena`, one datagram (`stride`
/// bytes, the last may be shorter; all of `data` without GRO) after the
/// other, and hands each to `push`. Each datagram is copied on its own so
/// an arena's slack is less than one datagram: the receive buffer holds
/// these slices for the whole latency window.
fn store(arena: &mut BytesMut, data: &[u8], stride: usize, mut push: impl FnMut(Bytes)) {
    let stride = if stride == 0 { data.len() } else { stride };
    for datagram in data.chunks(stride.max(1)) {
        if arena.capacity() < datagram.len() {
            *arena = BytesMut::with_capacity(ARENA.max(datagram.len()));
        }
        arena.extend_from_slice(datagram);
        push(arena.split().freeze());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    fn datagrams(specs: &[(u16, usize)]) -> Vec<(SocketAddr, Bytes)> {
        specs
            .iter()
            .map(|&(port, len)| (peer(port), Bytes::from(vec![0u8; len])))
            .collect()
    }

    #[test]
    fn the_socket_buffers_asked_for_are_set() {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let asked = UdpBuffers {
            receive: 300_000,
            send: 200_000,
        };
        set_buffer_sizes(&socket, asked);
        let socket = socket2::SockRef::from(&socket);
        // Linux reports twice what was asked (its bookkeeping overhead).
        let got = (
            socket.recv_buffer_size().unwrap_or_else(|e| panic!("{e}")),
            socket.send_buffer_size().unwrap_or_else(|e| panic!("{e}")),
        );
        assert!(got.0 >= asked.receive && got.0 < 2 * UdpBuffers::default().receive);
        assert!(got.1 >= asked.send && got.1 < 2 * UdpBuffers::default().send);
        assert_ne!(got.0, got.1);
    }

    #[test]
    fn a_gso_run_takes_datagrams_of_one_size_to_one_peer() {
        let t = datagrams(&[(1, 1332), (1, 1332), (1, 1332), (2, 1332)]);
        assert_eq!(gso_run(&t, 64), 3);
    }

    #[test]
    fn a_gso_run_ends_at_a_longer_datagram() {
        let t = datagrams(&[(1, 1332), (1, 1332), (1, 1500), (1, 1332)]);
        assert_eq!(gso_run(&t, 64), 2);
    }

    #[test]
    fn a_gso_run_ends_with_a_shorter_datagram() {
        let t = datagrams(&[(1, 1332), (1, 44), (1, 1332)]);
        assert_eq!(gso_run(&t, 64), 2);
    }

    #[test]
    fn a_gso_run_is_capped_at_the_segment_limit() {
        let t = datagrams(&[(1, 100); 10]);
        assert_eq!(gso_run(&t, 4), 4);
        assert_eq!(gso_run(&t, 1), 1);
    }

    #[test]
    fn a_coalesced_read_splits_at_the_stride() {
        let all: Vec<u8> = (0..10u8).collect();
        let mut arena = BytesMut::new();
        let mut parts: Vec<Vec<u8>> = Vec::new();
        store(&mut arena, &all, 4, |data| parts.push(data.to_vec()));
        assert_eq!(parts, [vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9]]);
    }

    #[test]
    fn datagrams_are_stored_back_to_back_in_one_arena() {
        let mut arena = BytesMut::with_capacity(ARENA);
        let mut data: Vec<Bytes> = Vec::new();
        store(&mut arena, &[1; 1332], 0, |d| data.push(d));
        store(&mut arena, &[2; 2664], 1332, |d| data.push(d));
        assert_eq!(data.len(), 3);
        let gap = |a: &Bytes, b: &Bytes| b.as_ptr() as usize - a.as_ptr() as usize;
        assert_eq!(gap(&data[0], &data[1]), 1332);
        assert_eq!(gap(&data[1], &data[2]), 1332);
    }

    #[test]
    fn a_gso_train_arrives_as_its_datagrams_through_a_gro_socket() {
        let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let to = rx.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let mut receiver = Batched::new((&rx).into()).unwrap_or_else(|e| panic!("{e}"));
        let mut sender = Batched::new((&tx).into()).unwrap_or_else(|e| panic!("{e}"));
        let sent: Vec<(SocketAddr, Bytes)> = (0..20u8)
            .map(|i| (to, Bytes::from(vec![i; if i == 19 { 100 } else { 1332 }])))
            .collect();
        let mut at = 0;
        while at < sent.len() {
            at += sender
                .send((&tx).into(), &sent[at..])
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let mut got: Vec<Bytes> = Vec::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while got.len() < sent.len() && std::time::Instant::now() < deadline {
            match receiver.recv((&rx).into(), |from, data| {
                assert_eq!(from, tx.local_addr().unwrap_or_else(|e| panic!("{e}")));
                got.push(data);
            }) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                Err(e) => panic!("{e}"),
            }
        }
        let want: Vec<Bytes> = sent.into_iter().map(|(_, d)| d).collect();
        assert_eq!(got, want);
    }
}

//! Where encoded datagrams are written.

use super::Output;
use crate::handshake::Transmit;
use crate::packet::{ControlBody, ControlPacket, Packet};
use crate::time::{Instant, Timestamp};
use alloc::boxed::Box;
use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};
use core::net::SocketAddr;

/// How many bytes the transmit arena grows by when it runs out.
const ARENA_CHUNK: usize = 64 * 1024;

/// Where encoded datagrams are written: one scratch buffer and an arena
/// that hands out [`Bytes`] by `split().freeze()`, so a transmit costs no
/// allocation of its own.
#[derive(Debug, Default)]
pub(super) struct Io {
    scratch: Vec<u8>,
    arena: BytesMut,
}

impl Io {
    pub(super) fn encode(&mut self, packet: &Packet) -> Bytes {
        self.scratch.clear();
        packet.encode(&mut self.scratch);
        if self.arena.capacity() < self.scratch.len() {
            self.arena.reserve(ARENA_CHUNK.max(self.scratch.len()));
        }
        self.arena.extend_from_slice(&self.scratch);
        self.arena.split().freeze()
    }

    pub(super) fn transmit(&mut self, to: SocketAddr, packet: &Packet, out: &mut Vec<Output>) {
        let data = self.encode(packet);
        out.push(Output::Transmit { to, data });
    }

    pub(super) fn handshake(
        &mut self,
        t: Transmit,
        time_base: Instant,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        let packet = Packet::Control(ControlPacket {
            timestamp: Timestamp::from_instant(now, time_base),
            dst_socket_id: t.dst_socket_id,
            body: ControlBody::Handshake(Box::new(t.handshake)),
        });
        self.transmit(t.to, &packet, out);
    }
}

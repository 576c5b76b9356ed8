//! Tests of the chunk reader and writer.

mod props;
mod reader;
mod writer;

use super::*;
use crate::message::RawMessage;
use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};

/// A basic header, written by hand from the spec.
pub(super) fn basic(fmt: u8, csid: u32) -> Vec<u8> {
    let f = fmt << 6;
    match csid {
        2..=63 => alloc::vec![f | csid as u8],
        64..=319 => alloc::vec![f, (csid - 64) as u8],
        _ => alloc::vec![f | 1, ((csid - 64) & 0xFF) as u8, ((csid - 64) >> 8) as u8],
    }
}

pub(super) fn be24(v: u32) -> [u8; 3] {
    let [_, a, b, c] = v.to_be_bytes();
    [a, b, c]
}

/// A format 0 chunk header.
pub(super) fn fmt0(csid: u32, timestamp: u32, length: u32, type_id: u8, stream_id: u32) -> Vec<u8> {
    let mut h = basic(0, csid);
    h.extend_from_slice(&be24(timestamp.min(0xFF_FFFF)));
    h.extend_from_slice(&be24(length));
    h.push(type_id);
    h.extend_from_slice(&stream_id.to_le_bytes());
    if timestamp >= 0xFF_FFFF {
        h.extend_from_slice(&timestamp.to_be_bytes());
    }
    h
}

/// A format 1 chunk header.
pub(super) fn fmt1(csid: u32, delta: u32, length: u32, type_id: u8) -> Vec<u8> {
    let mut h = basic(1, csid);
    h.extend_from_slice(&be24(delta.min(0xFF_FFFF)));
    h.extend_from_slice(&be24(length));
    h.push(type_id);
    if delta >= 0xFF_FFFF {
        h.extend_from_slice(&delta.to_be_bytes());
    }
    h
}

/// A format 2 chunk header.
pub(super) fn fmt2(csid: u32, delta: u32) -> Vec<u8> {
    let mut h = basic(2, csid);
    h.extend_from_slice(&be24(delta.min(0xFF_FFFF)));
    if delta >= 0xFF_FFFF {
        h.extend_from_slice(&delta.to_be_bytes());
    }
    h
}

pub(super) fn concat(parts: &[&[u8]]) -> BytesMut {
    let mut out = BytesMut::new();
    for part in parts {
        out.extend_from_slice(part);
    }
    out
}

pub(super) fn read_all(reader: &mut ChunkReader, input: &mut BytesMut) -> Vec<ReceivedMessage> {
    let mut out = Vec::new();
    reader.read_messages(input, &mut out).unwrap();
    out
}

pub(super) fn raw(timestamp: u32, type_id: u8, stream_id: u32, payload: &[u8]) -> RawMessage {
    RawMessage {
        timestamp,
        type_id,
        stream_id,
        payload: Bytes::copy_from_slice(payload),
    }
}

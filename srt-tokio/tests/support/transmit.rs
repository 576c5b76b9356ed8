//! The `srt-transmit` example run in-process, for the test binaries that
//! include its module as `transmit` (`srt_transmit.rs`,
//! `group_transmit.rs`): parsing its arguments, running it on a task, and
//! the messages and ports the cases feed it.
#![allow(dead_code)]

use crate::transmit::{self, Summary, TransmitError};
use bytes::Bytes;
use std::net::UdpSocket as StdUdpSocket;
use tokio::task::JoinHandle;

/// A free UDP port on loopback (bound and released).
pub fn free_port() -> u16 {
    StdUdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Message `i`: its number, then a pattern made from it (1316 bytes).
pub fn message(i: u32) -> Bytes {
    let mut m = i.to_be_bytes().to_vec();
    m.extend((0..1312u32).map(|j| (i.wrapping_mul(7).wrapping_add(j) % 253) as u8));
    Bytes::from(m)
}

/// The arguments `list` parses into (not a `-h` request).
pub fn args(list: &[&str]) -> transmit::Args {
    transmit::parse_args(list.iter().map(|s| (*s).to_owned()))
        .unwrap()
        .expect("not -h")
}

/// A running srt-transmit: its result and what it logged.
pub type Run = JoinHandle<(Result<Summary, TransmitError>, String)>;

/// Runs srt-transmit with `list` on its own task; yields its result and
/// what it logged.
pub fn spawn_transmit(list: &[&str]) -> Run {
    let args = args(list);
    tokio::spawn(async move {
        let mut log = Vec::new();
        let result = transmit::run(&args, &mut log).await;
        (result, String::from_utf8(log).unwrap())
    })
}

//! What a live member connection negotiated, and millisecond instants:
//! shared by the group harness (`group_support`) and the connection-hook
//! tests (`group_hooks.rs`, which include this file alone, without the
//! simulator).

use core::time::Duration;
use srt_proto::handshake::{Congestion, Negotiated};
use srt_proto::packet::ext::{SrtFlags, SrtVersion};
use srt_proto::seq::SeqNumber;
use srt_proto::time::Instant;

/// `n` milliseconds after time zero.
pub fn ms(n: u64) -> Instant {
    Instant::from_micros(n * 1000)
}

/// What one side of a live, unencrypted SRT 1.5.4 connection negotiated
/// with `peer_socket_id`: TSBPD both ways with `latency`, too-late drop,
/// NAK reports, the retransmission flag, a flow window of 8192.
pub fn negotiated(peer_socket_id: u32, isn: SeqNumber, latency: Duration) -> Negotiated {
    Negotiated {
        peer_socket_id,
        initial_seq: isn,
        mss: 1500,
        flow_window: 8192,
        send_latency: latency,
        receive_latency: latency,
        peer_version: SrtVersion::new(1, 5, 4),
        flags: SrtFlags::TSBPD_SND
            | SrtFlags::TSBPD_RCV
            | SrtFlags::TLPKTDROP
            | SrtFlags::NAKREPORT
            | SrtFlags::REXMITFLG,
        stream_id: None,
        congestion: Congestion::Live,
        message_api: true,
        packet_filter: None,
        group: None,
        drift_tracer: true,
        crypto: None,
    }
}

//! The sender's behaviours, one per test: sending and acknowledgement
//! ([`send`]), loss, drops and timers ([`loss`]), the live tail-loss probe
//! ([`tail`]), encryption and the property test ([`keys`]).

pub(super) use super::*;
pub(super) use crate::crypto::{
    CipherMode, GcmVariant, Kek, KeyLength, KeyPair, KeyRefreshConfig, Passphrase, Salt, Sek,
    SenderKeys, open_key_material,
};
pub(super) use crate::packet::{EncryptionKeySpec, FullAck};
pub(super) use crate::rng::SrtRng;
pub(super) use alloc::vec;
pub(super) use alloc::vec::Vec;

mod keys;
mod loss;
mod send;
mod tail;

pub(super) const PEER: u32 = 0x0BAD_CAFE;

pub(super) fn ms(n: u64) -> Instant {
    Instant::from_micros(n * 1000)
}

pub(super) fn us(n: u64) -> Instant {
    Instant::from_micros(n)
}

pub(super) fn live_config() -> SenderConfig {
    SenderConfig {
        isn: SeqNumber::new(1000),
        payload_size: LIVE_PAYLOAD_SIZE,
        mss: 1500,
        flow_window: 8192,
        peer_latency: Duration::from_millis(120),
        snd_drop_delay: Some(Duration::ZERO),
        too_late_drop: true,
        peer_nak_report: true,
        max_bw: MaxBandwidth::Unlimited,
        input_bw: 0,
        min_input_bw: 0,
        overhead_percent: 25,
        congestion: Congestion::Live,
        message_api: true,
        crypto: None,
        retransmit_algorithm: RetransmitAlgorithm::Always,
        start_time: Instant::ZERO,
        peer_socket_id: PEER,
        buffer_packets: 8192,
    }
}

pub(super) fn file_config() -> SenderConfig {
    SenderConfig {
        congestion: Congestion::File,
        payload_size: payload_size(1500, Congestion::File),
        peer_nak_report: false,
        too_late_drop: false,
        ..live_config()
    }
}

pub(super) fn opts() -> SendOptions {
    SendOptions::default()
}

pub(super) fn payload(n: usize) -> Bytes {
    Bytes::from(vec![0xA5; n])
}

/// Everything the sender hands out at `now`.
pub(super) fn drain(s: &mut Sender, now: Instant) -> Vec<Packet> {
    let mut out = Vec::new();
    while let Some(p) = s.poll_transmit(now) {
        out.push(p);
        assert!(out.len() < 100_000, "poll_transmit never ends");
    }
    out
}

/// Everything the sender hands out from `now` within the next 500 µs,
/// following its pacing.
pub(super) fn flush(s: &mut Sender, now: Instant) -> Vec<Packet> {
    let mut out = drain(s, now);
    let horizon = now + Duration::from_micros(500);
    while let Some(at) = s.next_timeout() {
        if at > horizon || at < now {
            break;
        }
        let more = drain(s, at);
        if more.is_empty() {
            break;
        }
        out.extend(more);
    }
    out
}

pub(super) fn data(p: &Packet) -> &DataPacket {
    match p {
        Packet::Data(d) => d,
        Packet::Control(c) => panic!("expected data, got {c:?}"),
    }
}

pub(super) fn drop_requests(packets: &[Packet]) -> Vec<DropRequest> {
    packets
        .iter()
        .filter_map(|p| match p {
            Packet::Control(ControlPacket {
                body: ControlBody::DropRequest(d),
                ..
            }) => Some(*d),
            _ => None,
        })
        .collect()
}

pub(super) fn full_ack(seq: u32, available: u32) -> Ack {
    Ack {
        ack_number: 1,
        ack_seq: SeqNumber::new(seq),
        info: AckInfo::Full(FullAck {
            rtt: 20_000,
            rtt_variance: 2_000,
            available_buffer: available,
            packets_receiving_rate: 1000,
            estimated_link_capacity: 10_000,
            receiving_rate: Some(1_316_000),
        }),
    }
}

pub(super) fn nak(first: u32, last: u32) -> LossList {
    LossList::from_ranges([SeqRange::new(SeqNumber::new(first), SeqNumber::new(last)).unwrap()])
}

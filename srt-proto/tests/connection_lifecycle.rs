//! A connection's life around the data: keepalive, idle timeout, shutdown
//! both ways, linger, peer errors, ACKACK, key material answers, stats.

#![cfg(feature = "sim")]

mod connection_support;

use bytes::Bytes;
use connection_support::*;
use core::time::Duration;
use srt_proto::connection::{
    CloseReason, Connection, ConnectionEvent, ConnectionState, DirectionState, SendError,
    SendOptions,
};
use srt_proto::packet::ext::KmResponse;
use srt_proto::packet::{Ack, AckInfo, ControlBody, ControlPacket, FullAck, Packet};
use srt_proto::seq::SeqNumber;
use srt_proto::time::{Instant, Timestamp};

fn ms(n: u64) -> Instant {
    Instant::from_micros(n * 1000)
}

fn live_pair() -> (Connection, Connection) {
    let (a, b) = pair_params(500, true, Duration::from_millis(120), Instant::ZERO);
    (Connection::new(a, [1; 32]), Connection::new(b, [2; 32]))
}

fn file_pair() -> (Connection, Connection) {
    let (a, b) = pair_params(500, false, Duration::ZERO, Instant::ZERO);
    (Connection::new(a, [1; 32]), Connection::new(b, [2; 32]))
}

fn transmit(c: &mut Connection, now: Instant) -> Vec<Packet> {
    core::iter::from_fn(|| c.poll_transmit(now)).collect()
}

fn controls(c: &mut Connection, now: Instant) -> Vec<ControlBody> {
    transmit(c, now)
        .into_iter()
        .filter_map(|p| match p {
            Packet::Control(c) => Some(c.body),
            Packet::Data(_) => None,
        })
        .collect()
}

fn events(c: &mut Connection) -> Vec<ConnectionEvent> {
    core::iter::from_fn(|| c.poll_event()).collect()
}

fn control(body: ControlBody, at: Instant) -> Packet {
    Packet::Control(ControlPacket {
        timestamp: Timestamp::from_instant(at, Instant::ZERO),
        dst_socket_id: 0x1111,
        body,
    })
}

/// Runs a connection's timer up to `until`, collecting what it sent.
fn run_timers(c: &mut Connection, until: Instant) -> Vec<(Instant, ControlBody)> {
    let mut out = Vec::new();
    while let Some(t) = c.next_timeout() {
        if t > until {
            break;
        }
        c.handle_timeout(t);
        out.extend(controls(c, t).into_iter().map(|b| (t, b)));
    }
    out
}

#[test]
fn a_silent_connection_sends_a_keepalive_every_second() {
    let (mut a, _) = live_pair();
    let sent = run_timers(&mut a, ms(2500));
    let keepalives: Vec<Instant> = sent
        .iter()
        .filter(|(_, b)| matches!(b, ControlBody::KeepAlive))
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(keepalives, [ms(1000), ms(2000)]);
}

#[test]
fn repeated_timer_calls_queue_one_keepalive() {
    let (mut a, _) = live_pair();
    a.handle_timeout(ms(1000));
    a.handle_timeout(ms(1000));
    a.handle_timeout(ms(1001));
    assert_eq!(controls(&mut a, ms(1001)), [ControlBody::KeepAlive]);
}

#[test]
fn a_peer_silent_for_five_seconds_closes_the_connection_as_idle() {
    let (mut a, _) = live_pair();
    run_timers(&mut a, ms(4999));
    assert_eq!(a.state(), ConnectionState::Connected);
    run_timers(&mut a, ms(5000));
    assert_eq!(a.state(), ConnectionState::Closed);
    assert_eq!(
        events(&mut a),
        [ConnectionEvent::Closed {
            reason: CloseReason::PeerIdle
        }]
    );
    assert_eq!(a.next_timeout(), None);
}

#[test]
fn any_packet_from_the_peer_restarts_the_idle_timer() {
    let (mut a, _) = live_pair();
    run_timers(&mut a, ms(4000));
    a.handle_packet(control(ControlBody::KeepAlive, ms(4000)), ms(4000));
    run_timers(&mut a, ms(8999));
    assert_eq!(a.state(), ConnectionState::Connected);
}

#[test]
fn a_shutdown_from_the_peer_closes_the_connection() {
    let (mut a, _) = live_pair();
    a.handle_packet(control(ControlBody::Shutdown, ms(10)), ms(10));
    assert_eq!(a.close_reason(), Some(CloseReason::PeerShutdown));
    assert_eq!(
        a.send(Bytes::from_static(b"x"), SendOptions::default(), ms(11)),
        Err(SendError::ConnectionClosed)
    );
    assert!(controls(&mut a, ms(11)).is_empty(), "no answer to SHUTDOWN");
}

#[test]
fn a_peer_error_closes_the_connection_with_its_code() {
    let (mut a, _) = file_pair();
    a.handle_packet(
        control(ControlBody::PeerError { code: 4000 }, ms(10)),
        ms(10),
    );
    assert_eq!(
        events(&mut a),
        [ConnectionEvent::Closed {
            reason: CloseReason::PeerError(4000)
        }]
    );
}

#[test]
fn closing_a_live_connection_sends_shutdown_at_once() {
    let (mut a, _) = live_pair();
    a.send(Bytes::from_static(b"unsent"), SendOptions::default(), ms(0))
        .unwrap();
    a.close(ms(0));
    let sent = controls(&mut a, ms(0));
    assert_eq!(sent, [ControlBody::Shutdown]);
    assert_eq!(a.close_reason(), Some(CloseReason::LocalClose));
}

#[test]
fn closing_a_file_connection_lingers_until_the_peer_acknowledged_everything() {
    let (mut a, mut b) = file_pair();
    a.send(Bytes::from(vec![7u8; 3000]), SendOptions::default(), ms(0))
        .unwrap();
    a.close(ms(0));
    assert_eq!(a.state(), ConnectionState::Closing);
    assert_eq!(a.send_state(), DirectionState::Draining);
    assert_eq!(a.receive_state(), DirectionState::Open);
    assert_eq!(
        a.send(Bytes::from_static(b"late"), SendOptions::default(), ms(0)),
        Err(SendError::ConnectionClosed)
    );
    // Shuttle packets both ways, instantly, until A has closed.
    let mut now = ms(0);
    for _ in 0..200 {
        for p in transmit(&mut a, now) {
            b.handle_packet(p, now);
        }
        for p in transmit(&mut b, now) {
            a.handle_packet(p, now);
        }
        if a.state() == ConnectionState::Closed {
            break;
        }
        now = [a.next_timeout(), b.next_timeout()]
            .into_iter()
            .flatten()
            .min()
            .unwrap();
        a.handle_timeout(now);
        b.handle_timeout(now);
    }
    assert_eq!(a.state(), ConnectionState::Closed);
    assert_eq!(a.send_state(), DirectionState::Closed);
    assert!(a.is_send_buffer_empty());
    let delivered: usize = events(&mut b)
        .iter()
        .map(|e| match e {
            ConnectionEvent::Message { data, .. } => data.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(delivered, 3000);
    for p in transmit(&mut a, now) {
        b.handle_packet(p, now);
    }
    assert_eq!(b.close_reason(), Some(CloseReason::PeerShutdown));
}

#[test]
fn the_linger_time_bounds_the_wait_for_acknowledgements() {
    let (mut a, _) = file_pair();
    let mut params = a.params().clone();
    params.options.linger = Some(Duration::from_millis(300));
    a = Connection::new(params, [1; 32]);
    a.send(Bytes::from(vec![7u8; 3000]), SendOptions::default(), ms(0))
        .unwrap();
    a.close(ms(0));
    let sent = run_timers(&mut a, ms(299));
    assert!(!sent.iter().any(|(_, b)| *b == ControlBody::Shutdown));
    let sent = run_timers(&mut a, ms(300));
    assert!(sent.contains(&(ms(300), ControlBody::Shutdown)));
}

fn full_ack(number: u32, seq: u32) -> ControlBody {
    ControlBody::Ack(Ack {
        ack_number: number,
        ack_seq: SeqNumber::new(seq),
        info: AckInfo::Full(FullAck {
            rtt: 40_000,
            rtt_variance: 5_000,
            available_buffer: 8000,
            packets_receiving_rate: 0,
            estimated_link_capacity: 0,
            receiving_rate: Some(0),
        }),
    })
}

#[test]
fn a_full_ack_is_answered_with_an_ackack_of_its_number() {
    let (mut a, _) = live_pair();
    a.handle_packet(control(full_ack(7, 500), ms(10)), ms(10));
    assert_eq!(
        controls(&mut a, ms(10)),
        [ControlBody::AckAck { ack_number: 7 }]
    );
}

#[test]
fn ackacks_go_at_most_every_10_ms_unless_the_ack_repeats() {
    let (mut a, _) = live_pair();
    a.handle_packet(control(full_ack(7, 500), ms(10)), ms(10));
    a.handle_packet(control(full_ack(8, 500), ms(15)), ms(15));
    a.handle_packet(control(full_ack(8, 500), ms(16)), ms(16));
    // The second ACK came 5 ms after the first, its repeat is not the one
    // last answered: only the first is answered.
    assert_eq!(
        controls(&mut a, ms(16)),
        [ControlBody::AckAck { ack_number: 7 }]
    );
    a.handle_packet(control(full_ack(7, 500), ms(17)), ms(17));
    assert_eq!(
        controls(&mut a, ms(17)),
        [ControlBody::AckAck { ack_number: 7 }]
    );
}

#[test]
fn a_light_ack_gets_no_ackack() {
    let (mut a, _) = live_pair();
    let light = ControlBody::Ack(Ack {
        ack_number: 0,
        ack_seq: SeqNumber::new(500),
        info: AckInfo::Light,
    });
    a.handle_packet(control(light, ms(10)), ms(10));
    assert!(controls(&mut a, ms(10)).is_empty());
}

/// A real KMREQ, from an encrypted sender's first key refresh.
fn captured_kmreq() -> (Box<srt_proto::packet::KeyMaterial>, Instant) {
    let (mut pa, _) = pair_params(500, true, Duration::from_millis(120), Instant::ZERO);
    encrypt(&mut pa, 1000, 200);
    let mut sender = Connection::new(pa, [1; 32]);
    for i in 0..1100u64 {
        let now = ms(i);
        sender
            .send(Bytes::from(vec![1u8; 100]), SendOptions::default(), now)
            .unwrap();
        for p in transmit(&mut sender, now) {
            if let Packet::Control(ControlPacket {
                body: ControlBody::KeyMaterialRequest(k),
                ..
            }) = p
            {
                return (k, now);
            }
        }
        sender.handle_timeout(now);
    }
    panic!("no refresh announced within 1100 packets");
}

#[test]
fn a_key_refresh_on_an_unencrypted_connection_is_answered_no_secret() {
    use srt_proto::packet::km::KmState;
    let (km, now) = captured_kmreq();
    let (mut a, _) = live_pair();
    a.handle_packet(control(ControlBody::KeyMaterialRequest(km), now), now);
    assert_eq!(
        controls(&mut a, now),
        [ControlBody::KeyMaterialResponse(Box::new(
            KmResponse::Error(KmState::NoSecret)
        ))]
    );
}

#[test]
fn a_key_refresh_under_another_passphrase_is_answered_bad_secret() {
    use srt_proto::crypto::Passphrase;
    use srt_proto::packet::km::KmState;
    let (km, now) = captured_kmreq();
    let (_, mut pb) = pair_params(500, true, Duration::from_millis(120), Instant::ZERO);
    encrypt(&mut pb, 1000, 200);
    pb.options.passphrase = Some(Passphrase::try_from("another passphrase").unwrap());
    let mut b = Connection::new(pb, [2; 32]);
    b.handle_packet(control(ControlBody::KeyMaterialRequest(km), now), now);
    assert_eq!(
        controls(&mut b, now),
        [ControlBody::KeyMaterialResponse(Box::new(
            KmResponse::Error(KmState::BadSecret)
        ))]
    );
}

#[test]
fn a_key_refresh_under_the_same_passphrase_is_echoed() {
    let (km, now) = captured_kmreq();
    let (_, mut pb) = pair_params(500, true, Duration::from_millis(120), Instant::ZERO);
    encrypt(&mut pb, 1000, 200);
    let mut b = Connection::new(pb, [2; 32]);
    b.handle_packet(
        control(ControlBody::KeyMaterialRequest(km.clone()), now),
        now,
    );
    assert_eq!(
        controls(&mut b, now),
        [ControlBody::KeyMaterialResponse(Box::new(
            KmResponse::KeyMaterial(*km)
        ))]
    );
}

#[test]
fn interval_stats_restart_from_zero_and_totals_keep_counting() {
    let (mut a, mut b) = live_pair();
    for i in 0..10u64 {
        a.send(Bytes::from(vec![1u8; 100]), SendOptions::default(), ms(i))
            .unwrap();
        for p in transmit(&mut a, ms(i)) {
            b.handle_packet(p, ms(i));
        }
    }
    let s = b.stats(ms(10));
    assert_eq!(s.total.received.packets, 10);
    assert_eq!(s.interval.received.packets, 10);
    assert_eq!(s.total.received.bytes_with_headers(), 10 * (100 + 44));
    b.reset_interval_stats(ms(10));
    let s = b.stats(ms(20));
    assert_eq!(s.total.received.packets, 10);
    assert_eq!(s.interval.received.packets, 0);
    assert_eq!(s.interval_duration, Duration::from_millis(10));
    assert_eq!(s.recv_latency, Duration::from_millis(120));
    assert_eq!(s.recv_buffer_packets, 10);
    let sa = a.stats(ms(20));
    assert_eq!(sa.total.sent_unique.packets, 10);
    // Nothing acknowledged yet: the sender had data for all 20 ms.
    a.handle_timeout(ms(20));
    assert_eq!(
        a.stats(ms(20)).total.send_duration,
        Duration::from_millis(20)
    );
}

#[test]
fn a_live_message_may_carry_1316_bytes_even_with_the_aes_gcm_tag() {
    use srt_proto::crypto::{CipherMode, GcmVariant};
    let (mut pa, _) = pair_params(500, true, Duration::from_millis(120), Instant::ZERO);
    encrypt(&mut pa, 1000, 200);
    if let Some(c) = &mut pa.negotiated.crypto {
        c.mode = CipherMode::AesGcm(GcmVariant::Srt154);
    }
    let mut a = Connection::new(pa, [1; 32]);
    assert_eq!(a.max_message_size(), 1316);
    a.send(Bytes::from(vec![0u8; 1316]), SendOptions::default(), ms(0))
        .unwrap();
    assert_eq!(
        a.send(Bytes::from(vec![0u8; 1317]), SendOptions::default(), ms(0)),
        Err(SendError::MessageTooLong {
            len: 1317,
            max: 1316
        })
    );
    let data: Vec<usize> = transmit(&mut a, ms(0))
        .into_iter()
        .filter_map(|p| match p {
            Packet::Data(d) => Some(d.payload.len()),
            Packet::Control(_) => None,
        })
        .collect();
    assert_eq!(data, [1316 + 16]);
}

//! The connection hooks a socket group drives: sequence override, skip
//! to the group's delivery point, shared time base, and what the group
//! observes.

use bytes::Bytes;
use core::time::Duration;
use srt_proto::connection::{
    Connection, ConnectionEvent, ConnectionOptions, ConnectionParams, OverrideSeqError, SendOptions,
};
use srt_proto::packet::Packet;
use srt_proto::seq::SeqNumber;
use srt_proto::time::Instant;

const LATENCY: Duration = Duration::from_millis(100);
const DELAY: Duration = Duration::from_millis(5);

#[path = "group_support/live.rs"]
mod live;

use live::{ms, negotiated};

fn params(local: u32, peer: u32, isn: u32, start: Instant) -> ConnectionParams {
    ConnectionParams {
        local_socket_id: local,
        peer_socket_id: peer,
        peer_addr: "127.0.0.1:9000".parse().unwrap(),
        negotiated: negotiated(peer, SeqNumber::new(isn), LATENCY),
        options: ConnectionOptions::default(),
        start_time: start,
    }
}

/// A sender and a receiver joined by a wire of `DELAY`, stepped 1 ms at a
/// time; `drop_data` decides which DATA packets (by sequence) the wire
/// loses.
struct Pair {
    tx: Connection,
    rx: Connection,
    now: Instant,
    wire: Vec<(Instant, bool, Packet)>,
    delivered: Vec<(SeqNumber, Instant)>,
    naks: usize,
    drop_data: fn(SeqNumber) -> bool,
}

impl Pair {
    fn new(isn: u32) -> Self {
        Self {
            tx: Connection::new(params(1, 2, isn, Instant::ZERO), [1; 32]),
            rx: Connection::new(params(2, 1, isn, Instant::ZERO), [2; 32]),
            now: Instant::ZERO,
            wire: Vec::new(),
            delivered: Vec::new(),
            naks: 0,
            drop_data: |_| false,
        }
    }

    fn run_until(&mut self, end: Instant) {
        while self.now < end {
            let now = self.now;
            while let Some(p) = self.tx.poll_transmit(now) {
                let lost = matches!(&p, Packet::Data(d) if (self.drop_data)(d.seq));
                if !lost {
                    self.wire.push((now + DELAY, true, p));
                }
            }
            while let Some(p) = self.rx.poll_transmit(now) {
                if let Packet::Control(c) = &p
                    && matches!(c.body, srt_proto::packet::ControlBody::Nak(_))
                {
                    self.naks += 1;
                }
                self.wire.push((now + DELAY, false, p));
            }
            while let Some(e) = self.rx.poll_event() {
                if let ConnectionEvent::Message { seq, .. } = e {
                    self.delivered.push((seq, now));
                }
            }
            self.now = now + Duration::from_millis(1);
            let now = self.now;
            let (due, rest): (Vec<_>, Vec<_>) = self.wire.drain(..).partition(|(t, ..)| *t <= now);
            self.wire = rest;
            for (_, to_rx, p) in due {
                if to_rx {
                    self.rx.handle_packet(p, now);
                } else {
                    self.tx.handle_packet(p, now);
                }
            }
            self.tx.handle_timeout(now);
            self.rx.handle_timeout(now);
        }
    }

    fn send(&mut self, n: u8) {
        let now = self.now;
        self.tx
            .send(Bytes::from(vec![n; 100]), SendOptions::default(), now)
            .unwrap();
    }
}

#[test]
fn the_next_send_sequence_counts_the_messages_queued() {
    let mut p = Pair::new(500);
    assert_eq!(p.tx.next_send_seq(), SeqNumber::new(500));
    p.send(1);
    p.send(2);
    assert_eq!(p.tx.next_send_seq(), SeqNumber::new(502));
    assert_eq!(p.tx.send_acked_seq(), SeqNumber::new(500));
}

#[test]
fn the_acknowledged_sequence_follows_the_peer_acks() {
    let mut p = Pair::new(500);
    p.send(1);
    p.send(2);
    p.run_until(ms(50));
    assert_eq!(p.tx.send_acked_seq(), SeqNumber::new(502));
}

#[test]
fn overriding_the_send_sequence_is_refused_with_packets_unacknowledged() {
    let mut p = Pair::new(500);
    p.send(1);
    assert_eq!(
        p.tx.override_send_seq(SeqNumber::new(9000)),
        Err(OverrideSeqError::SendBufferNotEmpty { packets: 1 })
    );
    assert_eq!(p.tx.next_send_seq(), SeqNumber::new(501));
}

#[test]
fn an_overridden_sender_numbers_its_packets_from_the_new_sequence() {
    let mut p = Pair::new(500);
    p.tx.override_send_seq(SeqNumber::new(700)).unwrap();
    // The receiver of a group member is moved too (the group's skip).
    p.rx.skip_receive_to(SeqNumber::new(699), Instant::ZERO);
    for n in 0..3 {
        p.send(n);
    }
    p.run_until(ms(200));
    let seqs: Vec<u32> = p.delivered.iter().map(|(s, _)| s.as_u32()).collect();
    assert_eq!(seqs, [700, 701, 702]);
    assert!(p.tx.is_send_buffer_empty());
    assert_eq!(p.tx.send_acked_seq(), SeqNumber::new(703));
}

#[test]
fn a_receiver_told_to_skip_stops_naking_the_skipped_losses_and_never_delivers_them() {
    let mut p = Pair::new(0);
    p.drop_data = |s| (2..=4).contains(&s.as_u32());
    for n in 0..8 {
        p.send(n);
        p.run_until(p.now + Duration::from_millis(1));
    }
    p.run_until(ms(20));
    assert!(p.naks > 0);
    assert_eq!(p.rx.receive_loss_len(), 3);
    p.rx.skip_receive_to(SeqNumber::new(4), p.now);
    let naks = p.naks;
    p.run_until(ms(300));
    assert_eq!(p.naks, naks, "no NAK after the skip");
    // 0 and 1 were held for their TSBPD time: skipped with the rest.
    let seqs: Vec<u32> = p.delivered.iter().map(|(s, _)| s.as_u32()).collect();
    assert_eq!(seqs, [5, 6, 7]);
    let stats = p.rx.stats(p.now);
    assert_eq!(stats.total.receive_drop.packets, 0);
    assert_eq!(p.rx.receive_loss_len(), 0);
}

#[test]
fn the_receive_time_base_is_unknown_until_the_peer_speaks_then_first_arrival_minus_timestamp() {
    let mut p = Pair::new(0);
    assert_eq!(p.rx.receive_time_base(), None);
    p.run_until(ms(3));
    p.send(1);
    p.run_until(ms(20));
    // Sent at 3 ms (timestamp 3000 µs), arrived at 8 ms.
    assert_eq!(p.rx.receive_time_base(), Some(ms(5)));
}

#[test]
fn a_time_base_set_from_the_group_schedules_delivery() {
    let mut p = Pair::new(0);
    p.rx.set_receive_time_base(ms(30), ms(0));
    p.send(1);
    p.run_until(ms(300));
    // Timestamp 0: due at 30 ms + 100 ms latency, not at 5 + 100.
    assert_eq!(p.delivered, [(SeqNumber::new(0), ms(130))]);
    assert_eq!(p.rx.receive_time_base(), Some(ms(30)));
}

#[test]
fn the_last_peer_activity_is_the_last_arrival_of_any_packet() {
    let mut p = Pair::new(0);
    p.send(1);
    p.run_until(ms(40));
    let last = p.tx.last_peer_activity();
    // ACKs every 10 ms while there is something to acknowledge.
    assert!(last > ms(5) && last <= ms(40), "{last:?}");
}

#[test]
fn the_rtt_starts_at_libsrt_initial_values_and_follows_measurement() {
    let mut p = Pair::new(0);
    assert_eq!(
        p.tx.rtt(),
        (Duration::from_millis(100), Duration::from_millis(50))
    );
    for n in 0..50 {
        p.send(n);
        p.run_until(p.now + Duration::from_millis(10));
    }
    let (rtt, _) = p.rx.rtt();
    assert!(rtt < Duration::from_millis(30), "{rtt:?}");
}

#[test]
fn a_connection_started_late_on_an_early_time_zero_keeps_its_timers_from_now() {
    // A group member joining 10 s into the group: time zero is the
    // group's start, its idle timer starts at the join.
    let late = ms(10_000);
    let mut c = Connection::new_at(params(1, 2, 0, Instant::ZERO), [1; 32], late);
    c.send(Bytes::from_static(b"x"), SendOptions::default(), late)
        .unwrap();
    let Some(Packet::Data(d)) = c.poll_transmit(late) else {
        panic!("no data packet");
    };
    assert_eq!(d.timestamp.as_u32(), 10_000_000);
    c.handle_timeout(late + Duration::from_millis(100));
    assert!(c.close_reason().is_none());
}

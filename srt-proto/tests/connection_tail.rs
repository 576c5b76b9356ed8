//! The end of a live stream, where libsrt loses data: the play-out of
//! what the receiver holds after the peer's SHUTDOWN, and the sender's
//! tail-loss probe that repairs a lost last packet.
//!
//! Two connections joined by a wire with a fixed one-way delay that can
//! drop chosen datagrams; virtual time jumps from event to event.

#![cfg(feature = "sim")]

mod connection_support;

use connection_support::*;
use core::time::Duration;
use srt_proto::connection::{
    CloseReason, Connection, ConnectionEvent, ConnectionState, DirectionState, SendOptions,
};
use srt_proto::packet::{ControlBody, ControlPacket, Packet};
use srt_proto::seq::SeqNumber;
use srt_proto::time::{Instant, Timestamp};

const ISN: u32 = 7000;
const ONE_WAY: Duration = Duration::from_millis(10);
const LATENCY: Duration = Duration::from_millis(120);
/// Messages go out this far apart.
const INTERVAL: Duration = Duration::from_millis(5);

fn ms(n: u64) -> Instant {
    Instant::from_micros(n * 1000)
}

/// What B delivered: (message index, when).
type Deliveries = Vec<(u64, Instant)>;

/// A sends live messages to B over a wire of [`ONE_WAY`] each way.
struct Wire {
    a: Connection,
    b: Connection,
    now: Instant,
    /// (arrival, to B, packet).
    in_flight: Vec<(Instant, bool, Packet)>,
    /// Drops the data packets A sends with these sequence numbers, first
    /// transmission only (`false`) or every copy (`true`).
    drops: Vec<(SeqNumber, bool)>,
    delivered: Deliveries,
    b_closed: Option<(Instant, CloseReason)>,
    /// Packets B sent after the peer's SHUTDOWN reached it.
    b_sent_after_shutdown: usize,
    shutdown_reached_b: Option<Instant>,
    /// B's directions while it played out (sampled at each step).
    b_states: Vec<(ConnectionState, DirectionState, DirectionState)>,
}

impl Wire {
    fn new(live: bool) -> Self {
        let latency = if live { LATENCY } else { Duration::ZERO };
        let (pa, pb) = pair_params(ISN, live, latency, Instant::ZERO);
        Self::from_params(pa, pb)
    }

    fn from_params(
        pa: srt_proto::connection::ConnectionParams,
        pb: srt_proto::connection::ConnectionParams,
    ) -> Self {
        Self {
            a: Connection::new(pa, [1; 32]),
            b: Connection::new(pb, [2; 32]),
            now: Instant::ZERO,
            in_flight: Vec::new(),
            drops: Vec::new(),
            delivered: Vec::new(),
            b_closed: None,
            b_sent_after_shutdown: 0,
            shutdown_reached_b: None,
            b_states: Vec::new(),
        }
    }

    /// Moves both sides' output onto the wire and B's events into the
    /// record.
    fn drain(&mut self) {
        let now = self.now;
        while let Some(p) = self.a.poll_transmit(now) {
            if let Packet::Data(d) = &p
                && self
                    .drops
                    .iter()
                    .any(|(seq, every)| d.seq == *seq && (*every || !d.retransmitted))
            {
                continue;
            }
            self.in_flight.push((now + ONE_WAY, true, p));
        }
        while let Some(p) = self.b.poll_transmit(now) {
            if self.shutdown_reached_b.is_some() {
                self.b_sent_after_shutdown += 1;
            }
            self.in_flight.push((now + ONE_WAY, false, p));
        }
        while let Some(e) = self.b.poll_event() {
            match e {
                ConnectionEvent::Message {
                    data, delivered_at, ..
                } => {
                    let (index, sent_at) = check_message(&data).expect("uncorrupted");
                    assert_eq!(
                        delivered_at,
                        sent_at + ONE_WAY + LATENCY,
                        "message {index} on time"
                    );
                    assert_eq!(delivered_at, now, "delivered when due");
                    self.delivered.push((index, delivered_at));
                }
                ConnectionEvent::Closed { reason } => self.b_closed = Some((now, reason)),
                _ => {}
            }
        }
        if self.b.receive_state() == DirectionState::Draining {
            self.b_states
                .push((self.b.state(), self.b.send_state(), self.b.receive_state()));
        }
    }

    /// Runs to the next event (an arrival or a timer) no later than
    /// `until`; false when there is none.
    fn step(&mut self, until: Instant) -> bool {
        self.drain();
        let next = [
            self.in_flight.iter().map(|(t, ..)| *t).min(),
            self.a.next_timeout(),
            self.b.next_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next.filter(|t| *t <= until) else {
            return false;
        };
        assert!(next >= self.now, "time runs backwards");
        self.now = next;
        let (due, rest): (Vec<_>, Vec<_>) = core::mem::take(&mut self.in_flight)
            .into_iter()
            .partition(|(t, ..)| *t <= next);
        self.in_flight = rest;
        for (_, to_b, p) in due {
            if to_b {
                if matches!(&p, Packet::Control(c) if c.body == ControlBody::Shutdown) {
                    self.shutdown_reached_b.get_or_insert(next);
                }
                self.b.handle_packet(p, next);
            } else {
                self.a.handle_packet(p, next);
            }
        }
        if self.a.next_timeout().is_some_and(|t| t <= next) {
            self.a.handle_timeout(next);
        }
        if self.b.next_timeout().is_some_and(|t| t <= next) {
            self.b.handle_timeout(next);
        }
        self.drain();
        true
    }

    fn run_until(&mut self, until: Instant) {
        while self.step(until) {}
        self.now = self.now.max(until);
    }

    /// A sends message `index` now, stamped with now.
    fn send(&mut self, index: u64) {
        let m = message(index, self.now, 1316);
        let o = SendOptions {
            src_time: Some(self.now),
            ..Default::default()
        };
        self.a.send(m, o, self.now).expect("accepted");
        self.drain();
    }

    /// A sends `n` messages [`INTERVAL`] apart, starting now.
    fn send_stream(&mut self, n: u64) {
        for i in 0..n {
            if i > 0 {
                let at = self.now + INTERVAL;
                self.run_until(at);
            }
            self.send(i);
        }
    }

    fn b_drops(&self) -> u64 {
        self.b.stats(self.now).total.receive_drop.packets
    }
}

fn indices(d: &Deliveries) -> Vec<u64> {
    d.iter().map(|(i, _)| *i).collect()
}

#[test]
fn a_live_receiver_delivers_all_it_holds_on_time_after_the_peers_shutdown() {
    let mut w = Wire::new(true);
    w.send_stream(50);
    // The sender closes right after its last burst (ffmpeg; linger 0).
    let closed_at = w.now;
    w.a.close(closed_at);
    assert_eq!(w.a.state(), ConnectionState::Closed);
    w.run_until(ms(2000));
    assert_eq!(indices(&w.delivered), (0..50).collect::<Vec<_>>());
    // SHUTDOWN came while B held the last ~120 ms of the stream.
    let reached = w.shutdown_reached_b.unwrap();
    let held_then = w.delivered.iter().filter(|(_, t)| *t > reached).count();
    assert!(held_then >= 20, "only {held_then} played out");
    // Closed once the last message went, with the peer's reason.
    let last_due = closed_at + ONE_WAY + LATENCY;
    assert_eq!(w.b_closed, Some((last_due, CloseReason::PeerShutdown)));
    assert_eq!(w.b_drops(), 0);
}

#[test]
fn during_the_play_out_the_peers_shutdown_is_known_and_nothing_is_sent() {
    let mut w = Wire::new(true);
    w.send_stream(30);
    w.a.close(w.now);
    w.run_until(ms(2000));
    assert!(!w.b_states.is_empty(), "B played out");
    assert!(w.b_states.iter().all(|s| *s
        == (
            ConnectionState::Closing,
            DirectionState::Closed,
            DirectionState::Draining
        )));
    assert_eq!(
        w.b_sent_after_shutdown, 0,
        "no ACK, NAK or keepalive to a peer that is gone"
    );
    assert_eq!(w.b.state(), ConnectionState::Closed);
    assert_eq!(w.b.receive_state(), DirectionState::Closed);
    assert_eq!(w.b.next_timeout(), None);
}

#[test]
fn a_packet_lost_in_the_held_range_is_skipped_counted_dropped_and_the_rest_delivered() {
    let mut w = Wire::new(true);
    // Message 47 never arrives; its NAK reaches a sender already closed.
    w.drops = vec![(SeqNumber::new(ISN + 47), true)];
    w.send_stream(50);
    w.a.close(w.now);
    w.run_until(ms(2000));
    let expected: Vec<u64> = (0..50).filter(|i| *i != 47).collect();
    assert_eq!(indices(&w.delivered), expected);
    assert_eq!(w.b_drops(), 1);
    assert_eq!(w.b_closed.map(|c| c.1), Some(CloseReason::PeerShutdown));
}

#[test]
fn closing_during_the_play_out_ends_it_at_once() {
    let mut w = Wire::new(true);
    w.send_stream(20);
    w.a.close(w.now);
    let reached = w.now + ONE_WAY;
    w.run_until(reached);
    assert_eq!(w.b.receive_state(), DirectionState::Draining);
    let delivered = w.delivered.len();
    w.b.close(reached);
    w.drain();
    assert_eq!(w.b_closed, Some((reached, CloseReason::PeerShutdown)));
    assert_eq!(
        w.b_drops() as usize,
        20 - delivered,
        "what was held is dropped"
    );
    assert_eq!(w.b_sent_after_shutdown, 0);
}

#[test]
fn with_nothing_held_the_peers_shutdown_closes_at_once() {
    let mut w = Wire::new(true);
    w.send_stream(5);
    // Everything delivered, then the sender closes.
    w.run_until(w.now + LATENCY + ONE_WAY);
    assert_eq!(w.delivered.len(), 5);
    w.a.close(w.now);
    let reached = w.now + ONE_WAY;
    w.run_until(reached);
    assert_eq!(w.b_closed, Some((reached, CloseReason::PeerShutdown)));
}

#[test]
fn the_play_out_ends_when_the_last_held_packet_was_due_even_if_a_gap_blocks_it() {
    // Without too-late drop a gap blocks delivery for good: the play-out
    // still ends when the last packet held was due, counting what it
    // could not deliver as dropped.
    let (mut pa, mut pb) = pair_params(ISN, true, LATENCY, Instant::ZERO);
    for p in [&mut pa, &mut pb] {
        p.negotiated.flags.0 &= !srt_proto::packet::ext::SrtFlags::TLPKTDROP.0;
    }
    let mut w = Wire::from_params(pa, pb);
    w.drops = vec![(SeqNumber::new(ISN + 17), true)];
    w.send_stream(20);
    let last_sent = w.now;
    w.a.close(last_sent);
    w.run_until(ms(3000));
    assert_eq!(indices(&w.delivered), (0..17).collect::<Vec<_>>());
    assert_eq!(
        w.b_closed,
        Some((last_sent + ONE_WAY + LATENCY, CloseReason::PeerShutdown))
    );
    assert_eq!(w.b_drops(), 3, "the gap and the two packets behind it");
}

#[test]
fn a_file_receiver_delivers_everything_received_in_order_before_it_closes() {
    // File mode, message API: B gets messages 0..5, not 5, then 6..8,
    // then the peer's SHUTDOWN.
    let (pa, mut pb) = pair_params(ISN, false, Duration::ZERO, Instant::ZERO);
    pb.negotiated.message_api = true;
    let mut a = Connection::new(pa, [1; 32]);
    let mut b = Connection::new(pb, [2; 32]);
    let mut sent = Vec::new();
    for i in 0..8u64 {
        let o = SendOptions {
            in_order: true,
            ..Default::default()
        };
        a.send(message(i, ms(0), 100), o, ms(0)).unwrap();
    }
    let mut now = ms(0);
    while sent.len() < 8 {
        while let Some(p) = a.poll_transmit(now) {
            if matches!(p, Packet::Data(_)) {
                sent.push(p);
            }
        }
        now = a.next_timeout().unwrap().max(now);
    }
    for (i, p) in sent.into_iter().enumerate() {
        if i != 5 {
            b.handle_packet(p, ms(1));
        }
    }
    b.handle_packet(
        Packet::Control(ControlPacket {
            timestamp: Timestamp::from_instant(ms(2), Instant::ZERO),
            dst_socket_id: 0x2222,
            body: ControlBody::Shutdown,
        }),
        ms(2),
    );
    let events: Vec<_> = core::iter::from_fn(|| b.poll_event()).collect();
    let got: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            ConnectionEvent::Message { data, .. } => Some(check_message(data).unwrap().0),
            _ => None,
        })
        .collect();
    assert_eq!(got, [0, 1, 2, 3, 4]);
    assert_eq!(
        events.last(),
        Some(&ConnectionEvent::Closed {
            reason: CloseReason::PeerShutdown
        })
    );
    assert_eq!(b.state(), ConnectionState::Closed);
}

#[test]
fn a_lost_last_packet_of_a_quiet_stream_is_probed_and_delivered_on_time() {
    let mut w = Wire::new(true);
    // The first transmission of the last message is lost on the wire.
    w.drops = vec![(SeqNumber::new(ISN + 39), false)];
    w.send_stream(40);
    w.run_until(ms(3000));
    assert_eq!(indices(&w.delivered), (0..40).collect::<Vec<_>>());
    let s = w.a.stats(w.now).total;
    assert_eq!(s.tail_probes, 1);
    assert_eq!(s.retransmitted.packets, 1);
    assert_eq!(w.b_drops(), 0);
    assert!(w.a.is_send_buffer_empty());
}

#[test]
fn the_probe_reveals_a_gap_before_the_last_packet_and_nak_repairs_it() {
    let mut w = Wire::new(true);
    // The first transmissions of the last two messages are lost: the
    // probe brings the last, whose arrival shows B the gap before it.
    w.drops = vec![
        (SeqNumber::new(ISN + 38), false),
        (SeqNumber::new(ISN + 39), false),
    ];
    w.send_stream(40);
    w.run_until(ms(3000));
    assert_eq!(indices(&w.delivered), (0..40).collect::<Vec<_>>());
    let s = w.a.stats(w.now).total;
    assert_eq!(s.tail_probes, 1);
    assert_eq!(s.retransmitted.packets, 2);
    assert!(w.b.stats(w.now).total.naks_sent >= 1);
}

#[test]
fn a_clean_link_never_probes_a_flowing_stream() {
    for seed in 0..3 {
        let o = Scenario::live(seed, 3).run().unwrap();
        let s = o.sender_stats.unwrap().total;
        assert_eq!(o.delivered, o.sent, "seed {seed}");
        assert_eq!(o.after_last, 0, "seed {seed}: the tail arrived");
        assert_eq!(
            (s.retransmitted.packets, s.tail_probes),
            (0, 0),
            "seed {seed}"
        );
    }
}

#[test]
fn a_clean_link_never_probes_a_sparse_stream_whose_every_packet_ends_a_burst() {
    // Three messages a second: each one is the last sent for 333 ms, far
    // longer than the probe timeout, and each is acknowledged in time.
    for seed in 0..3 {
        let o = Scenario {
            bits_per_second: 1316 * 8 * 3,
            ..Scenario::live(seed, 10)
        }
        .run()
        .unwrap();
        let s = o.sender_stats.unwrap().total;
        assert_eq!(o.delivered, o.sent, "seed {seed}");
        assert_eq!(
            (s.retransmitted.packets, s.tail_probes),
            (0, 0),
            "seed {seed}"
        );
    }
}

#[test]
fn with_loss_the_tail_of_the_stream_is_delivered_too() {
    // 10 % loss both ways, eager repair: the last messages of the stream
    // (after the measured window) arrive too, probed when they were lost.
    // (Not always: about 2 streams in 1000 still lose their tail, when
    // the packet and its probes are all lost within the latency; see
    // `tail_loss_rate_at_ten_percent_loss`.)
    let mut probes = 0;
    for seed in 0..6 {
        let o = Scenario {
            link: random_loss(10.0),
            repair: Repair::Eager,
            ..Scenario::live(seed, 3)
        }
        .run()
        .unwrap();
        assert_eq!(o.missing, 0, "seed {seed}: {o:?}");
        assert_eq!(o.after_last, 0, "seed {seed}: {o:?}");
        probes += o.sender_stats.unwrap().total.tail_probes;
    }
    eprintln!("{probes} tail probes over 6 seeds");
}

#[test]
fn a_probe_arriving_before_any_other_packet_is_not_delivered_late() {
    // The only message is lost; its probe is the first packet B sees. A
    // retransmission left the sender after its timestamp, so it cannot
    // place the TSBPD time base: B counts it belated rather than
    // deliver it late, and acknowledges it, so A stops probing.
    let mut w = Wire::new(true);
    w.drops = vec![(SeqNumber::new(ISN), false)];
    w.send(0);
    w.run_until(ms(3000));
    assert!(w.delivered.is_empty());
    assert_eq!(w.b.stats(w.now).total.receive_belated.packets, 1);
    assert_eq!(w.a.stats(w.now).total.tail_probes, 1);
    assert!(w.a.is_send_buffer_empty());
}

/// How often the tail of a stream is still lost at 10 % loss both ways
/// (eager repair, latency 200 ms, RTT 40 ms): `SEEDS=a..b` (default
/// 0..1000), five-second streams.
#[test]
#[ignore = "measurement; run in release"]
fn tail_loss_rate_at_ten_percent_loss() {
    let range = std::env::var("SEEDS").ok().and_then(|r| {
        let (a, b) = r.split_once("..")?;
        Some(a.parse::<u64>().ok()?..b.parse::<u64>().ok()?)
    });
    let range = range.unwrap_or(0..1000);
    let (mut runs, mut lost_tails, mut probes) = (0u64, 0u64, 0u64);
    for seed in range {
        let o = Scenario {
            link: random_loss(10.0),
            repair: Repair::Eager,
            ..Scenario::live(seed, 5)
        }
        .run()
        .unwrap();
        runs += 1;
        probes += o.sender_stats.unwrap().total.tail_probes;
        if o.after_last != 0 {
            lost_tails += 1;
            eprintln!("seed {seed}: last {} messages lost", o.after_last);
        }
    }
    eprintln!("{lost_tails} of {runs} streams lost their tail; {probes} tail probes");
}

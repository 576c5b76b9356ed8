//! One SRT connection's data path, side by side with srt-rs's
//! `srt-protocol` 0.4 (`DuplexConnection`), on 1316-byte live packets
//! without encryption, latency 120 ms on both sides:
//! - `receiver_in_order`: 10 000 data packets arrive in order, 100 µs
//!   apart (≈105 Mbit/s), each followed by the timer work that is due
//!   (ACKs, TSBPD delivery); the run ends once the last is delivered.
//!   Ours through `Connection::handle_packet` / `handle_timeout` /
//!   `poll_transmit` / `poll_event`, theirs through
//!   `DuplexConnection::handle_input` until it waits.
//! - `sender`: 10 000 messages sent 100 µs apart and taken out as data
//!   packets, with a full ACK of everything sent every 10 ms (as a
//!   receiver's ACK timer would) so the send buffer drains.
//! - `live_sim_10pct_loss` (ours only; srt-protocol 0.4 has no network
//!   simulator): the live scenario, two connections over the `sim`
//!   links with 10 % loss both ways, RTT 40 ms, 10 Mbit/s, 2 virtual
//!   seconds; throughput in data messages per wall-clock second.
//! - Memory per idle connection: printed (not timed) before the benches,
//!   from a counting global allocator around 1000 `Connection::new` /
//!   `DuplexConnection::new` (heap bytes plus the struct itself).
//!
//! Both sides are checked to deliver (or transmit) every packet before
//! they are timed. The two data paths run twice: `shared_buffer` (every
//! payload references one buffer: the connection's own cost) and
//! `own_buffers` (a buffer per packet, as from a socket or an encoder: adds
//! the allocator work each side causes, e.g. freeing what the peer
//! acknowledged). Building the connections and inputs, and dropping the
//! connections and the delivered payloads, is outside the timing. The
//! counting allocator costs both sides the same relaxed atomic add per
//! allocation.
#![allow(missing_docs)]

#[path = "../../srt-proto/tests/connection_support/mod.rs"]
mod connection_support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use connection_support::{Repair, Scenario, pair_params, random_loss};
use criterion::{BatchSize, Criterion, Throughput, criterion_group};
use srt_proto::connection::{Connection, ConnectionEvent, SendOptions};
use srt_proto::packet::{Ack, AckInfo, ControlBody, ControlPacket, DataPacket, FullAck, Packet};
use srt_proto::packet::{EncryptionKeySpec, PacketPosition};
use srt_proto::seq::{MsgNumber, SeqNumber};
use srt_proto::time::{Instant, Timestamp};

use srt_protocol::connection::{
    Action, Connection as TheirConnection, ConnectionSettings, DuplexConnection,
    Input as TheirInput,
};
use srt_protocol::options::{LiveBandwidthMode, PacketCount, PacketSize};
use srt_protocol::packet::{
    AckStatistics, Acknowledgement, ControlPacket as TheirControl, ControlTypes, DataEncryption,
    DataPacket as TheirData, FullAckSeqNumber, MsgNumber as TheirMsg, Packet as TheirPacket,
    PacketLocation, SeqNumber as TheirSeq, SocketId, TimeSpan, TimeStamp,
};
use srt_protocol::protocol::handshake::Handshake as TheirHandshake;
use srt_protocol::protocol::time::Rtt;

// ---------------------------------------------------------------------------
// Counting allocator (memory per idle connection).

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; the
// counter is a side effect only.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract for `dealloc` is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: the caller's contract for `realloc` is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

// ---------------------------------------------------------------------------
// Shared workload.

const PACKETS: u64 = 10_000;
const PAYLOAD: usize = 1316;
const INTERVAL: Duration = Duration::from_micros(100);
const LATENCY: Duration = Duration::from_millis(120);
/// Full ACKs the sender benches feed: one per 10 ms of packets.
const ACK_EVERY: u64 = 100;
const OUR_ISN: u32 = 1;

/// Where the payloads live.
#[derive(Clone, Copy)]
enum Buffers {
    /// One buffer all packets reference: what the connection itself costs.
    Shared,
    /// A buffer per packet, as from a socket or an encoder: adds the
    /// allocator work the connection causes (a payload clone that promotes
    /// a `Vec`-backed `Bytes`, freeing what the peer acknowledged).
    Own,
}

impl Buffers {
    fn name(self) -> &'static str {
        match self {
            Self::Shared => "shared_buffer",
            Self::Own => "own_buffers",
        }
    }
}

/// `PACKETS` payloads of `PAYLOAD` bytes.
fn payloads(buffers: Buffers) -> Vec<Bytes> {
    let one = Bytes::from(vec![0x5a; PAYLOAD]);
    (0..PACKETS)
        .map(|_| match buffers {
            Buffers::Shared => one.clone(),
            Buffers::Own => Bytes::from(vec![0x5a; PAYLOAD]),
        })
        .collect()
}

fn at(i: u64) -> Duration {
    INTERVAL * i as u32
}

// ---------------------------------------------------------------------------
// Ours.

/// (sender A 0x1111, receiver B 0x2222), live, latency 120 ms.
fn our_pair() -> (Connection, Connection) {
    let (mut pa, mut pb) = pair_params(OUR_ISN, true, LATENCY, Instant::ZERO);
    for p in [&mut pa, &mut pb] {
        p.options.recv_buffer_packets = 8192;
        p.options.send_buffer_packets = 8192;
    }
    (Connection::new(pa, [1; 32]), Connection::new(pb, [2; 32]))
}

fn our_data(i: u64, payload: Bytes) -> Packet {
    Packet::Data(DataPacket {
        seq: SeqNumber::new(OUR_ISN).wrapping_add(i as u32),
        position: PacketPosition::from_bits(3),
        in_order: false,
        encryption: EncryptionKeySpec::Unencrypted,
        retransmitted: false,
        msg_number: MsgNumber::new(i as u32 + 1),
        timestamp: Timestamp::new(at(i).as_micros() as u32),
        dst_socket_id: 0x2222,
        payload,
    })
}

/// Feeds the packets in order, each at its time, with the due timer work;
/// returns (messages delivered, control packets sent) and hands the
/// delivered payloads back in `out` (dropped outside the timing).
fn our_receive(b: &mut Connection, packets: Vec<Packet>, out: &mut Vec<Bytes>) -> (u64, u64) {
    let mut delivered = 0;
    let mut control = 0;
    let mut drain = |b: &mut Connection, now: Instant| {
        while let Some(p) = b.poll_transmit(now) {
            control += 1;
            black_box(p);
        }
        while let Some(e) = b.poll_event() {
            if let ConnectionEvent::Message { data, .. } = e {
                out.push(data);
                delivered += 1;
            }
        }
    };
    let mut now = Instant::ZERO;
    for (i, p) in packets.into_iter().enumerate() {
        now = Instant::ZERO + at(i as u64);
        if b.next_timeout().is_some_and(|t| t <= now) {
            b.handle_timeout(now);
        }
        b.handle_packet(p, now);
        drain(b, now);
    }
    let end = now + LATENCY + Duration::from_millis(20);
    while let Some(t) = b.next_timeout().filter(|t| *t <= end) {
        now = t;
        b.handle_timeout(now);
        drain(b, now);
    }
    (delivered, control)
}

fn our_ack(number: u32, ack_seq: SeqNumber, now: Instant) -> Packet {
    Packet::Control(ControlPacket {
        timestamp: Timestamp::from_instant(now, Instant::ZERO),
        dst_socket_id: 0x1111,
        body: ControlBody::Ack(Ack {
            ack_number: number,
            ack_seq,
            info: AckInfo::Full(FullAck {
                rtt: 40_000,
                rtt_variance: 10_000,
                available_buffer: 8192,
                packets_receiving_rate: 10_000,
                estimated_link_capacity: 100_000,
                receiving_rate: Some(13_160_000),
            }),
        }),
    })
}

/// Sends the messages, takes the data packets out, ACKs every 10 ms;
/// returns the data packets transmitted.
fn our_send(a: &mut Connection, messages: Vec<Bytes>) -> u64 {
    let mut sent = 0u64;
    let mut last_seq = SeqNumber::new(OUR_ISN);
    let mut drain = |a: &mut Connection, now: Instant| {
        while let Some(p) = a.poll_transmit(now) {
            if let Packet::Data(d) = &p {
                sent += 1;
                last_seq = d.seq;
            }
            black_box(p);
        }
        (sent, last_seq)
    };
    let mut now = Instant::ZERO;
    for (i, message) in (0..PACKETS).zip(messages) {
        now = Instant::ZERO + at(i);
        if a.next_timeout().is_some_and(|t| t <= now) {
            a.handle_timeout(now);
        }
        if a.send(message, SendOptions::default(), now).is_err() {
            break;
        }
        let (_, last) = drain(a, now);
        if (i + 1) % ACK_EVERY == 0 {
            a.handle_packet(
                our_ack((i / ACK_EVERY) as u32 + 1, last.wrapping_add(1), now),
                now,
            );
            drain(a, now);
        }
    }
    let end = now + Duration::from_millis(50);
    while let Some(t) = a.next_timeout().filter(|t| *t <= end) {
        now = t;
        a.handle_timeout(now);
        drain(a, now);
    }
    drain(a, now).0
}

// ---------------------------------------------------------------------------
// Theirs (srt-protocol 0.4).

fn their_remote() -> SocketAddr {
    SocketAddr::from(([10, 0, 0, 1], 9000))
}

fn their_connection(start: std::time::Instant) -> DuplexConnection {
    DuplexConnection::new(TheirConnection {
        settings: ConnectionSettings {
            remote: their_remote(),
            remote_sockid: SocketId(0x1111),
            local_sockid: SocketId(0x2222),
            socket_start_time: start,
            rtt: Duration::from_millis(40),
            init_seq_num: TheirSeq::new_truncate(0),
            max_packet_size: PacketSize(1500),
            max_flow_size: PacketCount(8192),
            send_tsbpd_latency: LATENCY,
            recv_tsbpd_latency: LATENCY,
            too_late_packet_drop: true,
            peer_idle_timeout: Duration::from_secs(5),
            recv_buffer_size: PacketCount(8192),
            send_buffer_size: PacketCount(8192),
            cipher: None,
            stream_id: None,
            bandwidth: LiveBandwidthMode::Unlimited,
            statistics_interval: Duration::from_secs(3600),
        },
        handshake: TheirHandshake::Connector,
    })
}

fn their_data(i: u64, payload: Bytes) -> TheirPacket {
    TheirPacket::Data(TheirData {
        seq_number: TheirSeq::new_truncate(i as u32),
        message_loc: PacketLocation::ONLY,
        in_order_delivery: false,
        encryption: DataEncryption::None,
        retransmitted: false,
        message_number: TheirMsg::new_truncate(i as u32 + 1),
        timestamp: TimeStamp::from_micros(at(i).as_micros() as u32),
        dest_sockid: SocketId(0x2222),
        payload,
    })
}

/// What a run of theirs produced.
#[derive(Default)]
struct Counts {
    /// The payloads delivered (dropped outside the timing).
    out: Vec<Bytes>,
    delivered: u64,
    data: u64,
    control: u64,
}

/// Runs the connection after an input until it waits, counting what it
/// did; returns the last data packet's sequence number.
fn their_step(
    c: &mut DuplexConnection,
    now: std::time::Instant,
    input: TheirInput,
    n: &mut Counts,
) -> Option<TheirSeq> {
    let mut last = None;
    let mut input = input;
    loop {
        match c.handle_input(now, input) {
            Action::WaitForData(_) | Action::Close => return last,
            Action::ReleaseData((_, data)) => {
                n.out.push(data);
                n.delivered += 1;
            }
            Action::SendPacket((p, _)) => {
                if let TheirPacket::Data(d) = &p {
                    n.data += 1;
                    last = Some(d.seq_number);
                } else {
                    n.control += 1;
                }
                black_box(p);
            }
            Action::UpdateStatistics(s) => {
                black_box(s);
            }
        }
        input = TheirInput::Timer;
    }
}

fn their_receive(
    c: &mut DuplexConnection,
    start: std::time::Instant,
    packets: Vec<TheirPacket>,
    out: &mut Vec<Bytes>,
) -> (u64, u64) {
    let mut n = Counts {
        out: core::mem::take(out),
        ..Counts::default()
    };
    let mut now = start;
    for (i, p) in packets.into_iter().enumerate() {
        now = start + at(i as u64);
        let input = TheirInput::Packet(Ok((p, their_remote())));
        their_step(c, now, input, &mut n);
    }
    // Timer steps until the last is released, 1 ms apart (their timers
    // ask for about that).
    let end = now + LATENCY + Duration::from_millis(20);
    while now < end && n.delivered < PACKETS {
        now += Duration::from_millis(1);
        their_step(c, now, TheirInput::Timer, &mut n);
    }
    *out = n.out;
    (n.delivered, n.control)
}

fn their_ack(number: u32, seq: TheirSeq, now_ts: u32) -> TheirPacket {
    TheirPacket::Control(TheirControl {
        timestamp: TimeStamp::from_micros(now_ts),
        dest_sockid: SocketId(0x2222),
        control_type: ControlTypes::Ack(Acknowledgement::Full(
            seq,
            AckStatistics {
                rtt: Rtt::new(TimeSpan::from_micros(40_000), TimeSpan::from_micros(10_000)),
                buffer_available: 8192,
                packet_receive_rate: Some(10_000),
                estimated_link_capacity: Some(100_000),
                data_receive_rate: Some(13_160_000),
            },
            FullAckSeqNumber::new(number).unwrap_or(FullAckSeqNumber::INITIAL),
        )),
    })
}

fn their_send(c: &mut DuplexConnection, start: std::time::Instant, messages: Vec<Bytes>) -> u64 {
    let mut n = Counts::default();
    let mut last = TheirSeq::new_truncate(0);
    let mut now = start;
    for (i, message) in (0..PACKETS).zip(messages) {
        now = start + at(i);
        let input = TheirInput::Data(Some((now, message)));
        if let Some(s) = their_step(c, now, input, &mut n) {
            last = s;
        }
        if (i + 1) % ACK_EVERY == 0 {
            let ack = their_ack(
                (i / ACK_EVERY) as u32 + 1,
                last + 1,
                at(i).as_micros() as u32,
            );
            let input = TheirInput::Packet(Ok((ack, their_remote())));
            if let Some(s) = their_step(c, now, input, &mut n) {
                last = s;
            }
        }
    }
    let end = now + Duration::from_millis(50);
    while now < end && n.data < PACKETS {
        now += Duration::from_millis(1);
        their_step(c, now, TheirInput::Timer, &mut n);
    }
    n.data
}

// ---------------------------------------------------------------------------
// Benches.

fn receiver_in_order(c: &mut Criterion, buffers: Buffers) {
    // Both deliver everything, or the comparison means nothing.
    let (_, mut b) = our_pair();
    let mut out = Vec::with_capacity(PACKETS as usize);
    let (ours, our_control) = our_receive(
        &mut b,
        (0..PACKETS)
            .zip(payloads(buffers))
            .map(|(i, p)| our_data(i, p))
            .collect(),
        &mut out,
    );
    assert_eq!(ours, PACKETS, "ours delivered {ours} of {PACKETS}");
    assert!(out.iter().all(|d| d.len() == PAYLOAD));
    let start = std::time::Instant::now();
    let mut t = their_connection(start);
    let mut out = Vec::with_capacity(PACKETS as usize);
    let (theirs, their_control) = their_receive(
        &mut t,
        start,
        (0..PACKETS)
            .zip(payloads(buffers))
            .map(|(i, p)| their_data(i, p))
            .collect(),
        &mut out,
    );
    assert_eq!(
        theirs, PACKETS,
        "srt-protocol delivered {theirs} of {PACKETS}"
    );
    assert!(out.iter().all(|d| d.len() == PAYLOAD));
    println!(
        "srt_connection/receiver_in_order: control packets sent while receiving {PACKETS}: \
         srt-proto {our_control}, srt-protocol-0.4 {their_control}"
    );

    let mut g = c.benchmark_group(format!(
        "srt_connection/receiver_in_order_1316B_{}",
        buffers.name()
    ));
    g.throughput(Throughput::Elements(PACKETS));
    g.bench_function("srt-proto", |bench| {
        bench.iter_batched(
            || {
                let packets: Vec<_> = (0..PACKETS)
                    .zip(payloads(buffers))
                    .map(|(i, p)| our_data(i, p))
                    .collect();
                (our_pair().1, packets, Vec::with_capacity(PACKETS as usize))
            },
            |(mut b, packets, mut out)| (our_receive(&mut b, packets, &mut out), b, out),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("srt-protocol-0.4", |bench| {
        bench.iter_batched(
            || {
                let start = std::time::Instant::now();
                let packets: Vec<_> = (0..PACKETS)
                    .zip(payloads(buffers))
                    .map(|(i, p)| their_data(i, p))
                    .collect();
                let out = Vec::with_capacity(PACKETS as usize);
                (their_connection(start), start, packets, out)
            },
            |(mut t, start, packets, mut out)| {
                (their_receive(&mut t, start, packets, &mut out), t, out)
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn sender(c: &mut Criterion, buffers: Buffers) {
    let (mut a, _) = our_pair();
    let ours = our_send(&mut a, payloads(buffers));
    assert_eq!(ours, PACKETS, "ours transmitted {ours} of {PACKETS}");
    let start = std::time::Instant::now();
    let mut t = their_connection(start);
    let theirs = their_send(&mut t, start, payloads(buffers));
    assert_eq!(
        theirs, PACKETS,
        "srt-protocol transmitted {theirs} of {PACKETS}"
    );

    let mut g = c.benchmark_group(format!("srt_connection/sender_1316B_{}", buffers.name()));
    g.throughput(Throughput::Elements(PACKETS));
    g.bench_function("srt-proto", |bench| {
        bench.iter_batched(
            || (our_pair().0, payloads(buffers)),
            |(mut a, messages)| (our_send(&mut a, messages), a),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("srt-protocol-0.4", |bench| {
        bench.iter_batched(
            || {
                let start = std::time::Instant::now();
                (their_connection(start), start, payloads(buffers))
            },
            |(mut t, start, messages)| (their_send(&mut t, start, messages), t),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn live_sim(c: &mut Criterion) {
    let scenario = Scenario {
        link: random_loss(10.0),
        repair: Repair::Eager,
        ..Scenario::live(3, 2)
    };
    let o = scenario.run().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.delivered, o.sent, "the lossy live run lost messages");
    let retransmitted = o
        .sender_stats
        .as_ref()
        .map_or(0, |s| s.total.retransmitted.packets);
    println!(
        "srt_connection/live_sim_10pct_loss: {} messages of 1316 B in {} virtual seconds \
         (+ {} ms tail), {retransmitted} retransmitted; one element = one message",
        o.total_sent,
        scenario.secs,
        connection_support::STREAM_TAIL.as_millis()
    );
    let mut g = c.benchmark_group("srt_connection/live_sim_10pct_loss");
    g.sample_size(10);
    g.throughput(Throughput::Elements(o.total_sent));
    g.bench_function("srt-proto", |bench| {
        bench.iter(|| black_box(scenario.run().map(|o| o.delivered)))
    });
    g.finish();
}

// ---------------------------------------------------------------------------
// Memory per idle connection.

const IDLE: usize = 1000;

fn memory() {
    let before = LIVE.load(Ordering::Relaxed);
    let ours: Vec<Connection> = (0..IDLE).map(|_| our_pair().1).collect();
    let ours_heap = (LIVE.load(Ordering::Relaxed) - before) as usize;
    let ours_heap = ours_heap - IDLE * size_of::<Connection>();
    drop(ours);

    let start = std::time::Instant::now();
    let before = LIVE.load(Ordering::Relaxed);
    let theirs: Vec<DuplexConnection> = (0..IDLE).map(|_| their_connection(start)).collect();
    let theirs_heap = (LIVE.load(Ordering::Relaxed) - before) as usize;
    let theirs_heap = theirs_heap - IDLE * size_of::<DuplexConnection>();
    drop(theirs);

    let per = |heap: usize, size: usize| (heap / IDLE + size, heap / IDLE, size);
    let (o, oh, os) = per(ours_heap, size_of::<Connection>());
    let (t, th, ts) = per(theirs_heap, size_of::<DuplexConnection>());
    println!(
        "srt_connection/idle_memory: srt-proto {o} B per connection (heap {oh} + struct {os}); \
         srt-protocol-0.4 {t} B (heap {th} + struct {ts}); {IDLE} connections, 8192-packet buffers"
    );
}

fn data_paths(c: &mut Criterion) {
    for buffers in [Buffers::Shared, Buffers::Own] {
        receiver_in_order(c, buffers);
        sender(c, buffers);
    }
}

criterion_group!(benches, data_paths, live_sim);

fn main() {
    memory();
    benches();
    Criterion::default().configure_from_args().final_summary();
}

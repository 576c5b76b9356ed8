//! One connected SRT `Connection` (the receiving side of a pair, live or
//! file mode) driven by operations the fuzz input picks: arbitrary datagrams
//! through `Packet::decode_slice`, data packets with arbitrary fields for
//! its socket id (sequence numbers in order, near the expected one, or
//! anywhere), control packets with arbitrary fields (ACK, NAK, ACKACK,
//! DROPREQ, KMREQ, SHUTDOWN, KEEPALIVE, congestion warning, peer error),
//! application sends (so ACKs and NAKs meet a real send buffer) and forward
//! time steps. After every step its output is drained; it must never panic,
//! never hold or list as lost more than its flow window of packets, and
//! never leave a timer in the past once it fired.
#![no_main]

use bytes::Bytes;
use core::net::{IpAddr, Ipv4Addr, SocketAddr};
use core::time::Duration;
use libfuzzer_sys::fuzz_target;
use srt_proto::connection::{Connection, ConnectionOptions, ConnectionParams, SendOptions};
use srt_proto::handshake::{Congestion, Negotiated};
use srt_proto::packet::ext::{SrtFlags, SrtVersion};
use srt_proto::packet::km::KeyMaterial;
use srt_proto::packet::{
    Ack, AckInfo, ControlBody, ControlPacket, DataPacket, DropRequest, EncryptionKeySpec, FullAck,
    LossList, Packet, PacketPosition,
};
use srt_proto::seq::{MsgNumber, SeqNumber, SeqRange};
use srt_proto::time::{Instant, Timestamp};

const LOCAL_ID: u32 = 0x2222;
const PEER_ID: u32 = 0x1111;
const FLOW_WINDOW: u32 = 64;
const ISN: u32 = 0x7FFF_FF00;
const MAX_OPS: usize = 4096;

#[path = "common/reader.rs"]
mod reader;
use reader::Reader;

impl Reader<'_> {
    /// A sequence number: mostly near the initial one, sometimes anywhere.
    fn seq(&mut self, expected: SeqNumber) -> SeqNumber {
        match self.u8() % 4 {
            0 => SeqNumber::new(self.u32() & SeqNumber::MAX),
            1 => SeqNumber::new(ISN).wrapping_add(u32::from(self.u8())),
            _ => {
                let offset = i32::from(self.u8() as i8);
                if offset >= 0 {
                    expected.wrapping_add(offset.unsigned_abs())
                } else {
                    expected.wrapping_sub(offset.unsigned_abs())
                }
            }
        }
    }
}

fn negotiated(live: bool) -> Negotiated {
    let mut flags = SrtFlags::HAICRYPT | SrtFlags::REXMITFLG | SrtFlags::NAKREPORT;
    if live {
        flags |= SrtFlags::TSBPD_SND | SrtFlags::TSBPD_RCV | SrtFlags::TLPKTDROP;
    }
    Negotiated {
        peer_socket_id: PEER_ID,
        initial_seq: SeqNumber::new(ISN),
        mss: 1500,
        flow_window: FLOW_WINDOW,
        send_latency: Duration::from_millis(120),
        receive_latency: Duration::from_millis(120),
        peer_version: SrtVersion::new(1, 5, 4),
        flags,
        stream_id: None,
        congestion: if live {
            Congestion::Live
        } else {
            Congestion::File
        },
        message_api: live,
        packet_filter: None,
        group: None,
        drift_tracer: true,
        crypto: None,
    }
}

struct State {
    conn: Connection,
    now: Instant,
    /// The sequence number after the highest in-order one fed so far.
    next_seq: SeqNumber,
    msg: u32,
}

impl State {
    fn data(&mut self, input: &mut Reader<'_>, seq: SeqNumber) -> Packet {
        let flags = input.u8();
        let len = usize::from(input.u16() % 1500);
        let ts_mode = input.u8() % 3;
        let raw_ts = input.u32();
        let timestamp = match ts_mode {
            // Stamped as a sender would: its clock is ours.
            0 | 1 => Timestamp::from_instant(self.now, Instant::ZERO),
            _ => Timestamp::new(raw_ts),
        };
        self.msg = self.msg.wrapping_add(1);
        Packet::Data(DataPacket {
            seq,
            position: PacketPosition::from_bits(u32::from(flags & 3)),
            in_order: flags & 4 != 0,
            encryption: match (flags >> 3) & 3 {
                0 | 3 => EncryptionKeySpec::Unencrypted,
                1 => EncryptionKeySpec::Even,
                _ => EncryptionKeySpec::Odd,
            },
            retransmitted: flags & 0x20 != 0,
            msg_number: MsgNumber::new(self.msg % MsgNumber::MAX),
            timestamp,
            dst_socket_id: if flags & 0x40 != 0 { raw_ts } else { LOCAL_ID },
            payload: Bytes::from(vec![0x5a; len]),
        })
    }

    fn control(&mut self, input: &mut Reader<'_>) -> Packet {
        let kind = input.u8();
        let body = match kind % 11 {
            0 => ControlBody::Ack(Ack {
                ack_number: input.u32(),
                ack_seq: input.seq(self.next_seq),
                info: AckInfo::Light,
            }),
            1 => ControlBody::Ack(Ack {
                ack_number: input.u32(),
                ack_seq: input.seq(self.next_seq),
                info: AckInfo::Small {
                    rtt: input.u32(),
                    rtt_variance: input.u32(),
                    available_buffer: input.u32(),
                },
            }),
            2 => ControlBody::Ack(Ack {
                ack_number: input.u32(),
                ack_seq: input.seq(self.next_seq),
                info: AckInfo::Full(FullAck {
                    rtt: input.u32(),
                    rtt_variance: input.u32(),
                    available_buffer: input.u32(),
                    packets_receiving_rate: input.u32(),
                    estimated_link_capacity: input.u32(),
                    receiving_rate: Some(input.u32()),
                }),
            }),
            3 => {
                let n = usize::from(input.u8() % 8);
                let mut ranges = Vec::with_capacity(n);
                for _ in 0..n {
                    let first = input.seq(self.next_seq);
                    let len = u32::from(input.u8());
                    if let Some(r) = SeqRange::new(first, first.wrapping_add(len)) {
                        ranges.push(r);
                    }
                }
                ControlBody::Nak(LossList::from_ranges(ranges))
            }
            4 => ControlBody::AckAck {
                ack_number: input.u32(),
            },
            5 => ControlBody::DropRequest(DropRequest {
                msg_number: MsgNumber::new(input.u32() % MsgNumber::MAX),
                first: input.seq(self.next_seq),
                last: input.seq(self.next_seq),
            }),
            6 => {
                let len = usize::from(input.u8());
                match KeyMaterial::decode(input.take(len)) {
                    Ok(km) => ControlBody::KeyMaterialRequest(Box::new(km)),
                    Err(_) => ControlBody::KeepAlive,
                }
            }
            7 => ControlBody::Shutdown,
            8 => ControlBody::CongestionWarning,
            9 => ControlBody::PeerError { code: input.u32() },
            _ => ControlBody::KeepAlive,
        };
        let timestamp = if kind & 0x80 != 0 {
            Timestamp::new(input.u32())
        } else {
            Timestamp::from_instant(self.now, Instant::ZERO)
        };
        Packet::Control(ControlPacket {
            timestamp,
            dst_socket_id: LOCAL_ID,
            body,
        })
    }

    /// Drains the output and checks the bounds.
    fn settle(&mut self) {
        let now = self.now;
        while self.conn.poll_transmit(now).is_some() {}
        while self.conn.poll_event().is_some() {}
        let stats = self.conn.stats(now);
        assert!(
            stats.recv_buffer_packets <= FLOW_WINDOW,
            "{} packets held",
            stats.recv_buffer_packets
        );
        assert!(
            self.conn.receive_loss_len() <= u64::from(FLOW_WINDOW),
            "{} packets listed lost",
            self.conn.receive_loss_len()
        );
        if self.conn.next_timeout().is_some_and(|t| t <= now) {
            // A timer in the past fires at once; it must move on after.
            self.conn.handle_timeout(now);
            while self.conn.poll_transmit(now).is_some() {}
            while self.conn.poll_event().is_some() {}
            let next = self.conn.next_timeout();
            assert!(next.is_none_or(|t| t > now), "stuck timer at {next:?}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Reader(data);
    let live = input.u8() & 1 == 0;
    let params = ConnectionParams {
        local_socket_id: LOCAL_ID,
        peer_socket_id: PEER_ID,
        peer_addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 9000),
        negotiated: negotiated(live),
        options: ConnectionOptions::default(),
        start_time: Instant::ZERO,
    };
    let mut s = State {
        conn: Connection::new(params, [2; 32]),
        now: Instant::ZERO,
        next_seq: SeqNumber::new(ISN),
        msg: 0,
    };
    for _ in 0..MAX_OPS {
        if input.0.is_empty() {
            break;
        }
        match input.u8() % 8 {
            // Arbitrary bytes through the decoder.
            0 => {
                let len = usize::from(input.u16() % 1600);
                if let Ok(p) = Packet::decode_slice(input.take(len)) {
                    s.conn.handle_packet(p, s.now);
                }
            }
            // The next packet in order.
            1 | 2 => {
                let seq = s.next_seq;
                s.next_seq = seq.wrapping_add(1);
                let p = s.data(&mut input, seq);
                s.conn.handle_packet(p, s.now);
            }
            // A data packet near the expected one, or anywhere.
            3 => {
                let seq = input.seq(s.next_seq);
                let p = s.data(&mut input, seq);
                s.conn.handle_packet(p, s.now);
            }
            4 => {
                let p = s.control(&mut input);
                s.conn.handle_packet(p, s.now);
            }
            // The application sends (refusals are fine).
            5 => {
                let len = usize::from(input.u16() % 1500).max(1);
                let _ = s
                    .conn
                    .send(Bytes::from(vec![7; len]), SendOptions::default(), s.now);
            }
            // Time moves forward: a little, a lot, or to the next timer.
            6 => {
                let step = match input.u8() % 3 {
                    0 => Duration::from_micros(u64::from(input.u16())),
                    1 => Duration::from_millis(u64::from(input.u16())),
                    _ => s
                        .conn
                        .next_timeout()
                        .map_or(Duration::ZERO, |t| t.duration_since(s.now)),
                };
                s.now = s.now.saturating_add(step);
                if s.conn.next_timeout().is_some_and(|t| t <= s.now) {
                    s.conn.handle_timeout(s.now);
                }
            }
            _ => {
                if input.u8() & 1 == 0 {
                    s.conn.close(s.now);
                } else {
                    s.conn.handle_timeout(s.now);
                }
            }
        }
        s.settle();
    }
});

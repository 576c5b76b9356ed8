//! An SRT `Endpoint` (listening with access control, plus a caller and a
//! rendezvous in progress) driven by operations the fuzz input picks:
//! arbitrary datagrams, datagrams shaped like handshakes, data or control
//! packets with arbitrary fields, the endpoint's own datagrams fed back to
//! it (so it can connect to itself and reach established connections),
//! time steps, and application inputs (accept, reject, send, close,
//! connect and rendezvous, some as socket group members, member commands).
//! The listener accepts grouped callers, so GROUP extensions (good and bad)
//! reach its mirror groups. It must never panic, and its state must stay
//! within the configured bounds after every step.
#![no_main]

use bytes::Bytes;
use core::net::{IpAddr, Ipv4Addr, SocketAddr};
use core::time::Duration;
use libfuzzer_sys::fuzz_target;
use srt_proto::access::AcceptOptions;
use srt_proto::connection::SendOptions;
use srt_proto::endpoint::MemberCommand;
use srt_proto::handshake::{GroupSync, HandshakeConfig, RequestId};
use srt_proto::packet::ext::{GroupExt, HandshakeExtension, SrtFlags, SrtHs, SrtVersion};
use srt_proto::packet::handshake::{EncryptionField, ExtensionFlags, Handshake, HandshakeType};
use srt_proto::packet::reject::RejectReason;
use srt_proto::packet::{ControlBody, ControlPacket, Packet};
use srt_proto::seq::SeqNumber;
use srt_proto::time::{Instant, Timestamp};
use srt_proto::{
    AccessControl, ConnectionId, Endpoint, EndpointConfig, Event, Input, ListenConfig, Output,
};

const MAX_CONNECTIONS: usize = 6;
const BACKLOG: usize = 3;
const MAX_OPS: usize = 4096;

#[path = "common/reader.rs"]
mod reader;
use reader::Reader;

impl Reader<'_> {
    fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        if items.is_empty() {
            return None;
        }
        items.get(usize::from(self.u8()) % items.len()).copied()
    }
}

fn addr(i: u8) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, i)), 4000 + u16::from(i))
}

struct State {
    ep: Endpoint,
    now: Instant,
    /// Socket ids the endpoint reported, and the peers' ids it used.
    ids: Vec<u32>,
    requests: Vec<RequestId>,
    conns: Vec<ConnectionId>,
    /// Recent datagrams the endpoint sent: (to, data).
    sent: Vec<(SocketAddr, Bytes)>,
    out: Vec<Output>,
}

impl State {
    fn feed(&mut self, input: Input) {
        self.out.clear();
        self.ep.handle_input_into(input, self.now, &mut self.out);
        for o in self.out.drain(..) {
            match o {
                Output::Transmit { to, data } => {
                    assert!(!data.is_empty());
                    if let Some(dst) = srt_proto::packet::peek_dst_socket_id(&data) {
                        if dst != 0 && self.ids.len() < 64 {
                            self.ids.push(dst);
                        }
                    }
                    if self.sent.len() >= 32 {
                        self.sent.remove(0);
                    }
                    self.sent.push((to, data));
                }
                Output::Event(Event::ConnectionRequest(req)) => {
                    if self.requests.len() < 16 {
                        self.requests.push(req.id);
                    }
                }
                Output::Event(Event::Connecting { conn, .. } | Event::Connected { conn, .. }) => {
                    if self.conns.len() < 16 {
                        self.conns.push(conn);
                    }
                    if self.ids.len() < 64 {
                        self.ids.push(conn.0);
                    }
                }
                Output::Event(_) => {}
                Output::Timeout(at) => assert!(at >= Instant::ZERO),
            }
        }
        let size = self.ep.state_size();
        assert!(size.calling + size.rendezvous + size.established <= MAX_CONNECTIONS);
        assert!(size.pending_requests <= BACKLOG);
        assert!(size.remembered_rejections <= BACKLOG);
        assert!(size.index_entries <= 2 * MAX_CONNECTIONS);
        assert!(size.cached_rtts <= 128);
        // A mirror group lives only while a connection or a waiting
        // request uses it.
        assert!(size.groups <= MAX_CONNECTIONS + BACKLOG);
    }

    fn datagram(&mut self, from: SocketAddr, data: Bytes) {
        self.feed(Input::Datagram { from, data });
    }
}

fn encode(packet: &Packet) -> Bytes {
    let mut out = Vec::new();
    packet.encode(&mut out);
    Bytes::from(out)
}

/// A GROUP extension: one of a few group ids (some without the group
/// bit), any type, sometimes sync-on-msgno, any weight.
fn group_ext(r: &mut Reader<'_>) -> GroupExt {
    let id = u32::from(r.u8() % 4);
    GroupExt {
        group_id: if r.u8() & 7 == 0 {
            id
        } else {
            0x4000_0000 | id
        },
        group_type: r.u8() % 4,
        flags: r.u8() & 1,
        weight: u16::from(r.u8()),
    }
}

/// A caller's or rendezvous' configuration, sometimes as a group member.
fn caller_config(r: &mut Reader<'_>, now: Instant) -> HandshakeConfig {
    let mut config = HandshakeConfig::default();
    if r.u8() & 1 == 1 {
        config.group = Some(group_ext(r));
        if r.u8() & 1 == 1 {
            config.group_sync = Some(GroupSync {
                initial_seq: SeqNumber::new(r.u32() & SeqNumber::MAX),
                start_time: Instant::from_micros(
                    now.as_micros().saturating_sub(u64::from(r.u32())),
                ),
            });
        }
    }
    config
}

fn handshake(r: &mut Reader<'_>, ids: &[u32], cookies: &[u32]) -> Handshake {
    let kind = match r.u8() % 7 {
        0 => HandshakeType::Waveahand,
        1 => HandshakeType::Induction,
        2 | 3 => HandshakeType::Conclusion,
        4 => HandshakeType::Agreement,
        5 => HandshakeType::from_u32(1000 + u32::from(r.u8())),
        _ => HandshakeType::from_u32(r.u32()),
    };
    let mut extensions = Vec::new();
    if r.u8() & 1 == 1 {
        let hs = SrtHs {
            version: SrtVersion(r.u32()),
            flags: SrtFlags(r.u32()),
            receiver_tsbpd_delay: r.u8().into(),
            sender_tsbpd_delay: r.u8().into(),
        };
        extensions.push(if r.u8() & 1 == 0 {
            HandshakeExtension::HsReq(hs)
        } else {
            HandshakeExtension::HsRsp(hs)
        });
    }
    if r.u8() & 3 == 1 {
        extensions.push(HandshakeExtension::Group(group_ext(r)));
    }
    Handshake {
        version: if r.u8() & 3 == 0 { 4 } else { 5 },
        encryption: EncryptionField::from_u16(u16::from(r.u8() % 6)),
        extension_flags: ExtensionFlags::for_extensions(&extensions),
        initial_seq: SeqNumber::new(r.u32() & SeqNumber::MAX),
        mtu: r.u32() % 3000,
        flow_window: r.u32() % 20_000,
        handshake_type: kind,
        socket_id: r.pick(ids).unwrap_or(0) ^ u32::from(r.u8() & 1),
        syn_cookie: r.pick(cookies).unwrap_or_else(|| r.u32()),
        peer_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        extensions,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut r = Reader(data);
    let config = EndpointConfig {
        max_connections: MAX_CONNECTIONS,
        ..EndpointConfig::default()
    };
    let mut seed = [0u8; 32];
    seed[0] = r.u8();
    let mut s = State {
        ep: Endpoint::new(config, seed),
        now: Instant::ZERO,
        ids: Vec::new(),
        requests: Vec::new(),
        conns: Vec::new(),
        sent: Vec::new(),
        out: Vec::new(),
    };
    let mut listen = ListenConfig::new(HandshakeConfig::default())
        .with_access(AccessControl::Ask)
        .with_backlog(BACKLOG)
        .with_group_connect(r.u8() & 3 != 0);
    listen.request_timeout = Duration::from_millis(500);
    s.feed(Input::Listen(Box::new(listen)));
    s.feed(Input::Connect {
        remote: addr(1),
        config: Box::new(HandshakeConfig::default()),
    });
    s.feed(Input::Rendezvous {
        remote: addr(2),
        config: Box::new(HandshakeConfig::default()),
    });
    for _ in 0..MAX_OPS {
        if r.0.is_empty() {
            break;
        }
        let peers = [addr(1), addr(2), addr(3), addr(4)];
        match r.u8() % 11 {
            0 => {
                let from = r.pick(&peers).unwrap_or(peers[0]);
                let len = usize::from(r.u8());
                let bytes = Bytes::copy_from_slice(r.take(len));
                s.datagram(from, bytes);
            }
            1 | 2 => {
                let from = r.pick(&peers).unwrap_or(peers[0]);
                let cookies: Vec<u32> = s
                    .sent
                    .iter()
                    .filter_map(|(_, d)| match Packet::decode(d) {
                        Ok(Packet::Control(ControlPacket {
                            body: ControlBody::Handshake(h),
                            ..
                        })) => Some(h.syn_cookie),
                        _ => None,
                    })
                    .collect();
                let hs = handshake(&mut r, &s.ids, &cookies);
                let dst = if r.u8() & 1 == 0 {
                    0
                } else {
                    r.pick(&s.ids).unwrap_or(0)
                };
                let packet = Packet::Control(ControlPacket {
                    timestamp: Timestamp::new(r.u32()),
                    dst_socket_id: dst,
                    body: ControlBody::Handshake(Box::new(hs)),
                });
                s.datagram(from, encode(&packet));
            }
            3 => {
                // A data or control packet with arbitrary fields for a known socket.
                let from = r.pick(&peers).unwrap_or(peers[0]);
                let mut bytes = r.take(16).to_vec();
                bytes.resize(16, 0);
                let dst = r.pick(&s.ids).unwrap_or(0);
                bytes[12..16].copy_from_slice(&dst.to_be_bytes());
                let len = usize::from(r.u8());
                bytes.extend_from_slice(r.take(len));
                s.datagram(from, Bytes::from(bytes));
            }
            4 | 5 => {
                // Feed back one of our own datagrams, as if from its destination,
                // maybe with one byte changed.
                if let Some(i) = (!s.sent.is_empty()).then(|| usize::from(r.u8()) % s.sent.len()) {
                    let (to, data) = s.sent.remove(i);
                    let data = if r.u8() & 3 == 0 {
                        let mut v = data.to_vec();
                        let at = usize::from(r.u8()) % v.len().max(1);
                        if let Some(b) = v.get_mut(at) {
                            *b ^= r.u8();
                        }
                        Bytes::from(v)
                    } else {
                        data
                    };
                    s.datagram(to, data);
                }
            }
            6 => {
                let step = u64::from(r.u8()) * u64::from(r.u8()) * 100;
                s.now = s.now + Duration::from_micros(step);
                if r.u8() & 7 == 0 {
                    // Time from the past is taken as the last time seen.
                    s.feed(Input::Timeout);
                    let past = Instant::from_micros(s.now.as_micros() / 2);
                    s.out.clear();
                    s.ep.handle_input_into(Input::Timeout, past, &mut s.out);
                } else {
                    s.feed(Input::Timeout);
                }
            }
            7 => {
                if let Some(request) = r.pick(&s.requests) {
                    if r.u8() & 1 == 0 {
                        s.feed(Input::Accept {
                            request,
                            options: AcceptOptions::new(),
                        });
                    } else {
                        let reason = RejectReason::from_code(u32::from(r.u8()) + 1000);
                        s.feed(Input::Reject { request, reason });
                    }
                }
            }
            8 => {
                if let Some(conn) = r.pick(&s.conns) {
                    if r.u8() & 3 == 0 {
                        s.feed(Input::Close { conn });
                    } else {
                        let len = usize::from(r.u8()) * 8;
                        s.feed(Input::Send {
                            conn,
                            data: Bytes::from(vec![0xA5; len]),
                            options: SendOptions::default(),
                        });
                    }
                }
            }
            9 => {
                if let Some(conn) = r.pick(&s.conns) {
                    let seq = SeqNumber::new(r.u32() & SeqNumber::MAX);
                    let command = match r.u8() % 3 {
                        0 => MemberCommand::OverrideSendSeq(seq),
                        1 => MemberCommand::SkipReceiveTo(seq),
                        _ => MemberCommand::SetReceiveTimeBase(Instant::from_micros(
                            s.now.as_micros().saturating_sub(u64::from(r.u32())),
                        )),
                    };
                    s.feed(Input::Member { conn, command });
                }
            }
            _ => {
                let remote = r.pick(&peers).unwrap_or(peers[0]);
                let config = Box::new(caller_config(&mut r, s.now));
                if r.u8() & 1 == 0 {
                    s.feed(Input::Connect { remote, config });
                } else {
                    s.feed(Input::Rendezvous { remote, config });
                }
            }
        }
    }
});

//! The sending half of a connection (libsrt 1.5's `CSndBuffer` and the
//! sending side of `CUDT`: `packData`, `packLostData`, `processCtrlAck`,
//! `processCtrlLossReport`, `checkRexmitTimer`, `sndDropTooLate`).
//!
//! - [`Sender::push`] splits a message into packets, gives them sequence
//!   and message numbers, `PP` and `O` flags, and an origin time (the
//!   message's `srctime`, else now) that becomes their timestamp.
//! - [`Sender::poll_transmit`] hands out, in this order: a pending control
//!   packet (DROPREQ, KMREQ; not paced), then, if the pacing slot has come,
//!   the oldest packet on the loss list (`R` set, same sequence number and
//!   timestamp), else the next new packet if fewer than
//!   `min(flow window, congestion window)` are unacknowledged.
//! - [`Sender::on_ack`] frees acknowledged packets and takes the RTT, the
//!   peer's free buffer (the flow window) and its receive rates from the
//!   ACK. [`Sender::on_nak`] puts the reported packets on the loss list.
//! - [`Sender::handle_timeout`] drops packets too late to be useful (live:
//!   older than `max(peer latency + SNDDROPDELAY, 1 s) + 20 ms`, whole
//!   messages, announced with DROPREQ), runs the retransmission timer
//!   (no ACK for `n·(RTT + 4·RTTVar + 20 ms) + 10 ms`: resend everything
//!   unacknowledged) and repeats unanswered KMREQs. In live mode, where
//!   that timer is off (the peer sends periodic NAKs), a tail-loss probe
//!   takes its place for the one loss NAKs cannot report: see
//!   [`Sender::handle_timeout`].
//!
//! Steady state allocates nothing: the buffer is a ring that grows to its
//! high-water mark once, payloads are moved in as [`Bytes`] and handed out
//! by reference count, the loss list is a flag per buffered packet, and
//! control packets wait in a small bounded queue. (One caveat is the
//! `bytes` crate's: a `Bytes` made from a `Vec` allocates its shared
//! header on its first clone, which `poll_transmit` makes; payloads from
//! `BytesMut::freeze` or already shared cost nothing.)
//!
//! # Speed
//! `push` + `poll_transmit` of a 1316-byte live packet, with a full ACK
//! every 64 packets, no encryption, release build on the project's shared
//! 2-core machine: 83–111 ns per packet (min–max of 7 rounds of 2 million),
//! no allocation in 14 million packets; about 85 % of that time is the
//! atomic reference counting of the payload's `Bytes` (clone on send, drop
//! on acknowledgement).

// The congestion controllers serve the sender only, so the sender declares
// their module (its files live beside the sender's, in `connection/`).
#[path = "../congestion/mod.rs"]
mod congestion;

mod buffer;
mod keys;
mod pacing;
mod stats;
#[cfg(test)]
mod tests;

pub(crate) use keys::SenderCrypto;
pub(crate) use stats::SenderStats;

use self::buffer::{Entry, SendBuffer};
use self::congestion::{CcContext, CongestionControl, Controller, FileCc, LiveCc, SYN_INTERVAL_US};
use self::keys::Crypto;
use self::pacing::{InputRate, Pacer};
use super::{MaxBandwidth, RetransmitAlgorithm, SendError, SendOptions};
use crate::handshake::Congestion;
use crate::packet::ext::KmResponse;
use crate::packet::km::KmState;
use crate::packet::{
    Ack, AckInfo, ControlBody, ControlPacket, DataPacket, DropRequest, LossList, Packet,
    PacketPosition,
};
use crate::seq::{MsgNumber, SeqNumber, SeqRange};
use crate::time::{Instant, Timestamp};
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use bytes::Bytes;
use core::time::Duration;

/// libsrt's live payload size (`SRT_LIVE_DEF_PLSIZE`): 7 MPEG-TS packets.
pub(crate) const LIVE_PAYLOAD_SIZE: usize = 1316;

/// IPv4 + UDP (28) and SRT (16) header bytes a packet adds to its payload.
const HEADERS: usize = 44;

/// libsrt's `SRT_TLPKTDROP_MINTHRESHOLD_MS`: the sender never drops a
/// packet younger than 1 s.
const DROP_MIN_THRESHOLD: Duration = Duration::from_millis(1000);

/// libsrt's initial RTT and variance before any measurement.
const INITIAL_RTT_US: u64 = 100_000;
const INITIAL_RTTVAR_US: u64 = 50_000;

/// At most this many control packets wait to go out; more DROPREQs merge
/// or are dropped (the peer asks again with a NAK and gets a new one).
const MAX_PENDING_CONTROL: usize = 32;

/// The largest payload of one packet for `mss` (minus 44 bytes of IP, UDP
/// and SRT headers), and in live mode at most libsrt's 1316.
pub(crate) fn payload_size(mss: u32, congestion: Congestion) -> usize {
    let max = (mss as usize).saturating_sub(HEADERS).max(1);
    match congestion {
        Congestion::Live => max.min(LIVE_PAYLOAD_SIZE),
        Congestion::File => max,
    }
}

/// How a sender is set up: the negotiated values and the local options
/// that concern it.
#[derive(Debug, Clone)]
pub(crate) struct SenderConfig {
    /// The initial sequence number: the first packet's.
    pub isn: SeqNumber,
    /// The largest payload of one packet, bytes, the cipher's overhead
    /// (GCM tag) included: see [`payload_size`].
    pub payload_size: usize,
    /// The maximum segment size, bytes (the file controller's packet size).
    pub mss: u32,
    /// The flow window the peer allowed in the handshake, packets: the
    /// limit on unacknowledged packets until its first ACK says more.
    pub flow_window: u32,
    /// The peer's TSBPD latency for our data (the sender-side delay).
    pub peer_latency: Duration,
    /// `SRTO_SNDDROPDELAY`; `None` turns the sender's too-late drop off.
    pub snd_drop_delay: Option<Duration>,
    /// Whether the peer does too-late packet drop (`TLPKTDROP`): only then
    /// does the sender drop too-late packets.
    pub too_late_drop: bool,
    /// Whether the peer sends periodic NAK reports (`NAKREPORT`): then the
    /// live retransmission timer stays off, as in libsrt.
    pub peer_nak_report: bool,
    /// `SRTO_MAXBW`.
    pub max_bw: MaxBandwidth,
    /// `SRTO_INPUTBW`, bytes per second; 0: measure the input rate.
    pub input_bw: u64,
    /// `SRTO_MININPUTBW`, bytes per second: floor of the measured rate.
    pub min_input_bw: u64,
    /// `SRTO_OHEADBW`, percent added to the input rate.
    pub overhead_percent: u32,
    /// The congestion controller.
    pub congestion: Congestion,
    /// Message API (messages may span packets in file mode) or stream API.
    pub message_api: bool,
    /// Encryption, if negotiated.
    pub crypto: Option<SenderCrypto>,
    /// `SRTO_RETRANSMITALGO`.
    pub retransmit_algorithm: RetransmitAlgorithm,
    /// The connection's time base: timestamps are relative to it.
    pub start_time: Instant,
    /// The peer's socket id: every packet's destination.
    pub peer_socket_id: u32,
    /// `SRTO_SNDBUF`: the send buffer's capacity, packets.
    pub buffer_packets: u32,
}

/// The sending half of a connection (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct Sender {
    payload_size: usize,
    mss: u32,
    live: bool,
    max_bw: MaxBandwidth,
    input_bw: u64,
    min_input_bw: u64,
    overhead_percent: u32,
    /// The too-late threshold, when dropping is on.
    drop_threshold: Option<Duration>,
    /// With the too-late drop on: the age (the peer's latency) past which
    /// a packet never sent is not sent any more, since the receiver would
    /// take it as belated (it arrives after its delivery time).
    stale_after: Option<Duration>,
    peer_nak_report: bool,
    retransmit_algorithm: RetransmitAlgorithm,
    start_time: Instant,
    peer_socket_id: u32,

    buffer: SendBuffer,
    next_msg: MsgNumber,
    cc: Controller,
    pacer: Pacer,
    input_rate: InputRate,
    /// Boxed: the cipher contexts are large, and most connections do not
    /// encrypt.
    crypto: Option<Box<Crypto>>,
    control: VecDeque<ControlBody>,

    flow_window: u64,
    srtt_us: u64,
    rttvar_us: u64,
    rtt_measured: bool,
    delivery_rate_pps: u64,
    bandwidth_pps: u64,
    /// The highest sequence a full ACK acknowledged (libsrt
    /// `m_iSndLastFullAck`): older full ACKs update nothing more.
    last_full_ack: SeqNumber,
    /// When the last ACK that moved the acknowledgement arrived.
    last_ack_time: Instant,
    /// libsrt `m_iReXmitCount`: 1 after an ACK, +1 per timer expiry.
    rto_count: u64,
    /// When a new packet last went out, or the tail-loss probe last
    /// fired: the probe waits one retransmission timeout from it.
    tail_probe_from: Instant,
    last_now: Instant,
    stats: SenderStats,
}

impl Sender {
    /// A sender with an empty buffer, its first packet `cfg.isn`, its
    /// first message number 1, ready to send at `now`.
    pub(crate) fn new(cfg: SenderConfig, now: Instant) -> Self {
        let live = cfg.congestion == Congestion::Live;
        let cc = if live {
            Controller::Live(LiveCc::new(cfg.payload_size))
        } else {
            Controller::File(FileCc::new(cfg.isn, cfg.flow_window, cfg.isn.as_u32()))
        };
        let drop_threshold = match cfg.snd_drop_delay {
            Some(delay) if cfg.too_late_drop && cfg.message_api && live => Some(
                (cfg.peer_latency + delay).max(DROP_MIN_THRESHOLD)
                    + Duration::from_micros(2 * SYN_INTERVAL_US),
            ),
            _ => None,
        };
        let measure_input = cfg.max_bw == MaxBandwidth::RelativeToInput && cfg.input_bw == 0;
        let capacity = usize::try_from(cfg.buffer_packets.max(1)).unwrap_or(usize::MAX);
        let mut sender = Self {
            payload_size: cfg.payload_size.max(1),
            mss: cfg.mss,
            live,
            max_bw: cfg.max_bw,
            input_bw: cfg.input_bw,
            min_input_bw: cfg.min_input_bw,
            overhead_percent: cfg.overhead_percent,
            drop_threshold,
            stale_after: drop_threshold.map(|_| cfg.peer_latency),
            peer_nak_report: cfg.peer_nak_report,
            retransmit_algorithm: cfg.retransmit_algorithm,
            start_time: cfg.start_time,
            peer_socket_id: cfg.peer_socket_id,
            buffer: SendBuffer::new(cfg.isn, capacity),
            next_msg: MsgNumber::FIRST,
            cc,
            pacer: Pacer::new(now),
            input_rate: InputRate::new(measure_input),
            crypto: cfg.crypto.map(|c| Box::new(Crypto::new(c))),
            control: VecDeque::new(),
            flow_window: u64::from(cfg.flow_window),
            srtt_us: INITIAL_RTT_US,
            rttvar_us: INITIAL_RTTVAR_US,
            rtt_measured: false,
            // libsrt's initial values (`m_iDeliveryRate`, `m_iBandwidth`).
            delivery_rate_pps: 16,
            bandwidth_pps: 1,
            last_full_ack: cfg.isn,
            last_ack_time: now,
            rto_count: 1,
            tail_probe_from: now,
            last_now: now,
            stats: SenderStats::default(),
        };
        // libsrt `updateCC(TEV_INIT, TEV_INIT_RESET)`.
        let bw = match sender.max_bw {
            MaxBandwidth::BytesPerSecond(_) | MaxBandwidth::Unlimited => 0,
            MaxBandwidth::RelativeToInput => sender.with_overhead(sender.input_bw),
        };
        sender.cc.update_bandwidth(sender.max_bw_option(), bw);
        sender.refresh_gauges();
        sender
    }

    /// The largest message [`Self::push`] accepts, bytes.
    pub(crate) fn max_message_size(&self) -> usize {
        let chunk = self.chunk_size();
        if self.live {
            chunk
        } else {
            chunk.saturating_mul(self.buffer.len() + self.buffer.free())
        }
    }

    /// Payload bytes of plaintext one packet carries.
    fn chunk_size(&self) -> usize {
        let overhead = self.crypto.as_ref().map_or(0, |c| c.overhead());
        self.payload_size.saturating_sub(overhead).max(1)
    }

    /// Queues a message (live: one packet; file: split into as many as it
    /// takes). Fails if it is empty, too long, or does not fit in the
    /// buffer now; then nothing was queued.
    pub(crate) fn push(
        &mut self,
        data: Bytes,
        opts: &SendOptions,
        now: Instant,
    ) -> Result<(), SendError> {
        let now = self.advance(now);
        let len = data.len();
        if len == 0 {
            return Err(SendError::Empty);
        }
        let chunk = self.chunk_size();
        let packets = len.div_ceil(chunk);
        if self.live && packets > 1 {
            return Err(SendError::MessageTooLong { len, max: chunk });
        }
        let capacity = self.buffer.len() + self.buffer.free();
        if packets > capacity {
            return Err(SendError::MessageTooLong {
                len,
                max: chunk.saturating_mul(capacity),
            });
        }
        if packets > self.buffer.free() {
            return Err(SendError::BufferFull);
        }
        if self.buffer.len() == 0 {
            // libsrt delays the retransmission timer when data arrives in
            // an empty buffer, so idle time does not count as a timeout.
            self.last_ack_time = now;
            self.rto_count = 1;
        }
        let origin = opts.src_time.unwrap_or(now);
        let ttl_deadline = opts.ttl.map(|ttl| origin + ttl);
        let msg = self.next_msg;
        self.next_msg = msg.next();
        if packets == 1 {
            let entry = Entry::new(
                data,
                origin,
                ttl_deadline,
                msg,
                PacketPosition::Only,
                opts.in_order,
            );
            self.buffer.push(entry);
        } else {
            let mut start = 0;
            for i in 0..packets {
                let end = (start + chunk).min(len);
                let position = match (i, i + 1 == packets) {
                    (0, _) => PacketPosition::First,
                    (_, true) => PacketPosition::Last,
                    _ => PacketPosition::Middle,
                };
                let part = data.slice(start..end);
                let entry = Entry::new(part, origin, ttl_deadline, msg, position, opts.in_order);
                self.buffer.push(entry);
                start = end;
            }
        }
        self.input_rate.update(origin, packets as u64, len as u64);
        self.stats.buffer_packets = self.buffer.len() as u64;
        self.stats.buffer_bytes = self.buffer.bytes();
        Ok(())
    }

    /// Takes an ACK from the peer: frees what it acknowledges, and (full
    /// and small ACKs) takes the flow window, RTT and receive rates from it.
    /// An ACK of packets never sent is ignored and counted.
    pub(crate) fn on_ack(&mut self, ack: &Ack, now: Instant) {
        let now = self.advance(now);
        self.stats.acks_received = self.stats.acks_received.saturating_add(1);
        let seq = ack.ack_seq;
        if seq.is_after(self.buffer.next_unsent_seq()) {
            self.stats.acks_invalid = self.stats.acks_invalid.saturating_add(1);
            return;
        }
        let advances = !seq.is_before(self.buffer.front());
        if let AckInfo::Light = ack.info {
            if advances {
                let n = self.buffer.front().offset_to(seq).max(0) as u64;
                self.flow_window = self.flow_window.saturating_sub(n);
                self.buffer.ack_before(seq);
                self.last_ack_time = now;
                self.rto_count = 1;
            }
            self.refresh_gauges();
            return;
        }
        if advances {
            if let Some(available) = ack.available_buffer() {
                self.flow_window = u64::from(available);
            }
            self.buffer.ack_before(seq);
            self.last_ack_time = now;
            self.rto_count = 1;
        }
        if self.last_full_ack.offset_to(seq) <= 0 {
            self.refresh_gauges();
            return;
        }
        self.last_full_ack = seq;
        if let Some((rtt, rttvar)) = ack.rtt() {
            let (rtt, rttvar) = (u64::from(rtt), u64::from(rttvar));
            // libsrt, one-way transfer: the receiver's smoothed values, as
            // they are, once they are not the initial guesses.
            if self.rtt_measured || rtt != INITIAL_RTT_US || rttvar != INITIAL_RTTVAR_US {
                self.srtt_us = rtt;
                self.rttvar_us = rttvar;
                self.rtt_measured = true;
            }
        }
        if let AckInfo::Full(full) = ack.info {
            use self::congestion::avg_iir;
            self.delivery_rate_pps = avg_iir(
                8,
                self.delivery_rate_pps,
                u64::from(full.packets_receiving_rate),
            );
            self.bandwidth_pps = avg_iir(
                8,
                self.bandwidth_pps,
                u64::from(full.estimated_link_capacity),
            );
        }
        self.update_input_bandwidth();
        let ctx = self.cc_context();
        self.cc.on_ack(seq, &ctx, now);
        self.refresh_gauges();
    }

    /// Takes a NAK: the packets it lists that were sent and are still held
    /// go on the loss list; for those already gone (acknowledged past or
    /// dropped) the peer gets a DROPREQ, as libsrt does. Ranges beyond what
    /// was sent are ignored.
    pub(crate) fn on_nak(&mut self, loss: &LossList, now: Instant) {
        let now = self.advance(now);
        self.stats.naks_received = self.stats.naks_received.saturating_add(1);
        let mut first_lost = None;
        let mut fresh_losses = 0u64;
        for range in loss.iter() {
            let front = self.buffer.front();
            if range.first().is_before(front) {
                let last = range.last().min_wrapped(front.prev());
                self.queue_drop_request(MsgNumber::new(0), range.first(), last);
            }
            let (flagged, bytes, fresh) = self.buffer.flag_rexmit(range);
            fresh_losses += fresh as u64;
            if flagged > 0 {
                self.stats.lost.add_many(flagged as u64, bytes);
                first_lost.get_or_insert(range.first().max_wrapped(front));
            }
        }
        if let Some(first) = first_lost {
            self.update_input_bandwidth();
            let ctx = CcContext {
                fresh_losses,
                ..self.cc_context()
            };
            self.cc.on_loss(first, &ctx, now);
        }
        self.refresh_gauges();
    }

    /// Takes the peer's answer to a KMREQ.
    pub(crate) fn on_km_response(&mut self, resp: &KmResponse, now: Instant) {
        self.advance(now);
        if let Some(crypto) = &mut self.crypto {
            crypto.on_response(resp);
        }
    }

    /// The KM state the peer answered a KMREQ with, if it could not use
    /// the keys (`BADSECRET`, `NOSECRET`...): libsrt's `SRTO_SNDKMSTATE`
    /// after a failed refresh, for the connection to report.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn km_peer_error(&self) -> Option<KmState> {
        self.crypto.as_ref().and_then(|c| c.peer_error())
    }

    /// Whether every packet was acknowledged (or dropped): nothing left to
    /// linger for.
    pub(crate) fn is_empty(&self) -> bool {
        self.buffer.len() == 0
    }

    /// The counters and gauges.
    pub(crate) fn stats(&self) -> &SenderStats {
        &self.stats
    }

    /// The smoothed RTT the peer's ACKs reported.
    pub(crate) fn rtt(&self) -> Duration {
        Duration::from_micros(self.srtt_us)
    }

    /// The sequence number the next new packet gets.
    pub(crate) fn next_seq(&self) -> SeqNumber {
        self.buffer.next_seq()
    }

    /// The first packet not acknowledged (or dropped): the peer has
    /// everything before it.
    pub(crate) fn acked_seq(&self) -> SeqNumber {
        self.buffer.front()
    }

    /// Gives the next new packet `seq` (libsrt `overrideSndSeqNo`), when
    /// nothing is held: a group member joins the group's sequence space.
    /// Returns the packets still held otherwise.
    pub(crate) fn override_next_seq(&mut self, seq: SeqNumber) -> Result<(), usize> {
        if self.buffer.len() != 0 {
            return Err(self.buffer.len());
        }
        self.buffer.restart_at(seq);
        // ACKs of the old numbering update nothing any more.
        self.last_full_ack = seq;
        Ok(())
    }

    /// Time never runs backwards: an earlier `now` counts as the last one.
    #[inline]
    fn advance(&mut self, now: Instant) -> Instant {
        if now > self.last_now {
            self.last_now = now;
        }
        self.last_now
    }

    /// `SRTO_MAXBW` as libsrt's signed number.
    fn max_bw_option(&self) -> i64 {
        match self.max_bw {
            MaxBandwidth::Unlimited => -1,
            MaxBandwidth::RelativeToInput => 0,
            MaxBandwidth::BytesPerSecond(bw) => i64::try_from(bw).unwrap_or(i64::MAX),
        }
    }

    /// libsrt `withOverhead`: `bw · (100 + OHEADBW) / 100`.
    fn with_overhead(&self, bw: u64) -> u64 {
        bw.saturating_mul(100 + u64::from(self.overhead_percent)) / 100
    }

    /// With the bandwidth relative to a measured input rate, hands the
    /// controller the latest measurement (libsrt `updateCC` on ACK, loss
    /// report and timer).
    fn update_input_bandwidth(&mut self) {
        if self.input_rate.enabled() {
            let input = self.input_rate.rate().max(self.min_input_bw);
            let bw = self.with_overhead(input);
            self.cc.update_bandwidth(0, bw);
        }
    }

    fn cc_context(&self) -> CcContext {
        CcContext {
            srtt_us: self.srtt_us,
            delivery_rate_pps: self.delivery_rate_pps,
            bandwidth_pps: self.bandwidth_pps,
            mss: u64::from(self.mss),
            last_sent: self.buffer.next_unsent_seq().prev(),
            loss_len: self.buffer.rexmit_pending() as u64,
            fresh_losses: 0,
        }
    }

    /// Queues a DROPREQ, merging it into the last one queued when the
    /// ranges touch, and giving up on the oldest when the queue is full.
    fn queue_drop_request(&mut self, msg: MsgNumber, first: SeqNumber, last: SeqNumber) {
        if SeqRange::new(first, last).is_none() {
            return;
        }
        if let Some(ControlBody::DropRequest(prev)) = self.control.back_mut()
            && !first.is_after(prev.last.next())
            && !last.is_before(prev.first)
        {
            if prev.msg_number != msg {
                prev.msg_number = MsgNumber::new(0);
            }
            prev.first = prev.first.min_wrapped(first);
            prev.last = prev.last.max_wrapped(last);
            return;
        }
        if self.control.len() >= MAX_PENDING_CONTROL {
            self.control.pop_front();
        }
        self.control
            .push_back(ControlBody::DropRequest(DropRequest {
                msg_number: msg,
                first,
                last,
            }));
    }

    pub(super) fn refresh_gauges(&mut self) {
        let s = &mut self.stats;
        s.send_period_ns = self.cc.send_period_ns();
        s.max_bw = match &self.cc {
            Controller::Live(live) => live.max_bw(),
            Controller::File(_) => 0,
        };
        s.flow_window = self.flow_window;
        s.congestion_window = self.cc.window().min(u64::from(u32::MAX));
        s.in_flight = self.buffer.sent() as u64;
        s.buffer_packets = self.buffer.len() as u64;
        s.buffer_bytes = self.buffer.bytes();
        s.buffer_span = self
            .buffer
            .first()
            .map_or(Duration::ZERO, |e| self.last_now.duration_since(e.origin));
        s.input_rate = if self.input_rate.enabled() {
            self.input_rate.rate()
        } else {
            0
        };
        s.rtt = Duration::from_micros(self.srtt_us);
        s.rtt_var = Duration::from_micros(self.rttvar_us);
        s.delivery_rate_pps = self.delivery_rate_pps;
        s.bandwidth_pps = self.bandwidth_pps;
    }

    /// A control packet to the peer, stamped now.
    fn control_packet(&self, body: ControlBody, now: Instant) -> Packet {
        Packet::Control(ControlPacket {
            timestamp: Timestamp::from_instant(now, self.start_time),
            dst_socket_id: self.peer_socket_id,
            body,
        })
    }

    /// The data packet for the buffered packet at `index`.
    #[inline]
    fn data_packet(&self, index: usize, entry: &Entry, retransmitted: bool) -> DataPacket {
        DataPacket {
            seq: self.buffer.front().wrapping_add(index as u32),
            position: entry.position,
            in_order: entry.in_order,
            encryption: entry.key,
            retransmitted,
            msg_number: entry.msg,
            timestamp: Timestamp::from_instant(entry.origin, self.start_time),
            dst_socket_id: self.peer_socket_id,
            payload: entry.payload.clone(),
        }
    }

    /// A boxed KMREQ body.
    fn kmreq(km: crate::packet::KeyMaterial) -> ControlBody {
        ControlBody::KeyMaterialRequest(Box::new(km))
    }
}

mod transmit;

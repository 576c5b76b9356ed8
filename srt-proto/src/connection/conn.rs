//! [`Connection`]: the sender and the receiver joined, plus what belongs to
//! the connection as a whole: ACKACK, keepalive, idle timeout, shutdown,
//! linger, key material exchange and statistics.

use super::receiver::{Receiver, ReceiverConfig};
use super::sender::{self, Sender, SenderConfig, SenderCrypto};
use super::stats::{self, Counters, Stats};
use super::{
    CloseReason, ConnectionEvent, ConnectionParams, ConnectionState, DEFAULT_FILE_LINGER,
    DirectionState, OverrideSeqError, SendError, SendOptions,
};
use crate::crypto::{
    GcmVariant, Kek, KeyPair, KeyRefreshConfig, SenderKeys, StreamKeys, open_key_material,
};
use crate::handshake::Congestion;
use crate::packet::ext::{KmResponse, SrtFlags};
use crate::packet::km::KmState;
use crate::packet::{ControlBody, ControlPacket, KeyMaterial, Packet};
use crate::rng::SrtRng;
use crate::seq::SeqNumber;
use crate::time::{Instant, Timestamp};
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use bytes::Bytes;
use core::time::Duration;

/// libsrt sends an ACKACK at most this often unless the ACK repeats one
/// (`COMM_SYN_INTERVAL_US`).
const ACKACK_INTERVAL: Duration = Duration::from_millis(10);

/// One SRT connection after its handshake. See the [module
/// docs](super) for the driving contract.
#[derive(Debug)]
pub struct Connection {
    params: ConnectionParams,
    state: ConnectionState,
    close_reason: Option<CloseReason>,
    sender: Sender,
    receiver: Receiver,
    /// Control packets of the connection and the receiver, waiting to go.
    control: VecDeque<ControlBody>,
    events: VecDeque<ConnectionEvent>,
    last_now: Instant,
    last_sent: Instant,
    last_received: Instant,
    linger_until: Option<Instant>,
    /// Set when the peer's SHUTDOWN found live data held for TSBPD: the
    /// latest instant the play-out of what is held may last.
    playout_until: Option<Instant>,
    last_ackack: Option<(Instant, u32)>,
    gcm_variant: GcmVariant,
    ackacks_sent: u64,
    km_received: u64,
    send_duration: Duration,
    interval_start: Instant,
    interval_base: Counters,
}

impl Connection {
    /// Starts a connection from the handshake's outcome. `rng_seed` seeds
    /// the generator of refreshed stream keys.
    pub fn new(params: ConnectionParams, rng_seed: [u8; 32]) -> Self {
        let now = params.start_time;
        Self::new_at(params, rng_seed, now)
    }

    /// Starts a connection at `now` whose time base
    /// (`params.start_time`, its timestamp zero) may lie earlier: a
    /// member joining a running socket group stamps its packets from the
    /// group's start. Its timers (idle timeout, keepalive, ACK) start at
    /// `now`.
    pub fn new_at(params: ConnectionParams, rng_seed: [u8; 32], now: Instant) -> Self {
        let now = now.max(params.start_time);
        let n = &params.negotiated;
        let o = &params.options;
        let live = n.congestion == Congestion::Live;
        let gcm_variant = GcmVariant::for_peer_version(n.peer_version.0);
        let crypto = n.crypto.as_ref().and_then(|c| {
            let first = match &c.keys {
                StreamKeys::Even(k) | StreamKeys::Odd(k) => k.clone(),
                StreamKeys::Both { even, .. } => even.clone(),
            };
            let passphrase = o.passphrase.as_ref()?;
            let refresh = o.key_refresh;
            Some(SenderCrypto {
                keys: SenderKeys::new(c.mode, c.salt, first, refresh),
                kek: Kek::derive(passphrase, &c.salt, c.key_len),
                rng: SrtRng::from_seed(rng_seed),
            })
        });
        // SRTO_PAYLOADSIZE (1316 in live mode) limits the application's
        // data; an AES-GCM tag goes on top of it (libsrt), within the MSS.
        let tag = n.crypto.as_ref().map_or(0, |c| c.mode.overhead());
        let payload_size = match n.congestion {
            Congestion::Live => {
                sender::payload_size(n.mss, Congestion::File).min(sender::LIVE_PAYLOAD_SIZE + tag)
            }
            Congestion::File => sender::payload_size(n.mss, Congestion::File),
        };
        let sender_cfg = SenderConfig {
            isn: n.initial_seq,
            payload_size,
            mss: n.mss,
            flow_window: n.flow_window,
            peer_latency: n.send_latency,
            snd_drop_delay: o.snd_drop_delay,
            too_late_drop: n.flags.contains(SrtFlags::TLPKTDROP),
            peer_nak_report: n.flags.contains(SrtFlags::NAKREPORT),
            max_bw: o.max_bw,
            input_bw: o.input_bw,
            min_input_bw: o.min_input_bw,
            overhead_percent: o.overhead_bw_percent,
            congestion: n.congestion,
            message_api: n.message_api,
            crypto,
            retransmit_algorithm: o.retransmit_algorithm,
            start_time: params.start_time,
            peer_socket_id: params.peer_socket_id,
            buffer_packets: o.send_buffer_packets,
        };
        let capacity = n.flow_window.min(o.recv_buffer_packets).max(32);
        let receiver_cfg = ReceiverConfig {
            initial_seq: o.receive_initial_seq.unwrap_or(n.initial_seq),
            capacity: usize::try_from(capacity).unwrap_or(usize::MAX),
            latency: n.receive_latency,
            tsbpd: live && n.flags.contains(SrtFlags::TSBPD_RCV),
            tlpktdrop: n.flags.contains(SrtFlags::TLPKTDROP),
            nak_report: n.flags.contains(SrtFlags::NAKREPORT) || !live,
            drift_tracer: n.drift_tracer,
            loss_max_ttl: o.loss_max_ttl,
            message_api: n.message_api,
            max_nak_words: sender::payload_size(n.mss, Congestion::File) / 4,
            nak_report_accel: o.nak_report_accel,
            min_nak_interval: o.min_nak_interval,
            initial_rtt: o.initial_rtt,
        };
        let keys = n.crypto.as_ref().map(|c| {
            let mut pair = KeyPair::new();
            pair.install(c.mode, &c.salt, &c.keys);
            pair
        });
        let sender = Sender::new(sender_cfg, now);
        let receiver = Receiver::new(receiver_cfg, keys, now);
        Self {
            state: ConnectionState::Connected,
            close_reason: None,
            sender,
            receiver,
            control: VecDeque::new(),
            events: VecDeque::new(),
            last_now: now,
            last_sent: now,
            last_received: now,
            linger_until: None,
            playout_until: None,
            last_ackack: None,
            gcm_variant,
            ackacks_sent: 0,
            km_received: 0,
            send_duration: Duration::ZERO,
            interval_start: now,
            interval_base: Counters::default(),
            params,
        }
    }

    /// The parameters the connection started from.
    pub fn params(&self) -> &ConnectionParams {
        &self.params
    }

    /// Our socket id.
    pub fn local_socket_id(&self) -> u32 {
        self.params.local_socket_id
    }

    /// The peer's socket id.
    pub fn peer_socket_id(&self) -> u32 {
        self.params.peer_socket_id
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> core::net::SocketAddr {
        self.params.peer_addr
    }

    fn advance(&mut self, now: Instant) -> Instant {
        if now > self.last_now {
            // libsrt's usSndDuration: time the sender had data waiting.
            if !self.sender.is_empty() {
                self.send_duration += now.duration_since(self.last_now);
            }
            self.last_now = now;
        }
        self.last_now
    }

    fn is_live(&self) -> bool {
        self.params.negotiated.congestion == Congestion::Live
    }

    /// Handles a packet from the peer (DATA or control other than the
    /// handshake).
    #[inline]
    pub fn handle_packet(&mut self, mut packet: Packet, now: Instant) {
        let now = self.advance(now);
        if self.state == ConnectionState::Closed {
            return;
        }
        self.last_received = now;
        if self.playout_until.is_some() {
            // The peer is gone: a data packet the network held back still
            // joins the play-out; control packets mean nothing any more.
            if let Packet::Data(data) = &mut packet {
                self.receiver.on_data_mut(data, now);
            }
            self.collect(now);
            return;
        }
        // A data packet is read where it lies, not copied out of `packet`
        // (and places the TSBPD time base itself, unless retransmitted).
        if let Packet::Data(data) = &mut packet {
            self.receiver.on_data_mut(data, now);
        } else if let Packet::Control(control) = packet {
            self.receiver.observe_timestamp(control.timestamp, now);
            self.handle_control(control, now);
        }
        self.collect(now);
    }

    fn handle_control(&mut self, control: ControlPacket, now: Instant) {
        match control.body {
            ControlBody::Ack(ack) => {
                self.sender.on_ack(&ack, now);
                if !matches!(ack.info, crate::packet::AckInfo::Light) {
                    self.answer_ack(ack.ack_number, now);
                }
            }
            ControlBody::Nak(loss) => self.sender.on_nak(&loss, now),
            ControlBody::AckAck { ack_number } => {
                self.receiver.on_ackack(ack_number, control.timestamp, now);
            }
            ControlBody::DropRequest(req) => self.receiver.on_drop_request(&req, now),
            ControlBody::Shutdown => self.on_peer_shutdown(now),
            ControlBody::PeerError { code } => {
                self.close_with(CloseReason::PeerError(code), false);
            }
            ControlBody::KeyMaterialRequest(km) => {
                self.km_received += 1;
                self.answer_kmreq(&km);
            }
            ControlBody::KeyMaterialResponse(resp) => {
                self.km_received += 1;
                self.sender.on_km_response(&resp, now);
            }
            ControlBody::KeepAlive
            | ControlBody::CongestionWarning
            | ControlBody::Handshake(_)
            | ControlBody::SrtHandshakeRequest(_)
            | ControlBody::SrtHandshakeResponse(_)
            | ControlBody::Unknown { .. } => {}
        }
    }

    /// ACKACK for a full or small ACK: at most one per 10 ms, unless the
    /// ACK repeats the last one answered (its ACKACK was lost).
    fn answer_ack(&mut self, ack_number: u32, now: Instant) {
        let due = match self.last_ackack {
            None => true,
            Some((at, number)) => number == ack_number || now.duration_since(at) > ACKACK_INTERVAL,
        };
        if !due {
            return;
        }
        self.last_ackack = Some((now, ack_number));
        self.ackacks_sent += 1;
        self.control.push_back(ControlBody::AckAck { ack_number });
    }

    /// A refreshed key from the peer: install it and echo the KM message
    /// (KMRSP), or answer with our KM state when we cannot use it.
    fn answer_kmreq(&mut self, km: &KeyMaterial) {
        let response = match &self.params.options.passphrase {
            None => KmResponse::Error(KmState::NoSecret),
            Some(passphrase) => match open_key_material(passphrase, km, self.gcm_variant) {
                Ok(received) => {
                    let keys = self.receiver.keys_mut().get_or_insert_with(KeyPair::new);
                    keys.install(received.mode, &received.salt, &received.keys);
                    KmResponse::KeyMaterial(km.clone())
                }
                Err(_) => KmResponse::Error(KmState::BadSecret),
            },
        };
        self.control
            .push_back(ControlBody::KeyMaterialResponse(Box::new(response)));
    }

    /// The peer sent SHUTDOWN. A live receiver still holding data for
    /// TSBPD plays it out: each packet at its delivery time (the too-late
    /// drop skipping what never came, as before), with no ACK, NAK or
    /// keepalive going out (nothing is left to answer them or to repair a
    /// loss), until nothing is held or the last packet held was due,
    /// bounded by the peer idle timeout. Otherwise (file mode, or nothing
    /// held) the connection closes at once: in file mode everything
    /// received in order was delivered as it arrived.
    fn on_peer_shutdown(&mut self, now: Instant) {
        if self.playout_until.is_some() {
            return;
        }
        self.receiver.deliver(now);
        let due = self
            .receiver
            .last_held_due()
            .filter(|due| *due > now && self.receiver.held_packets() > 0);
        let Some(due) = due else {
            self.receiver.discard_held();
            self.close_with(CloseReason::PeerShutdown, false);
            return;
        };
        let bound = now.saturating_add(self.params.options.peer_idle_timeout);
        self.playout_until = Some(due.min(bound));
        self.state = ConnectionState::Closing;
        self.linger_until = None;
        self.control.clear();
    }

    /// Moves receiver output into the connection's queues.
    fn collect(&mut self, now: Instant) {
        self.receiver
            .drain_into(&mut self.control, &mut self.events);
        if let Some(until) = self.playout_until {
            self.control.clear();
            if self.receiver.held_packets() == 0 || now >= until {
                self.receiver.discard_held();
                self.close_with(CloseReason::PeerShutdown, false);
            }
            return;
        }
        if self.state == ConnectionState::Closing {
            let drained = self.sender.is_empty();
            let expired = self.linger_until.is_none_or(|t| now >= t);
            if drained || expired {
                self.close_with(CloseReason::LocalClose, true);
            }
        }
    }

    fn close_with(&mut self, reason: CloseReason, send_shutdown: bool) {
        if self.state == ConnectionState::Closed {
            return;
        }
        // What was delivered before the close is reported before it.
        self.receiver
            .drain_into(&mut self.control, &mut self.events);
        if self.playout_until.take().is_some() {
            self.control.clear();
        }
        if send_shutdown {
            self.control.push_back(ControlBody::Shutdown);
        }
        self.state = ConnectionState::Closed;
        self.close_reason = Some(reason);
        self.events.push_back(ConnectionEvent::Closed { reason });
    }

    /// Handles the timer armed from [`Connection::next_timeout`].
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.advance(now);
        if self.state == ConnectionState::Closed {
            return;
        }
        if self.playout_until.is_some() {
            self.receiver.deliver(now);
            self.collect(now);
            return;
        }
        if now.duration_since(self.last_received) >= self.params.options.peer_idle_timeout {
            self.close_with(CloseReason::PeerIdle, false);
            return;
        }
        self.receiver.handle_timeout(now);
        self.sender.handle_timeout(now);
        if now.duration_since(self.last_sent) >= self.params.options.keepalive_interval
            && !self.control.contains(&ControlBody::KeepAlive)
        {
            self.control.push_back(ControlBody::KeepAlive);
        }
        self.collect(now);
    }

    /// Queues a message (live mode, message API) or bytes (stream API).
    pub fn send(
        &mut self,
        message: Bytes,
        options: SendOptions,
        now: Instant,
    ) -> Result<(), SendError> {
        let now = self.advance(now);
        if self.state != ConnectionState::Connected {
            return Err(SendError::ConnectionClosed);
        }
        self.sender.push(message, &options, now)
    }

    /// The largest message [`Connection::send`] accepts now, bytes.
    pub fn max_message_size(&self) -> usize {
        self.sender.max_message_size()
    }

    /// Closes gracefully: the send buffer drains for up to the linger time
    /// (`SRTO_LINGER`), then SHUTDOWN goes out and
    /// [`CloseReason::LocalClose`] is reported. During the play-out that
    /// follows the peer's SHUTDOWN it ends the play-out at once (what is
    /// still held counts as dropped; the reason stays
    /// [`CloseReason::PeerShutdown`]).
    pub fn close(&mut self, now: Instant) {
        let now = self.advance(now);
        if self.playout_until.is_some() {
            self.receiver.discard_held();
            self.close_with(CloseReason::PeerShutdown, false);
            return;
        }
        if self.state != ConnectionState::Connected {
            return;
        }
        let linger = self.params.options.linger.unwrap_or(if self.is_live() {
            Duration::ZERO
        } else {
            DEFAULT_FILE_LINGER
        });
        self.state = ConnectionState::Closing;
        self.linger_until = Some(now.saturating_add(linger));
        self.collect(now);
    }

    /// The next datagram to send to the peer, if any is due at `now`.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Packet> {
        let now = self.advance(now);
        if let Some(body) = self.control.pop_front() {
            self.last_sent = now;
            return Some(Packet::Control(ControlPacket {
                timestamp: Timestamp::from_instant(now, self.params.start_time),
                dst_socket_id: self.params.peer_socket_id,
                body,
            }));
        }
        if self.state == ConnectionState::Closed || self.playout_until.is_some() {
            return None;
        }
        let packet = self.sender.poll_transmit(now)?;
        self.last_sent = now;
        Some(packet)
    }

    /// The next event for the application.
    #[inline]
    pub fn poll_event(&mut self) -> Option<ConnectionEvent> {
        self.events.pop_front()
    }

    /// When [`Connection::handle_timeout`] must be called next.
    pub fn next_timeout(&self) -> Option<Instant> {
        if self.state == ConnectionState::Closed {
            return None;
        }
        if let Some(until) = self.playout_until {
            let next = self
                .receiver
                .next_delivery()
                .map_or(until, |d| d.min(until));
            return Some(next);
        }
        let o = &self.params.options;
        let mut t = self.last_received.saturating_add(o.peer_idle_timeout);
        t = t.min(self.last_sent.saturating_add(o.keepalive_interval));
        for candidate in [
            self.receiver.next_timeout(),
            self.sender.next_timeout(),
            self.linger_until,
        ]
        .into_iter()
        .flatten()
        {
            t = t.min(candidate);
        }
        Some(t)
    }

    fn totals(&self) -> Counters {
        let s = self.sender.stats();
        let mut c = self.receiver.counters;
        c.sent = s.sent;
        c.sent_unique = s.sent_unique;
        c.retransmitted = s.retransmitted;
        c.send_loss = s.lost;
        c.send_drop = s.dropped;
        c.acks_received = s.acks_received;
        c.naks_received = s.naks_received;
        c.ackacks_sent = self.ackacks_sent;
        c.km_sent = s.km_sent;
        c.km_received = self.km_received;
        c.send_duration = self.send_duration;
        c.tail_probes = s.tail_probes;
        c
    }

    /// A statistics snapshot at `now` (libsrt `srt_bstats`).
    pub fn stats(&self, now: Instant) -> Stats {
        let now = now.max(self.last_now);
        let total = self.totals();
        let interval = total.since(&self.interval_base);
        let interval_duration = now.duration_since(self.interval_start);
        let s = self.sender.stats();
        let n = &self.params.negotiated;
        let (rtt, rtt_var) = self.rtt();
        let (rcv_packets, rcv_bytes, rcv_span) = self.receiver.buffer_occupancy();
        let payload = sender::payload_size(n.mss, n.congestion) as u64;
        let send_free = u64::from(self.params.options.send_buffer_packets)
            .saturating_sub(s.buffer_packets)
            .saturating_mul(payload);
        Stats {
            elapsed: now.duration_since(self.params.start_time),
            total,
            interval,
            interval_duration,
            send_rate_mbps: stats::mbps(interval.sent.bytes_with_headers(), interval_duration),
            recv_rate_mbps: stats::mbps(interval.received.bytes_with_headers(), interval_duration),
            rtt,
            rtt_var,
            send_period: Duration::from_nanos(s.send_period_ns),
            flow_window: u32::try_from(s.flow_window).unwrap_or(u32::MAX),
            congestion_window: u32::try_from(s.congestion_window).unwrap_or(u32::MAX),
            flight_size: u32::try_from(s.in_flight).unwrap_or(u32::MAX),
            bandwidth_mbps: s.bandwidth_pps as f64
                * (payload + stats::HEADER_OVERHEAD) as f64
                * 8.0
                / 1_000_000.0,
            max_bw_mbps: s.max_bw as f64 * 8.0 / 1_000_000.0,
            send_buffer_available_bytes: send_free,
            recv_buffer_available_bytes: self.receiver.free_slots() as u64 * payload,
            send_buffer_packets: u32::try_from(s.buffer_packets).unwrap_or(u32::MAX),
            send_buffer_bytes: s.buffer_bytes,
            send_buffer_span: s.buffer_span,
            recv_buffer_packets: rcv_packets,
            recv_buffer_bytes: rcv_bytes,
            recv_buffer_span: rcv_span,
            send_latency: n.send_latency,
            recv_latency: n.receive_latency,
            mss: n.mss,
            reorder_tolerance: self.receiver.reorder_tolerance(),
            reorder_distance: self.receiver.reorder_distance(),
            recv_avg_belated_time: self.receiver.average_belated_time(),
        }
    }

    /// Starts a new statistics interval: the interval counters restart from
    /// zero (libsrt's `srt_bstats(…, clear = 1)`).
    pub fn reset_interval_stats(&mut self, now: Instant) {
        let now = self.advance(now);
        self.interval_base = self.totals();
        self.interval_start = now;
    }

    /// The lifecycle state.
    pub fn state(&self) -> ConnectionState {
        self.state
    }

    /// The sending direction: open, draining its buffer after
    /// [`Connection::close`] (linger), or closed (also as soon as the peer
    /// sent SHUTDOWN).
    pub fn send_state(&self) -> DirectionState {
        if self.playout_until.is_some() {
            return DirectionState::Closed;
        }
        match self.state {
            ConnectionState::Connected => DirectionState::Open,
            ConnectionState::Closing => DirectionState::Draining,
            ConnectionState::Closed => DirectionState::Closed,
        }
    }

    /// The receiving direction: open until the connection closes (data
    /// keeps being delivered while the sending side lingers); draining
    /// while a live receiver plays out what it held when the peer sent
    /// SHUTDOWN (the peer's shutdown is known then; the
    /// [`ConnectionEvent::Closed`] with [`CloseReason::PeerShutdown`]
    /// follows the play-out).
    pub fn receive_state(&self) -> DirectionState {
        if self.playout_until.is_some() {
            return DirectionState::Draining;
        }
        match self.state {
            ConnectionState::Connected | ConnectionState::Closing => DirectionState::Open,
            ConnectionState::Closed => DirectionState::Closed,
        }
    }

    /// Why the connection closed, once it has.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.close_reason
    }

    /// Whether the send buffer is empty (everything sent was acknowledged
    /// or dropped).
    pub fn is_send_buffer_empty(&self) -> bool {
        self.sender.is_empty()
    }

    /// The receiver's current clock drift estimate against the peer, µs
    /// (TSBPD; positive when the peer's clock runs slow).
    pub fn drift_us(&self) -> i64 {
        self.receiver.tsbpd().drift_us()
    }

    /// Packets the receiver currently lists as lost.
    pub fn receive_loss_len(&self) -> u64 {
        self.receiver.loss_len()
    }

    /// The sequence number the sender gives the next new packet.
    pub fn next_send_seq(&self) -> SeqNumber {
        self.sender.next_seq()
    }

    /// Makes `seq` the sequence number of the next new packet (libsrt's
    /// `overrideSndSeqNo`: a group member joins the group's sequence
    /// space). Refused, with nothing changed, while the send buffer holds
    /// anything unacknowledged or once the connection is closed.
    pub fn override_send_seq(&mut self, seq: SeqNumber) -> Result<(), OverrideSeqError> {
        if self.state == ConnectionState::Closed {
            return Err(OverrideSeqError::ConnectionClosed);
        }
        self.sender
            .override_next_seq(seq)
            .map_err(|packets| OverrideSeqError::SendBufferNotEmpty { packets })
    }

    /// The sender's acknowledgement point: the peer received (or the
    /// sender dropped) every packet before it.
    pub fn send_acked_seq(&self) -> SeqNumber {
        self.sender.acked_seq()
    }

    /// The group this connection belongs to delivered everything up to and
    /// including `seq` (through another member): packets held up to it
    /// are discarded undelivered, their losses forgotten (no more NAKs for
    /// them), and the ACK point moves past them. They do not count as
    /// receiver drops. Nothing happens if the receiver is already past
    /// `seq`. Drain the outputs afterwards (what became due is delivered).
    pub fn skip_receive_to(&mut self, seq: SeqNumber, now: Instant) {
        let now = self.advance(now);
        if self.state == ConnectionState::Closed {
            return;
        }
        self.receiver.skip_to(seq, now);
        self.collect(now);
    }

    /// The TSBPD time base: our instant of the peer's timestamp 0, drift
    /// included (a packet is due at time base + timestamp + latency).
    /// `None` before the first packet from the peer set it.
    pub fn receive_time_base(&self) -> Option<Instant> {
        self.receiver.tsbpd().time_base()
    }

    /// Replaces the TSBPD time base (the members of a group share one, so
    /// a sequence number is due at the same instant on each). `base` may
    /// come from a member whose timestamps have wrapped (every 71.6 min) a
    /// different number of times: it is moved by whole wraps to match this
    /// connection's timestamps around `now`, so [`Self::receive_time_base`]
    /// gives `base` up to a multiple of 2^32 µs.
    pub fn set_receive_time_base(&mut self, base: Instant, now: Instant) {
        self.receiver.tsbpd_mut().set_time_base(base, now);
    }

    /// When the last packet (of any kind) from the peer arrived.
    pub fn last_peer_activity(&self) -> Instant {
        self.last_received
    }

    /// The smoothed round-trip time and its variance (measured from
    /// ACKACKs, else as the peer's ACKs report them, else libsrt's initial
    /// 100 ms and 50 ms).
    pub fn rtt(&self) -> (Duration, Duration) {
        let r = self.receiver.rtt();
        if r.is_measured() {
            (
                Duration::from_micros(u64::from(r.rtt_us())),
                Duration::from_micros(u64::from(r.var_us())),
            )
        } else {
            let s = self.sender.stats();
            (s.rtt, s.rtt_var)
        }
    }

    /// The key refresh schedule in effect.
    pub fn key_refresh(&self) -> KeyRefreshConfig {
        self.params.options.key_refresh
    }
}

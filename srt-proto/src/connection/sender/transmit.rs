//! What leaves the sender and when: [`Sender::poll_transmit`],
//! [`Sender::next_timeout`], [`Sender::handle_timeout`], and the drops
//! (too late, TTL) that make packets leave the buffer unsent.

use super::Sender;
use super::congestion::{CongestionControl, SYN_INTERVAL_US};
use crate::connection::RetransmitAlgorithm;
use crate::packet::{DataPacket, Packet};
use crate::seq::{MsgNumber, SeqRange};
use crate::time::{Instant, Timestamp};
use bytes::Bytes;
use core::time::Duration;

impl Sender {
    /// The next packet to send at `now`, if any: a pending control packet
    /// (DROPREQ, KMREQ) first, then, when pacing allows, a retransmission
    /// (oldest first, `R` set), else a new packet within the flow and
    /// congestion windows.
    #[inline]
    pub(crate) fn poll_transmit(&mut self, now: Instant) -> Option<Packet> {
        let now = self.advance(now);
        if let Some(body) = self.control.pop_front() {
            if matches!(body, crate::packet::ControlBody::DropRequest(_)) {
                self.stats.drop_requests_sent = self.stats.drop_requests_sent.saturating_add(1);
            }
            return Some(self.control_packet(body, now));
        }
        if let Some(crypto) = &mut self.crypto
            && let Some(km) = crypto.poll_kmreq(now)
        {
            self.stats.km_sent = self.stats.km_sent.saturating_add(1);
            return Some(self.control_packet(Self::kmreq(km), now));
        }
        if !self.pacer.ready(now) {
            return None;
        }
        if self.buffer.rexmit_pending() > 0 {
            if let Some(packet) = self.next_retransmission(now) {
                return Some(packet);
            }
            // A drop while looking for a retransmission may have queued a
            // DROPREQ: it goes first.
            if let Some(body) = self.control.pop_front() {
                self.stats.drop_requests_sent = self.stats.drop_requests_sent.saturating_add(1);
                return Some(self.control_packet(body, now));
            }
        }
        self.next_new_packet(now)
    }

    /// The oldest packet on the loss list that may go now, skipping (and
    /// taking off the list) dropped ones, expired ones, and with the reduced
    /// algorithm ones retransmitted too recently.
    fn next_retransmission(&mut self, now: Instant) -> Option<Packet> {
        while let Some(index) = self.buffer.next_flagged() {
            self.buffer.unflag(index);
            let entry = self.buffer.get(index)?;
            if entry.dropped {
                // libsrt answers a NAK for a dropped packet with DROPREQ.
                let (first, last) = self.buffer.message_bounds(index)?;
                self.queue_drop_of(first, last);
                continue;
            }
            if entry.ttl_deadline.is_some_and(|d| d < now) {
                self.drop_message_at(index);
                continue;
            }
            if !self.retransmission_due(entry.last_rexmit, now) {
                continue;
            }
            let packet = self.data_packet(index, entry, true);
            if index + 1 == self.buffer.sent() {
                // The last packet sent went again: the probe waits anew.
                self.tail_probe_from = now;
            }
            let len = packet.payload.len();
            if let Some(entry) = self.buffer.get_mut(index) {
                entry.last_rexmit = Some(now);
                entry.rexmit_count = entry.rexmit_count.saturating_add(1);
            }
            self.stats.retransmitted.add(len);
            self.stats.sent.add(len);
            self.cc.on_packet_sent(len);
            self.pacer.on_sent(now, self.cc.send_period_ns(), false);
            return Some(Packet::Data(packet));
        }
        None
    }

    /// libsrt `checkRexmitRightTime`: with the reduced algorithm (and a
    /// peer that sends periodic NAKs), a packet goes again only when its
    /// last retransmission is older than `SRTT − 4·RTTVar`.
    fn retransmission_due(&self, last: Option<Instant>, now: Instant) -> bool {
        if self.retransmit_algorithm == RetransmitAlgorithm::Always || !self.peer_nak_report {
            return true;
        }
        let Some(last) = last else { return true };
        let window = self
            .srtt_us
            .saturating_sub(self.rttvar_us.saturating_mul(4));
        now.duration_since(last) > Duration::from_micros(window)
    }

    /// The next packet never sent, if the windows allow it.
    #[inline]
    fn next_new_packet(&mut self, now: Instant) -> Option<Packet> {
        let window = self.flow_window.min(self.cc.window());
        if self.buffer.sent() as u64 >= window {
            return None;
        }
        let (front, start, peer) = (self.buffer.front(), self.start_time, self.peer_socket_id);
        let stale_after = self.stale_after;
        let (index, entry) = self.buffer.next_unsent()?;
        // Its TTL passed, or (too-late drop) it is older than the peer's
        // latency: the receiver would drop it on arrival, and sending it
        // would spend the flow window on nothing. A sender held back by a
        // full receiver buffer so skips ahead to packets that can still
        // be delivered, and the stream degrades instead of stopping.
        let stale = stale_after.is_some_and(|age| now.duration_since(entry.origin) > age);
        if let (true, Some(age)) = (stale, stale_after) {
            // Everything before it is older still: what was sent and not
            // acknowledged cannot be repaired in time either (a DROPREQ
            // leaves alone what the receiver holds). One drop, one
            // DROPREQ, and the window is free for packets that can still
            // be delivered.
            self.drop_before(now.checked_sub(age)?, false);
            self.refresh_gauges();
            let body = self.control.pop_front()?;
            self.stats.drop_requests_sent = self.stats.drop_requests_sent.saturating_add(1);
            return Some(self.control_packet(body, now));
        }
        if entry.ttl_deadline.is_some_and(|d| d < now) {
            self.drop_message_at(index);
            // The DROPREQ goes out now, in place of the packet.
            let body = self.control.pop_front()?;
            self.stats.drop_requests_sent = self.stats.drop_requests_sent.saturating_add(1);
            return Some(self.control_packet(body, now));
        }
        entry.first_sent = Some(now);
        self.tail_probe_from = now;
        let mut packet = DataPacket {
            seq: front.wrapping_add(index as u32),
            position: entry.position,
            in_order: entry.in_order,
            encryption: entry.key,
            retransmitted: false,
            msg_number: entry.msg,
            timestamp: Timestamp::from_instant(entry.origin, start),
            dst_socket_id: peer,
            payload: entry.payload.clone(),
        };
        if let Some(crypto) = &mut self.crypto {
            // The buffer lets go of the plaintext so it is encrypted in
            // place, then keeps the ciphertext for retransmissions.
            self.buffer.set_payload(index, Bytes::new());
            crypto.encrypt(&mut packet);
            self.buffer.set_payload(index, packet.payload.clone());
            if let Some(entry) = self.buffer.get_mut(index) {
                entry.key = packet.encryption;
            }
        }
        self.buffer.mark_sent();
        let len = packet.payload.len();
        self.stats.sent_unique.add(len);
        self.stats.sent.add(len);
        self.stats.in_flight = self.buffer.sent() as u64;
        self.cc.on_packet_sent(len);
        // libsrt: every 16th new packet starts a probe pair.
        let probe = packet.seq.as_u32() & 0xF == 0;
        self.pacer.on_sent(now, self.cc.send_period_ns(), probe);
        Some(Packet::Data(packet))
    }

    /// When [`Self::handle_timeout`] or [`Self::poll_transmit`] has work:
    /// now if a control packet waits, the pacing slot if a packet could be
    /// sent, the too-late drop of the oldest packet, the retransmission
    /// timer, the repetition of an unanswered KMREQ.
    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        if !self.control.is_empty() || self.crypto.as_ref().is_some_and(|c| c.kmreq_due()) {
            return Some(self.last_now);
        }
        let mut next: Option<Instant> = None;
        let mut consider = |at: Instant| {
            next = Some(next.map_or(at, |n| n.min(at)));
        };
        let window = self.flow_window.min(self.cc.window());
        let can_send_new =
            self.buffer.sent() < self.buffer.len() && (self.buffer.sent() as u64) < window;
        if self.buffer.rexmit_pending() > 0 || can_send_new {
            consider(self.pacer.next_slot());
        }
        if let (Some(threshold), Some(first)) = (self.drop_threshold, self.buffer.first()) {
            consider(first.origin + threshold + Duration::from_micros(1));
        }
        if let Some(at) = self.rto_deadline() {
            consider(at);
        }
        if let Some(at) = self.tail_probe_deadline() {
            consider(at);
        }
        if let Some(at) = self.crypto.as_ref().and_then(|c| c.next_resend(self.rtt())) {
            consider(at);
        }
        next
    }

    /// Runs the timers due at `now`: too-late drop, retransmission timer
    /// or tail-loss probe, KMREQ repetition. Packets they produce come
    /// from [`Self::poll_transmit`].
    ///
    /// The tail-loss probe (live mode with a peer sending periodic NAKs,
    /// where libsrt has no retransmission timer): a lost last packet of a
    /// stream that then goes quiet is seen by neither side, since nothing
    /// later reveals the gap to the receiver. So when packets wait for
    /// acknowledgement and no new packet went out for one retransmission
    /// timeout, `SRTT + 4·RTTVar + 2·10 ms + 10 ms` (libsrt's first
    /// `checkRexmitTimer` expiry; at least 30 ms, which keeps a full ACK,
    /// up to 10 ms behind the packet, from looking lost), the last packet
    /// sent is resent (`R` set), once per timeout, until it is
    /// acknowledged or the too-late drop takes it. Received, it shows the
    /// receiver any gap before it, which NAKs then repair as usual.
    ///
    /// The wait restarts with each new packet (and each resend of the last
    /// one), not with ACKs: an ACK held back by a hole under repair near
    /// the end would keep pushing the probe past the latency. Measured at
    /// 10 % loss both ways, latency 200 ms, RTT 40 ms, 1000 five-second
    /// streams: 87 lost their tail without the probe, 2 with it (13 when
    /// ACKs restarted the wait too), for about one probe per stream whose
    /// last round trip saw a loss (`connection_tail`'s
    /// `tail_loss_rate_at_ten_percent_loss`). A clean link never probes
    /// while the stream flows.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        let now = self.advance(now);
        self.drop_too_late(now);
        if self.rto_deadline().is_some_and(|at| at <= now) {
            self.on_rto(now);
        }
        if self.tail_probe_deadline().is_some_and(|at| at <= now) {
            self.on_tail_probe(now);
        }
        let srtt = self.rtt();
        if let Some(crypto) = &mut self.crypto {
            crypto.on_timeout(now, srtt);
        }
        self.refresh_gauges();
    }

    /// When the retransmission timer expires (libsrt `checkRexmitTimer`):
    /// `rto_count · (SRTT + 4·RTTVar + 20 ms) + 10 ms` after the last ACK
    /// that moved, while packets wait for acknowledgement. Off in live mode
    /// when the peer sends periodic NAKs.
    fn rto_deadline(&self) -> Option<Instant> {
        if self.buffer.len() == 0 || (self.live && self.peer_nak_report) {
            return None;
        }
        let wait = self
            .rto_count
            .saturating_mul(self.rto_interval_us())
            .saturating_add(SYN_INTERVAL_US);
        // libsrt fires once `now` is strictly past the deadline.
        Some(self.last_ack_time + Duration::from_micros(wait.saturating_add(1)))
    }

    /// When the tail-loss probe fires (see [`Self::handle_timeout`]): one
    /// timeout after the last new packet, probe or retransmission of the
    /// last packet sent, while that packet waits for acknowledgement and
    /// is neither dropped (a DROPREQ told the peer) nor already waiting
    /// for retransmission; live mode with periodic NAKs only. (Each of
    /// the events that make the packet eligible again, a new packet and
    /// a retransmission, restarts the wait: the deadline is never in the
    /// past once the timers ran.)
    fn tail_probe_deadline(&self) -> Option<Instant> {
        if !(self.live && self.peer_nak_report) {
            return None;
        }
        let last = self.buffer.sent().checked_sub(1)?;
        let entry = self.buffer.get(last)?;
        if entry.dropped || entry.needs_rexmit {
            return None;
        }
        let wait = self.rto_interval_us().saturating_add(SYN_INTERVAL_US);
        Some(self.tail_probe_from + Duration::from_micros(wait))
    }

    /// Flags the last packet sent (eligible: see
    /// [`Self::tail_probe_deadline`]) for retransmission; the next probe
    /// waits a timeout from now.
    fn on_tail_probe(&mut self, now: Instant) {
        self.tail_probe_from = now;
        let Some(last) = self.buffer.sent().checked_sub(1) else {
            return;
        };
        let seq = self.buffer.front().wrapping_add(last as u32);
        let Some(range) = SeqRange::new(seq, seq) else {
            return;
        };
        let (flagged, _, _) = self.buffer.flag_rexmit(range);
        if flagged > 0 {
            self.stats.tail_probes = self.stats.tail_probes.saturating_add(1);
        }
    }

    /// `SRTT + 4·RTTVar + 2·SYN`, microseconds.
    fn rto_interval_us(&self) -> u64 {
        self.srtt_us
            .saturating_add(self.rttvar_us.saturating_mul(4))
            .saturating_add(2 * SYN_INTERVAL_US)
    }

    /// The retransmission timer expired: put every unacknowledged packet on
    /// the loss list (live: always; file: only if the list is empty).
    fn on_rto(&mut self, now: Instant) {
        let resend = self.buffer.sent() > 0
            && (self.cc.rto_resends_with_losses_queued() || self.buffer.rexmit_pending() == 0);
        if resend {
            let flagged = self.buffer.flag_all_sent();
            self.stats.lost.add_many(flagged.0 as u64, flagged.1);
            self.stats.rto_expirations = self.stats.rto_expirations.saturating_add(1);
        }
        self.rto_count = self.rto_count.saturating_add(1);
        // Called late (the embedder's timer fired after several deadlines),
        // libsrt would have expired once per periodic check; count them all
        // so the next deadline is in the future.
        let rtt_syn = self.rto_interval_us().max(1);
        let elapsed = now.duration_since(self.last_ack_time).as_micros() as u64;
        let missed = elapsed.saturating_sub(SYN_INTERVAL_US + 1) / rtt_syn + 1;
        self.rto_count = self.rto_count.max(missed);
        self.update_input_bandwidth();
        let ctx = self.cc_context();
        self.cc.on_rto(&ctx, now);
    }

    /// libsrt `sndDropTooLate`: drops, from the front, packets whose origin
    /// is older than the threshold, completing the last message, and tells
    /// the peer with a DROPREQ.
    fn drop_too_late(&mut self, now: Instant) {
        let Some(threshold) = self.drop_threshold else {
            return;
        };
        let Some(limit) = now.checked_sub(threshold) else {
            return;
        };
        self.drop_before(limit, true);
    }

    /// Drops, from the front, packets whose origin is before `limit`,
    /// completing the last message, and queues a DROPREQ for them. With
    /// `give_back` (libsrt's too-late drop), their room is added to the
    /// flow window; the drop of stale packets does not, since the sender
    /// was held back by a full receiver buffer and only the receiver's
    /// next ACK tells how much room the skip made.
    fn drop_before(&mut self, limit: Instant, give_back: bool) {
        let mut n = 0;
        while self.buffer.get(n).is_some_and(|e| e.origin < limit) {
            n += 1;
        }
        if n == 0 {
            return;
        }
        let end = self.buffer.message_end(n - 1);
        let (first_msg, last_msg) = match (self.buffer.get(0), self.buffer.get(end - 1)) {
            (Some(a), Some(b)) => (a.msg, b.msg),
            _ => return,
        };
        let (mut packets, mut bytes) = (0u64, 0u64);
        for i in 0..end {
            if let Some(e) = self.buffer.get(i)
                && !e.dropped
            {
                packets += 1;
                bytes = bytes.saturating_add(e.payload.len() as u64);
            }
        }
        let first = self.buffer.front();
        let last = first.wrapping_add(end as u32 - 1);
        self.buffer.pop_front(end);
        self.stats.dropped.add_many(packets, bytes);
        if give_back {
            // libsrt gives the dropped packets' room back to the flow window.
            self.flow_window = self.flow_window.saturating_add(end as u64);
        }
        let msg = if first_msg == last_msg {
            first_msg
        } else {
            MsgNumber::new(0)
        };
        self.queue_drop_request(msg, first, last);
    }

    /// Gives up on the whole message holding the packet at `index` (TTL
    /// expired): its packets will not be sent (again), and the peer gets a
    /// DROPREQ.
    pub(super) fn drop_message_at(&mut self, index: usize) {
        let Some((first, last)) = self.buffer.message_bounds(index) else {
            return;
        };
        let (mut packets, mut bytes) = (0u64, 0u64);
        for i in first..=last {
            self.buffer.unflag(i);
            let newly = match self.buffer.get_mut(i) {
                Some(e) if !e.dropped => {
                    e.dropped = true;
                    true
                }
                _ => false,
            };
            if newly {
                packets += 1;
                bytes = bytes.saturating_add(self.buffer.release_payload(i));
            }
        }
        self.stats.dropped.add_many(packets, bytes);
        // Unsent packets of the message are skipped, not sent.
        self.buffer.skip_unsent_to(last + 1);
        self.queue_drop_of(first, last);
    }

    /// Queues a DROPREQ for the buffered packets `first ..= last` (indices)
    /// of one message.
    fn queue_drop_of(&mut self, first: usize, last: usize) {
        let Some(msg) = self.buffer.get(first).map(|e| e.msg) else {
            return;
        };
        let front = self.buffer.front();
        self.queue_drop_request(
            msg,
            front.wrapping_add(first as u32),
            front.wrapping_add(last as u32),
        );
    }
}

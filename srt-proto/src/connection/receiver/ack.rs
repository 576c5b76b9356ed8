//! The receiver's acknowledgements: the 10 ms full (or small) ACK, the ACK
//! history ACKACKs are matched against (libsrt's `CACKWindow`), the RTT
//! and drift samples ACKACKs give, and the free buffer space announced.

use super::{ACK_INTERVAL, Receiver};
use crate::packet::{Ack, AckInfo, ControlBody, FullAck};
use crate::seq::SeqNumber;
use crate::time::{Instant, Timestamp};

/// libsrt's ACK window (`ACK_WND_SIZE`): ACKs remembered for ACKACK.
const ACK_HISTORY: usize = 1024;

/// A full or small ACK sent, waiting for its ACKACK.
#[derive(Debug, Clone, Copy)]
pub(super) struct SentAck {
    pub(super) number: u32,
    pub(super) seq: SeqNumber,
    pub(super) at: Instant,
}

impl Receiver {
    /// Handles an ACKACK: an RTT sample, and a drift sample from its
    /// timestamp.
    pub(crate) fn on_ackack(&mut self, ack_number: u32, ts: Timestamp, now: Instant) {
        self.counters.ackacks_received += 1;
        let Some(i) = self.history.iter().position(|a| a.number == ack_number) else {
            return;
        };
        let Some(sent) = self.history.get(i).copied() else {
            return;
        };
        // Older ACKs are answered or lost: forget them.
        self.history.drain(..=i);
        let sample = u32::try_from(now.duration_since(sent.at).as_micros()).unwrap_or(u32::MAX);
        self.rtt.update(sample);
        // The NAK timer follows a shorter RTT at once (the first sample
        // replaces libsrt's 100 ms guess).
        if let Some(n) = self.next_nak {
            self.next_nak = Some(n.min(now + self.nak_interval()));
        }
        if sent.seq.is_after(self.last_ackacked) {
            self.last_ackacked = sent.seq;
        }
        if self.cfg.tsbpd {
            self.tsbpd.add_drift_sample(ts, now, i64::from(sample));
        }
    }

    /// The timer-driven ACK (`sendCtrlAck`).
    pub(super) fn send_ack(&mut self, now: Instant) {
        let ack = self.ack_seq();
        if ack.is_after(self.last_ack_seq) {
            self.last_ack_seq = ack;
        } else if ack == self.last_ack_seq
            && let Some(last) = self.last_ack_time
            && now.duration_since(last) < self.rtt.rto()
        {
            return;
        }
        if !self.last_ack_seq.is_after(self.last_ackacked) {
            return;
        }
        self.ack_number = self.ack_number.wrapping_add(1).max(1);
        let available = self.available_buffer();
        // libsrt sends the full form when more than 10 ms passed since the
        // last one, the small form otherwise. Its timer always fires a
        // little late; ours fires exactly every 10 ms, so "at least" keeps
        // the periodic ACK full, as it is in practice with libsrt.
        let full = self
            .last_full_ack_time
            .is_none_or(|t| now.duration_since(t) >= ACK_INTERVAL);
        let info = if full {
            self.last_full_ack_time = Some(now);
            let (pps, bps) = self.rate.receive_rate();
            AckInfo::Full(FullAck {
                rtt: self.rtt.rtt_us(),
                rtt_variance: self.rtt.var_us(),
                available_buffer: available,
                packets_receiving_rate: pps,
                estimated_link_capacity: self.rate.bandwidth(),
                receiving_rate: Some(bps),
            })
        } else {
            AckInfo::Small {
                rtt: self.rtt.rtt_us(),
                rtt_variance: self.rtt.var_us(),
                available_buffer: available,
            }
        };
        self.control.push_back(ControlBody::Ack(Ack {
            ack_number: self.ack_number,
            ack_seq: ack,
            info,
        }));
        self.counters.acks_sent += 1;
        if self.history.len() >= ACK_HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(SentAck {
            number: self.ack_number,
            seq: ack,
            at: now,
        });
        self.last_ack_time = Some(now);
        self.packets_since_ack = 0;
        self.light_acks = 1;
    }

    /// Free buffer space to announce, packets; at least 2 (libsrt 1.4's
    /// deadlock breaker: a sender told 0 would wait for an ACK that a
    /// receiver with nothing new to acknowledge never sends).
    pub(crate) fn available_buffer(&self) -> u32 {
        let used = usize::try_from(self.buf.start().offset_to(self.ack_seq()).max(0)).unwrap_or(0);
        let free = self.buf.capacity().saturating_sub(used);
        u32::try_from(free).unwrap_or(u32::MAX).max(2)
    }
}

//! What a socket group asks of a member's receiver: forget what another
//! member already delivered.

use super::Receiver;
use crate::seq::SeqNumber;
use crate::time::Instant;

impl Receiver {
    /// The group delivered everything up to and including `seq`: packets
    /// held up to it go without being delivered or counted as dropped,
    /// their losses are forgotten (no more NAKs for them), and the ACK
    /// point moves past them. Nothing happens if the receiver is already
    /// past `seq`.
    ///
    /// The move itself is not acknowledged (libsrt's `setInitialRcvSeq`
    /// for an idle member: the new point counts as ACKACKed): the peer's
    /// sender may not have sent that far on this connection (a standby),
    /// and libsrt breaks a connection whose ACK passes what it sent. The
    /// next ACK goes out when data beyond it arrives.
    pub(crate) fn skip_to(&mut self, seq: SeqNumber, now: Instant) {
        let target = seq.next();
        if !target.is_after(self.buf.start()) {
            return;
        }
        self.buf.skip_to(target);
        // The delivery walk cleans the loss lists and the expected
        // sequence up to the new start, then delivers what is due.
        self.deliver(now);
        if target.is_after(self.last_ackacked) {
            self.last_ackacked = target;
        }
        if target.is_after(self.last_ack_seq) {
            self.last_ack_seq = target;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::cfg;
    use super::*;
    use crate::packet::{
        ControlBody, DataPacket, EncryptionKeySpec, LossList as WireLossList, PacketPosition,
    };
    use crate::seq::MsgNumber;
    use crate::time::Timestamp;
    use alloc::vec::Vec;
    use bytes::Bytes;

    fn receiver() -> Receiver {
        Receiver::new(cfg(), None, Instant::ZERO)
    }

    fn ms(n: u64) -> Instant {
        Instant::from_micros(n * 1000)
    }

    fn s(off: u32) -> SeqNumber {
        SeqNumber::new(1000 + off)
    }

    /// Packet `1000 + off`, stamped `off` ms, one whole message.
    fn data(off: u32) -> DataPacket {
        DataPacket {
            seq: s(off),
            position: PacketPosition::Only,
            in_order: true,
            encryption: EncryptionKeySpec::Unencrypted,
            retransmitted: false,
            msg_number: MsgNumber::new(off + 1),
            timestamp: Timestamp::new(off * 1000),
            dst_socket_id: 1,
            payload: Bytes::from(alloc::vec![off as u8; 10]),
        }
    }

    fn naks(r: &mut Receiver) -> Vec<WireLossList> {
        core::iter::from_fn(|| r.poll_control())
            .filter_map(|c| match c {
                ControlBody::Nak(l) => Some(l),
                _ => None,
            })
            .collect()
    }

    fn deliveries(r: &mut Receiver) -> Vec<SeqNumber> {
        core::iter::from_fn(|| r.delivered.pop_front())
            .filter_map(|e| match e {
                crate::connection::ConnectionEvent::Message { seq, .. } => Some(seq),
                crate::connection::ConnectionEvent::Closed { .. } => None,
            })
            .collect()
    }

    #[test]
    fn skipped_packets_are_discarded_undelivered_and_not_counted_as_drops() {
        let mut r = receiver();
        for off in 0..5 {
            r.on_data(data(off), ms(1));
        }
        r.skip_to(s(2), ms(2));
        r.handle_timeout(ms(200));
        assert_eq!(deliveries(&mut r), [s(3), s(4)]);
        assert_eq!(r.counters.receive_drop.packets, 0);
        assert_eq!(r.buffer_occupancy().0, 0);
    }

    #[test]
    fn skipping_forgets_the_losses_before_the_new_start() {
        let mut r = receiver();
        r.on_data(data(0), ms(1));
        r.on_data(data(5), ms(1));
        assert_eq!(r.loss_len(), 4);
        r.skip_to(s(3), ms(2));
        assert_eq!(r.loss_len(), 1);
        r.skip_to(s(4), ms(2));
        assert_eq!(r.loss_len(), 0);
    }

    #[test]
    fn no_nak_repeats_a_skipped_loss() {
        let mut r = receiver();
        r.on_data(data(0), ms(1));
        r.on_data(data(3), ms(1));
        assert_eq!(naks(&mut r).len(), 1);
        r.skip_to(s(2), ms(2));
        for t in (10..100).step_by(5) {
            r.handle_timeout(ms(t));
        }
        assert!(naks(&mut r).is_empty());
    }

    #[test]
    fn skipping_moves_the_ack_point_past_the_skipped_packets() {
        let mut r = receiver();
        r.on_data(data(0), ms(1));
        r.on_data(data(4), ms(1));
        assert_eq!(r.ack_seq(), s(1));
        r.skip_to(s(2), ms(2));
        assert_eq!(r.ack_seq(), s(3));
    }

    #[test]
    fn skipping_ahead_of_everything_received_expects_the_next_one() {
        let mut r = receiver();
        r.skip_to(s(500), ms(1));
        assert_eq!(r.ack_seq(), s(501));
        // The next packet after the skip is no gap.
        r.on_data(data(501), ms(2));
        assert_eq!(r.loss_len(), 0);
        assert!(naks(&mut r).is_empty());
        // One from before the skip is belated.
        r.on_data(data(400), ms(2));
        assert_eq!(r.counters.receive_belated.packets, 1);
    }

    fn acks(r: &mut Receiver) -> Vec<SeqNumber> {
        core::iter::from_fn(|| r.poll_control())
            .filter_map(|c| match c {
                ControlBody::Ack(a) => Some(a.ack_seq),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_skip_alone_is_never_acknowledged() {
        let mut r = receiver();
        r.skip_to(s(500), ms(1));
        for t in (10..200).step_by(10) {
            r.handle_timeout(ms(t));
        }
        assert!(acks(&mut r).is_empty());
        assert_eq!(r.next_timeout(), None);
    }

    #[test]
    fn data_after_a_skip_is_acknowledged_from_the_new_point() {
        let mut r = receiver();
        r.skip_to(s(500), ms(1));
        r.on_data(data(501), ms(2));
        r.handle_timeout(ms(20));
        assert_eq!(acks(&mut r), [s(502)]);
    }

    #[test]
    fn skipping_to_a_sequence_already_passed_changes_nothing() {
        let mut r = receiver();
        for off in 0..3 {
            r.on_data(data(off), ms(1));
        }
        r.skip_to(s(1), ms(2));
        r.skip_to(s(0), ms(2));
        r.handle_timeout(ms(200));
        assert_eq!(deliveries(&mut r), [s(2)]);
    }

    #[test]
    fn delivered_messages_carry_their_first_sequence_number() {
        let mut r = receiver();
        r.on_data(data(0), ms(1));
        r.on_data(data(1), ms(1));
        r.handle_timeout(ms(150));
        assert_eq!(deliveries(&mut r), [s(0), s(1)]);
    }
}

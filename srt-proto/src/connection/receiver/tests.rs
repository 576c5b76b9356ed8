//! The receiver, one behaviour per test.

use super::*;
use crate::packet::{DropRequest, PacketPosition};
use alloc::vec;

const LATENCY: Duration = Duration::from_millis(100);

/// The receiver configuration the tests start from (also the group
/// hooks' tests).
pub(super) fn cfg() -> ReceiverConfig {
    ReceiverConfig {
        initial_seq: SeqNumber::new(1000),
        capacity: 64,
        latency: LATENCY,
        tsbpd: true,
        tlpktdrop: true,
        nak_report: true,
        drift_tracer: true,
        loss_max_ttl: 0,
        message_api: true,
        max_nak_words: 300,
        nak_report_accel: 2,
        min_nak_interval: Duration::from_millis(20),
        initial_rtt: None,
    }
}

fn ms(n: u64) -> Instant {
    Instant::from_micros(n * 1000)
}

/// Packet `seq` (offset from 1000), stamped `ts_ms`, one whole message.
fn data(seq: u32, ts_ms: u32) -> DataPacket {
    DataPacket {
        seq: SeqNumber::new(1000 + seq),
        position: PacketPosition::Only,
        in_order: true,
        encryption: EncryptionKeySpec::Unencrypted,
        retransmitted: false,
        msg_number: MsgNumber::new(seq + 1),
        timestamp: Timestamp::new(ts_ms * 1000),
        dst_socket_id: 1,
        payload: Bytes::from(vec![seq as u8; 100]),
    }
}

fn controls(r: &mut Receiver) -> Vec<ControlBody> {
    core::iter::from_fn(|| r.poll_control()).collect()
}

fn naks(r: &mut Receiver) -> Vec<Vec<(u32, u32)>> {
    controls(r)
        .into_iter()
        .filter_map(|c| match c {
            ControlBody::Nak(l) => Some(
                l.iter()
                    .map(|r| (r.first().as_u32() - 1000, r.last().as_u32() - 1000))
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

fn deliveries(r: &mut Receiver) -> Vec<(u32, Instant)> {
    core::iter::from_fn(|| r.poll_delivery())
        .map(|d| (d.msg_number.as_u32() - 1, d.delivered_at))
        .collect()
}

fn receiver() -> Receiver {
    Receiver::new(cfg(), None, ms(0))
}

#[test]
fn a_gap_is_nakked_at_once() {
    let mut r = receiver();
    r.on_data(data(0, 0), ms(10));
    r.on_data(data(3, 3), ms(13));
    assert_eq!(naks(&mut r), vec![vec![(1, 2)]]);
    assert_eq!(r.counters.receive_loss.packets, 2);
}

#[test]
fn a_retransmission_takes_its_packet_off_the_loss_list() {
    let mut r = receiver();
    r.on_data(data(0, 0), ms(10));
    r.on_data(data(2, 2), ms(12));
    assert_eq!(r.loss_len(), 1);
    let mut p = data(1, 1);
    p.retransmitted = true;
    r.on_data(p, ms(50));
    assert_eq!(r.loss_len(), 0);
    assert_eq!(r.counters.received_retransmitted.packets, 1);
    assert_eq!(r.ack_seq(), SeqNumber::new(1003));
}

#[test]
fn the_loss_list_is_nakked_again_periodically() {
    let mut c = cfg();
    c.latency = Duration::from_secs(1);
    let mut r = Receiver::new(c, None, ms(0));
    r.on_data(data(0, 0), ms(10));
    r.on_data(data(2, 2), ms(12));
    naks(&mut r);
    // Before any RTT sample: (100 + 4·50) / 2 = 150 ms.
    r.handle_timeout(ms(12 + 149));
    assert!(naks(&mut r).is_empty());
    r.handle_timeout(ms(12 + 150));
    assert_eq!(naks(&mut r), vec![vec![(1, 1)]]);
}

#[test]
fn the_first_rtt_sample_pulls_the_next_periodic_nak_in() {
    let mut c = cfg();
    c.latency = Duration::from_secs(1);
    let mut r = Receiver::new(c, None, ms(0));
    r.on_data(data(0, 0), ms(1));
    r.on_data(data(2, 2), ms(3));
    naks(&mut r);
    // Periodic NAK due at 3 + 150 ms with the default RTT.
    r.handle_timeout(ms(10));
    controls(&mut r);
    r.on_ackack(1, Timestamp::new(10_000), ms(30));
    // RTT 20 ms, var 10 ms: (20 + 40) / 2 = 30 ms from now.
    assert_eq!(r.next_timeout(), Some(ms(60)));
    r.handle_timeout(ms(59));
    assert!(naks(&mut r).is_empty());
    r.handle_timeout(ms(60));
    assert_eq!(naks(&mut r), vec![vec![(1, 1)]]);
}

#[test]
fn a_handshake_rtt_sets_the_first_periodic_nak_interval() {
    let mut c = cfg();
    c.initial_rtt = Some(Duration::from_millis(40));
    let r = Receiver::new(c, None, ms(0));
    // (40 + 4·20) / 2
    assert_eq!(r.nak_interval(), Duration::from_millis(60));
}

#[test]
fn the_periodic_nak_interval_has_a_20_ms_floor() {
    let mut r = receiver();
    // RTT 2 ms: (2 + 4·1)/2 = 3 ms, below the floor.
    r.rtt.update(2000);
    assert_eq!(r.nak_interval(), Duration::from_millis(20));
}

#[test]
fn reorder_tolerance_holds_the_nak_back_until_enough_packets_pass() {
    let mut c = cfg();
    c.loss_max_ttl = 2;
    let mut r = Receiver::new(c, None, ms(0));
    r.on_data(data(0, 0), ms(10));
    r.on_data(data(2, 2), ms(12));
    r.on_data(data(3, 3), ms(13));
    assert!(naks(&mut r).is_empty());
    // As libsrt: reported on the first arrival after the TTL ran out.
    r.on_data(data(4, 4), ms(14));
    assert_eq!(naks(&mut r), vec![vec![(1, 1)]]);
}

#[test]
fn a_reordered_packet_within_the_tolerance_is_never_nakked() {
    let mut c = cfg();
    c.loss_max_ttl = 2;
    let mut r = Receiver::new(c, None, ms(0));
    r.on_data(data(0, 0), ms(10));
    r.on_data(data(2, 2), ms(12));
    r.on_data(data(1, 1), ms(12));
    for i in 3..8 {
        r.on_data(data(i, i), ms(10 + u64::from(i)));
    }
    assert!(naks(&mut r).is_empty());
    assert_eq!(r.reorder_distance(), 1);
}

#[test]
fn reordering_raises_the_tolerance_up_to_lossmaxttl() {
    let mut c = cfg();
    c.loss_max_ttl = 3;
    c.capacity = 256;
    let mut r = Receiver::new(c, None, ms(0));
    for i in 0..60 {
        r.on_data(data(i, i), ms(10 + u64::from(i)));
    }
    assert_eq!(
        r.reorder_tolerance(),
        2,
        "50 in order: one less than the maximum"
    );
    r.on_data(data(65, 65), ms(80));
    for i in [61, 62, 63, 64] {
        r.on_data(data(i, i), ms(80));
    }
    r.on_data(data(60, 60), ms(81));
    assert_eq!(r.reorder_distance(), 5);
    assert_eq!(
        r.reorder_tolerance(),
        3,
        "raised, capped at SRTO_LOSSMAXTTL"
    );
}

#[test]
fn a_retransmission_filling_a_hole_is_not_reordering() {
    let mut c = cfg();
    c.loss_max_ttl = 3;
    let mut r = Receiver::new(c, None, ms(0));
    r.on_data(data(0, 0), ms(10));
    r.on_data(data(5, 5), ms(15));
    let mut p = data(1, 1);
    p.retransmitted = true;
    r.on_data(p, ms(16));
    assert_eq!(r.reorder_distance(), 0);
}

#[test]
fn a_full_ack_goes_out_every_10_ms() {
    let mut r = receiver();
    r.on_data(data(0, 0), ms(1));
    r.handle_timeout(ms(10));
    let acks: Vec<_> = controls(&mut r)
        .into_iter()
        .filter_map(|c| match c {
            ControlBody::Ack(a) => Some(a),
            _ => None,
        })
        .collect();
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].ack_seq, SeqNumber::new(1001));
    assert_eq!(acks[0].ack_number, 1);
    assert!(matches!(acks[0].info, AckInfo::Full(_)));
    assert_eq!(r.next_timeout(), Some(ms(20)));
}

#[test]
fn a_light_ack_goes_out_every_64_packets() {
    let mut c = cfg();
    c.capacity = 256;
    let mut r = Receiver::new(c, None, ms(0));
    for i in 0..64 {
        r.on_data(data(i, 0), ms(1));
    }
    let c = controls(&mut r);
    assert_eq!(c.len(), 1);
    assert!(matches!(
        c[0],
        ControlBody::Ack(Ack {
            ack_number: 0,
            info: AckInfo::Light,
            ..
        })
    ));
}

#[test]
fn an_ack_already_ackacked_is_not_repeated() {
    let mut r = receiver();
    r.on_data(data(0, 0), ms(1));
    r.handle_timeout(ms(10));
    controls(&mut r);
    r.on_ackack(1, Timestamp::new(10_000), ms(30));
    r.handle_timeout(ms(60));
    assert!(controls(&mut r).is_empty());
    assert_eq!(
        r.next_timeout(),
        Some(ms(101)),
        "only the delivery is pending"
    );
}

#[test]
fn an_unanswered_ack_is_repeated_after_rtt_plus_four_rttvar() {
    let mut r = receiver();
    r.on_data(data(0, 0), ms(1));
    r.handle_timeout(ms(10));
    controls(&mut r);
    r.handle_timeout(ms(20));
    assert!(
        controls(&mut r).is_empty(),
        "too soon: 300 ms before any RTT sample"
    );
    r.handle_timeout(ms(310));
    assert_eq!(controls(&mut r).len(), 1);
}

#[test]
fn an_ackack_gives_an_rtt_sample() {
    let mut r = receiver();
    r.on_data(data(0, 0), ms(1));
    r.handle_timeout(ms(10));
    r.on_ackack(1, Timestamp::new(10_000), ms(50));
    assert_eq!(r.rtt().rtt_us(), 40_000);
    assert_eq!(r.rtt().var_us(), 20_000);
}

#[test]
fn a_packet_is_delivered_at_its_tsbpd_time() {
    let mut r = receiver();
    r.on_data(data(0, 0), ms(20));
    r.on_data(data(1, 5), ms(26));
    assert!(deliveries(&mut r).is_empty());
    assert_eq!(r.next_timeout(), Some(ms(10)), "the first ACK comes first");
    r.handle_timeout(ms(119));
    assert!(deliveries(&mut r).is_empty());
    r.handle_timeout(ms(120));
    assert_eq!(deliveries(&mut r), vec![(0, ms(120))]);
    r.handle_timeout(ms(125));
    assert_eq!(deliveries(&mut r), vec![(1, ms(125))]);
}

#[test]
fn a_missing_packet_is_dropped_when_the_next_one_is_due() {
    let mut r = receiver();
    r.on_data(data(0, 0), ms(20));
    r.on_data(data(2, 10), ms(30));
    r.handle_timeout(ms(120));
    assert_eq!(deliveries(&mut r), vec![(0, ms(120))]);
    r.handle_timeout(ms(129));
    assert!(deliveries(&mut r).is_empty());
    r.handle_timeout(ms(130));
    assert_eq!(deliveries(&mut r), vec![(2, ms(130))]);
    assert_eq!(r.counters.receive_drop.packets, 1);
    assert_eq!(r.loss_len(), 0);
    assert_eq!(r.ack_seq(), SeqNumber::new(1003));
}

#[test]
fn a_packet_arriving_after_its_delivery_time_is_not_delivered_late() {
    let mut r = receiver();
    r.on_data(data(0, 0), ms(20));
    r.on_data(data(2, 10), ms(30));
    r.handle_timeout(ms(120));
    deliveries(&mut r);
    let mut late = data(1, 5);
    late.retransmitted = true;
    r.on_data(late, ms(126));
    assert_eq!(r.counters.receive_belated.packets, 1);
    assert_eq!(r.loss_len(), 0, "not awaited any more");
    r.handle_timeout(ms(130));
    assert_eq!(deliveries(&mut r), vec![(2, ms(130))]);
    assert_eq!(r.counters.receive_drop.packets, 1);
}

#[test]
fn without_too_late_drop_a_gap_blocks_delivery() {
    let mut c = cfg();
    c.tlpktdrop = false;
    let mut r = Receiver::new(c, None, ms(0));
    r.on_data(data(1, 10), ms(30));
    r.handle_timeout(ms(500));
    assert!(deliveries(&mut r).is_empty());
}

#[test]
fn a_belated_packet_is_counted_not_delivered() {
    let mut r = receiver();
    r.on_data(data(0, 0), ms(20));
    r.handle_timeout(ms(120));
    deliveries(&mut r);
    r.on_data(data(0, 0), ms(150));
    assert_eq!(r.counters.receive_belated.packets, 1);
    assert!(deliveries(&mut r).is_empty());
}

#[test]
fn a_duplicate_is_counted_received_but_not_unique() {
    let mut r = receiver();
    r.on_data(data(0, 0), ms(20));
    r.on_data(data(0, 0), ms(21));
    assert_eq!(r.counters.received.packets, 2);
    assert_eq!(r.counters.received_unique.packets, 1);
}

#[test]
fn packets_beyond_the_flow_window_are_dropped_and_counted() {
    let mut r = receiver();
    r.on_data(data(64, 0), ms(20));
    assert_eq!(r.counters.receive_drop.packets, 1);
    assert_eq!(r.counters.received_unique.packets, 0);
    assert_eq!(r.loss_len(), 0);
}

#[test]
fn a_drop_request_stops_the_wait_for_its_packets() {
    let mut r = receiver();
    r.on_data(data(0, 0), ms(20));
    r.on_data(data(3, 3), ms(23));
    assert_eq!(r.loss_len(), 2);
    r.on_drop_request(
        &DropRequest {
            msg_number: MsgNumber::new(2),
            first: SeqNumber::new(1001),
            last: SeqNumber::new(1002),
        },
        ms(24),
    );
    assert_eq!(r.loss_len(), 0);
    assert_eq!(r.ack_seq(), SeqNumber::new(1004));
    r.handle_timeout(ms(120));
    assert_eq!(deliveries(&mut r), vec![(0, ms(120))]);
    r.handle_timeout(ms(123));
    assert_eq!(deliveries(&mut r), vec![(3, ms(123))]);
    assert_eq!(r.counters.receive_drop.packets, 2);
}

#[test]
fn a_drop_request_beyond_the_last_packet_moves_the_expected_sequence() {
    let mut r = receiver();
    r.on_data(data(0, 0), ms(20));
    r.on_drop_request(
        &DropRequest {
            msg_number: MsgNumber::new(0),
            first: SeqNumber::new(1001),
            last: SeqNumber::new(1004),
        },
        ms(24),
    );
    r.on_data(data(5, 5), ms(25));
    assert!(naks(&mut r).is_empty());
}

#[test]
fn a_drop_request_wholly_ahead_leaves_the_gap_before_it_to_be_nakked() {
    let mut r = receiver();
    r.on_data(data(0, 0), ms(20));
    r.on_drop_request(
        &DropRequest {
            msg_number: MsgNumber::new(0),
            first: SeqNumber::new(1003),
            last: SeqNumber::new(1004),
        },
        ms(21),
    );
    r.on_data(data(5, 5), ms(25));
    assert_eq!(naks(&mut r), vec![vec![(1, 4)]]);
}

#[test]
fn a_message_of_several_packets_is_delivered_whole() {
    let mut r = receiver();
    let mut parts = [data(0, 0), data(1, 0), data(2, 0)];
    parts[0].position = PacketPosition::First;
    parts[1].position = PacketPosition::Middle;
    parts[2].position = PacketPosition::Last;
    for p in parts.iter_mut() {
        p.msg_number = MsgNumber::new(9);
    }
    let [a, b, c] = parts;
    r.on_data(a, ms(20));
    r.on_data(c, ms(20));
    r.handle_timeout(ms(100));
    assert!(core::iter::from_fn(|| r.poll_delivery()).next().is_none());
    r.on_data(b, ms(101));
    r.handle_timeout(ms(120));
    let d: Vec<_> = core::iter::from_fn(|| r.poll_delivery()).collect();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].data.len(), 300);
    assert_eq!(d[0].msg_number, MsgNumber::new(9));
}

#[test]
fn without_tsbpd_in_order_packets_are_delivered_at_once() {
    let mut c = cfg();
    c.tsbpd = false;
    c.message_api = false;
    let mut r = Receiver::new(c, None, ms(0));
    r.on_data(data(1, 0), ms(20));
    assert!(deliveries(&mut r).is_empty());
    r.on_data(data(0, 0), ms(21));
    assert_eq!(deliveries(&mut r), vec![(0, ms(21)), (1, ms(21))]);
}

#[test]
fn an_encrypted_packet_without_keys_is_counted_undecrypted() {
    let mut r = receiver();
    let mut p = data(0, 0);
    p.encryption = EncryptionKeySpec::Even;
    r.on_data(p, ms(20));
    assert_eq!(r.counters.receive_undecrypted.packets, 1);
    assert_eq!(r.counters.received_unique.packets, 0);
}

#[test]
fn an_encrypted_packet_is_decrypted_with_the_key_its_kk_bits_name() {
    use crate::crypto::{CipherMode, CryptoContext, KeyIndex, Salt, Sek};
    let sek = Sek::from_bytes(&[7; 16]).unwrap();
    let salt = Salt::from_slice(&[3; 16]).unwrap();
    let mut keys = KeyPair::new();
    keys.set(
        KeyIndex::Odd,
        CryptoContext::new(CipherMode::AesCtr, &sek, &salt),
    );
    let mut r = Receiver::new(cfg(), Some(keys), ms(0));
    let mut p = data(0, 0);
    p.encryption = EncryptionKeySpec::Odd;
    let ctx = CryptoContext::new(CipherMode::AesCtr, &sek, &salt);
    let mut payload = p.payload.to_vec();
    ctx.encrypt(&p.header_bytes(), &mut payload).unwrap();
    p.payload = Bytes::from(payload);
    r.on_data(p, ms(20));
    r.handle_timeout(ms(120));
    let d: Vec<_> = core::iter::from_fn(|| r.poll_delivery()).collect();
    assert_eq!(&d[0].data[..], &[0u8; 100][..]);
    assert_eq!(r.counters.receive_undecrypted.packets, 0);
}

#[test]
fn the_sequence_wrap_loses_nothing() {
    let mut c = cfg();
    c.initial_seq = SeqNumber::new(SeqNumber::MAX - 1);
    let mut r = Receiver::new(c, None, ms(0));
    for (i, seq) in [SeqNumber::MAX - 1, SeqNumber::MAX, 0, 1]
        .into_iter()
        .enumerate()
    {
        let mut p = data(0, i as u32);
        p.seq = SeqNumber::new(seq);
        p.msg_number = MsgNumber::new(i as u32 + 1);
        r.on_data(p, ms(20 + i as u64));
    }
    assert!(naks(&mut r).is_empty());
    r.handle_timeout(ms(200));
    assert_eq!(deliveries(&mut r).len(), 4);
    assert_eq!(r.ack_seq(), SeqNumber::new(2));
}

#[test]
fn the_available_buffer_never_reads_below_two() {
    let mut r = receiver();
    for i in 0..64 {
        r.on_data(data(i, 0), ms(1));
    }
    assert_eq!(r.available_buffer(), 2);
}

#[test]
fn belated_packets_free_the_places_up_to_them() {
    // A sender held back by a full buffer sends packets that arrive after
    // their delivery time. They are not stored, but their places (and the
    // gaps before them) are given up at once, so the room the receiver
    // announces grows again instead of staying at 2 for good.
    let mut r = receiver();
    r.on_data(data(0, 0), ms(10));
    r.handle_timeout(ms(110));
    assert_eq!(deliveries(&mut r), vec![(0, ms(110))]);
    for seq in 1..=63 {
        r.on_data(data(seq, seq), ms(300));
    }
    assert_eq!(r.counters.receive_belated.packets, 63);
    assert_eq!(r.available_buffer(), 64);
    // A packet 99 places on, in time, has room.
    r.on_data(data(99, 250), ms(300));
    assert_eq!(r.counters.received_unique.packets, 2);
    r.handle_timeout(ms(360));
    assert_eq!(deliveries(&mut r), vec![(99, ms(360))]);
}

#[test]
fn a_drop_request_past_the_capacity_gives_up_the_whole_run() {
    // The sender dropped a backlog longer than the buffer: packets after
    // the run are stored and delivered, not refused as beyond the buffer.
    let mut r = receiver();
    r.on_data(data(0, 0), ms(10));
    r.handle_timeout(ms(110));
    assert_eq!(deliveries(&mut r), vec![(0, ms(110))]);
    r.on_drop_request(
        &DropRequest {
            msg_number: MsgNumber::new(0),
            first: SeqNumber::new(1001),
            last: SeqNumber::new(1200),
        },
        ms(111),
    );
    assert_eq!(r.ack_seq(), SeqNumber::new(1201));
    assert_eq!(r.available_buffer(), 64);
    r.on_data(data(201, 105), ms(112));
    assert_eq!(r.counters.received_unique.packets, 2);
    r.handle_timeout(ms(215));
    assert_eq!(deliveries(&mut r), vec![(201, ms(215))]);
}

#[test]
fn a_packet_inside_a_dropped_run_past_the_capacity_is_not_stored() {
    let mut r = receiver();
    r.on_data(data(0, 0), ms(10));
    r.on_data(data(1, 1), ms(11));
    r.on_drop_request(
        &DropRequest {
            msg_number: MsgNumber::new(0),
            first: SeqNumber::new(1002),
            last: SeqNumber::new(1200),
        },
        ms(20),
    );
    r.handle_timeout(ms(110));
    // Packet 64 lies in the run, past the slots the request marked.
    r.on_data(data(64, 64), ms(110));
    assert_eq!(r.counters.received_unique.packets, 2);
    r.handle_timeout(ms(111));
    r.handle_timeout(ms(200));
    assert_eq!(deliveries(&mut r), vec![(0, ms(110)), (1, ms(111))]);
}

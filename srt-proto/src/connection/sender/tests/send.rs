//! Pushing, pacing, acknowledgement, retransmission on NAK, flow window.

use super::*;

#[test]
fn pushed_messages_get_consecutive_sequence_and_message_numbers() {
    let mut s = Sender::new(live_config(), ms(0));
    for _ in 0..3 {
        s.push(payload(100), &opts(), ms(0)).unwrap();
    }
    let sent = flush(&mut s, ms(0));
    let got: Vec<_> = sent
        .iter()
        .map(|p| {
            let d = data(p);
            (d.seq.as_u32(), d.msg_number.as_u32(), d.position)
        })
        .collect();
    assert_eq!(
        got,
        [
            (1000, 1, PacketPosition::Only),
            (1001, 2, PacketPosition::Only),
            (1002, 3, PacketPosition::Only)
        ]
    );
    assert!(
        sent.iter()
            .all(|p| p.dst_socket_id() == PEER && !data(p).retransmitted)
    );
}

#[test]
fn payload_is_moved_not_copied() {
    let mut s = Sender::new(live_config(), ms(0));
    let msg = payload(1316);
    let at = msg.as_ptr();
    s.push(msg, &opts(), ms(0)).unwrap();
    let sent = flush(&mut s, ms(0));
    assert_eq!(data(&sent[0]).payload.as_ptr(), at);
}

#[test]
fn file_message_splits_into_first_middle_last_packets_of_one_message() {
    let mut s = Sender::new(file_config(), ms(0));
    let chunk = payload_size(1500, Congestion::File);
    let msg = Bytes::from((0..chunk * 2 + 10).map(|i| i as u8).collect::<Vec<_>>());
    let in_order = SendOptions {
        in_order: true,
        ..opts()
    };
    s.push(msg.clone(), &in_order, ms(0)).unwrap();
    let sent = flush(&mut s, ms(0));
    let positions: Vec<_> = sent.iter().map(|p| data(p).position).collect();
    assert_eq!(
        positions,
        [
            PacketPosition::First,
            PacketPosition::Middle,
            PacketPosition::Last
        ]
    );
    assert!(sent.iter().all(|p| data(p).msg_number == MsgNumber::FIRST));
    assert!(sent.iter().all(|p| data(p).in_order));
    let joined: Vec<u8> = sent.iter().flat_map(|p| data(p).payload.to_vec()).collect();
    assert_eq!(joined, msg);
}

#[test]
fn live_message_longer_than_one_payload_is_refused() {
    let mut s = Sender::new(live_config(), ms(0));
    assert_eq!(
        s.push(payload(1317), &opts(), ms(0)),
        Err(SendError::MessageTooLong {
            len: 1317,
            max: 1316
        })
    );
    assert_eq!(s.push(Bytes::new(), &opts(), ms(0)), Err(SendError::Empty));
    assert!(s.is_empty());
}

#[test]
fn full_buffer_refuses_the_message() {
    let mut s = Sender::new(
        SenderConfig {
            buffer_packets: 2,
            ..live_config()
        },
        ms(0),
    );
    s.push(payload(10), &opts(), ms(0)).unwrap();
    s.push(payload(10), &opts(), ms(0)).unwrap();
    assert_eq!(
        s.push(payload(10), &opts(), ms(0)),
        Err(SendError::BufferFull)
    );
}

#[test]
fn src_time_becomes_the_timestamp() {
    let mut s = Sender::new(
        SenderConfig {
            start_time: ms(100),
            ..live_config()
        },
        ms(100),
    );
    let with_src = SendOptions {
        src_time: Some(ms(150)),
        ..opts()
    };
    s.push(payload(10), &with_src, ms(170)).unwrap();
    s.push(payload(10), &opts(), ms(180)).unwrap();
    let sent = flush(&mut s, ms(180));
    assert_eq!(data(&sent[0]).timestamp.as_u32(), 50_000);
    assert_eq!(data(&sent[1]).timestamp.as_u32(), 80_000);
}

#[test]
fn packets_are_paced_at_the_configured_bandwidth() {
    // (1316 + 44) bytes at 1.36 MB/s: one packet per millisecond.
    let mut s = Sender::new(
        SenderConfig {
            max_bw: MaxBandwidth::BytesPerSecond(1_360_000),
            // No probe pair (a sequence number that is a multiple of 16)
            // among the ten packets.
            isn: SeqNumber::new(1),
            ..live_config()
        },
        ms(0),
    );
    for _ in 0..10 {
        s.push(payload(1316), &opts(), ms(0)).unwrap();
    }
    assert_eq!(drain(&mut s, ms(0)).len(), 1);
    assert_eq!(s.next_timeout(), Some(ms(1)));
    assert_eq!(drain(&mut s, us(999)).len(), 0);
    let mut sent = 1;
    let mut now = ms(0);
    while let Some(at) = s.next_timeout() {
        if s.is_empty() || sent == 10 {
            break;
        }
        now = at;
        sent += drain(&mut s, now).len();
    }
    assert_eq!((sent, now), (10, ms(9)));
}

#[test]
fn every_sixteenth_packet_starts_a_back_to_back_probe_pair() {
    let mut s = Sender::new(
        SenderConfig {
            max_bw: MaxBandwidth::BytesPerSecond(1_360_000),
            isn: SeqNumber::new(15),
            ..live_config()
        },
        ms(0),
    );
    for _ in 0..4 {
        s.push(payload(1316), &opts(), ms(0)).unwrap();
    }
    let mut sent_at = Vec::new();
    let mut now = ms(0);
    while sent_at.len() < 4 {
        for p in drain(&mut s, now) {
            sent_at.push((data(&p).seq.as_u32(), now));
        }
        now = s.next_timeout().unwrap();
    }
    // 16 and 17 leave together; 18 waits two periods, keeping the rate.
    assert_eq!(
        sent_at,
        [(15, ms(0)), (16, ms(1)), (17, ms(1)), (18, ms(3))]
    );
}

#[test]
fn nak_retransmits_the_same_packet_with_the_r_flag() {
    let mut s = Sender::new(live_config(), ms(0));
    for _ in 0..5 {
        s.push(payload(100), &opts(), ms(0)).unwrap();
    }
    let first = flush(&mut s, ms(0));
    s.on_nak(&nak(1001, 1002), ms(30));
    let again = flush(&mut s, ms(30));
    assert_eq!(again.len(), 2);
    for (p, seq) in again.iter().zip([1001, 1002]) {
        let d = data(p);
        assert_eq!(d.seq.as_u32(), seq);
        assert!(d.retransmitted);
        let original = data(&first[(seq - 1000) as usize]);
        assert_eq!(
            (d.msg_number, d.timestamp, &d.payload),
            (original.msg_number, original.timestamp, &original.payload)
        );
    }
    assert_eq!(s.stats().retransmitted.packets, 2);
    assert_eq!(s.stats().lost.packets, 2);
}

#[test]
fn retransmissions_go_oldest_first_and_before_new_packets() {
    let mut s = Sender::new(live_config(), ms(0));
    for _ in 0..4 {
        s.push(payload(100), &opts(), ms(0)).unwrap();
    }
    flush(&mut s, ms(0));
    s.push(payload(100), &opts(), ms(1)).unwrap();
    s.on_nak(
        &LossList::from_ranges([
            SeqRange::single(SeqNumber::new(1003)),
            SeqRange::single(SeqNumber::new(1001)),
        ]),
        ms(1),
    );
    let seqs: Vec<_> = flush(&mut s, ms(1))
        .iter()
        .map(|p| (data(p).seq.as_u32(), data(p).retransmitted))
        .collect();
    assert_eq!(seqs, [(1001, true), (1003, true), (1004, false)]);
}

#[test]
fn nak_outside_what_was_sent_is_ignored() {
    let mut s = Sender::new(live_config(), ms(0));
    s.push(payload(100), &opts(), ms(0)).unwrap();
    flush(&mut s, ms(0));
    s.push(payload(100), &opts(), ms(0)).unwrap();
    // 1001 is buffered but not sent yet; 5000 never existed.
    s.on_nak(&nak(1001, 5000), ms(1));
    let out = flush(&mut s, ms(1));
    assert_eq!(out.len(), 1);
    assert!(!data(&out[0]).retransmitted);
    assert_eq!(s.stats().lost.packets, 0);
}

#[test]
fn nak_for_packets_no_longer_held_asks_the_peer_to_drop_them() {
    let mut s = Sender::new(live_config(), ms(0));
    for _ in 0..3 {
        s.push(payload(100), &opts(), ms(0)).unwrap();
    }
    flush(&mut s, ms(0));
    s.on_ack(&full_ack(1002, 8000), ms(20));
    s.on_nak(&nak(1000, 1002), ms(21));
    let out = flush(&mut s, ms(21));
    let drops = drop_requests(&out);
    assert_eq!(
        drops,
        [DropRequest {
            msg_number: MsgNumber::new(0),
            first: SeqNumber::new(1000),
            last: SeqNumber::new(1001)
        }]
    );
    assert_eq!(data(&out[1]).seq.as_u32(), 1002);
}

#[test]
fn ack_frees_the_acknowledged_packets() {
    let mut s = Sender::new(live_config(), ms(0));
    for _ in 0..3 {
        s.push(payload(100), &opts(), ms(0)).unwrap();
    }
    flush(&mut s, ms(0));
    s.on_ack(&full_ack(1002, 8000), ms(20));
    assert_eq!(s.stats().buffer_packets, 1);
    assert_eq!(s.stats().rtt, Duration::from_millis(20));
    assert_eq!(s.stats().flow_window, 8000);
    s.on_ack(
        &Ack {
            ack_number: 0,
            ack_seq: SeqNumber::new(1003),
            info: AckInfo::Light,
        },
        ms(21),
    );
    assert!(s.is_empty());
    assert_eq!(s.stats().flow_window, 7999);
}

#[test]
fn ack_of_packets_never_sent_is_ignored() {
    let mut s = Sender::new(live_config(), ms(0));
    s.push(payload(100), &opts(), ms(0)).unwrap();
    s.push(payload(100), &opts(), ms(0)).unwrap();
    let _ = s.poll_transmit(ms(0));
    s.on_ack(&full_ack(1002, 8000), ms(20));
    assert_eq!(s.stats().buffer_packets, 2);
    assert_eq!(s.stats().acks_invalid, 1);
}

#[test]
fn flow_window_limits_packets_in_flight() {
    let mut s = Sender::new(
        SenderConfig {
            flow_window: 3,
            ..live_config()
        },
        ms(0),
    );
    for _ in 0..10 {
        s.push(payload(100), &opts(), ms(0)).unwrap();
    }
    assert_eq!(flush(&mut s, ms(0)).len(), 3);
    assert_eq!(flush(&mut s, ms(5)).len(), 0);
    // Two acknowledged, and the peer has room for 4: 4 in flight.
    s.on_ack(&full_ack(1002, 4), ms(10));
    assert_eq!(flush(&mut s, ms(10)).len(), 3);
    assert_eq!(s.stats().in_flight, 4);
}

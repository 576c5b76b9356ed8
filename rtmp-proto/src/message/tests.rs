//! Message decode/encode, one behaviour per test, and properties.

use super::*;
use alloc::vec;
use alloc::vec::Vec;
use proptest::prelude::*;

fn encode(message: &Message) -> Vec<u8> {
    let mut out = Vec::new();
    message.encode(&mut out);
    out
}

fn decode(type_id: u8, payload: &[u8]) -> Result<Message, MessageError> {
    Message::decode(type_id, Bytes::copy_from_slice(payload))
}

#[test]
fn set_chunk_size_is_a_big_endian_u32() {
    assert_eq!(decode(1, &[0, 0, 0x10, 0]), Ok(Message::SetChunkSize(4096)));
    assert_eq!(encode(&Message::SetChunkSize(4096)), [0, 0, 0x10, 0]);
}

#[test]
fn set_chunk_size_of_zero_or_with_bit_31_is_invalid() {
    assert_eq!(
        decode(1, &[0, 0, 0, 0]),
        Err(MessageError::InvalidChunkSize(0))
    );
    assert_eq!(
        decode(1, &[0x80, 0, 0, 1]),
        Err(MessageError::InvalidChunkSize(0x8000_0001))
    );
}

#[test]
fn abort_names_a_chunk_stream() {
    assert_eq!(
        decode(2, &[0, 0, 0, 6]),
        Ok(Message::Abort { chunk_stream_id: 6 })
    );
}

#[test]
fn acknowledgement_carries_the_sequence_number() {
    assert_eq!(
        decode(3, &[0, 0x4C, 0x4B, 0x40]),
        Ok(Message::Acknowledgement {
            sequence_number: 5_000_000
        })
    );
}

#[test]
fn window_ack_size_as_nginx_sends_it() {
    assert_eq!(
        decode(5, &[0, 0x4C, 0x4B, 0x40]),
        Ok(Message::WindowAckSize(5_000_000))
    );
}

#[test]
fn set_peer_bandwidth_has_a_limit_type() {
    assert_eq!(
        decode(6, &[0, 0x4C, 0x4B, 0x40, 2]),
        Ok(Message::SetPeerBandwidth {
            window_size: 5_000_000,
            limit_type: LimitType::Dynamic
        })
    );
    assert_eq!(LimitType::from_u8(0), LimitType::Hard);
    assert_eq!(LimitType::from_u8(1), LimitType::Soft);
    assert_eq!(LimitType::from_u8(9), LimitType::Unknown(9));
}

#[test]
fn short_control_payloads_are_errors() {
    assert_eq!(
        decode(5, &[0, 1]),
        Err(MessageError::TooShort {
            type_id: 5,
            expected: 4,
            actual: 2
        })
    );
    assert_eq!(
        decode(6, &[0, 0, 0, 1]),
        Err(MessageError::TooShort {
            type_id: 6,
            expected: 5,
            actual: 4
        })
    );
}

#[test]
fn user_control_stream_begin_as_nginx_sends_it() {
    assert_eq!(
        decode(4, &[0, 0, 0, 0, 0, 1]),
        Ok(Message::UserControl(UserControlEvent::StreamBegin {
            stream_id: 1
        }))
    );
}

#[test]
fn user_control_set_buffer_length_as_ffmpeg_sends_it() {
    assert_eq!(
        decode(4, &[0, 3, 0, 0, 0, 1, 0, 0, 0x0B, 0xB8]),
        Ok(Message::UserControl(UserControlEvent::SetBufferLength {
            stream_id: 1,
            buffer_length_ms: 3000
        }))
    );
}

#[test]
fn user_control_ping_request_and_response() {
    assert_eq!(
        decode(4, &[0, 6, 0, 0, 1, 0]),
        Ok(Message::UserControl(UserControlEvent::PingRequest {
            timestamp: 256
        }))
    );
    assert_eq!(
        encode(&Message::UserControl(UserControlEvent::PingResponse {
            timestamp: 256
        })),
        [0, 7, 0, 0, 1, 0]
    );
}

#[test]
fn user_control_unknown_events_are_kept_raw() {
    assert_eq!(
        decode(4, &[0, 0x1A, 9, 8]),
        Ok(Message::UserControl(UserControlEvent::Unknown {
            event_type: 0x1A,
            data: Bytes::from_static(&[9, 8])
        }))
    );
}

#[test]
fn user_control_with_short_event_data_is_an_error() {
    assert_eq!(
        decode(4, &[0, 3, 0, 0, 0, 1, 0]),
        Err(MessageError::TooShort {
            type_id: 4,
            expected: 10,
            actual: 7
        })
    );
}

#[test]
fn commands_and_data_keep_their_payload_and_encoding() {
    assert_eq!(
        decode(20, b"\x02\x00\x07connect"),
        Ok(Message::Command {
            encoding: AmfEncoding::Amf0,
            payload: Bytes::from_static(b"\x02\x00\x07connect")
        })
    );
    assert!(matches!(
        decode(17, b"\x00\x02"),
        Ok(Message::Command {
            encoding: AmfEncoding::Amf3,
            ..
        })
    ));
    assert!(matches!(
        decode(18, b""),
        Ok(Message::Data {
            encoding: AmfEncoding::Amf0,
            ..
        })
    ));
    assert!(matches!(
        decode(15, b""),
        Ok(Message::Data {
            encoding: AmfEncoding::Amf3,
            ..
        })
    ));
    assert!(matches!(
        decode(19, b""),
        Ok(Message::SharedObject {
            encoding: AmfEncoding::Amf0,
            ..
        })
    ));
    assert!(matches!(
        decode(16, b""),
        Ok(Message::SharedObject {
            encoding: AmfEncoding::Amf3,
            ..
        })
    ));
}

#[test]
fn unknown_types_are_kept_raw() {
    assert_eq!(
        decode(0x30, b"xyz"),
        Ok(Message::Unknown {
            type_id: 0x30,
            payload: Bytes::from_static(b"xyz")
        })
    );
}

#[test]
fn protocol_control_messages_are_recognised() {
    assert!(Message::SetChunkSize(1).is_protocol_control());
    assert!(
        !Message::UserControl(UserControlEvent::StreamBegin { stream_id: 1 }).is_protocol_control()
    );
    assert!(!Message::Audio(Bytes::new()).is_protocol_control());
}

#[test]
fn to_raw_carries_type_timestamp_and_stream_id() {
    let raw = Message::Video(Bytes::from_static(b"v")).to_raw(40, 1);
    assert_eq!(
        raw,
        RawMessage {
            timestamp: 40,
            type_id: 9,
            stream_id: 1,
            payload: Bytes::from_static(b"v")
        }
    );
}

/// One FLV tag as an aggregate sub-message: header, body, back pointer.
fn tag(type_id: u8, timestamp: u32, body: &[u8]) -> Vec<u8> {
    let mut out = vec![type_id];
    out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    out.extend_from_slice(&timestamp.to_be_bytes()[1..]);
    out.push((timestamp >> 24) as u8);
    out.extend_from_slice(&[0, 0, 0]);
    out.extend_from_slice(body);
    out.extend_from_slice(&(11 + body.len() as u32).to_be_bytes());
    out
}

fn aggregate(timestamp: u32, payload: Vec<u8>) -> RawMessage {
    RawMessage {
        timestamp,
        type_id: type_id::AGGREGATE,
        stream_id: 1,
        payload: Bytes::from(payload),
    }
}

#[test]
fn aggregate_splits_into_sub_messages_rebased_on_its_timestamp() {
    let payload = [
        tag(9, 5000, b"video"),
        tag(8, 5023, b"audio"),
        tag(9, 5040, b"v2"),
    ]
    .concat();
    let parts: Vec<RawMessage> = AggregateSplitter::new(&aggregate(100, payload))
        .map(Result::unwrap)
        .collect();
    let summary: Vec<(u8, u32, u32, &[u8])> = parts
        .iter()
        .map(|m| (m.type_id, m.timestamp, m.stream_id, &m.payload[..]))
        .collect();
    assert_eq!(
        summary,
        [
            (9, 100, 1, &b"video"[..]),
            (8, 123, 1, &b"audio"[..]),
            (9, 140, 1, &b"v2"[..])
        ]
    );
}

#[test]
fn aggregate_tag_timestamps_use_the_extension_byte() {
    let payload = [tag(9, 0x0100_0000, b"a"), tag(9, 0x0100_0010, b"b")].concat();
    let stamps: Vec<u32> = AggregateSplitter::new(&aggregate(0, payload))
        .map(|m| m.unwrap().timestamp)
        .collect();
    assert_eq!(stamps, [0, 0x10]);
}

#[test]
fn aggregate_with_a_truncated_tag_yields_one_error_and_stops() {
    let mut payload = tag(9, 0, b"ok");
    payload.extend_from_slice(&tag(9, 0, b"truncated")[..15]);
    let items: Vec<_> = AggregateSplitter::new(&aggregate(0, payload)).collect();
    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok());
    assert_eq!(
        items[1],
        Err(MessageError::AggregateTruncated { offset: 17 })
    );
}

#[test]
fn aggregate_last_tag_may_lack_its_back_pointer() {
    let mut payload = tag(8, 0, b"abc");
    payload.truncate(payload.len() - 4);
    let items: Vec<_> = AggregateSplitter::new(&aggregate(0, payload)).collect();
    assert_eq!(items.len(), 1);
    assert_eq!(&items[0].as_ref().unwrap().payload[..], b"abc");
}

#[test]
fn empty_aggregate_has_no_sub_messages() {
    assert_eq!(AggregateSplitter::new(&aggregate(0, Vec::new())).count(), 0);
}

fn bytes_strategy() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..64).prop_map(Bytes::from)
}

fn user_control() -> impl Strategy<Value = UserControlEvent> {
    prop_oneof![
        any::<u32>().prop_map(|stream_id| UserControlEvent::StreamBegin { stream_id }),
        any::<u32>().prop_map(|stream_id| UserControlEvent::StreamEof { stream_id }),
        any::<u32>().prop_map(|stream_id| UserControlEvent::StreamDry { stream_id }),
        (any::<u32>(), any::<u32>()).prop_map(|(stream_id, buffer_length_ms)| {
            UserControlEvent::SetBufferLength {
                stream_id,
                buffer_length_ms,
            }
        }),
        any::<u32>().prop_map(|stream_id| UserControlEvent::StreamIsRecorded { stream_id }),
        any::<u32>().prop_map(|timestamp| UserControlEvent::PingRequest { timestamp }),
        any::<u32>().prop_map(|timestamp| UserControlEvent::PingResponse { timestamp }),
        (8u16.., bytes_strategy())
            .prop_map(|(event_type, data)| UserControlEvent::Unknown { event_type, data }),
    ]
}

fn encoding() -> impl Strategy<Value = AmfEncoding> {
    prop_oneof![Just(AmfEncoding::Amf0), Just(AmfEncoding::Amf3)]
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        (1u32..=0x7FFF_FFFF).prop_map(Message::SetChunkSize),
        any::<u32>().prop_map(|chunk_stream_id| Message::Abort { chunk_stream_id }),
        any::<u32>().prop_map(|sequence_number| Message::Acknowledgement { sequence_number }),
        user_control().prop_map(Message::UserControl),
        any::<u32>().prop_map(Message::WindowAckSize),
        (any::<u32>(), any::<u8>()).prop_map(|(window_size, limit)| Message::SetPeerBandwidth {
            window_size,
            limit_type: LimitType::from_u8(limit)
        }),
        bytes_strategy().prop_map(Message::Audio),
        bytes_strategy().prop_map(Message::Video),
        (encoding(), bytes_strategy())
            .prop_map(|(encoding, payload)| Message::Command { encoding, payload }),
        (encoding(), bytes_strategy())
            .prop_map(|(encoding, payload)| Message::Data { encoding, payload }),
        (encoding(), bytes_strategy())
            .prop_map(|(encoding, payload)| Message::SharedObject { encoding, payload }),
        bytes_strategy().prop_map(Message::Aggregate),
        (
            proptest::sample::select(&[0u8, 7, 10, 11, 12, 13, 14, 21, 23, 0xFF][..]),
            bytes_strategy()
        )
            .prop_map(|(type_id, payload)| Message::Unknown { type_id, payload }),
    ]
}

proptest! {
    #[test]
    fn encode_then_decode_is_identity(message in message()) {
        let bytes = encode(&message);
        prop_assert_eq!(bytes.len(), message.encoded_len());
        prop_assert_eq!(Message::decode(message.type_id(), Bytes::from(bytes)), Ok(message));
    }

    #[test]
    fn decode_of_arbitrary_bytes_never_panics(type_id in any::<u8>(), payload in bytes_strategy()) {
        let _ = Message::decode(type_id, payload);
    }

    #[test]
    fn aggregate_splitter_on_arbitrary_bytes_never_panics_and_ends(
        payload in proptest::collection::vec(any::<u8>(), 0..300),
        timestamp in any::<u32>(),
    ) {
        let count = AggregateSplitter::new(&aggregate(timestamp, payload.clone())).count();
        // Every item but an error consumes at least a tag header.
        prop_assert!(count <= payload.len() / AGGREGATE_TAG_HEADER_LEN + 1);
    }

    #[test]
    fn aggregate_of_tags_splits_back_into_them(
        tags in proptest::collection::vec(
            (proptest::sample::select(&[8u8, 9, 18][..]), 0u32..0x7FFF_FFFF, bytes_strategy()),
            0..8,
        ),
        timestamp in any::<u32>(),
    ) {
        let payload: Vec<u8> = tags.iter().flat_map(|(t, ts, body)| tag(*t, *ts, body)).collect();
        let parts: Vec<RawMessage> = AggregateSplitter::new(&aggregate(timestamp, payload))
            .collect::<Result<_, _>>()
            .unwrap();
        prop_assert_eq!(parts.len(), tags.len());
        for (part, (t, ts, body)) in parts.iter().zip(&tags) {
            prop_assert_eq!(part.type_id, *t);
            prop_assert_eq!(&part.payload, body);
            prop_assert_eq!(part.timestamp, timestamp.wrapping_add(ts.wrapping_sub(tags[0].1)));
        }
    }
}

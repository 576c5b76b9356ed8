//! The chunk reader, one behaviour per test, on hand-written chunks.

use super::*;
use crate::message::type_id;

fn payload(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + 3) as u8).collect()
}

#[test]
fn reads_a_single_chunk_message() {
    let mut reader = ChunkReader::new();
    let mut input = concat(&[&fmt0(3, 1000, 4, 20, 0), b"abcd"]);
    let messages = read_all(&mut reader, &mut input);
    assert_eq!(
        messages,
        [ReceivedMessage {
            csid: 3,
            message: raw(1000, 20, 0, b"abcd")
        }]
    );
    assert!(input.is_empty());
}

#[test]
fn single_chunk_payload_is_split_off_the_input_without_copying() {
    let mut reader = ChunkReader::new();
    let mut input = concat(&[&fmt0(3, 0, 4, 9, 1), b"abcd", &[0xC3]]);
    let payload_addr = input.as_ptr() as usize + 12;
    let message = reader.read_message(&mut input).unwrap().unwrap();
    assert_eq!(message.message.payload.as_ptr() as usize, payload_addr);
}

#[test]
fn decodes_two_byte_basic_headers() {
    let mut reader = ChunkReader::new();
    let mut input = concat(&[&fmt0(319, 0, 1, 8, 1), b"x"]);
    assert_eq!(input[0] & 0x3F, 0);
    assert_eq!(read_all(&mut reader, &mut input)[0].csid, 319);
}

#[test]
fn decodes_three_byte_basic_headers() {
    let mut reader = ChunkReader::new();
    let mut input = concat(&[&fmt0(65599, 0, 1, 8, 1), b"x", &fmt0(320, 0, 1, 8, 1), b"y"]);
    let csids: Vec<u32> = read_all(&mut reader, &mut input)
        .iter()
        .map(|m| m.csid)
        .collect();
    assert_eq!(csids, [65599, 320]);
}

#[test]
fn reassembles_a_message_spanning_chunks() {
    let mut reader = ChunkReader::new();
    let body = payload(300);
    let mut input = concat(&[
        &fmt0(4, 5, 300, 9, 1),
        &body[..128],
        &basic(3, 4),
        &body[128..256],
        &basic(3, 4),
        &body[256..],
    ]);
    let messages = read_all(&mut reader, &mut input);
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].message, raw(5, 9, 1, &body));
    assert_eq!(reader.buffered_bytes(), 0);
}

#[test]
fn reassembles_interleaved_chunk_streams_separately() {
    let mut reader = ChunkReader::new();
    let video = payload(200);
    let audio: Vec<u8> = payload(150).iter().map(|b| !b).collect();
    let mut input = concat(&[
        &fmt0(6, 40, 200, 9, 1),
        &video[..128],
        &fmt0(4, 23, 150, 8, 1),
        &audio[..128],
        &basic(3, 6),
        &video[128..],
        &basic(3, 4),
        &audio[128..],
    ]);
    let messages = read_all(&mut reader, &mut input);
    assert_eq!(
        messages,
        [
            ReceivedMessage {
                csid: 6,
                message: raw(40, 9, 1, &video)
            },
            ReceivedMessage {
                csid: 4,
                message: raw(23, 8, 1, &audio)
            },
        ]
    );
}

#[test]
fn incomplete_chunk_stays_in_the_input() {
    let mut reader = ChunkReader::new();
    let whole = concat(&[&fmt0(3, 0, 10, 20, 0), b"0123456789"]);
    for cut in 0..whole.len() {
        let mut input = BytesMut::from(&whole[..cut]);
        assert_eq!(reader.read_message(&mut input), Ok(None), "cut at {cut}");
        assert_eq!(input.len(), cut, "nothing consumed at {cut}");
    }
}

#[test]
fn one_byte_at_a_time_gives_the_same_messages() {
    let body = payload(500);
    let whole = concat(&[
        &fmt0(3, 1, 500, 18, 1),
        &body[..128],
        &basic(3, 3),
        &body[128..256],
        &fmt0(5, 2, 3, 8, 1),
        b"abc",
        &basic(3, 3),
        &body[256..384],
        &basic(3, 3),
        &body[384..],
    ]);
    let mut reader = ChunkReader::new();
    let expected = read_all(&mut reader, &mut whole.clone());
    let mut reader = ChunkReader::new();
    let mut input = BytesMut::new();
    let mut got = Vec::new();
    for byte in whole.iter() {
        input.extend_from_slice(&[*byte]);
        reader.read_messages(&mut input, &mut got).unwrap();
    }
    assert_eq!(got, expected);
    assert_eq!(got.len(), 2);
}

#[test]
fn format_1_adds_its_delta_and_sets_length_and_type() {
    let mut reader = ChunkReader::new();
    let mut input = concat(&[&fmt0(3, 100, 1, 8, 1), b"a", &fmt1(3, 23, 2, 9), b"bc"]);
    let messages = read_all(&mut reader, &mut input);
    assert_eq!(messages[1].message, raw(123, 9, 1, b"bc"));
}

#[test]
fn format_2_adds_its_delta_and_keeps_length_and_type() {
    let mut reader = ChunkReader::new();
    let mut input = concat(&[&fmt0(3, 100, 2, 8, 1), b"ab", &fmt2(3, 40), b"cd"]);
    let messages = read_all(&mut reader, &mut input);
    assert_eq!(messages[1].message, raw(140, 8, 1, b"cd"));
}

#[test]
fn format_3_starting_a_message_repeats_the_last_delta() {
    let mut reader = ChunkReader::new();
    let mut input = concat(&[
        &fmt0(3, 100, 1, 8, 1),
        b"a",
        &fmt2(3, 20),
        b"b",
        &basic(3, 3),
        b"c",
        &basic(3, 3),
        b"d",
    ]);
    let stamps: Vec<u32> = read_all(&mut reader, &mut input)
        .iter()
        .map(|m| m.message.timestamp)
        .collect();
    assert_eq!(stamps, [100, 120, 140, 160]);
}

#[test]
fn format_3_right_after_format_0_uses_its_timestamp_as_delta() {
    // RTMP 1.0 §5.3.1.2.4, and how ffmpeg reads it.
    let mut reader = ChunkReader::new();
    let mut input = concat(&[&fmt0(3, 100, 1, 8, 1), b"a", &basic(3, 3), b"b"]);
    let messages = read_all(&mut reader, &mut input);
    assert_eq!(messages[1].message.timestamp, 200);
}

#[test]
fn timestamps_wrap_at_32_bits() {
    let mut reader = ChunkReader::new();
    let mut input = concat(&[&fmt0(3, 0xFFFF_FFF0, 1, 8, 1), b"a", &fmt2(3, 0x20), b"b"]);
    let messages = read_all(&mut reader, &mut input);
    assert_eq!(messages[1].message.timestamp, 0x10);
}

#[test]
fn reads_an_extended_timestamp_in_format_0() {
    let mut reader = ChunkReader::new();
    let mut input = concat(&[&fmt0(3, 0x0123_4567, 1, 8, 1), b"a"]);
    assert_eq!(
        read_all(&mut reader, &mut input)[0].message.timestamp,
        0x0123_4567
    );
}

#[test]
fn a_timestamp_of_exactly_0xffffff_is_extended() {
    let mut reader = ChunkReader::new();
    let mut input = concat(&[&fmt0(3, 0xFF_FFFF, 1, 8, 1), b"a"]);
    assert_eq!(input.len(), 12 + 4 + 1);
    assert_eq!(
        read_all(&mut reader, &mut input)[0].message.timestamp,
        0xFF_FFFF
    );
}

fn extended_message(repeat: bool, body: &[u8]) -> BytesMut {
    let ts: u32 = 0x0200_0000;
    let mut parts: Vec<Vec<u8>> = alloc::vec![fmt0(3, ts, body.len() as u32, 9, 1)];
    for (i, chunk) in body.chunks(128).enumerate() {
        if i > 0 {
            parts.push(basic(3, 3));
            if repeat {
                parts.push(ts.to_be_bytes().to_vec());
            }
        }
        parts.push(chunk.to_vec());
    }
    let refs: Vec<&[u8]> = parts.iter().map(|p| p.as_slice()).collect();
    concat(&refs)
}

#[test]
fn format_3_continuation_with_repeated_extended_timestamp_is_read_as_ffmpeg_writes_it() {
    let body = payload(300);
    let mut reader = ChunkReader::new();
    let messages = read_all(&mut reader, &mut extended_message(true, &body));
    assert_eq!(messages[0].message, raw(0x0200_0000, 9, 1, &body));
}

#[test]
fn format_3_continuation_without_extended_timestamp_is_read_as_old_librtmp_writes_it() {
    let body = payload(300);
    let mut reader = ChunkReader::new();
    let messages = read_all(&mut reader, &mut extended_message(false, &body));
    assert_eq!(messages[0].message, raw(0x0200_0000, 9, 1, &body));
}

#[test]
fn format_3_continuation_repeating_the_absolute_timestamp_after_a_delta_header_is_read() {
    let delta: u32 = 0x0100_0000;
    let body = payload(200);
    let mut reader = ChunkReader::new();
    let mut input = concat(&[
        &fmt0(3, 5, 1, 8, 1),
        b"a",
        &fmt1(3, delta, 200, 9),
        &body[..128],
        &basic(3, 3),
        &(delta + 5).to_be_bytes(),
        &body[128..],
    ]);
    let messages = read_all(&mut reader, &mut input);
    assert_eq!(messages[1].message, raw(delta + 5, 9, 1, &body));
}

#[test]
fn the_extended_timestamp_habit_is_learned_once_per_chunk_stream() {
    // The first continuation shows the peer does not repeat the field; a
    // later continuation whose payload starts with the same 4 bytes as the
    // timestamp is still payload.
    let ts: u32 = 0x0200_0000;
    let mut second = payload(200);
    second[128..132].copy_from_slice(&ts.to_be_bytes());
    let mut input = extended_message(false, &payload(200));
    // The second message starts with a format 0 on the same chunk stream.
    input.extend_from_slice(&extended_message(false, &second));
    let mut reader = ChunkReader::new();
    let messages = read_all(&mut reader, &mut input);
    assert_eq!(messages.len(), 2);
    assert_eq!(&messages[1].message.payload[..], &second[..]);
}

#[test]
fn format_3_starting_a_message_after_an_extended_delta_reads_the_new_delta() {
    let delta: u32 = 0x0100_0000;
    let mut reader = ChunkReader::new();
    let mut input = concat(&[
        &fmt0(3, 0, 1, 8, 1),
        b"a",
        &fmt2(3, delta),
        b"b",
        &basic(3, 3),
        &delta.to_be_bytes(),
        b"c",
    ]);
    let stamps: Vec<u32> = read_all(&mut reader, &mut input)
        .iter()
        .map(|m| m.message.timestamp)
        .collect();
    assert_eq!(stamps, [0, delta, 2 * delta]);
}

#[test]
fn set_chunk_size_applies_to_the_next_chunk() {
    let body = payload(4000);
    let mut reader = ChunkReader::new();
    let mut input = concat(&[
        &fmt0(2, 0, 4, 1, 0),
        &4096u32.to_be_bytes(),
        &fmt0(6, 0, 4000, 9, 1),
        &body,
    ]);
    let messages = read_all(&mut reader, &mut input);
    assert_eq!(reader.chunk_size(), 4096);
    assert_eq!(messages[1].message.payload.len(), 4000);
}

#[test]
fn set_chunk_size_of_zero_is_an_error() {
    let mut reader = ChunkReader::new();
    let mut input = concat(&[&fmt0(2, 0, 4, 1, 0), &0u32.to_be_bytes()]);
    assert_eq!(
        reader.read_message(&mut input),
        Err(ChunkError::InvalidChunkSize(0))
    );
}

#[test]
fn set_chunk_size_with_bit_31_is_an_error() {
    let mut reader = ChunkReader::new();
    let mut input = concat(&[&fmt0(2, 0, 4, 1, 0), &0x8000_0080u32.to_be_bytes()]);
    assert_eq!(
        reader.read_message(&mut input),
        Err(ChunkError::InvalidChunkSize(0x8000_0080))
    );
}

#[test]
fn set_chunk_size_shorter_than_4_bytes_is_an_error() {
    let mut reader = ChunkReader::new();
    let mut input = concat(&[&fmt0(2, 0, 2, 1, 0), &[0, 1]]);
    assert_eq!(
        reader.read_message(&mut input),
        Err(ChunkError::ControlMessageTooShort {
            type_id: 1,
            length: 2
        })
    );
}

#[test]
fn abort_drops_the_partial_message_of_its_chunk_stream() {
    let body = payload(300);
    let mut reader = ChunkReader::new();
    let mut input = concat(&[
        &fmt0(6, 0, 300, 9, 1),
        &body[..128],
        &fmt0(2, 0, 4, type_id::ABORT, 0),
        &6u32.to_be_bytes(),
        // A new message on chunk stream 6 may now start with format 0.
        &fmt0(6, 40, 2, 9, 1),
        b"ok",
    ]);
    assert_eq!(
        reader
            .read_message(&mut input)
            .unwrap()
            .unwrap()
            .message
            .type_id,
        2
    );
    assert_eq!(reader.buffered_bytes(), 0);
    let next = reader.read_message(&mut input).unwrap().unwrap();
    assert_eq!(next.message, raw(40, 9, 1, b"ok"));
}

#[test]
fn compressed_header_without_a_previous_header_is_an_error() {
    let mut reader = ChunkReader::new();
    let mut input = concat(&[&fmt2(7, 10), b"a"]);
    assert_eq!(
        reader.read_message(&mut input),
        Err(ChunkError::NoPreviousHeader { csid: 7 })
    );
}

#[test]
fn full_header_inside_a_partial_message_is_an_error() {
    let body = payload(300);
    let mut reader = ChunkReader::new();
    let mut input = concat(&[&fmt0(6, 0, 300, 9, 1), &body[..128], &fmt0(6, 0, 3, 9, 1)]);
    assert_eq!(
        reader.read_message(&mut input),
        Err(ChunkError::HeaderInsideMessage { csid: 6, fmt: 0 })
    );
}

#[test]
fn message_longer_than_the_limit_is_an_error_before_any_payload_arrives() {
    let limits = ChunkLimits {
        max_message_length: 1000,
        ..ChunkLimits::default()
    };
    let mut reader = ChunkReader::with_limits(limits);
    let mut input = concat(&[&fmt0(3, 0, 1001, 9, 1)]);
    assert_eq!(
        reader.read_message(&mut input),
        Err(ChunkError::MessageTooLong {
            length: 1001,
            max: 1000
        })
    );
}

#[test]
fn too_many_chunk_streams_is_an_error() {
    let limits = ChunkLimits {
        max_chunk_streams: 2,
        ..ChunkLimits::default()
    };
    let mut reader = ChunkReader::with_limits(limits);
    let mut input = concat(&[
        &fmt0(3, 0, 1, 8, 1),
        b"a",
        &fmt0(4, 0, 1, 8, 1),
        b"b",
        &fmt0(5, 0, 1, 8, 1),
        b"c",
    ]);
    assert!(reader.read_message(&mut input).unwrap().is_some());
    assert!(reader.read_message(&mut input).unwrap().is_some());
    assert_eq!(
        reader.read_message(&mut input),
        Err(ChunkError::TooManyChunkStreams { max: 2 })
    );
}

#[test]
fn partial_messages_beyond_the_buffer_limit_are_an_error() {
    let limits = ChunkLimits {
        max_buffered_bytes: 500,
        ..ChunkLimits::default()
    };
    let body = payload(300);
    let mut reader = ChunkReader::with_limits(limits);
    let mut input = concat(&[
        &fmt0(4, 0, 300, 9, 1),
        &body[..128],
        &fmt0(5, 0, 300, 9, 1),
        &body[..128],
    ]);
    assert_eq!(
        reader.read_message(&mut input),
        Err(ChunkError::BufferLimitExceeded {
            needed: 600,
            max: 500
        })
    );
    assert_eq!(reader.buffered_bytes(), 300);
}

#[test]
fn counts_chunk_bytes_for_acknowledgements() {
    let mut reader = ChunkReader::new();
    let mut input = concat(&[&fmt0(3, 0, 4, 20, 0), b"abcd", &fmt0(3, 0, 1, 20, 0)]);
    read_all(&mut reader, &mut input);
    assert_eq!(reader.bytes_received(), 16);
}

#[test]
fn window_ack_size_message_sets_the_acknowledgement_window() {
    let mut reader = ChunkReader::new();
    let mut input = concat(&[
        &fmt0(2, 0, 4, type_id::WINDOW_ACK_SIZE, 0),
        &32u32.to_be_bytes(),
    ]);
    read_all(&mut reader, &mut input);
    assert_eq!(reader.window_ack_size(), 32);
}

#[test]
fn acknowledgement_is_due_after_a_window_of_bytes() {
    let mut reader = ChunkReader::new();
    reader.set_window_ack_size(20);
    let mut input = concat(&[&fmt0(3, 0, 4, 20, 0), b"abcd"]);
    read_all(&mut reader, &mut input);
    assert_eq!(reader.poll_acknowledgement(), None);
    let mut input = concat(&[&fmt0(3, 0, 4, 20, 0), b"abcd"]);
    read_all(&mut reader, &mut input);
    assert_eq!(reader.poll_acknowledgement(), Some(32));
    assert_eq!(reader.poll_acknowledgement(), None, "a new window starts");
}

#[test]
fn zero_length_message_is_delivered_empty() {
    let mut reader = ChunkReader::new();
    let mut input = concat(&[&fmt0(3, 7, 0, 20, 0)]);
    assert_eq!(
        read_all(&mut reader, &mut input)[0].message,
        raw(7, 20, 0, b"")
    );
}

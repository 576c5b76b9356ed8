//! The chunk writer, one behaviour per test, against hand-written chunks.

use super::*;
use crate::message::Message;

fn write(writer: &mut ChunkWriter, csid: u32, message: &RawMessage) -> Vec<u8> {
    let mut out = Vec::new();
    writer.write(csid, message, &mut out).unwrap();
    out
}

#[test]
fn first_message_on_a_chunk_stream_gets_a_full_header() {
    let mut writer = ChunkWriter::new();
    let out = write(&mut writer, 3, &raw(1000, 20, 0, b"abcd"));
    assert_eq!(out, [&fmt0(3, 1000, 4, 20, 0)[..], b"abcd"].concat());
}

#[test]
fn same_length_and_type_with_a_new_delta_gets_format_2() {
    let mut writer = ChunkWriter::new();
    write(&mut writer, 4, &raw(100, 8, 1, b"ab"));
    let out = write(&mut writer, 4, &raw(123, 8, 1, b"cd"));
    assert_eq!(out, [&fmt2(4, 23)[..], b"cd"].concat());
}

#[test]
fn repeated_length_type_and_delta_gets_format_3() {
    let mut writer = ChunkWriter::new();
    write(&mut writer, 4, &raw(100, 8, 1, b"ab"));
    write(&mut writer, 4, &raw(123, 8, 1, b"cd"));
    let out = write(&mut writer, 4, &raw(146, 8, 1, b"ef"));
    assert_eq!(out, [&basic(3, 4)[..], b"ef"].concat());
}

#[test]
fn never_format_3_right_after_format_0() {
    // Readers disagree on the delta that would imply.
    let mut writer = ChunkWriter::new();
    write(&mut writer, 4, &raw(100, 8, 1, b"ab"));
    let out = write(&mut writer, 4, &raw(200, 8, 1, b"cd"));
    assert_eq!(out, [&fmt2(4, 100)[..], b"cd"].concat());
}

#[test]
fn new_length_or_type_gets_format_1() {
    let mut writer = ChunkWriter::new();
    write(&mut writer, 4, &raw(100, 8, 1, b"ab"));
    let out = write(&mut writer, 4, &raw(140, 9, 1, b"cde"));
    assert_eq!(out, [&fmt1(4, 40, 3, 9)[..], b"cde"].concat());
}

#[test]
fn new_message_stream_id_gets_format_0() {
    let mut writer = ChunkWriter::new();
    write(&mut writer, 4, &raw(100, 8, 1, b"ab"));
    let out = write(&mut writer, 4, &raw(100, 8, 2, b"ab"));
    assert_eq!(out, [&fmt0(4, 100, 2, 8, 2)[..], b"ab"].concat());
}

#[test]
fn timestamp_going_backwards_gets_format_0() {
    let mut writer = ChunkWriter::new();
    write(&mut writer, 4, &raw(100, 8, 1, b"ab"));
    let out = write(&mut writer, 4, &raw(50, 8, 1, b"ab"));
    assert_eq!(out, [&fmt0(4, 50, 2, 8, 1)[..], b"ab"].concat());
}

#[test]
fn splits_payload_into_chunks_of_the_chunk_size() {
    let mut writer = ChunkWriter::new();
    let body: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
    let out = write(&mut writer, 5, &raw(0, 9, 1, &body));
    let expected = [
        &fmt0(5, 0, 300, 9, 1)[..],
        &body[..128],
        &basic(3, 5),
        &body[128..256],
        &basic(3, 5),
        &body[256..],
    ]
    .concat();
    assert_eq!(out, expected);
}

#[test]
fn continuation_chunks_repeat_the_extended_timestamp() {
    let mut writer = ChunkWriter::new();
    let body = [0x55u8; 200];
    let ts = 0x0100_0000u32;
    let out = write(&mut writer, 5, &raw(ts, 9, 1, &body));
    let expected = [
        &fmt0(5, ts, 200, 9, 1)[..],
        &body[..128],
        &basic(3, 5),
        &ts.to_be_bytes(),
        &body[128..],
    ]
    .concat();
    assert_eq!(out, expected);
}

#[test]
fn writes_two_and_three_byte_basic_headers() {
    let mut writer = ChunkWriter::new();
    assert_eq!(write(&mut writer, 64, &raw(0, 8, 1, b"a"))[..2], [0, 0]);
    assert_eq!(write(&mut writer, 320, &raw(0, 8, 1, b"a"))[..3], [1, 0, 1]);
    assert_eq!(
        write(&mut writer, 65599, &raw(0, 8, 1, b"a"))[..3],
        [1, 0xFF, 0xFF]
    );
}

#[test]
fn chunk_stream_ids_outside_2_to_65599_are_refused() {
    let mut writer = ChunkWriter::new();
    let mut out = Vec::new();
    for csid in [0, 1, 65600] {
        assert_eq!(
            writer.write(csid, &raw(0, 8, 1, b"a"), &mut out),
            Err(ChunkError::InvalidChunkStreamId(csid))
        );
    }
    assert!(out.is_empty());
}

#[test]
fn payload_longer_than_24_bits_is_refused() {
    let mut writer = ChunkWriter::new();
    let big = alloc::vec![0u8; 0x100_0000];
    let mut out = Vec::new();
    assert_eq!(
        writer.write(3, &raw(0, 9, 1, &big), &mut out),
        Err(ChunkError::MessageTooLong {
            length: 0x100_0000,
            max: 0xFF_FFFF
        })
    );
    assert!(out.is_empty());
}

#[test]
fn write_set_chunk_size_sends_the_message_then_switches() {
    let mut writer = ChunkWriter::new();
    let mut out = Vec::new();
    writer.write_set_chunk_size(4096, &mut out).unwrap();
    assert_eq!(
        out,
        [&fmt0(2, 0, 4, 1, 0)[..], &4096u32.to_be_bytes()].concat()
    );
    assert_eq!(writer.chunk_size(), 4096);
}

#[test]
fn invalid_chunk_size_is_refused_and_nothing_is_written() {
    let mut writer = ChunkWriter::new();
    let mut out = Vec::new();
    assert_eq!(
        writer.write_set_chunk_size(0x8000_0000, &mut out),
        Err(ChunkError::InvalidChunkSize(0x8000_0000))
    );
    assert!(out.is_empty());
    assert_eq!(writer.chunk_size(), DEFAULT_CHUNK_SIZE);
}

#[test]
fn write_message_encodes_control_messages() {
    let mut writer = ChunkWriter::new();
    let mut out = bytes::BytesMut::new();
    writer
        .write_message(2, 0, 0, &Message::WindowAckSize(2_500_000), &mut out)
        .unwrap();
    assert_eq!(
        &out[..],
        [&fmt0(2, 0, 4, 5, 0)[..], &2_500_000u32.to_be_bytes()].concat()
    );
}

#[test]
fn write_chunks_hands_out_header_and_payload_slices() {
    let mut writer = ChunkWriter::new();
    let body = [7u8; 130];
    let mut pieces = Vec::new();
    writer
        .write_chunks(3, 0, 9, 1, &body, |header, payload| {
            pieces.push((header.to_vec(), payload.len()))
        })
        .unwrap();
    assert_eq!(pieces, [(fmt0(3, 0, 130, 9, 1), 128), (basic(3, 3), 2)]);
}

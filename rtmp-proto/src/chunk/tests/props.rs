//! Properties: writer → reader is the identity under any chunk size, input
//! split and interleaving; the reader survives arbitrary bytes within its limits.

use super::*;
use alloc::collections::VecDeque;
use alloc::vec;
use proptest::prelude::*;

/// One message to send; the timestamp is a delta from the previous one sent.
#[derive(Debug, Clone)]
struct Msg {
    csid: u32,
    delta: u32,
    type_id: u8,
    stream_id: u32,
    payload: Vec<u8>,
}

fn delta() -> impl Strategy<Value = u32> {
    prop_oneof![
        3 => Just(0u32),
        3 => Just(20u32),
        3 => Just(40u32),
        3 => 0u32..100,
        1 => 0xFF_FFF0u32..0x100_0010,
        1 => any::<u32>(),
    ]
}

fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => Just(vec![0xAB; 10]),
        2 => Just(vec![0xCD; 200]),
        3 => proptest::collection::vec(any::<u8>(), 0..600),
    ]
}

fn msg(csids: &'static [u32]) -> impl Strategy<Value = Msg> {
    (
        proptest::sample::select(csids),
        delta(),
        // Not 1 (Set Chunk Size) or 2 (Abort): the reader acts on those.
        proptest::sample::select(&[3u8, 4, 8, 9, 15, 18, 20, 22, 0x7F][..]),
        0u32..3,
        payload(),
    )
        .prop_map(|(csid, delta, type_id, stream_id, payload)| Msg {
            csid,
            delta,
            type_id,
            stream_id,
            payload,
        })
}

const CSIDS: &[u32] = &[2, 3, 4, 5, 6, 63, 64, 319, 320, 65599];
const CSIDS_NO_CONTROL: &[u32] = &[3, 4, 5, 6, 63, 64, 319, 320, 65599];

#[derive(Debug, Clone)]
enum Op {
    Send(Msg),
    ChunkSize(u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        12 => msg(CSIDS).prop_map(Op::Send),
        1 => prop_oneof![1u32..=300, 1u32..=70_000].prop_map(Op::ChunkSize),
    ]
}

/// Feeds `bytes` to a fresh reader in pieces whose sizes cycle through `splits`.
fn read_in_pieces(bytes: &[u8], splits: &[usize]) -> Vec<ReceivedMessage> {
    let mut reader = ChunkReader::new();
    let mut input = BytesMut::new();
    let mut out = Vec::new();
    let mut rest = bytes;
    let mut sizes = splits.iter().cycle();
    while !rest.is_empty() {
        let n = (*sizes.next().unwrap()).min(rest.len());
        let (piece, tail) = rest.split_at(n);
        rest = tail;
        input.extend_from_slice(piece);
        reader.read_messages(&mut input, &mut out).unwrap();
    }
    assert!(input.is_empty());
    assert_eq!(reader.buffered_bytes(), 0);
    out
}

proptest! {
    #[test]
    fn writer_then_reader_is_identity_under_chunk_size_changes_and_any_split(
        ops in proptest::collection::vec(op(), 1..40),
        splits in proptest::collection::vec(1usize..400, 1..20),
    ) {
        let mut writer = ChunkWriter::new();
        let mut wire = Vec::new();
        let mut expected = Vec::new();
        let mut timestamp = 0u32;
        for op in &ops {
            match op {
                Op::Send(m) => {
                    timestamp = timestamp.wrapping_add(m.delta);
                    let message = raw(timestamp, m.type_id, m.stream_id, &m.payload);
                    writer.write(m.csid, &message, &mut wire).unwrap();
                    expected.push(ReceivedMessage { csid: m.csid, message });
                }
                Op::ChunkSize(size) => {
                    writer.write_set_chunk_size(*size, &mut wire).unwrap();
                    expected.push(ReceivedMessage {
                        csid: 2,
                        message: raw(0, 1, 0, &size.to_be_bytes()),
                    });
                }
            }
        }
        prop_assert_eq!(read_in_pieces(&wire, &splits), expected);
    }

    #[test]
    fn interleaved_chunk_streams_reassemble_in_order_per_stream(
        phases in proptest::collection::vec(
            (1u32..=300, proptest::collection::vec(msg(CSIDS_NO_CONTROL), 1..20)),
            1..4,
        ),
        picks in proptest::collection::vec(any::<usize>(), 1..50),
        splits in proptest::collection::vec(1usize..300, 1..10),
    ) {
        let mut writer = ChunkWriter::new();
        let mut wire = Vec::new();
        let mut sent: Vec<(u32, RawMessage)> = Vec::new();
        let mut timestamp = 0u32;
        let mut pick = picks.iter().cycle();
        for (chunk_size, messages) in &phases {
            writer.write_set_chunk_size(*chunk_size, &mut wire).unwrap();
            // Each chunk stream's chunks, in order.
            let mut queues: Vec<(u32, VecDeque<Vec<u8>>)> = Vec::new();
            for m in messages {
                timestamp = timestamp.wrapping_add(m.delta);
                let message = raw(timestamp, m.type_id, m.stream_id, &m.payload);
                let index = match queues.iter().position(|(c, _)| *c == m.csid) {
                    Some(i) => i,
                    None => {
                        queues.push((m.csid, VecDeque::new()));
                        queues.len() - 1
                    }
                };
                let queue = &mut queues[index].1;
                writer
                    .write_chunks(m.csid, message.timestamp, message.type_id, message.stream_id,
                        &message.payload, |h, p| queue.push_back([h, p].concat()))
                    .unwrap();
                sent.push((m.csid, message));
            }
            // Interleave chunks of different chunk streams at random.
            loop {
                let live: Vec<usize> =
                    (0..queues.len()).filter(|&i| !queues[i].1.is_empty()).collect();
                if live.is_empty() {
                    break;
                }
                let i = live[*pick.next().unwrap() % live.len()];
                wire.extend_from_slice(&queues[i].1.pop_front().unwrap());
            }
        }
        let received: Vec<ReceivedMessage> = read_in_pieces(&wire, &splits)
            .into_iter()
            .filter(|m| m.csid != 2)
            .collect();
        prop_assert_eq!(received.len(), sent.len());
        for csid in CSIDS_NO_CONTROL {
            let want: Vec<&RawMessage> =
                sent.iter().filter(|(c, _)| c == csid).map(|(_, m)| m).collect();
            let got: Vec<&RawMessage> =
                received.iter().filter(|m| m.csid == *csid).map(|m| &m.message).collect();
            prop_assert_eq!(got, want, "chunk stream {}", csid);
        }
    }

    #[test]
    fn reader_never_panics_and_stays_within_its_limits_on_arbitrary_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..3000),
        splits in proptest::collection::vec(1usize..64, 1..10),
    ) {
        let limits = ChunkLimits {
            max_message_length: 1000,
            max_chunk_streams: 4,
            max_buffered_bytes: 1500,
        };
        let mut reader = ChunkReader::with_limits(limits);
        let mut input = BytesMut::new();
        let mut rest = &bytes[..];
        let mut sizes = splits.iter().cycle();
        'feed: while !rest.is_empty() {
            let n = (*sizes.next().unwrap()).min(rest.len());
            let (piece, tail) = rest.split_at(n);
            rest = tail;
            input.extend_from_slice(piece);
            loop {
                match reader.read_message(&mut input) {
                    Ok(Some(m)) => prop_assert!(m.message.payload.len() <= 1000),
                    Ok(None) => break,
                    Err(_) => break 'feed,
                }
                prop_assert!(reader.buffered_bytes() <= 1500);
                prop_assert!(reader.chunk_stream_count() <= 4);
            }
        }
        prop_assert!(reader.buffered_bytes() <= 1500);
        prop_assert!(reader.chunk_stream_count() <= 4);
    }
}

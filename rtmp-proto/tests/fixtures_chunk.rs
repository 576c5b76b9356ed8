//! Real byte streams from ffmpeg and nginx-rtmp through our handshake and chunk reader.
//!
//! The captures (see `tests/data/`): ffmpeg 5.1 publishing `source.flv` to
//! nginx-rtmp (`chunk_size 4096`), and ffmpeg playing it back for 4 s.
//! `source.packets.csv` and `played.packets.csv` are ffprobe's packet lists
//! (`stream_index(0 video, 1 audio),pts_ms,dts_ms,size,flags`) of the file
//! published and of the file the player wrote.

use bytes::BytesMut;
use rtmp_proto::chunk::ChunkReader;
use rtmp_proto::handshake::{ClientConfig, DigestScheme, Handshake, HandshakeForm, ServerConfig};
use rtmp_proto::message::{Message, RawMessage, type_id};

const PUBLISH_C2S: &[u8] = include_bytes!("data/rtmp-ffmpeg-publish-to-nginx.client-to-server.bin");
const PLAY_S2C: &[u8] = include_bytes!("data/rtmp-ffmpeg-play-from-nginx.server-to-client.bin");
const SOURCE_CSV: &str = include_str!("data/source.packets.csv");
const PLAYED_CSV: &str = include_str!("data/played.packets.csv");

/// A small deterministic generator for split sizes.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn fill(byte: u8) -> impl FnMut(&mut [u8]) {
    move |buf: &mut [u8]| buf.fill(byte)
}

/// Feeds `stream` in pieces of 1..=max_piece bytes (seeded) to the
/// handshake, then what follows it to a chunk reader; returns the messages.
fn drive(mut handshake: Handshake, stream: &[u8], seed: u64, max_piece: u64) -> Vec<RawMessage> {
    let mut rng = XorShift(seed);
    let mut reader = ChunkReader::new();
    let mut buffer = BytesMut::new();
    let mut messages = Vec::new();
    let mut rest = stream;
    while !rest.is_empty() {
        let n = (rng.next() % max_piece + 1).min(rest.len() as u64) as usize;
        let (mut piece, tail) = rest.split_at(n);
        rest = tail;
        if !handshake.is_done() {
            let used = handshake
                .receive(piece)
                .expect("handshake accepts the capture");
            piece = &piece[used..];
        }
        buffer.extend_from_slice(piece);
        while let Some(received) = reader
            .read_message(&mut buffer)
            .expect("valid chunk stream")
        {
            messages.push(received.message);
        }
    }
    assert!(handshake.is_done(), "handshake finished");
    assert!(buffer.is_empty(), "no bytes left over: {}", buffer.len());
    assert_eq!(reader.buffered_bytes(), 0, "no partial message left");
    messages
}

/// (dts, pts, size) rows of one stream of an ffprobe packet list.
fn csv_frames(csv: &str, stream_index: &str) -> Vec<(i64, i64, usize)> {
    csv.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            (fields[0] == stream_index).then(|| {
                (
                    fields[2].parse().unwrap(),
                    fields[1].parse().unwrap(),
                    fields[3].parse().unwrap(),
                )
            })
        })
        .collect()
}

/// The AMF0 command name a command or data payload starts with.
fn command_name(message: &RawMessage) -> String {
    let p = &message.payload;
    assert_eq!(p[0], 2, "AMF0 string marker");
    let len = u16::from_be_bytes([p[1], p[2]]) as usize;
    String::from_utf8(p[3..3 + len].to_vec()).unwrap()
}

/// FLV video: byte 1 is the AVC packet type (0 sequence header, 1 NALU, 2 end of sequence).
fn avc_packet_type(message: &RawMessage) -> u8 {
    message.payload[1]
}

/// FLV audio: byte 1 is the AAC packet type (0 sequence header, 1 raw).
fn aac_packet_type(message: &RawMessage) -> u8 {
    message.payload[1]
}

/// (dts, pts, size as ffprobe counts it) of the coded frames among `messages`.
fn rtmp_frames(messages: &[RawMessage], kind: u8, base: u32) -> Vec<(i64, i64, usize)> {
    messages
        .iter()
        .filter(|m| m.type_id == kind)
        .filter(|m| match kind {
            type_id::VIDEO => avc_packet_type(m) == 1,
            _ => aac_packet_type(m) == 1,
        })
        .map(|m| {
            let dts = i64::from(m.timestamp) - i64::from(base);
            match kind {
                type_id::VIDEO => {
                    let p = &m.payload;
                    let cts = i64::from(u32::from_be_bytes([0, p[2], p[3], p[4]]));
                    (dts, dts + cts, p.len() - 5)
                }
                _ => (dts, dts, m.payload.len() - 2),
            }
        })
        .collect()
}

fn publish_messages(seed: u64, max_piece: u64) -> Vec<RawMessage> {
    let server = Handshake::server(ServerConfig::default(), fill(0x5A));
    drive(server, PUBLISH_C2S, seed, max_piece)
}

#[test]
fn our_server_answers_ffmpegs_digest_c1_with_scheme_0() {
    let mut server = Handshake::server(ServerConfig::default(), fill(1));
    let used = server.receive(PUBLISH_C2S).unwrap();
    assert_eq!(used, 1 + 1536 + 1536);
    assert!(server.is_done());
    assert_eq!(
        server.form(),
        Some(HandshakeForm::Digest(DigestScheme::Scheme0))
    );
    assert_eq!(server.peer_version(), Some([9, 0, 124, 2]));
}

#[test]
fn our_client_finds_nginxs_s1_digest() {
    let mut client = Handshake::client(ClientConfig::default(), fill(1));
    let used = client.receive(PLAY_S2C).unwrap();
    assert_eq!(used, 1 + 1536 + 1536);
    assert!(client.is_done());
    assert_eq!(
        client.form(),
        Some(HandshakeForm::Digest(DigestScheme::Scheme0))
    );
    assert_eq!(client.peer_version(), Some([13, 14, 10, 13]));
    // nginx's S2 answers ffmpeg's C1, not ours.
    assert_eq!(client.peer_response_valid(), Some(false));
}

#[test]
fn publish_starts_with_connect_then_set_chunk_size_4096() {
    let messages = publish_messages(1, 1500);
    assert_eq!(messages[0].type_id, type_id::COMMAND_AMF0);
    assert_eq!(command_name(&messages[0]), "connect");
    assert_eq!(messages[1].decode(), Ok(Message::SetChunkSize(4096)));
}

#[test]
fn publish_commands_come_in_ffmpegs_order() {
    let messages = publish_messages(2, 700);
    let commands: Vec<String> = messages
        .iter()
        .filter(|m| m.type_id == type_id::COMMAND_AMF0 || m.type_id == type_id::DATA_AMF0)
        .map(command_name)
        .collect();
    assert_eq!(
        commands,
        [
            "connect",
            "releaseStream",
            "FCPublish",
            "createStream",
            "publish",
            "@setDataFrame",
            "FCUnpublish",
            "deleteStream"
        ]
    );
}

#[test]
fn publish_media_counts_match_the_source_plus_sequence_headers() {
    let messages = publish_messages(3, 4000);
    let count = |t: u8| messages.iter().filter(|m| m.type_id == t).count();
    let video_rows = csv_frames(SOURCE_CSV, "0").len();
    let audio_rows = csv_frames(SOURCE_CSV, "1").len();
    // ffmpeg sends an AVC sequence header first and an AVC end-of-sequence
    // last; an AAC sequence header first. None of them is a packet in the csv.
    assert_eq!(count(type_id::VIDEO), video_rows + 2);
    assert_eq!(count(type_id::AUDIO), audio_rows + 1);
    let video: Vec<&RawMessage> = messages
        .iter()
        .filter(|m| m.type_id == type_id::VIDEO)
        .collect();
    assert_eq!(avc_packet_type(video[0]), 0);
    assert_eq!(avc_packet_type(video[video.len() - 1]), 2);
}

#[test]
fn publish_frames_match_the_source_timestamps_and_sizes() {
    let messages = publish_messages(4, 300);
    assert_eq!(
        rtmp_frames(&messages, type_id::VIDEO, 0),
        csv_frames(SOURCE_CSV, "0")
    );
    assert_eq!(
        rtmp_frames(&messages, type_id::AUDIO, 0),
        csv_frames(SOURCE_CSV, "1")
    );
}

#[test]
fn publish_reads_the_same_one_byte_at_a_time() {
    assert_eq!(publish_messages(5, 1), publish_messages(6, 65536));
}

#[test]
fn publish_last_message_timestamp_is_plausible() {
    let messages = publish_messages(7, 2000);
    let last_media = messages
        .iter()
        .filter(|m| m.type_id == type_id::AUDIO || m.type_id == type_id::VIDEO)
        .map(|m| m.timestamp)
        .max()
        .unwrap();
    // 8 s of media.
    assert!((7900..=8100).contains(&last_media), "{last_media}");
}

fn play_messages(seed: u64, max_piece: u64) -> Vec<RawMessage> {
    let client = Handshake::client(ClientConfig::default(), fill(0xA5));
    drive(client, PLAY_S2C, seed, max_piece)
}

#[test]
fn play_starts_with_nginxs_control_messages() {
    let messages = play_messages(8, 900);
    let first: Vec<Message> = messages[..3].iter().map(|m| m.decode().unwrap()).collect();
    assert_eq!(first[0], Message::WindowAckSize(5_000_000));
    assert!(matches!(
        first[1],
        Message::SetPeerBandwidth {
            window_size: 5_000_000,
            ..
        }
    ));
    assert_eq!(first[2], Message::SetChunkSize(4096));
    assert_eq!(command_name(&messages[3]), "_result");
}

#[test]
fn play_frames_written_by_ffmpeg_are_a_prefix_of_those_received() {
    let messages = play_messages(9, 3000);
    // ffmpeg's FLV muxer rebases on the first coded frame: the first raw AAC frame.
    let base = messages
        .iter()
        .find(|m| m.type_id == type_id::AUDIO && aac_packet_type(m) == 1)
        .unwrap()
        .timestamp;
    for (kind, index) in [(type_id::VIDEO, "0"), (type_id::AUDIO, "1")] {
        let received = rtmp_frames(&messages, kind, base);
        let written = csv_frames(PLAYED_CSV, index);
        assert!(!written.is_empty());
        assert_eq!(received[..written.len()], written[..], "stream {index}");
        // ffmpeg stopped after 4 s; nginx had sent at most a frame more.
        assert!(received.len() - written.len() <= 1, "stream {index}");
    }
}

#[test]
fn play_ends_with_stream_eof_and_a_plausible_timestamp() {
    let messages = play_messages(10, 100);
    let last = messages.last().unwrap();
    assert!(matches!(
        last.decode(),
        Ok(Message::UserControl(
            rtmp_proto::message::UserControlEvent::StreamEof { stream_id: 1 }
        ))
    ));
    let last_media = messages
        .iter()
        .filter(|m| m.type_id == type_id::AUDIO || m.type_id == type_id::VIDEO)
        .map(|m| m.timestamp)
        .max()
        .unwrap();
    // Joined about 1 s into the live stream, played about 4 s.
    assert!((4500..=5500).contains(&last_media), "{last_media}");
}

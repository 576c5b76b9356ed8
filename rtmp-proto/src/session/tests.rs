//! A server and a client session talking to each other in memory.

use alloc::vec::Vec;
use bytes::Bytes;
use proptest::prelude::*;

use super::*;
use crate::amf0::Value;
use crate::media::{MediaKind, Metadata};

/// What the server does with each request.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Policy {
    AcceptAll,
    RejectConnect,
    RejectPublish,
    RejectPlay,
    /// Leave requests pending.
    Hold,
}

struct Pair {
    server: ServerSession,
    client: ClientSession,
    now: u64,
    policy: Policy,
    server_events: Vec<ServerEvent>,
    client_events: Vec<ClientEvent>,
    /// Every byte the client sent, in order.
    client_bytes: Vec<u8>,
}

impl Pair {
    fn new(server_config: ServerConfig, policy: Policy) -> Self {
        let config = ClientConfig::new("rtmp://localhost/live", "live");
        Self::with_client(server_config, config, policy)
    }

    fn with_client(server_config: ServerConfig, config: ClientConfig, policy: Policy) -> Self {
        Self {
            server: ServerSession::new(server_config, |b| b.fill(1), Instant::ZERO),
            client: ClientSession::new(config, |b| b.fill(2), Instant::ZERO),
            now: 0,
            policy,
            server_events: Vec::new(),
            client_events: Vec::new(),
            client_bytes: Vec::new(),
        }
    }

    fn answer(&mut self, event: &ServerEvent) {
        let (request, reject) = match event {
            ServerEvent::ConnectRequest { request, .. } => {
                (*request, self.policy == Policy::RejectConnect)
            }
            ServerEvent::PublishRequest { request, .. } => {
                (*request, self.policy == Policy::RejectPublish)
            }
            ServerEvent::PlayRequest { request, .. } => {
                (*request, self.policy == Policy::RejectPlay)
            }
            _ => return,
        };
        match (self.policy, reject) {
            (Policy::Hold, _) => {}
            (_, true) => self.server.reject(request, "go away").unwrap(),
            (_, false) => self.server.accept(request).unwrap(),
        }
    }

    /// Moves bytes both ways until neither side has anything to say.
    fn run(&mut self) {
        let mut to_server = Vec::new();
        for _ in 0..1000 {
            self.now += 1;
            let now = Instant::from_millis(self.now);
            for output in self.client.poll_outputs() {
                match output {
                    Output::Transmit(b) => to_server.extend_from_slice(&b),
                    Output::Event(e) => self.client_events.push(e),
                }
            }
            let mut outputs = self.server.poll_outputs();
            if !to_server.is_empty() {
                self.client_bytes.extend_from_slice(&to_server);
                self.server
                    .handle_input_into(Input::Bytes(&to_server), now, &mut outputs);
                to_server.clear();
            }
            let mut to_client = Vec::new();
            while !outputs.is_empty() {
                for output in core::mem::take(&mut outputs) {
                    match output {
                        Output::Transmit(b) => to_client.extend_from_slice(&b),
                        Output::Event(e) => {
                            self.answer(&e);
                            self.server_events.push(e);
                        }
                    }
                }
                self.server.poll_outputs_into(&mut outputs);
            }
            if to_client.is_empty() {
                let idle = self.client.poll_outputs();
                if idle.is_empty() {
                    return;
                }
                for output in idle {
                    match output {
                        Output::Transmit(b) => to_server.extend_from_slice(&b),
                        Output::Event(e) => self.client_events.push(e),
                    }
                }
                continue;
            }
            for output in self.client.handle_input(Input::Bytes(&to_client), now) {
                match output {
                    Output::Transmit(b) => to_server.extend_from_slice(&b),
                    Output::Event(e) => self.client_events.push(e),
                }
            }
        }
        panic!("the sessions never went quiet");
    }

    fn publishing(policy: Policy) -> Self {
        let mut pair = Self::new(ServerConfig::default(), policy);
        pair.client
            .publish("key?token=abc", PublishType::Live)
            .unwrap();
        pair.run();
        pair
    }

    fn playing(policy: Policy) -> Self {
        let mut pair = Self::new(ServerConfig::default(), policy);
        pair.client.play("key").unwrap();
        pair.run();
        pair
    }

    /// Hands the client bytes that did not come from the server session.
    fn client_input(&mut self, bytes: &[u8]) {
        self.now += 1;
        let outputs = self
            .client
            .handle_input(Input::Bytes(bytes), Instant::from_millis(self.now));
        for output in outputs {
            if let Output::Event(e) = output {
                self.client_events.push(e);
            }
        }
    }

    fn server_closed(&self) -> Option<&CloseReason> {
        self.server_events.iter().find_map(|e| match e {
            ServerEvent::Closed { reason } => Some(reason),
            _ => None,
        })
    }

    fn client_closed(&self) -> Option<&CloseReason> {
        self.client_events.iter().find_map(|e| match e {
            ClientEvent::Closed { reason } => Some(reason),
            _ => None,
        })
    }
}

fn metadata() -> Metadata {
    Metadata::new(
        0,
        Value::ecma_array([("width", 640.0.into()), ("height", 360.0.into())]),
    )
}

#[test]
fn connect_request_carries_app_tc_url_and_flash_ver() {
    let pair = Pair::publishing(Policy::AcceptAll);
    let info = pair
        .server_events
        .iter()
        .find_map(|e| match e {
            ServerEvent::ConnectRequest { info, .. } => Some(info),
            _ => None,
        })
        .unwrap();
    assert_eq!(info.app, "live");
    assert_eq!(info.tc_url.as_deref(), Some("rtmp://localhost/live"));
    assert_eq!(
        info.flash_ver.as_deref(),
        Some("FMLE/3.0 (compatible; rtmp-proto)")
    );
    assert_eq!(info.object_encoding, 0.0);
}

#[test]
fn publish_request_splits_the_query_from_the_stream_key() {
    let pair = Pair::publishing(Policy::AcceptAll);
    let publish = pair
        .server_events
        .iter()
        .find_map(|e| match e {
            ServerEvent::PublishRequest { publish, .. } => Some(publish),
            _ => None,
        })
        .unwrap();
    assert_eq!(publish.name, "key");
    assert_eq!(publish.query.as_deref(), Some("token=abc"));
    assert_eq!(publish.kind, PublishType::Live);
}

#[test]
fn accepted_publish_reports_connected_stream_created_and_publish_started() {
    let pair = Pair::publishing(Policy::AcceptAll);
    let milestones: Vec<&ClientEvent> = pair
        .client_events
        .iter()
        .filter(|e| !matches!(e, ClientEvent::Status { .. }))
        .collect();
    assert!(matches!(milestones[0], ClientEvent::HandshakeDone));
    assert!(
        matches!(milestones[1], ClientEvent::Connected { status } if status.code == "NetConnection.Connect.Success")
    );
    assert_eq!(
        milestones[2],
        &ClientEvent::StreamCreated {
            stream: StreamId(1)
        }
    );
    assert_eq!(
        milestones[3],
        &ClientEvent::PublishStarted {
            stream: StreamId(1)
        }
    );
    assert_eq!(milestones.len(), 4);
}

#[test]
fn published_metadata_and_media_reach_the_server_with_the_stream_handle() {
    let mut pair = Pair::publishing(Policy::AcceptAll);
    pair.client.send_metadata(&metadata()).unwrap();
    let video = Bytes::from_static(&[0x17, 1, 0, 0, 0, 0, 0, 0, 2, 9, 9]);
    let audio = Bytes::from_static(&[0xAF, 1, 0x21, 0x10]);
    pair.client
        .send_media(MediaKind::Video, 40, video.clone())
        .unwrap();
    pair.client
        .send_media(MediaKind::Audio, 45, audio.clone())
        .unwrap();
    pair.run();
    let tail: Vec<&ServerEvent> = pair.server_events.iter().rev().take(3).rev().collect();
    assert_eq!(
        tail[0],
        &ServerEvent::Metadata {
            stream: StreamId(1),
            metadata: metadata()
        }
    );
    assert_eq!(
        tail[1],
        &ServerEvent::Video {
            stream: StreamId(1),
            timestamp: 40,
            body: video
        }
    );
    assert_eq!(
        tail[2],
        &ServerEvent::Audio {
            stream: StreamId(1),
            timestamp: 45,
            body: audio
        }
    );
}

#[test]
fn server_announces_its_chunk_size_and_reads_the_clients() {
    let pair = Pair::publishing(Policy::AcceptAll);
    assert_eq!(pair.server.chunk_size(), 4096);
    assert_eq!(pair.server.peer_chunk_size(), 4096);
    assert_eq!(pair.client.peer_chunk_size(), 4096);
}

#[test]
fn accepted_play_reports_play_started_and_delivers_what_the_server_sends() {
    let mut pair = Pair::playing(Policy::AcceptAll);
    assert!(pair.client_events.contains(&ClientEvent::PlayStarted {
        stream: StreamId(1)
    }));
    let stream = StreamId(1);
    pair.server.send_metadata(stream, &metadata()).unwrap();
    let video = Bytes::from_static(&[0x27, 1, 0, 0, 0, 0, 0, 0, 2, 9, 9]);
    pair.server
        .send_media(stream, MediaKind::Video, 1000, video.clone())
        .unwrap();
    pair.run();
    let tail: Vec<&ClientEvent> = pair.client_events.iter().rev().take(2).rev().collect();
    assert_eq!(
        tail[0],
        &ClientEvent::Metadata {
            stream,
            metadata: metadata()
        }
    );
    assert_eq!(
        tail[1],
        &ClientEvent::Video {
            stream,
            timestamp: 1000,
            body: video
        }
    );
}

#[test]
fn accepted_play_sends_reset_start_and_sample_access() {
    let pair = Pair::playing(Policy::AcceptAll);
    let codes: Vec<&str> = pair
        .client_events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Status { status, .. } => Some(status.code.as_str()),
            ClientEvent::PlayStarted { .. } => Some("NetStream.Play.Start"),
            ClientEvent::Data { .. } => Some("data"),
            _ => None,
        })
        .collect();
    assert_eq!(
        codes,
        ["NetStream.Play.Reset", "NetStream.Play.Start", "data"]
    );
}

#[test]
fn accepted_play_reports_stream_begin_before_play_started_and_ignores_nothing() {
    let pair = Pair::playing(Policy::AcceptAll);
    let begin = pair
        .client_events
        .iter()
        .position(|e| {
            *e == ClientEvent::StreamBegin {
                stream: StreamId(1),
            }
        })
        .expect("Stream Begin reported");
    let started = pair
        .client_events
        .iter()
        .position(|e| matches!(e, ClientEvent::PlayStarted { .. }))
        .expect("play started");
    assert!(begin < started);
    assert_eq!(pair.client.counters().ignored_messages, 0);
}

#[test]
fn unpublish_notify_reports_stream_eof_then_the_unpublish_status() {
    let mut pair = Pair::playing(Policy::AcceptAll);
    let before = pair.client_events.len();
    pair.server.unpublish_notify(StreamId(1)).unwrap();
    pair.run();
    let after = pair.client_events.get(before..).unwrap();
    assert_eq!(
        after.first(),
        Some(&ClientEvent::StreamEof {
            stream: StreamId(1)
        })
    );
    assert!(matches!(
        after.get(1),
        Some(ClientEvent::Status { stream: StreamId(1), status })
            if status.code == "NetStream.Play.UnpublishNotify"
    ));
    assert_eq!(pair.client.counters().ignored_messages, 0);
}

#[test]
fn stream_dry_on_any_stream_is_reported_with_the_stream_it_names() {
    let mut pair = Pair::playing(Policy::AcceptAll);
    let mut control = Vec::new();
    let mut writer = crate::chunk::ChunkWriter::new();
    writer
        .write_message(
            2,
            0,
            0,
            &crate::message::Message::UserControl(crate::message::UserControlEvent::StreamDry {
                stream_id: 7,
            }),
            &mut control,
        )
        .unwrap();
    // The server's writer already sent on chunk stream 2 with a full header,
    // so a type-0 header from a fresh writer is read as a new message.
    let events = pair
        .client
        .handle_input(Input::Bytes(&control), Instant::from_millis(5000));
    assert!(events.iter().any(|o| o.as_event()
        == Some(&ClientEvent::StreamDry {
            stream: StreamId(7)
        })));
}

#[test]
fn rejected_connect_is_an_error_result_with_connect_rejected() {
    let pair = Pair::publishing(Policy::RejectConnect);
    match pair.client_closed() {
        Some(CloseReason::PeerRejected(status)) => {
            assert_eq!(status.code, "NetConnection.Connect.Rejected");
            assert_eq!(status.description, "go away");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(pair.server_closed(), Some(&CloseReason::Rejected));
}

#[test]
fn rejected_publish_is_bad_name() {
    let pair = Pair::publishing(Policy::RejectPublish);
    match pair.client_closed() {
        Some(CloseReason::PeerRejected(status)) => {
            assert_eq!(status.code, "NetStream.Publish.BadName")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(pair.server_closed(), Some(&CloseReason::Rejected));
}

#[test]
fn rejected_play_is_stream_not_found() {
    let pair = Pair::playing(Policy::RejectPlay);
    match pair.client_closed() {
        Some(CloseReason::PeerRejected(status)) => {
            assert_eq!(status.code, "NetStream.Play.StreamNotFound")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn client_close_unpublishes_and_the_server_reports_publish_finished() {
    let mut pair = Pair::publishing(Policy::AcceptAll);
    pair.client.close();
    pair.run();
    assert!(pair.server_events.contains(&ServerEvent::PublishFinished {
        stream: StreamId(1)
    }));
    assert_eq!(pair.client_closed(), Some(&CloseReason::Local));
    assert!(
        pair.server_closed().is_none(),
        "the TCP close is the embedder's"
    );
}

#[test]
fn transport_close_finishes_the_publishing_stream_then_closes() {
    let mut pair = Pair::publishing(Policy::AcceptAll);
    let out = pair
        .server
        .handle_input(Input::TransportClosed, Instant::from_secs_for_test(9));
    let events: Vec<&ServerEvent> = out.iter().filter_map(Output::as_event).collect();
    assert_eq!(
        events,
        [
            &ServerEvent::PublishFinished {
                stream: StreamId(1)
            },
            &ServerEvent::Closed {
                reason: CloseReason::TransportClosed
            }
        ]
    );
}

#[test]
fn pending_request_holds_further_messages_until_answered() {
    let mut pair = Pair::publishing(Policy::Hold);
    let request = pair.server.pending_request().unwrap();
    assert!(
        pair.server.buffered_input() > 0,
        "createStream and the rest wait"
    );
    assert!(
        !pair
            .client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::Connected { .. }))
    );
    pair.server.accept(request).unwrap();
    pair.run();
    assert!(
        pair.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::Connected { .. }))
    );
}

#[test]
fn answering_an_unknown_request_is_an_error_and_changes_nothing() {
    let mut pair = Pair::publishing(Policy::Hold);
    let pending = pair.server.pending_request().unwrap();
    let other = RequestId(pending.0 + 1);
    assert_eq!(
        pair.server.accept(other),
        Err(SessionError::UnknownRequest(other))
    );
    assert_eq!(pair.server.pending_request(), Some(pending));
}

#[test]
fn sending_media_to_a_stream_that_is_not_playing_is_refused() {
    let mut pair = Pair::publishing(Policy::AcceptAll);
    let stream = StreamId(1);
    assert_eq!(
        pair.server
            .send_media(stream, MediaKind::Audio, 0, Bytes::new()),
        Err(SessionError::StreamNotReady(stream))
    );
}

#[test]
fn client_acknowledges_once_the_servers_window_is_crossed() {
    let config = ServerConfig {
        window_ack_size: 2_000,
        ..ServerConfig::default()
    };
    let mut pair = Pair::new(config, Policy::AcceptAll);
    pair.client.play("key").unwrap();
    pair.run();
    pair.server
        .send_media(
            StreamId(1),
            MediaKind::Audio,
            0,
            Bytes::from(alloc::vec![0xAF; 3_000]),
        )
        .unwrap();
    pair.run();
    assert!(pair.server.counters().peer_acknowledged >= 2_000);
}

#[test]
fn server_counts_every_byte_the_client_sent() {
    let pair = Pair::publishing(Policy::AcceptAll);
    assert_eq!(
        pair.server.counters().bytes_received,
        pair.client_bytes.len() as u64
    );
    assert_eq!(
        pair.client.counters().bytes_sent,
        pair.client_bytes.len() as u64
    );
}

#[test]
fn ping_request_is_answered_with_its_timestamp() {
    let mut pair = Pair::publishing(Policy::AcceptAll);
    pair.now = 41_999;
    pair.server
        .handle_input(Input::Timeout, Instant::from_millis(42_000));
    pair.server.ping().unwrap();
    pair.run();
    assert!(
        pair.server_events
            .contains(&ServerEvent::PingResponse { timestamp: 42_000 })
    );
}

#[test]
fn ping_interval_arms_the_timer_once_connected() {
    let config = ServerConfig {
        ping_interval: Some(core::time::Duration::from_secs(5)),
        ..ServerConfig::default()
    };
    let mut pair = Pair::new(config, Policy::AcceptAll);
    assert_eq!(pair.server.next_timeout(), None);
    pair.client.publish("key", PublishType::Live).unwrap();
    pair.run();
    let at = pair.server.next_timeout().unwrap();
    let out = pair.server.handle_input(Input::Timeout, at);
    assert!(matches!(&out[..], [Output::Transmit(_)]));
    assert!(pair.server.next_timeout().unwrap() > at);
}

#[test]
fn a_bad_version_byte_closes_with_a_handshake_error() {
    let mut server = ServerSession::new(ServerConfig::default(), |b| b.fill(0), Instant::ZERO);
    let out = server.handle_input(Input::Bytes(&[6]), Instant::ZERO);
    assert!(matches!(
        &out[..],
        [Output::Event(ServerEvent::Closed {
            reason: CloseReason::Handshake(_)
        })]
    ));
    assert!(server.is_closed());
}

#[test]
fn too_many_create_streams_close_the_session() {
    let config = ServerConfig {
        max_streams: 1,
        ..ServerConfig::default()
    };
    let mut pair = Pair::new(config, Policy::AcceptAll);
    pair.client.publish("key", PublishType::Live).unwrap();
    pair.run();
    // A second createStream, hand-made on the client's chunk stream.
    let mut writer = crate::chunk::ChunkWriter::new();
    writer.set_chunk_size(4096).unwrap();
    let message = command::command(&["createStream".into(), 9.0.into(), Value::Null]).unwrap();
    let mut bytes = Vec::new();
    writer.write_message(3, 0, 0, &message, &mut bytes).unwrap();
    let out = pair
        .server
        .handle_input(Input::Bytes(&bytes), Instant::from_millis(99_000));
    assert!(out.iter().any(|o| o.as_event()
        == Some(&ServerEvent::Closed {
            reason: CloseReason::TooManyStreams { max: 1 }
        })));
}

#[test]
fn input_beyond_the_backlog_while_a_request_is_pending_closes_the_session() {
    let config = ServerConfig {
        max_input_backlog: 10_000,
        ..ServerConfig::default()
    };
    let mut pair = Pair::new(config, Policy::Hold);
    pair.client.publish("key", PublishType::Live).unwrap();
    pair.run();
    let out = pair
        .server
        .handle_input(Input::Bytes(&[0u8; 10_001]), Instant::from_millis(99_000));
    assert!(out.iter().any(|o| o.as_event()
        == Some(&ServerEvent::Closed {
            reason: CloseReason::InputBacklogExceeded { max: 10_000 }
        })));
}

#[test]
fn strict_client_refuses_an_s2_that_does_not_answer_its_c1() {
    let mut config = ClientConfig::new("rtmp://localhost/live", "live");
    config.require_valid_handshake_response = true;
    let mut client = ClientSession::new(config, |b| b.fill(2), Instant::ZERO);
    let _c0c1 = client.poll_outputs();
    let mut s0s1s2 = alloc::vec![3u8];
    s0s1s2.extend_from_slice(&[0u8; 2 * 1536]);
    let out = client.handle_input(Input::Bytes(&s0s1s2), Instant::ZERO);
    assert!(out.iter().any(|o| o.as_event()
        == Some(&ClientEvent::Closed {
            reason: CloseReason::HandshakeResponseInvalid
        })));
}

#[test]
fn time_never_runs_backwards() {
    let config = ServerConfig {
        ping_interval: Some(core::time::Duration::from_secs(5)),
        ..ServerConfig::default()
    };
    let mut pair = Pair::new(config, Policy::AcceptAll);
    pair.client.publish("key", PublishType::Live).unwrap();
    pair.run();
    let at = pair.server.next_timeout().unwrap();
    // An earlier `now` is the last one seen: the ping is not due.
    let out = pair.server.handle_input(Input::Timeout, Instant::ZERO);
    assert!(out.is_empty());
    assert_eq!(pair.server.next_timeout(), Some(at));
}

impl Instant {
    fn from_secs_for_test(s: u64) -> Self {
        Instant::from_millis(s * 1000)
    }
}

/// The events a server raises for `bytes` fed in pieces of the given sizes,
/// accepting every request.
fn server_events_for(bytes: &[u8], sizes: &[usize]) -> Vec<ServerEvent> {
    let mut server = ServerSession::new(ServerConfig::default(), |b| b.fill(1), Instant::ZERO);
    let mut events = Vec::new();
    let mut rest = bytes;
    let mut sizes = sizes.iter().cycle();
    let mut outputs = Vec::new();
    while !rest.is_empty() {
        let n = (*sizes.next().unwrap_or(&1)).clamp(1, rest.len());
        let (piece, tail) = rest.split_at(n);
        rest = tail;
        server.handle_input_into(Input::Bytes(piece), Instant::ZERO, &mut outputs);
        while !outputs.is_empty() {
            for output in core::mem::take(&mut outputs) {
                if let Output::Event(e) = output {
                    match &e {
                        ServerEvent::ConnectRequest { request, .. }
                        | ServerEvent::PublishRequest { request, .. }
                        | ServerEvent::PlayRequest { request, .. } => {
                            server.accept(*request).unwrap()
                        }
                        _ => {}
                    }
                    events.push(e);
                }
            }
            server.poll_outputs_into(&mut outputs);
        }
    }
    events
}

/// The bytes a client sends to publish, with metadata and a few frames.
fn publisher_bytes() -> Vec<u8> {
    let mut pair = Pair::publishing(Policy::AcceptAll);
    pair.client.send_metadata(&metadata()).unwrap();
    for i in 0..5u32 {
        let body = Bytes::from(alloc::vec![0x17; 300 + i as usize * 1000]);
        pair.client
            .send_media(MediaKind::Video, i * 40, body)
            .unwrap();
    }
    pair.run();
    pair.client_bytes
}

proptest! {
    #[test]
    fn any_split_of_a_publish_yields_the_same_events(
        sizes in proptest::collection::vec(1usize..5000, 1..20)
    ) {
        let bytes = publisher_bytes();
        let whole = server_events_for(&bytes, &[bytes.len()]);
        let videos = whole.iter().filter(|e| matches!(e, ServerEvent::Video { .. })).count();
        prop_assert_eq!(videos, 5);
        prop_assert_eq!(server_events_for(&bytes, &sizes), whole);
    }

    #[test]
    fn arbitrary_bytes_after_a_handshake_never_panic_the_server(
        tail in proptest::collection::vec(any::<u8>(), 0..4000),
        sizes in proptest::collection::vec(1usize..600, 1..8)
    ) {
        let mut bytes = publisher_bytes();
        bytes.truncate(1 + 2 * 1536);
        bytes.extend_from_slice(&tail);
        let _ = server_events_for(&bytes, &sizes);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_client(
        bytes in proptest::collection::vec(any::<u8>(), 0..6000)
    ) {
        let mut client = ClientSession::new(ClientConfig::new("rtmp://h/a", "a"), |b| b.fill(2), Instant::ZERO);
        client.play("x").unwrap();
        let mut input = alloc::vec![3u8];
        input.extend_from_slice(&[0u8; 2 * 1536]);
        input.extend_from_slice(&bytes);
        let _ = client.handle_input(Input::Bytes(&input), Instant::ZERO);
    }
}

fn chunked(kind: MediaKind, timestamp: u32, chunk_size: u32, body: &[u8]) -> Vec<u8> {
    let mut wire = Vec::new();
    chunk_media(kind, timestamp, StreamId(1), chunk_size, body, |h, b| {
        wire.extend_from_slice(h);
        wire.extend_from_slice(b);
    })
    .unwrap();
    wire
}

#[test]
fn chunk_media_starts_with_a_full_header_on_the_kinds_chunk_stream() {
    let video = chunked(MediaKind::Video, 7, 128, &[0x17; 300]);
    let audio = chunked(MediaKind::Audio, 7, 128, &[0xAF; 10]);
    assert_eq!(video[0], VIDEO_CHUNK_STREAM_ID as u8, "format 0, csid 6");
    assert_eq!(audio[0], AUDIO_CHUNK_STREAM_ID as u8, "format 0, csid 4");
    // 300 bytes at chunk size 128: a 12-byte header, then two 1-byte
    // continuation headers (format 3).
    assert_eq!(video.len(), 12 + 300 + 2);
    assert_eq!(video[12 + 128], 0xC0 | 6);
}

#[test]
fn prechunked_media_counts_its_bytes_and_the_sessions_next_media_starts_afresh() {
    let mut pair = Pair::playing(Policy::AcceptAll);
    let stream = StreamId(1);
    let body = Bytes::from_static(&[0x27, 1, 0, 0, 0, 5, 5, 5]);
    pair.server
        .send_media(stream, MediaKind::Video, 0, body.clone())
        .unwrap();
    pair.run();
    // Another length, so the session's writer would otherwise compress the
    // next message against the one it wrote itself.
    let wire = chunked(
        MediaKind::Video,
        1000,
        pair.server.chunk_size(),
        &[0x27; 20],
    );
    let before = pair.server.counters().bytes_sent;
    pair.client_input(&wire);
    pair.server
        .sent_prechunked_media(stream, MediaKind::Video, wire.len())
        .unwrap();
    assert_eq!(
        pair.server.counters().bytes_sent,
        before + wire.len() as u64
    );
    pair.server
        .send_media(stream, MediaKind::Video, 2000, body)
        .unwrap();
    pair.run();
    let timestamps: Vec<u32> = pair
        .client_events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Video { timestamp, .. } => Some(*timestamp),
            _ => None,
        })
        .collect();
    assert_eq!(timestamps, [0, 1000, 2000]);
}

#[test]
fn prechunked_media_on_a_stream_that_is_not_playing_is_refused() {
    let mut pair = Pair::publishing(Policy::AcceptAll);
    let before = pair.server.counters();
    assert_eq!(
        pair.server
            .sent_prechunked_media(StreamId(1), MediaKind::Audio, 100),
        Err(SessionError::StreamNotReady(StreamId(1)))
    );
    assert_eq!(pair.server.counters(), before);
}

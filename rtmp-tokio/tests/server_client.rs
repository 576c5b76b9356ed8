//! Our client against our server over loopback: the relay, the registry's
//! rules, the handler and observers, timeouts and shutdown. No peers needed.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use rtmp_tokio::proto::media::{MediaEvent, MediaKind, Metadata};
use rtmp_tokio::{
    ClientError, ConnectRequest, DisconnectReason, Frame, Handler, MediaFrame, MediaMode,
    PublishDecision, PublishObserver, Rejection, RtmpClient, RtmpServer, ServerOptions,
    SessionStats, SessionSummary, StreamRequest,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const LIMIT: Duration = Duration::from_secs(10);

fn url(server: &RtmpServer, key: &str) -> String {
    live_url(server.local_addr().port(), key)
}

async fn publisher(server: &RtmpServer, key: &str) -> rtmp_tokio::Publisher {
    publish_to(&url(server, key)).await
}

async fn player(server: &RtmpServer, key: &str) -> rtmp_tokio::Player {
    play_from(&url(server, key)).await
}

#[tokio::test]
async fn a_player_attached_first_receives_every_frame_byte_for_byte() {
    let server = server().await;
    let mut player = player(&server, "a").await;
    let mut publisher = publisher(&server, "a").await;
    publish_tags(&mut publisher, &source_tags(), 0, 0).await;
    publisher.finish().await.unwrap();
    let (metadata, media) = play_all(&mut player, LIMIT).await;
    assert_eq!(metadata.len(), 1);
    assert_eq!(media, media_of(&source_tags()));
    server.shutdown().await;
}

#[tokio::test]
async fn a_second_publisher_of_a_key_gets_bad_name_and_the_first_goes_on() {
    let server = server().await;
    let mut first = publisher(&server, "k").await;
    let second = RtmpClient::connect(&url(&server, "k"))
        .await
        .unwrap()
        .publish()
        .await;
    match second {
        Err(ClientError::Rejected(status)) => assert_eq!(status.code, "NetStream.Publish.BadName"),
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("the second publisher was accepted"),
    }
    let mut player = player(&server, "k").await;
    let tags = source_tags();
    publish_tags(&mut first, &tags, 0, 0).await;
    first.finish().await.unwrap();
    let (_, media) = play_all(&mut player, LIMIT).await;
    assert_eq!(media, media_of(&tags));
    server.shutdown().await;
}

#[tokio::test]
async fn a_late_player_starts_with_metadata_then_sequence_headers_then_the_last_keyframe() {
    let server = server().await;
    let mut publisher = publisher(&server, "late").await;
    let tags = source_tags();
    // Everything before 2.5 s: key frames at 0, 1000 and 2000 ms.
    let early: Vec<_> = tags
        .iter()
        .filter(|t| t.timestamp < 2500)
        .cloned()
        .collect();
    publish_tags(&mut publisher, &early, 0, 0).await;
    let deadline = tokio::time::Instant::now() + LIMIT;
    while server
        .streams()
        .first()
        .is_none_or(|s| s.frames < media_of(&early).len() as u64)
    {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut player = player(&server, "late").await;
    let mut frames = Vec::new();
    for _ in 0..4 {
        frames.push(
            tokio::time::timeout(LIMIT, player.next_frame())
                .await
                .unwrap()
                .unwrap()
                .unwrap(),
        );
    }
    assert!(matches!(frames[0], Frame::Metadata(_)));
    let Frame::Media(video_header) = &frames[1] else {
        panic!()
    };
    assert_eq!(
        (video_header.kind, &video_header.body[..2]),
        (MediaKind::Video, &[0x17, 0][..])
    );
    let Frame::Media(audio_header) = &frames[2] else {
        panic!()
    };
    assert_eq!(
        (audio_header.kind, &audio_header.body[..2]),
        (MediaKind::Audio, &[0xAF, 0][..])
    );
    let Frame::Media(first) = &frames[3] else {
        panic!()
    };
    assert_eq!(
        (first.kind, first.timestamp, &first.body[..2]),
        (MediaKind::Video, 2000, &[0x17, 1][..])
    );
    publisher.finish().await.unwrap();
    server.shutdown().await;
}

struct Refuser;

impl Handler for Refuser {
    fn on_connect(&self, r: &ConnectRequest) -> Result<(), Rejection> {
        if r.info.app == "private" {
            Err(Rejection::new("no"))
        } else {
            Ok(())
        }
    }
    fn on_publish(&self, r: &StreamRequest) -> PublishDecision {
        if r.query.as_deref() == Some("token=good") {
            PublishDecision::Accept(None)
        } else {
            PublishDecision::Reject(Rejection::new("bad token"))
        }
    }
    fn on_play(&self, _: &StreamRequest) -> Result<(), Rejection> {
        Err(Rejection::new("nobody plays here"))
    }
}

async fn refuser() -> RtmpServer {
    RtmpServer::bind(
        ServerOptions::listen("127.0.0.1:0".parse().unwrap()),
        Refuser,
    )
    .await
    .unwrap()
}

fn rejected_code(result: Result<impl Sized, ClientError>) -> String {
    match result {
        Err(ClientError::Rejected(status)) => status.code,
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("accepted"),
    }
}

#[tokio::test]
async fn handler_refusals_reach_the_client_as_the_matching_status() {
    let server = refuser().await;
    let port = server.local_addr().port();
    let connect = RtmpClient::connect(&format!("rtmp://127.0.0.1:{port}/private/x")).await;
    assert_eq!(rejected_code(connect), "NetConnection.Connect.Rejected");
    let publish = RtmpClient::connect(&url(&server, "k?token=bad"))
        .await
        .unwrap()
        .publish()
        .await;
    assert_eq!(rejected_code(publish), "NetStream.Publish.BadName");
    let play = RtmpClient::connect(&url(&server, "k"))
        .await
        .unwrap()
        .play()
        .await;
    assert_eq!(rejected_code(play), "NetStream.Play.StreamNotFound");
    let ok = RtmpClient::connect(&url(&server, "k?token=good"))
        .await
        .unwrap()
        .publish()
        .await;
    assert!(ok.is_ok());
    server.shutdown().await;
}

#[derive(Default)]
struct Seen {
    started: bool,
    metadata: Vec<Metadata>,
    frames: Vec<MediaFrame>,
    samples: usize,
    keyframes: usize,
    configs: usize,
    end: Option<(DisconnectReason, SessionStats)>,
    summaries: Vec<SessionSummary>,
}

struct Watcher(Arc<Mutex<Seen>>);

impl PublishObserver for Watcher {
    fn media_mode(&self) -> MediaMode {
        MediaMode::Both
    }
    fn on_start(&mut self) {
        self.0.lock().unwrap().started = true;
    }
    fn on_metadata(&mut self, metadata: &Metadata) {
        self.0.lock().unwrap().metadata.push(metadata.clone());
    }
    fn on_frame(&mut self, frame: &MediaFrame) {
        self.0.lock().unwrap().frames.push(frame.clone());
    }
    fn on_media(&mut self, event: &MediaEvent) {
        let mut seen = self.0.lock().unwrap();
        match event {
            MediaEvent::Sample(s) => {
                seen.samples += 1;
                seen.keyframes += usize::from(
                    s.keyframe && matches!(s.codec, rtmp_tokio::proto::media::Codec::Video(_)),
                );
            }
            MediaEvent::Codec(_) => seen.configs += 1,
            _ => {}
        }
    }
    fn on_disconnect(&mut self, reason: &DisconnectReason, stats: &SessionStats) {
        self.0.lock().unwrap().end = Some((reason.clone(), *stats));
    }
}

struct Observing(Arc<Mutex<Seen>>);

impl Handler for Observing {
    fn on_publish(&self, _: &StreamRequest) -> PublishDecision {
        PublishDecision::Accept(Some(Box::new(Watcher(self.0.clone()))))
    }
    fn on_disconnect(&self, summary: &SessionSummary) {
        self.0.lock().unwrap().summaries.push(summary.clone());
    }
}

#[tokio::test]
async fn a_publish_observer_sees_metadata_raw_and_demuxed_media_and_the_end() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let server = RtmpServer::bind(
        ServerOptions::listen("127.0.0.1:0".parse().unwrap()),
        Observing(seen.clone()),
    )
    .await
    .unwrap();
    let mut publisher = publisher(&server, "obs").await;
    let tags = source_tags();
    publish_tags(&mut publisher, &tags, 0, 0).await;
    publisher.finish().await.unwrap();
    let deadline = tokio::time::Instant::now() + LIMIT;
    while seen.lock().unwrap().summaries.is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no disconnect reported"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    {
        let seen = seen.lock().unwrap();
        let media = media_of(&tags);
        assert!(seen.started);
        assert_eq!(seen.metadata.len(), 1);
        assert_eq!(seen.frames.len(), media.len());
        assert_eq!(seen.configs, 2);
        assert_eq!(seen.samples, 546);
        assert_eq!(seen.keyframes, 8);
        let (reason, stats) = seen.end.clone().unwrap();
        assert_eq!(reason, DisconnectReason::Finished);
        assert_eq!(stats.frames_received, media.len() as u64);
        let summary = &seen.summaries[0];
        assert_eq!(summary.stream.as_ref().unwrap().1, "live/obs");
        assert!(summary.stats.bytes_received > 130_000);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn timestamps_past_0xffffff_survive_our_relay_unchanged() {
    let server = server().await;
    let mut player = player(&server, "ext").await;
    let mut publisher = publisher(&server, "ext").await;
    let offset = 0xFF_FFFF - 2000;
    let tags = source_tags();
    publish_tags(&mut publisher, &tags, offset, 0).await;
    publisher.finish().await.unwrap();
    let (_, media) = play_all(&mut player, LIMIT).await;
    let expected: Vec<_> = media_of(&tags)
        .into_iter()
        .map(|(k, t, b)| (k, t + offset, b))
        .collect();
    assert!(expected.iter().any(|(_, t, _)| *t > 0xFF_FFFF));
    assert_eq!(media, expected);
    server.shutdown().await;
}

#[tokio::test]
async fn a_connection_that_never_finishes_the_handshake_is_closed_at_the_timeout() {
    let mut options = ServerOptions::listen("127.0.0.1:0".parse().unwrap());
    options.handshake_timeout = Duration::from_millis(200);
    let server = RtmpServer::bind(options, rtmp_tokio::AcceptAll)
        .await
        .unwrap();
    let mut tcp = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    tcp.write_all(&[3]).await.unwrap();
    let started = std::time::Instant::now();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(LIMIT, tcp.read(&mut buf))
        .await
        .unwrap()
        .unwrap_or(0);
    assert_eq!(n, 0, "the server sent bytes instead of closing");
    assert!(started.elapsed() >= Duration::from_millis(150));
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_ends_every_session() {
    let server = server().await;
    let mut player = player(&server, "s").await;
    let _publisher = publisher(&server, "s").await;
    tokio::time::timeout(LIMIT, server.shutdown())
        .await
        .unwrap();
    let end = tokio::time::timeout(LIMIT, player.next_frame())
        .await
        .unwrap();
    assert!(matches!(end, Ok(None) | Err(_)));
}

#[tokio::test]
async fn a_player_that_stops_reading_resumes_at_a_keyframe_without_holding_the_publisher_back() {
    let mut options = ServerOptions::listen("127.0.0.1:0".parse().unwrap());
    options.player_queue = 16;
    let server = RtmpServer::bind(options, rtmp_tokio::AcceptAll)
        .await
        .unwrap();
    let mut stalled = player(&server, "slow").await;
    let mut publisher = publisher(&server, "slow").await;
    // 40 MB of 64 KB frames, a key frame every 25: far more than the
    // socket buffers hold, so the player that does not read falls behind.
    let frame = |key: bool| {
        let header: &[u8] = if key {
            &[0x17, 1, 0, 0, 0]
        } else {
            &[0x27, 1, 0, 0, 0]
        };
        bytes::Bytes::from([header, &[0u8; 65536][..]].concat())
    };
    let (key, inter) = (frame(true), frame(false));
    for i in 0..600u32 {
        let body = if i % 25 == 0 {
            key.clone()
        } else {
            inter.clone()
        };
        tokio::time::timeout(LIMIT, publisher.send_media(MediaKind::Video, i * 40, body))
            .await
            .expect("the publisher was held back by a stalled player")
            .unwrap();
    }
    let deadline = tokio::time::Instant::now() + LIMIT;
    while server.streams()[0].frames < 600 {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let gop = server.streams()[0].gop_bytes;
    assert!(gop <= 25 * key.len(), "the GOP cache holds {gop} bytes");
    publisher.finish().await.unwrap();
    let (_, media) = play_all(&mut stalled, LIMIT).await;
    assert!(media.len() < 600, "nothing was dropped");
    // Wherever frames went missing, playing resumed on a key frame.
    for pair in media.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        if after.1 != before.1 + 40 {
            assert_eq!(
                after.2[0], 0x17,
                "resumed at {} ms on a non-key frame",
                after.1
            );
        }
    }
    let dropped = server.streams()[0].frames_dropped;
    assert_eq!(dropped as usize, 600 - media.len());
    server.shutdown().await;
}

struct Ends(Arc<Mutex<Vec<DisconnectReason>>>);

impl Handler for Ends {
    fn on_disconnect(&self, summary: &SessionSummary) {
        self.0.lock().unwrap().push(summary.reason.clone());
    }
}

#[tokio::test]
async fn a_peer_that_answers_nothing_is_closed_at_the_idle_timeout_and_a_live_one_is_kept() {
    let ends = Arc::new(Mutex::new(Vec::new()));
    let mut options = ServerOptions::listen("127.0.0.1:0".parse().unwrap());
    options.idle_timeout = Duration::from_millis(300);
    options.session.ping_interval = Some(Duration::from_millis(100));
    let server = RtmpServer::bind(options, Ends(ends.clone())).await.unwrap();
    // This one is connected, then never read again: pings go unanswered.
    let _mute = RtmpClient::connect(&url(&server, "x")).await.unwrap();
    // This one waits in next_frame for a publisher: it answers the pings.
    let mut waiting = player(&server, "nobody").await;
    let still_waiting = tokio::time::timeout(Duration::from_secs(1), waiting.next_frame()).await;
    assert!(still_waiting.is_err(), "the waiting player was closed");
    assert_eq!(*ends.lock().unwrap(), [DisconnectReason::IdleTimeout]);
    server.shutdown().await;
}

#[tokio::test]
async fn without_waiting_a_play_of_an_unpublished_key_is_stream_not_found() {
    let mut options = ServerOptions::listen("127.0.0.1:0".parse().unwrap());
    options.play_waits_for_publisher = false;
    let server = RtmpServer::bind(options, rtmp_tokio::AcceptAll)
        .await
        .unwrap();
    let play = RtmpClient::connect(&url(&server, "none"))
        .await
        .unwrap()
        .play()
        .await;
    assert_eq!(rejected_code(play), "NetStream.Play.StreamNotFound");
    let _publisher = publisher(&server, "some").await;
    assert!(
        RtmpClient::connect(&url(&server, "some"))
            .await
            .unwrap()
            .play()
            .await
            .is_ok()
    );
    server.shutdown().await;
}

#[tokio::test]
async fn without_relay_publishes_are_accepted_and_plays_refused() {
    let mut options = ServerOptions::listen("127.0.0.1:0".parse().unwrap());
    options.relay = false;
    let server = RtmpServer::bind(options, rtmp_tokio::AcceptAll)
        .await
        .unwrap();
    let _first = publisher(&server, "k").await;
    // No registry: nothing stops a second publisher of the same key.
    let _second = publisher(&server, "k").await;
    let play = RtmpClient::connect(&url(&server, "k"))
        .await
        .unwrap()
        .play()
        .await;
    assert_eq!(rejected_code(play), "NetStream.Play.StreamNotFound");
    assert!(server.streams().is_empty());
    server.shutdown().await;
}

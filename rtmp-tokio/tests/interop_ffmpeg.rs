//! Interop with ffmpeg 5.1 over loopback: ffmpeg publishes to our server and
//! plays from it; our client publishes to `ffmpeg -listen 1`.
//!
//! Packet lists come from `ffprobe -show_entries packet=codec_type,dts,size,flags`
//! on the file ffmpeg wrote with `-c copy -copyts` (without `-copyts`
//! ffmpeg shifts the audio timestamps of a live input, which says nothing
//! about the relay). Skipped when ffmpeg is missing, failed under `CI`.

mod common;

use std::time::Duration;

use common::*;
use rtmp_tokio::RtmpClient;

const LIMIT: Duration = Duration::from_secs(30);

/// A player attached before the publish starts gets every packet: the
/// played file's packet list is the source's, packet for packet.
#[tokio::test]
async fn ffmpeg_publish_is_relayed_to_an_ffmpeg_player_packet_for_packet() {
    if !have(&["ffmpeg", "ffprobe"]) {
        return;
    }
    let dir = TempDir::new("ff-relay");
    let server = server().await;
    let port = server.local_addr().port();
    let out = dir.path("played.flv");
    let mut player =
        spawn_ffmpeg_recorder(&["-i", &live_url(port, "a")], &out, &dir.path("player.log"));
    wait_server_players(&server, "live/a", 1).await;
    let mut publisher = spawn_ffmpeg_publisher(
        &["-i", &source_arg()],
        &live_url(port, "a"),
        &dir.path("publisher.log"),
    );
    wait_exit(&mut publisher, LIMIT, "ffmpeg publisher").await;
    // The publisher's end reaches the player as UnpublishNotify: ffmpeg stops.
    wait_exit(&mut player, LIMIT, "ffmpeg player").await;
    let source = ffprobe_packets(&source_path());
    let played = ffprobe_packets(&out);
    assert_eq!(source.len(), 546);
    assert_eq!(of_kind(&played, "video"), of_kind(&source, "video"));
    assert_eq!(of_kind(&played, "audio"), of_kind(&source, "audio"));
    server.shutdown().await;
}

/// A player joining a paced (`-re`) publish 1.5 s in starts at the last key
/// frame, decodable: its video is the source's from a key frame on, its
/// audio a contiguous run of the source's, both up to the 3 s cut.
///
/// Tolerance: the start is whichever key frame the GOP cache held at the
/// join (the source has one per second, so 1000 ms, or 0 ms on a slow
/// machine); the end is where ffmpeg's `-t 3` cut the input, so the last
/// video packet must be within 100 ms of 3 s.
#[tokio::test]
async fn ffmpeg_player_joining_late_starts_at_a_keyframe_with_the_stream_intact() {
    if !have(&["ffmpeg", "ffprobe"]) {
        return;
    }
    let dir = TempDir::new("ff-late");
    let server = server().await;
    let port = server.local_addr().port();
    let out = dir.path("played.flv");
    let mut publisher = spawn_ffmpeg_publisher(
        &["-re", "-i", &source_arg(), "-t", "3"],
        &live_url(port, "late"),
        &dir.path("publisher.log"),
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut player = spawn_ffmpeg_recorder(
        &["-i", &live_url(port, "late")],
        &out,
        &dir.path("player.log"),
    );
    wait_exit(&mut publisher, LIMIT, "ffmpeg publisher").await;
    wait_exit(&mut player, LIMIT, "ffmpeg player").await;
    let source = ffprobe_packets(&source_path());
    let played = ffprobe_packets(&out);
    let video = of_kind(&played, "video");
    assert!(
        video[0].key,
        "the first video packet is not a key frame: {:?}",
        video[0]
    );
    assert!(
        video[0].dts == 1000 || video[0].dts == 0,
        "started at {}",
        video[0].dts
    );
    assert_contiguous_run(&of_kind(&source, "video"), &video, "video");
    assert_contiguous_run(
        &of_kind(&source, "audio"),
        &of_kind(&played, "audio"),
        "audio",
    );
    let last = video.last().unwrap().dts;
    assert!((2900..=3100).contains(&last), "video ends at {last} ms");
    server.shutdown().await;
}

/// Our client publishes the whole file (unpaced) to `ffmpeg -listen 1`,
/// which records it: the recording's packets are the source's.
#[tokio::test]
async fn our_client_publish_is_recorded_by_ffmpeg_listen_packet_for_packet() {
    if !have(&["ffmpeg", "ffprobe"]) {
        return;
    }
    let dir = TempDir::new("ff-listen");
    let port = free_port();
    let out = dir.path("recorded.flv");
    let mut recorder = spawn_ffmpeg_recorder(
        &["-listen", "1", "-i", &live_url(port, "rec")],
        &out,
        &dir.path("recorder.log"),
    );
    // ffmpeg's listener accepts one connection: wait for it without probing it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut publisher = loop {
        match RtmpClient::connect(&live_url(port, "rec")).await {
            Ok(client) => break client.publish().await.unwrap(),
            Err(e) => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "ffmpeg -listen unreachable: {e}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    publish_tags(&mut publisher, &source_tags(), 0, 0).await;
    publisher.finish().await.unwrap();
    wait_exit(&mut recorder, LIMIT, "ffmpeg -listen recorder").await;
    let source = ffprobe_packets(&source_path());
    let recorded = ffprobe_packets(&out);
    assert_eq!(of_kind(&recorded, "video"), of_kind(&source, "video"));
    assert_eq!(of_kind(&recorded, "audio"), of_kind(&source, "audio"));
}

/// Timestamps past 0xFFFFFF ms through our server to ffmpeg: our client
/// publishes the file stamped from 0xFFFFFF - 2000 ms on, ffmpeg plays
/// (`-copyts`): every packet arrives with the source's dts plus the offset,
/// continuous across the boundary, so ffmpeg reads the extended timestamp
/// fields of our shared chunk encoding as it writes them.
#[tokio::test]
async fn timestamps_past_0xffffff_reach_an_ffmpeg_player_continuous() {
    if !have(&["ffmpeg", "ffprobe"]) {
        return;
    }
    let dir = TempDir::new("ff-extts");
    let server = server().await;
    let port = server.local_addr().port();
    let out = dir.path("played.flv");
    let mut player = spawn_ffmpeg_recorder(
        &["-i", &live_url(port, "ext")],
        &out,
        &dir.path("player.log"),
    );
    wait_server_players(&server, "live/ext", 1).await;
    let offset = 0xFF_FFFF - 2000;
    let mut publisher = publish_to(&live_url(port, "ext")).await;
    publish_tags(&mut publisher, &source_tags(), offset, 0).await;
    publisher.finish().await.unwrap();
    wait_exit(&mut player, LIMIT, "ffmpeg player").await;
    let shifted = |packets: Vec<Packet>| -> Vec<Packet> {
        packets
            .into_iter()
            .map(|mut p| {
                p.dts += i64::from(offset);
                p
            })
            .collect()
    };
    let source = shifted(ffprobe_packets(&source_path()));
    let played = ffprobe_packets(&out);
    assert!(played.iter().any(|p| p.dts > 0xFF_FFFF));
    assert_eq!(of_kind(&played, "video"), of_kind(&source, "video"));
    assert_eq!(of_kind(&played, "audio"), of_kind(&source, "audio"));
    server.shutdown().await;
}

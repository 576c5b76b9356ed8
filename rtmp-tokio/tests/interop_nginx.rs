//! Interop with nginx-rtmp (nginx 1.22 + libnginx-mod-rtmp) over loopback:
//! each test starts its own nginx with `live on` on a free port (killed on
//! drop, even when the test fails). Skipped when nginx, its RTMP module or
//! ffmpeg is missing, failed under `CI`.

mod common;

use std::time::Duration;

use common::*;

const LIMIT: Duration = Duration::from_secs(15);

/// Our client publishes 3 s of the file in real time to nginx while ffmpeg
/// plays 2.5 s of it from nginx (`-t 2.5`: ffmpeg 5.1 keeps waiting after
/// nginx's unpublish, so it stops itself): the played packets are the
/// source's from the first one on, packet for packet (the player was
/// attached before the publish began), at least 2.4 s of them.
#[tokio::test]
async fn our_client_publishes_to_nginx_and_ffmpeg_plays_it_back() {
    if !have(&["nginx", NGINX_MODULE, "ffmpeg", "ffprobe"]) {
        return;
    }
    let nginx = Nginx::start("pub").await;
    let out = nginx.dir.path("played.flv");
    let mut player = spawn_ffmpeg_recorder(
        &["-i", &live_url(nginx.port, "ours"), "-t", "2.5"],
        &out,
        &nginx.dir.path("player.log"),
    );
    nginx.wait_players(1, Duration::from_secs(10)).await;
    let tags: Vec<_> = source_tags()
        .into_iter()
        .filter(|t| t.timestamp < 3000)
        .collect();
    let mut publisher = publish_to(&live_url(nginx.port, "ours")).await;
    publish_tags(&mut publisher, &tags, 0, 1).await;
    publisher.finish().await.unwrap();
    wait_exit(&mut player, LIMIT, "ffmpeg player").await;
    let source = ffprobe_packets(&source_path());
    let played = ffprobe_packets(&out);
    for (kind, at_least) in [("video", 60), ("audio", 100)] {
        let played = of_kind(&played, kind);
        assert!(
            played.len() >= at_least,
            "only {} {kind} packets played",
            played.len()
        );
        assert_eq!(
            played,
            of_kind(&source, kind)[..played.len()],
            "{kind} packets differ"
        );
    }
}

/// ffmpeg publishes the whole file to nginx while our client plays: our
/// player receives every frame, body and timestamp, and metadata first;
/// when ffmpeg leaves, nginx's Stream EOF ends the play (the session
/// ignored nothing nginx sent).
#[tokio::test]
async fn our_client_plays_from_nginx_while_ffmpeg_publishes() {
    if !have(&["nginx", NGINX_MODULE, "ffmpeg"]) {
        return;
    }
    let nginx = Nginx::start("play").await;
    let mut player = play_from(&live_url(nginx.port, "theirs")).await;
    let mut publisher = spawn_ffmpeg_publisher(
        &["-i", &source_arg()],
        &live_url(nginx.port, "theirs"),
        &nginx.dir.path("publisher.log"),
    );
    let expected = media_of(&source_tags());
    let (metadata, media) = play_n(&mut player, expected.len(), LIMIT).await;
    wait_exit(&mut publisher, LIMIT, "ffmpeg publisher").await;
    assert_eq!(metadata.len(), 1);
    assert_eq!(metadata[0].width(), Some(320.0));
    assert_same_media_per_kind(&media, &expected);
    let end = tokio::time::timeout(LIMIT, player.next_frame()).await;
    assert!(
        matches!(end, Ok(Ok(None))),
        "the unpublish ends the play: {end:?}"
    );
    assert_eq!(player.counters().ignored_messages, 0);
    player.close().await.unwrap();
}

/// Timestamps that pass 0xFFFFFF ms need the extended timestamp field: our
/// client publishes the file stamped from 0xFFFFFF - 2000 ms on (paced at
/// 4x, which nginx relays without dropping), nginx relays it, and our
/// player gets every frame, its timestamps continuous across the boundary
/// (nginx may rebase them; the steps between frames must be the source's).
#[tokio::test]
async fn extended_timestamps_survive_a_relay_through_nginx() {
    if !have(&["nginx", NGINX_MODULE]) {
        return;
    }
    let nginx = Nginx::start("extts").await;
    let mut player = play_from(&live_url(nginx.port, "ext")).await;
    nginx.wait_players(1, Duration::from_secs(10)).await;
    let offset = 0xFF_FFFF - 2000;
    let tags = source_tags();
    let mut publisher = publish_to(&live_url(nginx.port, "ext")).await;
    let sender = {
        let tags = tags.clone();
        tokio::spawn(async move {
            publish_tags(&mut publisher, &tags, offset, 4).await;
            publisher.finish().await.unwrap();
        })
    };
    let (_, media) = play_n(&mut player, media_of(&tags).len(), LIMIT).await;
    sender.await.unwrap();
    let expected: Vec<_> = media_of(&tags)
        .into_iter()
        .map(|(k, t, b)| (k, t.wrapping_add(offset), b))
        .collect();
    assert!(expected.iter().any(|(_, t, _)| *t > 0xFF_FFFF));
    // nginx may rebase timestamps: compare steps from the first frame.
    let rebased = |m: &[Media]| -> Vec<Media> {
        m.iter()
            .map(|(k, t, b)| (*k, t.wrapping_sub(m[0].1), b.clone()))
            .collect()
    };
    assert_same_media_per_kind(&rebased(&media), &rebased(&expected));
}

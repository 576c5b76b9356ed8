//! Shared by the integration tests: the test media, peers (ffmpeg, ffprobe,
//! nginx-rtmp) started under guards that kill them on drop, and the
//! ffprobe packet lists the tests compare.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use rtmp_tokio::proto::media::flv::{self, FlvTag, TagType};
use rtmp_tokio::{
    AcceptAll, Frame, MediaKind, Metadata, Player, Publisher, RtmpClient, RtmpServer, ServerOptions,
};
use tokio::process::{Child, Command};

/// The 8 s H.264 + AAC test file.
pub fn source_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../rtmp-proto/tests/data/source.flv")
}

/// Every tag of the test file.
pub fn source_tags() -> Vec<FlvTag> {
    let data = std::fs::read(source_path()).unwrap();
    flv::read_file(&data).unwrap().1
}

/// Whether `tools` are all installed. Missing ones fail the test under CI
/// (`CI` set) and skip it elsewhere, with a message.
pub fn have(tools: &[&str]) -> bool {
    let mut missing = Vec::new();
    for tool in tools {
        let found = if tool.starts_with('/') {
            Path::new(tool).exists()
        } else {
            std::process::Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        if !found {
            missing.push(*tool);
        }
    }
    if missing.is_empty() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("interop peers missing in CI: {missing:?} (install them as .ci/run does)");
    }
    eprintln!("SKIPPED: interop peers missing: {missing:?}");
    false
}

pub const NGINX_MODULE: &str = "/usr/lib/nginx/modules/ngx_rtmp_module.so";

/// A scratch directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("rtmp-tokio-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The URL of stream `key` of application `live` on the local `port`.
pub fn live_url(port: u16, key: &str) -> String {
    format!("rtmp://127.0.0.1:{port}/live/{key}")
}

/// Connects to `url` and starts publishing.
pub async fn publish_to(url: &str) -> Publisher {
    RtmpClient::connect(url)
        .await
        .unwrap()
        .publish()
        .await
        .unwrap()
}

/// Connects to `url` and starts playing.
pub async fn play_from(url: &str) -> Player {
    RtmpClient::connect(url)
        .await
        .unwrap()
        .play()
        .await
        .unwrap()
}

/// The test file's path as an ffmpeg argument.
pub fn source_arg() -> String {
    source_path().to_str().unwrap().to_owned()
}

/// Starts ffmpeg recording what it reads with `input` (its `-i` and the
/// options around it) into the FLV file `out` as it came (`-c copy
/// -copyts`), overwriting it.
pub fn spawn_ffmpeg_recorder(input: &[&str], out: &Path, log: &Path) -> Child {
    let mut args = vec!["-hide_banner", "-y"];
    args.extend_from_slice(input);
    args.extend_from_slice(&["-c", "copy", "-copyts", "-f", "flv", out.to_str().unwrap()]);
    spawn("ffmpeg", &args, log)
}

/// Starts ffmpeg publishing what it reads with `input` (its `-i` and the
/// options around it) to `url` as it came (`-c copy`).
pub fn spawn_ffmpeg_publisher(input: &[&str], url: &str, log: &Path) -> Child {
    let mut args = vec!["-hide_banner"];
    args.extend_from_slice(input);
    args.extend_from_slice(&["-c", "copy", "-f", "flv", url]);
    spawn("ffmpeg", &args, log)
}

/// Starts a child that is killed when dropped (`kill_on_drop`).
pub fn spawn(program: &str, args: &[&str], log: &Path) -> Child {
    let log = std::fs::File::create(log).unwrap();
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// Waits for a child to exit on its own within `limit`; kills it otherwise
/// and fails.
pub async fn wait_exit(child: &mut Child, limit: Duration, what: &str) {
    match tokio::time::timeout(limit, child.wait()).await {
        Ok(status) => assert!(status.unwrap().success(), "{what} failed"),
        Err(_) => {
            let _ = child.kill().await;
            panic!("{what} did not finish within {limit:?}");
        }
    }
}

/// Asks a child to stop as after Ctrl-C (ffmpeg then writes its trailer)
/// and waits for it, killing it after `limit`.
pub async fn interrupt(child: &mut Child, limit: Duration) {
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status();
    }
    if tokio::time::timeout(limit, child.wait()).await.is_err() {
        let _ = child.kill().await;
    }
}

/// Waits until something accepts TCP connections on `port`.
pub async fn wait_listening(port: u16, limit: Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "nothing listens on {port}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// nginx with the RTMP module and `application live { live on; }` on a
/// loopback port, in its own prefix; killed on drop.
pub struct Nginx {
    pub port: u16,
    pub dir: TempDir,
    child: Child,
}

impl Nginx {
    pub async fn start(name: &str) -> Self {
        let dir = TempDir::new(&format!("nginx-{name}"));
        let port = free_port();
        let d = dir.0.display();
        let conf = format!(
            "load_module {NGINX_MODULE};\n\
             daemon off;\nmaster_process off;\nworker_processes 1;\n\
             error_log {d}/error.log info;\npid {d}/nginx.pid;\n\
             events {{ worker_connections 1024; }}\n\
             rtmp {{ server {{ listen 127.0.0.1:{port}; chunk_size 4096;\n\
               application live {{ live on; record off; }} }} }}\n"
        );
        std::fs::create_dir_all(dir.path("logs")).unwrap();
        std::fs::write(dir.path("nginx.conf"), conf).unwrap();
        let conf_path = dir.path("nginx.conf");
        let prefix = format!("{d}/");
        let child = spawn(
            "nginx",
            &["-c", conf_path.to_str().unwrap(), "-p", &prefix],
            &dir.path("stderr.log"),
        );
        wait_listening(port, Duration::from_secs(5)).await;
        Self { port, dir, child }
    }

    /// Waits until nginx logged `count` play commands (its players are attached).
    pub async fn wait_players(&self, count: usize, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let log = std::fs::read_to_string(self.dir.path("error.log")).unwrap_or_default();
            if log.matches(" play: name=").count() >= count {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no player reached nginx:\n{log}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// A server on a free loopback port, relaying, with a ring long enough for
/// an unpaced publish of the whole test file.
pub async fn server() -> RtmpServer {
    let mut options = ServerOptions::listen("127.0.0.1:0".parse().unwrap());
    options.player_queue = 4096;
    RtmpServer::bind(options, AcceptAll).await.unwrap()
}

/// Waits until the server has `players` players on `name`.
pub async fn wait_server_players(server: &RtmpServer, name: &str, players: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !server
        .streams()
        .iter()
        .any(|s| s.name == name && s.players >= players)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "players never attached"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Publishes `tags` (metadata and media), timestamps plus `offset`;
/// paced at `speed` times real time from the first tag (0: unpaced).
pub async fn publish_tags(publisher: &mut Publisher, tags: &[FlvTag], offset: u32, speed: u32) {
    let start = tokio::time::Instant::now();
    for tag in tags {
        if let Some(at) = tag.timestamp.checked_div(speed) {
            tokio::time::sleep_until(start + Duration::from_millis(u64::from(at))).await;
        }
        let ts = tag.timestamp.wrapping_add(offset);
        match tag.tag_type {
            TagType::Audio => publisher
                .send_media(MediaKind::Audio, ts, tag.body.clone())
                .await
                .unwrap(),
            TagType::Video => publisher
                .send_media(MediaKind::Video, ts, tag.body.clone())
                .await
                .unwrap(),
            TagType::Script => {
                let metadata = Metadata::parse(ts, &tag.body).unwrap();
                publisher.send_metadata(&metadata).await.unwrap();
            }
            TagType::Other(_) => {}
        }
    }
}

/// Media frames only: (kind, timestamp, body).
pub type Media = (MediaKind, u32, Bytes);

pub fn media_of(tags: &[FlvTag]) -> Vec<Media> {
    tags.iter()
        .filter_map(|t| match t.tag_type {
            TagType::Audio => Some((MediaKind::Audio, t.timestamp, t.body.clone())),
            TagType::Video => Some((MediaKind::Video, t.timestamp, t.body.clone())),
            _ => None,
        })
        .collect()
}

/// Everything a player receives until the stream ends, within `limit`.
pub async fn play_all(player: &mut Player, limit: Duration) -> (Vec<Metadata>, Vec<Media>) {
    play_n(player, usize::MAX, limit).await
}

/// What a player receives until the stream ends or `frames` media frames
/// came, within `limit`. (nginx-rtmp 1.22 sends its `UnpublishNotify` in a
/// form `ClientSession` does not report, so a player of nginx stops at a
/// count.)
pub async fn play_n(
    player: &mut Player,
    frames: usize,
    limit: Duration,
) -> (Vec<Metadata>, Vec<Media>) {
    let mut metadata = Vec::new();
    let mut media = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, player.next_frame()).await {
            Err(_) => panic!(
                "the stream did not end within {limit:?} ({} metadata, {} frames)",
                metadata.len(),
                media.len()
            ),
            Ok(Ok(Some(Frame::Metadata(m)))) => metadata.push(m),
            Ok(Ok(Some(Frame::Media(f)))) => {
                media.push((f.kind, f.timestamp, f.body));
                if media.len() >= frames {
                    return (metadata, media);
                }
            }
            Ok(Ok(None)) => return (metadata, media),
            Ok(Err(e)) => panic!("player failed: {e}"),
        }
    }
}

/// One packet as ffprobe lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// `video` or `audio`.
    pub kind: String,
    pub dts: i64,
    pub size: u64,
    pub key: bool,
}

/// `ffprobe -show_packets` of a file, in file order.
pub fn ffprobe_packets(path: &Path) -> Vec<Packet> {
    let out = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "packet=codec_type,dts,size,flags",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "ffprobe failed on {}", path.display());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            Packet {
                kind: f[0].to_owned(),
                dts: f[1].parse().unwrap(),
                size: f[2].parse().unwrap(),
                key: f[3].starts_with('K'),
            }
        })
        .collect()
}

/// The packets of one kind.
pub fn of_kind(packets: &[Packet], kind: &str) -> Vec<Packet> {
    packets.iter().filter(|p| p.kind == kind).cloned().collect()
}

/// Checks that `played` is a contiguous run of `source` (same dts, size
/// and key flag, packet for packet) and returns where it starts in `source`.
pub fn assert_contiguous_run(source: &[Packet], played: &[Packet], what: &str) -> usize {
    let first = played
        .first()
        .unwrap_or_else(|| panic!("no {what} packets played"));
    let start = source
        .iter()
        .position(|p| p.dts == first.dts && p.size == first.size)
        .unwrap_or_else(|| panic!("first {what} packet {first:?} is not in the source"));
    let expected = source.get(start..start + played.len()).unwrap_or_else(|| {
        panic!(
            "{what}: {} packets played from index {start}, more than the source has",
            played.len()
        )
    });
    assert_eq!(played, expected, "{what} packets differ from the source");
    start
}

/// Compares media frames kind by kind (a relay may interleave audio and
/// video differently, as nginx-rtmp does with sequence headers), with
/// messages short enough to read: timestamps and sizes first, then bodies.
pub fn assert_same_media_per_kind(got: &[Media], expected: &[Media]) {
    for kind in [MediaKind::Video, MediaKind::Audio] {
        let pick =
            |m: &[Media]| -> Vec<Media> { m.iter().filter(|f| f.0 == kind).cloned().collect() };
        let (g, e) = (pick(got), pick(expected));
        let shape =
            |m: &[Media]| -> Vec<(u32, usize)> { m.iter().map(|f| (f.1, f.2.len())).collect() };
        assert_eq!(
            shape(&g),
            shape(&e),
            "{kind:?}: timestamps and sizes differ"
        );
        if let Some(i) = (0..g.len()).find(|&i| g[i].2 != e[i].2) {
            panic!(
                "{kind:?} frame {i} (at {} ms) has other bytes than the source",
                g[i].1
            );
        }
    }
}

/// A peer's log, for failure messages.
pub fn log_of(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

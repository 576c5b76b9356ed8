//! Our adapter against ffmpeg's SRT protocol (libsrt inside) on
//! loopback: an MPEG-TS test stream made by ffmpeg goes through SRT both
//! ways; the TS ffmpeg receives from us has every frame (ffprobe), the TS
//! we receive from ffmpeg is byte-exact what it muxed (up to the tail
//! ffmpeg's caller drops when it closes). The same cases for both adapters
//! (compiled by srt-tokio's and srt-smol's `tests/interop_ffmpeg.rs`
//! against their own `rt`). Skipped with a message when ffmpeg/ffprobe
//! are not installed, unless `CI` is set (then they fail).

#[path = "common.rs"]
mod common;

use crate::rt::{self, SrtSocket};
use bytes::Bytes;
use common::{WAIT, any_port, free_port, loopback, within};
use futures_util::{SinkExt, StreamExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const FRAMES: u32 = 50;
const TS_CHUNK: usize = 1316;

/// Runs a case if ffmpeg and ffprobe are here.
fn with_ffmpeg(case: impl std::future::Future<Output = ()>) {
    if common::peer_installed("ffmpeg") && common::peer_installed("ffprobe") {
        rt::block_on(case);
    }
}

/// A file in the temp dir, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str) -> Self {
        let unique = format!("srt-interop-{}-{}-{name}", std::process::id(), free_port());
        Self(std::env::temp_dir().join(unique))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A child process, killed when dropped.
struct Process(Child);

impl Process {
    fn spawn(program: &str, args: &[&str]) -> Self {
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Self(child)
    }

    /// `ffmpeg -hide_banner -loglevel error INPUT-ARGS -c copy -f mpegts
    /// OUTPUT`.
    fn ffmpeg(input_args: &[&str], output: &Path) -> Self {
        let mut args = vec!["-hide_banner", "-loglevel", "error"];
        args.extend_from_slice(input_args);
        args.extend(["-c", "copy", "-f", "mpegts", path_str(output)]);
        Self::spawn("ffmpeg", &args)
    }

    /// Waits for it to exit on its own, at most `limit`.
    async fn exited_within(&mut self, limit: Duration) -> bool {
        let end = Instant::now() + limit;
        while Instant::now() < end {
            if self.0.try_wait().unwrap().is_some() {
                return true;
            }
            rt::sleep(Duration::from_millis(50)).await;
        }
        false
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `path` as the UTF-8 a command line takes.
fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A 2 s, 25 fps MPEG-2 test pattern in MPEG-TS.
fn test_stream() -> TempFile {
    let file = TempFile::new("in.ts");
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"])
        .args(["-i", "testsrc=duration=2:size=320x240:rate=25"])
        .args(["-c:v", "mpeg2video", "-f", "mpegts"])
        .arg(&file.0)
        .status()
        .unwrap();
    assert!(status.success());
    file
}

/// The number of video frames ffprobe decodes from `path`.
fn video_frames(path: &Path) -> u32 {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=nb_read_frames", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text
        .split(|c: char| !c.is_ascii_digit())
        .find(|s| !s.is_empty());
    first.map_or(0, |n| n.parse().unwrap())
}

/// Sends the TS in `path` on `caller` as live messages of [`TS_CHUNK`]
/// bytes, then waits until the peer has acknowledged them all and played
/// them out before closing.
async fn send_ts(mut caller: SrtSocket, path: &Path) {
    let ts = std::fs::read(path).unwrap();
    for chunk in ts.chunks(TS_CHUNK) {
        caller
            .send((Instant::now(), Bytes::copy_from_slice(chunk)))
            .await
            .unwrap();
        rt::sleep(Duration::from_micros(500)).await;
    }
    let acknowledged = async {
        while caller.stats().await.unwrap().unwrap().send_buffer_packets > 0 {
            rt::sleep(Duration::from_millis(20)).await;
        }
    };
    within("acknowledgement", acknowledged).await;
    rt::sleep(Duration::from_millis(300)).await;
    within("close", caller.close()).await.unwrap();
}

#[test]
fn our_caller_into_an_ffmpeg_listener_gives_a_ts_with_every_frame() {
    with_ffmpeg(async {
        let input = test_stream();
        let output = TempFile::new("out.ts");
        let port = free_port();
        let url = format!("srt://127.0.0.1:{port}?mode=listener");
        let mut ffmpeg = Process::ffmpeg(&["-y", "-i", &url], &output.0);
        rt::sleep(Duration::from_millis(500)).await;
        let caller = within("call", SrtSocket::builder().call(loopback(port)))
            .await
            .unwrap();
        send_ts(caller, &input.0).await;
        assert!(ffmpeg.exited_within(WAIT).await, "ffmpeg did not end");
        assert_eq!(video_frames(&output.0), FRAMES);
    });
}

/// The TS our `accepted` connection receives until the peer closes: TS
/// packets, at most [`TS_CHUNK`] bytes a message.
async fn receive_ts(mut accepted: SrtSocket) -> Vec<u8> {
    let mut ts = Vec::new();
    while let Some(message) = within("message", accepted.next()).await {
        let (_, data) = message.unwrap();
        assert!(
            data.len() <= TS_CHUNK && data.len() % 188 == 0,
            "not TS packets"
        );
        ts.extend_from_slice(&data);
    }
    ts
}

#[test]
fn an_ffmpeg_caller_into_our_listener_delivers_the_ts_ffmpeg_muxed_byte_exact() {
    with_ffmpeg(async {
        let input = test_stream();
        let output = TempFile::new("out.ts");
        let mut listener = SrtSocket::builder().listen(any_port()).await.unwrap();
        let url = format!(
            "srt://{}?mode=caller&pkt_size={TS_CHUNK}",
            listener.local_addr()
        );
        let mut ffmpeg = Process::ffmpeg(&["-re", "-i", path_str(&input.0)], Path::new(&url));
        let accepted = common::accept_one(&mut listener).await;
        let ts = receive_ts(accepted).await;
        assert!(ffmpeg.exited_within(WAIT).await, "ffmpeg did not end");
        // ffmpeg flushes its muxer's last packets in a burst and closes at
        // once; its SHUTDOWN arrives while that burst still waits out the
        // latency. Our receiver plays out what it holds before it closes
        // (libsrt's srt-live-transmit drops it), so all of it arrives.
        let reference = remux(&input.0);
        assert_eq!(
            ts.len(),
            reference.len(),
            "received {} of {} bytes",
            ts.len(),
            reference.len()
        );
        assert!(ts == reference, "the received TS differs");
        std::fs::write(&output.0, &ts).unwrap();
        assert_eq!(video_frames(&output.0), FRAMES);
    });
}

/// What ffmpeg muxes from `input` for SRT (1316-byte packets), as a file.
fn remux(input: &Path) -> Vec<u8> {
    let file = TempFile::new("remux.ts");
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(input)
        .args(["-c", "copy", "-f", "mpegts", "-pkt_size", "1316"])
        .arg(&file.0)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read(&file.0).unwrap()
}

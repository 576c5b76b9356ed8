//! The `srt-transmit` example: its relay logic run in-process (the example
//! and this test include the same module), against itself and against
//! libsrt's `srt-live-transmit`.

#[allow(dead_code)]
#[path = "../examples/srt-transmit/transmit.rs"]
mod transmit;

#[path = "support/transmit.rs"]
mod transmit_support;

#[path = "support/peer.rs"]
mod peer;

use peer::peer_installed;

use futures_util::StreamExt;
use srt_tokio::SrtSocket;
use srt_tokio::proto::packet::reject::RejectReason;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::time::timeout;
use transmit::TransmitError;
use transmit_support::{args, free_port, message, spawn_transmit};

const COUNT: u32 = 200;
const WAIT: Duration = Duration::from_secs(10);

async fn send_datagrams(to: SocketAddr) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for i in 0..COUNT {
        socket.send_to(&message(i), to).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Reads datagrams until all `COUNT` messages arrived, in order.
async fn expect_datagrams(socket: &UdpSocket) {
    let mut buf = vec![0u8; 2048];
    for i in 0..COUNT {
        let len = timeout(WAIT, socket.recv(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("message {i} did not come out"))
            .unwrap();
        assert_eq!(&buf[..len], &message(i)[..], "message {i} differs");
    }
}

#[tokio::test]
async fn udp_through_our_caller_and_our_listener_arrives_byte_exact() {
    let sink = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let sink_addr = sink.local_addr().unwrap();
    let (srt_port, in_port) = (free_port(), free_port());
    let listener = spawn_transmit(&[
        &format!("srt://:{srt_port}?mode=listener&latency=120"),
        &format!("udp://{sink_addr}"),
    ]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let caller = spawn_transmit(&[
        "-s",
        "50",
        "-pf",
        "json",
        "-t:3",
        &format!("udp://127.0.0.1:{in_port}"),
        &format!("srt://127.0.0.1:{srt_port}?mode=caller&latency=120"),
    ]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    tokio::join!(
        send_datagrams(format!("127.0.0.1:{in_port}").parse().unwrap()),
        expect_datagrams(&sink)
    );

    // The caller stops at its timeout and closes; the listener's input
    // then ends and it stops too.
    let (result, log) = timeout(WAIT, caller).await.unwrap().unwrap();
    let summary = result.unwrap();
    assert_eq!(summary.messages, u64::from(COUNT));
    assert_eq!(summary.bytes, u64::from(COUNT) * 1316);
    let (result, _) = timeout(WAIT, listener).await.unwrap().unwrap();
    assert_eq!(result.unwrap().messages, u64::from(COUNT));

    // -s 50 -pf json: one JSON line per 50 packets, and one at the end.
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), (COUNT / 50 + 1) as usize, "{log}");
    for line in lines {
        assert!(
            line.starts_with("{\"time_ms\":") && line.ends_with('}'),
            "{line}"
        );
        assert!(line.contains("\"side\":\"output\""), "{line}");
    }
}

/// `srt-live-transmit INPUT OUTPUT`, killed when dropped.
struct LiveTransmit(Child);

impl Drop for LiveTransmit {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn our_caller_delivers_udp_byte_exact_through_a_libsrt_listener() {
    if !peer_installed("srt-live-transmit") {
        return;
    }
    let sink = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let sink_addr = sink.local_addr().unwrap();
    let (srt_port, in_port) = (free_port(), free_port());
    let passphrase = "interop secret 0123";
    let _libsrt = LiveTransmit(
        Command::new("srt-live-transmit")
            .args([
                "-a:no",
                &format!("srt://127.0.0.1:{srt_port}?mode=listener&passphrase={passphrase}"),
                &format!("udp://{sink_addr}"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let caller = spawn_transmit(&[
        &format!("udp://127.0.0.1:{in_port}"),
        &format!("srt://127.0.0.1:{srt_port}?passphrase={passphrase}&pbkeylen=32"),
    ]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    tokio::join!(
        send_datagrams(format!("127.0.0.1:{in_port}").parse().unwrap()),
        expect_datagrams(&sink)
    );
    caller.abort();
}

#[tokio::test]
async fn a_rejected_call_fails_with_exit_code_1_naming_the_reason_and_its_code() {
    let mut listener = SrtSocket::builder()
        .passphrase("the listener's secret")
        .listen("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let port = listener.local_addr().port();
    tokio::spawn(async move { while listener.next().await.is_some() {} });
    let caller = spawn_transmit(&[
        &format!("udp://127.0.0.1:{}", free_port()),
        &format!("srt://127.0.0.1:{port}?passphrase=another%20secret"),
    ]);
    let (result, _) = timeout(WAIT, caller).await.unwrap().unwrap();
    let error = result.unwrap_err();
    assert_eq!(error.exit_code(), 1);
    let text = error.to_string();
    let code = RejectReason::BadSecret.code();
    assert!(
        text.contains("BadSecret") && text.contains(&format!("reason code {code}")),
        "{text}"
    );
}

#[tokio::test]
async fn a_call_nobody_answers_fails_with_exit_code_1() {
    let caller = spawn_transmit(&[
        &format!("udp://127.0.0.1:{}", free_port()),
        &format!("srt://127.0.0.1:{}?conntimeo=300", free_port()),
    ]);
    let (result, _) = timeout(WAIT, caller).await.unwrap().unwrap();
    let error = result.unwrap_err();
    assert_eq!(error.exit_code(), 1);
    assert!(
        error.to_string().contains("connection timed out"),
        "{error}"
    );
}

fn parse_error(list: &[&str]) -> TransmitError {
    transmit::parse_args(list.iter().map(|s| (*s).to_owned())).unwrap_err()
}

#[test]
fn a_bad_uri_is_a_usage_error_naming_the_uri_and_the_option() {
    let error = parse_error(&["srt://host:9000?latency=abc", "udp://127.0.0.1:5000"]);
    assert_eq!(error.exit_code(), 2);
    assert_eq!(
        error.to_string(),
        "invalid URI \"srt://host:9000?latency=abc\": latency=abc: expected milliseconds, 0 to 2147483647"
    );
}

#[test]
fn an_unknown_scheme_is_a_usage_error() {
    let error = parse_error(&["rtmp://host/app", "udp://127.0.0.1:5000"]);
    assert_eq!(error.exit_code(), 2);
    assert!(error.to_string().contains("unknown scheme"), "{error}");
}

#[test]
fn one_uri_is_a_usage_error() {
    let error = parse_error(&["udp://:5000"]);
    assert_eq!(error.exit_code(), 2);
    assert!(
        error.to_string().contains("INPUT-URI OUTPUT-URI"),
        "{error}"
    );
}

#[test]
fn an_unknown_flag_is_a_usage_error() {
    assert_eq!(parse_error(&["-x", "udp://:1", "udp://h:2"]).exit_code(), 2);
}

#[test]
fn srt_live_transmit_style_flags_parse_with_a_colon_or_a_space() {
    let a = args(&[
        "-s:100",
        "-pf",
        "csv",
        "-t",
        "5",
        "-v",
        "udp://:1",
        "file://con",
    ]);
    assert_eq!(a.stats_every, Some(100));
    assert_eq!(a.stats_format, transmit::StatsFormat::Csv);
    assert_eq!(a.timeout, Some(Duration::from_secs(5)));
    assert!(a.verbose);
}

#[tokio::test]
async fn an_srt_option_the_builder_lacks_is_refused_by_name() {
    let caller = spawn_transmit(&[
        &format!("udp://127.0.0.1:{}", free_port()),
        "srt://127.0.0.1:9?packetfilter=fec,cols:10",
    ]);
    let (result, _) = timeout(WAIT, caller).await.unwrap().unwrap();
    let error = result.unwrap_err();
    assert_eq!(error.exit_code(), 2);
    assert_eq!(
        error.to_string(),
        "SRT option packetfilter is not supported by srt-transmit"
    );
}

#[test]
fn every_supported_srt_option_reaches_the_builder() {
    let uri: srt_tokio::uri::SrtUri = "srt://h:1?latency=200&passphrase=0123456789&pbkeylen=24\
        &cryptomode=2&enforcedencryption=no&streamid=abc&transtype=live&congestion=live\
        &messageapi=yes&tlpktdrop=yes&nakreport=yes&drifttracer=no&maxbw=1000000&inputbw=0\
        &oheadbw=25&mss=1400&fc=25600&sndbuf=1000000&rcvbuf=1000000&linger=0&conntimeo=500\
        &peeridletimeo=2000&rcvlatency=100&peerlatency=100"
        .parse()
        .unwrap();
    let config = transmit::builder_for(&uri)
        .unwrap()
        .handshake_config()
        .unwrap();
    assert_eq!(config.receive_latency, Duration::from_millis(100));
    assert_eq!(config.mss, 1400);
    assert_eq!(config.flow_window, 25600);
    assert!(config.encryption.is_some());
    assert!(!config.enforced_encryption);
}

/// The built example itself (cargo test builds examples): a bad URI exits
/// with 2 and says why on standard error.
#[test]
fn the_program_exits_2_on_a_bad_uri() {
    let exe = std::env::current_exe().unwrap();
    let Some(program) = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|dir| dir.join("examples").join("srt-transmit"))
        .filter(|p| p.exists())
    else {
        eprintln!("examples not built (cargo test --test only): skipping");
        return;
    };
    let out = Command::new(program)
        .args(["srt://h:1?latency=abc", "udp://127.0.0.1:5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("latency=abc"), "{stderr}");
}

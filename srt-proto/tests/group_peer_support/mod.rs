//! Support for the socket-group interop tests: the libsrt group peer
//! (`tests/peers/group_peer.c`, compiled here against a libsrt built with
//! bonding), a UDP relay per member path that a test can cut mid-stream,
//! and the numbered payloads every test sends and compares byte for byte.
//!
//! Debian's libsrt 1.5.1 (both flavours) is built WITHOUT bonding:
//! `srt_create_group` fails and `SRTO_GROUPCONNECT` is unknown. The peer
//! therefore links a libsrt built by `tests/peers/build-libsrt-bonding.sh`,
//! found through `SRT_BONDING_DIR` (the script's output) or built from
//! `SRT_SOURCE_DIR` (a libsrt v1.5.1 checkout) into the test target
//! directory; a system libsrt is used when it can create a group. Without
//! one the tests skip, unless `CI` is set: then they fail.

#![allow(dead_code)]

pub mod ours;
mod relay;

pub use relay::Relay;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The message every test sends as number `i`: 188 bytes (a TS packet's
/// size), numbered so a diff shows which one went missing.
pub fn payload(i: usize) -> Vec<u8> {
    let mut v = format!("group interop message {i:05} ").into_bytes();
    let fill = (i % 251) as u8;
    while v.len() < 188 {
        v.push(fill.wrapping_add(v.len() as u8));
    }
    v
}

/// Asserts `got` is exactly payloads `0..count`, in order, and says which
/// ones are missing or extra when not.
pub fn assert_all_payloads(got: &[Vec<u8>], count: usize) {
    let expected: Vec<Vec<u8>> = (0..count).map(payload).collect();
    if got == expected.as_slice() {
        return;
    }
    let missing: Vec<usize> = (0..count)
        .filter(|&i| !got.contains(&expected[i]))
        .collect();
    let foreign = got.iter().filter(|m| !expected.contains(m)).count();
    panic!(
        "delivered {} of {count} messages; missing {:?}; {} not sent by us; in order: {}",
        got.len(),
        missing,
        foreign,
        got.windows(2).all(|w| w[0] < w[1])
    );
}

/// A free UDP port on loopback (bound and released).
pub fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

// ---------------------------------------------------------------------------
// Building the peer

/// Where the test binaries keep what they build.
fn work_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("group-interop")
}

fn peers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers")
}

/// Compile and link flags for a libsrt with bonding, or why there is none.
fn libsrt_flags() -> Result<(Vec<String>, Vec<String>), String> {
    let prebuilt = std::env::var_os("SRT_BONDING_DIR").map(PathBuf::from);
    let built_here = work_dir().join("libsrt-bonding");
    let dir = if let Some(dir) = prebuilt {
        dir
    } else if let Some(src) = std::env::var_os("SRT_SOURCE_DIR") {
        let status = Command::new("bash")
            .arg(peers_dir().join("build-libsrt-bonding.sh"))
            .arg(&src)
            .arg(&built_here)
            .status()
            .map_err(|e| format!("cannot run build-libsrt-bonding.sh: {e}"))?;
        if !status.success() {
            return Err(format!("building libsrt from {src:?} failed"));
        }
        built_here
    } else if built_here.join("lib/libsrt-bonding.a").exists() {
        built_here
    } else {
        // A system libsrt: usable only if it was built with bonding, which
        // the probe run finds out.
        let out = Command::new("pkg-config")
            .args(["--cflags", "--libs", "srt"])
            .output()
            .map_err(|e| format!("pkg-config not found: {e}"))?;
        if !out.status.success() {
            return Err("no libsrt headers (libsrt-gnutls-dev)".into());
        }
        let flags: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        return Ok((flags, Vec::new()));
    };
    let lib = dir.join("lib/libsrt-bonding.a");
    if !lib.exists() {
        return Err(format!("{} does not exist", lib.display()));
    }
    let crypto = Command::new("pkg-config")
        .args(["--libs", "gnutls", "nettle"])
        .output()
        .map_err(|e| format!("pkg-config not found: {e}"))?;
    let mut libs = vec![lib.display().to_string()];
    libs.extend(
        String::from_utf8_lossy(&crypto.stdout)
            .split_whitespace()
            .map(str::to_owned),
    );
    libs.extend(["-lstdc++", "-lpthread", "-lm"].map(String::from));
    let include = format!("-I{}", dir.join("include/srt").display());
    Ok((vec![include], libs))
}

fn build_peer() -> Result<PathBuf, String> {
    let (cflags, libs) = libsrt_flags()?;
    let dir = work_dir();
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let exe = dir.join("group_peer");
    // A private name, renamed into place: another test binary may be
    // building the same peer right now.
    let tmp = dir.join(format!("group_peer.{}", std::process::id()));
    let out = Command::new("gcc")
        .args(["-O1", "-Wall", "-o"])
        .arg(&tmp)
        .arg(peers_dir().join("group_peer.c"))
        .args(&cflags)
        .args(&libs)
        .output()
        .map_err(|e| format!("gcc not found: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "compiling group_peer.c failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    std::fs::rename(&tmp, &exe).map_err(|e| e.to_string())?;
    let probe = Command::new(&exe)
        .arg("probe")
        .output()
        .map_err(|e| e.to_string())?;
    if !probe.status.success() {
        return Err(
            "this libsrt has no socket groups (built without ENABLE_BONDING; \
                    Debian's 1.5.1 is): set SRT_SOURCE_DIR to a libsrt v1.5.1 checkout, or \
                    SRT_BONDING_DIR to the output of tests/peers/build-libsrt-bonding.sh"
                .into(),
        );
    }
    Ok(exe)
}

/// The compiled peer, built once per test binary; `None` (after saying why)
/// when it cannot be built outside CI. In CI a missing peer fails the test.
pub fn group_peer() -> Option<PathBuf> {
    static PEER: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PEER.get_or_init(build_peer) {
        Ok(path) => Some(path.clone()),
        Err(why) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "the libsrt group peer is required in CI: {why}"
            );
            eprintln!("skipping: {why}");
            None
        }
    }
}

// ---------------------------------------------------------------------------
// Running the peer

/// A running `group_peer`, killed when dropped. Its stderr status lines are
/// collected as they come; a listener's stdout is read into messages.
pub struct Peer {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Arc<Mutex<Vec<String>>>,
    messages: Option<JoinHandle<Vec<Vec<u8>>>>,
    name: &'static str,
}

impl Peer {
    fn spawn(exe: &Path, name: &'static str, args: &[String]) -> Self {
        let mut args = args.to_vec();
        // libsrt's own log on stderr, for debugging: GROUP_PEER_LOGLEVEL=7
        // (syslog levels; debug lines need a libsrt built with
        // ENABLE_HEAVY_LOGGING).
        if let Ok(level) = std::env::var("GROUP_PEER_LOGLEVEL") {
            // After the mode words: "caller MODE" or "listener".
            let at = if args[0] == "caller" { 2 } else { 1 };
            args.splice(at..at, ["--loglevel".to_owned(), level]);
        }
        let mut child = Command::new(exe)
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line);
            }
        });
        let mut stdout = child.stdout.take().unwrap();
        let messages = std::thread::spawn(move || read_framed(&mut stdout));
        Self {
            stdin: child.stdin.take(),
            child,
            lines,
            messages: Some(messages),
            name,
        }
    }

    /// A libsrt group listener on 127.0.0.1:`port` (`SRTO_GROUPCONNECT` on).
    pub fn listener(exe: &Path, port: u16, options: &[&str]) -> Self {
        let mut args = vec!["listener".to_owned()];
        args.extend(options.iter().map(|s| s.to_string()));
        args.push(port.to_string());
        let peer = Self::spawn(exe, "libsrt listener", &args);
        peer.wait_line(|l| l.starts_with("listening"), Duration::from_secs(5));
        peer
    }

    /// A libsrt group caller of `mode` ("broadcast" or "backup") with one
    /// member per `(address, weight)`; returns once `members` are connected.
    pub fn caller(
        exe: &Path,
        mode: &str,
        targets: &[(SocketAddr, u16)],
        members: usize,
        options: &[&str],
    ) -> Self {
        let peer = Self::start_caller(exe, mode, targets, members, options);
        peer.wait_line(|l| l.starts_with("ready"), Duration::from_secs(8));
        peer
    }

    /// [`Peer::caller`] without waiting: for a caller whose listener runs
    /// in this thread (see [`Peer::is_ready`]).
    pub fn start_caller(
        exe: &Path,
        mode: &str,
        targets: &[(SocketAddr, u16)],
        members: usize,
        options: &[&str],
    ) -> Self {
        let mut args = vec!["caller".to_owned(), mode.to_owned()];
        args.extend(options.iter().map(|s| s.to_string()));
        args.extend(["--members".to_owned(), members.to_string()]);
        args.extend(targets.iter().map(|(a, w)| format!("{a}#{w}")));
        Self::spawn(exe, "libsrt caller", &args)
    }

    /// Whether a caller has its members connected ("ready").
    pub fn is_ready(&self) -> bool {
        self.lines().iter().any(|l| l.starts_with("ready"))
    }

    /// Whether the peer reported an error (and is giving up).
    pub fn has_failed(&self) -> bool {
        self.lines().iter().any(|l| l.starts_with("error"))
    }

    /// The status lines so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Waits until a status line matches, panicking (with all lines) after
    /// `timeout` or on an `error` line.
    pub fn wait_line(&self, matches: impl Fn(&str) -> bool, timeout: Duration) -> String {
        let end = Instant::now() + timeout;
        loop {
            let lines = self.lines();
            if let Some(l) = lines.iter().find(|l| matches(l)) {
                return l.clone();
            }
            if lines.iter().any(|l| l.starts_with("error")) || Instant::now() > end {
                panic!("{}: expected line not seen; got {lines:#?}", self.name);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends one message (a caller reads them from its stdin).
    pub fn send(&mut self, data: &[u8]) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin
            .write_all(&(data.len() as u32).to_be_bytes())
            .and_then(|()| stdin.write_all(data))
            .and_then(|()| stdin.flush())
            .unwrap();
    }

    /// Streams payloads `0..count` into the caller from another thread, one
    /// per `pace`, running each `(n, action)` before payload `n`; then ends
    /// the input.
    pub fn stream_in_background(
        &mut self,
        count: usize,
        pace: Duration,
        mut actions: Vec<(usize, Box<dyn FnOnce() + Send>)>,
    ) -> JoinHandle<()> {
        let mut stdin = self.stdin.take().unwrap();
        std::thread::spawn(move || {
            for i in 0..count {
                while let Some(pos) = actions.iter().position(|(n, _)| *n == i) {
                    (actions.swap_remove(pos).1)();
                }
                let data = payload(i);
                stdin
                    .write_all(&(data.len() as u32).to_be_bytes())
                    .and_then(|()| stdin.write_all(&data))
                    .and_then(|()| stdin.flush())
                    .unwrap();
                std::thread::sleep(pace);
            }
        })
    }

    /// Ends the input: a caller lingers, then closes its group.
    pub fn finish_input(&mut self) {
        self.stdin = None;
    }

    /// Waits for the process to exit (at most `timeout`) and returns the
    /// messages it wrote to stdout, panicking if it failed or hung.
    pub fn finish(self, timeout: Duration) -> Vec<Vec<u8>> {
        self.finish_keeping_lines(timeout).0
    }

    /// [`Peer::finish`], also returning all its status lines.
    pub fn finish_keeping_lines(mut self, timeout: Duration) -> (Vec<Vec<u8>>, Vec<String>) {
        self.stdin = None;
        let end = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > end {
                panic!("{} did not exit; lines {:#?}", self.name, self.lines());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(
            status.success(),
            "{} exited with {status}; lines {:#?}",
            self.name,
            self.lines()
        );
        let messages = self.messages.take().unwrap().join().unwrap();
        // The stderr reader ends with the process.
        std::thread::sleep(Duration::from_millis(20));
        (messages, self.lines())
    }

    /// The member state changes printed so far.
    pub fn member_changes(&self) -> Vec<(i64, String, u16)> {
        member_changes(&self.lines())
    }
}

/// The member state changes among a peer's status lines: (socket id,
/// state, weight).
pub fn member_changes(lines: &[String]) -> Vec<(i64, String, u16)> {
    lines
        .iter()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            match f.as_slice() {
                ["member", id, "state", state, "sock", _, "weight", w, ..] => {
                    Some((id.parse().ok()?, state.to_string(), w.parse().ok()?))
                }
                _ => None,
            }
        })
        .collect()
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_framed(r: &mut impl Read) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let mut len = [0u8; 4];
        if r.read_exact(&mut len).is_err() {
            return out;
        }
        let mut msg = vec![0u8; u32::from_be_bytes(len) as usize];
        if r.read_exact(&mut msg).is_err() {
            return out;
        }
        out.push(msg);
    }
}

//! A live RTMP relay, like nginx-rtmp's `application live { live on; }`:
//! publishes on `rtmp://HOST/APP/KEY` are served to players of the same
//! `APP/KEY`. Logs connects, publishes, plays and disconnects to stderr.
//!
//! ```text
//! cargo run --release -p rtmp-tokio --example rtmp-server -- --listen 127.0.0.1:1935
//! ffmpeg -re -i input.flv -c copy -f flv rtmp://127.0.0.1/live/key
//! ffmpeg -i rtmp://127.0.0.1/live/key -c copy out.flv
//! ```
//!
//! Options: `--listen ADDR` (default `0.0.0.0:1935`), `--stats SECONDS`
//! (print every stream's counters this often; default off), `--threads N`
//! (runtime worker threads; default one per core, 1 runs everything on
//! the main thread like an nginx worker).

use std::time::Duration;

use rtmp_tokio::{
    ConnectRequest, Handler, PublishDecision, RtmpServer, ServerOptions, SessionSummary,
    StreamRequest,
};

struct Log;

impl Handler for Log {
    fn on_connect(&self, r: &ConnectRequest) -> Result<(), rtmp_tokio::Rejection> {
        eprintln!("[{}] connect {} app={:?}", r.session.0, r.peer, r.info.app);
        Ok(())
    }

    fn on_publish(&self, r: &StreamRequest) -> PublishDecision {
        eprintln!("[{}] publish {}/{}", r.session.0, r.app, r.key);
        PublishDecision::Accept(None)
    }

    fn on_play(&self, r: &StreamRequest) -> Result<(), rtmp_tokio::Rejection> {
        eprintln!("[{}] play {}/{}", r.session.0, r.app, r.key);
        Ok(())
    }

    fn on_disconnect(&self, s: &SessionSummary) {
        let stream = s
            .stream
            .as_ref()
            .map(|(role, name)| format!(" {role:?} {name}"))
            .unwrap_or_default();
        eprintln!(
            "[{}] disconnect {}{stream}: {} (in {} B, out {} B, frames in {} out {} dropped {})",
            s.session.0,
            s.peer,
            s.reason,
            s.stats.bytes_received,
            s.stats.bytes_sent,
            s.stats.frames_received,
            s.stats.frames_sent,
            s.stats.frames_dropped
        );
    }
}

fn usage() -> ! {
    eprintln!("usage: rtmp-server [--listen ADDR] [--stats SECONDS] [--threads N]");
    std::process::exit(2)
}

fn main() -> std::io::Result<()> {
    let mut options = ServerOptions::default();
    let mut stats_every = None;
    let mut threads = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => match args.next().and_then(|a| a.parse().ok()) {
                Some(addr) => options.listen = addr,
                None => usage(),
            },
            "--stats" => match args.next().and_then(|a| a.parse::<f64>().ok()) {
                Some(s) if s > 0.0 => stats_every = Some(Duration::from_secs_f64(s)),
                _ => usage(),
            },
            "--threads" => match args.next().and_then(|a| a.parse::<usize>().ok()) {
                Some(n) if n > 0 => threads = Some(n),
                _ => usage(),
            },
            _ => usage(),
        }
    }
    let runtime = match threads {
        Some(1) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
        Some(n) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build()?,
        None => tokio::runtime::Runtime::new()?,
    };
    runtime.block_on(serve(options, stats_every))
}

async fn serve(options: ServerOptions, stats_every: Option<Duration>) -> std::io::Result<()> {
    let server = RtmpServer::bind(options, Log).await?;
    eprintln!("listening on {}", server.local_addr());
    let mut tick = tokio::time::interval(stats_every.unwrap_or(Duration::from_secs(3600)));
    tick.tick().await;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
            _ = tick.tick() => {
                if stats_every.is_some() {
                    for s in server.streams() {
                        eprintln!("stream {s:?}");
                    }
                }
            }
        }
    }
    eprintln!("shutting down");
    server.shutdown().await;
    Ok(())
}

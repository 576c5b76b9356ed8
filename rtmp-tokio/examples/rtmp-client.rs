//! Publish an FLV file to an RTMP server in real time, or play a stream
//! into an FLV file.
//!
//! ```text
//! rtmp-client publish FILE.flv rtmp://host/app/key [--offset-ms N] [--loop] [--duration S]
//! rtmp-client play rtmp://host/app/key OUT.flv [--duration S]
//! rtmp-client play-many rtmp://host/app/key N [--duration S]
//! ```
//!
//! `publish` paces the tags by their timestamps, like `ffmpeg -re`;
//! `--offset-ms` adds N to every timestamp (to cross 0xFFFFFF ms and test
//! extended timestamps), `--loop` starts over at the end with timestamps
//! that keep increasing. `play` writes what it receives, metadata and
//! sequence headers first as they come, until the publisher leaves or the
//! duration is up. `play-many` opens N players in one process and prints
//! the bytes and frames they received (a load generator for benchmarks).

use std::time::Duration;

use bytes::Bytes;
use rtmp_tokio::proto::media::flv::{self, FlvHeader, FlvTag, TagType};
use rtmp_tokio::{Frame, MediaKind, Metadata, RtmpClient};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn usage() -> ! {
    eprintln!(
        "usage:\n  rtmp-client publish FILE.flv URL [--offset-ms N] [--loop] [--duration S]\n  \
         rtmp-client play URL OUT.flv [--duration S]\n  rtmp-client play-many URL N [--duration S]"
    );
    std::process::exit(2)
}

struct Args {
    positional: Vec<String>,
    offset_ms: u32,
    looped: bool,
    duration: Option<Duration>,
}

fn parse_args() -> Args {
    let mut out = Args {
        positional: Vec::new(),
        offset_ms: 0,
        looped: false,
        duration: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--offset-ms" => match args.next().and_then(|a| a.parse().ok()) {
                Some(n) => out.offset_ms = n,
                None => usage(),
            },
            "--loop" => out.looped = true,
            "--duration" => match args.next().and_then(|a| a.parse::<f64>().ok()) {
                Some(s) if s >= 0.0 => out.duration = Some(Duration::from_secs_f64(s)),
                _ => usage(),
            },
            _ if arg.starts_with("--") => usage(),
            _ => out.positional.push(arg),
        }
    }
    out
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let result = match args.positional.first().map(String::as_str) {
        Some("publish") if args.positional.len() == 3 => publish(&args).await,
        Some("play") if args.positional.len() == 3 => play(&args).await,
        Some("play-many") if args.positional.len() == 3 => play_many(&args).await,
        _ => usage(),
    };
    if let Err(e) = result {
        eprintln!("rtmp-client: {e}");
        std::process::exit(1);
    }
}

async fn publish(args: &Args) -> Result<()> {
    let data = std::fs::read(&args.positional[1])?;
    let (_, tags) = flv::read_file(&data)?;
    let span = tags.iter().map(|t| t.timestamp).max().unwrap_or(0);
    let mut publisher = RtmpClient::connect(&args.positional[2])
        .await?
        .publish()
        .await?;
    eprintln!(
        "publishing {} tags ({} ms) to {}",
        tags.len(),
        span,
        args.positional[2]
    );
    let start = tokio::time::Instant::now();
    let mut base = 0u32;
    let mut sent = 0u64;
    'outer: loop {
        for tag in &tags {
            let timestamp = tag.timestamp.wrapping_add(base);
            let due = start + Duration::from_millis(u64::from(timestamp));
            if args.duration.is_some_and(|d| due > start + d) {
                break 'outer;
            }
            tokio::time::sleep_until(due).await;
            let stamped = timestamp.wrapping_add(args.offset_ms);
            match tag.tag_type {
                TagType::Audio | TagType::Video => {
                    // Sequence headers are resent on every loop: harmless.
                    let kind = if tag.tag_type == TagType::Audio {
                        MediaKind::Audio
                    } else {
                        MediaKind::Video
                    };
                    publisher
                        .send_media(kind, stamped, tag.body.clone())
                        .await?;
                    sent += 1;
                }
                TagType::Script if base == 0 => {
                    if let Ok(mut metadata) = Metadata::parse(stamped, &tag.body) {
                        metadata.timestamp = stamped;
                        publisher.send_metadata(&metadata).await?;
                    }
                }
                _ => {}
            }
        }
        if !args.looped {
            break;
        }
        // The next round starts one frame interval after this one ended.
        base = base.wrapping_add(span.saturating_add(40));
    }
    publisher.finish().await?;
    eprintln!(
        "published {sent} frames in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn play(args: &Args) -> Result<()> {
    let mut player = RtmpClient::connect(&args.positional[1])
        .await?
        .play()
        .await?;
    let mut out = Vec::new();
    flv::write_header(&FlvHeader::new(true, true), &mut out);
    let deadline = args
        .duration
        .map(|d| tokio::time::Instant::now() + d)
        .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(86400 * 365));
    let mut frames = 0u64;
    loop {
        let frame = match tokio::time::timeout_at(deadline, player.next_frame()).await {
            Err(_) => break,
            Ok(Ok(Some(frame))) => frame,
            Ok(Ok(None)) => break,
            Ok(Err(e)) => return Err(e.into()),
        };
        let tag = match frame {
            Frame::Metadata(m) => {
                let mut body = Vec::new();
                m.encode(&mut body)?;
                FlvTag {
                    tag_type: TagType::Script,
                    timestamp: m.timestamp,
                    body: Bytes::from(body),
                }
            }
            Frame::Media(f) => {
                frames += 1;
                FlvTag {
                    tag_type: f.kind.into(),
                    timestamp: f.timestamp,
                    body: f.body,
                }
            }
        };
        flv::write_tag(&tag, &mut out)?;
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), player.close()).await;
    std::fs::write(&args.positional[2], &out)?;
    eprintln!("played {frames} frames into {}", args.positional[2]);
    Ok(())
}

async fn play_many(args: &Args) -> Result<()> {
    let url = args.positional[1].clone();
    let n: usize = args.positional[2].parse()?;
    let duration = args.duration.unwrap_or(Duration::from_secs(10));
    let deadline = tokio::time::Instant::now() + duration;
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let options = rtmp_tokio::ClientOptions {
                read_buffer: 16 << 10,
                ..Default::default()
            };
            let url: rtmp_tokio::RtmpUrl = url.parse()?;
            let mut player = RtmpClient::connect_with(url, options).await?.play().await?;
            let mut frames = 0u64;
            while let Ok(Ok(Some(_))) = tokio::time::timeout_at(deadline, player.next_frame()).await
            {
                frames += 1;
            }
            let bytes = player.counters().bytes_received;
            drop(player);
            Ok::<_, rtmp_tokio::ClientError>((bytes, frames))
        }));
    }
    let (mut bytes, mut frames, mut failed) = (0u64, 0u64, 0usize);
    for task in tasks {
        match task.await {
            Ok(Ok((b, f))) => {
                bytes += b;
                frames += f;
            }
            Ok(Err(e)) => {
                failed += 1;
                if failed <= 3 {
                    eprintln!("player failed: {e}");
                }
            }
            Err(_) => failed += 1,
        }
    }
    println!("players={n} failed={failed} bytes={bytes} frames={frames}");
    Ok(())
}

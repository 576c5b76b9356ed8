//! srt-tokio against ffmpeg's SRT protocol (libsrt inside) on loopback.
//! The cases are `support/interop_ffmpeg.rs`, shared with srt-smol's
//! tests, run here on tokio.

#[path = "support/interop_ffmpeg.rs"]
mod interop_ffmpeg;
#[path = "support/tokio_rt.rs"]
mod rt;

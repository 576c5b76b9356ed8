//! srt-smol against ffmpeg's SRT protocol (libsrt inside) on loopback, run
//! on smol: the very cases srt-tokio passes (srt-tokio's
//! `tests/support/interop_ffmpeg.rs`).

#[path = "../../srt-tokio/tests/support/interop_ffmpeg.rs"]
mod interop_ffmpeg;
#[path = "support/smol_rt.rs"]
mod rt;

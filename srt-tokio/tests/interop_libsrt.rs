//! srt-tokio against libsrt 1.5 (`srt-live-transmit`) on loopback. The
//! cases are `support/interop_libsrt.rs`, shared with srt-smol's tests,
//! run here on tokio.

#[path = "support/interop_libsrt.rs"]
mod interop_libsrt;
#[path = "support/tokio_rt.rs"]
mod rt;

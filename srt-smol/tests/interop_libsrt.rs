//! srt-smol against libsrt 1.5 (`srt-live-transmit`) on loopback, run on
//! smol: the very cases srt-tokio passes (srt-tokio's
//! `tests/support/interop_libsrt.rs`).

#[path = "../../srt-tokio/tests/support/interop_libsrt.rs"]
mod interop_libsrt;
#[path = "support/smol_rt.rs"]
mod rt;

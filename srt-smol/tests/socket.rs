//! srt-smol's SrtSocket and SrtListener over loopback, run on smol: the
//! very cases srt-tokio passes (srt-tokio's `tests/support/socket.rs`).

#[path = "support/smol_rt.rs"]
mod rt;
#[path = "../../srt-tokio/tests/support/socket.rs"]
mod socket;

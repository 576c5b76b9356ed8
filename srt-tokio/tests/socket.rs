//! srt-tokio's SrtSocket and SrtListener over loopback. The cases are
//! `support/socket.rs`, shared with srt-smol's tests, run here on tokio.

#[path = "support/tokio_rt.rs"]
mod rt;
#[path = "support/socket.rs"]
mod socket;

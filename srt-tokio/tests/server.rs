//! srt-tokio's SrtServer: connections reach the handler by their stream
//! id's mode and are closed when it returns. The cases are
//! `support/server.rs`, shared with srt-smol's tests, run here on tokio.

#[path = "support/tokio_rt.rs"]
mod rt;
#[path = "support/server.rs"]
mod server;

//! srt-smol's SrtServer, run on smol: the very cases srt-tokio's server
//! passes (srt-tokio's `tests/support/server.rs`).

#[path = "support/smol_rt.rs"]
mod rt;
#[path = "../../srt-tokio/tests/support/server.rs"]
mod server;

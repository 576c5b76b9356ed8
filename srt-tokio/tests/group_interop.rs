//! srt-tokio's SrtGroup against libsrt's socket groups (a libsrt built with
//! bonding: see srt-proto's `tests/group_peer_support`). The cases are
//! srt-tokio's `tests/support/group_interop.rs`, shared by both adapters.

#[path = "support/tokio_rt.rs"]
mod rt;

/// The adapter under test.
mod adapter {
    pub use srt_tokio::{
        Accepted, BackupState, GroupMember, GroupType, MemberState, SrtGroup, SrtSocket,
    };
}

#[path = "../../srt-proto/tests/group_peer_support/mod.rs"]
mod group_peer_support;

#[path = "support/group_interop.rs"]
mod group_interop;

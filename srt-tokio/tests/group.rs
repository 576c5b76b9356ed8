//! srt-tokio's SrtGroup over loopback. The cases are `support/group.rs`,
//! shared with srt-smol's tests, run here on tokio.

#[path = "support/tokio_rt.rs"]
mod rt;

/// The adapter under test.
mod adapter {
    pub use srt_tokio::{
        Accepted, BackupState, GroupMember, GroupType, MemberState, SrtGroup, SrtListener,
        SrtSocket,
    };
}

#[path = "support/group.rs"]
mod group;

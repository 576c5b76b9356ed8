//! srt-smol's SrtGroup over loopback, run on smol: the very cases
//! srt-tokio passes (srt-tokio's `tests/support/group.rs`).

#[path = "support/smol_rt.rs"]
mod rt;

/// The adapter under test.
mod adapter {
    pub use srt_smol::{
        Accepted, BackupState, GroupMember, GroupType, MemberState, SrtGroup, SrtListener,
        SrtSocket,
    };
}

#[path = "../../srt-tokio/tests/support/group.rs"]
mod group;

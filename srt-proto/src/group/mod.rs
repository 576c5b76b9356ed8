//! Socket groups (libsrt 1.5 "bonding"): several connections, the
//! group's members, carry one stream in one sequence space. Broadcast
//! sends every message on every member and delivers each once, from
//! whichever member brings it first; main/backup sends on one active
//! member, keeps the others on standby, and switches when the active one
//! goes silent, replaying what the new one must carry so the receiver
//! sees no gap.
//!
//! # Driving contract
//! A [`Group`] is Sans-I/O like a [`Connection`](crate::connection): it
//! never touches a socket or an endpoint, reads no clock and draws no
//! random number. The members are connections the embedder owns (usually
//! inside [`Endpoint`](crate::Endpoint)s); the group is told what happens
//! to them and says what to do with them:
//! - inputs: [`Group::add_member`] (pending), [`Group::member_connected`]
//!   and [`Group::observe`] (a [`MemberObservation`] of the member's
//!   connection after each batch of its I/O), [`Group::member_closed`],
//!   [`Group::remove_member`], [`Group::member_send_failed`],
//!   [`Group::send`] (the application's message),
//!   [`Group::on_member_message`] (a member delivered a message), and
//!   [`Group::handle_timeout`] at [`Group::next_timeout`];
//! - outputs, from [`Group::poll_output`] after every input, in order:
//!   [`GroupOutput::Send`] (send this message on that member, with these
//!   options: its origin time is set), [`GroupOutput::Command`] (a
//!   [`MemberCommand`] for that member's
//!   connection, `Input::Member` on its endpoint),
//!   [`GroupOutput::CloseMember`], and [`GroupOutput::Event`] (delivered
//!   messages, member and backup state changes, switches).
//!
//! Apply the outputs in order, before the next observation of the
//! members they concern.
//!
//! # One sequence space
//! As in libsrt, every member sends a message with the same sequence
//! number and timestamp: a caller member handshakes with the group's
//! [`Group::sync`] (the next sequence number as its ISN, the group's start
//! as its time zero); a member whose next sequence number differs is
//! moved with `OverrideSendSeq` while its send buffer is empty (a member
//! with data in flight waits idle until it is). On the receiving side the
//! members share one TSBPD time base (the group follows its first
//! member's and sets the others' with `SetReceiveTimeBase`), so a
//! sequence number is due at the same instant on each, and members that
//! fall behind the last delivery get `SkipReceiveTo`. Bases are compared
//! up to whole timestamp wraps (2^32 µs): a member joining after the
//! peer's timestamps wrapped (71.6 min into the group) counts from that
//! wrap and takes the group's base moved onto its own line.
//!
//! # Bounds
//! At most [`GroupConfig::max_members`] members; a backup group keeps at
//! most [`GroupConfig::max_replay_packets`] messages for replay, none
//! older than the latency; the receiving side keeps one sequence number.
//! Outputs wait in a queue until polled: drain it after every input.
//!
//! # Where it differs from libsrt
//! - Qualification runs on every send and at least every 10 ms (libsrt:
//!   on send only), so a sparse stream fails over as fast as a dense one.
//! - The receiving side delivers what the member connections deliver at
//!   their TSBPD time instead of reading a group buffer; with the shared
//!   time base the result is the same order and timing.
//! - Messages are single live packets (libsrt's groups are live-mode
//!   only too).
//!
//! # Speed
//! The broadcast receive path (`benches/benches/srt_group.rs`: 1316-byte
//! live packets 100 µs apart, each copy through its member connection and
//! into the group), per packet, release build on the project's shared
//! 2-core machine: 91 ns with one member, 159 ns with two, 219 ns with
//! three; the group's own part (dedup, events) is about 20 ns per copy.

mod backup;
mod config;
#[allow(clippy::module_inception)]
mod group;
mod member;
mod receive;

pub use config::{DEFAULT_PAYLOAD_SIZE, DEFAULT_STABILITY_TIMEOUT, GroupConfig};
pub use group::{AddMemberError, Group, GroupSendError};
pub use member::{BackupState, MemberId, MemberObservation, MemberState, MemberStatus};

use crate::connection::SendOptions;
use crate::endpoint::MemberCommand;
use crate::seq::SeqNumber;
use crate::time::Instant;
use bytes::Bytes;
use core::fmt;

/// What the embedder must do for the group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupOutput {
    /// Send `data` on the member's connection with `options` (its
    /// `src_time` is set: every member stamps the message alike). A
    /// refused send is reported with [`Group::member_send_failed`].
    Send {
        /// The member.
        member: MemberId,
        /// The message.
        data: Bytes,
        /// Its options.
        options: SendOptions,
    },
    /// Run a command on the member's connection (`Input::Member`); a
    /// failure is reported with [`Group::member_send_failed`].
    Command {
        /// The member.
        member: MemberId,
        /// The command.
        command: MemberCommand,
    },
    /// Close the member's connection: it broke (backup: unstable for the
    /// peer idle timeout). The group already removed it.
    CloseMember {
        /// The member.
        member: MemberId,
    },
    /// Something to tell the application.
    Event(GroupEvent),
}

/// What the group reports to the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupEvent {
    /// A message, delivered once whichever members brought it.
    Message {
        /// The message.
        data: Bytes,
        /// Its origin time on our clock (TSBPD time minus latency).
        src_time: Instant,
        /// Its sequence number in the group.
        seq: SeqNumber,
        /// The member whose copy was delivered.
        member: MemberId,
    },
    /// A member was added (pending).
    MemberAdded {
        /// The member.
        member: MemberId,
    },
    /// A member's lifecycle state changed.
    MemberStateChanged {
        /// The member.
        member: MemberId,
        /// The state before.
        from: MemberState,
        /// The state now.
        to: MemberState,
    },
    /// A backup member's state changed.
    BackupStateChanged {
        /// The member.
        member: MemberId,
        /// The state before.
        from: BackupState,
        /// The state now.
        to: BackupState,
    },
    /// Backup: a standby was activated.
    ActiveSwitched {
        /// The best active member before, if any.
        from: Option<MemberId>,
        /// The member activated.
        to: MemberId,
        /// Messages replayed on it.
        replayed: u64,
    },
    /// A member left the group.
    MemberRemoved {
        /// The member.
        member: MemberId,
    },
}

/// Group counters and gauges ([`Group::stats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupStats {
    /// Members held.
    pub members: usize,
    /// Members running.
    pub running: usize,
    /// Messages sent by the application.
    pub sent: u64,
    /// Messages replayed on activated backup members.
    pub replayed: u64,
    /// Backup activations.
    pub activations: u64,
    /// Messages in the replay buffer.
    pub replay_buffer: usize,
    /// Messages delivered.
    pub delivered: u64,
    /// Copies discarded (a member brought a sequence number already
    /// delivered or passed).
    pub duplicates: u64,
    /// Sequence numbers no member brought in time (gaps in delivery).
    pub lost: u64,
    /// `SkipReceiveTo` commands sent to lagging members.
    pub skips_sent: u64,
}

/// The group type (libsrt `SRT_GROUP_TYPE`), as the GROUP handshake
/// extension carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupType {
    /// `SRT_GTYPE_BROADCAST` (1): every packet on every member.
    Broadcast,
    /// `SRT_GTYPE_BACKUP` (2): one active member, the others on standby.
    Backup,
}

impl GroupType {
    /// libsrt's code for the type.
    pub const fn to_u8(self) -> u8 {
        match self {
            Self::Broadcast => 1,
            Self::Backup => 2,
        }
    }

    /// The type of a libsrt code; `None` for 0 (undefined), 3 (balancing,
    /// which libsrt does not implement either) and anything else.
    pub const fn from_u8(code: u8) -> Option<Self> {
        match code {
            1 => Some(Self::Broadcast),
            2 => Some(Self::Backup),
            _ => None,
        }
    }
}

impl From<GroupType> for u8 {
    fn from(t: GroupType) -> Self {
        t.to_u8()
    }
}

impl TryFrom<u8> for GroupType {
    type Error = UnknownGroupType;

    fn try_from(code: u8) -> Result<Self, Self::Error> {
        Self::from_u8(code).ok_or(UnknownGroupType(code))
    }
}

/// A group type code this crate does not implement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownGroupType(pub u8);

impl fmt::Display for UnknownGroupType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown or unsupported group type {}", self.0)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for UnknownGroupType {}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod type_tests {
    use super::*;

    #[test]
    fn group_types_use_libsrt_codes() {
        assert_eq!(GroupType::Broadcast.to_u8(), 1);
        assert_eq!(GroupType::Backup.to_u8(), 2);
        for t in [GroupType::Broadcast, GroupType::Backup] {
            assert_eq!(GroupType::try_from(u8::from(t)), Ok(t));
        }
    }

    #[test]
    fn undefined_and_balancing_groups_are_not_types() {
        assert_eq!(GroupType::from_u8(0), None);
        assert_eq!(GroupType::try_from(3), Err(UnknownGroupType(3)));
    }
}

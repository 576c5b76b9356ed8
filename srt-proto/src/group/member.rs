//! Members: their ids, lifecycle states (libsrt `SRT_MEMBERSTATUS`),
//! main/backup states, what the group observes of their connections, and
//! what it reports about them.

use crate::connection::Connection;
use crate::seq::SeqNumber;
use crate::time::Instant;
use core::time::Duration;

/// Names a member of one [`Group`](super::Group); ids are not reused while
/// the group holds the member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MemberId(pub u32);

/// A member's lifecycle state (libsrt `SRT_MEMBERSTATUS`, same codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberState {
    /// `SRT_GST_PENDING` (0): added, its connection not established yet.
    Pending,
    /// `SRT_GST_IDLE` (1): connected, not carrying the group's data (a
    /// backup member on standby, or not yet in the sequence space).
    Idle,
    /// `SRT_GST_RUNNING` (2): carrying the group's data.
    Running,
    /// `SRT_GST_BROKEN` (3): its connection closed or broke; it is removed.
    Broken,
}

impl MemberState {
    /// libsrt's code.
    pub const fn code(self) -> u8 {
        match self {
            Self::Pending => 0,
            Self::Idle => 1,
            Self::Running => 2,
            Self::Broken => 3,
        }
    }
}

/// A main/backup member's state (libsrt `BackupMemberState`, same codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackupState {
    /// `BKUPST_PENDING` (0): not connected yet.
    Pending,
    /// `BKUPST_STANDBY` (1): connected, idle, keepalives only.
    Standby,
    /// `BKUPST_BROKEN` (2): closed, or unstable for the peer idle timeout.
    Broken,
    /// `BKUPST_ACTIVE_UNSTABLE` (3): active, but silent for longer than
    /// its link stability timeout.
    ActiveUnstable,
    /// `BKUPST_ACTIVE_UNSTABLE_WARY` (4): was unstable, answers again;
    /// stable after 4 × latency of this.
    ActiveUnstableWary,
    /// `BKUPST_ACTIVE_FRESH` (5): just activated, in its probing period.
    ActiveFresh,
    /// `BKUPST_ACTIVE_STABLE` (6): active and answering.
    ActiveStable,
}

impl BackupState {
    /// libsrt's code.
    pub const fn code(self) -> u8 {
        match self {
            Self::Pending => 0,
            Self::Standby => 1,
            Self::Broken => 2,
            Self::ActiveUnstable => 3,
            Self::ActiveUnstableWary => 4,
            Self::ActiveFresh => 5,
            Self::ActiveStable => 6,
        }
    }

    /// Whether the member carries data in this state.
    pub const fn is_active(self) -> bool {
        matches!(
            self,
            Self::ActiveUnstable
                | Self::ActiveUnstableWary
                | Self::ActiveFresh
                | Self::ActiveStable
        )
    }

    /// Rank among members of equal weight (libsrt's member ordering):
    /// stable, fresh, wary, unstable, broken, standby, pending.
    pub(crate) const fn rank(self) -> u8 {
        match self {
            Self::ActiveStable => 0,
            Self::ActiveFresh => 1,
            Self::ActiveUnstableWary => 2,
            Self::ActiveUnstable => 3,
            Self::Broken => 4,
            Self::Standby => 5,
            Self::Pending => 6,
        }
    }
}

/// A snapshot of a member connection, from its
/// [`Connection`](crate::connection::Connection) accessors; the group is
/// fed one when the member connects and after each batch of its I/O.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberObservation {
    /// When the last packet of any kind came from the peer
    /// ([`Connection::last_peer_activity`](crate::connection::Connection::last_peer_activity)).
    pub last_peer_activity: Instant,
    /// Smoothed RTT.
    pub srtt: Duration,
    /// RTT variance.
    pub rttvar: Duration,
    /// The sender's acknowledgement point
    /// ([`Connection::send_acked_seq`](crate::connection::Connection::send_acked_seq)).
    pub send_acked_seq: SeqNumber,
    /// The sequence number the sender gives its next new packet.
    pub next_send_seq: SeqNumber,
    /// The receiver's TSBPD time base, once known.
    pub receive_time_base: Option<Instant>,
}

impl MemberObservation {
    /// What `c` reports of itself now: its last peer activity, its RTT
    /// estimate, its sender's acknowledgement point and next sequence
    /// number, and its receiver's TSBPD time base. This is what a driver
    /// hands to [`Group::member_connected`](super::Group::member_connected)
    /// and [`Group::observe`](super::Group::observe) for a member.
    pub fn of(c: &Connection) -> Self {
        let (srtt, rttvar) = c.rtt();
        Self {
            last_peer_activity: c.last_peer_activity(),
            srtt,
            rttvar,
            send_acked_seq: c.send_acked_seq(),
            next_send_seq: c.next_send_seq(),
            receive_time_base: c.receive_time_base(),
        }
    }

    /// Whether the member's send buffer is empty (everything it sent is
    /// acknowledged or dropped): only then can it move to another
    /// sequence number.
    pub fn send_buffer_empty(&self) -> bool {
        self.send_acked_seq == self.next_send_seq
    }
}

/// What [`Group::members`](super::Group::members) reports of one member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberStatus {
    /// Its id.
    pub id: MemberId,
    /// Its weight (backup priority: higher first).
    pub weight: u16,
    /// Its lifecycle state.
    pub state: MemberState,
    /// Its main/backup state (backup groups only).
    pub backup_state: Option<BackupState>,
    /// Messages the group sent on it (replays included).
    pub sent: u64,
    /// Messages it brought first, which the group delivered.
    pub delivered: u64,
    /// Messages it brought after another member (discarded copies).
    pub duplicates: u64,
    /// The last snapshot of its connection, once connected.
    pub observation: Option<MemberObservation>,
}

/// The group's record of one member.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub(crate) id: MemberId,
    pub(crate) weight: u16,
    pub(crate) state: MemberState,
    pub(crate) backup: BackupState,
    pub(crate) obs: Option<MemberObservation>,
    /// When it connected (older first among equals).
    pub(crate) connected_at: Option<Instant>,
    /// Backup timings (libsrt `tsFreshActivation`, `tsUnstableSince`,
    /// `tsWarySince`).
    pub(crate) fresh_since: Option<Instant>,
    pub(crate) unstable_since: Option<Instant>,
    pub(crate) wary_since: Option<Instant>,
    /// Since when it owes an answer: the first message sent to it after
    /// its send buffer was last seen empty. Silence only counts while an
    /// answer is owed, so a sender that pauses does not make its active
    /// member unstable (libsrt checks stability only when sending).
    pub(crate) owed_since: Option<Instant>,
    /// The highest sequence number it brought (first or duplicate).
    pub(crate) last_seq: Option<SeqNumber>,
    /// The last `SkipReceiveTo` the group sent it.
    pub(crate) skipped_to: Option<SeqNumber>,
    /// Its time base was set from the group's.
    pub(crate) time_base_synced: bool,
    pub(crate) sent: u64,
    pub(crate) delivered: u64,
    pub(crate) duplicates: u64,
}

impl Member {
    pub(crate) fn new(id: MemberId, weight: u16) -> Self {
        Self {
            id,
            weight,
            state: MemberState::Pending,
            backup: BackupState::Pending,
            obs: None,
            connected_at: None,
            fresh_since: None,
            unstable_since: None,
            wary_since: None,
            owed_since: None,
            last_seq: None,
            skipped_to: None,
            time_base_synced: false,
            sent: 0,
            delivered: 0,
            duplicates: 0,
        }
    }

    pub(crate) fn status(&self, backup: bool) -> MemberStatus {
        MemberStatus {
            id: self.id,
            weight: self.weight,
            state: self.state,
            backup_state: backup.then_some(self.backup),
            sent: self.sent,
            delivered: self.delivered,
            duplicates: self.duplicates,
            observation: self.obs,
        }
    }

    /// libsrt's member ordering key: higher weight first, then by backup
    /// state, then the older connection, then the lower id.
    pub(crate) fn priority_key(&self) -> (core::cmp::Reverse<u16>, u8, Option<Instant>, MemberId) {
        (
            core::cmp::Reverse(self.weight),
            self.backup.rank(),
            self.connected_at,
            self.id,
        )
    }
}

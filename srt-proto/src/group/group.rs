//! [`Group`]: the state machine; membership, sending and the driving
//! contract. Backup qualification is in `backup.rs`, receiving in
//! `receive.rs`.

use super::config::GroupConfig;
use super::member::{BackupState, Member, MemberId, MemberObservation, MemberState, MemberStatus};
use super::{GroupEvent, GroupOutput, GroupStats, GroupType};
use crate::connection::SendOptions;
use crate::endpoint::MemberCommand;
use crate::handshake::GroupSync;
use crate::seq::SeqNumber;
use crate::time::Instant;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use bytes::Bytes;
use core::fmt;
use core::time::Duration;

/// A message a backup group keeps until it is acknowledged or too old,
/// to replay on a member that takes over.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    pub(crate) seq: SeqNumber,
    pub(crate) data: Bytes,
    pub(crate) options: SendOptions,
    /// Its origin time (also in `options`), for the age limit.
    pub(crate) src_time: Instant,
}

/// Why [`Group::send`] refused a message; nothing was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupSendError {
    /// The message is empty.
    Empty,
    /// The message is longer than one packet's payload.
    MessageTooLong {
        /// Its length, bytes.
        len: usize,
        /// The largest accepted, bytes.
        max: usize,
    },
    /// No member can carry data now (none connected, or none in the
    /// group's sequence space yet).
    NoActiveMember,
}

impl fmt::Display for GroupSendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the message is empty"),
            Self::MessageTooLong { len, max } => {
                write!(f, "message of {len} bytes exceeds the maximum of {max}")
            }
            Self::NoActiveMember => f.write_str("no group member can send now"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for GroupSendError {}

/// Why [`Group::add_member`] refused a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddMemberError {
    /// The group holds [`GroupConfig::max_members`] members already.
    TooManyMembers {
        /// The limit.
        max: usize,
    },
}

impl fmt::Display for AddMemberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooManyMembers { max } => {
                write!(f, "the group holds its maximum of {max} members")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for AddMemberError {}

/// A socket group: broadcast or main/backup over member connections the
/// embedder owns. See the [module docs](super) for the driving contract.
#[derive(Debug)]
pub struct Group {
    pub(crate) config: GroupConfig,
    local_group_id: u32,
    start_time: Instant,
    pub(crate) last_now: Instant,
    /// The sequence number of the next message sent.
    pub(crate) next_seq: SeqNumber,
    pub(crate) members: Vec<Member>,
    next_member_id: u32,
    /// Backup: sent, not older than the latency.
    pub(crate) replay: VecDeque<Sent>,
    /// Backup: the running members' peers have every message before it.
    pub(crate) replay_acked: Option<SeqNumber>,
    /// Backup: a running member left; its successor replays everything
    /// kept, acknowledged or not.
    pub(crate) full_replay: bool,
    /// Receive: the last sequence number delivered.
    pub(crate) last_delivered: Option<SeqNumber>,
    /// Receive: deliveries since the last look for lagging members.
    pub(crate) since_skip_check: u32,
    pub(crate) last_skip_check: Instant,
    /// Receive: the shared TSBPD time base and the member it follows.
    pub(crate) time_base: Option<(MemberId, Instant)>,
    /// Backup: when qualification last ran.
    pub(crate) last_tick: Instant,
    /// Backup: the member last reported as the active one.
    pub(crate) active: Option<MemberId>,
    pub(crate) outputs: VecDeque<GroupOutput>,
    pub(crate) stats: GroupStats,
}

impl Group {
    /// A group with no members. `local_group_id` is our id for it (the
    /// GROUP extension's; libsrt's group-id bit set); `now` is its start,
    /// the time zero of every caller member's timestamps.
    pub fn new(config: GroupConfig, local_group_id: u32, now: Instant) -> Self {
        Self {
            next_seq: config.initial_seq,
            config,
            local_group_id,
            start_time: now,
            last_now: now,
            members: Vec::new(),
            next_member_id: 1,
            replay: VecDeque::new(),
            replay_acked: None,
            full_replay: false,
            last_delivered: None,
            since_skip_check: 0,
            last_skip_check: now,
            time_base: None,
            last_tick: now,
            active: None,
            outputs: VecDeque::new(),
            stats: GroupStats::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &GroupConfig {
        &self.config
    }

    /// Our id for the group.
    pub fn local_group_id(&self) -> u32 {
        self.local_group_id
    }

    /// The group type.
    pub fn group_type(&self) -> GroupType {
        self.config.group_type
    }

    /// What a new caller member's handshake takes
    /// ([`HandshakeConfig::group_sync`](crate::handshake::HandshakeConfig::group_sync)):
    /// the group's next sequence number as its ISN, and the group's start
    /// as its time zero, so it stamps every message as the others do.
    pub fn sync(&self) -> GroupSync {
        GroupSync {
            initial_seq: self.next_seq,
            start_time: self.start_time,
        }
    }

    /// The sequence number the next message sent gets.
    pub fn next_send_seq(&self) -> SeqNumber {
        self.next_seq
    }

    pub(crate) fn advance(&mut self, now: Instant) -> Instant {
        if now > self.last_now {
            self.last_now = now;
        }
        self.last_now
    }

    pub(crate) fn is_backup(&self) -> bool {
        self.config.group_type == GroupType::Backup
    }

    /// A backup group that sends: its members are qualified and
    /// activated (libsrt runs that logic on send; a group that only
    /// receives leaves them alone).
    pub(crate) fn sending_backup(&self) -> bool {
        self.is_backup() && self.stats.sent > 0
    }

    pub(crate) fn member_index(&self, m: MemberId) -> Option<usize> {
        self.members.iter().position(|x| x.id == m)
    }

    pub(crate) fn event(&mut self, e: GroupEvent) {
        self.outputs.push_back(GroupOutput::Event(e));
    }

    pub(crate) fn command(&mut self, member: MemberId, command: MemberCommand) {
        self.outputs
            .push_back(GroupOutput::Command { member, command });
    }

    /// Moves member `i` to `to`, reporting the change.
    pub(crate) fn set_state(&mut self, i: usize, to: MemberState) {
        let Some(m) = self.members.get_mut(i) else {
            return;
        };
        let from = m.state;
        if from == to {
            return;
        }
        m.state = to;
        let member = m.id;
        self.event(GroupEvent::MemberStateChanged { member, from, to });
    }

    /// Moves member `i` to backup state `to`, reporting the change.
    pub(crate) fn set_backup(&mut self, i: usize, to: BackupState) {
        let Some(m) = self.members.get_mut(i) else {
            return;
        };
        let from = m.backup;
        if from == to {
            return;
        }
        m.backup = to;
        let member = m.id;
        if self.config.group_type == GroupType::Backup {
            self.event(GroupEvent::BackupStateChanged { member, from, to });
        }
    }

    /// Adds a member whose connection is being set up (pending), with its
    /// weight (backup priority; higher first).
    pub fn add_member(&mut self, weight: u16, now: Instant) -> Result<MemberId, AddMemberError> {
        self.advance(now);
        if self.members.len() >= self.config.max_members {
            return Err(AddMemberError::TooManyMembers {
                max: self.config.max_members,
            });
        }
        let mut id = self.next_member_id;
        while self.members.iter().any(|m| m.id.0 == id) {
            id = id.wrapping_add(1);
        }
        self.next_member_id = id.wrapping_add(1);
        let member = MemberId(id);
        self.members.push(Member::new(member, weight));
        self.event(GroupEvent::MemberAdded { member });
        Ok(member)
    }

    /// The member's connection is established: it becomes idle (a backup
    /// member: standby) and gets the group's receive time base. It carries
    /// data from the next [`Group::send`] (broadcast), or when the backup
    /// logic activates it.
    pub fn member_connected(&mut self, m: MemberId, obs: MemberObservation, now: Instant) {
        let now = self.advance(now);
        let Some(i) = self.member_index(m) else {
            return;
        };
        if let Some(member) = self.members.get_mut(i) {
            if member.state != MemberState::Pending {
                return;
            }
            member.connected_at = Some(now);
        }
        self.set_state(i, MemberState::Idle);
        self.set_backup(i, BackupState::Standby);
        self.observe(m, obs, now);
        if self.sending_backup() {
            self.backup_tick(now);
        }
    }

    /// A fresh snapshot of a member's connection; call it after each batch
    /// of the member's I/O, once the outputs of the group were applied.
    pub fn observe(&mut self, m: MemberId, obs: MemberObservation, now: Instant) {
        self.advance(now);
        let Some(i) = self.member_index(m) else {
            return;
        };
        let Some(member) = self.members.get_mut(i) else {
            return;
        };
        if member.state == MemberState::Pending {
            return;
        }
        member.obs = Some(obs);
        if obs.send_buffer_empty() {
            member.owed_since = None;
        }
        self.sync_time_base(i);
    }

    /// Keeps the members' TSBPD time bases in step: the group follows one
    /// member's (the first that had one; its drift corrections included)
    /// and sets the others' to it when they differ.
    fn sync_time_base(&mut self, i: usize) {
        let Some(member) = self.members.get(i) else {
            return;
        };
        let id = member.id;
        let Some(base) = member.obs.and_then(|o| o.receive_time_base) else {
            if let Some((_, group_base)) = self.time_base
                && !member.time_base_synced
            {
                // Not known yet on the member: give it the group's now.
                if let Some(member) = self.members.get_mut(i) {
                    member.time_base_synced = true;
                }
                self.command(id, MemberCommand::SetReceiveTimeBase(group_base));
            }
            return;
        };
        match self.time_base {
            None => self.time_base = Some((id, base)),
            Some((leader, _)) if leader == id => self.time_base = Some((id, base)),
            Some((_, group_base)) => {
                if off_by_more_than_wraps(base, group_base, TIME_BASE_TOLERANCE) {
                    if let Some(member) = self.members.get_mut(i) {
                        member.time_base_synced = true;
                    }
                    self.command(id, MemberCommand::SetReceiveTimeBase(group_base));
                }
            }
        }
    }

    /// The member's connection closed (or failed to connect): it is
    /// broken, then removed. A backup group activates a standby if it was
    /// the active one.
    pub fn member_closed(&mut self, m: MemberId, now: Instant) {
        let now = self.advance(now);
        let Some(i) = self.member_index(m) else {
            return;
        };
        if self
            .members
            .get(i)
            .is_some_and(|x| x.state == MemberState::Running)
        {
            self.full_replay = true;
        }
        self.set_backup(i, BackupState::Broken);
        self.set_state(i, MemberState::Broken);
        self.drop_member(i);
        if self.sending_backup() {
            self.backup_tick(now);
        }
    }

    /// Takes a member out of the group (the embedder closes its
    /// connection).
    pub fn remove_member(&mut self, m: MemberId, now: Instant) {
        let now = self.advance(now);
        let Some(i) = self.member_index(m) else {
            return;
        };
        self.drop_member(i);
        if self.sending_backup() {
            self.backup_tick(now);
        }
    }

    /// A command of the group failed on the member (the endpoint reported
    /// it, e.g. `OverrideSendSeq` with data in flight), or a
    /// [`GroupOutput::Send`] was refused: the member left the group's
    /// sequence space. It goes idle until its send buffer is empty, then
    /// rejoins.
    pub fn member_send_failed(&mut self, m: MemberId, now: Instant) {
        let now = self.advance(now);
        let Some(i) = self.member_index(m) else {
            return;
        };
        if self
            .members
            .get(i)
            .is_none_or(|x| x.state != MemberState::Running)
        {
            return;
        }
        self.set_state(i, MemberState::Idle);
        self.set_backup(i, BackupState::Standby);
        if let Some(member) = self.members.get_mut(i) {
            // Unknown until the next snapshot shows where it stands.
            member.obs = None;
        }
        if self.active == Some(m) {
            self.active = None;
        }
        if self.sending_backup() {
            self.backup_tick(now);
        }
    }

    pub(crate) fn drop_member(&mut self, i: usize) {
        if i >= self.members.len() {
            return;
        }
        let member = self.members.remove(i);
        if member.state == MemberState::Running {
            self.full_replay = true;
        }
        if self.active == Some(member.id) {
            self.active = None;
        }
        if self
            .time_base
            .is_some_and(|(leader, _)| leader == member.id)
        {
            // Follow another member that has one, keeping the value.
            let next = self
                .members
                .iter()
                .find(|m| m.obs.and_then(|o| o.receive_time_base).is_some())
                .map(|m| m.id);
            self.time_base = match (next, self.time_base) {
                (Some(id), Some((_, base))) => Some((id, base)),
                (None, Some((_, base))) => Some((MemberId(u32::MAX), base)),
                _ => None,
            };
        }
        self.event(GroupEvent::MemberRemoved { member: member.id });
    }

    /// Sends a message on the group: every running member (broadcast), or
    /// the active member(s) (backup), with one sequence number and one
    /// origin time (`options.src_time`, else `now`).
    pub fn send(
        &mut self,
        data: Bytes,
        options: SendOptions,
        now: Instant,
    ) -> Result<(), GroupSendError> {
        let now = self.advance(now);
        if data.is_empty() {
            return Err(GroupSendError::Empty);
        }
        if data.len() > self.config.payload_size {
            return Err(GroupSendError::MessageTooLong {
                len: data.len(),
                max: self.config.payload_size,
            });
        }
        match self.config.group_type {
            GroupType::Broadcast => self.activate_idle_broadcast(),
            GroupType::Backup => self.backup_tick(now),
        }
        if !self.members.iter().any(|m| m.state == MemberState::Running) {
            return Err(GroupSendError::NoActiveMember);
        }
        let src_time = options.src_time.unwrap_or(now);
        let options = SendOptions {
            src_time: Some(src_time),
            ..options
        };
        let seq = self.next_seq;
        self.next_seq = seq.next();
        if self.is_backup() {
            self.replay.push_back(Sent {
                seq,
                data: data.clone(),
                options,
                src_time,
            });
            while self.replay.len() > self.config.max_replay_packets {
                self.replay.pop_front();
            }
        }
        for i in 0..self.members.len() {
            let Some(m) = self.members.get_mut(i) else {
                continue;
            };
            if m.state != MemberState::Running {
                continue;
            }
            m.sent += 1;
            m.owed_since.get_or_insert(now);
            let member = m.id;
            self.outputs.push_back(GroupOutput::Send {
                member,
                data: data.clone(),
                options,
            });
        }
        self.stats.sent += 1;
        if self.is_backup() {
            self.silence_redundant();
        }
        Ok(())
    }

    /// Broadcast: every idle member joins the group's sequence space (its
    /// next sequence number is the group's, or moved there while its send
    /// buffer is empty) and runs.
    fn activate_idle_broadcast(&mut self) {
        for i in 0..self.members.len() {
            let Some(m) = self.members.get(i) else {
                continue;
            };
            if m.state != MemberState::Idle {
                continue;
            }
            let Some(obs) = m.obs else {
                continue;
            };
            let id = m.id;
            if obs.next_send_seq != self.next_seq {
                if !obs.send_buffer_empty() {
                    continue;
                }
                self.command(id, MemberCommand::OverrideSendSeq(self.next_seq));
            }
            self.set_state(i, MemberState::Running);
        }
    }

    /// Backup: notes how far the running members' peers acknowledged,
    /// and drops from the replay buffer what is too old to arrive in
    /// time. Acknowledged messages stay (within the latency): if the
    /// active member goes away while its receiver still holds them
    /// undelivered, its successor replays them too.
    pub(crate) fn trim_replay(&mut self, now: Instant) {
        for m in &self.members {
            if m.state != MemberState::Running {
                continue;
            }
            let Some(obs) = m.obs else { continue };
            let a = obs.send_acked_seq;
            // Only an acknowledgement within what the group sent counts
            // (a member just moved has its old numbering for a while).
            let within = self
                .replay
                .front()
                .is_some_and(|f| !a.is_before(f.seq) && !a.is_after(self.next_seq));
            if within {
                self.replay_acked = Some(self.replay_acked.map_or(a, |x| x.max_wrapped(a)));
            }
        }
        let latency = self.config.latency;
        while let Some(front) = self.replay.front() {
            if front.src_time.saturating_add(latency) >= now {
                break;
            }
            self.replay.pop_front();
        }
    }

    /// Runs the timers due at `now`: backup qualification (silence,
    /// activation, replay) and the skip watermark for lagging members.
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.advance(now);
        if self.is_backup() {
            self.trim_replay(now);
            if self.sending_backup() && now >= self.last_tick.saturating_add(TICK) {
                self.backup_tick(now);
            }
        }
        if self.since_skip_check > 0
            && now >= self.last_skip_check.saturating_add(SKIP_CHECK_INTERVAL)
        {
            self.skip_lagging(now);
        }
    }

    /// When [`Group::handle_timeout`] must be called next.
    pub fn next_timeout(&self) -> Option<Instant> {
        let mut t: Option<Instant> = None;
        let connected = self
            .members
            .iter()
            .any(|m| matches!(m.state, MemberState::Idle | MemberState::Running));
        if self.sending_backup() && connected {
            t = Some(self.last_tick.saturating_add(TICK));
        }
        if self.since_skip_check > 0 {
            let s = self.last_skip_check.saturating_add(SKIP_CHECK_INTERVAL);
            t = Some(t.map_or(s, |t| t.min(s)));
        }
        t
    }

    /// The next output; drain them all after every input.
    pub fn poll_output(&mut self) -> Option<GroupOutput> {
        self.outputs.pop_front()
    }

    /// The members and their states.
    pub fn members(&self) -> impl Iterator<Item = MemberStatus> + '_ {
        let backup = self.is_backup();
        self.members.iter().map(move |m| m.status(backup))
    }

    /// The status of one member.
    pub fn member(&self, m: MemberId) -> Option<MemberStatus> {
        let backup = self.is_backup();
        self.members
            .iter()
            .find(|x| x.id == m)
            .map(|x| x.status(backup))
    }

    /// Counters and gauges.
    pub fn stats(&self) -> GroupStats {
        let mut s = self.stats;
        s.members = self.members.len();
        s.running = self
            .members
            .iter()
            .filter(|m| m.state == MemberState::Running)
            .count();
        s.replay_buffer = self.replay.len();
        s
    }
}

/// Members whose time base is off the group's by more than this get the
/// group's (drift corrections move a member's by a few ms at most).
const TIME_BASE_TOLERANCE: Duration = Duration::from_micros(500);

/// Whether two TSBPD time bases differ by more than `tolerance`, apart
/// from whole timestamp wraps (2^32 µs): a member that joined after a wrap
/// counts its timestamps from there, and its base lies that much later
/// for the same schedule
/// ([`Connection::set_receive_time_base`](crate::connection::Connection::set_receive_time_base)).
fn off_by_more_than_wraps(a: Instant, b: Instant, tolerance: Duration) -> bool {
    const WRAP_US: u64 = 1 << 32;
    let diff = a.as_micros().abs_diff(b.as_micros()) % WRAP_US;
    diff.min(WRAP_US - diff) > tolerance.as_micros() as u64
}

/// Backup: qualification runs at least this often without sends.
pub(crate) const TICK: Duration = Duration::from_millis(10);

/// Receive: lagging members are looked for at least this often while
/// messages are delivered.
pub(crate) const SKIP_CHECK_INTERVAL: Duration = Duration::from_millis(20);

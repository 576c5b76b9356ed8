//! Main/backup (libsrt 1.5 `sendBackup`, `docs/features/bonding-main-backup.md`):
//! qualifying active members as fresh, stable, unstable or wary,
//! activating the best standby, replaying what it must carry, and
//! silencing redundant stable members.
//!
//! - A member answers when something (ACK, NAK, keepalive, data) came
//!   from its peer within its link stability timeout: for a freshly
//!   activated member `max(stability timeout, latency)`; otherwise
//!   `2·SRTT + 4·RTTVar`, at least the stability timeout and at most the
//!   latency (if that is larger than the stability timeout).
//! - Fresh → stable once its probing period (that timeout + 50 ms) ends,
//!   → unstable if it is silent. Stable → unstable when silent. Unstable
//!   → wary when it answers again; wary → stable after 4 × latency, →
//!   unstable if silent again. Unstable for the peer idle timeout →
//!   broken: the group closes and removes it.
//! - A standby is activated when no member is stable or fresh, or when a
//!   standby outweighs every active member; the highest in libsrt's order
//!   (weight, then state, then the older connection) goes first, except
//!   that a standby silent for over 2.5 s (its peer's keepalives stopped)
//!   goes last (libsrt does not look).
//! - Activating a member moves its next sequence number to the group's
//!   first unacknowledged message (its send buffer must be empty) and
//!   replays every message kept since then, with their origin times, so
//!   the receiver sees no gap. When the member it replaces left (closed,
//!   removed, broken), it replays every message kept (not older than the
//!   latency), acknowledged or not: the receiver that acknowledged them
//!   may have gone with them undelivered. libsrt replays the
//!   unacknowledged ones only.
//! - Of the active members, those ordered after the first stable one are
//!   silenced (back to standby).

use super::group::Group;
use super::member::{BackupState, MemberState};
use super::{GroupEvent, GroupOutput};
use crate::endpoint::MemberCommand;
use crate::time::Instant;
use alloc::vec::Vec;
use core::time::Duration;

/// libsrt adds this to the initial link stability timeout for the
/// probing period of a fresh member.
const PROBING_EXTRA: Duration = Duration::from_millis(50);

/// A standby that heard nothing from its peer for this long (over two
/// keepalive intervals of 1 s) is activated only when no other is left.
const STANDBY_SILENCE: Duration = Duration::from_millis(2_500);

impl Group {
    /// The initial link stability timeout (libsrt ILST):
    /// `max(stability timeout, latency)`.
    fn initial_stability_timeout(&self) -> Duration {
        self.config.stability_timeout.max(self.config.latency)
    }

    /// The link stability timeout of an active member past its probing
    /// period: `2·SRTT + 4·RTTVar` within `[stability timeout,
    /// max(stability timeout, latency)]`.
    fn stability_timeout(&self, srtt: Duration, rttvar: Duration) -> Duration {
        let lst = srtt
            .saturating_mul(2)
            .saturating_add(rttvar.saturating_mul(4));
        let floor = self.config.stability_timeout;
        lst.min(floor.max(self.config.latency)).max(floor)
    }

    /// Qualifies the active members, activates a standby if needed, and
    /// silences redundant ones.
    pub(crate) fn backup_tick(&mut self, now: Instant) {
        self.last_tick = now;
        self.trim_replay(now);
        self.qualify(now);
        self.activate_if_needed(now);
        self.silence_redundant();
    }

    fn qualify(&mut self, now: Instant) {
        let ilst = self.initial_stability_timeout();
        let latency = self.config.latency;
        let idle_timeout = self.config.peer_idle_timeout;
        let mut broken = Vec::new();
        for i in 0..self.members.len() {
            let Some(m) = self.members.get(i) else {
                continue;
            };
            if m.state != MemberState::Running {
                continue;
            }
            let Some(obs) = m.obs else { continue };
            let mut last = obs.last_peer_activity;
            if let Some(f) = m.fresh_since {
                last = last.max(f);
            }
            let lst = if m.backup == BackupState::ActiveFresh {
                ilst
            } else {
                self.stability_timeout(obs.srtt, obs.rttvar)
            };
            // Silent: no answer for `lst` while one is owed (data sent and
            // not yet acknowledged).
            let silent = m
                .owed_since
                .is_some_and(|owed| now.duration_since(last.max(owed)) > lst);
            let (backup, fresh_since, unstable_since, wary_since) =
                (m.backup, m.fresh_since, m.unstable_since, m.wary_since);
            let next = match backup {
                BackupState::ActiveFresh if silent => Some(BackupState::ActiveUnstable),
                BackupState::ActiveFresh
                    if fresh_since
                        .is_some_and(|f| now.duration_since(f) > ilst + PROBING_EXTRA) =>
                {
                    Some(BackupState::ActiveStable)
                }
                BackupState::ActiveStable if silent => Some(BackupState::ActiveUnstable),
                BackupState::ActiveUnstable => {
                    if unstable_since.is_some_and(|u| now.duration_since(u) > idle_timeout) {
                        Some(BackupState::Broken)
                    } else if !silent {
                        Some(BackupState::ActiveUnstableWary)
                    } else {
                        None
                    }
                }
                BackupState::ActiveUnstableWary if silent => Some(BackupState::ActiveUnstable),
                BackupState::ActiveUnstableWary
                    if wary_since.is_some_and(|w| now.duration_since(w) > latency * 4) =>
                {
                    Some(BackupState::ActiveStable)
                }
                _ => None,
            };
            let Some(next) = next else { continue };
            if let Some(m) = self.members.get_mut(i) {
                match next {
                    BackupState::ActiveUnstable => {
                        // A wary member falling back keeps its first
                        // unstable time: the idle timeout counts from it.
                        if m.unstable_since.is_none() || backup != BackupState::ActiveUnstableWary {
                            m.unstable_since = Some(now);
                        }
                        m.fresh_since = None;
                    }
                    BackupState::ActiveUnstableWary => m.wary_since = Some(now),
                    BackupState::ActiveStable => {
                        m.fresh_since = None;
                        m.unstable_since = None;
                        m.wary_since = None;
                    }
                    _ => {}
                }
            }
            self.set_backup(i, next);
            if next == BackupState::Broken {
                broken.push(i);
            }
        }
        // Highest index first, so the others stay valid.
        for i in broken.into_iter().rev() {
            let Some(id) = self.members.get(i).map(|m| m.id) else {
                continue;
            };
            self.full_replay = true;
            self.set_state(i, MemberState::Broken);
            self.outputs
                .push_back(GroupOutput::CloseMember { member: id });
            self.drop_member(i);
        }
    }

    /// The index of the highest-priority active member.
    fn top_active(&self) -> Option<usize> {
        self.members
            .iter()
            .enumerate()
            .filter(|(_, m)| m.state == MemberState::Running)
            .min_by_key(|(_, m)| m.priority_key())
            .map(|(i, _)| i)
    }

    fn activate_if_needed(&mut self, now: Instant) {
        let healthy = self.members.iter().any(|m| {
            m.state == MemberState::Running
                && matches!(
                    m.backup,
                    BackupState::ActiveStable | BackupState::ActiveFresh
                )
        });
        let max_active_weight = self
            .members
            .iter()
            .filter(|m| m.state == MemberState::Running)
            .map(|m| m.weight)
            .max();
        // Everything kept if a running member left (its receiver may have
        // held acknowledged messages undelivered), else what is
        // unacknowledged.
        let skip = if self.full_replay {
            0
        } else {
            self.replay_acked.map_or(0, |a| {
                self.replay
                    .iter()
                    .take_while(|s| s.seq.is_before(a))
                    .count()
            })
        };
        let replay_start = self.replay.get(skip).map_or(self.next_seq, |s| s.seq);
        // Standbys that can join the sequence space now, best first.
        let candidate = self
            .members
            .iter()
            .enumerate()
            .filter(|(_, m)| m.state == MemberState::Idle)
            .filter(|(_, m)| {
                m.obs
                    .is_some_and(|o| o.next_send_seq == replay_start || o.send_buffer_empty())
            })
            .filter(|(_, m)| !healthy || max_active_weight.is_none_or(|w| m.weight > w))
            // A standby that stopped hearing its peer's keepalives goes
            // last: its path is likely down too.
            .min_by_key(|(_, m)| {
                let silent = m
                    .obs
                    .is_none_or(|o| now.duration_since(o.last_peer_activity) > STANDBY_SILENCE);
                (silent, m.priority_key())
            })
            .map(|(i, _)| i);
        let Some(i) = candidate else {
            return;
        };
        let from = self
            .top_active()
            .and_then(|t| self.members.get(t))
            .map(|m| m.id);
        let Some(m) = self.members.get_mut(i) else {
            return;
        };
        let id = m.id;
        m.fresh_since = Some(now);
        m.unstable_since = None;
        m.wary_since = None;
        m.owed_since = None;
        let needs_override = m.obs.is_some_and(|o| o.next_send_seq != replay_start);
        if needs_override {
            self.command(id, MemberCommand::OverrideSendSeq(replay_start));
        }
        let mut replayed = 0u64;
        self.full_replay = false;
        for sent in self.replay.iter().skip(skip) {
            self.outputs.push_back(GroupOutput::Send {
                member: id,
                data: sent.data.clone(),
                options: sent.options,
            });
            replayed += 1;
        }
        if let Some(m) = self.members.get_mut(i) {
            m.sent += replayed;
            if replayed > 0 {
                m.owed_since.get_or_insert(now);
            }
        }
        self.stats.replayed += replayed;
        self.stats.activations += 1;
        self.set_state(i, MemberState::Running);
        self.set_backup(i, BackupState::ActiveFresh);
        self.event(GroupEvent::ActiveSwitched {
            from,
            to: id,
            replayed,
        });
        self.active = Some(id);
    }

    /// Of the active members, those ordered after the first stable one go
    /// back to standby.
    pub(crate) fn silence_redundant(&mut self) {
        let mut order: Vec<usize> = self
            .members
            .iter()
            .enumerate()
            .filter(|(_, m)| m.state == MemberState::Running)
            .map(|(i, _)| i)
            .collect();
        order.sort_by_key(|&i| self.members.get(i).map(|m| m.priority_key()));
        let Some(first_stable) = order.iter().position(|&i| {
            self.members
                .get(i)
                .is_some_and(|m| m.backup == BackupState::ActiveStable)
        }) else {
            return;
        };
        for &i in order.iter().skip(first_stable + 1) {
            if let Some(m) = self.members.get_mut(i) {
                m.fresh_since = None;
                m.unstable_since = None;
                m.wary_since = None;
            }
            self.set_state(i, MemberState::Idle);
            self.set_backup(i, BackupState::Standby);
        }
        if let Some(&top) = order.first() {
            self.active = self.members.get(top).map(|m| m.id);
        }
    }
}

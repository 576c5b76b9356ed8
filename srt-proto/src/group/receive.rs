//! The receiving side: each sequence number delivered once, from the
//! member that brings it first, in sequence order; members that lag get
//! the group's watermark (`SkipReceiveTo`) so they stop waiting for (and
//! NAKing) what was already delivered.
//!
//! Members deliver at TSBPD time with one shared time base, so a sequence
//! number is due at the same instant on each: the first copy is the one
//! on time, and a copy of a sequence number at or before the last one
//! delivered is a duplicate (or, if never delivered, lost on every member
//! and too late now).

use super::GroupEvent;
use super::group::Group;
use super::member::{MemberId, MemberState};
use crate::endpoint::MemberCommand;
use crate::seq::SeqNumber;
use crate::time::Instant;
use bytes::Bytes;

/// The watermark goes to lagging members after this many deliveries (or
/// after [`super::group::SKIP_CHECK_INTERVAL`]), so its cost per packet
/// stays small.
pub(crate) const SKIP_BATCH: u32 = 32;

/// A member this far behind the last delivery is lagging. Members in step
/// trail by a packet or two (the order in which the embedder feeds
/// them), and need no watermark.
const LAG: u32 = 8;

impl Group {
    /// A member delivered a message (its connection's
    /// [`ConnectionEvent::Message`](crate::connection::ConnectionEvent::Message)):
    /// the first copy of a sequence number becomes a
    /// [`GroupEvent::Message`], later ones are discarded.
    pub fn on_member_message(
        &mut self,
        m: MemberId,
        seq: SeqNumber,
        data: Bytes,
        src_time: Instant,
        now: Instant,
    ) {
        let now = self.advance(now);
        let Some(i) = self.member_index(m) else {
            return;
        };
        let sending = self.stats.sent > 0;
        let Some(member) = self.members.get_mut(i) else {
            return;
        };
        member.last_seq = Some(member.last_seq.map_or(seq, |l| l.max_wrapped(seq)));
        if self.last_delivered.is_some_and(|d| !seq.is_after(d)) {
            member.duplicates += 1;
            self.stats.duplicates += 1;
            return;
        }
        member.delivered += 1;
        let idle = member.state == MemberState::Idle;
        if let Some(d) = self.last_delivered {
            // Sequence numbers no member brought in time.
            let gap = d.offset_to(seq).unsigned_abs().saturating_sub(1);
            self.stats.lost += u64::from(gap);
        }
        self.last_delivered = Some(seq);
        self.stats.delivered += 1;
        if idle && !sending {
            // A receiving group's member runs while it brings data.
            self.set_state(i, MemberState::Running);
        }
        self.event(GroupEvent::Message {
            data,
            src_time,
            seq,
            member: m,
        });
        self.since_skip_check += 1;
        if self.since_skip_check >= SKIP_BATCH {
            self.skip_lagging(now);
        }
    }

    /// Sends the watermark to every connected member more than [`LAG`]
    /// behind it that has not had it yet.
    pub(crate) fn skip_lagging(&mut self, now: Instant) {
        self.since_skip_check = 0;
        self.last_skip_check = now;
        let Some(watermark) = self.last_delivered else {
            return;
        };
        let behind = watermark.wrapping_sub(LAG);
        for i in 0..self.members.len() {
            let Some(member) = self.members.get_mut(i) else {
                continue;
            };
            if !matches!(member.state, MemberState::Idle | MemberState::Running) {
                continue;
            }
            let lagging = member.last_seq.is_none_or(|l| l.is_before(behind));
            let told = member.skipped_to.is_some_and(|s| !s.is_before(behind));
            if !lagging || told {
                continue;
            }
            member.skipped_to = Some(watermark);
            // What it brings next is ahead of the watermark.
            member.last_seq = Some(watermark);
            let id = member.id;
            self.stats.skips_sent += 1;
            self.command(id, MemberCommand::SkipReceiveTo(watermark));
        }
    }

    /// The last sequence number delivered.
    pub fn last_delivered_seq(&self) -> Option<SeqNumber> {
        self.last_delivered
    }
}

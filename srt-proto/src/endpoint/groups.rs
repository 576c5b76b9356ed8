//! The listener's mirror groups (libsrt `makeMePeerOf`): every member of
//! one peer group joins one group of ours, whose id the listener answers
//! in the GROUP extension.
//!
//! Bounded by construction: an entry lives while it has a member
//! connection or a request waiting for a decision, and both are bounded
//! (`max_connections`, the backlog). When its last member closes, the
//! entry goes; a later member of that peer group then starts a new
//! mirror group with a new id. (libsrt keeps an accepted group until the
//! application closes it; an endpoint has no application-side group
//! object to wait for.)

use super::MemberInfo;
use crate::group::GroupType;
use crate::handshake::group;
use crate::packet::ext::GroupExt;
use crate::packet::reject::RejectReason;
use crate::rng::{SRTGROUP_MASK, SrtRng};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// How many ids to draw before giving up on a free group id.
const GROUP_ID_ATTEMPTS: usize = 32;

#[derive(Debug)]
struct Mirror {
    local_id: u32,
    group_type: GroupType,
    /// Our member connections, oldest first.
    members: Vec<u32>,
    /// Requests of this peer group waiting for a decision.
    pending: usize,
}

/// Peer group id → our mirror group.
#[derive(Debug, Default)]
pub(super) struct MirrorGroups {
    by_peer: BTreeMap<u32, Mirror>,
}

impl MirrorGroups {
    /// How many mirror groups exist.
    pub(super) fn len(&self) -> usize {
        self.by_peer.len()
    }

    /// A caller's GROUP extension `ext`: its membership here, holding the
    /// mirror group until [`Self::release`]; or libsrt's rejection.
    pub(super) fn admit(
        &mut self,
        ext: &GroupExt,
        group_connect: bool,
        rng: &mut SrtRng,
    ) -> Result<MemberInfo, RejectReason> {
        let group_type = group::check_request(ext, group_connect)?;
        let local_id = match self.by_peer.get_mut(&ext.group_id) {
            Some(mirror) if mirror.group_type != group_type => return Err(RejectReason::Group),
            Some(mirror) => {
                mirror.pending += 1;
                mirror.local_id
            }
            None => {
                if !group::flags_acceptable(ext.flags) {
                    return Err(RejectReason::Group);
                }
                let local_id = self.new_id(rng).ok_or(RejectReason::Resource)?;
                self.by_peer.insert(
                    ext.group_id,
                    Mirror {
                        local_id,
                        group_type,
                        members: Vec::new(),
                        pending: 1,
                    },
                );
                local_id
            }
        };
        Ok(MemberInfo {
            peer_group_id: ext.group_id,
            local_group_id: local_id,
            group_type,
            weight: ext.weight,
        })
    }

    /// Whether a mirror group has `local_id`.
    pub(super) fn has_local_id(&self, local_id: u32) -> bool {
        self.by_peer.values().any(|m| m.local_id == local_id)
    }

    /// A random group id (bit 30 set) no mirror group has.
    fn new_id(&self, rng: &mut SrtRng) -> Option<u32> {
        (0..GROUP_ID_ATTEMPTS)
            .map(|_| rng.socket_id() | SRTGROUP_MASK)
            .find(|&id| !self.has_local_id(id))
    }

    /// One more hold on `member`'s mirror group (a request waiting for a
    /// decision).
    pub(super) fn hold(&mut self, member: &MemberInfo) {
        if let Some(mirror) = self.by_peer.get_mut(&member.peer_group_id) {
            mirror.pending += 1;
        }
    }

    /// The decision on an admitted request was made (accepted: the member
    /// has [`Self::join`]ed first; or refused, expired).
    pub(super) fn release(&mut self, member: &MemberInfo) {
        if let Some(mirror) = self.by_peer.get_mut(&member.peer_group_id) {
            mirror.pending = mirror.pending.saturating_sub(1);
        }
        self.forget_if_unused(member.peer_group_id);
    }

    /// Connection `conn` is a member now; the group's oldest other member,
    /// if any (the one a new member synchronizes with).
    pub(super) fn join(&mut self, member: &MemberInfo, conn: u32) -> Option<u32> {
        let mirror = self.by_peer.get_mut(&member.peer_group_id)?;
        let first = mirror.members.first().copied();
        mirror.members.push(conn);
        first
    }

    /// Connection `conn` is gone.
    pub(super) fn leave(&mut self, member: &MemberInfo, conn: u32) {
        if let Some(mirror) = self.by_peer.get_mut(&member.peer_group_id)
            && mirror.local_id == member.local_group_id
        {
            mirror.members.retain(|&m| m != conn);
        }
        self.forget_if_unused(member.peer_group_id);
    }

    fn forget_if_unused(&mut self, peer_group_id: u32) {
        if self
            .by_peer
            .get(&peer_group_id)
            .is_some_and(|m| m.members.is_empty() && m.pending == 0)
        {
            self.by_peer.remove(&peer_group_id);
        }
    }
}

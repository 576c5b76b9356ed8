//! The GROUP handshake extension's rules, as libsrt 1.5 applies them
//! (`fillHsExtGroup`, `interpretGroup`, `makeMePeerOf` in `core.cpp`).
//!
//! On the wire (two big-endian words): the sender's group id, then
//! `type << 24 | flags << 16 | weight`.
//!
//! - The caller (initiator) sends its own group's id, type, flags (always
//!   0: libsrt 1.5 refuses `SRT_GFLAG_SYNCONMSG`) and the member's weight.
//! - The listener (responder) refuses a grouped caller with GROUP unless
//!   `SRTO_GROUPCONNECT` is on; an unknown type gives GROUP, an id without
//!   the group bit (bit 30, `SRTGROUP_MASK`) ROGUE; a peer group already
//!   mapped with another type, or a new one asking to sync on message
//!   numbers, GROUP. Otherwise it joins the caller to its mirror group for
//!   that peer group (created on the first member) and answers with the
//!   mirror group's id, the same type, flags 0 and the caller's weight.
//! - The caller then needs that answer: none (a listener that did not
//!   understand the group), or one when it sent none, gives GROUP; an
//!   unknown type GROUP; an id without the group bit ROGUE. A group whose
//!   earlier member got another peer group id rejects the new member
//!   with GROUP ([`crate::Endpoint`] checks that among its members).
//!
//! libsrt refuses a grouped caller before running its listen callback when
//! `SRTO_GROUPCONNECT` is off; the endpoint likewise checks the GROUP
//! extension before asking for an access decision, so the
//! [`crate::access::ConnectionRequest`] names the group.

use crate::group::GroupType;
use crate::packet::ext::GroupExt;
use crate::packet::reject::RejectReason;
use crate::rng::SRTGROUP_MASK;

/// `SRT_GFLAG_SYNCONMSG`: the group synchronizes members on message
/// numbers instead of sequence numbers; libsrt 1.5 refuses it.
pub const SRT_GFLAG_SYNCONMSG: u8 = 1;

/// Whether `id` carries libsrt's group-id bit (`SRTGROUP_MASK`).
pub const fn is_group_id(id: u32) -> bool {
    id & SRTGROUP_MASK != 0
}

/// A caller's GROUP extension checked by a listener that accepts grouped
/// connections when `group_connect` is on: the group's type, or libsrt's
/// rejection.
pub fn check_request(ext: &GroupExt, group_connect: bool) -> Result<GroupType, RejectReason> {
    if !group_connect {
        return Err(RejectReason::Group);
    }
    let group_type = GroupType::from_u8(ext.group_type).ok_or(RejectReason::Group)?;
    if !is_group_id(ext.group_id) {
        return Err(RejectReason::Rogue);
    }
    Ok(group_type)
}

/// Whether a new mirror group can take these flags (libsrt's
/// `applyFlags`: not sync-on-message-number).
pub fn flags_acceptable(flags: u8) -> bool {
    flags & SRT_GFLAG_SYNCONMSG == 0
}

/// The listener's GROUP answer to `request`: our mirror group's id, the
/// caller's type and weight, no flags.
pub fn answer(local_group_id: u32, request: &GroupExt) -> GroupExt {
    GroupExt {
        group_id: local_group_id,
        group_type: request.group_type,
        flags: 0,
        weight: request.weight,
    }
}

/// The caller's check of the listener's answer, given what it `sent`.
pub fn check_response(
    sent: Option<&GroupExt>,
    answer: Option<&GroupExt>,
) -> Result<(), RejectReason> {
    match (sent, answer) {
        (None, None) => Ok(()),
        (None, Some(_)) | (Some(_), None) => Err(RejectReason::Group),
        (Some(_), Some(answer)) => {
            if GroupType::from_u8(answer.group_type).is_none() {
                return Err(RejectReason::Group);
            }
            if !is_group_id(answer.group_id) {
                return Err(RejectReason::Rogue);
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(group_id: u32, group_type: u8, flags: u8, weight: u16) -> GroupExt {
        GroupExt {
            group_id,
            group_type,
            flags,
            weight,
        }
    }

    #[test]
    fn grouped_caller_is_refused_without_groupconnect() {
        let e = ext(0x4000_0001, 1, 0, 0);
        assert_eq!(check_request(&e, false), Err(RejectReason::Group));
        assert_eq!(check_request(&e, true), Ok(GroupType::Broadcast));
    }

    #[test]
    fn request_with_unknown_type_is_group_and_without_group_bit_is_rogue() {
        assert_eq!(
            check_request(&ext(0x4000_0001, 0, 0, 0), true),
            Err(RejectReason::Group)
        );
        assert_eq!(
            check_request(&ext(0x4000_0001, 3, 0, 0), true),
            Err(RejectReason::Group)
        );
        assert_eq!(
            check_request(&ext(0x0000_0001, 2, 0, 0), true),
            Err(RejectReason::Rogue)
        );
    }

    #[test]
    fn answer_echoes_type_and_weight_with_our_id_and_no_flags() {
        let a = answer(0x4abc_0000, &ext(0x4000_0001, 2, 0, 77));
        assert_eq!(a, ext(0x4abc_0000, 2, 0, 77));
    }

    #[test]
    fn sync_on_message_number_is_refused() {
        assert!(flags_acceptable(0));
        assert!(!flags_acceptable(SRT_GFLAG_SYNCONMSG));
    }

    #[test]
    fn caller_needs_an_answer_exactly_when_it_sent_a_group() {
        let sent = ext(0x4000_0001, 1, 0, 0);
        let good = ext(0x4000_0002, 1, 0, 0);
        assert_eq!(check_response(None, None), Ok(()));
        assert_eq!(check_response(Some(&sent), None), Err(RejectReason::Group));
        assert_eq!(check_response(None, Some(&good)), Err(RejectReason::Group));
        assert_eq!(check_response(Some(&sent), Some(&good)), Ok(()));
        assert_eq!(
            check_response(Some(&sent), Some(&ext(2, 1, 0, 0))),
            Err(RejectReason::Rogue)
        );
        assert_eq!(
            check_response(Some(&sent), Some(&ext(0x4000_0002, 9, 0, 0))),
            Err(RejectReason::Group)
        );
    }
}

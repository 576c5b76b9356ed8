//! Socket groups (libsrt 1.5 "bonding"): several connections, the
//! group's members, carry one stream with one sequence space. Broadcast
//! sends every packet on every member; main/backup sends on one active
//! member and keeps the others on standby.

use core::fmt;

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
mod tests {
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

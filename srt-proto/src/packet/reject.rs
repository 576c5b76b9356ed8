//! Why a handshake was rejected: libsrt's `SRT_REJ_*` reasons, the
//! access-control codes `SRT_REJX_*` and user-defined codes.
//!
//! A reason has a *code*, numbered as libsrt's API numbers it
//! (`srt_getrejectreason`): 0..1000 for the protocol's own reasons
//! (`SRT_REJ_*`, `SRT_REJC_INTERNAL`), 1000..2000 for the predefined
//! access-control codes (`SRT_REJX_*`, `SRT_REJC_PREDEFINED`, mostly HTTP
//! status + 1000) and 2000 upwards for application codes
//! (`SRT_REJC_USERDEFINED`). On the wire the code travels in the handshake
//! type field as `1000 + code` (libsrt's `URQ_FAILURE_TYPES`), so the
//! libsrt listener that rejects a wrong passphrase sends 1010 (BADSECRET).

use core::fmt;

/// The first handshake-type value that carries a rejection
/// (`URQ_FAILURE_TYPES`).
pub const REJECTION_BASE: u32 = 1000;

/// The largest handshake-type value that carries a rejection: libsrt reads
/// the field as a signed 32-bit integer, so larger values are negative
/// (CONCLUSION, AGREEMENT, DONE, ...).
pub const REJECTION_MAX: u32 = 0x7FFF_FFFF;

/// The largest reason code that fits the wire's rejection range.
pub const MAX_CODE: u32 = REJECTION_MAX - REJECTION_BASE;

/// Why a peer refused a connection (libsrt `SRT_REJECT_REASON` and
/// `access_control.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectReason {
    /// `SRT_REJ_UNKNOWN` (0): no reason given.
    Unknown,
    /// `SRT_REJ_SYSTEM` (1): a system function failed.
    System,
    /// `SRT_REJ_PEER` (2): the peer rejected the connection.
    Peer,
    /// `SRT_REJ_RESOURCE` (3): resource allocation failed.
    Resource,
    /// `SRT_REJ_ROGUE` (4): the handshake carried incorrect data.
    Rogue,
    /// `SRT_REJ_BACKLOG` (5): the listener's backlog is full.
    Backlog,
    /// `SRT_REJ_IPE` (6): internal program error.
    Ipe,
    /// `SRT_REJ_CLOSE` (7): the socket is closing.
    Close,
    /// `SRT_REJ_VERSION` (8): the peer's version is older than the minimum.
    Version,
    /// `SRT_REJ_RDVCOOKIE` (9): rendezvous cookie collision.
    RdvCookie,
    /// `SRT_REJ_BADSECRET` (10): wrong passphrase.
    BadSecret,
    /// `SRT_REJ_UNSECURE` (11): a passphrase is required, or unexpected.
    Unsecure,
    /// `SRT_REJ_MESSAGEAPI` (12): stream API / message API mismatch.
    MessageApi,
    /// `SRT_REJ_CONGESTION` (13): incompatible congestion controllers.
    Congestion,
    /// `SRT_REJ_FILTER` (14): incompatible packet filters.
    Filter,
    /// `SRT_REJ_GROUP` (15): incompatible group settings.
    Group,
    /// `SRT_REJ_TIMEOUT` (16): the connection timed out.
    Timeout,
    /// `SRT_REJ_CRYPTO` (17): conflicting cryptographic modes.
    Crypto,
    /// A code in the protocol's own range (18..1000) that libsrt 1.5 does
    /// not define; holds the code.
    OtherInternal(u32),
    /// A predefined access-control code (1000..2000).
    Access(AccessReject),
    /// An application-defined code (2000 and above); holds the code.
    User(u32),
}

/// The predefined access-control rejection codes (`SRT_REJX_*`, 1000..2000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AccessReject {
    /// `SRT_REJX_FALLBACK` (1000): a problem the application can't specify.
    Fallback,
    /// `SRT_REJX_KEY_NOTSUP` (1001): a stream-id key is not supported.
    KeyNotSupported,
    /// `SRT_REJX_FILEPATH` (1002): the file path is wrong or not found.
    FilePath,
    /// `SRT_REJX_HOSTNOTFOUND` (1003): the `h` host is not recognized.
    HostNotFound,
    /// `SRT_REJX_BAD_REQUEST` (1400): stream-id syntax error.
    BadRequest,
    /// `SRT_REJX_UNAUTHORIZED` (1401): authentication failed.
    Unauthorized,
    /// `SRT_REJX_OVERLOAD` (1402): the server is overloaded or out of credit.
    Overload,
    /// `SRT_REJX_FORBIDDEN` (1403): access to the resource is denied.
    Forbidden,
    /// `SRT_REJX_NOTFOUND` (1404): the resource is not found.
    NotFound,
    /// `SRT_REJX_BAD_MODE` (1405): the `m` mode is not supported.
    BadMode,
    /// `SRT_REJX_UNACCEPTABLE` (1406): the requested parameters can't be met.
    Unacceptable,
    /// `SRT_REJX_CONFLICT` (1409): the resource is locked for modification.
    Conflict,
    /// `SRT_REJX_NOTSUP_MEDIA` (1415): the `t` media type is not supported.
    MediaNotSupported,
    /// `SRT_REJX_LOCKED` (1423): the resource is locked for any access.
    Locked,
    /// `SRT_REJX_FAILED_DEPEND` (1424): a session it depends on is gone.
    FailedDependency,
    /// `SRT_REJX_ISE` (1500): internal server error.
    InternalServerError,
    /// `SRT_REJX_UNIMPLEMENTED` (1501): recognized but not supported.
    Unimplemented,
    /// `SRT_REJX_GW` (1502): the gateway's target rejected the connection.
    Gateway,
    /// `SRT_REJX_DOWN` (1503): the service is down.
    Down,
    /// `SRT_REJX_VERSION` (1505): SRT version not supported.
    Version,
    /// `SRT_REJX_NOROOM` (1507): no storage space left.
    NoRoom,
    /// Another code in 1000..2000 that libsrt does not name; holds the code.
    Other(u16),
}

/// (code, variant, description) for every named access-control code.
const ACCESS: [(u16, AccessReject, &str); 21] = [
    (1000, AccessReject::Fallback, "rejected by the application"),
    (
        1001,
        AccessReject::KeyNotSupported,
        "stream id key not supported",
    ),
    (1002, AccessReject::FilePath, "file path wrong or not found"),
    (1003, AccessReject::HostNotFound, "host not found"),
    (1400, AccessReject::BadRequest, "bad request"),
    (1401, AccessReject::Unauthorized, "unauthorized"),
    (1402, AccessReject::Overload, "server overloaded"),
    (1403, AccessReject::Forbidden, "forbidden"),
    (1404, AccessReject::NotFound, "resource not found"),
    (1405, AccessReject::BadMode, "mode not supported"),
    (
        1406,
        AccessReject::Unacceptable,
        "parameters not acceptable",
    ),
    (
        1409,
        AccessReject::Conflict,
        "resource locked for modification",
    ),
    (
        1415,
        AccessReject::MediaNotSupported,
        "media type not supported",
    ),
    (1423, AccessReject::Locked, "resource locked"),
    (
        1424,
        AccessReject::FailedDependency,
        "dependent session gone",
    ),
    (
        1500,
        AccessReject::InternalServerError,
        "internal server error",
    ),
    (1501, AccessReject::Unimplemented, "not implemented"),
    (
        1502,
        AccessReject::Gateway,
        "rejected by the gateway's target",
    ),
    (1503, AccessReject::Down, "service down"),
    (1505, AccessReject::Version, "SRT version not supported"),
    (1507, AccessReject::NoRoom, "no storage room"),
];

impl AccessReject {
    /// The code, 1000..2000.
    pub fn code(self) -> u16 {
        if let Self::Other(code) = self {
            return code;
        }
        ACCESS
            .iter()
            .find(|(_, v, _)| *v == self)
            .map_or(1000, |(c, _, _)| *c)
    }

    /// The variant for `code`, which must lie in 1000..2000.
    pub fn from_code(code: u16) -> Option<Self> {
        if !(1000..2000).contains(&code) {
            return None;
        }
        Some(
            ACCESS
                .iter()
                .find(|(c, _, _)| *c == code)
                .map_or(Self::Other(code), |(_, v, _)| *v),
        )
    }

    fn description(self) -> &'static str {
        ACCESS
            .iter()
            .find(|(_, v, _)| *v == self)
            .map_or("access denied", |(_, _, d)| *d)
    }
}

/// (variant, description) for `SRT_REJ_*`, indexed by code.
const INTERNAL: [(RejectReason, &str); 18] = [
    (RejectReason::Unknown, "unknown or unset reason"),
    (RejectReason::System, "system function error"),
    (RejectReason::Peer, "rejected by peer"),
    (RejectReason::Resource, "resource allocation problem"),
    (RejectReason::Rogue, "incorrect data in handshake"),
    (RejectReason::Backlog, "listener's backlog exceeded"),
    (RejectReason::Ipe, "internal program error"),
    (RejectReason::Close, "socket is closing"),
    (
        RejectReason::Version,
        "peer is older than the minimum version",
    ),
    (RejectReason::RdvCookie, "rendezvous cookie collision"),
    (RejectReason::BadSecret, "wrong passphrase"),
    (RejectReason::Unsecure, "passphrase required or unexpected"),
    (RejectReason::MessageApi, "stream/message API mismatch"),
    (
        RejectReason::Congestion,
        "incompatible congestion controller",
    ),
    (RejectReason::Filter, "incompatible packet filter"),
    (RejectReason::Group, "incompatible group"),
    (RejectReason::Timeout, "connection timed out"),
    (RejectReason::Crypto, "conflicting cryptographic modes"),
];

impl RejectReason {
    /// The reason code as libsrt's API numbers it (`SRT_REJ_*` from 0,
    /// `SRT_REJX_*` from 1000, user codes from 2000).
    pub fn code(self) -> u32 {
        match self {
            Self::OtherInternal(code) | Self::User(code) => code,
            Self::Access(access) => u32::from(access.code()),
            named => INTERNAL
                .iter()
                .position(|(v, _)| *v == named)
                .and_then(|i| u32::try_from(i).ok())
                .unwrap_or(0),
        }
    }

    /// The reason for `code`; every `u32` maps to exactly one reason and
    /// back through [`Self::code`].
    pub fn from_code(code: u32) -> Self {
        match code {
            0..1000 => usize::try_from(code)
                .ok()
                .and_then(|i| INTERNAL.get(i))
                .map_or(Self::OtherInternal(code), |(v, _)| *v),
            1000..2000 => u16::try_from(code)
                .ok()
                .and_then(AccessReject::from_code)
                .map_or(Self::OtherInternal(code), Self::Access),
            _ => Self::User(code),
        }
    }

    /// The value of the handshake type field that carries this reason:
    /// `1000 + code`. Codes above [`MAX_CODE`] do not fit and are sent as
    /// [`MAX_CODE`].
    pub fn handshake_type(self) -> u32 {
        REJECTION_BASE + self.code().min(MAX_CODE)
    }

    /// The reason a handshake type value carries, or `None` when the value
    /// is not in the rejection range `1000..=0x7FFF_FFFF`.
    pub fn from_handshake_type(value: u32) -> Option<Self> {
        (REJECTION_BASE..=REJECTION_MAX)
            .contains(&value)
            .then(|| Self::from_code(value - REJECTION_BASE))
    }

    fn description(self) -> &'static str {
        match self {
            Self::OtherInternal(_) => "unknown protocol reason",
            Self::User(_) => "rejected by the application",
            Self::Access(access) => access.description(),
            named => INTERNAL
                .iter()
                .find(|(v, _)| *v == named)
                .map_or("unknown reason", |(_, d)| *d),
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (code {})", self.description(), self.code())
    }
}

impl fmt::Display for AccessReject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (code {})", self.description(), self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use proptest::prelude::*;

    #[test]
    fn libsrt_numbering_of_internal_reasons() {
        assert_eq!(RejectReason::Unknown.code(), 0);
        assert_eq!(RejectReason::Rogue.code(), 4);
        assert_eq!(RejectReason::BadSecret.code(), 10);
        assert_eq!(RejectReason::Timeout.code(), 16);
        assert_eq!(RejectReason::Crypto.code(), 17);
        assert_eq!(RejectReason::from_code(18), RejectReason::OtherInternal(18));
    }

    #[test]
    fn bad_secret_travels_as_1010_like_libsrt_sends_it() {
        assert_eq!(RejectReason::BadSecret.handshake_type(), 1010);
        assert_eq!(
            RejectReason::from_handshake_type(0x3f2),
            Some(RejectReason::BadSecret)
        );
    }

    #[test]
    fn access_codes_use_libsrt_values() {
        assert_eq!(
            RejectReason::from_code(1403),
            RejectReason::Access(AccessReject::Forbidden)
        );
        assert_eq!(AccessReject::Fallback.code(), 1000);
        assert_eq!(AccessReject::HostNotFound.code(), 1003);
        assert_eq!(AccessReject::NotFound.code(), 1404);
        assert_eq!(AccessReject::NoRoom.code(), 1507);
        assert_eq!(
            RejectReason::from_code(1410),
            RejectReason::Access(AccessReject::Other(1410))
        );
    }

    #[test]
    fn access_code_travels_as_1000_plus_code() {
        assert_eq!(
            RejectReason::Access(AccessReject::Forbidden).handshake_type(),
            2403
        );
    }

    #[test]
    fn user_codes_start_at_2000() {
        assert_eq!(RejectReason::from_code(2000), RejectReason::User(2000));
        assert_eq!(RejectReason::User(2042).handshake_type(), 3042);
    }

    #[test]
    fn values_outside_the_rejection_range_are_not_reasons() {
        assert_eq!(RejectReason::from_handshake_type(999), None);
        assert_eq!(RejectReason::from_handshake_type(0xFFFF_FFFF), None);
        assert_eq!(RejectReason::from_handshake_type(0x8000_0000), None);
        assert_eq!(
            RejectReason::from_handshake_type(REJECTION_MAX),
            Some(RejectReason::User(MAX_CODE))
        );
    }

    #[test]
    fn display_names_the_reason_and_code() {
        assert_eq!(
            RejectReason::BadSecret.to_string(),
            "wrong passphrase (code 10)"
        );
        assert_eq!(
            RejectReason::Access(AccessReject::Forbidden).to_string(),
            "forbidden (code 1403)"
        );
    }

    proptest! {
        #[test]
        fn every_code_round_trips(code in any::<u32>()) {
            prop_assert_eq!(RejectReason::from_code(code).code(), code);
        }

        #[test]
        fn every_rejection_handshake_type_round_trips(value in REJECTION_BASE..=REJECTION_MAX) {
            let reason = RejectReason::from_handshake_type(value);
            prop_assert_eq!(reason.map(RejectReason::handshake_type), Some(value));
        }
    }
}

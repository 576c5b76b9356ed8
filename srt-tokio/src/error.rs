//! What can go wrong when opening or using an SRT socket.

use srt_proto::connection::{CloseReason, SendError};
use srt_proto::crypto::PassphraseError;
use srt_proto::packet::reject::RejectReason;
use std::fmt;
use std::io;
use std::net::SocketAddr;

/// An error of [`crate::SrtSocket`], [`crate::SrtListener`] or the builder.
#[derive(Debug)]
#[non_exhaustive]
pub enum SrtError {
    /// The handshake was refused: by the peer (`by_peer`), or by us because
    /// the peer's answer did not negotiate. A wrong passphrase is
    /// [`RejectReason::BadSecret`].
    Rejected {
        /// libsrt's rejection reason (`reason.code()` is the number libsrt
        /// reports, e.g. 1403 for a whitelist rejection).
        reason: RejectReason,
        /// Whether the peer sent the reason.
        by_peer: bool,
    },
    /// The listener refused a caller (the caller was sent `reason`).
    IncomingRejected {
        /// The caller's address.
        peer: SocketAddr,
        /// Why.
        reason: RejectReason,
    },
    /// The connection could not be set up or ended abnormally.
    Closed(CloseReason),
    /// A message could not be queued.
    Send(SendError),
    /// The passphrase is too short or too long (10 to 80 bytes).
    Passphrase(PassphraseError),
    /// The stream id is longer than 512 bytes.
    StreamIdTooLong {
        /// Its length, bytes.
        len: usize,
    },
    /// The OS random generator failed (seeding the endpoint).
    Random,
    /// The socket's task is gone (the runtime shut down).
    TaskGone,
    /// A socket operation failed.
    Io(io::Error),
}

impl fmt::Display for SrtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rejected { reason, by_peer } => {
                let who = if *by_peer { "the peer" } else { "we" };
                write!(
                    f,
                    "connection rejected by {who}: {reason:?} ({})",
                    reason.code()
                )
            }
            Self::IncomingRejected { peer, reason } => {
                write!(f, "rejected caller {peer}: {reason:?} ({})", reason.code())
            }
            Self::Closed(reason) => write!(f, "connection closed: {reason}"),
            Self::Send(e) => write!(f, "send failed: {e}"),
            Self::Passphrase(e) => write!(f, "invalid passphrase: {e}"),
            Self::StreamIdTooLong { len } => {
                write!(f, "stream id of {len} bytes is longer than 512")
            }
            Self::Random => f.write_str("the OS random generator failed"),
            Self::TaskGone => f.write_str("the socket's task has ended"),
            Self::Io(e) => write!(f, "socket error: {e}"),
        }
    }
}

impl std::error::Error for SrtError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for SrtError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<SrtError> for io::Error {
    fn from(e: SrtError) -> Self {
        let kind = match &e {
            SrtError::Io(inner) => inner.kind(),
            SrtError::Rejected { .. } | SrtError::IncomingRejected { .. } => {
                io::ErrorKind::ConnectionRefused
            }
            SrtError::Closed(CloseReason::PeerIdle) => io::ErrorKind::TimedOut,
            SrtError::Closed(_) | SrtError::TaskGone => io::ErrorKind::ConnectionAborted,
            SrtError::Send(SendError::ConnectionClosed) => io::ErrorKind::NotConnected,
            SrtError::Send(_) => io::ErrorKind::InvalidInput,
            SrtError::Passphrase(_) | SrtError::StreamIdTooLong { .. } => {
                io::ErrorKind::InvalidInput
            }
            SrtError::Random => io::ErrorKind::Other,
        };
        io::Error::new(kind, e)
    }
}

impl SrtError {
    /// The rejection reason, if this is a rejection (ours or the peer's).
    pub fn reject_reason(&self) -> Option<RejectReason> {
        match self {
            Self::Rejected { reason, .. } | Self::IncomingRejected { reason, .. } => Some(*reason),
            _ => None,
        }
    }

    /// The `SrtError` inside an `io::Error` made from one.
    pub fn from_io(e: &io::Error) -> Option<&SrtError> {
        e.get_ref().and_then(|inner| inner.downcast_ref())
    }
}

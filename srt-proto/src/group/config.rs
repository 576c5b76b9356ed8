//! [`GroupConfig`]: the group's knobs, with libsrt's defaults.

use super::GroupType;
use crate::seq::SeqNumber;
use core::time::Duration;

/// libsrt's `SRTO_GROUPMINSTABLETIMEO` default (and floor): 60 ms.
pub const DEFAULT_STABILITY_TIMEOUT: Duration = Duration::from_millis(60);

/// libsrt's live payload size (`SRTO_PAYLOADSIZE`): a group message is
/// one packet.
pub const DEFAULT_PAYLOAD_SIZE: usize = 1316;

/// How a [`Group`](super::Group) behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupConfig {
    /// Broadcast or main/backup.
    pub group_type: GroupType,
    /// The members' TSBPD latency (`SRTO_LATENCY`/`SRTO_PEERLATENCY`):
    /// bounds how long a sent message is worth replaying, and libsrt's
    /// backup timings (probing period, wary period) follow from it.
    pub latency: Duration,
    /// `SRTO_GROUPMINSTABLETIMEO`: the least silence that makes an active
    /// backup member unstable (libsrt: 60 ms).
    pub stability_timeout: Duration,
    /// `SRTO_PEERIDLETIMEO`: an active backup member unstable for this
    /// long is broken (libsrt: 5 s).
    pub peer_idle_timeout: Duration,
    /// The sequence number of the group's first message. Draw it at
    /// random (libsrt's initial sequence numbers are random); every member
    /// joins the group's sequence space ([`Group::sync`](super::Group::sync)).
    pub initial_seq: SeqNumber,
    /// The most members the group holds at once.
    pub max_members: usize,
    /// The most sent messages a backup group keeps for replay on a member
    /// that takes over (besides the latency limit).
    pub max_replay_packets: usize,
    /// The largest message, bytes: a group message is one live packet.
    pub payload_size: usize,
}

impl GroupConfig {
    /// A group of `group_type` whose first message gets `initial_seq`,
    /// with libsrt's defaults: 120 ms latency, 60 ms stability timeout,
    /// 5 s peer idle timeout; at most 16 members and 8192 replayable
    /// messages (libsrt's default send buffer), 1316-byte messages.
    pub fn new(group_type: GroupType, initial_seq: SeqNumber) -> Self {
        Self {
            group_type,
            latency: Duration::from_millis(120),
            stability_timeout: DEFAULT_STABILITY_TIMEOUT,
            peer_idle_timeout: Duration::from_secs(5),
            initial_seq,
            max_members: 16,
            max_replay_packets: 8192,
            payload_size: DEFAULT_PAYLOAD_SIZE,
        }
    }

    /// Sets the latency.
    #[must_use]
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Sets the stability timeout (`SRTO_GROUPMINSTABLETIMEO`).
    #[must_use]
    pub fn stability_timeout(mut self, timeout: Duration) -> Self {
        self.stability_timeout = timeout;
        self
    }

    /// Sets the peer idle timeout.
    #[must_use]
    pub fn peer_idle_timeout(mut self, timeout: Duration) -> Self {
        self.peer_idle_timeout = timeout;
        self
    }
}

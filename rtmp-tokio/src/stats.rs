//! Counters the server keeps per session and per stream.

/// Counters of one session. Frames are audio and video messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionStats {
    /// Bytes read from the socket.
    pub bytes_received: u64,
    /// Bytes written to the socket.
    pub bytes_sent: u64,
    /// Audio and video messages received (a publisher's).
    pub frames_received: u64,
    /// Audio and video messages sent (a player's).
    pub frames_sent: u64,
    /// Messages a player did not get: lost because it fell behind, or
    /// skipped while waiting for the key frame it resumes (or starts) at.
    pub frames_dropped: u64,
}

/// Counters of one live stream in the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamStats {
    /// `app/key`.
    pub name: String,
    /// Whether a publisher holds the stream.
    pub publishing: bool,
    /// Players attached.
    pub players: usize,
    /// Audio and video messages relayed since the stream appeared.
    pub frames: u64,
    /// Frames and bytes in the GOP cache.
    pub gop_frames: usize,
    /// Bytes in the GOP cache.
    pub gop_bytes: usize,
    /// [`SessionStats::frames_dropped`] of all its players together.
    pub frames_dropped: u64,
}

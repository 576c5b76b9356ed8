//! The live-stream registry: one publisher per `app/key`, players fanned out
//! from it through one bounded broadcast ring, and what a late player needs
//! first (metadata, sequence headers, the current GOP).
//!
//! Fan-out costs one ring slot per frame, not one queue entry per player:
//! every player reads the same `Relay` values and the tag bodies inside are
//! `Bytes` shared with the publisher's receive buffer. A player that falls
//! more than the ring's length behind is told how many frames it lost; it
//! then skips to the next key frame. Memory is bounded by the ring and the
//! GOP cache limits, whatever the players do.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use rtmp_proto::media::{MediaKind, Metadata};
use tokio::sync::broadcast;

use crate::chunks::ChunkCache;
use crate::handler::SessionId;
use crate::stats::StreamStats;
use crate::tags::{is_keyframe, is_sequence_header};

/// Limits of the registry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RegistryLimits {
    /// Frames a player may fall behind before it loses some.
    pub(crate) player_queue: usize,
    /// The GOP cache stops growing past this many bytes (until the next key frame).
    pub(crate) max_gop_bytes: usize,
    /// The GOP cache stops growing past this many frames (until the next key frame).
    pub(crate) max_gop_frames: usize,
}

/// One audio or video message as every player shares it.
#[derive(Debug)]
pub(crate) struct SharedFrame {
    pub(crate) kind: MediaKind,
    pub(crate) timestamp: u32,
    pub(crate) body: Bytes,
    /// A codec configuration (always forwarded).
    pub(crate) header: bool,
    /// A video key frame (where a player that lost frames resumes).
    pub(crate) key: bool,
    /// Whether the stream has carried video (else audio is where to resume).
    pub(crate) has_video: bool,
    /// Its chunks, made once for the players that share them.
    pub(crate) chunks: ChunkCache,
}

/// What a publisher hands to its players.
#[derive(Debug, Clone)]
pub(crate) enum Relay {
    /// An audio or video message.
    Media(Arc<SharedFrame>),
    /// `onMetaData`.
    Metadata(Arc<Metadata>),
    /// The publisher left.
    Unpublished,
}

#[derive(Default)]
struct ChannelState {
    publisher: Option<SessionId>,
    metadata: Option<Arc<Metadata>>,
    video_header: Option<Relay>,
    audio_header: Option<Relay>,
    has_video: bool,
    /// From the last key frame on; empty while overflowed.
    gop: Vec<Relay>,
    gop_bytes: usize,
    /// The GOP went past a limit: cache nothing until the next key frame.
    gop_overflowed: bool,
    players: usize,
}

/// One live stream.
pub(crate) struct Channel {
    name: String,
    state: Mutex<ChannelState>,
    tx: broadcast::Sender<Relay>,
    frames: AtomicU64,
    dropped: AtomicU64,
}

/// What a new player starts with.
pub(crate) struct Subscription {
    pub(crate) channel: Arc<Channel>,
    /// Metadata, sequence headers and the cached GOP, in that order.
    pub(crate) start: Vec<Relay>,
    /// Whether the start reaches a key frame (else wait for one).
    pub(crate) starts_at_keyframe: bool,
    /// Live frames after `start`.
    pub(crate) feed: broadcast::Receiver<Relay>,
}

/// All live streams of one server.
pub(crate) struct Registry {
    channels: Mutex<HashMap<String, Arc<Channel>>>,
    limits: RegistryLimits,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind; keep going.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Channel {
    /// Counts frames a player lost.
    pub(crate) fn count_dropped(&self, n: u64) {
        self.dropped.fetch_add(n, Ordering::Relaxed);
    }

    /// Relays `onMetaData` and keeps it for late players.
    pub(crate) fn publish_metadata(&self, metadata: Metadata) {
        let metadata = Arc::new(metadata);
        let mut state = lock(&self.state);
        state.metadata = Some(metadata.clone());
        let _ = self.tx.send(Relay::Metadata(metadata));
    }

    /// Relays an audio or video message, keeping sequence headers and the
    /// current GOP for late players.
    pub(crate) fn publish_media(
        &self,
        kind: MediaKind,
        timestamp: u32,
        body: Bytes,
        limits: &RegistryLimits,
    ) {
        self.frames.fetch_add(1, Ordering::Relaxed);
        let header = is_sequence_header(kind, &body);
        let key = !header && kind == MediaKind::Video && is_keyframe(&body);
        let len = body.len();
        let mut state = lock(&self.state);
        state.has_video |= kind == MediaKind::Video;
        let relay = Relay::Media(Arc::new(SharedFrame {
            kind,
            timestamp,
            body,
            header,
            key,
            has_video: state.has_video,
            chunks: ChunkCache::default(),
        }));
        if header {
            match kind {
                MediaKind::Video => state.video_header = Some(relay.clone()),
                MediaKind::Audio => state.audio_header = Some(relay.clone()),
            }
        } else if state.has_video {
            if key {
                state.gop.clear();
                state.gop_bytes = 0;
                state.gop_overflowed = false;
            }
            let full = state.gop.len() >= limits.max_gop_frames
                || state.gop_bytes.saturating_add(len) > limits.max_gop_bytes;
            if full {
                state.gop.clear();
                state.gop_bytes = 0;
                state.gop_overflowed = true;
            }
            if !state.gop_overflowed && (key || !state.gop.is_empty()) {
                state.gop_bytes += len;
                state.gop.push(relay.clone());
            }
        }
        let _ = self.tx.send(relay);
    }
}

impl Registry {
    pub(crate) fn new(limits: RegistryLimits) -> Self {
        Self {
            channels: Mutex::new(HashMap::new()),
            limits,
        }
    }

    pub(crate) fn limits(&self) -> &RegistryLimits {
        &self.limits
    }

    fn channel(&self, map: &mut HashMap<String, Arc<Channel>>, name: &str) -> Arc<Channel> {
        if let Some(c) = map.get(name) {
            return c.clone();
        }
        let (tx, _) = broadcast::channel(self.limits.player_queue.max(1));
        let channel = Arc::new(Channel {
            name: name.to_owned(),
            state: Mutex::new(ChannelState::default()),
            tx,
            frames: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        });
        map.insert(name.to_owned(), channel.clone());
        channel
    }

    /// Makes `session` the publisher of `name`, or `None` if someone else is.
    pub(crate) fn acquire_publisher(&self, name: &str, session: SessionId) -> Option<Arc<Channel>> {
        let mut map = lock(&self.channels);
        let channel = self.channel(&mut map, name);
        let mut state = lock(&channel.state);
        if state.publisher.is_some() {
            return None;
        }
        state.publisher = Some(session);
        drop(state);
        Some(channel)
    }

    /// Ends `session`'s publish: players are told, the caches are emptied,
    /// and the stream goes away if nobody plays it.
    pub(crate) fn release_publisher(&self, channel: &Arc<Channel>, session: SessionId) {
        let mut map = lock(&self.channels);
        let mut state = lock(&channel.state);
        if state.publisher != Some(session) {
            return;
        }
        let players = state.players;
        *state = ChannelState {
            players,
            ..ChannelState::default()
        };
        let _ = channel.tx.send(Relay::Unpublished);
        drop(state);
        if players == 0 {
            map.remove(&channel.name);
        }
    }

    /// Attaches a player to `name`. With `wait` a stream nobody publishes
    /// yet is created empty (the player waits, as nginx-rtmp's `live on`);
    /// without it `None` is returned.
    pub(crate) fn subscribe(&self, name: &str, wait: bool) -> Option<Subscription> {
        let mut map = lock(&self.channels);
        if !wait
            && map
                .get(name)
                .is_none_or(|c| lock(&c.state).publisher.is_none())
        {
            return None;
        }
        let channel = self.channel(&mut map, name);
        let mut state = lock(&channel.state);
        state.players += 1;
        let mut start = Vec::with_capacity(3 + state.gop.len());
        start.extend(state.metadata.clone().map(Relay::Metadata));
        start.extend(state.video_header.clone());
        start.extend(state.audio_header.clone());
        start.extend(state.gop.iter().cloned());
        let starts_at_keyframe =
            !state.gop.is_empty() || (!state.has_video && state.publisher.is_some());
        let feed = channel.tx.subscribe();
        drop(state);
        Some(Subscription {
            channel: channel.clone(),
            start,
            starts_at_keyframe,
            feed,
        })
    }

    /// Detaches a player; the stream goes away if it was the last one and
    /// nobody publishes.
    pub(crate) fn unsubscribe(&self, channel: &Arc<Channel>) {
        let mut map = lock(&self.channels);
        let mut state = lock(&channel.state);
        state.players = state.players.saturating_sub(1);
        let gone = state.players == 0 && state.publisher.is_none();
        drop(state);
        if gone {
            map.remove(&channel.name);
        }
    }

    /// A snapshot of every stream's counters.
    pub(crate) fn stats(&self) -> Vec<StreamStats> {
        let map = lock(&self.channels);
        let mut out: Vec<StreamStats> = map
            .values()
            .map(|c| {
                let state = lock(&c.state);
                StreamStats {
                    name: c.name.clone(),
                    publishing: state.publisher.is_some(),
                    players: state.players,
                    frames: c.frames.load(Ordering::Relaxed),
                    gop_frames: state.gop.len(),
                    gop_bytes: state.gop_bytes,
                    frames_dropped: c.dropped.load(Ordering::Relaxed),
                }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> RegistryLimits {
        RegistryLimits {
            player_queue: 4,
            max_gop_bytes: 1000,
            max_gop_frames: 100,
        }
    }

    const AVC_HEADER: &[u8] = &[0x17, 0, 0, 0, 0, 1, 0x64];
    const KEY: &[u8] = &[0x17, 1, 0, 0, 0, 0xAA];
    const INTER: &[u8] = &[0x27, 1, 0, 0, 0, 0xBB];
    const AAC_HEADER: &[u8] = &[0xAF, 0, 0x12, 0x10];
    const AAC: &[u8] = &[0xAF, 1, 0x21];

    fn video(ch: &Channel, ts: u32, body: &'static [u8]) {
        ch.publish_media(MediaKind::Video, ts, Bytes::from_static(body), &limits());
    }

    fn timestamps(relays: &[Relay]) -> Vec<(bool, u32)> {
        relays
            .iter()
            .filter_map(|r| match r {
                Relay::Media(f) => Some((f.header, f.timestamp)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn second_publisher_of_a_key_is_refused_and_the_first_keeps_it() {
        let reg = Registry::new(limits());
        let first = reg.acquire_publisher("live/a", SessionId(1)).unwrap();
        assert!(reg.acquire_publisher("live/a", SessionId(2)).is_none());
        reg.release_publisher(&first, SessionId(2));
        assert!(reg.stats()[0].publishing);
        assert!(reg.acquire_publisher("live/b", SessionId(2)).is_some());
    }

    #[test]
    fn key_is_free_again_after_the_publisher_leaves() {
        let reg = Registry::new(limits());
        let ch = reg.acquire_publisher("live/a", SessionId(1)).unwrap();
        reg.release_publisher(&ch, SessionId(1));
        assert!(reg.stats().is_empty());
        assert!(reg.acquire_publisher("live/a", SessionId(2)).is_some());
    }

    #[test]
    fn late_player_starts_with_metadata_headers_and_the_last_gop() {
        let reg = Registry::new(limits());
        let ch = reg.acquire_publisher("live/a", SessionId(1)).unwrap();
        ch.publish_metadata(Metadata::new(0, rtmp_proto::amf0::Value::Null));
        video(&ch, 0, AVC_HEADER);
        ch.publish_media(
            MediaKind::Audio,
            0,
            Bytes::from_static(AAC_HEADER),
            &limits(),
        );
        video(&ch, 0, KEY);
        video(&ch, 40, INTER);
        video(&ch, 80, KEY);
        ch.publish_media(MediaKind::Audio, 90, Bytes::from_static(AAC), &limits());
        video(&ch, 120, INTER);
        let sub = reg.subscribe("live/a", false).unwrap();
        assert!(matches!(sub.start[0], Relay::Metadata(_)));
        assert_eq!(
            timestamps(&sub.start),
            [(true, 0), (true, 0), (false, 80), (false, 90), (false, 120)]
        );
        assert!(sub.starts_at_keyframe);
    }

    #[test]
    fn gop_cache_past_its_limit_is_dropped_until_the_next_keyframe() {
        let reg = Registry::new(RegistryLimits {
            max_gop_frames: 2,
            ..limits()
        });
        let ch = reg.acquire_publisher("live/a", SessionId(1)).unwrap();
        let l = *reg.limits();
        for (ts, body) in [(0, KEY), (40, INTER), (80, INTER), (120, INTER)] {
            ch.publish_media(MediaKind::Video, ts, Bytes::from_static(body), &l);
        }
        assert_eq!(reg.stats()[0].gop_frames, 0);
        ch.publish_media(MediaKind::Video, 160, Bytes::from_static(KEY), &l);
        assert_eq!(reg.stats()[0].gop_frames, 1);
    }

    #[test]
    fn player_of_an_unpublished_key_is_refused_unless_it_may_wait() {
        let reg = Registry::new(limits());
        assert!(reg.subscribe("live/x", false).is_none());
        let sub = reg.subscribe("live/x", true).unwrap();
        assert!(!sub.starts_at_keyframe);
        assert_eq!(reg.stats()[0].players, 1);
        reg.unsubscribe(&sub.channel);
        assert!(reg.stats().is_empty());
    }

    #[test]
    fn slow_player_is_told_how_many_frames_it_lost_and_the_ring_stays_bounded() {
        let reg = Registry::new(limits());
        let ch = reg.acquire_publisher("live/a", SessionId(1)).unwrap();
        let mut sub = reg.subscribe("live/a", false).unwrap();
        for i in 0..10 {
            video(&ch, i * 40, INTER);
        }
        assert_eq!(
            sub.feed.try_recv().unwrap_err(),
            broadcast::error::TryRecvError::Lagged(6)
        );
        assert_eq!(sub.feed.len(), 4);
    }

    #[test]
    fn players_hear_when_the_publisher_leaves() {
        let reg = Registry::new(limits());
        let ch = reg.acquire_publisher("live/a", SessionId(1)).unwrap();
        let mut sub = reg.subscribe("live/a", false).unwrap();
        reg.release_publisher(&ch, SessionId(1));
        assert!(matches!(sub.feed.try_recv(), Ok(Relay::Unpublished)));
        assert_eq!(reg.stats()[0].players, 1);
    }
}

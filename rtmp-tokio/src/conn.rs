//! One server connection: a task that feeds socket bytes to a
//! [`ServerSession`], answers its requests through the [`crate::Handler`],
//! and plays the publisher or player part against the registry.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rtmp_proto::media::{Demuxer, MediaEvent, MediaKind};
use rtmp_proto::session::{
    CloseReason, Input, Instant, Output, ServerEvent, ServerOutput, ServerSession, StreamId,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};

use crate::handler::{
    ConnectRequest, DisconnectReason, MediaFrame, MediaMode, PublishDecision, PublishObserver,
    Role, SessionId, SessionSummary, StreamRequest,
};
use crate::registry::{Channel, Relay, SharedFrame};
use crate::server::Shared;
use crate::stats::SessionStats;
use crate::util::{Xorshift, proto_now};

/// Relayed frames a player takes at once before writing them in one go.
const PLAYER_BATCH: usize = 64;

/// How long a write may take once the server is shutting down.
const SHUTDOWN_WRITE_TIMEOUT: Duration = Duration::from_secs(1);

enum Part {
    None,
    Publisher {
        channel: Option<Arc<Channel>>,
        observer: Option<Box<dyn PublishObserver>>,
        demuxer: Option<Box<Demuxer>>,
        mode: MediaMode,
    },
    Player {
        channel: Arc<Channel>,
        stream: StreamId,
        /// Video (and audio, when the stream has video) waits for a key frame.
        need_keyframe: bool,
    },
}

struct Conn {
    id: SessionId,
    peer: SocketAddr,
    shared: Arc<Shared>,
    session: ServerSession,
    tcp: TcpStream,
    outputs: Vec<ServerOutput>,
    /// The batch `drain` works through (kept for its capacity).
    batch: Vec<ServerOutput>,
    /// Bytes waiting for one vectored write (kept for its capacity).
    pending: Vec<Piece>,
    /// Relayed frames may go straight to `pending` (set while the feed is
    /// read, when no session output waits in `outputs`).
    relay_direct: bool,
    app: Option<String>,
    last_stream: Option<(Role, String)>,
    part: Part,
    feed: Option<broadcast::Receiver<Relay>>,
    connected: bool,
    stats: SessionStats,
    /// Set by whatever ended the session first.
    reason: Option<DisconnectReason>,
    /// When bytes last came from the peer (idle timeout).
    last_activity: std::time::Instant,
}

pub(crate) async fn serve_connection(
    tcp: TcpStream,
    peer: SocketAddr,
    id: SessionId,
    shared: Arc<Shared>,
) {
    let _ = tcp.set_nodelay(true);
    let now = proto_now(shared.origin);
    let mut rng = Xorshift::seeded(id.0, peer);
    let session = ServerSession::new(shared.options.session.clone(), |b| rng.fill(b), now);
    let mut conn = Conn {
        id,
        peer,
        shared,
        session,
        tcp,
        outputs: Vec::new(),
        batch: Vec::new(),
        pending: Vec::new(),
        relay_direct: false,
        app: None,
        last_stream: None,
        part: Part::None,
        feed: None,
        connected: false,
        stats: SessionStats::default(),
        reason: None,
        last_activity: std::time::Instant::now(),
    };
    conn.run().await;
    conn.finish();
}

async fn recv_relay(feed: &mut Option<broadcast::Receiver<Relay>>) -> Result<Relay, RecvError> {
    match feed {
        Some(feed) => feed.recv().await,
        None => std::future::pending().await,
    }
}

impl Conn {
    fn now(&self) -> Instant {
        proto_now(self.shared.origin)
    }

    async fn run(&mut self) {
        let mut buf = vec![0u8; self.shared.options.read_buffer.max(1024)];
        let mut shutdown = self.shared.shutdown.clone();
        let started = std::time::Instant::now();
        // The stop signal and the timer live across iterations: making them
        // anew on every wake-up (a player wakes once per relayed frame) would
        // register with the watch channel and the timer wheel every time.
        let stop = crate::util::stopped(&mut shutdown);
        tokio::pin!(stop);
        let mut stop_seen = false;
        let sleep = tokio::time::sleep_until(started.into());
        tokio::pin!(sleep);
        // The session's first output (nothing for a server) and any later ones.
        self.session.poll_outputs_into(&mut self.outputs);
        loop {
            if !self.drain().await {
                return;
            }
            let opts = &self.shared.options;
            let deadline = if self.connected {
                self.last_activity + opts.idle_timeout
            } else {
                (started + opts.handshake_timeout).min(self.last_activity + opts.idle_timeout)
            };
            // The protocol clock counts from `origin`: no clock read here,
            // and the same wake-up maps to the same instant every time, so
            // the timer is only moved when the wake-up moves.
            let wake = self
                .session
                .next_timeout()
                .map(|t| self.shared.origin + Duration::from_micros(t.as_micros()));
            let timer_at = wake.map_or(deadline, |w| w.min(deadline));
            if sleep.deadline() != timer_at.into() {
                sleep.as_mut().reset(timer_at.into());
            }
            // Biased, the feed first and the stop signal last: a wake-up
            // for a relayed frame polls the feed and nothing more (polling
            // the socket's read readiness first cost a fifth of the relay's
            // user time at 200 players). The socket is still read whenever
            // the feed is empty, which a player that keeps up reaches after
            // every batch; one that cannot keep up waits in its writes.
            tokio::select! {
                biased;
                relay = recv_relay(&mut self.feed) => self.on_relay_result(relay),
                read = self.tcp.read(&mut buf) => match read {
                    Ok(0) => {
                        let now = self.now();
                        self.session.handle_input_into(Input::TransportClosed, now, &mut self.outputs);
                    }
                    Ok(n) => {
                        self.last_activity = std::time::Instant::now();
                        self.stats.bytes_received += n as u64;
                        let now = self.now();
                        let bytes = buf.get(..n).unwrap_or_default();
                        self.session.handle_input_into(Input::Bytes(bytes), now, &mut self.outputs);
                    }
                    Err(e) => self.end(DisconnectReason::Io(e.kind())),
                },
                _ = &mut sleep => {
                    let now_std = std::time::Instant::now();
                    if now_std >= deadline {
                        self.end(if self.connected {
                            DisconnectReason::IdleTimeout
                        } else {
                            DisconnectReason::HandshakeTimeout
                        });
                    } else {
                        let now = self.now();
                        self.session.handle_input_into(Input::Timeout, now, &mut self.outputs);
                    }
                }
                _ = &mut stop, if !stop_seen => {
                    stop_seen = true;
                    self.end(DisconnectReason::Shutdown);
                }
            }
        }
    }

    /// Ends the session for a reason of ours (timeouts, socket errors, shutdown).
    fn end(&mut self, reason: DisconnectReason) {
        self.reason.get_or_insert(reason);
        self.session.close();
        self.session.poll_outputs_into(&mut self.outputs);
    }

    /// Writes and handles every output until none is left. Returns `false`
    /// once the session is over (closed and flushed, or the socket failed).
    async fn drain(&mut self) -> bool {
        // Relayed frames may already wait in `pending`, ahead of any output.
        while !self.outputs.is_empty() || !self.pending.is_empty() {
            // Events may queue more outputs: they go to `self.outputs` for
            // the next round while this one works through `batch`.
            let mut batch = std::mem::take(&mut self.batch);
            std::mem::swap(&mut batch, &mut self.outputs);
            let mut ok = true;
            for output in batch.drain(..) {
                if !ok {
                    continue;
                }
                match output {
                    Output::Transmit(bytes) => self.pending.push(Piece::Bytes(bytes)),
                    Output::Event(event) => {
                        ok = self.write_pending().await;
                        if ok {
                            self.on_event(event);
                        }
                    }
                }
            }
            self.batch = batch;
            if !ok || !self.write_pending().await {
                return false;
            }
            self.session.poll_outputs_into(&mut self.outputs);
        }
        // A player's start (metadata, headers, the whole cached GOP) fills
        // these with hundreds of entries once; keeping that for every
        // player would cost more memory than nginx-rtmp's whole connection.
        release_if_large(&mut self.batch);
        release_if_large(&mut self.outputs);
        release_if_large(&mut self.pending);
        !self.session.is_closed()
    }

    /// Writes `self.pending` (and empties it); `false` if the connection is over.
    async fn write_pending(&mut self) -> bool {
        let mut pending = std::mem::take(&mut self.pending);
        let ok = self.write_all(&mut pending).await;
        pending.clear();
        self.pending = pending;
        ok
    }

    async fn write_all(&mut self, pending: &mut [Piece]) -> bool {
        if pending.is_empty() {
            return true;
        }
        let total: usize = pending.iter().map(Piece::remaining).sum();
        // Nearly always the socket takes it all at once: no timer, no
        // shutdown watch, no future for that.
        let mut first = 0;
        match write_now(&self.tcp, pending, &mut first) {
            Ok(true) => {
                self.stats.bytes_sent += total as u64;
                return true;
            }
            Ok(false) => {}
            Err(e) => {
                self.reason.get_or_insert(DisconnectReason::Io(e.kind()));
                return false;
            }
        }
        let pending = match pending.get_mut(first..) {
            Some(rest) => rest,
            None => return true,
        };
        let mut shutdown = self.shared.shutdown.clone();
        // Once the server stops, a write gets a second at most: a stalled
        // peer must not hold the shutdown up.
        let stopping = *shutdown.borrow();
        let timeout = if stopping {
            SHUTDOWN_WRITE_TIMEOUT
        } else {
            self.shared.options.write_timeout
        };
        let write = tokio::time::timeout(timeout, write_vectored_all(&mut self.tcp, pending));
        let result = tokio::select! {
            r = write => r,
            _ = crate::util::stopped(&mut shutdown), if !stopping => {
                self.reason.get_or_insert(DisconnectReason::Shutdown);
                return false;
            }
        };
        match result {
            Ok(Ok(())) => {
                self.stats.bytes_sent += total as u64;
                true
            }
            Ok(Err(e)) => {
                self.reason.get_or_insert(DisconnectReason::Io(e.kind()));
                false
            }
            Err(_) => {
                self.reason.get_or_insert(DisconnectReason::WriteTimeout);
                false
            }
        }
    }

    fn stream_request(&self, name: &str, query: Option<String>) -> StreamRequest {
        StreamRequest {
            session: self.id,
            peer: self.peer,
            app: self.app.clone().unwrap_or_default(),
            key: name.to_owned(),
            query,
        }
    }

    fn on_event(&mut self, event: ServerEvent) {
        match event {
            ServerEvent::ConnectRequest { request, info } => {
                let req = ConnectRequest {
                    session: self.id,
                    peer: self.peer,
                    info,
                };
                match self.shared.handler.on_connect(&req) {
                    Ok(()) => {
                        self.app = Some(req.info.app);
                        self.connected = true;
                        let _ = self.session.accept(request);
                    }
                    Err(r) => {
                        let _ = self.session.reject(request, &r.0);
                    }
                }
            }
            ServerEvent::PublishRequest {
                request, publish, ..
            } => self.on_publish_request(request, publish.name, publish.query),
            ServerEvent::PlayRequest {
                request,
                stream,
                play,
            } => self.on_play_request(request, stream, play.name, play.query),
            ServerEvent::Metadata { metadata, .. } => {
                if let Part::Publisher {
                    channel, observer, ..
                } = &mut self.part
                {
                    if let Some(o) = observer {
                        o.on_metadata(&metadata);
                    }
                    if let Some(c) = channel {
                        c.publish_metadata(metadata);
                    }
                }
            }
            ServerEvent::Audio {
                timestamp, body, ..
            } => self.on_media(MediaKind::Audio, timestamp, body),
            ServerEvent::Video {
                timestamp, body, ..
            } => self.on_media(MediaKind::Video, timestamp, body),
            ServerEvent::PublishFinished { .. } => self.leave(DisconnectReason::Finished),
            ServerEvent::PlayFinished { .. } => self.leave(DisconnectReason::Finished),
            ServerEvent::Closed { reason } => {
                let reason = match reason {
                    CloseReason::TransportClosed | CloseReason::Local
                        if matches!(self.part, Part::None) =>
                    {
                        DisconnectReason::Finished
                    }
                    other => DisconnectReason::Protocol(other),
                };
                self.reason.get_or_insert(reason);
            }
            _ => {}
        }
    }

    fn on_publish_request(
        &mut self,
        request: rtmp_proto::session::RequestId,
        name: String,
        query: Option<String>,
    ) {
        if !matches!(self.part, Part::None) {
            let _ = self
                .session
                .reject(request, "this connection already has a stream");
            return;
        }
        let req = self.stream_request(&name, query);
        let observer = match self.shared.handler.on_publish(&req) {
            PublishDecision::Accept(observer) => observer,
            PublishDecision::Reject(r) => {
                let _ = self.session.reject(request, &r.0);
                return;
            }
        };
        let full_name = format!("{}/{}", req.app, req.key);
        let channel = if self.shared.options.relay {
            match self.shared.registry.acquire_publisher(&full_name, self.id) {
                Some(c) => Some(c),
                None => {
                    let _ = self
                        .session
                        .reject(request, "the stream is already being published");
                    return;
                }
            }
        } else {
            None
        };
        let mode = observer.as_ref().map_or(MediaMode::Raw, |o| o.media_mode());
        let demuxer =
            (observer.is_some() && mode != MediaMode::Raw).then(|| Box::new(Demuxer::new()));
        self.last_stream = Some((Role::Publisher, full_name));
        self.part = Part::Publisher {
            channel,
            observer,
            demuxer,
            mode,
        };
        let _ = self.session.accept(request);
        if let Part::Publisher {
            observer: Some(o), ..
        } = &mut self.part
        {
            o.on_start();
        }
    }

    fn on_play_request(
        &mut self,
        request: rtmp_proto::session::RequestId,
        stream: StreamId,
        name: String,
        query: Option<String>,
    ) {
        if !matches!(self.part, Part::None) || !self.shared.options.relay {
            let _ = self.session.reject(request, "no such stream");
            return;
        }
        let req = self.stream_request(&name, query);
        if let Err(r) = self.shared.handler.on_play(&req) {
            let _ = self.session.reject(request, &r.0);
            return;
        }
        let full_name = format!("{}/{}", req.app, req.key);
        let wait = self.shared.options.play_waits_for_publisher;
        let Some(sub) = self.shared.registry.subscribe(&full_name, wait) else {
            let _ = self.session.reject(request, "no such stream");
            return;
        };
        self.last_stream = Some((Role::Player, full_name));
        self.part = Part::Player {
            channel: sub.channel,
            stream,
            need_keyframe: !sub.starts_at_keyframe,
        };
        self.feed = Some(sub.feed);
        if self.session.accept(request).is_ok() {
            for relay in sub.start {
                self.send_relay(relay);
            }
        }
    }

    fn on_media(&mut self, kind: MediaKind, timestamp: u32, body: Bytes) {
        let Part::Publisher {
            channel,
            observer,
            demuxer,
            mode,
            ..
        } = &mut self.part
        else {
            return;
        };
        self.stats.frames_received += 1;
        if let Some(o) = observer {
            let frame = MediaFrame {
                kind,
                timestamp,
                body,
            };
            if *mode != MediaMode::Demuxed {
                o.on_frame(&frame);
            }
            if let Some(d) = demuxer {
                let mut events: Vec<MediaEvent> = Vec::new();
                let result = match kind {
                    MediaKind::Audio => d.demux_audio(timestamp, &frame.body, &mut events),
                    MediaKind::Video => d.demux_video(timestamp, &frame.body, &mut events),
                };
                match result {
                    Ok(()) => events.iter().for_each(|e| o.on_media(e)),
                    Err(e) => o.on_demux_error(&frame, e),
                }
            }
            if let Some(c) = channel {
                c.publish_media(kind, timestamp, frame.body, self.shared.registry.limits());
            }
        } else if let Some(c) = channel {
            c.publish_media(kind, timestamp, body, self.shared.registry.limits());
        }
    }

    fn on_relay_result(&mut self, first: Result<Relay, RecvError>) {
        // `drain` left nothing in `outputs`: frames may skip that queue.
        self.relay_direct = self.outputs.is_empty();
        let mut next = Some(first);
        let mut taken = 0;
        while let Some(result) = next.take() {
            match result {
                Ok(relay) => self.send_relay(relay),
                Err(RecvError::Lagged(n)) => self.lost(n),
                Err(RecvError::Closed) => {
                    self.feed = None;
                    break;
                }
            }
            taken += 1;
            if taken < PLAYER_BATCH {
                next = match self.feed.as_mut().map(|f| f.try_recv()) {
                    Some(Ok(relay)) => Some(Ok(relay)),
                    Some(Err(TryRecvError::Lagged(n))) => Some(Err(RecvError::Lagged(n))),
                    _ => None,
                };
            }
        }
        self.relay_direct = false;
        self.session.poll_outputs_into(&mut self.outputs);
    }

    fn lost(&mut self, n: u64) {
        self.stats.frames_dropped += n;
        if let Part::Player {
            channel,
            need_keyframe,
            ..
        } = &mut self.part
        {
            channel.count_dropped(n);
            *need_keyframe = true;
        }
    }

    fn send_relay(&mut self, relay: Relay) {
        let Part::Player {
            channel,
            stream,
            need_keyframe,
        } = &mut self.part
        else {
            return;
        };
        let stream = *stream;
        let _ = match relay {
            Relay::Metadata(m) => self.session.send_metadata(stream, &m),
            Relay::Media(frame) => {
                if *need_keyframe && !frame.header {
                    let resume = frame.key || (frame.kind == MediaKind::Audio && !frame.has_video);
                    if !resume {
                        self.stats.frames_dropped += 1;
                        channel.count_dropped(1);
                        return;
                    }
                    *need_keyframe = false;
                }
                self.stats.frames_sent += 1;
                let chunk_size = self.session.chunk_size();
                // What the session queued goes first, then the chunks.
                self.session.poll_outputs_into(&mut self.outputs);
                let key = (frame.kind, frame.timestamp, &frame.body);
                let direct = self.relay_direct
                    && self
                        .outputs
                        .iter()
                        .all(|o| matches!(o, Output::Transmit(_)));
                let shared_len = direct
                    .then(|| frame.chunks.shared(key, chunk_size, stream.0))
                    .flatten()
                    .map(|e| e.len());
                let appended = match shared_len {
                    Some(len) => {
                        for output in self.outputs.drain(..) {
                            if let Output::Transmit(bytes) = output {
                                self.pending.push(Piece::Bytes(bytes));
                            }
                        }
                        let kind = frame.kind;
                        self.pending.push(Piece::Frame { frame, skip: 0 });
                        let _ = self.session.sent_prechunked_media(stream, kind, len);
                        return;
                    }
                    None => frame.chunks.append(
                        key,
                        chunk_size,
                        stream.0,
                        &mut self.outputs,
                        Output::Transmit,
                    ),
                };
                match appended {
                    Some(bytes) => self
                        .session
                        .sent_prechunked_media(stream, frame.kind, bytes),
                    None => self.session.send_media(
                        stream,
                        frame.kind,
                        frame.timestamp,
                        frame.body.clone(),
                    ),
                }
            }
            Relay::Unpublished => {
                *need_keyframe = true;
                self.session.unpublish_notify(stream)
            }
        };
    }

    /// Gives up the connection's publish or play (the session goes on).
    fn leave(&mut self, reason: DisconnectReason) {
        match std::mem::replace(&mut self.part, Part::None) {
            Part::None => {}
            Part::Publisher {
                channel, observer, ..
            } => {
                if let Some(c) = channel {
                    self.shared.registry.release_publisher(&c, self.id);
                }
                if let Some(mut o) = observer {
                    o.on_disconnect(&reason, &self.stats);
                }
            }
            Part::Player { channel, .. } => {
                self.feed = None;
                self.shared.registry.unsubscribe(&channel);
            }
        }
    }

    /// After the loop: leave the registry, tell the handler, close the socket.
    fn finish(&mut self) {
        let reason = self.reason.clone().unwrap_or(DisconnectReason::Finished);
        self.leave(reason.clone());
        let summary = SessionSummary {
            session: self.id,
            peer: self.peer,
            app: self.app.clone(),
            stream: self.last_stream.clone(),
            reason,
            stats: self.stats,
        };
        self.shared.handler.on_disconnect(&summary);
    }
}

/// Slices handed to one `writev` at most (Linux allows 1024; this many
/// fit on the stack).
const MAX_IOV: usize = 128;

/// Entries a reused queue keeps room for between wake-ups (a batch of
/// relayed frames and their session output fits).
const RETAINED_QUEUE: usize = 2 * PLAYER_BATCH;

/// Frees an empty queue's buffer if it grew past [`RETAINED_QUEUE`].
fn release_if_large<T>(queue: &mut Vec<T>) {
    if queue.is_empty() && queue.capacity() > RETAINED_QUEUE {
        *queue = Vec::new();
    }
}

/// Something to write: bytes of the session, or a relayed frame's shared
/// chunks (written straight from the frame, so queueing it for a player
/// costs one reference, not one per chunk part).
enum Piece {
    Bytes(Bytes),
    Frame {
        frame: Arc<SharedFrame>,
        /// Bytes of it already written.
        skip: usize,
    },
}

impl Piece {
    fn remaining(&self) -> usize {
        match self {
            Piece::Bytes(b) => b.len(),
            Piece::Frame { frame, skip } => frame
                .chunks
                .encoded()
                .map_or(0, |e| e.len().saturating_sub(*skip)),
        }
    }
}

/// Skips the written and empty pieces from `first` on, then fills `slices`
/// with what comes next; answers how many slices.
fn gather<'b>(
    pieces: &'b [Piece],
    first: &mut usize,
    slices: &mut [std::io::IoSlice<'b>; MAX_IOV],
) -> usize {
    // Skip empty pieces (a zero-length write would look like a failure).
    while pieces.get(*first).is_some_and(|p| p.remaining() == 0) {
        *first += 1;
    }
    let mut slots = slices.iter_mut();
    let mut count = 0;
    for piece in pieces.iter().skip(*first) {
        match piece {
            Piece::Bytes(b) => {
                let Some(slot) = slots.next() else { break };
                *slot = std::io::IoSlice::new(b);
                count += 1;
            }
            Piece::Frame { frame, skip } => {
                let parts = frame.chunks.encoded().map_or(&[][..], |e| e.parts());
                let mut skip = *skip;
                for part in parts {
                    if skip >= part.len() {
                        skip -= part.len();
                        continue;
                    }
                    let Some(slot) = slots.next() else {
                        return count;
                    };
                    *slot = std::io::IoSlice::new(part.get(skip..).unwrap_or_default());
                    skip = 0;
                    count += 1;
                }
            }
        }
    }
    count
}

/// Drops the first `n` bytes written from `pieces[first..]`, moving `first`.
fn advance(pieces: &mut [Piece], first: &mut usize, mut n: usize) {
    use bytes::Buf;
    while n > 0 {
        let Some(piece) = pieces.get_mut(*first) else {
            break;
        };
        let remaining = piece.remaining();
        if n >= remaining {
            n -= remaining;
            *first += 1;
            continue;
        }
        match piece {
            Piece::Bytes(b) => b.advance(n),
            Piece::Frame { skip, .. } => *skip += n,
        }
        n = 0;
    }
}

/// Writes what the socket takes without waiting: `true` once everything
/// is written, `false` when the socket is full (`first` and the pieces
/// say what is left).
fn write_now(tcp: &TcpStream, pieces: &mut [Piece], first: &mut usize) -> std::io::Result<bool> {
    loop {
        let n = {
            let mut slices = [std::io::IoSlice::new(&[]); MAX_IOV];
            let count = gather(pieces, first, &mut slices);
            if count == 0 {
                return Ok(true);
            }
            match tcp.try_write_vectored(slices.get(..count).unwrap_or_default()) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) => return Err(e),
            }
        };
        advance(pieces, first, n);
        // All written: done without gathering (and zeroing the slices) again.
        if *first >= pieces.len() {
            return Ok(true);
        }
    }
}

/// Writes every piece, in order, with as few vectored writes as the
/// socket allows.
async fn write_vectored_all(tcp: &mut TcpStream, pieces: &mut [Piece]) -> std::io::Result<()> {
    let mut first = 0;
    loop {
        let n = {
            let mut slices = [std::io::IoSlice::new(&[]); MAX_IOV];
            let count = gather(pieces, &mut first, &mut slices);
            if count == 0 {
                return Ok(());
            }
            tcp.write_vectored(slices.get(..count).unwrap_or_default())
                .await?
        };
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        advance(pieces, &mut first, n);
        if first >= pieces.len() {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunks::ChunkCache;

    fn shared_frame(len: usize) -> Arc<SharedFrame> {
        let body = Bytes::from((0..len).map(|i| i as u8).collect::<Vec<_>>());
        let frame = SharedFrame {
            kind: MediaKind::Video,
            timestamp: 40,
            body,
            header: false,
            key: true,
            has_video: true,
            chunks: ChunkCache::default(),
        };
        assert!(
            frame
                .chunks
                .shared((frame.kind, frame.timestamp, &frame.body), 128, 1)
                .is_some()
        );
        Arc::new(frame)
    }

    fn wire(pieces: &[Piece]) -> Vec<u8> {
        let mut first = 0;
        let mut slices = [std::io::IoSlice::new(&[]); MAX_IOV];
        let count = gather(pieces, &mut first, &mut slices);
        slices[..count]
            .iter()
            .flat_map(|s| s.iter().copied())
            .collect()
    }

    /// Writes of `step` bytes at a time, as a socket that takes only part
    /// of each `writev` would: every byte goes out once, in order.
    #[test]
    fn partial_writes_of_shared_frames_resume_where_they_stopped() {
        let frame = shared_frame(1000);
        let pieces = || {
            vec![
                Piece::Bytes(Bytes::from_static(b"before")),
                Piece::Frame {
                    frame: frame.clone(),
                    skip: 0,
                },
                Piece::Bytes(Bytes::new()),
                Piece::Frame {
                    frame: frame.clone(),
                    skip: 0,
                },
                Piece::Bytes(Bytes::from_static(b"after")),
            ]
        };
        let expected = wire(&pieces());
        let encoded = frame.chunks.encoded().unwrap();
        assert_eq!(expected.len(), 6 + 2 * encoded.len() + 5);
        for step in [1, 7, 12, 128, 129, 500, 4096] {
            let mut pieces = pieces();
            let mut first = 0;
            let mut written = Vec::new();
            loop {
                let mut slices = [std::io::IoSlice::new(&[]); MAX_IOV];
                let count = gather(&pieces, &mut first, &mut slices);
                if count == 0 {
                    break;
                }
                let all: Vec<u8> = slices[..count]
                    .iter()
                    .flat_map(|s| s.iter().copied())
                    .collect();
                let n = step.min(all.len());
                written.extend_from_slice(&all[..n]);
                advance(&mut pieces, &mut first, n);
            }
            assert_eq!(written, expected, "{step} bytes per write");
        }
    }

    #[test]
    fn a_frame_with_more_parts_than_one_writev_takes_is_written_over_several() {
        // 300 chunks at 128 bytes: 600 parts, more than MAX_IOV.
        let frame = shared_frame(300 * 128);
        let mut pieces = vec![Piece::Frame { frame, skip: 0 }];
        let mut first = 0;
        let mut slices = [std::io::IoSlice::new(&[]); MAX_IOV];
        assert_eq!(gather(&pieces, &mut first, &mut slices), MAX_IOV);
        let n: usize = slices.iter().map(|s| s.len()).sum();
        advance(&mut pieces, &mut first, n);
        assert_eq!(first, 0);
        assert!(pieces[0].remaining() > 0);
    }
}

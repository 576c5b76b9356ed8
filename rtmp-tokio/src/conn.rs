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
use crate::registry::{Channel, Relay};
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
            let wake = self.session.next_timeout().map(|t| {
                let delta = t.as_micros().saturating_sub(self.now().as_micros());
                std::time::Instant::now() + Duration::from_micros(delta)
            });
            let timer_at = wake.map_or(deadline, |w| w.min(deadline));
            tokio::select! {
                _ = crate::util::stopped(&mut shutdown) => {
                    self.end(DisconnectReason::Shutdown);
                }
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
                relay = recv_relay(&mut self.feed) => self.on_relay_result(relay),
                _ = tokio::time::sleep_until(timer_at.into()) => {
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
        while !self.outputs.is_empty() {
            let mut pending = Vec::new();
            for output in std::mem::take(&mut self.outputs) {
                match output {
                    Output::Transmit(bytes) => pending.push(bytes),
                    Output::Event(event) => {
                        if !self.write_all(&mut pending).await {
                            return false;
                        }
                        self.on_event(event);
                    }
                }
            }
            if !self.write_all(&mut pending).await {
                return false;
            }
            self.session.poll_outputs_into(&mut self.outputs);
        }
        !self.session.is_closed()
    }

    async fn write_all(&mut self, pending: &mut Vec<Bytes>) -> bool {
        if pending.is_empty() {
            return true;
        }
        let mut shutdown = self.shared.shutdown.clone();
        // Once the server stops, a write gets a second at most: a stalled
        // peer must not hold the shutdown up.
        let stopping = *shutdown.borrow();
        let timeout = if stopping {
            SHUTDOWN_WRITE_TIMEOUT
        } else {
            self.shared.options.write_timeout
        };
        let total: usize = pending.iter().map(Bytes::len).sum();
        let write = tokio::time::timeout(timeout, write_vectored_all(&mut self.tcp, pending));
        let result = tokio::select! {
            r = write => r,
            _ = crate::util::stopped(&mut shutdown), if !stopping => {
                self.reason.get_or_insert(DisconnectReason::Shutdown);
                return false;
            }
        };
        pending.clear();
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
        let mut next = Some(first);
        let mut taken = 0;
        while let Some(result) = next.take() {
            match result {
                Ok(relay) => self.send_relay(relay),
                Err(RecvError::Lagged(n)) => self.lost(n),
                Err(RecvError::Closed) => {
                    self.feed = None;
                    return;
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
                let appended = frame.chunks.append(
                    (frame.kind, frame.timestamp, &frame.body),
                    chunk_size,
                    stream.0,
                    &mut self.outputs,
                    Output::Transmit,
                );
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

/// Writes every buffer, in order, with as few vectored writes as the
/// socket allows.
async fn write_vectored_all(tcp: &mut TcpStream, bufs: &mut [Bytes]) -> std::io::Result<()> {
    use bytes::Buf;
    let mut first = 0;
    loop {
        // Skip empty buffers (a zero-length write would look like a failure).
        while bufs.get(first).is_some_and(Bytes::is_empty) {
            first += 1;
        }
        if first >= bufs.len() {
            return Ok(());
        }
        let mut n = {
            let mut slices = [std::io::IoSlice::new(&[]); MAX_IOV];
            let mut count = 0;
            for (slot, buf) in slices.iter_mut().zip(bufs.iter().skip(first)) {
                *slot = std::io::IoSlice::new(buf);
                count += 1;
            }
            tcp.write_vectored(slices.get(..count).unwrap_or_default())
                .await?
        };
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        while n > 0 {
            let Some(buf) = bufs.get_mut(first) else {
                break;
            };
            if n >= buf.len() {
                n -= buf.len();
                first += 1;
            } else {
                buf.advance(n);
                n = 0;
            }
        }
    }
}

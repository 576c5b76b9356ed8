//! A tiny RTMP publish/play relay on `std::net`: one thread per connection,
//! no async runtime. The model for driving a `ServerSession` from your own
//! event loop.
//!
//! ```text
//! cargo run -p rtmp-proto --example blocking_server -- 127.0.0.1:1935
//! ffmpeg -re -i input.flv -c copy -f flv rtmp://127.0.0.1:1935/live/key
//! ffmpeg -i rtmp://127.0.0.1:1935/live/key -c copy out.flv
//! ```
//!
//! A stream is named `app/key`. One publisher per name (a second one is
//! rejected with `NetStream.Publish.BadName`); a player of a name nobody
//! publishes is rejected with `NetStream.Play.StreamNotFound`. Players get
//! the last metadata and sequence headers first, then live media. A player
//! that cannot keep up loses frames (its queue is bounded) rather than
//! slowing the publisher down.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use rtmp_proto::media::{MediaKind, Metadata};
use rtmp_proto::session::{
    Input, Instant, Output, ServerConfig, ServerEvent, ServerOutput, ServerSession, StreamId,
};

/// What a publisher's thread hands to players' threads.
#[derive(Clone)]
enum Relay {
    Metadata(Metadata),
    Media(MediaKind, u32, Bytes),
    /// The publisher went away.
    Unpublished,
}

/// One published name: what a late player needs first, and who is watching.
#[derive(Default)]
struct Channel {
    publishing: bool,
    metadata: Option<Metadata>,
    video_header: Option<(u32, Bytes)>,
    audio_header: Option<(u32, Bytes)>,
    players: Vec<SyncSender<Relay>>,
}

type Hub = Arc<Mutex<HashMap<String, Channel>>>;

/// How many relayed messages a player may have queued before it loses some.
const PLAYER_QUEUE: usize = 2048;

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:1935".into());
    let listener = TcpListener::bind(&addr)?;
    eprintln!("listening on {addr}");
    let hub: Hub = Arc::default();
    for tcp in listener.incoming() {
        let tcp = tcp?;
        let hub = hub.clone();
        std::thread::spawn(move || {
            let peer = tcp.peer_addr().ok();
            if let Err(e) = serve(tcp, hub) {
                eprintln!("{peer:?}: {e}");
            }
        });
    }
    Ok(())
}

/// Whether a tag body is a codec configuration (legacy AVC/AAC sequence
/// header, or an Enhanced RTMP SequenceStart).
fn is_sequence_header(kind: MediaKind, body: &[u8]) -> bool {
    match (kind, body) {
        (MediaKind::Video, [first, ..]) if first & 0x80 != 0 => first & 0x0F == 0,
        (MediaKind::Video, [first, 0, ..]) => first & 0x0F == 7 || first & 0x0F == 12,
        (MediaKind::Audio, [first, 0, ..]) => first >> 4 == 10,
        (MediaKind::Audio, [first, ..]) if first >> 4 == 9 => {
            body.get(1).is_some_and(|b| b & 0x0F == 0)
        }
        _ => false,
    }
}

/// The connection's role once its request was accepted.
enum Role {
    None,
    Publisher {
        name: String,
    },
    Player {
        stream: StreamId,
        feed: Receiver<Relay>,
        /// Video is held back until a keyframe, so the decoder starts clean.
        keyframe_seen: bool,
    },
}

struct Conn {
    session: ServerSession,
    tcp: TcpStream,
    hub: Hub,
    app: String,
    role: Role,
    outputs: Vec<ServerOutput>,
    started: std::time::Instant,
}

fn serve(tcp: TcpStream, hub: Hub) -> std::io::Result<()> {
    tcp.set_nodelay(true)?;
    // Players must also hear from the hub: wake up regularly.
    tcp.set_read_timeout(Some(Duration::from_millis(10)))?;
    let started = std::time::Instant::now();
    let seed = started.elapsed().subsec_nanos() ^ u32::from(tcp.peer_addr()?.port());
    let mut state = seed;
    let random = |buf: &mut [u8]| {
        for b in buf {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            *b = state as u8;
        }
    };
    let mut conn = Conn {
        session: ServerSession::new(ServerConfig::default(), random, Instant::ZERO),
        tcp,
        hub,
        app: String::new(),
        role: Role::None,
        outputs: Vec::new(),
        started,
    };
    let result = conn.run();
    conn.leave();
    result
}

impl Conn {
    fn now(&self) -> Instant {
        Instant::from_micros(self.started.elapsed().as_micros() as u64)
    }

    fn run(&mut self) -> std::io::Result<()> {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let input = match self.tcp.read(&mut buf) {
                Ok(0) => Some(Input::TransportClosed),
                Ok(n) => Some(Input::Bytes(&buf[..n])),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => None,
                Err(e) => return Err(e),
            };
            if let Some(input) = input {
                let now = self.now();
                self.session
                    .handle_input_into(input, now, &mut self.outputs);
            }
            self.relay_to_player();
            if !self.drain()? {
                return Ok(());
            }
        }
    }

    /// Writes and handles every output; answering a request queues more, so
    /// loop until the queue stays empty. Returns `false` once closed.
    fn drain(&mut self) -> std::io::Result<bool> {
        while !self.outputs.is_empty() {
            for output in std::mem::take(&mut self.outputs) {
                match output {
                    Output::Transmit(bytes) => self.tcp.write_all(&bytes)?,
                    Output::Event(event) => self.on_event(event),
                }
            }
            self.session.poll_outputs_into(&mut self.outputs);
        }
        Ok(!self.session.is_closed())
    }

    fn on_event(&mut self, event: ServerEvent) {
        match event {
            ServerEvent::ConnectRequest { request, info } => {
                self.app = info.app;
                let _ = self.session.accept(request);
            }
            ServerEvent::PublishRequest {
                request, publish, ..
            } => {
                let name = format!("{}/{}", self.app, publish.name);
                let mut hub = self.hub.lock().unwrap();
                let channel = hub.entry(name.clone()).or_default();
                if channel.publishing || !matches!(self.role, Role::None) {
                    drop(hub);
                    let _ = self.session.reject(request, "already publishing");
                    return;
                }
                channel.publishing = true;
                drop(hub);
                eprintln!("publish {name}");
                self.role = Role::Publisher { name };
                let _ = self.session.accept(request);
            }
            ServerEvent::PlayRequest {
                request,
                stream,
                play,
            } => {
                let name = format!("{}/{}", self.app, play.name);
                let mut hub = self.hub.lock().unwrap();
                let Some(channel) = hub.get_mut(&name).filter(|c| c.publishing) else {
                    drop(hub);
                    let _ = self.session.reject(request, "no such stream");
                    return;
                };
                let (tx, rx) = sync_channel(PLAYER_QUEUE);
                // What a late player needs before the next frame.
                let first = [
                    channel.metadata.clone().map(Relay::Metadata),
                    channel
                        .video_header
                        .clone()
                        .map(|(t, b)| Relay::Media(MediaKind::Video, t, b)),
                    channel
                        .audio_header
                        .clone()
                        .map(|(t, b)| Relay::Media(MediaKind::Audio, t, b)),
                ];
                for relay in first.into_iter().flatten() {
                    let _ = tx.try_send(relay);
                }
                channel.players.push(tx);
                drop(hub);
                eprintln!("play {name}");
                self.role = Role::Player {
                    stream,
                    feed: rx,
                    keyframe_seen: false,
                };
                let _ = self.session.accept(request);
            }
            ServerEvent::Metadata { metadata, .. } => {
                self.publish(Relay::Metadata(metadata), |c, r| {
                    if let Relay::Metadata(m) = r {
                        c.metadata = Some(m.clone());
                    }
                });
            }
            ServerEvent::Audio {
                timestamp, body, ..
            } => self.publish_media(MediaKind::Audio, timestamp, body),
            ServerEvent::Video {
                timestamp, body, ..
            } => self.publish_media(MediaKind::Video, timestamp, body),
            ServerEvent::PublishFinished { .. } | ServerEvent::PlayFinished { .. } => self.leave(),
            ServerEvent::Closed { reason } => eprintln!("closed: {reason}"),
            _ => {}
        }
    }

    fn publish_media(&mut self, kind: MediaKind, timestamp: u32, body: Bytes) {
        let header = is_sequence_header(kind, &body);
        self.publish(Relay::Media(kind, timestamp, body), |c, r| {
            if let (true, Relay::Media(kind, t, b)) = (header, r) {
                let slot = match kind {
                    MediaKind::Video => &mut c.video_header,
                    MediaKind::Audio => &mut c.audio_header,
                };
                *slot = Some((*t, b.clone()));
            }
        });
    }

    /// Hands a relay message to every player of this publisher's channel.
    fn publish(&mut self, relay: Relay, remember: impl FnOnce(&mut Channel, &Relay)) {
        let Role::Publisher { name } = &self.role else {
            return;
        };
        let mut hub = self.hub.lock().unwrap();
        let Some(channel) = hub.get_mut(name) else {
            return;
        };
        remember(channel, &relay);
        channel.players.retain(|p| match p.try_send(relay.clone()) {
            Ok(()) | Err(TrySendError::Full(_)) => true,
            Err(TrySendError::Disconnected(_)) => false,
        });
    }

    /// Sends what the hub queued for this player.
    fn relay_to_player(&mut self) {
        let Role::Player {
            stream,
            feed,
            keyframe_seen,
        } = &mut self.role
        else {
            return;
        };
        let stream = *stream;
        let mut unpublished = false;
        while let Ok(relay) = feed.try_recv() {
            let _ = match relay {
                Relay::Metadata(m) => self.session.send_metadata(stream, &m),
                Relay::Media(MediaKind::Video, t, body) => {
                    // Frame type 1 (keyframe) in the legacy and the enhanced header.
                    let key = body.first().is_some_and(|b| (b >> 4) & 0x07 == 1);
                    *keyframe_seen |= key;
                    if *keyframe_seen || is_sequence_header(MediaKind::Video, &body) {
                        self.session.send_media(stream, MediaKind::Video, t, body)
                    } else {
                        Ok(())
                    }
                }
                Relay::Media(kind, t, body) => self.session.send_media(stream, kind, t, body),
                Relay::Unpublished => {
                    unpublished = true;
                    self.session.unpublish_notify(stream)
                }
            };
        }
        self.session.poll_outputs_into(&mut self.outputs);
        if unpublished {
            self.role = Role::None;
        }
    }

    /// Gives up the connection's role in the hub.
    fn leave(&mut self) {
        if let Role::Publisher { name } = std::mem::replace(&mut self.role, Role::None) {
            eprintln!("unpublish {name}");
            let mut hub = self.hub.lock().unwrap();
            if let Some(channel) = hub.remove(&name) {
                for player in channel.players {
                    let _ = player.try_send(Relay::Unpublished);
                }
            }
        }
    }
}

//! [`RtmpClient`]: connect to a server, then publish ([`Publisher`]) or
//! play ([`Player`]) one stream.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use rtmp_proto::media::{MediaKind, Metadata};
use rtmp_proto::session::{
    ClientConfig, ClientEvent, ClientOutput, ClientSession, CloseReason, Input, Output,
    PublishType, SessionError, StatusInfo,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::handler::MediaFrame;
use crate::url::{RtmpUrl, UrlError};
use crate::util::{Xorshift, proto_now};

/// How an [`RtmpClient`] connects.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The protocol session's settings; `app` and `tc_url` are filled from the URL.
    pub session: Option<ClientConfig>,
    /// TCP connect, handshake and each answer (`connect`, `publish`,
    /// `play`) must come within this (default 10 s).
    pub timeout: Duration,
    /// Bytes read from the socket at once (default 64 KiB).
    pub read_buffer: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            session: None,
            timeout: Duration::from_secs(10),
            read_buffer: 64 << 10,
        }
    }
}

/// Why a client call failed.
#[derive(Debug)]
pub enum ClientError {
    /// The URL is not an RTMP URL.
    Url(UrlError),
    /// The socket failed.
    Io(std::io::Error),
    /// The server did not answer within [`ClientOptions::timeout`].
    Timeout,
    /// The server refused `connect`, `publish` or `play`; its status says why
    /// (`NetConnection.Connect.Rejected`, `NetStream.Publish.BadName`, ...).
    Rejected(StatusInfo),
    /// The session closed for this reason.
    Closed(CloseReason),
    /// The session refused the call (for instance media before the publish started).
    Session(SessionError),
}

impl core::fmt::Display for ClientError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ClientError::Url(e) => write!(f, "bad URL: {e}"),
            ClientError::Io(e) => write!(f, "socket error: {e}"),
            ClientError::Timeout => f.write_str("the server did not answer in time"),
            ClientError::Rejected(s) => {
                write!(f, "refused by the server: {} ({})", s.code, s.description)
            }
            ClientError::Closed(r) => write!(f, "session closed: {r}"),
            ClientError::Session(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Url(e) => Some(e),
            ClientError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for ClientError {
    fn from(e: std::io::Error) -> Self {
        ClientError::Io(e)
    }
}

impl From<SessionError> for ClientError {
    fn from(e: SessionError) -> Self {
        ClientError::Session(e)
    }
}

impl From<UrlError> for ClientError {
    fn from(e: UrlError) -> Self {
        ClientError::Url(e)
    }
}

fn closed_error(reason: CloseReason) -> ClientError {
    match reason {
        CloseReason::PeerRejected(status) => ClientError::Rejected(status),
        other => ClientError::Closed(other),
    }
}

/// What a [`Player`] receives.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// `onMetaData`.
    Metadata(Metadata),
    /// An audio or video message.
    Media(MediaFrame),
}

/// A connection to an RTMP server whose `connect` was accepted.
///
/// ```no_run
/// # async fn run() -> Result<(), rtmp_tokio::ClientError> {
/// use rtmp_tokio::{RtmpClient, MediaKind};
/// let mut publisher = RtmpClient::connect("rtmp://127.0.0.1/live/key").await?.publish().await?;
/// publisher.send_media(MediaKind::Video, 0, bytes::Bytes::from_static(&[0x17, 0, 0, 0, 0])).await?;
/// publisher.finish().await?;
///
/// let mut player = RtmpClient::connect("rtmp://127.0.0.1/live/key").await?.play().await?;
/// while let Some(frame) = player.next_frame().await? {
///     println!("{frame:?}");
/// }
/// # Ok(()) }
/// ```
pub struct RtmpClient {
    url: RtmpUrl,
    tcp: TcpStream,
    session: ClientSession,
    options: ClientOptions,
    origin: std::time::Instant,
    buf: Vec<u8>,
    outputs: Vec<ClientOutput>,
    events: VecDeque<ClientEvent>,
    /// The stream ended (Stream EOF, `UnpublishNotify`, `Play.Stop`, or the server closed).
    ended: bool,
}

impl RtmpClient {
    /// Connects to `url` (`rtmp://host[:port]/app/key`): TCP, handshake and
    /// `connect`, with the default options.
    pub async fn connect(url: &str) -> Result<Self, ClientError> {
        Self::connect_with(url.parse()?, ClientOptions::default()).await
    }

    /// Connects to `url` with `options`.
    pub async fn connect_with(url: RtmpUrl, options: ClientOptions) -> Result<Self, ClientError> {
        let timeout = options.timeout;
        let tcp = tokio::time::timeout(timeout, TcpStream::connect(url.authority()))
            .await
            .map_err(|_| ClientError::Timeout)??;
        tcp.set_nodelay(true)?;
        let mut config = options
            .session
            .clone()
            .unwrap_or_else(|| ClientConfig::new(&url.tc_url(), &url.app));
        config.app = url.app.clone();
        config.tc_url = url.tc_url();
        let origin = std::time::Instant::now();
        let peer = tcp.peer_addr()?;
        let mut rng = Xorshift::seeded(0x636c69656e74, peer);
        let session = ClientSession::new(config, |b| rng.fill(b), proto_now(origin));
        let mut client = Self {
            url,
            tcp,
            session,
            buf: vec![0; options.read_buffer.max(1024)],
            options,
            origin,
            outputs: Vec::new(),
            events: VecDeque::new(),
            ended: false,
        };
        client.flush().await?;
        client
            .wait_for(|e| matches!(e, ClientEvent::Connected { .. }))
            .await?;
        Ok(client)
    }

    /// The URL this client connected to.
    pub fn url(&self) -> &RtmpUrl {
        &self.url
    }

    /// Byte and message counters of the session.
    pub fn counters(&self) -> rtmp_proto::session::Counters {
        self.session.counters()
    }

    /// Publishes the URL's stream key (live); answers once the server said
    /// `NetStream.Publish.Start`.
    pub async fn publish(self) -> Result<Publisher, ClientError> {
        let key = self.url.key.clone();
        self.publish_as(&key).await
    }

    /// Publishes under `key` (`name?query` is sent as is).
    pub async fn publish_as(mut self, key: &str) -> Result<Publisher, ClientError> {
        self.session.publish(key, PublishType::Live)?;
        self.flush().await?;
        self.wait_for(|e| matches!(e, ClientEvent::PublishStarted { .. }))
            .await?;
        Ok(Publisher { client: self })
    }

    /// Plays the URL's stream key; answers once the server said
    /// `NetStream.Play.Start`.
    pub async fn play(self) -> Result<Player, ClientError> {
        let key = self.url.key.clone();
        self.play_as(&key).await
    }

    /// Plays `key`.
    pub async fn play_as(mut self, key: &str) -> Result<Player, ClientError> {
        self.session.play(key)?;
        self.flush().await?;
        self.wait_for(|e| matches!(e, ClientEvent::PlayStarted { .. }))
            .await?;
        Ok(Player { client: self })
    }

    /// Writes every queued output and keeps the events.
    async fn flush(&mut self) -> Result<(), ClientError> {
        self.session.poll_outputs_into(&mut self.outputs);
        self.write_outputs().await
    }

    async fn write_outputs(&mut self) -> Result<(), ClientError> {
        for output in std::mem::take(&mut self.outputs) {
            match output {
                Output::Transmit(bytes) => self.tcp.write_all(&bytes).await?,
                Output::Event(event) => self.events.push_back(event),
            }
        }
        Ok(())
    }

    /// Reads once and hands the bytes to the session. `false` at end of stream.
    async fn read_once(&mut self) -> Result<bool, ClientError> {
        let n = self.tcp.read(&mut self.buf).await?;
        let now = proto_now(self.origin);
        let input = match self.buf.get(..n) {
            Some(bytes) if n > 0 => Input::Bytes(bytes),
            _ => Input::TransportClosed,
        };
        self.session
            .handle_input_into(input, now, &mut self.outputs);
        self.write_outputs().await?;
        Ok(n > 0)
    }

    /// Handles whatever the server sent without waiting for more (acks,
    /// pings, window changes), so a publisher that only writes stays in step.
    async fn poll_incoming(&mut self) -> Result<(), ClientError> {
        loop {
            match self.tcp.try_read(&mut self.buf) {
                Ok(0) => {
                    let now = proto_now(self.origin);
                    self.session
                        .handle_input_into(Input::TransportClosed, now, &mut self.outputs);
                    return self.write_outputs().await;
                }
                Ok(n) => {
                    let now = proto_now(self.origin);
                    let bytes = self.buf.get(..n).unwrap_or_default();
                    self.session
                        .handle_input_into(Input::Bytes(bytes), now, &mut self.outputs);
                    self.write_outputs().await?;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Reads until an event `want` picks arrives (within the timeout); a
    /// close before it is an error.
    async fn wait_for(&mut self, want: impl Fn(&ClientEvent) -> bool) -> Result<(), ClientError> {
        let deadline = tokio::time::Instant::now() + self.options.timeout;
        loop {
            while let Some(event) = self.events.pop_front() {
                if want(&event) {
                    return Ok(());
                }
                if let ClientEvent::Closed { reason } = event {
                    return Err(closed_error(reason));
                }
            }
            match tokio::time::timeout_at(deadline, self.read_once()).await {
                Err(_) => return Err(ClientError::Timeout),
                Ok(r) => {
                    r?;
                }
            }
        }
    }

    /// Closes cleanly: `FCUnpublish`/`deleteStream` go out, then the write
    /// side is shut and what the server still sends is read (within the
    /// timeout) so nothing is reset while in flight.
    async fn close(&mut self) -> Result<(), ClientError> {
        self.session.close();
        self.flush().await?;
        self.tcp.shutdown().await?;
        let deadline = tokio::time::Instant::now() + self.options.timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.tcp.read(&mut self.buf)).await {
                Ok(Ok(0)) | Err(_) => return Ok(()),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(e.into()),
            }
        }
    }
}

/// A publishing client: send metadata and media, then [`finish`](Self::finish).
pub struct Publisher {
    client: RtmpClient,
}

impl Publisher {
    /// Sends `@setDataFrame` `onMetaData`.
    pub async fn send_metadata(&mut self, metadata: &Metadata) -> Result<(), ClientError> {
        self.client.poll_incoming().await?;
        self.client.session.send_metadata(metadata)?;
        self.client.flush().await
    }

    /// Sends an audio or video FLV tag body stamped `timestamp` (ms).
    pub async fn send_media(
        &mut self,
        kind: MediaKind,
        timestamp: u32,
        body: Bytes,
    ) -> Result<(), ClientError> {
        self.client.poll_incoming().await?;
        if let Some(reason) = self.closed_reason() {
            return Err(closed_error(reason));
        }
        self.client.session.send_media(kind, timestamp, body)?;
        self.client.flush().await
    }

    /// Sends a [`rtmp_proto::media::MediaEvent`] (configuration, sample,
    /// metadata), muxed into a tag body.
    pub async fn send_media_event(
        &mut self,
        event: &rtmp_proto::media::MediaEvent,
    ) -> Result<(), ClientError> {
        self.client.poll_incoming().await?;
        self.client.session.send_media_event(event)?;
        self.client.flush().await
    }

    /// Sends a [`MediaFrame`].
    pub async fn send_frame(&mut self, frame: &MediaFrame) -> Result<(), ClientError> {
        self.send_media(frame.kind, frame.timestamp, frame.body.clone())
            .await
    }

    fn closed_reason(&mut self) -> Option<CloseReason> {
        let pos = self
            .client
            .events
            .iter()
            .position(|e| matches!(e, ClientEvent::Closed { .. }))?;
        match self.client.events.remove(pos) {
            Some(ClientEvent::Closed { reason }) => Some(reason),
            _ => None,
        }
    }

    /// Byte and message counters of the session.
    pub fn counters(&self) -> rtmp_proto::session::Counters {
        self.client.counters()
    }

    /// Ends the publish (`FCUnpublish`, `deleteStream`) and closes the connection.
    pub async fn finish(mut self) -> Result<(), ClientError> {
        self.client.close().await
    }
}

/// A playing client: [`next_frame`](Self::next_frame) until `None`.
pub struct Player {
    client: RtmpClient,
}

impl Player {
    /// The next metadata or media frame; `None` once the stream ended
    /// (the publisher left: user control Stream EOF on the played stream,
    /// which is all nginx-rtmp sends, `NetStream.Play.UnpublishNotify` or
    /// `Play.Stop`; or the server closed the connection). Waits as long as
    /// it takes: wrap it in `tokio::time::timeout` to bound it.
    pub async fn next_frame(&mut self) -> Result<Option<Frame>, ClientError> {
        loop {
            while let Some(event) = self.client.events.pop_front() {
                match event {
                    ClientEvent::Metadata { metadata, .. } => {
                        return Ok(Some(Frame::Metadata(metadata)));
                    }
                    ClientEvent::Audio {
                        timestamp, body, ..
                    } => {
                        return Ok(Some(Frame::Media(MediaFrame {
                            kind: MediaKind::Audio,
                            timestamp,
                            body,
                        })));
                    }
                    ClientEvent::Video {
                        timestamp, body, ..
                    } => {
                        return Ok(Some(Frame::Media(MediaFrame {
                            kind: MediaKind::Video,
                            timestamp,
                            body,
                        })));
                    }
                    ClientEvent::StreamEof { stream }
                        if Some(stream) == self.client.session.stream() =>
                    {
                        self.client.ended = true;
                    }
                    ClientEvent::Status { status, .. }
                        if status.code == "NetStream.Play.UnpublishNotify"
                            || status.code == "NetStream.Play.Stop" =>
                    {
                        self.client.ended = true;
                    }
                    ClientEvent::Closed { reason } => {
                        self.client.ended = true;
                        return match reason {
                            CloseReason::TransportClosed | CloseReason::Local => Ok(None),
                            other => Err(closed_error(other)),
                        };
                    }
                    _ => {}
                }
            }
            if self.client.ended {
                return Ok(None);
            }
            if !self.client.read_once().await? {
                // The close event is queued now; loop to report it.
                continue;
            }
        }
    }

    /// Byte and message counters of the session.
    pub fn counters(&self) -> rtmp_proto::session::Counters {
        self.client.counters()
    }

    /// Stops playing (`deleteStream`) and closes the connection.
    pub async fn close(mut self) -> Result<(), ClientError> {
        self.client.close().await
    }
}

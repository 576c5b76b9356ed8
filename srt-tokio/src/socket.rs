//! [`SrtSocket`] (a connection) and [`SrtListener`] (incoming
//! connections); runtime-neutral.

use crate::error::SrtError;
use crate::group::{Accepted, SrtGroup};
use crate::shared::{Command, ConnParts, Control, Delivery, DriverHandle, Incoming, Shared};
use bytes::Bytes;
use futures_channel::{mpsc, oneshot};
use futures_core::Stream;
use futures_sink::Sink;
use srt_proto::access::AccessPolicy;
use srt_proto::connection::{CloseReason, SendOptions, Stats};
use srt_proto::handshake::Negotiated;
use srt_proto::{ConnectionId, Endpoint};
use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

/// One SRT connection in live/message mode.
///
/// As a [`Stream`] it yields each received message with its source time
/// (the sender's origin time mapped onto our clock; the message was
/// delivered a latency later), and ends when the connection closes (with
/// one error first if it closed abnormally, e.g. the peer went silent). As
/// a [`Sink`] it takes `(source time, message)`: the receiver delivers the
/// message a latency after its source time; use `Instant::now()` for live
/// input.
///
/// Dropping the socket closes the connection at once: what is still
/// queued may be lost. [`close`](Self::close) delivers it first.
pub struct SrtSocket {
    handle: DriverHandle,
    conn: ConnectionId,
    peer: SocketAddr,
    params: Box<Negotiated>,
    rx: mpsc::Receiver<Delivery>,
    shared: Arc<Shared>,
    reported_close: bool,
    closed: bool,
    /// What a stream read took from a message and has not handed out yet.
    unread: Bytes,
    max_write: usize,
}

impl fmt::Debug for SrtSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrtSocket")
            .field("conn", &self.conn)
            .field("local", &self.handle.local)
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}

impl SrtSocket {
    /// A builder with libsrt's defaults.
    pub fn builder() -> crate::SrtSocketBuilder {
        crate::SrtSocketBuilder::default()
    }

    pub(crate) fn new(handle: DriverHandle, parts: ConnParts) -> Self {
        Self {
            handle,
            conn: parts.conn,
            peer: parts.peer,
            params: parts.params,
            rx: parts.rx,
            shared: parts.shared,
            reported_close: false,
            closed: false,
            unread: Bytes::new(),
            max_write: parts.max_write,
        }
    }

    /// The connection's id on its endpoint (our SRT socket id).
    pub fn id(&self) -> ConnectionId {
        self.conn
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// Our UDP socket's address.
    pub fn local_addr(&self) -> SocketAddr {
        self.handle.local
    }

    /// What the handshake negotiated (latencies, MSS, stream id, cipher…).
    pub fn params(&self) -> &Negotiated {
        &self.params
    }

    /// The stream id the caller sent, if any.
    pub fn stream_id(&self) -> Option<&[u8]> {
        self.params.stream_id.as_ref().map(|s| s.as_bytes())
    }

    /// Messages dropped because the application did not read them fast
    /// enough (the queue of [`SrtSocketBuilder::queue`](crate::SrtSocketBuilder::queue)
    /// was full).
    pub fn dropped_by_reader(&self) -> u64 {
        self.shared.snapshot().dropped
    }

    /// The connection's statistics (libsrt's `srt_bstats`), or `None` once
    /// it is gone.
    pub async fn stats(&self) -> Result<Option<Stats>, SrtError> {
        let conn = self.conn;
        self.handle
            .exec(move |ep, now| ep.connection(conn).map(|c| c.stats(now)))
            .await
    }

    /// Runs `f` on the socket's task with the connection (e.g. to read
    /// state that [`stats`](Self::stats) does not show).
    pub async fn with_connection<R: Send + 'static>(
        &self,
        f: impl FnOnce(&srt_proto::connection::Connection) -> R + Send + 'static,
    ) -> Result<Option<R>, SrtError> {
        let conn = self.conn;
        self.handle
            .exec(move |ep, _| ep.connection(conn).map(f))
            .await
    }

    /// Closes gracefully: everything sent before is queued, the sender
    /// lingers until the peer acknowledged it (at most `SRTO_LINGER`), then
    /// sends SHUTDOWN. Returns once the connection is closed.
    pub async fn close(mut self) -> Result<(), SrtError> {
        self.closed = true;
        let (reply, done) = oneshot::channel();
        let conn = self.conn;
        let data = &mut self.handle.data;
        std::future::poll_fn(|cx| data.poll_ready(cx))
            .await
            .map_err(|_| SrtError::TaskGone)?;
        data.start_send(Command::Close {
            conn,
            reply: Some(reply),
        })
        .map_err(|_| SrtError::TaskGone)?;
        done.await.map_err(|_| SrtError::TaskGone)
    }

    fn closed_error(&self) -> io::Error {
        let reason = self.shared.snapshot().close_reason;
        SrtError::Closed(reason.unwrap_or(CloseReason::LocalClose)).into()
    }
}

/// The byte-stream view, for the runtime's `AsyncRead`/`AsyncWrite`.
impl SrtSocket {
    /// Reads into `dst` (0 at the end of the stream).
    pub(crate) fn poll_read_bytes(
        &mut self,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if self.unread.is_empty() {
            match Pin::new(&mut *self).poll_next(cx) {
                Poll::Ready(Some(Ok((_, data)))) => self.unread = data,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e)),
                Poll::Ready(None) => return Poll::Ready(Ok(0)),
                Poll::Pending => return Poll::Pending,
            }
        }
        let n = dst.len().min(self.unread.len());
        let piece = self.unread.split_to(n);
        if let Some(dst) = dst.get_mut(..n) {
            dst.copy_from_slice(&piece);
        }
        Poll::Ready(Ok(n))
    }

    /// Queues the start of `src` as one message (at most one packet's
    /// payload in live mode, 64 KiB otherwise); returns how much.
    pub(crate) fn poll_write_bytes(
        &mut self,
        cx: &mut Context<'_>,
        src: &[u8],
    ) -> Poll<io::Result<usize>> {
        if src.is_empty() {
            return Poll::Ready(Ok(0));
        }
        match Pin::new(&mut *self).poll_ready(cx) {
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        }
        let n = src.len().min(self.max_write);
        let piece = Bytes::copy_from_slice(src.get(..n).unwrap_or(src));
        Pin::new(&mut *self).start_send((Instant::now(), piece))?;
        Poll::Ready(Ok(n))
    }
}

impl Drop for SrtSocket {
    fn drop(&mut self) {
        if !self.closed {
            let _ = self.handle.control(Control::Abort { conn: self.conn });
        }
    }
}

impl Stream for SrtSocket {
    type Item = io::Result<(Instant, Bytes)>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if !self.unread.is_empty() {
            // The rest of a message a stream read began.
            let rest = std::mem::take(&mut self.unread);
            return Poll::Ready(Some(Ok((Instant::now(), rest))));
        }
        match Pin::new(&mut self.rx).poll_next(cx) {
            Poll::Ready(Some(d)) => {
                let at = self.handle.clock.to_std(d.src_time);
                Poll::Ready(Some(Ok((at, d.data))))
            }
            Poll::Ready(None) => {
                let abnormal = matches!(
                    self.shared.snapshot().close_reason,
                    Some(CloseReason::PeerIdle | CloseReason::PeerError(_))
                );
                if abnormal && !self.reported_close {
                    self.reported_close = true;
                    Poll::Ready(Some(Err(self.closed_error())))
                } else {
                    Poll::Ready(None)
                }
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Sink<(Instant, Bytes)> for SrtSocket {
    type Error = io::Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(error) = self.shared.take_send_error() {
            return Poll::Ready(Err(SrtError::Send(error).into()));
        }
        if self.shared.snapshot().close_reason.is_some() {
            return Poll::Ready(Err(self.closed_error()));
        }
        if !self.shared.poll_room(cx) {
            return Poll::Pending;
        }
        self.handle
            .data
            .poll_ready(cx)
            .map_err(|_| SrtError::TaskGone.into())
    }

    fn start_send(mut self: Pin<&mut Self>, (at, data): (Instant, Bytes)) -> io::Result<()> {
        let options = SendOptions {
            src_time: Some(self.handle.clock.to_proto(at)),
            ..SendOptions::default()
        };
        let conn = self.conn;
        self.handle
            .data
            .start_send(Command::Send {
                conn,
                data,
                options,
            })
            .map_err(|_| SrtError::TaskGone.into())
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.handle.data)
            .poll_flush(cx)
            .map_err(|_| SrtError::TaskGone.into())
    }

    /// Starts a graceful close (the linger runs on the socket's task);
    /// [`SrtSocket::close`] also waits for it.
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.closed {
            if self.handle.data.poll_ready(cx).is_pending() {
                return Poll::Pending;
            }
            let conn = self.conn;
            self.handle
                .data
                .start_send(Command::Close { conn, reply: None })
                .map_err(|_| io::Error::from(SrtError::TaskGone))?;
            self.closed = true;
        }
        Pin::new(&mut self.handle.data)
            .poll_flush(cx)
            .map_err(|_| SrtError::TaskGone.into())
    }
}

/// Incoming connections on one UDP socket.
///
/// A [`Stream`] of accepted [`SrtSocket`]s; a caller the listener refused
/// (by its access policy, a wrong passphrase, …) comes out as
/// `Err(SrtError::IncomingRejected { .. })` and the listener goes on.
///
/// With [`group_connect`](crate::SrtSocketBuilder::group_connect) on,
/// grouped callers arrive as [`SrtGroup`]s: use [`accept`](Self::accept),
/// which returns sockets and groups alike ([`Accepted`]). The `Stream`
/// yields sockets only; a group it meets waits for the next `accept`
/// (at most the accept queue's size of them: beyond, it is closed).
pub struct SrtListener {
    handle: DriverHandle,
    rx: mpsc::Receiver<Result<Incoming, SrtError>>,
    /// Groups met by the `Stream`, for `accept`.
    groups: VecDeque<SrtGroup>,
    max_groups: usize,
}

impl fmt::Debug for SrtListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrtListener")
            .field("local", &self.handle.local)
            .finish_non_exhaustive()
    }
}

impl SrtListener {
    pub(crate) fn new(
        handle: DriverHandle,
        rx: mpsc::Receiver<Result<Incoming, SrtError>>,
        queue: usize,
    ) -> Self {
        Self {
            handle,
            rx,
            groups: VecDeque::new(),
            max_groups: queue,
        }
    }

    /// The next caller: an ungrouped connection, or a socket group whose
    /// first member connected (a refused caller is an `Err`, and the
    /// listener goes on); `None` once the listener's task ended.
    pub async fn accept(&mut self) -> Option<Result<Accepted, SrtError>> {
        if let Some(group) = self.groups.pop_front() {
            return Some(Ok(Accepted::Group(group)));
        }
        let next = std::future::poll_fn(|cx| Pin::new(&mut self.rx).poll_next(cx)).await?;
        Some(next.map(|incoming| self.make(incoming)))
    }

    fn make(&self, incoming: Incoming) -> Accepted {
        match incoming {
            Incoming::Socket(parts) => Accepted::Socket(SrtSocket::new(self.handle.clone(), parts)),
            Incoming::Group(parts) => Accepted::Group(SrtGroup::from_parts(parts)),
        }
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.handle.local
    }

    /// Runs `f` on the listener's access policy, if it is a `P` (e.g. to
    /// add to a [`srt_proto::access::Whitelist`] while listening).
    pub async fn with_policy<P, R>(
        &self,
        f: impl FnOnce(&mut P) -> R + Send + 'static,
    ) -> Result<Option<R>, SrtError>
    where
        P: AccessPolicy + Send + 'static,
        R: Send + 'static,
    {
        self.handle
            .exec(move |ep: &mut Endpoint, _| ep.access_policy::<P>().map(f))
            .await
    }
}

impl Drop for SrtListener {
    fn drop(&mut self) {
        let _ = self.handle.control(Control::StopListening);
    }
}

impl Stream for SrtListener {
    type Item = Result<SrtSocket, SrtError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            match Pin::new(&mut self.rx).poll_next(cx) {
                Poll::Ready(Some(Ok(incoming))) => match self.make(incoming) {
                    Accepted::Socket(socket) => return Poll::Ready(Some(Ok(socket))),
                    Accepted::Group(group) => {
                        if self.groups.len() < self.max_groups {
                            self.groups.push_back(group);
                        }
                    }
                },
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

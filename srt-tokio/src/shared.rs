//! What the socket task and the application's handles exchange: plain
//! channels and a mutex, no runtime.

use crate::clock::Clock;
use crate::error::SrtError;
use bytes::Bytes;
use futures_channel::{mpsc, oneshot};
use srt_proto::connection::{CloseReason, SendError, SendOptions};
use srt_proto::endpoint::MemberCommand;
use srt_proto::group::MemberObservation;
use srt_proto::handshake::{HandshakeConfig, Negotiated};
use srt_proto::seq::SeqNumber;
use srt_proto::time::Instant as ProtoInstant;
use srt_proto::{ConnectionId, Endpoint, ListenConfig};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Waker};

/// Work run on the task with the endpoint and the current time.
pub(crate) type Job = Box<dyn FnOnce(&mut Endpoint, ProtoInstant) + Send>;

/// Data on its way to the task (bounded: a `Sink` waits for room), and
/// the graceful close that must come after it.
pub(crate) enum Command {
    Send {
        conn: ConnectionId,
        data: Bytes,
        options: SendOptions,
    },
    /// Close once everything sent before has been queued.
    Close {
        conn: ConnectionId,
        reply: Option<oneshot::Sender<()>>,
    },
}

/// Everything else the application asks of the task.
pub(crate) enum Control {
    Connect {
        remote: SocketAddr,
        config: Box<HandshakeConfig>,
        rendezvous: bool,
        reply: oneshot::Sender<Result<ConnParts, SrtError>>,
    },
    Listen {
        config: Box<ListenConfig>,
        incoming: mpsc::Sender<Result<Incoming, SrtError>>,
        reply: oneshot::Sender<()>,
    },
    StopListening,
    /// Close at once (a dropped socket).
    Abort {
        conn: ConnectionId,
    },
    /// Runs on the task with the endpoint and the current time.
    Exec(Job),
}

/// What a listener hands out: a connection, or the first member of a
/// socket group (the group's task already runs).
pub(crate) enum Incoming {
    Socket(ConnParts),
    Group(crate::group::GroupParts),
}

/// What a group's task asks of a member's endpoint task. Its own channel,
/// apart from the application's: it does not keep the task alive.
pub(crate) enum MemberCtl {
    /// Connect a caller member; the outcome is reported on `link`.
    Connect {
        remote: SocketAddr,
        config: Box<HandshakeConfig>,
        link: MemberLink,
    },
    Send {
        conn: ConnectionId,
        data: Bytes,
        options: SendOptions,
    },
    Command {
        conn: ConnectionId,
        command: MemberCommand,
    },
    /// Close gracefully (`linger` applies).
    Close { conn: ConnectionId },
}

/// A member connection's way to its group's task: the group's report
/// channel and the member's key in it.
#[derive(Clone)]
pub(crate) struct MemberLink {
    pub(crate) tx: mpsc::UnboundedSender<MemberReport>,
    pub(crate) key: u64,
}

impl MemberLink {
    pub(crate) fn report(&self, report: MemberEvent) -> bool {
        self.tx
            .unbounded_send(MemberReport {
                key: self.key,
                event: report,
            })
            .is_ok()
    }
}

/// What an endpoint task tells a group's task about one member.
pub(crate) struct MemberReport {
    pub(crate) key: u64,
    pub(crate) event: MemberEvent,
}

pub(crate) enum MemberEvent {
    /// The member's connection is established.
    Connected {
        conn: ConnectionId,
        peer: SocketAddr,
        local: SocketAddr,
        /// The weight the caller gave it (a listener's member).
        weight: u16,
        obs: MemberObservation,
        /// The way to its endpoint task.
        ctl: mpsc::UnboundedSender<MemberCtl>,
    },
    /// The connect failed.
    Failed(SrtError),
    /// A fresh snapshot of its connection.
    Observed(MemberObservation),
    Message {
        seq: SeqNumber,
        data: Bytes,
        src_time: ProtoInstant,
    },
    /// A send or a command was refused.
    SendFailed,
    Closed(CloseReason),
}

/// A received message.
pub(crate) struct Delivery {
    pub(crate) src_time: ProtoInstant,
    pub(crate) data: Bytes,
}

/// An established connection as the task hands it to the application.
pub(crate) struct ConnParts {
    pub(crate) conn: ConnectionId,
    pub(crate) peer: SocketAddr,
    pub(crate) params: Box<Negotiated>,
    pub(crate) rx: mpsc::Receiver<Delivery>,
    pub(crate) shared: Arc<Shared>,
    /// The most bytes one stream write sends as one message.
    pub(crate) max_write: usize,
}

/// State the task writes and the socket reads.
#[derive(Default)]
pub(crate) struct Shared {
    state: Mutex<SharedState>,
    /// The writer waiting for room in the send buffer.
    writer: Mutex<Option<Waker>>,
}

#[derive(Default, Clone, Copy)]
pub(crate) struct SharedState {
    pub(crate) close_reason: Option<CloseReason>,
    pub(crate) send_error: Option<SendError>,
    pub(crate) dropped: u64,
    /// The send buffer is full and messages are parked on the task.
    pub(crate) blocked: bool,
}

impl Shared {
    fn with<R>(&self, f: impl FnOnce(&mut SharedState) -> R) -> R {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut state)
    }

    pub(crate) fn count_dropped(&self) {
        self.with(|s| s.dropped += 1);
    }

    pub(crate) fn set_send_error(&self, error: SendError) {
        self.with(|s| s.send_error = Some(error));
    }

    pub(crate) fn take_send_error(&self) -> Option<SendError> {
        self.with(|s| s.send_error.take())
    }

    pub(crate) fn set_closed(&self, reason: CloseReason) {
        self.with(|s| s.close_reason = Some(reason));
        self.wake_writer();
    }

    /// The send buffer is full: writers wait.
    pub(crate) fn block(&self) {
        self.with(|s| s.blocked = true);
    }

    /// There is room again: wake the writer.
    pub(crate) fn unblock(&self) {
        self.with(|s| s.blocked = false);
        self.wake_writer();
    }

    /// Whether a writer may go on; if not, `cx` is woken when it may.
    pub(crate) fn poll_room(&self, cx: &mut Context<'_>) -> bool {
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        // Checked under the writer lock, so an unblock in between wakes us.
        let state = self.snapshot();
        if state.blocked && state.close_reason.is_none() {
            *writer = Some(cx.waker().clone());
            false
        } else {
            true
        }
    }

    fn wake_writer(&self) {
        let waker = self
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    pub(crate) fn snapshot(&self) -> SharedState {
        self.with(|s| *s)
    }
}

/// The application's way to the task; every socket and listener holds
/// one, and the task ends when all are gone and its connections closed.
#[derive(Clone)]
pub(crate) struct DriverHandle {
    pub(crate) data: mpsc::Sender<Command>,
    pub(crate) ctl: mpsc::UnboundedSender<Control>,
    /// Group members' commands (see [`MemberCtl`]).
    pub(crate) member: mpsc::UnboundedSender<MemberCtl>,
    pub(crate) local: SocketAddr,
    pub(crate) clock: Clock,
}

impl DriverHandle {
    pub(crate) fn control(&self, control: Control) -> Result<(), SrtError> {
        self.ctl
            .unbounded_send(control)
            .map_err(|_| SrtError::TaskGone)
    }

    /// Runs `f` on the task and returns its result.
    pub(crate) async fn exec<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Endpoint, ProtoInstant) -> R + Send + 'static,
    ) -> Result<R, SrtError> {
        let (tx, rx) = oneshot::channel();
        self.control(Control::Exec(Box::new(move |ep, now| {
            let _ = tx.send(f(ep, now));
        })))?;
        rx.await.map_err(|_| SrtError::TaskGone)
    }

    pub(crate) async fn connect(
        self,
        remote: SocketAddr,
        config: HandshakeConfig,
        rendezvous: bool,
    ) -> Result<crate::SrtSocket, SrtError> {
        let (reply, rx) = oneshot::channel();
        self.control(Control::Connect {
            remote,
            config: Box::new(config),
            rendezvous,
            reply,
        })?;
        let parts = rx.await.map_err(|_| SrtError::TaskGone)??;
        Ok(crate::SrtSocket::new(self, parts))
    }

    pub(crate) async fn listen(
        self,
        config: ListenConfig,
        queue: usize,
    ) -> Result<crate::SrtListener, SrtError> {
        let (incoming, rx) = mpsc::channel(queue);
        let (reply, done) = oneshot::channel();
        self.control(Control::Listen {
            config: Box::new(config),
            incoming,
            reply,
        })?;
        done.await.map_err(|_| SrtError::TaskGone)?;
        Ok(crate::SrtListener::new(self, rx, queue))
    }
}

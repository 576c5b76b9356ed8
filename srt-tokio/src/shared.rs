//! What the socket task and the application's handles exchange: plain
//! channels and a mutex, no runtime.

use crate::clock::Clock;
use crate::error::SrtError;
use bytes::Bytes;
use futures_channel::{mpsc, oneshot};
use futures_core::Stream;
use srt_proto::connection::{CloseReason, SendError, SendOptions};
use srt_proto::endpoint::MemberCommand;
use srt_proto::group::MemberObservation;
use srt_proto::handshake::{HandshakeConfig, Negotiated};
use srt_proto::seq::SeqNumber;
use srt_proto::time::Instant as ProtoInstant;
use srt_proto::{ConnectionId, Endpoint, ListenConfig};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

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
    pub(crate) tx: ReportTx,
    pub(crate) key: u64,
}

impl MemberLink {
    /// `false` once the group's task is gone.
    pub(crate) fn report(&self, report: MemberEvent) -> bool {
        self.tx.send(MemberReport {
            key: self.key,
            event: report,
        })
    }
}

/// The most messages and snapshots of its members a group's task may have
/// waiting (about one receive buffer of 1316-byte packets, ~10 MB). Lifecycle
/// reports (connected, failed, refused, closed) always go through.
pub(crate) const MAX_QUEUED_REPORTS: usize = 8192;

/// Counts shared by a report channel's two ends.
#[derive(Default)]
struct ReportCounts {
    /// Messages and snapshots sent and not yet taken.
    queued: AtomicUsize,
    /// Messages dropped because [`MAX_QUEUED_REPORTS`] were waiting.
    dropped: AtomicU64,
}

/// The sending end of a group's report channel (endpoint tasks hold it):
/// the members' endpoint tasks never wait on a group, so a group's task
/// that falls behind what its members receive loses the newest messages
/// (counted as dropped, as a socket's full receive queue does) instead of
/// queueing without bound; a snapshot is skipped (the next one replaces it).
#[derive(Clone)]
pub(crate) struct ReportTx {
    tx: mpsc::UnboundedSender<MemberReport>,
    counts: Arc<ReportCounts>,
}

/// The group task's end of its report channel.
pub(crate) struct ReportRx {
    rx: mpsc::UnboundedReceiver<MemberReport>,
    counts: Arc<ReportCounts>,
}

/// A group's report channel.
pub(crate) fn report_channel() -> (ReportTx, ReportRx) {
    let (tx, rx) = mpsc::unbounded();
    let counts = Arc::new(ReportCounts::default());
    (
        ReportTx {
            tx,
            counts: counts.clone(),
        },
        ReportRx { rx, counts },
    )
}

/// Whether `event` is one of the reports [`MAX_QUEUED_REPORTS`] bounds.
fn counted(event: &MemberEvent) -> bool {
    matches!(
        event,
        MemberEvent::Message { .. } | MemberEvent::Observed(_)
    )
}

impl ReportTx {
    /// The group's task is gone.
    pub(crate) fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Sends `report` unless it is a message or snapshot and the group's
    /// task has [`MAX_QUEUED_REPORTS`] waiting; `false` once the task is gone.
    pub(crate) fn send(&self, report: MemberReport) -> bool {
        if self.tx.is_closed() {
            return false;
        }
        if counted(&report.event) {
            if self.counts.queued.load(Ordering::Acquire) >= MAX_QUEUED_REPORTS {
                if matches!(report.event, MemberEvent::Message { .. }) {
                    self.counts.dropped.fetch_add(1, Ordering::Relaxed);
                }
                return true;
            }
            self.counts.queued.fetch_add(1, Ordering::AcqRel);
        }
        self.tx.unbounded_send(report).is_ok()
    }
}

impl ReportRx {
    /// The next report.
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<MemberReport>> {
        let next = Pin::new(&mut self.rx).poll_next(cx);
        if let Poll::Ready(Some(report)) = &next
            && counted(&report.event)
        {
            self.counts.queued.fetch_sub(1, Ordering::AcqRel);
        }
        next
    }

    /// Messages dropped since the last call.
    pub(crate) fn take_dropped(&self) -> u64 {
        self.counts.dropped.swap(0, Ordering::Relaxed)
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

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::task::noop_waker_ref;

    fn message(n: u32) -> MemberReport {
        MemberReport {
            key: 1,
            event: MemberEvent::Message {
                seq: SeqNumber::new(n),
                data: Bytes::from_static(b"ts"),
                src_time: ProtoInstant::from_micros(u64::from(n)),
            },
        }
    }

    fn drain(rx: &mut ReportRx) -> (usize, usize) {
        let mut cx = Context::from_waker(noop_waker_ref());
        let (mut messages, mut others) = (0, 0);
        while let Poll::Ready(Some(report)) = rx.poll_next(&mut cx) {
            match report.event {
                MemberEvent::Message { .. } => messages += 1,
                _ => others += 1,
            }
        }
        (messages, others)
    }

    #[test]
    fn a_group_task_that_falls_behind_loses_the_newest_messages_not_memory() {
        let (tx, mut rx) = report_channel();
        for n in 0..MAX_QUEUED_REPORTS as u32 + 10 {
            assert!(tx.send(message(n)), "the task is alive");
        }
        // A close is never dropped, even with the queue full.
        assert!(tx.send(MemberReport {
            key: 1,
            event: MemberEvent::Closed(CloseReason::PeerShutdown),
        }));
        assert_eq!(drain(&mut rx), (MAX_QUEUED_REPORTS, 1));
        assert_eq!(rx.take_dropped(), 10);
        assert_eq!(rx.take_dropped(), 0);
        // Once taken, there is room again.
        assert!(tx.send(message(0)));
        assert_eq!(drain(&mut rx), (1, 0));
        drop(rx);
        assert!(!tx.send(message(1)), "the task is gone");
        assert!(tx.is_closed());
    }
}

//! [`SrtGroup`]: socket groups (libsrt 1.5 "bonding"), broadcast or
//! main/backup over several member connections; runtime-neutral.
//!
//! A group is one [`srt_proto::group::Group`] state machine on a task of
//! its own. Its members are ordinary connections on endpoint tasks: a
//! caller group has one UDP socket per distinct local address (members
//! without one share a socket), a group accepted by a listener has its
//! members on the listener's socket. The endpoint tasks report each
//! member's messages (with their group sequence numbers), closes and a
//! snapshot of its connection after each round of I/O; the group's task
//! decides, and its sends and member commands run on the members'
//! endpoint tasks through `Endpoint::handle_input`.
//!
//! # Calling
//! ```no_run
//! # async fn f() -> Result<(), srt_tokio::SrtError> {
//! use srt_tokio::{GroupMember, GroupType, SrtSocket};
//! let group = SrtSocket::builder()
//!     .latency(std::time::Duration::from_millis(200))
//!     .call_group(
//!         GroupType::Backup,
//!         [
//!             GroupMember::new("192.0.2.1:4200".parse().unwrap()).weight(10),
//!             GroupMember::new("198.51.100.1:4200".parse().unwrap()).weight(1),
//!         ],
//!     )
//!     .await?;
//! # drop(group); Ok(()) }
//! ```
//! returns once one member is connected; the others go on connecting
//! and join the group when they are. [`SrtGroup::add_member`] and
//! [`SrtGroup::remove_member`] change the members while the group runs.
//!
//! # Accepting
//! A listener built with
//! [`group_connect(true)`](crate::SrtSocketBuilder::group_connect) takes
//! grouped callers: the first member of a peer group becomes an
//! [`SrtGroup`] that [`SrtListener::accept`](crate::SrtListener::accept)
//! returns as [`Accepted::Group`]; later members of the same peer group
//! join it without showing up on the listener. (The listener's `Stream`
//! yields sockets only; groups it meets wait for the next `accept`.)
//!
//! # Reading and writing
//! As [`crate::SrtSocket`] in live mode: a [`Stream`] of
//! `(source time, message)`, each message once whichever members brought
//! it, in order; a [`Sink`] of `(source time, message)` (one packet's
//! payload at most). The stream ends when no member is left.

#[path = "group/task.rs"]
mod task;

pub use srt_proto::group::{BackupState, GroupStats, GroupType, MemberId, MemberState};

use crate::SrtSocket;
use crate::clock::Clock;
use crate::error::SrtError;
use crate::shared::{Delivery, DriverHandle, ReportTx};
use bytes::Bytes;
use futures_channel::{mpsc, oneshot};
use futures_core::Stream;
use futures_sink::Sink;
use srt_proto::EndpointConfig;
use srt_proto::connection::{CloseReason, SendError};
use srt_proto::endpoint::MemberInfo;
use srt_proto::group::{Group, GroupConfig, MemberObservation};
use srt_proto::handshake::{HandshakeConfig, Negotiated};
use srt_proto::rng::SRTGROUP_MASK;
use srt_proto::seq::SeqNumber;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use task::{GroupCommand, GroupControl};
pub(crate) use task::{GroupTask, WakeTimer};

/// Application sends waiting for the group's task.
const COMMAND_QUEUE: usize = 256;

/// One protocol clock for every endpoint of the process, so a group's
/// times (its start, its members' time bases, origin times) mean the
/// same on all its members' endpoints.
pub(crate) fn process_clock() -> Clock {
    static CLOCK: OnceLock<Clock> = OnceLock::new();
    *CLOCK.get_or_init(Clock::start)
}

/// A key naming a member in its group's report channel, unique in the
/// process.
pub(crate) fn next_member_key() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// One path of a caller group: where to connect, with what weight (the
/// backup priority, higher first; libsrt's `srt_prepare_endpoint` +
/// `weight`), from which local address, and the application's token
/// for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupMember {
    /// The listener to connect to.
    pub remote: SocketAddr,
    /// Backup priority (higher first); ignored by broadcast groups.
    pub weight: u16,
    /// The local address to bind (default: any address, an ephemeral
    /// port shared by the group's members without one).
    pub local: Option<SocketAddr>,
    /// The application's name for the member (libsrt's `token`),
    /// reported in [`GroupMemberStatus::token`].
    pub token: Option<i32>,
}

impl GroupMember {
    /// A member connecting to `remote` with weight 0.
    pub fn new(remote: SocketAddr) -> Self {
        Self {
            remote,
            weight: 0,
            local: None,
            token: None,
        }
    }

    /// Sets the weight.
    #[must_use]
    pub fn weight(mut self, weight: u16) -> Self {
        self.weight = weight;
        self
    }

    /// Binds the member's UDP socket to `local`.
    #[must_use]
    pub fn local(mut self, local: SocketAddr) -> Self {
        self.local = Some(local);
        self
    }

    /// Sets the token.
    #[must_use]
    pub fn token(mut self, token: i32) -> Self {
        self.token = Some(token);
        self
    }
}

/// A member of a group as [`SrtGroup::members`] reports it (libsrt's
/// `SRT_SOCKGROUPDATA`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupMemberStatus {
    /// The member's id in the group.
    pub id: MemberId,
    /// The token it was added with.
    pub token: Option<i32>,
    /// The peer's address.
    pub peer: SocketAddr,
    /// Our UDP socket's address.
    pub local: SocketAddr,
    /// Its weight.
    pub weight: u16,
    /// Pending, idle, running (broken members are gone).
    pub state: MemberState,
    /// A backup group's member: standby, active (fresh, stable, unstable,
    /// wary).
    pub backup_state: Option<BackupState>,
    /// Messages the group sent on it.
    pub sent: u64,
    /// Messages delivered from its copy.
    pub delivered: u64,
    /// Copies it brought of messages already delivered.
    pub duplicates: u64,
}

/// What a listener hands out: an ungrouped connection, or a group whose
/// first member just connected.
#[derive(Debug)]
pub enum Accepted {
    /// A caller without a group.
    Socket(SrtSocket),
    /// A group of a grouped caller.
    Group(SrtGroup),
}

/// State the group's task writes and the handle reads.
#[derive(Default)]
pub(crate) struct GroupShared {
    state: Mutex<SharedState>,
}

#[derive(Default, Clone, Copy)]
struct SharedState {
    send_error: Option<SendError>,
    close_reason: Option<CloseReason>,
    last_member_close: Option<CloseReason>,
    dropped: u64,
    had_member: bool,
    ended: bool,
}

impl GroupShared {
    fn with<R>(&self, f: impl FnOnce(&mut SharedState) -> R) -> R {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut state)
    }

    pub(crate) fn set_send_error(&self, e: SendError) {
        self.with(|s| s.send_error = Some(e));
    }

    fn take_send_error(&self) -> Option<SendError> {
        self.with(|s| s.send_error.take())
    }

    pub(crate) fn set_closed(&self, reason: CloseReason) {
        self.with(|s| s.close_reason = Some(reason));
    }

    pub(crate) fn note_member_closed(&self, reason: CloseReason) {
        self.with(|s| s.last_member_close = Some(reason));
    }

    pub(crate) fn count_dropped(&self) {
        self.add_dropped(1);
    }

    pub(crate) fn add_dropped(&self, n: u64) {
        self.with(|s| s.dropped = s.dropped.saturating_add(n));
    }

    pub(crate) fn set_had_member(&self) {
        self.with(|s| s.had_member = true);
    }

    pub(crate) fn had_member(&self) -> bool {
        self.with(|s| s.had_member)
    }

    pub(crate) fn set_ended(&self) {
        self.with(|s| s.ended = true);
    }

    fn snapshot(&self) -> SharedState {
        self.with(|s| *s)
    }
}

/// How a caller group makes its members.
struct CallerSide {
    config: HandshakeConfig,
    endpoint: EndpointConfig,
    queue: usize,
    udp_buffers: crate::driver::udp::UdpBuffers,
    /// The UDP sockets of the members: (the local address asked for, its
    /// task).
    sockets: Mutex<Vec<(SocketAddr, DriverHandle)>>,
}

/// Everything an [`SrtGroup`] handle is made of (a listener's group
/// travels as this from the endpoint task to the listener).
pub(crate) struct GroupParts {
    ctl: mpsc::UnboundedSender<GroupControl>,
    data: mpsc::Sender<GroupCommand>,
    rx: mpsc::Receiver<Delivery>,
    shared: Arc<GroupShared>,
    clock: Clock,
    group_type: GroupType,
    id: u32,
    peer_id: Option<u32>,
}

/// Starts a group's task; its handle's parts and its report channel.
fn start(group: Group, peer_id: Option<u32>, queue: usize) -> (GroupParts, ReportTx) {
    let clock = process_clock();
    let (data_tx, data_rx) = mpsc::channel(COMMAND_QUEUE);
    let (ctl_tx, ctl_rx) = mpsc::unbounded();
    let (delivery_tx, delivery_rx) = mpsc::channel(queue.max(1));
    let shared = Arc::new(GroupShared::default());
    let group_type = group.group_type();
    let id = group.local_group_id();
    let (task, reports) = GroupTask::new(
        group,
        clock,
        data_rx,
        ctl_rx,
        delivery_tx,
        Arc::clone(&shared),
    );
    crate::group_runtime::spawn(task);
    let parts = GroupParts {
        ctl: ctl_tx,
        data: data_tx,
        rx: delivery_rx,
        shared,
        clock,
        group_type,
        id,
        peer_id,
    };
    (parts, reports)
}

/// A listener's group, started by its first member (called on the
/// listener's endpoint task).
pub(crate) fn accepted(
    info: MemberInfo,
    params: &Negotiated,
    first: MemberObservation,
    clock: Clock,
    queue: usize,
) -> (GroupParts, ReportTx) {
    let config = GroupConfig::new(info.group_type, first.next_send_seq)
        .latency(params.receive_latency.max(params.send_latency));
    let group = Group::new(config, info.local_group_id, clock.now());
    start(group, Some(info.peer_group_id), queue)
}

/// A socket group in live mode: see the [module docs](self).
///
/// Dropping the handle closes every member (each lingers on its task as
/// a closed socket would) without waiting; [`close`](Self::close) waits
/// until every member is closed.
///
/// Limits: a group message is one live packet (at most 1316 bytes, libsrt's
/// live payload). Members' endpoint tasks never wait on the group: if the
/// group's task falls 8192 messages behind what its members received, the
/// newest are dropped and counted in
/// [`dropped_by_reader`](Self::dropped_by_reader), as a socket's full
/// receive queue does. Sends and commands from the group's
/// task go to the members' endpoint tasks without a bound; each endpoint
/// takes them at once into the member's bounded send buffer.
pub struct SrtGroup {
    parts: GroupParts,
    caller: Option<Arc<CallerSide>>,
    reported_close: bool,
}

impl fmt::Debug for SrtGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrtGroup")
            .field("id", &format_args!("{:#x}", self.parts.id))
            .field("type", &self.parts.group_type)
            .finish_non_exhaustive()
    }
}

impl SrtGroup {
    pub(crate) fn from_parts(parts: GroupParts) -> Self {
        Self {
            parts,
            caller: None,
            reported_close: false,
        }
    }

    /// A caller group with no member yet (the builder's
    /// [`call_group`](crate::SrtSocketBuilder::call_group) adds them).
    pub(crate) fn caller(
        group_type: GroupType,
        config: HandshakeConfig,
        endpoint: EndpointConfig,
        queue: usize,
        udp_buffers: crate::driver::udp::UdpBuffers,
        stability_timeout: Option<Duration>,
    ) -> Result<Self, SrtError> {
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).map_err(|_| SrtError::Random)?;
        let [a, b, c, d, e, f, g, h] = random;
        let id = (u32::from_be_bytes([a, b, c, d]) & (SRTGROUP_MASK - 1)) | SRTGROUP_MASK;
        let isn = SeqNumber::new(u32::from_be_bytes([e, f, g, h]) & SeqNumber::MAX);
        let mut group_config = GroupConfig::new(group_type, isn)
            .latency(config.receive_latency.max(config.peer_latency))
            .peer_idle_timeout(endpoint.connection_options.peer_idle_timeout);
        if let Some(t) = stability_timeout {
            group_config = group_config.stability_timeout(t);
        }
        let group = Group::new(group_config, id, process_clock().now());
        let (parts, _) = start(group, None, queue);
        let mut me = Self::from_parts(parts);
        me.caller = Some(Arc::new(CallerSide {
            config,
            endpoint,
            queue,
            udp_buffers,
            sockets: Mutex::new(Vec::new()),
        }));
        Ok(me)
    }

    /// Broadcast or backup.
    pub fn group_type(&self) -> GroupType {
        self.parts.group_type
    }

    /// Our group id (libsrt's group socket id: bit 30 set).
    pub fn id(&self) -> u32 {
        self.parts.id
    }

    /// The peer's group id (an accepted group: the caller's group).
    pub fn peer_group_id(&self) -> Option<u32> {
        self.parts.peer_id
    }

    /// Messages dropped because the application did not read them fast
    /// enough.
    pub fn dropped_by_reader(&self) -> u64 {
        self.parts.shared.snapshot().dropped
    }

    /// Connects one more member (a caller group only) and returns its id
    /// once it is connected and in the group.
    pub async fn add_member(&self, member: GroupMember) -> Result<MemberId, SrtError> {
        self.start_member(member)
            .await?
            .await
            .map_err(|_| SrtError::TaskGone)?
    }

    /// Starts connecting a member; the receiver hears the outcome.
    pub(crate) async fn start_member(
        &self,
        member: GroupMember,
    ) -> Result<oneshot::Receiver<Result<MemberId, SrtError>>, SrtError> {
        let Some(caller) = &self.caller else {
            return Err(SrtError::Rejected {
                reason: srt_proto::packet::reject::RejectReason::Group,
                by_peer: false,
            });
        };
        let handle = caller.socket_for(&member).await?;
        let (reply, rx) = oneshot::channel();
        self.parts
            .ctl
            .unbounded_send(GroupControl::AddMember {
                remote: member.remote,
                local: handle.local,
                weight: member.weight,
                token: member.token,
                config: Box::new(caller.config.clone()),
                ctl: handle.member.clone(),
                reply,
            })
            .map_err(|_| SrtError::TaskGone)?;
        Ok(rx)
    }

    /// Takes a member out of the group and closes its connection;
    /// `false` if the group has no such member.
    pub async fn remove_member(&self, member: MemberId) -> Result<bool, SrtError> {
        let (reply, rx) = oneshot::channel();
        self.parts
            .ctl
            .unbounded_send(GroupControl::RemoveMember { member, reply })
            .map_err(|_| SrtError::TaskGone)?;
        rx.await.map_err(|_| SrtError::TaskGone)
    }

    /// The members and their states.
    pub async fn members(&self) -> Result<Vec<GroupMemberStatus>, SrtError> {
        let (reply, rx) = oneshot::channel();
        self.parts
            .ctl
            .unbounded_send(GroupControl::Members(reply))
            .map_err(|_| SrtError::TaskGone)?;
        rx.await.map_err(|_| SrtError::TaskGone)
    }

    /// The group's counters.
    pub async fn stats(&self) -> Result<GroupStats, SrtError> {
        let (reply, rx) = oneshot::channel();
        self.parts
            .ctl
            .unbounded_send(GroupControl::Stats(reply))
            .map_err(|_| SrtError::TaskGone)?;
        rx.await.map_err(|_| SrtError::TaskGone)
    }

    /// Closes gracefully: what was sent before is queued on the members,
    /// every member closes (lingering as its socket would), and this
    /// returns once all are closed.
    pub async fn close(mut self) -> Result<(), SrtError> {
        let (reply, done) = oneshot::channel();
        let data = &mut self.parts.data;
        std::future::poll_fn(|cx| data.poll_ready(cx))
            .await
            .map_err(|_| SrtError::TaskGone)?;
        data.start_send(GroupCommand::Close { reply: Some(reply) })
            .map_err(|_| SrtError::TaskGone)?;
        done.await.map_err(|_| SrtError::TaskGone)
    }

    fn closed_error(&self) -> io::Error {
        let s = self.parts.shared.snapshot();
        let reason = s
            .close_reason
            .or(s.last_member_close)
            .unwrap_or(CloseReason::LocalClose);
        SrtError::Closed(reason).into()
    }
}

impl CallerSide {
    /// The endpoint task for `member`'s local address, started if new.
    async fn socket_for(&self, member: &GroupMember) -> Result<DriverHandle, SrtError> {
        let local = member.local.unwrap_or_else(|| {
            if member.remote.is_ipv4() {
                (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
            } else {
                (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
            }
        });
        let found = self
            .sockets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(asked, _)| *asked == local)
            .map(|(_, h)| h.clone());
        if let Some(handle) = found {
            return Ok(handle);
        }
        let handle =
            crate::driver::spawn(local, self.endpoint.clone(), self.queue, self.udp_buffers)
                .await?;
        self.sockets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((local, handle.clone()));
        Ok(handle)
    }
}

/// Connects a caller group's first members; returns once one is
/// connected (the others join as they connect), or the last error.
pub(crate) async fn call(group: SrtGroup, members: Vec<GroupMember>) -> Result<SrtGroup, SrtError> {
    let mut pending = Vec::new();
    let mut last_error = None;
    for member in members {
        match group.start_member(member).await {
            Ok(rx) => pending.push(rx),
            Err(e) => last_error = Some(e),
        }
    }
    let first = std::future::poll_fn(|cx| {
        let mut i = 0;
        while let Some(rx) = pending.get_mut(i) {
            match Pin::new(rx).poll(cx) {
                Poll::Ready(Ok(Ok(_))) => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(Err(e))) => {
                    last_error = Some(e);
                    drop(pending.swap_remove(i));
                }
                Poll::Ready(Err(_)) => {
                    last_error = Some(SrtError::TaskGone);
                    drop(pending.swap_remove(i));
                }
                Poll::Pending => i += 1,
            }
        }
        if pending.is_empty() {
            Poll::Ready(Err(last_error.take().unwrap_or(SrtError::TaskGone)))
        } else {
            Poll::Pending
        }
    })
    .await;
    first.map(|()| group)
}

use std::future::Future;

impl Stream for SrtGroup {
    type Item = io::Result<(Instant, Bytes)>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match Pin::new(&mut self.parts.rx).poll_next(cx) {
            Poll::Ready(Some(d)) => {
                let at = self.parts.clock.to_std(d.src_time);
                Poll::Ready(Some(Ok((at, d.data))))
            }
            Poll::Ready(None) => {
                let s = self.parts.shared.snapshot();
                let abnormal = s.close_reason.is_none()
                    && matches!(
                        s.last_member_close,
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

impl Sink<(Instant, Bytes)> for SrtGroup {
    type Error = io::Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(error) = self.parts.shared.take_send_error() {
            return Poll::Ready(Err(SrtError::Send(error).into()));
        }
        let s = self.parts.shared.snapshot();
        if s.close_reason.is_some() || s.ended {
            return Poll::Ready(Err(self.closed_error()));
        }
        self.parts
            .data
            .poll_ready(cx)
            .map_err(|_| SrtError::TaskGone.into())
    }

    fn start_send(mut self: Pin<&mut Self>, (at, data): (Instant, Bytes)) -> io::Result<()> {
        let src_time = self.parts.clock.to_proto(at);
        self.parts
            .data
            .start_send(GroupCommand::Send { data, src_time })
            .map_err(|_| SrtError::TaskGone.into())
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.parts.data)
            .poll_flush(cx)
            .map_err(|_| SrtError::TaskGone.into())
    }

    /// Starts a graceful close of every member; [`SrtGroup::close`] also
    /// waits for it.
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.parts.shared.snapshot().close_reason.is_none() {
            if self.parts.data.poll_ready(cx).is_pending() {
                return Poll::Pending;
            }
            self.parts
                .data
                .start_send(GroupCommand::Close { reply: None })
                .map_err(|_| io::Error::from(SrtError::TaskGone))?;
            self.parts.shared.set_closed(CloseReason::LocalClose);
        }
        Pin::new(&mut self.parts.data)
            .poll_flush(cx)
            .map_err(|_| SrtError::TaskGone.into())
    }
}

//! The runtime-neutral half of a group's task: it owns the
//! [`srt_proto::group::Group`] state machine, feeds it the members'
//! reports (connected, snapshots, messages, refused sends, closes) and
//! the application's sends and requests, and carries out its outputs on
//! the members' endpoint tasks. The runtime half (`group/runtime.rs`,
//! srt-smol's `group_runtime.rs`) only waits: for the channels, via
//! [`GroupTask::poll_inputs`], and for [`GroupTask::next_wake`].

use super::{GroupMemberStatus, GroupShared};
use crate::clock::Clock;
use crate::engine::poll_next_of;
use crate::error::SrtError;
use crate::shared::{
    Delivery, MemberCtl, MemberEvent, MemberLink, MemberReport, ReportRx, ReportTx, report_channel,
};
use bytes::Bytes;
use futures_channel::{mpsc, oneshot};
use srt_proto::ConnectionId;
use srt_proto::connection::{CloseReason, SendError, SendOptions};
use srt_proto::group::{Group, GroupEvent, GroupOutput, GroupSendError, GroupStats, MemberId};
use srt_proto::handshake::HandshakeConfig;
use srt_proto::packet::ext::GroupExt;
use srt_proto::packet::reject::RejectReason;
use srt_proto::time::Instant as ProtoInstant;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};

/// Inputs taken from the channels in one round at most.
const BATCH: usize = 256;

/// The application's data for the group, in order (bounded: the group's
/// `Sink` waits for room).
pub(crate) enum GroupCommand {
    Send {
        data: Bytes,
        src_time: ProtoInstant,
    },
    /// Close every member gracefully, after what was sent before.
    Close {
        reply: Option<oneshot::Sender<()>>,
    },
}

/// Everything else the application asks of the group.
pub(crate) enum GroupControl {
    /// Connect a caller member on the endpoint `ctl` leads to; `reply`
    /// hears when it is connected (or failed).
    AddMember {
        remote: SocketAddr,
        local: SocketAddr,
        weight: u16,
        token: Option<i32>,
        config: Box<HandshakeConfig>,
        ctl: mpsc::UnboundedSender<MemberCtl>,
        reply: oneshot::Sender<Result<MemberId, SrtError>>,
    },
    /// Take a member out and close its connection.
    RemoveMember {
        member: MemberId,
        reply: oneshot::Sender<bool>,
    },
    Members(oneshot::Sender<Vec<GroupMemberStatus>>),
    Stats(oneshot::Sender<GroupStats>),
}

/// A member as the task knows it.
struct Entry {
    id: MemberId,
    token: Option<i32>,
    remote: SocketAddr,
    local: SocketAddr,
    /// Its connection, once established.
    conn: Option<ConnectionId>,
    ctl: mpsc::UnboundedSender<MemberCtl>,
    /// Who waits for it to connect.
    reply: Option<oneshot::Sender<Result<MemberId, SrtError>>>,
    /// Out of the group, its connection closing.
    closing: bool,
}

impl Entry {
    fn ctl(&self, make: impl FnOnce(ConnectionId) -> MemberCtl) -> bool {
        match self.conn {
            Some(conn) => self.ctl.unbounded_send(make(conn)).is_ok(),
            None => false,
        }
    }
}

/// A runtime's timer as [`GroupTask::run`] uses it: one deadline at a
/// time.
pub(crate) trait WakeTimer {
    /// Fires at `at`, replacing the deadline set before.
    fn set(&mut self, at: std::time::Instant);
    /// Ready once the deadline set last has passed (only polled while one
    /// is set).
    fn poll_fired(&mut self, cx: &mut Context<'_>) -> Poll<()>;
}

pub(crate) struct GroupTask {
    group: Group,
    clock: Clock,
    data_rx: Option<mpsc::Receiver<GroupCommand>>,
    ctl_rx: Option<mpsc::UnboundedReceiver<GroupControl>>,
    reports: ReportRx,
    /// For the links of members added here.
    reports_tx: ReportTx,
    /// Delivered messages, to the application; `None` once the group has
    /// no member left.
    deliveries: Option<mpsc::Sender<Delivery>>,
    shared: Arc<GroupShared>,
    members: HashMap<u64, Entry>,
    /// Graceful close: who waits for the last member to close.
    closing: Option<Vec<oneshot::Sender<()>>>,
    /// The handles are gone and the members were told to close.
    abandoned: bool,
}

impl GroupTask {
    pub(crate) fn new(
        group: Group,
        clock: Clock,
        data_rx: mpsc::Receiver<GroupCommand>,
        ctl_rx: mpsc::UnboundedReceiver<GroupControl>,
        deliveries: mpsc::Sender<Delivery>,
        shared: Arc<GroupShared>,
    ) -> (Self, ReportTx) {
        let (reports_tx, reports) = report_channel();
        let task = Self {
            group,
            clock,
            data_rx: Some(data_rx),
            ctl_rx: Some(ctl_rx),
            reports,
            reports_tx: reports_tx.clone(),
            deliveries: Some(deliveries),
            shared,
            members: HashMap::new(),
            closing: None,
            abandoned: false,
        };
        (task, reports_tx)
    }

    /// When the group wants [`GroupTask::handle_timeout`], on the wall
    /// clock.
    pub(crate) fn next_wake(&self) -> Option<std::time::Instant> {
        self.group.next_timeout().map(|t| self.clock.to_std(t))
    }

    /// Handles every input that is ready (a bounded batch per channel);
    /// `true` if there was any.
    pub(crate) fn poll_inputs(&mut self, cx: &mut Context<'_>) -> bool {
        let mut any = false;
        for _ in 0..BATCH {
            match self.reports.poll_next(cx) {
                Poll::Ready(Some(report)) => {
                    any = true;
                    self.report(report);
                }
                _ => break,
            }
        }
        let dropped = self.reports.take_dropped();
        if dropped > 0 {
            self.shared.add_dropped(dropped);
        }
        for _ in 0..BATCH {
            match poll_next_of(&mut self.ctl_rx, cx) {
                Poll::Ready(Some(control)) => {
                    any = true;
                    self.control(control);
                }
                Poll::Ready(None) => {
                    any = true;
                    self.ctl_rx = None;
                }
                Poll::Pending => break,
            }
        }
        for _ in 0..BATCH {
            match poll_next_of(&mut self.data_rx, cx) {
                Poll::Ready(Some(command)) => {
                    any = true;
                    self.command(command);
                }
                Poll::Ready(None) => {
                    any = true;
                    self.data_rx = None;
                }
                Poll::Pending => break,
            }
        }
        if self.data_rx.is_none() && self.ctl_rx.is_none() && !self.abandoned {
            // Every handle is gone: close the members.
            self.abandoned = true;
            self.close_all();
            self.flush();
        }
        any
    }

    /// Runs the group's timers.
    pub(crate) fn handle_timeout(&mut self) {
        let now = self.clock.now();
        self.group.handle_timeout(now);
        self.flush();
    }

    /// The application's handles are gone and the members closed.
    pub(crate) fn is_done(&self) -> bool {
        self.data_rx.is_none() && self.ctl_rx.is_none() && self.members.is_empty()
    }

    /// Runs the task until [`GroupTask::is_done`]: handles its inputs as
    /// they come and its timers at [`GroupTask::next_wake`], on the
    /// runtime's `timer` (the only part of the loop a runtime supplies).
    pub(crate) async fn run(mut self, mut timer: impl WakeTimer) {
        // The deadline `timer` is set for; `None` once it fired.
        let mut armed: Option<std::time::Instant> = None;
        loop {
            let wake_at = self.next_wake();
            if wake_at != armed {
                if let Some(at) = wake_at {
                    timer.set(at);
                }
                armed = wake_at;
            }
            let fired = std::future::poll_fn(|cx| {
                let any = self.poll_inputs(cx);
                let fired = armed.is_some() && timer.poll_fired(cx).is_ready();
                if fired {
                    armed = None;
                }
                if any || fired {
                    Poll::Ready(fired)
                } else {
                    Poll::Pending
                }
            })
            .await;
            if fired {
                self.handle_timeout();
            }
            if self.is_done() {
                return;
            }
        }
    }

    fn command(&mut self, command: GroupCommand) {
        let now = self.clock.now();
        match command {
            GroupCommand::Send { data, src_time } => {
                let options = SendOptions {
                    src_time: Some(src_time),
                    ..SendOptions::default()
                };
                if let Err(e) = self.group.send(data, options, now) {
                    self.shared.set_send_error(match e {
                        GroupSendError::Empty => SendError::Empty,
                        GroupSendError::MessageTooLong { len, max } => {
                            SendError::MessageTooLong { len, max }
                        }
                        GroupSendError::NoActiveMember => SendError::ConnectionClosed,
                    });
                }
            }
            GroupCommand::Close { reply } => {
                self.closing.get_or_insert_with(Vec::new).extend(reply);
                self.close_all();
            }
        }
        self.flush();
    }

    /// Closes every member gracefully (their connections linger on their
    /// tasks).
    fn close_all(&mut self) {
        let now = self.clock.now();
        let mut gone = Vec::new();
        for (key, entry) in &mut self.members {
            if entry.closing {
                continue;
            }
            entry.closing = true;
            self.group.remove_member(entry.id, now);
            if let Some(reply) = entry.reply.take() {
                let _ = reply.send(Err(SrtError::Closed(CloseReason::LocalClose)));
            }
            // Each goes when its endpoint reports it closed; a connecting
            // one is closed as it connects.
            if entry.conn.is_some() && !entry.ctl(|conn| MemberCtl::Close { conn }) {
                gone.push(*key);
            }
        }
        for key in gone {
            self.members.remove(&key);
        }
        self.shared.set_closed(CloseReason::LocalClose);
        self.check_empty();
    }

    fn control(&mut self, control: GroupControl) {
        let now = self.clock.now();
        match control {
            GroupControl::AddMember {
                remote,
                local,
                weight,
                token,
                mut config,
                ctl,
                reply,
            } => {
                if self.closing.is_some() || self.shared.snapshot().close_reason.is_some() {
                    let _ = reply.send(Err(SrtError::Closed(CloseReason::LocalClose)));
                    return;
                }
                let id = match self.group.add_member(weight, now) {
                    Ok(id) => id,
                    Err(_) => {
                        let _ = reply.send(Err(SrtError::Rejected {
                            reason: RejectReason::Resource,
                            by_peer: false,
                        }));
                        return;
                    }
                };
                config.group = Some(GroupExt {
                    group_id: self.group.local_group_id(),
                    group_type: self.group.group_type().to_u8(),
                    flags: 0,
                    weight,
                });
                config.group_sync = Some(self.group.sync());
                let key = super::next_member_key();
                let link = MemberLink {
                    tx: self.reports_tx.clone(),
                    key,
                };
                if ctl
                    .unbounded_send(MemberCtl::Connect {
                        remote,
                        config,
                        link,
                    })
                    .is_err()
                {
                    self.group.remove_member(id, now);
                    let _ = reply.send(Err(SrtError::TaskGone));
                } else {
                    self.members.insert(
                        key,
                        Entry {
                            id,
                            token,
                            remote,
                            local,
                            conn: None,
                            ctl,
                            reply: Some(reply),
                            closing: false,
                        },
                    );
                }
            }
            GroupControl::RemoveMember { member, reply } => {
                let key = self
                    .members
                    .iter()
                    .find(|(_, e)| e.id == member)
                    .map(|(k, _)| *k);
                let found = match key.and_then(|k| self.members.get_mut(&k)) {
                    Some(entry) if !entry.closing => {
                        entry.closing = true;
                        if let Some(r) = entry.reply.take() {
                            let _ = r.send(Err(SrtError::Closed(CloseReason::LocalClose)));
                        }
                        if entry.conn.is_some()
                            && !entry.ctl(|conn| MemberCtl::Close { conn })
                            && let Some(k) = key
                        {
                            self.members.remove(&k);
                        }
                        self.group.remove_member(member, now);
                        true
                    }
                    _ => false,
                };
                let _ = reply.send(found);
                self.check_empty();
            }
            GroupControl::Members(reply) => {
                let _ = reply.send(self.statuses());
            }
            GroupControl::Stats(reply) => {
                let _ = reply.send(self.group.stats());
            }
        }
        self.flush();
    }

    fn statuses(&self) -> Vec<GroupMemberStatus> {
        let mut list: Vec<GroupMemberStatus> = self
            .members
            .values()
            .filter(|e| !e.closing)
            .filter_map(|e| {
                let s = self.group.member(e.id)?;
                Some(GroupMemberStatus {
                    id: e.id,
                    token: e.token,
                    peer: e.remote,
                    local: e.local,
                    weight: s.weight,
                    state: s.state,
                    backup_state: s.backup_state,
                    sent: s.sent,
                    delivered: s.delivered,
                    duplicates: s.duplicates,
                })
            })
            .collect();
        list.sort_by_key(|s| s.id);
        list
    }

    fn report(&mut self, MemberReport { key, event }: MemberReport) {
        let now = self.clock.now();
        match event {
            MemberEvent::Connected {
                conn,
                peer,
                local,
                weight,
                obs,
                ctl,
                ..
            } => {
                let closing = self.closing.is_some() || self.ctl_rx.is_none();
                match self.members.get_mut(&key) {
                    Some(entry) if !closing && !entry.closing => {
                        entry.conn = Some(conn);
                        entry.remote = peer;
                        let id = entry.id;
                        let reply = entry.reply.take();
                        self.shared.set_had_member();
                        self.group.member_connected(id, obs, now);
                        if let Some(reply) = reply {
                            let _ = reply.send(Ok(id));
                        }
                    }
                    Some(entry) => {
                        entry.conn = Some(conn);
                        entry.closing = true;
                        if ctl.unbounded_send(MemberCtl::Close { conn }).is_err() {
                            self.members.remove(&key);
                        }
                    }
                    None if closing || self.deliveries.is_none() => {
                        let _ = ctl.unbounded_send(MemberCtl::Close { conn });
                    }
                    None => match self.group.add_member(weight, now) {
                        Ok(id) => {
                            self.members.insert(
                                key,
                                Entry {
                                    id,
                                    token: None,
                                    remote: peer,
                                    local,
                                    conn: Some(conn),
                                    ctl,
                                    reply: None,
                                    closing: false,
                                },
                            );
                            self.shared.set_had_member();
                            self.group.member_connected(id, obs, now);
                        }
                        Err(_) => {
                            let _ = ctl.unbounded_send(MemberCtl::Close { conn });
                        }
                    },
                }
            }
            MemberEvent::Failed(error) => {
                if let Some(entry) = self.members.remove(&key) {
                    self.group.member_closed(entry.id, now);
                    if let Some(reply) = entry.reply {
                        let _ = reply.send(Err(error));
                    }
                }
                self.check_empty();
            }
            MemberEvent::Observed(obs) => {
                if let Some(entry) = self.members.get(&key) {
                    self.group.observe(entry.id, obs, now);
                }
            }
            MemberEvent::Message {
                seq,
                data,
                src_time,
            } => {
                if let Some(entry) = self.members.get(&key) {
                    self.group
                        .on_member_message(entry.id, seq, data, src_time, now);
                }
            }
            MemberEvent::SendFailed => {
                if let Some(entry) = self.members.get(&key) {
                    self.group.member_send_failed(entry.id, now);
                }
            }
            MemberEvent::Closed(reason) => {
                if let Some(entry) = self.members.remove(&key) {
                    self.group.member_closed(entry.id, now);
                    self.shared.note_member_closed(reason);
                }
                self.check_empty();
            }
        }
        self.flush();
    }

    /// With no member left (after one connected, or on close) the stream
    /// of messages ends and a graceful close is done.
    fn check_empty(&mut self) {
        if !self.members.is_empty() {
            return;
        }
        if self.closing.is_some() || self.shared.had_member() {
            self.deliveries = None;
            self.shared.set_ended();
        }
        if let Some(waiters) = self.closing.take() {
            for w in waiters {
                let _ = w.send(());
            }
            // Closed for good: no member joins again.
            self.closing = Some(Vec::new());
        }
    }

    /// Carries out the group's outputs.
    fn flush(&mut self) {
        let now = self.clock.now();
        while let Some(output) = self.group.poll_output() {
            match output {
                GroupOutput::Send {
                    member,
                    data,
                    options,
                } => {
                    let sent = self.entry(member).is_some_and(|e| {
                        e.ctl(|conn| MemberCtl::Send {
                            conn,
                            data,
                            options,
                        })
                    });
                    if !sent {
                        self.group.member_send_failed(member, now);
                    }
                }
                GroupOutput::Command { member, command } => {
                    let sent = self
                        .entry(member)
                        .is_some_and(|e| e.ctl(|conn| MemberCtl::Command { conn, command }));
                    if !sent {
                        self.group.member_send_failed(member, now);
                    }
                }
                GroupOutput::CloseMember { member } => {
                    let key = self
                        .members
                        .iter()
                        .find(|(_, e)| e.id == member)
                        .map(|(k, _)| *k);
                    if let Some(k) = key
                        && let Some(entry) = self.members.get_mut(&k)
                    {
                        entry.closing = true;
                        if !entry.ctl(|conn| MemberCtl::Close { conn }) {
                            self.members.remove(&k);
                        }
                    }
                    self.check_empty();
                }
                GroupOutput::Event(GroupEvent::Message { data, src_time, .. }) => {
                    if let Some(tx) = &mut self.deliveries
                        && tx.try_send(Delivery { src_time, data }).is_err()
                    {
                        self.shared.count_dropped();
                    }
                }
                GroupOutput::Event(_) => {}
            }
        }
    }

    fn entry(&self, member: MemberId) -> Option<&Entry> {
        self.members.values().find(|e| e.id == member && !e.closing)
    }
}

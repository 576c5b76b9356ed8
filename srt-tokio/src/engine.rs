//! The runtime-neutral half of the task that owns one UDP socket and its
//! [`Endpoint`]: what it does with a datagram, a timeout, a command from a
//! socket or listener, and the endpoint's events. The runtime half
//! (`driver.rs`: the socket, the timer, the spawn) waits for the next
//! [`Wake`], hands it to [`Engine::handle`] and sends what
//! [`Engine::drain`] returns. srt-smol builds on this same file.

use crate::clock::Clock;
use crate::error::SrtError;
use crate::shared::{
    Command, ConnParts, Control, Delivery, DriverHandle, Incoming, MemberCtl, Shared,
};
use bytes::Bytes;
use futures_channel::{mpsc, oneshot};
use futures_core::Stream;
use srt_proto::connection::{SendError, SendOptions};
use srt_proto::{ConnectionId, Endpoint, EndpointConfig, Event, Input, Output};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// Group members on this endpoint: their events go to their group's task.
#[path = "group/engine_members.rs"]
mod members;

/// The most bytes one `AsyncWrite` write queues as one message (live
/// mode: at most one packet's payload).
const MAX_WRITE: usize = 64 * 1024;

/// Commands from senders waiting for the task (backpressure for `Sink`).
const COMMAND_QUEUE: usize = 256;

/// What woke the task.
pub(crate) enum Wake {
    /// A datagram arrived.
    Datagram {
        from: SocketAddr,
        data: Bytes,
    },
    /// The socket reported an error (an ICMP error surfacing): the
    /// protocol's timers deal with a peer that is gone.
    SocketError,
    /// The endpoint's timeout came.
    Timer,
    Command(Option<Command>),
    Control(Option<Control>),
    /// A group's task wants something of one of its members here.
    Member(MemberCtl),
}

/// A connection the application holds.
struct Slot {
    tx: mpsc::Sender<Delivery>,
    shared: Arc<Shared>,
    close_waiters: Vec<oneshot::Sender<()>>,
    /// Messages waiting for room in the send buffer, in order. Bounded:
    /// while it is not empty the socket's `Sink` is not ready, so only
    /// what was already in the command queue lands here.
    parked: VecDeque<(Bytes, SendOptions)>,
    /// A graceful close waits for `parked` to empty.
    close_when_sent: bool,
}

type ConnectReply = oneshot::Sender<Result<ConnParts, SrtError>>;

pub(crate) struct Engine {
    endpoint: Endpoint,
    clock: Clock,
    queue: usize,
    data_rx: Option<mpsc::Receiver<Command>>,
    ctl_rx: Option<mpsc::UnboundedReceiver<Control>>,
    conns: HashMap<ConnectionId, Slot>,
    connecting: HashMap<ConnectionId, ConnectReply>,
    /// Connections with parked messages.
    blocked: Vec<ConnectionId>,
    listener: Option<mpsc::Sender<Result<Incoming, SrtError>>>,
    /// Socket group members on this endpoint.
    members: members::Members,
    out: Vec<Output>,
    /// Whose turn it is in [`Engine::poll_channels`].
    control_first: bool,
    /// The time of the round [`Engine::handle_round`] is handling: the
    /// clock is read once per batch, not once per datagram.
    round_now: Option<srt_proto::time::Instant>,
}

impl Engine {
    /// A fresh endpoint (seeded from the OS) for the UDP socket bound to
    /// `local`, and the handle sockets and listeners talk to it through.
    pub(crate) fn new(
        local: SocketAddr,
        config: EndpointConfig,
        queue: usize,
    ) -> Result<(Self, DriverHandle), SrtError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|_| SrtError::Random)?;
        let clock = crate::group::process_clock();
        let (data_tx, data_rx) = mpsc::channel(COMMAND_QUEUE);
        let (ctl_tx, ctl_rx) = mpsc::unbounded();
        let (members, member_tx) = members::Members::new(local);
        let engine = Self {
            endpoint: Endpoint::new(config, seed),
            clock,
            queue,
            data_rx: Some(data_rx),
            ctl_rx: Some(ctl_rx),
            conns: HashMap::new(),
            connecting: HashMap::new(),
            blocked: Vec::new(),
            listener: None,
            members,
            out: Vec::new(),
            control_first: false,
            round_now: None,
        };
        let handle = DriverHandle {
            data: data_tx,
            ctl: ctl_tx,
            member: member_tx,
            local,
            clock,
        };
        Ok((engine, handle))
    }

    /// When the endpoint next wants [`Wake::Timer`], on the wall clock.
    pub(crate) fn next_wake(&self) -> Option<std::time::Instant> {
        self.endpoint.next_timeout().map(|t| self.clock.to_std(t))
    }

    /// The next command or control message (taking turns, so a busy
    /// sender does not starve the controls); a closed channel is
    /// reported once, then never polled again.
    pub(crate) fn poll_channels(&mut self, cx: &mut Context<'_>) -> Poll<Wake> {
        self.control_first = !self.control_first;
        if self.control_first
            && let Poll::Ready(c) = poll_next_of(&mut self.ctl_rx, cx)
        {
            return Poll::Ready(Wake::Control(c));
        }
        // Group members' sends take turns with the sockets' too.
        if !self.control_first
            && let Poll::Ready(Some(c)) = self.members.poll_ctl(cx)
        {
            return Poll::Ready(Wake::Member(c));
        }
        if let Poll::Ready(c) = poll_next_of(&mut self.data_rx, cx) {
            return Poll::Ready(Wake::Command(c));
        }
        if !self.control_first
            && let Poll::Ready(c) = poll_next_of(&mut self.ctl_rx, cx)
        {
            return Poll::Ready(Wake::Control(c));
        }
        if self.control_first
            && let Poll::Ready(Some(c)) = self.members.poll_ctl(cx)
        {
            return Poll::Ready(Wake::Member(c));
        }
        Poll::Pending
    }

    /// Does what woke the task, every wake of one round at the time the
    /// round began (what was read together arrived together; one clock
    /// read per batch instead of one per datagram).
    pub(crate) fn handle_round(&mut self, wakes: impl IntoIterator<Item = Wake>) {
        self.round_now = Some(self.clock.now());
        for wake in wakes {
            self.handle(wake);
        }
        self.round_now = None;
    }

    /// Does what woke the task.
    fn handle(&mut self, wake: Wake) {
        match wake {
            Wake::Datagram { from, data } => {
                self.feed(Input::Datagram { from, data });
                self.retry_blocked();
            }
            Wake::Timer => {
                self.feed(Input::Timeout);
                self.retry_blocked();
            }
            Wake::SocketError => {}
            Wake::Command(Some(Command::Send {
                conn,
                data,
                options,
            })) => self.send(conn, data, options),
            Wake::Command(Some(Command::Close { conn, reply })) => self.close(conn, reply),
            Wake::Command(None) => self.data_rx = None,
            Wake::Control(Some(control)) => self.control(control),
            Wake::Control(None) => self.ctl_rx = None,
            Wake::Member(ctl) => self.member_ctl(ctl),
        }
    }

    /// Hands the endpoint's events to their owners and moves the datagrams
    /// it wants sent, in order, into `transmits`.
    pub(crate) fn drain(&mut self, transmits: &mut Vec<(SocketAddr, Bytes)>) {
        self.observe_members();
        // Events may queue more outputs (closing a connection nobody holds).
        while !self.out.is_empty() {
            let mut out = std::mem::take(&mut self.out);
            for output in out.drain(..) {
                match output {
                    Output::Transmit { to, data } => transmits.push((to, data)),
                    Output::Event(event) => self.event(event),
                    Output::Timeout(_) => {}
                }
            }
            if self.out.is_empty() {
                // Keep the buffer's capacity for the next round.
                self.out = out;
            }
        }
    }

    /// Every handle is gone and no connection, handshake or request is
    /// left to serve: the task may end.
    pub(crate) fn is_done(&self) -> bool {
        self.data_rx.is_none() && self.ctl_rx.is_none() && self.is_idle()
    }

    /// No connection, handshake or request left to serve.
    fn is_idle(&self) -> bool {
        let size = self.endpoint.state_size();
        size.established + size.calling + size.rendezvous + size.pending_requests == 0
    }

    fn feed(&mut self, input: Input) {
        let now = self.round_now.unwrap_or_else(|| self.clock.now());
        self.endpoint.handle_input_into(input, now, &mut self.out);
    }

    /// Queues a message, or parks it while the send buffer is full (the
    /// blocking send of libsrt's `SRTO_SNDSYN`, without blocking the task).
    fn send(&mut self, conn: ConnectionId, data: Bytes, options: SendOptions) {
        if let Some(slot) = self.conns.get_mut(&conn)
            && !slot.parked.is_empty()
        {
            slot.parked.push_back((data, options));
            return;
        }
        if !self.try_send(conn, data.clone(), options)
            && let Some(slot) = self.conns.get_mut(&conn)
        {
            slot.parked.push_back((data, options));
            slot.shared.block();
            self.blocked.push(conn);
        }
    }

    /// Feeds a send; `false` if the send buffer had no room (the endpoint's
    /// `SendFailed` for it is withdrawn: the message will be retried).
    fn try_send(&mut self, conn: ConnectionId, data: Bytes, options: SendOptions) -> bool {
        let before = self.out.len();
        self.feed(Input::Send {
            conn,
            data,
            options,
        });
        let full = self.out.iter().skip(before).position(|o| {
            matches!(
                o,
                Output::Event(Event::SendFailed { conn: c, error: SendError::BufferFull }) if *c == conn
            )
        });
        match full {
            Some(i) => {
                self.out.remove(before + i);
                false
            }
            None => true,
        }
    }

    /// Closes `conn` gracefully once its parked messages are queued;
    /// `reply` hears when it is closed.
    fn close(&mut self, conn: ConnectionId, reply: Option<oneshot::Sender<()>>) {
        let Some(slot) = self.conns.get_mut(&conn) else {
            if let Some(reply) = reply {
                let _ = reply.send(());
            }
            // A handshake the application gave up on.
            self.feed(Input::Close { conn });
            return;
        };
        slot.close_waiters.extend(reply);
        if slot.parked.is_empty() {
            self.feed(Input::Close { conn });
        } else {
            slot.close_when_sent = true;
        }
    }

    /// Retries parked messages (after an input that may have freed room:
    /// an ACK, a drop); unblocks the sockets whose queue emptied.
    fn retry_blocked(&mut self) {
        for conn in std::mem::take(&mut self.blocked) {
            while let Some(slot) = self.conns.get_mut(&conn) {
                let Some((data, options)) = slot.parked.pop_front() else {
                    slot.shared.unblock();
                    if slot.close_when_sent {
                        self.feed(Input::Close { conn });
                    }
                    break;
                };
                if !self.try_send(conn, data.clone(), options) {
                    if let Some(slot) = self.conns.get_mut(&conn) {
                        slot.parked.push_front((data, options));
                        self.blocked.push(conn);
                    }
                    break;
                }
            }
        }
    }

    fn control(&mut self, control: Control) {
        let now = self.clock.now();
        match control {
            Control::Connect {
                remote,
                config,
                rendezvous,
                reply,
            } => {
                let id = if rendezvous {
                    self.endpoint
                        .rendezvous(remote, *config, now, &mut self.out)
                } else {
                    self.endpoint.connect(remote, *config, now, &mut self.out)
                };
                match id {
                    Some(id) => {
                        self.connecting.insert(id, reply);
                    }
                    None => {
                        let error = self.out.iter().find_map(|o| match o {
                            Output::Event(Event::ConnectFailed { reason, .. }) => {
                                Some(SrtError::Rejected {
                                    reason: *reason,
                                    by_peer: false,
                                })
                            }
                            _ => None,
                        });
                        let _ = reply.send(Err(error.unwrap_or(SrtError::TaskGone)));
                    }
                }
            }
            Control::Listen {
                config,
                incoming,
                reply,
            } => {
                self.listener = Some(incoming);
                self.endpoint
                    .handle_input_into(Input::Listen(config), now, &mut self.out);
                let _ = reply.send(());
            }
            Control::StopListening => {
                self.listener = None;
                self.feed(Input::StopListening);
            }
            Control::Abort { conn } => self.feed(Input::Close { conn }),
            Control::Exec(f) => f(&mut self.endpoint, now),
        }
    }

    fn event(&mut self, event: Event) {
        let Some(event) = self.member_event(event) else {
            return;
        };
        match event {
            Event::Connected {
                conn, peer, params, ..
            } => {
                let (tx, rx) = mpsc::channel(self.queue);
                let shared = Arc::new(Shared::default());
                let max_write = self
                    .endpoint
                    .connection(conn)
                    .map_or(MAX_WRITE, |c| c.max_message_size())
                    .min(MAX_WRITE);
                let parts = ConnParts {
                    conn,
                    peer,
                    params,
                    rx,
                    shared: Arc::clone(&shared),
                    max_write,
                };
                let delivered = if let Some(reply) = self.connecting.remove(&conn) {
                    reply.send(Ok(parts)).is_ok()
                } else if let Some(listener) = &mut self.listener {
                    listener.try_send(Ok(Incoming::Socket(parts))).is_ok()
                } else {
                    false
                };
                if delivered {
                    self.conns.insert(
                        conn,
                        Slot {
                            tx,
                            shared,
                            close_waiters: Vec::new(),
                            parked: VecDeque::new(),
                            close_when_sent: false,
                        },
                    );
                } else {
                    // Nobody wants it (the caller gave up, or the accept
                    // queue is full): close it.
                    self.feed(Input::Close { conn });
                }
            }
            Event::Rejected {
                conn,
                reason,
                by_peer,
            } => {
                if let Some(reply) = self.connecting.remove(&conn) {
                    let _ = reply.send(Err(SrtError::Rejected { reason, by_peer }));
                }
            }
            Event::Failed { conn, reason } => {
                if let Some(reply) = self.connecting.remove(&conn) {
                    let _ = reply.send(Err(SrtError::Rejected {
                        reason,
                        by_peer: false,
                    }));
                }
            }
            Event::IncomingRejected { peer, reason, .. } => {
                if let Some(listener) = &mut self.listener {
                    let _ = listener.try_send(Err(SrtError::IncomingRejected { peer, reason }));
                }
            }
            Event::Message {
                conn,
                data,
                src_time,
                ..
            } => {
                if let Some(slot) = self.conns.get_mut(&conn)
                    && slot.tx.try_send(Delivery { src_time, data }).is_err()
                {
                    slot.shared.count_dropped();
                }
            }
            Event::SendFailed { conn, error } => {
                if let Some(slot) = self.conns.get(&conn) {
                    slot.shared.set_send_error(error);
                }
            }
            Event::Closed { conn, reason } => {
                if let Some(reply) = self.connecting.remove(&conn) {
                    let _ = reply.send(Err(SrtError::Closed(reason)));
                }
                if let Some(slot) = self.conns.remove(&conn) {
                    slot.shared.set_closed(reason);
                    for waiter in slot.close_waiters {
                        let _ = waiter.send(());
                    }
                    // Dropping `slot.tx` ends the socket's stream.
                }
            }
            _ => {}
        }
    }
}

/// The next item of an optional stream; `Pending` once it is gone.
pub(crate) fn poll_next_of<S: Stream + Unpin>(
    rx: &mut Option<S>,
    cx: &mut Context<'_>,
) -> Poll<Option<S::Item>> {
    match rx {
        Some(rx) => Pin::new(rx).poll_next(cx),
        None => Poll::Pending,
    }
}

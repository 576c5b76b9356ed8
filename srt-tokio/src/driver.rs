//! The task that owns one UDP socket and its [`Endpoint`] (tokio).
//!
//! With `io.rs` (tokio's `AsyncRead`/`AsyncWrite`), the only module that
//! touches the runtime: the socket, the timer and the spawn. Everything it
//! exchanges with [`crate::SrtSocket`] and [`crate::SrtListener`] goes
//! through the runtime-neutral channels of `shared.rs`, so an adapter for
//! another runtime replaces these two files.

use crate::clock::Clock;
use crate::error::SrtError;
use crate::shared::{Command, ConnParts, Control, Delivery, DriverHandle, Shared};
use bytes::{Bytes, BytesMut};
use futures_channel::{mpsc, oneshot};
use futures_core::Stream;
use srt_proto::connection::{SendError, SendOptions};
use srt_proto::{ConnectionId, Endpoint, EndpointConfig, Event, Input, Output};
use std::collections::{HashMap, VecDeque};
use std::future::poll_fn;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use tokio::net::UdpSocket;

/// The most bytes one `AsyncWrite` write queues as one message (live
/// mode: at most one packet's payload).
const MAX_WRITE: usize = 64 * 1024;

/// Commands from senders waiting for the task (backpressure for `Sink`).
const COMMAND_QUEUE: usize = 256;

/// The room left for each datagram we read: an SRT datagram is at most
/// the MSS (1500 bytes at most in libsrt), anything longer is cut and fails
/// to decode.
const MAX_DATAGRAM: usize = 2048;

/// Datagrams are read into blocks of this size and handed on as slices of
/// them, so a block costs one allocation for ~60 full-size datagrams
/// instead of one each; a block is freed when its last datagram is.
const RECEIVE_BLOCK: usize = 128 * 1024;

/// Binds `local`, seeds an endpoint from the OS and starts its task.
pub(crate) async fn spawn(
    local: SocketAddr,
    config: EndpointConfig,
    queue: usize,
) -> Result<DriverHandle, SrtError> {
    let socket = UdpSocket::bind(local).await?;
    let local = socket.local_addr()?;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|_| SrtError::Random)?;
    let clock = Clock::start();
    let (data_tx, data_rx) = mpsc::channel(COMMAND_QUEUE);
    let (ctl_tx, ctl_rx) = mpsc::unbounded();
    let driver = Driver {
        endpoint: Endpoint::new(config, seed),
        socket,
        clock,
        queue,
        data_rx: Some(data_rx),
        ctl_rx: Some(ctl_rx),
        conns: HashMap::new(),
        connecting: HashMap::new(),
        blocked: Vec::new(),
        listener: None,
        out: Vec::new(),
    };
    tokio::spawn(driver.run());
    Ok(DriverHandle {
        data: data_tx,
        ctl: ctl_tx,
        local,
        clock,
    })
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

struct Driver {
    endpoint: Endpoint,
    socket: UdpSocket,
    clock: Clock,
    queue: usize,
    data_rx: Option<mpsc::Receiver<Command>>,
    ctl_rx: Option<mpsc::UnboundedReceiver<Control>>,
    conns: HashMap<ConnectionId, Slot>,
    connecting: HashMap<ConnectionId, ConnectReply>,
    /// Connections with parked messages.
    blocked: Vec<ConnectionId>,
    listener: Option<mpsc::Sender<Result<ConnParts, SrtError>>>,
    out: Vec<Output>,
}

/// What woke the task.
enum Wake {
    Datagram(SocketAddr),
    Command(Option<Command>),
    Control(Option<Control>),
    Timer,
    SocketError,
}

async fn next_of<S: Stream + Unpin>(rx: &mut Option<S>) -> Option<S::Item> {
    match rx {
        Some(rx) => poll_fn(|cx| Pin::new(&mut *rx).poll_next(cx)).await,
        None => std::future::pending().await,
    }
}

impl Driver {
    async fn run(mut self) {
        let mut block = BytesMut::new();
        loop {
            if block.capacity() < MAX_DATAGRAM {
                block = BytesMut::with_capacity(RECEIVE_BLOCK);
            }
            let wake_at = self.endpoint.next_timeout().map(|t| self.clock.to_std(t));
            let timer = async {
                match wake_at {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            let wake = tokio::select! {
                r = self.socket.recv_buf_from(&mut block) => match r {
                    Ok((_, from)) => Wake::Datagram(from),
                    Err(_) => Wake::SocketError,
                },
                c = next_of(&mut self.data_rx) => Wake::Command(c),
                c = next_of(&mut self.ctl_rx) => Wake::Control(c),
                () = timer => Wake::Timer,
            };
            match wake {
                Wake::Datagram(from) => {
                    // The datagram is all the block holds: split it off,
                    // the rest of the block stays for the next one.
                    let data = block.split().freeze();
                    self.feed(Input::Datagram { from, data });
                    self.retry_blocked();
                }
                Wake::Timer => {
                    self.feed(Input::Timeout);
                    self.retry_blocked();
                }
                // An ICMP error surfacing on the socket: the protocol's
                // timers deal with a peer that is gone.
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
            }
            self.flush().await;
            if self.data_rx.is_none() && self.ctl_rx.is_none() && self.is_idle() {
                return;
            }
        }
    }

    /// No connection, handshake or request left to serve.
    fn is_idle(&self) -> bool {
        let size = self.endpoint.state_size();
        size.established + size.calling + size.rendezvous + size.pending_requests == 0
    }

    fn feed(&mut self, input: Input) {
        let now = self.clock.now();
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

    /// Does what the endpoint asked: datagrams out, events to their owners.
    async fn flush(&mut self) {
        // Events may queue more outputs (closing a connection nobody holds).
        while !self.out.is_empty() {
            let mut out = std::mem::take(&mut self.out);
            for output in out.drain(..) {
                match output {
                    Output::Transmit { to, data } => {
                        // A failed send is a lost datagram; ARQ repairs it.
                        let _ = self.socket.send_to(&data, to).await;
                    }
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

    fn event(&mut self, event: Event) {
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
                    listener.try_send(Ok(parts)).is_ok()
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

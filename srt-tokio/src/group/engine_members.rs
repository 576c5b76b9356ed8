//! The endpoint task's side of socket groups: member connections on this
//! endpoint belong to a group's task, not to an application socket. Their
//! deliveries, closes and refused sends go to that task, with a snapshot
//! of each member's connection after each round of I/O; the task's
//! sends and commands come back on a channel of their own and go through
//! the endpoint's `handle_input`, so what they make is transmitted.
//!
//! On a listener with `group_connect`, the first member of a peer group
//! starts a group (its task spawned here, handed out by the listener);
//! later members of the same mirror group join it.

use super::{Engine, Incoming};
use crate::error::SrtError;
use crate::shared::{MemberCtl, MemberEvent, MemberLink, ReportTx};
use futures_channel::mpsc;
use futures_core::Stream;
use srt_proto::group::MemberObservation;
use srt_proto::time::Instant as ProtoInstant;
use srt_proto::{ConnectionId, Event, Input, Output};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// Members are observed at most this often (the group's backup timing
/// works in tens of milliseconds).
const OBSERVE_INTERVAL: Duration = Duration::from_millis(1);

/// What the endpoint task knows of group members.
pub(crate) struct Members {
    rx: mpsc::UnboundedReceiver<MemberCtl>,
    /// Handed to the groups of members accepted here.
    tx: mpsc::UnboundedSender<MemberCtl>,
    local: SocketAddr,
    /// Established members.
    slots: HashMap<ConnectionId, MemberLink>,
    /// Caller members being connected.
    connecting: HashMap<ConnectionId, MemberLink>,
    /// Listener: the groups started here, by mirror group id.
    groups: HashMap<u32, ReportTx>,
    last_observed: Option<ProtoInstant>,
}

impl Members {
    pub(crate) fn new(local: SocketAddr) -> (Self, mpsc::UnboundedSender<MemberCtl>) {
        let (tx, rx) = mpsc::unbounded();
        let members = Self {
            rx,
            tx: tx.clone(),
            local,
            slots: HashMap::new(),
            connecting: HashMap::new(),
            groups: HashMap::new(),
            last_observed: None,
        };
        (members, tx)
    }

    /// The next command of a group's task (the channel never ends: the
    /// endpoint holds a sender).
    pub(crate) fn poll_ctl(&mut self, cx: &mut Context<'_>) -> Poll<Option<MemberCtl>> {
        Pin::new(&mut self.rx).poll_next(cx)
    }
}

impl Engine {
    /// Does what a group's task asks of a member here.
    pub(super) fn member_ctl(&mut self, ctl: MemberCtl) {
        let now = self.clock.now();
        match ctl {
            MemberCtl::Connect {
                remote,
                config,
                link,
            } => {
                let before = self.out.len();
                match self.endpoint.connect(remote, *config, now, &mut self.out) {
                    Some(id) => {
                        self.members.connecting.insert(id, link);
                    }
                    None => {
                        let error = self.out.iter().skip(before).find_map(|o| match o {
                            Output::Event(Event::ConnectFailed { reason, .. }) => {
                                Some(SrtError::Rejected {
                                    reason: *reason,
                                    by_peer: false,
                                })
                            }
                            _ => None,
                        });
                        link.report(MemberEvent::Failed(error.unwrap_or(SrtError::TaskGone)));
                    }
                }
            }
            MemberCtl::Send {
                conn,
                data,
                options,
            } => {
                if self.members.slots.contains_key(&conn) {
                    self.feed(Input::Send {
                        conn,
                        data,
                        options,
                    });
                }
            }
            MemberCtl::Command { conn, command } => {
                if self.members.slots.contains_key(&conn) {
                    self.feed(Input::Member { conn, command });
                }
            }
            MemberCtl::Close { conn } => {
                if self.members.slots.contains_key(&conn)
                    || self.members.connecting.remove(&conn).is_some()
                {
                    self.feed(Input::Close { conn });
                }
            }
        }
    }

    /// Sends each member's group a fresh snapshot of its connection (at
    /// most every [`OBSERVE_INTERVAL`]); members whose group is gone are
    /// closed. Called before the round's outputs are drained.
    pub(super) fn observe_members(&mut self) {
        if self.members.slots.is_empty() {
            return;
        }
        let now = self.clock.now();
        if self
            .members
            .last_observed
            .is_some_and(|t| now < t.saturating_add(OBSERVE_INTERVAL))
        {
            return;
        }
        self.members.last_observed = Some(now);
        let mut orphans = Vec::new();
        for (conn, link) in &self.members.slots {
            let Some(c) = self.endpoint.connection(*conn) else {
                continue;
            };
            if !link.report(MemberEvent::Observed(MemberObservation::of(c))) {
                orphans.push(*conn);
            }
        }
        for conn in orphans {
            self.members.slots.remove(&conn);
            self.feed(Input::Close { conn });
        }
    }

    /// Takes the events of group members (and the connects of listener
    /// members); returns the others.
    pub(super) fn member_event(&mut self, event: Event) -> Option<Event> {
        match event {
            Event::Connected {
                conn,
                peer,
                params,
                request,
                group,
            } => {
                let obs = self.endpoint.connection(conn).map(MemberObservation::of);
                if let Some(link) = self.members.connecting.remove(&conn) {
                    let Some(obs) = obs else {
                        link.report(MemberEvent::Failed(SrtError::TaskGone));
                        return None;
                    };
                    link.report(MemberEvent::Connected {
                        conn,
                        peer,
                        local: self.members.local,
                        weight: group.map_or(0, |g| g.weight),
                        obs,
                        ctl: self.members.tx.clone(),
                    });
                    self.members.slots.insert(conn, link);
                    return None;
                }
                let (Some(info), Some(obs)) = (group, obs) else {
                    return Some(Event::Connected {
                        conn,
                        peer,
                        params,
                        request,
                        group,
                    });
                };
                self.members.groups.retain(|_, tx| !tx.is_closed());
                let tx = match self.members.groups.get(&info.local_group_id) {
                    Some(tx) => tx.clone(),
                    None => {
                        let Some(listener) = &mut self.listener else {
                            self.feed(Input::Close { conn });
                            return None;
                        };
                        let (parts, tx) =
                            crate::group::accepted(info, &params, obs, self.clock, self.queue);
                        if listener.try_send(Ok(Incoming::Group(parts))).is_err() {
                            // Nobody takes it: its task ends with the parts.
                            self.feed(Input::Close { conn });
                            return None;
                        }
                        self.members.groups.insert(info.local_group_id, tx.clone());
                        tx
                    }
                };
                let link = MemberLink {
                    tx,
                    key: crate::group::next_member_key(),
                };
                let joined = link.report(MemberEvent::Connected {
                    conn,
                    peer,
                    local: self.members.local,
                    weight: info.weight,
                    obs,
                    ctl: self.members.tx.clone(),
                });
                if joined {
                    self.members.slots.insert(conn, link);
                } else {
                    self.feed(Input::Close { conn });
                }
                None
            }
            Event::Rejected {
                conn,
                reason,
                by_peer,
            } => match self.members.connecting.remove(&conn) {
                Some(link) => {
                    link.report(MemberEvent::Failed(SrtError::Rejected { reason, by_peer }));
                    None
                }
                None => Some(Event::Rejected {
                    conn,
                    reason,
                    by_peer,
                }),
            },
            Event::Failed { conn, reason } => match self.members.connecting.remove(&conn) {
                Some(link) => {
                    link.report(MemberEvent::Failed(SrtError::Rejected {
                        reason,
                        by_peer: false,
                    }));
                    None
                }
                None => Some(Event::Failed { conn, reason }),
            },
            Event::Message {
                conn,
                data,
                src_time,
                seq,
                delivered_at,
                msg_number,
            } => match self.members.slots.get(&conn) {
                Some(link) => {
                    link.report(MemberEvent::Message {
                        seq,
                        data,
                        src_time,
                    });
                    None
                }
                None => Some(Event::Message {
                    conn,
                    data,
                    src_time,
                    seq,
                    delivered_at,
                    msg_number,
                }),
            },
            Event::SendFailed { conn, error } => match self.members.slots.get(&conn) {
                Some(link) => {
                    link.report(MemberEvent::SendFailed);
                    None
                }
                None => Some(Event::SendFailed { conn, error }),
            },
            Event::MemberCommandFailed { conn, .. } => {
                if let Some(link) = self.members.slots.get(&conn) {
                    link.report(MemberEvent::SendFailed);
                }
                None
            }
            Event::Closed { conn, reason } => {
                if let Some(link) = self.members.connecting.remove(&conn) {
                    link.report(MemberEvent::Failed(SrtError::Closed(reason)));
                    return None;
                }
                if let Some(link) = self.members.slots.remove(&conn) {
                    link.report(MemberEvent::Closed(reason));
                    return None;
                }
                Some(Event::Closed { conn, reason })
            }
            other => Some(other),
        }
    }
}

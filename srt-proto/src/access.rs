//! Access control: what a listener asks the embedder about an incoming
//! connection, what the embedder answers, and ready-made policies.
//!
//! When a caller's CONCLUSION arrives with a valid cookie, the listener
//! builds a [`ConnectionRequest`] from it ([`ConnectionRequest::from_handshake`])
//! and asks for a [`Decision`]: accept (optionally with a passphrase and a
//! latency for this connection, as libsrt's listen callback may set them)
//! or reject with a [`RejectReason`], which travels to the caller as the
//! handshake type `1000 + code` (FORBIDDEN, 1403, as 2403).
//!
//! The decision may come from the embedder directly, or from an
//! [`AccessPolicy`]:
//! - [`AcceptAll`]: everyone in, optionally with one passphrase.
//! - [`Whitelist`]: only listed stream ids (raw, or by resource name);
//!   editable while running; others get FORBIDDEN (1403), as exlibsrt's
//!   whitelist mode answers.
//! - [`SinglePublisher`]: at most one publisher per resource; a second gets
//!   CONFLICT (1409), the code libsrt's access-control guide assigns to
//!   "`m=publish` while another client is publishing into this resource".
//! - [`UserPassphrases`]: a passphrase per user (`u` key), as libsrt's
//!   listen-callback example does; unknown users get UNAUTHORIZED (1401).
//! - [`FromFn`]: any closure.
//! - [`Chain`] ([`AccessPolicy::and_then`]): the first policy that rejects
//!   decides; options of later policies override earlier ones.
//!
//! A policy that keeps state per accepted connection ([`SinglePublisher`])
//! needs to hear when the connection ends: the endpoint calls
//! [`AccessPolicy::closed`] once for every request a policy accepted, when
//! the connection closes or fails to establish (e.g. a wrong passphrase).

use crate::crypto::{KeyLength, Passphrase};
use crate::endpoint::MemberInfo;
use crate::handshake::RequestId;
use crate::packet::Handshake;
use crate::packet::ext::{GroupExt, HandshakeExtension, SrtVersion};
use crate::packet::reject::{AccessReject, MAX_CODE, RejectReason};
use crate::streamid::{Mode, StreamId};
use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::net::SocketAddr;
use core::time::Duration;

/// An incoming connection waiting for a decision: what the caller's
/// CONCLUSION said about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionRequest {
    /// The request's id, to answer it by.
    pub id: RequestId,
    /// The caller's address.
    pub peer: SocketAddr,
    /// The caller's socket id.
    pub peer_socket_id: u32,
    /// The stream id as sent, without NUL padding; empty when none was
    /// sent.
    pub stream_id_raw: Vec<u8>,
    /// The stream id parsed ([`StreamId::parse`]); `None` when it does not
    /// parse (not UTF-8, a bad `#!::` pair, ...).
    pub stream_id: Option<StreamId>,
    /// The handshake version (5 for every SRT caller since 1.3).
    pub handshake_version: u32,
    /// The caller's SRT version, from its HSREQ.
    pub peer_srt_version: Option<SrtVersion>,
    /// The group the caller connects as a member of: its GROUP extension
    /// as sent.
    pub group: Option<GroupExt>,
    /// That membership as the listening endpoint settled it (the caller's
    /// group, our mirror group for it, type and weight); `None` without a
    /// GROUP extension, or from [`Self::from_handshake`] alone.
    pub member: Option<MemberInfo>,
    /// The key length the caller encrypts with (from its KMREQ, else from
    /// the handshake's encryption field); `None` for a caller without a
    /// passphrase.
    pub encryption: Option<KeyLength>,
}

impl ConnectionRequest {
    /// A request with stream id `stream_id` and nothing else known: a
    /// version-5 caller without HSREQ, group or encryption. For tests and
    /// for embedders that check a stream id outside a handshake.
    pub fn new(id: RequestId, peer: SocketAddr, stream_id: &[u8]) -> Self {
        Self {
            id,
            peer,
            peer_socket_id: 0,
            stream_id_raw: stream_id.to_vec(),
            stream_id: StreamId::parse(stream_id).ok(),
            handshake_version: 5,
            peer_srt_version: None,
            group: None,
            member: None,
            encryption: None,
        }
    }

    /// The same request with its group membership settled.
    pub fn with_member(mut self, member: Option<MemberInfo>) -> Self {
        self.member = member;
        self
    }

    /// The request a caller's CONCLUSION `hs`, from `peer`, makes.
    pub fn from_handshake(id: RequestId, peer: SocketAddr, hs: &Handshake) -> Self {
        let raw = hs
            .find_extension(|e| match e {
                HandshakeExtension::StreamId(s) => Some(s.as_bytes()),
                _ => None,
            })
            .unwrap_or_default();
        let km_key_len = hs.find_extension(|e| match e {
            HandshakeExtension::KmReq(km) => KeyLength::from_bytes(km.key_len().bytes()),
            _ => None,
        });
        Self {
            id,
            peer,
            peer_socket_id: hs.socket_id,
            stream_id_raw: raw.to_vec(),
            stream_id: StreamId::parse(raw).ok(),
            handshake_version: hs.version,
            peer_srt_version: hs.find_extension(|e| match e {
                HandshakeExtension::HsReq(h) => Some(h.version),
                _ => None,
            }),
            group: hs.find_extension(|e| match e {
                HandshakeExtension::Group(g) => Some(*g),
                _ => None,
            }),
            member: None,
            encryption: km_key_len
                .or_else(|| hs.encryption.key_len().and_then(KeyLength::from_bytes)),
        }
    }

    /// The resource the stream id names ([`StreamId::resource`]).
    pub fn resource(&self) -> Option<&str> {
        self.stream_id.as_ref().and_then(StreamId::resource)
    }

    /// The mode the stream id asks for ([`StreamId::mode`]);
    /// [`Mode::Request`] when the stream id does not parse.
    pub fn mode(&self) -> Mode {
        self.stream_id
            .as_ref()
            .map_or(Mode::Request, StreamId::mode)
    }
}

/// Settings for one accepted connection that override the listener's.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct AcceptOptions {
    /// The passphrase this connection must use (libsrt: `SRTO_PASSPHRASE`
    /// set in the listen callback). A caller with another one is then
    /// rejected with BADSECRET by the handshake.
    pub passphrase: Option<Passphrase>,
    /// The latency for this connection.
    pub latency: Option<Duration>,
}

impl AcceptOptions {
    /// No overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// With this passphrase.
    pub fn with_passphrase(mut self, passphrase: Passphrase) -> Self {
        self.passphrase = Some(passphrase);
        self
    }

    /// With this latency.
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = Some(latency);
        self
    }

    /// These options, overridden by whatever `later` sets.
    pub fn merge(self, later: Self) -> Self {
        Self {
            passphrase: later.passphrase.or(self.passphrase),
            latency: later.latency.or(self.latency),
        }
    }
}

/// The answer to a [`ConnectionRequest`].
#[derive(Debug, Clone)]
pub enum Decision {
    /// Let the connection in, with these settings.
    Accept(AcceptOptions),
    /// Turn it away; the caller learns the reason.
    Reject(RejectReason),
}

impl Decision {
    /// Accept with the listener's settings.
    pub fn accept() -> Self {
        Self::Accept(AcceptOptions::default())
    }

    /// Reject with `reason`.
    pub fn reject(reason: RejectReason) -> Self {
        Self::Reject(reason)
    }

    /// Reject with a predefined access-control code (`SRT_REJX_*`).
    pub fn reject_access(code: AccessReject) -> Self {
        Self::Reject(RejectReason::Access(code))
    }

    /// Reject with `SRT_REJX_FORBIDDEN` (1403; handshake type 2403).
    pub fn reject_forbidden() -> Self {
        Self::reject_access(AccessReject::Forbidden)
    }

    /// Reject with an application code (`SRT_REJC_USERDEFINED` and up);
    /// `None` unless `2000 <= code <=` [`MAX_CODE`].
    pub fn reject_user(code: u32) -> Option<Self> {
        (2000..=MAX_CODE)
            .contains(&code)
            .then_some(Self::Reject(RejectReason::User(code)))
    }

    /// Whether this accepts.
    pub fn is_accept(&self) -> bool {
        matches!(self, Self::Accept(_))
    }

    /// The reason, if this rejects.
    pub fn reject_reason(&self) -> Option<RejectReason> {
        match self {
            Self::Accept(_) => None,
            Self::Reject(reason) => Some(*reason),
        }
    }
}

/// Decides on incoming connections.
pub trait AccessPolicy {
    /// The decision for `req`.
    fn decide(&mut self, req: &ConnectionRequest) -> Decision;

    /// The connection this policy accepted as `id` has ended, or failed to
    /// establish. Policies that hold state per connection release it here;
    /// the default does nothing.
    fn closed(&mut self, id: RequestId) {
        let _ = id;
    }

    /// This policy, then `next`: see [`Chain`].
    fn and_then<P: AccessPolicy>(self, next: P) -> Chain<Self, P>
    where
        Self: Sized,
    {
        Chain {
            first: self,
            second: next,
        }
    }
}

impl<P: AccessPolicy + ?Sized> AccessPolicy for Box<P> {
    fn decide(&mut self, req: &ConnectionRequest) -> Decision {
        (**self).decide(req)
    }

    fn closed(&mut self, id: RequestId) {
        (**self).closed(id);
    }
}

impl<P: AccessPolicy + ?Sized> AccessPolicy for &mut P {
    fn decide(&mut self, req: &ConnectionRequest) -> Decision {
        (**self).decide(req)
    }

    fn closed(&mut self, id: RequestId) {
        (**self).closed(id);
    }
}

/// A policy from a closure ([`from_fn`]).
#[derive(Debug, Clone)]
pub struct FromFn<F>(pub F);

/// A policy that calls `f` for every request.
pub fn from_fn<F: FnMut(&ConnectionRequest) -> Decision>(f: F) -> FromFn<F> {
    FromFn(f)
}

impl<F: FnMut(&ConnectionRequest) -> Decision> AccessPolicy for FromFn<F> {
    fn decide(&mut self, req: &ConnectionRequest) -> Decision {
        (self.0)(req)
    }
}

/// Two policies in a row. The first decides; if it accepts, the second
/// decides. A rejection from either is the answer (and when the second
/// rejects, the first hears [`AccessPolicy::closed`], so it can release
/// what it reserved). When both accept, options the second sets override
/// the first's ([`AcceptOptions::merge`]).
#[derive(Debug, Clone)]
pub struct Chain<A, B> {
    first: A,
    second: B,
}

impl<A, B> Chain<A, B> {
    /// The first policy.
    pub fn first(&self) -> &A {
        &self.first
    }

    /// The first policy, to change it while running.
    pub fn first_mut(&mut self) -> &mut A {
        &mut self.first
    }

    /// The second policy.
    pub fn second(&self) -> &B {
        &self.second
    }

    /// The second policy, to change it while running.
    pub fn second_mut(&mut self) -> &mut B {
        &mut self.second
    }
}

impl<A: AccessPolicy, B: AccessPolicy> AccessPolicy for Chain<A, B> {
    fn decide(&mut self, req: &ConnectionRequest) -> Decision {
        let earlier = match self.first.decide(req) {
            Decision::Accept(options) => options,
            reject @ Decision::Reject(_) => return reject,
        };
        match self.second.decide(req) {
            Decision::Accept(later) => Decision::Accept(earlier.merge(later)),
            reject @ Decision::Reject(_) => {
                self.first.closed(req.id);
                reject
            }
        }
    }

    fn closed(&mut self, id: RequestId) {
        self.first.closed(id);
        self.second.closed(id);
    }
}

/// Accepts every request, with the same options for all.
#[derive(Debug, Clone, Default)]
pub struct AcceptAll {
    options: AcceptOptions,
}

impl AcceptAll {
    /// Accepts with the listener's settings.
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts with `options` for every connection (e.g. one passphrase).
    pub fn with_options(options: AcceptOptions) -> Self {
        Self { options }
    }
}

impl AccessPolicy for AcceptAll {
    fn decide(&mut self, _req: &ConnectionRequest) -> Decision {
        Decision::Accept(self.options.clone())
    }
}

/// What a [`Whitelist`] compares its entries with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOn {
    /// The stream id exactly as sent
    /// ([`ConnectionRequest::stream_id_raw`]), as exlibsrt's whitelist
    /// does: `#!::r=a,m=publish` and `#!::m=publish,r=a` are different.
    RawStreamId,
    /// The resource name ([`ConnectionRequest::resource`]: `r` of a keyed
    /// stream id, or the whole plain one). A stream id that does not parse
    /// is rejected with BAD_REQUEST (1400).
    Resource,
}

/// Accepts only requests whose stream id (or resource) is listed; others
/// get FORBIDDEN (1403). The list can change while the listener runs.
#[derive(Debug, Clone)]
pub struct Whitelist {
    on: MatchOn,
    entries: BTreeSet<Vec<u8>>,
}

impl Whitelist {
    /// An empty list (which rejects everyone) matching on `on`.
    pub fn new(on: MatchOn) -> Self {
        Self {
            on,
            entries: BTreeSet::new(),
        }
    }

    /// An empty list of raw stream ids.
    pub fn raw() -> Self {
        Self::new(MatchOn::RawStreamId)
    }

    /// An empty list of resource names.
    pub fn by_resource() -> Self {
        Self::new(MatchOn::Resource)
    }

    /// This list with `entries` added.
    pub fn with<I, E>(mut self, entries: I) -> Self
    where
        I: IntoIterator<Item = E>,
        E: AsRef<[u8]>,
    {
        for entry in entries {
            self.insert(entry);
        }
        self
    }

    /// What entries are compared with.
    pub fn match_on(&self) -> MatchOn {
        self.on
    }

    /// Adds `entry`; `false` if it was listed already.
    pub fn insert(&mut self, entry: impl AsRef<[u8]>) -> bool {
        self.entries.insert(entry.as_ref().to_vec())
    }

    /// Removes `entry`; `false` if it was not listed. Connections already
    /// accepted stay.
    pub fn remove(&mut self, entry: impl AsRef<[u8]>) -> bool {
        self.entries.remove(entry.as_ref())
    }

    /// Whether `entry` is listed.
    pub fn contains(&self, entry: impl AsRef<[u8]>) -> bool {
        self.entries.contains(entry.as_ref())
    }

    /// How many entries are listed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl AccessPolicy for Whitelist {
    fn decide(&mut self, req: &ConnectionRequest) -> Decision {
        let listed = match self.on {
            MatchOn::RawStreamId => self.contains(&req.stream_id_raw),
            MatchOn::Resource => match &req.stream_id {
                None => return Decision::reject_access(AccessReject::BadRequest),
                Some(id) => id.resource().is_some_and(|r| self.contains(r)),
            },
        };
        if listed {
            Decision::accept()
        } else {
            Decision::reject_forbidden()
        }
    }
}

/// At most one publisher per resource.
///
/// A request whose stream id asks for `m=publish` or `m=bidirectional`
/// reserves its resource ([`ConnectionRequest::resource`]; the empty name
/// when there is none). While it is reserved, another such request for it
/// gets CONFLICT (1409). Readers (`m=request`, plain stream ids) are not
/// limited. The host (`h`) is not part of the key: chain one policy per
/// host if resources are per host.
///
/// The reservation ends with [`AccessPolicy::closed`] for the publisher's
/// request, or with [`SinglePublisher::release`].
#[derive(Debug, Clone, Default)]
pub struct SinglePublisher {
    publishers: BTreeMap<String, RequestId>,
}

impl SinglePublisher {
    /// No resource reserved.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ends the reservation of `resource`; the request that held it, if
    /// any.
    pub fn release(&mut self, resource: &str) -> Option<RequestId> {
        self.publishers.remove(resource)
    }

    /// The request publishing to `resource`, if any.
    pub fn publisher(&self, resource: &str) -> Option<RequestId> {
        self.publishers.get(resource).copied()
    }

    /// How many resources are reserved.
    pub fn len(&self) -> usize {
        self.publishers.len()
    }

    /// Whether no resource is reserved.
    pub fn is_empty(&self) -> bool {
        self.publishers.is_empty()
    }
}

impl AccessPolicy for SinglePublisher {
    fn decide(&mut self, req: &ConnectionRequest) -> Decision {
        if !matches!(req.mode(), Mode::Publish | Mode::Bidirectional) {
            return Decision::accept();
        }
        let resource = req.resource().unwrap_or_default();
        match self.publishers.get(resource) {
            Some(holder) if *holder != req.id => Decision::reject_access(AccessReject::Conflict),
            Some(_) => Decision::accept(),
            None => {
                self.publishers.insert(resource.to_string(), req.id);
                Decision::accept()
            }
        }
    }

    fn closed(&mut self, id: RequestId) {
        self.publishers.retain(|_, holder| *holder != id);
    }
}

/// A passphrase per user: the stream id's `u` key picks the passphrase
/// the connection must use (libsrt's listen-callback example). A request
/// without a known user gets UNAUTHORIZED (1401); a known user with the
/// wrong passphrase is then rejected by the handshake with BADSECRET.
#[derive(Debug, Clone, Default)]
pub struct UserPassphrases {
    users: BTreeMap<String, Passphrase>,
}

impl UserPassphrases {
    /// No users: everyone is rejected.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `user`'s passphrase; the previous one, if any.
    pub fn insert(&mut self, user: &str, passphrase: Passphrase) -> Option<Passphrase> {
        self.users.insert(user.to_string(), passphrase)
    }

    /// Removes `user`; whether it was known.
    pub fn remove(&mut self, user: &str) -> bool {
        self.users.remove(user).is_some()
    }

    /// Whether `user` is known.
    pub fn contains(&self, user: &str) -> bool {
        self.users.contains_key(user)
    }
}

impl AccessPolicy for UserPassphrases {
    fn decide(&mut self, req: &ConnectionRequest) -> Decision {
        let user = req.stream_id.as_ref().and_then(StreamId::user);
        match user.and_then(|u| self.users.get(u)) {
            Some(passphrase) => {
                Decision::Accept(AcceptOptions::new().with_passphrase(passphrase.clone()))
            }
            None => Decision::reject_access(AccessReject::Unauthorized),
        }
    }
}

#[cfg(test)]
mod tests;

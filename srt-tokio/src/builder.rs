//! [`SrtSocketBuilder`]: libsrt's socket options, then call, listen or
//! rendezvous.
//!
//! The options map onto [`HandshakeConfig`] (what the handshake
//! negotiates) and [`ConnectionOptions`] (each connection's local knobs);
//! nothing here depends on the runtime.

use crate::driver::udp::UdpBuffers;
use crate::error::SrtError;
use crate::{SrtListener, SrtSocket, driver};
use srt_proto::access::AccessPolicy;
use srt_proto::connection::{ConnectionOptions, MaxBandwidth};
use srt_proto::crypto::{KeyLength, Passphrase};
use srt_proto::handshake::{Congestion, CryptoMode, EncryptionConfig, HandshakeConfig};
use srt_proto::packet::ext::ConfigString;
use srt_proto::{AccessControl, EndpointConfig, ListenConfig};
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// libsrt's `SRTO_TRANSTYPE`: a preset of several options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransType {
    /// `live` (default): message API, live congestion control, TSBPD,
    /// too-late drop, periodic NAK reports.
    Live,
    /// `file`: stream API, file congestion control, no too-late drop, no
    /// periodic NAK reports, 180 s linger.
    File,
}

/// Options for an SRT socket, named after libsrt's `SRTO_*` options.
/// [`Default`] gives libsrt 1.5's live-mode defaults.
pub struct SrtSocketBuilder {
    handshake: HandshakeConfig,
    options: ConnectionOptions,
    passphrase: Option<Vec<u8>>,
    key_len: Option<KeyLength>,
    crypto_mode: CryptoMode,
    stream_id: Option<Vec<u8>>,
    access: Option<AccessControl>,
    backlog: usize,
    max_connections: usize,
    queue: usize,
    udp_buffers: UdpBuffers,
    group_connect: bool,
    group_stability_timeout: Option<Duration>,
}

impl fmt::Debug for SrtSocketBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrtSocketBuilder")
            .field("handshake", &self.handshake)
            .field("passphrase", &self.passphrase.as_ref().map(|_| "<secret>"))
            .field("key_len", &self.key_len)
            .field("crypto_mode", &self.crypto_mode)
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}

impl Default for SrtSocketBuilder {
    fn default() -> Self {
        Self {
            handshake: HandshakeConfig::default(),
            options: ConnectionOptions::default(),
            passphrase: None,
            key_len: None,
            crypto_mode: CryptoMode::Auto,
            stream_id: None,
            access: None,
            backlog: 64,
            max_connections: 1024,
            queue: 1024,
            udp_buffers: UdpBuffers::default(),
            group_connect: false,
            group_stability_timeout: None,
        }
    }
}

impl SrtSocketBuilder {
    /// `SRTO_LATENCY`: both the receive latency and the latency asked of
    /// the peer.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.handshake.receive_latency = latency;
        self.handshake.peer_latency = latency;
        self
    }

    /// `SRTO_RCVLATENCY`: the TSBPD latency our receiver wants.
    pub fn receive_latency(mut self, latency: Duration) -> Self {
        self.handshake.receive_latency = latency;
        self
    }

    /// `SRTO_PEERLATENCY`: the TSBPD latency asked of the peer's receiver.
    pub fn peer_latency(mut self, latency: Duration) -> Self {
        self.handshake.peer_latency = latency;
        self
    }

    /// `SRTO_PASSPHRASE`: encrypt with this secret (10 to 80 bytes,
    /// checked when the socket opens).
    pub fn passphrase(mut self, passphrase: impl AsRef<[u8]>) -> Self {
        self.passphrase = Some(passphrase.as_ref().to_vec());
        self
    }

    /// `SRTO_PBKEYLEN`: the AES key length (default: negotiated, AES-128
    /// when neither side sets one).
    pub fn key_length(mut self, key_len: KeyLength) -> Self {
        self.key_len = Some(key_len);
        self
    }

    /// `SRTO_CRYPTOMODE`: AES-CTR, AES-GCM, or auto (default).
    pub fn crypto_mode(mut self, mode: CryptoMode) -> Self {
        self.crypto_mode = mode;
        self
    }

    /// `SRTO_ENFORCEDENCRYPTION` (default true): refuse a peer whose
    /// encryption doesn't match ours.
    pub fn enforced_encryption(mut self, on: bool) -> Self {
        self.handshake.enforced_encryption = on;
        self
    }

    /// `SRTO_STREAMID`: the stream id a caller sends (at most 512 bytes,
    /// checked when the socket opens).
    pub fn stream_id(mut self, stream_id: impl AsRef<[u8]>) -> Self {
        self.stream_id = Some(stream_id.as_ref().to_vec());
        self
    }

    /// `SRTO_MAXBW`: the sender's bandwidth limit.
    pub fn max_bandwidth(mut self, max_bw: MaxBandwidth) -> Self {
        self.options.max_bw = max_bw;
        self
    }

    /// `SRTO_INPUTBW`: the input rate, bytes per second (0: measured).
    pub fn input_bandwidth(mut self, bytes_per_second: u64) -> Self {
        self.options.input_bw = bytes_per_second;
        self
    }

    /// `SRTO_OHEADBW`: percent of the input rate added for retransmissions.
    pub fn overhead_bandwidth(mut self, percent: u32) -> Self {
        self.options.overhead_bw_percent = percent;
        self
    }

    /// `SRTO_MSS`: maximum segment size, bytes (default 1500).
    pub fn mss(mut self, mss: u32) -> Self {
        self.handshake.mss = mss;
        self
    }

    /// `SRTO_FC`: flow window, packets (default 8192).
    pub fn flow_window(mut self, packets: u32) -> Self {
        self.handshake.flow_window = packets;
        self
    }

    /// `SRTO_SNDBUF`: send buffer capacity, packets.
    pub fn send_buffer(mut self, packets: u32) -> Self {
        self.options.send_buffer_packets = packets;
        self
    }

    /// `SRTO_RCVBUF`: receive buffer capacity, packets.
    pub fn receive_buffer(mut self, packets: u32) -> Self {
        self.options.recv_buffer_packets = packets;
        self
    }

    /// `SRTO_UDP_RCVBUF`: the UDP socket's kernel receive buffer
    /// (`SO_RCVBUF`), bytes (default 12 288 000, 8192 packets of 1500
    /// bytes, as libsrt). Linux grants at most `net.core.rmem_max`.
    pub fn udp_receive_buffer(mut self, bytes: usize) -> Self {
        self.udp_buffers.receive = bytes;
        self
    }

    /// `SRTO_UDP_SNDBUF`: the UDP socket's kernel send buffer
    /// (`SO_SNDBUF`), bytes (default 1 MiB: a timer tick's worth of paced
    /// packets leaves at once). Linux grants at most `net.core.wmem_max`.
    pub fn udp_send_buffer(mut self, bytes: usize) -> Self {
        self.udp_buffers.send = bytes;
        self
    }

    /// `SRTO_LINGER`: how long a graceful close waits for the send buffer
    /// to drain (default: 0 in live mode, 180 s in file mode).
    pub fn linger(mut self, linger: Duration) -> Self {
        self.options.linger = Some(linger);
        self
    }

    /// `SRTO_PEERIDLETIMEO`: close after this long without a packet from
    /// the peer (default 5 s).
    pub fn peer_idle_timeout(mut self, timeout: Duration) -> Self {
        self.options.peer_idle_timeout = timeout;
        self
    }

    /// `SRTO_CONNTIMEO`: how long a caller tries (default 3 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.handshake.connect_timeout = timeout;
        self
    }

    /// `SRTO_TRANSTYPE`: the live or file preset.
    pub fn transtype(mut self, transtype: TransType) -> Self {
        let live = transtype == TransType::Live;
        self.handshake.congestion = if live {
            Congestion::Live
        } else {
            Congestion::File
        };
        self.handshake.message_api = live;
        self.handshake.tlpktdrop = live;
        self.handshake.nak_report = live;
        self
    }

    /// `SRTO_MESSAGEAPI`: message boundaries kept (default true in live
    /// mode).
    pub fn message_api(mut self, on: bool) -> Self {
        self.handshake.message_api = on;
        self
    }

    /// `SRTO_TLPKTDROP`: drop packets too late to play.
    pub fn too_late_drop(mut self, on: bool) -> Self {
        self.handshake.tlpktdrop = on;
        self
    }

    /// `SRTO_NAKREPORT`: periodic NAK reports.
    pub fn nak_report(mut self, on: bool) -> Self {
        self.handshake.nak_report = on;
        self
    }

    /// `SRTO_DRIFTTRACER`: clock drift tracking.
    pub fn drift_tracer(mut self, on: bool) -> Self {
        self.handshake.drift_tracer = on;
        self
    }

    /// `SRTO_CONGESTION`: the congestion controller.
    pub fn congestion(mut self, congestion: Congestion) -> Self {
        self.handshake.congestion = congestion;
        self
    }

    /// The listener's access control: a policy (e.g.
    /// [`srt_proto::access::Whitelist`]) that accepts or rejects each
    /// caller. Without one every caller that negotiates is accepted. The
    /// policy can be edited while listening
    /// ([`SrtListener::with_policy`]).
    pub fn access_policy(mut self, policy: impl AccessPolicy + Send + 'static) -> Self {
        self.access = Some(AccessControl::Policy(Box::new(policy)));
        self
    }

    /// The listener's backlog: requests waiting for a decision (default 64).
    pub fn backlog(mut self, backlog: usize) -> Self {
        self.backlog = backlog;
        self
    }

    /// The most connections (and handshakes) one socket carries (default
    /// 1024).
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }

    /// How many received messages wait for the application per
    /// connection, and how many accepted connections wait for
    /// [`SrtListener`]'s consumer (default 1024). A message that finds the
    /// queue full is dropped (live mode: a reader too slow to keep up loses
    /// data rather than stalling every connection on the socket); a
    /// connection that finds the accept queue full is closed (the caller
    /// sees SHUTDOWN).
    pub fn queue(mut self, capacity: usize) -> Self {
        self.queue = capacity.max(1);
        self
    }

    /// `SRTO_GROUPCONNECT` (default false): the listener accepts grouped
    /// callers (socket groups), handing each peer group out as one
    /// [`SrtGroup`](crate::SrtGroup) from
    /// [`SrtListener::accept`](crate::SrtListener::accept). Without it a
    /// grouped caller is refused (libsrt's GROUP rejection).
    pub fn group_connect(mut self, on: bool) -> Self {
        self.group_connect = on;
        self
    }

    /// `SRTO_GROUPMINSTABLETIMEO`: the least silence that makes an active
    /// backup member unstable (default 60 ms, libsrt's).
    pub fn group_stability_timeout(mut self, timeout: Duration) -> Self {
        self.group_stability_timeout = Some(timeout);
        self
    }

    /// Connects a socket group of `group_type` to each of `members` (a
    /// path with a weight, an optional local address and token) with
    /// these options, and returns once one member is connected; the others
    /// join as they connect (libsrt's `srt_connect_group`). Fails with the
    /// last member's error if none connects. See [`crate::group`].
    pub async fn call_group(
        self,
        group_type: crate::GroupType,
        members: impl IntoIterator<Item = crate::GroupMember>,
    ) -> Result<crate::SrtGroup, SrtError> {
        let config = self.handshake_config()?;
        let group = crate::SrtGroup::caller(
            group_type,
            config,
            self.endpoint_config(),
            self.queue,
            self.udp_buffers,
            self.group_stability_timeout,
        )?;
        crate::group::call(group, members.into_iter().collect()).await
    }

    /// The handshake configuration these options make.
    pub fn handshake_config(&self) -> Result<HandshakeConfig, SrtError> {
        let mut config = self.handshake.clone();
        if let Some(secret) = &self.passphrase {
            let passphrase = Passphrase::new(secret).map_err(SrtError::Passphrase)?;
            config.encryption = Some(EncryptionConfig {
                passphrase,
                key_len: self.key_len,
                mode: self.crypto_mode,
            });
        }
        if let Some(id) = &self.stream_id {
            let id =
                ConfigString::new(id).map_err(|_| SrtError::StreamIdTooLong { len: id.len() })?;
            config.stream_id = Some(id);
        }
        Ok(config)
    }

    /// The endpoint configuration these options make.
    pub fn endpoint_config(&self) -> EndpointConfig {
        EndpointConfig {
            max_connections: self.max_connections,
            connection_options: self.options.clone(),
        }
    }

    /// Calls the listener at `remote` from an ephemeral local port.
    pub async fn call(self, remote: SocketAddr) -> Result<SrtSocket, SrtError> {
        let local: SocketAddr = if remote.is_ipv4() {
            (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        self.call_from(local, remote).await
    }

    /// Calls the listener at `remote` from `local`.
    pub async fn call_from(
        self,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> Result<SrtSocket, SrtError> {
        let config = self.handshake_config()?;
        let handle =
            driver::spawn(local, self.endpoint_config(), self.queue, self.udp_buffers).await?;
        handle.connect(remote, config, false).await
    }

    /// Rendezvous with `remote` from `local` (both sides connect to each
    /// other; the handshake decides the roles).
    pub async fn rendezvous(
        self,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> Result<SrtSocket, SrtError> {
        let config = self.handshake_config()?;
        let handle =
            driver::spawn(local, self.endpoint_config(), self.queue, self.udp_buffers).await?;
        handle.connect(remote, config, true).await
    }

    /// Listens on `local`.
    pub async fn listen(mut self, local: SocketAddr) -> Result<SrtListener, SrtError> {
        let mut listen = ListenConfig::new(self.handshake_config()?)
            .with_backlog(self.backlog)
            .with_group_connect(self.group_connect);
        if let Some(access) = self.access.take() {
            listen = listen.with_access(access);
        }
        let handle =
            driver::spawn(local, self.endpoint_config(), self.queue, self.udp_buffers).await?;
        handle.listen(listen, self.queue).await
    }
}

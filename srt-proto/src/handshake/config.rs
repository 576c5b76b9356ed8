//! Everything the handshake negotiates, as one side configures it
//! (libsrt's `SRTO_*` socket options that travel in the handshake).

use crate::crypto::{KeyLength, Passphrase};
use crate::packet::ext::{ConfigString, GroupExt, SrtVersion};
use crate::seq::SeqNumber;
use crate::time::Instant;
use core::fmt;
use core::time::Duration;

/// The SRT version this crate speaks in HSREQ/HSRSP: 1.5.4, the first
/// libsrt release with the AES-GCM layout we emit.
pub const OUR_SRT_VERSION: SrtVersion = SrtVersion::new(1, 5, 4);

/// The congestion controller (`SRTO_CONGESTION`), carried in the
/// CONGESTION extension when it is not `live`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Congestion {
    /// `live`: pacing at the configured rate, latency-bound delivery.
    #[default]
    Live,
    /// `file`: window-based, everything delivered.
    File,
}

impl Congestion {
    /// The name on the wire.
    pub const fn name(self) -> &'static str {
        match self {
            Congestion::Live => "live",
            Congestion::File => "file",
        }
    }

    /// The controller a CONGESTION extension names, if we know it.
    pub fn from_name(name: &[u8]) -> Option<Self> {
        match name {
            b"live" => Some(Congestion::Live),
            b"file" => Some(Congestion::File),
            _ => None,
        }
    }
}

/// Which payload cipher to use (`SRTO_CRYPTOMODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CryptoMode {
    /// As initiator, AES-CTR; as responder, whatever the initiator chose
    /// (libsrt's `0`, auto).
    #[default]
    Auto,
    /// AES-CTR only.
    Ctr,
    /// AES-GCM only (libsrt 1.5.2 and later peers).
    Gcm,
}

/// Encryption settings: a passphrase and how to use it.
#[derive(Clone)]
pub struct EncryptionConfig {
    /// The shared secret (`SRTO_PASSPHRASE`).
    pub passphrase: Passphrase,
    /// The key length (`SRTO_PBKEYLEN`); `None` is libsrt's 0: as caller,
    /// take the listener's advertised length (AES-128 if it advertises
    /// none); as responder, take the initiator's.
    pub key_len: Option<KeyLength>,
    /// The cipher.
    pub mode: CryptoMode,
}

impl fmt::Debug for EncryptionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionConfig")
            .field("passphrase", &"<secret>")
            .field("key_len", &self.key_len)
            .field("mode", &self.mode)
            .finish()
    }
}

/// Where a group member's sender starts: the group's shared sequence
/// space and time base (see [`HandshakeConfig::group_sync`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GroupSync {
    /// The sequence number of the member's first packet: the group's next
    /// one. It travels as the handshake's initial sequence number.
    pub initial_seq: SeqNumber,
    /// The member's time zero: its packet timestamps (handshake and data)
    /// count from here, the group's start. Not after the connect starts.
    pub start_time: Instant,
}

/// One side's handshake options. [`Default`] gives libsrt 1.5's defaults
/// for live mode.
#[derive(Debug, Clone)]
pub struct HandshakeConfig {
    /// The SRT version we announce ([`OUR_SRT_VERSION`]).
    pub srt_version: SrtVersion,
    /// The oldest peer version we accept (`SRTO_MINVERSION`, default
    /// 1.0.0: any SRT peer); older ones are rejected with VERSION.
    pub min_peer_version: SrtVersion,
    /// The TSBPD latency our receiver wants (`SRTO_RCVLATENCY`, 120 ms).
    /// The latency in effect is the larger of this and what the peer's
    /// sender asks for.
    pub receive_latency: Duration,
    /// The TSBPD latency we ask the peer's receiver to use
    /// (`SRTO_PEERLATENCY`; 120 ms here, as `SRTO_LATENCY` sets both).
    pub peer_latency: Duration,
    /// Maximum segment size, bytes (`SRTO_MSS`, 1500); the smaller of the
    /// two sides' is used.
    pub mss: u32,
    /// Flow window, packets (`SRTO_FC`, 8192); the smaller is used.
    pub flow_window: u32,
    /// The stream id a caller sends (`SRTO_STREAMID`, at most 512 bytes).
    pub stream_id: Option<ConfigString>,
    /// The congestion controller; both sides must agree.
    pub congestion: Congestion,
    /// Message API (`SRTO_MESSAGEAPI`, true in live mode) or stream API;
    /// both sides must agree.
    pub message_api: bool,
    /// Encryption, if a passphrase is set.
    pub encryption: Option<EncryptionConfig>,
    /// Reject a peer whose encryption doesn't match ours
    /// (`SRTO_ENFORCEDENCRYPTION`, true).
    pub enforced_encryption: bool,
    /// Drop packets too late to play (`SRTO_TLPKTDROP`, true in live mode).
    pub tlpktdrop: bool,
    /// Periodic NAK reports (`SRTO_NAKREPORT`, true in live mode).
    pub nak_report: bool,
    /// Clock drift tracking (`SRTO_DRIFTTRACER`, true). Local only: not
    /// negotiated, carried into [`super::Negotiated`] for the connection.
    pub drift_tracer: bool,
    /// Packet filter configuration (`SRTO_PACKETFILTER`, none).
    pub packet_filter: Option<ConfigString>,
    /// Group membership sent in the GROUP extension (none): our group's
    /// id (libsrt's group-id bit 30 set), its type, flags (0: libsrt 1.5
    /// refuses `SRT_GFLAG_SYNCONMSG`) and this member's weight. A caller
    /// only: the listener answers with its own group's id, and
    /// [`crate::Endpoint`] refuses a rendezvous with a group (libsrt has no
    /// group rendezvous either).
    pub group: Option<GroupExt>,
    /// For a member joining a running group: our initial sequence number
    /// and our sender's time zero, taken from the group so that every
    /// member stamps a message with the same sequence number and
    /// timestamp (libsrt's `srt_connect_group` passes the group's next
    /// sequence number as the ISN, and `synchronizeWithGroup` gives the
    /// socket the group's start time). `None`: a random ISN and the time
    /// the connect starts.
    pub group_sync: Option<GroupSync>,
    /// How long a caller tries before giving up (`SRTO_CONNTIMEO`, 3 s).
    pub connect_timeout: Duration,
    /// How often an unanswered handshake is sent again (libsrt: 250 ms).
    pub retransmit_interval: Duration,
}

impl Default for HandshakeConfig {
    fn default() -> Self {
        Self {
            srt_version: OUR_SRT_VERSION,
            min_peer_version: SrtVersion::new(1, 0, 0),
            receive_latency: Duration::from_millis(120),
            peer_latency: Duration::from_millis(120),
            mss: 1500,
            flow_window: 8192,
            stream_id: None,
            congestion: Congestion::Live,
            message_api: true,
            encryption: None,
            enforced_encryption: true,
            tlpktdrop: true,
            nak_report: true,
            drift_tracer: true,
            packet_filter: None,
            group: None,
            group_sync: None,
            connect_timeout: Duration::from_secs(3),
            retransmit_interval: Duration::from_millis(250),
        }
    }
}

impl HandshakeConfig {
    /// The same configuration with encryption by `passphrase`, key length
    /// and cipher left to negotiation.
    pub fn with_passphrase(mut self, passphrase: Passphrase) -> Self {
        self.encryption = Some(EncryptionConfig {
            passphrase,
            key_len: None,
            mode: CryptoMode::Auto,
        });
        self
    }

    /// The same configuration with a stream id.
    pub fn with_stream_id(mut self, stream_id: ConfigString) -> Self {
        self.stream_id = Some(stream_id);
        self
    }

    /// The key length we advertise in the handshake's encryption field:
    /// the configured one, if encryption is on.
    pub fn advertised_key_len(&self) -> Option<KeyLength> {
        self.encryption.as_ref().and_then(|e| e.key_len)
    }
}

//! The logic of `srt-transmit`: its arguments, the media it reads and
//! writes, and the relay loop. Kept apart from `main` so the tests can run
//! it in-process (`tests/srt_transmit.rs` includes this file).

use std::fmt;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{FutureExt, SinkExt, StreamExt};
use srt_tokio::proto::connection::{MaxBandwidth, Stats};
use srt_tokio::proto::crypto::KeyLength;
use srt_tokio::proto::handshake::{Congestion as ProtoCongestion, CryptoMode};
use srt_tokio::proto::packet::reject::RejectReason;
use srt_tokio::uri::{
    Congestion, FileUri, GroupUri, GroupUriType, Mode, SrtOptions, SrtUri, TransType, UdpUri, Uri,
};
use srt_tokio::{
    Accepted, GroupMember, GroupType, SrtError, SrtGroup, SrtSocket, SrtSocketBuilder,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UdpSocket;

mod udp;

/// Messages one read hands to the output at most.
const MAX_BATCH: usize = 64;

/// The size of one live-mode message read from a stream input (seven
/// MPEG-TS packets, as `srt-live-transmit` uses).
pub const LIVE_CHUNK: usize = 1316;

/// The payload of one SRT packet at the default MSS (1500 - 44).
const PACKET_PAYLOAD: u32 = 1456;

/// The usage text.
pub const USAGE: &str = "\
usage: srt-transmit [options] INPUT-URI OUTPUT-URI

Relays a live stream between SRT, UDP and the console, like libsrt's
srt-live-transmit. URIs:
  srt://HOST:PORT?mode=caller|listener|rendezvous&latency=MS&passphrase=..
        &pbkeylen=16|24|32&streamid=..&maxbw=BYTES/S&... (libsrt's names)
  udp://HOST:PORT   input: bind and read datagrams; output: send to it
        ?adapter=IP&rcvbuf=BYTES&sndbuf=BYTES (SO_RCVBUF, SO_SNDBUF)
  file://con        standard input / standard output
  srt:////group?type=broadcast|backup&nodes=HOST:PORT,HOST:PORT&latency=..
  srt://*?type=broadcast|backup&latency=.. HOST:PORT[?weight=N] ...
                    a socket group (libsrt srt-test-live's forms): one
                    member per node, the options shared; the receiving
                    side listens with srt://:PORT?groupconnect=1

options (`-x N` or `-x:N`):
  -s, -stats, -stats-report-frequency N
                    print the SRT statistics every N packets
  -pf, -statspf json|csv|default
                    the format of the statistics (default: text)
  -t, -timeout N    stop after N seconds (0: never)
  -c, -chunk N      bytes per message read from file://con (default 1316)
  -v, -verbose      report connections and the end of the stream
  -q, -quiet        only errors
  -a, -autoreconnect no
                    accepted for compatibility (there is no reconnect)
  -h, -help         this text

Statistics and messages go to standard error.";

/// How statistics are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsFormat {
    /// One readable line.
    Text,
    /// One JSON object per line.
    Json,
    /// Comma-separated values, after a header line.
    Csv,
}

/// An input or output: a URI, or a socket group of SRT callers.
#[derive(Debug, Clone)]
pub enum Medium {
    /// `srt://`, `udp://` or `file://`.
    Uri(Uri),
    /// A caller socket group ([`GroupUri`]).
    Group(GroupUri),
}

/// The parsed command line.
#[derive(Debug, Clone)]
pub struct Args {
    /// Where the stream comes from.
    pub input: Medium,
    /// Where it goes.
    pub output: Medium,
    /// Print statistics every this many packets.
    pub stats_every: Option<u64>,
    /// In this format.
    pub stats_format: StatsFormat,
    /// Stop after this long.
    pub timeout: Option<Duration>,
    /// Bytes per message read from a stream input.
    pub chunk: usize,
    /// Report connections and the end of the stream.
    pub verbose: bool,
    /// Print nothing but errors.
    pub quiet: bool,
}

/// Why `srt-transmit` stopped with an error.
#[derive(Debug)]
pub enum TransmitError {
    /// The command line was wrong.
    Usage(String),
    /// A URI did not parse.
    Uri {
        /// The URI as given.
        uri: String,
        /// Why.
        error: srt_tokio::uri::UriError,
    },
    /// A URI asked for something srt-transmit does not do.
    Unsupported(String),
    /// A host name did not resolve.
    Resolve {
        /// `host:port`.
        target: String,
        /// Why.
        error: io::Error,
    },
    /// The SRT connection could not be made (refused, timed out, ...).
    Connect {
        /// The SRT URI's role and address.
        what: String,
        /// Why.
        error: SrtError,
    },
    /// A UDP or console operation failed.
    Io {
        /// What was being done.
        what: &'static str,
        /// Why.
        error: io::Error,
    },
    /// The SRT connection broke while relaying.
    Transfer(io::Error),
}

impl TransmitError {
    /// The process exit code: 2 for command-line mistakes, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) | Self::Uri { .. } | Self::Unsupported(_) => 2,
            _ => 1,
        }
    }
}

impl fmt::Display for TransmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(m) => f.write_str(m),
            Self::Uri { uri, error } => write!(f, "invalid URI {uri:?}: {error}"),
            Self::Unsupported(m) => f.write_str(m),
            Self::Resolve { target, error } => write!(f, "cannot resolve {target}: {error}"),
            Self::Connect { what, error } => match error {
                SrtError::Rejected {
                    reason: RejectReason::Timeout,
                    by_peer: false,
                } => write!(
                    f,
                    "{what}: no answer: connection timed out (reason code {})",
                    RejectReason::Timeout.code()
                ),
                SrtError::Rejected { reason, by_peer } => write!(
                    f,
                    "{what}: rejected by {}: {reason:?} (reason code {})",
                    if *by_peer { "the peer" } else { "us" },
                    reason.code()
                ),
                _ => write!(f, "{what}: connection failed: {error}"),
            },
            Self::Io { what, error } => write!(f, "{what}: {error}"),
            Self::Transfer(e) => write!(f, "SRT transfer failed: {e}"),
        }
    }
}

impl std::error::Error for TransmitError {}

/// Takes the value of `-x N` or `-x:N`.
fn option_value(
    name: &str,
    inline: Option<&str>,
    rest: &mut impl Iterator<Item = String>,
) -> Result<String, TransmitError> {
    match inline {
        Some(v) => Ok(v.to_owned()),
        None => rest
            .next()
            .ok_or_else(|| TransmitError::Usage(format!("option -{name} needs a value"))),
    }
}

fn number(name: &str, value: &str) -> Result<u64, TransmitError> {
    value.parse().map_err(|_| {
        TransmitError::Usage(format!("option -{name}: {value:?} is not a whole number"))
    })
}

/// Parses the arguments after the program name. `Ok(None)` asks for the
/// usage text (`-h`).
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<Args>, TransmitError> {
    let mut uris = Vec::new();
    let mut stats_every = None;
    let mut stats_format = StatsFormat::Text;
    let mut timeout = None;
    let mut chunk = LIVE_CHUNK;
    let mut verbose = false;
    let mut quiet = false;
    let mut rest = args.into_iter().peekable();
    while let Some(arg) = rest.next() {
        let Some(flag) = arg.strip_prefix('-').filter(|f| !f.is_empty()) else {
            if arg.starts_with("srt://*") {
                // A group header: the nodes follow, up to the next URI or
                // option.
                let mut nodes = Vec::new();
                while let Some(node) = rest.next_if(|a| !a.starts_with('-') && !a.contains("://")) {
                    nodes.push(node);
                }
                let group =
                    GroupUri::from_args(&arg, &nodes).map_err(|error| TransmitError::Uri {
                        uri: format!("{arg} {}", nodes.join(" ")),
                        error,
                    })?;
                uris.push(Err(group));
            } else {
                uris.push(Ok(arg));
            }
            continue;
        };
        let flag = flag.trim_start_matches('-');
        let (name, inline) = match flag.split_once(':') {
            Some((n, v)) => (n, Some(v)),
            None => (flag, None),
        };
        match name {
            "h" | "help" => return Ok(None),
            "s" | "stats" | "stats-report-frequency" => {
                let n = number(name, &option_value(name, inline, &mut rest)?)?;
                stats_every = (n > 0).then_some(n);
            }
            "pf" | "statspf" | "stats-pf" => {
                stats_format = match option_value(name, inline, &mut rest)?.as_str() {
                    "json" => StatsFormat::Json,
                    "csv" => StatsFormat::Csv,
                    "default" | "text" => StatsFormat::Text,
                    other => {
                        return Err(TransmitError::Usage(format!(
                            "option -{name}: {other:?} is not json, csv or default"
                        )));
                    }
                }
            }
            "t" | "to" | "timeout" => {
                let n = number(name, &option_value(name, inline, &mut rest)?)?;
                timeout = (n > 0).then(|| Duration::from_secs(n));
            }
            "c" | "chunk" => {
                let n = number(name, &option_value(name, inline, &mut rest)?)?;
                chunk = usize::try_from(n)
                    .ok()
                    .filter(|n| (1..=65536).contains(n))
                    .ok_or_else(|| {
                        TransmitError::Usage(format!("option -{name}: {n} is not 1 to 65536"))
                    })?;
            }
            "v" | "verbose" => verbose = true,
            "q" | "quiet" => quiet = true,
            "a" | "autoreconnect" | "auto" => {
                let v = option_value(name, inline, &mut rest)?;
                if !matches!(v.as_str(), "no" | "off" | "0" | "false") {
                    return Err(TransmitError::Unsupported(format!(
                        "-{name}:{v}: automatic reconnection is not supported"
                    )));
                }
            }
            _ => {
                return Err(TransmitError::Usage(format!(
                    "unknown option {arg:?} (-h for help)"
                )));
            }
        }
    }
    let [input, output] = <[Result<String, GroupUri>; 2]>::try_from(uris).map_err(|uris| {
        TransmitError::Usage(format!(
            "expected INPUT-URI OUTPUT-URI, got {} URIs (-h for help)",
            uris.len()
        ))
    })?;
    let parse = |uri: Result<String, GroupUri>| match uri {
        Err(group) => Ok(Medium::Group(group)),
        Ok(uri) if GroupUri::is_group(&uri) => uri
            .parse::<GroupUri>()
            .map(Medium::Group)
            .map_err(|error| TransmitError::Uri { uri, error }),
        Ok(uri) => uri
            .parse::<Uri>()
            .map(Medium::Uri)
            .map_err(|error| TransmitError::Uri { uri, error }),
    };
    Ok(Some(Args {
        input: parse(input)?,
        output: parse(output)?,
        stats_every,
        stats_format,
        timeout,
        chunk,
        verbose,
        quiet,
    }))
}

/// Bytes to packets of the default payload, rounding up.
fn bytes_to_packets(bytes: u32) -> u32 {
    bytes.div_ceil(PACKET_PAYLOAD).max(1)
}

/// The builder an SRT URI asks for; an option the builder has no
/// counterpart for is refused rather than ignored.
pub fn builder_for(uri: &SrtUri) -> Result<SrtSocketBuilder, TransmitError> {
    if let Some((key, _)) = uri.unknown.first() {
        return Err(TransmitError::Unsupported(format!(
            "unknown SRT option {key:?}"
        )));
    }
    let o: &SrtOptions = &uri.options;
    let unsupported: [(&str, bool); 16] = [
        ("kmrefreshrate", o.kmrefreshrate.is_some()),
        ("kmpreannounce", o.kmpreannounce.is_some()),
        ("tsbpdmode", o.tsbpdmode == Some(false)),
        ("mininputbw", o.mininputbw.is_some()),
        ("payloadsize", o.payloadsize.is_some()),
        ("snddropdelay", o.snddropdelay.is_some()),
        ("lossmaxttl", o.lossmaxttl.is_some()),
        ("retransmitalgo", o.retransmitalgo.is_some()),
        ("packetfilter", o.packetfilter.is_some()),
        ("minversion", o.minversion.is_some()),
        ("iptos", o.iptos.is_some()),
        ("ipttl", o.ipttl.is_some()),
        ("ipv6only", o.ipv6only.is_some()),
        ("bindtodevice", o.bindtodevice.is_some()),
        ("blocking", o.blocking == Some(true)),
        ("timeout", o.timeout.is_some()),
    ];
    if let Some((key, _)) = unsupported.iter().find(|(_, set)| *set) {
        return Err(TransmitError::Unsupported(format!(
            "SRT option {key} is not supported by srt-transmit"
        )));
    }
    let mut b = SrtSocket::builder();
    if o.groupconnect == Some(true) {
        b = b.group_connect(true);
    }
    if let Some(t) = o.groupminstabletimeo {
        b = b.group_stability_timeout(t);
    }
    // The preset first: the options below refine it.
    if let Some(t) = o.transtype {
        b = b.transtype(match t {
            TransType::Live => srt_tokio::TransType::Live,
            TransType::File => srt_tokio::TransType::File,
        });
    }
    if let Some(v) = o.udp_rcvbuf {
        b = b.udp_receive_buffer(usize::try_from(v).unwrap_or(usize::MAX));
    }
    if let Some(v) = o.udp_sndbuf {
        b = b.udp_send_buffer(usize::try_from(v).unwrap_or(usize::MAX));
    }
    if let Some(v) = o.latency {
        b = b.latency(v);
    }
    if let Some(v) = o.rcvlatency {
        b = b.receive_latency(v);
    }
    if let Some(v) = o.peerlatency {
        b = b.peer_latency(v);
    }
    if let Some(v) = &o.passphrase {
        b = b.passphrase(v);
    }
    match o.pbkeylen {
        None | Some(0) => {}
        Some(16) => b = b.key_length(KeyLength::Aes128),
        Some(24) => b = b.key_length(KeyLength::Aes192),
        Some(32) => b = b.key_length(KeyLength::Aes256),
        Some(n) => {
            return Err(TransmitError::Unsupported(format!(
                "pbkeylen={n}: expected 0, 16, 24 or 32"
            )));
        }
    }
    match o.cryptomode {
        None | Some(0) => {}
        Some(1) => b = b.crypto_mode(CryptoMode::Ctr),
        Some(_) => b = b.crypto_mode(CryptoMode::Gcm),
    }
    if let Some(v) = o.enforcedencryption {
        b = b.enforced_encryption(v);
    }
    if let Some(v) = &o.streamid {
        b = b.stream_id(v);
    }
    if let Some(v) = o.congestion {
        b = b.congestion(match v {
            Congestion::Live => ProtoCongestion::Live,
            Congestion::File => ProtoCongestion::File,
        });
    }
    if let Some(v) = o.messageapi {
        b = b.message_api(v);
    }
    if let Some(v) = o.tlpktdrop {
        b = b.too_late_drop(v);
    }
    if let Some(v) = o.nakreport {
        b = b.nak_report(v);
    }
    if let Some(v) = o.drifttracer {
        b = b.drift_tracer(v);
    }
    if let Some(v) = o.maxbw {
        b = b.max_bandwidth(match u64::try_from(v) {
            Err(_) => MaxBandwidth::Unlimited,
            Ok(0) => MaxBandwidth::RelativeToInput,
            Ok(n) => MaxBandwidth::BytesPerSecond(n),
        });
    }
    if let Some(v) = o.inputbw {
        b = b.input_bandwidth(u64::try_from(v).unwrap_or(0));
    }
    if let Some(v) = o.oheadbw {
        b = b.overhead_bandwidth(u32::from(v));
    }
    if let Some(v) = o.mss {
        b = b.mss(u32::from(v));
    }
    if let Some(v) = o.fc {
        b = b.flow_window(v);
    }
    if let Some(v) = o.sndbuf {
        b = b.send_buffer(bytes_to_packets(v));
    }
    if let Some(v) = o.rcvbuf {
        b = b.receive_buffer(bytes_to_packets(v));
    }
    if let Some(v) = o.linger {
        b = b.linger(v);
    }
    if let Some(v) = o.conntimeo {
        b = b.connect_timeout(v);
    }
    if let Some(v) = o.peeridletimeo {
        b = b.peer_idle_timeout(v);
    }
    Ok(b)
}

/// Resolves `host:port`; an empty host is the unspecified address of the
/// family `like` has (IPv4 without it).
async fn resolve(
    host: &str,
    port: u16,
    like: Option<SocketAddr>,
) -> Result<SocketAddr, TransmitError> {
    if host.is_empty() {
        let ip: IpAddr = match like {
            Some(SocketAddr::V6(_)) => Ipv6Addr::UNSPECIFIED.into(),
            _ => Ipv4Addr::UNSPECIFIED.into(),
        };
        return Ok(SocketAddr::new(ip, port));
    }
    let target = format!("{host}:{port}");
    let mut found = tokio::net::lookup_host((host, port))
        .await
        .map_err(|error| TransmitError::Resolve {
            target: target.clone(),
            error,
        })?;
    found.next().ok_or_else(|| TransmitError::Resolve {
        target,
        error: io::Error::new(io::ErrorKind::NotFound, "no address"),
    })
}

/// An SRT connection or socket group, read and written alike.
enum SrtConn {
    Socket(SrtSocket),
    Group(SrtGroup),
}

impl SrtConn {
    fn socket(&self) -> Option<&SrtSocket> {
        match self {
            Self::Socket(s) => Some(s),
            Self::Group(_) => None,
        }
    }

    async fn close(self) -> Result<(), SrtError> {
        match self {
            Self::Socket(s) => s.close().await,
            Self::Group(g) => g.close().await,
        }
    }
}

impl futures_util::Stream for SrtConn {
    type Item = io::Result<(Instant, Bytes)>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.get_mut() {
            Self::Socket(s) => s.poll_next_unpin(cx),
            Self::Group(g) => g.poll_next_unpin(cx),
        }
    }
}

impl futures_util::Sink<(Instant, Bytes)> for SrtConn {
    type Error = io::Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Socket(s) => s.poll_ready_unpin(cx),
            Self::Group(g) => g.poll_ready_unpin(cx),
        }
    }

    fn start_send(self: Pin<&mut Self>, item: (Instant, Bytes)) -> io::Result<()> {
        match self.get_mut() {
            Self::Socket(s) => s.start_send_unpin(item),
            Self::Group(g) => g.start_send_unpin(item),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Socket(s) => s.poll_flush_unpin(cx),
            Self::Group(g) => g.poll_flush_unpin(cx),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Socket(s) => s.poll_close_unpin(cx),
            Self::Group(g) => g.poll_close_unpin(cx),
        }
    }
}

/// Connects a caller socket group to every node of `uri`.
async fn open_group(uri: &GroupUri, verbose: bool) -> Result<SrtConn, TransmitError> {
    let first = uri
        .member_uri(0)
        .ok_or_else(|| TransmitError::Usage("a socket group needs a node".to_owned()))?;
    let builder = builder_for(&first)?;
    let (adapter, port) = first.local_binding();
    let mut members = Vec::new();
    for node in &uri.nodes {
        let remote = resolve(&node.host, node.port, None).await?;
        let mut member = GroupMember::new(remote).weight(node.weight);
        if !adapter.is_empty() || port != 0 {
            member = member.local(resolve(adapter, port, Some(remote)).await?);
        }
        members.push(member);
    }
    let group_type = match uri.group_type {
        GroupUriType::Broadcast => GroupType::Broadcast,
        GroupUriType::Backup => GroupType::Backup,
    };
    let what = format!(
        "{} group of {} nodes",
        uri.group_type.as_str(),
        uri.nodes.len()
    );
    let group = builder
        .call_group(group_type, members)
        .await
        .map_err(|error| TransmitError::Connect {
            what: what.clone(),
            error,
        })?;
    if verbose {
        eprintln!("srt-transmit: {what} connected");
    }
    Ok(SrtConn::Group(group))
}

/// Opens the SRT side: calls, listens (and accepts one caller, or one
/// socket group with `groupconnect`) or rendezvous, as the URI says.
async fn open_srt(uri: &SrtUri, verbose: bool) -> Result<SrtConn, TransmitError> {
    let builder = builder_for(uri)?;
    let what = format!("srt://{}:{} ({})", uri.host, uri.port, uri.mode);
    let connect = |error| TransmitError::Connect {
        what: what.clone(),
        error,
    };
    let remote = match uri.remote() {
        Some((host, port)) => Some(resolve(host, port, None).await?),
        None => None,
    };
    let (local_host, local_port) = uri.local_binding();
    let local = resolve(local_host, local_port, remote).await?;
    let socket = match (uri.mode, remote) {
        (Mode::Caller, Some(remote)) => builder.call_from(local, remote).await.map_err(connect)?,
        (Mode::Rendezvous, Some(remote)) => {
            builder.rendezvous(local, remote).await.map_err(connect)?
        }
        _ => {
            let mut listener = builder.listen(local).await.map_err(connect)?;
            if verbose {
                eprintln!("srt-transmit: listening on {}", listener.local_addr());
            }
            match listener.accept().await {
                Some(Ok(Accepted::Socket(socket))) => socket,
                Some(Ok(Accepted::Group(group))) => {
                    if verbose {
                        eprintln!("srt-transmit: {what} accepted a socket group");
                    }
                    return Ok(SrtConn::Group(group));
                }
                Some(Err(error)) => return Err(connect(error)),
                None => return Err(connect(SrtError::TaskGone)),
            }
        }
    };
    if verbose {
        eprintln!("srt-transmit: {what} connected to {}", socket.peer_addr());
    }
    Ok(SrtConn::Socket(socket))
}

/// What the SRT input yields: a message, its end, or an error.
type SrtItem = Option<io::Result<(Instant, Bytes)>>;

/// A medium the stream is read from.
enum Source {
    /// With the end or error seen while taking the messages that were
    /// ready, held for the next read.
    Srt(SrtConn, Option<SrtItem>),
    Udp(udp::UdpInput),
    Stdin(tokio::io::Stdin, usize),
}

/// A medium the stream is written to.
enum Sink {
    Srt(SrtConn),
    Udp(udp::UdpOutput),
    Stdout(tokio::io::Stdout),
}

fn check_udp(uri: &UdpUri) -> Result<(), TransmitError> {
    if let Some((key, _)) = uri.unknown.first() {
        return Err(TransmitError::Unsupported(format!(
            "unknown UDP option {key:?}"
        )));
    }
    if uri.is_multicast() {
        return Err(TransmitError::Unsupported(
            "UDP multicast is not supported by srt-transmit".to_owned(),
        ));
    }
    let o = &uri.options;
    if o.iptos.is_some() || o.ttl.is_some() || o.mcloop.is_some() || o.source.is_some() {
        return Err(TransmitError::Unsupported(
            "UDP options other than adapter, rcvbuf and sndbuf are not supported by srt-transmit"
                .to_owned(),
        ));
    }
    Ok(())
}

fn file_path_unsupported(path: &str) -> TransmitError {
    TransmitError::Unsupported(format!(
        "file {path:?}: only file://con (the console) is supported"
    ))
}

async fn open_source(medium: &Medium, args: &Args) -> Result<Source, TransmitError> {
    let uri = match medium {
        Medium::Group(group) => {
            return Ok(Source::Srt(open_group(group, args.verbose).await?, None));
        }
        Medium::Uri(uri) => uri,
    };
    match uri {
        Uri::Srt(srt) => Ok(Source::Srt(open_srt(srt, args.verbose).await?, None)),
        Uri::Udp(udp) => {
            check_udp(udp)?;
            let host = if udp.host.is_empty() {
                udp.options.adapter.as_deref().unwrap_or("")
            } else {
                udp.host.as_str()
            };
            let local = resolve(host, udp.port, None).await?;
            let what = "binding the UDP input";
            let socket = UdpSocket::bind(local)
                .await
                .and_then(|s| udp::UdpInput::new(s, udp::batching_enabled(), &udp.options))
                .map_err(|error| TransmitError::Io { what, error })?;
            Ok(Source::Udp(socket))
        }
        Uri::File(FileUri::Console) => Ok(Source::Stdin(tokio::io::stdin(), args.chunk)),
        Uri::File(FileUri::Path(p)) => Err(file_path_unsupported(p)),
    }
}

async fn open_sink(medium: &Medium, args: &Args) -> Result<Sink, TransmitError> {
    let uri = match medium {
        Medium::Group(group) => return Ok(Sink::Srt(open_group(group, args.verbose).await?)),
        Medium::Uri(uri) => uri,
    };
    match uri {
        Uri::Srt(srt) => Ok(Sink::Srt(open_srt(srt, args.verbose).await?)),
        Uri::Udp(udp) => {
            check_udp(udp)?;
            let dest = resolve(&udp.host, udp.port, None).await?;
            let adapter = udp.options.adapter.as_deref().unwrap_or("");
            let local = resolve(adapter, 0, Some(dest)).await?;
            let what = "binding the UDP output";
            let socket = UdpSocket::bind(local)
                .await
                .and_then(|s| udp::UdpOutput::new(s, dest, udp::batching_enabled(), &udp.options))
                .map_err(|error| TransmitError::Io { what, error })?;
            Ok(Sink::Udp(socket))
        }
        Uri::File(FileUri::Console) => Ok(Sink::Stdout(tokio::io::stdout())),
        Uri::File(FileUri::Path(p)) => Err(file_path_unsupported(p)),
    }
}

impl Source {
    /// Waits for the next messages and appends them to `out`: every one
    /// that is ready at once (at most [`MAX_BATCH`]), so the output can
    /// send them together. `false` at the end of the stream (after what
    /// `out` got).
    async fn read(&mut self, buf: &mut [u8], out: &mut Vec<Bytes>) -> Result<bool, TransmitError> {
        match self {
            Self::Srt(socket, held) => {
                let first = match held.take() {
                    Some(item) => item,
                    None => socket.next().await,
                };
                let mut item = first;
                loop {
                    match item {
                        Some(Ok((_, data))) => out.push(data),
                        Some(Err(e)) => {
                            return match SrtError::from_io(&e) {
                                // The peer closing is the end of the stream.
                                Some(SrtError::Closed(_)) => Ok(false),
                                _ => Err(TransmitError::Transfer(e)),
                            };
                        }
                        None => return Ok(false),
                    }
                    if out.len() >= MAX_BATCH {
                        return Ok(true);
                    }
                    match socket.next().now_or_never() {
                        // Nothing more ready now.
                        None => return Ok(true),
                        Some(next @ Some(Ok(_))) => item = next,
                        // Delivered what came before; the end waits for
                        // the next read.
                        Some(end) => {
                            *held = Some(end);
                            return Ok(true);
                        }
                    }
                }
            }
            Self::Udp(input) => {
                input.read(out).await.map_err(|error| TransmitError::Io {
                    what: "reading the UDP input",
                    error,
                })?;
                Ok(true)
            }
            Self::Stdin(stdin, chunk) => {
                // Fill whole chunks (a pipe hands out what it has); only
                // the last one may be short.
                let want = (*chunk).min(buf.len());
                let mut filled = 0;
                while filled < want {
                    let dst = buf.get_mut(filled..want).unwrap_or(&mut []);
                    let n = stdin.read(dst).await.map_err(|error| TransmitError::Io {
                        what: "reading standard input",
                        error,
                    })?;
                    if n == 0 {
                        break;
                    }
                    filled += n;
                }
                if filled == 0 {
                    return Ok(false);
                }
                out.push(Bytes::copy_from_slice(buf.get(..filled).unwrap_or(&[])));
                Ok(true)
            }
        }
    }

    fn srt(&self) -> Option<&SrtSocket> {
        match self {
            Self::Srt(s, _) => s.socket(),
            _ => None,
        }
    }
}

impl Sink {
    /// Writes `messages` in order.
    async fn write(&mut self, messages: &[Bytes]) -> Result<(), TransmitError> {
        match self {
            Self::Srt(socket) => {
                let now = Instant::now();
                for data in messages {
                    socket
                        .feed((now, data.clone()))
                        .await
                        .map_err(TransmitError::Transfer)?;
                }
                SinkExt::flush(socket)
                    .await
                    .map_err(TransmitError::Transfer)
            }
            Self::Udp(output) => output
                .write(messages)
                .await
                .map_err(|error| TransmitError::Io {
                    what: "writing the UDP output",
                    error,
                }),
            Self::Stdout(out) => {
                for data in messages {
                    out.write_all(data)
                        .await
                        .map_err(|error| TransmitError::Io {
                            what: "writing standard output",
                            error,
                        })?;
                }
                Ok(())
            }
        }
    }

    async fn finish(self) -> Result<(), TransmitError> {
        match self {
            Self::Srt(socket) => socket
                .close()
                .await
                .map_err(|e| TransmitError::Transfer(e.into())),
            Self::Udp(..) => Ok(()),
            Self::Stdout(mut out) => out.flush().await.map_err(|error| TransmitError::Io {
                what: "writing standard output",
                error,
            }),
        }
    }

    fn srt(&self) -> Option<&SrtSocket> {
        match self {
            Self::Srt(s) => s.socket(),
            _ => None,
        }
    }
}

/// What a run moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Messages relayed.
    pub messages: u64,
    /// Payload bytes relayed.
    pub bytes: u64,
}

/// The CSV header matching [`format_stats`]'s CSV lines.
pub const CSV_HEADER: &str = "time_ms,side,pkt_sent,pkt_recv,pkt_retrans,pkt_send_loss,pkt_recv_loss,pkt_send_drop,pkt_recv_drop,bytes_sent,bytes_recv,rtt_ms,send_mbps,recv_mbps,bandwidth_mbps,latency_ms";

/// One statistics record of one SRT side (`input` or `output`).
pub fn format_stats(format: StatsFormat, side: &str, s: &Stats) -> String {
    let t = &s.total;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let latency = s.recv_latency.max(s.send_latency);
    match format {
        StatsFormat::Json => format!(
            "{{\"time_ms\":{},\"side\":\"{side}\",\"send\":{{\"packets\":{},\"bytes\":{},\"retransmitted\":{},\"lost\":{},\"dropped\":{},\"mbps\":{:.3}}},\"recv\":{{\"packets\":{},\"bytes\":{},\"lost\":{},\"dropped\":{},\"belated\":{},\"mbps\":{:.3}}},\"link\":{{\"rtt_ms\":{:.3},\"bandwidth_mbps\":{:.3}}},\"latency_ms\":{:.0}}}",
            s.elapsed.as_millis(),
            t.sent.packets,
            t.sent.bytes,
            t.retransmitted.packets,
            t.send_loss.packets,
            t.send_drop.packets,
            s.send_rate_mbps,
            t.received.packets,
            t.received.bytes,
            t.receive_loss.packets,
            t.receive_drop.packets,
            t.receive_belated.packets,
            s.recv_rate_mbps,
            ms(s.rtt),
            s.bandwidth_mbps,
            ms(latency),
        ),
        StatsFormat::Csv => format!(
            "{},{side},{},{},{},{},{},{},{},{},{},{:.3},{:.3},{:.3},{:.3},{:.0}",
            s.elapsed.as_millis(),
            t.sent.packets,
            t.received.packets,
            t.retransmitted.packets,
            t.send_loss.packets,
            t.receive_loss.packets,
            t.send_drop.packets,
            t.receive_drop.packets,
            t.sent.bytes,
            t.received.bytes,
            ms(s.rtt),
            s.send_rate_mbps,
            s.recv_rate_mbps,
            s.bandwidth_mbps,
            ms(latency),
        ),
        StatsFormat::Text => format!(
            "[{side} {:.1}s] sent {} pkts ({} retrans, {} lost, {} dropped) {:.2} Mbit/s | recv {} pkts ({} lost, {} dropped) {:.2} Mbit/s | RTT {:.2} ms, latency {:.0} ms",
            s.elapsed.as_secs_f64(),
            t.sent.packets,
            t.retransmitted.packets,
            t.send_loss.packets,
            t.send_drop.packets,
            s.send_rate_mbps,
            t.received.packets,
            t.receive_loss.packets,
            t.receive_drop.packets,
            s.recv_rate_mbps,
            ms(s.rtt),
            ms(latency),
        ),
    }
}

async fn report(args: &Args, source: &Source, sink: &Sink, log: &mut impl Write) {
    let sides = [("input", source.srt()), ("output", sink.srt())];
    for (side, socket) in sides {
        if let Some(socket) = socket
            && let Ok(Some(stats)) = socket.stats().await
        {
            let _ = writeln!(log, "{}", format_stats(args.stats_format, side, &stats));
        }
    }
}

/// Opens both media, relays until the input ends (or the timeout), closes
/// the output gracefully. Statistics and messages go to `log`.
pub async fn run(args: &Args, log: &mut impl Write) -> Result<Summary, TransmitError> {
    let deadline = args.timeout.map(|t| tokio::time::Instant::now() + t);
    let open = async {
        tokio::try_join!(
            open_source(&args.input, args),
            open_sink(&args.output, args)
        )
    };
    let (mut source, mut sink) = match deadline {
        Some(at) => match tokio::time::timeout_at(at, open).await {
            Ok(opened) => opened?,
            Err(_) => return Ok(Summary::default()),
        },
        None => open.await?,
    };
    if args.stats_every.is_some() && args.stats_format == StatsFormat::Csv {
        let _ = writeln!(log, "{CSV_HEADER}");
    }
    let mut summary = Summary::default();
    let mut buf = vec![0u8; 65536];
    let mut batch: Vec<Bytes> = Vec::with_capacity(MAX_BATCH);
    loop {
        batch.clear();
        let read = source.read(&mut buf, &mut batch);
        let more = match deadline {
            Some(at) => match tokio::time::timeout_at(at, read).await {
                Ok(more) => more?,
                Err(_) => break,
            },
            None => read.await?,
        };
        let before = summary.messages;
        summary.messages += batch.len() as u64;
        summary.bytes += batch.iter().map(|d| d.len() as u64).sum::<u64>();
        sink.write(&batch).await?;
        if let Some(every) = args.stats_every
            && every > 0
            && summary.messages / every != before / every
            && !args.quiet
        {
            report(args, &source, &sink, log).await;
        }
        if !more {
            if args.verbose {
                let _ = writeln!(log, "srt-transmit: end of input");
            }
            break;
        }
    }
    if args.stats_every.is_some() && !args.quiet {
        report(args, &source, &sink, log).await;
    }
    drop(source);
    sink.finish().await?;
    Ok(summary)
}

//! The URIs `srt-live-transmit` takes, parsed into typed values:
//! `srt://host:port?option=value&…`, `udp://host:port?…` and `file://con`.
//!
//! ```
//! use std::time::Duration;
//! use srt_tokio::uri::{Mode, Uri};
//!
//! let uri: Uri = "srt://:9000?latency=200&passphrase=0123456789&streamid=%23!::r=live/a"
//!     .parse()
//!     .unwrap();
//! let Uri::Srt(srt) = uri else { unreachable!() };
//! assert_eq!(srt.mode, Mode::Listener); // no host: listener
//! assert_eq!(srt.port, 9000);
//! assert_eq!(srt.options.latency, Some(Duration::from_millis(200)));
//! assert_eq!(srt.options.streamid.as_deref(), Some("#!::r=live/a"));
//!
//! let err = "srt://host:9000?latency=abc".parse::<Uri>().unwrap_err();
//! assert_eq!(err.to_string(), "latency=abc: expected milliseconds, 0 to 2147483647");
//! ```
//!
//! # The syntax, as libsrt's `srt-live-transmit` documents it
//! - `scheme://HOST:PORT?KEY=VALUE&KEY=VALUE…`. An IPv6 host goes in
//!   brackets (`srt://[::1]:9000`). Keys and values are percent-decoded
//!   (`%23` is `#`); a `#` may also be written as it is, since these URIs
//!   have no fragment. A string with no `://` is a file path.
//! - SRT `mode` is `caller`, `listener` or `rendezvous` (`client` and
//!   `server` are taken for caller and listener). Without it the mode
//!   follows from the rest: no host means listener (`srt://:9000`), a host
//!   and an `adapter` mean rendezvous, a host alone means caller.
//! - Every other SRT key is a socket option named as libsrt's `SRTO_*`
//!   option, lowercased and without the prefix, with libsrt's units:
//!   `latency`, `rcvlatency`, `peerlatency`, `conntimeo`, `peeridletimeo`,
//!   `snddropdelay` and `timeout` in milliseconds; `linger` in seconds;
//!   `maxbw`, `inputbw` and `mininputbw` in bytes per second; `oheadbw` in
//!   percent; `fc` in packets; `mss`, `payloadsize`, `sndbuf` and `rcvbuf`
//!   in bytes. Booleans are `yes`/`no`, `on`/`off`, `true`/`false` or
//!   `1`/`0`. Keys this module does not know are kept in
//!   [`SrtUri::unknown`] for the caller to reject or pass on.
//!   `bind=ADDR:PORT` is a shortcut for `adapter` and `port`.
//! - Note that ffmpeg's `srt://` URLs use other units (its `latency` is in
//!   microseconds); this module follows `srt-live-transmit`.
//!
//! Socket groups have URIs of their own ([`GroupUri`], libsrt's
//! `srt-test-live` forms: `srt:////group?type=backup&nodes=h1:p1,h2:p2`, or
//! `srt://*?type=backup h1:p1?weight=1 h2:p2`).
//!
//! Values out of libsrt's documented ranges are rejected here, naming the
//! key ([`UriError::InvalidValue`]). [`Display`](fmt::Display) writes a URI
//! back that parses to the same value.

use std::fmt;
use std::net::Ipv6Addr;
use std::str::FromStr;

mod codec;
mod group;
mod options;
#[cfg(test)]
mod tests;

pub use group::{GroupNode, GroupUri, GroupUriType};
pub use options::{SrtOptions, UdpOptions};

/// A medium `srt-live-transmit` can read from or write to.
// A URI is parsed once per program: an unboxed `SrtUri` is worth its size.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uri {
    /// `srt://…`
    Srt(SrtUri),
    /// `udp://…`
    Udp(UdpUri),
    /// `file://…`, or a bare path.
    File(FileUri),
}

/// How an SRT socket connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Sends the connection request to a listener (`mode=caller`).
    Caller,
    /// Waits for callers (`mode=listener`).
    Listener,
    /// Both sides call each other at once (`mode=rendezvous`).
    Rendezvous,
}

impl Mode {
    /// The name used in URIs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Caller => "caller",
            Self::Listener => "listener",
            Self::Rendezvous => "rendezvous",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `SRTO_TRANSTYPE`: the set of defaults a socket starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransType {
    /// Live streaming (`live`).
    Live,
    /// File transfer (`file`).
    File,
}

/// `SRTO_CONGESTION`: the congestion controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Congestion {
    /// libsrt's live controller (`live`).
    Live,
    /// libsrt's file controller (`file`).
    File,
}

/// `SRTO_MINVERSION`: a libsrt version, written `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SrtVersion {
    /// Major version.
    pub major: u8,
    /// Minor version.
    pub minor: u8,
    /// Patch level.
    pub patch: u8,
}

impl SrtVersion {
    /// The version as libsrt encodes it in the handshake: `0x00MMmmpp`.
    pub fn as_u32(self) -> u32 {
        u32::from(self.major) << 16 | u32::from(self.minor) << 8 | u32::from(self.patch)
    }
}

/// `srt://HOST:PORT?options`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrtUri {
    /// The connection mode, given or derived (see the [module docs](self)).
    pub mode: Mode,
    /// The host part, without brackets: the peer for a caller or
    /// rendezvous, the local address to bind for a listener. Empty when
    /// absent (all interfaces).
    pub host: String,
    /// The port part: the peer's port, or the port to listen on.
    pub port: u16,
    /// The options libsrt defines.
    pub options: SrtOptions,
    /// Options this module does not know, in the order given, decoded.
    pub unknown: Vec<(String, String)>,
}

/// `udp://HOST:PORT?options`: read from a bound port (HOST is then the
/// local interface, empty for all) or write to HOST:PORT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpUri {
    /// The host part, without brackets or a leading `@`; empty when absent.
    pub host: String,
    /// The port part.
    pub port: u16,
    /// The options `srt-live-transmit` defines for UDP.
    pub options: UdpOptions,
    /// Options this module does not know, in the order given, decoded.
    pub unknown: Vec<(String, String)>,
}

impl UdpUri {
    /// True if the host is an IPv4 (224.0.0.0/4) or IPv6 (ff00::/8)
    /// multicast group.
    pub fn is_multicast(&self) -> bool {
        self.host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_multicast())
    }
}

/// `file://con` (standard input or output) or a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileUri {
    /// `file://con`: standard input as an input, standard output as an
    /// output.
    Console,
    /// A path: `file:///abs/path` or a bare `relative/path`.
    Path(String),
}

/// Why a URI was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UriError {
    /// The text was empty.
    Empty,
    /// A scheme other than `srt`, `udp` or `file`.
    UnknownScheme(String),
    /// `HOST:PORT` had no port.
    MissingPort,
    /// The port was not a number from 0 to 65535.
    InvalidPort(String),
    /// The host was not a name, an IPv4 address or a bracketed IPv6
    /// address.
    InvalidHost(String),
    /// A path after `HOST:PORT`, which SRT and UDP URIs do not have.
    UnexpectedPath(String),
    /// Caller and rendezvous modes need a host to connect to.
    MissingHost(Mode),
    /// A `%` not followed by two hex digits, or escapes that do not decode
    /// to UTF-8, in this query item.
    InvalidPercentEncoding(String),
    /// A query item with no `=value`.
    MissingValue(String),
    /// A value the option does not accept.
    InvalidValue {
        /// The option's key.
        key: String,
        /// The value given, decoded.
        value: String,
        /// What the option accepts.
        expected: Expected,
    },
    /// An option given twice (`bind` counts as `adapter` and `port`).
    DuplicateOption(String),
    /// A socket group URI ([`GroupUri`]) with no member node.
    NoGroupNodes,
}

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty URI"),
            Self::UnknownScheme(s) => {
                write!(
                    f,
                    "unknown scheme {s:?}: expected srt://, udp:// or file://"
                )
            }
            Self::MissingPort => f.write_str("missing :PORT after the host"),
            Self::InvalidPort(p) => write!(f, "invalid port {p:?}: expected 0 to 65535"),
            Self::InvalidHost(h) => write!(
                f,
                "invalid host {h:?}: expected a name, an IPv4 address or [IPv6]"
            ),
            Self::UnexpectedPath(p) => write!(f, "unexpected path {p:?} after HOST:PORT"),
            Self::MissingHost(mode) => write!(f, "mode={mode} needs a host to connect to"),
            Self::InvalidPercentEncoding(item) => {
                write!(f, "invalid percent-encoding in {item:?}")
            }
            Self::MissingValue(key) => write!(f, "option {key} has no =value"),
            Self::InvalidValue {
                key,
                value,
                expected,
            } => write!(f, "{key}={value}: expected {expected}"),
            Self::DuplicateOption(key) => write!(f, "option {key} given twice"),
            Self::NoGroupNodes => f.write_str("a socket group needs at least one node"),
        }
    }
}

impl std::error::Error for UriError {}

/// What an option accepts, for [`UriError::InvalidValue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expected {
    /// An integer within the bounds.
    Integer {
        /// Smallest value accepted.
        min: i64,
        /// Largest value accepted.
        max: i64,
    },
    /// Whole milliseconds within the bounds.
    Milliseconds {
        /// Smallest value accepted.
        min: u64,
        /// Largest value accepted.
        max: u64,
    },
    /// Whole seconds within the bounds.
    Seconds {
        /// Smallest value accepted.
        min: u64,
        /// Largest value accepted.
        max: u64,
    },
    /// `yes`/`no`, `on`/`off`, `true`/`false` or `1`/`0`.
    Bool,
    /// A string of this many bytes.
    Text {
        /// Fewest bytes accepted.
        min: usize,
        /// Most bytes accepted.
        max: usize,
    },
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// `major.minor.patch`, each 0 to 255.
    Version,
    /// `ADDRESS:PORT`.
    AddressAndPort,
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Integer { min, max } => write!(f, "an integer, {min} to {max}"),
            Self::Milliseconds { min, max } => write!(f, "milliseconds, {min} to {max}"),
            Self::Seconds { min, max } => write!(f, "seconds, {min} to {max}"),
            Self::Bool => f.write_str("yes/no, on/off, true/false or 1/0"),
            Self::Text { min, max } => write!(f, "a string of {min} to {max} bytes"),
            Self::OneOf(words) => write!(f, "one of {}", words.join(", ")),
            Self::Version => f.write_str("a version major.minor.patch"),
            Self::AddressAndPort => f.write_str("ADDRESS:PORT"),
        }
    }
}

// ---------------------------------------------------------------------------
// Parsing.

impl FromStr for Uri {
    type Err = UriError;

    fn from_str(text: &str) -> Result<Self, UriError> {
        if text.is_empty() {
            return Err(UriError::Empty);
        }
        let Some((scheme, rest)) = text.split_once("://") else {
            return Ok(Self::File(FileUri::Path(text.to_owned())));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "srt" => SrtUri::parse_rest(rest).map(Self::Srt),
            "udp" => UdpUri::parse_rest(rest).map(Self::Udp),
            "file" => Ok(Self::File(if rest == "con" {
                FileUri::Console
            } else {
                FileUri::Path(rest.to_owned())
            })),
            _ => Err(UriError::UnknownScheme(scheme.to_owned())),
        }
    }
}

impl FromStr for SrtUri {
    type Err = UriError;

    /// Parses `srt://…`; any other scheme is [`UriError::UnknownScheme`].
    fn from_str(text: &str) -> Result<Self, UriError> {
        match text.parse::<Uri>()? {
            Uri::Srt(srt) => Ok(srt),
            Uri::Udp(_) => Err(UriError::UnknownScheme("udp".to_owned())),
            Uri::File(_) => Err(UriError::UnknownScheme("file".to_owned())),
        }
    }
}

impl SrtUri {
    /// The peer to connect to, `(host, port)`: the URI's host and port for
    /// a caller or rendezvous, `None` for a listener.
    pub fn remote(&self) -> Option<(&str, u16)> {
        (self.mode != Mode::Listener).then_some((self.host.as_str(), self.port))
    }

    /// The local address to bind, `(host, port)`, as `srt-live-transmit`
    /// binds it; an empty host means all interfaces of the family the
    /// peer needs.
    /// - listener: the URI's host (or `adapter` when the host is empty)
    ///   and the URI's port;
    /// - caller: `adapter` and `port`, defaulting to all interfaces and
    ///   port 0 (the system picks);
    /// - rendezvous: like caller, but the port defaults to the remote port.
    pub fn local_binding(&self) -> (&str, u16) {
        let adapter = self.options.adapter.as_deref().unwrap_or("");
        match self.mode {
            Mode::Listener if self.host.is_empty() => (adapter, self.port),
            Mode::Listener => (self.host.as_str(), self.port),
            Mode::Caller => (adapter, self.options.port.unwrap_or(0)),
            Mode::Rendezvous => (adapter, self.options.port.unwrap_or(self.port)),
        }
    }

    /// The mode a URI without `mode=` gets: listener without a host,
    /// rendezvous with a host and an adapter, caller with a host alone.
    pub fn default_mode(host: &str, options: &SrtOptions) -> Mode {
        match (host.is_empty(), options.adapter.is_some()) {
            (true, _) => Mode::Listener,
            (false, true) => Mode::Rendezvous,
            (false, false) => Mode::Caller,
        }
    }

    /// Parses what follows `srt://`.
    fn parse_rest(rest: &str) -> Result<Self, UriError> {
        let (authority, query) = split_query(rest)?;
        let (host, port) = parse_authority(authority)?;
        let mut options = SrtOptions::default();
        let mut mode = None;
        let mut unknown = Vec::new();
        for (key, value) in query_items(query) {
            let (key, value) = (key?, value?);
            match key.as_str() {
                "mode" => {
                    if mode.is_some() {
                        return Err(UriError::DuplicateOption(key));
                    }
                    mode = Some(parse_mode(&value).ok_or(UriError::InvalidValue {
                        key,
                        value,
                        expected: Expected::OneOf(&[
                            "caller",
                            "listener",
                            "rendezvous",
                            "client",
                            "server",
                        ]),
                    })?);
                }
                "bind" => {
                    let (adapter, port) = parse_bind(&value).ok_or(UriError::InvalidValue {
                        key,
                        value,
                        expected: Expected::AddressAndPort,
                    })?;
                    options.set("adapter", &adapter)?;
                    options.set("port", &port)?;
                }
                _ => {
                    if !options.set(&key, &value)? {
                        unknown.push((key, value));
                    }
                }
            }
        }
        let mode = mode.unwrap_or_else(|| Self::default_mode(&host, &options));
        if mode != Mode::Listener && host.is_empty() {
            return Err(UriError::MissingHost(mode));
        }
        Ok(Self {
            mode,
            host,
            port,
            options,
            unknown,
        })
    }
}

impl FromStr for UdpUri {
    type Err = UriError;

    /// Parses `udp://…`; any other scheme is [`UriError::UnknownScheme`].
    fn from_str(text: &str) -> Result<Self, UriError> {
        match text.parse::<Uri>()? {
            Uri::Udp(udp) => Ok(udp),
            Uri::Srt(_) => Err(UriError::UnknownScheme("srt".to_owned())),
            Uri::File(_) => Err(UriError::UnknownScheme("file".to_owned())),
        }
    }
}

impl UdpUri {
    /// Parses what follows `udp://`.
    fn parse_rest(rest: &str) -> Result<Self, UriError> {
        let (authority, query) = split_query(rest)?;
        // libsrt accepts `@group:port` for multicast; the `@` changes nothing.
        let authority = authority.strip_prefix('@').unwrap_or(authority);
        let (host, port) = parse_authority(authority)?;
        let mut options = UdpOptions::default();
        let mut unknown = Vec::new();
        for (key, value) in query_items(query) {
            let (key, value) = (key?, value?);
            if !options.set(&key, &value)? {
                unknown.push((key, value));
            }
        }
        Ok(Self {
            host,
            port,
            options,
            unknown,
        })
    }
}

fn parse_mode(text: &str) -> Option<Mode> {
    match text {
        "caller" | "client" => Some(Mode::Caller),
        "listener" | "server" => Some(Mode::Listener),
        "rendezvous" => Some(Mode::Rendezvous),
        _ => None,
    }
}

/// `ADDRESS:PORT` or `[IPV6]:PORT` into the address and the port's text.
fn parse_bind(text: &str) -> Option<(String, String)> {
    let (host, port) = parse_authority(text).ok()?;
    let port_text = text.rsplit_once(':').map(|(_, p)| p)?;
    (!host.is_empty() && port_text.parse::<u16>() == Ok(port)).then(|| (host, port_text.to_owned()))
}

/// Splits `HOST:PORT[/]?QUERY` into the authority and the query; a path is
/// an error.
fn split_query(rest: &str) -> Result<(&str, &str), UriError> {
    let (before, query) = rest.split_once('?').unwrap_or((rest, ""));
    // A path starts at the first '/' (brackets hold no '/').
    let (authority, path) = match before.find('/') {
        Some(at) => before.split_at(at),
        None => (before, ""),
    };
    if !path.is_empty() && path != "/" {
        return Err(UriError::UnexpectedPath(path.to_owned()));
    }
    Ok((authority, query))
}

/// `HOST:PORT`, `:PORT` or `[IPV6]:PORT` into the host (unbracketed,
/// possibly empty) and the port.
fn parse_authority(authority: &str) -> Result<(String, u16), UriError> {
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let (v6, after) = inner
            .split_once(']')
            .ok_or_else(|| UriError::InvalidHost(authority.to_owned()))?;
        if v6.parse::<Ipv6Addr>().is_err() {
            return Err(UriError::InvalidHost(v6.to_owned()));
        }
        let port = after.strip_prefix(':').ok_or(if after.is_empty() {
            UriError::MissingPort
        } else {
            UriError::InvalidHost(authority.to_owned())
        })?;
        (v6, port)
    } else {
        let (host, port) = authority.rsplit_once(':').ok_or(UriError::MissingPort)?;
        let valid = host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
        if !valid {
            return Err(UriError::InvalidHost(host.to_owned()));
        }
        (host, port)
    };
    if port.is_empty() {
        return Err(UriError::MissingPort);
    }
    let port = port
        .parse::<u16>()
        .map_err(|_| UriError::InvalidPort(port.to_owned()))?;
    Ok((host.to_owned(), port))
}

type Item = (Result<String, UriError>, Result<String, UriError>);

/// The `key=value` items of a query, percent-decoded; empty items (`&&`,
/// a trailing `&`) are skipped.
fn query_items(query: &str) -> impl Iterator<Item = Item> + '_ {
    query
        .split('&')
        .filter(|item| !item.is_empty())
        .map(|item| {
            let Some((key, value)) = item.split_once('=') else {
                let key = percent_decode(item).unwrap_or_else(|_| item.to_owned());
                return (Err(UriError::MissingValue(key)), Ok(String::new()));
            };
            let bad = || UriError::InvalidPercentEncoding(item.to_owned());
            (
                percent_decode(key).map_err(|()| bad()),
                percent_decode(value).map_err(|()| bad()),
            )
        })
}

/// Decodes `%XX` escapes; `+` stays `+`.
fn percent_decode(text: &str) -> Result<String, ()> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = bytes.next().and_then(hex_value).ok_or(())?;
            let lo = bytes.next().and_then(hex_value).ok_or(())?;
            out.push(hi << 4 | lo);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).map_err(|_| ())
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Writing.

/// Percent-encodes everything but unreserved characters and a few that
/// are harmless inside a query value.
fn percent_encode(text: &str, out: &mut fmt::Formatter<'_>) -> fmt::Result {
    for b in text.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b','
                    | b';'
                    | b':'
                    | b'@'
                    | b'/'
            )
        {
            fmt::Write::write_char(out, char::from(b))?;
        } else {
            write!(out, "%{b:02X}")?;
        }
    }
    Ok(())
}

fn write_authority(f: &mut fmt::Formatter<'_>, host: &str, port: u16) -> fmt::Result {
    if host.contains(':') {
        write!(f, "[{host}]:{port}")
    } else {
        write!(f, "{host}:{port}")
    }
}

/// Writes `?k=v&k=v…` (nothing if there are no pairs).
fn write_query<'a>(
    f: &mut fmt::Formatter<'_>,
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
) -> fmt::Result {
    for (i, (key, value)) in pairs.enumerate() {
        f.write_str(if i == 0 { "?" } else { "&" })?;
        percent_encode(key, f)?;
        f.write_str("=")?;
        percent_encode(value, f)?;
    }
    Ok(())
}

impl fmt::Display for SrtUri {
    /// Writes the URI so that it parses back to `self`; `mode=` only when
    /// it differs from [`SrtUri::default_mode`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("srt://")?;
        write_authority(f, &self.host, self.port)?;
        let mode = (self.mode != Self::default_mode(&self.host, &self.options))
            .then(|| ("mode", self.mode.as_str()));
        let pairs = self.options.pairs();
        let known = pairs.iter().map(|(k, v)| (*k, v.as_str()));
        let unknown = self.unknown.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        write_query(f, mode.into_iter().chain(known).chain(unknown))
    }
}

impl fmt::Display for UdpUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("udp://")?;
        write_authority(f, &self.host, self.port)?;
        let pairs = self.options.pairs();
        let known = pairs.iter().map(|(k, v)| (*k, v.as_str()));
        let unknown = self.unknown.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        write_query(f, known.chain(unknown))
    }
}

impl fmt::Display for FileUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Console => f.write_str("file://con"),
            // A bare `con` is a file named so; `file://con` would be the console.
            Self::Path(path) if path == "con" => f.write_str(path),
            Self::Path(path) => write!(f, "file://{path}"),
        }
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Srt(srt) => srt.fmt(f),
            Self::Udp(udp) => udp.fmt(f),
            Self::File(file) => file.fmt(f),
        }
    }
}

//! `rtmp://host[:port]/app[/more]/key[?query]` URLs.

use core::fmt;

/// The default RTMP port.
pub const DEFAULT_PORT: u16 = 1935;

/// A parsed `rtmp://` URL: where to connect, the application and the stream key.
///
/// The application is the first path segment and the stream key the rest
/// (query included), as ffmpeg splits `rtmp://host/live/key`; an
/// application of several segments is not guessed.
///
/// ```
/// use rtmp_tokio::RtmpUrl;
/// let url: RtmpUrl = "rtmp://127.0.0.1:1936/live/cam1?token=x".parse()?;
/// assert_eq!((url.host.as_str(), url.port), ("127.0.0.1", 1936));
/// assert_eq!((url.app.as_str(), url.key.as_str()), ("live", "cam1?token=x"));
/// assert_eq!(url.tc_url(), "rtmp://127.0.0.1:1936/live");
/// # Ok::<(), rtmp_tokio::UrlError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtmpUrl {
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// TCP port (1935 when the URL names none).
    pub port: u16,
    /// The application (`live`).
    pub app: String,
    /// The stream key with its query, if any (`cam1?token=x`); may be empty.
    pub key: String,
}

/// Why a string is not an RTMP URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// The scheme is not `rtmp://`.
    Scheme,
    /// The host is missing.
    Host,
    /// The port is not a number from 1 to 65535.
    Port,
    /// The path has no application.
    App,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UrlError::Scheme => "the URL does not start with rtmp://",
            UrlError::Host => "the URL has no host",
            UrlError::Port => "the URL's port is not valid",
            UrlError::App => "the URL has no application",
        })
    }
}

impl std::error::Error for UrlError {}

impl core::str::FromStr for RtmpUrl {
    type Err = UrlError;

    fn from_str(s: &str) -> Result<Self, UrlError> {
        let rest = s
            .strip_prefix("rtmp://")
            .or_else(|| s.strip_prefix("RTMP://"))
            .ok_or(UrlError::Scheme)?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or(UrlError::Host)?;
            (host, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(UrlError::Host);
        }
        let port = match port {
            None => DEFAULT_PORT,
            Some(p) => match p.parse::<u16>() {
                Ok(p) if p != 0 => p,
                _ => return Err(UrlError::Port),
            },
        };
        let (app, key) = path.split_once('/').unwrap_or((path, ""));
        if app.is_empty() {
            return Err(UrlError::App);
        }
        Ok(Self {
            host: host.to_owned(),
            port,
            app: app.to_owned(),
            key: key.to_owned(),
        })
    }
}

impl RtmpUrl {
    /// `tcUrl`: the URL up to and including the application.
    pub fn tc_url(&self) -> String {
        if self.host.contains(':') {
            format!("rtmp://[{}]:{}/{}", self.host, self.port, self.app)
        } else {
            format!("rtmp://{}:{}/{}", self.host, self.port, self.app)
        }
    }

    /// `host:port`, for `TcpStream::connect`.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for RtmpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.tc_url(), self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_defaults_to_1935() {
        let url: RtmpUrl = "rtmp://example.com/live/key".parse().unwrap();
        assert_eq!(url.port, 1935);
        assert_eq!(url.key, "key");
    }

    #[test]
    fn key_keeps_extra_segments_and_query() {
        let url: RtmpUrl = "rtmp://h/app/a/b?x=1".parse().unwrap();
        assert_eq!((url.app.as_str(), url.key.as_str()), ("app", "a/b?x=1"));
    }

    #[test]
    fn ipv6_host_in_brackets() {
        let url: RtmpUrl = "rtmp://[::1]:1940/live/k".parse().unwrap();
        assert_eq!((url.host.as_str(), url.port), ("::1", 1940));
        assert_eq!(url.authority(), "[::1]:1940");
    }

    #[test]
    fn malformed_urls_are_refused() {
        assert_eq!("http://h/live/k".parse::<RtmpUrl>(), Err(UrlError::Scheme));
        assert_eq!("rtmp:///live/k".parse::<RtmpUrl>(), Err(UrlError::Host));
        assert_eq!("rtmp://h:0/live/k".parse::<RtmpUrl>(), Err(UrlError::Port));
        assert_eq!("rtmp://h:x/live/k".parse::<RtmpUrl>(), Err(UrlError::Port));
        assert_eq!("rtmp://h".parse::<RtmpUrl>(), Err(UrlError::App));
    }
}

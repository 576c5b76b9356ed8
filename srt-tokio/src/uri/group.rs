//! Socket group URIs, as libsrt's tools write them.
//!
//! libsrt 1.5.1's `srt-live-transmit` has no group syntax; its
//! `srt-test-live` (docs `features/socket-groups.md`, "Application
//! Support") has two, both parsed here into a [`GroupUri`]:
//! - the direct form, one URI:
//!   `srt:////group?type=broadcast&nodes=host1:port1,host2:port2&latency=200`;
//! - the simplified form, a header URI with `*` as its host followed by
//!   one argument per node, each with an optional `weight`:
//!   `srt://*?type=backup&latency=500 alpha:5000?weight=1 beta:5000?weight=0`.
//!
//! `type` (also `grouptype`, srt-xtransmit's name) is `broadcast` (the
//! default) or `backup`; every other query item is an SRT option shared
//! by all members ([`SrtOptions`]). The receiving side of a group is an
//! ordinary listener URI with `groupconnect=1`.
//!
//! ```
//! use srt_tokio::uri::{GroupUri, GroupUriType};
//! let g: GroupUri = "srt:////group?type=backup&nodes=10.0.0.1:4200,10.0.1.1:4200&latency=300"
//!     .parse()
//!     .unwrap();
//! assert_eq!(g.group_type, GroupUriType::Backup);
//! assert_eq!(g.nodes.len(), 2);
//! assert_eq!(g.options.latency, Some(std::time::Duration::from_millis(300)));
//!
//! let g = GroupUri::from_args("srt://*?type=backup", ["alpha:5000?weight=2", "beta:5000"]).unwrap();
//! assert_eq!((g.nodes[0].weight, g.nodes[1].weight), (2, 0));
//! ```

use super::{
    Expected, Mode, SrtOptions, SrtUri, UriError, parse_authority, query_items, split_query,
};
use std::fmt;
use std::str::FromStr;

/// The group type a group URI asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupUriType {
    /// `broadcast` (libsrt's default).
    #[default]
    Broadcast,
    /// `backup` (main/backup).
    Backup,
}

impl GroupUriType {
    /// Its name in a URI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Broadcast => "broadcast",
            Self::Backup => "backup",
        }
    }
}

/// One member path of a group URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupNode {
    /// The host to call (unbracketed).
    pub host: String,
    /// Its port.
    pub port: u16,
    /// The member's weight (backup priority, higher first; 0 unless
    /// given).
    pub weight: u16,
}

/// A caller socket group: its type, its member paths and the SRT options
/// every member shares, from libsrt's direct form
/// (`srt:////group?type=backup&nodes=h1:p1,h2:p2&…`, [`str::parse`]) or
/// its simplified form (`srt://*?type=backup&…` then `h1:p1?weight=N …`,
/// [`GroupUri::from_args`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupUri {
    /// Broadcast or backup.
    pub group_type: GroupUriType,
    /// The member paths, in the order given.
    pub nodes: Vec<GroupNode>,
    /// The options every member gets.
    pub options: SrtOptions,
    /// Options this module does not know, in the order given, decoded.
    pub unknown: Vec<(String, String)>,
}

/// The host part that makes an `srt://` URI a group header (simplified
/// form).
const HEADER_HOST: &str = "*";
/// What follows `srt://` in the direct form.
const DIRECT: &str = "//group";

impl GroupUri {
    /// Whether `text` is a group URI (either form's first argument):
    /// `srt:////group?…` or `srt://*…`.
    pub fn is_group(text: &str) -> bool {
        text.strip_prefix("srt://").is_some_and(|rest| {
            rest.starts_with(HEADER_HOST)
                || rest
                    .strip_prefix(DIRECT)
                    .is_some_and(|r| r.is_empty() || r.starts_with('?'))
        })
    }

    /// The simplified form: `header` is `srt://*?type=…&options`, each of
    /// `nodes` is `host:port` with an optional `?weight=N`.
    pub fn from_args<S: AsRef<str>>(
        header: &str,
        nodes: impl IntoIterator<Item = S>,
    ) -> Result<Self, UriError> {
        let rest = header
            .strip_prefix("srt://")
            .ok_or_else(|| UriError::UnknownScheme(scheme_of(header)))?;
        let query = match rest.strip_prefix(HEADER_HOST) {
            Some("") => "",
            Some(q) => q
                .strip_prefix('?')
                .or_else(|| q.strip_prefix("/?"))
                .ok_or_else(|| UriError::UnexpectedPath(q.to_owned()))?,
            None => return Err(UriError::InvalidHost(rest.to_owned())),
        };
        let mut uri = Self::from_query(query, false)?;
        for node in nodes {
            uri.nodes.push(parse_node(node.as_ref())?);
        }
        if uri.nodes.is_empty() {
            return Err(UriError::NoGroupNodes);
        }
        Ok(uri)
    }

    /// The group's type, options and (direct form) nodes from a query.
    fn from_query(query: &str, direct: bool) -> Result<Self, UriError> {
        let mut uri = Self {
            group_type: GroupUriType::default(),
            nodes: Vec::new(),
            options: SrtOptions::default(),
            unknown: Vec::new(),
        };
        let mut typed = false;
        let mut listed = false;
        for (key, value) in query_items(query) {
            let (key, value) = (key?, value?);
            match key.as_str() {
                "type" | "grouptype" => {
                    if typed {
                        return Err(UriError::DuplicateOption(key));
                    }
                    typed = true;
                    uri.group_type = match value.as_str() {
                        "broadcast" => GroupUriType::Broadcast,
                        "backup" => GroupUriType::Backup,
                        _ => {
                            return Err(UriError::InvalidValue {
                                key,
                                value,
                                expected: Expected::OneOf(&["broadcast", "backup"]),
                            });
                        }
                    };
                }
                "nodes" if direct => {
                    if listed {
                        return Err(UriError::DuplicateOption(key));
                    }
                    listed = true;
                    for node in value.split(',').filter(|n| !n.is_empty()) {
                        uri.nodes.push(parse_node(node)?);
                    }
                }
                _ => {
                    if !uri.options.set(&key, &value)? {
                        uri.unknown.push((key, value));
                    }
                }
            }
        }
        Ok(uri)
    }

    /// A caller URI for node `i` with the group's options (what a tool
    /// maps onto a socket builder, as for a single connection).
    pub fn member_uri(&self, i: usize) -> Option<SrtUri> {
        let node = self.nodes.get(i)?;
        Some(SrtUri {
            mode: Mode::Caller,
            host: node.host.clone(),
            port: node.port,
            options: self.options.clone(),
            unknown: self.unknown.clone(),
        })
    }
}

impl FromStr for GroupUri {
    type Err = UriError;

    /// The direct form, `srt:////group?type=…&nodes=h1:p1,h2:p2&…`, or
    /// a simplified-form header with its nodes in `nodes=`.
    fn from_str(text: &str) -> Result<Self, UriError> {
        if text.is_empty() {
            return Err(UriError::Empty);
        }
        let rest = text
            .strip_prefix("srt://")
            .ok_or_else(|| UriError::UnknownScheme(scheme_of(text)))?;
        let query = if let Some(q) = rest.strip_prefix(DIRECT) {
            q
        } else if let Some(q) = rest.strip_prefix(HEADER_HOST) {
            q
        } else {
            return Err(UriError::InvalidHost(
                split_query(rest).map_or(rest, |(a, _)| a).to_owned(),
            ));
        };
        let query = match query {
            "" => "",
            q => q
                .strip_prefix('?')
                .ok_or_else(|| UriError::UnexpectedPath(q.to_owned()))?,
        };
        let uri = Self::from_query(query, true)?;
        if uri.nodes.is_empty() {
            return Err(UriError::NoGroupNodes);
        }
        Ok(uri)
    }
}

impl fmt::Display for GroupUri {
    /// Writes the simplified form, the header and then each node
    /// (space-separated, as a command line has them), which
    /// [`GroupUri::from_args`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("srt://*")?;
        let pairs = self.options.pairs();
        let ty = ("type", self.group_type.as_str());
        let known = pairs.iter().map(|(k, v)| (*k, v.as_str()));
        let unknown = self.unknown.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        super::write_query(f, std::iter::once(ty).chain(known).chain(unknown))?;
        for node in &self.nodes {
            f.write_str(" ")?;
            super::write_authority(f, &node.host, node.port)?;
            if node.weight != 0 {
                write!(f, "?weight={}", node.weight)?;
            }
        }
        Ok(())
    }
}

/// `host:port` with an optional `?weight=N`.
fn parse_node(text: &str) -> Result<GroupNode, UriError> {
    let text = text.strip_prefix("srt://").unwrap_or(text);
    let (authority, query) = split_query(text)?;
    let (host, port) = parse_authority(authority)?;
    if host.is_empty() {
        return Err(UriError::MissingHost(Mode::Caller));
    }
    let mut weight = None;
    for (key, value) in query_items(query) {
        let (key, value) = (key?, value?);
        if key != "weight" {
            return Err(UriError::InvalidValue {
                key,
                value,
                expected: Expected::OneOf(&["weight=0..65535"]),
            });
        }
        if weight.is_some() {
            return Err(UriError::DuplicateOption(key));
        }
        weight = Some(value.parse::<u16>().map_err(|_| UriError::InvalidValue {
            key,
            value: value.clone(),
            expected: Expected::Integer {
                min: 0,
                max: i64::from(u16::MAX),
            },
        })?);
    }
    Ok(GroupNode {
        host,
        port,
        weight: weight.unwrap_or(0),
    })
}

fn scheme_of(text: &str) -> String {
    text.split_once("://")
        .map_or_else(|| "file".to_owned(), |(s, _)| s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn node(host: &str, port: u16, weight: u16) -> GroupNode {
        GroupNode {
            host: host.to_owned(),
            port,
            weight,
        }
    }

    #[test]
    fn the_direct_form_names_type_nodes_and_shared_options() {
        let g: GroupUri = "srt:////group?type=backup&nodes=10.0.0.1:4200,[::1]:4201&latency=300"
            .parse()
            .unwrap();
        assert_eq!(g.group_type, GroupUriType::Backup);
        assert_eq!(g.nodes, [node("10.0.0.1", 4200, 0), node("::1", 4201, 0)]);
        assert_eq!(g.options.latency, Some(Duration::from_millis(300)));
    }

    #[test]
    fn the_simplified_form_takes_a_star_header_and_one_argument_per_node() {
        let g = GroupUri::from_args(
            "srt://*?type=backup&latency=500&passphrase=0123456789",
            ["alpha:5000?weight=0", "beta:5000?weight=1"],
        )
        .unwrap();
        assert_eq!(g.group_type, GroupUriType::Backup);
        assert_eq!(g.nodes, [node("alpha", 5000, 0), node("beta", 5000, 1)]);
        assert_eq!(g.options.passphrase.as_deref(), Some("0123456789"));
    }

    #[test]
    fn broadcast_is_the_default_type_and_grouptype_is_taken_too() {
        let g = GroupUri::from_args("srt://*", ["a:1"]).unwrap();
        assert_eq!(g.group_type, GroupUriType::Broadcast);
        let g: GroupUri = "srt:////group?grouptype=backup&nodes=a:1".parse().unwrap();
        assert_eq!(g.group_type, GroupUriType::Backup);
    }

    #[test]
    fn group_uris_are_told_from_single_ones() {
        assert!(GroupUri::is_group("srt:////group?type=broadcast&nodes=a:1"));
        assert!(GroupUri::is_group("srt://*?type=backup"));
        assert!(GroupUri::is_group("srt://*"));
        assert!(!GroupUri::is_group("srt://host:9000"));
        assert!(!GroupUri::is_group("srt://:9000?groupconnect=1"));
        assert!(!GroupUri::is_group("udp://*:1"));
    }

    #[test]
    fn a_group_without_nodes_an_unknown_type_or_a_bad_weight_is_refused() {
        assert_eq!(
            "srt:////group?type=broadcast".parse::<GroupUri>(),
            Err(UriError::NoGroupNodes)
        );
        assert_eq!(
            GroupUri::from_args("srt://*", Vec::<&str>::new()),
            Err(UriError::NoGroupNodes)
        );
        let e = "srt:////group?type=balancing&nodes=a:1"
            .parse::<GroupUri>()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "type=balancing: expected one of broadcast, backup"
        );
        assert!(matches!(
            GroupUri::from_args("srt://*", ["a:1?weight=70000"]),
            Err(UriError::InvalidValue { .. })
        ));
        assert!(matches!(
            GroupUri::from_args("srt://*", ["a"]),
            Err(UriError::MissingPort)
        ));
    }

    #[test]
    fn a_member_uri_is_a_caller_with_the_shared_options() {
        let g = GroupUri::from_args("srt://*?latency=250", ["a:1", "b:2"]).unwrap();
        let m = g.member_uri(1).unwrap();
        assert_eq!((m.mode, m.host.as_str(), m.port), (Mode::Caller, "b", 2));
        assert_eq!(m.options.latency, Some(Duration::from_millis(250)));
        assert!(g.member_uri(2).is_none());
    }

    #[test]
    fn the_written_form_reads_back() {
        let g = GroupUri::from_args(
            "srt://*?type=backup&latency=500&streamid=%23!::r=a",
            ["alpha:5000?weight=3", "[::1]:5001"],
        )
        .unwrap();
        let text = g.to_string();
        let mut args = text.split(' ');
        let header = args.next().unwrap();
        assert_eq!(GroupUri::from_args(header, args).unwrap(), g, "{text}");
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_or_is_refused_without_panicking(
            text in "srt://(\\*|//group)?[?&=:,a-z0-9%\\[\\]/]{0,40}",
            node in "[?&=:a-z0-9%\\[\\]]{0,20}",
        ) {
            let _ = text.parse::<GroupUri>();
            let _ = GroupUri::from_args(&text, [node.as_str()]);
        }

        #[test]
        fn a_written_group_reads_back(
            weights in proptest::collection::vec(proptest::num::u16::ANY, 1..4),
            backup in proptest::bool::ANY,
            latency in 0u64..10_000,
        ) {
            let nodes: Vec<String> = weights
                .iter()
                .enumerate()
                .map(|(i, w)| format!("host{i}:{}?weight={w}", 4000 + i))
                .collect();
            let ty = if backup { "backup" } else { "broadcast" };
            let g = GroupUri::from_args(&format!("srt://*?type={ty}&latency={latency}"), &nodes).unwrap();
            let text = g.to_string();
            let mut args = text.split(' ');
            let header = args.next().unwrap();
            proptest::prop_assert_eq!(GroupUri::from_args(header, args).unwrap(), g);
        }
    }
}

//! The option tables: each URI key with its field, type and codec.

use std::time::Duration;

use super::codec::{Codec, Flag, I32_MAX, Int, KeyLen, Kind, Millis, Seconds, Text, Version};
use super::{Congestion, SrtVersion, TransType, UriError};

/// Declares an options struct: its fields, and the table that maps each
/// URI key to its field and codec.
macro_rules! options {
    (
        $(#[doc = $sdoc:literal])*
        $name:ident {
            $( $(#[doc = $doc:literal])* $field:ident: $ty:ty = $key:literal via $codec:ty, )*
        }
    ) => {
        $(#[doc = $sdoc])*
        #[derive(Debug, Clone, PartialEq, Eq, Default)]
        #[non_exhaustive]
        pub struct $name {
            $( $(#[doc = $doc])* pub $field: Option<$ty>, )*
        }

        impl $name {
            /// The URI keys this struct holds, in the order
            /// [`Display`](std::fmt::Display) writes them.
            pub const KEYS: &'static [&'static str] = &[$($key),*];

            /// Sets the option `key` from its decoded text; `Ok(false)` if
            /// `key` is not one of [`Self::KEYS`].
            pub(super) fn set(&mut self, key: &str, value: &str) -> Result<bool, UriError> {
                match key {
                    $(
                        $key => {
                            if self.$field.is_some() {
                                return Err(UriError::DuplicateOption(key.to_owned()));
                            }
                            let decoded = <$codec as Codec<$ty>>::decode(value).map_err(
                                |expected| UriError::InvalidValue {
                                    key: key.to_owned(),
                                    value: value.to_owned(),
                                    expected,
                                },
                            )?;
                            self.$field = Some(decoded);
                            Ok(true)
                        }
                    )*
                    _ => Ok(false),
                }
            }

            /// The options that are set, as (key, text) in [`Self::KEYS`]
            /// order.
            pub(super) fn pairs(&self) -> Vec<(&'static str, String)> {
                let mut pairs = Vec::new();
                $(
                    if let Some(value) = &self.$field {
                        pairs.push(($key, <$codec as Codec<$ty>>::encode(value)));
                    }
                )*
                pairs
            }

            /// Every key with a strategy for its valid texts.
            #[cfg(test)]
            pub(super) fn valid_texts() -> Vec<(&'static str, proptest::strategy::BoxedStrategy<String>)> {
                vec![$( ($key, <$codec as Codec<$ty>>::valid_text()), )*]
            }
        }
    };
}

options! {
    /// The SRT socket options a URI can set, each `None` unless given.
    /// Names are libsrt's URI keys; units are those of `srt-live-transmit`.
    SrtOptions {
        /// `SRTO_LATENCY` (`latency`, ms): both receiver and peer latency.
        latency: Duration = "latency" via Millis<0>,
        /// `SRTO_RCVLATENCY` (`rcvlatency`, ms).
        rcvlatency: Duration = "rcvlatency" via Millis<0>,
        /// `SRTO_PEERLATENCY` (`peerlatency`, ms).
        peerlatency: Duration = "peerlatency" via Millis<0>,
        /// `SRTO_PASSPHRASE` (`passphrase`): 10 to 79 bytes.
        passphrase: String = "passphrase" via Text<10, 79>,
        /// `SRTO_PBKEYLEN` (`pbkeylen`, bytes): 0 (default, 16), 16, 24 or
        /// 32.
        pbkeylen: u8 = "pbkeylen" via KeyLen,
        /// `SRTO_CRYPTOMODE` (`cryptomode`): 0 auto, 1 AES-CTR, 2 AES-GCM.
        cryptomode: u8 = "cryptomode" via Int<0, 2>,
        /// `SRTO_ENFORCEDENCRYPTION` (`enforcedencryption`).
        enforcedencryption: bool = "enforcedencryption" via Flag,
        /// `SRTO_KMREFRESHRATE` (`kmrefreshrate`, packets).
        kmrefreshrate: u32 = "kmrefreshrate" via Int<0, I32_MAX>,
        /// `SRTO_KMPREANNOUNCE` (`kmpreannounce`, packets).
        kmpreannounce: u32 = "kmpreannounce" via Int<0, I32_MAX>,
        /// `SRTO_STREAMID` (`streamid`): up to 512 bytes.
        streamid: String = "streamid" via Text<0, 512>,
        /// `SRTO_TRANSTYPE` (`transtype`): `live` or `file`.
        transtype: TransType = "transtype" via Kind,
        /// `SRTO_CONGESTION` (`congestion`): `live` or `file`.
        congestion: Congestion = "congestion" via Kind,
        /// `SRTO_MESSAGEAPI` (`messageapi`).
        messageapi: bool = "messageapi" via Flag,
        /// `SRTO_TSBPDMODE` (`tsbpdmode`).
        tsbpdmode: bool = "tsbpdmode" via Flag,
        /// `SRTO_TLPKTDROP` (`tlpktdrop`).
        tlpktdrop: bool = "tlpktdrop" via Flag,
        /// `SRTO_NAKREPORT` (`nakreport`).
        nakreport: bool = "nakreport" via Flag,
        /// `SRTO_DRIFTTRACER` (`drifttracer`).
        drifttracer: bool = "drifttracer" via Flag,
        /// `SRTO_MAXBW` (`maxbw`, bytes/s): -1 unlimited, 0 relative to the
        /// input rate, else the limit.
        maxbw: i64 = "maxbw" via Int<-1, { i64::MAX }>,
        /// `SRTO_INPUTBW` (`inputbw`, bytes/s): 0 estimates the input rate.
        inputbw: i64 = "inputbw" via Int<0, { i64::MAX }>,
        /// `SRTO_MININPUTBW` (`mininputbw`, bytes/s).
        mininputbw: i64 = "mininputbw" via Int<0, { i64::MAX }>,
        /// `SRTO_OHEADBW` (`oheadbw`, percent): 5 to 100.
        oheadbw: u8 = "oheadbw" via Int<5, 100>,
        /// `SRTO_MSS` (`mss`, bytes): 76 to 1500.
        mss: u16 = "mss" via Int<76, 1500>,
        /// `SRTO_PAYLOADSIZE` (`payloadsize`, bytes).
        payloadsize: u32 = "payloadsize" via Int<0, I32_MAX>,
        /// `SRTO_FC` (`fc`, packets): at least 32.
        fc: u32 = "fc" via Int<32, I32_MAX>,
        /// `SRTO_SNDBUF` (`sndbuf`, bytes).
        sndbuf: u32 = "sndbuf" via Int<1, I32_MAX>,
        /// `SRTO_RCVBUF` (`rcvbuf`, bytes).
        rcvbuf: u32 = "rcvbuf" via Int<1, I32_MAX>,
        /// `SRTO_UDP_SNDBUF` (`udp_sndbuf`, bytes).
        udp_sndbuf: u32 = "udp_sndbuf" via Int<1, I32_MAX>,
        /// `SRTO_UDP_RCVBUF` (`udp_rcvbuf`, bytes).
        udp_rcvbuf: u32 = "udp_rcvbuf" via Int<1, I32_MAX>,
        /// `SRTO_LINGER` (`linger`, seconds).
        linger: Duration = "linger" via Seconds,
        /// `SRTO_CONNTIMEO` (`conntimeo`, ms).
        conntimeo: Duration = "conntimeo" via Millis<0>,
        /// `SRTO_PEERIDLETIMEO` (`peeridletimeo`, ms).
        peeridletimeo: Duration = "peeridletimeo" via Millis<0>,
        /// `SRTO_SNDDROPDELAY` (`snddropdelay`, ms): -1 turns sender drop
        /// off.
        snddropdelay: i32 = "snddropdelay" via Int<-1, I32_MAX>,
        /// `SRTO_LOSSMAXTTL` (`lossmaxttl`, packets): reorder tolerance.
        lossmaxttl: u32 = "lossmaxttl" via Int<0, I32_MAX>,
        /// `SRTO_RETRANSMITALGO` (`retransmitalgo`): 0 or 1.
        retransmitalgo: u8 = "retransmitalgo" via Int<0, 1>,
        /// `SRTO_PACKETFILTER` (`packetfilter`): up to 512 bytes, e.g.
        /// `fec,cols:10,rows:5`.
        packetfilter: String = "packetfilter" via Text<0, 512>,
        /// `SRTO_MINVERSION` (`minversion`): `major.minor.patch`.
        minversion: SrtVersion = "minversion" via Version,
        /// `SRTO_GROUPCONNECT` (`groupconnect`): accept group connections.
        groupconnect: bool = "groupconnect" via Flag,
        /// `SRTO_GROUPMINSTABLETIMEO` (`groupminstabletimeo`, ms): at least
        /// 60.
        groupminstabletimeo: Duration = "groupminstabletimeo" via Millis<60>,
        /// `SRTO_IPTOS` (`iptos`): 0 to 255.
        iptos: u8 = "iptos" via Int<0, 255>,
        /// `SRTO_IPTTL` (`ipttl`): 1 to 255.
        ipttl: u8 = "ipttl" via Int<1, 255>,
        /// `SRTO_IPV6ONLY` (`ipv6only`): -1 (system default), 0 or 1.
        ipv6only: i8 = "ipv6only" via Int<-1, 1>,
        /// `SRTO_BINDTODEVICE` (`bindtodevice`): a network device name.
        bindtodevice: String = "bindtodevice" via Text<1, 255>,
        /// `adapter` (not a socket option): the local address to bind.
        adapter: String = "adapter" via Text<1, 255>,
        /// `port` (not a socket option): the local port to bind (caller and
        /// rendezvous; a rendezvous without it binds the remote port).
        port: u16 = "port" via Int<0, 65535>,
        /// `blocking` (not a socket option): `SRTO_RCVSYN`/`SRTO_SNDSYN`.
        blocking: bool = "blocking" via Flag,
        /// `timeout` (not a socket option, ms): `SRTO_RCVTIMEO` or
        /// `SRTO_SNDTIMEO`; -1 waits forever.
        timeout: i32 = "timeout" via Int<-1, I32_MAX>,
    }
}

options! {
    /// The options `srt-live-transmit` defines for UDP media.
    UdpOptions {
        /// `iptos`: `IP_TOS` of outgoing packets, 0 to 255.
        iptos: u8 = "iptos" via Int<0, 255>,
        /// `ttl`: `IP_TTL`, or `IP_MULTICAST_TTL` for a group, 1 to 255.
        ttl: u8 = "ttl" via Int<1, 255>,
        /// `mcloop`: `IP_MULTICAST_LOOP` (multicast only).
        mcloop: bool = "mcloop" via Flag,
        /// `rcvbuf`: `SO_RCVBUF`, bytes.
        rcvbuf: u32 = "rcvbuf" via Int<1, I32_MAX>,
        /// `sndbuf`: `SO_SNDBUF`, bytes.
        sndbuf: u32 = "sndbuf" via Int<1, I32_MAX>,
        /// `adapter`: the local address to bind (or the multicast
        /// interface).
        adapter: String = "adapter" via Text<1, 255>,
        /// `source`: source-specific multicast (`IP_ADD_SOURCE_MEMBERSHIP`).
        source: String = "source" via Text<1, 255>,
    }
}

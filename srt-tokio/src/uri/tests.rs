use proptest::prelude::*;

use std::time::Duration;

use super::codec::I32_MAX;
use super::*;

fn srt(text: &str) -> SrtUri {
    match text.parse::<Uri>() {
        Ok(Uri::Srt(srt)) => srt,
        other => panic!("{text}: {other:?}"),
    }
}

fn udp(text: &str) -> UdpUri {
    match text.parse::<Uri>() {
        Ok(Uri::Udp(udp)) => udp,
        other => panic!("{text}: {other:?}"),
    }
}

fn options(query: &str) -> SrtOptions {
    srt(&format!("srt://host:9000?{query}")).options
}

fn error(text: &str) -> UriError {
    text.parse::<Uri>().unwrap_err()
}

fn invalid(key: &str, value: &str, expected: Expected) -> UriError {
    UriError::InvalidValue {
        key: key.to_owned(),
        value: value.to_owned(),
        expected,
    }
}

const MS_MAX: u64 = 2_147_483_647;

// --- modes, hosts and ports ------------------------------------------------

#[test]
fn no_host_means_listener() {
    let uri = srt("srt://:9000");
    assert_eq!(
        (uri.mode, uri.host.as_str(), uri.port),
        (Mode::Listener, "", 9000)
    );
}

#[test]
fn a_host_alone_means_caller() {
    let uri = srt("srt://example.com:9000");
    assert_eq!((uri.mode, uri.host.as_str()), (Mode::Caller, "example.com"));
}

#[test]
fn a_host_and_an_adapter_mean_rendezvous() {
    assert_eq!(
        srt("srt://10.0.0.2:9000?adapter=10.0.0.1").mode,
        Mode::Rendezvous
    );
}

#[test]
fn an_explicit_mode_overrides_the_derived_one() {
    assert_eq!(
        srt("srt://10.0.0.1:9000?mode=listener").mode,
        Mode::Listener
    );
    assert_eq!(
        srt("srt://10.0.0.2:9000?mode=rendezvous").mode,
        Mode::Rendezvous
    );
    assert_eq!(
        srt("srt://10.0.0.2:9000?mode=caller&adapter=10.0.0.1").mode,
        Mode::Caller
    );
}

#[test]
fn client_and_server_are_caller_and_listener() {
    assert_eq!(srt("srt://h:1?mode=client").mode, Mode::Caller);
    assert_eq!(srt("srt://h:1?mode=server").mode, Mode::Listener);
}

#[test]
fn caller_and_rendezvous_need_a_host() {
    assert_eq!(
        error("srt://:9000?mode=caller"),
        UriError::MissingHost(Mode::Caller)
    );
    assert_eq!(
        error("srt://:9000?mode=rendezvous"),
        UriError::MissingHost(Mode::Rendezvous)
    );
}

#[test]
fn an_unknown_mode_is_an_error_naming_mode() {
    let err = error("srt://h:1?mode=push");
    assert!(matches!(&err, UriError::InvalidValue { key, .. } if key == "mode"));
    assert!(
        err.to_string()
            .starts_with("mode=push: expected one of caller")
    );
}

#[test]
fn an_ipv6_host_goes_in_brackets() {
    let uri = srt("srt://[::1]:9000");
    assert_eq!((uri.host.as_str(), uri.port), ("::1", 9000));
    assert_eq!(uri.to_string(), "srt://[::1]:9000");
}

#[test]
fn bracketed_text_that_is_not_ipv6_is_an_invalid_host() {
    assert_eq!(
        error("srt://[nope]:1"),
        UriError::InvalidHost("nope".into())
    );
}

#[test]
fn an_unbracketed_ipv6_host_is_refused() {
    assert!(matches!(error("srt://::1:9000"), UriError::InvalidHost(_)));
}

#[test]
fn the_port_is_required_and_must_fit_sixteen_bits() {
    assert_eq!(error("srt://host"), UriError::MissingPort);
    assert_eq!(error("srt://host:"), UriError::MissingPort);
    assert_eq!(error("srt://[::1]"), UriError::MissingPort);
    assert_eq!(
        error("srt://host:65536"),
        UriError::InvalidPort("65536".into())
    );
    assert_eq!(error("srt://host:x"), UriError::InvalidPort("x".into()));
}

#[test]
fn a_path_is_refused_but_a_trailing_slash_is_not() {
    assert_eq!(
        srt("srt://h:1/?latency=5").options.latency,
        Some(Duration::from_millis(5))
    );
    assert_eq!(
        error("srt://h:1/live"),
        UriError::UnexpectedPath("/live".into())
    );
}

#[test]
fn the_scheme_is_case_insensitive_and_must_be_known() {
    assert_eq!(srt("SRT://h:1").port, 1);
    assert_eq!(error("rtmp://h:1"), UriError::UnknownScheme("rtmp".into()));
}

#[test]
fn an_empty_uri_is_an_error() {
    assert_eq!(error(""), UriError::Empty);
}

#[test]
fn a_listener_binds_its_host_or_adapter_and_port_and_has_no_remote() {
    let uri = srt("srt://:9000");
    assert_eq!((uri.local_binding(), uri.remote()), (("", 9000), None));
    assert_eq!(
        srt("srt://10.0.0.1:9000?mode=listener").local_binding(),
        ("10.0.0.1", 9000)
    );
    assert_eq!(
        srt("srt://:9000?adapter=10.0.0.1").local_binding(),
        ("10.0.0.1", 9000)
    );
}

#[test]
fn a_caller_binds_adapter_and_port_or_lets_the_system_pick() {
    let uri = srt("srt://remote:5001");
    assert_eq!(
        (uri.local_binding(), uri.remote()),
        (("", 0), Some(("remote", 5001)))
    );
    let uri = srt("srt://remote:5001?adapter=10.0.0.1&port=4001&mode=caller");
    assert_eq!(uri.local_binding(), ("10.0.0.1", 4001));
}

#[test]
fn a_rendezvous_binds_the_remote_port_unless_port_is_given() {
    let uri = srt("srt://192.168.0.5:5000?mode=rendezvous");
    assert_eq!(uri.local_binding(), ("", 5000));
    assert_eq!(uri.remote(), Some(("192.168.0.5", 5000)));
    let uri = srt("srt://[::1]:5000?mode=rendezvous&port=4000");
    assert_eq!(uri.local_binding(), ("", 4000));
}

// --- options: values and units ------------------------------------------------

#[test]
fn latencies_are_milliseconds() {
    let o = options("latency=200&rcvlatency=300&peerlatency=0");
    assert_eq!(o.latency, Some(Duration::from_millis(200)));
    assert_eq!(o.rcvlatency, Some(Duration::from_millis(300)));
    assert_eq!(o.peerlatency, Some(Duration::ZERO));
}

#[test]
fn a_non_numeric_latency_is_an_error_naming_the_key() {
    let err = error("srt://h:1?latency=abc");
    assert_eq!(
        err,
        invalid(
            "latency",
            "abc",
            Expected::Milliseconds {
                min: 0,
                max: MS_MAX
            }
        )
    );
    assert_eq!(
        err.to_string(),
        "latency=abc: expected milliseconds, 0 to 2147483647"
    );
}

#[test]
fn timeouts_are_milliseconds_and_linger_is_seconds() {
    let o = options("conntimeo=3000&peeridletimeo=5000&linger=180&groupminstabletimeo=60");
    assert_eq!(o.conntimeo, Some(Duration::from_secs(3)));
    assert_eq!(o.peeridletimeo, Some(Duration::from_secs(5)));
    assert_eq!(o.linger, Some(Duration::from_secs(180)));
    assert_eq!(o.groupminstabletimeo, Some(Duration::from_millis(60)));
}

#[test]
fn groupminstabletimeo_starts_at_60_ms() {
    assert_eq!(
        error("srt://h:1?groupminstabletimeo=59"),
        invalid(
            "groupminstabletimeo",
            "59",
            Expected::Milliseconds {
                min: 60,
                max: MS_MAX
            }
        )
    );
}

#[test]
fn snddropdelay_and_timeout_accept_minus_one() {
    let o = options("snddropdelay=-1&timeout=-1");
    assert_eq!((o.snddropdelay, o.timeout), (Some(-1), Some(-1)));
    assert!(matches!(
        error("srt://h:1?snddropdelay=-2"),
        UriError::InvalidValue { key, .. } if key == "snddropdelay"
    ));
}

#[test]
fn the_passphrase_is_10_to_79_bytes() {
    assert_eq!(
        options("passphrase=0123456789").passphrase.as_deref(),
        Some("0123456789")
    );
    let longest = "p".repeat(79);
    assert_eq!(
        options(&format!("passphrase={longest}")).passphrase,
        Some(longest.clone())
    );
    let text = Expected::Text { min: 10, max: 79 };
    assert_eq!(
        error("srt://h:1?passphrase=short"),
        invalid("passphrase", "short", text)
    );
    let too_long = format!("{longest}p");
    assert_eq!(
        error(&format!("srt://h:1?passphrase={too_long}")),
        invalid("passphrase", &too_long, text)
    );
}

#[test]
fn pbkeylen_is_0_16_24_or_32() {
    for len in [0, 16, 24, 32] {
        assert_eq!(options(&format!("pbkeylen={len}")).pbkeylen, Some(len));
    }
    assert!(matches!(
        error("srt://h:1?pbkeylen=20"),
        UriError::InvalidValue { key, expected: Expected::OneOf(_), .. } if key == "pbkeylen"
    ));
}

#[test]
fn crypto_options_parse() {
    let o = options("cryptomode=2&enforcedencryption=no&kmrefreshrate=16777216&kmpreannounce=4096");
    assert_eq!(o.cryptomode, Some(2));
    assert_eq!(o.enforcedencryption, Some(false));
    assert_eq!(o.kmrefreshrate, Some(16_777_216));
    assert_eq!(o.kmpreannounce, Some(4096));
    assert!(
        error("srt://h:1?cryptomode=3")
            .to_string()
            .starts_with("cryptomode=3")
    );
}

#[test]
fn bandwidths_are_bytes_per_second_and_maxbw_takes_minus_one() {
    let o = options("maxbw=-1&inputbw=1250000&mininputbw=100&oheadbw=25");
    assert_eq!(o.maxbw, Some(-1));
    assert_eq!(o.inputbw, Some(1_250_000));
    assert_eq!(o.mininputbw, Some(100));
    assert_eq!(o.oheadbw, Some(25));
    assert_eq!(options("maxbw=0").maxbw, Some(0));
    assert_eq!(
        error("srt://h:1?maxbw=-2"),
        invalid(
            "maxbw",
            "-2",
            Expected::Integer {
                min: -1,
                max: i64::MAX
            }
        )
    );
    assert_eq!(
        error("srt://h:1?inputbw=-1"),
        invalid(
            "inputbw",
            "-1",
            Expected::Integer {
                min: 0,
                max: i64::MAX
            }
        )
    );
}

#[test]
fn oheadbw_is_5_to_100_percent() {
    assert_eq!(options("oheadbw=5").oheadbw, Some(5));
    assert_eq!(options("oheadbw=100").oheadbw, Some(100));
    assert_eq!(
        error("srt://h:1?oheadbw=4"),
        invalid("oheadbw", "4", Expected::Integer { min: 5, max: 100 })
    );
    assert!(matches!(
        error("srt://h:1?oheadbw=101"),
        UriError::InvalidValue { .. }
    ));
}

#[test]
fn sizes_and_windows_parse_within_libsrt_ranges() {
    let o = options("mss=1360&fc=25600&sndbuf=12058624&rcvbuf=12058624&payloadsize=1316");
    assert_eq!(o.mss, Some(1360));
    assert_eq!(o.fc, Some(25_600));
    assert_eq!((o.sndbuf, o.rcvbuf), (Some(12_058_624), Some(12_058_624)));
    assert_eq!(o.payloadsize, Some(1316));
    let o = options("udp_sndbuf=65536&udp_rcvbuf=1000000&lossmaxttl=40");
    assert_eq!(
        (o.udp_sndbuf, o.udp_rcvbuf),
        (Some(65_536), Some(1_000_000))
    );
    assert_eq!(o.lossmaxttl, Some(40));
    assert_eq!(
        error("srt://h:1?mss=75"),
        invalid("mss", "75", Expected::Integer { min: 76, max: 1500 })
    );
    assert_eq!(
        error("srt://h:1?fc=31"),
        invalid(
            "fc",
            "31",
            Expected::Integer {
                min: 32,
                max: I32_MAX
            }
        )
    );
    assert!(matches!(
        error("srt://h:1?sndbuf=0"),
        UriError::InvalidValue { .. }
    ));
    assert!(matches!(
        error("srt://h:1?rcvbuf=2147483648"),
        UriError::InvalidValue { .. }
    ));
}

#[test]
fn booleans_take_every_libsrt_spelling() {
    for (text, value) in [
        ("1", true),
        ("yes", true),
        ("on", true),
        ("true", true),
        ("TRUE", true),
        ("0", false),
        ("no", false),
        ("off", false),
        ("false", false),
    ] {
        assert_eq!(
            options(&format!("tlpktdrop={text}")).tlpktdrop,
            Some(value),
            "{text}"
        );
    }
    assert_eq!(
        error("srt://h:1?nakreport=maybe"),
        invalid("nakreport", "maybe", Expected::Bool)
    );
}

#[test]
fn every_boolean_option_parses() {
    let o = options(
        "messageapi=1&tsbpdmode=1&tlpktdrop=0&nakreport=1&drifttracer=0&groupconnect=1&blocking=0",
    );
    assert_eq!(o.messageapi, Some(true));
    assert_eq!(o.tsbpdmode, Some(true));
    assert_eq!(o.tlpktdrop, Some(false));
    assert_eq!(o.nakreport, Some(true));
    assert_eq!(o.drifttracer, Some(false));
    assert_eq!(o.groupconnect, Some(true));
    assert_eq!(o.blocking, Some(false));
}

#[test]
fn transtype_and_congestion_are_live_or_file() {
    let o = options("transtype=file&congestion=live");
    assert_eq!(o.transtype, Some(TransType::File));
    assert_eq!(o.congestion, Some(Congestion::Live));
    assert_eq!(
        error("srt://h:1?transtype=stream"),
        invalid("transtype", "stream", Expected::OneOf(&["live", "file"]))
    );
}

#[test]
fn minversion_is_major_minor_patch() {
    let v = options("minversion=1.3.0").minversion.unwrap();
    assert_eq!(
        v,
        SrtVersion {
            major: 1,
            minor: 3,
            patch: 0
        }
    );
    assert_eq!(v.as_u32(), 0x01_03_00);
    for bad in ["1.3", "1.3.0.0", "1.256.0", "x.y.z"] {
        assert_eq!(
            error(&format!("srt://h:1?minversion={bad}")),
            invalid("minversion", bad, Expected::Version)
        );
    }
}

#[test]
fn ip_options_parse_within_their_ranges() {
    let o = options("iptos=184&ipttl=64&ipv6only=-1&bindtodevice=eth0&retransmitalgo=1");
    assert_eq!(
        (o.iptos, o.ipttl, o.ipv6only),
        (Some(184), Some(64), Some(-1))
    );
    assert_eq!(o.bindtodevice.as_deref(), Some("eth0"));
    assert_eq!(o.retransmitalgo, Some(1));
    assert!(matches!(
        error("srt://h:1?ipttl=0"),
        UriError::InvalidValue { .. }
    ));
    assert!(matches!(
        error("srt://h:1?iptos=256"),
        UriError::InvalidValue { .. }
    ));
    assert!(matches!(
        error("srt://h:1?ipv6only=2"),
        UriError::InvalidValue { .. }
    ));
}

#[test]
fn adapter_and_port_set_the_local_binding() {
    let uri = srt("srt://remote:5001?adapter=local1&port=4001&mode=caller");
    assert_eq!(uri.options.adapter.as_deref(), Some("local1"));
    assert_eq!(uri.options.port, Some(4001));
    assert_eq!(uri.mode, Mode::Caller);
}

#[test]
fn bind_is_a_shortcut_for_adapter_and_port() {
    let o = options("bind=10.0.0.1:4000");
    assert_eq!(
        (o.adapter.as_deref(), o.port),
        (Some("10.0.0.1"), Some(4000))
    );
    let o = options("bind=[::1]:4000");
    assert_eq!((o.adapter.as_deref(), o.port), (Some("::1"), Some(4000)));
    assert_eq!(
        error("srt://h:1?bind=10.0.0.1"),
        invalid("bind", "10.0.0.1", Expected::AddressAndPort)
    );
    assert_eq!(
        error("srt://h:1?bind=10.0.0.1:4000&port=5"),
        UriError::DuplicateOption("port".into())
    );
}

#[test]
fn stream_ids_and_packet_filters_are_percent_decoded() {
    let o = options("streamid=%23%21%3A%3Ar%3Dlive%2Fa%2Cm%3Dpublish&packetfilter=fec%2Ccols%3A10");
    assert_eq!(o.streamid.as_deref(), Some("#!::r=live/a,m=publish"));
    assert_eq!(o.packetfilter.as_deref(), Some("fec,cols:10"));
}

#[test]
fn a_raw_hash_in_a_stream_id_is_kept() {
    let o = options("streamid=#!::r=live/a,m=publish&latency=20");
    assert_eq!(o.streamid.as_deref(), Some("#!::r=live/a,m=publish"));
    assert_eq!(o.latency, Some(Duration::from_millis(20)));
}

#[test]
fn a_stream_id_longer_than_512_bytes_is_refused() {
    let long = "a".repeat(513);
    assert_eq!(
        error(&format!("srt://h:1?streamid={long}")),
        invalid("streamid", &long, Expected::Text { min: 0, max: 512 })
    );
}

#[test]
fn a_plus_is_not_a_space() {
    assert_eq!(options("streamid=a+b").streamid.as_deref(), Some("a+b"));
}

#[test]
fn bad_percent_escapes_are_errors() {
    for text in [
        "srt://h:1?streamid=%zz",
        "srt://h:1?streamid=%4",
        "srt://h:1?streamid=%ff",
    ] {
        assert!(
            matches!(error(text), UriError::InvalidPercentEncoding(_)),
            "{text}"
        );
    }
}

#[test]
fn an_option_without_a_value_is_an_error() {
    assert_eq!(
        error("srt://h:1?latency"),
        UriError::MissingValue("latency".into())
    );
}

#[test]
fn an_option_given_twice_is_an_error() {
    assert_eq!(
        error("srt://h:1?latency=1&latency=2"),
        UriError::DuplicateOption("latency".into())
    );
    assert_eq!(
        error("srt://h:1?mode=caller&mode=caller"),
        UriError::DuplicateOption("mode".into())
    );
}

#[test]
fn unknown_options_are_kept_in_order_and_decoded() {
    let uri = srt("srt://h:1?foo=1&latency=5&bar=a%20b&&");
    assert_eq!(
        uri.unknown,
        vec![("foo".into(), "1".into()), ("bar".into(), "a b".into())]
    );
}

// --- udp and file -------------------------------------------------------------

#[test]
fn udp_takes_its_options() {
    let uri = udp("udp://:1234?rcvbuf=67108864&ttl=4&iptos=16&adapter=10.0.0.1&mcloop=0");
    assert_eq!((uri.host.as_str(), uri.port), ("", 1234));
    assert_eq!(uri.options.rcvbuf, Some(67_108_864));
    assert_eq!(uri.options.ttl, Some(4));
    assert_eq!(uri.options.iptos, Some(16));
    assert_eq!(uri.options.adapter.as_deref(), Some("10.0.0.1"));
    assert_eq!(uri.options.mcloop, Some(false));
    assert!(!uri.is_multicast());
}

#[test]
fn udp_knows_a_multicast_group_with_or_without_the_at_sign() {
    assert!(udp("udp://239.1.1.1:1234").is_multicast());
    let uri = udp("udp://@239.1.1.1:1234?source=10.0.0.9");
    assert_eq!(uri.host, "239.1.1.1");
    assert!(uri.is_multicast());
    assert_eq!(uri.options.source.as_deref(), Some("10.0.0.9"));
}

#[test]
fn udp_rejects_bad_values_naming_the_key() {
    assert_eq!(
        error("udp://h:1?ttl=0"),
        invalid("ttl", "0", Expected::Integer { min: 1, max: 255 })
    );
    assert_eq!(error("udp://h"), UriError::MissingPort);
}

#[test]
fn file_con_is_the_console() {
    assert_eq!("file://con".parse::<Uri>(), Ok(Uri::File(FileUri::Console)));
    assert_eq!(FileUri::Console.to_string(), "file://con");
}

#[test]
fn file_paths_parse_with_or_without_the_scheme() {
    assert_eq!(
        "file:///tmp/x.ts".parse::<Uri>(),
        Ok(Uri::File(FileUri::Path("/tmp/x.ts".into())))
    );
    assert_eq!(
        "out/x.ts".parse::<Uri>(),
        Ok(Uri::File(FileUri::Path("out/x.ts".into())))
    );
}

#[test]
fn a_file_named_con_does_not_become_the_console() {
    let uri = Uri::File(FileUri::Path("con".into()));
    assert_eq!(uri.to_string().parse::<Uri>(), Ok(uri));
}

#[test]
fn typed_parsers_refuse_other_schemes() {
    assert_eq!(
        "udp://h:1".parse::<SrtUri>(),
        Err(UriError::UnknownScheme("udp".into()))
    );
    assert_eq!(
        "srt://h:1".parse::<UdpUri>(),
        Err(UriError::UnknownScheme("srt".into()))
    );
    assert!("srt://h:1".parse::<SrtUri>().is_ok());
}

// --- display ------------------------------------------------------------------

#[test]
fn display_writes_options_in_key_order_and_omits_a_derived_mode() {
    let uri = srt("srt://h:9000?passphrase=0123456789&latency=120&mode=caller&x=1");
    assert_eq!(
        uri.to_string(),
        "srt://h:9000?latency=120&passphrase=0123456789&x=1"
    );
    let uri = srt("srt://h:9000?mode=listener&tlpktdrop=yes");
    assert_eq!(uri.to_string(), "srt://h:9000?mode=listener&tlpktdrop=1");
}

#[test]
fn display_percent_encodes_what_the_parser_would_split_on() {
    let mut uri = srt("srt://h:1");
    uri.options.streamid = Some("#!::r=a&b?c%d e+f".into());
    assert_eq!(
        uri.to_string(),
        "srt://h:1?streamid=%23!::r%3Da%26b%3Fc%25d%20e%2Bf"
    );
    assert_eq!(srt(&uri.to_string()), uri);
}

// --- properties -----------------------------------------------------------------

/// A valid SRT URI's text: host, port, a subset of the known options with
/// valid values, and some unknown ones.
fn srt_text() -> impl Strategy<Value = String> {
    let strategies = SrtOptions::valid_texts();
    let picks: Vec<_> = strategies
        .into_iter()
        .map(|(key, value)| proptest::option::weighted(0.2, value.prop_map(move |v| (key, v))))
        .collect();
    let unknown = proptest::collection::vec(("x[a-z]{0,6}", "\\PC{0,12}"), 0..3);
    let host = proptest::sample::select(&["", "127.0.0.1", "example.com", "[::1]"][..]);
    let mode = proptest::sample::select(&["", "caller", "listener", "rendezvous"][..]);
    (host, any::<u16>(), mode, picks, unknown).prop_map(|(host, port, mode, picks, unknown)| {
        let mut text = format!("srt://{host}:{port}?");
        let mut push = |k: &str, v: &str| {
            let mut enc = String::new();
            for b in v.bytes() {
                enc.push_str(&format!("%{b:02X}"));
            }
            text.push_str(&format!("{k}={enc}&"));
        };
        if !mode.is_empty() {
            push("mode", mode);
        }
        for (key, value) in picks.into_iter().flatten() {
            push(key, &value);
        }
        for (key, value) in unknown {
            push(&key, &value);
        }
        text
    })
}

proptest! {
    #[test]
    fn srt_uris_survive_display_and_parse(text in srt_text()) {
        // Caller and rendezvous without a host are refused; skip those.
        if let Ok(uri) = text.parse::<SrtUri>() {
            let shown = uri.to_string();
            prop_assert_eq!(shown.parse::<SrtUri>(), Ok(uri), "{}", shown);
        }
    }

    #[test]
    fn udp_uris_survive_display_and_parse(
        host in proptest::sample::select(&["", "239.0.0.1", "localhost", "[::1]"][..]),
        port in any::<u16>(),
        picks in UdpOptions::valid_texts()
            .into_iter()
            .map(|(k, v)| proptest::option::weighted(0.4, v.prop_map(move |v| (k, v))))
            .collect::<Vec<_>>(),
    ) {
        let mut text = format!("udp://{host}:{port}?");
        for (key, value) in picks.into_iter().flatten() {
            text.push_str(&format!("{key}={}&", value.replace('%', "%25").replace('&', "%26")));
        }
        let uri = text.parse::<UdpUri>().unwrap();
        prop_assert_eq!(uri.to_string().parse::<UdpUri>(), Ok(uri));
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,80}") {
        let _ = text.parse::<Uri>();
    }

    #[test]
    fn arbitrary_queries_never_panic(query in "[a-z%&=#?0-9A-F:\\[\\]/.-]{0,60}") {
        let _ = format!("srt://h:1?{query}").parse::<Uri>();
        let _ = format!("udp://[::1]:1?{query}").parse::<Uri>();
    }
}

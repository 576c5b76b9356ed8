//! AMF0 codec tests: one behaviour per test, then captures and properties.

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::*;
use crate::amf3;

fn encoded(value: &Value<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    encode(value, &mut out).unwrap();
    out
}

/// Decodes `bytes` as exactly one value.
fn decoded(bytes: &[u8]) -> Value<'_> {
    let (value, used) = decode(bytes).unwrap();
    assert_eq!(used, bytes.len(), "trailing bytes");
    value
}

fn error(bytes: &[u8]) -> DecodeError {
    decode(bytes).unwrap_err()
}

/// `len` as a u16 length prefix followed by `s`.
fn utf8(s: &str) -> Vec<u8> {
    let mut out = (s.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(s.as_bytes());
    out
}

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

// --- Markers -------------------------------------------------------------

#[test]
fn number_is_marker_0x00_and_a_big_endian_double() {
    let bytes = [0x00, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0];
    assert_eq!(decoded(&bytes), Value::Number(1.0));
    assert_eq!(encoded(&Value::Number(1.0)), bytes);
}

#[test]
fn boolean_is_one_byte_and_any_nonzero_is_true() {
    assert_eq!(decoded(&[0x01, 0x00]), Value::Boolean(false));
    assert_eq!(decoded(&[0x01, 0x01]), Value::Boolean(true));
    assert_eq!(decoded(&[0x01, 0x7F]), Value::Boolean(true));
    assert_eq!(encoded(&true.into()), [0x01, 0x01]);
}

#[test]
fn string_is_a_u16_length_and_utf8() {
    let bytes = b"\x02\x00\x07connect";
    assert_eq!(decoded(bytes), Value::from("connect"));
    assert_eq!(encoded(&"connect".into()), bytes);
}

#[test]
fn decoded_strings_borrow_from_the_input() {
    let bytes = b"\x02\x00\x07connect";
    let Value::String(s) = decoded(bytes) else {
        panic!("not a string")
    };
    assert!(matches!(s.into_bytes(), Cow::Borrowed(_)));
}

#[test]
fn long_string_decodes_to_a_string() {
    let bytes = b"\x0C\x00\x00\x00\x03abc";
    assert_eq!(decoded(bytes), Value::from("abc"));
}

#[test]
fn strings_over_65535_bytes_are_written_as_long_strings() {
    let long = "x".repeat(70_000);
    let bytes = encoded(&Value::from(long.as_str()));
    assert_eq!(bytes[..5], [0x0C, 0x00, 0x01, 0x11, 0x70]);
    assert_eq!(decoded(&bytes), Value::from(long.as_str()));
}

#[test]
fn object_keeps_properties_in_wire_order_with_duplicates() {
    let bytes = concat(&[
        &[0x03],
        &utf8("b"),
        &[0x05],
        &utf8("a"),
        &[0x01, 0x01],
        &utf8("b"),
        &[0x06],
        &[0x00, 0x00, 0x09],
    ]);
    let value = decoded(&bytes);
    assert_eq!(
        value,
        Value::object([
            ("b", Value::Null),
            ("a", true.into()),
            ("b", Value::Undefined)
        ])
    );
    assert_eq!(encoded(&value), bytes);
}

#[test]
fn object_property_with_an_empty_key_is_kept_when_no_object_end_follows() {
    let bytes = concat(&[&[0x03, 0x00, 0x00, 0x05], &[0x00, 0x00, 0x09]]);
    let value = decoded(&bytes);
    assert_eq!(value, Value::object([("", Value::Null)]));
    assert_eq!(encoded(&value), bytes);
}

#[test]
fn object_without_object_end_is_truncated() {
    let bytes = concat(&[&[0x03], &utf8("a"), &[0x05]]);
    assert_eq!(error(&bytes).kind, DecodeErrorKind::UnexpectedEnd);
}

#[test]
fn movieclip_and_recordset_are_reserved() {
    assert_eq!(error(&[0x04]).kind, DecodeErrorKind::ReservedMarker(0x04));
    assert_eq!(error(&[0x0E]).kind, DecodeErrorKind::ReservedMarker(0x0E));
}

#[test]
fn null_undefined_and_unsupported_are_bare_markers() {
    for (byte, value) in [
        (0x05, Value::Null),
        (0x06, Value::Undefined),
        (0x0D, Value::Unsupported),
    ] {
        assert_eq!(decoded(&[byte]), value);
        assert_eq!(encoded(&value), [byte]);
    }
}

#[test]
fn reference_to_an_enclosing_object_is_kept_as_its_index() {
    // { self: <reference to object 0> }
    let bytes = concat(&[
        &[0x03],
        &utf8("self"),
        &[0x07, 0x00, 0x00],
        &[0x00, 0x00, 0x09],
    ]);
    let value = decoded(&bytes);
    assert_eq!(value, Value::object([("self", Value::Reference(0))]));
    assert_eq!(encoded(&value), bytes);
}

#[test]
fn reference_indices_count_complex_values_in_marker_order() {
    // [ {}, [], <ref 1> ]: the strict array is 0, the object 1, the inner array 2.
    let bytes = concat(&[
        &[0x0A, 0, 0, 0, 3],
        &[0x03, 0x00, 0x00, 0x09],
        &[0x0A, 0, 0, 0, 0],
        &[0x07, 0x00, 0x02],
    ]);
    assert_eq!(
        decoded(&bytes),
        Value::strict_array([
            Value::Object(vec![]),
            Value::StrictArray(vec![]),
            Value::Reference(2)
        ])
    );
}

#[test]
fn reference_to_a_complex_value_not_yet_seen_is_an_error() {
    let err = error(&[0x0A, 0, 0, 0, 1, 0x07, 0x00, 0x01]);
    assert_eq!(
        err,
        DecodeError {
            kind: DecodeErrorKind::ReferenceOutOfRange {
                table: ReferenceTable::Object,
                index: 1,
                len: 1
            },
            offset: 6
        }
    );
}

#[test]
fn encoding_a_reference_to_nothing_written_is_an_error() {
    let mut out = vec![0xAA];
    assert_eq!(
        encode(&Value::Reference(0), &mut out),
        Err(EncodeError::ReferenceOutOfRange { index: 0, len: 0 })
    );
    assert_eq!(out, [0xAA], "output left as it was");
}

#[test]
fn ecma_array_count_is_only_a_hint() {
    for count in [0u32, 1, 1_000_000] {
        let bytes = concat(&[
            &[0x08],
            &count.to_be_bytes(),
            &utf8("a"),
            &[0x05],
            &[0x00, 0x00, 0x09],
        ]);
        assert_eq!(decoded(&bytes), Value::ecma_array([("a", Value::Null)]));
    }
}

#[test]
fn ecma_array_is_written_with_its_true_count() {
    let value = Value::ecma_array([("a", Value::Null), ("b", Value::Null)]);
    assert_eq!(encoded(&value)[..5], [0x08, 0, 0, 0, 2]);
}

#[test]
fn object_end_where_a_value_is_expected_is_an_error() {
    assert_eq!(
        error(&[0x0A, 0, 0, 0, 1, 0x09]),
        DecodeError {
            kind: DecodeErrorKind::UnexpectedObjectEnd,
            offset: 5
        }
    );
}

#[test]
fn strict_array_holds_count_values() {
    let bytes = [0x0A, 0, 0, 0, 2, 0x05, 0x01, 0x00];
    let value = decoded(&bytes);
    assert_eq!(value, Value::strict_array([Value::Null, false.into()]));
    assert_eq!(encoded(&value), bytes);
}

#[test]
fn strict_array_count_beyond_the_input_is_refused_before_allocating() {
    assert_eq!(
        error(&[0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x05]),
        DecodeError {
            kind: DecodeErrorKind::CountExceedsInput {
                count: u32::MAX,
                remaining: 1
            },
            offset: 5
        }
    );
}

#[test]
fn nested_counts_share_the_input_rather_than_each_claiming_all_of_it() {
    // [[null, null], null]: fits.
    let fits = [0x0A, 0, 0, 0, 2, 0x0A, 0, 0, 0, 2, 0x05, 0x05, 0x05];
    assert!(decode(&fits).is_ok());
    // [[?, ?], ?] with two bytes for three values: the inner count is
    // refused, as only one byte is left that the outer count has not claimed.
    assert_eq!(
        error(&fits[..12]),
        DecodeError {
            kind: DecodeErrorKind::CountExceedsInput {
                count: 2,
                remaining: 1
            },
            offset: 10
        }
    );
}

#[test]
fn date_is_a_double_and_a_time_zone() {
    let bytes = concat(&[&[0x0B], &1.5e12f64.to_be_bytes(), &[0xFF, 0xC4]]);
    let value = decoded(&bytes);
    assert_eq!(
        value,
        Value::Date {
            millis: 1.5e12,
            time_zone: -60
        }
    );
    assert_eq!(encoded(&value), bytes);
}

#[test]
fn xml_document_is_a_u32_length_and_utf8() {
    let bytes = b"\x0F\x00\x00\x00\x04<a/>";
    let value = decoded(bytes);
    assert_eq!(value, Value::XmlDocument("<a/>".into()));
    assert_eq!(encoded(&value), bytes);
}

#[test]
fn typed_object_has_a_class_name_and_properties() {
    let bytes = concat(&[
        &[0x10],
        &utf8("Point"),
        &utf8("x"),
        &[0x05],
        &[0x00, 0x00, 0x09],
    ]);
    let value = decoded(&bytes);
    assert_eq!(
        value,
        Value::TypedObject(Box::new(TypedObject {
            class_name: "Point".into(),
            properties: vec![("x".into(), Value::Null)],
        }))
    );
    assert_eq!(value.get("x"), Some(&Value::Null));
    assert_eq!(encoded(&value), bytes);
}

#[test]
fn avmplus_switches_to_amf3_for_one_value() {
    let bytes = b"\x11\x06\x07abc";
    let value = decoded(bytes);
    assert_eq!(value, amf3::Value::from("abc").into());
    assert_eq!(value.as_str(), Some("abc"));
    assert_eq!(encoded(&value), bytes);
}

#[test]
fn avmplus_values_of_one_message_share_the_amf3_string_table() {
    // The second switched string is a reference to the first.
    let values = decode_all(b"\x11\x06\x07abc\x11\x06\x00").unwrap();
    assert_eq!(values[1].as_str(), Some("abc"));
}

#[test]
fn unknown_marker_is_an_error_at_its_offset() {
    assert_eq!(
        error(&[0x0A, 0, 0, 0, 1, 0x12]),
        DecodeError {
            kind: DecodeErrorKind::UnknownMarker(0x12),
            offset: 5
        }
    );
}

#[test]
fn truncated_number_is_an_unexpected_end() {
    assert_eq!(
        error(&[0x00, 0x3F]),
        DecodeError {
            kind: DecodeErrorKind::UnexpectedEnd,
            offset: 1
        }
    );
}

#[test]
fn string_longer_than_the_input_is_an_unexpected_end() {
    assert_eq!(
        error(b"\x02\xFF\xFFabc").kind,
        DecodeErrorKind::UnexpectedEnd
    );
}

#[test]
fn string_that_is_not_utf8_is_kept_as_bytes_but_not_read_as_text() {
    let bytes = b"\x02\x00\x03a\xFFb";
    let value = decoded(bytes);
    let Value::String(s) = &value else {
        panic!("not a string")
    };
    assert_eq!(s.as_bytes(), b"a\xFFb");
    assert_eq!(value.as_str(), None);
    assert_eq!(s.to_string_lossy(), "a\u{FFFD}b");
    assert_eq!(encoded(&value), bytes);
}

#[test]
fn keys_that_are_not_utf8_are_kept_and_matched_as_bytes() {
    let bytes = b"\x03\x00\x01\xE9\x05\x00\x01a\x06\x00\x00\x09";
    let value = decoded(bytes);
    assert_eq!(value.properties().unwrap()[0].0.as_bytes(), b"\xE9");
    assert_eq!(value.get("a"), Some(&Value::Undefined));
    assert_eq!(encoded(&value), bytes);
}

#[test]
fn amf_strings_print_as_text_or_as_a_byte_literal() {
    assert_eq!(alloc::format!("{:?}", AmfString::from("ok")), "\"ok\"");
    assert_eq!(
        alloc::format!("{:?}", AmfString::from_bytes(b"a\xFF")),
        "b\"a\\xff\""
    );
}

#[test]
fn empty_input_decodes_to_no_values() {
    assert_eq!(decode_all(&[]), Ok(vec![]));
    assert_eq!(error(&[]).kind, DecodeErrorKind::UnexpectedEnd);
}

#[test]
fn decode_reports_the_bytes_used_and_ignores_the_rest() {
    let (value, used) = decode(&[0x05, 0x06, 0x07]).unwrap();
    assert_eq!((value, used), (Value::Null, 1));
}

// --- Limits --------------------------------------------------------------

/// `depth` strict arrays, each holding the next, the innermost empty.
fn nested_arrays(depth: usize) -> Vec<u8> {
    let mut bytes = [0x0A, 0, 0, 0, 1].repeat(depth.saturating_sub(1));
    bytes.extend_from_slice(&[0x0A, 0, 0, 0, 0]);
    bytes
}

#[test]
fn nesting_up_to_the_depth_limit_decodes() {
    assert!(decode(&nested_arrays(64)).is_ok());
}

#[test]
fn nesting_beyond_the_depth_limit_is_an_error() {
    assert_eq!(
        error(&nested_arrays(65)).kind,
        DecodeErrorKind::DepthLimitExceeded { limit: 64 }
    );
}

#[test]
fn deep_nesting_of_objects_is_stopped_by_the_depth_limit() {
    // 100 000 levels of { a: { a: ... } } without ends: no stack overflow.
    let bytes = concat(&[&[0x03], &utf8("a")]).repeat(100_000);
    assert_eq!(
        error(&bytes).kind,
        DecodeErrorKind::DepthLimitExceeded { limit: 64 }
    );
}

#[test]
fn more_values_than_the_element_limit_is_an_error() {
    let decoder = Decoder::new(Limits {
        max_elements: 3,
        ..Limits::DEFAULT
    });
    assert!(decoder.decode_all(&[0x05; 3]).is_ok());
    assert_eq!(
        decoder.decode_all(&[0x05; 4]).unwrap_err(),
        DecodeError {
            kind: DecodeErrorKind::ElementLimitExceeded { limit: 3 },
            offset: 3
        }
    );
}

#[test]
fn element_limit_spans_amf3_values_behind_an_avmplus_switch() {
    let decoder = Decoder::new(Limits {
        max_elements: 2,
        ..Limits::DEFAULT
    });
    assert!(decoder.decode(b"\x11\x01").is_ok());
    assert_eq!(
        decoder.decode_all(b"\x11\x01\x05").unwrap_err().kind,
        DecodeErrorKind::ElementLimitExceeded { limit: 2 }
    );
}

// --- Encoding errors -----------------------------------------------------

#[test]
fn key_over_65535_bytes_cannot_be_encoded_and_leaves_the_output_alone() {
    let key = "k".repeat(65_536);
    let mut out = vec![1, 2, 3];
    assert_eq!(
        encode(&Value::object([(key.as_str(), Value::Null)]), &mut out),
        Err(EncodeError::TooLong {
            len: 65_536,
            max: 65_535
        })
    );
    assert_eq!(out, [1, 2, 3]);
}

// --- Representation ------------------------------------------------------

#[test]
fn a_value_is_four_words_and_a_property_seven() {
    // Sizes the decoder moves for every value; boxing the rare large
    // variants keeps them here.
    assert_eq!(size_of::<Value<'_>>(), 32);
    assert_eq!(size_of::<Property<'_>>(), 56);
}

// --- Accessors -----------------------------------------------------------

#[test]
fn get_returns_the_last_of_duplicate_keys() {
    let value = Value::object([("app", "first".into()), ("app", "second".into())]);
    assert_eq!(value.get_str("app"), Some("second"));
}

#[test]
fn get_on_a_value_without_properties_is_none() {
    assert_eq!(Value::Null.get("app"), None);
    assert_eq!(Value::from("app").get("app"), None);
}

#[test]
fn set_replaces_an_existing_property_or_appends_one() {
    let mut value = Value::ecma_array([("duration", 0.0.into())]);
    assert!(value.set("duration", 12.5));
    assert!(value.set("width", 1280.0));
    assert_eq!(
        value,
        Value::ecma_array([("duration", 12.5.into()), ("width", 1280.0.into())])
    );
    assert!(!Value::Null.set("x", 1.0));
}

#[test]
fn accessors_look_through_an_avmplus_switch() {
    assert_eq!(Value::from(amf3::Value::Integer(3)).as_f64(), Some(3.0));
    assert_eq!(
        Value::from(amf3::Value::Boolean(true)).as_bool(),
        Some(true)
    );
    assert!(Value::from(amf3::Value::Null).is_null_or_undefined());
}

#[test]
fn conversions_build_numbers_strings_booleans_and_null() {
    assert_eq!(Value::from(1), Value::Number(1.0));
    assert_eq!(Value::from(7u32), Value::Number(7.0));
    assert_eq!(Value::from(String::from("s")), Value::from("s"));
    assert_eq!(Value::from(None::<f64>), Value::Null);
    assert_eq!(Value::from(Some(false)), Value::Boolean(false));
}

#[test]
fn into_owned_keeps_the_value_and_drops_the_borrow() {
    let bytes = b"\x03\x00\x01a\x02\x00\x01b\x00\x00\x09".to_vec();
    let owned = decoded(&bytes).into_owned();
    drop(bytes);
    assert_eq!(owned, Value::object([("a", "b".into())]));
}

// --- Captures ------------------------------------------------------------

const FFMPEG_PUBLISH: &[u8] =
    include_bytes!("../../tests/data/rtmp-ffmpeg-publish-to-nginx.client-to-server.bin");

/// The body of the message whose 12-byte type-0 chunk header starts at
/// `header`, reassembled from `chunk_size`-byte chunks (each continuation
/// behind a 1-byte type-3 header).
fn message_body(stream: &[u8], header: usize, chunk_size: usize) -> Vec<u8> {
    let len = usize::from(stream[header + 4]) << 16
        | usize::from(stream[header + 5]) << 8
        | usize::from(stream[header + 6]);
    let mut body = Vec::with_capacity(len);
    let mut at = header + 12;
    while body.len() < len {
        let take = chunk_size.min(len - body.len());
        body.extend_from_slice(&stream[at..at + take]);
        at += take + 1;
    }
    body
}

/// The `connect` command ffmpeg sent: right after the 3073-byte handshake,
/// 140 bytes on chunk stream 3 split at the 128-byte default chunk size.
fn ffmpeg_connect() -> Vec<u8> {
    assert_eq!(FFMPEG_PUBLISH[3073..3074], [0x03], "fmt 0, csid 3");
    assert_eq!(FFMPEG_PUBLISH[3073 + 7], 20, "command message");
    message_body(FFMPEG_PUBLISH, 3073, 128)
}

/// The `@setDataFrame` data message ffmpeg sent after `publish`, when the
/// chunk size was already 4096.
fn ffmpeg_set_data_frame() -> Vec<u8> {
    let name = FFMPEG_PUBLISH
        .windows(13)
        .position(|w| w == b"@setDataFrame")
        .unwrap();
    let header = name - 3 - 12;
    assert_eq!(FFMPEG_PUBLISH[header + 7], 18, "data message");
    message_body(FFMPEG_PUBLISH, header, 4096)
}

#[test]
fn ffmpeg_connect_command_decodes_to_its_fields() {
    let body = ffmpeg_connect();
    let values = decode_all(&body).unwrap();
    assert_eq!(values.len(), 3);
    assert_eq!(values[0].as_str(), Some("connect"));
    assert_eq!(values[1].as_f64(), Some(1.0));
    let command = &values[2];
    assert_eq!(command.get_str("app"), Some("live"));
    assert_eq!(command.get_str("type"), Some("nonprivate"));
    assert_eq!(
        command.get_str("flashVer"),
        Some("FMLE/3.0 (compatible; Lavf59.27.100)")
    );
    assert_eq!(
        command.get_str("tcUrl"),
        Some("rtmp://127.0.0.1:19350/live")
    );
    let keys: Vec<&str> = command
        .properties()
        .unwrap()
        .iter()
        .map(|(k, _)| k.as_str().unwrap())
        .collect();
    assert_eq!(keys, ["app", "type", "flashVer", "tcUrl"]);
}

#[test]
fn ffmpeg_connect_command_re_encodes_byte_exact() {
    let body = ffmpeg_connect();
    let mut out = Vec::new();
    encode_all(&decode_all(&body).unwrap(), &mut out).unwrap();
    assert_eq!(out, body);
}

#[test]
fn every_truncation_of_the_ffmpeg_connect_command_is_an_unexpected_end() {
    let body = ffmpeg_connect();
    // The name ends at 10 and the transaction id at 19: those prefixes are
    // whole values; every other prefix stops inside one.
    for len in 0..body.len() {
        match decode_all(&body[..len]) {
            Ok(values) => assert!([0, 10, 19].contains(&len), "{len}: {values:?}"),
            Err(e) => assert_eq!(e.kind, DecodeErrorKind::UnexpectedEnd, "{len}"),
        }
    }
}

#[test]
fn ffmpeg_on_metadata_decodes_to_its_ecma_array() {
    let body = ffmpeg_set_data_frame();
    let values = decode_all(&body).unwrap();
    assert_eq!(values[0].as_str(), Some("@setDataFrame"));
    assert_eq!(values[1].as_str(), Some("onMetaData"));
    let metadata = &values[2];
    assert!(matches!(metadata, Value::EcmaArray(p) if p.len() == 13));
    assert_eq!(metadata.get_f64("width"), Some(320.0));
    assert_eq!(metadata.get_f64("height"), Some(240.0));
    assert_eq!(metadata.get_f64("framerate"), Some(25.0));
    assert_eq!(metadata.get_f64("videocodecid"), Some(7.0));
    assert_eq!(metadata.get_f64("audiosamplerate"), Some(44_100.0));
    assert_eq!(metadata.get_bool("stereo"), Some(false));
    assert_eq!(metadata.get_str("encoder"), Some("Lavf59.27.100"));
}

#[test]
fn ffmpeg_on_metadata_re_encodes_byte_exact() {
    let body = ffmpeg_set_data_frame();
    let mut out = Vec::new();
    encode_all(&decode_all(&body).unwrap(), &mut out).unwrap();
    assert_eq!(out, body);
}

mod properties;

//! AMF3 codec tests: one behaviour per test, then properties.

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

use super::*;

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

fn anonymous(members: Vec<Property<'static>>) -> Value<'static> {
    Value::object(members)
}

/// A U29, written independently of the encoder: 7 bits a byte with a
/// continuation bit, all 8 bits in a 4th byte.
fn u29(n: u32) -> Vec<u8> {
    match n {
        0..0x80 => vec![n as u8],
        0x80..0x4000 => vec![(n >> 7) as u8 | 0x80, (n & 0x7F) as u8],
        0x4000..0x20_0000 => vec![
            (n >> 14) as u8 | 0x80,
            (n >> 7) as u8 | 0x80,
            (n & 0x7F) as u8,
        ],
        _ => vec![
            (n >> 22) as u8 | 0x80,
            (n >> 15) as u8 | 0x80,
            (n >> 8) as u8 | 0x80,
            n as u8,
        ],
    }
}

// --- U29 and integers ----------------------------------------------------

#[test]
fn u29_uses_one_to_four_bytes_as_the_spec_tabulates() {
    // (value, encoding): 7 bits a byte with a continuation bit, 8 in the 4th.
    let table: [(i32, &[u8]); 8] = [
        (0, &[0x00]),
        (0x7F, &[0x7F]),
        (0x80, &[0x81, 0x00]),
        (0x3FFF, &[0xFF, 0x7F]),
        (0x4000, &[0x81, 0x80, 0x00]),
        (0x1F_FFFF, &[0xFF, 0xFF, 0x7F]),
        (0x20_0000, &[0x80, 0xC0, 0x80, 0x00]),
        (0x0FFF_FFFF, &[0xBF, 0xFF, 0xFF, 0xFF]),
    ];
    for (n, bytes) in table {
        let wire = [&[marker::INTEGER][..], bytes].concat();
        assert_eq!(encoded(&Value::Integer(n)), wire, "{n:#x}");
        assert_eq!(decoded(&wire), Value::Integer(n), "{n:#x}");
    }
}

#[test]
fn integer_is_29_bit_signed() {
    assert_eq!(decoded(&[0x04, 0xFF, 0xFF, 0xFF, 0xFF]), Value::Integer(-1));
    assert_eq!(
        decoded(&[0x04, 0xC0, 0x80, 0x80, 0x00]),
        Value::Integer(-0x1000_0000)
    );
    assert_eq!(encoded(&Value::Integer(-1)), [0x04, 0xFF, 0xFF, 0xFF, 0xFF]);
}

#[test]
fn integer_outside_29_bits_is_written_as_a_double() {
    let bytes = encoded(&Value::Integer(0x1000_0000));
    assert_eq!(bytes[0], marker::DOUBLE);
    assert_eq!(decoded(&bytes), Value::Double(268_435_456.0));
}

// --- Markers -------------------------------------------------------------

#[test]
fn undefined_null_false_and_true_are_bare_markers() {
    let table = [
        (0x00, Value::Undefined),
        (0x01, Value::Null),
        (0x02, Value::Boolean(false)),
        (0x03, Value::Boolean(true)),
    ];
    for (byte, value) in table {
        assert_eq!(decoded(&[byte]), value);
        assert_eq!(encoded(&value), [byte]);
    }
}

#[test]
fn double_is_a_big_endian_ieee_754_double() {
    let bytes = [0x05, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0];
    assert_eq!(decoded(&bytes), Value::Double(1.5));
    assert_eq!(encoded(&Value::Double(1.5)), bytes);
}

#[test]
fn string_is_a_length_header_and_utf8() {
    assert_eq!(decoded(b"\x06\x0bhello"), Value::from("hello"));
    assert_eq!(encoded(&"hello".into()), b"\x06\x0bhello");
    assert_eq!(encoded(&"".into()), b"\x06\x01");
}

#[test]
fn string_reference_names_an_earlier_string_of_the_call() {
    let values = decode_all(b"\x06\x07abc\x06\x00").unwrap();
    assert_eq!(values, [Value::from("abc"), Value::from("abc")]);
    let Value::String(s) = &values[1] else {
        panic!("not a string")
    };
    assert!(
        matches!(s.clone().into_bytes(), Cow::Borrowed(_)),
        "no copy"
    );
}

#[test]
fn empty_string_never_enters_the_string_table() {
    let values = decode_all(b"\x06\x01\x06\x07abc\x06\x00").unwrap();
    assert_eq!(values[2], Value::from("abc"));
}

#[test]
fn string_reference_out_of_range_is_an_error() {
    assert_eq!(
        error(b"\x06\x02"),
        DecodeError {
            kind: DecodeErrorKind::ReferenceOutOfRange {
                table: ReferenceTable::String,
                index: 1,
                len: 0
            },
            offset: 1
        }
    );
}

#[test]
fn xml_document_and_xml_are_text_in_the_object_table() {
    let values = decode_all(b"\x07\x09<a/>\x0B\x09<b/>\x0B\x02").unwrap();
    assert_eq!(
        values,
        [
            Value::XmlDocument("<a/>".into()),
            Value::Xml("<b/>".into()),
            Value::Reference(1)
        ]
    );
    let mut out = Vec::new();
    encode_all(&values, &mut out).unwrap();
    assert_eq!(out, b"\x07\x09<a/>\x0B\x09<b/>\x0B\x02");
}

#[test]
fn date_is_a_flag_and_milliseconds() {
    let bytes = [&[0x08, 0x01][..], &1.5e12f64.to_be_bytes()].concat();
    assert_eq!(decoded(&bytes), Value::Date(1.5e12));
    assert_eq!(encoded(&Value::Date(1.5e12)), bytes);
}

#[test]
fn array_has_an_associative_then_a_dense_part() {
    // 2 dense values, one associative entry "k": null.
    let bytes = b"\x09\x05\x03k\x01\x01\x04\x01\x04\x02";
    let value = decoded(bytes);
    assert_eq!(
        value,
        Value::Array(Box::new(Array {
            associative: vec![("k".into(), Value::Null)],
            dense: vec![Value::Integer(1), Value::Integer(2)],
        }))
    );
    assert_eq!(value.get("k"), Some(&Value::Null));
    assert_eq!(encoded(&value), bytes);
}

#[test]
fn anonymous_object_has_dynamic_members_up_to_the_empty_string() {
    // Traits inline, dynamic, 0 sealed: 0b1011; class "".
    let bytes = b"\x0A\x0B\x01\x03a\x04\x01\x01";
    let value = decoded(bytes);
    assert_eq!(value, anonymous(vec![("a".into(), Value::Integer(1))]));
    assert_eq!(encoded(&value), bytes);
}

#[test]
fn typed_object_has_sealed_members_named_by_its_traits() {
    // 2 sealed, not dynamic: (2 << 4) | 0b0011 = 0x23; class "P"; names x, y.
    let bytes = b"\x0A\x23\x03P\x03x\x03y\x04\x01\x04\x02";
    let value = decoded(bytes);
    let object = value.as_object().unwrap();
    assert_eq!(object.class_name, "P");
    assert_eq!(
        object.sealed_members,
        [
            ("x".into(), Value::Integer(1)),
            ("y".into(), Value::Integer(2))
        ]
    );
    assert_eq!(object.dynamic_members, None);
    assert_eq!(encoded(&value), bytes);
}

#[test]
fn traits_reference_reuses_class_and_member_names() {
    // Two P objects; the second sends traits reference 0: (0 << 2) | 0b01.
    let bytes = b"\x09\x05\x01\x0A\x13\x03P\x03x\x04\x01\x0A\x01\x04\x02";
    let value = decoded(bytes);
    let dense = &value.as_array().unwrap().dense;
    let second = dense[1].as_object().unwrap();
    assert_eq!(second.class_name, "P");
    assert_eq!(second.sealed_members, [("x".into(), Value::Integer(2))]);
}

#[test]
fn traits_reference_out_of_range_is_an_error() {
    assert_eq!(
        error(b"\x0A\x05").kind,
        DecodeErrorKind::ReferenceOutOfRange {
            table: ReferenceTable::Traits,
            index: 1,
            len: 0
        }
    );
}

#[test]
fn externalizable_object_is_an_error() {
    // Traits inline, externalizable: 0b0111.
    assert_eq!(
        error(b"\x0A\x07\x07Foo"),
        DecodeError {
            kind: DecodeErrorKind::ExternalizableObject,
            offset: 1
        }
    );
}

#[test]
fn object_that_refers_to_itself_decodes_to_a_reference() {
    // { self: <object 0> }
    let bytes = b"\x0A\x0B\x01\x09self\x0A\x00\x01";
    let value = decoded(bytes);
    assert_eq!(value, anonymous(vec![("self".into(), Value::Reference(0))]));
    assert_eq!(encoded(&value), bytes);
}

#[test]
fn object_reference_to_a_value_not_yet_begun_is_an_error() {
    assert_eq!(
        error(b"\x0A\x02").kind,
        DecodeErrorKind::ReferenceOutOfRange {
            table: ReferenceTable::Object,
            index: 1,
            len: 0
        }
    );
}

#[test]
fn reference_is_written_with_the_marker_of_the_value_it_names() {
    let value = Value::dense_array([Value::Date(0.0), Value::Reference(1)]);
    let bytes = encoded(&value);
    assert_eq!(bytes[bytes.len() - 2..], [marker::DATE, 0x02]);
    assert_eq!(decoded(&bytes), value);
}

#[test]
fn byte_array_is_a_length_and_raw_bytes() {
    let bytes = b"\x0C\x07\x00\xFF\x80";
    let value = decoded(bytes);
    assert_eq!(value, Value::ByteArray(Cow::Borrowed(&[0x00, 0xFF, 0x80])));
    assert_eq!(encoded(&value), bytes);
}

#[test]
fn numeric_vectors_are_a_count_a_fixed_flag_and_big_endian_items() {
    let int = b"\x0D\x05\x01\xFF\xFF\xFF\xFE\x00\x00\x00\x03";
    assert_eq!(
        decoded(int),
        Value::VectorInt {
            fixed: true,
            items: vec![-2, 3]
        }
    );
    let uint = b"\x0E\x03\x00\xFF\xFF\xFF\xFE";
    assert_eq!(
        decoded(uint),
        Value::VectorUint {
            fixed: false,
            items: vec![0xFFFF_FFFE]
        }
    );
    let double = [&b"\x0F\x03\x00"[..], &2.5f64.to_be_bytes()].concat();
    assert_eq!(
        decoded(&double),
        Value::VectorDouble {
            fixed: false,
            items: vec![2.5]
        }
    );
    for bytes in [&int[..], uint, &double] {
        assert_eq!(encoded(&decoded(bytes)), bytes);
    }
}

#[test]
fn object_vector_has_a_type_name_and_values() {
    let bytes = b"\x10\x05\x00\x03*\x01\x06\x03a";
    let value = decoded(bytes);
    assert_eq!(
        value,
        Value::VectorObject(Box::new(VectorObject {
            fixed: false,
            type_name: "*".into(),
            items: vec![Value::Null, "a".into()],
        }))
    );
    assert_eq!(encoded(&value), bytes);
}

#[test]
fn dictionary_has_any_values_as_keys() {
    let bytes = b"\x11\x03\x01\x04\x01\x06\x03a";
    let value = decoded(bytes);
    assert_eq!(
        value,
        Value::Dictionary {
            weak_keys: true,
            entries: vec![(Value::Integer(1), "a".into())]
        }
    );
    assert_eq!(encoded(&value), bytes);
}

#[test]
fn unknown_marker_is_an_error() {
    assert_eq!(error(&[0x12]).kind, DecodeErrorKind::UnknownMarker(0x12));
}

#[test]
fn string_that_is_not_utf8_is_kept_as_bytes_but_not_read_as_text() {
    let bytes = b"\x06\x07a\xC0b";
    let value = decoded(bytes);
    assert_eq!(value, Value::String(AmfString::from_bytes(b"a\xC0b")));
    assert_eq!(value.as_str(), None);
    assert_eq!(encoded(&value), bytes);
}

// --- Limits and hostile input --------------------------------------------

#[test]
fn dense_count_beyond_the_input_is_refused_before_allocating() {
    // 2^28 − 1 dense values announced, 1 byte follows.
    assert_eq!(
        error(b"\x09\xFF\xFF\xFF\xFF\x01\x01").kind,
        DecodeErrorKind::CountExceedsInput {
            count: 0x0FFF_FFFF,
            remaining: 1
        }
    );
}

#[test]
fn vector_and_dictionary_counts_beyond_the_input_are_refused() {
    for bytes in [
        &b"\x0D\xFF\xFF\xFF\xFF\x00\x00"[..],
        b"\x10\xFF\xFF\xFF\xFF\x00\x01\x01",
        b"\x11\xFF\xFF\xFF\xFF\x00\x01",
    ] {
        assert!(
            matches!(error(bytes).kind, DecodeErrorKind::CountExceedsInput { .. }),
            "{bytes:?}"
        );
    }
}

#[test]
fn sealed_member_count_beyond_the_input_is_refused() {
    // 2^25 − 1 sealed members announced.
    assert!(matches!(
        error(b"\x0A\xFF\xFF\xFF\xF3\x01").kind,
        DecodeErrorKind::CountExceedsInput { .. }
    ));
}

#[test]
fn deep_nesting_of_arrays_is_stopped_by_the_depth_limit() {
    let bytes = b"\x09\x03\x01".repeat(100_000);
    assert_eq!(
        error(&bytes).kind,
        DecodeErrorKind::DepthLimitExceeded { limit: 64 }
    );
}

#[test]
fn many_references_to_one_large_object_cost_no_copies() {
    // An object with a 60 000-byte member, then 60 000 references to it:
    // decoded as indices, so a few bytes each.
    let mut bytes = [&b"\x09"[..], &u29((60_001 << 1) | 1), b"\x01"].concat();
    bytes.extend_from_slice(&[&b"\x0C"[..], &u29((60_000 << 1) | 1)].concat());
    bytes.extend(core::iter::repeat_n(b'x', 60_000));
    for _ in 0..60_000 {
        bytes.extend_from_slice(b"\x0A\x02");
    }
    let value = decoded(&bytes);
    let dense = &value.as_array().unwrap().dense;
    assert_eq!(dense.len(), 60_001);
    assert_eq!(dense[60_000], Value::Reference(1));
}

#[test]
fn element_limit_bounds_the_values_of_one_call() {
    let decoder = Decoder::new(Limits {
        max_elements: 2,
        ..Limits::DEFAULT
    });
    assert!(decoder.decode(b"\x09\x03\x01\x01").is_ok());
    assert_eq!(
        decoder.decode(b"\x09\x05\x01\x01\x01").unwrap_err().kind,
        DecodeErrorKind::ElementLimitExceeded { limit: 2 }
    );
}

// --- Encoding errors and accessors ----------------------------------------

#[test]
fn empty_dynamic_member_name_cannot_be_encoded() {
    let mut out = vec![7];
    assert_eq!(
        encode(&anonymous(vec![("".into(), Value::Null)]), &mut out),
        Err(EncodeError::EmptyKey)
    );
    assert_eq!(out, [7]);
}

#[test]
fn reference_to_nothing_written_cannot_be_encoded() {
    assert_eq!(
        encode(&Value::Reference(0), &mut Vec::new()),
        Err(EncodeError::ReferenceOutOfRange { index: 0, len: 0 })
    );
}

#[test]
fn object_get_finds_sealed_and_dynamic_members_last_one_winning() {
    let value = Value::Object(Box::new(Object {
        class_name: "C".into(),
        sealed_members: vec![("a".into(), Value::Integer(1))],
        dynamic_members: Some(vec![
            ("b".into(), "x".into()),
            ("a".into(), Value::Integer(2)),
        ]),
    }));
    assert_eq!(value.get("a").and_then(Value::as_i32), Some(2));
    assert_eq!(value.get_str("b"), Some("x"));
    assert_eq!(value.get_f64("a"), Some(2.0));
    assert_eq!(value.get("c"), None);
}

#[test]
fn into_owned_keeps_the_value_and_drops_the_borrow() {
    let bytes = b"\x0A\x0B\x01\x03a\x0C\x03\xAA\x01".to_vec();
    let owned = decoded(&bytes).into_owned();
    drop(bytes);
    assert_eq!(
        owned.get("a"),
        Some(&Value::ByteArray(Cow::Owned(vec![0xAA])))
    );
}

pub(crate) mod properties;

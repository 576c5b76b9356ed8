//! Property tests: encode→decode identity and total decoding of any bytes.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

use proptest::prelude::*;

use super::super::*;
use crate::amf3;

/// Text, or any bytes (strings are kept as sent).
fn text() -> impl Strategy<Value = AmfString<'static>> {
    prop_oneof![
        "\\PC{0,8}".prop_map(AmfString::from),
        prop::collection::vec(any::<u8>(), 0..8).prop_map(AmfString::from),
    ]
}

/// Any double but NaN (NaN ≠ NaN; NaN is covered by the byte-level checks).
fn number() -> impl Strategy<Value = f64> {
    any::<f64>().prop_filter("not NaN", |n| !n.is_nan())
}

fn properties(
    inner: impl Strategy<Value = Value<'static>>,
) -> impl Strategy<Value = Vec<Property<'static>>> {
    prop::collection::vec((text(), inner), 0..5)
}

/// Any AMF0 value tree without references.
pub(crate) fn value() -> impl Strategy<Value = Value<'static>> {
    let leaf = prop_oneof![
        number().prop_map(Value::Number),
        any::<bool>().prop_map(Value::Boolean),
        text().prop_map(Value::from),
        Just(Value::Null),
        Just(Value::Undefined),
        Just(Value::Unsupported),
        (number(), any::<i16>()).prop_map(|(millis, time_zone)| Value::Date { millis, time_zone }),
        text().prop_map(Value::XmlDocument),
        amf3::tests::properties::value().prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 48, 5, |inner| {
        prop_oneof![
            properties(inner.clone()).prop_map(Value::Object),
            properties(inner.clone()).prop_map(Value::EcmaArray),
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::StrictArray),
            (text(), properties(inner)).prop_map(|(class_name, properties)| {
                Value::TypedObject(Box::new(TypedObject {
                    class_name,
                    properties,
                }))
            }),
        ]
    })
}

/// (nesting depth in containers, values counted) as the decoder counts them.
fn shape(value: &Value<'_>) -> (u32, u32) {
    let children = |values: &mut dyn Iterator<Item = &Value<'_>>| {
        values.fold((1, 1), |(depth, count), v| {
            let (d, c) = shape(v);
            (depth.max(d + 1), count + c)
        })
    };
    match value {
        Value::Object(p) | Value::EcmaArray(p) => children(&mut p.iter().map(|(_, v)| v)),
        Value::TypedObject(t) => children(&mut t.properties.iter().map(|(_, v)| v)),
        Value::StrictArray(v) => children(&mut v.iter()),
        Value::Avmplus(v) => {
            let (depth, count) = amf3::tests::properties::shape(v);
            (depth, count + 1)
        }
        _ => (0, 1),
    }
}

fn bytes_of(values: &[Value<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_all(values, &mut out).unwrap();
    out
}

proptest! {
    #[test]
    fn encode_then_decode_is_identity(value in value()) {
        let bytes = bytes_of(core::slice::from_ref(&value));
        prop_assert_eq!(decode(&bytes), Ok((value, bytes.len())));
    }

    #[test]
    fn encode_all_then_decode_all_is_identity(values in prop::collection::vec(value(), 0..4)) {
        let bytes = bytes_of(&values);
        prop_assert_eq!(decode_all(&bytes), Ok(values));
    }

    #[test]
    fn references_round_trip(value in value()) {
        // The array is complex value 0, so the reference names it.
        let value = Value::strict_array([value, Value::Reference(0)]);
        let bytes = bytes_of(core::slice::from_ref(&value));
        prop_assert_eq!(decode(&bytes), Ok((value, bytes.len())));
    }

    #[test]
    fn decoding_any_bytes_never_panics_and_respects_the_limits(
        bytes in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let limits = Limits { max_depth: 3, max_elements: 20 };
        if let Ok(values) = Decoder::new(limits).decode_all(&bytes) {
            let (depth, count) = values.iter().map(shape).fold((0, 0), |(d, c), (vd, vc)| (d.max(vd), c + vc));
            prop_assert!(depth <= limits.max_depth);
            prop_assert!(count <= limits.max_elements);
        }
    }

    #[test]
    fn whatever_decodes_re_encodes_to_bytes_that_decode_the_same(
        bytes in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        if let Ok(values) = decode_all(&bytes) {
            // Compared as bytes, so NaN payloads count as equal.
            let once = bytes_of(&values);
            let twice = bytes_of(&decode_all(&once).unwrap());
            prop_assert_eq!(once, twice);
        }
    }

    #[test]
    fn values_of_structured_garbage_never_panic(
        parts in prop::collection::vec(
            prop_oneof![
                Just(vec![0x03u8]), Just(vec![0x08, 0, 0, 0, 1]), Just(vec![0x0A, 0, 0, 0, 2]),
                Just(vec![0x00, 0x01]), Just(vec![0x09]), Just(vec![0x07, 0x00, 0x00]),
                Just(vec![0x11, 0x0A, 0x0B, 0x01]), Just(vec![0x11, 0x09, 0x05, 0x01]),
                prop::collection::vec(any::<u8>(), 1..4),
            ],
            0..40,
        ),
    ) {
        let bytes = parts.concat();
        let _ = decode_all(&bytes);
    }
}

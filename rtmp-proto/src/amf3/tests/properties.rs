//! AMF3 property tests, and the value strategy the AMF0 tests reuse.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

use proptest::prelude::*;

use super::super::*;

/// Text, or any bytes (strings are kept as sent).
fn text() -> impl Strategy<Value = AmfString<'static>> {
    prop_oneof![
        "\\PC{0,8}".prop_map(AmfString::from),
        prop::collection::vec(any::<u8>(), 0..8).prop_map(AmfString::from),
    ]
}

/// A key of a member list: not empty.
fn key() -> impl Strategy<Value = AmfString<'static>> {
    prop::collection::vec(any::<u8>(), 1..8).prop_map(AmfString::from)
}

fn number() -> impl Strategy<Value = f64> {
    any::<f64>().prop_filter("not NaN", |n| !n.is_nan())
}

fn members(
    inner: impl Strategy<Value = Value<'static>>,
) -> impl Strategy<Value = Vec<Property<'static>>> {
    prop::collection::vec((key(), inner), 0..4)
}

/// Any AMF3 value tree without references.
pub(crate) fn value() -> impl Strategy<Value = Value<'static>> {
    let leaf = prop_oneof![
        Just(Value::Undefined),
        Just(Value::Null),
        any::<bool>().prop_map(Value::Boolean),
        (-0x1000_0000..0x1000_0000).prop_map(Value::Integer),
        number().prop_map(Value::Double),
        text().prop_map(Value::from),
        text().prop_map(Value::XmlDocument),
        text().prop_map(Value::Xml),
        number().prop_map(Value::Date),
        prop::collection::vec(any::<u8>(), 0..8).prop_map(|b| Value::ByteArray(b.into())),
        (any::<bool>(), prop::collection::vec(any::<i32>(), 0..4))
            .prop_map(|(fixed, items)| Value::VectorInt { fixed, items }),
        (any::<bool>(), prop::collection::vec(any::<u32>(), 0..4))
            .prop_map(|(fixed, items)| Value::VectorUint { fixed, items }),
        (any::<bool>(), prop::collection::vec(number(), 0..4))
            .prop_map(|(fixed, items)| Value::VectorDouble { fixed, items }),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            (
                members(inner.clone()),
                prop::collection::vec(inner.clone(), 0..4)
            )
                .prop_map(|(associative, dense)| Value::Array(Box::new(Array {
                    associative,
                    dense
                }))),
            (
                text(),
                prop::collection::vec((text(), inner.clone()), 0..4),
                prop::option::of(members(inner.clone())),
            )
                .prop_map(|(class_name, sealed_members, dynamic_members)| {
                    Value::Object(Box::new(Object {
                        class_name,
                        sealed_members,
                        dynamic_members,
                    }))
                }),
            (
                any::<bool>(),
                text(),
                prop::collection::vec(inner.clone(), 0..4)
            )
                .prop_map(|(fixed, type_name, items)| {
                    Value::VectorObject(Box::new(VectorObject {
                        fixed,
                        type_name,
                        items,
                    }))
                }),
            (
                any::<bool>(),
                prop::collection::vec((inner.clone(), inner), 0..3)
            )
                .prop_map(|(weak_keys, entries)| Value::Dictionary { weak_keys, entries }),
        ]
    })
}

/// (nesting depth in containers, values counted) as the decoder counts them.
pub(crate) fn shape(value: &Value<'_>) -> (u32, u32) {
    let children = |values: &mut dyn Iterator<Item = &Value<'_>>| {
        values.fold((1, 1), |(depth, count), v| {
            let (d, c) = shape(v);
            (depth.max(d + 1), count + c)
        })
    };
    match value {
        Value::Array(a) => children(&mut a.associative.iter().map(|(_, v)| v).chain(&a.dense)),
        Value::Object(o) => children(
            &mut o
                .sealed_members
                .iter()
                .chain(o.dynamic_members.iter().flatten())
                .map(|(_, v)| v),
        ),
        Value::VectorObject(v) => children(&mut v.items.iter()),
        Value::Dictionary { entries, .. } => {
            children(&mut entries.iter().flat_map(|(k, v)| [k, v]))
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
        // The array is object 0, so the reference names it.
        let value = Value::dense_array([value, Value::Reference(0)]);
        let bytes = bytes_of(core::slice::from_ref(&value));
        prop_assert_eq!(decode(&bytes), Ok((value, bytes.len())));
    }

    #[test]
    fn integers_in_range_round_trip_as_integers(i in -0x1000_0000..0x1000_0000i32) {
        let bytes = bytes_of(&[Value::Integer(i)]);
        prop_assert_eq!(decode(&bytes), Ok((Value::Integer(i), bytes.len())));
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
            let once = bytes_of(&values);
            let twice = bytes_of(&decode_all(&once).unwrap());
            prop_assert_eq!(once, twice);
        }
    }

    #[test]
    fn values_of_structured_garbage_never_panic(
        parts in prop::collection::vec(
            prop_oneof![
                Just(vec![0x0Au8, 0x0B, 0x01]), Just(vec![0x0A, 0x01]), Just(vec![0x0A, 0x13, 0x01, 0x03, 0x61]),
                Just(vec![0x09, 0x03, 0x01]), Just(vec![0x06, 0x00]), Just(vec![0x0A, 0x00]),
                Just(vec![0x11, 0x05, 0x00]), Just(vec![0x10, 0x03, 0x00, 0x01]), Just(vec![0x01]),
                prop::collection::vec(any::<u8>(), 1..4),
            ],
            0..40,
        ),
    ) {
        let bytes = parts.concat();
        let _ = decode_all(&bytes);
    }
}

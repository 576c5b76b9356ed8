//! The AMF3 decoder.

use alloc::borrow::Cow;

use crate::amf0::AmfString;
use alloc::boxed::Box;
use alloc::vec::Vec;

use super::marker;
use super::value::{Array, Object, Property, Value, VectorObject};
use crate::amf0::reader::Input;
use crate::amf0::{DecodeError, DecodeErrorKind, Limits, ReferenceTable};

/// The reference tables of one decode call.
#[derive(Default)]
pub(crate) struct Tables<'a> {
    strings: Vec<&'a [u8]>,
    traits: Vec<Traits<'a>>,
    /// How many complex values have begun: the object table, by count only,
    /// since object references are kept as indices.
    objects: u32,
}

/// Object traits, as sent inline once and referenced after.
struct Traits<'a> {
    class_name: &'a [u8],
    sealed: Vec<&'a [u8]>,
    dynamic: bool,
}

/// The low bit of a U29 header: an inline value (1) or a reference (0).
enum Header {
    Inline(u32),
    Reference(u32),
}

pub(super) fn decode(input: &[u8], limits: Limits) -> Result<(Value<'_>, usize), DecodeError> {
    let mut input = Input::new(input, limits);
    let value = self::value(&mut input, &mut Tables::default(), 0)?;
    Ok((value, input.offset()))
}

pub(super) fn decode_all(input: &[u8], limits: Limits) -> Result<Vec<Value<'_>>, DecodeError> {
    let mut input = Input::new(input, limits);
    let mut tables = Tables::default();
    let mut values = Vec::new();
    while !input.is_empty() {
        values.push(value(&mut input, &mut tables, 0)?);
    }
    Ok(values)
}

/// A variable-length unsigned 29-bit integer (AMF3 spec, 1.3.1).
fn u29(input: &mut Input<'_>) -> Result<u32, DecodeError> {
    let mut n = 0u32;
    for _ in 0..3 {
        let byte = input.u8()?;
        if byte & 0x80 == 0 {
            return Ok((n << 7) | u32::from(byte));
        }
        n = (n << 7) | u32::from(byte & 0x7F);
    }
    Ok((n << 8) | u32::from(input.u8()?))
}

/// A length or count from a header, as a `usize`.
fn len(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

fn out_of_range(at: usize, table: ReferenceTable, index: u32, len: usize) -> DecodeError {
    Input::error_at(
        at,
        DecodeErrorKind::ReferenceOutOfRange {
            table,
            index,
            len: u32::try_from(len).unwrap_or(u32::MAX),
        },
    )
}

/// UTF-8-vr: a string value or a reference into the string table.
fn string<'a>(input: &mut Input<'a>, tables: &mut Tables<'a>) -> Result<&'a [u8], DecodeError> {
    let at = input.offset();
    let header = u29(input)?;
    let n = header >> 1;
    if header & 1 == 0 {
        return tables
            .strings
            .get(len(n))
            .copied()
            .ok_or_else(|| out_of_range(at, ReferenceTable::String, n, tables.strings.len()));
    }
    let s = input.bytes(len(n))?;
    // The empty string is never sent by reference, so never enters the table.
    if !s.is_empty() {
        tables.strings.push(s);
    }
    Ok(s)
}

/// The U29 header of a complex value: inline (then it takes the next object
/// table index) or a checked reference.
fn header(input: &mut Input<'_>, tables: &mut Tables<'_>) -> Result<Header, DecodeError> {
    let at = input.offset();
    let header = u29(input)?;
    let n = header >> 1;
    if header & 1 == 0 {
        if n >= tables.objects {
            return Err(out_of_range(
                at,
                ReferenceTable::Object,
                n,
                len(tables.objects),
            ));
        }
        return Ok(Header::Reference(n));
    }
    tables.objects = tables.objects.saturating_add(1);
    Ok(Header::Inline(n))
}

/// Decodes the value at the cursor; `depth` is how many containers hold it.
pub(crate) fn value<'a>(
    input: &mut Input<'a>,
    tables: &mut Tables<'a>,
    depth: u32,
) -> Result<Value<'a>, DecodeError> {
    input.count_element()?;
    let start = input.offset();
    let marker = input.u8()?;
    let simple = match marker {
        marker::UNDEFINED => Some(Value::Undefined),
        marker::NULL => Some(Value::Null),
        marker::FALSE => Some(Value::Boolean(false)),
        marker::TRUE => Some(Value::Boolean(true)),
        marker::INTEGER => {
            // Sign-extend bit 28.
            let n = u29(input)?;
            Some(Value::Integer(((n << 3) as i32) >> 3))
        }
        marker::DOUBLE => Some(Value::Double(input.f64()?)),
        marker::STRING => Some(Value::String(AmfString::from_bytes(string(input, tables)?))),
        marker::XML_DOC..=marker::DICTIONARY => None,
        m => return Err(Input::error_at(start, DecodeErrorKind::UnknownMarker(m))),
    };
    if let Some(value) = simple {
        return Ok(value);
    }
    let header_at = input.offset();
    let n = match header(input, tables)? {
        Header::Reference(index) => return Ok(Value::Reference(index)),
        Header::Inline(n) => n,
    };
    let value = match marker {
        marker::XML_DOC => Value::XmlDocument(input.string(len(n))?),
        marker::XML => Value::Xml(input.string(len(n))?),
        marker::DATE => Value::Date(input.f64()?),
        marker::ARRAY => {
            let depth = input.enter(depth)?;
            let associative = members(input, tables, depth, Vec::new())?;
            let capacity = input.claim(n, 1)?;
            let mut dense = Vec::with_capacity(capacity);
            for _ in 0..n {
                input.begin_claimed(1);
                dense.push(value(input, tables, depth)?);
            }
            Value::Array(Box::new(Array { associative, dense }))
        }
        marker::OBJECT => Value::Object(Box::new(object(input, tables, depth, n, header_at)?)),
        marker::BYTE_ARRAY => Value::ByteArray(Cow::Borrowed(input.bytes(len(n))?)),
        marker::VECTOR_INT => {
            let (fixed, bytes) = vector_bytes(input, n, 4)?;
            let items = bytes
                .chunks_exact(4)
                .map(|c| i32::from_be_bytes(word(c)))
                .collect();
            Value::VectorInt { fixed, items }
        }
        marker::VECTOR_UINT => {
            let (fixed, bytes) = vector_bytes(input, n, 4)?;
            let items = bytes
                .chunks_exact(4)
                .map(|c| u32::from_be_bytes(word(c)))
                .collect();
            Value::VectorUint { fixed, items }
        }
        marker::VECTOR_DOUBLE => {
            let (fixed, bytes) = vector_bytes(input, n, 8)?;
            let items = bytes
                .chunks_exact(8)
                .map(|c| f64::from_be_bytes(c.try_into().unwrap_or_default()))
                .collect();
            Value::VectorDouble { fixed, items }
        }
        marker::VECTOR_OBJECT => {
            let fixed = input.u8()? != 0;
            let type_name = AmfString::from_bytes(string(input, tables)?);
            let capacity = input.claim(n, 1)?;
            let depth = input.enter(depth)?;
            let mut items = Vec::with_capacity(capacity);
            for _ in 0..n {
                input.begin_claimed(1);
                items.push(value(input, tables, depth)?);
            }
            Value::VectorObject(Box::new(VectorObject {
                fixed,
                type_name,
                items,
            }))
        }
        _ => {
            // marker::DICTIONARY, the last of the range matched above.
            let weak_keys = input.u8()? != 0;
            let capacity = input.claim(n, 2)?;
            let depth = input.enter(depth)?;
            let mut entries = Vec::with_capacity(capacity);
            for _ in 0..n {
                input.begin_claimed(2);
                let key = value(input, tables, depth)?;
                entries.push((key, value(input, tables, depth)?));
            }
            Value::Dictionary { weak_keys, entries }
        }
    };
    Ok(value)
}

fn word(c: &[u8]) -> [u8; 4] {
    c.try_into().unwrap_or_default()
}

/// The fixed flag and the items of a vector of `count` numbers of `size` bytes.
fn vector_bytes<'a>(
    input: &mut Input<'a>,
    count: u32,
    size: usize,
) -> Result<(bool, &'a [u8]), DecodeError> {
    let fixed = input.u8()? != 0;
    input.check_count(count, size)?;
    let bytes = input.bytes(len(count).saturating_mul(size))?;
    Ok((fixed, bytes))
}

/// Named members up to the empty string: the associative part of an array,
/// the dynamic members of an object.
fn members<'a>(
    input: &mut Input<'a>,
    tables: &mut Tables<'a>,
    depth: u32,
    mut members: Vec<Property<'a>>,
) -> Result<Vec<Property<'a>>, DecodeError> {
    loop {
        let key = string(input, tables)?;
        if key.is_empty() {
            return Ok(members);
        }
        let value = value(input, tables, depth)?;
        members.push((AmfString::from_bytes(key), value));
    }
}

/// An object after its U29O header bits `n` (the header without its low
/// bit), which started at offset `at`.
fn object<'a>(
    input: &mut Input<'a>,
    tables: &mut Tables<'a>,
    depth: u32,
    n: u32,
    at: usize,
) -> Result<Object<'a>, DecodeError> {
    let index = if n & 1 == 0 {
        let index = n >> 1;
        if len(index) >= tables.traits.len() {
            return Err(out_of_range(
                at,
                ReferenceTable::Traits,
                index,
                tables.traits.len(),
            ));
        }
        len(index)
    } else {
        if n & 2 != 0 {
            return Err(Input::error_at(at, DecodeErrorKind::ExternalizableObject));
        }
        let dynamic = n & 4 != 0;
        let count = n >> 3;
        let class_name = string(input, tables)?;
        // Each name takes a byte, and each takes a value (at least a byte).
        let capacity = input.check_count(count, 2)?;
        let mut sealed = Vec::with_capacity(capacity);
        for _ in 0..count {
            sealed.push(string(input, tables)?);
        }
        tables.traits.push(Traits {
            class_name,
            sealed,
            dynamic,
        });
        tables.traits.len().saturating_sub(1)
    };
    let depth = input.enter(depth)?;
    let (class_name, count, dynamic) = match tables.traits.get(index) {
        Some(t) => (t.class_name, t.sealed.len(), t.dynamic),
        None => (&[][..], 0, false),
    };
    let capacity = input.claim(u32::try_from(count).unwrap_or(u32::MAX), 1)?;
    let mut sealed_members = Vec::with_capacity(capacity);
    for i in 0..count {
        input.begin_claimed(1);
        let name = tables
            .traits
            .get(index)
            .and_then(|t| t.sealed.get(i))
            .copied()
            .unwrap_or_default();
        let value = value(input, tables, depth)?;
        sealed_members.push((AmfString::from_bytes(name), value));
    }
    let dynamic_members = if dynamic {
        Some(members(input, tables, depth, Vec::new())?)
    } else {
        None
    };
    Ok(Object {
        class_name: AmfString::from_bytes(class_name),
        sealed_members,
        dynamic_members,
    })
}

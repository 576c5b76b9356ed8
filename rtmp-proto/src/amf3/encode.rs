//! The AMF3 encoder. It writes every string and traits inline and object
//! references only where the value tree holds a [`Value::Reference`].

use alloc::vec::Vec;

use super::value::{Property, Value};
use super::{U29_MAX, marker};
use crate::amf0::{AmfString, EncodeError};

/// The object table of one encode call: the marker of each complex value
/// written, so a reference can be written with the marker of what it names.
#[derive(Default)]
pub(crate) struct Tables {
    objects: Vec<u8>,
}

/// The largest length or count a U29 header carries (one bit is the
/// inline/reference flag).
const MAX_LEN: u32 = U29_MAX >> 1;

/// Writes a U29; `n` must not exceed [`U29_MAX`] (the bits above are dropped).
fn u29(out: &mut Vec<u8>, n: u32) {
    let b = |shift: u32| ((n >> shift) & 0x7F) as u8;
    if n < 0x80 {
        out.push(b(0));
    } else if n < 0x4000 {
        out.extend_from_slice(&[b(7) | 0x80, b(0)]);
    } else if n < 0x20_0000 {
        out.extend_from_slice(&[b(14) | 0x80, b(7) | 0x80, b(0)]);
    } else {
        out.extend_from_slice(&[b(22) | 0x80, b(15) | 0x80, b(8) | 0x80, (n & 0xFF) as u8]);
    }
}

/// Checks that `len` fits a U29 header with its flag bit.
fn checked_len(len: usize) -> Result<u32, EncodeError> {
    u32::try_from(len)
        .ok()
        .filter(|&n| n <= MAX_LEN)
        .ok_or(EncodeError::TooLong {
            len,
            max: usize::try_from(MAX_LEN).unwrap_or(usize::MAX),
        })
}

/// An inline header carrying `len`.
fn inline_len(out: &mut Vec<u8>, len: usize) -> Result<(), EncodeError> {
    let n = checked_len(len)?;
    u29(out, (n << 1) | 1);
    Ok(())
}

/// UTF-8-vr, always inline.
fn string(out: &mut Vec<u8>, s: &AmfString<'_>) -> Result<(), EncodeError> {
    inline_len(out, s.len())?;
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

/// A key of an associative part or a dynamic member: not empty, since the
/// empty string ends the list.
fn key(out: &mut Vec<u8>, key: &AmfString<'_>) -> Result<(), EncodeError> {
    if key.is_empty() {
        return Err(EncodeError::EmptyKey);
    }
    string(out, key)
}

fn members(
    out: &mut Vec<u8>,
    tables: &mut Tables,
    members: &[Property<'_>],
) -> Result<(), EncodeError> {
    for (k, v) in members {
        key(out, k)?;
        value(out, tables, v)?;
    }
    out.push(0x01);
    Ok(())
}

pub(crate) fn value(
    out: &mut Vec<u8>,
    tables: &mut Tables,
    value: &Value<'_>,
) -> Result<(), EncodeError> {
    let complex_marker = match value {
        Value::Undefined => {
            out.push(marker::UNDEFINED);
            return Ok(());
        }
        Value::Null => {
            out.push(marker::NULL);
            return Ok(());
        }
        Value::Boolean(b) => {
            out.push(if *b { marker::TRUE } else { marker::FALSE });
            return Ok(());
        }
        Value::Integer(i) => {
            if (-0x1000_0000..0x1000_0000).contains(i) {
                out.push(marker::INTEGER);
                u29(out, (*i as u32) & U29_MAX);
            } else {
                out.push(marker::DOUBLE);
                out.extend_from_slice(&f64::from(*i).to_be_bytes());
            }
            return Ok(());
        }
        Value::Double(n) => {
            out.push(marker::DOUBLE);
            out.extend_from_slice(&n.to_be_bytes());
            return Ok(());
        }
        Value::String(s) => {
            out.push(marker::STRING);
            return string(out, s);
        }
        Value::Reference(index) => {
            let marker = tables
                .objects
                .get(usize::try_from(*index).unwrap_or(usize::MAX))
                .copied()
                .ok_or(EncodeError::ReferenceOutOfRange {
                    index: *index,
                    len: u32::try_from(tables.objects.len()).unwrap_or(u32::MAX),
                })?;
            out.push(marker);
            u29(out, index << 1);
            return Ok(());
        }
        Value::XmlDocument(_) => marker::XML_DOC,
        Value::Date(_) => marker::DATE,
        Value::Array(_) => marker::ARRAY,
        Value::Object(_) => marker::OBJECT,
        Value::Xml(_) => marker::XML,
        Value::ByteArray(_) => marker::BYTE_ARRAY,
        Value::VectorInt { .. } => marker::VECTOR_INT,
        Value::VectorUint { .. } => marker::VECTOR_UINT,
        Value::VectorDouble { .. } => marker::VECTOR_DOUBLE,
        Value::VectorObject(_) => marker::VECTOR_OBJECT,
        Value::Dictionary { .. } => marker::DICTIONARY,
    };
    // A complex value takes the next index of the object table.
    out.push(complex_marker);
    tables.objects.push(complex_marker);
    match value {
        Value::XmlDocument(s) | Value::Xml(s) => string(out, s)?,
        Value::Date(millis) => {
            out.push(0x01);
            out.extend_from_slice(&millis.to_be_bytes());
        }
        Value::Array(array) => {
            inline_len(out, array.dense.len())?;
            members(out, tables, &array.associative)?;
            for v in &array.dense {
                self::value(out, tables, v)?;
            }
        }
        Value::Object(object) => {
            let count = u32::try_from(object.sealed_members.len())
                .ok()
                .filter(|&n| n <= U29_MAX >> 4)
                .ok_or(EncodeError::TooLong {
                    len: object.sealed_members.len(),
                    max: usize::try_from(U29_MAX >> 4).unwrap_or(usize::MAX),
                })?;
            let dynamic = u32::from(object.dynamic_members.is_some());
            // Inline object (bit 0), inline traits (bit 1), not
            // externalizable (bit 2), dynamic (bit 3), sealed member count.
            u29(out, (count << 4) | (dynamic << 3) | 0b011);
            string(out, &object.class_name)?;
            for (name, _) in &object.sealed_members {
                string(out, name)?;
            }
            for (_, v) in &object.sealed_members {
                self::value(out, tables, v)?;
            }
            if let Some(dynamic) = &object.dynamic_members {
                members(out, tables, dynamic)?;
            }
        }
        Value::ByteArray(bytes) => {
            inline_len(out, bytes.len())?;
            out.extend_from_slice(bytes);
        }
        Value::VectorInt { fixed, items } => {
            vector_header(out, items.len(), *fixed)?;
            items
                .iter()
                .for_each(|i| out.extend_from_slice(&i.to_be_bytes()));
        }
        Value::VectorUint { fixed, items } => {
            vector_header(out, items.len(), *fixed)?;
            items
                .iter()
                .for_each(|i| out.extend_from_slice(&i.to_be_bytes()));
        }
        Value::VectorDouble { fixed, items } => {
            vector_header(out, items.len(), *fixed)?;
            items
                .iter()
                .for_each(|i| out.extend_from_slice(&i.to_be_bytes()));
        }
        Value::VectorObject(vector) => {
            vector_header(out, vector.items.len(), vector.fixed)?;
            string(out, &vector.type_name)?;
            for v in &vector.items {
                self::value(out, tables, v)?;
            }
        }
        Value::Dictionary { weak_keys, entries } => {
            inline_len(out, entries.len())?;
            out.push(u8::from(*weak_keys));
            for (k, v) in entries {
                self::value(out, tables, k)?;
                self::value(out, tables, v)?;
            }
        }
        // Handled above.
        Value::Undefined
        | Value::Null
        | Value::Boolean(_)
        | Value::Integer(_)
        | Value::Double(_)
        | Value::String(_)
        | Value::Reference(_) => {}
    }
    Ok(())
}

fn vector_header(out: &mut Vec<u8>, len: usize, fixed: bool) -> Result<(), EncodeError> {
    inline_len(out, len)?;
    out.push(u8::from(fixed));
    Ok(())
}

//! The AMF0 encoder.

use alloc::vec::Vec;

use super::error::EncodeError;
use super::marker;
use super::string::AmfString;
use super::value::{Property, Value};
use crate::amf3;

/// One encode call: the output and the count of complex values written, so
/// that references can be checked.
struct Amf0Encoder<'o> {
    out: &'o mut Vec<u8>,
    complex: u32,
    amf3: amf3::encode::Tables,
}

pub(super) fn encode_all<'v, 'a: 'v>(
    values: impl IntoIterator<Item = &'v Value<'a>>,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let start = out.len();
    let mut encoder = Amf0Encoder {
        out,
        complex: 0,
        amf3: amf3::encode::Tables::default(),
    };
    let result = values.into_iter().try_for_each(|v| encoder.value(v));
    if result.is_err() {
        out.truncate(start);
    }
    result
}

impl Amf0Encoder<'_> {
    /// Writes one value: the values commands and metadata are made of
    /// (numbers, short strings, booleans, null) right here, inlined into the
    /// caller; the rest in [`Self::complex_value`]. (The encoder is mostly
    /// call overhead otherwise: the recursive function's prologue and
    /// epilogue cost more than writing a short string.)
    #[inline(always)]
    fn value(&mut self, value: &Value<'_>) -> Result<(), EncodeError> {
        match value {
            Value::Number(n) => self.number(marker::NUMBER, *n),
            Value::String(s) => {
                let Ok(len) = u16::try_from(s.len()) else {
                    return self.complex_value(value);
                };
                let [hi, lo] = len.to_be_bytes();
                self.out.extend_from_slice(&[marker::STRING, hi, lo]);
                self.out.extend_from_slice(s.as_bytes());
            }
            Value::Boolean(b) => self.out.extend_from_slice(&[marker::BOOLEAN, u8::from(*b)]),
            Value::Null => self.out.push(marker::NULL),
            other => return self.complex_value(other),
        }
        Ok(())
    }

    /// Every value, written out of line (long strings, objects, arrays, ...).
    #[inline(never)]
    fn complex_value(&mut self, value: &Value<'_>) -> Result<(), EncodeError> {
        match value {
            Value::Number(n) => self.number(marker::NUMBER, *n),
            Value::Boolean(b) => self.out.extend_from_slice(&[marker::BOOLEAN, u8::from(*b)]),
            Value::String(s) => match u16::try_from(s.len()) {
                Ok(len) => {
                    let [hi, lo] = len.to_be_bytes();
                    self.out.extend_from_slice(&[marker::STRING, hi, lo]);
                    self.out.extend_from_slice(s.as_bytes());
                }
                Err(_) => self.long_str(marker::LONG_STRING, s)?,
            },
            Value::Object(properties) => {
                self.out.push(marker::OBJECT);
                self.complex = self.complex.saturating_add(1);
                self.properties(properties)?;
            }
            Value::Null => self.out.push(marker::NULL),
            Value::Undefined => self.out.push(marker::UNDEFINED),
            Value::Reference(index) => {
                if u32::from(*index) >= self.complex {
                    return Err(EncodeError::ReferenceOutOfRange {
                        index: u32::from(*index),
                        len: self.complex,
                    });
                }
                self.out.push(marker::REFERENCE);
                self.out.extend_from_slice(&index.to_be_bytes());
            }
            Value::EcmaArray(properties) => {
                self.out.push(marker::ECMA_ARRAY);
                self.u32_len(properties.len())?;
                self.complex = self.complex.saturating_add(1);
                self.properties(properties)?;
            }
            Value::StrictArray(values) => {
                self.out.push(marker::STRICT_ARRAY);
                self.u32_len(values.len())?;
                self.complex = self.complex.saturating_add(1);
                values.iter().try_for_each(|v| self.value(v))?;
            }
            Value::Date { millis, time_zone } => {
                self.number(marker::DATE, *millis);
                self.out.extend_from_slice(&time_zone.to_be_bytes());
            }
            Value::Unsupported => self.out.push(marker::UNSUPPORTED),
            Value::XmlDocument(s) => self.long_str(marker::XML_DOCUMENT, s)?,
            Value::TypedObject(object) => {
                self.out.push(marker::TYPED_OBJECT);
                self.key(&object.class_name)?;
                self.complex = self.complex.saturating_add(1);
                self.properties(&object.properties)?;
            }
            Value::Avmplus(value) => {
                self.out.push(marker::AVMPLUS);
                amf3::encode::value(self.out, &mut self.amf3, value)?;
            }
        }
        Ok(())
    }

    #[inline(always)]
    fn number(&mut self, marker: u8, n: f64) {
        let [a, b, c, d, e, f, g, h] = n.to_be_bytes();
        self.out
            .extend_from_slice(&[marker, a, b, c, d, e, f, g, h]);
    }

    fn u32_len(&mut self, len: usize) -> Result<(), EncodeError> {
        let len = u32::try_from(len).map_err(|_| EncodeError::TooLong {
            len,
            max: usize::try_from(u32::MAX).unwrap_or(usize::MAX),
        })?;
        self.out.extend_from_slice(&len.to_be_bytes());
        Ok(())
    }

    fn long_str(&mut self, marker: u8, s: &AmfString<'_>) -> Result<(), EncodeError> {
        self.out.push(marker);
        self.u32_len(s.len())?;
        self.out.extend_from_slice(s.as_bytes());
        Ok(())
    }

    /// A key or class name: u16 length and UTF-8.
    #[inline(always)]
    fn key(&mut self, key: &AmfString<'_>) -> Result<(), EncodeError> {
        let len = u16::try_from(key.len()).map_err(|_| EncodeError::TooLong {
            len: key.len(),
            max: usize::from(u16::MAX),
        })?;
        self.out.extend_from_slice(&len.to_be_bytes());
        self.out.extend_from_slice(key.as_bytes());
        Ok(())
    }

    fn properties(&mut self, properties: &[Property<'_>]) -> Result<(), EncodeError> {
        for (key, value) in properties {
            self.key(key)?;
            self.value(value)?;
        }
        self.out.extend_from_slice(&[0, 0, marker::OBJECT_END]);
        Ok(())
    }
}

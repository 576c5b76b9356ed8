//! The AMF0 decoder.

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::Limits;
use super::error::{DecodeError, DecodeErrorKind, ReferenceTable};
use super::marker;
use super::reader::Input;
use super::string::AmfString;
use super::value::{Property, TypedObject, Value};
use crate::amf3;

/// Properties reserved for an ECMA array on the word of its count, which is
/// not checked (the properties run to the object end): enough for common
/// `onMetaData`, and a constant, however the arrays nest.
const ECMA_ARRAY_MAX_RESERVE: usize = 16;

/// One decode call: the input, the count of complex values for references,
/// and the AMF3 tables for AVM+ switches.
struct Amf0Decoder<'a> {
    input: Input<'a>,
    complex: u32,
    amf3: amf3::decode::Tables<'a>,
}

pub(super) fn decode(input: &[u8], limits: Limits) -> Result<(Value<'_>, usize), DecodeError> {
    let mut decoder = Amf0Decoder::new(input, limits);
    let value = decoder.value(0)?;
    Ok((value, decoder.input.offset()))
}

pub(super) fn decode_all(input: &[u8], limits: Limits) -> Result<Vec<Value<'_>>, DecodeError> {
    let mut decoder = Amf0Decoder::new(input, limits);
    // A command is a name, a transaction id, an object and an argument or two.
    let mut values = Vec::with_capacity(4);
    while !decoder.input.is_empty() {
        decoder.push_value(0, &mut values)?;
    }
    Ok(values)
}

impl<'a> Amf0Decoder<'a> {
    fn new(input: &'a [u8], limits: Limits) -> Self {
        Self {
            input: Input::new(input, limits),
            complex: 0,
            amf3: amf3::decode::Tables::default(),
        }
    }

    /// Decodes the value at the cursor; `depth` is how many containers hold it.
    fn value(&mut self, depth: u32) -> Result<Value<'a>, DecodeError> {
        let mut value = Value::Null;
        self.value_into(depth, &mut value)?;
        Ok(value)
    }

    /// Appends the value at the cursor to `values`.
    fn push_value(&mut self, depth: u32, values: &mut Vec<Value<'a>>) -> Result<(), DecodeError> {
        values.resize_with(values.len().saturating_add(1), || Value::Null);
        match values.last_mut() {
            Some(slot) => self.value_into(depth, slot),
            None => Ok(()),
        }
    }

    /// Decodes the value at the cursor into `slot`. Writing in place rather
    /// than returning the value saves a copy of every value through its
    /// `Result`, which showed up as a store-forwarding stall in profiles.
    fn value_into(&mut self, depth: u32, slot: &mut Value<'a>) -> Result<(), DecodeError> {
        self.input.count_element()?;
        let start = self.input.offset();
        let value = match self.input.u8()? {
            marker::NUMBER => Value::Number(self.input.f64()?),
            marker::BOOLEAN => Value::Boolean(self.input.u8()? != 0),
            marker::STRING => {
                let len = self.input.u16()?;
                Value::String(self.input.string(usize::from(len))?)
            }
            marker::OBJECT => {
                let depth = self.begin_complex(depth)?;
                Value::Object(self.properties(depth, Vec::new())?)
            }
            marker::NULL => Value::Null,
            marker::UNDEFINED => Value::Undefined,
            marker::REFERENCE => {
                let at = self.input.offset();
                let index = self.input.u16()?;
                if u32::from(index) >= self.complex {
                    return Err(Input::error_at(
                        at,
                        DecodeErrorKind::ReferenceOutOfRange {
                            table: ReferenceTable::Object,
                            index: u32::from(index),
                            len: self.complex,
                        },
                    ));
                }
                Value::Reference(index)
            }
            marker::ECMA_ARRAY => {
                // A hint only: read up to the object end whatever it says, and
                // reserve no more than the input could hold (3 bytes a property).
                let hint = self.input.u32()?;
                let depth = self.begin_complex(depth)?;
                let capacity = usize::try_from(hint)
                    .unwrap_or(usize::MAX)
                    .min(ECMA_ARRAY_MAX_RESERVE)
                    .min(self.input.unclaimed() / 3);
                Value::EcmaArray(self.properties(depth, Vec::with_capacity(capacity))?)
            }
            marker::OBJECT_END => {
                return Err(Input::error_at(start, DecodeErrorKind::UnexpectedObjectEnd));
            }
            marker::STRICT_ARRAY => {
                let count = self.input.u32()?;
                let capacity = self.input.claim(count, 1)?;
                let depth = self.begin_complex(depth)?;
                let mut values = Vec::with_capacity(capacity);
                for _ in 0..count {
                    self.input.begin_claimed(1);
                    self.push_value(depth, &mut values)?;
                }
                Value::StrictArray(values)
            }
            marker::DATE => {
                let millis = self.input.f64()?;
                let time_zone = self.input.i16()?;
                Value::Date { millis, time_zone }
            }
            marker::LONG_STRING => Value::String(self.long_string()?),
            marker::UNSUPPORTED => Value::Unsupported,
            marker::XML_DOCUMENT => Value::XmlDocument(self.long_string()?),
            marker::TYPED_OBJECT => {
                let len = self.input.u16()?;
                let class_name = self.input.string(usize::from(len))?;
                let depth = self.begin_complex(depth)?;
                let properties = self.properties(depth, Vec::new())?;
                Value::TypedObject(Box::new(TypedObject {
                    class_name,
                    properties,
                }))
            }
            marker::AVMPLUS => Value::Avmplus(Box::new(amf3::decode::value(
                &mut self.input,
                &mut self.amf3,
                depth,
            )?)),
            m @ (marker::MOVIECLIP | marker::RECORDSET) => {
                return Err(Input::error_at(start, DecodeErrorKind::ReservedMarker(m)));
            }
            m => return Err(Input::error_at(start, DecodeErrorKind::UnknownMarker(m))),
        };
        *slot = value;
        Ok(())
    }

    /// Enters a complex value: gives it the next reference index and returns
    /// the depth of its children.
    fn begin_complex(&mut self, depth: u32) -> Result<u32, DecodeError> {
        let depth = self.input.enter(depth)?;
        self.complex = self.complex.saturating_add(1);
        Ok(depth)
    }

    /// A u32 length and that many bytes of string.
    fn long_string(&mut self) -> Result<AmfString<'a>, DecodeError> {
        let len = self.input.u32()?;
        self.input
            .string(usize::try_from(len).unwrap_or(usize::MAX))
    }

    /// Properties up to the object end (an empty key and 0x09).
    fn properties(
        &mut self,
        depth: u32,
        mut properties: Vec<Property<'a>>,
    ) -> Result<Vec<Property<'a>>, DecodeError> {
        loop {
            let len = self.input.u16()?;
            if len == 0 && self.input.peek() == Some(marker::OBJECT_END) {
                self.input.u8()?;
                return Ok(properties);
            }
            let key = self.input.string(usize::from(len))?;
            // Filled in place: see `value_into`.
            properties.resize_with(properties.len().saturating_add(1), || {
                (AmfString::default(), Value::Null)
            });
            if let Some((slot_key, slot)) = properties.last_mut() {
                *slot_key = key;
                self.value_into(depth, slot)?;
            }
        }
    }
}

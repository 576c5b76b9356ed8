//! The AMF0 value tree and the accessors session code reads it with.

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use super::string::AmfString;
use crate::amf3;

/// A property of an object, ECMA array or typed object: key and value.
pub type Property<'a> = (AmfString<'a>, Value<'a>);

/// One AMF0 value. Strings borrow from the decoded input (`'a`); values built
/// in code from `&'static str` are `Value<'static>`. Strings are
/// [`AmfString`]s: bytes as sent, read as text with `as_str`.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    /// Number (0x00): an IEEE 754 double.
    Number(f64),
    /// Boolean (0x01).
    Boolean(bool),
    /// String (0x02), or Long String (0x0C) when over 65 535 bytes.
    String(AmfString<'a>),
    /// Anonymous object (0x03): properties in wire order, duplicates kept.
    Object(Vec<Property<'a>>),
    /// Null (0x05).
    Null,
    /// Undefined (0x06).
    Undefined,
    /// Reference (0x07): index of an earlier complex value (object, typed
    /// object, ECMA array, strict array) of the same decode call, counting
    /// from 0 in the order their markers appear. Kept unresolved.
    Reference(u16),
    /// ECMA array (0x08): an associative array; properties in wire order.
    EcmaArray(Vec<Property<'a>>),
    /// Strict array (0x0A): values by index.
    StrictArray(Vec<Value<'a>>),
    /// Date (0x0B).
    Date {
        /// Milliseconds since 1970-01-01 00:00 UTC.
        millis: f64,
        /// Time zone, reserved by the spec (write 0); kept as sent.
        time_zone: i16,
    },
    /// Unsupported (0x0D).
    Unsupported,
    /// XML document (0x0F): the XML text.
    XmlDocument(AmfString<'a>),
    /// Typed object (0x10): a class name and properties.
    TypedObject(Box<TypedObject<'a>>),
    /// AVM+ switch (0x11): the value is AMF3.
    Avmplus(Box<amf3::Value<'a>>),
}

/// The contents of an AMF0 typed object (0x10).
#[derive(Clone, Debug, PartialEq)]
pub struct TypedObject<'a> {
    /// The registered class name.
    pub class_name: AmfString<'a>,
    /// Properties in wire order, duplicates kept.
    pub properties: Vec<Property<'a>>,
}

impl<'a> Value<'a> {
    /// An anonymous object with these properties, in this order.
    ///
    /// ```
    /// # use rtmp_proto::amf0::Value;
    /// let info = Value::object([("level", "status".into()), ("clientid", 1.0.into())]);
    /// assert_eq!(info.get_f64("clientid"), Some(1.0));
    /// ```
    pub fn object<K: Into<AmfString<'a>>>(
        properties: impl IntoIterator<Item = (K, Value<'a>)>,
    ) -> Self {
        Self::Object(collect_properties(properties))
    }

    /// An ECMA array with these properties, in this order (the usual shape
    /// of `onMetaData`).
    pub fn ecma_array<K: Into<AmfString<'a>>>(
        properties: impl IntoIterator<Item = (K, Value<'a>)>,
    ) -> Self {
        Self::EcmaArray(collect_properties(properties))
    }

    /// A strict array of these values.
    pub fn strict_array(values: impl IntoIterator<Item = Value<'a>>) -> Self {
        Self::StrictArray(values.into_iter().collect())
    }

    /// The string, if this is a String of UTF-8 (also through an AVM+
    /// switch).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => s.as_str(),
            Self::Avmplus(v) => v.as_str(),
            _ => None,
        }
    }

    /// The number, if this is a Number (also through an AVM+ switch, where an
    /// AMF3 integer counts as a number).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Number(n) => Some(*n),
            Self::Avmplus(v) => v.as_f64(),
            _ => None,
        }
    }

    /// The boolean, if this is a Boolean (also through an AVM+ switch).
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Boolean(b) => Some(*b),
            Self::Avmplus(v) => v.as_bool(),
            _ => None,
        }
    }

    /// True for Null and Undefined (also through an AVM+ switch): the
    /// "nothing here" of a command's optional arguments.
    pub fn is_null_or_undefined(&self) -> bool {
        match self {
            Self::Null | Self::Undefined => true,
            Self::Avmplus(v) => matches!(**v, amf3::Value::Null | amf3::Value::Undefined),
            _ => false,
        }
    }

    /// The properties of an object, ECMA array or typed object.
    pub fn properties(&self) -> Option<&[Property<'a>]> {
        match self {
            Self::Object(p) | Self::EcmaArray(p) => Some(p),
            Self::TypedObject(t) => Some(&t.properties),
            _ => None,
        }
    }

    /// The properties of an object, ECMA array or typed object, to change.
    pub fn properties_mut(&mut self) -> Option<&mut Vec<Property<'a>>> {
        match self {
            Self::Object(p) | Self::EcmaArray(p) => Some(p),
            Self::TypedObject(t) => Some(&mut t.properties),
            _ => None,
        }
    }

    /// The elements of a strict array.
    pub fn as_slice(&self) -> Option<&[Value<'a>]> {
        match self {
            Self::StrictArray(v) => Some(v),
            _ => None,
        }
    }

    /// The value of property `key` of an object, ECMA array or typed object.
    /// With duplicate keys, the last one wins (as in ActionScript).
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.properties()?
            .iter()
            .rev()
            .find(|(k, _)| k.as_bytes() == key.as_bytes())
            .map(|(_, v)| v)
    }

    /// `get(key)` as a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key)?.as_str()
    }

    /// `get(key)` as a number.
    pub fn get_f64(&self, key: &str) -> Option<f64> {
        self.get(key)?.as_f64()
    }

    /// `get(key)` as a boolean.
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        self.get(key)?.as_bool()
    }

    /// Sets property `key` of an object, ECMA array or typed object: replaces
    /// the value of the last property with that key, or appends one. Returns
    /// false (and does nothing) for other values.
    pub fn set(&mut self, key: impl Into<AmfString<'a>>, value: impl Into<Value<'a>>) -> bool {
        let Some(properties) = self.properties_mut() else {
            return false;
        };
        let key = key.into();
        let value = value.into();
        match properties.iter_mut().rev().find(|(k, _)| *k == key) {
            Some((_, v)) => *v = value,
            None => properties.push((key, value)),
        }
        true
    }

    /// This value with every string copied, no longer borrowing the input.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Self::Number(n) => Value::Number(n),
            Self::Boolean(b) => Value::Boolean(b),
            Self::String(s) => Value::String(s.into_owned()),
            Self::Object(p) => Value::Object(owned_properties(p)),
            Self::Null => Value::Null,
            Self::Undefined => Value::Undefined,
            Self::Reference(i) => Value::Reference(i),
            Self::EcmaArray(p) => Value::EcmaArray(owned_properties(p)),
            Self::StrictArray(v) => {
                Value::StrictArray(v.into_iter().map(Value::into_owned).collect())
            }
            Self::Date { millis, time_zone } => Value::Date { millis, time_zone },
            Self::Unsupported => Value::Unsupported,
            Self::XmlDocument(s) => Value::XmlDocument(s.into_owned()),
            Self::TypedObject(t) => Value::TypedObject(Box::new(TypedObject {
                class_name: t.class_name.into_owned(),
                properties: owned_properties(t.properties),
            })),
            Self::Avmplus(v) => Value::Avmplus(Box::new(v.into_owned())),
        }
    }
}

fn collect_properties<'a, K: Into<AmfString<'a>>>(
    properties: impl IntoIterator<Item = (K, Value<'a>)>,
) -> Vec<Property<'a>> {
    properties.into_iter().map(|(k, v)| (k.into(), v)).collect()
}

fn owned_properties(properties: Vec<Property<'_>>) -> Vec<Property<'static>> {
    properties
        .into_iter()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

impl From<f64> for Value<'_> {
    fn from(n: f64) -> Self {
        Self::Number(n)
    }
}

impl From<u32> for Value<'_> {
    fn from(n: u32) -> Self {
        Self::Number(f64::from(n))
    }
}

impl From<i32> for Value<'_> {
    fn from(n: i32) -> Self {
        Self::Number(f64::from(n))
    }
}

impl From<bool> for Value<'_> {
    fn from(b: bool) -> Self {
        Self::Boolean(b)
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Self::String(s.into())
    }
}

impl From<String> for Value<'_> {
    fn from(s: String) -> Self {
        Self::String(s.into())
    }
}

impl<'a> From<Cow<'a, str>> for Value<'a> {
    fn from(s: Cow<'a, str>) -> Self {
        Self::String(s.into())
    }
}

impl<'a> From<AmfString<'a>> for Value<'a> {
    fn from(s: AmfString<'a>) -> Self {
        Self::String(s)
    }
}

impl<'a> From<amf3::Value<'a>> for Value<'a> {
    fn from(v: amf3::Value<'a>) -> Self {
        Self::Avmplus(Box::new(v))
    }
}

impl<'a, T: Into<Value<'a>>> From<Option<T>> for Value<'a> {
    /// `None` is Null.
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

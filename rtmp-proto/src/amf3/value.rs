//! The AMF3 value tree and its accessors.

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use crate::amf0::AmfString;

/// A named member of an object, or an associative entry of an array.
pub type Property<'a> = (AmfString<'a>, Value<'a>);

/// One AMF3 value. Strings and byte arrays borrow from the decoded input;
/// strings are [`AmfString`]s, bytes as sent.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    /// undefined (0x00).
    Undefined,
    /// null (0x01).
    Null,
    /// false (0x02) or true (0x03).
    Boolean(bool),
    /// integer (0x04): 29-bit signed, −2^28 ..= 2^28 − 1.
    Integer(i32),
    /// double (0x05).
    Double(f64),
    /// string (0x06).
    String(AmfString<'a>),
    /// XMLDocument (0x07): the legacy XML text.
    XmlDocument(AmfString<'a>),
    /// Date (0x08): milliseconds since 1970-01-01 00:00 UTC.
    Date(f64),
    /// Array (0x09): associative and dense parts.
    Array(Box<Array<'a>>),
    /// Object (0x0A): class name, sealed and dynamic members.
    Object(Box<Object<'a>>),
    /// XML (0x0B): E4X XML text.
    Xml(AmfString<'a>),
    /// ByteArray (0x0C).
    ByteArray(Cow<'a, [u8]>),
    /// `Vector.<int>` (0x0D).
    VectorInt {
        /// Whether the vector has a fixed length.
        fixed: bool,
        /// The items.
        items: Vec<i32>,
    },
    /// `Vector.<uint>` (0x0E).
    VectorUint {
        /// Whether the vector has a fixed length.
        fixed: bool,
        /// The items.
        items: Vec<u32>,
    },
    /// `Vector.<Number>` (0x0F).
    VectorDouble {
        /// Whether the vector has a fixed length.
        fixed: bool,
        /// The items.
        items: Vec<f64>,
    },
    /// `Vector.<Object>` (0x10).
    VectorObject(Box<VectorObject<'a>>),
    /// Dictionary (0x11): entries with any value as key.
    Dictionary {
        /// Whether the keys are weakly referenced.
        weak_keys: bool,
        /// Key and value pairs in wire order.
        entries: Vec<(Value<'a>, Value<'a>)>,
    },
    /// A reference to an earlier complex value of the same decode call: its
    /// index in the object table (every value but undefined, null, booleans,
    /// numbers and strings, counting from 0 in the order their markers
    /// appear). Kept unresolved.
    Reference(u32),
}

/// The contents of an AMF3 array.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Array<'a> {
    /// The associative part, in wire order; keys are never empty.
    pub associative: Vec<Property<'a>>,
    /// The dense part, indexed from 0.
    pub dense: Vec<Value<'a>>,
}

/// The contents of an AMF3 object.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Object<'a> {
    /// The class name from the traits; empty for an anonymous object.
    pub class_name: AmfString<'a>,
    /// The sealed members, in traits order.
    pub sealed_members: Vec<Property<'a>>,
    /// The dynamic members in wire order (keys never empty), or `None` when
    /// the traits are not dynamic.
    pub dynamic_members: Option<Vec<Property<'a>>>,
}

/// The contents of an AMF3 `Vector.<Object>`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VectorObject<'a> {
    /// Whether the vector has a fixed length.
    pub fixed: bool,
    /// The item type name; `*` for any type.
    pub type_name: AmfString<'a>,
    /// The items.
    pub items: Vec<Value<'a>>,
}

impl<'a> Object<'a> {
    /// The value of member `key`, dynamic or sealed; with duplicates, the
    /// last one wins.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        let dynamic = self.dynamic_members.as_deref().unwrap_or_default();
        self.sealed_members
            .iter()
            .chain(dynamic)
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

impl<'a> Value<'a> {
    /// An anonymous dynamic object with these members, in this order (keys
    /// must not be empty).
    pub fn object<K: Into<AmfString<'a>>>(
        members: impl IntoIterator<Item = (K, Value<'a>)>,
    ) -> Self {
        Self::Object(Box::new(Object {
            class_name: AmfString::default(),
            sealed_members: Vec::new(),
            dynamic_members: Some(members.into_iter().map(|(k, v)| (k.into(), v)).collect()),
        }))
    }

    /// An array with only a dense part.
    pub fn dense_array(values: impl IntoIterator<Item = Value<'a>>) -> Self {
        Self::Array(Box::new(Array {
            associative: Vec::new(),
            dense: values.into_iter().collect(),
        }))
    }

    /// The string, if this is a string of UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => s.as_str(),
            _ => None,
        }
    }

    /// The number, if this is a double or an integer.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Double(n) => Some(*n),
            Self::Integer(i) => Some(f64::from(*i)),
            _ => None,
        }
    }

    /// The integer, if this is an integer.
    pub fn as_i32(&self) -> Option<i32> {
        match self {
            Self::Integer(i) => Some(*i),
            _ => None,
        }
    }

    /// The boolean, if this is false or true.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<&Object<'a>> {
        match self {
            Self::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The array, if this is one.
    pub fn as_array(&self) -> Option<&Array<'a>> {
        match self {
            Self::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The member `key` of an object, or the associative entry `key` of an
    /// array; with duplicates, the last one wins.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        match self {
            Self::Object(o) => o.get(key),
            Self::Array(a) => a
                .associative
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v),
            _ => None,
        }
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

    /// This value with every string and byte array copied, no longer
    /// borrowing the input.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Self::Undefined => Value::Undefined,
            Self::Null => Value::Null,
            Self::Boolean(b) => Value::Boolean(b),
            Self::Integer(i) => Value::Integer(i),
            Self::Double(n) => Value::Double(n),
            Self::String(s) => Value::String(owned(s)),
            Self::XmlDocument(s) => Value::XmlDocument(owned(s)),
            Self::Date(d) => Value::Date(d),
            Self::Array(a) => Value::Array(Box::new(Array {
                associative: owned_properties(a.associative),
                dense: owned_values(a.dense),
            })),
            Self::Object(o) => Value::Object(Box::new(Object {
                class_name: owned(o.class_name),
                sealed_members: owned_properties(o.sealed_members),
                dynamic_members: o.dynamic_members.map(owned_properties),
            })),
            Self::Xml(s) => Value::Xml(owned(s)),
            Self::ByteArray(b) => Value::ByteArray(Cow::Owned(b.into_owned())),
            Self::VectorInt { fixed, items } => Value::VectorInt { fixed, items },
            Self::VectorUint { fixed, items } => Value::VectorUint { fixed, items },
            Self::VectorDouble { fixed, items } => Value::VectorDouble { fixed, items },
            Self::VectorObject(v) => Value::VectorObject(Box::new(VectorObject {
                fixed: v.fixed,
                type_name: owned(v.type_name),
                items: owned_values(v.items),
            })),
            Self::Dictionary { weak_keys, entries } => Value::Dictionary {
                weak_keys,
                entries: entries
                    .into_iter()
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect(),
            },
            Self::Reference(i) => Value::Reference(i),
        }
    }
}

fn owned(s: AmfString<'_>) -> AmfString<'static> {
    s.into_owned()
}

fn owned_values(values: Vec<Value<'_>>) -> Vec<Value<'static>> {
    values.into_iter().map(Value::into_owned).collect()
}

fn owned_properties(properties: Vec<Property<'_>>) -> Vec<Property<'static>> {
    properties
        .into_iter()
        .map(|(k, v)| (owned(k), v.into_owned()))
        .collect()
}

impl From<f64> for Value<'_> {
    fn from(n: f64) -> Self {
        Self::Double(n)
    }
}

impl From<i32> for Value<'_> {
    /// An integer; outside the 29-bit range it is encoded as a double.
    fn from(i: i32) -> Self {
        Self::Integer(i)
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

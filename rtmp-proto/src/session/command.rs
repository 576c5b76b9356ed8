//! Typed views of the commands sessions exchange, and the encoders of the
//! answers (`_result`, `_error`, `onStatus`).

use alloc::string::String;
use alloc::vec::Vec;
use bytes::Bytes;

use super::events::StatusInfo;
use crate::amf0::{self, Value};
use crate::message::{AmfEncoding, Message};

/// The most FourCC entries kept from a `connect`'s `fourCcList`.
pub(crate) const MAX_FOURCC_LIST: usize = 64;

/// What a client sent with `connect` (its command object), typed where the
/// keys are known.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectInfo {
    /// `app`: the application name (e.g. `live`).
    pub app: String,
    /// `tcUrl`: the URL the client connected to.
    pub tc_url: Option<String>,
    /// `flashVer`: the client software (e.g. `FMLE/3.0 (compatible; Lavf59.27.100)`).
    pub flash_ver: Option<String>,
    /// `swfUrl`.
    pub swf_url: Option<String>,
    /// `pageUrl`.
    pub page_url: Option<String>,
    /// `objectEncoding`: 0 (AMF0, also when absent) or 3 (AMF3).
    pub object_encoding: f64,
    /// Enhanced RTMP `fourCcList`: the codecs the client supports (at most 64 kept).
    pub fourcc_list: Vec<String>,
    /// Enhanced RTMP `capsEx`: extended capability flags.
    pub caps_ex: Option<f64>,
    /// Enhanced RTMP `videoFourCcInfoMap` (and `audioFourCcInfoMap`) are in
    /// here, like every other key: the whole command object as sent.
    pub properties: Value<'static>,
}

impl ConnectInfo {
    /// Reads the command object of a `connect`.
    pub(crate) fn from_object(object: &Value<'_>) -> Self {
        let text = |key: &str| object.get_str(key).map(String::from);
        let fourcc_list = object
            .get("fourCcList")
            .and_then(Value::as_slice)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .take(MAX_FOURCC_LIST)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        Self {
            app: text("app").unwrap_or_default(),
            tc_url: text("tcUrl"),
            flash_ver: text("flashVer"),
            swf_url: text("swfUrl"),
            page_url: text("pageUrl"),
            object_encoding: object.get_f64("objectEncoding").unwrap_or(0.0),
            fourcc_list,
            caps_ex: object.get_f64("capsEx"),
            properties: object.clone().into_owned(),
        }
    }
}

/// How a publisher wants its stream kept (`publish`'s second argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PublishType {
    /// `live` (also what an absent or unknown type means).
    Live,
    /// `record`: record to a new file.
    Record,
    /// `append`: append to an existing recording.
    Append,
}

impl PublishType {
    /// The type for the wire string.
    pub fn from_name(name: &str) -> Self {
        match name {
            "record" => PublishType::Record,
            "append" | "appendWithGap" => PublishType::Append,
            _ => PublishType::Live,
        }
    }

    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            PublishType::Live => "live",
            PublishType::Record => "record",
            PublishType::Append => "append",
        }
    }
}

/// A `publish` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishRequest {
    /// The stream name (the stream key) without the query string.
    pub name: String,
    /// What followed the first `?` of the name (without the `?`), if anything.
    pub query: Option<String>,
    /// The publish type.
    pub kind: PublishType,
}

/// A `play` request.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayRequest {
    /// The stream name without the query string.
    pub name: String,
    /// What followed the first `?` of the name (without the `?`), if anything.
    pub query: Option<String>,
    /// `start`: -2 (live, else recorded; the default), -1 (live only), or a
    /// position in seconds. ffmpeg sends it in milliseconds (-2000).
    pub start: f64,
    /// `duration`: -1 (to the end; the default) or seconds.
    pub duration: f64,
    /// `reset`: whether to flush a playlist (default `true`).
    pub reset: bool,
}

/// Splits `name?query` at the first `?`.
///
/// ```
/// use rtmp_proto::session::split_stream_name;
/// assert_eq!(split_stream_name("key?token=1"), ("key", Some("token=1")));
/// assert_eq!(split_stream_name("key"), ("key", None));
/// ```
pub fn split_stream_name(name: &str) -> (&str, Option<&str>) {
    match name.split_once('?') {
        Some((name, query)) => (name, Some(query)),
        None => (name, None),
    }
}

/// A decoded command: name, transaction id, command object and arguments.
#[derive(Debug)]
pub(crate) struct Command<'a> {
    pub(crate) transaction: f64,
    pub(crate) values: Vec<Value<'a>>,
}

impl<'a> Command<'a> {
    /// Decodes a command payload (an AMF3 command starts with a format byte
    /// and is AMF0 after it, as Flash sends it).
    pub(crate) fn decode(
        encoding: AmfEncoding,
        payload: &'a [u8],
    ) -> Result<Self, amf0::DecodeError> {
        let body = match encoding {
            AmfEncoding::Amf0 => payload,
            AmfEncoding::Amf3 => payload.get(1..).unwrap_or_default(),
        };
        let values = amf0::decode_all(body)?;
        let transaction = values.get(1).and_then(Value::as_f64).unwrap_or(0.0);
        Ok(Self {
            transaction,
            values,
        })
    }

    /// The command name.
    pub(crate) fn name(&self) -> &str {
        self.values.first().and_then(Value::as_str).unwrap_or("")
    }

    /// The command object (third value).
    pub(crate) fn object(&self) -> Option<&Value<'a>> {
        self.values.get(2)
    }

    /// Argument `i` after the command object.
    pub(crate) fn arg(&self, i: usize) -> Option<&Value<'a>> {
        self.values.get(3 + i)
    }

    pub(crate) fn arg_str(&self, i: usize) -> Option<&str> {
        self.arg(i).and_then(Value::as_str)
    }

    pub(crate) fn arg_f64(&self, i: usize) -> Option<f64> {
        self.arg(i).and_then(Value::as_f64)
    }

    pub(crate) fn arg_bool(&self, i: usize) -> Option<bool> {
        self.arg(i).and_then(Value::as_bool)
    }
}

/// Reads a status info object.
pub(crate) fn status_from(value: Option<&Value<'_>>) -> StatusInfo {
    let text = |key: &str| {
        value
            .and_then(|v| v.get(key))
            .and_then(|v| match v {
                Value::String(s) => Some(String::from(s.to_string_lossy())),
                _ => None,
            })
            .unwrap_or_default()
    };
    StatusInfo {
        level: text("level"),
        code: text("code"),
        description: text("description"),
    }
}

/// Encodes an AMF0 command or data message.
pub(crate) fn amf_payload(values: &[Value<'_>]) -> Result<Bytes, super::SessionError> {
    let mut out = Vec::new();
    amf0::encode_all(values, &mut out).map_err(|_| super::SessionError::Encode)?;
    Ok(Bytes::from(out))
}

/// An AMF0 command message.
pub(crate) fn command(values: &[Value<'_>]) -> Result<Message, super::SessionError> {
    Ok(Message::Command {
        encoding: AmfEncoding::Amf0,
        payload: amf_payload(values)?,
    })
}

/// An AMF0 data message.
pub(crate) fn data(values: &[Value<'_>]) -> Result<Message, super::SessionError> {
    Ok(Message::Data {
        encoding: AmfEncoding::Amf0,
        payload: amf_payload(values)?,
    })
}

/// A status info object.
pub(crate) fn status_object<'a>(level: &'a str, code: &'a str, description: &'a str) -> Value<'a> {
    Value::object([
        ("level", level.into()),
        ("code", code.into()),
        ("description", description.into()),
    ])
}

/// `onStatus(0, null, {level, code, description})`.
pub(crate) fn on_status(
    level: &str,
    code: &str,
    description: &str,
) -> Result<Message, super::SessionError> {
    command(&[
        "onStatus".into(),
        0.0.into(),
        Value::Null,
        status_object(level, code, description),
    ])
}

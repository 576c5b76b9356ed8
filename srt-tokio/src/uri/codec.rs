//! Value codecs: how each option's text maps to its type and back.

use std::fmt;
use std::time::Duration;

use super::{Congestion, Expected, SrtVersion, TransType};

/// How one option's value is read and written.
pub(super) trait Codec<T> {
    /// The value `text` stands for, or what was expected instead.
    fn decode(text: &str) -> Result<T, Expected>;
    /// The text that stands for `value`.
    fn encode(value: &T) -> String;
    /// Valid texts, for property tests.
    #[cfg(test)]
    fn valid_text() -> proptest::strategy::BoxedStrategy<String>;
}

/// The largest value of libsrt's `int32_t` options.
pub(super) const I32_MAX: i64 = i32::MAX as i64;

/// An integer in `MIN..=MAX`.
pub(super) struct Int<const MIN: i64, const MAX: i64>;

impl<T, const MIN: i64, const MAX: i64> Codec<T> for Int<MIN, MAX>
where
    T: TryFrom<i64> + fmt::Display,
{
    fn decode(text: &str) -> Result<T, Expected> {
        text.parse::<i64>()
            .ok()
            .filter(|v| (MIN..=MAX).contains(v))
            .and_then(|v| T::try_from(v).ok())
            .ok_or(Expected::Integer { min: MIN, max: MAX })
    }
    fn encode(value: &T) -> String {
        value.to_string()
    }
    #[cfg(test)]
    fn valid_text() -> proptest::strategy::BoxedStrategy<String> {
        use proptest::prelude::*;
        (MIN..=MAX).prop_map(|v| v.to_string()).boxed()
    }
}

/// Whole milliseconds in `MIN..=i32::MAX`.
pub(super) struct Millis<const MIN: u64>;

impl<const MIN: u64> Codec<Duration> for Millis<MIN> {
    fn decode(text: &str) -> Result<Duration, Expected> {
        let max = i32::MAX.unsigned_abs().into();
        text.parse::<u64>()
            .ok()
            .filter(|v| (MIN..=max).contains(v))
            .map(Duration::from_millis)
            .ok_or(Expected::Milliseconds { min: MIN, max })
    }
    fn encode(value: &Duration) -> String {
        value.as_millis().to_string()
    }
    #[cfg(test)]
    fn valid_text() -> proptest::strategy::BoxedStrategy<String> {
        use proptest::prelude::*;
        (MIN..=u64::from(i32::MAX.unsigned_abs()))
            .prop_map(|v| v.to_string())
            .boxed()
    }
}

/// Whole seconds in `0..=i32::MAX`.
pub(super) struct Seconds;

impl Codec<Duration> for Seconds {
    fn decode(text: &str) -> Result<Duration, Expected> {
        let max = i32::MAX.unsigned_abs().into();
        text.parse::<u64>()
            .ok()
            .filter(|v| *v <= max)
            .map(Duration::from_secs)
            .ok_or(Expected::Seconds { min: 0, max })
    }
    fn encode(value: &Duration) -> String {
        value.as_secs().to_string()
    }
    #[cfg(test)]
    fn valid_text() -> proptest::strategy::BoxedStrategy<String> {
        use proptest::prelude::*;
        (0..=u64::from(i32::MAX.unsigned_abs()))
            .prop_map(|v| v.to_string())
            .boxed()
    }
}

/// libsrt's boolean spellings; written back as `1`/`0`.
pub(super) struct Flag;

impl Codec<bool> for Flag {
    fn decode(text: &str) -> Result<bool, Expected> {
        match text.to_ascii_lowercase().as_str() {
            "1" | "yes" | "on" | "true" => Ok(true),
            "0" | "no" | "off" | "false" => Ok(false),
            _ => Err(Expected::Bool),
        }
    }
    fn encode(value: &bool) -> String {
        if *value { "1" } else { "0" }.to_owned()
    }
    #[cfg(test)]
    fn valid_text() -> proptest::strategy::BoxedStrategy<String> {
        use proptest::prelude::*;
        proptest::sample::select(&["1", "0", "yes", "no", "On", "off", "TRUE", "false"][..])
            .prop_map(str::to_owned)
            .boxed()
    }
}

/// A string of `MIN..=MAX` bytes.
pub(super) struct Text<const MIN: usize, const MAX: usize>;

impl<const MIN: usize, const MAX: usize> Codec<String> for Text<MIN, MAX> {
    fn decode(text: &str) -> Result<String, Expected> {
        if (MIN..=MAX).contains(&text.len()) {
            Ok(text.to_owned())
        } else {
            Err(Expected::Text { min: MIN, max: MAX })
        }
    }
    fn encode(value: &String) -> String {
        value.clone()
    }
    #[cfg(test)]
    fn valid_text() -> proptest::strategy::BoxedStrategy<String> {
        use proptest::prelude::*;
        let longest = MAX.min(40);
        proptest::string::string_regex(&format!("\\PC{{{},{longest}}}", MIN.min(longest)))
            .unwrap_or_else(|e| panic!("{e}"))
            .prop_filter("byte length in range", |s| (MIN..=MAX).contains(&s.len()))
            .boxed()
    }
}

/// `live` or `file`.
pub(super) struct Kind;

const KINDS: &[&str] = &["live", "file"];

impl Codec<TransType> for Kind {
    fn decode(text: &str) -> Result<TransType, Expected> {
        match text {
            "live" => Ok(TransType::Live),
            "file" => Ok(TransType::File),
            _ => Err(Expected::OneOf(KINDS)),
        }
    }
    fn encode(value: &TransType) -> String {
        match value {
            TransType::Live => "live",
            TransType::File => "file",
        }
        .to_owned()
    }
    #[cfg(test)]
    fn valid_text() -> proptest::strategy::BoxedStrategy<String> {
        use proptest::prelude::*;
        proptest::sample::select(KINDS)
            .prop_map(str::to_owned)
            .boxed()
    }
}

impl Codec<Congestion> for Kind {
    fn decode(text: &str) -> Result<Congestion, Expected> {
        match text {
            "live" => Ok(Congestion::Live),
            "file" => Ok(Congestion::File),
            _ => Err(Expected::OneOf(KINDS)),
        }
    }
    fn encode(value: &Congestion) -> String {
        match value {
            Congestion::Live => "live",
            Congestion::File => "file",
        }
        .to_owned()
    }
    #[cfg(test)]
    fn valid_text() -> proptest::strategy::BoxedStrategy<String> {
        <Self as Codec<TransType>>::valid_text()
    }
}

/// `major.minor.patch`.
pub(super) struct Version;

impl Codec<SrtVersion> for Version {
    fn decode(text: &str) -> Result<SrtVersion, Expected> {
        let mut parts = text.split('.').map(str::parse::<u8>);
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(Ok(major)), Some(Ok(minor)), Some(Ok(patch)), None) => Ok(SrtVersion {
                major,
                minor,
                patch,
            }),
            _ => Err(Expected::Version),
        }
    }
    fn encode(value: &SrtVersion) -> String {
        format!("{}.{}.{}", value.major, value.minor, value.patch)
    }
    #[cfg(test)]
    fn valid_text() -> proptest::strategy::BoxedStrategy<String> {
        use proptest::prelude::*;
        (any::<u8>(), any::<u8>(), any::<u8>())
            .prop_map(|(a, b, c)| format!("{a}.{b}.{c}"))
            .boxed()
    }
}

/// `pbkeylen`: 0, 16, 24 or 32.
pub(super) struct KeyLen;

impl Codec<u8> for KeyLen {
    fn decode(text: &str) -> Result<u8, Expected> {
        match text {
            "0" => Ok(0),
            "16" => Ok(16),
            "24" => Ok(24),
            "32" => Ok(32),
            _ => Err(Expected::OneOf(&["0", "16", "24", "32"])),
        }
    }
    fn encode(value: &u8) -> String {
        value.to_string()
    }
    #[cfg(test)]
    fn valid_text() -> proptest::strategy::BoxedStrategy<String> {
        use proptest::prelude::*;
        proptest::sample::select(&["0", "16", "24", "32"][..])
            .prop_map(str::to_owned)
            .boxed()
    }
}

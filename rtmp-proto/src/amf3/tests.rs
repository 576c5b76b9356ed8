//! AMF3 codec tests.

pub(crate) mod properties;

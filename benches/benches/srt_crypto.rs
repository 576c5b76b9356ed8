//! Placeholder until the bench is written.
#![allow(missing_docs)]
fn main() {}

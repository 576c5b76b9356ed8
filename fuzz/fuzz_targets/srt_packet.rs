#![no_main]
// PLACEHOLDER: replaced by the module's owner.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = data;
});

#![no_main]
//! AMF0: decoding any bytes never panics, and whatever decodes re-encodes to
//! bytes that decode to the same value (compared as bytes, so NaN payloads
//! and references compare by what was written).
use libfuzzer_sys::fuzz_target;
use rtmp_proto::amf0;

fuzz_target!(|data: &[u8]| {
    let Ok(values) = amf0::decode_all(data) else {
        return;
    };
    let mut once = Vec::new();
    amf0::encode_all(&values, &mut once).expect("a decoded value re-encodes");
    let again = amf0::decode_all(&once).expect("re-encoded bytes decode");
    let mut twice = Vec::new();
    amf0::encode_all(&again, &mut twice).expect("a decoded value re-encodes");
    assert_eq!(once, twice);

    // One value at a time: the bytes used are within the input.
    if let Ok((_, used)) = amf0::decode(data) {
        assert!(used <= data.len());
    }
});

#![no_main]
//! AMF3: decoding any bytes never panics, and whatever decodes re-encodes to
//! bytes that decode to the same value (compared as bytes, so NaN payloads
//! and references compare by what was written).
use libfuzzer_sys::fuzz_target;
use rtmp_proto::amf3;

fuzz_target!(|data: &[u8]| {
    let Ok(values) = amf3::decode_all(data) else {
        return;
    };
    let mut once = Vec::new();
    amf3::encode_all(&values, &mut once).expect("a decoded value re-encodes");
    let again = amf3::decode_all(&once).expect("re-encoded bytes decode");
    let mut twice = Vec::new();
    amf3::encode_all(&again, &mut twice).expect("a decoded value re-encodes");
    assert_eq!(once, twice);

    if let Ok((_, used)) = amf3::decode(data) {
        assert!(used <= data.len());
    }
});

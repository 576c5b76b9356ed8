#![no_main]
//! Decodes arbitrary bytes as an SRT datagram; whatever decodes must
//! re-encode to bytes that decode to the same packet.
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use srt_proto::packet::Packet;

fuzz_target!(|data: &[u8]| {
    let Ok(packet) = Packet::decode_slice(data) else {
        return;
    };
    assert_eq!(
        Packet::decode(&Bytes::copy_from_slice(data)).as_ref(),
        Ok(&packet)
    );
    let mut wire = Vec::with_capacity(packet.encoded_len());
    packet.encode(&mut wire);
    assert_eq!(wire.len(), packet.encoded_len());
    let again = Packet::decode_slice(&wire).expect("our own encoding decodes");
    assert_eq!(again, packet);
});

//! A `ServerSession` on arbitrary bytes in arbitrary splits, with an
//! accept/reject decision for every request and arbitrary time steps.
//!
//! Input layout: byte 0 seeds the split sizes and the decisions; byte 1
//! picks the prelude (bit 0: a valid C0/C1/C2 first, so the fuzzer starts
//! in the chunk stream; bit 1: also a `connect` and a `createStream`, so it
//! starts connected; bit 2: small limits); the rest is the peer's bytes.
//! Also calls the application methods (`send_media`, `ping`) between inputs.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use rtmp_proto::amf0::{self, Value};
use rtmp_proto::chunk::{ChunkLimits, ChunkWriter};
use rtmp_proto::media::MediaKind;
use rtmp_proto::message::{AmfEncoding, Message};
use rtmp_proto::session::{
    Input, Instant, Output, ServerConfig, ServerEvent, ServerSession, StreamId,
};

fn command(values: &[Value<'_>]) -> Message {
    let mut payload = Vec::new();
    let _ = amf0::encode_all(values, &mut payload);
    Message::Command {
        encoding: AmfEncoding::Amf0,
        payload: Bytes::from(payload),
    }
}

fn prelude(mode: u8) -> Vec<u8> {
    let mut out = Vec::new();
    if mode & 1 == 0 {
        return out;
    }
    out.push(3);
    out.extend_from_slice(&[0u8; 2 * 1536]);
    if mode & 2 != 0 {
        let mut writer = ChunkWriter::new();
        let connect = command(&[
            "connect".into(),
            1.0.into(),
            Value::object([("app", "live".into())]),
        ]);
        let create = command(&["createStream".into(), 2.0.into(), Value::Null]);
        let _ = writer.write_message(3, 0, 0, &connect, &mut out);
        let _ = writer.write_message(3, 0, 0, &create, &mut out);
    }
    out
}

struct Rng(u32);

impl Rng {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }
}

fuzz_target!(|data: &[u8]| {
    let [seed, mode, stream @ ..] = data else {
        return;
    };
    let mut config = ServerConfig::default();
    if mode & 4 != 0 {
        config.chunk_limits = ChunkLimits {
            max_message_length: 4096,
            max_chunk_streams: 4,
            max_buffered_bytes: 8192,
        };
        config.max_streams = 2;
        config.max_input_backlog = 16 * 1024;
        config.ping_interval = Some(core::time::Duration::from_millis(5));
    }
    let mut server = ServerSession::new(config, |b| b.fill(*seed), Instant::ZERO);
    let mut rng = Rng(u32::from(*seed) | 1);
    let mut bytes = prelude(*mode);
    bytes.extend_from_slice(stream);
    let mut rest = &bytes[..];
    let mut now = 0u64;
    let mut outputs = Vec::new();
    let mut playing: Vec<StreamId> = Vec::new();
    while !rest.is_empty() {
        let r = rng.next();
        let n = if r % 8 == 0 {
            rest.len()
        } else {
            (r % 512 + 1) as usize
        }
        .min(rest.len());
        let (piece, tail) = rest.split_at(n);
        rest = tail;
        // Time mostly moves forward, sometimes back (which must be ignored).
        now = if r % 16 == 1 {
            now.saturating_sub(1000)
        } else {
            now + u64::from(r % 10_000)
        };
        let input = match r % 32 {
            3 => Input::Timeout,
            _ => Input::Bytes(piece),
        };
        server.handle_input_into(input, Instant::from_micros(now), &mut outputs);
        while !outputs.is_empty() {
            for output in std::mem::take(&mut outputs) {
                let Output::Event(event) = output else {
                    continue;
                };
                let accept = rng.next() % 4 != 0;
                let request = match event {
                    ServerEvent::ConnectRequest { request, .. }
                    | ServerEvent::PublishRequest { request, .. } => Some(request),
                    ServerEvent::PlayRequest {
                        request, stream, ..
                    } => {
                        if accept {
                            playing.push(stream);
                        }
                        Some(request)
                    }
                    _ => None,
                };
                if let Some(request) = request {
                    if accept {
                        let _ = server.accept(request);
                    } else {
                        let _ = server.reject(request, "no");
                    }
                }
            }
            for &stream in &playing {
                let _ = server.send_media(
                    stream,
                    MediaKind::Video,
                    now as u32,
                    Bytes::from_static(&[0x17, 1]),
                );
            }
            let _ = server.ping();
            server.poll_outputs_into(&mut outputs);
            outputs.retain(|o| matches!(o, Output::Event(_)));
        }
        if server.is_closed() {
            let _ = server.handle_input(Input::Bytes(piece), Instant::from_micros(now));
            break;
        }
    }
});

//! Handshakes per second of a listening `Endpoint`: for each of 256
//! callers with distinct addresses, the caller's INDUCTION and then its
//! CONCLUSION (carrying the cookie the listener gave that address) go in,
//! and the listener answers both and starts the connection. Without
//! encryption the cost is cookie HMACs, codec and bookkeeping; with a
//! passphrase the listener also derives the KEK (PBKDF2-HMAC-SHA1, 2048
//! rounds) to unwrap every caller's key, which dominates.
#![allow(missing_docs)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use srt_proto::crypto::Passphrase;
use srt_proto::handshake::HandshakeConfig;
use srt_proto::time::Instant;
use srt_proto::{Endpoint, EndpointConfig, Event, Input, ListenConfig, Output};

const CALLERS: usize = 256;
const LISTENER_SEED: [u8; 32] = [42; 32];

fn listener_addr() -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 4200)
}

fn listener(config: &HandshakeConfig) -> Endpoint {
    let mut ep = Endpoint::new(
        EndpointConfig {
            max_connections: CALLERS + 1,
            ..EndpointConfig::default()
        },
        LISTENER_SEED,
    );
    ep.handle_input(
        Input::Listen(Box::new(ListenConfig::new(config.clone()))),
        Instant::ZERO,
    );
    ep
}

fn transmits(out: Vec<Output>) -> Vec<Bytes> {
    out.into_iter()
        .filter_map(|o| match o {
            Output::Transmit { data, .. } => Some(data),
            _ => None,
        })
        .collect()
}

/// Each caller's (address, INDUCTION, CONCLUSION), the CONCLUSION carrying
/// the cookie a listener seeded with `LISTENER_SEED` gives that address.
fn requests(config: &HandshakeConfig) -> Vec<(SocketAddr, Bytes, Bytes)> {
    let mut l = listener(config);
    (0..CALLERS)
        .map(|i| {
            let from = SocketAddr::new(
                IpAddr::V4(Ipv4Addr::new(10, 1, (i / 250) as u8, (i % 250) as u8 + 1)),
                5000,
            );
            let mut caller = Endpoint::new(EndpointConfig::default(), [i as u8; 32]);
            let connect = Input::Connect {
                remote: listener_addr(),
                config: Box::new(config.clone()),
            };
            let induction = transmits(caller.handle_input(connect, Instant::ZERO)).remove(0);
            let data = induction.clone();
            let answer =
                transmits(l.handle_input(Input::Datagram { from, data }, Instant::ZERO)).remove(0);
            let data = answer;
            let from_l = listener_addr();
            let conclusion = transmits(
                caller.handle_input(Input::Datagram { from: from_l, data }, Instant::ZERO),
            )
            .remove(0);
            (from, induction, conclusion)
        })
        .collect()
}

fn handshakes(c: &mut Criterion) {
    let plain = HandshakeConfig::default();
    let secret = Passphrase::new(b"benchmark passphrase").expect("valid passphrase");
    let encrypted = HandshakeConfig::default().with_passphrase(secret);
    let mut group = c.benchmark_group("srt_handshake/listener");
    group.throughput(Throughput::Elements(CALLERS as u64));
    for (name, config) in [("plain", plain), ("aes128", encrypted)] {
        let reqs = requests(&config);
        if name == "aes128" {
            group.sample_size(10);
        }
        group.bench_function(name, |b| {
            b.iter_batched(
                || listener(&config),
                |mut l| {
                    let mut out = Vec::with_capacity(8);
                    let mut connected = 0;
                    for (from, induction, conclusion) in &reqs {
                        for data in [induction.clone(), conclusion.clone()] {
                            out.clear();
                            let from = *from;
                            l.handle_input_into(
                                Input::Datagram { from, data },
                                Instant::ZERO,
                                &mut out,
                            );
                            connected += out
                                .iter()
                                .filter(|o| matches!(o, Output::Event(Event::Connected { .. })))
                                .count();
                        }
                    }
                    assert_eq!(connected, CALLERS);
                    black_box(l)
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, handshakes);
criterion_main!(benches);

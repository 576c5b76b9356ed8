//! Fixture evidence for `rtmp_proto::session`: the bytes ffmpeg sent to
//! nginx-rtmp when publishing, fed to a `ServerSession`, and the bytes
//! nginx-rtmp sent to ffmpeg when playing, fed to a `ClientSession`, yield
//! exactly the frames ffprobe listed.

use bytes::Bytes;
use rtmp_proto::media::{Demuxer, MediaEvent};
use rtmp_proto::session::{
    ClientConfig, ClientEvent, ClientSession, Input, Instant, Output, PublishType, ServerConfig,
    ServerEvent, ServerSession, StreamId,
};

mod support;

use support::{assert_same_packets, fixture, to_packets};

/// A small seeded generator (xorshift64*), so the splits are the same on every run.
struct Splitter(u64);

impl Splitter {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Splits `data` into pieces of 1 to `max` bytes.
    fn pieces<'a>(&mut self, data: &'a [u8], max: u64) -> Vec<&'a [u8]> {
        let mut rest = data;
        let mut out = Vec::new();
        while !rest.is_empty() {
            let n = (1 + self.next() % max).min(rest.len() as u64) as usize;
            let (piece, tail) = rest.split_at(n);
            out.push(piece);
            rest = tail;
        }
        out
    }
}

/// What the server session reported for the ffmpeg publish capture.
struct Published {
    app: String,
    key: String,
    stream: StreamId,
    metadata: Vec<rtmp_proto::media::Metadata>,
    media: Vec<MediaEvent>,
    finished: bool,
    closed: bool,
}

fn serve_ffmpeg_publish(seed: u64) -> Published {
    let data = fixture("rtmp-ffmpeg-publish-to-nginx.client-to-server.bin");
    let mut server = ServerSession::new(ServerConfig::default(), |b| b.fill(0x5A), Instant::ZERO);
    let mut split = Splitter(seed);
    let mut demuxer = Demuxer::new();
    let mut published = Published {
        app: String::new(),
        key: String::new(),
        stream: StreamId(0),
        metadata: Vec::new(),
        media: Vec::new(),
        finished: false,
        closed: false,
    };
    let mut outputs = Vec::new();
    for (i, piece) in split.pieces(&data, 3000).into_iter().enumerate() {
        server.handle_input_into(
            Input::Bytes(piece),
            Instant::from_millis(i as u64),
            &mut outputs,
        );
        // Accepting a request reads on, which may raise the next one.
        while !outputs.is_empty() {
            for output in std::mem::take(&mut outputs) {
                let Output::Event(event) = output else {
                    continue;
                };
                match event {
                    ServerEvent::ConnectRequest { request, info } => {
                        published.app = info.app;
                        server.accept(request).unwrap();
                    }
                    ServerEvent::PublishRequest {
                        request,
                        stream,
                        publish,
                    } => {
                        published.key = publish.name;
                        published.stream = stream;
                        assert_eq!(publish.kind, PublishType::Live);
                        server.accept(request).unwrap();
                    }
                    ServerEvent::Metadata { stream, metadata } => {
                        assert_eq!(stream, published.stream);
                        published.metadata.push(metadata);
                    }
                    ServerEvent::Audio {
                        stream,
                        timestamp,
                        body,
                    } => {
                        assert_eq!(stream, published.stream);
                        demuxer
                            .demux_audio(timestamp, &body, &mut published.media)
                            .unwrap();
                    }
                    ServerEvent::Video {
                        stream,
                        timestamp,
                        body,
                    } => {
                        assert_eq!(stream, published.stream);
                        demuxer
                            .demux_video(timestamp, &body, &mut published.media)
                            .unwrap();
                    }
                    ServerEvent::PublishFinished { stream } => {
                        assert_eq!(stream, published.stream);
                        published.finished = true;
                    }
                    ServerEvent::Closed { reason } => panic!("closed: {reason}"),
                    _ => {}
                }
            }
            server.poll_outputs_into(&mut outputs);
        }
    }
    published.closed = server.is_closed();
    published
}

#[test]
fn ffmpeg_publish_capture_yields_connect_to_live_and_publish_of_stream1() {
    let published = serve_ffmpeg_publish(1);
    assert_eq!(published.app, "live");
    assert_eq!(published.key, "stream1");
    assert_eq!(published.stream, StreamId(1));
}

#[test]
fn ffmpeg_publish_capture_yields_the_metadata_ffmpeg_sent() {
    let published = serve_ffmpeg_publish(2);
    assert_eq!(published.metadata.len(), 1);
    let metadata = &published.metadata[0];
    assert_eq!(metadata.width(), Some(320.0));
    assert_eq!(metadata.height(), Some(240.0));
    assert_eq!(metadata.encoder(), Some("Lavf59.27.100"));
}

#[test]
fn ffmpeg_publish_capture_yields_exactly_the_source_frames_for_any_split() {
    for seed in [3, 4, 5, 0x5EED] {
        let published = serve_ffmpeg_publish(seed);
        assert_same_packets(&to_packets(&published.media), "source.packets.csv");
    }
}

#[test]
fn ffmpeg_publish_capture_ends_with_fcunpublish_finishing_the_stream() {
    let published = serve_ffmpeg_publish(6);
    assert!(published.finished);
    assert!(!published.closed, "the capture ends before the TCP close");
}

/// Plays `live/stream1` with a client session fed the bytes nginx-rtmp sent
/// to ffmpeg. Those bytes answer ffmpeg's C1, not ours: the default client
/// does not require S2 to answer its C1 (see `ClientConfig`).
fn play_from_nginx_capture(seed: u64) -> (Vec<ClientEvent>, Vec<MediaEvent>, Vec<Bytes>) {
    let data = fixture("rtmp-ffmpeg-play-from-nginx.server-to-client.bin");
    let config = ClientConfig::new("rtmp://127.0.0.1:19350/live", "live");
    let mut client = ClientSession::new(config, |b| b.fill(0x33), Instant::ZERO);
    client.play("stream1").unwrap();
    let mut sent: Vec<Bytes> = Vec::new();
    let mut events = Vec::new();
    let mut demuxer = Demuxer::new();
    let mut media = Vec::new();
    let mut outputs = client.poll_outputs();
    let mut split = Splitter(seed);
    for (i, piece) in split.pieces(&data, 2000).into_iter().enumerate() {
        client.handle_input_into(
            Input::Bytes(piece),
            Instant::from_millis(i as u64),
            &mut outputs,
        );
        for output in outputs.drain(..) {
            match output {
                Output::Transmit(bytes) => sent.push(bytes),
                Output::Event(event) => {
                    match &event {
                        ClientEvent::Audio {
                            timestamp, body, ..
                        } => demuxer.demux_audio(*timestamp, body, &mut media).unwrap(),
                        ClientEvent::Video {
                            timestamp, body, ..
                        } => demuxer.demux_video(*timestamp, body, &mut media).unwrap(),
                        ClientEvent::Closed { reason } => panic!("closed: {reason}"),
                        _ => {}
                    }
                    events.push(event);
                }
            }
        }
    }
    (events, media, sent)
}

/// `played.flv` is what ffmpeg wrote with `-c copy -t 3`: its timestamps
/// start at 0 (ffmpeg shifts them by the first packet's dts, 1055 ms in
/// the capture), and it stopped writing two frames before the end of what
/// nginx had already sent (an audio frame at 4017 ms and a video frame at
/// 4025 ms, after the cut, still on the wire when ffmpeg closed).
#[test]
fn nginx_play_capture_yields_exactly_the_played_frames_for_any_split() {
    for seed in [7, 8, 9] {
        let (_, media, _) = play_from_nginx_capture(seed);
        let mut got = to_packets(&media);
        let offset = got[0].dts;
        assert_eq!(offset, 1055, "first sample's RTMP timestamp");
        for p in &mut got {
            p.dts -= offset;
            p.pts -= offset;
        }
        let after_cut = got.split_off(got.len() - 2);
        assert_eq!(
            after_cut
                .iter()
                .map(|p| (p.video, p.dts))
                .collect::<Vec<_>>(),
            [(false, 4017), (true, 4025)]
        );
        assert_same_packets(&got, "played.packets.csv");
    }
}

#[test]
fn nginx_play_capture_reports_connected_stream_created_and_play_started_in_order() {
    let (events, _, _) = play_from_nginx_capture(10);
    let milestones: Vec<&ClientEvent> = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                ClientEvent::HandshakeDone
                    | ClientEvent::Connected { .. }
                    | ClientEvent::StreamCreated { .. }
                    | ClientEvent::PlayStarted { .. }
            )
        })
        .collect();
    assert!(matches!(milestones[0], ClientEvent::HandshakeDone));
    assert!(
        matches!(milestones[1], ClientEvent::Connected { status } if status.code == "NetConnection.Connect.Success")
    );
    assert_eq!(
        milestones[2],
        &ClientEvent::StreamCreated {
            stream: StreamId(1)
        }
    );
    assert_eq!(
        milestones[3],
        &ClientEvent::PlayStarted {
            stream: StreamId(1)
        }
    );
    assert_eq!(milestones.len(), 4);
}

/// nginx-rtmp's only word on the stream's life is user control: Stream
/// Begin before `NetStream.Play.Start`, Stream EOF when the publisher left
/// (the last message of the capture).
#[test]
fn nginx_play_capture_reports_stream_begin_first_and_stream_eof_last() {
    let (events, _, _) = play_from_nginx_capture(13);
    let stream = StreamId(1);
    let begin = events
        .iter()
        .position(|e| *e == ClientEvent::StreamBegin { stream })
        .unwrap();
    let started = events
        .iter()
        .position(|e| matches!(e, ClientEvent::PlayStarted { .. }))
        .unwrap();
    assert!(begin < started);
    assert_eq!(events.last(), Some(&ClientEvent::StreamEof { stream }));
}

#[test]
fn nginx_play_capture_leaves_no_message_ignored() {
    let data = fixture("rtmp-ffmpeg-play-from-nginx.server-to-client.bin");
    let config = ClientConfig::new("rtmp://127.0.0.1:19350/live", "live");
    let mut client = ClientSession::new(config, |b| b.fill(0x33), Instant::ZERO);
    client.play("stream1").unwrap();
    client.handle_input(Input::Bytes(&data), Instant::ZERO);
    assert!(!client.is_closed());
    assert_eq!(client.counters().ignored_messages, 0);
}

#[test]
fn nginx_play_capture_delivers_the_metadata_nginx_sent() {
    let (events, _, _) = play_from_nginx_capture(11);
    let metadata: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Metadata { metadata, .. } => Some(metadata),
            _ => None,
        })
        .collect();
    assert_eq!(metadata.len(), 1);
    assert_eq!(metadata[0].width(), Some(320.0));
}

#[test]
fn client_sends_c0_c1_first_and_c2_connect_create_stream_play_after_the_server_answers() {
    let (_, _, sent) = play_from_nginx_capture(12);
    let all: Vec<u8> = sent.concat();
    // C0 + C1, then C2 (answering nginx's S1), then the chunk stream.
    let chunks = &all[1 + 1536 + 1536..];
    let mut reader = rtmp_proto::chunk::ChunkReader::new();
    let mut buf = bytes::BytesMut::from(chunks);
    let mut names = Vec::new();
    while let Some(m) = reader.read_message(&mut buf).unwrap() {
        if let Ok(rtmp_proto::message::Message::Command { payload, .. }) = m.message.decode() {
            let values = rtmp_proto::amf0::decode_all(&payload).unwrap();
            names.push((
                values[0].as_str().unwrap().to_owned(),
                values[1].as_f64().unwrap(),
            ));
        }
    }
    assert_eq!(
        names,
        [
            ("connect".to_owned(), 1.0),
            ("createStream".to_owned(), 2.0),
            ("play".to_owned(), 3.0)
        ]
    );
}

//! Property tests: every tag body, event, configuration and FLV file this
//! module writes reads back as the same value, and no input makes it panic.

use alloc::vec::Vec;

use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;

use super::flv::{self, FlvHeader, FlvReader, FlvTag, TagType};
use super::*;
use crate::amf0::Value;

fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..max).prop_map(Bytes::from)
}

fn i24() -> impl Strategy<Value = i32> {
    -(1i32 << 23)..(1i32 << 23)
}

fn enhanced_video_codec() -> impl Strategy<Value = VideoCodec> {
    prop_oneof![
        Just(VideoCodec::Avc),
        Just(VideoCodec::Hevc),
        Just(VideoCodec::Vvc),
        Just(VideoCodec::Av1),
        Just(VideoCodec::Vp9),
        Just(VideoCodec::Vp8),
        any::<[u8; 4]>().prop_map(|b| VideoCodec::from_fourcc(FourCc(b))),
    ]
}

fn legacy_video_codec_id() -> impl Strategy<Value = u8> {
    (0u8..16).prop_filter("7 is AVC", |id| *id != 7)
}

fn enhanced_audio_codec() -> impl Strategy<Value = AudioCodec> {
    prop_oneof![
        Just(AudioCodec::Aac),
        Just(AudioCodec::Mp3),
        Just(AudioCodec::Opus),
        Just(AudioCodec::Flac),
        Just(AudioCodec::Ac3),
        Just(AudioCodec::Eac3),
        any::<[u8; 4]>().prop_map(|b| AudioCodec::from_fourcc(FourCc(b))),
    ]
}

fn legacy_sound() -> impl Strategy<Value = LegacySound> {
    (0u8..16, 0u8..4, any::<bool>(), any::<bool>())
        .prop_filter("9 and 10 are not legacy-only formats", |(f, ..)| {
            *f != 9 && *f != 10
        })
        .prop_map(|(format, rate, sixteen_bit, stereo)| LegacySound {
            format,
            rate,
            sixteen_bit,
            stereo,
        })
}

fn modex() -> impl Strategy<Value = Vec<ModEx>> {
    vec(
        (
            0u8..16,
            prop_oneof![vec(any::<u8>(), 1..8), vec(any::<u8>(), 250..300)],
        )
            .prop_map(|(kind, data)| ModEx {
                kind,
                data: Bytes::from(data),
            }),
        0..3,
    )
}

fn multitrack() -> impl Strategy<Value = Option<MultitrackType>> {
    prop_oneof![
        Just(None),
        Just(Some(MultitrackType::OneTrack)),
        Just(Some(MultitrackType::ManyTracks)),
        Just(Some(MultitrackType::ManyTracksManyCodecs)),
    ]
}

fn frame_type() -> impl Strategy<Value = VideoFrameType> {
    prop_oneof![
        Just(VideoFrameType::Key),
        Just(VideoFrameType::Inter),
        Just(VideoFrameType::Disposable),
        Just(VideoFrameType::GeneratedKey),
    ]
}

/// Video data of packet type `kind` for `codec`, in canonical form.
fn video_data(kind: u8, codec: VideoCodec) -> BoxedStrategy<VideoData> {
    match kind {
        0 => bytes(40).prop_map(VideoData::SequenceStart).boxed(),
        1 if codec.has_composition_time() => (i24(), bytes(40))
            .prop_map(|(composition_time, data)| VideoData::CodedFrames {
                composition_time,
                data,
            })
            .boxed(),
        1 => bytes(40)
            .prop_map(|data| VideoData::CodedFrames {
                composition_time: 0,
                data,
            })
            .boxed(),
        2 => Just(VideoData::SequenceEnd).boxed(),
        3 => bytes(40).prop_map(VideoData::CodedFramesX).boxed(),
        4 => bytes(40).prop_map(VideoData::Metadata).boxed(),
        _ => bytes(40).prop_map(VideoData::Mpeg2TsSequenceStart).boxed(),
    }
}

fn legacy_video_tag() -> impl Strategy<Value = VideoTag> {
    let avc = (
        frame_type(),
        prop_oneof![
            bytes(40).prop_map(VideoData::SequenceStart),
            (i24(), bytes(40)).prop_map(|(composition_time, data)| VideoData::CodedFrames {
                composition_time,
                data
            }),
            Just(VideoData::SequenceEnd),
        ],
    )
        .prop_map(|(frame_type, data)| (frame_type, VideoCodec::Avc, data));
    let other =
        (frame_type(), legacy_video_codec_id(), bytes(40)).prop_map(|(frame_type, id, data)| {
            (
                frame_type,
                VideoCodec::Legacy(id),
                VideoData::CodedFrames {
                    composition_time: 0,
                    data,
                },
            )
        });
    let packets = prop_oneof![avc, other].prop_map(|(frame_type, codec, data)| VideoTag {
        frame_type,
        framing: Framing::Legacy,
        content: VideoTagContent::Packets(alloc::vec![VideoPacket {
            track: TrackId(0),
            codec,
            data,
        }]),
    });
    let command = (
        prop_oneof![
            Just(VideoCodec::Avc),
            legacy_video_codec_id().prop_map(VideoCodec::Legacy)
        ],
        any::<u8>(),
    )
        .prop_map(|(codec, c)| VideoTag {
            frame_type: VideoFrameType::Command,
            framing: Framing::Legacy,
            content: VideoTagContent::Command {
                codec: Some(codec),
                command: VideoCommand(c),
            },
        });
    prop_oneof![4 => packets, 1 => command]
}

fn enhanced_video_tag() -> impl Strategy<Value = VideoTag> {
    let packets = (
        frame_type(),
        modex(),
        multitrack(),
        0u8..6,
        enhanced_video_codec(),
        1usize..4,
    )
        .prop_flat_map(|(frame_type, modex, multitrack, kind, shared_codec, n)| {
            let n = if matches!(multitrack, None | Some(MultitrackType::OneTrack)) {
                1
            } else {
                n
            };
            let many_codecs = multitrack == Some(MultitrackType::ManyTracksManyCodecs);
            let packet =
                (any::<u8>(), enhanced_video_codec()).prop_flat_map(move |(track, own_codec)| {
                    let codec = if many_codecs { own_codec } else { shared_codec };
                    let track = if multitrack.is_none() { 0 } else { track };
                    video_data(kind, codec).prop_map(move |data| VideoPacket {
                        track: TrackId(track),
                        codec,
                        data,
                    })
                });
            vec(packet, n..=n).prop_map(move |packets| VideoTag {
                frame_type,
                framing: Framing::Enhanced {
                    modex: modex.clone(),
                    multitrack,
                },
                content: VideoTagContent::Packets(packets),
            })
        });
    let command = (modex(), any::<u8>()).prop_map(|(modex, c)| VideoTag {
        frame_type: VideoFrameType::Command,
        framing: Framing::Enhanced {
            modex,
            multitrack: None,
        },
        content: VideoTagContent::Command {
            codec: None,
            command: VideoCommand(c),
        },
    });
    prop_oneof![6 => packets, 1 => command]
}

fn multichannel() -> impl Strategy<Value = MultichannelConfig> {
    prop_oneof![
        any::<u8>().prop_map(|channel_count| MultichannelConfig {
            channel_count,
            order: ChannelOrder::Unspecified,
        }),
        (any::<u8>(), any::<u32>()).prop_map(|(channel_count, flags)| MultichannelConfig {
            channel_count,
            order: ChannelOrder::Native { flags },
        }),
        vec(any::<u8>(), 0..12).prop_map(|map| MultichannelConfig {
            channel_count: map.len() as u8,
            order: ChannelOrder::Custom(Bytes::from(map)),
        }),
    ]
}

fn audio_data(kind: u8) -> BoxedStrategy<AudioData> {
    match kind {
        0 => bytes(40).prop_map(AudioData::SequenceStart).boxed(),
        1 => bytes(40).prop_map(AudioData::CodedFrames).boxed(),
        2 => Just(AudioData::SequenceEnd).boxed(),
        _ => multichannel()
            .prop_map(AudioData::MultichannelConfig)
            .boxed(),
    }
}

fn legacy_audio_tag() -> impl Strategy<Value = AudioTag> {
    let aac = prop_oneof![
        bytes(40).prop_map(AudioData::SequenceStart),
        bytes(40).prop_map(AudioData::CodedFrames),
    ]
    .prop_map(|data| (AudioCodec::Aac, data));
    let other = (legacy_sound(), bytes(40))
        .prop_map(|(s, d)| (AudioCodec::Legacy(s), AudioData::CodedFrames(d)));
    prop_oneof![aac, other].prop_map(|(codec, data)| AudioTag {
        framing: Framing::Legacy,
        packets: alloc::vec![AudioPacket {
            track: TrackId(0),
            codec,
            data,
        }],
    })
}

fn enhanced_audio_tag() -> impl Strategy<Value = AudioTag> {
    (
        modex(),
        multitrack(),
        0u8..4,
        enhanced_audio_codec(),
        1usize..4,
    )
        .prop_flat_map(|(modex, multitrack, kind, shared_codec, n)| {
            let n = if matches!(multitrack, None | Some(MultitrackType::OneTrack)) {
                1
            } else {
                n
            };
            let many_codecs = multitrack == Some(MultitrackType::ManyTracksManyCodecs);
            let packet = (any::<u8>(), enhanced_audio_codec(), audio_data(kind)).prop_map(
                move |(track, own, data)| AudioPacket {
                    track: TrackId(if multitrack.is_none() { 0 } else { track }),
                    codec: if many_codecs { own } else { shared_codec },
                    data,
                },
            );
            vec(packet, n..=n).prop_map(move |packets| AudioTag {
                framing: Framing::Enhanced {
                    modex: modex.clone(),
                    multitrack,
                },
                packets,
            })
        })
}

fn avc_config() -> impl Strategy<Value = AvcConfig> {
    (
        any::<[u8; 3]>(),
        prop_oneof![Just(1u8), Just(2), Just(4)],
        vec(vec(any::<u8>(), 1..20).prop_map(Bytes::from), 0..3),
        vec(vec(any::<u8>(), 1..20).prop_map(Bytes::from), 0..3),
        bytes(6),
    )
        .prop_map(
            |([profile, compatibility, level], nal_length_size, sps, pps, trailing)| AvcConfig {
                profile,
                compatibility,
                level,
                nal_length_size,
                sps,
                pps,
                trailing,
            },
        )
}

fn aac_config() -> impl Strategy<Value = AacConfig> {
    (
        (1u8..=95).prop_filter("31 is the escape", |t| *t != 31),
        prop_oneof![
            (0u8..13).prop_map(|i| (i, 0u32)),
            (1u32..0x00ff_ffff).prop_map(|r| (15u8, r))
        ],
        0u8..16,
    )
        .prop_map(|(object_type, (index, rate), channel_config)| {
            const RATES: [u32; 13] = [
                96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000,
                11_025, 8_000, 7_350,
            ];
            let sample_rate = RATES.get(usize::from(index)).copied().unwrap_or(rate);
            AacConfig {
                object_type,
                sampling_index: index,
                sample_rate,
                channel_config,
            }
        })
}

fn track() -> impl Strategy<Value = TrackId> {
    prop_oneof![Just(TrackId(0)), any::<u8>().prop_map(TrackId)]
}

fn nanos() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0u32), 1u32..1_000_000]
}

/// Events a muxer can write, with the fields the demuxer gives back.
fn event() -> impl Strategy<Value = MediaEvent> {
    let video_sample = prop_oneof![
        (enhanced_video_codec(), track(), nanos(), i24()).prop_map(|(c, t, n, cts)| {
            (c, t, n, if c.has_composition_time() { cts } else { 0 })
        }),
        legacy_video_codec_id().prop_map(|id| (VideoCodec::Legacy(id), TrackId(0), 0, 0)),
    ];
    let video_sample = (video_sample, any::<u32>(), any::<bool>(), bytes(40)).prop_map(
        |((codec, track, nanos, composition_time), dts, keyframe, payload)| {
            MediaEvent::Sample(Sample {
                track,
                codec: Codec::Video(codec),
                dts,
                composition_time,
                nanos,
                keyframe,
                payload,
            })
        },
    );
    let audio_codec = prop_oneof![
        (enhanced_audio_codec(), track(), nanos()),
        legacy_sound().prop_map(|s| (AudioCodec::Legacy(s), TrackId(0), 0)),
    ];
    let audio_sample =
        (audio_codec, any::<u32>(), bytes(40)).prop_map(|((codec, track, nanos), dts, payload)| {
            MediaEvent::Sample(Sample {
                track,
                codec: Codec::Audio(codec),
                dts,
                composition_time: 0,
                nanos,
                keyframe: true,
                payload,
            })
        });
    let video_config = (
        enhanced_video_codec(),
        track(),
        any::<u32>(),
        any::<bool>(),
        avc_config(),
        bytes(40),
    )
        .prop_map(|(codec, track, timestamp, mpeg2ts, avc, other)| {
            let config = if codec == VideoCodec::Avc && !mpeg2ts {
                let mut out = Vec::new();
                avc.encode(&mut out).unwrap();
                Bytes::from(out)
            } else {
                other
            };
            MediaEvent::Codec(CodecConfig {
                track,
                codec: Codec::Video(codec),
                timestamp,
                config,
                mpeg2ts,
            })
        });
    let audio_config = (
        enhanced_audio_codec(),
        track(),
        any::<u32>(),
        aac_config(),
        bytes(40),
    )
        .prop_map(|(codec, track, timestamp, aac, other)| {
            let config = if codec == AudioCodec::Aac {
                Bytes::from(aac.encode().unwrap())
            } else {
                other
            };
            MediaEvent::Codec(CodecConfig {
                track,
                codec: Codec::Audio(codec),
                timestamp,
                config,
                mpeg2ts: false,
            })
        });
    let sequence_end = (
        prop_oneof![
            enhanced_video_codec().prop_map(Codec::Video),
            enhanced_audio_codec().prop_map(Codec::Audio)
        ],
        track(),
        any::<u32>(),
    )
        .prop_map(|(codec, track, timestamp)| MediaEvent::SequenceEnd {
            track,
            codec,
            timestamp,
        });
    let video_metadata = (enhanced_video_codec(), track(), any::<u32>(), bytes(40)).prop_map(
        |(codec, track, timestamp, amf)| MediaEvent::VideoMetadata {
            track,
            codec,
            timestamp,
            amf,
        },
    );
    let command = (
        prop_oneof![
            Just(None),
            Just(Some(VideoCodec::Avc)),
            legacy_video_codec_id().prop_map(|id| Some(VideoCodec::Legacy(id)))
        ],
        any::<u32>(),
        any::<u8>(),
    )
        .prop_map(|(codec, timestamp, c)| MediaEvent::VideoCommand {
            codec,
            timestamp,
            command: VideoCommand(c),
        });
    let channels = (
        enhanced_audio_codec(),
        track(),
        any::<u32>(),
        multichannel(),
    )
        .prop_map(
            |(codec, track, timestamp, config)| MediaEvent::AudioChannels {
                track,
                codec,
                timestamp,
                config,
            },
        );
    let metadata = (any::<u32>(), 1u32..10_000, 1u32..10_000, "[a-z]{0,12}").prop_map(
        |(timestamp, w, h, enc)| {
            MediaEvent::Metadata(Metadata::new(
                timestamp,
                Value::ecma_array([
                    ("width", Value::from(w)),
                    ("height", Value::from(h)),
                    ("encoder", Value::from(enc)),
                ]),
            ))
        },
    );
    prop_oneof![
        4 => video_sample,
        4 => audio_sample,
        2 => video_config,
        2 => audio_config,
        1 => sequence_end,
        1 => video_metadata,
        1 => command,
        1 => channels,
        1 => metadata,
    ]
}

fn flv_tag() -> impl Strategy<Value = FlvTag> {
    (
        prop_oneof![
            Just(TagType::Audio),
            Just(TagType::Video),
            Just(TagType::Script),
            any::<u8>().prop_map(TagType::from_u8)
        ],
        any::<u32>(),
        bytes(64),
    )
        .prop_map(|(tag_type, timestamp, body)| FlvTag {
            tag_type,
            timestamp,
            body,
        })
}

proptest! {
    #[test]
    fn legacy_video_tags_encode_then_parse_to_themselves(tag in legacy_video_tag()) {
        let body = tag.to_bytes().unwrap();
        prop_assert_eq!(VideoTag::parse(&body).unwrap(), tag);
    }

    #[test]
    fn enhanced_video_tags_encode_then_parse_to_themselves(tag in enhanced_video_tag()) {
        let body = tag.to_bytes().unwrap();
        let parsed = VideoTag::parse(&body).unwrap();
        prop_assert_eq!(&parsed, &tag);
        prop_assert_eq!(parsed.to_bytes().unwrap(), body);
    }

    #[test]
    fn legacy_audio_tags_encode_then_parse_to_themselves(tag in legacy_audio_tag()) {
        let body = tag.to_bytes().unwrap();
        prop_assert_eq!(AudioTag::parse(&body).unwrap(), tag);
    }

    #[test]
    fn enhanced_audio_tags_encode_then_parse_to_themselves(tag in enhanced_audio_tag()) {
        let body = tag.to_bytes().unwrap();
        let parsed = AudioTag::parse(&body).unwrap();
        prop_assert_eq!(&parsed, &tag);
        prop_assert_eq!(parsed.to_bytes().unwrap(), body);
    }

    #[test]
    fn events_mux_then_demux_to_themselves(e in event()) {
        let tag = mux(&e).unwrap();
        let mut events = Vec::new();
        Demuxer::new().demux_tag(&tag, &mut events).unwrap();
        prop_assert_eq!(events, alloc::vec![e]);
    }

    #[test]
    fn avc_configs_encode_then_parse_to_themselves(c in avc_config()) {
        let mut out = Vec::new();
        c.encode(&mut out).unwrap();
        prop_assert_eq!(AvcConfig::parse(&Bytes::from(out)).unwrap(), c);
    }

    #[test]
    fn aac_configs_encode_then_parse_to_themselves(c in aac_config()) {
        let out = c.encode().unwrap();
        prop_assert_eq!(AacConfig::parse(&out).unwrap(), c);
    }

    #[test]
    fn flv_files_write_then_read_to_themselves(
        audio in any::<bool>(),
        video in any::<bool>(),
        tags in vec(flv_tag(), 0..8),
        piece in 1usize..40,
    ) {
        let header = FlvHeader::new(audio, video);
        let mut file = Vec::new();
        flv::write_header(&header, &mut file);
        for t in &tags {
            flv::write_tag(t, &mut file).unwrap();
        }
        let (h, read) = flv::read_file(&file).unwrap();
        prop_assert_eq!(h, header);
        prop_assert_eq!(&read, &tags);

        let mut reader = FlvReader::new();
        let mut incremental = Vec::new();
        for chunk in file.chunks(piece) {
            reader.push(chunk);
            while let Some(item) = reader.next_item().unwrap() {
                if let flv::FlvItem::Tag(t) = item {
                    incremental.push(t);
                }
            }
        }
        reader.finish().unwrap();
        prop_assert_eq!(incremental, tags);
    }

    #[test]
    fn demuxing_arbitrary_bytes_never_panics(data in vec(any::<u8>(), 0..200), ts in any::<u32>()) {
        let body = Bytes::from(data);
        let mut d = Demuxer::new();
        let mut out = Vec::new();
        let _ = d.demux_video(ts, &body, &mut out);
        let _ = d.demux_audio(ts, &body, &mut out);
        let _ = d.demux_data(ts, &body, &mut out);
        let _ = AvcConfig::parse(&body);
        let _ = AacConfig::parse(&body);
        for n in NalUnits::new(&body, 4) {
            let _ = n;
        }
    }

    #[test]
    fn arbitrary_enhanced_bodies_never_panic(rest in vec(any::<u8>(), 0..200), first in 0u8..16, audio in any::<bool>()) {
        // Force the extended header so the deep paths get exercised.
        let mut body = alloc::vec![if audio { 0x90 | (first & 0x0f) } else { 0x80 | (first << 4 & 0x70) | 0x06 }];
        body.extend_from_slice(&rest);
        let body = Bytes::from(body);
        let mut out = Vec::new();
        let _ = Demuxer::new().demux_video(0, &body, &mut out);
        let _ = Demuxer::new().demux_audio(0, &body, &mut out);
    }

    #[test]
    fn reading_arbitrary_flv_bytes_never_panics(data in vec(any::<u8>(), 0..300), max in 0u32..64) {
        let mut file = b"FLV\x01\x05\x00\x00\x00\x09".to_vec();
        file.extend_from_slice(&data);
        for input in [&data[..], &file[..]] {
            let mut reader = FlvReader::with_max_tag_size(max);
            reader.push(input);
            while let Ok(Some(_)) = reader.next_item() {}
            let _ = reader.finish();
        }
    }
}

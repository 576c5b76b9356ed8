#![no_main]
//! Socket groups: the GROUP handshake extension (decoded from the first
//! bytes, re-encoded byte for byte, checked as a listener and a caller
//! would), then a receiving group fed the rest as a stream of
//! (member, sequence step, time step) records: it delivers sequence
//! numbers once, in increasing order, and stays within its bounds.
use bytes::Bytes;
use core::time::Duration;
use libfuzzer_sys::fuzz_target;
use srt_proto::group::{Group, GroupConfig, GroupEvent, GroupOutput, GroupType, MemberObservation};
use srt_proto::handshake::group as rules;
use srt_proto::packet::ext::HandshakeExtension;
use srt_proto::seq::SeqNumber;
use srt_proto::time::Instant;

const MEMBERS: usize = 3;

fuzz_target!(|data: &[u8]| {
    let (ext, rest) = data.split_at(data.len().min(8));
    // SRT_CMD_GROUP (8), two words.
    let mut block = vec![0, 8, 0, 2];
    block.extend_from_slice(ext);
    if let Ok(exts) = HandshakeExtension::decode_all(&block) {
        for e in &exts {
            let mut wire = Vec::new();
            e.encode(&mut wire);
            assert_eq!(wire, block);
            if let HandshakeExtension::Group(g) = e {
                let _ = rules::check_request(g, true);
                let answer = rules::answer(0x4000_0001, g);
                let _ = rules::check_response(Some(g), Some(&answer));
            }
        }
    }

    let isn = rest
        .first_chunk::<4>()
        .map_or(0, |b| u32::from_be_bytes(*b));
    let group_type = if isn & 1 == 0 {
        GroupType::Broadcast
    } else {
        GroupType::Backup
    };
    let mut g = Group::new(
        GroupConfig::new(group_type, SeqNumber::new(isn)),
        1,
        Instant::ZERO,
    );
    let mut now = Instant::ZERO;
    let ids: Vec<_> = (0..MEMBERS)
        .filter_map(|_| g.add_member(1, now).ok())
        .collect();
    for &m in &ids {
        let obs = MemberObservation {
            last_peer_activity: now,
            srtt: Duration::from_millis(20),
            rttvar: Duration::from_millis(5),
            send_acked_seq: SeqNumber::new(isn),
            next_send_seq: SeqNumber::new(isn),
            receive_time_base: None,
        };
        g.member_connected(m, obs, now);
    }
    let mut seq = [SeqNumber::new(isn); MEMBERS];
    let mut last: Option<SeqNumber> = None;
    let mut fed = 0u64;
    for r in rest.get(4..).unwrap_or_default().chunks_exact(4) {
        let [who, step_hi, step_lo, dt] = [r[0], r[1], r[2], r[3]];
        let i = usize::from(who) % MEMBERS;
        // Mostly forward, sometimes back (a late copy).
        let step = i16::from_be_bytes([step_hi, step_lo]) / 256;
        seq[i] = seq[i].wrapping_add_signed(i32::from(step));
        now += Duration::from_micros(u64::from(dt) * 100);
        if who & 0x80 != 0 {
            g.handle_timeout(now);
        } else {
            g.on_member_message(ids[i], seq[i], Bytes::from_static(b"x"), now, now);
            fed += 1;
        }
        while let Some(o) = g.poll_output() {
            if let GroupOutput::Event(GroupEvent::Message { seq, .. }) = o {
                if let Some(d) = last {
                    assert!(seq.is_after(d));
                }
                last = Some(seq);
            }
        }
        let st = g.stats();
        assert_eq!(st.delivered + st.duplicates, fed);
        assert!(st.members <= MEMBERS);
    }
});

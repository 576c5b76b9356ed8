//! The live scenario the evidence tests share: a stream from A to B with
//! its link, repair settings, clocks and keys, and what came of it.

use super::*;
use srt_proto::connection::Stats;

/// How long the live source runs on after the measured window.
pub const STREAM_TAIL: Duration = Duration::from_millis(300);

pub const LATENCY: Duration = Duration::from_millis(200);
pub const ONE_WAY: Duration = Duration::from_millis(20);

/// How eagerly losses are repaired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repair {
    /// libsrt's defaults: `SRTO_RETRANSMITALGO = 1`, periodic NAK floor
    /// 20 ms.
    Libsrt,
    /// `SRTO_RETRANSMITALGO = 0` (retransmit on every NAK), periodic NAKs
    /// every `(RTT + 4·RTTVar) / 4`, at least 10 ms, and the receiver
    /// starting from the RTT a handshake measures.
    Eager,
}

#[derive(Debug, Default)]
pub struct Outcome {
    /// Messages sent in the measured window.
    pub sent: u64,
    /// Messages of the window delivered.
    pub delivered: u64,
    /// Messages never delivered before the last one delivered (gaps).
    pub missing: u64,
    /// All messages sent, the tail after the window included.
    pub total_sent: u64,
    /// Messages sent after the last one delivered.
    pub after_last: u64,
    pub receiver_dropped: u64,
    pub sender_dropped: u64,
    pub undecrypted: u64,
    pub retransmitted: u64,
    pub km_sent: u64,
    /// The largest distance of a delivery delay from latency + one-way
    /// delay.
    pub worst_delay_error: Duration,
    /// The receiver's drift estimate at the end, µs.
    pub drift_us: i64,
    /// Both sides' statistics at the end.
    pub sender_stats: Option<Stats>,
    pub receiver_stats: Option<Stats>,
}

/// A live stream from A to B.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub seed: u64,
    /// When the source starts (connections start at virtual zero).
    pub start: Instant,
    pub secs: u64,
    pub bits_per_second: u64,
    pub link: LinkConfig,
    /// The link from B back to A, if not the same as `link`.
    pub reverse_link: Option<LinkConfig>,
    pub repair: Repair,
    /// A's clock runs this many ppm fast.
    pub sender_skew_ppm: i64,
    pub isn: u32,
    /// Key refresh rate and pre-announce, packets: encrypts the stream.
    pub key_refresh: Option<(u32, u32)>,
    /// AES-GCM instead of AES-CTR when encrypted.
    pub gcm: bool,
    /// `SRTO_LOSSMAXTTL` of the receiver.
    pub loss_max_ttl: u32,
    /// The delivery delay may be this far from latency + one-way delay.
    pub tolerance: Duration,
    /// Prints every packet about this message index (debugging).
    pub trace: Option<u64>,
}

impl Outcome {
    /// Every message the receiver did not deliver is one it counted as
    /// dropped (the last few may have gone unseen: when the last packet
    /// and the sender's tail-loss probes are all lost, nothing reveals
    /// them).
    pub fn drops_accounted(&self) -> bool {
        self.missing <= self.receiver_dropped
            && self.receiver_dropped <= self.missing + self.after_last
    }
}

impl Scenario {
    /// The live scenario, without loss: 10 Mbit/s, latency 200 ms,
    /// RTT 40 ms.
    pub fn live(seed: u64, secs: u64) -> Self {
        Self {
            seed,
            start: Instant::ZERO,
            secs,
            bits_per_second: 10_000_000,
            link: LinkConfig::new(),
            reverse_link: None,
            repair: Repair::Libsrt,
            sender_skew_ppm: 0,
            isn: 1000 + seed as u32,
            key_refresh: None,
            gcm: false,
            loss_max_ttl: 0,
            tolerance: Duration::from_millis(1),
            trace: None,
        }
    }

    /// Runs it and checks what was delivered came once, in order,
    /// uncorrupted, on time; counts what never came.
    pub fn run(&self) -> Result<Outcome, String> {
        let until = self.start + Duration::from_secs(self.secs);
        let (mut pa, mut pb) = pair_params(self.isn, true, LATENCY, Instant::ZERO);
        for p in [&mut pa, &mut pb] {
            p.options.loss_max_ttl = self.loss_max_ttl;
            if self.repair == Repair::Eager {
                p.options.retransmit_algorithm = RetransmitAlgorithm::Always;
                p.options.nak_report_accel = 4;
                p.options.min_nak_interval = Duration::from_millis(10);
                // What the handshake measured.
                p.options.initial_rtt = Some(2 * ONE_WAY);
            }
            if let Some((rate, pre)) = self.key_refresh {
                encrypt(p, rate, pre);
                if self.gcm {
                    use srt_proto::crypto::{CipherMode, GcmVariant};
                    if let Some(c) = &mut p.negotiated.crypto {
                        c.mode = CipherMode::AesGcm(GcmVariant::Srt154);
                    }
                }
            }
        }
        let mut a = Peer::new(Connection::new(pa, [1; 32]), addr(A), addr(B));
        a.skew_ppm = self.sender_skew_ppm;
        // The stream runs on for a while after the measured window, so a
        // loss near its end is revealed by later packets (a lost last
        // packet is found only by the sender's tail-loss probe, one
        // retransmission timeout later; libsrt's live sender has none).
        let src = Source::live(self.bits_per_second, 1316, self.start, until + STREAM_TAIL);
        let window =
            (until.duration_since(self.start).as_nanos()).div_ceil(src.interval.as_nanos()) as u64;
        a.source = Some(src);
        let mut b = Peer::new(Connection::new(pb, [2; 32]), addr(B), addr(A));
        let traced = self
            .trace
            .map(|i| SeqNumber::new(self.isn).wrapping_add(i as u32));
        a.trace = traced;
        b.trace = traced;
        let mut net = network(self.seed, a, b, self.link.clone().latency(ONE_WAY));
        if let Some(reverse) = &self.reverse_link {
            net.link(addr(B), addr(A), reverse.clone().latency(ONE_WAY));
        }
        net.run_until(until + STREAM_TAIL + LATENCY + Duration::from_millis(1500))
            .map_err(|e| format!("sim: {e}"))?;
        let a = &net.nodes()[0];
        let b = &net.nodes()[1];
        let src = a.source.as_ref().unwrap();
        if src.refused != 0 {
            return Err(format!("{} messages refused by send", src.refused));
        }
        let expected_delay = LATENCY + ONE_WAY;
        let mut next = 0u64;
        let mut o = Outcome::default();
        for (i, r) in b.received.iter().enumerate() {
            let (index, sent_at) =
                check_message(&r.data).ok_or_else(|| format!("message {i} corrupted"))?;
            if index < next {
                return Err(format!("message {index} delivered twice or out of order"));
            }
            if index > next {
                eprintln!("missing messages {next}..{index}");
            }
            o.missing += index - next;
            next = index + 1;
            let delay = r.delivered_at.duration_since(sent_at);
            let error = delay.abs_diff(expected_delay);
            o.worst_delay_error = o.worst_delay_error.max(error);
            if error > self.tolerance {
                return Err(format!(
                    "message {index} delivered {delay:?} after sending, expected {expected_delay:?} ± {:?}",
                    self.tolerance
                ));
            }
        }
        let now_a = a.local(net.now());
        let sa = a.conn.stats(now_a);
        let sb = b.conn.stats(net.now());
        o.sent = window;
        o.delivered = b
            .received
            .iter()
            .filter_map(|r| check_message(&r.data))
            .filter(|(index, _)| *index < window)
            .count() as u64;
        o.total_sent = src.sent;
        o.after_last = src.sent - next;
        o.receiver_dropped = sb.total.receive_drop.packets;
        o.sender_dropped = sa.total.send_drop.packets;
        o.undecrypted = sb.total.receive_undecrypted.packets;
        o.retransmitted = sa.total.retransmitted.packets;
        o.km_sent = sa.total.km_sent;
        o.drift_us = b.conn.drift_us();
        o.sender_stats = Some(sa);
        o.receiver_stats = Some(sb);
        Ok(o)
    }
}

/// Encrypts a connection's parameters with AES-128-CTR, one shared key and
/// passphrase, refreshing the key every `rate` packets.
pub fn encrypt(p: &mut ConnectionParams, rate: u32, pre_announce: u32) {
    use srt_proto::crypto::{
        CipherMode, KeyLength, KeyRefreshConfig, Passphrase, Salt, Sek, StreamKeys,
    };
    use srt_proto::handshake::NegotiatedCrypto;
    p.negotiated.crypto = Some(NegotiatedCrypto {
        mode: CipherMode::AesCtr,
        key_len: KeyLength::Aes128,
        salt: Salt::from_slice(&[0x5a; 16]).unwrap(),
        keys: StreamKeys::Even(Sek::from_bytes(&[0x11; 16]).unwrap()),
    });
    p.options.passphrase = Some(Passphrase::try_from("correct horse battery").unwrap());
    p.options.key_refresh = KeyRefreshConfig::new(rate, pre_announce).unwrap();
}

pub fn random_loss(percent: f64) -> LinkConfig {
    LinkConfig::new().loss(Probability::percent(percent))
}

//! The parts of the Enhanced RTMP v2 extended header shared by audio and
//! video: ModEx (modifier extensions) and multitrack framing.

use alloc::vec::Vec;

use bytes::Bytes;

use super::MediaError;
use super::codec::{FourCc, TrackId};
use super::cursor::{Cursor, put_u24};

/// Upper bound on the tracks one multitrack tag may carry (track ids are a
/// byte, so a sender never needs more).
pub(crate) const MAX_TRACKS: usize = 256;

/// Packet type value meaning "ModEx follows", for audio and video alike.
pub(crate) const PACKET_TYPE_MODEX: u8 = 7;

/// How the tracks of a multitrack tag share codecs (AvMultitrackType).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MultitrackType {
    /// One track, with an explicit track id and no size field.
    OneTrack,
    /// Several tracks of one codec, each with a track id and a size.
    ManyTracks,
    /// Several tracks, each with its own FourCC, track id and size.
    ManyTracksManyCodecs,
}

impl MultitrackType {
    fn code(self) -> u8 {
        match self {
            Self::OneTrack => 0,
            Self::ManyTracks => 1,
            Self::ManyTracksManyCodecs => 2,
        }
    }

    fn from_code(c: u8) -> Result<Self, MediaError> {
        match c {
            0 => Ok(Self::OneTrack),
            1 => Ok(Self::ManyTracks),
            2 => Ok(Self::ManyTracksManyCodecs),
            other => Err(MediaError::UnknownMultitrackType(other)),
        }
    }
}

/// One modifier extension (Enhanced RTMP v2 `ModEx`): a type and 1..=65536 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModEx {
    /// The PacketModExType (0..=15); 0 is TimestampOffsetNano.
    pub kind: u8,
    /// The ModEx data, 1..=65536 bytes.
    pub data: Bytes,
}

impl ModEx {
    /// ModEx type 0: a nanosecond offset added to the message timestamp.
    pub const TIMESTAMP_OFFSET_NANO: u8 = 0;

    /// A TimestampOffsetNano extension of `nanos` nanoseconds (low 24 bits kept).
    pub fn timestamp_offset_nano(nanos: u32) -> Self {
        let [_, a, b, c] = nanos.to_be_bytes();
        Self {
            kind: Self::TIMESTAMP_OFFSET_NANO,
            data: Bytes::copy_from_slice(&[a, b, c]),
        }
    }

    /// For a TimestampOffsetNano extension, its offset in nanoseconds;
    /// `None` for other kinds, an error if the data is shorter than 3 bytes.
    pub fn nanos(&self) -> Option<Result<u32, MediaError>> {
        if self.kind != Self::TIMESTAMP_OFFSET_NANO {
            return None;
        }
        Some(match self.data.first_chunk::<3>() {
            Some(&[a, b, c]) => Ok(u32::from_be_bytes([0, a, b, c])),
            None => Err(MediaError::BadModEx),
        })
    }
}

/// How a tag body was (or is to be) framed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Framing {
    /// The legacy FLV header: one codec id or sound format, track 0.
    #[default]
    Legacy,
    /// The Enhanced RTMP extended header.
    Enhanced {
        /// ModEx entries, in wire order.
        modex: Vec<ModEx>,
        /// `Some` when the Multitrack packet type is used.
        multitrack: Option<MultitrackType>,
    },
}

impl Framing {
    /// Enhanced framing with no ModEx and no multitrack.
    pub fn enhanced() -> Self {
        Self::Enhanced {
            modex: Vec::new(),
            multitrack: None,
        }
    }
}

/// Reads the ModEx loop that starts when `packet_type` is ModEx; returns the
/// entries and the final packet type.
pub(crate) fn read_modex(
    cur: &mut Cursor,
    mut packet_type: u8,
) -> Result<(Vec<ModEx>, u8), MediaError> {
    let mut modex = Vec::new();
    while packet_type == PACKET_TYPE_MODEX {
        let mut size = usize::from(cur.u8("ModEx size")?) + 1;
        if size == 256 {
            size = usize::from(cur.u16("ModEx size")?) + 1;
        }
        let data = cur.take(size, "ModEx data")?;
        let b = cur.u8("ModEx type")?;
        modex.push(ModEx { kind: b >> 4, data });
        packet_type = b & 0x0f;
    }
    Ok((modex, packet_type))
}

/// The multitrack part of the header: returns the multitrack type, the packet
/// type for the tracks, and the FourCC shared by all tracks (if any).
pub(crate) fn read_multitrack(
    cur: &mut Cursor,
    packet_type: u8,
    multitrack_code: u8,
) -> Result<(Option<MultitrackType>, u8, Option<FourCc>), MediaError> {
    if packet_type == multitrack_code {
        let b = cur.u8("multitrack header")?;
        let mt = MultitrackType::from_code(b >> 4)?;
        let inner = b & 0x0f;
        if inner == multitrack_code || inner == PACKET_TYPE_MODEX {
            return Err(MediaError::NestedMultitrack);
        }
        let fourcc = if mt == MultitrackType::ManyTracksManyCodecs {
            None
        } else {
            Some(FourCc(cur.four("FourCC")?))
        };
        Ok((Some(mt), inner, fourcc))
    } else {
        Ok((None, packet_type, Some(FourCc(cur.four("FourCC")?))))
    }
}

/// Splits the rest of the body into tracks: `(track, fourcc, body)`.
pub(crate) fn read_tracks(
    cur: &mut Cursor,
    multitrack: Option<MultitrackType>,
    shared: Option<FourCc>,
) -> Result<Vec<(TrackId, FourCc, Cursor)>, MediaError> {
    let mut tracks = Vec::new();
    match multitrack {
        None => {
            let f = shared.ok_or(MediaError::Truncated("FourCC"))?;
            tracks.push((TrackId(0), f, Cursor::new(cur.rest())));
        }
        Some(MultitrackType::OneTrack) => {
            let f = shared.ok_or(MediaError::Truncated("FourCC"))?;
            let id = cur.u8("track id")?;
            tracks.push((TrackId(id), f, Cursor::new(cur.rest())));
        }
        Some(_) => loop {
            if tracks.len() >= MAX_TRACKS {
                return Err(MediaError::TooManyTracks);
            }
            let f = match shared {
                Some(f) => f,
                None => FourCc(cur.four("track FourCC")?),
            };
            let id = cur.u8("track id")?;
            let size = cur.u24("track size")?;
            let size = usize::try_from(size).map_err(|_| MediaError::TrackSizeOverrun)?;
            if size > cur.remaining() {
                return Err(MediaError::TrackSizeOverrun);
            }
            let body = cur.take(size, "track body")?;
            tracks.push((TrackId(id), f, Cursor::new(body)));
            if cur.is_empty() {
                break;
            }
        },
    }
    Ok(tracks)
}

/// Writes the first byte (`first_high` is its high nibble, already shifted)
/// and the ModEx loop; `packet_type` is the packet type that follows the
/// loop (Multitrack, or the tracks' own type).
pub(crate) fn write_modex(
    out: &mut Vec<u8>,
    first_high: u8,
    modex: &[ModEx],
    packet_type: u8,
) -> Result<(), MediaError> {
    let first_pt = if modex.is_empty() {
        packet_type
    } else {
        PACKET_TYPE_MODEX
    };
    out.push(first_high | first_pt);
    for (i, m) in modex.iter().enumerate() {
        let n = m.data.len();
        if n == 0 || n > 65536 || m.kind > 15 {
            return Err(MediaError::Unrepresentable(
                "ModEx data must be 1..=65536 bytes, type 0..=15",
            ));
        }
        if n < 256 {
            out.push((n - 1) as u8);
        } else {
            out.push(0xff);
            out.extend_from_slice(&((n - 1) as u16).to_be_bytes());
        }
        out.extend_from_slice(&m.data);
        let next = if i + 1 < modex.len() {
            PACKET_TYPE_MODEX
        } else {
            packet_type
        };
        out.push((m.kind << 4) | next);
    }
    Ok(())
}

/// Writes the whole extended header: first byte, ModEx loop, multitrack
/// header and shared FourCC. `multitrack_code` is the packet type value of
/// Multitrack for this media kind; `shared` is the FourCC shared by all
/// tracks (ignored for ManyTracksManyCodecs).
pub(crate) fn write_ex_header(
    out: &mut Vec<u8>,
    first_high: u8,
    modex: &[ModEx],
    multitrack: Option<MultitrackType>,
    multitrack_code: u8,
    packet_type: u8,
    shared: Option<FourCc>,
) -> Result<(), MediaError> {
    let after_modex = if multitrack.is_some() {
        multitrack_code
    } else {
        packet_type
    };
    write_modex(out, first_high, modex, after_modex)?;
    match multitrack {
        Some(mt) => {
            out.push((mt.code() << 4) | packet_type);
            if mt != MultitrackType::ManyTracksManyCodecs {
                let f = shared.ok_or(MediaError::Unrepresentable("multitrack needs a FourCC"))?;
                out.extend_from_slice(&f.0);
            }
        }
        None => {
            let f = shared.ok_or(MediaError::Unrepresentable(
                "enhanced framing needs a FourCC",
            ))?;
            out.extend_from_slice(&f.0);
        }
    }
    Ok(())
}

/// One track's packet of an enhanced audio or video tag, as the packet
/// writer [`write_packets`] sees it.
pub(crate) trait EnhancedPacket {
    /// The packet type value of Multitrack for this media kind.
    const MULTITRACK_CODE: u8;
    /// The refusal of a codec that has no FourCC.
    const LEGACY_CODEC: &'static str;
    /// The packet's track.
    fn track(&self) -> TrackId;
    /// The packet type value of its payload.
    fn packet_type(&self) -> u8;
    /// Its codec's FourCC (`None` for a legacy codec).
    fn fourcc(&self) -> Option<FourCc>;
    /// Appends its payload.
    fn write_body(&self, out: &mut Vec<u8>) -> Result<(), MediaError>;
}

/// Writes the extended header and every packet of an enhanced tag. All
/// packets share the first one's packet type; one-track framing carries
/// exactly one packet; every multitrack type but ManyTracksManyCodecs shares
/// the first packet's FourCC.
pub(crate) fn write_packets<P: EnhancedPacket>(
    out: &mut Vec<u8>,
    first_high: u8,
    modex: &[ModEx],
    multitrack: Option<MultitrackType>,
    packets: &[P],
) -> Result<(), MediaError> {
    let first = packets
        .first()
        .ok_or(MediaError::Unrepresentable("no packets"))?;
    let packet_type = first.packet_type();
    let shared_needed = multitrack != Some(MultitrackType::ManyTracksManyCodecs);
    if matches!(multitrack, None | Some(MultitrackType::OneTrack)) && packets.len() != 1 {
        return Err(MediaError::Unrepresentable(
            "one-track framing carries exactly one packet",
        ));
    }
    let fourcc_of = |p: &P| {
        p.fourcc()
            .ok_or(MediaError::Unrepresentable(P::LEGACY_CODEC))
    };
    let shared = if shared_needed {
        Some(fourcc_of(first)?)
    } else {
        None
    };
    write_ex_header(
        out,
        first_high,
        modex,
        multitrack,
        P::MULTITRACK_CODE,
        packet_type,
        shared,
    )?;
    for p in packets {
        if p.packet_type() != packet_type {
            return Err(MediaError::Unrepresentable(
                "tracks of one tag share a packet type",
            ));
        }
        let fourcc = fourcc_of(p)?;
        if shared_needed && Some(fourcc) != shared {
            return Err(MediaError::Unrepresentable(
                "tracks of this multitrack type share a codec",
            ));
        }
        write_track(out, multitrack, p.track(), Some(fourcc), |out| {
            p.write_body(out)
        })?;
    }
    Ok(())
}

/// Writes one track's prefix and body (produced by `body`) for the given
/// multitrack type, back-patching the UI24 size where needed.
pub(crate) fn write_track(
    out: &mut Vec<u8>,
    multitrack: Option<MultitrackType>,
    track: TrackId,
    fourcc: Option<FourCc>,
    body: impl FnOnce(&mut Vec<u8>) -> Result<(), MediaError>,
) -> Result<(), MediaError> {
    match multitrack {
        None => {
            if track != TrackId(0) {
                return Err(MediaError::Unrepresentable(
                    "track id needs multitrack framing",
                ));
            }
            body(out)
        }
        Some(MultitrackType::OneTrack) => {
            out.push(track.0);
            body(out)
        }
        Some(mt) => {
            if mt == MultitrackType::ManyTracksManyCodecs {
                let f = fourcc.ok_or(MediaError::Unrepresentable("track needs a FourCC"))?;
                out.extend_from_slice(&f.0);
            }
            out.push(track.0);
            let at = out.len();
            put_u24(out, 0);
            body(out)?;
            let size = out.len() - at - 3;
            let size = u32::try_from(size)
                .ok()
                .filter(|s| *s <= 0x00ff_ffff)
                .ok_or(MediaError::Unrepresentable("track larger than 16 MiB"))?;
            let [_, a, b, c] = size.to_be_bytes();
            if let Some(slot) = out.get_mut(at..at + 3) {
                slot.copy_from_slice(&[a, b, c]);
            }
            Ok(())
        }
    }
}

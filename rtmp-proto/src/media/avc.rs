//! H.264/AVC configuration (AVCDecoderConfigurationRecord, ISO/IEC 14496-15
//! 5.3.3.1) and length-prefixed NAL units; the HEVC NAL length size.

use alloc::vec::Vec;

use bytes::Bytes;

use super::MediaError;
use super::cursor::Cursor;

/// The fields of an AVCDecoderConfigurationRecord.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AvcConfig {
    /// AVCProfileIndication (66 baseline, 77 main, 100 high, ...).
    pub profile: u8,
    /// profile_compatibility.
    pub compatibility: u8,
    /// AVCLevelIndication (e.g. 31 for level 3.1).
    pub level: u8,
    /// Bytes in each NAL unit length prefix of the samples: 1, 2 or 4.
    pub nal_length_size: u8,
    /// Sequence parameter sets (at most 31).
    pub sps: Vec<Bytes>,
    /// Picture parameter sets (at most 255).
    pub pps: Vec<Bytes>,
    /// Whatever follows the PPS list (the high-profile chroma/bit-depth
    /// extension and any SPS extensions), kept verbatim.
    pub trailing: Bytes,
}

impl AvcConfig {
    /// Parses and validates a record; parameter sets are shared slices of `data`.
    pub fn parse(data: &Bytes) -> Result<Self, MediaError> {
        let mut cur = Cursor::new(data.clone());
        let t = |_| MediaError::BadAvcConfig("truncated");
        let version = cur.u8("").map_err(t)?;
        if version != 1 {
            return Err(MediaError::BadAvcConfig("configurationVersion is not 1"));
        }
        let profile = cur.u8("").map_err(t)?;
        let compatibility = cur.u8("").map_err(t)?;
        let level = cur.u8("").map_err(t)?;
        let nal_length_size = (cur.u8("").map_err(t)? & 3) + 1;
        if nal_length_size == 3 {
            return Err(MediaError::BadAvcConfig("lengthSizeMinusOne is 2"));
        }
        let num_sps = cur.u8("").map_err(t)? & 0x1f;
        let mut sps = Vec::new();
        for _ in 0..num_sps {
            let len = cur.u16("").map_err(t)?;
            sps.push(cur.take(usize::from(len), "").map_err(t)?);
        }
        let num_pps = cur.u8("").map_err(t)?;
        let mut pps = Vec::new();
        for _ in 0..num_pps {
            let len = cur.u16("").map_err(t)?;
            pps.push(cur.take(usize::from(len), "").map_err(t)?);
        }
        if sps.iter().chain(pps.iter()).any(Bytes::is_empty) {
            return Err(MediaError::BadAvcConfig("empty parameter set"));
        }
        Ok(Self {
            profile,
            compatibility,
            level,
            nal_length_size,
            sps,
            pps,
            trailing: cur.rest(),
        })
    }

    /// Appends the record, with reserved bits set as the standard requires.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), MediaError> {
        let size_bits = match self.nal_length_size {
            1 => 0,
            2 => 1,
            4 => 3,
            _ => {
                return Err(MediaError::Unrepresentable(
                    "NAL length size must be 1, 2 or 4",
                ));
            }
        };
        if self.sps.len() > 31 || self.pps.len() > 255 {
            return Err(MediaError::Unrepresentable("too many parameter sets"));
        }
        out.extend_from_slice(&[
            1,
            self.profile,
            self.compatibility,
            self.level,
            0xfc | size_bits,
        ]);
        out.push(0xe0 | self.sps.len() as u8);
        for ps in &self.sps {
            put_parameter_set(out, ps)?;
        }
        out.push(self.pps.len() as u8);
        for ps in &self.pps {
            put_parameter_set(out, ps)?;
        }
        out.extend_from_slice(&self.trailing);
        Ok(())
    }
}

fn put_parameter_set(out: &mut Vec<u8>, ps: &Bytes) -> Result<(), MediaError> {
    let len = u16::try_from(ps.len())
        .map_err(|_| MediaError::Unrepresentable("parameter set longer than 65535 bytes"))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(ps);
    Ok(())
}

/// The NAL length size announced by an HEVCDecoderConfigurationRecord
/// (`hvcC`), or `None` if the record is too short or not version 1.
pub fn hevc_nal_length_size(hvcc: &[u8]) -> Option<u8> {
    if hvcc.len() < 23 || hvcc.first() != Some(&1) {
        return None;
    }
    Some((hvcc.get(21)? & 3) + 1)
}

/// Iterates the length-prefixed NAL units of an AVC/HEVC sample, sharing
/// slices of it. Yields [`MediaError::BadNalUnit`] once if a length runs past
/// the end, then stops; allocates nothing.
#[derive(Debug, Clone)]
pub struct NalUnits {
    cur: Cursor,
    length_size: u8,
    failed: bool,
}

impl NalUnits {
    /// Iterates `data` with prefixes of `length_size` bytes (1..=4).
    pub fn new(data: &Bytes, length_size: u8) -> Self {
        Self {
            cur: Cursor::new(data.clone()),
            length_size: length_size.clamp(1, 4),
            failed: false,
        }
    }

    /// Checks that the NAL units tile `data` exactly; returns how many there are.
    pub fn validate(data: &Bytes, length_size: u8) -> Result<usize, MediaError> {
        let mut n = 0;
        for nal in Self::new(data, length_size) {
            nal?;
            n += 1;
        }
        Ok(n)
    }
}

impl Iterator for NalUnits {
    type Item = Result<Bytes, MediaError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.cur.is_empty() {
            return None;
        }
        let mut len: usize = 0;
        for _ in 0..self.length_size {
            match self.cur.u8("NAL length") {
                Ok(b) => len = (len << 8) | usize::from(b),
                Err(_) => {
                    self.failed = true;
                    return Some(Err(MediaError::BadNalUnit));
                }
            }
        }
        match self.cur.take(len, "NAL unit") {
            Ok(nal) => Some(Ok(nal)),
            Err(_) => {
                self.failed = true;
                Some(Err(MediaError::BadNalUnit))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AVCDecoderConfigurationRecord of `tests/data/source.flv` (High, level 3.1).
    const SOURCE_AVCC_HEAD: [u8; 6] = [0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1];

    fn record(sps: &[u8], pps: &[u8]) -> Vec<u8> {
        let mut r = SOURCE_AVCC_HEAD.to_vec();
        r.extend_from_slice(&(sps.len() as u16).to_be_bytes());
        r.extend_from_slice(sps);
        r.push(1);
        r.extend_from_slice(&(pps.len() as u16).to_be_bytes());
        r.extend_from_slice(pps);
        r
    }

    #[test]
    fn record_exposes_profile_level_nal_length_and_parameter_sets() {
        let c = AvcConfig::parse(&Bytes::from(record(&[0x67, 0x64], &[0x68, 0xee]))).unwrap();
        assert_eq!(
            (c.profile, c.compatibility, c.level, c.nal_length_size),
            (100, 0, 31, 4)
        );
        assert_eq!(c.sps, [Bytes::from_static(&[0x67, 0x64])]);
        assert_eq!(c.pps, [Bytes::from_static(&[0x68, 0xee])]);
        assert!(c.trailing.is_empty());
    }

    #[test]
    fn record_reencodes_to_the_same_bytes() {
        let bytes = Bytes::from(record(&[0x67, 1, 2, 3], &[0x68, 4]));
        let mut out = Vec::new();
        AvcConfig::parse(&bytes).unwrap().encode(&mut out).unwrap();
        assert_eq!(out, bytes);
    }

    #[test]
    fn version_other_than_1_is_rejected() {
        let mut r = record(&[0x67], &[0x68]);
        r[0] = 0;
        assert_eq!(
            AvcConfig::parse(&Bytes::from(r)),
            Err(MediaError::BadAvcConfig("configurationVersion is not 1"))
        );
    }

    #[test]
    fn nal_length_size_of_3_is_rejected() {
        let mut r = record(&[0x67], &[0x68]);
        r[4] = 0xfe;
        assert_eq!(
            AvcConfig::parse(&Bytes::from(r)),
            Err(MediaError::BadAvcConfig("lengthSizeMinusOne is 2"))
        );
    }

    #[test]
    fn parameter_set_longer_than_the_record_is_truncated() {
        let mut r = record(&[0x67, 0x64], &[0x68]);
        r.truncate(8);
        assert_eq!(
            AvcConfig::parse(&Bytes::from(r)),
            Err(MediaError::BadAvcConfig("truncated"))
        );
    }

    #[test]
    fn nal_units_split_a_sample_by_their_length_prefixes() {
        let sample = Bytes::from_static(&[0, 0, 0, 2, 0x09, 0xf0, 0, 0, 0, 1, 0x65]);
        let nals: Vec<Bytes> = NalUnits::new(&sample, 4).map(Result::unwrap).collect();
        assert_eq!(
            nals,
            [
                Bytes::from_static(&[0x09, 0xf0]),
                Bytes::from_static(&[0x65])
            ]
        );
        assert_eq!(NalUnits::validate(&sample, 4), Ok(2));
    }

    #[test]
    fn nal_unit_running_past_the_sample_is_an_error() {
        let sample = Bytes::from_static(&[0, 0, 0, 9, 0x65]);
        assert_eq!(NalUnits::validate(&sample, 4), Err(MediaError::BadNalUnit));
    }

    #[test]
    fn nal_length_prefix_cut_short_is_an_error() {
        let sample = Bytes::from_static(&[0, 1, 0x65, 0]);
        assert_eq!(NalUnits::validate(&sample, 2), Err(MediaError::BadNalUnit));
    }

    #[test]
    fn hevc_record_states_its_nal_length_size_in_byte_21() {
        let mut hvcc = [0u8; 23];
        hvcc[0] = 1;
        hvcc[21] = 0xf3;
        assert_eq!(hevc_nal_length_size(&hvcc), Some(4));
        assert_eq!(hevc_nal_length_size(&hvcc[..22]), None);
    }
}

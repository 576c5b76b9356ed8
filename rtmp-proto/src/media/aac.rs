//! AAC AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1): object type, sample
//! rate and channel configuration.

use alloc::vec::Vec;

use super::MediaError;
use super::cursor::{BitReader, BitWriter};

/// Sampling frequencies by samplingFrequencyIndex (0..=12).
const SAMPLE_RATES: [u32; 13] = [
    96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000, 11_025, 8_000,
    7_350,
];

/// The leading fields of an AudioSpecificConfig.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AacConfig {
    /// audioObjectType (1 main, 2 LC, 5 SBR/HE, 29 PS, ... up to 95).
    pub object_type: u8,
    /// samplingFrequencyIndex (0..=12), or 15 when the rate is explicit.
    pub sampling_index: u8,
    /// The sampling frequency in Hz.
    pub sample_rate: u32,
    /// channelConfiguration (0 = defined in the program config element, 1..=7).
    pub channel_config: u8,
}

impl AacConfig {
    /// Parses the leading fields; the rest of the config is not interpreted.
    pub fn parse(data: &[u8]) -> Result<Self, MediaError> {
        let mut r = BitReader::new(data);
        let t = MediaError::BadAacConfig("truncated");
        let mut object_type = r.bits(5).ok_or(t.clone())?;
        if object_type == 31 {
            object_type = 32 + r.bits(6).ok_or(t.clone())?;
        }
        if object_type == 0 {
            return Err(MediaError::BadAacConfig("audioObjectType 0"));
        }
        let sampling_index = r.bits(4).ok_or(t.clone())? as u8;
        let sample_rate = match sampling_index {
            15 => r.bits(24).ok_or(t.clone())?,
            i => *SAMPLE_RATES
                .get(usize::from(i))
                .ok_or(MediaError::BadAacConfig("reserved samplingFrequencyIndex"))?,
        };
        if sample_rate == 0 {
            return Err(MediaError::BadAacConfig("sampling frequency 0"));
        }
        let channel_config = r.bits(4).ok_or(t)? as u8;
        Ok(Self {
            object_type: object_type as u8,
            sampling_index,
            sample_rate,
            channel_config,
        })
    }

    /// The channel count for configurations 1..=7 (7 means 8 channels).
    pub fn channels(&self) -> Option<u8> {
        match self.channel_config {
            1..=6 => Some(self.channel_config),
            7 => Some(8),
            _ => None,
        }
    }

    /// A minimal AudioSpecificConfig with these fields and a default
    /// GASpecificConfig (frame length 1024, no core coder, no extension).
    pub fn encode(&self) -> Result<Vec<u8>, MediaError> {
        if matches!(self.object_type, 0 | 31) || self.object_type > 95 || self.channel_config > 15 {
            return Err(MediaError::Unrepresentable(
                "AAC object type 1..=30 or 32..=95, channel config 0..=15",
            ));
        }
        let mut w = BitWriter::new();
        if self.object_type > 31 {
            w.bits(5, 31);
            w.bits(6, u32::from(self.object_type - 32));
        } else {
            w.bits(5, u32::from(self.object_type));
        }
        match SAMPLE_RATES.iter().position(|&r| r == self.sample_rate) {
            Some(i) if self.sampling_index != 15 => w.bits(4, i as u32),
            _ => {
                if self.sample_rate > 0x00ff_ffff {
                    return Err(MediaError::Unrepresentable("sample rate above 24 bits"));
                }
                w.bits(4, 15);
                w.bits(24, self.sample_rate);
            }
        }
        w.bits(4, u32::from(self.channel_config));
        w.bits(3, 0);
        Ok(w.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lc_44100_stereo() {
        let c = AacConfig::parse(&[0x12, 0x10]).unwrap();
        assert_eq!(
            (
                c.object_type,
                c.sampling_index,
                c.sample_rate,
                c.channel_config
            ),
            (2, 4, 44_100, 2)
        );
        assert_eq!(c.channels(), Some(2));
    }

    #[test]
    fn explicit_sample_rate_follows_index_15() {
        // object type 2, index 15, rate 0x00ac44 (44100), channels 1.
        // 00010 1111 000000001010110001000100 0001 000
        let bits = [0x17, 0x80, 0x56, 0x22, 0x08];
        let c = AacConfig::parse(&bits).unwrap();
        assert_eq!(
            (c.sampling_index, c.sample_rate, c.channel_config),
            (15, 44_100, 1)
        );
    }

    #[test]
    fn object_type_escape_adds_32() {
        // 31, then 6 bits 010000 (16) -> 48; index 3 (48 kHz); channels 2.
        let c = AacConfig {
            object_type: 48,
            sampling_index: 3,
            sample_rate: 48_000,
            channel_config: 2,
        };
        let bytes = c.encode().unwrap();
        assert_eq!(bytes[0] >> 3, 31);
        assert_eq!(AacConfig::parse(&bytes).unwrap(), c);
    }

    #[test]
    fn reserved_sampling_index_is_rejected() {
        // object type 2, index 13.
        assert_eq!(
            // 00010 1101 0010 000
            AacConfig::parse(&[0x16, 0x90]),
            Err(MediaError::BadAacConfig("reserved samplingFrequencyIndex"))
        );
    }

    #[test]
    fn one_byte_is_truncated() {
        assert_eq!(
            AacConfig::parse(&[0x12]),
            Err(MediaError::BadAacConfig("truncated"))
        );
    }

    #[test]
    fn seven_means_eight_channels() {
        let c = AacConfig {
            object_type: 2,
            sampling_index: 3,
            sample_rate: 48_000,
            channel_config: 7,
        };
        assert_eq!(c.channels(), Some(8));
    }
}

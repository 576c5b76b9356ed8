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
        if self.object_type == 0 || self.object_type > 95 || self.channel_config > 15 {
            return Err(MediaError::Unrepresentable(
                "AAC object type 1..=95, channel config 0..=15",
            ));
        }
        let mut w = BitWriter::new();
        if self.object_type >= 31 {
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

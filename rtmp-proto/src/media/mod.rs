//! Media: FLV audio/video tags, legacy and Enhanced RTMP codecs and samples, FLV files.

//! RTMP messages: protocol control, user control, command, data, audio, video and aggregate.

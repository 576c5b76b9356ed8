//! RTMP server and client sessions: connect, createStream, publish, play and
//! everything around them, as Sans-I/O state machines.
//!
//! A session owns one RTMP connection's protocol state (handshake, chunk
//! reader and writer, acknowledgement window, streams, pending requests). It
//! never touches a socket and never reads a clock.
//!
//! # Driving contract
//! - **Inputs**: [`ServerSession::handle_input`] / [`ClientSession::handle_input`]
//!   with [`Input::Bytes`] (bytes read from TCP), [`Input::Timeout`] (the
//!   time given by `next_timeout` has come) or [`Input::TransportClosed`]
//!   (the TCP connection ended), plus the current [`Instant`].
//! - **Application calls**: `accept`, `reject`, `send_metadata`,
//!   `send_media`, `publish`, `play`, `close`. They queue their bytes and
//!   events; they do not return them.
//! - **Outputs**: [`Output::Transmit`] (write these bytes to TCP, in order)
//!   and [`Output::Event`] (something the application must know or answer).
//!   `handle_input` returns every output queued so far, including those
//!   queued by application calls since the last drain.
//!
//! **Drain rule**: after every call (an input or an application call),
//! drain the outputs (`handle_input` does it for you; after an application
//! call use `poll_outputs` / `poll_outputs_into`) and write every
//! `Transmit` before the next call's bytes. The `_into` forms append to a
//! caller-owned `Vec` so a busy loop allocates nothing for the list.
//!
//! Time never runs backwards: a smaller `now` than the last one seen is
//! treated as the last one.
//!
//! # Requests
//! A server raises `connect`, `publish` and `play` as events carrying a
//! [`RequestId`]. The embedder answers with `accept(id)` or `reject(id, ..)`,
//! at once or later. While a request is pending the server reads no further
//! messages (the bytes wait in a bounded buffer), so answers go out in the
//! order the peer asked and at most one request is ever pending. A
//! rejection sends the status the peer's software expects
//! (`_error` + `NetConnection.Connect.Rejected`,
//! `NetStream.Publish.BadName`, `NetStream.Play.StreamNotFound`) and closes
//! the session.
//!
//! # Streams
//! Events name a stream by its [`StreamId`] (the RTMP message stream id),
//! never by cloned application or stream-key strings: the name comes once,
//! with the publish or play request.
//!
//! # Media
//! Audio and video arrive as raw FLV tag bodies ([`bytes::Bytes`], shared
//! with the receive buffer, not copied) with their timestamp. Demuxing is the
//! embedder's choice: feed them to [`crate::media::Demuxer`]. Metadata
//! (`@setDataFrame`/`onMetaData`) arrives parsed as [`crate::media::Metadata`].
//!
//! # Media chunked once for many players
//! A relay that sends one frame to many players can chunk it once and
//! write the same chunks to all of them: [`chunk_media`] writes a message
//! whose first chunk has a full (format 0) header, on the chunk stream the
//! sessions use for that kind ([`AUDIO_CHUNK_STREAM_ID`],
//! [`VIDEO_CHUNK_STREAM_ID`]), so it reads right whatever the player got
//! before. Drain the session's outputs, write the chunks, and tell the
//! session with [`ServerSession::sent_prechunked_media`]: it counts the
//! bytes in [`Counters::bytes_sent`] and makes its own next message on that
//! chunk stream start with a full header too.
//!
//! # Limits
//! Everything a peer controls is bounded: the input held while a request is
//! pending ([`ServerConfig::max_input_backlog`]), the message streams per
//! connection ([`ServerConfig::max_streams`]), the chunk reader's buffers
//! ([`crate::chunk::ChunkLimits`]) and AMF decoding ([`crate::amf0::Limits`]).
//! A peer that breaks the protocol or a limit gets the session closed with
//! [`CloseReason`]; nothing panics on any bytes.

mod client;
mod command;
mod connection;
mod events;
mod server;
#[cfg(test)]
mod tests;

pub use client::{ClientConfig, ClientSession};
pub use command::{ConnectInfo, PlayRequest, PublishRequest, PublishType, split_stream_name};
pub use connection::Counters;
pub use events::{ClientEvent, CloseReason, ServerEvent, StatusInfo};
pub use server::{ServerConfig, ServerSession};

use bytes::Bytes;
use core::fmt;

use crate::chunk::{ChunkError, ChunkWriter};
use crate::media::MediaKind;
use crate::message::type_id;

/// The chunk stream sessions send audio on (4, as ffmpeg and nginx-rtmp).
pub const AUDIO_CHUNK_STREAM_ID: u32 = 4;
/// The chunk stream sessions send video on (6, as ffmpeg and nginx-rtmp).
pub const VIDEO_CHUNK_STREAM_ID: u32 = 6;

/// The chunk stream sessions send `kind` on.
pub fn media_chunk_stream_id(kind: MediaKind) -> u32 {
    match kind {
        MediaKind::Audio => AUDIO_CHUNK_STREAM_ID,
        MediaKind::Video => VIDEO_CHUNK_STREAM_ID,
    }
}

/// Splits an audio or video message for message stream `stream` into
/// chunks of `chunk_size` on [`media_chunk_stream_id`]`(kind)`, and hands
/// each to `emit` as (chunk header, slice of `body`), in wire order. The
/// first header is a full (format 0) one, so the chunks read right after
/// anything else on that chunk stream and can be shared by every player
/// with the same chunk size and stream id. See the
/// [module documentation](self#media-chunked-once-for-many-players).
///
/// The body slices borrow `body` for its lifetime (see
/// [`ChunkWriter::write_chunks`]).
///
/// Fails, emitting nothing, on a bad chunk size or a body longer than
/// 16 MiB - 1.
pub fn chunk_media<'p, F: FnMut(&[u8], &'p [u8])>(
    kind: MediaKind,
    timestamp: u32,
    stream: StreamId,
    chunk_size: u32,
    body: &'p [u8],
    emit: F,
) -> Result<(), ChunkError> {
    let type_id = match kind {
        MediaKind::Audio => type_id::AUDIO,
        MediaKind::Video => type_id::VIDEO,
    };
    let mut writer = ChunkWriter::new();
    writer.set_chunk_size(chunk_size)?;
    writer.write_chunks(
        media_chunk_stream_id(kind),
        timestamp,
        type_id,
        stream.0,
        body,
        emit,
    )
}

/// A point in time in microseconds since an arbitrary origin chosen by the
/// embedder (simulations start at zero).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(u64);

impl Instant {
    /// The origin.
    pub const ZERO: Instant = Instant(0);

    /// An instant this many microseconds after the origin.
    pub const fn from_micros(micros: u64) -> Self {
        Self(micros)
    }

    /// An instant this many milliseconds after the origin.
    pub const fn from_millis(millis: u64) -> Self {
        Self(millis.saturating_mul(1000))
    }

    /// Microseconds since the origin.
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// Milliseconds since the origin.
    pub const fn as_millis(self) -> u64 {
        self.0 / 1000
    }

    /// This instant plus `d` (saturating).
    pub fn saturating_add(self, d: core::time::Duration) -> Self {
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        Self(self.0.saturating_add(micros))
    }
}

/// Something that happened to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input<'a> {
    /// Bytes arrived from the peer (any amount, split anywhere).
    Bytes(&'a [u8]),
    /// The time the session asked for with `next_timeout` has come.
    Timeout,
    /// The transport ended (the peer closed the TCP connection, or it failed).
    TransportClosed,
}

/// What the caller must do after a call.
#[derive(Debug, Clone, PartialEq)]
pub enum Output<E> {
    /// Write these bytes to the peer, in order.
    Transmit(Bytes),
    /// Report this event to the application.
    Event(E),
}

impl<E> Output<E> {
    /// The event, if this output is one.
    pub fn as_event(&self) -> Option<&E> {
        match self {
            Output::Event(e) => Some(e),
            Output::Transmit(_) => None,
        }
    }

    /// The bytes, if this output is a transmit.
    pub fn as_transmit(&self) -> Option<&Bytes> {
        match self {
            Output::Transmit(b) => Some(b),
            Output::Event(_) => None,
        }
    }
}

/// The output type of a [`ServerSession`].
pub type ServerOutput = Output<ServerEvent>;
/// The output type of a [`ClientSession`].
pub type ClientOutput = Output<ClientEvent>;

/// Names one request (connect, publish, play) raised by a server session,
/// for [`ServerSession::accept`] and [`ServerSession::reject`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u32);

/// A message stream (the RTMP message stream id created by `createStream`):
/// the handle events and media calls use for a published or played stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId(pub u32);

/// Why an application call could not be carried out. The session is
/// unchanged when one is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionError {
    /// No request with this id is pending.
    UnknownRequest(RequestId),
    /// The stream does not exist or is not in the state the call needs
    /// (playing, for a server's `send_media`; publishing, for a client's).
    StreamNotReady(StreamId),
    /// The session is closed.
    Closed,
    /// The call is out of order (for a client: publish or play asked twice).
    InvalidState,
    /// A message could not be encoded (too long for the chunk layer, or an
    /// AMF value the encoder refuses).
    Encode,
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::UnknownRequest(id) => write!(f, "no pending request {}", id.0),
            SessionError::StreamNotReady(id) => {
                write!(f, "stream {} is not ready for this call", id.0)
            }
            SessionError::Closed => f.write_str("the session is closed"),
            SessionError::InvalidState => f.write_str("the call is not valid in this state"),
            SessionError::Encode => f.write_str("the message could not be encoded"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for SessionError {}

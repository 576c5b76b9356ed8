//! The RTMP handshake: C0/C1/C2 and S0/S1/S2, simple and digest ("complex") forms.
//!
//! # The exchange
//! The client sends C0 (one version byte, 3) and C1 (1536 bytes); the server
//! answers S0, S1 and S2; the client sends C2. C2 answers S1 and S2 answers
//! C1. Then both directions carry chunks ([`crate::chunk`]).
//!
//! - Simple form: C1/S1 are a 4-byte epoch, 4 zero bytes and 1528 random
//!   bytes; C2/S2 echo the peer's C1/S1.
//! - Digest form (Flash Player 9+ / FMS 3+): the second word of C1/S1 is a
//!   non-zero version, and the packet carries a 32-byte HMAC-SHA256 digest
//!   inside one of two 764-byte blocks (see [`DigestScheme`]), keyed with the
//!   first 30 bytes of the Flash Player key (client) or 36 bytes of the
//!   Flash Media Server key (server). The answer (C2/S2) is 1504 random
//!   bytes followed by HMAC-SHA256 over them, keyed with HMAC-SHA256 of the
//!   peer's digest under the full 62/68-byte key.
//!
//! # Peer behaviour this follows
//! - Version byte: only 3 is accepted, as nginx-rtmp and ffmpeg's server
//!   do. 6 (RTMPE), 8 and 9 (RTMPE variants) and anything else give
//!   [`HandshakeError::UnsupportedVersion`]; the byte is checked as soon as
//!   it arrives.
//! - The server looks for the client's digest with scheme 1 first, then
//!   scheme 0 (nginx's order). A C1 whose version word is 0 is simple. A C1
//!   with a version but no valid digest under either scheme is answered in
//!   the simple form, as nginx does. A valid digest is answered in the digest
//!   form, with S1's digest placed by the same scheme the client used.
//! - Neither side rejects a C2/S2 that fails to verify (nginx never checks
//!   C2; ffmpeg publishing echoes S1 as C2 even after a digest C1). The
//!   client reports what it found in [`Handshake::peer_response_valid`] so a
//!   session can be strict if it wants.
//! - The client sends C2 as soon as S1 arrives, without waiting for S2.
//!
//! # Driving it
//! ```
//! use rtmp_proto::handshake::{ClientConfig, Handshake, ServerConfig};
//! let mut counter = 0u8;
//! let mut rng = |buf: &mut [u8]| buf.iter_mut().for_each(|b| { counter = counter.wrapping_add(1); *b = counter });
//! let mut client = Handshake::client(ClientConfig::default(), &mut rng);
//! let mut server = Handshake::server(ServerConfig::default(), &mut rng);
//! while !(client.is_done() && server.is_done()) {
//!     let to_server = client.take_output();
//!     assert_eq!(server.receive(&to_server).unwrap(), to_server.len());
//!     let to_client = server.take_output();
//!     assert_eq!(client.receive(&to_client).unwrap(), to_client.len());
//! }
//! assert_eq!(client.peer_response_valid(), Some(true));
//! ```
//! Bytes after C2 (the server side) or S2 (the client side) are not
//! consumed: [`Handshake::receive`] returns how many it used and the rest
//! belongs to the chunk reader (ffmpeg sends its first chunk right behind C2).

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The size of C1, C2, S1 and S2.
pub const HANDSHAKE_PACKET_SIZE: usize = 1536;
/// The only RTMP version byte (C0/S0) accepted and sent.
pub const RTMP_VERSION: u8 = 3;
/// The length of a handshake digest (HMAC-SHA256).
pub const DIGEST_LENGTH: usize = 32;
/// The 1504 bytes of a digest-form C2/S2 that precede its signature.
const RESPONSE_SIGNED_LENGTH: usize = HANDSHAKE_PACKET_SIZE - DIGEST_LENGTH;

/// The Flash Player key ("Genuine Adobe Flash Player 001" and 32 constant
/// bytes): the first 30 bytes sign C1, all 62 derive the C2 key.
pub const FLASH_PLAYER_KEY: [u8; 62] = [
    0x47, 0x65, 0x6E, 0x75, 0x69, 0x6E, 0x65, 0x20, 0x41, 0x64, 0x6F, 0x62, 0x65, 0x20, 0x46, 0x6C,
    0x61, 0x73, 0x68, 0x20, 0x50, 0x6C, 0x61, 0x79, 0x65, 0x72, 0x20, 0x30, 0x30, 0x31, 0xF0, 0xEE,
    0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57, 0x6E, 0xEC,
    0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE,
];
/// The Flash Media Server key ("Genuine Adobe Flash Media Server 001" and the
/// same 32 bytes): the first 36 bytes sign S1, all 68 derive the S2 key.
pub const FLASH_MEDIA_SERVER_KEY: [u8; 68] = [
    0x47, 0x65, 0x6E, 0x75, 0x69, 0x6E, 0x65, 0x20, 0x41, 0x64, 0x6F, 0x62, 0x65, 0x20, 0x46, 0x6C,
    0x61, 0x73, 0x68, 0x20, 0x4D, 0x65, 0x64, 0x69, 0x61, 0x20, 0x53, 0x65, 0x72, 0x76, 0x65, 0x72,
    0x20, 0x30, 0x30, 0x31, 0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1,
    0x02, 0x9E, 0x7E, 0x57, 0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36,
    0xCF, 0xEB, 0x31, 0xAE,
];
/// The partial key that signs a digest C1: the first 30 bytes of [`FLASH_PLAYER_KEY`].
const PLAYER_PARTIAL_KEY: &[u8; 30] = b"Genuine Adobe Flash Player 001";
/// The partial key that signs a digest S1: the first 36 bytes of [`FLASH_MEDIA_SERVER_KEY`].
const SERVER_PARTIAL_KEY: &[u8; 36] = b"Genuine Adobe Flash Media Server 001";

/// The version word ffmpeg's client puts in C1 (9.0.124.2).
pub const DEFAULT_CLIENT_VERSION: [u8; 4] = [9, 0, 124, 2];
/// The version word nginx-rtmp puts in S1 (13.14.10.13).
pub const DEFAULT_SERVER_VERSION: [u8; 4] = [13, 14, 10, 13];

/// Where the digest sits in a digest-form C1/S1.
///
/// The 1528 bytes after the epoch and version form two 764-byte blocks; one
/// holds the digest. Its offset is the sum of 4 bytes at the block's start,
/// modulo 728, plus the first byte after those 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestScheme {
    /// Digest block at 8..772: offset = (sum of bytes 8..12) % 728 + 12.
    /// Used by ffmpeg and Flash Player for plain RTMP, and by nginx for S1.
    Scheme0,
    /// Digest block at 772..1536: offset = (sum of bytes 772..776) % 728 + 776.
    Scheme1,
}

impl DigestScheme {
    /// Offset of the digest in `packet` (a C1 or S1).
    fn offset(self, packet: &[u8; HANDSHAKE_PACKET_SIZE]) -> usize {
        let base = match self {
            DigestScheme::Scheme0 => 8,
            DigestScheme::Scheme1 => 772,
        };
        let sum: usize = packet
            .get(base..base + 4)
            .unwrap_or(&[])
            .iter()
            .map(|&b| usize::from(b))
            .sum();
        sum % 728 + base + 4
    }
}

/// Which form a handshake took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandshakeForm {
    /// Echo handshake, no digests.
    Simple,
    /// Digest handshake with the digest placed by this scheme.
    Digest(DigestScheme),
}

/// How a client handshake starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientConfig {
    /// The first word of C1 (a timestamp in milliseconds; 0 is fine).
    pub epoch: u32,
    /// Send a simple C1 (version word 0) or a digest C1.
    pub form: HandshakeForm,
    /// The version word of a digest C1 (ignored for the simple form).
    pub version: [u8; 4],
}

impl Default for ClientConfig {
    /// A digest C1 with scheme 0 and ffmpeg's version word, epoch 0: what
    /// ffmpeg sends.
    fn default() -> Self {
        Self {
            epoch: 0,
            form: HandshakeForm::Digest(DigestScheme::Scheme0),
            version: DEFAULT_CLIENT_VERSION,
        }
    }
}

/// How a server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerConfig {
    /// The first word of S1 (a timestamp in milliseconds; 0 is fine).
    pub epoch: u32,
    /// The version word of a digest S1.
    pub version: [u8; 4],
}

impl Default for ServerConfig {
    /// Epoch 0 and nginx-rtmp's version word.
    fn default() -> Self {
        Self {
            epoch: 0,
            version: DEFAULT_SERVER_VERSION,
        }
    }
}

/// Which side of the handshake this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Sends C0/C1/C2.
    Client,
    /// Sends S0/S1/S2.
    Server,
}

/// Why a handshake failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandshakeError {
    /// The peer's C0/S0 is not 3 (6 is RTMPE, encrypted RTMP, not supported).
    UnsupportedVersion(u8),
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandshakeError::UnsupportedVersion(6) => {
                f.write_str("unsupported RTMP version 6 (RTMPE, encrypted RTMP)")
            }
            HandshakeError::UnsupportedVersion(v) => write!(f, "unsupported RTMP version {v}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for HandshakeError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Server: waiting for C0 and C1. Client: waiting for S0 and S1.
    AwaitVersionAndChallenge,
    /// Server: waiting for C2. Client: waiting for S2.
    AwaitResponse,
    Done,
}

type Packet = Box<[u8; HANDSHAKE_PACKET_SIZE]>;

fn zero_packet() -> Packet {
    Box::new([0u8; HANDSHAKE_PACKET_SIZE])
}

/// A handshake in progress, for either role (Sans-I/O).
///
/// Feed received bytes to [`receive`](Self::receive), send what
/// [`take_output`](Self::take_output) returns, until [`is_done`](Self::is_done).
/// Randomness is drawn once, at construction, from the caller's function.
#[derive(Debug, Clone)]
pub struct Handshake {
    role: Role,
    state: State,
    epoch: u32,
    version: [u8; 4],
    /// Our C1 or S1.
    challenge: Packet,
    /// Random bytes for a digest-form C2/S2.
    response_random: Packet,
    /// The digest inside our challenge, if it has one.
    challenge_digest: Option<[u8; DIGEST_LENGTH]>,
    /// The peer's digest, once found in its challenge.
    peer_digest: Option<[u8; DIGEST_LENGTH]>,
    /// Bytes of the peer's packet being collected.
    input: Vec<u8>,
    output: Vec<u8>,
    form: Option<HandshakeForm>,
    peer_epoch: Option<u32>,
    peer_version: Option<[u8; 4]>,
    peer_response_valid: Option<bool>,
}

impl Handshake {
    /// Starts a client handshake; C0 and C1 are queued for sending at once.
    pub fn client(config: ClientConfig, mut random: impl FnMut(&mut [u8])) -> Self {
        let mut hs = Self::new(Role::Client, config.epoch, config.version, &mut random);
        let form = config.form;
        hs.fill_challenge(form == HandshakeForm::Simple);
        if let HandshakeForm::Digest(scheme) = form {
            hs.challenge_digest = Some(write_digest(&mut hs.challenge, scheme, PLAYER_PARTIAL_KEY));
        }
        hs.form = Some(form);
        hs.output.push(RTMP_VERSION);
        hs.output.extend_from_slice(&hs.challenge[..]);
        hs
    }

    /// Starts a server handshake; it answers once C0 and C1 have arrived.
    pub fn server(config: ServerConfig, mut random: impl FnMut(&mut [u8])) -> Self {
        Self::new(Role::Server, config.epoch, config.version, &mut random)
    }

    fn new(role: Role, epoch: u32, version: [u8; 4], random: &mut dyn FnMut(&mut [u8])) -> Self {
        let mut challenge = zero_packet();
        if let Some(tail) = challenge.get_mut(8..) {
            random(tail);
        }
        let mut response_random = zero_packet();
        if let Some(head) = response_random.get_mut(..RESPONSE_SIGNED_LENGTH) {
            random(head);
        }
        Self {
            role,
            state: State::AwaitVersionAndChallenge,
            epoch,
            version,
            challenge,
            response_random,
            challenge_digest: None,
            peer_digest: None,
            input: Vec::new(),
            output: Vec::new(),
            form: None,
            peer_epoch: None,
            peer_version: None,
            peer_response_valid: None,
        }
    }

    /// Writes epoch and version word into our challenge (random bytes are already there).
    fn fill_challenge(&mut self, simple: bool) {
        let version = if simple { [0; 4] } else { self.version };
        if let Some((epoch, rest)) = self.challenge.split_first_chunk_mut::<4>() {
            *epoch = self.epoch.to_be_bytes();
            if let Some(word) = rest.first_chunk_mut::<4>() {
                *word = version;
            }
        }
    }

    /// Which side this is.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Consumes handshake bytes from `input` and returns how many were used.
    ///
    /// Stops right after the last handshake byte (C2 for a server, S2 for a
    /// client): anything after it is chunk data. Returns 0 once done.
    pub fn receive(&mut self, input: &[u8]) -> Result<usize, HandshakeError> {
        let mut used = 0;
        loop {
            let rest = input.get(used..).unwrap_or(&[]);
            let need = match self.state {
                State::AwaitVersionAndChallenge => 1 + HANDSHAKE_PACKET_SIZE,
                State::AwaitResponse => HANDSHAKE_PACKET_SIZE,
                State::Done => return Ok(used),
            };
            let version_byte = match self.state {
                State::AwaitVersionAndChallenge if self.input.is_empty() => rest.first(),
                _ => None,
            };
            match version_byte {
                Some(&version) if version != RTMP_VERSION => {
                    return Err(HandshakeError::UnsupportedVersion(version));
                }
                _ => {}
            }
            let take = need.saturating_sub(self.input.len()).min(rest.len());
            self.input
                .extend_from_slice(rest.get(..take).unwrap_or(&[]));
            used += take;
            if self.input.len() < need {
                return Ok(used);
            }
            let packet = core::mem::take(&mut self.input);
            match (self.state, self.role) {
                (State::AwaitVersionAndChallenge, Role::Server) => self.on_c0c1(&packet),
                (State::AwaitVersionAndChallenge, Role::Client) => self.on_s0s1(&packet),
                (State::AwaitResponse, Role::Server) => self.state = State::Done,
                (State::AwaitResponse, Role::Client) => self.on_s2(&packet),
                (State::Done, _) => {}
            }
            self.input = packet;
            self.input.clear();
        }
    }

    /// Server: C0 and C1 arrived; queue S0, S1 and S2.
    fn on_c0c1(&mut self, c0c1: &[u8]) {
        let c1 = packet_from(c0c1.get(1..).unwrap_or(&[]));
        self.note_peer_challenge(&c1);
        let found = if self.peer_version == Some([0; 4]) {
            None
        } else {
            find_digest(&c1, PLAYER_PARTIAL_KEY)
        };
        self.fill_challenge(found.is_none());
        self.output.push(RTMP_VERSION);
        match found {
            Some((scheme, client_digest)) => {
                self.form = Some(HandshakeForm::Digest(scheme));
                self.challenge_digest = Some(write_digest(
                    &mut self.challenge,
                    scheme,
                    SERVER_PARTIAL_KEY,
                ));
                self.peer_digest = Some(client_digest);
                self.output.extend_from_slice(&self.challenge[..]);
                let s2 = signed_response(
                    &self.response_random,
                    &FLASH_MEDIA_SERVER_KEY,
                    &client_digest,
                );
                self.output.extend_from_slice(&s2[..]);
            }
            None => {
                self.form = Some(HandshakeForm::Simple);
                self.output.extend_from_slice(&self.challenge[..]);
                self.output.extend_from_slice(&c1[..]);
            }
        }
        self.state = State::AwaitResponse;
    }

    /// Client: S0 and S1 arrived; queue C2.
    fn on_s0s1(&mut self, s0s1: &[u8]) {
        let s1 = packet_from(s0s1.get(1..).unwrap_or(&[]));
        self.note_peer_challenge(&s1);
        let found = if self.challenge_digest.is_some() && self.peer_version != Some([0; 4]) {
            find_digest(&s1, SERVER_PARTIAL_KEY)
        } else {
            None
        };
        match found {
            Some((_, server_digest)) => {
                self.peer_digest = Some(server_digest);
                let c2 = signed_response(&self.response_random, &FLASH_PLAYER_KEY, &server_digest);
                self.output.extend_from_slice(&c2[..]);
            }
            None => {
                self.form = Some(HandshakeForm::Simple);
                self.output.extend_from_slice(&s1[..]);
            }
        }
        self.state = State::AwaitResponse;
    }

    /// Client: S2 arrived; check it against C1 (not enforced).
    fn on_s2(&mut self, s2: &[u8]) {
        // The spec lets S2's second word carry the time C1 was read, and
        // ffmpeg's server compares only the random part too.
        let echo = s2.get(8..) == self.challenge.get(8..);
        let signed = match (self.peer_digest, self.challenge_digest) {
            (Some(_), Some(own)) => {
                let key = hmac_sha256(&FLASH_MEDIA_SERVER_KEY, &[&own]);
                let (body, signature) = s2
                    .split_at_checked(RESPONSE_SIGNED_LENGTH)
                    .unwrap_or((s2, &[]));
                hmac_sha256(&key, &[body]) == signature
            }
            _ => false,
        };
        self.peer_response_valid = Some(echo || signed);
        self.state = State::Done;
    }

    fn note_peer_challenge(&mut self, packet: &[u8; HANDSHAKE_PACKET_SIZE]) {
        let (epoch, rest) = packet.split_first_chunk::<4>().unwrap_or((&[0; 4], &[]));
        self.peer_epoch = Some(u32::from_be_bytes(*epoch));
        self.peer_version = rest.first_chunk::<4>().copied();
    }

    /// Whether the handshake is complete (C2 or S2 received).
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Bytes waiting to be sent to the peer.
    pub fn pending_output(&self) -> &[u8] {
        &self.output
    }

    /// Takes the bytes to send to the peer, leaving none pending.
    pub fn take_output(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.output)
    }

    /// The form the handshake took: for a client, its own choice until S1
    /// shows whether the server answered with a digest; for a server, known
    /// once C1 arrived.
    pub fn form(&self) -> Option<HandshakeForm> {
        self.form
    }

    /// The epoch word of the peer's C1/S1, once received.
    pub fn peer_epoch(&self) -> Option<u32> {
        self.peer_epoch
    }

    /// The version word of the peer's C1/S1, once received (all zero for the simple form).
    pub fn peer_version(&self) -> Option<[u8; 4]> {
        self.peer_version
    }

    /// Client only: whether S2 was a valid answer to C1 (an echo of its 1528
    /// random bytes, or a digest response signed with the Flash Media Server
    /// key). `None` before S2, and always `None` for a server.
    pub fn peer_response_valid(&self) -> Option<bool> {
        self.peer_response_valid
    }
}

fn packet_from(bytes: &[u8]) -> Packet {
    let mut packet = zero_packet();
    if let Some(src) = bytes.get(..HANDSHAKE_PACKET_SIZE) {
        packet.copy_from_slice(src);
    }
    packet
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; DIGEST_LENGTH] {
    // HMAC takes keys of any length; the error branch cannot happen.
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        return [0; DIGEST_LENGTH];
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The digest of `packet` with the 32 bytes at `offset` left out.
fn digest_skipping(packet: &[u8; HANDSHAKE_PACKET_SIZE], offset: usize, key: &[u8]) -> [u8; 32] {
    let before = packet.get(..offset).unwrap_or(&[]);
    let after = packet.get(offset + DIGEST_LENGTH..).unwrap_or(&[]);
    hmac_sha256(key, &[before, after])
}

/// Computes and stores the digest of a C1/S1 under `scheme`; returns it.
fn write_digest(
    packet: &mut [u8; HANDSHAKE_PACKET_SIZE],
    scheme: DigestScheme,
    key: &[u8],
) -> [u8; DIGEST_LENGTH] {
    let offset = scheme.offset(packet);
    let digest = digest_skipping(packet, offset, key);
    if let Some(slot) = packet.get_mut(offset..offset + DIGEST_LENGTH) {
        slot.copy_from_slice(&digest);
    }
    digest
}

/// Finds a valid digest in a C1/S1, trying scheme 1 then scheme 0.
fn find_digest(
    packet: &[u8; HANDSHAKE_PACKET_SIZE],
    key: &[u8],
) -> Option<(DigestScheme, [u8; DIGEST_LENGTH])> {
    [DigestScheme::Scheme1, DigestScheme::Scheme0]
        .into_iter()
        .find_map(|scheme| {
            let offset = scheme.offset(packet);
            let computed = digest_skipping(packet, offset, key);
            (packet.get(offset..offset + DIGEST_LENGTH) == Some(&computed[..]))
                .then_some((scheme, computed))
        })
}

/// A digest-form C2/S2: 1504 random bytes and their HMAC under
/// HMAC(full_key, peer_digest).
fn signed_response(random: &Packet, full_key: &[u8], peer_digest: &[u8; DIGEST_LENGTH]) -> Packet {
    let mut response = random.clone();
    let key = hmac_sha256(full_key, &[peer_digest]);
    let (body, signature) = response.split_at_mut(RESPONSE_SIGNED_LENGTH);
    signature.copy_from_slice(&hmac_sha256(&key, &[body]));
    response
}

#[cfg(test)]
mod tests;

//! Command handling of the server session: `connect`, `createStream`,
//! `publish`, `play`, `FCUnpublish`, `closeStream`, `deleteStream`,
//! `receiveAudio`/`receiveVideo`, `pause`; and the answers to accepted
//! requests.

use alloc::string::String;

use super::{Pending, ServerSession, Stream, StreamState};
use crate::amf0::Value;
use crate::message::{LimitType, Message, UserControlEvent};
use crate::session::command::{
    Command, ConnectInfo, PlayRequest, PublishRequest, PublishType, command, data, on_status,
    split_stream_name,
};
use crate::session::connection::{CSID_COMMAND, CSID_STREAM};
use crate::session::events::{CloseReason, ServerEvent};
use crate::session::{RequestId, SessionError, StreamId};

impl ServerSession {
    pub(super) fn accept_connect(
        &mut self,
        transaction: f64,
        object_encoding: f64,
    ) -> Result<(), SessionError> {
        self.connected = true;
        self.conn.send_window_ack_size(self.config.window_ack_size);
        self.conn.send_control(&Message::SetPeerBandwidth {
            window_size: self.config.peer_bandwidth,
            limit_type: LimitType::Dynamic,
        });
        self.conn.set_chunk_size(self.config.chunk_size);
        let properties = Value::object([
            ("fmsVer", self.config.fms_version.as_str().into()),
            ("capabilities", self.config.capabilities.into()),
        ]);
        let info = Value::object([
            ("level", "status".into()),
            ("code", "NetConnection.Connect.Success".into()),
            ("description", "Connection succeeded.".into()),
            ("objectEncoding", object_encoding.into()),
        ]);
        let message = command(&["_result".into(), transaction.into(), properties, info])?;
        self.conn.send(CSID_COMMAND, 0, 0, &message)?;
        if let Some(interval) = self.config.ping_interval {
            self.next_ping = Some(self.conn.now().saturating_add(interval));
        }
        Ok(())
    }

    pub(super) fn accept_publish(&mut self, stream: u32, name: String) -> Result<(), SessionError> {
        self.set_state(stream, StreamState::Publishing(name));
        let message = on_status("status", "NetStream.Publish.Start", "Start publishing")?;
        self.conn.send(CSID_STREAM, 0, stream, &message)
    }

    pub(super) fn accept_play(&mut self, stream: u32, reset: bool) -> Result<(), SessionError> {
        self.set_state(stream, StreamState::Playing);
        self.conn
            .send_control(&Message::UserControl(UserControlEvent::StreamBegin {
                stream_id: stream,
            }));
        if reset {
            let message = on_status("status", "NetStream.Play.Reset", "Playing and resetting")?;
            self.conn.send(CSID_STREAM, 0, stream, &message)?;
        }
        let message = on_status("status", "NetStream.Play.Start", "Start live")?;
        self.conn.send(CSID_STREAM, 0, stream, &message)?;
        let access = data(&["|RtmpSampleAccess".into(), true.into(), true.into()])?;
        self.conn.send(CSID_STREAM, 0, stream, &access)
    }

    pub(super) fn new_request(&mut self, pending: Pending) -> RequestId {
        let id = RequestId(self.next_request);
        self.next_request = self.next_request.wrapping_add(1);
        self.pending = Some((id, pending));
        id
    }

    pub(super) fn on_command(
        &mut self,
        stream_id: u32,
        cmd: &Command<'_>,
    ) -> Result<(), CloseReason> {
        let name = cmd.name();
        if name == "connect" {
            if self.connect_seen || stream_id != 0 {
                return Err(CloseReason::UnexpectedCommand);
            }
            self.connect_seen = true;
            let info = match cmd.object() {
                Some(object) => ConnectInfo::from_object(object),
                None => ConnectInfo::from_object(&Value::Null),
            };
            let request = self.new_request(Pending::Connect {
                transaction: cmd.transaction,
                object_encoding: info.object_encoding,
            });
            self.conn
                .event(ServerEvent::ConnectRequest { request, info });
            return Ok(());
        }
        if !self.connected {
            return Err(CloseReason::UnexpectedCommand);
        }
        match name {
            "createStream" => self.on_create_stream(cmd.transaction),
            "releaseStream" | "FCPublish" => {
                // nginx-rtmp sends nothing; ffmpeg and OBS do not wait for an
                // answer but accept a `_result` (as SRS sends one).
                if cmd.transaction != 0.0 {
                    let message = command(&[
                        "_result".into(),
                        cmd.transaction.into(),
                        Value::Null,
                        Value::Undefined,
                    ]);
                    if let Ok(message) = message {
                        let _ = self.conn.send(CSID_COMMAND, 0, 0, &message);
                    }
                }
                Ok(())
            }
            "publish" => {
                self.check_idle(stream_id)?;
                let full = cmd.arg_str(0).unwrap_or_default();
                let (stream_name, query) = split_stream_name(full);
                let publish = PublishRequest {
                    name: String::from(stream_name),
                    query: query.map(String::from),
                    kind: PublishType::from_name(cmd.arg_str(1).unwrap_or("live")),
                };
                self.set_state(stream_id, StreamState::Requested);
                let request = self.new_request(Pending::Publish {
                    stream: stream_id,
                    name: publish.name.clone(),
                });
                self.conn.event(ServerEvent::PublishRequest {
                    request,
                    stream: StreamId(stream_id),
                    publish,
                });
                Ok(())
            }
            "play" => {
                self.check_idle(stream_id)?;
                let full = cmd.arg_str(0).unwrap_or_default();
                let (stream_name, query) = split_stream_name(full);
                let play = PlayRequest {
                    name: String::from(stream_name),
                    query: query.map(String::from),
                    start: cmd.arg_f64(1).unwrap_or(-2.0),
                    duration: cmd.arg_f64(2).unwrap_or(-1.0),
                    reset: cmd.arg_bool(3).unwrap_or(true),
                };
                self.set_state(stream_id, StreamState::Requested);
                let request = self.new_request(Pending::Play {
                    stream: stream_id,
                    reset: play.reset,
                });
                self.conn.event(ServerEvent::PlayRequest {
                    request,
                    stream: StreamId(stream_id),
                    play,
                });
                Ok(())
            }
            "FCUnpublish" => {
                let target = cmd.arg_str(0).map(|n| split_stream_name(n).0);
                let id = self.streams.iter().find_map(|s| match (&s.state, target) {
                    (StreamState::Publishing(n), Some(t)) if n == t => Some(s.id),
                    _ => None,
                });
                if let Some(id) = id {
                    self.end_stream(id);
                }
                Ok(())
            }
            "closeStream" => {
                self.end_stream(stream_id);
                Ok(())
            }
            "deleteStream" => {
                let id = cmd.arg_f64(0).map(|n| n as u32).unwrap_or(stream_id);
                self.end_stream(id);
                self.streams.retain(|s| s.id != id);
                Ok(())
            }
            "receiveAudio" | "receiveVideo" => {
                if self.streams.iter().any(|s| s.id == stream_id) {
                    self.conn.event(ServerEvent::ReceiveMedia {
                        stream: StreamId(stream_id),
                        video: name == "receiveVideo",
                        enabled: cmd.arg_bool(0).unwrap_or(true),
                    });
                }
                Ok(())
            }
            "pause" => {
                if self
                    .streams
                    .iter()
                    .any(|s| s.id == stream_id && s.state == StreamState::Playing)
                {
                    let paused = cmd.arg_bool(0).unwrap_or(true);
                    let position_ms = cmd.arg_f64(1).unwrap_or(0.0);
                    let (code, description) = if paused {
                        ("NetStream.Pause.Notify", "Paused")
                    } else {
                        ("NetStream.Unpause.Notify", "Unpaused")
                    };
                    if let Ok(message) = on_status("status", code, description) {
                        let _ = self.conn.send(CSID_STREAM, 0, stream_id, &message);
                    }
                    self.conn.event(ServerEvent::Pause {
                        stream: StreamId(stream_id),
                        paused,
                        position_ms,
                    });
                }
                Ok(())
            }
            _ => {
                self.conn.counters.ignored_messages += 1;
                Ok(())
            }
        }
    }

    pub(super) fn check_idle(&self, stream_id: u32) -> Result<(), CloseReason> {
        match self.streams.iter().find(|s| s.id == stream_id) {
            Some(s) if s.state == StreamState::Idle => Ok(()),
            _ => Err(CloseReason::UnexpectedCommand),
        }
    }

    pub(super) fn on_create_stream(&mut self, transaction: f64) -> Result<(), CloseReason> {
        let max = self.config.max_streams;
        if self.streams.len() >= max {
            return Err(CloseReason::TooManyStreams { max });
        }
        let id = self.next_stream_id;
        self.next_stream_id = id
            .checked_add(1)
            .ok_or(CloseReason::TooManyStreams { max })?;
        self.streams.push(Stream {
            id,
            state: StreamState::Idle,
        });
        if let Ok(message) =
            command(&["_result".into(), transaction.into(), Value::Null, id.into()])
        {
            let _ = self.conn.send(CSID_COMMAND, 0, 0, &message);
        }
        Ok(())
    }
}

//! SrtServer: connections reach the handler by their stream id's mode and
//! are closed when it returns. The same cases for both adapters (compiled
//! by srt-smol's `tests/server.rs` against its own `rt`).

#[path = "common.rs"]
mod common;

use crate::rt::{self, Handler, Role, Session, SrtError, SrtServer, SrtSocket};
use bytes::Bytes;
use common::{any_port, within};
use futures_util::{SinkExt, StreamExt};
use srt_proto::access::Whitelist;
use srt_proto::packet::reject::RejectReason;
use srt_proto::streamid::StreamId;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Records what publishers send; greets subscribers with three messages.
#[derive(Clone, Default)]
struct Recorder {
    published: Arc<Mutex<Vec<(String, Bytes)>>>,
    rejected: Arc<Mutex<Vec<RejectReason>>>,
}

impl Handler for Recorder {
    async fn serve(&self, session: &mut Session) {
        let resource = session
            .stream_id
            .as_ref()
            .and_then(StreamId::resource)
            .unwrap_or_default()
            .to_owned();
        match session.role {
            Role::Publish => {
                while let Some(Ok((_, data))) = session.socket.next().await {
                    self.published
                        .lock()
                        .unwrap()
                        .push((resource.clone(), data));
                }
            }
            Role::Subscribe => {
                for i in 0..3u8 {
                    let hello = Bytes::from(format!("{resource} {i}"));
                    if session.socket.send((Instant::now(), hello)).await.is_err() {
                        return;
                    }
                }
            }
        }
    }

    fn rejected(&self, error: SrtError) {
        self.rejected.lock().unwrap().extend(error.reject_reason());
    }
}

/// Serves publishers only: [`Handler::classify`] refuses the rest.
struct PublishOnly;

impl Handler for PublishOnly {
    fn classify(&self, stream_id: Option<&StreamId>) -> Option<Role> {
        let role = Recorder::default().classify(stream_id)?;
        (role == Role::Publish).then_some(role)
    }

    async fn serve(&self, session: &mut Session) {
        while let Some(Ok(_)) = session.socket.next().await {}
    }
}

/// A server with `handler` (and `policy`, if any) serving in the
/// background; its address.
async fn start(handler: Recorder, policy: Option<Whitelist>) -> SocketAddr {
    start_with(handler, policy).await
}

/// [`start`] with any handler.
async fn start_with(handler: impl Handler, policy: Option<Whitelist>) -> SocketAddr {
    let mut builder = SrtSocket::builder();
    if let Some(policy) = policy {
        builder = builder.access_policy(policy);
    }
    let server = SrtServer::bind(builder, any_port()).await.unwrap();
    let addr = server.local_addr();
    rt::detach(server.serve(handler));
    addr
}

/// Waits (at most `common::WAIT`) until `done` holds.
async fn until(what: &str, done: impl Fn() -> bool) {
    within(what, async {
        while !done() {
            rt::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

#[test]
fn a_publisher_reaches_the_publish_role_with_its_resource() {
    rt::block_on(async {
        let handler = Recorder::default();
        let addr = start(handler.clone(), None).await;
        let call = SrtSocket::builder()
            .stream_id("#!::r=live/cam1,m=publish")
            .call(addr);
        let mut publisher = within("call", call).await.unwrap();
        for i in 0..5u8 {
            publisher
                .send((Instant::now(), Bytes::from(vec![i; 10])))
                .await
                .unwrap();
        }
        // A live receiver drops what it still holds for playback when the
        // connection ends: let the server's side play it out first.
        rt::sleep(Duration::from_millis(500)).await;
        within("close", publisher.close()).await.unwrap();
        until("5 published", || {
            handler.published.lock().unwrap().len() >= 5
        })
        .await;
        let published = handler.published.lock().unwrap().clone();
        let want: Vec<_> = (0..5u8)
            .map(|i| ("live/cam1".to_owned(), Bytes::from(vec![i; 10])))
            .collect();
        assert_eq!(published, want);
    });
}

#[test]
fn a_subscriber_gets_what_the_handler_sends_then_the_server_closes_it() {
    rt::block_on(async {
        let addr = start(Recorder::default(), None).await;
        let call = SrtSocket::builder().stream_id("#!::r=news").call(addr);
        let mut subscriber = within("call", call).await.unwrap();
        let mut got = Vec::new();
        while let Some(message) = within("message", subscriber.next()).await {
            got.push(message.unwrap().1);
        }
        assert_eq!(got, ["news 0", "news 1", "news 2"]);
    });
}

#[test]
fn a_caller_the_access_policy_refuses_reaches_the_rejected_hook() {
    rt::block_on(async {
        let handler = Recorder::default();
        let policy = Whitelist::by_resource().with(["open"]);
        let addr = start(handler.clone(), Some(policy)).await;
        let call = SrtSocket::builder().stream_id("#!::r=closed").call(addr);
        let error = within("call", call).await.expect_err("connected");
        assert_eq!(error.reject_reason().map(RejectReason::code), Some(1403));
        until("the hook", || !handler.rejected.lock().unwrap().is_empty()).await;
        let rejected = handler.rejected.lock().unwrap().clone();
        assert_eq!(
            rejected.iter().map(|r| r.code()).collect::<Vec<_>>(),
            [1403]
        );
    });
}

#[test]
fn a_handler_can_refuse_a_role_and_the_connection_is_closed_at_once() {
    rt::block_on(async {
        let addr = start_with(PublishOnly, None).await;
        let call = SrtSocket::builder().stream_id("#!::r=news").call(addr);
        let mut subscriber = within("call", call).await.unwrap();
        let end = within("close", subscriber.next()).await;
        assert!(end.is_none(), "{end:?}");
    });
}

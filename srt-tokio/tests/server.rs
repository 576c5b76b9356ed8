//! SrtServer: connections reach the handler by their stream id's mode and
//! are closed when it returns.

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use srt_proto::access::Whitelist;
use srt_proto::packet::reject::RejectReason;
use srt_proto::streamid::StreamId;
use srt_tokio::{Handler, Role, Session, SrtError, SrtServer, SrtSocket};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

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

async fn start(handler: Recorder, policy: Option<Whitelist>) -> std::net::SocketAddr {
    let mut builder = SrtSocket::builder();
    if let Some(policy) = policy {
        builder = builder.access_policy(policy);
    }
    let server = SrtServer::bind(builder, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = server.local_addr();
    tokio::spawn(server.serve(handler));
    addr
}

#[tokio::test]
async fn a_publisher_reaches_the_publish_role_with_its_resource() {
    let handler = Recorder::default();
    let addr = start(handler.clone(), None).await;
    let call = SrtSocket::builder()
        .stream_id("#!::r=live/cam1,m=publish")
        .call(addr);
    let mut publisher = timeout(WAIT, call).await.unwrap().unwrap();
    for i in 0..5u8 {
        publisher
            .send((Instant::now(), Bytes::from(vec![i; 10])))
            .await
            .unwrap();
    }
    // A live receiver drops what it still holds for playback when the
    // connection ends: let the server's side play it out first.
    tokio::time::sleep(Duration::from_millis(500)).await;
    timeout(WAIT, publisher.close()).await.unwrap().unwrap();
    let end = Instant::now() + WAIT;
    while handler.published.lock().unwrap().len() < 5 && Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let published = handler.published.lock().unwrap().clone();
    let want: Vec<_> = (0..5u8)
        .map(|i| ("live/cam1".to_owned(), Bytes::from(vec![i; 10])))
        .collect();
    assert_eq!(published, want);
}

#[tokio::test]
async fn a_subscriber_gets_what_the_handler_sends_then_the_server_closes_it() {
    let addr = start(Recorder::default(), None).await;
    let call = SrtSocket::builder().stream_id("#!::r=news").call(addr);
    let mut subscriber = timeout(WAIT, call).await.unwrap().unwrap();
    let mut got = Vec::new();
    while let Some(message) = timeout(WAIT, subscriber.next()).await.unwrap() {
        got.push(message.unwrap().1);
    }
    assert_eq!(got, ["news 0", "news 1", "news 2"]);
}

#[tokio::test]
async fn a_caller_the_access_policy_refuses_reaches_the_rejected_hook() {
    let handler = Recorder::default();
    let policy = Whitelist::by_resource().with(["open"]);
    let addr = start(handler.clone(), Some(policy)).await;
    let call = SrtSocket::builder().stream_id("#!::r=closed").call(addr);
    let error = timeout(WAIT, call).await.unwrap().expect_err("connected");
    assert_eq!(error.reject_reason().map(RejectReason::code), Some(1403));
    let end = Instant::now() + WAIT;
    while handler.rejected.lock().unwrap().is_empty() && Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let rejected = handler.rejected.lock().unwrap().clone();
    assert_eq!(
        rejected.iter().map(|r| r.code()).collect::<Vec<_>>(),
        [1403]
    );
}

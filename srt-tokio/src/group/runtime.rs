//! The tokio half of a group's task: the spawn and the timer. What the
//! task does is runtime-neutral (`task.rs`, [`GroupTask::run`]).

use crate::group::{GroupTask, WakeTimer};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::time::Sleep;

/// Runs the group's task on the current tokio runtime.
pub(crate) fn spawn(task: GroupTask) {
    tokio::spawn(async move {
        let sleep = std::pin::pin!(tokio::time::sleep_until(tokio::time::Instant::now()));
        task.run(sleep).await;
    });
}

impl WakeTimer for Pin<&mut Sleep> {
    fn set(&mut self, at: std::time::Instant) {
        self.as_mut().reset(at.into());
    }

    fn poll_fired(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.as_mut().poll(cx)
    }
}

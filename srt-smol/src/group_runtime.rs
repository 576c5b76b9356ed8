//! The smol half of a group's task: the spawn and the timer. What the
//! task does is srt-tokio's runtime-neutral `group/task.rs`
//! ([`GroupTask::run`]).

use crate::group::{GroupTask, WakeTimer};
use smol::Timer;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Runs the group's task on smol's global executor.
pub(crate) fn spawn(task: GroupTask) {
    smol::spawn(task.run(Timer::never())).detach();
}

impl WakeTimer for Timer {
    fn set(&mut self, at: std::time::Instant) {
        self.set_at(at);
    }

    fn poll_fired(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(self).poll(cx).map(drop)
    }
}

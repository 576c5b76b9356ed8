//! The tokio half of a group's task: the spawn and the timer. What the
//! task does is runtime-neutral (`task.rs`).

use crate::group::GroupTask;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;

/// Runs the group's task on the current tokio runtime.
pub(crate) fn spawn(task: GroupTask) {
    tokio::spawn(run(task));
}

async fn run(mut task: GroupTask) {
    let mut sleep = pin!(tokio::time::sleep_until(tokio::time::Instant::now()));
    // The deadline `sleep` is armed for; `None` once it fired.
    let mut armed: Option<std::time::Instant> = None;
    loop {
        let wake_at = task.next_wake();
        if wake_at != armed {
            if let Some(at) = wake_at {
                sleep.as_mut().reset(at.into());
            }
            armed = wake_at;
        }
        let fired = poll_fn(|cx| {
            let any = task.poll_inputs(cx);
            let fired = armed.is_some() && sleep.as_mut().poll(cx).is_ready();
            if fired {
                armed = None;
            }
            if any || fired {
                Poll::Ready(fired)
            } else {
                Poll::Pending
            }
        })
        .await;
        if fired {
            task.handle_timeout();
        }
        if task.is_done() {
            return;
        }
    }
}

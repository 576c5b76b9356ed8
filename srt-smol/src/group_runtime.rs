//! The smol half of a group's task: the spawn and the timer. What the
//! task does is srt-tokio's runtime-neutral `group/task.rs`.

use crate::group::GroupTask;
use smol::Timer;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;

/// Runs the group's task on smol's global executor.
pub(crate) fn spawn(task: GroupTask) {
    smol::spawn(run(task)).detach();
}

async fn run(mut task: GroupTask) {
    let mut timer = Timer::never();
    // The deadline `timer` is set for; `None` once it fired.
    let mut armed: Option<std::time::Instant> = None;
    loop {
        let wake_at = task.next_wake();
        if wake_at != armed {
            match wake_at {
                Some(at) => timer.set_at(at),
                None => timer = Timer::never(),
            }
            armed = wake_at;
        }
        let fired = poll_fn(|cx| {
            let any = task.poll_inputs(cx);
            let fired = armed.is_some() && Pin::new(&mut timer).poll(cx).is_ready();
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

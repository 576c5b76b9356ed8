//! Memory held by an idle connection: the struct itself plus what it keeps
//! allocated, measured with a counting allocator (the target is at
//! most 64 KiB per idle connection).

#![cfg(feature = "sim")]

mod connection_support;

use connection_support::*;
use core::time::Duration;
use srt_proto::connection::Connection;
use srt_proto::time::Instant;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn an_idle_live_connection_holds_less_than_64_kib() {
    let (pa, _) = pair_params(1, true, Duration::from_millis(120), Instant::ZERO);
    let before = LIVE.load(Ordering::Relaxed);
    let mut conn = Box::new(Connection::new(pa, [1; 32]));
    // A few keepalive periods of silence.
    while let Some(now) = conn.next_timeout() {
        if now > Instant::ZERO + Duration::from_secs(4) {
            break;
        }
        conn.handle_timeout(now);
        while conn.poll_transmit(now).is_some() {}
    }
    let held = LIVE.load(Ordering::Relaxed) - before;
    eprintln!(
        "idle connection: {} bytes (struct {} bytes)",
        held,
        core::mem::size_of::<Connection>()
    );
    assert!(held > 0);
    assert!(held <= 64 * 1024, "{held} bytes");
    drop(conn);
}

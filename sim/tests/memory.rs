//! Memory stays flat over many runs: after a warm-up, thousands more simulations
//! on the same thread leave no live heap memory behind.
//!
//! This is a test binary of its own, apart from `tests/it`, because it installs a
//! counting `#[global_allocator]`: the allocator of a binary counts every
//! allocation of the process, so any other test running at the same time (the
//! test harness runs tests on parallel threads) would show up as growth. Alone
//! in its process, with a single test, the count measures only the simulations.

use microsim::net::{Socket, ToAddr};
use microsim::{Latency, RecordMode, Sim};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

/// The system allocator, counting the bytes it hands out and takes back.
struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
static FREED: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to `System`; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            ALLOCATED.fetch_add(layout.size(), Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            ALLOCATED.fetch_add(layout.size(), Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (through this wrapper).
        unsafe { System.dealloc(ptr, layout) };
        FREED.fetch_add(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc`, and the caller upholds `realloc`'s contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            FREED.fetch_add(layout.size(), Relaxed);
            ALLOCATED.fetch_add(new_size, Relaxed);
        }
        p
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// Heap bytes allocated and not yet freed, process-wide.
fn live_bytes() -> usize {
    ALLOCATED.load(Relaxed).saturating_sub(FREED.load(Relaxed))
}

/// Answers n with n + 1.
async fn server() {
    let socket = Socket::<u64>::bind("pingpong").unwrap();
    loop {
        let (from, n) = socket.recv().await;
        socket.send_to(from, n + 1);
    }
}

/// One small pingpong run: a server answers n with n + 1, a client makes
/// `rounds` round trips and logs once.
fn pingpong(seed: u64, rounds: u64) {
    let mut sim = Sim::builder()
        .seed(seed)
        .record(RecordMode::Summary)
        .latency(Latency::uniform(Duration::from_millis(1), Duration::from_millis(5)))
        .build();
    sim.node("server", server).unwrap();
    sim.client("client", move || async move {
        let socket = Socket::<u64>::bind("pingpong").unwrap();
        let server = ("server", "pingpong").to_addr();
        let mut n = 0;
        for _ in 0..rounds {
            socket.send_to(server, n);
            let (_, answer) = socket.recv().await;
            assert_eq!(answer, n + 1);
            n = answer;
        }
        tracing::info!(n, "done");
    })
    .unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
}

#[test]
fn memory_stays_flat_over_ten_thousand_runs() {
    const BOUND: usize = 64 * 1024;
    for seed in 0..1_000 {
        pingpong(seed, 3);
    }
    let warm = live_bytes();
    for seed in 1_000..10_000 {
        pingpong(seed, 3);
    }
    let after = live_bytes();
    let growth = after.saturating_sub(warm);
    assert!(growth < BOUND, "live heap grew by {growth} bytes from run 1,000 ({warm} B) to run 10,000 ({after} B)");
}

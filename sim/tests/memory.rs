//! Memory stays flat over many runs: after a warm-up, thousands more simulations
//! on the same thread leave no live heap memory behind; and a run's steady state
//! (polls, messages) allocates nothing.
//!
//! This is a test binary of its own, apart from `tests/it`, because it installs a
//! counting `#[global_allocator]`: the allocator of a binary counts every
//! allocation of the process, so any other test running at the same time (the
//! test harness runs tests on parallel threads) would show up as growth. Alone
//! in its process, with a single test, the count measures only the simulations.

use microsim::net::{Socket, ToAddr};
use microsim::{Latency, RecordMode, Sim};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

/// The system allocator, counting the bytes it hands out and takes back.
struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
static FREED: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Allocation calls made by this thread (a `Cell` without a destructor, so
    /// the allocator may touch it at any time).
    static CALLS: Cell<u64> = const { Cell::new(0) };
}

fn count_call() {
    let _ = CALLS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every call is forwarded unchanged to `System`; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            ALLOCATED.fetch_add(layout.size(), Relaxed);
        }
        count_call();
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            ALLOCATED.fetch_add(layout.size(), Relaxed);
        }
        count_call();
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
        count_call();
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

/// Allocation calls made by this thread while `f` runs.
fn allocations_during(f: impl FnOnce()) -> u64 {
    let before = CALLS.with(Cell::get);
    f();
    CALLS.with(Cell::get) - before
}

#[test]
fn the_steady_state_allocates_nothing_per_message() {
    pingpong(1, 10); // Warm up lazily initialised process state (the panic hook).
    let short = allocations_during(|| pingpong(7, 10));
    let long = allocations_during(|| pingpong(7, 10_000));
    // 9,990 more round trips (about 40,000 more polls, messages and events) cost
    // no more allocations than the short run's set-up, give or take the growth
    // of a buffer.
    assert!(long <= short + 4, "{short} allocations for 10 round trips, {long} for 10,000");
}

//! Randomness for service code: draws from the current node's own stream.
//!
//! Never use `rand::rng()`, `thread_rng` or OS entropy inside a simulation: they
//! make runs unrepeatable. These functions draw from the seeded stream of the
//! node whose task calls them (see `rng.rs`), so a seed replays exactly.
//!
//! ```
//! # let mut sim = microsim::Sim::builder().seed(3).build();
//! sim.client("c", || async {
//!     let jitter_ms = microsim::rand::random_range(0..100u64);
//!     assert!(jitter_ms < 100);
//! }).unwrap();
//! assert!(sim.run().is_ok());
//! ```

use crate::rng::SimRng;
use crate::runtime;
use ::rand::distr::uniform::{SampleRange, SampleUniform};
use ::rand::distr::{Distribution, StandardUniform};
use ::rand::Rng;

/// Runs `f` with the current node's generator. `f` runs while the simulator
/// holds its state: it must only draw numbers, not call into the simulation
/// (that would panic with "already borrowed").
pub fn with_rng<R>(f: impl FnOnce(&mut SimRng) -> R) -> R {
    runtime::with(|inner| {
        let node = inner.current_node();
        assert!(node != microsim_traces::NO_NODE, "microsim::rand is for code running on a node");
        let mut st = inner.state.borrow_mut();
        f(st.nodes.list[node as usize].rng(inner.seed))
    })
}

/// A random value of type `T` (uniform over the type, `[0, 1)` for floats).
pub fn random<T>() -> T
where
    StandardUniform: Distribution<T>,
{
    with_rng(|r| r.random())
}

/// A uniform value in `range`.
pub fn random_range<T: SampleUniform, R: SampleRange<T>>(range: R) -> T {
    with_rng(|r| r.random_range(range))
}

/// `true` with probability `p` (clamped to `[0, 1]`).
pub fn random_bool(p: f64) -> bool {
    with_rng(|r| r.random_bool(p.clamp(0.0, 1.0)))
}

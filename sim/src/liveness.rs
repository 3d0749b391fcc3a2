//! Liveness mode: a chaos phase with faults, then every fault healed and a quiet
//! period in which each `eventually` property must hold within its deadline.
//!
//! This is how TigerBeetle's simulator checks liveness: safety is checked under
//! any faults, but progress can only be demanded once the faults stop. With
//! [`Sim::liveness`], at the end of the chaos phase the simulator drops the plan
//! steps still to come, turns fault points off and heals everything (crashed
//! nodes restart, paused ones resume, the network heals, clocks resync, disks
//! behave). Each property registered with [`Sim::eventually`] is then checked
//! every [`POLL`] of virtual time; it must hold at some check no later than
//! `within` after the heal, or the run fails with
//! [`Failure::Liveness`]. Without a chaos phase the
//! deadlines count from the start of the run.
//!
//! The checks run in a client node named [`NODE`], so the run goes on until
//! every property has held (or one missed its deadline), and the trace shows
//! the heal and the end of the checks. Each check is also counted as coverage
//! (kind `eventually`, see [`crate::property::Coverage`]).
//!
//! ```
//! use microsim::Sim;
//! use std::cell::Cell;
//! use std::rc::Rc;
//! use std::time::Duration;
//!
//! let mut sim = Sim::builder().seed(1).build();
//! let done = Rc::new(Cell::new(false));
//! let flag = done.clone();
//! sim.node("worker", move || {
//!     let flag = flag.clone();
//!     async move {
//!         microsim::time::sleep(Duration::from_millis(30)).await;
//!         flag.set(true);
//!     }
//! })
//! .unwrap();
//! sim.liveness(Duration::from_millis(10)).unwrap();
//! sim.eventually("the worker finishes", Duration::from_millis(50), move || {
//!     if done.get() { Ok(()) } else { Err("still working".into()) }
//! })
//! .unwrap();
//! let outcome = sim.run();
//! assert!(outcome.is_ok(), "{outcome}");
//! assert_eq!(outcome.elapsed, Duration::from_millis(30));
//! ```

use crate::outcome::Failure;
use crate::plan::Fault;
use crate::runtime;
use crate::time::{self, Instant};
use crate::{Sim, SimError};
use std::time::Duration;

/// The name of the client node that heals and checks.
pub const NODE: &str = "liveness";

/// How often the `eventually` properties are checked, in virtual time.
pub const POLL: Duration = Duration::from_millis(1);

type Check = Box<dyn FnMut() -> Result<(), String>>;

struct Eventually {
    name: String,
    within: u64,
    check: Check,
    held: bool,
    last: String,
}

/// The liveness settings and properties of a run.
#[derive(Default)]
pub(crate) struct Live {
    heal_at: Option<u64>,
    props: Vec<Eventually>,
    controller: bool,
}

impl Sim {
    /// Ends the chaos phase at `heal_at` (virtual time from the start): plan steps
    /// after it are dropped, fault points stop firing and every fault is healed.
    /// Then the `eventually` properties are checked. Registers the [`NODE`] client.
    pub fn liveness(&mut self, heal_at: Duration) -> Result<(), SimError> {
        self.add_controller()?;
        let at = u64::try_from(heal_at.as_nanos()).unwrap_or(u64::MAX);
        self.enter(|i| i.state.borrow_mut().props.live.heal_at = Some(at));
        Ok(())
    }

    /// Registers a property that must hold within `within` of the heal (or of the
    /// start, without [`Sim::liveness`]). `check` returns `Err` with what it saw
    /// while the property does not hold; it runs in the [`NODE`] task, between
    /// other tasks' steps, and should only read state the test shares with its nodes.
    pub fn eventually(
        &mut self,
        name: &str,
        within: Duration,
        check: impl FnMut() -> Result<(), String> + 'static,
    ) -> Result<(), SimError> {
        self.add_controller()?;
        let within = u64::try_from(within.as_nanos()).unwrap_or(u64::MAX);
        let prop =
            Eventually { name: name.to_string(), within, check: Box::new(check), held: false, last: String::new() };
        self.enter(|i| i.state.borrow_mut().props.live.props.push(prop));
        Ok(())
    }

    fn add_controller(&mut self) -> Result<(), SimError> {
        if self.enter(|i| std::mem::replace(&mut i.state.borrow_mut().props.live.controller, true)) {
            return Ok(());
        }
        let added = self.client(NODE, controller);
        if added.is_err() {
            self.enter(|i| i.state.borrow_mut().props.live.controller = false);
        }
        added
    }
}

async fn controller() {
    let heal_at = runtime::with(|i| i.state.borrow().props.live.heal_at);
    if let Some(at) = heal_at {
        time::sleep_until(Instant::from_nanos(at)).await;
        heal();
    }
    let from = time::now();
    loop {
        let mut props = runtime::with(|i| std::mem::take(&mut i.state.borrow_mut().props.live.props));
        for p in props.iter_mut().filter(|p| !p.held) {
            let result = (p.check)();
            runtime::with(|i| i.state.borrow_mut().props.count("eventually", &p.name, result.is_ok()));
            match result {
                Ok(()) => p.held = true,
                Err(saw) => p.last = saw,
            }
        }
        let now = time::now();
        let missed = props.iter().find(|p| !p.held && now.as_nanos() >= from.as_nanos().saturating_add(p.within));
        let failure = missed.map(|p| Failure::Liveness {
            name: p.name.clone(),
            from,
            deadline: Instant::from_nanos(from.as_nanos().saturating_add(p.within)),
            detail: p.last.clone(),
        });
        let all_held = props.iter().all(|p| p.held);
        runtime::with(|i| {
            let mut st = i.state.borrow_mut();
            st.props.live.props = props;
            if let Some(failure) = failure.clone() {
                st.fail(failure);
            }
        });
        if all_held || failure.is_some() {
            return;
        }
        time::sleep(POLL).await;
    }
}

/// The end of the chaos phase.
fn heal() {
    runtime::with(|i| {
        let mut st = i.state.borrow_mut();
        let dropped = st.plan.len();
        st.plan.clear();
        st.next_step_ns = u64::MAX;
        st.points.disable();
        let node = st.tasks.current_node().unwrap_or(microsim_traces::NO_NODE);
        st.record_fault(node, format_args!("liveness: the chaos phase ends ({dropped} plan steps dropped)"));
    });
    if let Err(e) = crate::control::apply(&Fault::HealAll) {
        runtime::with(|i| {
            let mut st = i.state.borrow_mut();
            let time = Instant::from_nanos(st.now);
            st.fail(Failure::PlanStep { time, step: "heal all (liveness)".into(), error: e.to_string() });
        });
    }
}

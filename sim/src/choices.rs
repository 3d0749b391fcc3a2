//! The simulator's own choices as data: latencies, scheduling picks, drops and
//! duplications read from a given sequence instead of the seeded generator.
//!
//! A [`Choices`] sequence makes every perturbation the simulator would draw at
//! random an explicit number `c` (a `u32`, read as the fraction `c / 2^32`): a
//! latency is that fraction of the way from `min` to `max`, a scheduling pick is
//! the ready task that fraction of the way along the ready tasks (in wake
//! order), and a message is lost (or duplicated) when the fraction is above
//! `1 - rate`. Every reading grows with `c`, and 0 means no perturbation: the
//! shortest latency, the first ready task, no loss; an exhausted sequence reads
//! 0. So proptest, shrinking a sequence toward fewer and smaller numbers (a
//! binary search, which needs readings that grow with the number), shrinks a
//! failing run toward "no perturbation", and what remains are exactly the
//! perturbations the failure needs.
//!
//! ```
//! use microsim::{Choices, Sim};
//!
//! let mut sim = Sim::builder().choices(Choices::new(vec![u32::MAX, 0, 1 << 31])).build();
//! sim.client("c", || async {}).unwrap();
//! assert!(sim.run().is_ok());
//! ```

use std::cell::RefCell;
use std::rc::Rc;

/// A sequence of the simulator's choices (see the module documentation).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Choices(pub Vec<u32>);

impl Choices {
    /// The given sequence.
    pub fn new(choices: Vec<u32>) -> Choices {
        Choices(choices)
    }
}

/// The run's cursor over its choices, shared by the network and the scheduler.
#[derive(Clone, Debug)]
pub(crate) struct Cursor(Rc<RefCell<(Vec<u32>, usize)>>);

impl Cursor {
    pub(crate) fn new(choices: Choices) -> Cursor {
        Cursor(Rc::new(RefCell::new((choices.0, 0))))
    }

    /// The next choice, 0 once the sequence is used up.
    pub(crate) fn next(&self) -> u32 {
        let mut c = self.0.borrow_mut();
        let (seq, at) = &mut *c;
        let v = seq.get(*at).copied().unwrap_or(0);
        *at += 1;
        v
    }

    /// A value in `min..max` (`min` when empty), growing with the choice.
    pub(crate) fn range(&self, min: u64, max: u64) -> u64 {
        min + scale(self.next(), max.saturating_sub(min))
    }

    /// True when the choice, as a fraction, is above `1 - rate` (0 is false).
    pub(crate) fn chance(&self, rate: f64) -> bool {
        let c = f64::from(self.next()) / 4_294_967_296.0;
        c > 0.0 && c >= 1.0 - rate
    }
}

/// `c / 2^32` of the way through `0..n`, rounded down.
fn scale(c: u32, n: u64) -> u64 {
    ((u128::from(c) * u128::from(n)) >> 32) as u64
}

/// The scheduler that picks the ready task at `choice % n`, in wake order.
pub(crate) struct ChoiceScheduler {
    pub(crate) cursor: Cursor,
    pub(crate) ready: Vec<crate::ReadyTask>,
}

impl crate::Schedule for ChoiceScheduler {
    fn push(&mut self, task: crate::ReadyTask) {
        self.ready.push(task);
    }

    fn pop(&mut self, _: &mut crate::streams::SimRng) -> Option<crate::ReadyTask> {
        match self.ready.len() {
            0 => None,
            1 => self.ready.pop(),
            n => Some(self.ready.remove(scale(self.cursor.next(), n as u64) as usize)),
        }
    }

    fn len(&self) -> usize {
        self.ready.len()
    }
}

//! The orchestrator's saga log: its records and the state they add up to,
//! as a pure state machine (the orchestrator writes and syncs each record
//! before it acts on it, and replays them after a restart).

use super::order::{Order, OrderId};
use super::proto::{Ending, Step, Work};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The log's file on the orchestrator's disk.
pub const FILE: &str = "saga.log";

/// One record of the saga log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Record {
    /// An order was accepted (the client is acknowledged after this is synced).
    Started {
        /// The order.
        order: Order,
        /// Its total in cents.
        total: i64,
    },
    /// A step was applied.
    Did {
        /// The order.
        id: OrderId,
        /// The step.
        step: Step,
    },
    /// A step failed or timed out at `at`: the saga compensates from there.
    Aborted {
        /// The order.
        id: OrderId,
        /// The step that failed.
        at: Step,
    },
    /// A step was compensated.
    Undid {
        /// The order.
        id: OrderId,
        /// The step.
        step: Step,
    },
    /// The saga finished.
    Ended {
        /// The order.
        id: OrderId,
        /// How.
        ending: Ending,
    },
}

/// One saga as the log tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Saga {
    /// The order.
    pub order: Order,
    /// Its total in cents.
    pub total: i64,
    /// The steps applied, in order.
    pub done: Vec<Step>,
    /// Where it failed, if it did.
    pub aborted: Option<Step>,
    /// The steps compensated.
    pub undone: Vec<Step>,
    /// How it ended, if it has.
    pub ending: Option<Ending>,
}

impl Saga {
    /// What its steps act on.
    pub fn work(&self) -> Work {
        let qty = u64::try_from(self.order.qty).expect("a started order was validated");
        Work { order: self.order.id, item: self.order.item.clone(), qty, cents: self.total }
    }

    /// The steps to compensate, in the order to do it: those applied and the
    /// one that failed (it may have been applied without an answer), last first.
    pub fn to_undo(&self) -> Vec<Step> {
        let mut steps: Vec<Step> = Step::FORWARD
            .into_iter()
            .filter(|s| self.done.contains(s) || self.aborted == Some(*s))
            .filter(|s| !self.undone.contains(s))
            .collect();
        steps.reverse();
        steps
    }
}

/// Every saga, by order.
pub type Sagas = BTreeMap<OrderId, Saga>;

/// Applies one record.
pub fn apply(sagas: &mut Sagas, record: &Record) {
    match record {
        Record::Started { order, total } => {
            let saga =
                Saga { order: order.clone(), total: *total, done: vec![], aborted: None, undone: vec![], ending: None };
            sagas.entry(order.id).or_insert(saga);
        }
        Record::Did { id, step } => {
            if let Some(s) = sagas.get_mut(id).filter(|s| !s.done.contains(step)) {
                s.done.push(*step);
            }
        }
        Record::Aborted { id, at } => {
            if let Some(s) = sagas.get_mut(id) {
                s.aborted = Some(*at);
            }
        }
        Record::Undid { id, step } => {
            if let Some(s) = sagas.get_mut(id).filter(|s| !s.undone.contains(step)) {
                s.undone.push(*step);
            }
        }
        Record::Ended { id, ending } => {
            if let Some(s) = sagas.get_mut(id) {
                s.ending = Some(*ending);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(records: &[Record]) -> Saga {
        let mut sagas = Sagas::new();
        for r in records {
            apply(&mut sagas, r);
        }
        sagas.remove(&7).expect("the saga started")
    }

    fn started() -> Record {
        Record::Started { order: Order { id: 7, item: "widget".into(), qty: 2 }, total: 2_500 }
    }

    #[test]
    fn a_saga_aborted_at_a_step_compensates_it_and_those_before_it_last_first() {
        let s = check(&[
            started(),
            Record::Did { id: 7, step: Step::Reserve },
            Record::Aborted { id: 7, at: Step::Charge },
        ]);
        assert_eq!(s.to_undo(), [Step::Charge, Step::Reserve]);
    }

    #[test]
    fn a_resumed_compensation_skips_what_was_undone() {
        let s = check(&[
            started(),
            Record::Did { id: 7, step: Step::Reserve },
            Record::Aborted { id: 7, at: Step::Charge },
            Record::Undid { id: 7, step: Step::Charge },
        ]);
        assert_eq!(s.to_undo(), [Step::Reserve]);
        assert_eq!(s.work().cents, 2_500);
    }
}

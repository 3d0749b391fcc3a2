//! What the oracle knows of one run: the participants' books and the
//! orchestrator's sagas (shared with the nodes, replaced when a node replays
//! its journal), what clients were told, counters for coverage and metrics;
//! and the end-of-run checks of atomicity, money, stock, durability and
//! invalid orders.

use super::book::Book;
use super::log::Sagas;
use super::order::{Order, OrderId, CATALOG};
use super::proto::{Ending, Step};
use super::settings::Settings;
pub use crate::discovery::observe::bump;
use crate::discovery::observe::Seen as RegistrySeen;
use microsim::property::{always_or, sometimes};
use microsim::time::Instant;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// Counts of the interesting events of one run.
#[derive(Debug, Default)]
pub struct Counters {
    /// Calls made to participants.
    pub calls: Cell<u64>,
    /// Calls that were retries.
    pub retries: Cell<u64>,
    /// Steps compensated.
    pub compensations: Cell<u64>,
    /// Breaker openings.
    pub breaker_opens: Cell<u64>,
    /// Sagas resumed after a restart of the orchestrator.
    pub recoveries: Cell<u64>,
    /// Participants that started again and replayed a non-empty book.
    pub replays: Cell<u64>,
    /// Requests a participant had already applied (retries, duplicates).
    pub duplicates: Cell<u64>,
    /// Steps that arrived after their compensation and were refused (a tombstone's work).
    pub late_steps_blocked: Cell<u64>,
    /// Saga steps that ran on fallback settings (the config center not heard from lately).
    pub settings_fallbacks: Cell<u64>,
}

/// The oracle's view of one run.
#[derive(Debug, Default)]
pub struct Oracle {
    /// The registry's counters (unused by the saga's checks).
    pub registry: Rc<RegistrySeen>,
    /// Each participant's book (its durable state once it is up).
    pub books: RefCell<BTreeMap<&'static str, Rc<RefCell<Book>>>>,
    /// The orchestrator's sagas (its durable state once it is up).
    pub sagas: RefCell<Rc<RefCell<Sagas>>>,
    /// The orders each client submits, in order.
    pub workload: Vec<Vec<Order>>,
    /// When each order was first submitted (true time).
    pub submitted: RefCell<BTreeMap<OrderId, Instant>>,
    /// When each order's acknowledgement reached its client.
    pub acked: RefCell<BTreeMap<OrderId, Instant>>,
    /// When each saga's end was durable.
    pub finished: RefCell<BTreeMap<OrderId, Instant>>,
    /// The ids of invalid orders (rejected).
    pub rejected: RefCell<BTreeSet<OrderId>>,
    /// Clients that checked all their orders.
    pub clients_done: RefCell<BTreeSet<usize>>,
    /// Nodes that started (and wrote their marker) before.
    pub born: RefCell<BTreeSet<String>>,
    /// A node lost its disk: the properties that rest on a disk are off.
    pub wiped: Cell<bool>,
    /// Counters.
    pub seen: Counters,
    /// Breaker state changes: when, which downstream, the new state.
    pub breaker_log: RefCell<Vec<(Instant, &'static str, String)>>,
    /// Settings the orchestrator took from the config center: when, what.
    pub settings_log: RefCell<Vec<(Instant, String)>>,
    /// The newest config version the orchestrator's settings cache applied.
    pub settings_revision: Cell<u64>,
    /// The settings the orchestrator's last saga step read.
    pub settings_read: Cell<Option<Settings>>,
}

impl Oracle {
    /// Every order of every client.
    pub fn orders(&self) -> impl Iterator<Item = &Order> {
        self.workload.iter().flatten()
    }

    /// Whether every order was acknowledged and its saga has ended.
    pub fn all_finished(&self) -> Result<(), String> {
        if self.wiped.get() {
            return Ok(());
        }
        let acked = self.acked.borrow();
        let sagas = self.sagas.borrow().clone();
        let sagas = sagas.borrow();
        for order in self.orders() {
            if !acked.contains_key(&order.id) {
                return Err(format!("order {} is not acknowledged yet", order.id));
            }
            match sagas.get(&order.id) {
                None => return Err(format!("order {} was acknowledged, the orchestrator does not know it", order.id)),
                Some(s) if s.ending.is_none() => {
                    return Err(format!(
                        "order {} is still running: {:?}, aborted at {:?}",
                        order.id, s.done, s.aborted
                    ))
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    fn book(&self, service: &str) -> Book {
        self.books.borrow().get(service).map(|b| b.borrow().clone()).unwrap_or_default()
    }

    /// The end-of-run checks, once every saga has ended and the faults are healed.
    pub fn check_end(&self) {
        if self.wiped.get() {
            return;
        }
        let (inventory, payment, shipping) = (self.book("inventory"), self.book("payment"), self.book("shipping"));
        let count = |step: Step, id| match step.service() {
            "inventory" => inventory.count(id, step),
            "payment" => payment.count(id, step),
            _ => shipping.count(id, step),
        };
        let sagas = self.sagas.borrow().clone();
        let sagas = sagas.borrow();
        let (mut completed_cents, mut shipped) = (0i64, BTreeMap::<&str, i64>::new());
        for order in self.orders() {
            let ending = sagas.get(&order.id).and_then(|s| s.ending);
            always_or("saga: no acknowledged order is lost", ending.is_some(), || format!("order {}", order.id));
            let counts: Vec<(Step, u32, u32)> = [Step::Reserve, Step::Charge, Step::Schedule, Step::Commit]
                .into_iter()
                .map(|s| (s, count(s, order.id).done, count(s, order.id).undone))
                .collect();
            let whole = match ending {
                Some(Ending::Completed) => counts.iter().all(|&(_, done, undone)| done == 1 && undone == 0),
                Some(Ending::Cancelled) => counts
                    .iter()
                    .all(|&(s, done, undone)| done == undone && done <= 1 && (s != Step::Commit || done == 0)),
                None => true,
            };
            always_or("saga: every order ends completed or wholly compensated", whole, || {
                format!("order {} ended {ending:?} with (step, applied, compensated) {counts:?}", order.id)
            });
            if ending == Some(Ending::Completed) {
                completed_cents += sagas[&order.id].total;
                *shipped.entry(order.item.as_str()).or_default() += order.qty;
            }
        }
        let net: i64 = payment.charged.values().sum::<i64>() - payment.refunded.values().sum::<i64>();
        always_or("saga: charges minus refunds equal the completed orders' totals", net == completed_cents, || {
            format!("charged minus refunded {net} cents, completed orders total {completed_cents} cents")
        });
        for (item, _, _) in CATALOG {
            let s = inventory.stock.get(item).copied().unwrap_or_default();
            let want = shipped.get(item).copied().unwrap_or(0);
            let ok = s.reserved == 0 && s.shipped == want && s.available + s.reserved + s.shipped == s.initial;
            always_or("saga: stock adds up per item", ok, || format!("{item}: {s:?}, completed orders ship {want}"));
        }
        for id in self.rejected.borrow().iter() {
            let traced = [&inventory, &payment, &shipping].iter().any(|b| b.knows(*id)) || sagas.contains_key(id);
            always_or("saga: an invalid order leaves no trace", !traced, || format!("order {id}"));
        }
    }

    /// The suite's coverage: what it claims to test happened.
    pub fn coverage(&self) {
        let s = &self.seen;
        sometimes("saga: a saga compensated a step", s.compensations.get() > 0);
        sometimes("saga: a circuit breaker opened", s.breaker_opens.get() > 0);
        sometimes("saga: the orchestrator resumed a saga after a restart", s.recoveries.get() > 0);
        sometimes("saga: a participant replayed its book after a restart", s.replays.get() > 0);
        sometimes("saga: a participant got a request it had applied", s.duplicates.get() > 0);
        sometimes("saga: a step that came after its compensation was blocked", s.late_steps_blocked.get() > 0);
        let sagas = self.sagas.borrow().clone();
        let completed = sagas.borrow().values().any(|s| s.ending == Some(Ending::Completed));
        sometimes("saga: an order completed", completed);
    }
}

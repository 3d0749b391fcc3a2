//! A participant's book, as a pure state machine (no I/O): what inventory,
//! payment and shipping have applied, per idempotency key, and their stock and
//! money. [`Book::decide`] says how to answer a request and which line (if
//! any) to make durable; [`Book::apply`] applies a line, live or on replay.
//!
//! With a key, a step is applied at most once (a duplicate is answered
//! `Done` again), and an undo of a step that has not arrived yet leaves a
//! tombstone that blocks it when it comes late. Without a key (the planted
//! bugs), a step is applied every time it arrives, and an undo undoes the
//! step every time it arrives (while the step was applied at all).

use super::order::{OrderId, CATALOG};
use super::proto::{Key, Refusal, Request, Response, Step, Work};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Payment declines a total above this, in cents.
pub const CARD_LIMIT_CENTS: i64 = 50_000;

/// Shipping refuses a parcel of more units than this.
pub const PARCEL_LIMIT: u64 = 5;

/// A line of a participant's journal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Line {
    /// A step was applied.
    Did {
        /// The step.
        step: Step,
        /// Its key, if it had one.
        key: Option<Key>,
        /// What it acted on.
        work: Work,
    },
    /// A step was undone.
    Undid {
        /// The step.
        step: Step,
        /// Its key, if it had one.
        key: Option<Key>,
        /// What it acted on.
        work: Work,
    },
    /// A step was compensated before it arrived: it is blocked.
    Blocked {
        /// Its key.
        key: Key,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mark {
    Done,
    Undone,
    Blocked,
}

/// One item's stock, in units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stock {
    /// The initial stock.
    pub initial: i64,
    /// Free to reserve.
    pub available: i64,
    /// Reserved by orders in progress.
    pub reserved: i64,
    /// Shipped by completed orders.
    pub shipped: i64,
}

/// How often a step of an order was applied and undone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Applications.
    pub done: u32,
    /// Compensations.
    pub undone: u32,
}

/// How to answer one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The answer, once `line` (if any) is durable and applied.
    pub response: Response,
    /// The line to make durable and apply.
    pub line: Option<Line>,
    /// The request repeats one already applied (a retry or a duplicate).
    pub duplicate: bool,
}

/// A participant's state; it starts empty, with the catalog's initial stock.
#[derive(Clone, Debug)]
pub struct Book {
    marks: BTreeMap<Key, Mark>,
    /// Applications and compensations per order and step.
    pub counts: BTreeMap<(OrderId, Step), Counts>,
    /// Stock per item (inventory).
    pub stock: BTreeMap<String, Stock>,
    reservations: BTreeMap<OrderId, (String, i64)>,
    /// Cents charged per order (payment).
    pub charged: BTreeMap<OrderId, i64>,
    /// Cents refunded per order (payment).
    pub refunded: BTreeMap<OrderId, i64>,
}

fn answer(response: Response, line: Option<Line>, duplicate: bool) -> Decision {
    Decision { response, line, duplicate }
}

impl Default for Book {
    fn default() -> Book {
        let stock = CATALOG
            .iter()
            .map(|(item, _, units)| {
                let units = *units as i64;
                (item.to_string(), Stock { initial: units, available: units, ..Stock::default() })
            })
            .collect();
        Book {
            marks: BTreeMap::new(),
            counts: BTreeMap::new(),
            stock,
            reservations: BTreeMap::new(),
            charged: BTreeMap::new(),
            refunded: BTreeMap::new(),
        }
    }
}

impl Book {
    /// The counts of `step` of `order`.
    pub fn count(&self, order: OrderId, step: Step) -> Counts {
        self.counts.get(&(order, step)).copied().unwrap_or_default()
    }

    /// Whether the book holds anything about `order` (applications, tombstones).
    pub fn knows(&self, order: OrderId) -> bool {
        self.counts.keys().any(|(o, _)| *o == order) || self.marks.keys().any(|k| k.order == order)
    }

    fn refusal(&self, step: Step, work: &Work) -> Option<Refusal> {
        match step {
            Step::Reserve => {
                let free = self.stock.get(&work.item).map_or(0, |s| s.available);
                (free < work.qty as i64).then_some(Refusal::OutOfStock)
            }
            Step::Charge => (work.cents > CARD_LIMIT_CENTS).then_some(Refusal::Declined),
            Step::Schedule => (work.qty > PARCEL_LIMIT).then_some(Refusal::Undeliverable),
            Step::Commit => None,
        }
    }

    /// How to answer `req`.
    pub fn decide(&self, req: &Request) -> Decision {
        match req {
            Request::Do { step, key, work } => {
                let mark = key.and_then(|k| self.marks.get(&k).copied());
                match mark {
                    Some(Mark::Done) => answer(Response::Done, None, true),
                    Some(Mark::Undone | Mark::Blocked) => answer(Response::Refused(Refusal::Compensated), None, true),
                    None => match self.refusal(*step, work) {
                        Some(r) => answer(Response::Refused(r), None, false),
                        None => {
                            let line = Line::Did { step: *step, key: *key, work: work.clone() };
                            answer(Response::Done, Some(line), false)
                        }
                    },
                }
            }
            Request::Undo { step, key: Some(key), work } => match self.marks.get(key) {
                Some(Mark::Done) => {
                    let line = Line::Undid { step: *step, key: Some(*key), work: work.clone() };
                    answer(Response::Done, Some(line), false)
                }
                Some(Mark::Undone | Mark::Blocked) => answer(Response::Done, None, true),
                None => answer(Response::Done, Some(Line::Blocked { key: *key }), false),
            },
            Request::Undo { step, key: None, work } => {
                // No key: undo the step whenever it was applied, however often
                // it was undone already.
                let applied = self.count(work.order, *step).done > 0;
                let line = applied.then(|| Line::Undid { step: *step, key: None, work: work.clone() });
                answer(Response::Done, line, false)
            }
        }
    }

    /// Applies a line (just made durable, or replayed).
    pub fn apply(&mut self, line: &Line) {
        match line {
            Line::Did { step, key, work } => {
                if let Some(k) = key {
                    self.marks.insert(*k, Mark::Done);
                }
                self.counts.entry((work.order, *step)).or_default().done += 1;
                self.did(*step, work);
            }
            Line::Undid { step, key, work } => {
                if let Some(k) = key {
                    self.marks.insert(*k, Mark::Undone);
                }
                self.counts.entry((work.order, *step)).or_default().undone += 1;
                self.undid(*step, work);
            }
            Line::Blocked { key } => {
                self.marks.insert(*key, Mark::Blocked);
            }
        }
    }

    fn did(&mut self, step: Step, work: &Work) {
        let qty = work.qty as i64;
        match step {
            Step::Reserve => {
                let s = self.stock.entry(work.item.clone()).or_default();
                s.available -= qty;
                s.reserved += qty;
                self.reservations.entry(work.order).or_insert((work.item.clone(), 0)).1 += qty;
            }
            Step::Commit => {
                if let Some((item, held)) = self.reservations.remove(&work.order) {
                    let s = self.stock.entry(item).or_default();
                    s.reserved -= held;
                    s.shipped += held;
                }
            }
            Step::Charge => *self.charged.entry(work.order).or_default() += work.cents,
            Step::Schedule => {}
        }
    }

    fn undid(&mut self, step: Step, work: &Work) {
        match step {
            Step::Reserve => {
                let qty = work.qty as i64;
                let s = self.stock.entry(work.item.clone()).or_default();
                s.available += qty;
                s.reserved -= qty;
                if let Some(r) = self.reservations.get_mut(&work.order) {
                    r.1 -= qty;
                }
            }
            Step::Charge => *self.refunded.entry(work.order).or_default() += work.cents,
            Step::Schedule | Step::Commit => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(order: OrderId, qty: u64) -> Work {
        Work { order, item: "widget".into(), qty, cents: 1_250 * qty as i64 }
    }

    fn key(order: OrderId, step: Step) -> Option<Key> {
        Some(Key { order, step })
    }

    /// Runs `reqs` through a book, applying every decided line; returns the answers.
    fn check(book: &mut Book, reqs: &[Request]) -> Vec<Response> {
        reqs.iter()
            .map(|r| {
                let d = book.decide(r);
                if let Some(line) = &d.line {
                    book.apply(line);
                }
                d.response
            })
            .collect()
    }

    #[test]
    fn a_keyed_step_is_applied_once_however_often_it_arrives() {
        let mut b = Book::default();
        let charge = Request::Do { step: Step::Charge, key: key(1, Step::Charge), work: work(1, 2) };
        assert_eq!(check(&mut b, &[charge.clone(), charge]), [Response::Done, Response::Done]);
        assert_eq!((b.count(1, Step::Charge).done, b.charged[&1]), (1, 2_500));
    }

    #[test]
    fn an_undo_before_its_step_blocks_the_late_step() {
        let mut b = Book::default();
        let undo = Request::Undo { step: Step::Charge, key: key(1, Step::Charge), work: work(1, 2) };
        let late = Request::Do { step: Step::Charge, key: key(1, Step::Charge), work: work(1, 2) };
        let answers = check(&mut b, &[undo, late]);
        assert_eq!(answers, [Response::Done, Response::Refused(Refusal::Compensated)]);
        assert!(b.charged.is_empty() && b.refunded.is_empty());
    }

    #[test]
    fn a_reservation_released_or_committed_keeps_the_stock_whole() {
        let mut b = Book::default();
        let reserve = |o| Request::Do { step: Step::Reserve, key: key(o, Step::Reserve), work: work(o, 3) };
        let release = Request::Undo { step: Step::Reserve, key: key(1, Step::Reserve), work: work(1, 3) };
        let commit = Request::Do { step: Step::Commit, key: key(2, Step::Commit), work: work(2, 3) };
        check(&mut b, &[reserve(1), reserve(2), release.clone(), release, commit]);
        let s = b.stock["widget"];
        assert_eq!((s.available, s.reserved, s.shipped), (37, 0, 3));
    }

    #[test]
    fn business_rules_refuse_without_a_trace() {
        let mut b = Book::default();
        let big = Work { cents: CARD_LIMIT_CENTS + 1, ..work(1, 1) };
        let charge = Request::Do { step: Step::Charge, key: key(1, Step::Charge), work: big };
        let reserve = Request::Do { step: Step::Reserve, key: key(2, Step::Reserve), work: work(2, 41) };
        let answers = check(&mut b, &[charge, reserve]);
        assert_eq!(answers, [Response::Refused(Refusal::Declined), Response::Refused(Refusal::OutOfStock)]);
        assert!(!b.knows(1) && !b.knows(2));
    }

    #[test]
    fn without_keys_duplicates_apply_again() {
        let mut b = Book::default();
        let charge = Request::Do { step: Step::Charge, key: None, work: work(1, 1) };
        let refund = Request::Undo { step: Step::Charge, key: None, work: work(1, 1) };
        check(&mut b, &[charge.clone(), charge, refund.clone(), refund]);
        assert_eq!(b.count(1, Step::Charge), Counts { done: 2, undone: 2 });
    }
}

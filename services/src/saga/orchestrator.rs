//! The orchestrator (the `orders` service): accepts orders, runs a saga per
//! order (reserve, charge, schedule, commit; on a refusal or a timeout,
//! compensate what may have been applied, last first), and logs every
//! decision to its disk before acting on it. After a restart it replays the
//! log and resumes every saga that had not ended.

use super::caller::{Caller, StepError};
use super::journal::{self, Journal};
use super::log::{self, Record, Sagas};
use super::oracle::{bump, Oracle};
use super::order::{validate, Order, OrderId};
use super::proto::{Ending, Key, OrderRequest, OrderResponse, Request, Step, Work, ORDERS_PORT};
use super::settings::Source;
use super::Bugs;
use microsim::property::always_or;
use microsim::rpc::Server;
use microsim::time;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// The orchestrator's node and service name.
pub const NAME: &str = "orders";

/// How long the `ack-before-sync` bug waits before it syncs (a group commit).
const GROUP_COMMIT: Duration = Duration::from_millis(10);

struct Orchestrator {
    journal: Journal,
    sagas: Rc<RefCell<Sagas>>,
    caller: Caller,
    oracle: Rc<Oracle>,
    settings: Rc<dyn Source>,
    bugs: Bugs,
}

/// Runs the orchestrator on this node until it crashes.
pub async fn serve(oracle: Rc<Oracle>, settings: Rc<dyn Source>, bugs: Bugs) -> Result<(), String> {
    let born = oracle.born.borrow().contains(NAME);
    if journal::wiped(born).await {
        oracle.wiped.set(true);
    }
    oracle.born.borrow_mut().insert(NAME.to_string());
    let (journal, records) = Journal::open::<Record>(log::FILE).await;
    let mut sagas = Sagas::new();
    for record in &records {
        log::apply(&mut sagas, record);
    }
    if !oracle.wiped.get() {
        for id in oracle.acked.borrow().keys() {
            always_or("saga: no acknowledged order is lost", sagas.contains_key(id), || {
                format!("order {id} was acknowledged before the restart; the replayed log lacks it")
            });
        }
    }
    let unfinished: Vec<OrderId> = sagas.iter().filter(|(_, s)| s.ending.is_none()).map(|(id, _)| *id).collect();
    let sagas = Rc::new(RefCell::new(sagas));
    *oracle.sagas.borrow_mut() = sagas.clone();
    let caller = Caller::new(oracle.clone());
    let me = Rc::new(Orchestrator { journal, sagas, caller, oracle: oracle.clone(), settings, bugs });
    for id in unfinished {
        bump(&oracle.seen.recoveries);
        microsim::spawn(me.clone().run(id));
    }
    super::directory::register(NAME, oracle.registry.clone());
    let server = Server::<OrderRequest, OrderResponse>::bind(ORDERS_PORT).map_err(|e| e.to_string())?;
    server
        .serve(|req| {
            let me = me.clone();
            async move {
                match req {
                    OrderRequest::Submit(order) => me.submit(order).await,
                    OrderRequest::Status(id) => OrderResponse::Status(me.sagas.borrow().get(&id).map(|s| s.ending)),
                }
            }
        })
        .await;
    Ok(())
}

impl Orchestrator {
    /// Accepts a valid order: logged and synced, then acknowledged, then run.
    async fn submit(self: &Rc<Self>, order: Order) -> OrderResponse {
        let total = match validate(&order) {
            Ok(total) => total,
            Err(e) => return OrderResponse::Rejected(e),
        };
        if self.sagas.borrow().contains_key(&order.id) {
            return OrderResponse::Accepted;
        }
        let id = order.id;
        let record = Record::Started { order, total };
        if self.bugs.ack_before_sync {
            while self.journal.write(&record).is_err() {
                time::sleep(GROUP_COMMIT).await;
            }
            log::apply(&mut self.sagas.borrow_mut(), &record);
            let me = self.clone();
            microsim::spawn(async move {
                time::sleep(GROUP_COMMIT).await;
                me.journal.sync().await;
                me.run(id).await
            });
            return OrderResponse::Accepted;
        }
        self.journal.record(&record).await;
        log::apply(&mut self.sagas.borrow_mut(), &record);
        microsim::spawn(self.clone().run(id));
        OrderResponse::Accepted
    }

    /// Makes `record` durable, then applies it.
    async fn record(&self, record: Record) {
        self.journal.record(&record).await;
        log::apply(&mut self.sagas.borrow_mut(), &record);
        if let Record::Ended { id, .. } = record {
            self.oracle.finished.borrow_mut().entry(id).or_insert_with(time::global_now);
        }
    }

    /// The idempotency key of `step` (or of its compensation) at `attempt`,
    /// unless a planted bug drops it: `charge-without-key` drops it from the
    /// retries of a charge, `refund-without-key` from every refund.
    fn key(&self, id: OrderId, step: Step, undo: bool, attempt: u32) -> Option<Key> {
        let dropped = step == Step::Charge
            && if undo { self.bugs.refund_without_key } else { self.bugs.charge_without_key && attempt > 1 };
        (!dropped).then_some(Key { order: id, step })
    }

    /// Runs (or resumes) the saga of order `id` to its end.
    async fn run(self: Rc<Self>, id: OrderId) {
        let saga = self.sagas.borrow()[&id].clone();
        let work = saga.work();
        if saga.aborted.is_none() && saga.ending.is_none() {
            for step in Step::FORWARD.into_iter().filter(|s| !saga.done.contains(s)) {
                let settings = self.settings.settings();
                let req = |n| Request::Do { step, key: self.key(id, step, false, n), work: work.clone() };
                match self.caller.call(step.service(), req, &settings, Some(settings.step_attempts)).await {
                    Ok(()) => self.record(Record::Did { id, step }).await,
                    Err(StepError::GaveUp) if self.bugs.no_compensation_on_timeout && step == Step::Charge => {
                        // The bug: a charge that timed out is taken as never made,
                        // and the saga ends without compensating anything.
                        return self.record(Record::Ended { id, ending: Ending::Cancelled }).await;
                    }
                    Err(_) => {
                        self.record(Record::Aborted { id, at: step }).await;
                        return self.compensate(id, &work).await;
                    }
                }
            }
            return self.commit(id, &work).await;
        }
        if saga.ending.is_none() {
            self.compensate(id, &work).await;
        }
    }

    /// The pivot: once shipping is scheduled the order completes, whatever it takes.
    async fn commit(&self, id: OrderId, work: &Work) {
        if !self.sagas.borrow()[&id].done.contains(&Step::Commit) {
            let settings = self.settings.settings();
            let req =
                |n| Request::Do { step: Step::Commit, key: self.key(id, Step::Commit, false, n), work: work.clone() };
            let done = self.caller.call(Step::Commit.service(), req, &settings, None).await;
            assert_eq!(done, Ok(()), "a commit is never refused");
            self.record(Record::Did { id, step: Step::Commit }).await;
        }
        self.record(Record::Ended { id, ending: Ending::Completed }).await;
    }

    /// Undoes what may have been applied, last first, then ends the saga cancelled.
    async fn compensate(&self, id: OrderId, work: &Work) {
        let to_undo = self.sagas.borrow()[&id].to_undo();
        for step in to_undo {
            let settings = self.settings.settings();
            let req = |n| Request::Undo { step, key: self.key(id, step, true, n), work: work.clone() };
            let done = self.caller.call(step.service(), req, &settings, None).await;
            assert_eq!(done, Ok(()), "a compensation is never refused");
            self.record(Record::Undid { id, step }).await;
            bump(&self.oracle.seen.compensations);
        }
        self.record(Record::Ended { id, ending: Ending::Cancelled }).await;
    }
}

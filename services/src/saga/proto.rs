//! What the orchestrator, the participants and the clients say to each other.

use super::order::{Order, OrderError, OrderId};
use serde::{Deserialize, Serialize};

/// The participants' port.
pub const PORT: &str = "saga";

/// The orchestrator's port.
pub const ORDERS_PORT: &str = "orders";

/// A step of the saga, in order. The first three can be compensated; the
/// last (the pivot: stock moves from reserved to shipped) is only retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Step {
    /// Reserve the stock (inventory); undone by releasing it.
    Reserve,
    /// Charge the total (payment); undone by a refund.
    Charge,
    /// Schedule the delivery (shipping); undone by cancelling it.
    Schedule,
    /// Move the reserved stock to shipped (inventory).
    Commit,
}

impl Step {
    /// The steps a saga can compensate, in the order they are done.
    pub const FORWARD: [Step; 3] = [Step::Reserve, Step::Charge, Step::Schedule];

    /// The service that does this step.
    pub fn service(self) -> &'static str {
        match self {
            Step::Reserve | Step::Commit => "inventory",
            Step::Charge => "payment",
            Step::Schedule => "shipping",
        }
    }
}

/// An idempotency key: the order and the step. A compensation carries its
/// step's key: the participant then knows it undoes that step (and blocks the
/// step if it has not arrived yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Key {
    /// The order.
    pub order: OrderId,
    /// The step.
    pub step: Step,
}

/// What a step acts on: the order's item, quantity and total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Work {
    /// The order.
    pub order: OrderId,
    /// The item.
    pub item: String,
    /// The quantity (validated: positive).
    pub qty: u64,
    /// The total in cents (validated: fits).
    pub cents: i64,
}

/// A request to a participant.
#[derive(Clone, Debug)]
pub enum Request {
    /// Does `step`. Without a key (a planted bug) it is applied every time it arrives.
    Do {
        /// The step.
        step: Step,
        /// Its idempotency key.
        key: Option<Key>,
        /// What it acts on.
        work: Work,
    },
    /// Undoes `step` (a compensation). Without a key (a planted bug) it is
    /// applied every time it arrives.
    Undo {
        /// The step to undo.
        step: Step,
        /// The step's idempotency key.
        key: Option<Key>,
        /// What it acts on.
        work: Work,
    },
}

/// Why a participant refused a step (a business answer: retrying will not help).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// Not enough stock.
    OutOfStock,
    /// The payment was declined (over the card limit).
    Declined,
    /// The parcel cannot be shipped (too large).
    Undeliverable,
    /// The step was compensated before it arrived: it is blocked for good.
    Compensated,
}

/// A participant's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    /// Done (now, or earlier: a duplicate).
    Done,
    /// Refused for good.
    Refused(Refusal),
    /// Could not do it now (a disk error): retry.
    Unavailable,
}

/// A request to the orchestrator.
#[derive(Clone, Debug)]
pub enum OrderRequest {
    /// Places an order.
    Submit(Order),
    /// Asks how an order stands.
    Status(OrderId),
}

/// How an order ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ending {
    /// Every step applied.
    Completed,
    /// Every applied step compensated.
    Cancelled,
}

/// The orchestrator's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderResponse {
    /// The order is durably accepted: its saga will finish.
    Accepted,
    /// The order is invalid; nothing was recorded.
    Rejected(OrderError),
    /// How the order stands: `None` if unknown, `Some(None)` while it runs.
    Status(Option<Option<Ending>>),
    /// Not serving yet (recovering); retry.
    Unavailable,
}

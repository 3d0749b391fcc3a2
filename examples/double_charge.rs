//! A retry without an idempotency key charges twice.
//!
//! `cargo run --release --example double_charge`

#[path = "lesson/mod.rs"]
mod lesson;

fn main() {
    lesson::teach(&lesson::Lesson {
        title: "Double charge: a retry without an idempotency key",
        scenario: "saga",
        buggy: "charge-without-key",
        fixed: "correct",
        nodes: &["orders", "payment", "inventory", "client0"],
        window_ms: 200,
        what_went_wrong: "The orders service asked payment to charge a card, and the answer did not come back \
            in time (or the network delivered the request twice). It retried, and because the retry carried \
            no idempotency key, payment could not tell it from a new charge: the customer paid twice for one \
            order.",
        pattern: "Give every step an idempotency key (order id and step) and have the service store the \
            result under it, returning the stored result to a retry, as Stripe's Idempotency-Key header and \
            AWS's client tokens do.",
    });
}

//! A saga that does not compensate when payment times out leaves stock reserved forever.
//!
//! `cargo run --release --example missing_compensation`

#[path = "lesson/mod.rs"]
mod lesson;

fn main() {
    lesson::teach(&lesson::Lesson {
        title: "Missing compensation: a payment timeout that is never undone",
        scenario: "saga",
        buggy: "no-compensation-on-timeout",
        fixed: "correct",
        nodes: &["orders", "payment", "inventory", "client0", "client1"],
        window_ms: 300,
        what_went_wrong: "Payment did not answer within the saga's attempts. The orchestrator gave up on the \
            order but did not compensate the steps it had done: the stock stayed reserved and a charge that \
            landed late was never refunded. The order ended neither completed nor cancelled.",
        pattern: "Treat a timeout as 'unknown', not 'failed': compensate every step already done, in reverse \
            order, with idempotent compensations (a refund for a charge that has not arrived yet leaves a \
            tombstone that blocks it), as the saga pattern (Garcia-Molina and Salem) and Temporal workflows \
            do.",
    });
}

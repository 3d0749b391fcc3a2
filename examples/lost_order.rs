//! An order acknowledged before its saga log is synced is lost in a crash.
//!
//! `cargo run --release --example lost_order`

#[path = "lesson/mod.rs"]
mod lesson;

fn main() {
    lesson::teach(&lesson::Lesson {
        title: "Lost order: acknowledged before fsync",
        scenario: "saga",
        buggy: "ack-before-sync",
        fixed: "correct",
        nodes: &["orders", "client0", "client1"],
        window_ms: 200,
        what_went_wrong: "The orders service told the client 'accepted' and only then synced the order's \
            record to disk. It crashed in between: the write was still in the page cache and was lost, and \
            after the restart nobody knew of an order the customer had been told was placed.",
        pattern: "Write, sync, then acknowledge (the write-ahead log rule of every database); acknowledge only \
            what would survive a crash, and have the process resume unfinished work from its log on \
            restart.",
    });
}

//! A stale config read: reads served by a lagging replica.
//!
//! `cargo run --release --example stale_config`

#[path = "lesson/mod.rs"]
mod lesson;

fn main() {
    lesson::teach(&lesson::Lesson {
        title: "Stale read: a config value from a lagging replica",
        scenario: "config",
        buggy: "stale-read",
        fixed: "correct",
        nodes: &["cfg0", "cfg1", "cfg2", "app0", "app1", "app2"],
        window_ms: 100,
        what_went_wrong: "A client asked for a strong read and got the answer of a replica that had not yet \
            applied a write that had already been acknowledged to another client. The reader acted on an \
            old feature flag even though the new one was committed.",
        pattern: "Serve strong reads through the leader after confirming leadership (etcd's linearizable \
            reads with ReadIndex, a no-op through the log), and fence on versions so that a client never \
            accepts an older version than one it has seen.",
    });
}

//! Split brain in a service registry: a leader cut off in a minority keeps
//! answering lookups from its own (stale) state.
//!
//! `cargo run --release --example split_brain`

#[path = "lesson/mod.rs"]
mod lesson;

fn main() {
    lesson::teach(&lesson::Lesson {
        title: "Split brain: two registry leaders",
        scenario: "discovery",
        buggy: "two-leaders",
        fixed: "consistent",
        nodes: &["reg0", "reg1", "reg2", "inst0", "client0", "client1"],
        window_ms: 300,
        what_went_wrong: "A partition cut the registry's leader off from the other two replicas. They elected \
            a new leader, and an instance deregistered through it. The old leader never heard of it: without \
            check-quorum it still believed it led, and it answered a client's lookup from its own state, \
            listing the instance that had already left. Two leaders answered at once.",
        pattern: "Serve reads through the log (or a read index / lease confirmed by a majority), and have a \
            leader step down when it has not heard from a majority for an election timeout (Raft's \
            check-quorum, etcd's and ZooKeeper's behaviour).",
    });
}

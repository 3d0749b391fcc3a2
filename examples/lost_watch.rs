//! A lost watch notification: a watch resumed from the wrong revision after a
//! reconnect skips the changes in between.
//!
//! `cargo run --release --example lost_watch`

#[path = "lesson/mod.rs"]
mod lesson;

fn main() {
    lesson::teach(&lesson::Lesson {
        title: "Lost notification: a watch resumed from the wrong revision",
        scenario: "config",
        buggy: "lost-watch",
        fixed: "correct",
        nodes: &["cfg0", "cfg1", "cfg2", "watch0", "watch1"],
        window_ms: 100,
        what_went_wrong: "A watcher lost its server and reconnected to another. It resumed from the newest \
            revision it could see instead of the one after the last change it had delivered, so the changes \
            committed in between were never delivered: the application kept a configuration nobody had \
            set.",
        pattern: "Resume a watch from the last delivered revision plus one (etcd's watch `start_revision`, \
            Kubernetes' `resourceVersion`), and when that history was compacted, re-read everything and \
            start again from the snapshot's revision.",
    });
}

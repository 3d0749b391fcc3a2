//! Clock skew and leases: a registry that judges leases by the client's
//! clock keeps a dead instance registered after its lease ran out.
//!
//! `cargo run --release --example clock_skew`

#[path = "lesson/mod.rs"]
mod lesson;

fn main() {
    lesson::teach(&lesson::Lesson {
        title: "Clock skew: a lease judged by the client's clock",
        scenario: "discovery",
        buggy: "client-clock",
        fixed: "available",
        nodes: &["reg0", "reg1", "reg2", "inst1", "client0", "client1"],
        window_ms: 400,
        what_went_wrong: "An instance's wall clock jumped ahead, and its heartbeats carried that time. The \
            registry took the client's timestamp as the moment of renewal, so when the instance died its \
            lease looked fresh for seconds longer than its time-to-live, and clients were sent to a dead \
            instance.",
        pattern: "Judge a lease by the server's own monotonic clock (the time the renewal arrived), never by \
            a timestamp from the client; allow for bounded drift with a grace period, as Chubby, etcd and \
            Consul do.",
    });
}

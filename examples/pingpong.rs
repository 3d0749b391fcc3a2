//! The smallest tour of microsim: run the pingpong scenario, print what happened,
//! and show that the same seed gives the same run.
//!
//! `cargo run --release --example pingpong`

use microsim::RecordMode;
use microsim_services::pingpong::PingPong;

fn main() {
    let seed = 42;
    let outcome = PingPong::new(seed, 3).record(RecordMode::Full).run();
    println!("{outcome}\n");
    let trace = outcome.trace();
    for r in trace.records().iter().take(20) {
        let node = trace.header.node_name(r.node);
        let text = r.event.text().map(|t| trace.text(t)).unwrap_or("");
        println!("{:>14}ns  {node:<8} {:<8} {text}", r.time_ns, r.event.kind());
    }
    let again = PingPong::new(seed, 3).run();
    assert_eq!(outcome.hash(), again.hash());
    println!("\nsame seed, same trace hash: {}", again.hash().expect("summary mode hashes"));
}

//! Hello, microsim: two nodes, a partition, and the trace of what happened.
//!
//! A pinger sends a numbered ping every 10 ms to a ponger, which answers. From
//! 25 ms to 55 ms the network is partitioned: the pings sent then are dropped,
//! and the trace shows it. Same seed, same run, byte for byte.
//!
//! `cargo run --release --example hello`

use microsim::net::Socket;
use microsim::plan::{Fault, FaultPlan, PlanTime, Step};
use microsim::{time, Latency, RecordMode, Sim};
use microsim_traces::view::{text::write_text, Filter};
use std::time::Duration;

fn main() {
    let ms = Duration::from_millis;
    let mut sim = Sim::builder().seed(1).record(RecordMode::Full).latency(Latency::Fixed(ms(2))).build();
    sim.node("ponger", || async {
        let socket = Socket::<u32>::bind("ping").unwrap();
        loop {
            let (from, n) = socket.recv().await;
            socket.send_to(from, n);
        }
        #[allow(unreachable_code)]
        ()
    })
    .unwrap();
    sim.client("pinger", move || async move {
        let socket = Socket::<u32>::bind("ping").unwrap();
        for n in 0..8u32 {
            socket.send_to(("ponger", "ping"), n);
            match time::timeout(ms(10), socket.recv()).await {
                Ok((_, pong)) => tracing::info!("pong {pong}"),
                Err(_) => tracing::warn!("no pong for ping {n}"),
            }
        }
    })
    .unwrap();
    let partition = Fault::Partition { groups: vec![vec!["pinger".into()], vec!["ponger".into()]] };
    let steps =
        vec![Step { at: PlanTime(ms(25)), fault: partition }, Step { at: PlanTime(ms(55)), fault: Fault::HealNetwork }];
    sim.plan(&FaultPlan::new(steps)).unwrap();
    let outcome = sim.run();
    println!("{outcome}\n");
    let mut jsonl = Vec::new();
    microsim_traces::write_jsonl(outcome.trace(), &mut jsonl).unwrap();
    let mut reader = microsim_traces::TraceReader::new(&jsonl[..]).unwrap();
    let filter =
        Filter { kinds: ["send", "deliver", "drop", "fault", "log"].map(String::from).to_vec(), ..Filter::default() };
    let mut text = Vec::new();
    write_text(&mut reader, &filter, &mut text).unwrap();
    println!("{}", String::from_utf8_lossy(&text));
    println!("Run it again: the same seed gives the same trace hash ({}).", outcome.hash().unwrap());
    println!("Next: `cargo run --release --example split_brain` and the other lessons in examples/.");
}

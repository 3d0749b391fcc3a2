//! Your first scenario (the README's tutorial): a counter service whose
//! client retries an increment that timed out. Explore it under faults and
//! microsim finds the double increment, shrinks it and saves it.
//!
//! `cargo run --release --example first_scenario`

use microsim::explore::{sweep, SeedRange, StopAt};
use microsim::nemesis::Profile;
use microsim::scenario::{run, RunSpec, Scenario};
use microsim::{property::always_or, rpc, Seed, Sim, SimError};
use std::time::Duration;

struct Counter;

impl Scenario for Counter {
    fn name(&self) -> &str {
        "counter"
    }
    fn nodes(&self) -> Vec<String> {
        vec!["server".into(), "client".into()]
    }
    fn horizon(&self) -> Duration {
        Duration::from_secs(5)
    }
    fn setup(&self, sim: &mut Sim, _: &RunSpec) -> Result<(), SimError> {
        sim.node("server", || async {
            let (server, mut count) = (rpc::Server::<(), u64>::bind("add").unwrap(), 0);
            loop {
                let call = server.next().await;
                count += 1;
                call.reply(count);
            }
            #[allow(unreachable_code)]
            ()
        })?;
        sim.client("client", || async {
            for want in 1..=5u64 {
                let got: u64 = loop {
                    // retry until answered: not idempotent!
                    if let Ok(n) = rpc::call(("server", "add"), (), Duration::from_millis(20)).await {
                        break n;
                    }
                };
                always_or("each increment counts once", got == want, || format!("got {got}, want {want}"));
            }
        })
    }
}

fn main() {
    let spec = |seed: Seed| RunSpec { plan: Counter.plan(seed, &Profile::default()), ..RunSpec::new(seed) };
    let found = sweep(&SeedRange::new(0, 1000), 2, StopAt::FirstFailure, |_| {}, |seed| run(&Counter, &spec(seed)).0);
    let (seed, report) = found.first_failure().expect("a lost reply makes the retry count twice");
    println!("{report}");
    let shrunk = microsim::failure::shrink(&Counter, &spec(*seed), report, 200);
    println!("shrunk to {} plan steps: {}", shrunk.steps.1, shrunk.spec.plan.to_json());
}

//! The replicated log under random fault plans (crashes, pauses, partitions,
//! loss, clock faults): replicas never apply different commands at the same
//! index, there is at most one leader per term, and every acknowledged
//! command is in the log that survives.

use microsim::nemesis::Profile;
use microsim::{rpc, time, Sim};
use microsim_services::raft::{Machine, ProposeError, Replica, Timing};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

/// The applied commands, in order.
#[derive(Clone, Debug, Default)]
struct Applied(Vec<u64>);

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Add(u64);

impl Machine for Applied {
    type Cmd = Add;
    type Out = usize;
    fn apply(&mut self, cmd: &Add) -> usize {
        self.0.push(cmd.0);
        self.0.len()
    }
}

#[derive(Default)]
struct Seen {
    /// Every applied sequence each replica ever showed (a crash starts it over).
    applied: Vec<Vec<u64>>,
    /// (term, leader) pairs seen.
    leaders: BTreeMap<u64, String>,
    two_leaders: Option<(u64, String, String)>,
    acked: Vec<u64>,
}

const MEMBERS: [&str; 3] = ["r0", "r1", "r2"];

fn members() -> Vec<String> {
    MEMBERS.iter().map(|m| m.to_string()).collect()
}

async fn replica(seen: Rc<RefCell<Seen>>) {
    let replica = Replica::<Applied>::start(&members(), Timing::default()).unwrap();
    let server = rpc::Server::<u64, Result<usize, ProposeError>>::bind("api").unwrap();
    let r = replica.clone();
    microsim::spawn(async move {
        loop {
            let req = server.next().await;
            let r = r.clone();
            microsim::spawn(async move {
                let out = r.propose(Add(req.body)).await;
                req.reply(out);
            });
        }
    });
    let me = microsim::control::current_node();
    loop {
        {
            let mut s = seen.borrow_mut();
            s.applied.push(replica.read_local(|m| m.0.clone()));
            if replica.is_leader() {
                let term = replica.term();
                match s.leaders.get(&term) {
                    Some(other) if *other != me => s.two_leaders = Some((term, other.clone(), me.clone())),
                    _ => {
                        s.leaders.insert(term, me.clone());
                    }
                }
            }
        }
        time::sleep(Duration::from_millis(5)).await;
    }
}

async fn client(seen: Rc<RefCell<Seen>>) {
    let mut target = 0;
    for n in 0..60u64 {
        for _ in 0..50 {
            let to = MEMBERS[target % 3];
            match rpc::call::<u64, Result<usize, ProposeError>>((to, "api"), n, Duration::from_millis(200)).await {
                Ok(Ok(_)) => {
                    seen.borrow_mut().acked.push(n);
                    break;
                }
                Ok(Err(ProposeError::NotLeader { hint: Some(h) })) => {
                    target = MEMBERS.iter().position(|m| *m == h).unwrap_or(target + 1);
                }
                _ => {
                    target += 1;
                    time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }
    // Replicas publish what they applied every 5 ms: let them publish the last.
    time::sleep(Duration::from_millis(10)).await;
}

fn check(seed: u64) -> Result<(), String> {
    let seen = Rc::new(RefCell::new(Seen::default()));
    let mut sim = Sim::builder().seed(seed).max_time(Duration::from_secs(60)).build();
    for m in MEMBERS {
        let s = seen.clone();
        sim.node(m, move || replica(s.clone())).unwrap();
    }
    let s = seen.clone();
    sim.client("client", move || client(s.clone())).unwrap();
    let plan = Profile::default().plan(seed, &MEMBERS, Duration::from_secs(3));
    sim.plan(&plan).unwrap();
    let outcome = sim.run();
    let s = seen.borrow();
    let context = || format!("seed {seed}, plan {}", plan.to_json());
    if let Some(f) = &outcome.failure {
        return Err(format!("{f} ({})", context()));
    }
    if let Some((term, a, b)) = &s.two_leaders {
        return Err(format!("two leaders in term {term}: {a} and {b} ({})", context()));
    }
    let longest = s.applied.iter().max_by_key(|a| a.len()).cloned().unwrap_or_default();
    for a in &s.applied {
        if !longest.starts_with(a) {
            return Err(format!("applied {a:?} is not a prefix of {longest:?} ({})", context()));
        }
    }
    for n in &s.acked {
        if !longest.contains(n) {
            return Err(format!("acknowledged {n} is not in the log {longest:?} ({})", context()));
        }
    }
    Ok(())
}

#[test]
fn the_log_is_safe_under_random_fault_plans() {
    let seeds = if std::env::var_os("MICROSIM_DEEP").is_some() { 2000 } else { 60 };
    for seed in 0..seeds {
        if let Err(e) = check(seed) {
            panic!("{e}");
        }
    }
}

#[test]
fn a_fault_free_run_commits_every_command() {
    check(12345).unwrap();
}

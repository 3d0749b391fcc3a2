//! The consistent mode: a Raft group, as etcd and ZooKeeper do it.
//!
//! Registrations, deregistrations, expiries and lookups go through the log, so
//! the registry is linearizable; without a majority it answers nothing. The
//! leader keeps the leases in memory, judged by its own clock, and expires an
//! instance through the log when its lease runs out; a new leader grants every
//! instance a fresh lease (it cannot know when they last renewed), so a lease
//! can outlive its TTL by one failover. Watches are answered from the leader's
//! applied state.
//!
//! The `two-leaders` bug turns off check-quorum and answers lookups from the
//! leader's local state: a leader cut off in a minority goes on answering, and
//! its answers miss what the new leader did (an instance deregistered on the
//! majority side is still returned).

use super::history::{RegOp, RegOut};
use super::lease::Leases;
use super::observe::{bump, Seen};
use super::proto::{Request, Response, PORT};
use super::registry::{Command, Output, Registry};
use super::{Bugs, EXPIRY_CHECK, TTL, WATCH_HOLD};
use crate::raft::{ProposeError, Replica, Timing};
use microsim::rpc;
use microsim::time::{self, Instant};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// Runs one replica of the registry (a node's main task).
pub async fn serve(members: Vec<String>, bugs: Bugs, seen: Rc<Seen>) -> Result<(), String> {
    let timing = Timing { check_quorum: !bugs.two_leaders, ..Timing::default() };
    let replica = Replica::<Registry>::start(&members, timing).map_err(|e| e.to_string())?;
    let leases = Rc::new(RefCell::new(Leases::new(bugs.client_clock)));
    let me = microsim::control::current_node();
    let process = 100 + members.iter().position(|m| *m == me).unwrap_or(0) as u64;
    microsim::spawn(expire(replica.clone(), leases.clone(), seen, process));
    let server = rpc::Server::<Request, Response>::bind(PORT).map_err(|e| e.to_string())?;
    loop {
        let incoming = server.next().await;
        let (replica, leases) = (replica.clone(), leases.clone());
        microsim::spawn(async move {
            let response = handle(&replica, &leases, bugs, incoming.body.clone()).await;
            incoming.reply(response);
        });
    }
}

fn failed(e: ProposeError) -> Response {
    match e {
        ProposeError::NotLeader { hint } => Response::NotLeader { hint },
        ProposeError::Lost | ProposeError::Disk => Response::Unavailable,
    }
}

async fn handle(replica: &Replica<Registry>, leases: &RefCell<Leases>, bugs: Bugs, req: Request) -> Response {
    if !replica.is_leader() {
        return Response::NotLeader { hint: replica.leader() };
    }
    match req {
        Request::Register { instance, stamp, op } => {
            let key = instance.key();
            match replica.propose(Command::Register(instance, op)).await {
                Ok(_) => {
                    leases.borrow_mut().renew(key, stamp);
                    Response::Done
                }
                Err(e) => failed(e),
            }
        }
        Request::Renew { key, stamp } => {
            if replica.read_local(|r| r.contains(&key)) {
                leases.borrow_mut().renew(key, stamp);
                Response::Done
            } else {
                Response::Unknown
            }
        }
        Request::Deregister { key, op } => match replica.propose(Command::Deregister(key.clone(), op)).await {
            Ok(_) => {
                leases.borrow_mut().remove(&key);
                Response::Done
            }
            Err(e) => failed(e),
        },
        Request::Lookup { service } if bugs.two_leaders => {
            let (version, instances) = replica.read_local(|r| r.lookup(&service));
            Response::Instances { version, instances, preserving: false }
        }
        Request::Lookup { service } => match replica.propose(Command::Lookup(service)).await {
            Ok(Output::Instances(version, instances)) => Response::Instances { version, instances, preserving: false },
            Ok(Output::Changed(_)) => Response::Unavailable,
            Err(e) => failed(e),
        },
        Request::Watch { service, since } => {
            let deadline = time::now() + WATCH_HOLD;
            loop {
                let (version, instances) = replica.read_local(|r| r.lookup(&service));
                if version > since || time::now() >= deadline || !replica.is_leader() {
                    return Response::Instances { version, instances, preserving: false };
                }
                time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

/// The leader's lease keeper: expires, through the log, every instance whose
/// lease ran out.
async fn expire(replica: Replica<Registry>, leases: Rc<RefCell<Leases>>, seen: Rc<Seen>, process: u64) {
    let mut leading_since: Option<Instant> = None;
    loop {
        time::sleep(EXPIRY_CHECK).await;
        let since = replica.leader_since();
        if since.is_none() {
            leading_since = None;
            continue;
        }
        if since != leading_since {
            leading_since = since;
            let keys: Vec<_> = replica.read_local(|r| r.keys().collect());
            leases.borrow_mut().reset(keys.into_iter());
            continue;
        }
        let keys: Vec<_> = replica.read_local(|r| r.keys().collect());
        let expired = leases.borrow_mut().expired(keys.into_iter(), TTL);
        for key in expired {
            bump(&seen.expiries);
            let recorded = seen.history.invoke(process, RegOp::Expire(key.1.clone()));
            let applied = replica.propose(Command::Expire(key.clone())).await.is_ok();
            seen.history.complete(recorded, applied.then_some(RegOut::Done));
            if applied {
                leases.borrow_mut().remove(&key);
            }
        }
    }
}

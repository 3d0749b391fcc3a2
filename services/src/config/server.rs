//! A config server: this node's Raft replica of the [`Store`] and the RPC
//! front end. Writes and strong reads are proposed to the log and answered
//! once applied; local reads answer from the applied state; a watch first
//! passes a barrier through the log (so the store it waits on holds every
//! change committed before the watch), then holds the call until a change
//! under its prefix is applied here or [`WATCH_HOLD`] passes.

use super::api::{ReadMode, Reply, Request, Response, Write, PORT};
use super::error::ConfigError;
use super::key::{check_key, check_prefix};
use super::machine::{Cmd, Observer, Store};
use super::variant::Variant;
use crate::raft::{ProposeError, Replica, Timing};
use microsim::{rpc, time, SimError};
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

/// How long a watch is held when nothing changes (the long poll).
pub const WATCH_HOLD: Duration = Duration::from_millis(200);

/// How often a held watch looks at the store again.
const WATCH_POLL: Duration = Duration::from_millis(2);

/// What a server needs: its group, the variant, and who to tell of changes.
#[derive(Clone)]
pub struct ServerConfig {
    /// The node names of the group.
    pub members: Vec<String>,
    /// Which version of the service runs.
    pub variant: Variant,
    /// Raft's election and heartbeat timing.
    pub timing: Timing,
    /// Called with every change the replica applies (the property suite's oracle).
    pub observer: Option<Observer>,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServerConfig({:?}, {})", self.members, self.variant.name())
    }
}

/// Runs a config server on this node until it crashes.
pub async fn serve(config: ServerConfig) -> Result<(), SimError> {
    let replica = Replica::<Store>::start(&config.members, config.timing)?;
    if let Some(observer) = config.observer.clone() {
        replica.read_local(|store| store.observe(move |e| observer(e)));
    }
    let server = rpc::Server::<Request, Response>::bind(PORT)?;
    let in_flight = Rc::new(Cell::new(0u64));
    loop {
        let incoming = server.next().await;
        let (replica, variant, in_flight) = (replica.clone(), config.variant, in_flight.clone());
        microsim::spawn(async move {
            let (request, call) = (incoming.body.clone(), incoming.call_id());
            let response = handle(&replica, variant, &in_flight, request, call).await;
            incoming.reply(response);
        });
    }
}

async fn propose(replica: &Replica<Store>, cmd: Cmd) -> Response {
    match replica.propose(cmd).await {
        Ok(out) => out,
        Err(ProposeError::NotLeader { hint }) => Err(ConfigError::NotLeader { hint }),
        Err(ProposeError::Lost | ProposeError::Disk) => Err(ConfigError::Unavailable),
    }
}

async fn handle(
    replica: &Replica<Store>,
    variant: Variant,
    in_flight: &Rc<Cell<u64>>,
    req: Request,
    call: u64,
) -> Response {
    match req {
        Request::Get { key, mode, client } => {
            check_key(&key)?;
            if mode == ReadMode::Local || variant == Variant::StaleRead {
                let (value, version) = replica.read_local(|s| s.view(&key, &client));
                return Ok(Reply::Read { value, version });
            }
            propose(replica, Cmd::Read { key, client }).await
        }
        Request::Write(w) => {
            w.check()?;
            match w {
                Write::Put { key, value } if variant == Variant::EarlyAck => early_ack(replica, in_flight, key, value),
                // A duplicate of the request (same call) is applied once.
                write => propose(replica, Cmd::Once { call, write }).await,
            }
        }
        Request::Watch { prefix, from, client } => watch(replica, prefix, from, client).await,
    }
}

/// The planted bug of [`Variant::EarlyAck`]: the put is appended to the
/// leader's log and acknowledged at once, with the version it will get if
/// nothing goes wrong.
fn early_ack(replica: &Replica<Store>, in_flight: &Rc<Cell<u64>>, key: String, value: String) -> Response {
    if !replica.is_leader() {
        return Err(ConfigError::NotLeader { hint: replica.leader() });
    }
    in_flight.set(in_flight.get() + 1);
    let version = replica.read_local(|s| s.revision()) + in_flight.get();
    let (r, in_flight) = (replica.clone(), in_flight.clone());
    microsim::spawn(async move {
        let _ = r.propose(Cmd::Write(Write::Put { key, value })).await;
        in_flight.set(in_flight.get() - 1);
    });
    Ok(Reply::Written { version })
}

/// A long poll: changes under `prefix` from `from` (after a barrier), or a
/// compaction notice with a snapshot, or nothing new after [`WATCH_HOLD`].
async fn watch(replica: &Replica<Store>, prefix: String, from: Option<u64>, client: String) -> Response {
    check_prefix(&prefix)?;
    let current = match propose(replica, Cmd::Barrier).await? {
        Reply::Revision(n) => n,
        other => unreachable!("a barrier answers a revision, not {other:?}"),
    };
    let from = from.unwrap_or(current + 1).max(1);
    if from > current + 1 {
        return Err(ConfigError::FutureRevision { from, current });
    }
    let deadline = time::now() + WATCH_HOLD;
    loop {
        let timed_out = time::now() >= deadline;
        let answer = replica.read_local(|s| match s.events_from(&prefix, from) {
            None => Some(Reply::Compacted { revision: s.revision(), snapshot: s.snapshot(&prefix, &client) }),
            Some(events) if !events.is_empty() || timed_out => Some(Reply::Events { events, through: s.revision() }),
            Some(_) => None,
        });
        if let Some(answer) = answer {
            return Ok(answer);
        }
        time::sleep(WATCH_POLL).await;
    }
}

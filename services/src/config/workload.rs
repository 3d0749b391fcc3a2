//! The writers' workload: each client does a number of operations on a few
//! keys (puts, strong and local reads, compare-and-sets, deletes), with a
//! short think time between them; one client also runs canary releases of a
//! feature flag to one other client, which reads it, as does a third client
//! that must not see it before it is promoted.

use super::api::{Change, ReadMode, Write};
use super::client::{clients, Answer, Client};
use super::oracle::Oracle;
use microsim::property::{always_or, sometimes};
use microsim::rand::random_range;
use microsim::time;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// The ordinary keys the writers use.
pub const KEYS: [&str; 4] = ["shop/prod/timeout", "shop/prod/limit", "shop/prod/theme", "shop/test/timeout"];

/// The feature flag released by canary.
pub const FEATURE: &str = "shop/prod/feature";

/// The client that runs canary releases, the one that sees them first, and one that does not.
pub const CANARY: (&str, &str, &str) = ("app0", "app1", "app2");

/// One writer's settings.
#[derive(Clone, Debug)]
pub struct WriterConfig {
    /// Its client id.
    pub id: String,
    /// The servers.
    pub servers: Vec<String>,
    /// How many operations it does.
    pub ops: u32,
}

/// Runs one writer's workload; tells the oracle when done (and returns the
/// final history then, when it was the last writer).
pub async fn write(config: WriterConfig, oracle: Rc<RefCell<Oracle>>) -> Option<super::History> {
    let mut client = Client::new(&config.id, config.servers.clone(), oracle.clone());
    for i in 0..config.ops {
        time::sleep(Duration::from_millis(random_range(1..15))).await;
        let key = KEYS[random_range(0..KEYS.len())];
        let value = format!("{}-{i}", config.id);
        match random_range(0..100) {
            0..40 => drop(client.write(Write::Put { key: key.into(), value }).await),
            40..70 => read_feature_or(&mut client, &oracle, key).await,
            70..80 => drop(client.get(key, ReadMode::Local).await),
            80..90 => {
                let expected = client.seen_version(key);
                drop(client.write(Write::Cas { key: key.into(), expected, value }).await);
            }
            90..94 => drop(client.write(Write::Delete { key: key.into() }).await),
            _ if config.id == CANARY.0 => canary_step(&mut client, value).await,
            _ => drop(client.write(Write::Put { key: key.into(), value }).await),
        }
    }
    let last = oracle.borrow_mut().writer_done();
    last.then(|| oracle.borrow().history().clone())
}

/// A strong read: of the feature flag, by the clients that watch its release,
/// half of the time; of `key` otherwise.
async fn read_feature_or(client: &mut Client, oracle: &Rc<RefCell<Oracle>>, key: &str) {
    let id = client.id().to_string();
    let flag = (id == CANARY.1 || id == CANARY.2) && random_range(0..2) == 0;
    if !flag {
        drop(client.get(key, ReadMode::Strong).await);
        return;
    }
    let Answer::Ok(_, version) = client.get(FEATURE, ReadMode::Strong).await else { return };
    let canary = matches!(oracle.borrow().change_at(version).map(|e| &e.change), Some(Change::Canary { .. }));
    if id == CANARY.1 {
        sometimes("config: a canary client saw a canary value before its promotion", canary);
    } else {
        always_or("config: a canary value is visible to its canary clients only", !canary, || {
            format!("{id} read the canary value of {FEATURE} at version {version}")
        });
    }
}

/// Starts a canary release of the feature flag to one client, or promotes the
/// pending one.
async fn canary_step(client: &mut Client, value: String) {
    let promote = random_range(0..2) == 0;
    if promote {
        let answer = client.write(Write::Promote { key: FEATURE.into() }).await;
        sometimes("config: a canary release was promoted", matches!(answer, Answer::Ok(..)));
    } else {
        let canary = clients(&[CANARY.1]);
        drop(client.write(Write::Canary { key: FEATURE.into(), value, clients: canary }).await);
    }
}

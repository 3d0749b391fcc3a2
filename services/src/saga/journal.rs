//! A durable journal of JSON lines on the node's simulated disk, shared by the
//! orchestrator's saga log and the participants' books: write, then sync, then
//! act; replay on restart.
//!
//! A crash may tear the unsynced tail (a line cut short). Replay skips a line
//! that does not parse (only an unsynced tail can be torn, and nothing was
//! acted on from it), and opening the journal ends a torn tail with a newline
//! so the lines written after it stay whole.

use microsim::disk::{self, DiskError, File};
use microsim::time;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;

/// How long to wait before retrying a failed disk operation (disk faults are
/// healed at the end of the chaos phase, so retrying always ends).
const RETRY: Duration = Duration::from_millis(10);

/// An open journal.
#[derive(Debug)]
pub struct Journal {
    file: File,
}

impl Journal {
    /// Opens (or creates) the journal `name` and reads its lines back,
    /// retrying while the disk fails.
    pub async fn open<L: DeserializeOwned>(name: &str) -> (Journal, Vec<L>) {
        loop {
            match Journal::try_open(name) {
                Ok(opened) => return opened,
                Err(e) => {
                    tracing::warn!("opening {name}: {e}; retrying");
                    time::sleep(RETRY).await;
                }
            }
        }
    }

    fn try_open<L: DeserializeOwned>(name: &str) -> Result<(Journal, Vec<L>), DiskError> {
        let file = disk::open(name).or_else(|_| disk::create(name))?;
        let bytes = file.read_all()?;
        if bytes.last().is_some_and(|&b| b != b'\n') {
            file.append(b"\n")?;
        }
        let lines = bytes.split(|&b| b == b'\n').filter_map(|l| serde_json::from_slice(l).ok()).collect();
        Ok((Journal { file }, lines))
    }

    /// Appends `line` without syncing it.
    pub fn write<L: Serialize>(&self, line: &L) -> Result<(), DiskError> {
        let mut bytes = serde_json::to_vec(line).expect("journal lines serialize");
        bytes.push(b'\n');
        self.file.append(&bytes).map(|_| ())
    }

    /// Makes every line written so far durable, retrying until the disk lets it.
    pub async fn sync(&self) {
        while let Err(e) = self.file.sync().await {
            tracing::warn!("syncing {}: {e}; retrying", self.file.name());
            time::sleep(RETRY).await;
        }
    }

    /// Writes `line` and makes it durable, retrying until the disk lets it.
    pub async fn record<L: Serialize>(&self, line: &L) {
        while let Err(e) = self.write(line) {
            tracing::warn!("writing {}: {e}; retrying", self.file.name());
            time::sleep(RETRY).await;
        }
        self.sync().await;
    }
}

/// Whether this node's disk was wiped since its first start: `born` is the
/// node's record of having started before (kept by the oracle, outside the
/// simulation); the marker file on disk says whether the disk remembers it.
/// Writes the marker (synced) if it is missing.
pub async fn wiped(born: bool) -> bool {
    const MARKER: &str = "born";
    if disk::open(MARKER).is_ok() {
        return false;
    }
    loop {
        if let Ok(file) = disk::create(MARKER) {
            if file.sync().await.is_ok() {
                return born;
            }
        }
        time::sleep(RETRY).await;
    }
}

//! A replica's durable state on its simulated disk: the term, the vote and the
//! log, as JSON lines appended to one file and synced before the replica acts
//! on them (answers a vote or an append, counts its own entry).
//!
//! On restart the file is read back line by line; a torn last line (a crash in
//! the middle of a write) ends the replay, which is safe because nothing after
//! it was synced, so nothing after it was acted on.

use super::msg::Entry;
use microsim::disk::{self, DiskError, File};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

const FILE: &str = "raft.log";

/// One line of the file.
#[derive(Serialize, Deserialize)]
enum Line<C> {
    /// The term and vote changed.
    Meta { term: u64, vote: Option<String> },
    /// The entry at `index` (1-based).
    Put { index: u64, entry: Entry<C> },
    /// Entries from `index` on are removed (they conflicted with a leader's).
    Cut { index: u64 },
}

/// What a replica remembers across crashes.
#[derive(Debug)]
pub struct Durable<C> {
    /// The current term.
    pub term: u64,
    /// Whom this replica voted for in `term`.
    pub vote: Option<String>,
    /// The log; `log[i]` has index `i + 1`.
    pub log: Vec<Entry<C>>,
}

/// The file, and lines written but not yet synced.
#[derive(Debug)]
pub struct Store {
    file: Option<File>,
    dirty: bool,
}

impl Store {
    /// Opens (or creates) the file and reads back what it holds.
    pub fn open<C: DeserializeOwned>() -> (Store, Durable<C>) {
        let mut durable = Durable { term: 0, vote: None, log: Vec::new() };
        let file = disk::open(FILE).or_else(|_| disk::create(FILE)).ok();
        let bytes = file.as_ref().and_then(|f| f.read_all().ok()).unwrap_or_default();
        for line in bytes.split(|&b| b == b'\n') {
            let Ok(line) = serde_json::from_slice::<Line<C>>(line) else { break };
            match line {
                Line::Meta { term, vote } => (durable.term, durable.vote) = (term, vote),
                Line::Put { index, entry } => {
                    durable.log.truncate(index as usize - 1);
                    durable.log.push(entry);
                }
                Line::Cut { index } => durable.log.truncate(index as usize - 1),
            }
        }
        (Store { file, dirty: false }, durable)
    }

    fn write<C: Serialize>(&mut self, line: &Line<C>) -> Result<(), DiskError> {
        let file = self.file.as_ref().ok_or(DiskError::NotFound(FILE.into()))?;
        let mut bytes = serde_json::to_vec(line).expect("log lines serialize");
        bytes.push(b'\n');
        file.append(&bytes)?;
        self.dirty = true;
        Ok(())
    }

    /// Writes the term and vote (not yet synced).
    pub fn meta(&mut self, term: u64, vote: Option<&str>) -> Result<(), DiskError> {
        self.write::<()>(&Line::Meta { term, vote: vote.map(str::to_string) })
    }

    /// Writes the entry at `index` (not yet synced).
    pub fn put<C: Serialize + Clone>(&mut self, index: u64, entry: &Entry<C>) -> Result<(), DiskError> {
        self.write(&Line::Put { index, entry: entry.clone() })
    }

    /// Writes that entries from `index` on are gone (not yet synced).
    pub fn cut(&mut self, index: u64) -> Result<(), DiskError> {
        self.write::<()>(&Line::Cut { index })
    }

    /// The file to sync if anything was written since the last sync; the
    /// caller syncs it without holding the replica's state (a sync takes time)
    /// and calls [`Store::sync_failed`] if it fails.
    pub fn take_sync(&mut self) -> Option<File> {
        if !self.dirty {
            return None;
        }
        self.dirty = false;
        self.file.clone()
    }

    /// A sync failed: what was written is still not durable.
    pub fn sync_failed(&mut self) {
        self.dirty = true;
    }
}

//! The disk as a node's code sees it: files by name on the current node's disk.
//!
//! Every operation acts at once except [`File::sync`], which takes the disk's
//! sync latency in virtual time and only then makes the file durable; a crash in
//! between loses the unsynced writes, as a power cut would.

use super::DiskError;
use crate::runtime::{self, Inner, State};
use microsim_traces::NodeIx;

/// A file on the current node's disk. It names the file; it holds no data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    node: NodeIx,
    name: String,
}

fn current(inner: &Inner) -> NodeIx {
    let node = inner.current_node();
    assert!(node != microsim_traces::NO_NODE, "microsim::disk is used from a node's task");
    node
}

/// Runs `f` on the current node's disk and its fault stream.
fn with_disk<R>(f: impl FnOnce(&mut super::Disk, &mut crate::rng::SimRng) -> R) -> R {
    runtime::with(|inner| {
        let node = current(inner);
        let mut st = inner.state.borrow_mut();
        let (disk, rng) = st.nodes.list[node as usize].disk_and_rng(inner.seed);
        f(disk, rng)
    })
}

/// Creates an empty file (or empties an existing one) on this node's disk.
pub fn create(name: &str) -> Result<File, DiskError> {
    with_disk(|d, _| d.create(name))?;
    open(name)
}

/// Opens an existing file.
pub fn open(name: &str) -> Result<File, DiskError> {
    runtime::with(|inner| {
        let node = current(inner);
        let st = inner.state.borrow();
        if !st.nodes.list[node as usize].disk.exists(name) {
            return Err(DiskError::NotFound(name.to_string()));
        }
        Ok(File { node, name: name.to_string() })
    })
}

/// Deletes a file.
pub fn delete(name: &str) -> Result<(), DiskError> {
    with_disk(|d, _| d.delete(name))
}

/// The names of this node's files, in order.
pub fn list() -> Vec<String> {
    with_disk(|d, _| d.list())
}

impl File {
    /// The file's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn with<R>(&self, f: impl FnOnce(&mut super::Disk, &mut crate::rng::SimRng, &str) -> R) -> R {
        runtime::with(|inner| {
            let mut st = inner.state.borrow_mut();
            let (disk, rng) = st.nodes.list[self.node as usize].disk_and_rng(inner.seed);
            f(disk, rng, &self.name)
        })
    }

    /// Writes `data` at `offset`; durable only after a sync.
    pub fn write_at(&self, offset: u64, data: &[u8]) -> Result<(), DiskError> {
        self.with(|d, r, name| d.write_at(r, name, offset, data))
    }

    /// Appends `data`; returns the offset it went to.
    pub fn append(&self, data: &[u8]) -> Result<u64, DiskError> {
        self.with(|d, r, name| d.append(r, name, data))
    }

    /// Reads up to `len` bytes at `offset`.
    pub fn read_at(&self, offset: u64, len: u64) -> Result<Vec<u8>, DiskError> {
        self.with(|d, r, name| d.read_at(r, name, offset, len))
    }

    /// Reads the whole file.
    pub fn read_all(&self) -> Result<Vec<u8>, DiskError> {
        self.read_at(0, u64::MAX)
    }

    /// The file's length.
    pub fn len(&self) -> Result<u64, DiskError> {
        self.with(|d, _, name| d.len(name))
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> Result<bool, DiskError> {
        self.len().map(|n| n == 0)
    }

    /// Waits the disk's sync latency, then makes every write so far durable
    /// (or fails with an injected I/O error, leaving them unsynced).
    pub async fn sync(&self) -> Result<(), DiskError> {
        let latency = runtime::with(|inner| {
            let mut st = inner.state.borrow_mut();
            let st: &mut State = &mut st;
            let latency = st.config.sync_latency.in_nanos();
            let (_, rng) = st.nodes.list[self.node as usize].disk_and_rng(inner.seed);
            latency.sample(rng)
        });
        crate::time::sleep(std::time::Duration::from_nanos(latency)).await;
        self.with(|d, r, name| d.sync(r, name))
    }
}

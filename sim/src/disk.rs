//! A node's simulated disk, as a plain state machine: files, unsynced writes,
//! crashes that lose or tear them, and injected I/O faults.
//!
//! Every file keeps its durable bytes (what survives a crash) and the writes made
//! since its last sync, in order. Reads see both, as through a page cache. A
//! successful sync makes the file durable. A crash drops the unsynced writes: all
//! of them, or (with torn writes on) a prefix of them plus some whole sectors of
//! the next, as a power cut in the middle of writing back would. Creating and
//! deleting files is durable at once (metadata is journalled). Faults draw from
//! the generator they are handed, so they replay with the seed.
//!
//! The API that nodes use ([`create`], [`open`], [`File`], in `disk/file.rs`)
//! wraps this with virtual time: a sync takes its latency.
//!
//! ```
//! use microsim::{control, disk, time, Sim};
//! use std::{cell::RefCell, rc::Rc, time::Duration};
//!
//! let recovered = Rc::new(RefCell::new(Vec::new()));
//! let seen = recovered.clone();
//! let mut sim = Sim::builder().build();
//! sim.node("db", move || {
//!     let seen = seen.clone();
//!     async move {
//!         if let Ok(wal) = disk::open("wal") {
//!             *seen.borrow_mut() = wal.read_all().unwrap(); // after the restart
//!             return;
//!         }
//!         let wal = disk::create("wal").unwrap();
//!         wal.append(b"commit 1;").unwrap();
//!         wal.sync().await.unwrap();
//!         wal.append(b"commit 2;").unwrap(); // never synced
//!         std::future::pending::<()>().await
//!     }
//! })
//! .unwrap();
//! sim.client("chaos", || async {
//!     time::sleep(Duration::from_millis(10)).await;
//!     control::crash("db").unwrap();
//!     control::restart("db").unwrap();
//! })
//! .unwrap();
//! assert!(sim.run().is_ok());
//! assert_eq!(*recovered.borrow(), b"commit 1;");
//! ```

mod file;
pub use file::{create, delete, list, open, File};

use crate::rng::SimRng;
use rand::Rng;
use std::collections::BTreeMap;
use std::fmt;

/// The unit a torn write is cut at.
pub const SECTOR_BYTES: usize = 512;

/// The longest file name, in bytes.
pub const NAME_LIMIT: usize = 255;

/// What can go wrong with a disk operation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DiskError {
    /// No file of that name.
    #[error("no file named {0:?}")]
    NotFound(String),
    /// The write would take the disk past its capacity; nothing was written.
    #[error("disk full: writing {needed} bytes with {free} free")]
    Full {
        /// Bytes the write needed.
        needed: u64,
        /// Bytes free.
        free: u64,
    },
    /// An injected I/O error: the operation did nothing.
    #[error("I/O error (injected) on {op} of {file:?}")]
    Io {
        /// `read`, `write` or `sync`.
        op: &'static str,
        /// The file.
        file: String,
    },
    /// A file name that is not allowed.
    #[error("invalid file name {0:?}: expected 1 to 255 bytes without NUL or '/'")]
    InvalidName(String),
    /// An offset or length past what a file can hold.
    #[error("offset {offset} + length {len} is out of range")]
    OutOfRange {
        /// The offset asked for.
        offset: u64,
        /// The length asked for.
        len: u64,
    },
}

/// How a disk misbehaves. All rates are probabilities per operation. In a
/// fault plan these are the fields of a `disk` step (missing ones: no fault).
#[derive(Clone, Copy, Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiskFaults {
    /// A read returns one corrupted byte.
    pub read_corrupt_rate: f64,
    /// A read fails with an I/O error.
    pub read_error_rate: f64,
    /// A write fails with an I/O error (and writes nothing).
    pub write_error_rate: f64,
    /// A sync fails with an I/O error (and makes nothing durable).
    pub sync_error_rate: f64,
    /// A crash tears the unsynced writes at sector granularity instead of
    /// dropping them whole.
    pub torn_writes: bool,
    /// The most bytes the disk holds (all files together); `None` is unbounded.
    pub capacity_bytes: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct FileData {
    durable: Vec<u8>,
    visible: Vec<u8>,
    unsynced: Vec<(u64, Vec<u8>)>,
}

/// What a crash did to one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrashLoss {
    /// The file.
    pub file: String,
    /// Unsynced writes lost entirely (not counting a torn one).
    pub writes_lost: usize,
    /// Whether one write survived in part (torn).
    pub torn: bool,
}

/// A node's disk.
#[derive(Clone, Default, PartialEq)]
pub struct Disk {
    files: BTreeMap<String, FileData>,
    faults: DiskFaults,
}

impl DiskFaults {
    /// The rates by name, for checking them.
    pub(crate) fn rates(&self) -> [(&'static str, f64); 4] {
        [
            ("read_corrupt_rate", self.read_corrupt_rate),
            ("read_error_rate", self.read_error_rate),
            ("write_error_rate", self.write_error_rate),
            ("sync_error_rate", self.sync_error_rate),
        ]
    }
}

impl fmt::Debug for Disk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Disk").field("files", &self.files.keys()).field("used", &self.used()).finish()
    }
}

fn check_name(name: &str) -> Result<(), DiskError> {
    if name.is_empty() || name.len() > NAME_LIMIT || name.contains(['\0', '/']) {
        return Err(DiskError::InvalidName(name.to_string()));
    }
    Ok(())
}

fn hit(rng: &mut SimRng, rate: f64) -> bool {
    rate > 0.0 && rng.random_bool(rate.min(1.0))
}

fn apply(content: &mut Vec<u8>, offset: u64, data: &[u8]) {
    let start = offset as usize;
    let end = start + data.len();
    if content.len() < end {
        content.resize(end, 0);
    }
    content[start..end].copy_from_slice(data);
}

impl Disk {
    /// A disk with the given faults.
    pub fn new(faults: DiskFaults) -> Disk {
        Disk { files: BTreeMap::new(), faults }
    }

    /// The faults in force.
    pub fn faults(&self) -> DiskFaults {
        self.faults
    }

    /// Changes the faults in force.
    pub fn set_faults(&mut self, faults: DiskFaults) {
        self.faults = faults;
    }

    /// Bytes held by all files (as reads see them).
    pub fn used(&self) -> u64 {
        self.files.values().map(|f| f.visible.len() as u64).sum()
    }

    /// File names, in order.
    pub fn list(&self) -> Vec<String> {
        self.files.keys().cloned().collect()
    }

    /// Whether the file exists.
    pub fn exists(&self, name: &str) -> bool {
        self.files.contains_key(name)
    }

    /// Creates an empty file, or empties an existing one (durably).
    pub fn create(&mut self, name: &str) -> Result<(), DiskError> {
        check_name(name)?;
        self.files.insert(name.to_string(), FileData::default());
        Ok(())
    }

    /// Deletes a file (durably).
    pub fn delete(&mut self, name: &str) -> Result<(), DiskError> {
        self.files.remove(name).map(|_| ()).ok_or_else(|| DiskError::NotFound(name.to_string()))
    }

    /// The file's length as reads see it.
    pub fn len(&self, name: &str) -> Result<u64, DiskError> {
        self.file(name).map(|f| f.visible.len() as u64)
    }

    fn file(&self, name: &str) -> Result<&FileData, DiskError> {
        self.files.get(name).ok_or_else(|| DiskError::NotFound(name.to_string()))
    }

    /// Writes `data` at `offset` (zero-filling any gap); not durable until synced.
    pub fn write_at(&mut self, rng: &mut SimRng, name: &str, offset: u64, data: &[u8]) -> Result<(), DiskError> {
        let end = offset.checked_add(data.len() as u64).filter(|&e| e <= usize::MAX as u64 / 2);
        let end = end.ok_or(DiskError::OutOfRange { offset, len: data.len() as u64 })?;
        let old_len = self.len(name)?;
        let growth = end.saturating_sub(old_len);
        if let Some(capacity) = self.faults.capacity_bytes {
            let free = capacity.saturating_sub(self.used());
            if growth > free {
                return Err(DiskError::Full { needed: growth, free });
            }
        }
        if hit(rng, self.faults.write_error_rate) {
            return Err(DiskError::Io { op: "write", file: name.to_string() });
        }
        let file = self.files.get_mut(name).expect("checked above");
        apply(&mut file.visible, offset, data);
        file.unsynced.push((offset, data.to_vec()));
        Ok(())
    }

    /// Appends `data`; returns the offset it was written at.
    pub fn append(&mut self, rng: &mut SimRng, name: &str, data: &[u8]) -> Result<u64, DiskError> {
        let offset = self.len(name)?;
        self.write_at(rng, name, offset, data)?;
        Ok(offset)
    }

    /// Reads up to `len` bytes at `offset` (fewer at the end of the file).
    pub fn read_at(&self, rng: &mut SimRng, name: &str, offset: u64, len: u64) -> Result<Vec<u8>, DiskError> {
        let file = self.file(name)?;
        if hit(rng, self.faults.read_error_rate) {
            return Err(DiskError::Io { op: "read", file: name.to_string() });
        }
        let size = file.visible.len() as u64;
        let start = offset.min(size) as usize;
        let end = offset.saturating_add(len).min(size) as usize;
        let mut out = file.visible[start..end].to_vec();
        if !out.is_empty() && hit(rng, self.faults.read_corrupt_rate) {
            let i = rng.random_range(0..out.len());
            out[i] ^= rng.random_range(1..=255u8);
        }
        Ok(out)
    }

    /// Makes the file's writes so far durable (unless an I/O error is injected).
    pub fn sync(&mut self, rng: &mut SimRng, name: &str) -> Result<(), DiskError> {
        self.file(name)?;
        if hit(rng, self.faults.sync_error_rate) {
            return Err(DiskError::Io { op: "sync", file: name.to_string() });
        }
        let file = self.files.get_mut(name).expect("checked above");
        file.durable.clone_from(&file.visible);
        file.unsynced.clear();
        Ok(())
    }

    /// A crash: every file goes back to its durable bytes, plus (with torn writes)
    /// a random prefix of its unsynced writes and some sectors of the next one.
    /// Returns what was lost, file by file (files that lost nothing are left out).
    pub fn crash(&mut self, rng: &mut SimRng) -> Vec<CrashLoss> {
        let torn_writes = self.faults.torn_writes;
        let mut losses = Vec::new();
        for (name, file) in &mut self.files {
            if file.unsynced.is_empty() {
                continue;
            }
            let pending = std::mem::take(&mut file.unsynced);
            let mut content = std::mem::take(&mut file.durable);
            let kept = if torn_writes { rng.random_range(0..=pending.len()) } else { 0 };
            for (offset, data) in &pending[..kept] {
                apply(&mut content, *offset, data);
            }
            let mut torn = false;
            if let Some((offset, data)) = pending.get(kept) {
                if torn_writes && data.len() > SECTOR_BYTES {
                    // Whole sectors of the write that reached the platter, from its start.
                    let sectors = data.len().div_ceil(SECTOR_BYTES);
                    let survived = rng.random_range(0..sectors) * SECTOR_BYTES;
                    if survived > 0 {
                        apply(&mut content, *offset, &data[..survived]);
                        torn = true;
                    }
                }
            }
            file.visible.clone_from(&content);
            file.durable = content;
            if kept < pending.len() {
                losses.push(CrashLoss {
                    file: name.clone(),
                    writes_lost: pending.len() - kept - usize::from(torn),
                    torn,
                });
            }
        }
        losses
    }

    /// Loses everything: the disk is replaced (crash-and-wipe).
    pub fn wipe(&mut self) {
        self.files.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream, Stream};

    fn rng() -> SimRng {
        stream(1, Stream::Faults)
    }

    fn disk_with(faults: DiskFaults) -> (Disk, SimRng) {
        let mut d = Disk::new(faults);
        d.create("log").unwrap();
        (d, rng())
    }

    fn read_all(d: &Disk, r: &mut SimRng) -> Vec<u8> {
        d.read_at(r, "log", 0, u64::MAX).unwrap()
    }

    #[test]
    fn reads_see_unsynced_writes_and_a_crash_loses_them() {
        let (mut d, mut r) = disk_with(DiskFaults::default());
        d.append(&mut r, "log", b"synced ").unwrap();
        d.sync(&mut r, "log").unwrap();
        d.append(&mut r, "log", b"lost").unwrap();
        assert_eq!(read_all(&d, &mut r), b"synced lost");
        let losses = d.crash(&mut r);
        assert_eq!(losses, vec![CrashLoss { file: "log".into(), writes_lost: 1, torn: false }]);
        assert_eq!(read_all(&d, &mut r), b"synced ");
        assert!(d.crash(&mut r).is_empty(), "a second crash has nothing to lose");
    }

    #[test]
    fn write_at_an_offset_past_the_end_zero_fills() {
        let (mut d, mut r) = disk_with(DiskFaults::default());
        d.write_at(&mut r, "log", 3, b"x").unwrap();
        assert_eq!(read_all(&d, &mut r), b"\0\0\0x");
        d.write_at(&mut r, "log", 1, b"ab").unwrap();
        assert_eq!(read_all(&d, &mut r), b"\0abx");
        assert_eq!(d.len("log").unwrap(), 4);
        assert_eq!(d.read_at(&mut r, "log", 2, 10).unwrap(), b"bx");
        assert_eq!(d.read_at(&mut r, "log", 9, 10).unwrap(), b"");
    }

    #[test]
    fn torn_writes_keep_a_prefix_of_whole_sectors() {
        let (mut seen_torn, mut seen_whole, mut seen_lost) = (false, false, false);
        for seed in 0..64 {
            let mut d = Disk::new(DiskFaults { torn_writes: true, ..DiskFaults::default() });
            let mut r = stream(seed, Stream::Faults);
            d.create("log").unwrap();
            let big = vec![7u8; 4 * SECTOR_BYTES];
            d.append(&mut r, "log", &big).unwrap();
            let loss = d.crash(&mut r);
            let len = d.len("log").unwrap() as usize;
            assert_eq!(len % SECTOR_BYTES, 0, "seed {seed}: cut at a sector boundary");
            assert!(d.read_at(&mut r, "log", 0, u64::MAX).unwrap().iter().all(|&b| b == 7));
            let torn = loss.first().is_some_and(|l| l.torn);
            assert_eq!(torn, len > 0 && len < big.len(), "seed {seed}: torn means a proper prefix survived");
            seen_torn |= torn;
            seen_whole |= len == big.len();
            seen_lost |= len == 0;
        }
        assert!(seen_torn && seen_whole && seen_lost, "seeds tear, keep and lose the write");
    }

    #[test]
    fn a_full_disk_refuses_a_growing_write_and_keeps_what_it_has() {
        let (mut d, mut r) = disk_with(DiskFaults { capacity_bytes: Some(8), ..DiskFaults::default() });
        d.append(&mut r, "log", b"12345").unwrap();
        assert_eq!(d.append(&mut r, "log", b"6789"), Err(DiskError::Full { needed: 4, free: 3 }));
        assert_eq!(read_all(&d, &mut r), b"12345");
        d.write_at(&mut r, "log", 0, b"abc").unwrap();
        assert_eq!(read_all(&d, &mut r), b"abc45", "overwriting needs no space");
    }

    #[test]
    fn injected_errors_do_nothing_and_say_which_operation() {
        let always =
            DiskFaults { write_error_rate: 1.0, sync_error_rate: 1.0, read_error_rate: 1.0, ..Default::default() };
        let (mut d, mut r) = disk_with(always);
        let io = |op: &'static str| DiskError::Io { op, file: "log".into() };
        assert_eq!(d.append(&mut r, "log", b"x"), Err(io("write")));
        assert_eq!(d.sync(&mut r, "log"), Err(io("sync")));
        assert_eq!(d.read_at(&mut r, "log", 0, 1), Err(io("read")));
        assert_eq!(d.len("log").unwrap(), 0);
    }

    #[test]
    fn a_corrupted_read_differs_in_one_byte_and_the_file_does_not() {
        let (mut d, mut r) = disk_with(DiskFaults { read_corrupt_rate: 1.0, ..Default::default() });
        d.append(&mut r, "log", b"hello").unwrap();
        let got = read_all(&d, &mut r);
        assert_eq!(got.iter().zip(b"hello").filter(|(a, b)| a != b).count(), 1);
        d.set_faults(DiskFaults::default());
        assert_eq!(read_all(&d, &mut r), b"hello");
    }

    #[test]
    fn names_are_checked_and_missing_files_named() {
        let mut d = Disk::default();
        let mut r = rng();
        assert_eq!(d.create(""), Err(DiskError::InvalidName(String::new())));
        assert_eq!(d.create("a/b"), Err(DiskError::InvalidName("a/b".into())));
        assert_eq!(d.append(&mut r, "nope", b"x"), Err(DiskError::NotFound("nope".into())));
        assert_eq!(d.delete("nope"), Err(DiskError::NotFound("nope".into())));
        d.create("b").unwrap();
        d.create("a").unwrap();
        assert_eq!(d.list(), ["a", "b"]);
        d.delete("a").unwrap();
        d.wipe();
        assert!(d.list().is_empty());
    }

    #[test]
    fn the_same_seed_gives_the_same_crash() {
        let run = || {
            let mut d = Disk::new(DiskFaults { torn_writes: true, ..Default::default() });
            let mut r = stream(9, Stream::Faults);
            d.create("log").unwrap();
            for i in 0..5u8 {
                d.append(&mut r, "log", &vec![i; 700]).unwrap();
            }
            d.crash(&mut r);
            d.read_at(&mut r, "log", 0, u64::MAX).unwrap()
        };
        assert_eq!(run(), run());
    }
}

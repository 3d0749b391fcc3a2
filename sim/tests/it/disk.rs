//! The disk seen from nodes: durability across restarts, crash loss, wipe, sync
//! latency, injected faults.

use microsim::disk::{self, DiskError, DiskFaults};
use microsim::{control, time, Latency, Sim};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

type Seen = Rc<RefCell<Vec<String>>>;
type Task = std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>;

/// A database node: on its first start it runs `first` against a fresh "wal";
/// on a restart it records what the wal holds, or "no wal".
fn db(seen: Seen, first: fn(disk::File) -> Task) -> impl Fn() -> Task {
    let started = Rc::new(std::cell::Cell::new(false));
    move || {
        let (seen, restarted) = (seen.clone(), started.replace(true));
        Box::pin(async move {
            if !restarted {
                return first(disk::create("wal").unwrap()).await;
            }
            let text = match disk::open("wal") {
                Ok(wal) => String::from_utf8(wal.read_all().unwrap()).unwrap(),
                Err(e) => {
                    assert_eq!(e, DiskError::NotFound("wal".into()));
                    "no wal".into()
                }
            };
            seen.borrow_mut().push(text);
        })
    }
}

/// Runs db with a chaos client that crashes (or wipes) it at 10 ms and restarts it.
fn check(wipe: bool, first: fn(disk::File) -> Task) -> Vec<String> {
    let seen: Seen = Rc::default();
    let mut sim = Sim::builder().sync_latency(Latency::Fixed(Duration::from_millis(3))).build();
    sim.node("db", db(seen.clone(), first)).unwrap();
    sim.client("chaos", move || async move {
        time::sleep(Duration::from_millis(10)).await;
        if wipe { control::crash_wipe("db") } else { control::crash("db") }.unwrap();
        control::restart("db").unwrap();
    })
    .unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    let v = seen.borrow().clone();
    v
}

#[test]
fn synced_writes_survive_a_crash_and_unsynced_ones_do_not() {
    let got = check(false, |wal| {
        Box::pin(async move {
            wal.append(b"a;").unwrap();
            wal.sync().await.unwrap();
            wal.append(b"b;").unwrap();
            std::future::pending().await
        })
    });
    assert_eq!(got, ["a;"]);
}

#[test]
fn a_crash_during_sync_loses_the_write() {
    let got = check(false, |wal| {
        Box::pin(async move {
            time::sleep(Duration::from_millis(8)).await;
            wal.append(b"late;").unwrap();
            wal.sync().await.unwrap(); // takes 3 ms: the crash at 10 ms comes first
            unreachable!("the node crashes during the sync");
        })
    });
    assert_eq!(got, [""]);
}

#[test]
fn crash_and_wipe_loses_the_whole_disk() {
    let got = check(true, |wal| {
        Box::pin(async move {
            wal.append(b"a;").unwrap();
            wal.sync().await.unwrap();
            std::future::pending().await
        })
    });
    assert_eq!(got, ["no wal"]);
}

async fn sync_once() -> Result<(), String> {
    let f = disk::create("f").map_err(|e| e.to_string())?;
    f.append(b"x").map_err(|e| e.to_string())?;
    let start = time::now();
    f.sync().await.map_err(|e| e.to_string())?;
    assert_eq!(start.elapsed(), Duration::from_millis(3), "a sync takes exactly its latency");
    Ok(())
}

#[test]
fn a_sync_takes_the_disks_latency() {
    let mut sim = Sim::builder().sync_latency(Latency::Fixed(Duration::from_millis(3))).build();
    sim.client("c", sync_once).unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
}

#[test]
fn injected_disk_faults_come_back_as_errors() {
    let mut sim = Sim::builder().build();
    sim.client("c", sync_once).unwrap();
    sim.disk_faults("c", DiskFaults { write_error_rate: 1.0, ..DiskFaults::default() }).unwrap();
    let failure = sim.run().failure.expect("the write fails").to_string();
    assert!(failure.contains(r#"I/O error (injected) on write of "f""#), "{failure}");
}

#[test]
fn files_are_per_node_and_listed_in_order() {
    async fn a() {
        disk::create("b").unwrap();
        disk::create("a").unwrap();
        assert_eq!(disk::list(), ["a", "b"]);
        disk::delete("b").unwrap();
        assert_eq!(disk::delete("b"), Err(DiskError::NotFound("b".into())));
    }
    async fn b() {
        assert!(disk::list().is_empty(), "another node's disk is its own");
        assert_eq!(disk::open("a"), Err(DiskError::NotFound("a".into())));
    }
    let mut sim = Sim::builder().build();
    sim.client("a", a).unwrap();
    sim.client("b", b).unwrap();
    assert!(sim.run().is_ok());
}

#[test]
fn what_a_crash_did_to_the_disk_is_in_the_trace() {
    async fn writer() {
        let wal = disk::create("wal").unwrap();
        wal.append(b"a").unwrap();
        wal.append(b"b").unwrap();
        std::future::pending::<()>().await
    }
    let mut sim = Sim::builder().record(microsim::RecordMode::Full).build();
    sim.node("db", writer).unwrap();
    sim.client("chaos", || async {
        time::sleep(Duration::from_millis(1)).await;
        control::crash("db").unwrap();
    })
    .unwrap();
    let outcome = sim.run();
    assert_eq!(crate::fault_texts(&outcome), [r#"disk of db lost 2 unsynced writes of "wal""#]);
}

#[test]
fn a_full_disk_refuses_writes_and_corrupt_reads_differ_from_what_was_written() {
    async fn writer() -> Result<(), String> {
        let f = disk::create("f").map_err(|e| e.to_string())?;
        f.append(b"12345678").map_err(|e| e.to_string())?;
        let full = f.append(b"9");
        assert_eq!(full, Err(DiskError::Full { needed: 1, free: 0 }));
        assert_eq!(f.len().unwrap(), 8, "nothing of the refused write is kept");
        let read = f.read_all().map_err(|e| e.to_string())?;
        assert_ne!(read, b"12345678", "a corrupt read");
        assert_eq!(read.iter().zip(b"12345678").filter(|(a, b)| a != b).count(), 1, "one byte differs");
        Ok(())
    }
    let mut sim = Sim::builder().build();
    sim.client("c", writer).unwrap();
    let faults = DiskFaults { capacity_bytes: Some(8), read_corrupt_rate: 1.0, ..DiskFaults::default() };
    sim.disk_faults("c", faults).unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
}

#[test]
fn torn_writes_keep_whole_sectors_of_an_unsynced_write_after_a_crash() {
    let mut lengths = std::collections::BTreeSet::new();
    for seed in 0..16 {
        let seen: Seen = Rc::default();
        let mut sim = Sim::builder().seed(seed).build();
        let first: fn(disk::File) -> Task = |wal| {
            Box::pin(async move {
                wal.append(&[7u8; 4 * disk::SECTOR_BYTES]).unwrap();
                std::future::pending().await
            })
        };
        sim.node("db", db(seen.clone(), first)).unwrap();
        sim.disk_faults("db", DiskFaults { torn_writes: true, ..DiskFaults::default() }).unwrap();
        sim.client("chaos", || async {
            time::sleep(Duration::from_millis(10)).await;
            control::crash("db").unwrap();
            control::restart("db").unwrap();
        })
        .unwrap();
        assert!(sim.run().is_ok());
        let len = seen.borrow()[0].len();
        assert_eq!(len % disk::SECTOR_BYTES, 0, "seed {seed}: cut at a sector boundary");
        lengths.insert(len);
    }
    assert!(lengths.len() > 2, "seeds keep different prefixes: {lengths:?}");
}

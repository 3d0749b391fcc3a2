//! A small trace of three services with every kind of event a view shows:
//! nested calls, a timeout and its retry, drops, a duplicate, faults, logs.

use super::*;

pub(crate) const CLIENT: NodeIx = 0;
pub(crate) const API: NodeIx = 1;
pub(crate) const DB: NodeIx = 2;
const MS: u64 = 1_000_000;

/// Records the fixture into `rec`.
fn push_fixture(rec: &mut Recording) {
    let fault =
        |rec: &mut Recording, t: u64, node: NodeIx, s: &str| push_text(rec, t, node, s, |text| Event::Fault { text });
    let log = |rec: &mut Recording, t: u64, node: NodeIx, level: Level, s: &str| {
        push_text(rec, t, node, s, |text| Event::Log { level, text })
    };
    let send = |rec: &mut Recording, t: u64, node: NodeIx, msg: u64, to: NodeIx, port: Port, s: &str| {
        push_text(rec, t, node, s, |text| Event::Send { msg, to, port, text })
    };
    let call = |rec: &mut Recording, t: u64, node: NodeIx, call: u64, parent: u64, to: NodeIx, s: &str| {
        push_text(rec, t, node, s, |text| Event::Call { call, parent, to, text })
    };
    let (api, db) = (Port::named(0), Port::named(1));
    for node in [CLIENT, API, DB] {
        rec.push(0, node, Event::Start);
    }
    fault(rec, 0, NO_NODE, "loss 0.01");
    call(rec, MS, CLIENT, 1, 0, API, "Get");
    send(rec, MS, CLIENT, 1, API, api, "call#1 Get(7)");
    rec.push(2 * MS, API, Event::Deliver { msg: 1, from: CLIENT });
    log(rec, 2 * MS, API, Level::Info, "handling Get(7)");
    call(rec, 2 * MS, API, 2, 1, DB, "Read");
    send(rec, 2 * MS, API, 2, DB, db, "call#2 Read(7)");
    rec.push(3 * MS, DB, Event::Deliver { msg: 2, from: API });
    log(rec, 3 * MS, DB, Level::Debug, "read key 7");
    send(rec, 3 * MS, DB, 3, API, Port::ephemeral(1), "reply#2 Value(42)");
    rec.push(4 * MS, API, Event::Deliver { msg: 3, from: DB });
    rec.push(4 * MS, API, Event::Return { call: 2, outcome: CallOutcome::Ok });
    send(rec, 4 * MS, API, 4, CLIENT, Port::ephemeral(2), "reply#1 Ok(42)");
    rec.push(5 * MS, CLIENT, Event::Deliver { msg: 4, from: API });
    rec.push(5 * MS, CLIENT, Event::Return { call: 1, outcome: CallOutcome::Ok });
    fault(rec, 5 * MS, NO_NODE, "partition [client] | [api db]");
    call(rec, 6 * MS, CLIENT, 3, 0, API, "Put");
    send(rec, 6 * MS, CLIENT, 5, API, api, "call#3 Put(7, 1)");
    rec.push(8 * MS, API, Event::Drop { msg: 5, reason: DropReason::Partitioned });
    rec.push(56 * MS, CLIENT, Event::Timer { timer: 1 });
    rec.push(56 * MS, CLIENT, Event::Return { call: 3, outcome: CallOutcome::Timeout });
    log(rec, 56 * MS, CLIENT, Level::Warn, "Put timed out, retrying");
    fault(rec, 56 * MS, NO_NODE, "heal_network");
    call(rec, 56 * MS, CLIENT, 4, 0, API, "Put");
    send(rec, 56 * MS, CLIENT, 6, API, api, "call#4 Put(7, 1)");
    rec.push(58 * MS, API, Event::Deliver { msg: 6, from: CLIENT });
    send(rec, 58 * MS, API, 7, CLIENT, Port::ephemeral(3), "reply#4 Done");
    rec.push(58 * MS, API, Event::Duplicate { msg: 7 });
    rec.push(60 * MS, CLIENT, Event::Deliver { msg: 7, from: API });
    rec.push(60 * MS, CLIENT, Event::Return { call: 4, outcome: CallOutcome::Ok });
    rec.push(61 * MS, CLIENT, Event::Deliver { msg: 7, from: API });
    fault(rec, 62 * MS, DB, "crash db");
    rec.push(62 * MS, DB, Event::Crash);
    fault(rec, 65 * MS, API, "clock_jump api +5s");
    fault(rec, 66 * MS, API, "pause api");
    rec.push(66 * MS, API, Event::Pause);
    rec.push(70 * MS, DB, Event::Restart);
    fault(rec, 71 * MS, DB, "disk_fault db write-error");
    rec.push(75 * MS, API, Event::Resume);
    log(rec, 80 * MS, DB, Level::Error, "\u{1b}[31mdisk <b>failed</b>\u{7}");
    rec.push(81 * MS, CLIENT, Event::Exit { task: 1 });
}

/// The fixture as a trace.
pub(crate) fn fixture() -> Trace {
    let mut rec = Recording::new(RecordMode::Full);
    push_fixture(&mut rec);
    rec.finish(Header {
        microsim_version: "0.1.0".into(),
        seed: 7,
        rng: "chacha8".into(),
        nodes: vec!["client".into(), "api".into(), "db".into()],
        ports: vec!["api".into(), "db".into()],
        scenario: Some("shop".into()),
        variant: Some("default".into()),
        plan: Some(
            serde_json::json!({"steps": [{"at": "5ms", "fault": "partition", "groups": [["client"], ["api", "db"]]}]}),
        ),
        profile: None,
    })
}

//! Tests of the JSON-lines trace format: round trips, hashes, and what the reader rejects.

mod diff;
mod fixture;
mod format;
mod reader;
mod rejects;
mod views;

use microsim_traces::{
    read_jsonl, write_jsonl, CallOutcome, DropReason, Event, Header, Level, NodeIx, Port, RecordMode, Recording, Trace,
    TraceError, NO_NODE,
};

const CLIENT: NodeIx = 0;
const SERVER: NodeIx = 1;
const PP: u32 = 0;
/// How many records [`push_all`] pushes.
const SAMPLE_RECORDS: usize = 35;

/// A header with two nodes and two named ports.
fn header() -> Header {
    Header {
        microsim_version: "0.1.0".into(),
        seed: 0x2a,
        rng: "chacha8".into(),
        nodes: vec!["client0".into(), "server".into()],
        ports: vec!["pp".into(), "rpc".into()],
        ..Header::default()
    }
}

/// Records a text-carrying event.
fn push_text(rec: &mut Recording, t: u64, node: NodeIx, text: &str, make: impl FnOnce(microsim_traces::Text) -> Event) {
    rec.push_text(t, node, |s| s.push_str(text), make);
}

/// Pushes one of every event kind (and every drop reason and level) into `rec`.
fn push_all(rec: &mut Recording) {
    rec.push(0, CLIENT, Event::Start);
    rec.push(0, SERVER, Event::Start);
    rec.push(10, CLIENT, Event::Spawn { task: 1 });
    let to = SERVER;
    push_text(rec, 1_000_000, CLIENT, "Ping(3)", |text| Event::Send { msg: 1, to, port: Port::named(PP), text });
    rec.push(2_000_000, SERVER, Event::Deliver { msg: 1, from: CLIENT });
    let port = Port::ephemeral(7);
    push_text(rec, 2_000_001, SERVER, "Pong(3)", |text| Event::Send { msg: 2, to: CLIENT, port, text });
    push_text(rec, 2_000_002, SERVER, "Lost", |text| Event::Send { msg: 3, to: NO_NODE, port, text });
    rec.push(2_000_003, NO_NODE, Event::Deliver { msg: 3, from: NO_NODE });
    for (i, reason) in DropReason::ALL.into_iter().enumerate() {
        rec.push(3_000_000 + i as u64, CLIENT, Event::Drop { msg: 2, reason });
    }
    rec.push(4_000_000, SERVER, Event::Timer { timer: 5 });
    for (i, level) in Level::ALL.into_iter().enumerate() {
        push_text(rec, 5_000_000 + i as u64, SERVER, level.name(), |text| Event::Log { level, text });
    }
    push_text(rec, 5_100_000, NO_NODE, "", |text| Event::Log { level: Level::Info, text });
    rec.push(6_000_000, CLIENT, Event::Pause);
    rec.push(7_000_000, CLIENT, Event::Resume);
    rec.push(8_000_000, CLIENT, Event::Crash);
    rec.push(8_000_000, CLIENT, Event::Exit { task: 1 });
    rec.push(9_000_000, CLIENT, Event::Restart);
    push_text(rec, 9_500_000, NO_NODE, "partition [client0] | [server]", |text| Event::Fault { text });
    push_text(rec, 9_600_000, SERVER, "crash server", |text| Event::Fault { text });
    rec.push(9_700_000, CLIENT, Event::Duplicate { msg: 2 });
    push_text(rec, 9_800_000, CLIENT, "Get", |text| Event::Call { call: 4, parent: 2, to: SERVER, text });
    rec.push(9_900_000, CLIENT, Event::Return { call: 4, outcome: CallOutcome::Timeout });
    rec.push(u64::MAX, SERVER, Event::Spawn { task: u64::MAX });
}

/// A trace of one of every event kind, recorded in `mode`.
fn sample(mode: RecordMode) -> Trace {
    let mut rec = Recording::new(mode);
    push_all(&mut rec);
    rec.finish(header())
}

/// The trace written as JSON lines.
fn write(trace: &Trace) -> String {
    let mut out = Vec::new();
    write_jsonl(trace, &mut out).expect("trace writes");
    String::from_utf8(out).expect("JSON lines are UTF-8")
}

/// Reads JSON lines.
fn read(input: &str) -> Result<Trace, TraceError> {
    read_jsonl(input.as_bytes())
}

/// Writes `trace`, reads it back, checks the copy is equal (hash included) and
/// returns the written text.
fn check(trace: &Trace) -> String {
    let written = write(trace);
    let back = read(&written).unwrap_or_else(|e| panic!("reading back failed: {e}\n{written}"));
    assert_eq!(&back, trace, "round trip changed the trace:\n{written}");
    assert_eq!(back.hash(), trace.hash());
    written
}

/// Reads `input`, expecting a malformed line; returns its number and the message.
fn malformed(input: &str) -> (usize, String) {
    match read(input) {
        Err(TraceError::Malformed { line, message }) => (line, message),
        other => panic!("expected a malformed line, got {other:?}"),
    }
}

/// `written` with its 1-based line `n` replaced by `with`.
fn replace_line(written: &str, n: usize, with: &str) -> String {
    let mut lines: Vec<&str> = written.lines().collect();
    lines[n - 1] = with;
    lines.join("\n") + "\n"
}

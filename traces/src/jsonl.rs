//! Writing the JSON-lines trace format: a header line, then one line per record
//! (see `traces/FORMAT.md`; reading is in `reader.rs`).

use crate::error::TraceError;
use crate::hash::TraceHash;
use crate::record::{Event, NodeIx, Port, Record, NO_NODE};
use crate::recording::{Header, RecordMode, Trace};
use serde::{Serialize, Serializer};
use std::collections::HashMap;
use std::io::Write;

/// The version of the format this crate writes, and the newest it reads.
/// Version 2 added the `call` and `return` records.
pub const FORMAT_VERSION: u32 = 2;

/// The value of the header's `format` field.
pub(crate) const FORMAT_NAME: &str = "microsim-trace";

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// Writes `trace` as JSON lines: the header line, then one line per record.
///
/// Fails with [`TraceError::Io`] when the stream fails, and with
/// [`TraceError::Malformed`] (naming the output line) when the trace could not be
/// read back: a record names a node or port missing from the header, or the
/// header's names are ambiguous (duplicates, a node named `-`, a port named `#N`).
///
/// Each line is written with its own small writes: pass a buffered writer.
pub fn write_jsonl(trace: &Trace, out: &mut impl Write) -> Result<(), TraceError> {
    let header = &trace.header;
    check_names(header).map_err(|message| TraceError::at(1, message))?;
    let head = HeaderOut {
        format: FORMAT_NAME,
        version: FORMAT_VERSION,
        microsim_version: &header.microsim_version,
        scenario: header.scenario.as_deref(),
        variant: header.variant.as_deref(),
        seed: Seed(header.seed),
        plan: header.plan.as_ref(),
        profile: header.profile.as_deref(),
        rng: &header.rng,
        nodes: &header.nodes,
        ports: &header.ports,
        mode: mode_name(trace.mode),
        records: trace.counts().records,
        hash: trace.hash().map(HashOut),
    };
    line(out, &head)?;
    for (i, record) in trace.records().iter().enumerate() {
        let out_line = i + 2;
        let text = record.event.text().map_or("", |t| trace.text(t));
        let rec = record_out(header, record, text).map_err(|message| TraceError::at(out_line, message))?;
        line(out, &rec)?;
    }
    out.flush()?;
    Ok(())
}

fn line(out: &mut impl Write, value: &impl Serialize) -> Result<(), TraceError> {
    serde_json::to_writer(&mut *out, value).map_err(|e| TraceError::Io(e.into()))?;
    out.write_all(b"\n")?;
    Ok(())
}

pub(crate) fn mode_name(mode: RecordMode) -> &'static str {
    match mode {
        RecordMode::Full => "full",
        RecordMode::Summary => "summary",
        RecordMode::Off => "off",
    }
}

#[derive(Serialize)]
struct HeaderOut<'a> {
    format: &'static str,
    version: u32,
    microsim_version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scenario: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    variant: Option<&'a str>,
    seed: Seed,
    #[serde(skip_serializing_if = "Option::is_none")]
    plan: Option<&'a serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<&'a str>,
    rng: &'a str,
    nodes: &'a [String],
    ports: &'a [String],
    mode: &'static str,
    records: u64,
    hash: Option<HashOut>,
}

/// A seed, written as `0x` and 16 hex digits.
struct Seed(u64);

impl Serialize for Seed {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("0x{:016x}", self.0))
    }
}

/// A hash, written as 16 hex digits.
struct HashOut(TraceHash);

impl Serialize for HashOut {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// A port's name: the header's name, or `#N` for an ephemeral port.
enum PortOut<'a> {
    Named(&'a str),
    Ephemeral(u32),
}

impl Serialize for PortOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            PortOut::Named(name) => s.serialize_str(name),
            PortOut::Ephemeral(n) => s.collect_str(&format_args!("#{n}")),
        }
    }
}

/// One record line. Fields are written in this order, absent ones skipped.
#[derive(Serialize)]
struct RecordOut<'a> {
    t: u64,
    node: &'a str,
    ev: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    call: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    msg: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<PortOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    task: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timer: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    level: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
}

/// One record as its JSON line (without the line ending): the canonical text of
/// a record, which diffs compare. `text` is the record's text (empty when it
/// has none). Fails, saying why, when the record names a node or port missing
/// from `header`.
pub fn record_line(header: &Header, record: &Record, text: &str) -> Result<String, String> {
    let out = record_out(header, record, text)?;
    serde_json::to_string(&out).map_err(|e| e.to_string())
}

fn record_out<'a>(header: &'a Header, record: &Record, text: &'a str) -> Result<RecordOut<'a>, String> {
    let node_out = |ix: NodeIx, field: &str| -> Result<&'a str, String> {
        if ix == NO_NODE {
            Ok("-")
        } else {
            header.nodes.get(ix as usize).map(String::as_str).ok_or_else(|| {
                format!("field \"{field}\": node index {ix} is not in the header's {} nodes", header.nodes.len())
            })
        }
    };
    let port_out = |port: Port| -> Result<PortOut<'a>, String> {
        match (port.named_index(), port.ephemeral_number()) {
            (Some(ix), _) => header.ports.get(ix as usize).map(|p| PortOut::Named(p)).ok_or_else(|| {
                format!("field \"port\": port index {ix} is not in the header's {} ports", header.ports.len())
            }),
            (_, Some(n)) => Ok(PortOut::Ephemeral(n)),
            _ => unreachable!("a port is named or ephemeral"),
        }
    };
    let mut out = RecordOut {
        t: record.time_ns,
        node: node_out(record.node, "node")?,
        ev: record.event.kind(),
        msg: None,
        to: None,
        from: None,
        port: None,
        reason: None,
        task: None,
        timer: None,
        level: None,
        call: None,
        parent: None,
        outcome: None,
        text: None,
    };
    match record.event {
        Event::Start | Event::Crash | Event::Restart | Event::Pause | Event::Resume => {}
        Event::Spawn { task } | Event::Exit { task } => out.task = Some(task),
        Event::Send { msg, to, port, .. } => {
            out.msg = Some(msg);
            out.to = Some(node_out(to, "to")?);
            out.port = Some(port_out(port)?);
            out.text = Some(text);
        }
        Event::Deliver { msg, from } => {
            out.msg = Some(msg);
            out.from = Some(node_out(from, "from")?);
        }
        Event::Drop { msg, reason } => {
            out.msg = Some(msg);
            out.reason = Some(reason.name());
        }
        Event::Timer { timer } => out.timer = Some(timer),
        Event::Log { level, .. } => {
            out.level = Some(level.name());
            out.text = Some(text);
        }
        Event::Fault { .. } => out.text = Some(text),
        Event::Duplicate { msg } => out.msg = Some(msg),
        Event::Call { call, parent, to, .. } => {
            out.call = Some(call);
            out.parent = Some(parent);
            out.to = Some(node_out(to, "to")?);
            out.text = Some(text);
        }
        Event::Return { call, outcome } => {
            out.call = Some(call);
            out.outcome = Some(outcome.name());
        }
    }
    Ok(out)
}

/// Checks that the header's names can be read back unambiguously.
pub(crate) fn check_names(header: &Header) -> Result<(), String> {
    let mut seen = HashMap::new();
    for (i, name) in header.nodes.iter().enumerate() {
        if name == "-" {
            return Err(format!("field \"nodes\": node {i} is named \"-\", which means no node"));
        }
        if let Some(first) = seen.insert(name.as_str(), i) {
            return Err(format!("field \"nodes\": nodes {first} and {i} are both named {name:?}"));
        }
    }
    seen.clear();
    for (i, name) in header.ports.iter().enumerate() {
        if ephemeral_number(name).is_some() {
            return Err(format!("field \"ports\": port {i} is named {name:?}, which means an ephemeral port"));
        }
        if let Some(first) = seen.insert(name.as_str(), i) {
            return Err(format!("field \"ports\": ports {first} and {i} are both named {name:?}"));
        }
    }
    Ok(())
}

/// The number of an ephemeral port's name `#N`.
pub(crate) fn ephemeral_number(name: &str) -> Option<u32> {
    let digits = name.strip_prefix('#')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u32>().ok().filter(|&n| n < 1 << 31)
}

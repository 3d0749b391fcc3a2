//! The JSON-lines trace format: a header line, then one line per record (see `traces/FORMAT.md`).

use crate::error::TraceError;
use crate::hash::TraceHash;
use crate::record::{DropReason, Event, Level, NodeIx, Port, Record, Text, NO_NODE};
use crate::recording::{Counts, Header, RecordMode, Trace};
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, Write};

/// The version of the format this crate writes, and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

/// The value of the header's `format` field.
const FORMAT_NAME: &str = "microsim-trace";

/// Event kinds, for messages.
const KINDS: &str =
    "start, crash, restart, pause, resume, spawn, exit, send, deliver, drop, timer, log, fault, duplicate";

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
        seed: Seed(header.seed),
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
        let rec = record_out(trace, record).map_err(|message| TraceError::at(out_line, message))?;
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

fn mode_name(mode: RecordMode) -> &'static str {
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
    seed: Seed,
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
    text: Option<&'a str>,
}

fn record_out<'a>(trace: &'a Trace, record: &Record) -> Result<RecordOut<'a>, String> {
    let header = &trace.header;
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
        text: None,
    };
    match record.event {
        Event::Start | Event::Crash | Event::Restart | Event::Pause | Event::Resume => {}
        Event::Spawn { task } | Event::Exit { task } => out.task = Some(task),
        Event::Send { msg, to, port, text } => {
            out.msg = Some(msg);
            out.to = Some(node_out(to, "to")?);
            out.port = Some(port_out(port)?);
            out.text = Some(trace.text(text));
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
        Event::Log { level, text } => {
            out.level = Some(level.name());
            out.text = Some(trace.text(text));
        }
        Event::Fault { text } => out.text = Some(trace.text(text)),
        Event::Duplicate { msg } => out.msg = Some(msg),
    }
    Ok(out)
}

/// Checks that the header's names can be read back unambiguously.
fn check_names(header: &Header) -> Result<(), String> {
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
fn ephemeral_number(name: &str) -> Option<u32> {
    let digits = name.strip_prefix('#')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u32>().ok().filter(|&n| n < 1 << 31)
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/// Reads a trace written by [`write_jsonl`] (or by a newer writer of the same
/// format version), line by line.
///
/// Blank lines are skipped; unknown fields are ignored. Any other deviation is a
/// [`TraceError::Malformed`] naming the 1-based line and the field. A full trace
/// whose header carries a hash is checked against the hash of its records: a
/// mismatch (the trace was altered) is reported on the header's line.
pub fn read_jsonl(mut input: impl BufRead) -> Result<Trace, TraceError> {
    let mut buf = Vec::new();
    let mut line_no = 0;

    // The header: the first non-blank line (line 1 unless blank lines precede it).
    let line = next_line(&mut input, &mut buf, &mut line_no)?.ok_or(TraceError::Empty)?;
    let header_line = line_no;
    let head = parse_header(line).map_err(|m| TraceError::at(header_line, m))?;

    if head.mode != RecordMode::Full {
        if next_line(&mut input, &mut buf, &mut line_no)?.is_some() {
            let mode = mode_name(head.mode);
            return Err(TraceError::at(
                line_no,
                format!("a \"{mode}\" trace has only its header line, found a record"),
            ));
        }
        let hash = match head.mode {
            RecordMode::Off => None,
            _ => Some(
                head.hash
                    .ok_or_else(|| TraceError::at(header_line, "field \"hash\": a \"summary\" trace needs its hash"))?,
            ),
        };
        let counts = Counts { records: head.records.unwrap_or(0) };
        return Ok(Trace::from_summary(head.header, head.mode, counts, hash));
    }

    let (records, text) = {
        let nodes: HashMap<&str, NodeIx> =
            head.header.nodes.iter().enumerate().map(|(i, n)| (n.as_str(), i as NodeIx)).collect();
        let ports: HashMap<&str, u32> =
            head.header.ports.iter().enumerate().map(|(i, p)| (p.as_str(), i as u32)).collect();
        let names = Names { nodes: &nodes, ports: &ports };
        let mut records = Vec::new();
        let mut text = String::new();
        while let Some(line) = next_line(&mut input, &mut buf, &mut line_no)? {
            if head.records == Some(records.len() as u64) {
                let n = records.len();
                return Err(TraceError::at(
                    line_no,
                    format!("the header declares {n} records (field \"records\"), this line is one more"),
                ));
            }
            let record = parse_record(line, &names, &mut text).map_err(|m| TraceError::at(line_no, m))?;
            records.push(record);
        }
        if let Some(n) = head.records {
            if records.len() as u64 != n {
                let found = records.len();
                return Err(TraceError::at(
                    header_line,
                    format!("the header declares {n} records (field \"records\"), but the trace ends after {found}: truncated?"),
                ));
            }
        }
        (records, text)
    };

    let trace = Trace::from_parts(head.header, records, text);
    if let (Some(declared), Some(actual)) = (head.hash, trace.hash()) {
        if declared != actual {
            return Err(TraceError::at(
                header_line,
                format!(
                    "hash mismatch: the header says {declared} but the records hash to {actual}; the trace was altered"
                ),
            ));
        }
    }
    Ok(trace)
}

/// Reads the next non-blank line into `buf` (without its line ending), counting
/// lines; `None` at the end of the input.
fn next_line<'b>(
    input: &mut impl BufRead,
    buf: &'b mut Vec<u8>,
    line_no: &mut usize,
) -> Result<Option<&'b [u8]>, TraceError> {
    loop {
        buf.clear();
        if input.read_until(b'\n', buf)? == 0 {
            return Ok(None);
        }
        *line_no += 1;
        if !buf.iter().all(u8::is_ascii_whitespace) {
            let mut end = buf.len();
            while end > 0 && matches!(buf[end - 1], b'\n' | b'\r') {
                end -= 1;
            }
            return Ok(Some(&buf[..end]));
        }
    }
}

/// A serde_json error's message, with its position as a column of the line.
fn json_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match full.strip_suffix(&suffix) {
        Some(message) => format!("invalid JSON at column {}: {message}", e.column()),
        None => format!("invalid JSON: {full}"),
    }
}

/// What the header line says.
struct HeadIn {
    header: Header,
    mode: RecordMode,
    records: Option<u64>,
    hash: Option<TraceHash>,
}

fn parse_header(line: &[u8]) -> Result<HeadIn, String> {
    let value: Value = serde_json::from_slice(line).map_err(|e| format!("header: {}", json_message(&e)))?;
    let Value::Object(map) = value else {
        return Err(format!("header: expected a JSON object, found {}", value_kind(&value)));
    };
    let get = |field: &str| map.get(field).filter(|v| !v.is_null());
    let string = |field: &str| -> Result<&str, String> {
        match get(field) {
            Some(Value::String(s)) => Ok(s),
            Some(other) => Err(format!("header field \"{field}\": expected a string, found {}", value_kind(other))),
            None => Err(format!("header field \"{field}\": missing, expected a string")),
        }
    };
    let names = |field: &str| -> Result<Vec<String>, String> {
        let expected = "expected an array of strings";
        match get(field) {
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(format!(
                        "header field \"{field}\": {expected}, found an element that is {}",
                        value_kind(other)
                    )),
                })
                .collect(),
            Some(other) => Err(format!("header field \"{field}\": {expected}, found {}", value_kind(other))),
            None => Err(format!("header field \"{field}\": missing, {expected}")),
        }
    };

    let format = string("format")
        .map_err(|_| format!("not a microsim trace: header field \"format\" must be \"{FORMAT_NAME}\""))?;
    if format != FORMAT_NAME {
        return Err(format!("not a microsim trace: header field \"format\" is {format:?}, expected \"{FORMAT_NAME}\""));
    }
    let version = match get("version") {
        Some(Value::Number(n)) => n.as_u64(),
        _ => None,
    }
    .ok_or_else(|| "header field \"version\": expected a positive integer".to_string())?;
    if version > u64::from(FORMAT_VERSION) {
        return Err(format!(
            "header field \"version\": trace format version {version} is newer than the newest this reader knows, version {FORMAT_VERSION}"
        ));
    }
    if version == 0 {
        return Err(format!("header field \"version\": expected 1 to {FORMAT_VERSION}, found 0"));
    }
    let mode = match string("mode")? {
        "full" => RecordMode::Full,
        "summary" => RecordMode::Summary,
        "off" => RecordMode::Off,
        other => {
            return Err(format!("header field \"mode\": expected \"full\", \"summary\" or \"off\", found {other:?}"))
        }
    };
    let seed = string("seed")?;
    let seed = seed
        .strip_prefix("0x")
        .and_then(parse_hex)
        .ok_or_else(|| format!("header field \"seed\": expected 0x and up to 16 hex digits, found {seed:?}"))?;
    let records = match get("records") {
        None => None,
        Some(Value::Number(n)) if n.as_u64().is_some() => n.as_u64(),
        Some(other) => {
            return Err(format!("header field \"records\": expected an unsigned integer, found {}", value_kind(other)))
        }
    };
    let hash = match get("hash") {
        None => None,
        Some(Value::String(s)) => Some(TraceHash(
            parse_hex(s)
                .ok_or_else(|| format!("header field \"hash\": expected up to 16 hex digits or null, found {s:?}"))?,
        )),
        Some(other) => {
            return Err(format!(
                "header field \"hash\": expected a string of hex digits or null, found {}",
                value_kind(other)
            ))
        }
    };
    let header = Header {
        microsim_version: string("microsim_version")?.to_string(),
        seed,
        rng: string("rng")?.to_string(),
        nodes: names("nodes")?,
        ports: names("ports")?,
    };
    check_names(&header).map_err(|m| format!("header {m}"))?;
    if header.nodes.len() >= NO_NODE as usize || header.ports.len() >= 1 << 31 {
        return Err("header: too many nodes or ports".to_string());
    }
    Ok(HeadIn { header, mode, records, hash })
}

/// Parses 1 to 16 hex digits (nothing else: no sign, no prefix).
fn parse_hex(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(s, 16).ok()
}

fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Name-to-index tables of the header.
struct Names<'h> {
    nodes: &'h HashMap<&'h str, NodeIx>,
    ports: &'h HashMap<&'h str, u32>,
}

/// One record line, as read. Every field is optional here so that a missing or
/// mistyped field is reported by name; unknown fields are ignored.
#[derive(Deserialize)]
struct RecordIn<'a> {
    #[serde(borrow)]
    t: Option<Field<'a>>,
    #[serde(borrow)]
    node: Option<Field<'a>>,
    #[serde(borrow)]
    ev: Option<Field<'a>>,
    #[serde(borrow)]
    msg: Option<Field<'a>>,
    #[serde(borrow)]
    to: Option<Field<'a>>,
    #[serde(borrow)]
    from: Option<Field<'a>>,
    #[serde(borrow)]
    port: Option<Field<'a>>,
    #[serde(borrow)]
    reason: Option<Field<'a>>,
    #[serde(borrow)]
    task: Option<Field<'a>>,
    #[serde(borrow)]
    timer: Option<Field<'a>>,
    #[serde(borrow)]
    level: Option<Field<'a>>,
    #[serde(borrow)]
    text: Option<Field<'a>>,
}

/// Any JSON value, kept only as far as a record field can use it.
enum Field<'a> {
    Str(Cow<'a, str>),
    U64(u64),
    /// Anything else, described for the error message.
    Other(&'static str),
}

impl<'de: 'a, 'a> Deserialize<'de> for Field<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FieldVisitor(std::marker::PhantomData))
    }
}

struct FieldVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for FieldVisitor<'a> {
    type Value = Field<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_u64<E>(self, v: u64) -> Result<Field<'a>, E> {
        Ok(Field::U64(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Field<'a>, E> {
        Ok(if v >= 0 { Field::U64(v as u64) } else { Field::Other("a negative number") })
    }
    fn visit_f64<E>(self, _: f64) -> Result<Field<'a>, E> {
        Ok(Field::Other("a fractional or out-of-range number"))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Field<'a>, E> {
        Ok(Field::Other("a boolean"))
    }
    fn visit_unit<E>(self) -> Result<Field<'a>, E> {
        Ok(Field::Other("null"))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Field<'a>, E> {
        Ok(Field::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Field<'a>, E> {
        Ok(Field::Str(Cow::Owned(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Field<'a>, E> {
        Ok(Field::Str(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Field<'a>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Field::Other("an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Field<'a>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Field::Other("an object"))
    }
}

fn found(field: &Field<'_>) -> String {
    match field {
        Field::Str(s) => format!("the string {s:?}"),
        Field::U64(n) => format!("the number {n}"),
        Field::Other(what) => (*what).to_string(),
    }
}

fn need_u64(name: &str, field: Option<Field<'_>>) -> Result<u64, String> {
    match field {
        Some(Field::U64(n)) => Ok(n),
        Some(other) => Err(format!("field \"{name}\": expected an unsigned integer, found {}", found(&other))),
        None => Err(format!("field \"{name}\": missing, expected an unsigned integer")),
    }
}

fn need_str<'a>(name: &str, expected: &str, field: Option<Field<'a>>) -> Result<Cow<'a, str>, String> {
    match field {
        Some(Field::Str(s)) => Ok(s),
        Some(other) => Err(format!("field \"{name}\": expected {expected}, found {}", found(&other))),
        None => Err(format!("field \"{name}\": missing, expected {expected}")),
    }
}

fn need_node(name: &str, field: Option<Field<'_>>, names: &Names<'_>) -> Result<NodeIx, String> {
    let s = need_str(name, "a node name", field)?;
    if s == "-" {
        return Ok(NO_NODE);
    }
    names
        .nodes
        .get(s.as_ref())
        .copied()
        .ok_or_else(|| format!("field \"{name}\": unknown node {s:?}, expected one of the header's nodes or \"-\""))
}

fn need_port(field: Option<Field<'_>>, names: &Names<'_>) -> Result<Port, String> {
    let s = need_str("port", "a port name", field)?;
    if let Some(n) = ephemeral_number(&s) {
        return Ok(Port::ephemeral(n));
    }
    names.ports.get(s.as_ref()).map(|&ix| Port::named(ix)).ok_or_else(|| {
        format!("field \"port\": unknown port {s:?}, expected one of the header's ports or #N for an ephemeral port")
    })
}

fn need_text(field: Option<Field<'_>>, arena: &mut String) -> Result<Text, String> {
    let s = need_str("text", "a string", field)?;
    let start = u32::try_from(arena.len()).map_err(|_| "field \"text\": the trace's texts exceed 4 GiB".to_string())?;
    let len = u32::try_from(s.len()).ok().filter(|len| start.checked_add(*len).is_some());
    let len = len.ok_or_else(|| "field \"text\": the trace's texts exceed 4 GiB".to_string())?;
    arena.push_str(&s);
    Ok(Text { start, len })
}

fn parse_record(line: &[u8], names: &Names<'_>, arena: &mut String) -> Result<Record, String> {
    if line.trim_ascii_start().first() != Some(&b'{') {
        // Serde would also take an array for a struct; say what a record is instead.
        return Err("expected a record: a JSON object with fields \"t\", \"node\", \"ev\"".to_string());
    }
    let r: RecordIn<'_> = serde_json::from_slice(line).map_err(|e| json_message(&e))?;
    let time_ns = need_u64("t", r.t)?;
    let node = need_node("node", r.node, names)?;
    let kind = need_str("ev", "an event kind", r.ev)?;
    let event = match kind.as_ref() {
        "start" => Event::Start,
        "crash" => Event::Crash,
        "restart" => Event::Restart,
        "pause" => Event::Pause,
        "resume" => Event::Resume,
        "spawn" => Event::Spawn { task: need_u64("task", r.task)? },
        "exit" => Event::Exit { task: need_u64("task", r.task)? },
        "send" => Event::Send {
            msg: need_u64("msg", r.msg)?,
            to: need_node("to", r.to, names)?,
            port: need_port(r.port, names)?,
            text: need_text(r.text, arena)?,
        },
        "deliver" => Event::Deliver { msg: need_u64("msg", r.msg)?, from: need_node("from", r.from, names)? },
        "drop" => {
            let msg = need_u64("msg", r.msg)?;
            let name = need_str("reason", "a drop reason", r.reason)?;
            let reason = DropReason::from_name(&name).ok_or_else(|| {
                let all: Vec<_> = DropReason::ALL.iter().map(|r| r.name()).collect();
                format!("field \"reason\": unknown drop reason {name:?}, expected one of {}", all.join(", "))
            })?;
            Event::Drop { msg, reason }
        }
        "timer" => Event::Timer { timer: need_u64("timer", r.timer)? },
        "log" => {
            let name = need_str("level", "a log level", r.level)?;
            let level = Level::from_name(&name).ok_or_else(|| {
                let all: Vec<_> = Level::ALL.iter().map(|l| l.name()).collect();
                format!("field \"level\": unknown log level {name:?}, expected one of {}", all.join(", "))
            })?;
            Event::Log { level, text: need_text(r.text, arena)? }
        }
        "fault" => Event::Fault { text: need_text(r.text, arena)? },
        "duplicate" => Event::Duplicate { msg: need_u64("msg", r.msg)? },
        other => return Err(format!("field \"ev\": unknown event kind {other:?}, expected one of {KINDS}")),
    };
    Ok(Record { time_ns, node, event })
}

//! Parsing one line of a JSON-lines trace: the header, or one record. Every
//! deviation from `traces/FORMAT.md` is an error message naming the field and
//! what was expected; the caller adds the line number.

use crate::hash::TraceHash;
use crate::jsonl::{check_names, ephemeral_number, FORMAT_NAME, FORMAT_VERSION};
use crate::record::{CallOutcome, DropReason, Event, Level, NodeIx, Port, Record, Text, KINDS, NO_NODE};
use crate::recording::{Header, RecordMode};
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

/// A serde_json error's message, with its position as a column of the line.
pub(crate) fn json_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match full.strip_suffix(&suffix) {
        Some(message) => format!("invalid JSON at column {}: {message}", e.column()),
        None => format!("invalid JSON: {full}"),
    }
}

/// What the header line says.
#[derive(Debug)]
pub(crate) struct HeadIn {
    pub(crate) header: Header,
    pub(crate) mode: RecordMode,
    pub(crate) records: Option<u64>,
    pub(crate) hash: Option<TraceHash>,
}

pub(crate) fn parse_header(line: &[u8]) -> Result<HeadIn, String> {
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
    let optional =
        |field: &str| string(field).map(|s| Some(s.to_string())).or_else(|e| get(field).map_or(Ok(None), |_| Err(e)));
    let header = Header {
        microsim_version: string("microsim_version")?.to_string(),
        seed,
        rng: string("rng")?.to_string(),
        nodes: names("nodes")?,
        ports: names("ports")?,
        scenario: optional("scenario")?,
        variant: optional("variant")?,
        plan: get("plan").cloned(),
        profile: optional("profile")?,
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
#[derive(Debug)]
pub(crate) struct Names {
    nodes: HashMap<String, NodeIx>,
    ports: HashMap<String, u32>,
}

impl Names {
    pub(crate) fn new(header: &Header) -> Names {
        Names {
            nodes: header.nodes.iter().enumerate().map(|(i, n)| (n.clone(), i as NodeIx)).collect(),
            ports: header.ports.iter().enumerate().map(|(i, p)| (p.clone(), i as u32)).collect(),
        }
    }
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
    call: Option<Field<'a>>,
    #[serde(borrow)]
    parent: Option<Field<'a>>,
    #[serde(borrow)]
    outcome: Option<Field<'a>>,
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

/// One of `all`, by its stable name.
fn need_named<T: Copy>(
    field: &str,
    what: &str,
    value: Option<Field<'_>>,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, String> {
    let given = need_str(field, &format!("a {what}"), value)?;
    all.iter().copied().find(|&v| name(v) == given).ok_or_else(|| {
        let names: Vec<_> = all.iter().map(|&v| name(v)).collect();
        format!("field \"{field}\": unknown {what} {given:?}, expected one of {}", names.join(", "))
    })
}

fn need_node(name: &str, field: Option<Field<'_>>, names: &Names) -> Result<NodeIx, String> {
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

fn need_port(field: Option<Field<'_>>, names: &Names) -> Result<Port, String> {
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

pub(crate) fn parse_record(line: &[u8], names: &Names, arena: &mut String) -> Result<Record, String> {
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
        "drop" => Event::Drop {
            msg: need_u64("msg", r.msg)?,
            reason: need_named("reason", "drop reason", r.reason, &DropReason::ALL, |r| r.name())?,
        },
        "timer" => Event::Timer { timer: need_u64("timer", r.timer)? },
        "log" => Event::Log {
            level: need_named("level", "log level", r.level, &Level::ALL, |l| l.name())?,
            text: need_text(r.text, arena)?,
        },
        "fault" => Event::Fault { text: need_text(r.text, arena)? },
        "duplicate" => Event::Duplicate { msg: need_u64("msg", r.msg)? },
        "call" => Event::Call {
            call: need_u64("call", r.call)?,
            parent: need_u64("parent", r.parent)?,
            to: need_node("to", r.to, names)?,
            text: need_text(r.text, arena)?,
        },
        "return" => Event::Return {
            call: need_u64("call", r.call)?,
            outcome: need_named("outcome", "call outcome", r.outcome, &CallOutcome::ALL, |o| o.name())?,
        },
        other => {
            return Err(format!("field \"ev\": unknown event kind {other:?}, expected one of {}", KINDS.join(", ")))
        }
    };
    Ok(Record { time_ns, node, event })
}

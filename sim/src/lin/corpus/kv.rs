//! The key/value format: one EDN map a line,
//! `{:process P, :type T, :f F, :key "K", :value V}`.
//!
//! `V` is `nil` or a double-quoted string without escapes. Fields may come in
//! any order; each of the five must be there once.

use super::{kind, CorpusError, Kind, Pairing};
use crate::history::{History, OpOutcome};
use crate::lin::models::{KvInput, KvOutput};

/// Parses a key/value history; `file` names it in errors.
pub fn parse_kv(file: &str, text: &str) -> Result<History<KvInput, KvOutput>, CorpusError> {
    let mut pairing = Pairing::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        parse_line(&mut pairing, line.trim(), i + 1).map_err(|message| CorpusError {
            file: file.to_string(),
            line: i + 1,
            message,
        })?;
    }
    Ok(pairing.history)
}

/// The five fields of a line.
#[derive(Default)]
struct Fields<'a> {
    process: Option<&'a str>,
    kind: Option<&'a str>,
    f: Option<&'a str>,
    key: Option<Option<&'a str>>,
    value: Option<Option<&'a str>>,
}

fn parse_line(pairing: &mut Pairing<KvInput, KvOutput>, line: &str, number: usize) -> Result<(), String> {
    let fields = fields(line)?;
    let missing = |name: &str| format!("the field :{name} is missing");
    let process = fields.process.ok_or_else(|| missing("process"))?;
    let process: u64 = process.parse().map_err(|_| format!("process `{process}` is not a non-negative integer"))?;
    let key = fields.key.ok_or_else(|| missing("key"))?.ok_or("the key is nil: expected a string")?.to_string();
    let value = fields.value.ok_or_else(|| missing("value"))?;
    let (f, needs_value) = match fields.f.ok_or_else(|| missing("f"))? {
        ":get" => (":get", false),
        ":put" => (":put", true),
        ":append" => (":append", true),
        other => return Err(format!("unknown operation `{other}`: expected :get, :put or :append")),
    };
    let text = |v: Option<&str>| v.map(str::to_string).ok_or(format!("a {f} has value nil: expected a string"));
    match kind(fields.kind.ok_or_else(|| missing("type"))?)? {
        Kind::Invoke => {
            let input = match (f, needs_value) {
                (":get", _) => KvInput::Get { key },
                (":put", _) => KvInput::Put { key, value: text(value)? },
                _ => KvInput::Append { key, value: text(value)? },
            };
            pairing.invoke(process, f, input, number)
        }
        Kind::Ok if f == ":get" => pairing.complete(process, f, OpOutcome::Ok(KvOutput::Value(text(value)?)), number),
        Kind::Ok => pairing.complete(process, f, OpOutcome::Ok(KvOutput::Done), number),
        Kind::Fail => pairing.complete(process, f, OpOutcome::Failed, number),
        Kind::Info => pairing.complete(process, f, OpOutcome::Unknown, number),
    }
}

/// Splits `{:a x, :b "y z", ...}` into its fields.
fn fields(line: &str) -> Result<Fields<'_>, String> {
    let body = line.strip_prefix('{').and_then(|l| l.strip_suffix('}'));
    let mut rest = body.ok_or("expected a map `{:process P, :type T, :f F, :key \"K\", :value V}`")?.trim_start();
    let mut fields = Fields::default();
    while !rest.is_empty() {
        let (name, after) = rest.split_once(char::is_whitespace).ok_or(format!("a field `{rest}` without a value"))?;
        let (value, after) = value(after.trim_start())?;
        let slot_taken = match name {
            ":process" => fields.process.replace(value).is_some(),
            ":type" => fields.kind.replace(value).is_some(),
            ":f" => fields.f.replace(value).is_some(),
            ":key" => fields.key.replace(quoted(value)?).is_some(),
            ":value" => fields.value.replace(quoted(value)?).is_some(),
            other => return Err(format!("unknown field `{other}`: expected :process, :type, :f, :key, :value")),
        };
        if slot_taken {
            return Err(format!("the field {name} appears twice"));
        }
        rest = after.trim_start().strip_prefix(',').unwrap_or(after).trim_start();
    }
    Ok(fields)
}

/// A value (a bare token, or a string with its quotes) and what follows it.
fn value(s: &str) -> Result<(&str, &str), String> {
    let end = match s.strip_prefix('"') {
        Some(inner) => inner.find('"').ok_or("a string without its closing quote")? + 2,
        None => s.find([',', ' ', '\t']).unwrap_or(s.len()),
    };
    if end == 0 {
        return Err("a field without a value".to_string());
    }
    Ok((&s[..end], &s[end..]))
}

/// `nil` as `None`, `"text"` as `Some("text")`.
fn quoted(value: &str) -> Result<Option<&str>, String> {
    match value {
        "nil" => Ok(None),
        v if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') => Ok(Some(&v[1..v.len() - 1])),
        v => Err(format!("`{v}` is not a string or nil")),
    }
}

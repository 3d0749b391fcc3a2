//! The Jepsen etcd log format: `INFO  jepsen.util - <process> <type> <f> <value>`.
//!
//! Fields are separated by any whitespace (tabs in most files, spaces in some).
//! Values: `nil` or an integer (read, write), `[A B]` (cas), `:timed-out` (fail
//! and info); completions of writes and CAS repeat the invocation's arguments,
//! which are taken from the invocation.

use super::{kind, CorpusError, Kind, Pairing};
use crate::history::{History, OpOutcome};
use crate::lin::models::{RegisterInput, RegisterOutput};

/// Parses a Jepsen etcd log; `file` names it in errors.
pub fn parse_jepsen(file: &str, text: &str) -> Result<History<RegisterInput, RegisterOutput>, CorpusError> {
    let mut pairing = Pairing::new();
    for (i, line) in text.lines().enumerate() {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        if tokens.is_empty() {
            continue;
        }
        parse_line(&mut pairing, &tokens, i + 1).map_err(|message| CorpusError {
            file: file.to_string(),
            line: i + 1,
            message,
        })?;
    }
    Ok(pairing.history)
}

fn parse_line(
    pairing: &mut Pairing<RegisterInput, RegisterOutput>,
    tokens: &[&str],
    line: usize,
) -> Result<(), String> {
    let [_, _, _, process, kind_token, f, _, ..] = tokens else {
        return Err(format!("expected `INFO jepsen.util - <process> <type> <f> <value>`, got {} fields", tokens.len()));
    };
    if tokens[..3] != ["INFO", "jepsen.util", "-"] {
        return Err(format!("expected the prefix `INFO  jepsen.util - `, got `{}`", tokens[..3].join(" ")));
    }
    let process: u64 = process.parse().map_err(|_| format!("process `{process}` is not a non-negative integer"))?;
    let value = tokens[6..].join(" ");
    let f = match *f {
        ":read" => ":read",
        ":write" => ":write",
        ":cas" => ":cas",
        other => return Err(format!("unknown operation `{other}`: expected :read, :write or :cas")),
    };
    match kind(kind_token)? {
        Kind::Invoke => pairing.invoke(process, f, input(f, &value)?, line),
        Kind::Ok => pairing.complete(process, f, OpOutcome::Ok(ok_output(f, &value)?), line),
        Kind::Fail => pairing.complete(process, f, OpOutcome::Failed, line),
        Kind::Info => pairing.complete(process, f, OpOutcome::Unknown, line),
    }
}

fn int(token: &str) -> Result<i64, String> {
    token.parse().map_err(|_| format!("`{token}` is not an integer"))
}

fn input(f: &str, value: &str) -> Result<RegisterInput, String> {
    match f {
        ":read" if value == "nil" => Ok(RegisterInput::Read),
        ":read" => Err(format!("a read invocation has value `{value}`: expected nil")),
        ":write" => Ok(RegisterInput::Write(int(value)?)),
        _ => {
            let pair = value.strip_prefix('[').and_then(|v| v.strip_suffix(']'));
            let parts: Vec<&str> = pair.map(|p| p.split_whitespace().collect()).unwrap_or_default();
            match parts[..] {
                [expect, new] => Ok(RegisterInput::Cas { expect: int(expect)?, new: int(new)? }),
                _ => Err(format!("a cas has value `{value}`: expected `[A B]`")),
            }
        }
    }
}

fn ok_output(f: &str, value: &str) -> Result<RegisterOutput, String> {
    match f {
        ":read" if value == "nil" => Ok(RegisterOutput::Value(None)),
        ":read" => Ok(RegisterOutput::Value(Some(int(value)?))),
        ":write" => Ok(RegisterOutput::Written),
        _ => Ok(RegisterOutput::Swapped(true)),
    }
}

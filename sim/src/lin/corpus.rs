//! Parsers for the two formats of the Porcupine conformance corpus.
//!
//! `jepsen`: Jepsen etcd logs (`INFO  jepsen.util - <process> <type> <f> <value>`),
//! for [`models::RegisterCas`](super::models::RegisterCas). `kv`: one EDN map a
//! line (`{:process P, :type T, :f F, :key "K", :value V}`), for
//! [`models::Kv`](super::models::Kv). In both, line order is real-time order (a
//! line's number is its time) and a completion (`:ok`, `:fail`, `:info`) closes
//! the open invocation of its process; an invocation never completed is left
//! pending (an unknown outcome). A malformed line is an error naming the file and
//! the line.

mod jepsen;
mod kv;

pub use jepsen::parse_jepsen;
pub use kv::parse_kv;

use crate::history::{History, OpId, OpOutcome};
use std::collections::BTreeMap;
use thiserror::Error;

/// A line the parser could not read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{file}:{line}: {message}")]
pub struct CorpusError {
    /// The file (as named by the caller).
    pub file: String,
    /// The line number, from 1.
    pub line: usize,
    /// What was wrong, and what was expected.
    pub message: String,
}

/// The kind of a line: an invocation or one of the three completions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Invoke,
    Ok,
    Fail,
    Info,
}

fn kind(token: &str) -> Result<Kind, String> {
    match token {
        ":invoke" => Ok(Kind::Invoke),
        ":ok" => Ok(Kind::Ok),
        ":fail" => Ok(Kind::Fail),
        ":info" => Ok(Kind::Info),
        other => Err(format!("unknown type `{other}`: expected :invoke, :ok, :fail or :info")),
    }
}

/// Pairs completions with the open invocation of their process, line by line.
struct Pairing<I, O> {
    history: History<I, O>,
    open: BTreeMap<u64, (OpId, &'static str)>,
}

impl<I, O> Pairing<I, O> {
    fn new() -> Self {
        Pairing { history: History::new(), open: BTreeMap::new() }
    }

    /// Opens an operation `f` (a name, to match its completion) of `process`.
    fn invoke(&mut self, process: u64, f: &'static str, input: I, line: usize) -> Result<(), String> {
        if let Some((id, _)) = self.open.get(&process) {
            return Err(format!("process {process} invokes again while operation {} is still open", id.0));
        }
        let id = self.history.invoke_at(process, input, line as u64);
        self.open.insert(process, (id, f));
        Ok(())
    }

    /// Closes the open operation of `process`, which must be an `f`.
    fn complete(&mut self, process: u64, f: &str, outcome: OpOutcome<O>, line: usize) -> Result<(), String> {
        let Some((id, open_f)) = self.open.remove(&process) else {
            return Err(format!("a completion for process {process}, which has no open :invoke"));
        };
        if open_f != f {
            return Err(format!("a {f} completion for process {process}, whose open operation is a {open_f}"));
        }
        self.history.complete_at(id, outcome, line as u64).map_err(|e| e.to_string())
    }
}

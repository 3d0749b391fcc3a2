//! The call-tree view: the remote procedure calls of a run as one tree per
//! request, as application performance monitors (Pinpoint, Zipkin) show them.
//!
//! A tree is a root call (one made outside any handler) and, below it, the calls
//! its handlers made; it is named by its trace id, the root call's number, from the trace's `call` and `return` records. Each row
//! gives the start, the duration, the outcome (`ok`, `ERROR`, `-` while
//! unfinished), the error (`timeout`, `unfinished`), the caller and callee
//! services and the method; a call that repeats a timed-out call of the same caller,
//! callee and method is marked as a retry. Only the calls are held in memory.
//!
//! ```text
//! # call trees: 4 calls in 3 trees; 1 timed out, 0 unfinished
//!
//! trace 1
//!        start ms   duration ms  outcome  error       call
//!        1.000000      4.000000  ok                   client -> api Get (call 1)
//!        2.000000      2.000000  ok                     api -> db Read (call 2)
//!
//! trace 3
//!        start ms   duration ms  outcome  error       call
//!        6.000000     50.000000  ERROR    timeout     client -> api Put (call 3)
//! ```
//!
//! Filters: a tree is shown when its root call's caller is a shown node and
//! its root starts within the time range.

use super::escape::escape_terminal;
use super::filter::Filter;
use super::text::time_ms;
use super::ViewError;
use crate::reader::TraceReader;
use crate::record::{CallOutcome, Event, NodeIx};
use crate::recording::Header;
use std::collections::BTreeMap;
use std::io::{BufRead, Write};

/// One call, as the records tell it.
#[derive(Clone, Debug)]
struct Call {
    node: NodeIx,
    to: NodeIx,
    parent: u64,
    method: String,
    start_ns: u64,
    end: Option<(u64, CallOutcome)>,
    children: Vec<u64>,
    retry: u32,
}

/// Writes the call trees of the trace `reader` reads.
pub fn write_calls<R: BufRead>(
    reader: &mut TraceReader<R>,
    filter: &Filter,
    out: &mut impl Write,
) -> Result<(), ViewError> {
    let resolved = filter.resolve(reader.header()).map_err(ViewError::Filter)?;
    let header = reader.header().clone();
    let calls = collect(reader)?;
    let roots: Vec<u64> = calls
        .iter()
        .filter(|(_, c)| c.parent == 0 || !calls.contains_key(&c.parent))
        .filter(|(_, c)| resolved.shows_node(c.node) && resolved.keeps_time(c.start_ns))
        .map(|(&id, _)| id)
        .collect();
    let timed_out = calls.values().filter(|c| matches!(c.end, Some((_, CallOutcome::Timeout)))).count();
    let unfinished = calls.values().filter(|c| c.end.is_none()).count();
    writeln!(
        out,
        "# call trees: {} calls in {} trees; {timed_out} timed out, {unfinished} unfinished",
        calls.len(),
        roots.len()
    )?;
    for root in &roots {
        writeln!(out, "\ntrace {root}")?;
        writeln!(out, "{:>15} {:>13}  {:<7}  {:<10}  call", "start ms", "duration ms", "outcome", "error")?;
        write_tree(&header, &calls, *root, 0, out)?;
    }
    Ok(())
}

/// Reads every call and return, linking children to parents and marking retries.
fn collect<R: BufRead>(reader: &mut TraceReader<R>) -> Result<BTreeMap<u64, Call>, ViewError> {
    let mut calls: BTreeMap<u64, Call> = BTreeMap::new();
    // The last call of each (parent, caller, callee, method): a retry follows a timeout.
    let mut last: BTreeMap<(u64, NodeIx, NodeIx, String), u64> = BTreeMap::new();
    while let Some(read) = reader.next_record()? {
        let (record, text) = (read.record, read.text);
        match record.event {
            Event::Call { call, parent, to, .. } => {
                let key = (parent, record.node, to, text.to_string());
                let retry = match last.get(&key).and_then(|id| calls.get(id)) {
                    Some(prev) if matches!(prev.end, Some((_, CallOutcome::Timeout))) => prev.retry + 1,
                    _ => 0,
                };
                last.insert(key, call);
                if let Some(p) = calls.get_mut(&parent) {
                    p.children.push(call);
                }
                let method = text.to_string();
                let c = Call {
                    node: record.node,
                    to,
                    parent,
                    method,
                    start_ns: record.time_ns,
                    end: None,
                    children: Vec::new(),
                    retry,
                };
                calls.insert(call, c);
            }
            Event::Return { call, outcome } => {
                if let Some(c) = calls.get_mut(&call) {
                    c.end = Some((record.time_ns, outcome));
                }
            }
            _ => {}
        }
    }
    Ok(calls)
}

fn write_tree(
    header: &Header,
    calls: &BTreeMap<u64, Call>,
    id: u64,
    depth: usize,
    out: &mut impl Write,
) -> std::io::Result<()> {
    // The depth of a tree is bounded by the calls in it; an explicit stack is not needed
    // for the call chains a run makes, but guard against a cycle in a hand-made trace.
    if depth > calls.len() {
        return Ok(());
    }
    let call = &calls[&id];
    let (duration, outcome, error) = match call.end {
        Some((end, CallOutcome::Ok)) => (time_ms(end.saturating_sub(call.start_ns)), "ok", ""),
        Some((end, outcome)) => (time_ms(end.saturating_sub(call.start_ns)), "ERROR", outcome.name()),
        None => ("-".to_string(), "-", "unfinished"),
    };
    let retry = if call.retry > 0 { format!(" [retry {}]", call.retry) } else { String::new() };
    writeln!(
        out,
        "{:>15} {:>13}  {:<7}  {:<10}  {}{} -> {} {} (call {id}){retry}",
        time_ms(call.start_ns),
        duration,
        outcome,
        error,
        "  ".repeat(depth),
        escape_terminal(header.node_name(call.node)),
        escape_terminal(header.node_name(call.to)),
        escape_terminal(&call.method),
    )?;
    for &child in &call.children {
        write_tree(header, calls, child, depth + 1, out)?;
    }
    Ok(())
}

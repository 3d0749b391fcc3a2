//! Where two traces first differ: the first diverging event and the events
//! before it, for `microsim diff` and the simulator's determinism check.
//!
//! Records are compared by their JSON lines ([`crate::record_line`]): the same
//! event at the same time at the same node, with the same fields and text, is
//! the same line whatever the node's index in each header.

use crate::error::TraceError;
use crate::jsonl::record_line;
use crate::reader::TraceReader;
use crate::record::Record;
use crate::recording::{Header, Trace};
use std::collections::VecDeque;
use std::fmt;
use std::io::BufRead;

/// The first divergence of two traces A and B.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceDiff {
    /// The 0-based index of the first differing record.
    pub index: usize,
    /// Up to the asked-for number of records before it (the same in both), as lines.
    pub before: Vec<String>,
    /// The differing record of A as its line, `None` when A had ended.
    pub a: Option<String>,
    /// The differing record of B, `None` when B had ended.
    pub b: Option<String>,
    /// The 1-based file line of A's record (when read from a file).
    pub line_a: Option<usize>,
    /// The 1-based file line of B's record.
    pub line_b: Option<usize>,
}

impl fmt::Display for TraceDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = |line: Option<usize>| line.map(|l| format!(" (line {l})")).unwrap_or_default();
        writeln!(f, "the traces differ at event {}:", self.index + 1)?;
        for line in &self.before {
            writeln!(f, "    {line}")?;
        }
        let show = |r: &Option<String>| r.clone().unwrap_or_else(|| "(the trace had ended)".to_string());
        writeln!(f, "A{} {}", at(self.line_a), show(&self.a))?;
        write!(f, "B{} {}", at(self.line_b), show(&self.b))
    }
}

/// Why two trace files could not be compared.
#[derive(Debug, thiserror::Error)]
#[error("trace {side}: {error}")]
pub struct DiffError {
    /// `A` or `B`.
    pub side: char,
    /// What was wrong with it.
    pub error: TraceError,
}

/// Looks for the first divergence of two lines streams, keeping `context`
/// lines before it. Each item is a record's line and its file line number.
fn first_divergence<E>(
    mut a: impl FnMut() -> Result<Option<(String, Option<usize>)>, E>,
    mut b: impl FnMut() -> Result<Option<(String, Option<usize>)>, E>,
    context: usize,
) -> Result<Option<TraceDiff>, E> {
    let mut before = VecDeque::with_capacity(context + 1);
    for index in 0.. {
        let (ra, rb) = (a()?, b()?);
        if ra.is_none() && rb.is_none() {
            return Ok(None);
        }
        if ra.as_ref().map(|r| &r.0) != rb.as_ref().map(|r| &r.0) {
            let (a, line_a) = ra.map_or((None, None), |(l, n)| (Some(l), n));
            let (b, line_b) = rb.map_or((None, None), |(l, n)| (Some(l), n));
            return Ok(Some(TraceDiff { index, before: before.into(), a, b, line_a, line_b }));
        }
        if context > 0 {
            if before.len() == context {
                before.pop_front();
            }
            before.push_back(ra.expect("both have a record").0);
        }
    }
    unreachable!("the loop runs until a stream ends")
}

/// A record's line, or a note when it cannot be written (a name missing from
/// the header: an in-memory trace only, a read one was checked).
fn line_of(header: &Header, record: &Record, text: &str) -> String {
    record_line(header, record, text).unwrap_or_else(|why| format!("{record:?} ({why})"))
}

/// What the headers of two traces say differently about their runs (scenario,
/// variant, seed, plan, profile, nodes), one line each: a divergence between
/// two runs of different seeds or plans is expected.
pub fn header_differences(a: &Header, b: &Header) -> Vec<String> {
    let opt = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".to_string());
    let plan = |h: &Header| h.plan.as_ref().map_or("-".to_string(), |p| p.to_string());
    let fields = [
        ("scenario", opt(&a.scenario), opt(&b.scenario)),
        ("variant", opt(&a.variant), opt(&b.variant)),
        ("seed", format!("0x{:x}", a.seed), format!("0x{:x}", b.seed)),
        ("plan", plan(a), plan(b)),
        ("profile", opt(&a.profile), opt(&b.profile)),
        ("nodes", a.nodes.join(" "), b.nodes.join(" ")),
    ];
    fields.into_iter().filter(|(_, x, y)| x != y).map(|(name, x, y)| format!("{name}: A {x}, B {y}")).collect()
}

/// The first divergence of two traces in memory, with up to `context` records before it.
pub fn diff_traces(a: &Trace, b: &Trace, context: usize) -> Option<TraceDiff> {
    fn lines(t: &Trace) -> impl FnMut() -> Result<Option<(String, Option<usize>)>, std::convert::Infallible> + '_ {
        let mut records = t.records().iter();
        move || Ok(records.next().map(|r| (line_of(&t.header, r, r.event.text().map_or("", |x| t.text(x))), None)))
    }
    match first_divergence(lines(a), lines(b), context) {
        Ok(diff) => diff,
        Err(never) => match never {},
    }
}

/// The first divergence of two traces read as streams (neither is held whole).
pub fn diff_readers<A: BufRead, B: BufRead>(
    a: &mut TraceReader<A>,
    b: &mut TraceReader<B>,
    context: usize,
) -> Result<Option<TraceDiff>, DiffError> {
    fn lines<R: BufRead>(
        reader: &mut TraceReader<R>,
        side: char,
    ) -> impl FnMut() -> Result<Option<(String, Option<usize>)>, DiffError> + '_ {
        move || match reader.next_line() {
            Ok(line) => Ok(line.map(|(text, n)| (text, Some(n)))),
            Err(error) => Err(DiffError { side, error }),
        }
    }
    first_divergence(lines(a, 'A'), lines(b, 'B'), context)
}

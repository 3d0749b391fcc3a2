//! Which records a view shows: by node, virtual time range, event kind and log level.

use crate::record::{Event, Level, NodeIx, Record, KINDS, NO_NODE};
use crate::recording::Header;

/// What to show of a trace. The default shows everything.
///
/// A record is shown when every given filter keeps it: its node is one of
/// `nodes` (records of no node, such as a partition of the test's side, are
/// kept too: they concern every node); its time is within `from_ns..=to_ns`; its
/// kind is one of `kinds`; and, for a log line, its level is `level` or more
/// severe.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Node names (empty: every node).
    pub nodes: Vec<String>,
    /// The earliest time shown, in virtual nanoseconds.
    pub from_ns: Option<u64>,
    /// The latest time shown.
    pub to_ns: Option<u64>,
    /// Event kinds (empty: every kind), as in the JSON-lines format (`send`, `log`, ...).
    pub kinds: Vec<String>,
    /// The least severe log level shown.
    pub level: Option<Level>,
}

/// A [`Filter`] resolved against a trace's header.
#[derive(Clone, Debug)]
pub(crate) struct Resolved {
    /// Whether node `i` is shown, by index.
    shown: Vec<bool>,
    from_ns: u64,
    to_ns: u64,
    /// Whether kind code `i + 1` is shown.
    kinds: [bool; KINDS.len()],
    level: Level,
}

impl Filter {
    /// Resolves node and kind names against `header`, with an error naming an
    /// unknown one and what was expected.
    pub(crate) fn resolve(&self, header: &Header) -> Result<Resolved, String> {
        let mut shown = vec![self.nodes.is_empty(); header.nodes.len()];
        for name in &self.nodes {
            let ix = header.nodes.iter().position(|n| n == name).ok_or_else(|| {
                let known: Vec<String> = header.nodes.iter().map(|n| format!("{n:?}")).collect();
                format!("unknown node {name:?}: the trace's nodes are {}", known.join(", "))
            })?;
            shown[ix] = true;
        }
        let mut kinds = [self.kinds.is_empty(); KINDS.len()];
        for kind in &self.kinds {
            let ix = KINDS
                .iter()
                .position(|k| k == kind)
                .ok_or_else(|| format!("unknown event kind {kind:?}: expected one of {}", KINDS.join(", ")))?;
            kinds[ix] = true;
        }
        let (from_ns, to_ns) = (self.from_ns.unwrap_or(0), self.to_ns.unwrap_or(u64::MAX));
        if from_ns > to_ns {
            return Err(format!("the time range is empty: from {from_ns} ns is after to {to_ns} ns"));
        }
        Ok(Resolved { shown, from_ns, to_ns, kinds, level: self.level.unwrap_or(Level::Trace) })
    }
}

impl Resolved {
    /// Whether node `ix` has a column.
    pub(crate) fn shows_node(&self, ix: NodeIx) -> bool {
        self.shown.get(ix as usize).copied().unwrap_or(false)
    }

    /// The indices of the nodes shown, in header order.
    pub(crate) fn columns(&self) -> Vec<NodeIx> {
        (0..self.shown.len() as NodeIx).filter(|&i| self.shown[i as usize]).collect()
    }

    /// Whether events of the kind named `kind` are shown.
    pub(crate) fn keeps_kind(&self, kind: &str) -> bool {
        KINDS.iter().position(|k| *k == kind).is_some_and(|i| self.kinds[i])
    }

    /// Whether a time is within the range shown.
    pub(crate) fn keeps_time(&self, time_ns: u64) -> bool {
        (self.from_ns..=self.to_ns).contains(&time_ns)
    }

    /// Whether `record` is shown.
    pub(crate) fn keeps(&self, record: &Record) -> bool {
        let kind = KINDS.iter().position(|k| *k == record.event.kind()).expect("every kind is listed");
        let level_ok = match record.event {
            Event::Log { level, .. } => level <= self.level,
            _ => true,
        };
        (record.node == NO_NODE || self.shows_node(record.node))
            && self.keeps_time(record.time_ns)
            && self.kinds[kind]
            && level_ok
    }
}

/// Parses a virtual time: a number with a unit `ns`, `us`, `ms` or `s` (e.g.
/// `1.5ms`, `2s`); a bare number is nanoseconds.
pub fn parse_time_ns(s: &str) -> Result<u64, String> {
    let expected = || format!("{s:?} is not a time: expected a number and a unit ns, us, ms or s, e.g. 1.5ms");
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale: u64 = match unit.trim() {
        "" | "ns" => 1,
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        _ => return Err(expected()),
    };
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && frac.is_empty() {
        return Err(expected());
    }
    let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| expected())? };
    let mut frac_ns = 0u64;
    let mut unit_part = scale;
    for d in frac.bytes() {
        if !d.is_ascii_digit() {
            return Err(expected());
        }
        unit_part /= 10;
        frac_ns += u64::from(d - b'0') * unit_part;
    }
    whole.checked_mul(scale).and_then(|w| w.checked_add(frac_ns)).ok_or_else(|| format!("{s:?} is too large a time"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_with_units() {
        assert_eq!(parse_time_ns("1500"), Ok(1500));
        assert_eq!(parse_time_ns("1.5ms"), Ok(1_500_000));
        assert_eq!(parse_time_ns("2s"), Ok(2_000_000_000));
        assert_eq!(parse_time_ns("250us"), Ok(250_000));
        assert!(parse_time_ns("ms").is_err());
        assert!(parse_time_ns("1.5 parsecs").is_err());
        assert!(parse_time_ns("99999999999999s").is_err());
    }
}

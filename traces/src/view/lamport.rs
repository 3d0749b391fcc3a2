//! The space-time (Lamport) model of a trace that the HTML view draws: message
//! arrows between node lifelines, shaded intervals (crashes, pauses, partitions,
//! calls), and point events (timers, logs, faults), built from a stream of
//! records and written as one compact JSON object.
//!
//! The JSON (`v` 1) the page's script reads, every list sorted by start time:
//!
//! - `nodes`: node names (a row each); a node index of -1 means every node.
//! - `texts`: strings that the other lists point to by index (-1: none).
//! - `arrows`: `[t_send, from, t_end, to, status, text]`; status 0 delivered,
//!   1 dropped (at `t_end`), 2 a duplicate's second delivery, 3 never arrived.
//! - `bands`: `[t0, t1, node, kind, text]`; kind 0 crashed, 1 paused, 2 partitioned (node -1).
//! - `calls`: `[t0, t1, node, to, outcome, text]`; outcome 0 ok, 1 timeout, 2 unfinished.
//! - `points`: `[t, node, kind, text]`; kind 0 start, 1 crash, 2 restart, 3 pause,
//!   4 resume, 5 timer, 6 to 10 a log line (error to trace), 11 a fault.
//! - `max_arrow`, `max_call`: the longest arrow and call, so the page can find
//!   what crosses its window by binary search.
//! - `t_start`, `t_end`: the first and last time shown (`t_start` null when
//!   nothing is).
//! - `marks`: the violated property and failing operations ([`crate::Marks`]),
//!   operations as `[t0, t1, node, text]`.

use super::filter::Resolved;
use crate::marks::Marks;
use crate::record::{CallOutcome, Event, NodeIx, Record, NO_NODE};
use crate::recording::Header;
use serde::Serialize;
use std::collections::HashMap;

/// A message in flight: sent at `t0` from `from` to `to`, with its text.
#[derive(Clone, Copy, Debug)]
struct Sent {
    t0: u64,
    from: i64,
    to: i64,
    text: i64,
    deliveries: u32,
    ended: bool,
}

/// The model being built, then serialised.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Lamport {
    v: u32,
    nodes: Vec<String>,
    texts: Vec<String>,
    arrows: Vec<[i64; 6]>,
    bands: Vec<[i64; 5]>,
    calls: Vec<[i64; 6]>,
    points: Vec<[i64; 4]>,
    max_arrow: i64,
    max_call: i64,
    t_start: Option<i64>,
    t_end: i64,
    marks: MarksOut,
    #[serde(skip)]
    sent: HashMap<u64, Sent>,
    #[serde(skip)]
    open_bands: HashMap<(i64, i64), (i64, i64)>,
    #[serde(skip)]
    open_calls: HashMap<u64, [i64; 6]>,
    /// Node index in the trace -> row, -1 when not shown.
    #[serde(skip)]
    rows: Vec<i64>,
    #[serde(skip)]
    arrows_on: bool,
    #[serde(skip)]
    calls_on: bool,
}

#[derive(Debug, Default, Serialize)]
struct MarksOut {
    property: Option<String>,
    message: Option<String>,
    ops: Vec<(i64, i64, i64, String)>,
}

/// Band kinds.
const CRASHED: i64 = 0;
const PAUSED: i64 = 1;
const PARTITIONED: i64 = 2;

impl Lamport {
    /// An empty model of the nodes `resolved` shows; arrows only when sends or
    /// deliveries are among the kinds shown, calls when calls or returns are.
    pub(crate) fn new(header: &Header, resolved: &Resolved) -> Lamport {
        let mut rows = vec![-1; header.nodes.len()];
        let mut nodes = Vec::new();
        for (row, ix) in resolved.columns().into_iter().enumerate() {
            rows[ix as usize] = row as i64;
            nodes.push(header.nodes[ix as usize].clone());
        }
        let arrows_on = resolved.keeps_kind("send") || resolved.keeps_kind("deliver");
        let calls_on = resolved.keeps_kind("call") || resolved.keeps_kind("return");
        Lamport { v: 1, nodes, rows, arrows_on, calls_on, ..Lamport::default() }
    }

    fn row(&self, ix: NodeIx) -> i64 {
        if ix == NO_NODE {
            return -1;
        }
        self.rows.get(ix as usize).copied().unwrap_or(-1)
    }

    fn text(&mut self, s: &str) -> i64 {
        self.texts.push(s.to_string());
        self.texts.len() as i64 - 1
    }

    fn open(&mut self, node: i64, kind: i64, t: i64, text: i64) {
        self.open_bands.entry((node, kind)).or_insert((t, text));
    }

    fn close(&mut self, node: i64, kind: i64, t: i64) {
        if let Some((t0, text)) = self.open_bands.remove(&(node, kind)) {
            self.bands.push([t0, t, node, kind, text]);
        }
    }

    /// Adds one record; `shown` says whether the filter keeps it as a point.
    pub(crate) fn add(&mut self, record: &Record, text: &str, shown: bool) {
        let t = record.time_ns.min(i64::MAX as u64) as i64;
        self.t_start = Some(self.t_start.map_or(t, |s| s.min(t)));
        self.t_end = self.t_end.max(t);
        let node = self.row(record.node);
        let hidden = record.node != NO_NODE && node < 0;
        match record.event {
            Event::Send { msg, to, .. } if self.arrows_on && !hidden => {
                let text = self.text(text);
                let sent = Sent { t0: t as u64, from: node, to: self.row(to), text, deliveries: 0, ended: false };
                self.sent.insert(msg, sent);
            }
            Event::Deliver { msg, .. } | Event::Drop { msg, .. } => self.arrive(msg, t, &record.event),
            Event::Crash => self.open(node, CRASHED, t, -1),
            Event::Restart | Event::Start => self.close(node, CRASHED, t),
            Event::Pause => self.open(node, PAUSED, t, -1),
            Event::Resume => self.close(node, PAUSED, t),
            Event::Call { call, to, .. } if self.calls_on && !hidden => {
                let text = self.text(text);
                self.open_calls.insert(call, [t, t, node, self.row(to), 2, text]);
            }
            Event::Return { call, outcome } => {
                if let Some(mut c) = self.open_calls.remove(&call) {
                    c[1] = t;
                    c[4] = if outcome == CallOutcome::Ok { 0 } else { 1 };
                    self.max_call = self.max_call.max(t - c[0]);
                    self.calls.push(c);
                }
            }
            _ => {}
        }
        if let Event::Fault { .. } = record.event {
            if text.starts_with("partition") {
                let label = self.text(text);
                self.close(-1, PARTITIONED, t);
                self.open(-1, PARTITIONED, t, label);
            } else if text.starts_with("heal") {
                self.close(-1, PARTITIONED, t);
            }
        }
        if shown && !hidden {
            if let Some(kind) = point_kind(&record.event) {
                let text = if text.is_empty() { -1 } else { self.text(text) };
                self.points.push([t, node, kind, text]);
            }
        }
    }

    /// A delivery or drop of message `msg` at `t`.
    fn arrive(&mut self, msg: u64, t: i64, event: &Event) {
        let Some(sent) = self.sent.get_mut(&msg) else { return };
        let status = match event {
            Event::Drop { .. } => 1,
            _ if sent.deliveries > 0 => 2,
            _ => 0,
        };
        if matches!(event, Event::Deliver { .. }) {
            sent.deliveries += 1;
        }
        sent.ended = true;
        let t0 = sent.t0 as i64;
        self.max_arrow = self.max_arrow.max(t - t0);
        self.arrows.push([t0, sent.from, t, sent.to, status, sent.text]);
    }

    /// Closes what is still open at the end of the trace and adds the marks.
    pub(crate) fn finish(&mut self, marks: &Marks) {
        let end = self.t_end;
        for s in std::mem::take(&mut self.sent).into_values() {
            if !s.ended {
                self.arrows.push([s.t0 as i64, s.from, s.t0 as i64, s.to, 3, s.text]);
            }
        }
        for ((node, kind), (t0, text)) in std::mem::take(&mut self.open_bands) {
            self.bands.push([t0, end, node, kind, text]);
        }
        for mut c in std::mem::take(&mut self.open_calls).into_values() {
            c[1] = end;
            self.max_call = self.max_call.max(end - c[0]);
            self.calls.push(c);
        }
        self.arrows.sort_unstable();
        self.bands.sort_unstable();
        self.calls.sort_unstable();
        let node_row = |name: &str| self.nodes.iter().position(|n| n == name).map_or(-1, |r| r as i64);
        self.marks = MarksOut {
            property: marks.property.clone(),
            message: marks.message.clone(),
            ops: marks
                .ops
                .iter()
                .map(|op| {
                    let row = node_row(op.node.as_deref().unwrap_or(&op.process));
                    let t0 = op.start_ns.min(i64::MAX as u64) as i64;
                    let t1 = op.end_ns.map_or(end.max(t0), |e| e.min(i64::MAX as u64) as i64);
                    (t0, t1, row, format!("{}: {}", op.process, op.text))
                })
                .collect(),
        };
    }
}

/// The point kind of an event drawn as a point on its lifeline.
fn point_kind(event: &Event) -> Option<i64> {
    Some(match event {
        Event::Start => 0,
        Event::Crash => 1,
        Event::Restart => 2,
        Event::Pause => 3,
        Event::Resume => 4,
        Event::Timer { .. } => 5,
        Event::Log { level, .. } => 6 + *level as i64,
        Event::Fault { .. } => 11,
        _ => return None,
    })
}

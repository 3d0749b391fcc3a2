//! The text view: a space-time diagram for a terminal, one column per node and
//! time running down, one row per event, written as the trace is read.
//!
//! Layout (stable, for snapshot tests):
//!
//! ```text
//! # microsim trace: pingpong [rpc], seed 0x0000000000000001, rng chacha8, 3 nodes
//! # glyphs: S start X crash R restart P pause U resume + spawn . exit o send @ deliver # drop 2 duplicate
//! #         t timer E/W/I/D/T log ! fault C call = return; lifelines: | up : paused (blank) down
//!        time ms  client0     server
//!       1.000000  o---------->           send #1 -> server:pp "Ping(3)"
//!       2.000000  |           @          deliver #1 <- client0
//! ```
//!
//! The first column is the virtual time in milliseconds (six decimals: exact
//! nanoseconds). Each node's column holds the event's glyph when the event is
//! the node's, and otherwise the node's lifeline; a send to a shown node is an
//! arrow from the sender's column to the receiver's. The last column says what
//! happened, with every string of the trace escaped ([`super::escape_terminal`]).

use super::escape::escape_terminal;
use super::filter::{Filter, Resolved};
use super::ViewError;
use crate::reader::TraceReader;
use crate::record::{Event, NodeIx, Record};
use crate::recording::{Header, RecordMode};
use std::io::{BufRead, Write};

/// The narrowest and widest node column, in characters.
const COLUMN_MIN: usize = 8;
const COLUMN_MAX: usize = 16;

/// A node's lifeline state.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Life {
    Down,
    Up,
    Paused,
}

/// Writes the text view of the trace `reader` reads, as `filter` says.
pub fn write_text<R: BufRead>(
    reader: &mut TraceReader<R>,
    filter: &Filter,
    out: &mut impl Write,
) -> Result<(), ViewError> {
    let resolved = filter.resolve(reader.header()).map_err(ViewError::Filter)?;
    let header = reader.header().clone();
    let columns = resolved.columns();
    let width = column_width(&header, &columns);
    write_heading(&header, &columns, width, out)?;
    if reader.mode() != RecordMode::Full {
        writeln!(out, "# (this trace kept no records: it was recorded in {:?} mode)", reader.mode())?;
    }
    let life = vec![Life::Down; header.nodes.len()];
    let mut diagram = Diagram { header, resolved, columns, width, life, row: String::new() };
    while let Some(read) = reader.next_record()? {
        if let Some(row) = diagram.row(&read.record, read.text) {
            writeln!(out, "{}", row.trim_end())?;
        }
    }
    Ok(())
}

/// The text diagram's layout and the lifelines' states, row by row.
struct Diagram {
    header: Header,
    resolved: Resolved,
    /// The nodes shown, a column each.
    columns: Vec<NodeIx>,
    /// Characters per column.
    width: usize,
    /// Each node's lifeline, by node index.
    life: Vec<Life>,
    row: String,
}

impl Diagram {
    /// The row of `record`, `None` when the filter hides it.
    fn row(&mut self, record: &Record, text: &str) -> Option<&str> {
        if let Some(state) = self.life.get_mut(record.node as usize) {
            *state = next_life(*state, &record.event);
        }
        if !self.resolved.keeps(record) {
            return None;
        }
        self.row.clear();
        self.row.push_str(&format!("{:>15}  ", time_ms(record.time_ns)));
        let at = self.columns.iter().position(|&c| c == record.node);
        let target = match record.event {
            Event::Send { to, .. } if self.resolved.shows_node(to) => self.columns.iter().position(|&c| c == to),
            _ => None,
        };
        for i in 0..self.columns.len() {
            let cell = self.cell(i, at, target, &record.event);
            self.row.extend(cell);
        }
        self.row.push_str(&describe(&self.header, record, text));
        Some(&self.row)
    }

    /// Column `i`'s cell: the event's glyph at its node (`at`), an arrow's part
    /// on the way to `target`, or the node's lifeline.
    fn cell(&self, i: usize, at: Option<usize>, target: Option<usize>, event: &Event) -> Vec<char> {
        let lifeline = match self.life[self.columns[i] as usize] {
            Life::Up => '|',
            Life::Paused => ':',
            Life::Down => ' ',
        };
        let mut cell: Vec<char> = std::iter::once(lifeline).chain(std::iter::repeat_n(' ', self.width - 1)).collect();
        if Some(i) == at {
            cell[0] = glyph(event);
        }
        if let (Some(from), Some(to)) = (at, target) {
            let (lo, hi) = (from.min(to), from.max(to));
            if i == lo && lo != hi {
                cell.iter_mut().skip(1).for_each(|ch| *ch = '-');
            } else if lo < i && i < hi {
                cell.fill('-');
            }
            if i == to && to != from {
                cell[0] = if to > from { '>' } else { '<' };
            }
        }
        cell
    }
}

fn column_width(header: &Header, columns: &[NodeIx]) -> usize {
    let longest = columns.iter().map(|&c| escape_terminal(header.node_name(c)).chars().count()).max().unwrap_or(0);
    (longest + 2).clamp(COLUMN_MIN, COLUMN_MAX)
}

fn write_heading(header: &Header, columns: &[NodeIx], width: usize, out: &mut impl Write) -> std::io::Result<()> {
    let mut about = String::new();
    if let Some(s) = &header.scenario {
        about.push_str(&escape_terminal(s));
        if let Some(v) = &header.variant {
            about.push_str(&format!(" [{}]", escape_terminal(v)));
        }
        about.push_str(", ");
    }
    let steps = header.plan.as_ref().and_then(|p| p.get("steps")).and_then(|s| s.as_array()).map(Vec::len);
    let plan = steps.map(|n| format!(", plan of {n} step{}", if n == 1 { "" } else { "s" })).unwrap_or_default();
    let profile = header.profile.as_ref().map(|p| format!(" ({})", escape_terminal(p))).unwrap_or_default();
    writeln!(
        out,
        "# microsim trace: {about}seed 0x{:016x}, rng {}, {} nodes{plan}{profile}",
        header.seed,
        escape_terminal(&header.rng),
        header.nodes.len()
    )?;
    writeln!(out, "# glyphs: S start X crash R restart P pause U resume + spawn . exit o send @ deliver # drop")?;
    writeln!(out, "#         2 duplicate t timer E/W/I/D/T log ! fault C call = return")?;
    writeln!(out, "#         lifelines: | up, : paused, blank: down or not started")?;
    let mut line = format!("{:>15}  ", "time ms");
    for &c in columns {
        line.push_str(&cell_text(&escape_terminal(header.node_name(c)), width));
    }
    writeln!(out, "{}", line.trim_end())
}

/// `s` cut or padded to `width` characters (a cut name ends in `~`).
fn cell_text(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n < width {
        format!("{s}{}", " ".repeat(width - n))
    } else {
        let cut: String = s.chars().take(width - 2).collect();
        format!("{cut}~ ")
    }
}

fn next_life(state: Life, event: &Event) -> Life {
    match event {
        Event::Start | Event::Restart | Event::Resume => Life::Up,
        Event::Crash => Life::Down,
        Event::Pause => Life::Paused,
        _ => state,
    }
}

/// The virtual time `ns` in milliseconds with six decimals.
pub(crate) fn time_ms(ns: u64) -> String {
    format!("{}.{:06}", ns / 1_000_000, ns % 1_000_000)
}

/// The glyph of an event in its node's column.
fn glyph(event: &Event) -> char {
    match event {
        Event::Start => 'S',
        Event::Crash => 'X',
        Event::Restart => 'R',
        Event::Pause => 'P',
        Event::Resume => 'U',
        Event::Spawn { .. } => '+',
        Event::Exit { .. } => '.',
        Event::Send { .. } => 'o',
        Event::Deliver { .. } => '@',
        Event::Drop { .. } => '#',
        Event::Duplicate { .. } => '2',
        Event::Timer { .. } => 't',
        Event::Log { level, .. } => level.name().chars().next().map_or('L', |c| c.to_ascii_uppercase()),
        Event::Fault { .. } => '!',
        Event::Call { .. } => 'C',
        Event::Return { .. } => '=',
    }
}

/// What a record says, in words.
pub(crate) fn describe(header: &Header, record: &Record, text: &str) -> String {
    let name = |ix: NodeIx| escape_terminal(header.node_name(ix)).into_owned();
    let quoted = || format!("\"{}\"", escape_terminal(text));
    match record.event {
        Event::Start => "start".into(),
        Event::Crash => "CRASH".into(),
        Event::Restart => "restart".into(),
        Event::Pause => "PAUSE".into(),
        Event::Resume => "resume".into(),
        Event::Spawn { task } => format!("spawn task {task}"),
        Event::Exit { task } => format!("exit task {task}"),
        Event::Send { msg, to, port, .. } => {
            format!("send #{msg} -> {}:{} {}", name(to), escape_terminal(&header.port_name(port)), quoted())
        }
        Event::Deliver { msg, from } => format!("deliver #{msg} <- {}", name(from)),
        Event::Drop { msg, reason } => format!("DROP #{msg} ({reason})"),
        Event::Duplicate { msg } => format!("duplicate #{msg}"),
        Event::Timer { timer } => format!("timer {timer}"),
        Event::Log { level, .. } => format!("{} {}", level.name().to_ascii_uppercase(), quoted()),
        Event::Fault { .. } => format!("FAULT {}", quoted()),
        Event::Call { call, parent, to, .. } => {
            let parent = if parent == 0 { String::new() } else { format!(" (in call {parent})") };
            format!("call {call} -> {} {}{parent}", name(to), quoted())
        }
        Event::Return { call, outcome } => format!("return {call} {}", outcome.name()),
    }
}

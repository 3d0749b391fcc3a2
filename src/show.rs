//! `microsim show` and `microsim diff`: reading a trace file as a person would.
//!
//! Exit codes: 0 ok; 1 (diff) the traces differ; 2 bad usage or input (an
//! unreadable file, a malformed line: one line naming file and line); 3 an
//! internal failure (the view could not be written).

use clap::Args;
use microsim_traces::view::{self, Filter, ViewError};
use microsim_traces::{Level, Marks, TraceError, TraceReader};
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// How many events before a divergence `diff` shows.
const DIFF_CONTEXT: usize = 5;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The trace file (JSON lines, as written by --trace).
    trace: PathBuf,
    /// Show the text space-time diagram (the default).
    #[arg(long, group = "view")]
    text: bool,
    /// Write the HTML Lamport diagram to OUT (one self-contained file).
    #[arg(long, value_name = "OUT", group = "view")]
    html: Option<PathBuf>,
    /// Show the call tree of each request (RPC calls, retries, timeouts).
    #[arg(long, group = "view")]
    calls: bool,
    /// Show only this node (repeatable).
    #[arg(long = "node", value_name = "N")]
    nodes: Vec<String>,
    /// Show only events at or after this virtual time (e.g. 1.5ms, 2s; a bare number is ns).
    #[arg(long, value_name = "T", value_parser = view::parse_time_ns)]
    from: Option<u64>,
    /// Show only events at or before this virtual time.
    #[arg(long, value_name = "T", value_parser = view::parse_time_ns)]
    to: Option<u64>,
    /// Show only this event kind (repeatable): send, deliver, drop, log, fault, call, ...
    #[arg(long = "kind", value_name = "K")]
    kinds: Vec<String>,
    /// Show only log lines of this level or more severe: error, warn, info, debug, trace.
    #[arg(long, value_name = "L", value_parser = parse_level)]
    level: Option<Level>,
    /// Highlight a checker's findings (JSON: property, message, ops) in the HTML view.
    #[arg(long, value_name = "FILE", requires = "html")]
    marks: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The first trace.
    a: PathBuf,
    /// The second trace.
    b: PathBuf,
}

fn parse_level(s: &str) -> Result<Level, String> {
    Level::from_name(s).ok_or_else(|| format!("{s:?} is not a log level: expected error, warn, info, debug or trace"))
}

/// Bad input: one line on stderr, exit code 2.
fn bad_input(message: String) -> ExitCode {
    eprintln!("microsim: {message}");
    ExitCode::from(2)
}

/// A trace error as `FILE:LINE: message`.
fn trace_error(path: &Path, error: &TraceError) -> String {
    match error {
        TraceError::Malformed { line, message } => format!("{}:{line}: {message}", path.display()),
        other => format!("{}: {other}", path.display()),
    }
}

fn open(path: &Path) -> Result<TraceReader<BufReader<File>>, String> {
    let file = File::open(path).map_err(|e| format!("{}: cannot read the trace: {e}", path.display()))?;
    TraceReader::new(BufReader::new(file)).map_err(|e| trace_error(path, &e))
}

pub fn show(args: ShowArgs) -> ExitCode {
    let mut reader = match open(&args.trace) {
        Ok(r) => r,
        Err(e) => return bad_input(e),
    };
    let marks = match args.marks.as_deref().map(read_marks).transpose() {
        Ok(m) => m.unwrap_or_default(),
        Err(e) => return bad_input(e),
    };
    let filter = Filter { nodes: args.nodes, from_ns: args.from, to_ns: args.to, kinds: args.kinds, level: args.level };
    let result = match &args.html {
        Some(out) => {
            let file = match File::create(out) {
                Ok(f) => f,
                Err(e) => return bad_input(format!("{}: cannot create the HTML file: {e}", out.display())),
            };
            let mut w = BufWriter::new(file);
            let r = view::html::write_html(&mut reader, &filter, &marks, &mut w);
            r.and_then(|()| w.flush().map_err(ViewError::Io))
        }
        None => {
            let mut w = BufWriter::new(std::io::stdout().lock());
            let r = if args.calls {
                view::calls::write_calls(&mut reader, &filter, &mut w)
            } else {
                view::text::write_text(&mut reader, &filter, &mut w)
            };
            r.and_then(|()| w.flush().map_err(ViewError::Io))
        }
    };
    match result {
        Ok(()) => {
            if let Some(out) = &args.html {
                println!("wrote {}", out.display());
            }
            ExitCode::SUCCESS
        }
        Err(ViewError::Trace(e)) => bad_input(trace_error(&args.trace, &e)),
        Err(ViewError::Filter(e)) => bad_input(format!("{}: {e}", args.trace.display())),
        // A reader that stopped early (`| head`) is not a failure.
        Err(ViewError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(ViewError::Io(e)) => {
            eprintln!("microsim: writing the view: {e}");
            ExitCode::from(3)
        }
    }
}

fn read_marks(path: &Path) -> Result<Marks, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read the marks: {e}", path.display()))?;
    Marks::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn diff(args: DiffArgs) -> ExitCode {
    let (mut a, mut b) = match (open(&args.a), open(&args.b)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return bad_input(e),
    };
    let notes = microsim_traces::header_differences(a.header(), b.header());
    match microsim_traces::diff_readers(&mut a, &mut b, DIFF_CONTEXT) {
        Ok(None) => {
            println!("the traces have the same events");
            ExitCode::SUCCESS
        }
        Ok(Some(d)) => {
            println!("A: {}\nB: {}", args.a.display(), args.b.display());
            for note in notes {
                println!("the runs differ in {note}");
            }
            println!("{d}");
            ExitCode::from(1)
        }
        Err(e) => bad_input(trace_error(if e.side == 'A' { &args.a } else { &args.b }, &e.error)),
    }
}

//! `microsim bench views`: the size and render time of the trace views for
//! traces of about 1,000, 10,000 and 100,000 events (pingpong, rpc variant,
//! under a partition), and, when headless Chromium is installed, how long the
//! browser takes to load and draw the HTML view.

use microsim::plan::FaultPlan;
use microsim::scenario::{RunSpec, Scenario};
use microsim::{RecordMode, Seed, Sim};
use microsim_services::pingpong::PingPongScenario;
use microsim_traces::view::{self, Filter};
use microsim_traces::{write_jsonl, Marks, TraceReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

/// The trace sizes measured, in events.
const SIZES: [u64; 3] = [1_000, 10_000, 100_000];

/// Trace events per round trip of both clients (call, send, deliver, send, deliver, return).
const EVENTS_PER_ROUND: u64 = 12;

const PLAN: &str = r#"{"steps": [
    {"at": "3ms", "fault": "partition", "groups": [["client0"], ["server", "client1"]]},
    {"at": "60ms", "fault": "heal_network"}
]}"#;

/// A trace of about `events` events, as JSON lines.
fn trace_of(events: u64) -> Vec<u8> {
    let rounds = (events / EVENTS_PER_ROUND).max(1) as u32;
    let spec = RunSpec {
        variant: "rpc".into(),
        plan: FaultPlan::from_json(PLAN).expect("the bench plan parses"),
        record: RecordMode::Full,
        workload: Some(rounds),
        ..RunSpec::new(Seed(1))
    };
    // Built here rather than by `scenario::run`: the scenario's 20 s horizon is
    // too short for the largest trace.
    let scenario = PingPongScenario { rounds };
    let mut sim = Sim::builder().seed(1).record(RecordMode::Full).build();
    scenario.setup(&mut sim, &spec).expect("the bench scenario sets up");
    sim.plan(&spec.plan).expect("the bench plan fits");
    let mut trace = sim.run().into_trace();
    trace.header.scenario = Some(scenario.name().to_string());
    trace.header.variant = Some(spec.variant.clone());
    let mut out = Vec::new();
    write_jsonl(&trace, &mut out).expect("the trace is written");
    out
}

/// Milliseconds since `start`.
fn ms_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

/// Seconds headless Chromium takes to start, load `page` and run its script, and
/// the milliseconds its first drawing took (the page's `data-render-ms`), if
/// Chromium is installed.
fn chromium_load(page: &Path) -> Option<(f64, String)> {
    let start = Instant::now();
    let profile = page.with_extension("profile");
    let out = Command::new("chromium")
        .args(["--headless", "--disable-gpu", "--no-sandbox", "--dump-dom", "--virtual-time-budget=1000"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", page.canonicalize().ok()?.display()))
        .output()
        .ok()?;
    let took = start.elapsed().as_secs_f64();
    let dom = String::from_utf8_lossy(&out.stdout);
    let draw_ms = dom.split("data-render-ms=\"").nth(1)?.split('"').next()?.to_string();
    (out.status.success() && !dom.contains("data-error=")).then_some((took, draw_ms))
}

pub fn views() -> ExitCode {
    let dir = PathBuf::from("target/microsim/bench");
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("microsim bench views: cannot create {}: {e}", dir.display());
        return ExitCode::from(3);
    }
    println!("| events | JSONL KiB | text view ms | HTML ms | HTML KiB | Chromium load s | first draw ms |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for target in SIZES {
        let jsonl = trace_of(target);
        let events = jsonl.iter().filter(|&&b| b == b'\n').count() - 1;
        let start = Instant::now();
        let mut reader = TraceReader::new(&jsonl[..]).expect("the trace reads");
        let mut text = Vec::new();
        view::text::write_text(&mut reader, &Filter::default(), &mut text).expect("the text view");
        let text_ms = ms_since(start);
        let start = Instant::now();
        let mut reader = TraceReader::new(&jsonl[..]).expect("the trace reads");
        let mut html = Vec::new();
        view::html::write_html(&mut reader, &Filter::default(), &Marks::default(), &mut html).expect("the HTML view");
        let html_ms = ms_since(start);
        let page = dir.join(format!("views-{target}.html"));
        let load = std::fs::write(&page, &html).ok().and_then(|()| chromium_load(&page));
        let load = load.map_or("(no chromium) | -".to_string(), |(s, draw)| format!("{s:.2} | {draw}"));
        println!(
            "| {events} | {:.0} | {text_ms:.1} | {html_ms:.1} | {:.0} | {load} |",
            jsonl.len() as f64 / 1024.0,
            html.len() as f64 / 1024.0
        );
    }
    ExitCode::SUCCESS
}

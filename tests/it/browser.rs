//! The HTML view in headless Chromium (Debian's `chromium` package; `.ci/run`
//! installs it): the page loads and draws with no console error and no script
//! error, zooming and panning included, and hostile strings in a trace stay text.

use super::{microsim, scratch};
use microsim_traces::{write_jsonl, Event, Header, Level, MarkedOp, Marks, Port, RecordMode, Recording};
use std::path::Path;
use std::process::Command;

/// What Chromium did with a page: the DOM after the scripts ran, and its log.
struct Loaded {
    dom: String,
    log: String,
}

/// The Chromium binary, or a failure saying how to install it.
fn chromium() -> &'static str {
    let found = Command::new("chromium").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(
        found,
        "headless Chromium is needed for the HTML view tests: install it with `apt-get install -y chromium` \
         (.ci/run installs it when `command -v chromium` fails)"
    );
    "chromium"
}

/// Opens `page` (with `#selftest`: the page zooms and pans itself) in headless
/// Chromium; with `screenshot`, saves a picture of it there.
fn load(page: &Path, screenshot: Option<&Path>) -> Loaded {
    let url = format!("file://{}#selftest", page.display());
    let mut cmd = Command::new(chromium());
    cmd.args(["--headless", "--disable-gpu", "--no-sandbox", "--enable-logging=stderr", "--v=0"])
        .args(["--window-size=1400,800", "--virtual-time-budget=5000"])
        .arg(format!("--user-data-dir={}", page.with_extension("profile").display()));
    match screenshot {
        Some(png) => cmd.arg(format!("--screenshot={}", png.display())),
        None => cmd.arg("--dump-dom"),
    };
    let out = cmd.arg(url).output().expect("chromium runs");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    Loaded {
        dom: String::from_utf8_lossy(&out.stdout).into_owned(),
        log: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Checks that the page drew itself with no error: no console message, no
/// script error marker, no alert, and the self-test done.
fn check(loaded: &Loaded) {
    let console: Vec<&str> = loaded.log.lines().filter(|l| l.contains("CONSOLE")).collect();
    assert!(console.is_empty(), "console messages:\n{}", console.join("\n"));
    let dom = &loaded.dom;
    assert!(!dom.contains("data-error="), "a script error: {}", &dom[..dom.len().min(400)]);
    assert!(!dom.contains("data-alert="), "a script from the trace ran");
    assert!(dom.contains("data-selftest=\"ok\""), "the page did not finish its self-test");
    assert!(dom.contains("data-rendered=\""), "the page drew nothing");
}

/// Writes `trace` to `dir/name.jsonl` and its HTML view (with `marks`) to `dir/name.html`.
fn html(dir: &Path, name: &str, trace: &microsim_traces::Trace, marks: &Marks) -> std::path::PathBuf {
    let jsonl = dir.join(format!("{name}.jsonl"));
    let mut out = Vec::new();
    write_jsonl(trace, &mut out).expect("the trace is written");
    std::fs::write(&jsonl, out).expect("the trace file is written");
    let marks_file = dir.join(format!("{name}-marks.json"));
    std::fs::write(&marks_file, serde_json::to_string(marks).expect("marks serialise")).expect("marks written");
    let page = dir.join(format!("{name}.html"));
    let args =
        ["show", jsonl.to_str().unwrap(), "--html", page.to_str().unwrap(), "--marks", marks_file.to_str().unwrap()];
    let out = microsim(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    page
}

/// Strings that would run a script if they reached the page as markup.
const HOSTILE: [&str; 3] =
    ["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "</script><svg onload=alert(1)>\u{2028}"];

/// A trace whose node names, messages, log lines and faults are hostile.
fn hostile_trace() -> microsim_traces::Trace {
    let mut rec = Recording::new(RecordMode::Full);
    rec.push(0, 0, Event::Start);
    rec.push(0, 1, Event::Start);
    let port = Port::named(0);
    rec.push_text(1_000, 0, |s| s.push_str(HOSTILE[2]), |text| Event::Send { msg: 1, to: 1, port, text });
    rec.push(2_000, 1, Event::Deliver { msg: 1, from: 0 });
    rec.push_text(3_000, 1, |s| s.push_str(HOSTILE[1]), |text| Event::Log { level: Level::Error, text });
    rec.push_text(4_000, 0, |s| s.push_str(HOSTILE[0]), |text| Event::Fault { text });
    rec.push(4_000, 0, Event::Crash);
    let nodes = vec![HOSTILE[0].to_string(), HOSTILE[1].to_string()];
    let header = Header { seed: 1, rng: "chacha8".into(), nodes, ports: vec![HOSTILE[2].into()], ..Header::default() };
    rec.finish(Header { scenario: Some(HOSTILE[1].into()), ..header })
}

#[test]
fn the_html_view_of_a_golden_trace_loads_without_errors_and_is_screenshotted() {
    let dir = scratch("browser-golden");
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("traces/golden/pingpong-rpc-seed1.jsonl");
    let trace = microsim_traces::read_jsonl(std::io::BufReader::new(std::fs::File::open(golden).unwrap())).unwrap();
    let marks = Marks {
        property: Some("linearizable".into()),
        message: Some("client0 read a value never written".into()),
        ops: vec![MarkedOp {
            process: "client0".into(),
            node: None,
            start_ns: 5_000_000,
            end_ns: Some(20_000_000),
            text: "read -> 7".into(),
        }],
    };
    let page = html(&dir, "golden", &trace, &marks);
    let loaded = load(&page, None);
    check(&loaded);
    assert!(loaded.dom.contains("Violated: linearizable"), "the violated property is shown");
    let png = dir.join("golden.png");
    load(&page, Some(&png));
    assert!(std::fs::metadata(&png).is_ok_and(|m| m.len() > 1000), "a screenshot at {}", png.display());
}

#[test]
fn hostile_strings_in_a_trace_stay_text_in_the_browser() {
    let dir = scratch("browser-hostile");
    let marks = Marks {
        property: Some(HOSTILE[0].into()),
        message: Some(HOSTILE[1].into()),
        ops: vec![MarkedOp {
            process: HOSTILE[1].into(),
            node: None,
            start_ns: 0,
            end_ns: None,
            text: HOSTILE[2].into(),
        }],
    };
    let page = html(&dir, "hostile", &hostile_trace(), &marks);
    let source = std::fs::read_to_string(&page).expect("the page is written");
    for markup in ["<script>alert", "<img", "<svg onload"] {
        assert!(!source.contains(markup), "{markup:?} reached the page as markup");
    }
    let loaded = load(&page, None);
    check(&loaded);
    assert!(!loaded.dom.contains("<img"), "an element was injected");
    assert!(loaded.dom.contains("&lt;img src=x onerror=alert(1)&gt;"), "the hostile name is shown as text");
}

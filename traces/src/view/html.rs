//! The HTML view: one self-contained page with an SVG space-time (Lamport)
//! diagram of a trace, zoomable and pannable, with a checker's findings
//! ([`Marks`]) highlighted.
//!
//! The page needs nothing from the network: its style and script are inline
//! (`html/viewer.css`, `html/viewer.js`) and a Content-Security-Policy forbids
//! every fetch. The trace is embedded as compact JSON (see `lamport.rs`) and the
//! script draws only what is in the visible window, so a trace of 100,000
//! events stays usable. A trace is untrusted: every string in the page's markup
//! is escaped ([`super::escape_html`]), the JSON is escaped so it cannot close
//! its script element, and the script puts strings into the page only as text.

use super::escape::escape_html;
use super::filter::Filter;
use super::lamport::Lamport;
use super::ViewError;
use crate::marks::Marks;
use crate::reader::TraceReader;
use crate::recording::Header;
use std::io::{BufRead, Write};

const STYLE: &str = include_str!("html/viewer.css");
const SCRIPT: &str = include_str!("html/viewer.js");

/// Writes the HTML view of the trace `reader` reads, as `filter` says, with `marks` highlighted.
pub fn write_html<R: BufRead>(
    reader: &mut TraceReader<R>,
    filter: &Filter,
    marks: &Marks,
    out: &mut impl Write,
) -> Result<(), ViewError> {
    let resolved = filter.resolve(reader.header()).map_err(ViewError::Filter)?;
    let header = reader.header().clone();
    let mut model = Lamport::new(&header, &resolved);
    while let Some(read) = reader.next_record()? {
        if resolved.keeps_time(read.record.time_ns) {
            model.add(&read.record, read.text, resolved.keeps(&read.record));
        }
    }
    model.finish(marks);
    let data = serde_json::to_string(&model).map_err(|e| ViewError::Io(e.into()))?;
    write_page(&header, &script_safe(&data), out)?;
    Ok(())
}

/// JSON made safe inside a `<script>` element: `<`, `>`, `&` and the JavaScript
/// line separators only occur inside JSON strings, where `\uXXXX` means the same.
fn script_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 64);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The page's title: scenario, variant and seed.
fn title(header: &Header) -> String {
    let mut t = String::from("microsim trace");
    if let Some(s) = &header.scenario {
        t.push_str(&format!(": {s}"));
        if let Some(v) = &header.variant {
            t.push_str(&format!(" [{v}]"));
        }
    }
    t.push_str(&format!(", seed 0x{:016x}", header.seed));
    t
}

fn write_page(header: &Header, data: &str, out: &mut impl Write) -> std::io::Result<()> {
    let title = escape_html(&title(header)).into_owned();
    write!(
        out,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{STYLE}</style>
</head>
<body>
<header><h1>{title}</h1><div id="marks" hidden></div></header>
<nav id="toolbar">
<button id="fit" title="Show the whole run (0)">fit</button>
<button id="zoom-in" title="Zoom in (+)">+</button>
<button id="zoom-out" title="Zoom out (-)">&minus;</button>
<span id="status"></span>
<span class="legend"><i class="l-msg"></i>message <i class="l-drop"></i>dropped <i class="l-dup"></i>duplicate <i class="l-lost"></i>never arrived <i class="l-crash"></i>crashed <i class="l-pause"></i>paused <i class="l-part"></i>partitioned <i class="l-call"></i>call <i class="l-mark"></i>marked op</span>
</nav>
<main id="view"><svg id="diagram" xmlns="http://www.w3.org/2000/svg"></svg><div id="tip" hidden></div></main>
<script type="application/json" id="trace-data">{data}</script>
<script>
{SCRIPT}</script>
</body>
</html>
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_json_cannot_close_its_script_element() {
        let safe = script_safe(r#"{"a":"</script><script>alert(1)</script>&"}"#);
        assert!(!safe.contains('<') && !safe.contains('>') && !safe.contains('&'), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back["a"], "</script><script>alert(1)</script>&");
    }
}

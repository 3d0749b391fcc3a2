//! The text and call-tree views of the fixture, as insta snapshots, and their filters.

use super::fixture::fixture;
use super::*;
use microsim_traces::view::{self, Filter};
use microsim_traces::TraceReader;

/// Which view.
#[derive(Clone, Copy)]
enum View {
    Text,
    Calls,
}

/// The view of `trace` (written as JSON lines and streamed back) under `filter`.
fn check_view(trace: &Trace, filter: &Filter, which: View) -> String {
    let written = write(trace);
    let mut reader = TraceReader::new(written.as_bytes()).expect("the header reads");
    let mut out = Vec::new();
    match which {
        View::Text => view::text::write_text(&mut reader, filter, &mut out),
        View::Calls => view::calls::write_calls(&mut reader, filter, &mut out),
    }
    .expect("the view is written");
    let shown = String::from_utf8(out).expect("views are UTF-8");
    assert!(!shown.chars().any(|c| c.is_control() && c != '\n'), "raw control characters in:\n{shown}");
    shown
}

fn text(filter: &Filter) -> String {
    check_view(&fixture(), filter, View::Text)
}

fn calls(filter: &Filter) -> String {
    check_view(&fixture(), filter, View::Calls)
}

#[test]
fn text_view_of_the_whole_fixture() {
    insta::assert_snapshot!("text_all", text(&Filter::default()));
}

#[test]
fn text_view_of_one_node() {
    insta::assert_snapshot!("text_node_api", text(&Filter { nodes: vec!["api".into()], ..Filter::default() }));
}

#[test]
fn text_view_of_a_time_range_and_kinds() {
    let filter = Filter {
        from_ns: Some(5_000_000),
        to_ns: Some(60_000_000),
        kinds: vec!["send".into(), "deliver".into(), "drop".into(), "duplicate".into()],
        ..Filter::default()
    };
    insta::assert_snapshot!("text_range_kinds", text(&filter));
}

#[test]
fn text_view_of_warnings_and_worse() {
    let filter = Filter { kinds: vec!["log".into()], level: Some(Level::Warn), ..Filter::default() };
    let shown = text(&filter);
    assert!(shown.contains("WARN \"Put timed out, retrying\""), "{shown}");
    assert!(shown.contains("ERROR \"\\u{1b}[31mdisk <b>failed</b>\\u{7}\""), "{shown}");
    assert!(!shown.contains("INFO") && !shown.contains("DEBUG"), "{shown}");
}

#[test]
fn an_unknown_node_or_kind_in_a_filter_is_named() {
    for (filter, expected) in [
        (Filter { nodes: vec!["nope".into()], ..Filter::default() }, "unknown node \"nope\""),
        (Filter { kinds: vec!["sned".into()], ..Filter::default() }, "unknown event kind \"sned\""),
    ] {
        let written = write(&fixture());
        let mut reader = TraceReader::new(written.as_bytes()).expect("the header reads");
        let err = view::text::write_text(&mut reader, &filter, &mut Vec::new()).expect_err("the filter is bad");
        assert!(err.to_string().contains(expected), "{err}");
    }
}

#[test]
fn hostile_node_names_are_escaped_in_the_terminal() {
    let mut rec = Recording::new(RecordMode::Full);
    push_text(&mut rec, 0, 0, "\u{1b}]0;pwned\u{7}", |text| Event::Log { level: Level::Info, text });
    let trace = rec.finish(Header {
        nodes: vec!["\u{1b}[2J<script>alert(1)</script>".into(), "\"><img src=x onerror=alert(1)>".into()],
        ..header()
    });
    let shown = check_view(&trace, &Filter::default(), View::Text);
    assert!(shown.contains("\\u{1b}[2J<scri~"), "{shown}");
    assert!(shown.contains("INFO \"\\u{1b}]0;pwned\\u{7}\""), "{shown}");
}

#[test]
fn call_tree_of_the_fixture() {
    insta::assert_snapshot!("calls_all", calls(&Filter::default()));
}

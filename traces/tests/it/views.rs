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

/// The HTML view of the fixture with `marks`: the page and its embedded model.
fn html(filter: &Filter, marks: &microsim_traces::Marks) -> (String, serde_json::Value) {
    let written = write(&fixture());
    let mut reader = TraceReader::new(written.as_bytes()).expect("the header reads");
    let mut out = Vec::new();
    view::html::write_html(&mut reader, filter, marks, &mut out).expect("the page is written");
    let page = String::from_utf8(out).expect("the page is UTF-8");
    let start = page.find(r#"id="trace-data">"#).expect("the data element") + r#"id="trace-data">"#.len();
    let end = start + page[start..].find("</script>").expect("its end");
    let model = serde_json::from_str(&page[start..end]).expect("the data is JSON");
    (page, model)
}

#[test]
fn html_view_models_messages_intervals_and_calls() {
    let (page, model) = html(&Filter::default(), &Default::default());
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<title>microsim trace: shop [default], seed"));
    assert_eq!(model["nodes"], serde_json::json!(["client", "api", "db"]));
    let statuses: Vec<i64> = model["arrows"].as_array().unwrap().iter().map(|a| a[4].as_i64().unwrap()).collect();
    assert_eq!(statuses, [0, 0, 0, 0, 1, 0, 0, 2], "7 messages: one dropped, one delivered twice");
    let ms = 1_000_000;
    let bands: Vec<Vec<i64>> = model["bands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_array().unwrap()[..4].iter().map(|v| v.as_i64().unwrap()).collect())
        .collect();
    assert_eq!(
        bands,
        [[5 * ms, 56 * ms, -1, 2], [62 * ms, 70 * ms, 2, 0], [66 * ms, 75 * ms, 1, 1]],
        "partitioned, db crashed, api paused"
    );
    let outcomes: Vec<i64> = model["calls"].as_array().unwrap().iter().map(|c| c[4].as_i64().unwrap()).collect();
    assert_eq!(outcomes, [0, 0, 1, 0], "the first Put timed out");
    assert_eq!(model["texts"][model["bands"][0][4].as_u64().unwrap() as usize], "partition [client] | [api db]");
}

#[test]
fn html_view_filters_nodes_and_places_marks() {
    let marks = microsim_traces::Marks {
        property: Some("linearizable".into()),
        message: None,
        ops: vec![microsim_traces::MarkedOp {
            process: "client".into(),
            node: None,
            start_ns: 6_000_000,
            end_ns: None,
            text: "put 7 = 1".into(),
        }],
    };
    let filter = Filter { nodes: vec!["api".into(), "db".into()], ..Filter::default() };
    let (_, model) = html(&filter, &marks);
    assert_eq!(model["nodes"], serde_json::json!(["api", "db"]));
    assert_eq!(model["marks"]["property"], "linearizable");
    assert_eq!(model["marks"]["ops"], serde_json::json!([[6_000_000, 81_000_000, -1, "client: put 7 = 1"]]));
    assert!(model["arrows"].as_array().unwrap().iter().all(|a| a[1] != -1 || a[3] != -1));
}

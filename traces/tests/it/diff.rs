//! Where two traces first differ.

use super::fixture::fixture;
use super::*;
use microsim_traces::{diff_readers, diff_traces, TraceReader};

/// The fixture with record `index`'s time moved by one nanosecond.
fn altered(index: usize) -> Trace {
    let trace = fixture();
    let mut rec = Recording::new(RecordMode::Full);
    for (i, r) in trace.records().iter().enumerate() {
        let t = r.time_ns + u64::from(i == index);
        match r.event.text() {
            Some(text) => rec.push_text(t, r.node, |s| s.push_str(trace.text(text)), |x| r.event.with_text(x)),
            None => rec.push(t, r.node, r.event),
        }
    }
    rec.finish(trace.header.clone())
}

#[test]
fn equal_traces_have_no_divergence() {
    assert_eq!(diff_traces(&fixture(), &fixture(), 3), None);
}

#[test]
fn the_first_changed_record_is_named_with_the_records_before_it() {
    let d = diff_traces(&fixture(), &altered(11), 3).expect("they differ");
    assert_eq!(d.index, 11);
    assert_eq!(d.before.len(), 3);
    assert_eq!(d.a.as_deref(), Some(r#"{"t":3000000,"node":"db","ev":"log","level":"debug","text":"read key 7"}"#));
    assert_eq!(d.b.as_deref(), Some(r#"{"t":3000001,"node":"db","ev":"log","level":"debug","text":"read key 7"}"#));
}

#[test]
fn a_trace_that_ends_early_diverges_where_it_ends() {
    let full = fixture();
    let mut rec = Recording::new(RecordMode::Full);
    rec.push(0, 0, Event::Start);
    let short = rec.finish(full.header.clone());
    let d = diff_traces(&short, &full, 5).expect("they differ");
    assert_eq!((d.index, d.a.as_deref()), (1, None));
    assert!(d.to_string().contains("A (the trace had ended)"), "{d}");
}

#[test]
fn streamed_files_diverge_at_a_file_line() {
    let (a, b) = (write(&fixture()), write(&altered(4)));
    let mut ra = TraceReader::new(a.as_bytes()).expect("A reads");
    let mut rb = TraceReader::new(b.as_bytes()).expect("B reads");
    let d = diff_readers(&mut ra, &mut rb, 2).expect("both read").expect("they differ");
    assert_eq!((d.index, d.line_a, d.line_b), (4, Some(6), Some(6)));
    let shown = d.to_string();
    assert!(shown.starts_with("the traces differ at event 5:\n"), "{shown}");
    assert!(shown.contains("\nA (line 6) {\"t\":1000000,"), "{shown}");
}

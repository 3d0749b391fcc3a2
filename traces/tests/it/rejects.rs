//! What the reader rejects, and how it says so.

use super::*;

/// The sample written, with line `n` replaced by `with`; the error it gives.
fn malformed_at(n: usize, with: &str) -> (usize, String) {
    malformed(&replace_line(&write(&sample(RecordMode::Full)), n, with))
}

#[test]
fn empty_input_is_empty() {
    assert!(matches!(read(""), Err(TraceError::Empty)));
    assert!(matches!(read("\n  \r\n\n"), Err(TraceError::Empty)));
}

#[test]
fn bad_third_line_reports_line_3() {
    let (line, message) = malformed_at(3, r#"{"t":10,"node":"client0","ev":"spawn","task":"one"}"#);
    assert_eq!(line, 3);
    assert!(message.contains("\"task\"") && message.contains("unsigned integer"), "{message}");
}

#[test]
fn line_numbers_count_blank_lines() {
    let written = write(&sample(RecordMode::Full));
    let (first, rest) = written.split_once('\n').unwrap();
    let input = format!("{first}\n\n{}", replace_line(rest, 1, r#"{"t":0,"#));
    let (line, message) = malformed(&input);
    assert_eq!(line, 3);
    assert!(message.contains("invalid JSON at column 7"), "{message}");
}

#[test]
fn non_object_line_is_rejected() {
    for bad in ["not json", "[1,2,3]", "42"] {
        let (line, message) = malformed_at(2, bad);
        assert_eq!(line, 2, "{bad}");
        assert!(message.contains("expected a record"), "{bad}: {message}");
    }
}

#[test]
fn missing_field_is_named() {
    let (line, message) =
        malformed_at(4, r#"{"t":1,"node":"client0","ev":"send","to":"server","port":"pp","text":"x"}"#);
    assert_eq!(line, 4);
    assert!(message.contains("\"msg\": missing"), "{message}");
}

#[test]
fn unknown_event_kind_is_rejected() {
    let (line, message) = malformed_at(2, r#"{"t":0,"node":"client0","ev":"teleport"}"#);
    assert_eq!(line, 2);
    assert!(message.contains("\"ev\"") && message.contains("\"teleport\"") && message.contains("start,"), "{message}");
}

#[test]
fn unknown_names_are_rejected() {
    let cases = [
        (r#"{"t":0,"node":"mars","ev":"start"}"#, "\"node\": unknown node \"mars\""),
        (r#"{"t":0,"node":"client0","ev":"deliver","msg":1,"from":"mars"}"#, "\"from\": unknown node"),
        (
            r#"{"t":0,"node":"client0","ev":"send","msg":1,"to":"server","port":"web","text":""}"#,
            "\"port\": unknown port",
        ),
        (
            r##"{"t":0,"node":"client0","ev":"send","msg":1,"to":"server","port":"#x","text":""}"##,
            "\"port\": unknown port",
        ),
        (r#"{"t":0,"node":"client0","ev":"drop","msg":1,"reason":"misplaced"}"#, "\"reason\": unknown drop reason"),
        (r#"{"t":0,"node":"client0","ev":"log","level":"loud","text":""}"#, "\"level\": unknown log level"),
        (r#"{"t":-1,"node":"client0","ev":"start"}"#, "\"t\": expected an unsigned integer, found a negative"),
        (r#"{"t":0,"node":"client0","ev":"log","level":"info","text":7}"#, "\"text\": expected a string"),
    ];
    for (bad, expected) in cases {
        let (line, message) = malformed_at(5, bad);
        assert_eq!(line, 5, "{bad}");
        assert!(message.contains(expected), "{bad}: {message}");
    }
}

#[test]
fn wrong_format_is_rejected() {
    let (line, message) = malformed(r#"{"format":"other","version":1}"#);
    assert_eq!(line, 1);
    assert!(message.contains("not a microsim trace"), "{message}");
    let (line, _) = malformed(r#"{"t":0,"node":"client0","ev":"start"}"#);
    assert_eq!(line, 1);
}

#[test]
fn too_new_version_is_rejected() {
    let written = write(&sample(RecordMode::Full)).replacen(r#""version":2,"#, r#""version":3,"#, 1);
    let (line, message) = malformed(&written);
    assert_eq!(line, 1);
    assert!(message.contains("version 3") && message.contains("version 2"), "{message}");
}

#[test]
fn altered_trace_is_detected() {
    let trace = sample(RecordMode::Full);
    // A log text is covered by the hash (a send's rendering is not: see hash.rs).
    let altered = write(&trace).replacen("\"text\":\"info\"", "\"text\":\"infx\"", 1);
    assert_ne!(altered, write(&trace), "the sample has an info log line");
    let (line, message) = malformed(&altered);
    assert_eq!(line, 1);
    let declared = trace.hash().unwrap().to_string();
    assert!(message.contains("hash mismatch") && message.contains("altered"), "{message}");
    assert!(message.contains(&declared), "{message}");
    let (line, _) = malformed(&format!("\n\n{altered}"));
    assert_eq!(line, 3, "reported on the header's line");
}

#[test]
fn truncated_trace_is_detected() {
    let written = write(&sample(RecordMode::Full));
    let cut: String = written.lines().take(10).map(|l| format!("{l}\n")).collect();
    let (line, message) = malformed(&cut);
    assert_eq!(line, 1);
    assert!(message.contains(&format!("declares {SAMPLE_RECORDS} records")), "{message}");
    assert!(message.contains("ends after 9"), "{message}");
}

#[test]
fn extra_record_is_rejected() {
    let written = write(&sample(RecordMode::Full)) + "{\"t\":0,\"node\":\"-\",\"ev\":\"crash\"}\n";
    let (line, message) = malformed(&written);
    assert_eq!(line, SAMPLE_RECORDS + 2);
    assert!(message.contains(&format!("declares {SAMPLE_RECORDS} records")), "{message}");
}

#[test]
fn summary_trace_with_records_is_rejected() {
    let written = write(&sample(RecordMode::Summary)) + "{\"t\":0,\"node\":\"-\",\"ev\":\"crash\"}\n";
    assert_eq!(malformed(&written).0, 2);
}

#[test]
fn invalid_utf8_is_malformed() {
    let mut input = write(&sample(RecordMode::Full)).into_bytes();
    let second = input.iter().position(|&b| b == b'\n').unwrap() + 1;
    let at = second + input[second..].windows(7).position(|w| w == b"client0").unwrap();
    input[at] = 0xff;
    match read_jsonl(&input[..]) {
        Err(TraceError::Malformed { line, .. }) => assert_eq!(line, 2),
        other => panic!("expected a malformed line, got {other:?}"),
    }
}

#[test]
fn ambiguous_names_are_not_written() {
    for nodes in [vec!["a".to_string(), "a".to_string()], vec!["-".to_string()]] {
        let trace = Recording::new(RecordMode::Full).finish(Header { nodes, ..header() });
        let err = write_jsonl(&trace, &mut Vec::new()).unwrap_err();
        assert!(matches!(err, TraceError::Malformed { line: 1, .. }), "{err}");
    }
    let trace = Recording::new(RecordMode::Full).finish(Header { ports: vec!["#1".into()], ..header() });
    assert!(write_jsonl(&trace, &mut Vec::new()).is_err());
}

#[test]
fn record_naming_a_missing_node_is_not_written() {
    let mut rec = Recording::new(RecordMode::Full);
    rec.push(0, CLIENT, Event::Start);
    rec.push(0, 9, Event::Start);
    let err = write_jsonl(&rec.finish(header()), &mut Vec::new()).unwrap_err();
    match err {
        TraceError::Malformed { line, message } => {
            assert_eq!(line, 3);
            assert!(message.contains("node index 9"), "{message}");
        }
        other => panic!("expected a malformed line, got {other:?}"),
    }
}

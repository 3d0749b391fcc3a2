//! The streaming reader, the header's run fields and older traces.

use super::*;
use microsim_traces::TraceReader;

/// Reads `input` record by record; the records' lines, or the error that ended it.
fn check_stream(input: &str) -> Result<Vec<usize>, TraceError> {
    let mut reader = TraceReader::new(input.as_bytes())?;
    let mut lines = Vec::new();
    while let Some(r) = reader.next_record()? {
        lines.push(r.line);
    }
    Ok(lines)
}

#[test]
fn the_stream_gives_every_record_with_its_line() {
    let written = write(&sample(RecordMode::Full));
    assert_eq!(check_stream(&written).expect("reads"), (2..2 + SAMPLE_RECORDS).collect::<Vec<_>>());
}

#[test]
fn a_truncated_stream_fails_at_its_end() {
    let written = write(&sample(RecordMode::Full));
    let cut: String = written.lines().take(5).map(|l| format!("{l}\n")).collect();
    let err = check_stream(&cut).expect_err("the records are fewer than declared");
    assert!(err.to_string().contains("truncated"), "{err}");
}

#[test]
fn the_run_fields_of_the_header_round_trip() {
    let mut rec = Recording::new(RecordMode::Full);
    push_all(&mut rec);
    let plan = serde_json::json!({"steps": [{"at": "10ms", "fault": "crash", "node": "server"}]});
    let header = Header {
        scenario: Some("pingpong".into()),
        variant: Some("rpc".into()),
        plan: Some(plan),
        profile: Some("default".into()),
        ..header()
    };
    let written = check(&rec.finish(header));
    let head = written.lines().next().expect("a header");
    assert!(head.contains(r#""scenario":"pingpong","variant":"rpc","seed""#), "{head}");
    assert!(head.contains(r#""plan":{"steps":[{"at":"10ms","fault":"crash","node":"server"}]},"profile":"default""#));
}

#[test]
fn a_version_1_trace_without_run_fields_still_reads() {
    let old = concat!(
        r#"{"format":"microsim-trace","version":1,"microsim_version":"0.1.0","seed":"0x2a","rng":"chacha8","#,
        r#""nodes":["a","b"],"ports":["p"],"mode":"full","records":2,"hash":null}"#,
        "\n",
        r#"{"t":0,"node":"a","ev":"send","msg":1,"to":"b","port":"p","text":"Hi"}"#,
        "\n",
        r#"{"t":5,"node":"b","ev":"deliver","msg":1,"from":"a"}"#,
        "\n"
    );
    let trace = read(old).expect("a version-1 trace reads");
    assert_eq!(trace.records().len(), 2);
    assert_eq!(trace.header.scenario, None);
    assert_eq!(trace.header.plan, None);
}

#[test]
fn a_mistyped_run_field_is_named() {
    let written = write(&sample(RecordMode::Full)).replacen(r#""seed""#, r#""scenario":7,"seed""#, 1);
    let (line, message) = malformed(&written);
    assert_eq!(line, 1);
    assert!(message.contains("\"scenario\": expected a string, found a number"), "{message}");
}

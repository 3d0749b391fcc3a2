//! What the writer writes, and what survives a round trip.

use super::*;

#[test]
fn every_event_kind_round_trips() {
    let trace = sample(RecordMode::Full);
    assert_eq!(trace.records().len(), SAMPLE_RECORDS);
    let written = check(&trace);
    assert_eq!(written.lines().count(), 1 + SAMPLE_RECORDS);
}

#[test]
fn lines_look_as_documented() {
    let mut rec = Recording::new(RecordMode::Full);
    let port = Port::named(PP);
    push_text(&mut rec, 1_000_000, CLIENT, "Ping(3)", |text| Event::Send { msg: 1, to: SERVER, port, text });
    rec.push(1_500_000, SERVER, Event::Deliver { msg: 1, from: CLIENT });
    rec.push(1_600_000, SERVER, Event::Drop { msg: 1, reason: DropReason::QueueFull });
    let port = Port::ephemeral(3);
    push_text(&mut rec, 1_700_000, SERVER, "Pong", |text| Event::Send { msg: 2, to: CLIENT, port, text });
    push_text(&mut rec, 1_800_000, NO_NODE, "hi", |text| Event::Log { level: Level::Warn, text });
    rec.push(1_900_000, CLIENT, Event::Spawn { task: 4 });
    rec.push(2_000_000, CLIENT, Event::Timer { timer: 9 });
    rec.push(2_100_000, CLIENT, Event::Crash);
    let trace = rec.finish(header());
    let hash = trace.hash().expect("full traces have a hash");
    let expected = [
        format!(
            r#"{{"format":"microsim-trace","version":2,"microsim_version":"0.1.0","seed":"0x000000000000002a","rng":"chacha8","nodes":["client0","server"],"ports":["pp","rpc"],"mode":"full","records":8,"hash":"{hash}"}}"#
        ),
        r#"{"t":1000000,"node":"client0","ev":"send","msg":1,"to":"server","port":"pp","text":"Ping(3)"}"#.into(),
        r#"{"t":1500000,"node":"server","ev":"deliver","msg":1,"from":"client0"}"#.into(),
        r#"{"t":1600000,"node":"server","ev":"drop","msg":1,"reason":"queue-full"}"#.into(),
        r##"{"t":1700000,"node":"server","ev":"send","msg":2,"to":"client0","port":"#3","text":"Pong"}"##.into(),
        r#"{"t":1800000,"node":"-","ev":"log","level":"warn","text":"hi"}"#.into(),
        r#"{"t":1900000,"node":"client0","ev":"spawn","task":4}"#.into(),
        r#"{"t":2000000,"node":"client0","ev":"timer","timer":9}"#.into(),
        r#"{"t":2100000,"node":"client0","ev":"crash"}"#.into(),
    ];
    assert_eq!(check(&trace).lines().collect::<Vec<_>>(), expected);
    assert_eq!(hash.to_string().len(), 16);
}

#[test]
fn summary_and_full_modes_hash_alike() {
    let full = sample(RecordMode::Full);
    let summary = sample(RecordMode::Summary);
    assert!(full.hash().is_some());
    assert_eq!(summary.hash(), full.hash());
    assert_eq!(summary.counts(), full.counts());
    assert!(summary.records().is_empty());
}

#[test]
fn summary_trace_round_trips_as_its_header() {
    let trace = sample(RecordMode::Summary);
    let written = check(&trace);
    assert_eq!(written.lines().count(), 1);
    let expected = format!(r#""mode":"summary","records":{SAMPLE_RECORDS},"hash":""#);
    assert!(written.contains(&expected), "{written}");
}

#[test]
fn off_trace_round_trips_without_hash() {
    let written = check(&sample(RecordMode::Off));
    assert!(written.contains(r#""mode":"off","records":0,"hash":null}"#), "{written}");
}

#[test]
fn empty_full_trace_round_trips() {
    check(&Recording::new(RecordMode::Full).finish(Header::default()));
}

#[test]
fn long_text_is_cut_on_a_char_boundary() {
    // 1023 ASCII bytes then 'é' (2 bytes): byte 1024 falls inside the 'é'.
    let long = "a".repeat(1023) + &"é".repeat(10);
    let mut rec = Recording::new(RecordMode::Full);
    push_text(&mut rec, 0, CLIENT, &long, |text| Event::Log { level: Level::Info, text });
    let trace = rec.finish(header());
    let Event::Log { text, .. } = trace.records()[0].event else { panic!("a log record") };
    let kept = trace.text(text);
    assert_eq!(kept, "a".repeat(1023) + "…");
    check(&trace);
}

#[test]
fn hostile_strings_round_trip_exactly() {
    let hostile = [
        "\"quoted\" \\back\\slash",
        "line\nbreak\r\nand\ttab",
        "</script><script>alert(1)</script>",
        "\u{0}\u{1}\u{1b}[31mred\u{7f}",
        "\u{2028}\u{2029}\u{feff}",
        "😀 ünïcödé",
        "{\"t\":0}\n{\"ev\":\"crash\"}",
    ];
    let mut rec = Recording::new(RecordMode::Full);
    for (i, s) in hostile.iter().enumerate() {
        push_text(&mut rec, i as u64, SERVER, s, |text| Event::Log { level: Level::Error, text });
        let port = Port::named(1);
        push_text(&mut rec, i as u64, CLIENT, s, |text| Event::Send { msg: i as u64, to: 2, port, text });
    }
    let header = Header {
        microsim_version: hostile[0].into(),
        seed: u64::MAX,
        rng: hostile[3].into(),
        nodes: vec![hostile[1].into(), hostile[2].into(), hostile[3].into()],
        ports: vec![hostile[4].into(), hostile[6].into()],
        scenario: Some(hostile[5].into()),
        ..Header::default()
    };
    let trace = rec.finish(header);
    let written = check(&trace);
    assert_eq!(written.lines().count(), 1 + 2 * hostile.len());
    assert!(!written.bytes().any(|b| b < 0x20 && b != b'\n'), "raw control bytes in:\n{written}");
    let Event::Log { text, .. } = trace.records()[6].event else { panic!("a log record") };
    assert_eq!(trace.text(text), hostile[3]);
}

#[test]
fn unknown_fields_are_ignored() {
    let trace = sample(RecordMode::Full);
    let extra = r#"{"future":{"a":[1,{"b":null}]},"z":-1.5,"#;
    let with_extra: String = write(&trace).lines().map(|l| l.replacen('{', extra, 1) + "\n").collect();
    assert_eq!(read(&with_extra).expect("newer fields are ignored"), trace);
}

#[test]
fn blank_lines_and_crlf_are_accepted() {
    let trace = sample(RecordMode::Full);
    let spaced: String = write(&trace).lines().map(|l| format!("\r\n  \n{l}\r\n")).collect();
    assert_eq!(read(&spaced).expect("blank lines are skipped"), trace);
}

#[test]
fn header_without_hash_is_trusted() {
    let trace = sample(RecordMode::Full);
    let written = write(&trace);
    let hash = format!(r#""hash":"{}""#, trace.hash().unwrap());
    let unhashed = written.replacen(&hash, r#""hash":null"#, 1);
    assert_ne!(unhashed, written);
    assert_eq!(read(&unhashed).expect("a full trace may omit its hash"), trace);
}

#[test]
fn header_without_record_count_is_accepted() {
    let trace = sample(RecordMode::Full);
    let written = write(&trace);
    let uncounted = written.replacen(&format!(r#""records":{SAMPLE_RECORDS},"#), "", 1);
    assert_ne!(uncounted, written);
    assert_eq!(read(&uncounted).expect("the record count is optional"), trace);
}

#[test]
fn deferred_send_texts_are_written_in_order_when_the_trace_is_unpacked() {
    let record = |mode| {
        let mut rec = Recording::new(mode);
        let port = Port::named(PP);
        let mut asked = Vec::new();
        for msg in 1..=3 {
            asked.push(rec.push_deferred(msg, CLIENT, |text| Event::Send { msg, to: SERVER, port, text }));
            rec.push(msg, SERVER, Event::Deliver { msg, from: CLIENT });
        }
        // Only sends have a deferred text.
        asked.push(rec.push_deferred(9, SERVER, |text| Event::Log { level: Level::Info, text }));
        (rec, asked)
    };
    let (summary, asked) = record(RecordMode::Summary);
    assert_eq!(asked, [false; 4]);
    let summary = summary.finish(header());
    let (off, asked) = record(RecordMode::Off);
    assert_eq!(asked, [false; 4]);
    assert_eq!(off.finish(header()).hash(), None);

    let (full, asked) = record(RecordMode::Full);
    assert_eq!(asked, [true, true, true, false]);
    let packed = full.finish_packed(header());
    assert_eq!((packed.hash(), packed.counts()), (summary.hash(), summary.counts()));
    let mut ordinals = Vec::new();
    let trace = packed.unpack(|i, s| {
        ordinals.push(i);
        s.push_str(&format!("Ping({i})"));
    });
    assert_eq!(ordinals, [0, 1, 2]);
    let texts: Vec<(u64, &str)> = trace
        .records()
        .iter()
        .filter_map(|r| match r.event {
            Event::Send { msg, text, .. } => Some((msg, trace.text(text))),
            Event::Log { text, .. } => Some((0, trace.text(text))),
            _ => None,
        })
        .collect();
    assert_eq!(texts, [(1, "Ping(0)"), (2, "Ping(1)"), (3, "Ping(2)"), (0, "")]);
    assert_eq!(trace.hash(), summary.hash(), "deferred texts are not hashed");
    assert_eq!(trace.records().len(), 7);
}

//! The linearizability checker on small histories written by hand: registers,
//! compare-and-set, unknown and failed outcomes, key/value partitions, the
//! budget, counterexamples, and the recorder inside a simulation.

use microsim::history::{History, HistoryError, OpId, OpOutcome, Recorder};
use microsim::lin::models::{Kv, KvInput, KvOutput, RegisterCas, RegisterInput, RegisterOutput};
use microsim::lin::{self, GaveUp, Model, Options, Verdict};

type Reg = (RegisterInput, OpOutcome<RegisterOutput>);

fn write(v: i64) -> Reg {
    (RegisterInput::Write(v), OpOutcome::Ok(RegisterOutput::Written))
}

fn write_unknown(v: i64) -> Reg {
    (RegisterInput::Write(v), OpOutcome::Unknown)
}

fn write_failed(v: i64) -> Reg {
    (RegisterInput::Write(v), OpOutcome::Failed)
}

fn read(v: Option<i64>) -> Reg {
    (RegisterInput::Read, OpOutcome::Ok(RegisterOutput::Value(v)))
}

fn cas(expect: i64, new: i64, swapped: bool) -> Reg {
    (RegisterInput::Cas { expect, new }, OpOutcome::Ok(RegisterOutput::Swapped(swapped)))
}

fn cas_failed(expect: i64, new: i64) -> Reg {
    (RegisterInput::Cas { expect, new }, OpOutcome::Failed)
}

/// An operation written by hand: process, invoked at, completed at, (input, outcome).
pub type Timed<I, O> = (u64, u64, u64, (I, OpOutcome<O>));

/// A history of operations, in that order.
pub fn history<I: Clone, O: Clone>(ops: &[Timed<I, O>]) -> History<I, O> {
    let mut h = History::new();
    for (process, start, end, (input, outcome)) in ops {
        let id = h.invoke_at(*process, input.clone(), *start);
        h.complete_at(id, outcome.clone(), *end).unwrap();
    }
    h
}

/// The verdict on a register-with-CAS history.
fn check(ops: &[(u64, u64, u64, Reg)]) -> Verdict {
    lin::check(&RegisterCas, &history(ops))
}

fn linearizable(ops: &[(u64, u64, u64, Reg)]) -> Option<bool> {
    check(ops).is_linearizable()
}

#[test]
fn an_empty_history_is_linearizable() {
    assert_eq!(linearizable(&[]), Some(true));
}

#[test]
fn a_read_of_a_value_never_written_is_not_linearizable() {
    assert_eq!(linearizable(&[(0, 0, 10, write(1)), (1, 20, 30, read(Some(2)))]), Some(false));
}

#[test]
fn a_stale_read_after_a_completed_write_is_not_linearizable() {
    let ops = [(0, 0, 10, write(1)), (0, 20, 30, write(2)), (1, 40, 50, read(Some(1)))];
    assert_eq!(linearizable(&ops), Some(false));
}

#[test]
fn a_read_concurrent_with_a_write_may_see_either_value() {
    for seen in [Some(1), Some(2)] {
        let ops = [(0, 0, 10, write(1)), (0, 20, 40, write(2)), (1, 30, 50, read(seen))];
        assert_eq!(linearizable(&ops), Some(true), "read of {seen:?}");
    }
}

#[test]
fn an_unknown_write_explains_a_later_read() {
    assert_eq!(linearizable(&[(0, 0, 10, write_unknown(1)), (1, 20, 30, read(Some(1)))]), Some(true));
}

#[test]
fn an_unknown_write_may_take_effect_long_after_the_client_gave_up() {
    let ops = [(0, 0, 10, write_unknown(1)), (1, 20, 30, read(None)), (1, 40, 50, read(Some(1)))];
    assert_eq!(linearizable(&ops), Some(true));
}

#[test]
fn an_unknown_write_may_never_happen() {
    let ops = [(0, 0, 10, write_unknown(1)), (1, 20, 30, read(None)), (1, 40, 50, read(None))];
    assert_eq!(linearizable(&ops), Some(true));
}

#[test]
fn an_unknown_write_cannot_take_effect_before_its_invocation() {
    assert_eq!(linearizable(&[(1, 0, 10, read(Some(1))), (0, 20, 30, write_unknown(1))]), Some(false));
}

#[test]
fn an_unknown_write_takes_effect_at_most_once() {
    let ops =
        [(0, 0, 10, write_unknown(1)), (1, 20, 30, write(2)), (1, 40, 50, read(Some(1))), (1, 60, 70, read(Some(2)))];
    assert_eq!(linearizable(&ops), Some(false));
}

#[test]
fn a_failed_cas_ran_and_saw_another_value() {
    assert_eq!(linearizable(&[(0, 0, 10, write(1)), (1, 20, 30, cas_failed(1, 2))]), Some(false));
    assert_eq!(linearizable(&[(0, 0, 10, write(1)), (1, 20, 30, cas_failed(3, 2))]), Some(true));
}

#[test]
fn a_cas_on_an_absent_register_never_matches() {
    assert_eq!(linearizable(&[(0, 0, 10, cas(0, 1, true))]), Some(false));
    assert_eq!(linearizable(&[(0, 0, 10, cas(0, 1, false)), (0, 20, 30, read(None))]), Some(true));
}

#[test]
fn a_failed_write_did_not_happen() {
    assert_eq!(linearizable(&[(0, 0, 10, write_failed(5)), (1, 20, 30, read(None))]), Some(true));
    assert_eq!(linearizable(&[(0, 0, 10, write_failed(5)), (1, 20, 30, read(Some(5)))]), Some(false));
}

#[test]
fn concurrent_identical_writes_are_linearizable() {
    let ops = [(0, 0, 20, write(1)), (1, 5, 25, write(1)), (2, 10, 30, read(Some(1))), (2, 40, 50, read(Some(1)))];
    assert_eq!(linearizable(&ops), Some(true));
}

#[test]
fn operations_that_touch_at_one_instant_count_as_concurrent() {
    // The write completes at 10 and the read starts at 10: either order is allowed.
    assert_eq!(linearizable(&[(0, 0, 10, write(1)), (1, 10, 20, read(None))]), Some(true));
}

#[test]
fn the_counterexample_names_the_longest_prefix_and_the_unplaceable_read() {
    let ops = [(0, 0, 10, write(1)), (0, 20, 30, write(2)), (1, 40, 50, read(Some(1)))];
    let Verdict::NotLinearizable(cx) = check(&ops) else { panic!("expected not linearizable") };
    let prefix: Vec<(u32, &str, &str)> =
        cx.prefix.iter().map(|p| (p.op.op.0, p.op.description.as_str(), p.state_after.as_str())).collect();
    assert_eq!(prefix, [(0, "write(1)", "1"), (1, "write(2)", "2")]);
    assert_eq!(cx.state, "2");
    assert_eq!(cx.unplaceable.len(), 1);
    let stuck = &cx.unplaceable[0];
    assert_eq!((stuck.op.op, stuck.op.process, stuck.op.invoke_ns, stuck.op.complete_ns), (OpId(2), 1, 40, Some(50)));
    assert_eq!(stuck.op.description, "read -> 1");
    assert!(!stuck.model_accepts);
    let text = cx.to_string();
    assert!(text.contains("longest linearizable prefix has 2 operations"), "{text}");
    assert!(text.contains("op 2 (process 1, 40..50): read -> 1  (rejected in this state)"), "{text}");
}

#[test]
fn verdicts_and_histories_are_serde_data() {
    let ops = [(0, 0, 10, write(1)), (1, 20, 30, read(Some(2)))];
    let verdict = check(&ops);
    let json = serde_json::to_string(&verdict).unwrap();
    assert_eq!(serde_json::from_str::<Verdict>(&json).unwrap(), verdict);
    let h = history(&ops);
    let json = serde_json::to_string(&h).unwrap();
    assert_eq!(serde_json::from_str::<History<RegisterInput, RegisterOutput>>(&json).unwrap(), h);
}

#[test]
fn a_deserialized_history_with_impossible_times_is_clamped_not_misordered() {
    let json = r#"{"ops": [
        {"process": 0, "input": {"write": 1}, "invoke_ns": 10, "complete_ns": 5, "outcome": {"ok": "written"}},
        {"process": 1, "input": "read", "invoke_ns": 20, "complete_ns": null, "outcome": {"ok": {"value": 1}}}
    ]}"#;
    let h: History<RegisterInput, RegisterOutput> = serde_json::from_str(json).unwrap();
    assert_eq!(lin::check(&RegisterCas, &h), Verdict::Linearizable);
}

#[test]
fn a_spent_budget_gives_unknown_never_a_guess() {
    let ops: Vec<_> = (0..8).map(|p| (p, 0, 100, write(p as i64))).chain([(9, 200, 300, read(Some(3)))]).collect();
    let options = Options { max_steps: 5, ..Options::default() };
    let verdict = lin::check_with(&RegisterCas, &history(&ops), &options);
    assert_eq!(verdict, Verdict::Unknown(GaveUp::Steps { partition: 0, max_steps: 5 }));
    assert_eq!(lin::check(&RegisterCas, &history(&ops)), Verdict::Linearizable);
}

#[test]
fn a_passed_deadline_gives_unknown() {
    let ops = [(0, 0, 10, write(1)), (1, 20, 30, read(Some(1)))];
    let options = Options { deadline: Some(std::time::Instant::now()), ..Options::default() };
    let verdict = lin::check_with(&RegisterCas, &history(&ops), &options);
    assert_eq!(verdict, Verdict::Unknown(GaveUp::Deadline { partition: 0 }));
    assert!(verdict.to_string().starts_with("unknown: the deadline passed"), "{verdict}");
}

type KvOp = (KvInput, OpOutcome<KvOutput>);

fn put(key: &str, value: &str) -> KvOp {
    (KvInput::Put { key: key.into(), value: value.into() }, OpOutcome::Ok(KvOutput::Done))
}

fn append(key: &str, value: &str) -> KvOp {
    (KvInput::Append { key: key.into(), value: value.into() }, OpOutcome::Ok(KvOutput::Done))
}

fn get(key: &str, value: &str) -> KvOp {
    (KvInput::Get { key: key.into() }, OpOutcome::Ok(KvOutput::Value(value.into())))
}

#[test]
fn kv_keys_are_checked_each_on_its_own() {
    let ops = [
        (0, 0, 10, put("x", "a")),
        (1, 0, 10, append("y", "b")),
        (0, 20, 30, append("x", "c")),
        (1, 20, 30, get("y", "b")),
        (0, 40, 50, get("x", "ac")),
        (1, 40, 50, get("z", "")),
    ];
    let h = history(&ops);
    assert_eq!(Kv.partition(h.ops()).map(|p| p.len()), Some(3));
    for threads in [1, 2] {
        let verdict = lin::check_with(&Kv, &h, &Options { threads, ..Options::default() });
        assert_eq!(verdict, Verdict::Linearizable);
    }
}

#[test]
fn a_bad_kv_key_is_named_by_its_partition() {
    let ops = [(0, 0, 10, put("x", "a")), (1, 0, 10, append("y", "b")), (1, 20, 30, get("y", "bb"))];
    let Verdict::NotLinearizable(cx) = lin::check(&Kv, &history(&ops)) else { panic!("expected not linearizable") };
    assert_eq!((cx.partition, cx.partitions), (1, 2));
    assert_eq!(cx.unplaceable[0].op.description, "get(\"y\") -> \"bb\"");
    assert!(cx.to_string().contains("(partition 1 of 2)"));
}

#[test]
fn completing_an_operation_twice_or_one_never_invoked_is_an_error() {
    let mut h: History<RegisterInput, RegisterOutput> = History::new();
    let id = h.invoke_at(0, RegisterInput::Read, 5);
    assert_eq!(h.complete_at(OpId(7), OpOutcome::Unknown, 9), Err(HistoryError::NoSuchOp(7, 1)));
    let early = h.complete_at(id, OpOutcome::Unknown, 4);
    assert_eq!(early, Err(HistoryError::CompletedBeforeInvoked { op: 0, invoke_ns: 5, complete_ns: 4 }));
    assert_eq!(h.complete_at(id, OpOutcome::Unknown, 9), Ok(()));
    assert_eq!(h.complete_at(id, OpOutcome::Unknown, 9), Err(HistoryError::AlreadyCompleted(0)));
}

#[test]
fn the_recorder_stamps_global_virtual_time_inside_a_simulation() {
    let recorder: Recorder<RegisterInput, RegisterOutput> = Recorder::new();
    let rec = recorder.clone();
    let outcome = super::solo(microsim::Sim::builder(), move || {
        let rec = rec.clone();
        async move {
            microsim::time::sleep(super::ms(3)).await;
            let w = rec.invoke(0, RegisterInput::Write(1));
            microsim::time::sleep(super::ms(2)).await;
            rec.ok(w, RegisterOutput::Written).unwrap();
            let r = rec.invoke(0, RegisterInput::Read);
            assert_eq!(rec.unknown(OpId(9)), Err(HistoryError::NoSuchOp(9, 2)));
            rec.unknown(r).unwrap();
        }
    });
    assert!(outcome.is_ok(), "{outcome}");
    let h = recorder.history();
    let times: Vec<_> = h.ops().iter().map(|op| (op.invoke_ns, op.complete_ns)).collect();
    assert_eq!(times, [(3_000_000, Some(5_000_000)), (5_000_000, Some(5_000_000))]);
    assert_eq!(h.ops()[1].outcome, OpOutcome::Unknown);
    assert_eq!(lin::check(&RegisterCas, &h), Verdict::Linearizable);
}

/// Key `key`: seven appends that all overlap, then a get that saw them in the
/// reverse of their invocation order (`bad`: with one piece missing).
fn reversed_appends(process: u64, key: &str, bad: bool) -> Vec<Timed<KvInput, KvOutput>> {
    let pieces: Vec<String> = (0..7).map(|i| format!("{key}{i};")).collect();
    let mut ops: Vec<_> =
        pieces.iter().enumerate().map(|(i, v)| (process + i as u64, i as u64, 100, append(key, v))).collect();
    let seen: String = pieces.iter().rev().skip(usize::from(bad)).map(String::as_str).collect();
    ops.push((process, 200, 210, get(key, &seen)));
    ops
}

#[test]
fn the_verdict_and_counterexample_do_not_depend_on_threads() {
    let keys = [("a", 0, false), ("b", 10, false), ("c", 20, false), ("d", 30, true)];
    let ops: Vec<_> = keys.iter().flat_map(|(key, process, bad)| reversed_appends(*process, key, *bad)).collect();
    let mut h = history(&ops[..24]);
    // Hard enough that rounds reach the slices that run on threads.
    let tight = Options { max_steps: 20_000, ..Options::default() };
    assert!(matches!(lin::check_with(&Kv, &h, &tight), Verdict::Unknown(GaveUp::Steps { .. })));
    let on =
        |threads, h: &History<KvInput, KvOutput>| lin::check_with(&Kv, h, &Options { threads, ..Options::default() });
    assert_eq!(on(1, &h), Verdict::Linearizable);
    assert_eq!(on(2, &h), Verdict::Linearizable);
    h = history(&ops);
    let one = on(1, &h);
    assert!(matches!(&one, Verdict::NotLinearizable(cx) if cx.partition == 3), "{one}");
    assert_eq!(on(2, &h), one);
    assert_eq!(on(3, &h), one);
}

#[test]
fn a_counterexample_becomes_marks_a_trace_view_draws() {
    let ops = [(0, 0, 10, write(1)), (0, 20, 30, write(2)), (1, 40, 50, read(Some(1)))];
    let Verdict::NotLinearizable(why) = check(&ops) else { panic!("a stale read is not linearizable") };
    let marks = why.to_marks(|p| (format!("client{p}"), Some(format!("client{p}"))));
    assert_eq!(marks.property.as_deref(), Some("linearizable"));
    let shown: Vec<(&str, u64, Option<u64>)> =
        marks.ops.iter().map(|m| (m.process.as_str(), m.start_ns, m.end_ns)).collect();
    assert_eq!(shown, [("client0", 20, Some(30)), ("client1", 40, Some(50))]);
    assert!(marks.ops[1].text.starts_with("cannot be placed after it"), "{:?}", marks.ops[1]);
    assert_eq!(marks.ops[0].node.as_deref(), Some("client0"));
}

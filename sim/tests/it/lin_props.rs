//! Properties of the linearizability checker: histories made from a sequential
//! run with random overlaps are linearizable, and on tiny random histories the
//! checker agrees with a brute-force search over every order (the honest oracle).

use super::lin::history;
use microsim::history::{History, OpOutcome};
use microsim::lin::models::{Kv, KvInput, KvOutput, RegisterCas, RegisterInput, RegisterOutput};
use microsim::lin::{self, Model, Verdict};
use proptest::prelude::*;

fn register_input() -> impl Strategy<Value = RegisterInput> {
    prop_oneof![
        Just(RegisterInput::Read),
        (0..3i64).prop_map(RegisterInput::Write),
        (0..3i64, 0..3i64).prop_map(|(expect, new)| RegisterInput::Cas { expect, new }),
    ]
}

/// What `input` returns in `state`, and the state after.
fn run_register(state: Option<i64>, input: RegisterInput) -> (RegisterOutput, Option<i64>) {
    match input {
        RegisterInput::Read => (RegisterOutput::Value(state), state),
        RegisterInput::Write(v) => (RegisterOutput::Written, Some(v)),
        RegisterInput::Cas { expect, new } if state == Some(expect) => (RegisterOutput::Swapped(true), Some(new)),
        RegisterInput::Cas { .. } => (RegisterOutput::Swapped(false), state),
    }
}

/// Each operation takes effect at `10 * i + 5` and its interval stretches a random
/// amount either side; `unknown` operations lose their output.
fn overlapped<I: Clone, O: Clone>(ops: &[(I, O)], stretch: &[(u64, u64, bool)]) -> History<I, O> {
    let timed: Vec<_> = ops
        .iter()
        .zip(stretch)
        .enumerate()
        .map(|(i, ((input, output), (before, after, unknown)))| {
            let at = 10 * i as u64 + 100;
            let outcome = if *unknown { OpOutcome::Unknown } else { OpOutcome::Ok(output.clone()) };
            (i as u64, at - before, at + after, (input.clone(), outcome))
        })
        .collect();
    // Invocation order is the order of a history.
    let mut sorted = timed;
    sorted.sort_by_key(|(_, start, _, _)| *start);
    history(&sorted)
}

fn stretches(n: usize) -> impl Strategy<Value = Vec<(u64, u64, bool)>> {
    prop::collection::vec((0..40u64, 0..40u64, prop::bool::weighted(0.15)), n)
}

proptest! {
    #[test]
    fn a_sequential_register_run_with_random_overlaps_is_linearizable(
        (inputs, stretch) in prop::collection::vec(register_input(), 0..40).prop_flat_map(|inputs| {
            let n = inputs.len();
            (Just(inputs), stretches(n))
        })
    ) {
        let mut state = None;
        let ops: Vec<_> = inputs.into_iter().map(|input| {
            let (output, next) = run_register(state, input);
            state = next;
            (input, output)
        }).collect();
        prop_assert_eq!(lin::check(&RegisterCas, &overlapped(&ops, &stretch)), Verdict::Linearizable);
    }

    #[test]
    fn a_sequential_kv_run_with_random_overlaps_is_linearizable(
        (inputs, stretch) in prop::collection::vec((0..3u8, 0..3u8, 0..4u8), 0..40).prop_flat_map(|inputs| {
            let n = inputs.len();
            (Just(inputs), stretches(n))
        })
    ) {
        let mut store = [String::new(), String::new(), String::new()];
        let ops: Vec<_> = inputs.into_iter().map(|(kind, key, piece)| {
            let (k, value) = (key.to_string(), format!("v{piece};"));
            let slot = &mut store[usize::from(key)];
            match kind {
                0 => (KvInput::Get { key: k }, KvOutput::Value(slot.clone())),
                1 => { *slot = value.clone(); (KvInput::Put { key: k, value }, KvOutput::Done) }
                _ => { slot.push_str(&value); (KvInput::Append { key: k, value }, KvOutput::Done) }
            }
        }).collect();
        prop_assert_eq!(lin::check(&Kv, &overlapped(&ops, &stretch)), Verdict::Linearizable);
    }

    #[test]
    fn on_tiny_histories_the_checker_agrees_with_brute_force(ops in prop::collection::vec(tiny_op(), 1..=6)) {
        let h = history(&ops);
        let expected = brute_force(&RegisterCas, &h);
        prop_assert_eq!(lin::check(&RegisterCas, &h).is_linearizable(), Some(expected), "{:?}", ops);
    }
}

/// A random key/value operation on key `a` or `b` (a get sees a random value; an
/// append's outcome may be unknown).
fn tiny_kv_op() -> impl Strategy<Value = super::lin::Timed<KvInput, KvOutput>> {
    let key = prop_oneof![Just("a".to_string()), Just("b".to_string())];
    let text = prop_oneof![Just(""), Just("x"), Just("y"), Just("xy"), Just("yx"), Just("xx")].prop_map(String::from);
    let op = prop_oneof![
        (key.clone(), text.clone()).prop_map(|(key, v)| (KvInput::Get { key }, OpOutcome::Ok(KvOutput::Value(v)))),
        (key.clone(), text.clone())
            .prop_map(|(key, value)| (KvInput::Put { key, value }, OpOutcome::Ok(KvOutput::Done))),
        (key, text, any::<bool>()).prop_map(|(key, value, known)| {
            (KvInput::Append { key, value }, if known { OpOutcome::Ok(KvOutput::Done) } else { OpOutcome::Unknown })
        }),
    ];
    (0..4u64, 0..20u64, 0..10u64, op).prop_map(|(p, start, len, op)| (p, start, start + len, op))
}

proptest! {
    #[test]
    fn on_tiny_kv_histories_the_checker_agrees_with_brute_force(ops in prop::collection::vec(tiny_kv_op(), 1..=6)) {
        let h = history(&ops);
        // The brute force sees one map; each key's value is kept apart by the test model below.
        let expected = brute_force(&WholeMap, &h);
        prop_assert_eq!(lin::check(&Kv, &h).is_linearizable(), Some(expected), "{:?}", ops);
    }
}

/// The key/value model without partitions: the state is the whole map.
#[derive(Debug)]
struct WholeMap;

impl Model for WholeMap {
    type State = std::collections::BTreeMap<String, String>;
    type Input = KvInput;
    type Output = KvOutput;

    fn init(&self) -> Self::State {
        Self::State::new()
    }

    fn step(&self, state: &Self::State, input: &KvInput, output: Option<&KvOutput>) -> Option<Self::State> {
        let mut next = state.clone();
        let value = next.entry(input.key().to_string()).or_default();
        match (input, output) {
            (KvInput::Get { .. }, Some(KvOutput::Value(v))) => (v == value).then_some(())?,
            (KvInput::Get { .. }, _) => {}
            (KvInput::Put { value: v, .. }, _) => *value = v.clone(),
            (KvInput::Append { value: v, .. }, _) => value.push_str(v),
        }
        Some(next)
    }
}

type TinyOp = super::lin::Timed<RegisterInput, RegisterOutput>;

/// An operation as the brute force sees it: index, output (`None`: unknown), return time.
type Placeable<O> = (usize, Option<O>, Option<u64>);

/// A random operation with a random (often wrong) outcome.
fn tiny_op() -> impl Strategy<Value = TinyOp> {
    let output = prop_oneof![
        prop::option::of(0..3i64).prop_map(RegisterOutput::Value),
        Just(RegisterOutput::Written),
        any::<bool>().prop_map(RegisterOutput::Swapped),
    ];
    let outcome = prop_oneof![
        6 => output.prop_map(OpOutcome::Ok),
        1 => Just(OpOutcome::Failed),
        2 => Just(OpOutcome::Unknown),
    ];
    (0..4u64, 0..20u64, 0..10u64, register_input(), outcome).prop_map(|(p, start, len, input, outcome)| {
        let outcome = match (input, outcome) {
            // Keep outputs of the right kind most of the time, so that some histories pass.
            (RegisterInput::Read, OpOutcome::Ok(RegisterOutput::Written)) => OpOutcome::Ok(RegisterOutput::Value(None)),
            (RegisterInput::Write(_), OpOutcome::Ok(_)) => OpOutcome::Ok(RegisterOutput::Written),
            (_, outcome) => outcome,
        };
        (p, start, start + len, (input, outcome))
    })
}

/// Tries every order of the operations that respects real time (a before b when
/// a returned strictly before b was invoked), with each unknown operation placed
/// somewhere or left out, and failed operations read as the model says.
fn brute_force<M: Model>(model: &M, h: &History<M::Input, M::Output>) -> bool {
    let ops: Vec<Placeable<M::Output>> = h
        .ops()
        .iter()
        .enumerate()
        .filter_map(|(i, op)| match &op.outcome {
            OpOutcome::Ok(o) => Some((i, Some(o.clone()), op.complete_ns)),
            OpOutcome::Failed => model.failed_output(&op.input).map(|o| (i, Some(o), op.complete_ns)),
            OpOutcome::Pending | OpOutcome::Unknown => Some((i, None, None)),
        })
        .collect();
    let mut placed = vec![false; ops.len()];
    place(model, h, &ops, &mut placed, model.init())
}

fn place<M: Model>(
    model: &M,
    h: &History<M::Input, M::Output>,
    ops: &[Placeable<M::Output>],
    placed: &mut [bool],
    state: M::State,
) -> bool {
    if ops.iter().zip(placed.iter()).all(|((_, _, ret), done)| *done || ret.is_none()) {
        return true;
    }
    for j in 0..ops.len() {
        let (index, output, _) = &ops[j];
        let invoke = h.ops()[*index].invoke_ns;
        let ready = !placed[j]
            && ops.iter().zip(placed.iter()).all(|((_, _, ret), done)| *done || ret.is_none_or(|r| r >= invoke));
        if !ready {
            continue;
        }
        if let Some(next) = model.step(&state, &h.ops()[*index].input, output.as_ref()) {
            placed[j] = true;
            let found = place(model, h, ops, placed, next);
            placed[j] = false;
            if found {
                return true;
            }
        }
    }
    false
}

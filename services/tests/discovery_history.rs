//! The discovery registry's linearizability check on small histories written
//! by hand: what it must reject, and what an unknown outcome may explain.

use microsim_services::discovery::history::{Recorded, RegOp, RegOut};
use std::collections::BTreeSet;

/// One operation: process, what, invoked and completed (ms), and the output
/// (`None`: the caller gave up, the outcome is unknown).
type Step<'a> = (u64, RegOp, u64, u64, Option<&'a [&'a str]>);

fn check(steps: &[Step<'_>]) -> Result<bool, String> {
    let history = Recorded::default();
    for (process, op, from, to, out) in steps {
        let lookup = matches!(op, RegOp::Lookup);
        let id = history.invoke_at(*process, op.clone(), from * 1_000_000);
        let out = out.map(|ids| {
            if lookup {
                RegOut::Ids(ids.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>())
            } else {
                RegOut::Done
            }
        });
        history.complete_at(id, out, to * 1_000_000);
    }
    history.check(1_000_000)
}

const DONE: Option<&[&str]> = Some(&[]);

fn register(seq: u64) -> RegOp {
    RegOp::Register("a".into(), (1, seq))
}

fn deregister(seq: u64) -> RegOp {
    RegOp::Deregister("a".into(), (1, seq))
}

#[test]
fn a_lookup_after_a_completed_deregistration_must_not_see_the_instance() {
    let steps =
        [(0, register(1), 0, 1, DONE), (0, deregister(2), 2, 3, DONE), (9, RegOp::Lookup, 4, 5, Some(&["a"][..]))];
    let err = check(&steps).unwrap_err();
    assert!(err.contains("the operations on a are not linearizable"), "{err}");
}

#[test]
fn a_lookup_concurrent_with_the_deregistration_may_see_it_or_not() {
    for seen in [&["a"][..], &[][..]] {
        let steps =
            [(0, register(1), 0, 1, DONE), (0, deregister(2), 2, 6, DONE), (9, RegOp::Lookup, 3, 5, Some(seen))];
        assert_eq!(check(&steps), Ok(true), "{seen:?}");
    }
}

#[test]
fn a_timed_out_registration_may_take_effect_later() {
    let steps = [(0, register(1), 0, 1, None), (9, RegOp::Lookup, 10, 11, Some(&["a"][..]))];
    assert_eq!(check(&steps), Ok(true));
}

#[test]
fn a_stale_registration_cannot_bring_back_a_deregistered_instance() {
    // Registration 1 timed out (it may be applied late), deregistration 2 completed:
    // since 1 is older than 2, the registry must ignore it when it comes.
    let steps =
        [(0, register(1), 0, 1, None), (0, deregister(2), 2, 3, DONE), (9, RegOp::Lookup, 4, 5, Some(&["a"][..]))];
    assert!(check(&steps).is_err());
}

#[test]
fn an_expiry_explains_an_instance_that_disappears() {
    let without = [(0, register(1), 0, 1, DONE), (9, RegOp::Lookup, 4, 5, Some(&[][..]))];
    assert!(check(&without).is_err(), "nothing removed it");
    let with = [
        (0, register(1), 0, 1, DONE),
        (100, RegOp::Expire("a".into()), 2, 3, DONE),
        (9, RegOp::Lookup, 4, 5, Some(&[][..])),
    ];
    assert_eq!(check(&with), Ok(true));
}

//! `buggify!` and `fault_point!`: off by default, seeded when on, always counted.

use microsim::{buggify, fault_point, FaultPoints, InjectedFault, Outcome, PointCount, Sim};

/// Runs one client that reaches `charge` `n` times, with `points` configured.
fn check(seed: u64, points: FaultPoints, n: u32) -> (Outcome, u32) {
    let mut sim = Sim::builder().seed(seed).fault_points(points).build();
    let errors = std::rc::Rc::new(std::cell::Cell::new(0));
    let seen = errors.clone();
    sim.client("shop", move || {
        let seen = seen.clone();
        async move {
            for _ in 0..n {
                if let Err(InjectedFault { point }) = fault_point!("payment.charge") {
                    assert_eq!(point, "payment.charge");
                    seen.set(seen.get() + 1);
                }
            }
        }
    })
    .unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    (outcome, errors.get())
}

fn count(outcome: &Outcome, name: &str) -> PointCount {
    outcome.fault_points.iter().find(|p| p.name == name).cloned().unwrap_or_else(|| panic!("{name} not listed"))
}

#[test]
fn fault_points_are_counted_but_never_fire_by_default() {
    let (outcome, errors) = check(1, FaultPoints::default(), 50);
    assert_eq!(errors, 0);
    assert_eq!(
        count(&outcome, "payment.charge"),
        PointCount { name: "payment.charge".into(), kind: "fault_point", reached: 50, fired: 0 }
    );
}

#[test]
fn an_enabled_fault_point_fires_at_its_rate() {
    let (outcome, errors) = check(1, FaultPoints::enabled().rate("payment.charge", 0.5), 1000);
    let c = count(&outcome, "payment.charge");
    assert_eq!((c.reached, c.fired), (1000, u64::from(errors)));
    assert!((400..600).contains(&errors), "{errors} of 1000 at rate 0.5");
}

#[test]
fn the_same_seed_fires_the_same_way_and_another_seed_differently() {
    let points = || FaultPoints::enabled().rate("payment.charge", 0.3);
    let a = check(7, points(), 200).1;
    assert_eq!(a, check(7, points(), 200).1);
    assert!((0..20).any(|seed| check(seed, points(), 200).1 != a));
}

async fn tricky() -> u32 {
    let mut fired = 0;
    for _ in 0..100 {
        if buggify!() {
            fired += 1;
        }
    }
    fired
}

#[test]
fn a_buggify_site_is_switched_on_for_some_runs_and_fires_only_then() {
    let (mut on, mut off) = (0, 0);
    for seed in 0..40 {
        let mut sim = Sim::builder().seed(seed).fault_points(FaultPoints::enabled()).build();
        sim.client("c", || async {
            microsim::spawn(async { tricky().await }).await.unwrap();
        })
        .unwrap();
        let outcome = sim.run();
        let site = outcome.fault_points.iter().find(|p| p.kind == "buggify").expect("the site is listed");
        assert!(site.name.contains("faultpoints.rs:"), "{}", site.name);
        assert_eq!(site.reached, 100);
        if site.fired == 0 {
            off += 1;
        } else {
            on += 1;
            assert!((5..60).contains(&site.fired), "seed {seed}: an active site fires about a quarter of the time");
        }
    }
    assert!(on > 0 && off > on, "sites are switched on in about a quarter of runs: {on} on, {off} off");
}

/// A scenario whose one client reaches the "db.write" point 10 times, with the
/// point's rate taken from nothing: fault points are off in scenario runs, so
/// it is reached but never fires.
struct Writes;

impl microsim::scenario::Scenario for Writes {
    fn name(&self) -> &str {
        "writes"
    }
    fn nodes(&self) -> Vec<String> {
        vec!["c".into()]
    }
    fn horizon(&self) -> std::time::Duration {
        std::time::Duration::from_secs(1)
    }
    fn setup(&self, sim: &mut Sim, _: &microsim::scenario::RunSpec) -> Result<(), microsim::SimError> {
        sim.client("c", || async {
            for _ in 0..10 {
                let _ = fault_point!("db.write");
            }
        })
    }
}

#[test]
fn a_sweep_sums_fault_point_counts_and_shows_handlers_that_never_ran() {
    use microsim::scenario::{fault_point_coverage, run, RunSpec};
    let reports: Vec<_> = (0..3).map(|s| run(&Writes, &RunSpec::new(microsim::Seed(s))).0).collect();
    let coverage = fault_point_coverage(&reports);
    assert_eq!(coverage, [PointCount { name: "db.write".into(), kind: "fault_point", reached: 30, fired: 0 }]);
}

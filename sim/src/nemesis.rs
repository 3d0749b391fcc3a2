//! The nemesis: random fault plans drawn from a seed and a profile.
//!
//! A [`Profile`] says which fault kinds may happen, how often, and how long the
//! chaos phase lasts. [`Profile::plan`] draws a [`FaultPlan`] for a topology from
//! a seed: faults come in pairs that undo each other (crash then restart, pause
//! then resume, partition then heal, clog then unclog), at random times within
//! the chaos phase, and the plan ends with a `heal_all` step so that liveness
//! can be checked in the quiet period after it. [`Profile::swarm`] also draws the
//! profile itself from the seed, as TigerBeetle's simulator does: each seed tests
//! a different mix of faults, and the mix is printed with the run.
//!
//! The draws use the run's faults stream only, so the same seed, profile and
//! topology always give the same plan, and a plan is valid for its topology.
//!
//! ```
//! use microsim::nemesis::Profile;
//! use std::time::Duration;
//!
//! let nodes = ["a", "b", "c"];
//! let plan = Profile::default().plan(7, &nodes, Duration::from_secs(10));
//! plan.validate(&nodes, Duration::from_secs(10)).unwrap();
//! assert_eq!(plan.steps.last().unwrap().fault.kind(), "heal_all");
//! assert_eq!(plan, Profile::default().plan(7, &nodes, Duration::from_secs(10)));
//! ```

use crate::disk::DiskFaults;
use crate::plan::{Fault, FaultPlan, LatencySpec, LinkRef, PlanTime, SignedTime, Step};
use crate::rng::{stream, SimRng, Stream};
use rand::seq::{IndexedRandom, SliceRandom};
use rand::Rng;
use std::fmt;
use std::time::Duration;

/// Which faults a nemesis may inject, and how much.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// A short name for reports.
    pub name: String,
    /// Crash (and later restart) nodes.
    pub crash: bool,
    /// Crash nodes and lose their disks.
    pub crash_wipe: bool,
    /// Pause (and later resume) nodes.
    pub pause: bool,
    /// Partition the network (and later heal it).
    pub partition: bool,
    /// Cut or clog single links.
    pub links: bool,
    /// Message loss rate while the chaos lasts (0: none).
    pub loss: f64,
    /// Message duplication rate while the chaos lasts (0: none).
    pub duplicate: f64,
    /// Slow, long-tailed links for a while.
    pub latency: bool,
    /// Clock drift, offsets and jumps.
    pub clocks: bool,
    /// Disk faults (torn writes, I/O errors).
    pub disks: bool,
    /// How many fault pairs to draw, at most.
    pub max_faults: usize,
    /// The chaos phase as a fraction of the horizon; `heal_all` comes at its end.
    pub chaos_fraction: f64,
}

impl Default for Profile {
    /// Crashes, pauses, partitions and link faults, 1% loss and duplication,
    /// up to 6 fault pairs in the first 60% of the run.
    fn default() -> Self {
        Profile {
            name: "default".into(),
            crash: true,
            crash_wipe: false,
            pause: true,
            partition: true,
            links: true,
            loss: 0.01,
            duplicate: 0.01,
            latency: false,
            clocks: false,
            disks: false,
            max_faults: 6,
            chaos_fraction: 0.6,
        }
    }
}

impl Profile {
    /// No faults at all (the plan is just `heal_all` at the end of the chaos phase).
    pub fn quiet() -> Profile {
        Profile {
            name: "quiet".into(),
            crash: false,
            pause: false,
            partition: false,
            links: false,
            loss: 0.0,
            duplicate: 0.0,
            max_faults: 0,
            ..Profile::default()
        }
    }

    /// A profile drawn from the seed: each kind on or off, rates and counts drawn.
    pub fn swarm(seed: u64) -> Profile {
        let mut rng = stream(seed, Stream::Faults);
        rng.set_word_pos(1 << 40); // A part of the stream the plan draws never reach.
        let mut coin = |p: f64| rng.random_bool(p);
        let mut p = Profile {
            name: format!("swarm-{seed:x}"),
            crash: coin(0.5),
            crash_wipe: coin(0.15),
            pause: coin(0.4),
            partition: coin(0.5),
            links: coin(0.4),
            latency: coin(0.3),
            clocks: coin(0.3),
            disks: coin(0.3),
            ..Profile::default()
        };
        p.loss = if rng.random_bool(0.4) { rng.random_range(0.001..0.2) } else { 0.0 };
        p.duplicate = if rng.random_bool(0.3) { rng.random_range(0.001..0.1) } else { 0.0 };
        p.max_faults = rng.random_range(1..=10);
        p
    }

    /// Draws a plan for `nodes` over a run of `horizon`.
    pub fn plan(&self, seed: u64, nodes: &[&str], horizon: Duration) -> FaultPlan {
        let mut rng = stream(seed, Stream::Faults);
        let chaos = horizon.mul_f64(self.chaos_fraction.clamp(0.0, 1.0));
        let mut steps = Vec::new();
        if !nodes.is_empty() && !chaos.is_zero() {
            for _ in 0..rng.random_range(0..=self.max_faults) {
                let kinds = self.kinds();
                let Some(kind) = kinds.choose(&mut rng) else { break };
                let start = draw_time(&mut rng, Duration::ZERO, chaos);
                let end = draw_time(&mut rng, start, chaos);
                steps.extend(self.pair(kind, &mut rng, nodes, start, end));
            }
        }
        // Global rates last the whole chaos phase.
        if self.loss > 0.0 {
            steps.push(step(Duration::ZERO, Fault::Loss { rate: self.loss, link: None }));
        }
        if self.duplicate > 0.0 {
            steps.push(step(Duration::ZERO, Fault::Duplicate { rate: self.duplicate, link: None }));
        }
        steps.sort_by_key(|s| s.at); // Stable: a pair keeps its order at equal times.
        let plan = FaultPlan::new(steps);
        let mut plan = make_valid(plan, nodes);
        plan.steps.push(step(chaos, Fault::HealAll));
        plan
    }

    fn kinds(&self) -> Vec<&'static str> {
        let on = [
            (self.crash, "crash"),
            (self.crash_wipe, "crash_wipe"),
            (self.pause, "pause"),
            (self.partition, "partition"),
            (self.links, "cut"),
            (self.links, "clog"),
            (self.latency, "latency"),
            (self.clocks, "clock"),
            (self.disks, "disk"),
        ];
        on.iter().filter(|(enabled, _)| *enabled).map(|(_, k)| *k).collect()
    }

    /// A fault and the step that undoes it.
    fn pair(&self, kind: &str, rng: &mut SimRng, nodes: &[&str], start: Duration, end: Duration) -> Vec<Step> {
        let node = nodes.choose(rng).expect("nodes is not empty").to_string();
        let (fault, undo) = match kind {
            "crash" => (Fault::Crash { node: node.clone() }, Fault::Restart { node }),
            "crash_wipe" => (Fault::CrashWipe { node: node.clone() }, Fault::Restart { node }),
            "pause" => (Fault::Pause { node: node.clone() }, Fault::Resume { node }),
            "partition" => {
                let mut shuffled: Vec<String> = nodes.iter().map(|n| n.to_string()).collect();
                shuffled.shuffle(rng);
                let cut = rng.random_range(1..shuffled.len().max(2));
                let right = shuffled.split_off(cut.min(shuffled.len()));
                (Fault::Partition { groups: vec![shuffled, right] }, Fault::HealNetwork)
            }
            "cut" => (Fault::Cut { link: draw_link(rng, nodes) }, Fault::HealNetwork),
            "clog" => {
                let l = draw_link(rng, nodes);
                (Fault::Clog { link: l.clone() }, Fault::Unclog { link: l })
            }
            "latency" => {
                let slow = LatencySpec::LongTail {
                    min: PlanTime(Duration::from_millis(1)),
                    median: PlanTime(Duration::from_millis(20)),
                    max: PlanTime(Duration::from_millis(500)),
                };
                let normal = LatencySpec::Uniform {
                    min: PlanTime(Duration::from_millis(1)),
                    max: PlanTime(Duration::from_millis(5)),
                };
                (Fault::Latency { latency: slow, link: None }, Fault::Latency { latency: normal, link: None })
            }
            "clock" => {
                let ppm = rng.random_range(-2000.0..2000.0f64).round();
                let jump = SignedTime(rng.random_range(-2_000_000_000..2_000_000_000i64));
                let fault = if rng.random_bool(0.5) {
                    Fault::ClockDrift { node: node.clone(), ppm }
                } else {
                    Fault::ClockJump { node: node.clone(), by: jump }
                };
                (fault, Fault::ClockResync { node })
            }
            _ => {
                let faults = DiskFaults {
                    torn_writes: true,
                    write_error_rate: rng.random_range(0.0..0.05),
                    sync_error_rate: rng.random_range(0.0..0.05),
                    ..DiskFaults::default()
                };
                (Fault::Disk { node: node.clone(), faults }, Fault::Disk { node, faults: DiskFaults::default() })
            }
        };
        vec![step(start, fault), step(end, undo)]
    }
}

impl fmt::Display for Profile {
    /// One line: the name, the kinds that are on, the rates.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let on: Vec<&str> =
            self.kinds().into_iter().filter(|k| *k != "clog").map(|k| if k == "cut" { "links" } else { k }).collect();
        write!(f, "profile {}: faults [{}]", self.name, on.join(" "))?;
        write!(f, ", loss {}, duplicate {}, up to {} fault pairs", self.loss, self.duplicate, self.max_faults)?;
        write!(f, ", chaos for the first {}% of the run", (self.chaos_fraction * 100.0).round())
    }
}

/// Two distinct nodes (or one, if there is only one), in random order.
fn draw_link(rng: &mut SimRng, nodes: &[&str]) -> LinkRef {
    let mut two: Vec<&&str> = nodes.choose_multiple(rng, 2).collect();
    two.shuffle(rng);
    LinkRef { from: two[0].to_string(), to: two.get(1).unwrap_or(&two[0]).to_string() }
}

fn step(at: Duration, fault: Fault) -> Step {
    Step { at: PlanTime(at), fault }
}

/// A time in `from..=to`, in whole microseconds (plans read better).
fn draw_time(rng: &mut SimRng, from: Duration, to: Duration) -> Duration {
    let (lo, hi) = (from.as_micros() as u64, to.as_micros() as u64);
    Duration::from_micros(if hi <= lo { lo } else { rng.random_range(lo..=hi) })
}

/// Drops steps whose node transition does not apply (a pause of a crashed node,
/// a second crash): overlapping pairs are drawn independently. Used by the
/// nemesis and by property-test strategies that draw plans.
pub fn make_valid(plan: FaultPlan, nodes: &[&str]) -> FaultPlan {
    let mut kept = FaultPlan::default();
    for step in plan.steps {
        kept.steps.push(step);
        if kept.validate(nodes, Duration::MAX).is_err() {
            kept.steps.pop();
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    const NODES: [&str; 3] = ["a", "b", "c"];
    const HORIZON: Duration = Duration::from_secs(10);

    #[test]
    fn plans_are_valid_and_end_healed_for_many_seeds_and_swarm_profiles() {
        for seed in 0..300 {
            for profile in [Profile::default(), Profile::swarm(seed), Profile::quiet()] {
                let plan = profile.plan(seed, &NODES, HORIZON);
                plan.validate(&NODES, HORIZON)
                    .unwrap_or_else(|e| panic!("seed {seed}, {profile}: {e}\n{}", plan.to_json()));
                let last = plan.steps.last().expect("a heal_all step");
                assert_eq!((last.fault.kind(), last.at.0), ("heal_all", HORIZON.mul_f64(0.6)));
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_plan_and_profile() {
        assert_eq!(Profile::swarm(5), Profile::swarm(5));
        assert_eq!(Profile::default().plan(5, &NODES, HORIZON), Profile::default().plan(5, &NODES, HORIZON));
        let distinct: std::collections::BTreeSet<String> =
            (0..20).map(|s| Profile::default().plan(s, &NODES, HORIZON).to_json()).collect();
        assert!(distinct.len() > 15, "seeds give different plans");
    }

    #[test]
    fn swarm_profiles_vary_the_mix_and_print_on_one_line() {
        let profiles: Vec<Profile> = (0..50).map(Profile::swarm).collect();
        assert!(profiles.iter().any(|p| p.crash) && profiles.iter().any(|p| !p.crash));
        assert!(profiles.iter().any(|p| p.loss > 0.0) && profiles.iter().any(|p| p.loss == 0.0));
        let line = profiles[0].to_string();
        assert!(line.starts_with("profile swarm-0: faults [") && !line.contains('\n'), "{line}");
    }

    #[test]
    fn a_quiet_profile_only_heals() {
        let plan = Profile::quiet().plan(1, &NODES, HORIZON);
        assert_eq!(plan.steps.len(), 1);
        assert_eq!(
            Profile::quiet().to_string(),
            "profile quiet: faults [], loss 0, duplicate 0, up to 0 fault pairs, chaos for the first 60% of the run"
        );
    }
}

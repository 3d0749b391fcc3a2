//! Logging: `tracing` events inside a node are records of the full trace, with
//! their level, node, virtual time and text, filtered by the run's log level.

use crate::{full, logs, ms, records};
use microsim::{time, Level, Outcome, RecordMode, Sim};
use microsim_traces::Event;
use std::future::Future;
use std::time::Duration;

/// Runs a `server` node and a `client` node (both given as bodies) recording in
/// full at `level`; returns the log lines as (node, level, text).
fn check<S, SF, C, CF>(level: Level, server: S, client: C) -> (Vec<(String, Level, String)>, Outcome)
where
    S: Fn() -> SF + 'static,
    SF: Future<Output = ()> + 'static,
    C: Fn() -> CF + 'static,
    CF: Future<Output = ()> + 'static,
{
    let mut sim = full().log_level(level).build();
    sim.node("server", server).unwrap();
    sim.client("client", client).unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    (logs(&outcome), outcome)
}

/// The client logs once at every level.
async fn every_level() {
    tracing::error!("e");
    tracing::warn!("w");
    tracing::info!("i");
    tracing::debug!("d");
    tracing::trace!("t");
}

fn line(node: &str, level: Level, text: &str) -> (String, Level, String) {
    (node.to_string(), level, text.to_string())
}

#[test]
fn info_inside_a_node_is_recorded_with_its_level_node_time_and_text() {
    let (logs, outcome) = check(Level::Info, crate::forever, || async {
        time::sleep(ms(3)).await;
        tracing::info!("hello {}", 7);
    });
    assert_eq!(logs, [line("client", Level::Info, "hello 7")]);
    let logged_at: Vec<Duration> =
        records(&outcome).into_iter().filter(|(_, _, e)| matches!(e, Event::Log { .. })).map(|(t, _, _)| t).collect();
    assert_eq!(logged_at, [ms(3)]);
}

#[test]
fn fields_are_written_after_the_message() {
    let (logs, _) = check(Level::Info, crate::forever, || async {
        tracing::info!(n = 3, who = "me", ok = true, "hello");
    });
    assert_eq!(logs, [line("client", Level::Info, "hello n=3 who=me ok=true")]);
}

#[test]
fn each_line_names_the_node_that_logged_it() {
    let (logs, _) = check(
        Level::Info,
        || async {
            tracing::info!("server up");
            crate::forever().await
        },
        || async {
            microsim::spawn(async { tracing::warn!("from a spawned task") }).await.unwrap();
        },
    );
    assert_eq!(logs, [line("server", Level::Info, "server up"), line("client", Level::Warn, "from a spawned task")]);
}

#[test]
fn debug_is_not_recorded_at_the_default_level() {
    let mut sim = Sim::builder().record(RecordMode::Full).build();
    sim.client("client", every_level).unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    let levels: Vec<Level> = logs(&outcome).into_iter().map(|(_, l, _)| l).collect();
    assert_eq!(levels, [Level::Error, Level::Warn, Level::Info]);
}

#[test]
fn debug_is_recorded_with_log_level_debug() {
    let (logs, _) = check(Level::Debug, crate::forever, every_level);
    assert_eq!(
        logs,
        [
            line("client", Level::Error, "e"),
            line("client", Level::Warn, "w"),
            line("client", Level::Info, "i"),
            line("client", Level::Debug, "d"),
        ]
    );
}

#[test]
fn every_level_is_recorded_with_log_level_trace() {
    let (logs, _) = check(Level::Trace, crate::forever, every_level);
    let texts: Vec<String> = logs.into_iter().map(|(_, _, t)| t).collect();
    assert_eq!(texts, ["e", "w", "i", "d", "t"]);
}

#[test]
fn log_level_warn_keeps_only_warnings_and_errors() {
    let (logs, _) = check(Level::Warn, crate::forever, every_level);
    assert_eq!(logs, [line("client", Level::Error, "e"), line("client", Level::Warn, "w")]);
}

#[test]
fn a_long_line_is_cut_with_an_ellipsis() {
    let (logs, _) = check(Level::Info, crate::forever, || async {
        tracing::info!("{}", "x".repeat(5000));
    });
    let text = &logs[0].2;
    assert!(text.ends_with('…'), "{}", &text[text.len() - 10..]);
    assert!(text.len() < 1100, "{}", text.len());
}

#[test]
fn spans_are_accepted_but_not_recorded() {
    let (logs, _) = check(Level::Info, crate::forever, || async {
        let span = tracing::info_span!("request", id = 1);
        span.in_scope(|| tracing::info!("inside"));
    });
    assert_eq!(logs, [line("client", Level::Info, "inside")]);
}

#[test]
fn recorded_lines_are_part_of_the_hash_and_filtered_ones_are_not() {
    let hash = |level: Level, body: fn() -> std::pin::Pin<Box<dyn Future<Output = ()>>>| {
        let mut sim = Sim::builder().log_level(level).build();
        sim.client("client", body).unwrap();
        sim.run().hash().unwrap()
    };
    let quiet = || -> std::pin::Pin<Box<dyn Future<Output = ()>>> { Box::pin(async {}) };
    let debug = || -> std::pin::Pin<Box<dyn Future<Output = ()>>> { Box::pin(async { tracing::debug!("detail") }) };
    let info = || -> std::pin::Pin<Box<dyn Future<Output = ()>>> { Box::pin(async { tracing::info!("news") }) };
    assert_eq!(hash(Level::Info, quiet), hash(Level::Info, debug));
    assert_ne!(hash(Level::Info, quiet), hash(Level::Info, info));
    assert_ne!(hash(Level::Debug, quiet), hash(Level::Debug, debug));
}

#[test]
fn logging_outside_a_simulation_is_harmless() {
    tracing::info!("nobody is listening");
    let (logs, _) = check(Level::Info, crate::forever, || async { tracing::info!("inside") });
    assert_eq!(logs, [line("client", Level::Info, "inside")]);
}

/// A subscriber that counts the events it is given.
struct Counting(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl tracing::Subscriber for Counting {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn a_nodes_logs_never_reach_the_threads_own_subscriber_whatever_is_recorded() {
    for mode in [RecordMode::Off, RecordMode::Summary, RecordMode::Full] {
        let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let outcome = tracing::subscriber::with_default(Counting(seen.clone()), || {
            tracing::info!("outside, before");
            let mut sim = Sim::builder().record(mode).build();
            sim.client("client", every_level).unwrap();
            let outcome = sim.run();
            tracing::info!("outside, after");
            outcome
        });
        assert!(outcome.is_ok(), "{outcome}");
        assert_eq!(seen.load(std::sync::atomic::Ordering::Relaxed), 2, "{mode:?}: only the two lines outside the run");
        let kept = if mode == RecordMode::Full { 3 } else { 0 };
        assert_eq!(logs(&outcome).len(), kept, "{mode:?}");
    }
}

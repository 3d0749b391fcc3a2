//! Logging: a per-run `tracing` subscriber that stamps events with virtual time
//! and node and records them in the trace.
//!
//! Services log with the ordinary `tracing` macros. While a simulation runs, its
//! subscriber is the thread's default (never the global one), so parallel runs on
//! other threads do not mix their logs. Spans are accepted but not recorded.

use crate::runtime::CTX;
use microsim_traces::{Event as TraceEvent, Level};
use std::fmt::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

pub(crate) struct SimSubscriber {
    max: tracing::Level,
    echo: bool,
    next_span: AtomicU64,
}

pub(crate) fn to_tracing(level: Level) -> tracing::Level {
    match level {
        Level::Error => tracing::Level::ERROR,
        Level::Warn => tracing::Level::WARN,
        Level::Info => tracing::Level::INFO,
        Level::Debug => tracing::Level::DEBUG,
        Level::Trace => tracing::Level::TRACE,
    }
}

fn from_tracing(level: &tracing::Level) -> Level {
    match *level {
        tracing::Level::ERROR => Level::Error,
        tracing::Level::WARN => Level::Warn,
        tracing::Level::INFO => Level::Info,
        tracing::Level::DEBUG => Level::Debug,
        _ => Level::Trace,
    }
}

impl SimSubscriber {
    /// The dispatcher for runs with these settings. Making a `Dispatch`
    /// registers it with every `tracing` call site under a process-wide lock, so
    /// each thread keeps one per setting and reuses it for every simulation
    /// (the subscriber holds no state of a run: it finds the run through the
    /// thread's current simulation).
    pub(crate) fn dispatch(max: Level, echo: bool) -> tracing::Dispatch {
        thread_local! {
            static CACHE: std::cell::RefCell<Vec<(Level, bool, tracing::Dispatch)>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        CACHE.with(|cache| {
            let mut cache = cache.borrow_mut();
            if let Some((_, _, d)) = cache.iter().find(|(l, e, _)| *l == max && *e == echo) {
                return d.clone();
            }
            let d = tracing::Dispatch::new(SimSubscriber { max: to_tracing(max), echo, next_span: AtomicU64::new(1) });
            cache.push((max, echo, d.clone()));
            d
        })
    }
}

/// Writes the message first, then the other fields as ` name=value`.
struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            let _ = write!(self.0, " {}={}", field.name(), value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={:?}", field.name(), value);
        }
    }
}

impl Subscriber for SimSubscriber {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= &self.max
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::from_level(self.max))
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed))
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let level = from_tracing(event.metadata().level());
        CTX.try_with(|inner| {
            let node = inner.current_node();
            // A log from inside the simulator's own bookkeeping (e.g. a `Debug`
            // impl rendering a message) cannot be recorded re-entrantly: skip it.
            let Ok(mut st) = inner.state.try_borrow_mut() else { return };
            let st = &mut *st;
            let now = st.now;
            if self.echo {
                let mut line = String::new();
                event.record(&mut Fields(&mut line));
                eprintln!(
                    "{} {:>10} {:>5} {}",
                    crate::time::Instant::from_nanos(now),
                    st.nodes.name(node),
                    level.name(),
                    line
                );
            }
            st.rec.push_text(now, node, |s| event.record(&mut Fields(s)), |text| TraceEvent::Log { level, text });
        });
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

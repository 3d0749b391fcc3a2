//! Catching panics of simulated code: a panic ends the run, not the process.
//!
//! A process-wide panic hook is installed once; while a simulation is current
//! on a thread it keeps the panic's message and location for the run's outcome
//! instead of printing them, and otherwise it defers to the hook that was there
//! before. A panic that escapes the simulator itself (a bug in microsim) is
//! printed by [`escalate`] before it unwinds further.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Installs the hook (idempotent).
pub(crate) fn install_hook() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if crate::runtime::CTX.is_set() {
                let location = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
                let message = payload_message(info.payload());
                LAST.with(|l| *l.borrow_mut() = Some(format!("{message}{location}")));
            } else {
                previous(info);
            }
        }));
    });
}

fn payload_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}

/// Runs `f` (with a simulation current), turning a panic into its message
/// (with location).
#[inline(always)]
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| take_message(&*payload))
}

/// The message of a panic caught with `catch_unwind` (as `catch` gives it);
/// drops the payload.
#[cold]
pub(crate) fn message(payload: Box<dyn std::any::Any + Send>) -> String {
    take_message(&*payload)
}

fn take_message(payload: &(dyn std::any::Any + Send)) -> String {
    LAST.with(|l| l.borrow_mut().take()).unwrap_or_else(|| payload_message(payload))
}

/// Runs `f` (the simulator's own code, with a simulation current); a panic in
/// it is a bug of microsim's: print it, since the hook kept it quiet, and go on
/// unwinding.
pub(crate) fn escalate<R>(f: impl FnOnce() -> R) -> R {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            eprintln!("microsim: internal panic: {}", take_message(&*payload));
            panic::resume_unwind(payload)
        }
    }
}

//! Catching panics of simulated code: a panic ends the run, not the process.
//!
//! A process-wide panic hook is installed once; while simulated code runs on a
//! thread it keeps the panic's message and location for the run's outcome
//! instead of printing them, and outside simulated code it defers to the hook
//! that was there before.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static IN_SIM: Cell<bool> = const { Cell::new(false) };
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Installs the hook (idempotent).
pub(crate) fn install_hook() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if IN_SIM.with(Cell::get) {
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

/// Runs `f`, turning a panic into its message (with location).
#[inline]
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    let was = IN_SIM.with(|s| s.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    IN_SIM.with(|s| s.set(was));
    result.map_err(|payload| LAST.with(|l| l.borrow_mut().take()).unwrap_or_else(|| payload_message(&*payload)))
}

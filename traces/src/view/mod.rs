//! Views of a trace for the person debugging a run: a text space-time diagram
//! ([`text`]), a self-contained HTML Lamport diagram ([`html`]) and the call
//! tree of each request ([`calls`]). Each reads the trace as a stream
//! ([`crate::TraceReader`]), so a large trace is never held whole, and escapes
//! every string it shows: a trace is untrusted input.

pub mod calls;
mod escape;
mod filter;
pub mod html;
mod lamport;
pub mod text;

pub use escape::{escape_html, escape_terminal};
pub use filter::{parse_time_ns, Filter};

use crate::error::TraceError;

/// Why a view could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// The trace could not be read.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// The filter names something the trace does not have.
    #[error("{0}")]
    Filter(String),
    /// Writing the view failed.
    #[error("writing the view: {0}")]
    Io(#[from] std::io::Error),
}

//! Errors of reading and writing traces.

use thiserror::Error;

/// Why a trace could not be read or written.
#[derive(Debug, Error)]
pub enum TraceError {
    /// Reading or writing the underlying stream failed.
    #[error("trace I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A line is not what the format allows.
    #[error("line {line}: {message}")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// What was wrong and what was expected.
        message: String,
    },
    /// The stream is empty: a trace needs at least its header line.
    #[error("empty trace: expected a header line first")]
    Empty,
}

impl TraceError {
    pub(crate) fn at(line: usize, message: impl Into<String>) -> TraceError {
        TraceError::Malformed { line, message: message.into() }
    }
}

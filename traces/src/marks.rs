//! What a checker found, to highlight in a view: the violated property and the
//! operations of a failing history (for example a non-linearizable one).
//!
//! Checkers convert their counterexamples into [`Marks`]; `microsim show --html
//! OUT --marks MARKS.json` reads it as JSON:
//!
//! ```json
//! {"property": "linearizable", "message": "read saw a value never written",
//!  "ops": [{"process": "client0", "node": "client0", "start_ns": 1000000,
//!           "end_ns": 3000000, "text": "read -> 7"}]}
//! ```

use serde::{Deserialize, Serialize};

/// The violated property and the failing operations of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marks {
    /// The property that does not hold (e.g. `linearizable`).
    #[serde(default)]
    pub property: Option<String>,
    /// What the checker says about it.
    #[serde(default)]
    pub message: Option<String>,
    /// The operations to highlight.
    #[serde(default)]
    pub ops: Vec<MarkedOp>,
}

/// One operation of a history, highlighted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkedOp {
    /// The process (client) that made it.
    pub process: String,
    /// The node it ran at, if it is one of the trace's nodes.
    #[serde(default)]
    pub node: Option<String>,
    /// When it was invoked, in virtual nanoseconds.
    pub start_ns: u64,
    /// When it returned (`None`: it never did).
    #[serde(default)]
    pub end_ns: Option<u64>,
    /// What it was, e.g. `write 3` or `read -> 7`.
    pub text: String,
}

impl Marks {
    /// Reads marks from JSON, with an error naming what is wrong.
    pub fn from_json(json: &str) -> Result<Marks, String> {
        serde_json::from_str(json).map_err(|e| format!("not marks ({{property, message, ops: [...]}}): {e}"))
    }
}

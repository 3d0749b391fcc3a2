//! Errors of the simulator's API: bad names, impossible node transitions, ports in use.

use thiserror::Error;

/// A request the simulator could not carry out. Nothing about the run changed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SimError {
    /// No node of that name is registered.
    #[error("unknown node `{0}`: no node of that name was registered")]
    UnknownNode(String),
    /// A node of that name is already registered.
    #[error("duplicate node `{0}`: a node of that name is already registered")]
    DuplicateNode(String),
    /// A node or port name that is not allowed.
    #[error("invalid name {name:?}: {why}")]
    InvalidName {
        /// The offending name.
        name: String,
        /// What a name must be.
        why: &'static str,
    },
    /// A node operation that does not apply to the node's current state.
    #[error("cannot {op} node `{node}`: it is {status} (expected {expected})")]
    WrongState {
        /// The node.
        node: String,
        /// The operation (`crash`, `restart`, `pause`, `resume`).
        op: &'static str,
        /// The node's state.
        status: &'static str,
        /// The state(s) the operation needs.
        expected: &'static str,
    },
    /// A socket is already bound to that port on this node.
    #[error("port `{port}` of node `{node}` is already bound")]
    AddrInUse {
        /// The node.
        node: String,
        /// The port.
        port: String,
    },
}

/// Checks a node or port name: 1 to 64 characters, no control characters.
pub(crate) fn check_name(name: &str) -> Result<(), SimError> {
    let bytes = name.as_bytes();
    // The common case in one pass: 1 to 64 printable ASCII bytes, no leading `#`.
    if matches!(bytes.first(), Some(&b) if b != b'#')
        && bytes.len() <= 64
        && bytes.iter().all(|b| (b' '..=b'~').contains(b))
    {
        return Ok(());
    }
    let why = if name.is_empty() {
        "a name must not be empty"
    } else if name.chars().count() > 64 {
        "a name must be at most 64 characters"
    } else if name.chars().any(char::is_control) {
        "a name must not contain control characters"
    } else if name.starts_with('#') {
        "a name must not start with `#` (reserved for ephemeral ports)"
    } else {
        return Ok(());
    };
    Err(SimError::InvalidName { name: name.to_string(), why })
}

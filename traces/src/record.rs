//! The compact record of one simulation event, and the small types it is made of.
//!
//! Records are `Copy` and hold no heap data: names are indices into the trace's
//! header tables and texts are ranges of the trace's text arena.

use std::fmt;

/// Index of a node in [`crate::Header::nodes`].
pub type NodeIx = u32;

/// The node index used for events that belong to no node (the test's side).
pub const NO_NODE: NodeIx = u32::MAX;

/// A port: a named endpoint of a node, or an ephemeral one (used for RPC replies).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Port(pub u32);

impl Port {
    const EPHEMERAL_BIT: u32 = 1 << 31;

    /// The named port with index `ix` into [`crate::Header::ports`].
    pub fn named(ix: u32) -> Port {
        assert!(ix < Self::EPHEMERAL_BIT, "port index {ix} out of range");
        Port(ix)
    }

    /// The ephemeral port with number `n`.
    pub fn ephemeral(n: u32) -> Port {
        assert!(n < Self::EPHEMERAL_BIT, "ephemeral port {n} out of range");
        Port(n | Self::EPHEMERAL_BIT)
    }

    /// The index of a named port, `None` for an ephemeral one.
    pub fn named_index(self) -> Option<u32> {
        (self.0 & Self::EPHEMERAL_BIT == 0).then_some(self.0)
    }

    /// The number of an ephemeral port, `None` for a named one.
    pub fn ephemeral_number(self) -> Option<u32> {
        (self.0 & Self::EPHEMERAL_BIT != 0).then_some(self.0 & !Self::EPHEMERAL_BIT)
    }
}

/// A range of the trace's text arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Text {
    /// Byte offset of the text in the arena.
    pub start: u32,
    /// Length in bytes.
    pub len: u32,
}

/// Why a message was not delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DropReason {
    /// The destination names no registered node.
    UnknownNode,
    /// The destination node was crashed at delivery time.
    NodeDown,
    /// No socket was bound to the destination port at delivery time.
    NoSocket,
    /// The socket bound there receives another message type.
    TypeMismatch,
    /// The destination socket's queue was full.
    QueueFull,
    /// The message was queued at a node that crashed before reading it.
    Crashed,
    /// Sender and receiver were in different partition groups.
    Partitioned,
    /// The link from sender to receiver was cut.
    Cut,
    /// The network lost it (a loss rate was set).
    Lost,
}

impl DropReason {
    /// Every reason, in the order of their stable codes.
    pub const ALL: [DropReason; 9] = [
        DropReason::UnknownNode,
        DropReason::NodeDown,
        DropReason::NoSocket,
        DropReason::TypeMismatch,
        DropReason::QueueFull,
        DropReason::Crashed,
        DropReason::Partitioned,
        DropReason::Cut,
        DropReason::Lost,
    ];

    /// The stable name used in the JSON-lines format.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::UnknownNode => "unknown-node",
            DropReason::NodeDown => "node-down",
            DropReason::NoSocket => "no-socket",
            DropReason::TypeMismatch => "type-mismatch",
            DropReason::QueueFull => "queue-full",
            DropReason::Crashed => "crashed",
            DropReason::Partitioned => "partitioned",
            DropReason::Cut => "cut",
            DropReason::Lost => "lost",
        }
    }

    /// The reason with the given stable name.
    pub fn from_name(name: &str) -> Option<DropReason> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Severity of a log record, as in `tracing`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Errors.
    Error,
    /// Warnings.
    Warn,
    /// Information.
    Info,
    /// Debugging detail.
    Debug,
    /// Very verbose detail.
    Trace,
}

impl Level {
    /// Every level, most severe first.
    pub const ALL: [Level; 5] = [Level::Error, Level::Warn, Level::Info, Level::Debug, Level::Trace];

    /// The stable lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        }
    }

    /// The level with the given name.
    pub fn from_name(name: &str) -> Option<Level> {
        Self::ALL.into_iter().find(|l| l.name() == name)
    }
}

/// How a remote procedure call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CallOutcome {
    /// The response arrived.
    Ok,
    /// No response arrived within the timeout.
    Timeout,
}

impl CallOutcome {
    /// Every outcome, in the order of their stable codes.
    pub const ALL: [CallOutcome; 2] = [CallOutcome::Ok, CallOutcome::Timeout];

    /// The stable name used in the JSON-lines format.
    pub fn name(self) -> &'static str {
        match self {
            CallOutcome::Ok => "ok",
            CallOutcome::Timeout => "timeout",
        }
    }

    /// The outcome with the given stable name.
    pub fn from_name(name: &str) -> Option<CallOutcome> {
        Self::ALL.into_iter().find(|o| o.name() == name)
    }
}

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The node's factory ran for the first time.
    Start,
    /// The node crashed: its tasks were dropped and its sockets closed.
    Crash,
    /// The node's factory ran again after a crash.
    Restart,
    /// The node was paused: none of its tasks runs until it is resumed.
    Pause,
    /// The node was resumed.
    Resume,
    /// A task was spawned on the node.
    Spawn {
        /// Run-unique task number.
        task: u64,
    },
    /// A task of the node finished (or was dropped by a crash).
    Exit {
        /// Run-unique task number.
        task: u64,
    },
    /// The node sent a message.
    Send {
        /// Run-unique message number.
        msg: u64,
        /// Destination node.
        to: NodeIx,
        /// Destination port.
        port: Port,
        /// The message's rendering.
        text: Text,
    },
    /// A message reached the node's socket.
    Deliver {
        /// The message number of its `Send`.
        msg: u64,
        /// The sending node.
        from: NodeIx,
    },
    /// A message was dropped (the record's node is the intended receiver, or the
    /// sender when the destination is unknown).
    Drop {
        /// The message number of its `Send`.
        msg: u64,
        /// Why it was dropped.
        reason: DropReason,
    },
    /// A timer of the node fired.
    Timer {
        /// Run-unique timer number.
        timer: u64,
    },
    /// A fault was applied (a plan step, a nemesis choice, or a call of the
    /// test's side); the record's node is the node it concerns, if one.
    Fault {
        /// The fault, as a plan step prints it (e.g. `partition [a] | [b c]`).
        text: Text,
    },
    /// The network will deliver a message a second time (duplication).
    Duplicate {
        /// The message number of its `Send`.
        msg: u64,
    },
    /// A log line from the node's code.
    Log {
        /// Its severity.
        level: Level,
        /// The formatted message and fields.
        text: Text,
    },
    /// The node called a remote procedure: a span of a request's call tree began.
    Call {
        /// Run-unique call number (the span), also the request's id on the wire.
        call: u64,
        /// The call whose handler made this one, 0 for a root call.
        parent: u64,
        /// The node called.
        to: NodeIx,
        /// The method: the request type's name.
        text: Text,
    },
    /// A call made by the node ended.
    Return {
        /// The call number of its `Call`.
        call: u64,
        /// How it ended.
        outcome: CallOutcome,
    },
}

impl Event {
    /// The stable short name of the event kind, used in the JSON-lines format.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Start => "start",
            Event::Crash => "crash",
            Event::Restart => "restart",
            Event::Pause => "pause",
            Event::Resume => "resume",
            Event::Spawn { .. } => "spawn",
            Event::Exit { .. } => "exit",
            Event::Send { .. } => "send",
            Event::Deliver { .. } => "deliver",
            Event::Drop { .. } => "drop",
            Event::Timer { .. } => "timer",
            Event::Log { .. } => "log",
            Event::Fault { .. } => "fault",
            Event::Duplicate { .. } => "duplicate",
            Event::Call { .. } => "call",
            Event::Return { .. } => "return",
        }
    }

    /// The event with its text range replaced (the same event when it has no text).
    pub fn with_text(self, text: Text) -> Event {
        match self {
            Event::Send { msg, to, port, .. } => Event::Send { msg, to, port, text },
            Event::Log { level, .. } => Event::Log { level, text },
            Event::Fault { .. } => Event::Fault { text },
            Event::Call { call, parent, to, .. } => Event::Call { call, parent, to, text },
            other => other,
        }
    }

    /// The text this event carries, if any.
    pub fn text(&self) -> Option<Text> {
        match *self {
            Event::Send { text, .. } | Event::Log { text, .. } | Event::Fault { text } | Event::Call { text, .. } => {
                Some(text)
            }
            _ => None,
        }
    }
}

/// Every event kind's stable name, in the order of their codes (1 to 16).
pub const KINDS: [&str; 16] = [
    "start",
    "crash",
    "restart",
    "pause",
    "resume",
    "spawn",
    "exit",
    "send",
    "deliver",
    "drop",
    "timer",
    "log",
    "fault",
    "duplicate",
    "call",
    "return",
];

/// One event of a run: when, where, what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// Global virtual time in nanoseconds since the start of the run.
    pub time_ns: u64,
    /// The node the event happened at ([`NO_NODE`] for the test's side).
    pub node: NodeIx,
    /// What happened.
    pub event: Event,
}

// A record stays six words: the recorder copies records on its hot path.
const _: () = assert!(std::mem::size_of::<Record>() == 48);

//! The scenario's variants: the correct service and three planted bugs, each
//! a classic mistake of replicated configuration stores, off by default.

/// Which version of the service runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// The service as designed.
    Correct,
    /// A strong read is answered from the local state of whichever server the
    /// client asked, a follower included, instead of through the leader's log:
    /// a lagging replica serves stale data.
    StaleRead,
    /// After a reconnect (a watch call that got no answer), the client
    /// resumes its watch from "now" on the new server instead of from the
    /// revision after the last one it saw: the changes in between are lost.
    LostWatch,
    /// The leader acknowledges a put once it is in its own log, before a
    /// majority stores it; if it then loses leadership, the write is lost.
    EarlyAck,
}

impl Variant {
    /// Every variant, the default first, as the scenario lists them.
    pub const ALL: [Variant; 4] = [Variant::Correct, Variant::StaleRead, Variant::LostWatch, Variant::EarlyAck];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Correct => "correct",
            Variant::StaleRead => "stale-read",
            Variant::LostWatch => "lost-watch",
            Variant::EarlyAck => "early-ack",
        }
    }

    /// The variant called `name`.
    pub fn from_name(name: &str) -> Option<Variant> {
        Variant::ALL.into_iter().find(|v| v.name() == name)
    }
}

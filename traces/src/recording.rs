//! Recording a run as it happens ([`Recording`]), the finished recording
//! ([`PackedTrace`]) and the readable [`Trace`].
//!
//! The recorder is on the simulator's hot path: pushing a record is a hash update
//! and (in full mode) one to four 32-bit units in the packed store (see `packed.rs`); texts
//! are written straight into the arena. Records are unpacked into [`Record`]s
//! only when the trace is read.

use crate::hash::{TraceHash, TraceHasher};
use crate::packed::Packed;
use crate::record::{Event, NodeIx, Port, Record, Text, NO_NODE};
use std::borrow::Cow;

/// How much of a run is recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RecordMode {
    /// Nothing: no records, no hash. The fastest mode.
    Off,
    /// Only the trace hash and the record count: enough to compare runs.
    #[default]
    Summary,
    /// Every record and text, plus the hash.
    Full,
}

/// The longest text kept for one record, in bytes; longer texts are cut at a
/// character boundary and end in `…`.
pub const TEXT_LIMIT: usize = 1024;

/// What a trace is about: the run's identity and its name tables.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Header {
    /// The version of microsim that wrote the trace.
    pub microsim_version: String,
    /// The run's seed.
    pub seed: u64,
    /// The name of the pinned RNG algorithm (e.g. `chacha8`).
    pub rng: String,
    /// Node names; records refer to them by index.
    pub nodes: Vec<String>,
    /// Named ports; records refer to them by index.
    pub ports: Vec<String>,
    /// The scenario that ran, when the run was one of a scenario.
    pub scenario: Option<String>,
    /// The scenario's variant.
    pub variant: Option<String>,
    /// The fault plan, as the JSON a plan file holds (`None`: not known; an
    /// empty plan is `{"steps":[]}`).
    pub plan: Option<serde_json::Value>,
    /// The nemesis profile the plan was drawn from (`None`: given by hand or not known).
    pub profile: Option<String>,
}

impl Header {
    /// The name of node `ix` (`-` for [`NO_NODE`], `?` for an index out of range).
    pub fn node_name(&self, ix: NodeIx) -> &str {
        if ix == NO_NODE {
            return "-";
        }
        self.nodes.get(ix as usize).map(String::as_str).unwrap_or("?")
    }

    /// The name of a port: its name, or `#n` for ephemeral port `n`.
    pub fn port_name(&self, port: Port) -> Cow<'_, str> {
        match (port.named_index(), port.ephemeral_number()) {
            (Some(ix), _) => Cow::Borrowed(self.ports.get(ix as usize).map(String::as_str).unwrap_or("?")),
            (_, Some(n)) => Cow::Owned(format!("#{n}")),
            _ => unreachable!("a port is named or ephemeral"),
        }
    }
}

/// Counts of what was recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Counts {
    /// Records pushed (kept or only hashed).
    pub records: u64,
}

/// A recorder for one run.
#[derive(Debug)]
pub struct Recording {
    mode: RecordMode,
    hasher: TraceHasher,
    packed: Packed,
    text: String,
    counts: Counts,
}

impl Recording {
    /// A recorder in the given mode.
    pub fn new(mode: RecordMode) -> Recording {
        Recording {
            mode,
            hasher: TraceHasher::default(),
            packed: Packed::default(),
            text: String::new(),
            counts: Counts::default(),
        }
    }

    /// The mode.
    #[inline(always)]
    pub fn mode(&self) -> RecordMode {
        self.mode
    }

    /// Whether anything is recorded (the mode is not [`RecordMode::Off`]).
    #[inline(always)]
    pub fn is_on(&self) -> bool {
        self.mode != RecordMode::Off
    }

    /// Records an event that carries no text.
    #[inline(always)]
    pub fn push(&mut self, time_ns: u64, node: NodeIx, event: Event) {
        if !self.is_on() {
            return;
        }
        debug_assert!(event.text().is_none(), "use push_text for {}", event.kind());
        let record = Record { time_ns, node, event };
        self.counts.records += 1;
        self.hasher.record(&record, "");
        if self.mode == RecordMode::Full {
            self.packed.push(record, false);
        }
    }

    /// Records an event with a text: `write` appends the text, `make` builds the
    /// event around the text's range.
    #[inline]
    pub fn push_text(
        &mut self,
        time_ns: u64,
        node: NodeIx,
        write: impl FnOnce(&mut String),
        make: impl FnOnce(Text) -> Event,
    ) {
        if !self.is_on() {
            return;
        }
        let start = self.text.len();
        let text = append_limited(&mut self.text, write);
        let record = Record { time_ns, node, event: make(text) };
        self.counts.records += 1;
        self.hasher.record(&record, &self.text[start..]);
        match self.mode {
            RecordMode::Full => self.packed.push(record, false),
            // Summary keeps nothing: the text was only needed for the hash.
            _ => self.text.truncate(start),
        }
    }

    /// Records a send whose text is written later, when the trace is unpacked
    /// (see [`PackedTrace::unpack`]; the hash does not cover the text). Returns
    /// whether the text will be asked for: in full mode, for a send (any other
    /// event is recorded with an empty text).
    #[inline(always)]
    pub fn push_deferred(&mut self, time_ns: u64, node: NodeIx, make: impl FnOnce(Text) -> Event) -> bool {
        if !self.is_on() {
            return false;
        }
        let record = Record { time_ns, node, event: make(Text::default()) };
        self.counts.records += 1;
        self.hasher.record(&record, "");
        let deferred = self.mode == RecordMode::Full && matches!(record.event, Event::Send { .. });
        if self.mode == RecordMode::Full {
            self.packed.push(record, deferred);
        }
        deferred
    }

    /// The records kept so far (empty unless the mode is full), unpacked; deferred
    /// texts are empty.
    pub fn records(&self) -> Vec<Record> {
        self.packed.unpack(Option::unwrap_or_default)
    }

    /// Finishes the recording under the given header; deferred texts are left
    /// empty (see [`Recording::finish_packed`] to fill them in).
    pub fn finish(self, header: Header) -> Trace {
        self.finish_packed(header).unpack(|_, _| {})
    }

    /// Finishes the recording under the given header, keeping the records packed
    /// until [`PackedTrace::unpack`] is called. The hash and counts are known at
    /// once.
    pub fn finish_packed(self, header: Header) -> PackedTrace {
        let hash = self.is_on().then(|| {
            self.hasher.finish(header.nodes.iter().map(String::as_str), header.ports.iter().map(String::as_str))
        });
        PackedTrace { header, mode: self.mode, packed: self.packed, text: self.text, hash, counts: self.counts }
    }
}

/// A finished recording whose records are still packed: its hash and counts are
/// known; [`PackedTrace::unpack`] makes the readable [`Trace`].
#[derive(Debug)]
pub struct PackedTrace {
    header: Header,
    mode: RecordMode,
    packed: Packed,
    text: String,
    hash: Option<TraceHash>,
    counts: Counts,
}

impl PackedTrace {
    /// The trace hash, `None` when recording was off.
    pub fn hash(&self) -> Option<TraceHash> {
        self.hash
    }

    /// What was recorded.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Unpacks the records into a [`Trace`]. `fill` is called once for each send
    /// whose text was deferred (each [`Recording::push_deferred`] that returned
    /// true), in order, with its 0-based ordinal among them, and writes its text
    /// (cut like every text).
    ///
    /// The trace's text arena is laid out anew in record order, as the JSON-lines
    /// reader lays it out, so that a trace equals what it reads back as.
    pub fn unpack(self, mut fill: impl FnMut(usize, &mut String)) -> Trace {
        let PackedTrace { header, mode, packed, text: pushed, hash, counts } = self;
        let mut text = String::with_capacity(pushed.len());
        let mut ordinal = 0;
        let records = packed.unpack(|stored| match stored {
            Some(t) => {
                let start = u32::try_from(text.len()).expect("trace text arena exceeds 4 GiB");
                let copied = range(&pushed, t);
                text.push_str(copied);
                Text { start, len: copied.len() as u32 }
            }
            None => {
                let t = append_limited(&mut text, |s| fill(ordinal, s));
                ordinal += 1;
                t
            }
        });
        Trace { header, mode, records, text, hash, counts }
    }
}

/// The text of `arena` that `text` points to (empty when it points outside).
fn range(arena: &str, text: Text) -> &str {
    let start = text.start as usize;
    arena.get(start..start + text.len as usize).unwrap_or("")
}

/// Appends what `write` writes, cut to [`TEXT_LIMIT`] bytes, and returns its range.
fn append_limited(arena: &mut String, write: impl FnOnce(&mut String)) -> Text {
    let start = arena.len();
    write(arena);
    if arena.len() - start > TEXT_LIMIT {
        let mut cut = start + TEXT_LIMIT;
        while !arena.is_char_boundary(cut) {
            cut -= 1;
        }
        arena.truncate(cut);
        arena.push('…');
    }
    let start32 = u32::try_from(start).expect("trace text arena exceeds 4 GiB");
    Text { start: start32, len: (arena.len() - start) as u32 }
}

/// A finished trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    /// What the trace is about.
    pub header: Header,
    /// How it was recorded.
    pub mode: RecordMode,
    records: Vec<Record>,
    text: String,
    hash: Option<TraceHash>,
    counts: Counts,
}

impl Trace {
    /// The records (empty unless recorded in full).
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The text a record points to.
    pub fn text(&self, text: Text) -> &str {
        range(&self.text, text)
    }

    /// Fills in the text of send record `index` (a record made with
    /// [`Recording::push_deferred`] and unpacked without its text). Does nothing
    /// for any other record.
    pub fn fill_text(&mut self, index: u32, write: impl FnOnce(&mut String)) {
        let Some(record) = self.records.get(index as usize) else { return };
        let Event::Send { .. } = record.event else { return };
        let text = append_limited(&mut self.text, write);
        self.records[index as usize].event = record.event.with_text(text);
    }

    /// The trace hash, `None` when recording was off.
    pub fn hash(&self) -> Option<TraceHash> {
        self.hash
    }

    /// What was recorded.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Builds a trace that kept no records, from its mode, counts and hash (used by
    /// the reader for summary and off traces).
    pub(crate) fn from_summary(header: Header, mode: RecordMode, counts: Counts, hash: Option<TraceHash>) -> Trace {
        Trace { header, mode, records: Vec::new(), text: String::new(), hash, counts }
    }

    /// Builds a full trace from parts (used by the reader).
    pub(crate) fn from_parts(header: Header, records: Vec<Record>, text: String) -> Trace {
        let mut hasher = TraceHasher::default();
        for r in &records {
            let t = r.event.text().map(|t| &text[t.start as usize..(t.start + t.len) as usize]).unwrap_or("");
            hasher.record(r, t);
        }
        let hash = hasher.finish(header.nodes.iter().map(String::as_str), header.ports.iter().map(String::as_str));
        let counts = Counts { records: records.len() as u64 };
        Trace { header, mode: RecordMode::Full, records, text, hash: Some(hash), counts }
    }
}

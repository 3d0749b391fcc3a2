//! The compact in-memory form of a full recording: records packed into 64-bit
//! words while the run goes on, unpacked into [`Record`]s when the trace is read.
//!
//! A [`Record`] is 48 bytes. Memory that a run touches for the first time is
//! what a full recording costs most (page faults and cache misses, far more than
//! the instructions of packing), so the store keeps only what it cannot
//! recompute, in one of four forms, in 32-bit units. Every form starts with a
//! unit whose bits 0..4 hold a form-and-kind code; the forms after the first
//! are made of 64-bit words (each two units, low half first):
//!
//! - a **mini** record is one unit (code 15; bit 4 says which): a send as the
//!   tiny one below, from and to nodes below 15, a named port below 4 and at
//!   most 2^17 ns (131 us) after the previous record: the node plus one in bits
//!   5..9, the destination plus one in bits 9..13, the port in bits 13..15 and
//!   the time step in bits 15..32. Or a deliver of one of the last 8 sends,
//!   from its sender to its destination (so that neither needs keeping: both
//!   ends recall them from the send), at most 2^24 ns (16 ms) after the
//!   previous record: how many sends back it was sent in bits 5..8, the time
//!   step in bits 8..32. Most messages of a small system take one unit each way.
//! - a **tiny** record is one word: a send whose message number is the previous
//!   send's plus one and whose text is deferred (see
//!   [`crate::Recording::push_deferred`]), or a deliver of a message sent at most
//!   4095 sends ago. Code 13 (send) or 14 (deliver); bits 4..14 the node index
//!   plus one (so that [`crate::NO_NODE`] is 0); bits 14..24 the destination
//!   (send) or sender (deliver) plus one; bits 24..36 the port (send: a named
//!   port below 4096) or how many sends back the message was sent (deliver: the
//!   last send's number minus the message's); bits 36..64 the time since the
//!   previous record (below 2^28 ns, about 268 ms).
//! - a **short** record is two words. Word `a` holds the kind code (1 to 12, as
//!   in the trace hash), the node index plus one (bits 4..20) and the time since
//!   the previous record (bits 20..64). Word `b` holds the kind's fields: the
//!   task or timer number; for a deliver, the message number (bits 0..48) and
//!   the sender plus one (bits 48..64); for a drop, the message number and the
//!   reason code (bits 48..56); for a log, the level code (bits 0..3), the
//!   text's start (bits 3..35) and length (bits 35..64); for a send, the
//!   destination plus one (bits 0..16) and the port (bits 16..48): a short send's
//!   message number is the previous send's plus one and its text is deferred.
//! - a **long** record is any other, four words (five for a send, six for a
//!   call): code 0, the real kind code in bits 4..12, a deferred-text flag in
//!   bit 12 and the node in bits 32..64; the absolute time; two fields and, for
//!   a send or a call, one or two more (see [`long_fields`]). Faults (kind 13),
//!   duplications (kind 14), calls and returns (kinds 15 and 16), rare, are
//!   always long: the first two codes are the tiny forms' in the first word,
//!   the others do not fit its four bits.
//!
//! Packing is lossless: [`Packed::unpack`] gives back exactly the records pushed.

use crate::record::{CallOutcome, DropReason, Event, Level, NodeIx, Port, Record, Text};

const KIND_BITS: u32 = 4;
const KIND_MASK: u64 = (1 << KIND_BITS) - 1;
/// Width of a node index plus one in a short record.
const NODE_BITS: u32 = 16;
const TIME_SHIFT: u32 = KIND_BITS + NODE_BITS;
/// Width of the time step in a short record.
const STEP_BITS: u32 = 64 - TIME_SHIFT;
/// Width of a message number in a short deliver or drop.
const MSG_BITS: u32 = 48;
/// Width of a text's length in a short log.
const TEXT_LEN_BITS: u32 = 29;
const MAX_NODE1: u64 = (1 << NODE_BITS) - 1;
const MAX_MSG: u64 = (1 << MSG_BITS) - 1;
#[cfg(test)]
const MAX_STEP: u64 = (1 << STEP_BITS) - 1;
/// The kind code of a long record, in its first word (above the form code 0).
const LONG_KIND_MASK: u64 = 0xff;
/// Flag of a long record whose text is deferred.
const DEFERRED: u64 = 1 << 12;

/// Code of a tiny send.
const TINY_SEND: u64 = 13;
/// Code of a tiny deliver.
const TINY_DELIVER: u64 = 14;
/// Width of the node, the other node and the port or send distance of a tiny record.
const TINY_NODE_BITS: u32 = 10;
const TINY_FIELD_BITS: u32 = 12;
const TINY_OTHER_SHIFT: u32 = KIND_BITS + TINY_NODE_BITS;
const TINY_FIELD_SHIFT: u32 = TINY_OTHER_SHIFT + TINY_NODE_BITS;
const TINY_TIME_SHIFT: u32 = TINY_FIELD_SHIFT + TINY_FIELD_BITS;
/// Width of the time step of a tiny record.
const TINY_STEP_BITS: u32 = 64 - TINY_TIME_SHIFT;
const TINY_NODE_MASK: u64 = (1 << TINY_NODE_BITS) - 1;
const TINY_FIELD_MASK: u64 = (1 << TINY_FIELD_BITS) - 1;

/// Code of a mini record (bit [`MINI_DELIVER`] set: a deliver).
const MINI: u32 = 15;
const MINI_DELIVER: u32 = 1 << KIND_BITS;
const MINI_FIELD_SHIFT: u32 = KIND_BITS + 1;
/// Width of a node plus one in a mini send (and in the sends a mini deliver names).
const MINI_NODE_BITS: u32 = 4;
const MINI_NODE_MASK: u64 = (1 << MINI_NODE_BITS) - 1;
const MINI_PORT_BITS: u32 = 2;
/// Width of the send distance of a mini deliver.
const MINI_BACK_BITS: u32 = 3;
const MINI_SEND_TIME_SHIFT: u32 = MINI_FIELD_SHIFT + 2 * MINI_NODE_BITS + MINI_PORT_BITS;
const MINI_DELIVER_TIME_SHIFT: u32 = MINI_FIELD_SHIFT + MINI_BACK_BITS;
/// Width of the time step of a mini send and of a mini deliver.
const MINI_SEND_STEP_BITS: u32 = 32 - MINI_SEND_TIME_SHIFT;
const MINI_DELIVER_STEP_BITS: u32 = 32 - MINI_DELIVER_TIME_SHIFT;
/// How many of the last sends a mini deliver can name (and both ends recall).
const RECENT: u64 = 1 << MINI_BACK_BITS;

/// The last sends, for mini delivers to name: message `m`'s entry, at
/// `m % RECENT`, is [`recent_key`] of it, its sender and its destination.
/// One cache line, kept by the packer and the unpacker alike.
#[derive(Clone, Debug, Default)]
struct Recent([u64; RECENT as usize]);

/// The entry of message `msg` from `from1` to `to1` (nodes plus one) in
/// [`Recent`]: [`mini_key`], or `u64::MAX` (which no deliver looks for) when a
/// field does not fit.
#[inline(always)]
fn recent_key(msg: u64, from1: u64, to1: u64) -> u64 {
    if (from1 | to1) >> MINI_NODE_BITS | msg >> MSG_BITS == 0 {
        mini_key(msg, from1, to1)
    } else {
        u64::MAX
    }
}

/// `msg << 8 | from1 << 4 | to1`, for fields known to fit (`from1` and `to1`
/// below 16, `msg` below 2^48).
#[inline(always)]
fn mini_key(msg: u64, from1: u64, to1: u64) -> u64 {
    msg << (2 * MINI_NODE_BITS) | from1 << MINI_NODE_BITS | to1
}

impl Recent {
    #[inline(always)]
    fn slot(&mut self, msg: u64) -> &mut u64 {
        &mut self.0[(msg % RECENT) as usize]
    }
}

/// The kind code of an event (the same codes as the trace hash).
#[inline(always)]
pub(crate) fn kind_code(event: &Event) -> u64 {
    match event {
        Event::Start => 1,
        Event::Crash => 2,
        Event::Restart => 3,
        Event::Pause => 4,
        Event::Resume => 5,
        Event::Spawn { .. } => 6,
        Event::Exit { .. } => 7,
        Event::Send { .. } => 8,
        Event::Deliver { .. } => 9,
        Event::Drop { .. } => 10,
        Event::Timer { .. } => 11,
        Event::Log { .. } => 12,
        Event::Fault { .. } => 13,
        Event::Duplicate { .. } => 14,
        Event::Call { .. } => 15,
        Event::Return { .. } => 16,
    }
}

/// A node index plus one, wrapping, so that [`crate::NO_NODE`] is 0.
#[inline(always)]
fn node1(node: NodeIx) -> u64 {
    u64::from(node.wrapping_add(1))
}

/// The node index of [`node1`]'s value.
#[inline(always)]
fn from_node1(v: u64) -> NodeIx {
    (v as u32).wrapping_sub(1)
}

fn text_word(text: Text) -> u64 {
    u64::from(text.start) | u64::from(text.len) << 32
}

fn word_text(w: u64) -> Text {
    Text { start: w as u32, len: (w >> 32) as u32 }
}

/// The fields of a long record after its time, and how many there are: by
/// kind `[task, 0]`, `[timer, 0]`, `[msg, to | port << 32, text]`, `[msg, from]`,
/// `[msg, reason code]`, `[level code, text]`, `[0, text]`, `[msg, 0]`,
/// `[call, parent, to, text]`, `[call, outcome code]` or `[0, 0]`, where `text`
/// is a text word (start | len << 32).
#[inline(always)]
fn long_fields(event: Event, deferred: bool) -> ([u64; 4], usize) {
    match event {
        Event::Start | Event::Crash | Event::Restart | Event::Pause | Event::Resume => ([0; 4], 2),
        Event::Spawn { task } | Event::Exit { task } => ([task, 0, 0, 0], 2),
        Event::Timer { timer } => ([timer, 0, 0, 0], 2),
        Event::Send { msg, to, port, text } => {
            let text = if deferred { Text::default() } else { text };
            ([msg, u64::from(to) | u64::from(port.0) << 32, text_word(text), 0], 3)
        }
        Event::Deliver { msg, from } => ([msg, u64::from(from), 0, 0], 2),
        Event::Drop { msg, reason } => ([msg, reason as u64, 0, 0], 2),
        Event::Log { level, text } => ([level as u64, text_word(text), 0, 0], 2),
        Event::Fault { text } => ([0, text_word(text), 0, 0], 2),
        Event::Duplicate { msg } => ([msg, 0, 0, 0], 2),
        Event::Call { call, parent, to, text } => ([call, parent, u64::from(to), text_word(text)], 4),
        Event::Return { call, outcome } => ([call, outcome as u64, 0, 0], 2),
    }
}

/// A tiny record's word.
#[inline(always)]
fn tiny_word(code: u64, n1: u64, other1: u64, field: u64, step: u64) -> u64 {
    code | n1 << KIND_BITS | other1 << TINY_OTHER_SHIFT | field << TINY_FIELD_SHIFT | step << TINY_TIME_SHIFT
}

/// The units of the first chunk, and of the largest.
const FIRST_CHUNK: usize = 1024;
const MAX_CHUNK: usize = 1 << 16;

/// 32-bit units kept in chunks that never move: growing the store touches only
/// new memory (a `Vec` that doubles copies what it holds to memory it touches
/// for the first time), and a record never straddles two chunks.
#[derive(Clone, Debug, Default)]
struct Words {
    full: Vec<Vec<u32>>,
    last: Vec<u32>,
}

impl Words {
    #[inline(always)]
    fn push_unit(&mut self, unit: u32) {
        if self.last.len() == self.last.capacity() {
            self.next_chunk();
        }
        self.last.push(unit);
    }

    /// Pushes 64-bit words, each as two units (low half first).
    #[inline(always)]
    fn extend_from_slice(&mut self, words: &[u64]) {
        if self.last.capacity() - self.last.len() < 2 * words.len() {
            self.next_chunk();
        }
        for &w in words {
            self.last.extend_from_slice(&[w as u32, (w >> 32) as u32]);
        }
    }

    #[cold]
    #[inline(never)]
    fn next_chunk(&mut self) {
        let capacity = (2 * self.last.capacity()).clamp(FIRST_CHUNK, MAX_CHUNK);
        let full = std::mem::replace(&mut self.last, Vec::with_capacity(capacity));
        if !full.is_empty() {
            self.full.push(full);
        }
    }

    fn len(&self) -> usize {
        self.full.iter().map(Vec::len).sum::<usize>() + self.last.len()
    }

    fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.full.iter().chain([&self.last]).flatten().copied()
    }
}

/// Records packed into words.
#[derive(Clone, Debug, Default)]
pub(crate) struct Packed {
    words: Words,
    /// The time of the last record pushed.
    last_time: u64,
    /// The message number of the last send pushed.
    last_msg: u64,
    recent: Recent,
}

impl Packed {
    /// Packs one record. `deferred` says that a send's text is to be filled in
    /// when the trace is read (its `text` is then ignored).
    #[inline(always)]
    pub(crate) fn push(&mut self, record: Record, deferred: bool) {
        let Record { time_ns, node, event } = record;
        let step = time_ns.wrapping_sub(self.last_time);
        self.last_time = time_ns;
        let n1 = node1(node);
        let code = kind_code(&event);
        // Nonzero when the record does not fit the short form: the bits of every
        // field above its width, or'ed (one branch instead of one per field).
        let mut over = step >> STEP_BITS | n1 >> NODE_BITS;
        let b = match event {
            Event::Start | Event::Crash | Event::Restart | Event::Pause | Event::Resume => 0,
            Event::Spawn { task } | Event::Exit { task } => task,
            Event::Timer { timer } => timer,
            Event::Send { msg, to, port, .. } => {
                let to1 = node1(to);
                let port = u64::from(port.0);
                let seq = (msg ^ self.last_msg.wrapping_add(1)) | u64::from(!deferred);
                self.last_msg = msg;
                let mini = (n1 | to1) >> MINI_NODE_BITS | port >> MINI_PORT_BITS | step >> MINI_SEND_STEP_BITS;
                if seq | mini | msg >> MSG_BITS == 0 {
                    // Every field fits: `recent_key` without its test.
                    *self.recent.slot(msg) = mini_key(msg, n1, to1);
                    let fields = n1 | to1 << MINI_NODE_BITS | port << (2 * MINI_NODE_BITS);
                    self.words
                        .push_unit(MINI | (fields as u32) << MINI_FIELD_SHIFT | (step as u32) << MINI_SEND_TIME_SHIFT);
                    return;
                }
                *self.recent.slot(msg) = recent_key(msg, n1, to1);
                let tiny = (n1 | to1) >> TINY_NODE_BITS | port >> TINY_FIELD_BITS | step >> TINY_STEP_BITS;
                if seq | tiny == 0 {
                    self.words.extend_from_slice(&[tiny_word(TINY_SEND, n1, to1, port, step)]);
                    return;
                }
                over |= seq | to1 >> NODE_BITS;
                to1 | port << 16
            }
            Event::Deliver { msg, from } => {
                let from1 = node1(from);
                let back = self.last_msg.wrapping_sub(msg);
                let fits = (from1 | n1) >> MINI_NODE_BITS | msg >> MSG_BITS | back >> MINI_BACK_BITS;
                if fits | step >> MINI_DELIVER_STEP_BITS == 0 && *self.recent.slot(msg) == mini_key(msg, from1, n1) {
                    let unit = MINI | MINI_DELIVER | (back as u32) << MINI_FIELD_SHIFT;
                    self.words.push_unit(unit | (step as u32) << MINI_DELIVER_TIME_SHIFT);
                    return;
                }
                let tiny = (n1 | from1) >> TINY_NODE_BITS | back >> TINY_FIELD_BITS | step >> TINY_STEP_BITS;
                if tiny == 0 {
                    self.words.extend_from_slice(&[tiny_word(TINY_DELIVER, n1, from1, back, step)]);
                    return;
                }
                over |= msg >> MSG_BITS | from1 >> NODE_BITS;
                msg | from1 << MSG_BITS
            }
            Event::Drop { msg, reason } => {
                over |= msg >> MSG_BITS;
                msg | (reason as u64) << MSG_BITS
            }
            Event::Log { level, text } => {
                over |= u64::from(text.len >> TEXT_LEN_BITS);
                level as u64 | u64::from(text.start) << 3 | u64::from(text.len) << 35
            }
            // Rare kinds whose codes the tiny forms use or that do not fit: always long.
            Event::Fault { .. } | Event::Duplicate { .. } | Event::Call { .. } | Event::Return { .. } => {
                over = 1;
                0
            }
        };
        if over == 0 {
            self.words.extend_from_slice(&[code | n1 << KIND_BITS | step << TIME_SHIFT, b]);
        } else {
            // The long fields are worked out here, on the cold branch, and
            // passed as words: passing the event would make the compiler store
            // it to memory on every push.
            let (fields, n) = long_fields(event, deferred);
            let flags = if deferred { DEFERRED } else { 0 };
            self.push_long(code << KIND_BITS | flags | u64::from(node) << 32, time_ns, fields, n);
        }
    }

    #[cold]
    #[inline(never)]
    fn push_long(&mut self, head: u64, time_ns: u64, fields: [u64; 4], n: usize) {
        let [x, y, z, w] = fields;
        let words = [head, time_ns, x, y, z, w];
        self.words.extend_from_slice(&words[..2 + n]);
    }

    /// How many 32-bit units the records take.
    #[cfg(test)]
    fn unit_count(&self) -> usize {
        self.words.len()
    }

    /// Unpacks every record in order, calling `text` for each record that has a
    /// text, in order: with `Some` of the text pushed, or `None` for a deferred
    /// one; it returns the text to put in the record.
    pub(crate) fn unpack(&self, mut text: impl FnMut(Option<Text>) -> Text) -> Vec<Record> {
        // Every form takes at least one unit; most records of a long run, one.
        let mut out = Vec::with_capacity(self.words.len());
        let (mut time, mut last_msg) = (0u64, 0u64);
        let mut recent = Recent::default();
        let mut units = self.words.iter();
        while let Some(first) = units.next() {
            if first & KIND_MASK as u32 == MINI {
                let fields = u64::from(first >> MINI_FIELD_SHIFT);
                let (node, event) = if first & MINI_DELIVER == 0 {
                    time = time.wrapping_add(u64::from(first >> MINI_SEND_TIME_SHIFT));
                    last_msg = last_msg.wrapping_add(1);
                    let (n1, to1) = (fields & MINI_NODE_MASK, (fields >> MINI_NODE_BITS) & MINI_NODE_MASK);
                    let port = (fields >> (2 * MINI_NODE_BITS)) & ((1 << MINI_PORT_BITS) - 1);
                    *recent.slot(last_msg) = recent_key(last_msg, n1, to1);
                    (
                        from_node1(n1),
                        Event::Send { msg: last_msg, to: from_node1(to1), port: Port(port as u32), text: text(None) },
                    )
                } else {
                    time = time.wrapping_add(u64::from(first >> MINI_DELIVER_TIME_SHIFT));
                    let msg = last_msg.wrapping_sub(fields & (RECENT - 1));
                    let key = *recent.slot(msg);
                    assert!(
                        key != u64::MAX && key >> (2 * MINI_NODE_BITS) == msg,
                        "a mini deliver names one of the last {RECENT} sends"
                    );
                    let (from1, to1) = ((key >> MINI_NODE_BITS) & MINI_NODE_MASK, key & MINI_NODE_MASK);
                    (from_node1(to1), Event::Deliver { msg, from: from_node1(from1) })
                };
                out.push(Record { time_ns: time, node, event });
                continue;
            }
            let a = u64::from(first) | u64::from(units.next().expect("a packed record is whole")) << 32;
            let mut next = || {
                let lo = units.next().expect("a packed record is whole");
                u64::from(lo) | u64::from(units.next().expect("a packed record is whole")) << 32
            };
            let code = a & KIND_MASK;
            let (node, event) = if code == TINY_SEND || code == TINY_DELIVER {
                time = time.wrapping_add(a >> TINY_TIME_SHIFT);
                let node = from_node1((a >> KIND_BITS) & TINY_NODE_MASK);
                let other = from_node1((a >> TINY_OTHER_SHIFT) & TINY_NODE_MASK);
                let field = (a >> TINY_FIELD_SHIFT) & TINY_FIELD_MASK;
                let event = if code == TINY_SEND {
                    last_msg = last_msg.wrapping_add(1);
                    *recent.slot(last_msg) = recent_key(last_msg, node1(node), node1(other));
                    Event::Send { msg: last_msg, to: other, port: Port(field as u32), text: text(None) }
                } else {
                    Event::Deliver { msg: last_msg.wrapping_sub(field), from: other }
                };
                (node, event)
            } else if code != 0 {
                let b = next();
                time = time.wrapping_add(a >> TIME_SHIFT);
                let node = from_node1((a >> KIND_BITS) & MAX_NODE1);
                let event = match code {
                    8 => {
                        last_msg = last_msg.wrapping_add(1);
                        let to = from_node1(b & MAX_NODE1);
                        *recent.slot(last_msg) = recent_key(last_msg, node1(node), node1(to));
                        Event::Send { msg: last_msg, to, port: Port((b >> 16) as u32), text: text(None) }
                    }
                    9 => Event::Deliver { msg: b & MAX_MSG, from: from_node1(b >> MSG_BITS) },
                    10 => Event::Drop { msg: b & MAX_MSG, reason: reason((b >> MSG_BITS) & 0xff) },
                    12 => {
                        let pushed = Text { start: (b >> 3) as u32, len: (b >> 35) as u32 };
                        Event::Log { level: level(b & 7), text: text(Some(pushed)) }
                    }
                    _ => simple(code, b),
                };
                (node, event)
            } else {
                let code = (a >> KIND_BITS) & LONG_KIND_MASK;
                time = next();
                let node = (a >> 32) as NodeIx;
                let (x, y) = (next(), next());
                let event = match code {
                    8 => {
                        let pushed = word_text(next());
                        last_msg = x;
                        *recent.slot(x) = recent_key(x, node1(node), node1(y as NodeIx));
                        let text = text((a & DEFERRED == 0).then_some(pushed));
                        Event::Send { msg: x, to: y as NodeIx, port: Port((y >> 32) as u32), text }
                    }
                    9 => Event::Deliver { msg: x, from: y as NodeIx },
                    10 => Event::Drop { msg: x, reason: reason(y) },
                    12 => Event::Log { level: level(x), text: text(Some(word_text(y))) },
                    13 => Event::Fault { text: text(Some(word_text(y))) },
                    14 => Event::Duplicate { msg: x },
                    15 => {
                        let to = next() as NodeIx;
                        Event::Call { call: x, parent: y, to, text: text(Some(word_text(next()))) }
                    }
                    16 => Event::Return { call: x, outcome: CallOutcome::ALL[y as usize] },
                    _ => simple(code, x),
                };
                (node, event)
            };
            out.push(Record { time_ns: time, node, event });
        }
        out
    }
}

/// The event of a kind code with at most one number field.
fn simple(code: u64, value: u64) -> Event {
    match code {
        1 => Event::Start,
        2 => Event::Crash,
        3 => Event::Restart,
        4 => Event::Pause,
        5 => Event::Resume,
        6 => Event::Spawn { task: value },
        7 => Event::Exit { task: value },
        11 => Event::Timer { timer: value },
        _ => unreachable!("kind code {code} is packed by Packed::push"),
    }
}

fn reason(code: u64) -> DropReason {
    DropReason::ALL[code as usize]
}

fn level(code: u64) -> Level {
    Level::ALL[code as usize]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::NO_NODE;

    fn round_trip(records: &[(Record, bool)]) -> Packed {
        let mut packed = Packed::default();
        for &(r, deferred) in records {
            packed.push(r, deferred);
        }
        let mut filled = 0;
        let back = packed.unpack(|pushed| {
            pushed.unwrap_or_else(|| {
                filled += 1;
                Text { start: 1000 + filled, len: filled }
            })
        });
        let mut filled = 0;
        let expected: Vec<Record> = records
            .iter()
            .map(|&(mut r, deferred)| {
                if let (Event::Send { text, .. }, true) = (&mut r.event, deferred) {
                    filled += 1;
                    *text = Text { start: 1000 + filled, len: filled };
                }
                r
            })
            .collect();
        assert_eq!(back, expected);
        packed
    }

    fn rec(time_ns: u64, node: NodeIx, event: Event) -> (Record, bool) {
        (Record { time_ns, node, event }, false)
    }

    fn send(time_ns: u64, node: NodeIx, msg: u64, to: NodeIx, port: Port) -> (Record, bool) {
        (Record { time_ns, node, event: Event::Send { msg, to, port, text: Text::default() } }, true)
    }

    const TINY_MAX_STEP: u64 = (1 << TINY_STEP_BITS) - 1;

    const MINI_SEND_MAX_STEP: u64 = (1 << MINI_SEND_STEP_BITS) - 1;
    const MINI_DELIVER_MAX_STEP: u64 = (1 << MINI_DELIVER_STEP_BITS) - 1;

    #[test]
    fn a_small_systems_sends_and_deliveries_pack_one_unit_each() {
        // Request and response between nodes 0 and 14 (the highest a mini
        // record names), on ports 0 to 3, at the widest time steps.
        let mut records = Vec::new();
        let mut t = 0;
        for msg in (1..=2000u64).step_by(2) {
            let (client, port) = ((msg % 15) as NodeIx, Port::named((msg % 4) as u32));
            t += MINI_SEND_MAX_STEP;
            records.push(send(t, client, msg, 14, port));
            t += MINI_DELIVER_MAX_STEP;
            records.push(rec(t, 14, Event::Deliver { msg, from: client }));
            records.push(send(t, 14, msg + 1, client, port));
            t += 1;
            records.push(rec(t, client, Event::Deliver { msg: msg + 1, from: 14 }));
        }
        let packed = round_trip(&records);
        assert_eq!(packed.unit_count(), records.len());
        assert!(!packed.words.full.is_empty(), "the units fill more than a chunk");
    }

    #[test]
    fn random_sends_and_deliveries_near_every_limit_round_trip() {
        // A fixed generator (xorshift): sends and deliveries whose nodes,
        // ports, time steps, message numbers and send distances fall on both
        // sides of every form's limits.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut draw = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let steps =
            [0, 1, MINI_SEND_MAX_STEP, MINI_SEND_MAX_STEP + 1, MINI_DELIVER_MAX_STEP, MINI_DELIVER_MAX_STEP + 1];
        let (mut t, mut msg, mut sent) = (0u64, 0u64, Vec::new());
        let mut records = Vec::new();
        for _ in 0..20_000 {
            t += steps[draw(steps.len() as u64) as usize];
            let node = [0, 1, 14, 15, NO_NODE][draw(5) as usize];
            if sent.is_empty() || draw(2) == 0 {
                msg += if draw(10) == 0 { 2 } else { 1 };
                let to = [0, 1, 13, 14, 15, NO_NODE][draw(6) as usize];
                let port = Port::named(draw(6) as u32);
                let deferred = draw(10) != 0;
                let text = if deferred { Text::default() } else { Text { start: 3, len: 4 } };
                records.push((Record { time_ns: t, node, event: Event::Send { msg, to, port, text } }, deferred));
                sent.push((msg, node, to));
            } else {
                let back = [0, 1, 7, 8, 9][draw(5) as usize].min(sent.len() - 1);
                let (m, from, to) = sent[sent.len() - 1 - back];
                // Mostly at the destination from the sender; sometimes not.
                let (at, from) = if draw(4) == 0 { (node, [0, 14, 15][draw(3) as usize]) } else { (to, from) };
                records.push(rec(t, at, Event::Deliver { msg: m, from }));
            }
        }
        round_trip(&records);
    }

    #[test]
    fn a_deliver_names_one_of_the_last_eight_sends_in_one_unit() {
        let mut records: Vec<_> = (1..=20).map(|msg| send(0, 1, msg, 2, Port::named(0))).collect();
        // Sent 7 sends before the last (mini), 8 (tiny: too far back).
        records.push(rec(0, 2, Event::Deliver { msg: 13, from: 1 }));
        records.push(rec(0, 2, Event::Deliver { msg: 12, from: 1 }));
        assert_eq!(round_trip(&records).unit_count(), 20 + 1 + 2);
    }

    #[test]
    fn a_record_just_past_a_mini_field_takes_the_next_form() {
        let p = Port::named(0);
        let records = [
            // One step too long (tiny), a node too high (tiny), a port too high (tiny).
            send(MINI_SEND_MAX_STEP + 1, 0, 1, 1, p),
            send(MINI_SEND_MAX_STEP + 1, 15, 2, 1, p),
            send(MINI_SEND_MAX_STEP + 1, 0, 3, 15, p),
            send(MINI_SEND_MAX_STEP + 1, 0, 4, 1, Port::named(4)),
            // Not deferred, or not the next message number: long (five words).
            (
                Record {
                    time_ns: MINI_SEND_MAX_STEP + 1,
                    node: 0,
                    event: Event::Send { msg: 5, to: 1, port: p, text: Text::default() },
                },
                false,
            ),
            send(MINI_SEND_MAX_STEP + 1, 0, 7, 1, p),
            // A deliver one step too late (tiny), at another node than the
            // send's destination, or from another node than its sender (tiny).
            rec(2 * MINI_SEND_MAX_STEP + MINI_DELIVER_MAX_STEP + 2, 1, Event::Deliver { msg: 1, from: 0 }),
            rec(2 * MINI_SEND_MAX_STEP + MINI_DELIVER_MAX_STEP + 2, 2, Event::Deliver { msg: 1, from: 0 }),
            rec(2 * MINI_SEND_MAX_STEP + MINI_DELIVER_MAX_STEP + 2, 1, Event::Deliver { msg: 1, from: 3 }),
        ];
        let packed = round_trip(&records);
        assert_eq!(packed.unit_count(), 2 * 4 + 2 * 10 + 2 * 3);
    }

    #[test]
    fn sends_and_deliveries_of_small_numbers_pack_one_word_each() {
        // Nodes and ports too high for the mini form.
        let mut records = vec![
            send(0, 0, 1, 1, Port::named(4095)),
            send(0, 1022, 2, NO_NODE, Port::named(0)),
            rec(TINY_MAX_STEP, NO_NODE, Event::Deliver { msg: 2, from: 1022 }),
        ];
        for msg in 3..=4097 {
            records.push(send(TINY_MAX_STEP + msg, 15, msg, 16, Port::named(4)));
        }
        // Sent 4095 sends before the last one; the last, at another node.
        records.push(rec(2 * TINY_MAX_STEP + 4097, 16, Event::Deliver { msg: 2, from: 15 }));
        records.push(rec(2 * TINY_MAX_STEP + 4097, 17, Event::Deliver { msg: 4097, from: 15 }));
        let packed = round_trip(&records);
        assert_eq!(packed.unit_count(), 2 * records.len());
        assert!(packed.words.full.len() >= 3, "the words fill several chunks");
    }

    #[test]
    fn other_small_records_pack_two_words_each() {
        let p = Port::named(3);
        let jump = 10 + TINY_MAX_STEP + 1;
        let later = jump + TINY_MAX_STEP + 1;
        let records = [
            rec(0, 0, Event::Start),
            rec(0, NO_NODE, Event::Spawn { task: u64::MAX }),
            send(10, 0, 1, 1, Port::named(4096)),
            send(10, 1023, 2, 0, p),
            send(10, 0, 3, 1023, p),
            send(jump, 0, 4, 1, p),
            send(jump, 1, 5, NO_NODE, Port::ephemeral(77)),
            rec(jump, 1, Event::Deliver { msg: 6, from: 0 }),
            rec(jump, 1023, Event::Deliver { msg: 2, from: NO_NODE }),
            rec(jump, 2, Event::Deliver { msg: 2, from: 1023 }),
            rec(later, 0, Event::Deliver { msg: 2, from: 1 }),
            rec(later, 0, Event::Drop { msg: MAX_MSG, reason: DropReason::Crashed }),
            rec(later, 0, Event::Timer { timer: 9 }),
            rec(later, 0, Event::Log { level: Level::Trace, text: Text { start: u32::MAX, len: 1027 } }),
            rec(later, 0, Event::Log { level: Level::Warn, text: Text { start: 9, len: (1 << TEXT_LEN_BITS) - 1 } }),
            rec(MAX_STEP + later, 0, Event::Exit { task: 3 }),
            rec(MAX_STEP + later, 0xfffe, Event::Crash),
        ];
        assert_eq!(round_trip(&records).unit_count(), 4 * records.len());
    }

    #[test]
    fn records_that_do_not_fit_round_trip() {
        let p = Port::named(0);
        let text = Text { start: 5, len: 6 };
        let records = [
            rec(10, 0, Event::Resume),
            rec(9, 0, Event::Pause),
            rec(u64::MAX, 0xffff, Event::Restart),
            rec(0, 0, Event::Timer { timer: 1 }),
            send(0, 0, 7, 1, p),
            send(0, 0, 8, 0xffff, p),
            send(0, 0xffff, 9, 0, p),
            (Record { time_ns: 1, node: 0, event: Event::Send { msg: 10, to: 1, port: p, text } }, false),
            send(2, 0, 11, 1, p),
            rec(2, 0, Event::Deliver { msg: MAX_MSG + 1, from: 1 }),
            rec(2, 0, Event::Deliver { msg: 1, from: 0xffff }),
            rec(2, 0, Event::Drop { msg: u64::MAX, reason: DropReason::UnknownNode }),
            rec(2, 0, Event::Log { level: Level::Error, text: Text { start: 1, len: u32::MAX } }),
            rec(2, 0x1_0000, Event::Spawn { task: 4 }),
            rec(3, 0, Event::Fault { text: Text { start: 9, len: 3 } }),
            rec(3, NO_NODE, Event::Duplicate { msg: 11 }),
            rec(4, 0xffff, Event::Call { call: u64::MAX, parent: 7, to: NO_NODE, text: Text { start: 1, len: 2 } }),
            rec(5, 0, Event::Return { call: 3, outcome: CallOutcome::Timeout }),
        ];
        // Short: the resume and the timer (its time step wraps around to 1);
        // mini: the send of message 11 (after 10); long: seven four-word
        // records, four five-word sends, the fault, the duplicate and the
        // return (always long, four words) and the call (six).
        assert_eq!(round_trip(&records).unit_count(), 2 * (2 * 2 + 10 * 4 + 4 * 5 + 6) + 1);
    }

    #[test]
    fn records_of_every_form_round_trip_across_chunks() {
        let text = Text { start: 1, len: 2 };
        let mut records = Vec::new();
        for i in 0..20_000u64 {
            let msg = i + 1;
            let t = 1000 * i;
            records.push(match i % 5 {
                0 => send(t, 0, msg, 1, Port::named(2)),
                1 => send(t, 0, msg, 1, Port::ephemeral(i as u32)),
                2 => (
                    Record { time_ns: t, node: 1, event: Event::Send { msg, to: 0, port: Port::named(0), text } },
                    false,
                ),
                3 => send(t, 0x1_0000, msg, 1, Port::named(2)),
                _ => send(t, 2, msg, 3, Port::named(2)),
            });
            records.push(rec(t, 1, Event::Deliver { msg, from: 0 }));
            records.push(rec(t, 1, Event::Timer { timer: i }));
        }
        let packed = round_trip(&records);
        assert!(packed.words.full.len() >= 4, "the words fill several chunks");
        assert!(packed.words.full.iter().all(|c| c.len() <= MAX_CHUNK));
    }
}

//! The virtual network: addresses, links, messages in flight, delivery and drops.
//!
//! An address is a node and a port. Sending draws a latency for the link from the
//! network's random stream and schedules the delivery; nothing else delays a
//! message. At delivery time the destination must be up (or paused) and have a
//! socket of the right type bound to the port, with room in its queue; otherwise
//! the message is dropped and the drop is recorded with its reason.

use crate::config::Config;
use crate::latency::{Link, LinkConfig};
use crate::mailbox::Mailbox;
use crate::netfault::{NetFaults, Verdict};
use crate::payload::{Payload, PayloadParts, PayloadType};
use crate::rng::{self, SimRng, Stream};
use crate::runtime::{self, State};
pub use crate::socket::Socket;
use microsim_traces::{DropReason, Event, NodeIx, Port};
use rand::Rng;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;
use std::task::Waker;

/// A node and a port: where a socket is bound and where messages go.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Addr {
    pub(crate) node: NodeIx,
    pub(crate) port: Port,
}

impl Addr {
    /// The node's name.
    pub fn node_name(&self) -> String {
        runtime::with(|i| i.state.borrow().nodes.name(self.node).to_string())
    }

    /// The port's name (`#n` for an ephemeral port).
    pub fn port_name(&self) -> String {
        runtime::with(|i| i.state.borrow().net.port_name(self.port))
    }
}

impl fmt::Debug for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if runtime::CTX.is_set() {
            write!(f, "{}:{}", self.node_name(), self.port_name())
        } else {
            write!(f, "node{}:port{:#x}", self.node, self.port.0)
        }
    }
}

/// Anything that names an address: an [`Addr`], or `(node, port)` names.
pub trait ToAddr {
    /// Resolves the address in the current simulation. An unknown node name is
    /// allowed: messages to it are dropped and recorded as such.
    fn to_addr(&self) -> Addr;
}

impl ToAddr for Addr {
    #[inline]
    fn to_addr(&self) -> Addr {
        *self
    }
}

impl ToAddr for (&str, &str) {
    fn to_addr(&self) -> Addr {
        runtime::with(|i| {
            let mut st = i.state.borrow_mut();
            let st = &mut *st;
            let node = st.nodes.index_or_ghost(self.0);
            Addr { node, port: st.net.intern_port(self.1) }
        })
    }
}

impl<T: ToAddr + ?Sized> ToAddr for &T {
    #[inline]
    fn to_addr(&self) -> Addr {
        (**self).to_addr()
    }
}

/// A message: in flight (in its delivery event), then queued in its socket.
pub(crate) struct Envelope {
    pub(crate) msg: u64,
    pub(crate) from: Addr,
    pub(crate) to: Addr,
    pub(crate) payload: Payload,
}

/// A bound socket: its type, its queue and the waker of its receiver.
pub(crate) struct SocketSlot {
    pub(crate) ty: PayloadType,
    pub(crate) queue: Mailbox<Envelope>,
    pub(crate) waker: Option<Waker>,
    /// False once closed (its node crashed, or its `Socket` was dropped).
    pub(crate) open: bool,
}

/// A socket's slot, shared by its `Socket` and its node's socket list. It is
/// borrowed only briefly, by the receiver or by a delivery, never both at once
/// (deliveries happen while no task runs).
pub(crate) type SharedSlot = Rc<RefCell<SocketSlot>>;

/// Closes a socket, returning the messages still queued in it.
pub(crate) fn close_socket(slot: &SharedSlot) -> Vec<(u64, Payload)> {
    let mut slot = slot.borrow_mut();
    slot.open = false;
    slot.waker = None;
    slot.queue.drain().map(|env| (env.msg, env.payload)).collect()
}

/// The network's state.
pub(crate) struct Net {
    rng: SimRng,
    default_link: Link,
    links: BTreeMap<(NodeIx, NodeIx), Link>,
    fifo_tail: BTreeMap<(NodeIx, NodeIx), u64>,
    /// Port names by index (one allocation per name).
    ports: crate::names::Names,
    next_ephemeral: u32,
    next_msg: u64,
    queue_capacity: usize,
    /// The payload of a message just dropped at its delivery, for the run loop
    /// to drop once the state is released.
    pub(crate) dropped: Option<Payload>,
    /// Partitions, cuts, clogs, loss and duplication in force.
    pub(crate) faults: NetFaults,
    /// Messages held on clogged links, by link, in send order.
    pub(crate) held: BTreeMap<(NodeIx, NodeIx), Vec<Envelope>>,
    /// Whether any network fault is in force (`faults.any()`, kept up to date).
    pub(crate) faulty: bool,
    /// Latencies, losses and duplications from a choice sequence, if given.
    choices: Option<crate::choices::Cursor>,
    /// See `refresh_special_links`.
    special_links: bool,
}

impl Net {
    pub(crate) fn new(seed: u64, config: &Config) -> Net {
        Net {
            rng: rng::stream(seed, Stream::Network),
            default_link: config.link.into(),
            links: BTreeMap::new(),
            fifo_tail: BTreeMap::new(),
            ports: crate::names::Names::default(),
            next_ephemeral: 0,
            next_msg: 0,
            queue_capacity: config.limits.queue_capacity,
            dropped: None,
            faults: NetFaults::default(),
            held: BTreeMap::new(),
            faulty: false,
            choices: None,
            special_links: config.link.fifo,
        }
    }

    /// Updates `faulty` after the faults changed; returns it.
    pub(crate) fn refresh_faulty(&mut self) -> bool {
        self.faulty = self.faults.any();
        self.faulty
    }

    /// Sets the latency of every link without its own setting.
    pub(crate) fn set_default_latency(&mut self, latency: crate::Latency) {
        self.default_link.latency = latency.in_nanos();
    }

    /// How many messages were sent (message ids are 1, 2, ...).
    pub(crate) fn sent(&self) -> u64 {
        self.next_msg
    }

    /// Sets the behaviour of the directed link `from -> to`.
    pub(crate) fn set_link(&mut self, from: NodeIx, to: NodeIx, link: LinkConfig) {
        self.links.insert((from, to), link.into());
        self.refresh_special_links();
    }

    pub(crate) fn intern_port(&mut self, name: &str) -> Port {
        match self.ports.get(name) {
            Some(ix) => Port::named(ix),
            None => Port::named(self.ports.push(name).1),
        }
    }

    pub(crate) fn ephemeral_port(&mut self) -> Port {
        self.next_ephemeral += 1;
        Port::ephemeral(self.next_ephemeral)
    }

    pub(crate) fn port_name(&self, port: Port) -> String {
        match port.named_index() {
            Some(ix) => self.ports.name(ix).map_or_else(|| format!("unknown port {ix}"), |n| n.to_string()),
            None => format!("#{}", port.ephemeral_number().unwrap_or(0)),
        }
    }

    /// The port names, shared (no copy of the strings).
    pub(crate) fn port_names(&self) -> Vec<Rc<str>> {
        self.ports.to_vec()
    }

    #[inline(always)]
    fn delivery_time(&mut self, now: u64, from: NodeIx, to: NodeIx) -> u64 {
        if !self.special_links {
            return now.saturating_add(self.default_link.latency.sample(&mut self.rng));
        }
        self.delivery_time_on_link(now, from, to)
    }

    /// Whether delivery times need more than the default link's distribution:
    /// per-link settings, FIFO, or latencies read from a choice sequence.
    fn refresh_special_links(&mut self) {
        self.special_links = !self.links.is_empty() || self.default_link.fifo || self.choices.is_some();
    }

    /// Reads latencies (and losses, duplications) from `choices` from now on.
    pub(crate) fn use_choices(&mut self, choices: crate::choices::Cursor) {
        self.choices = Some(choices);
        self.refresh_special_links();
    }

    /// `delivery_time` with per-link settings or FIFO links (out of line).
    #[inline(never)]
    fn delivery_time_on_link(&mut self, now: u64, from: NodeIx, to: NodeIx) -> u64 {
        let link = self.links.get(&(from, to)).unwrap_or(&self.default_link);
        let latency = match &self.choices {
            Some(c) => link.latency.chosen(c),
            None => link.latency.sample(&mut self.rng),
        };
        let mut at = now.saturating_add(latency);
        if link.fifo {
            let tail = self.fifo_tail.entry((from, to)).or_insert(0);
            at = at.max(*tail);
            *tail = at;
        }
        at
    }
}

impl State {
    /// Sends a payload given as its words (not recording in full, no network
    /// fault in force); gives them back when it was dropped at once (to be
    /// dropped by the caller after the state borrow ends). As words, the
    /// payload stays in registers on its way to the event queue.
    #[inline(always)]
    pub(crate) fn send(&mut self, from: Addr, to: Addr, parts: PayloadParts) -> Option<PayloadParts> {
        let record = |st: &mut State, msg| {
            // Lent to the record: the parts still own the value.
            let payload = std::mem::ManuallyDrop::new(Payload::from_parts(parts));
            st.record_send(msg, from.node, to, &payload, None)
        };
        let Some(msg) = self.begin_send(from, to, record) else { return Some(parts) };
        let at = self.net.delivery_time(self.now, from.node, to.node);
        self.events.schedule_send(at, msg, from, to, parts);
        None
    }

    /// `send` while recording in full: `copy` is a clone of the payload for the
    /// trace when it needs dropping, made by the caller before borrowing the
    /// state (cloning runs user code); else the trace takes a snapshot.
    /// Inlined into the one caller, the out-of-line `socket::send_slow`.
    #[inline(always)]
    pub(crate) fn send_recorded(
        &mut self,
        from: Addr,
        to: Addr,
        payload: Payload,
        copy: Option<Payload>,
    ) -> Option<Payload> {
        let record = |st: &mut State, msg| st.record_send(msg, from.node, to, &payload, copy);
        let Some(msg) = self.begin_send(from, to, record) else { return Some(payload) };
        let at = self.net.delivery_time(self.now, from.node, to.node);
        self.events.schedule_send(at, msg, from, to, payload.into_parts());
        None
    }

    /// `send` while recording in full a message whose type needs no dropping,
    /// given as its words (see `Payload::into_parts`): the trace's copy is a
    /// snapshot the log takes of it, and the payload is put together again
    /// only where it is written, so that it is never loaded from memory with
    /// wider loads than it was stored with.
    #[inline(always)]
    pub(crate) fn send_recorded_snapshot(&mut self, from: Addr, to: Addr, parts: PayloadParts) -> Option<Payload> {
        debug_assert!(!parts.0.needs_drop(), "a snapshot is of a payload that needs no dropping");
        // `record_send` inlined: passing it the payload by reference (out of
        // line) measured 2-4 % slower on the traced pingpong.
        let record = |st: &mut State, msg| {
            let make = |text| Event::Send { msg, to: to.node, port: to.port, text };
            if st.rec.push_deferred(st.now, from.node, make) {
                // Never dropped (and it needs no dropping): the log's bits only.
                let snapshot = std::mem::ManuallyDrop::new(Payload::from_parts(parts));
                st.unrendered.push_snapshot(&snapshot);
            }
        };
        let Some(msg) = self.begin_send(from, to, record) else { return Some(Payload::from_parts(parts)) };
        let at = self.net.delivery_time(self.now, from.node, to.node);
        self.events.schedule_send(at, msg, from, to, parts);
        None
    }

    /// Numbers and records a send; `None` (and the drop recorded) when the
    /// destination names no node.
    #[inline(always)]
    /// `record` records the send (called only when recording is on).
    fn begin_send(&mut self, from: Addr, to: Addr, record: impl FnOnce(&mut State, u64)) -> Option<u64> {
        // `next_msg` also counts the messages sent (see `Net::sent`).
        self.net.next_msg += 1;
        let msg = self.net.next_msg;
        if self.rec.is_on() {
            record(self, msg);
        }
        if self.nodes.is_ghost(to.node) {
            self.drop_at_send(msg, from.node, DropReason::UnknownNode);
            return None;
        }
        Some(msg)
    }

    #[cold]
    fn drop_at_send(&mut self, msg: u64, from: NodeIx, reason: DropReason) {
        self.rec.push(self.now, from, Event::Drop { msg, reason });
        self.stats.dropped += 1;
    }

    /// The network's verdict on a message from `from` to `to` while faults are
    /// in force (draws from the network stream only for the rates that are set).
    pub(crate) fn fault_verdict(&mut self, from: NodeIx, to: NodeIx) -> Verdict {
        let net = &mut self.net;
        match &net.choices {
            Some(c) => net.faults.verdict(&mut |rate| c.chance(rate), from, to),
            None => {
                let rng = &mut net.rng;
                net.faults.verdict(&mut |rate| rng.random_bool(rate.min(1.0)), from, to)
            }
        }
    }

    /// Sends while network faults are in force: `verdict` came from
    /// [`State::fault_verdict`], `twin` is a clone of the payload when it says
    /// `Duplicate` (made outside the borrow, as `copy`).
    #[inline(never)]
    pub(crate) fn send_faulty(
        &mut self,
        from: Addr,
        to: Addr,
        payload: Payload,
        copy: Option<Payload>,
        verdict: Verdict,
        twin: Option<Payload>,
    ) -> Option<Payload> {
        let record = |st: &mut State, msg| st.record_send(msg, from.node, to, &payload, copy);
        let Some(msg) = self.begin_send(from, to, record) else { return Some(payload) };
        let reason = match verdict {
            Verdict::Partitioned => DropReason::Partitioned,
            Verdict::Cut => DropReason::Cut,
            Verdict::Lost => DropReason::Lost,
            Verdict::Hold => {
                self.net.held.entry((from.node, to.node)).or_default().push(Envelope { msg, from, to, payload });
                return None;
            }
            Verdict::Deliver | Verdict::Duplicate => {
                for payload in std::iter::once(payload).chain(twin) {
                    let at = self.net.delivery_time(self.now, from.node, to.node);
                    self.events.schedule_delivery(at, Envelope { msg, from, to, payload });
                }
                if verdict == Verdict::Duplicate {
                    self.rec.push(self.now, from.node, Event::Duplicate { msg });
                }
                return None;
            }
        };
        self.drop_at_send(msg, from.node, reason);
        Some(payload)
    }

    /// Schedules the delivery of a held message (its link was unclogged) with a
    /// fresh latency from now.
    pub(crate) fn schedule_held(&mut self, env: Envelope) {
        let at = self.net.delivery_time(self.now, env.from.node, env.to.node);
        self.events.schedule_delivery(at, env);
    }

    /// Records the send of `msg` (recording is on). Out of line, so that the
    /// recording code does not weigh on the untraced path it is inlined into.
    #[inline(never)]
    fn record_send(&mut self, msg: u64, from: NodeIx, to: Addr, payload: &Payload, copy: Option<Payload>) {
        // The message is rendered only if the trace is read (see `Outcome::trace`).
        let make = |text| Event::Send { msg, to: to.node, port: to.port, text };
        if self.rec.push_deferred(self.now, from, make) {
            match copy {
                Some(copy) => self.unrendered.push(copy),
                None => self.unrendered.push_snapshot(payload),
            }
        }
    }

    /// Records the delivery of `msg` (recording is on); out of line, as `record_send`.
    #[inline(never)]
    fn record_delivery(&mut self, msg: u64, from: NodeIx, to: NodeIx) {
        self.rec.push(self.now, to, Event::Deliver { msg, from });
    }

    /// Delivers the message at `env` now, moving it out (into the socket's
    /// queue, or to be dropped); `Some`: the receiving task, to be polled at
    /// once. A message that cannot be delivered is dropped: its payload is left
    /// in `Net::dropped`, for the caller to drop once the state is released.
    ///
    /// # Safety
    ///
    /// `env` points to an initialised envelope that nothing else uses; it is
    /// moved out (read once) and must not be used or dropped after.
    #[inline(always)]
    pub(crate) unsafe fn deliver(&mut self, env: *mut Envelope) -> Option<crate::task::Woken> {
        // SAFETY: the caller's promise; only `Copy` fields are read here.
        let (from, to, msg) = unsafe { ((*env).from, (*env).to, (*env).msg) };
        // SAFETY: (every `take` below) moves the envelope out, once, on a path
        // that then returns.
        let take = || unsafe { std::ptr::read(env) };
        // Why it is dropped, in this order: the node is down, a partition or cut
        // began while it was on the wire, no socket, another type, a full queue.
        let Some(node) = self.nodes.list.get(to.node as usize).filter(|n| n.status.is_running()) else {
            return self.drop_delivery(take(), DropReason::NodeDown);
        };
        if self.net.faulty {
            if let Some(blocked) = self.net.faults.reachable(from.node, to.node) {
                let reason = if blocked == Verdict::Cut { DropReason::Cut } else { DropReason::Partitioned };
                return self.drop_delivery(take(), reason);
            }
        }
        let Some((_, slot)) = node.sockets.iter().find(|(p, _)| *p == to.port) else {
            return self.drop_delivery(take(), DropReason::NoSocket);
        };
        // No task runs during a delivery, so no receiver holds the slot.
        let mut slot = slot.borrow_mut();
        // SAFETY: as above; and the push moves the envelope from the event
        // straight into the socket's queue if it has room (the copy initialises
        // the queue's slot, and the caller's promise is that the envelope is
        // not used again), else leaves it for `take` below.
        let reason = if !unsafe { &(*env).payload }.same_type(slot.ty) {
            DropReason::TypeMismatch
        } else if !unsafe { slot.queue.push_back_from(env, self.net.queue_capacity) } {
            DropReason::QueueFull
        } else {
            let woken = match &slot.waker {
                Some(w) => crate::task::wake_direct(&mut self.tasks, &mut self.ready, &self.nodes, w),
                None => None,
            };
            drop(slot);
            self.stats.delivered += 1;
            if self.rec.is_on() {
                self.record_delivery(msg, from.node, to.node);
            }
            return woken;
        };
        drop(slot);
        self.drop_delivery(take(), reason)
    }

    /// Drops message `env` at its delivery and records why; its payload goes
    /// to `Net::dropped`.
    #[cold]
    fn drop_delivery(&mut self, env: Envelope, reason: DropReason) -> Option<crate::task::Woken> {
        self.rec.push(self.now, env.to.node, Event::Drop { msg: env.msg, reason });
        self.stats.dropped += 1;
        debug_assert!(self.net.dropped.is_none(), "the run loop drops each dropped payload at once");
        self.net.dropped = Some(env.payload);
        None
    }
}

//! The virtual network: addresses, links, messages in flight, delivery and drops.
//!
//! An address is a node and a port. Sending draws a latency for the link from the
//! network's random stream and schedules the delivery; nothing else delays a
//! message. At delivery time the destination must be up (or paused) and have a
//! socket of the right type bound to the port, with room in its queue; otherwise
//! the message is dropped and the drop is recorded with its reason.

use crate::config::Config;
use crate::latency::{Link, LinkConfig};
use crate::payload::{Payload, PayloadType};
use crate::ring::Ring;
use crate::rng::{self, SimRng, Stream};
use crate::runtime::{self, State};
use crate::slab::{Key, Slab};
pub use crate::socket::Socket;
use crate::table::Table;
use microsim_traces::{DropReason, Event, NodeIx, Port};
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

struct Envelope {
    msg: u64,
    from: Addr,
    to: Addr,
    payload: Payload,
}

pub(crate) struct SocketSlot {
    pub(crate) ty: PayloadType,
    pub(crate) queue: Ring<(Addr, u64, Payload)>,
    pub(crate) waker: Option<Waker>,
}

/// The network's state.
pub(crate) struct Net {
    rng: SimRng,
    default_link: Link,
    links: BTreeMap<(NodeIx, NodeIx), Link>,
    fifo_tail: BTreeMap<(NodeIx, NodeIx), u64>,
    flights: Table<Envelope>,
    pub(crate) sockets: Slab<SocketSlot>,
    /// Port names by index, shared with `port_index` (one allocation per name).
    port_names: Vec<Rc<str>>,
    port_index: BTreeMap<Rc<str>, u32>,
    next_ephemeral: u32,
    next_msg: u64,
    queue_capacity: usize,
}

impl Net {
    pub(crate) fn new(seed: u64, config: &Config) -> Net {
        Net {
            rng: rng::stream(seed, Stream::Network),
            default_link: config.link.into(),
            links: BTreeMap::new(),
            fifo_tail: BTreeMap::new(),
            flights: Table::default(),
            sockets: Slab::default(),
            port_names: Vec::new(),
            port_index: BTreeMap::new(),
            next_ephemeral: 0,
            next_msg: 0,
            queue_capacity: config.limits.queue_capacity,
        }
    }

    /// How many messages were sent (message ids are 1, 2, ...).
    pub(crate) fn sent(&self) -> u64 {
        self.next_msg
    }

    /// Sets the behaviour of the directed link `from -> to`.
    pub(crate) fn set_link(&mut self, from: NodeIx, to: NodeIx, link: LinkConfig) {
        self.links.insert((from, to), link.into());
    }

    pub(crate) fn intern_port(&mut self, name: &str) -> Port {
        if let Some(&ix) = self.port_index.get(name) {
            return Port::named(ix);
        }
        let ix = self.port_names.len() as u32;
        let shared: Rc<str> = Rc::from(name);
        self.port_names.push(shared.clone());
        self.port_index.insert(shared, ix);
        Port::named(ix)
    }

    pub(crate) fn ephemeral_port(&mut self) -> Port {
        self.next_ephemeral += 1;
        Port::ephemeral(self.next_ephemeral)
    }

    pub(crate) fn port_name(&self, port: Port) -> String {
        match port.named_index() {
            Some(ix) => self.port_names[ix as usize].to_string(),
            None => format!("#{}", port.ephemeral_number().unwrap_or(0)),
        }
    }

    pub(crate) fn port_names(&self) -> Vec<String> {
        self.port_names.iter().map(|n| n.to_string()).collect()
    }

    /// Closes a socket, returning the messages still queued in it.
    pub(crate) fn close_socket(&mut self, key: Key) -> Vec<(u64, Payload)> {
        match self.sockets.remove(key) {
            Some(slot) => slot.queue.map(|(_, msg, p)| (msg, p)).collect(),
            None => Vec::new(),
        }
    }

    #[inline]
    fn delivery_time(&mut self, now: u64, from: NodeIx, to: NodeIx) -> u64 {
        if self.links.is_empty() && !self.default_link.fifo {
            return now.saturating_add(self.default_link.latency.sample(&mut self.rng));
        }
        self.delivery_time_on_link(now, from, to)
    }

    /// `delivery_time` with per-link settings or FIFO links (out of line).
    #[inline(never)]
    fn delivery_time_on_link(&mut self, now: u64, from: NodeIx, to: NodeIx) -> u64 {
        let link = self.links.get(&(from, to)).unwrap_or(&self.default_link);
        let mut at = now.saturating_add(link.latency.sample(&mut self.rng));
        if link.fifo {
            let tail = self.fifo_tail.entry((from, to)).or_insert(0);
            at = at.max(*tail);
            *tail = at;
        }
        at
    }
}

impl State {
    /// Sends `payload`; returns it when it was dropped at once (to be dropped by
    /// the caller after the state borrow ends).
    #[inline]
    pub(crate) fn send(&mut self, from: Addr, to: Addr, payload: Payload) -> Option<Payload> {
        // `next_msg` also counts the messages sent (see `Net::sent`).
        self.net.next_msg += 1;
        let msg = self.net.next_msg;
        let now = self.now;
        if self.rec.is_on() {
            // The message is rendered only if the trace is read (see `Outcome::trace`).
            let make = |text| Event::Send { msg, to: to.node, port: to.port, text };
            if let Some(index) = self.rec.push_deferred(now, from.node, make) {
                self.unrendered.push((index, payload.clone()));
            }
        }
        if self.nodes.list[to.node as usize].status == crate::node::Status::Ghost {
            self.rec.push(now, from.node, Event::Drop { msg, reason: DropReason::UnknownNode });
            self.stats.dropped += 1;
            return Some(payload);
        }
        let at = self.net.delivery_time(now, from.node, to.node);
        let flight = self.net.flights.insert(Envelope { msg, from, to, payload });
        self.events.schedule_delivery(at, flight);
        None
    }

    /// Delivers in-flight message `flight` now, or drops it (returned to the caller).
    #[inline]
    pub(crate) fn deliver(&mut self, flight: u32) -> Option<Payload> {
        let env = self.net.flights.remove(flight);
        let now = self.now;
        let node = &self.nodes.list[env.to.node as usize];
        let reason = if !self.nodes.is_running(env.to.node) {
            Some(DropReason::NodeDown)
        } else {
            match node.sockets.iter().find(|(p, _)| *p == env.to.port) {
                None => Some(DropReason::NoSocket),
                Some(&(_, key)) => {
                    let slot = self.net.sockets.get_mut(key).expect("a bound port has its socket");
                    if !env.payload.same_type(slot.ty) {
                        Some(DropReason::TypeMismatch)
                    } else if slot.queue.len() >= self.net.queue_capacity {
                        Some(DropReason::QueueFull)
                    } else {
                        slot.queue.push_back((env.from, env.msg, env.payload));
                        if let Some(w) = &slot.waker {
                            crate::task::wake_in(&mut self.tasks, &mut self.ready, w);
                        }
                        self.stats.delivered += 1;
                        self.rec.push(now, env.to.node, Event::Deliver { msg: env.msg, from: env.from.node });
                        return None;
                    }
                }
            }
        };
        let reason = reason.expect("every path that did not deliver has a reason");
        self.rec.push(now, env.to.node, Event::Drop { msg: env.msg, reason });
        self.stats.dropped += 1;
        Some(env.payload)
    }
}

//! Sockets: a node's typed endpoint for sending and receiving datagrams.
//!
//! A `Socket<M>` is bound to a port of the current node and receives messages of
//! type `M` (use an enum for several kinds); it can send any [`Message`] type.
//! Dropping the socket unbinds the port; a crash of its node closes it.

use crate::error::{check_name, SimError};
use crate::mailbox::Mailbox;
use crate::net::{close_socket, Addr, SharedSlot, SocketSlot, ToAddr};
use crate::payload::{Message, Payload, PayloadType};
use crate::runtime::{self, Inner};
use microsim_traces::{NodeIx, Port};
use std::cell::RefCell;
use std::fmt;
use std::future::{poll_fn, Future};
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::rc::Rc;
use std::task::Poll;

/// Marks a type as receiving `M` and as bound to its simulation's thread (not `Send`).
type ReceivesOnThisThread<M> = PhantomData<(fn() -> M, Rc<()>)>;

/// A bound endpoint that receives messages of type `M`.
pub struct Socket<M> {
    /// Its queue, shared with its node's socket list (where deliveries find it).
    slot: SharedSlot,
    addr: Addr,
    _marker: ReceivesOnThisThread<M>,
}

impl<M> fmt::Debug for Socket<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Socket({})", self.addr)
    }
}

impl<M: Message> Socket<M> {
    /// Binds the named port of the current node.
    ///
    /// Fails if the name is invalid or the port is already bound on this node.
    pub fn bind(port: &str) -> Result<Socket<M>, SimError> {
        check_name(port)?;
        runtime::with(|inner| {
            let node = current(inner);
            let port = inner.state.borrow_mut().net.intern_port(port);
            bind_at(inner, node, port)
        })
    }

    /// Binds a fresh ephemeral port of the current node (used for replies).
    pub fn bind_ephemeral() -> Socket<M> {
        runtime::with(|inner| {
            let node = current(inner);
            let port = inner.state.borrow_mut().net.ephemeral_port();
            bind_at(inner, node, port).expect("a fresh ephemeral port is free")
        })
    }

    /// Where this socket is bound.
    pub fn local_addr(&self) -> Addr {
        self.addr
    }

    /// Sends `msg` to `to`. Delivery is not guaranteed: a message to an unknown or
    /// crashed node, or to a port without a socket of the message's type, is
    /// dropped (and the drop is recorded in the trace).
    #[inline]
    pub fn send_to<T: Message>(&self, to: impl ToAddr, msg: T) {
        let to = to.to_addr();
        send_from(self.addr, to, Payload::new(msg));
    }

    /// Receives the next message and its sender, waiting as long as it takes.
    pub fn recv(&self) -> impl Future<Output = (Addr, M)> + '_ {
        poll_fn(move |cx| {
            // The socket's own queue: no lookup in the simulation's state.
            let mut slot = self.slot.borrow_mut();
            if let Some(env) = slot.queue.pop_front() {
                return Poll::Ready((env.from, downcast(env.payload)));
            }
            if !slot.open {
                // Closed by a crash: the task owning it is being dropped.
                return Poll::Pending;
            }
            if !slot.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                slot.waker = Some(cx.waker().clone());
            }
            Poll::Pending
        })
    }

    /// Receives a message if one is queued, without waiting.
    pub fn try_recv(&self) -> Option<(Addr, M)> {
        let env = self.slot.borrow_mut().queue.pop_front()?;
        Some((env.from, downcast(env.payload)))
    }
}

/// The value of a payload taken from a `Socket<M>`'s queue.
#[inline]
fn downcast<M: Message>(p: Payload) -> M {
    // SAFETY: a socket's slot records the type `M` it was bound with
    // (`bind_at`), only its own `Socket<M>` takes messages from it, and
    // delivery queues only payloads of the slot's type (`State::deliver`).
    unsafe { p.downcast_unchecked::<M>() }
}

fn current(inner: &Inner) -> NodeIx {
    let node = inner.current_node();
    assert!(node != microsim_traces::NO_NODE, "microsim: sockets are bound from a node's task");
    node
}

fn bind_at<M: Message>(inner: &Inner, node: NodeIx, port: Port) -> Result<Socket<M>, SimError> {
    let mut st = inner.state.borrow_mut();
    let st = &mut *st;
    if st.nodes.list[node as usize].sockets.iter().any(|(p, _)| *p == port) {
        return Err(SimError::AddrInUse { node: st.nodes.name(node).to_string(), port: st.net.port_name(port) });
    }
    let slot = SocketSlot { ty: PayloadType::of::<M>(), queue: Mailbox::default(), waker: None, open: true };
    let slot = Rc::new(RefCell::new(slot));
    st.nodes.list[node as usize].sockets.push((port, slot.clone()));
    Ok(Socket { slot, addr: Addr { node, port }, _marker: PhantomData })
}

/// Sends a payload from `from` (used by sockets and RPC replies).
#[inline(always)]
pub(crate) fn send_from(from: Addr, to: Addr, payload: Payload) {
    let inner = runtime::CTX.current();
    // SAFETY: the simulation `inner` points to stays current (and alive) until
    // this function returns: `Ctx::set` resets it only when its call returns.
    let inner = unsafe { &*inner };
    // Passed on as three words, in registers (see `Payload::into_parts`).
    let (ty, a, b) = payload.into_parts();
    // Full recording (a copy for the trace) and network faults go out of line.
    if inner.send_slow.get() {
        return send_slow(inner, from, to, ty, a, b);
    }
    let mut st = inner.state.borrow_mut();
    if let Some(dropped) = st.send(from, to, (ty, a, b)) {
        // Dropped at once (an unknown node): released after the borrow ends.
        drop(st);
        drop(Payload::from_parts(dropped));
    }
}

/// A send while recording in full or under network faults.
#[inline(never)]
fn send_slow(inner: &Inner, from: Addr, to: Addr, ty: PayloadType, a: MaybeUninit<usize>, b: MaybeUninit<usize>) {
    if inner.record_full && !ty.needs_drop() && !inner.net_faulty.get() {
        // The common recorded send: the payload stays in registers until it is
        // written into its event, and the trace takes a snapshot of it.
        let dropped = inner.state.borrow_mut().send_recorded_snapshot(from, to, (ty, a, b));
        drop(dropped);
        return;
    }
    let payload = Payload::from_parts((ty, a, b));
    // The trace's copy of a value that needs dropping is a clone, made before
    // borrowing the state (`Clone` is user code); of any other, a snapshot
    // the log takes at the send (`PayloadLog::push_snapshot`).
    let copy = if inner.record_full && payload.needs_drop() { Some(payload.clone()) } else { None };
    let dropped = if inner.net_faulty.get() {
        send_faulty(inner, from, to, payload, copy)
    } else {
        inner.state.borrow_mut().send_recorded(from, to, payload, copy)
    };
    drop(dropped);
}

/// A send while network faults are in force: the verdict first, then (outside
/// the borrow) a twin of the payload if it is to be duplicated, then the send.
fn send_faulty(inner: &Inner, from: Addr, to: Addr, payload: Payload, copy: Option<Payload>) -> Option<Payload> {
    let verdict = inner.state.borrow_mut().fault_verdict(from.node, to.node);
    let twin = (verdict == crate::netfault::Verdict::Duplicate).then(|| payload.clone());
    inner.state.borrow_mut().send_faulty(from, to, payload, copy, verdict, twin)
}

impl<M> Drop for Socket<M> {
    fn drop(&mut self) {
        let queued = runtime::CTX.try_with(|inner| {
            let mut st = inner.state.borrow_mut();
            let st = &mut *st;
            if let Some(node) = st.nodes.list.get_mut(self.addr.node as usize) {
                node.sockets.retain(|(_, s)| !Rc::ptr_eq(s, &self.slot));
            }
            close_socket(&self.slot)
        });
        drop(queued);
    }
}

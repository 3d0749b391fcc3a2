//! Request/response calls over the datagram network, with request ids, timeouts
//! and call-tree spans.
//!
//! A call binds an ephemeral reply socket, sends the request to the server's port
//! and waits for the reply with the same id, for at most the given timeout. A
//! reply that comes after the timeout finds no socket and is dropped (visible in
//! the trace as a `no-socket` drop), as a late UDP reply would be.
//!
//! Every call is a span of a request's call tree: its number is the span, and
//! the request carries it with the tree's trace id (the root call's number)
//! across services, packed in one word (see [`Span`]). A server handler runs in
//! the span of the request it handles (an ambient "current span", set while its
//! future is polled), so a call the handler makes is that request's child. A
//! task the handler spawns does not inherit the span: run its future
//! [`in_span`] of [`current_span`] to keep it in the tree. Calls are recorded as
//! `call` and `return` trace records, which `microsim show --calls` draws as
//! trees.

use crate::error::SimError;
use crate::net::{Addr, ToAddr};
use crate::payload::{Message, Payload};
use crate::runtime;
use crate::socket::{send_from, Socket};
use crate::time;
use microsim_traces::{CallOutcome, Event, NO_NODE};
use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// A request on the wire.
#[derive(Clone)]
pub struct Request<Req> {
    /// Its trace context (see [`Span::wire`]).
    id: u64,
    body: Req,
}

/// Where a call sits in its request's call tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// The tree's id: the call number of its root call.
    pub trace: u64,
    /// The call this span is (its call number, the `call` of its trace record).
    pub call: u64,
}

impl Span {
    /// The span as a request carries it: the trace id in the high 32 bits and
    /// the call number in the low 32, a trace context in one word. A wider one
    /// would make a request with a one-word body overflow a payload's 16-byte
    /// inline buffer and cost an allocation per send. Call numbers stay below
    /// 2^32 within the default step limit; past it they wrap on the wire (the
    /// trace records keep every bit).
    fn wire(self) -> u64 {
        self.trace << 32 | (self.call & 0xffff_ffff)
    }

    /// The span a request carried.
    fn from_wire(id: u64) -> Span {
        Span { trace: id >> 32, call: id & 0xffff_ffff }
    }
}

thread_local! {
    /// The span the task being polled is in: set by [`InSpan`] around each poll.
    static CURRENT: Cell<Option<Span>> = const { Cell::new(None) };
}

/// The span the current task is in, if it is handling a call.
pub fn current_span() -> Option<Span> {
    CURRENT.with(Cell::get)
}

pin_project_lite::pin_project! {
    /// A future that runs in a span: calls it makes are that span's children.
    #[derive(Debug)]
    pub struct InSpan<F> {
        span: Span,
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for InSpan<F> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let span = *this.span;
        with_span(span, || this.inner.poll(cx))
    }
}

/// Runs `f` in `span`, restoring the span it was in after, even when `f`
/// panics (a panic ends only the run: the thread goes on to the next).
fn with_span<R>(span: Span, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Span>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(CURRENT.with(|c| c.replace(Some(span))));
    f()
}

/// Runs `fut` in `span`: calls it makes become the span's children.
pub fn in_span<F: Future>(span: Span, fut: F) -> InSpan<F> {
    InSpan { span, inner: fut }
}

impl<Req: fmt::Debug> fmt::Debug for Request<Req> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "call#{} {:?}", Span::from_wire(self.id).call, self.body)
    }
}

/// A response on the wire.
#[derive(Clone)]
pub struct Response<Resp> {
    id: u64,
    body: Resp,
}

impl<Resp: fmt::Debug> fmt::Debug for Response<Resp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reply#{} {:?}", Span::from_wire(self.id).call, self.body)
    }
}

/// Why a call got no response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RpcError {
    /// No response arrived within the timeout. The request may or may not have
    /// been handled.
    #[error("call timed out")]
    Timeout,
}

/// Calls the server at `to` with `request` and waits at most `timeout` for the
/// response. The call is a child of the current span (see [`current_span`]), or
/// the root of a new call tree.
pub async fn call<Req: Message, Resp: Message>(
    to: impl ToAddr,
    request: Req,
    timeout: Duration,
) -> Result<Resp, RpcError> {
    let to = to.to_addr();
    let reply = Socket::<Response<Resp>>::bind_ephemeral();
    let parent = current_span();
    let id = runtime::with(|i| {
        let mut st = i.state.borrow_mut();
        let id = st.next_call_id();
        let (now, node) = (st.now, st.tasks.current_node().unwrap_or(NO_NODE));
        let parent = parent.map_or(0, |p| p.call);
        let method = method_name::<Req>();
        st.rec.push_text(now, node, |s| s.push_str(method), |text| Event::Call { call: id, parent, to: to.node, text });
        id
    });
    let wire = Span { trace: parent.map_or(id, |p| p.trace), call: id }.wire();
    reply.send_to(to, Request { id: wire, body: request });
    let wait = async {
        loop {
            let (_, resp) = reply.recv().await;
            if resp.id == wire {
                return resp.body;
            }
        }
    };
    let result = time::timeout(timeout, wait).await.map_err(|_| RpcError::Timeout);
    let outcome = if result.is_ok() { CallOutcome::Ok } else { CallOutcome::Timeout };
    runtime::with(|i| {
        let mut st = i.state.borrow_mut();
        let (now, node) = (st.now, st.tasks.current_node().unwrap_or(NO_NODE));
        st.rec.push(now, node, Event::Return { call: id, outcome });
    });
    result
}

/// The method a request type stands for: its name without the module path.
/// Byte scans, not string searches: this runs on every call.
fn method_name<Req>() -> &'static str {
    let full = std::any::type_name::<Req>();
    let bytes = full.as_bytes();
    let outer_end = bytes.iter().position(|&b| b == b'<').unwrap_or(bytes.len());
    let start = bytes[..outer_end].iter().rposition(|&b| b == b':').map_or(0, |i| i + 1);
    &full[start..]
}

/// A server endpoint: receives requests of type `Req` and answers with `Resp`.
pub struct Server<Req, Resp> {
    socket: Socket<Request<Req>>,
    _resp: std::marker::PhantomData<fn(Resp)>,
}

impl<Req, Resp> fmt::Debug for Server<Req, Resp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Server({:?})", self.socket)
    }
}

/// One request received by a [`Server`], to be answered with [`Incoming::reply`].
#[derive(Debug)]
pub struct Incoming<Req, Resp> {
    /// Who called.
    pub from: Addr,
    /// What was asked.
    pub body: Req,
    id: u64,
    span: Span,
    server: Addr,
    _resp: std::marker::PhantomData<fn(Resp)>,
}

impl<Req: Message, Resp: Message> Incoming<Req, Resp> {
    /// The span of this request: run its handling [`in_span`] so that calls it
    /// makes are this request's children.
    pub fn span(&self) -> Span {
        self.span
    }

    /// The call's id: the same for every copy of one request (the network may
    /// duplicate it), different for every call (a retry is a new call). A
    /// server that must apply a request at most once keys on it.
    pub fn call_id(&self) -> u64 {
        self.id
    }

    /// Sends the response to the caller.
    pub fn reply(self, response: Resp) {
        send_from(self.server, self.from, Payload::new(Response { id: self.id, body: response }));
    }
}

impl<Req: Message, Resp: Message> Server<Req, Resp> {
    /// Binds the named port of the current node.
    pub fn bind(port: &str) -> Result<Self, SimError> {
        Ok(Server { socket: Socket::bind(port)?, _resp: std::marker::PhantomData })
    }

    /// Where the server is bound.
    pub fn local_addr(&self) -> Addr {
        self.socket.local_addr()
    }

    /// Waits for the next request.
    pub async fn next(&self) -> Incoming<Req, Resp> {
        let (from, req) = self.socket.recv().await;
        let (id, span, server) = (req.id, Span::from_wire(req.id), self.socket.local_addr());
        Incoming { from, body: req.body, id, span, server, _resp: std::marker::PhantomData }
    }

    /// Answers every request with `handler`, one at a time, forever; each
    /// handler runs in its request's span.
    pub async fn serve<F, Fut>(&self, mut handler: F) -> std::convert::Infallible
    where
        F: FnMut(Req) -> Fut,
        Fut: std::future::Future<Output = Resp>,
    {
        loop {
            let incoming = self.next().await;
            let Incoming { from, body, id, span, server, .. } = incoming;
            let handling = with_span(span, || handler(body));
            let response = in_span(span, handling).await;
            send_from(server, from, Payload::new(Response { id, body: response }));
        }
    }
}

impl runtime::State {
    fn next_call_id(&mut self) -> u64 {
        self.calls += 1;
        self.calls
    }
}

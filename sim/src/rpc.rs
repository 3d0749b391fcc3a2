//! Request/response calls over the datagram network, with request ids and timeouts.
//!
//! A call binds an ephemeral reply socket, sends the request to the server's port
//! and waits for the reply with the same id, for at most the given timeout. A
//! reply that comes after the timeout finds no socket and is dropped (visible in
//! the trace as a `no-socket` drop), as a late UDP reply would be.

use crate::error::SimError;
use crate::net::{Addr, ToAddr};
use crate::payload::{Message, Payload};
use crate::runtime;
use crate::socket::{send_from, Socket};
use crate::time;
use std::fmt;
use std::time::Duration;

/// A request on the wire.
#[derive(Clone)]
pub struct Request<Req> {
    id: u64,
    body: Req,
}

impl<Req: fmt::Debug> fmt::Debug for Request<Req> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "call#{} {:?}", self.id, self.body)
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
        write!(f, "reply#{} {:?}", self.id, self.body)
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
/// response.
pub async fn call<Req: Message, Resp: Message>(
    to: impl ToAddr,
    request: Req,
    timeout: Duration,
) -> Result<Resp, RpcError> {
    let reply = Socket::<Response<Resp>>::bind_ephemeral();
    let id = runtime::with(|i| i.state.borrow_mut().next_call_id());
    reply.send_to(to, Request { id, body: request });
    let wait = async {
        loop {
            let (_, resp) = reply.recv().await;
            if resp.id == id {
                return resp.body;
            }
        }
    };
    time::timeout(timeout, wait).await.map_err(|_| RpcError::Timeout)
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
    server: Addr,
    _resp: std::marker::PhantomData<fn(Resp)>,
}

impl<Req: Message, Resp: Message> Incoming<Req, Resp> {
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
        Incoming { from, body: req.body, id: req.id, server: self.socket.local_addr(), _resp: std::marker::PhantomData }
    }

    /// Answers every request with `handler`, one at a time, forever.
    pub async fn serve<F, Fut>(&self, mut handler: F) -> std::convert::Infallible
    where
        F: FnMut(Req) -> Fut,
        Fut: std::future::Future<Output = Resp>,
    {
        loop {
            let incoming = self.next().await;
            let Incoming { from, body, id, server, .. } = incoming;
            let response = handler(body).await;
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

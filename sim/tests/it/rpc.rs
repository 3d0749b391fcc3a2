//! Request/response calls: a call returns after one round trip, times out
//! exactly at its deadline when nobody answers, and a late reply is dropped.

use crate::{drops, full, ms, now, Seen};
use microsim::rpc::{self, RpcError, Server};
use microsim::{control, spawn, time, Latency, Outcome, SimError};
use microsim_traces::DropReason;
use std::future::Future;
use std::time::Duration;

/// Serves `kv:len` with `handler`, one request at a time.
async fn serve<F, Fut>(handler: F)
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = usize>,
{
    let server = Server::<String, usize>::bind("len").unwrap();
    match server.serve(handler).await {}
}

/// Answers with the length of the string at once.
async fn len_server() {
    serve(|s: String| async move { s.len() }).await
}

/// Answers with the length of the string after 20 ms of work.
async fn slow_len_server() {
    serve(|s: String| async move {
        time::sleep(ms(20)).await;
        s.len()
    })
    .await
}

/// Calls `("kv", "len")` with `s` from the client `app`.
async fn len_of(s: &str, timeout: Duration) -> Result<usize, RpcError> {
    rpc::call(("kv", "len"), s.to_string(), timeout).await
}

/// Runs the node `kv` (made by `server`) and the client `app` running `body`,
/// which pushes what it saw. Links have a fixed 3 ms latency; the trace is full.
fn check<S, SF, B, BF, T>(server: S, body: B) -> (Vec<T>, Outcome)
where
    S: Fn() -> SF + 'static,
    SF: Future<Output = ()> + 'static,
    B: Fn(Seen<T>) -> BF + 'static,
    BF: Future<Output = ()> + 'static,
    T: Clone + 'static,
{
    let seen = Seen::default();
    let s = seen.clone();
    let mut sim = full().latency(Latency::Fixed(ms(3))).build();
    sim.node("kv", server).unwrap();
    sim.client("app", move || body(s.clone())).unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    (seen.get(), outcome)
}

#[test]
fn a_call_returns_the_response_after_one_round_trip() {
    let (seen, outcome) = check(len_server, |s| async move {
        s.push((len_of("hello", ms(100)).await, now()));
    });
    assert_eq!(seen, [(Ok(5), ms(6))]);
    assert_eq!((outcome.stats.sent, outcome.stats.delivered), (2, 2));
}

#[test]
fn calls_in_a_row_each_get_their_own_answer() {
    let (seen, _) = check(len_server, |s| async move {
        for word in ["a", "bb", "ccc"] {
            s.push((len_of(word, ms(100)).await, now()));
        }
    });
    assert_eq!(seen, [(Ok(1), ms(6)), (Ok(2), ms(12)), (Ok(3), ms(18))]);
}

#[test]
fn concurrent_calls_each_get_their_own_answer() {
    let (mut seen, _) = check(len_server, |s| async move {
        let calls: Vec<_> = ["a", "bb", "ccc", "dddd"]
            .into_iter()
            .map(|word| {
                let s = s.clone();
                spawn(async move { s.push((word, len_of(word, ms(100)).await, now())) })
            })
            .collect();
        for call in calls {
            call.await.unwrap();
        }
    });
    seen.sort_by_key(|&(word, _, _)| word);
    assert_eq!(seen, [("a", Ok(1), ms(6)), ("bb", Ok(2), ms(6)), ("ccc", Ok(3), ms(6)), ("dddd", Ok(4), ms(6))]);
}

#[test]
fn a_call_to_a_paused_server_times_out_exactly_at_its_deadline() {
    let (seen, outcome) = check(len_server, |s| async move {
        control::pause("kv").unwrap();
        s.push((len_of("hello", ms(10)).await, now()));
    });
    assert_eq!(seen, [(Err(RpcError::Timeout), ms(10))]);
    assert_eq!(outcome.stats.delivered, 1, "the request waits in the paused server's queue");
}

#[test]
fn a_call_to_a_crashed_server_times_out_and_the_request_is_dropped() {
    let (seen, outcome) = check(len_server, |s| async move {
        control::crash("kv").unwrap();
        s.push((len_of("hello", ms(10)).await, now()));
    });
    assert_eq!(seen, [(Err(RpcError::Timeout), ms(10))]);
    assert_eq!(drops(&outcome), [(ms(3), "kv".to_string(), DropReason::NodeDown)]);
}

#[test]
fn a_call_to_an_unknown_node_times_out() {
    let (seen, outcome) = check(len_server, |s| async move {
        let r: Result<usize, _> = rpc::call(("nowhere", "len"), "x".to_string(), ms(10)).await;
        s.push((r, now()));
    });
    assert_eq!(seen, [(Err(RpcError::Timeout), ms(10))]);
    assert_eq!(drops(&outcome), [(ms(0), "app".to_string(), DropReason::UnknownNode)]);
}

#[test]
fn a_late_reply_is_dropped_as_no_socket() {
    let (seen, outcome) = check(slow_len_server, |s| async move {
        s.push((len_of("hello", ms(10)).await, now()));
        time::sleep(ms(30)).await;
    });
    assert_eq!(seen, [(Err(RpcError::Timeout), ms(10))]);
    // Request at 3 ms, 20 ms of work, reply at 26 ms: the caller's socket is gone.
    assert_eq!(drops(&outcome), [(ms(26), "app".to_string(), DropReason::NoSocket)]);
}

#[test]
fn a_late_reply_never_answers_a_later_call() {
    let (seen, outcome) = check(slow_len_server, |s| async move {
        s.push((len_of("a", ms(10)).await, now()));
        s.push((len_of("xyz", ms(100)).await, now()));
    });
    // The second request waits for the first to be served (3..23 ms), is served
    // 23..43 ms and answered at 46 ms.
    assert_eq!(seen, [(Err(RpcError::Timeout), ms(10)), (Ok(3), ms(46))]);
    assert_eq!(drops(&outcome), [(ms(26), "app".to_string(), DropReason::NoSocket)]);
}

#[test]
fn a_server_can_answer_by_hand() {
    let (seen, _) = check(
        || async {
            let server = Server::<String, usize>::bind("len").unwrap();
            assert_eq!(server.local_addr().port_name(), "len");
            loop {
                let incoming = server.next().await;
                assert_eq!(incoming.from.node_name(), "app");
                let n = incoming.body.len() * 10;
                incoming.reply(n);
            }
        },
        |s| async move { s.push(len_of("abc", ms(100)).await) },
    );
    assert_eq!(seen, [Ok(30)]);
}

#[test]
fn a_server_port_can_be_bound_only_once() {
    let (seen, _) = check(crate::forever, |s| async move {
        let _a = Server::<String, usize>::bind("len").unwrap();
        s.push(Server::<String, usize>::bind("len").unwrap_err());
    });
    assert_eq!(seen, [SimError::AddrInUse { node: "app".into(), port: "len".into() }]);
}

#[test]
fn a_timeout_explains_itself() {
    assert_eq!(RpcError::Timeout.to_string(), "call timed out");
}

/// The calls and returns of a trace, as `(node, line)` pairs in order.
fn spans(outcome: &Outcome) -> Vec<String> {
    let trace = outcome.trace();
    let name = |ix| trace.header.node_name(ix).to_string();
    trace
        .records()
        .iter()
        .filter_map(|r| match r.event {
            microsim_traces::Event::Call { call, parent, to, text } => {
                Some(format!("{} call {call} in {parent} -> {} {}", name(r.node), name(to), trace.text(text)))
            }
            microsim_traces::Event::Return { call, outcome } => {
                Some(format!("{} return {call} {}", name(r.node), outcome.name()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_call_made_by_a_handler_is_a_child_of_the_request_it_handles() {
    let spans_seen: Seen<Option<rpc::Span>> = Seen::default();
    let seen = spans_seen.clone();
    let mut sim = full().latency(Latency::Fixed(ms(3))).build();
    let db = move |s: String| {
        seen.push(rpc::current_span());
        async move { s.len() }
    };
    sim.node("db", move || serve(db.clone())).unwrap();
    let front = |s: String| async move { rpc::call::<String, usize>(("db", "len"), s, ms(50)).await.unwrap() + 1 };
    sim.node("kv", move || serve(front)).unwrap();
    sim.client("app", || async { assert_eq!(len_of("abc", ms(100)).await, Ok(4)) }).unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    assert_eq!(
        spans(&outcome),
        ["app call 1 in 0 -> kv String", "kv call 2 in 1 -> db String", "kv return 2 ok", "app return 1 ok"]
    );
    // The trace id travelled with the requests: the db's handler runs in call 2 of trace 1.
    assert_eq!(spans_seen.get(), [Some(rpc::Span { trace: 1, call: 2 })]);
}

#[test]
fn a_timed_out_call_is_recorded_as_a_timeout() {
    let (_, outcome) = check(slow_len_server, |_: Seen<()>| async {
        assert_eq!(len_of("abc", ms(10)).await, Err(RpcError::Timeout));
    });
    assert_eq!(spans(&outcome), ["app call 1 in 0 -> kv String", "app return 1 timeout"]);
}

#[test]
fn a_handler_that_panics_leaves_no_span_behind() {
    let mut sim = full().build();
    sim.node("kv", || serve(|_: String| async { panic!("the handler fails") })).unwrap();
    sim.client("app", || async { assert!(len_of("abc", ms(10)).await.is_err()) }).unwrap();
    let outcome = sim.run();
    assert!(outcome.failure.is_some(), "the panic ends the run");
    assert_eq!(rpc::current_span(), None);
}

//! The virtual network: latencies stay within their bounds, FIFO links keep send
//! order, other links may reorder, and every undeliverable message is dropped
//! with the right reason in the trace.

use crate::{at, drops, forever, full, ms, now, receive, Seen};
use microsim::net::Socket;
use microsim::{control, time, Latency, LinkConfig, Message, Outcome, Sim, SimError};
use microsim_traces::DropReason::{self, *};
use microsim_traces::Event;
use std::rc::Rc;
use std::time::Duration;

/// Sends `count` numbered messages from `a` to `b`, all at time 0, over a link
/// set up as `link`; returns what `b` received as (arrival time, number), in
/// arrival order.
fn arrivals(seed: u64, link: LinkConfig, count: u64) -> Vec<(Duration, u64)> {
    let seen = Seen::default();
    let s = seen.clone();
    let mut sim = Sim::builder().seed(seed).build();
    sim.node("b", move || receive("in", s.clone())).unwrap();
    sim.client("a", move || async move {
        let socket = Socket::<u64>::bind("out").unwrap();
        for n in 0..count {
            socket.send_to(("b", "in"), n);
        }
        time::sleep(Duration::from_secs(1)).await;
    })
    .unwrap();
    sim.link("a", "b", link).unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    assert_eq!(outcome.stats.delivered, count, "{outcome}");
    seen.get()
}

fn times(arrivals: &[(Duration, u64)]) -> Vec<Duration> {
    arrivals.iter().map(|&(t, _)| t).collect()
}

fn numbers(arrivals: &[(Duration, u64)]) -> Vec<u64> {
    arrivals.iter().map(|&(_, n)| n).collect()
}

#[test]
fn fixed_latency_delivers_exactly_that_much_later() {
    let got = arrivals(1, LinkConfig::new(Latency::Fixed(ms(3))), 10);
    assert_eq!(times(&got), [ms(3); 10]);
    // Equal delivery times go in send order.
    assert_eq!(numbers(&got), (0..10).collect::<Vec<_>>());
}

#[test]
fn uniform_latency_stays_within_min_inclusive_and_max_exclusive() {
    let got = arrivals(2, LinkConfig::new(Latency::uniform(ms(1), ms(5))), 2000);
    let t = times(&got);
    assert!(t.iter().all(|&t| ms(1) <= t && t < ms(5)), "{t:?}");
    // And it spreads over the whole range.
    assert!(t.iter().min().unwrap() < &Duration::from_micros(1_100));
    assert!(t.iter().max().unwrap() > &Duration::from_micros(4_900));
}

#[test]
fn uniform_latency_with_an_empty_range_is_its_minimum() {
    let got = arrivals(3, LinkConfig::new(Latency::uniform(ms(2), ms(2))), 20);
    assert_eq!(times(&got), [ms(2); 20]);
}

#[test]
fn long_tail_latency_stays_within_min_and_max_inclusive() {
    let got = arrivals(4, LinkConfig::new(Latency::long_tail(ms(1), ms(2), ms(50))), 2000);
    let t = times(&got);
    assert!(t.iter().all(|&t| ms(1) <= t && t <= ms(50)), "{t:?}");
    // The tail is cut at exactly `max`, and it is reached.
    assert!(t.contains(&ms(50)));
    // About half of the messages are within the median.
    let fast = t.iter().filter(|&&t| t <= ms(2)).count();
    assert!((800..=1200).contains(&fast), "{fast} of 2000 within the median");
}

#[test]
fn a_fifo_link_keeps_send_order() {
    let got = arrivals(5, LinkConfig::new(Latency::uniform(ms(1), ms(5))).fifo(), 200);
    assert_eq!(numbers(&got), (0..200).collect::<Vec<_>>());
    let t = times(&got);
    assert!(t.windows(2).all(|w| w[0] <= w[1]), "{t:?}");
    assert!(t.iter().all(|&t| ms(1) <= t && t < ms(5)), "{t:?}");
}

#[test]
fn without_fifo_a_later_message_can_overtake_an_earlier_one() {
    let link = LinkConfig::new(Latency::uniform(ms(1), ms(5)));
    let reordering_seed = (0..64).find(|&seed| numbers(&arrivals(seed, link, 2)) == [1, 0]);
    assert!(reordering_seed.is_some(), "no seed in 0..64 reorders two messages");
    // And not every seed does: the order really is up to the latencies.
    assert!((0..64).any(|seed| numbers(&arrivals(seed, link, 2)) == [0, 1]));
}

#[test]
fn builder_settings_apply_to_every_link() {
    let seen = Seen::default();
    let s = seen.clone();
    let mut sim = Sim::builder().latency(Latency::uniform(ms(1), ms(5))).fifo(true).build();
    sim.node("b", move || receive("in", s.clone())).unwrap();
    sim.client("a", || async {
        let socket = Socket::<u64>::bind("out").unwrap();
        for n in 0..100u64 {
            socket.send_to(("b", "in"), n);
        }
        time::sleep(ms(10)).await;
    })
    .unwrap();
    assert!(sim.run().is_ok());
    assert_eq!(numbers(&seen.get()), (0..100).collect::<Vec<_>>());
}

/// Sends every number it gets back.
async fn echo() {
    let socket = Socket::<u64>::bind("echo").unwrap();
    loop {
        let (from, n) = socket.recv().await;
        socket.send_to(from, n);
    }
}

#[test]
fn a_link_setting_applies_to_one_direction_only() {
    let seen = Seen::default();
    let s = seen.clone();
    let mut sim = Sim::builder().latency(Latency::Fixed(ms(2))).build();
    sim.node("b", echo).unwrap();
    sim.client("a", move || {
        let s = s.clone();
        async move {
            let socket = Socket::<u64>::bind("out").unwrap();
            socket.send_to(("b", "echo"), 1u64);
            socket.recv().await;
            s.push(now());
        }
    })
    .unwrap();
    sim.link("a", "b", LinkConfig::new(Latency::Fixed(ms(7)))).unwrap();
    assert!(sim.run().is_ok());
    assert_eq!(seen.get(), [ms(7 + 2)]);
}

#[test]
fn a_link_between_unknown_nodes_is_an_error() {
    let mut sim = Sim::builder().build();
    sim.node("a", forever).unwrap();
    let link = LinkConfig::new(Latency::Fixed(ms(1)));
    assert_eq!(sim.link("a", "zz", link), Err(SimError::UnknownNode("zz".into())));
    assert_eq!(sim.link("yy", "a", link), Err(SimError::UnknownNode("yy".into())));
}

/// What runs on the node `server` while a client sends it one message.
#[derive(Clone, Copy)]
enum Server {
    /// There is no node `server`.
    Absent,
    /// `server` is up but binds nothing.
    Bare,
    /// `server` binds a `Socket<u64>` on port `in`.
    Binds,
    /// Like `Binds`, but the client crashes `server` before sending.
    Crashed,
}

/// The client sends `msg` to `server:in` at time 0 (1 ms fixed latency) and waits
/// 10 ms. Returns the drops of the trace as (time, node, reason), and the outcome.
fn fate<M: Message>(server: Server, msg: M) -> (Vec<(Duration, String, DropReason)>, Outcome) {
    let mut sim = full().latency(Latency::Fixed(ms(1))).build();
    match server {
        Server::Absent => {}
        Server::Bare => sim.node("server", forever).unwrap(),
        Server::Binds | Server::Crashed => sim
            .node("server", || async {
                let _socket = Socket::<u64>::bind("in").unwrap();
                forever().await
            })
            .unwrap(),
    }
    sim.client("client", move || {
        let msg = msg.clone();
        async move {
            if matches!(server, Server::Crashed) {
                control::crash("server").unwrap();
            }
            let socket = Socket::<u64>::bind("out").unwrap();
            socket.send_to(("server", "in"), msg);
            time::sleep(ms(10)).await;
        }
    })
    .unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    (drops(&outcome), outcome)
}

fn dropped(time: Duration, node: &str, reason: DropReason) -> Vec<(Duration, String, DropReason)> {
    vec![(time, node.to_string(), reason)]
}

#[test]
fn a_message_to_a_bound_socket_of_its_type_is_delivered() {
    let (drops, outcome) = fate(Server::Binds, 7u64);
    assert_eq!(drops, []);
    assert_eq!((outcome.stats.sent, outcome.stats.delivered, outcome.stats.dropped), (1, 1, 0));
}

#[test]
fn a_message_to_an_unknown_node_is_dropped_at_once_by_the_sender() {
    let (drops, outcome) = fate(Server::Absent, 7u64);
    assert_eq!(drops, dropped(ms(0), "client", UnknownNode));
    assert_eq!((outcome.stats.sent, outcome.stats.delivered, outcome.stats.dropped), (1, 0, 1));
}

#[test]
fn a_message_to_a_port_without_a_socket_is_dropped_as_no_socket() {
    let (drops, outcome) = fate(Server::Bare, 7u64);
    assert_eq!(drops, dropped(ms(1), "server", NoSocket));
    assert_eq!(outcome.stats.dropped, 1);
}

#[test]
fn a_message_to_a_socket_of_another_type_is_dropped_as_type_mismatch() {
    let (drops, outcome) = fate(Server::Binds, "seven".to_string());
    assert_eq!(drops, dropped(ms(1), "server", TypeMismatch));
    assert_eq!(outcome.stats.delivered, 0);
}

#[test]
fn a_message_to_a_crashed_node_is_dropped_as_node_down() {
    let (drops, outcome) = fate(Server::Crashed, 7u64);
    assert_eq!(drops, dropped(ms(1), "server", NodeDown));
    assert_eq!(outcome.stats.delivered, 0);
}

#[test]
fn dropped_messages_are_released() {
    let token = Rc::new(());
    let t = token.clone();
    let mut sim = Sim::builder().build();
    sim.node("server", || async {
        let _socket = Socket::<Rc<()>>::bind("in").unwrap();
        forever().await
    })
    .unwrap();
    sim.client("client", move || {
        let t = t.clone();
        async move {
            let socket = Socket::<u64>::bind("out").unwrap();
            socket.send_to(("nobody", "in"), t.clone());
            socket.send_to(("server", "nothing"), t.clone());
            socket.send_to(("server", "in"), t.clone()); // queued, never read
            socket.send_to(("server", "in"), 1u64);
            time::sleep(ms(10)).await;
        }
    })
    .unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    assert_eq!((outcome.stats.delivered, outcome.stats.dropped), (1, 3));
    assert_eq!(Rc::strong_count(&token), 1, "every copy sent was dropped with its simulation");
}

#[test]
fn a_received_message_names_its_sender() {
    let seen = Seen::default();
    let s = seen.clone();
    let mut sim = Sim::builder().build();
    sim.node("server", move || {
        let s = s.clone();
        async move {
            let socket = Socket::<u64>::bind("in").unwrap();
            let (from, n) = socket.recv().await;
            s.push(format!("server got {n} from {}:{} ({from})", from.node_name(), from.port_name()));
            socket.send_to(from, n + 1);
        }
    })
    .unwrap();
    let s = seen.clone();
    sim.client("client", move || {
        let s = s.clone();
        async move {
            let socket = Socket::<u64>::bind("out").unwrap();
            socket.send_to(("server", "in"), 41u64);
            let (from, n) = socket.recv().await;
            s.push(format!("client got {n} from {from}"));
        }
    })
    .unwrap();
    assert!(sim.run().is_ok());
    assert_eq!(seen.get(), ["server got 41 from client:out (client:out)", "client got 42 from server:in"]);
}

#[test]
fn a_node_can_send_to_itself() {
    let seen = Seen::default();
    let s = seen.clone();
    let outcome = crate::solo(Sim::builder().latency(Latency::Fixed(ms(2))), move || {
        let s = s.clone();
        async move {
            let socket = Socket::<&'static str>::bind("loop").unwrap();
            socket.send_to(socket.local_addr(), "hi");
            let (from, msg) = socket.recv().await;
            assert_eq!(from, socket.local_addr());
            s.push((now(), msg));
        }
    });
    assert!(outcome.is_ok(), "{outcome}");
    assert_eq!(seen.get(), [(ms(2), "hi")]);
}

#[test]
fn try_recv_takes_only_what_has_arrived() {
    let outcome = crate::solo(Sim::builder().latency(Latency::Fixed(ms(2))), || async {
        let socket = Socket::<u64>::bind("loop").unwrap();
        socket.send_to(socket.local_addr(), 1u64);
        socket.send_to(socket.local_addr(), 2u64);
        assert!(socket.try_recv().is_none());
        time::sleep_until(at(2)).await;
        assert_eq!(socket.try_recv().map(|(_, n)| n), Some(1));
        assert_eq!(socket.try_recv().map(|(_, n)| n), Some(2));
        assert!(socket.try_recv().is_none());
    });
    assert!(outcome.is_ok(), "{outcome}");
}

#[test]
fn binding_checks_the_port_name_and_that_the_port_is_free() {
    let outcome = crate::solo(Sim::builder(), || async {
        let socket = Socket::<u64>::bind("p").unwrap();
        assert_eq!(socket.local_addr().port_name(), "p");
        assert_eq!(
            Socket::<String>::bind("p").unwrap_err(),
            SimError::AddrInUse { node: "client".into(), port: "p".into() }
        );
        assert!(matches!(Socket::<u64>::bind(""), Err(SimError::InvalidName { name, .. }) if name.is_empty()));
        assert!(matches!(Socket::<u64>::bind("#1"), Err(SimError::InvalidName { name, .. }) if name == "#1"));
        drop(socket);
        // A dropped socket frees its port.
        assert!(Socket::<u64>::bind("p").is_ok());
    });
    assert!(outcome.is_ok(), "{outcome}");
}

#[test]
fn ephemeral_ports_are_fresh_and_named_with_a_hash() {
    let outcome = crate::solo(Sim::builder(), || async {
        let a = Socket::<u64>::bind_ephemeral();
        let b = Socket::<u64>::bind_ephemeral();
        assert_ne!(a.local_addr(), b.local_addr());
        assert!(a.local_addr().port_name().starts_with('#'), "{}", a.local_addr());
        assert_eq!(a.local_addr().node_name(), "client");
    });
    assert!(outcome.is_ok(), "{outcome}");
}

#[test]
fn the_same_port_may_be_bound_on_different_nodes() {
    let mut sim = Sim::builder().build();
    for name in ["a", "b"] {
        sim.client(name, || async {
            let _s = Socket::<u64>::bind("shared").unwrap();
            time::sleep(ms(1)).await;
        })
        .unwrap();
    }
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
}

#[test]
fn a_message_to_a_dropped_socket_is_dropped_as_no_socket() {
    let outcome = crate::solo(full().latency(Latency::Fixed(ms(1))), || async {
        let socket = Socket::<u64>::bind("gone").unwrap();
        let addr = socket.local_addr();
        drop(socket);
        Socket::<u64>::bind("out").unwrap().send_to(addr, 1u64);
        time::sleep(ms(2)).await;
    });
    assert!(outcome.is_ok(), "{outcome}");
    assert_eq!(drops(&outcome), dropped(ms(1), "client", NoSocket));
}

#[test]
fn a_full_trace_shows_every_sent_message_rendered_in_its_send_record() {
    let outcome = crate::solo(full().latency(Latency::Fixed(ms(1))), || async {
        let socket = Socket::<u64>::bind("out").unwrap();
        let _words = Socket::<String>::bind("words").unwrap();
        let _big = Socket::<[u64; 4]>::bind("big").unwrap();
        let me = socket.local_addr();
        socket.send_to(me, 7u64);
        Socket::<String>::bind_ephemeral().send_to(("client", "words"), String::from("hi \"there\""));
        Socket::<[u64; 4]>::bind_ephemeral().send_to(("client", "big"), [1u64, 2, 3, 4]);
        Socket::<String>::bind_ephemeral().send_to(("nowhere", "words"), "x".repeat(2000));
        time::sleep(ms(2)).await;
    });
    assert!(outcome.is_ok(), "{outcome}");
    let copy = outcome.clone();
    let trace = outcome.trace();
    let sends: Vec<_> = trace
        .records()
        .iter()
        .filter_map(|r| match r.event {
            Event::Send { msg, to, port, text } => {
                Some((msg, trace.header.node_name(to).to_string(), port, trace.text(text).to_string()))
            }
            _ => None,
        })
        .collect();
    let long = format!("{:?}", "x".repeat(2000));
    let cut = format!("{}…", &long[..1024]);
    let texts: Vec<&str> = sends.iter().map(|(_, _, _, t)| t.as_str()).collect();
    assert_eq!(texts, ["7", "\"hi \\\"there\\\"\"", "[1, 2, 3, 4]", cut.as_str()]);
    let numbers: Vec<u64> = sends.iter().map(|&(msg, ..)| msg).collect();
    assert_eq!(numbers, [1, 2, 3, 4]);
    let to: Vec<&str> = sends.iter().map(|(_, to, _, _)| to.as_str()).collect();
    assert_eq!(to, ["client", "client", "client", "nowhere"]);
    let delivered: Vec<(u64, &str)> = trace
        .records()
        .iter()
        .filter_map(|r| match r.event {
            Event::Deliver { msg, from } => Some((msg, trace.header.node_name(from))),
            _ => None,
        })
        .collect();
    assert_eq!(delivered, [(1, "client"), (2, "client"), (3, "client")]);
    assert_eq!(drops(&outcome), dropped(Duration::ZERO, "client", UnknownNode));
    assert_eq!(copy.trace(), trace, "a cloned outcome has the same trace");
    let mut jsonl = Vec::new();
    microsim_traces::write_jsonl(trace, &mut jsonl).unwrap();
    assert_eq!(&microsim_traces::read_jsonl(&jsonl[..]).unwrap(), trace, "the trace reads back as written");
}

#[test]
fn a_full_trace_with_logs_between_sends_reads_back_equal() {
    let outcome = crate::solo(full().latency(Latency::Fixed(ms(1))), || async {
        let socket = Socket::<String>::bind("p").unwrap();
        for n in 0..3 {
            socket.send_to(socket.local_addr(), format!("message {n}"));
            tracing::info!(n, "sent");
            let (_, got) = socket.recv().await;
            tracing::info!(%got, "received");
        }
    });
    assert!(outcome.is_ok(), "{outcome}");
    let trace = outcome.trace();
    let texts: Vec<&str> = trace.records().iter().filter_map(|r| r.event.text()).map(|t| trace.text(t)).collect();
    assert_eq!(texts.len(), 9);
    assert_eq!(texts[..3], ["\"message 0\"", "sent n=0", "received got=message 0"]);
    let mut jsonl = Vec::new();
    microsim_traces::write_jsonl(trace, &mut jsonl).unwrap();
    assert_eq!(&microsim_traces::read_jsonl(&jsonl[..]).unwrap(), trace, "the trace reads back as written");
}

/// A message whose `Clone` asks the simulation for the time (user code that a
/// full trace's copy must not run while the simulator holds its state).
#[derive(Debug)]
struct Stamped(u64);

impl Clone for Stamped {
    fn clone(&self) -> Self {
        let _asks_the_simulation = microsim::time::now();
        Stamped(self.0)
    }
}

async fn send_stamped() {
    let s = Socket::<Stamped>::bind("p").unwrap();
    s.send_to(("receiver", "p"), Stamped(7));
}

async fn receive_stamped() {
    let s = Socket::<Stamped>::bind("p").unwrap();
    let (_, Stamped(n)) = s.recv().await;
    assert_eq!(n, 7);
}

#[test]
fn a_message_whose_clone_uses_the_simulation_can_be_traced() {
    let mut sim = Sim::builder().record(microsim::RecordMode::Full).build();
    sim.node("receiver", receive_stamped).unwrap();
    sim.client("sender", send_stamped).unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    let texts: Vec<&str> =
        outcome.trace().records().iter().filter_map(|r| r.event.text()).map(|t| outcome.trace().text(t)).collect();
    assert!(texts.contains(&"Stamped(7)"), "{texts:?}");
}

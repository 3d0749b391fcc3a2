//! The config center's API on a fault-free 3-server group: bad input gets a
//! typed error that says what was wrong, and leaves what was committed intact;
//! canary releases, compare-and-set and compaction notices work as documented.

use microsim::{rpc, Sim};
use microsim_services::config::api::PORT;
use microsim_services::config::key::MAX_VALUE_BYTES;
use microsim_services::config::machine::HISTORY_LEN;
use microsim_services::config::server::{serve, ServerConfig};
use microsim_services::config::{ConfigError, ReadMode, Reply, Request, Response, Variant, Write};
use microsim_services::raft::Timing;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

const SERVERS: [&str; 3] = ["cfg0", "cfg1", "cfg2"];
const KEPT: &str = "shop/prod/kept";

/// Sends `req` to the leader: follows refusals' hints, tries the next server on silence.
async fn ask(req: Request) -> Response {
    let mut target = 0;
    for _ in 0..50 {
        let to = (SERVERS[target], PORT);
        match rpc::call::<Request, Response>(to, req.clone(), Duration::from_millis(400)).await {
            Ok(Err(ConfigError::NotLeader { hint })) => {
                target = match hint.and_then(|h| SERVERS.iter().position(|s| *s == h)) {
                    Some(i) => i,
                    None => {
                        microsim::time::sleep(Duration::from_millis(50)).await;
                        (target + 1) % SERVERS.len()
                    }
                }
            }
            Ok(answer) => return answer,
            Err(_) => target = (target + 1) % SERVERS.len(),
        }
    }
    panic!("no leader answered {req:?}")
}

fn get(key: &str, client: &str) -> Request {
    Request::Get { key: key.into(), mode: ReadMode::Strong, client: client.into() }
}

fn put(key: &str, value: &str) -> Request {
    Request::Write(Write::Put { key: key.into(), value: value.into() })
}

/// Starts a fresh group, commits `KEPT` = "v1", sends `requests` one after the
/// other, and returns their answers; then checks `KEPT` still reads "v1" at
/// the version it was written with (nothing committed was lost).
fn check(requests: Vec<Request>) -> Vec<Response> {
    let answers = Rc::new(RefCell::new(Vec::new()));
    let mut sim = Sim::builder().seed(3).max_time(Duration::from_secs(60)).build();
    let members: Vec<String> = SERVERS.iter().map(|s| s.to_string()).collect();
    for name in SERVERS {
        let config = ServerConfig {
            members: members.clone(),
            variant: Variant::Correct,
            timing: Timing::default(),
            observer: None,
        };
        sim.node(name, move || serve(config.clone())).unwrap();
    }
    let out = answers.clone();
    sim.client("admin", move || {
        let (requests, out) = (requests.clone(), out.clone());
        async move {
            let Ok(Reply::Written { version }) = ask(put(KEPT, "v1")).await else { panic!("the first put commits") };
            for req in requests {
                let answer = ask(req).await;
                out.borrow_mut().push(answer);
            }
            let kept = ask(get(KEPT, "admin")).await;
            assert_eq!(kept, Ok(Reply::Read { value: Some("v1".into()), version }), "the committed value is intact");
        }
    })
    .unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    answers.take()
}

fn error(answer: &Response) -> &ConfigError {
    answer.as_ref().expect_err("an error")
}

#[test]
fn an_oversized_value_is_refused_with_its_size() {
    let big = "x".repeat(MAX_VALUE_BYTES + 1);
    let answers = check(vec![put(KEPT, &big), put("shop/prod/other", &big)]);
    for a in &answers {
        assert_eq!(*error(a), ConfigError::ValueTooLarge { key: error(a).key(), len: 1025, max: 1024 });
    }
    assert_eq!(
        error(&answers[0]).to_string(),
        "the value for \"shop/prod/kept\" is 1025 bytes, more than the 1024 allowed"
    );
}

#[test]
fn invalid_keys_are_refused_with_what_is_wrong() {
    let bad = ["", "shop/prod", "shop/prod/a/b", "Shop/prod/a", "shop/prod/a b", "shop//a"];
    let answers = check(bad.iter().map(|k| put(k, "v")).chain([get("nope", "admin")]).collect());
    for (a, key) in answers.iter().zip(bad.iter().chain([&"nope"])) {
        assert!(matches!(error(a), ConfigError::InvalidKey { key: k, .. } if k == key), "{key:?}: {a:?}");
    }
    assert_eq!(
        error(&answers[3]).to_string(),
        "invalid key \"Shop/prod/a\": the application has 'S'; allowed are a-z, 0-9, '.', '_' and '-'"
    );
}

#[test]
fn compare_and_set_on_a_missing_key_is_refused() {
    let cas = |key: &str| Request::Write(Write::Cas { key: key.into(), expected: 1, value: "v".into() });
    let answers = check(vec![
        cas("shop/prod/missing"),
        Request::Write(Write::Delete { key: "shop/prod/gone".into() }),
        cas("shop/prod/gone"),
    ]);
    assert_eq!(*error(&answers[0]), ConfigError::CasOnMissingKey { key: "shop/prod/missing".into() });
    assert_eq!(*error(&answers[2]), ConfigError::CasOnMissingKey { key: "shop/prod/gone".into() });
    assert!(error(&answers[0]).to_string().contains("does not exist"));
}

#[test]
fn compare_and_set_with_an_old_version_is_refused_and_with_the_current_one_applies() {
    let cas = |expected| {
        Request::Write(Write::Cas { key: "shop/prod/n".into(), expected, value: format!("after {expected}") })
    };
    let answers = check(vec![put("shop/prod/n", "a"), cas(1), cas(2), cas(2)]);
    assert_eq!(answers[0], Ok(Reply::Written { version: 2 }));
    assert_eq!(*error(&answers[1]), ConfigError::VersionMismatch { key: "shop/prod/n".into(), expected: 1, actual: 2 });
    assert_eq!(answers[2], Ok(Reply::Written { version: 3 }));
    assert_eq!(*error(&answers[3]), ConfigError::VersionMismatch { key: "shop/prod/n".into(), expected: 2, actual: 3 });
}

#[test]
fn a_watch_from_a_future_revision_is_refused() {
    let watch = |from| Request::Watch { prefix: "shop/".into(), from: Some(from), client: "admin".into() };
    let answers = check(vec![watch(5)]);
    assert_eq!(*error(&answers[0]), ConfigError::FutureRevision { from: 5, current: 1 });
    assert_eq!(error(&answers[0]).to_string(), "watch from revision 5, but the store is only at revision 1");
}

#[test]
fn a_watch_of_a_bad_prefix_is_refused() {
    let answers = check(vec![Request::Watch { prefix: "shop".into(), from: Some(1), client: "admin".into() }]);
    assert!(matches!(error(&answers[0]), ConfigError::InvalidKey { .. }), "{answers:?}");
}

#[test]
fn promoting_with_no_canary_release_is_refused() {
    let answers = check(vec![Request::Write(Write::Promote { key: KEPT.into() })]);
    assert_eq!(*error(&answers[0]), ConfigError::NoCanary { key: KEPT.into() });
}

#[test]
fn a_canary_value_is_seen_by_its_clients_first_then_by_everyone() {
    let flag = "shop/prod/flag";
    let canary = Request::Write(Write::Canary { key: flag.into(), value: "new".into(), clients: ["c1".into()].into() });
    let promote = Request::Write(Write::Promote { key: flag.into() });
    let answers = check(vec![put(flag, "old"), canary, get(flag, "c1"), get(flag, "c2"), promote, get(flag, "c2")]);
    let read = |value: &str, version| Ok(Reply::Read { value: Some(value.into()), version });
    assert_eq!(answers[2], read("new", 3));
    assert_eq!(answers[3], read("old", 2));
    assert_eq!(answers[4], Ok(Reply::Written { version: 4 }));
    assert_eq!(answers[5], read("new", 4));
}

#[test]
fn a_watch_from_a_compacted_revision_gets_a_snapshot_to_re_read() {
    let puts = (0..HISTORY_LEN + 4).map(|i| put("shop/prod/n", &format!("v{i}")));
    let watch = Request::Watch { prefix: "shop/prod/".into(), from: Some(2), client: "admin".into() };
    let answers = check(puts.chain([watch]).collect());
    let last = HISTORY_LEN as u64 + 5;
    let snapshot = vec![
        (KEPT.to_string(), Some("v1".to_string()), 1),
        ("shop/prod/n".to_string(), Some(format!("v{}", HISTORY_LEN + 3)), last),
    ];
    assert_eq!(answers.last().unwrap(), &Ok(Reply::Compacted { revision: last, snapshot }));
}

//! The parsers of the Porcupine corpus formats, on small texts written here
//! (the corpus itself is checked by `.ci/run`): pairing, the oddities the
//! corpus README lists, and errors naming the file and the line.

use microsim::history::OpOutcome;
use microsim::lin::corpus::{parse_jepsen, parse_kv};
use microsim::lin::models::{KvInput, KvOutput, RegisterCas, RegisterInput, RegisterOutput};
use microsim::lin::{self, Verdict};

/// The error message of a malformed text, or the operations (input, outcome) of a good one.
fn jepsen(text: &str) -> Result<Vec<(u64, RegisterInput, OpOutcome<RegisterOutput>)>, String> {
    let h = parse_jepsen("t.log", text).map_err(|e| e.to_string())?;
    Ok(h.ops().iter().map(|op| (op.process, op.input, op.outcome.clone())).collect())
}

const LOG: &str = "INFO  jepsen.util - 0\t:invoke\t:write\t1
INFO  jepsen.util - 1   :invoke :cas    [1 2]
INFO  jepsen.util - 0\t:ok\t:write\t1
INFO  jepsen.util - 2\t:invoke\t:read\tnil
INFO  jepsen.util - 1\t:info\t:cas\t:timed-out
INFO  jepsen.util - 2\t:fail\t:read\t:timed-out
INFO  jepsen.util - 3\t:invoke\t:cas\t[4 0]
INFO  jepsen.util - 3\t:fail\t:cas\t[4 0]
INFO  jepsen.util - 4\t:invoke\t:read\tnil
INFO  jepsen.util - 4\t:ok\t:read\t2
INFO  jepsen.util - 0\t:invoke\t:write\t3
";

#[test]
fn jepsen_lines_pair_by_process_with_tabs_or_spaces() {
    use OpOutcome::*;
    use RegisterInput::*;
    let ops = jepsen(LOG).unwrap();
    assert_eq!(
        ops,
        [
            (0, Write(1), Ok(RegisterOutput::Written)),
            (1, Cas { expect: 1, new: 2 }, Unknown),
            (2, Read, Failed),
            (3, Cas { expect: 4, new: 0 }, Failed),
            (4, Read, Ok(RegisterOutput::Value(Some(2)))),
            (0, Write(3), Pending),
        ]
    );
}

#[test]
fn a_jepsen_log_with_an_unknown_cas_and_an_open_write_checks() {
    // The timed-out cas must have swapped for the read of 2; the failed cas saw 2, not 4.
    let h = parse_jepsen("t.log", LOG).unwrap();
    assert_eq!(lin::check(&RegisterCas, &h), Verdict::Linearizable);
}

#[test]
fn an_empty_file_is_an_empty_history() {
    assert_eq!(jepsen(""), Ok(vec![]));
    assert!(parse_kv("e.txt", "\n").unwrap().is_empty());
}

#[test]
fn a_malformed_jepsen_line_is_an_error_naming_the_file_and_line() {
    let bad = |line: &str| jepsen(&format!("INFO  jepsen.util - 0\t:invoke\t:read\tnil\n{line}\n")).unwrap_err();
    assert_eq!(bad("INFO  jepsen.util - x :ok :read nil"), "t.log:2: process `x` is not a non-negative integer");
    assert_eq!(bad("INFO  jepsen.util - 0 :ok :read two"), "t.log:2: `two` is not an integer");
    assert!(bad("INFO  jepsen.util - 0 :done :read 1").starts_with("t.log:2: unknown type `:done`"));
    assert!(bad("INFO  jepsen.util - 0 :ok :write 1").contains("whose open operation is a :read"));
    assert!(bad("INFO  jepsen.util - 5 :ok :read 1").contains("process 5, which has no open :invoke"));
    assert!(bad("WARN  jepsen.util - 0 :ok :read 1").starts_with("t.log:2: expected the prefix"));
    assert!(bad("INFO  jepsen.util - 1 :invoke :cas [1]").contains("expected `[A B]`"));
}

#[test]
fn kv_lines_parse_with_quoted_values_and_pair_by_process() {
    let text = r#"{:process 0, :type :invoke, :f :append, :key "1", :value "x 0 0 y"}
{:process 1, :type :invoke, :f :get, :key "1", :value nil}
{:process 0, :type :ok, :f :append, :key "1", :value "x 0 0 y"}
{:process 1, :type :ok, :f :get, :key "1", :value ""}
"#;
    let h = parse_kv("k.txt", text).unwrap();
    let ops: Vec<_> = h.ops().iter().map(|op| (op.input.clone(), op.outcome.clone())).collect();
    let append = KvInput::Append { key: "1".into(), value: "x 0 0 y".into() };
    let get = KvInput::Get { key: "1".into() };
    assert_eq!(ops, [(append, OpOutcome::Ok(KvOutput::Done)), (get, OpOutcome::Ok(KvOutput::Value(String::new())))]);
    assert_eq!(h.ops()[1].invoke_ns, 2);
}

#[test]
fn a_malformed_kv_line_is_an_error_naming_the_file_and_line() {
    let good = r#"{:process 0, :type :invoke, :f :get, :key "1", :value nil}"#;
    let bad = |line: &str| parse_kv("k.txt", &format!("{good}\n\n{line}\n")).unwrap_err().to_string();
    assert!(bad(":process 0").starts_with("k.txt:3: expected a map"));
    assert_eq!(bad(r#"{:process 0, :type :ok, :f :get, :key "1"}"#), "k.txt:3: the field :value is missing");
    assert!(bad(r#"{:process 0, :type :ok, :f :get, :key "1", :value "ab}"#).contains("closing quote"));
    assert!(bad(r#"{:process 0, :type :ok, :f :pop, :key "1", :value nil}"#).contains("unknown operation `:pop`"));
    assert!(bad(r#"{:process 0, :type :ok, :f :get, :key "1", :value nil}"#).contains("a :get has value nil"));
}

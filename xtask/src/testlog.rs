//! Reads what `cargo test -- --show-output` prints (cargo's status lines and libtest's, merged into one stream in the
//! order they were written) and keeps one record per test: its outcome, and whether it skipped and why.
//!
//! Why this output and not another: libtest's machine-readable formats (`--format json`) need nightly, and running
//! tests one at a time to tie free-running output to a test would make the suite slower. libtest already ties output
//! to its test when the test prints through `println!`/`eprintln!` (it captures both): with `--show-output` it prints
//! each test's captured output under `---- <name> stdout ----`, for passing and failing tests alike. So a skip is
//! counted only from inside such a block, once per test; a `SKIPPED:` line outside every block (written around the
//! capture, straight to a file descriptor) cannot be tied to a test and is reported as a problem, not guessed at.
//! Each test's outcome comes from libtest's `test <name> ... ok|FAILED|ignored` line and is checked against the
//! binary's own `test result:` totals; a binary that stops without those totals (a signal, an abort, a failure to
//! start) is a crash. A result line that another writer broke (text written straight to the stream, around the
//! capture, landing inside it) is recovered from the lists libtest prints at the end (`successes:` / `failures:`,
//! one indented name per line); an outcome found in neither place leaves the totals disagreeing, which is a problem.

use std::collections::BTreeMap;

/// How a test ended, as libtest reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `ok`.
    Passed,
    /// `FAILED`.
    Failed,
    /// `ignored`.
    Ignored,
}

/// One test of one test binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRecord {
    /// `<binary>::<test name>`, e.g. `engine::conv_relu_builds_and_saves`.
    pub id: String,
    /// libtest's verdict.
    pub outcome: Outcome,
    /// The reason after the first `SKIPPED:` the test printed, if it printed one.
    pub skip: Option<String>,
    /// The first lines of a failing test's panic message (or the `Error: …` line of a test that returned `Err`).
    pub panic: Vec<String>,
}

/// The totals libtest printed for one binary.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Totals {
    passed: u64,
    failed: u64,
    ignored: u64,
}

#[derive(Debug, PartialEq, Eq)]
enum BinaryState {
    /// cargo announced it; libtest has not said `running N tests` yet.
    Announced,
    /// Between `running N tests` and `test result:`.
    Running,
    /// `test result:` seen.
    Finished,
    /// Already reported as a crash.
    Crashed,
}

#[derive(Debug, Default)]
struct Captured {
    skip: Option<String>,
    panic: Vec<String>,
}

/// The state of the reader, fed one line at a time.
#[derive(Debug, Default)]
pub struct TestLog {
    binary: Option<(String, BinaryState)>,
    outcomes: BTreeMap<String, Outcome>,
    captured: BTreeMap<String, Captured>,
    /// The test whose captured output is being read.
    block: Option<String>,
    /// Inside libtest's closing `successes:` or `failures:` list: the outcome its names have.
    listing: Option<Outcome>,
    /// The names those lists gave, for the tests whose result line could not be read.
    listed: BTreeMap<String, Outcome>,
    /// Every test of every finished binary, in the order the binaries ran.
    pub tests: Vec<TestRecord>,
    /// Binaries that stopped without reporting their results, with why.
    pub crashes: Vec<String>,
    /// Things that make the counts untrustworthy (a skip no test can be tied to, totals that disagree).
    pub problems: Vec<String>,
}

/// The reason of a `SKIPPED: <reason>` line.
pub fn skip_reason(line: &str) -> Option<&str> {
    line.trim_start().strip_prefix("SKIPPED:").map(str::trim)
}

/// The tag of a skip reason: `<tag>: <details>`, the text before the first `:`. The runner's allow-list compares
/// tags whole, never as a prefix or a substring of the reason, so that a failure whose text merely mentions a
/// fixture or a GPU cannot pass for an allowed skip. A reason without a `:` has no tag (and is never allowed).
pub fn skip_tag(reason: &str) -> Option<&str> {
    reason
        .split_once(':')
        .map(|(tag, _)| tag.trim())
        .filter(|tag| !tag.is_empty())
}

impl TestLog {
    /// Feeds one line (without its line ending).
    pub fn line(&mut self, line: &str) {
        if let Some(label) = cargo_binary_label(line) {
            self.end_binary(None);
            self.binary = Some((label, BinaryState::Announced));
            return;
        }
        if line.contains("process didn't exit successfully:") {
            // cargo's report of the binary it just ran: `... (exit status: 101)`, `... (signal: 6, SIGABRT: ...)`.
            let status = line
                .rfind(" (")
                .map(|i| line[i + 2..].trim_end_matches(')'))
                .unwrap_or("unknown status");
            let finished = matches!(&self.binary, Some((_, BinaryState::Finished)));
            if !finished || status.starts_with("signal") {
                self.end_binary(Some(status.to_owned()));
            }
            return;
        }
        let Some((_, state)) = &mut self.binary else {
            if skip_reason(line).is_some() {
                self.problems
                    .push(format!("a SKIPPED: line outside any test binary: {line}"));
            }
            return;
        };
        if *state == BinaryState::Announced {
            if let Some(n) = line
                .strip_prefix("running ")
                .and_then(|r| r.strip_suffix(" tests").or_else(|| r.strip_suffix(" test")))
            {
                if n.parse::<u64>().is_ok() {
                    *state = BinaryState::Running;
                }
            }
            if skip_reason(line).is_some() {
                self.unattributed(line);
            }
            return;
        }
        if *state != BinaryState::Running {
            if skip_reason(line).is_some() {
                self.unattributed(line);
            }
            return;
        }
        if let Some(rest) = line.strip_prefix("test result: ") {
            self.block = None;
            self.listing = None;
            self.finish_binary(parse_totals(rest));
            return;
        }
        if let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|r| r.strip_suffix(" stdout ----"))
        {
            self.block = Some(name.to_owned());
            self.listing = None;
            return;
        }
        if line == "successes:" || line == "failures:" {
            self.block = None;
            self.listing = Some(if line == "successes:" {
                Outcome::Passed
            } else {
                Outcome::Failed
            });
            return;
        }
        if let Some(name) = &self.block {
            let captured = self.captured.entry(name.clone()).or_default();
            if let Some(reason) = skip_reason(line) {
                captured.skip.get_or_insert_with(|| reason.to_owned());
            }
            let in_panic = captured.panic.len() < 3
                && captured
                    .panic
                    .first()
                    .is_some_and(|l| l.contains("panicked at"));
            if line.contains("panicked at") || in_panic {
                captured.panic.push(line.to_owned());
            } else if line.starts_with("Error: ") {
                // A test returning `Err`: libtest prints it with `Debug`, as `main` would.
                captured.panic.push(line.to_owned());
            }
            return;
        }
        if let Some(outcome) = self.listing {
            if let Some(name) = line.strip_prefix("    ").filter(|n| !n.trim().is_empty()) {
                self.listed.insert(name.to_owned(), outcome);
                return;
            }
        }
        if let Some((name, outcome)) = parse_outcome(line) {
            self.outcomes.insert(name.to_owned(), outcome);
        } else if skip_reason(line).is_some() {
            self.unattributed(line);
        }
    }

    /// The end of the stream: a binary still running has crashed.
    pub fn finish(&mut self) {
        self.end_binary(None);
    }

    fn label(&self) -> &str {
        self.binary.as_ref().map_or("?", |(l, _)| l.as_str())
    }

    fn unattributed(&mut self, line: &str) {
        let label = self.label().to_owned();
        self.problems.push(format!(
            "{label}: a SKIPPED: line outside every test's captured output (print skips with println!/eprintln!, \
             which libtest captures and ties to the test): {}",
            line.trim()
        ));
    }

    /// `test result:` read: keeps the binary's tests and checks them against libtest's totals.
    fn finish_binary(&mut self, totals: Option<Totals>) {
        let label = self.label().to_owned();
        self.recover_from_lists(totals);
        let mut counted = Totals::default();
        for (name, outcome) in std::mem::take(&mut self.outcomes) {
            let captured = self.captured.remove(&name).unwrap_or_default();
            match outcome {
                Outcome::Passed => counted.passed += 1,
                Outcome::Failed => counted.failed += 1,
                Outcome::Ignored => counted.ignored += 1,
            }
            self.tests.push(TestRecord {
                id: format!("{label}::{name}"),
                outcome,
                skip: captured.skip,
                panic: captured.panic,
            });
        }
        for (name, captured) in std::mem::take(&mut self.captured) {
            if let Some(reason) = captured.skip {
                self.problems.push(format!(
                    "{label}::{name} printed SKIPPED: {reason}, but libtest reported no result for it"
                ));
            }
        }
        match totals {
            Some(t) if t == counted => {}
            Some(t) => self.problems.push(format!(
                "{label}: libtest's totals ({} passed, {} failed, {} ignored) differ from the per-test lines read \
                 ({} passed, {} failed, {} ignored)",
                t.passed, t.failed, t.ignored, counted.passed, counted.failed, counted.ignored
            )),
            None => self
                .problems
                .push(format!("{label}: unreadable `test result:` line")),
        }
        if let Some((_, state)) = &mut self.binary {
            *state = BinaryState::Finished;
        }
    }

    /// Where the result lines read fall short of libtest's totals, adds the tests that only the closing lists name.
    /// A list names a test as its result line does, except doc-tests' mode (`… (line 5) - compile ... ok` is
    /// listed as `… (line 5)`): a listed name that a result line read starts is the same test.
    fn recover_from_lists(&mut self, totals: Option<Totals>) {
        let listed = std::mem::take(&mut self.listed);
        let read = self.outcomes.len() as u64;
        if totals.is_none_or(|t| t.passed + t.failed + t.ignored <= read) {
            return;
        }
        for (name, outcome) in listed {
            let seen = self.outcomes.keys().any(|k| {
                k == &name
                    || k.strip_prefix(name.as_str())
                        .is_some_and(|r| r.starts_with(" - "))
            });
            if !seen {
                self.outcomes.insert(name, outcome);
            }
        }
    }

    /// The binary is over: if it never reported its results, it crashed.
    fn end_binary(&mut self, status: Option<String>) {
        let Some((label, state)) = &mut self.binary else {
            return;
        };
        let crashed = match state {
            BinaryState::Finished => status.is_some(),
            BinaryState::Crashed => false,
            BinaryState::Announced | BinaryState::Running => {
                // cargo's "Running" line is followed by libtest's output or by cargo's failure report: at the end of
                // a stream without either, cargo itself was stopped, and there is nothing to report.
                status.is_some() || *state == BinaryState::Running
            }
        };
        if crashed {
            let finished = self.outcomes.len();
            let status = status.unwrap_or_else(|| "no exit status reported".into());
            let when = match state {
                BinaryState::Announced => "before running any test".to_owned(),
                BinaryState::Running => format!("with {finished} test(s) finished"),
                _ => "after reporting its results".to_owned(),
            };
            self.crashes
                .push(format!("{label}: CRASHED ({status}) {when}"));
            *state = BinaryState::Crashed;
            // The tests that did finish still count.
            for (name, outcome) in std::mem::take(&mut self.outcomes) {
                let captured = self.captured.remove(&name).unwrap_or_default();
                self.tests.push(TestRecord {
                    id: format!("{label}::{name}"),
                    outcome,
                    skip: captured.skip,
                    panic: captured.panic,
                });
            }
            self.captured.clear();
        }
        self.block = None;
        self.listing = None;
        self.listed.clear();
    }
}

/// `     Running tests/engine.rs (target/debug/deps/engine-0123abcd)` → `engine`; `   Doc-tests trt` → `trt doc-tests`.
fn cargo_binary_label(line: &str) -> Option<String> {
    if let Some(krate) = line.strip_prefix("   Doc-tests ") {
        return Some(format!("{} doc-tests", krate.trim()));
    }
    let rest = line.strip_prefix("     Running ")?;
    let path = rest.rsplit_once(" (")?.1.strip_suffix(')')?;
    let file = path.rsplit(['/', '\\']).next()?;
    let stem = file.rsplit_once('-').map_or(file, |(stem, _hash)| stem);
    Some(stem.to_owned())
}

/// `test a::b ... ok` → (`a::b`, Passed).
fn parse_outcome(line: &str) -> Option<(&str, Outcome)> {
    let (name, result) = line.strip_prefix("test ")?.rsplit_once(" ... ")?;
    let outcome = match result {
        "ok" => Outcome::Passed,
        "FAILED" => Outcome::Failed,
        r if r == "ignored" || r.starts_with("ignored, ") => Outcome::Ignored,
        _ => return None,
    };
    Some((name, outcome))
}

/// `ok. 5 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s`.
fn parse_totals(rest: &str) -> Option<Totals> {
    let (_, counts) = rest.split_once(". ")?;
    let mut totals = Totals::default();
    let mut seen = 0;
    for part in counts.split(';') {
        let mut words = part.split_whitespace();
        let (Some(n), Some(what)) = (words.next(), words.next()) else {
            continue;
        };
        let Ok(n) = n.parse::<u64>() else { continue };
        match what {
            "passed" => totals.passed = n,
            "failed" => totals.failed = n,
            "ignored" => totals.ignored = n,
            _ => continue,
        }
        seen += 1;
    }
    (seen == 3).then_some(totals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skip_tag_is_the_text_before_the_first_colon() {
        assert_eq!(
            skip_tag("large fixture not found: /x/resnet18 (set CANDLE2TRT_FIXTURES)"),
            Some("large fixture not found")
        );
        assert_eq!(
            skip_tag("no TensorRT 11.4 library: Enterprise headers 11.4.0: could not load"),
            Some("no TensorRT 11.4 library")
        );
        // The old free-form reasons have a tag that is their whole first clause, path and all: no longer a match.
        assert_eq!(
            skip_tag("large fixture /x/model.safetensors not found (set CANDLE2TRT_FIXTURES …)"),
            None
        );
        assert_eq!(
            skip_tag("parity resnet18: fixture \"resnet18\" not found in /x"),
            Some("parity resnet18")
        );
        assert_eq!(skip_tag(": no tag"), None);
        assert_eq!(skip_tag("no colon at all"), None);
        let line = "SKIPPED: no CUDA device: CUDA_ERROR_NO_DEVICE";
        assert_eq!(skip_reason(line).and_then(skip_tag), Some("no CUDA device"));
    }

    /// Each test's id, outcome and skip reason.
    fn outcomes(log: &TestLog) -> Vec<(&str, Outcome, Option<&str>)> {
        log.tests
            .iter()
            .map(|t| (t.id.as_str(), t.outcome, t.skip.as_deref()))
            .collect()
    }

    fn read(text: &str) -> TestLog {
        let mut log = TestLog::default();
        for line in text.lines() {
            log.line(line);
        }
        log.finish();
        log
    }

    const TWO_BINARIES: &str = "\
   Compiling trt v0.1.0
     Running tests/engine.rs (target/debug/deps/engine-8d5c5f1a2b3c4d5e)

running 3 tests
test library_is_loaded_once ... ok
test deserialize_is_a_clean_result ... ok
test slow_one ... ignored, needs a big GPU

successes:

---- deserialize_is_a_clean_result stdout ----
built engine for convolution+relu: 1234 bytes
SKIPPED: no supported GPU: no CUDA device
SKIPPED: no supported GPU: said twice, counted once

---- library_is_loaded_once stdout ----
SKIPPED: not yet a reason of the list

successes:
    deserialize_is_a_clean_result
    library_is_loaded_once

test result: ok. 2 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.50s

     Running unittests src/lib.rs (target/debug/deps/trt_sys-0011223344556677)

running 3 tests
test tests::a ... ok
test tests::b ... FAILED
test tests::c ... FAILED

successes:

successes:
    tests::a

failures:

---- tests::b stdout ----
SKIPPED: printed before failing

thread 'tests::b' panicked at trt-sys/src/lib.rs:10:5:
assertion `left == right` failed
  left: 1
 right: 2
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace

---- tests::c stdout ----
Error: TensorRt(\"could not load\")


failures:
    tests::b
    tests::c

test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

error: test failed, to rerun pass `-p trt-sys --lib`

Caused by:
  process didn't exit successfully: `/w/target/debug/deps/trt_sys-0011223344556677 --show-output` (exit status: 101)
   Doc-tests trt

running 1 test
test trt/src/lib.rs - (line 5) ... ok

successes:

successes:
    trt/src/lib.rs - (line 5)

test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.10s
";

    #[test]
    fn each_test_once_with_its_outcome_and_skip() {
        let log = read(TWO_BINARIES);
        assert_eq!(log.crashes, Vec::<String>::new());
        assert_eq!(log.problems, Vec::<String>::new());
        let got = outcomes(&log);
        assert_eq!(
            got,
            [
                (
                    "engine::deserialize_is_a_clean_result",
                    Outcome::Passed,
                    Some("no supported GPU: no CUDA device")
                ),
                (
                    "engine::library_is_loaded_once",
                    Outcome::Passed,
                    Some("not yet a reason of the list")
                ),
                ("engine::slow_one", Outcome::Ignored, None),
                ("trt_sys::tests::a", Outcome::Passed, None),
                (
                    "trt_sys::tests::b",
                    Outcome::Failed,
                    Some("printed before failing")
                ),
                ("trt_sys::tests::c", Outcome::Failed, None),
                (
                    "trt doc-tests::trt/src/lib.rs - (line 5)",
                    Outcome::Passed,
                    None
                ),
            ]
        );
        assert_eq!(
            log.tests[4].panic,
            [
                "thread 'tests::b' panicked at trt-sys/src/lib.rs:10:5:",
                "assertion `left == right` failed",
                "  left: 1"
            ]
        );
        assert_eq!(log.tests[5].panic, [r#"Error: TensorRt("could not load")"#]);
    }

    #[test]
    fn a_signal_is_a_crash_and_the_finished_tests_still_count() {
        let log = read(
            "     Running tests/layers.rs (target/debug/deps/layers-99aa)\n\n\
             running 40 tests\n\
             test shape ... ok\n\
             error: test failed, to rerun pass `-p trt --test layers`\n\n\
             Caused by:\n  process didn't exit successfully: `/t/layers-99aa --show-output` \
             (signal: 11, SIGSEGV: invalid memory reference)\n",
        );
        assert_eq!(
            log.crashes,
            ["layers: CRASHED (signal: 11, SIGSEGV: invalid memory reference) with 1 test(s) finished"]
        );
        assert_eq!(log.tests.len(), 1);
        assert_eq!(log.tests[0].id, "layers::shape");
    }

    #[test]
    fn a_binary_that_cannot_start_is_a_crash() {
        let log = read(
            "     Running tests/cuda_runtime.rs (target/debug/deps/cuda_runtime-1234)\n\
             /t/cuda_runtime-1234: error while loading shared libraries: libcuda.so.1: cannot open shared object \
             file: No such file or directory\n\
             error: test failed, to rerun pass `-p candle2trt --test cuda_runtime`\n\n\
             Caused by:\n  process didn't exit successfully: `/t/cuda_runtime-1234` (exit status: 127)\n",
        );
        assert_eq!(
            log.crashes,
            ["cuda_runtime: CRASHED (exit status: 127) before running any test"]
        );
    }

    #[test]
    fn output_that_stops_mid_binary_is_a_crash() {
        let log = read(
            "     Running tests/execute.rs (target/debug/deps/execute-1234)\n\nrunning 1 test\n",
        );
        assert_eq!(
            log.crashes,
            ["execute: CRASHED (no exit status reported) with 0 test(s) finished"]
        );
    }

    #[test]
    fn a_skip_outside_captured_output_is_a_problem() {
        let log = read(
            "     Running tests/a.rs (target/debug/deps/a-1234)\n\nrunning 1 test\n\
             SKIPPED: written straight to stderr\n\
             test t ... ok\n\n\
             test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n",
        );
        assert_eq!(log.problems.len(), 1, "{:?}", log.problems);
        assert!(
            log.problems[0].starts_with("a: a SKIPPED: line outside every test's captured output"),
            "{:?}",
            log.problems
        );
        assert_eq!(log.tests[0].skip, None);
    }

    #[test]
    fn a_result_line_broken_by_another_writer_is_recovered_from_the_closing_lists() {
        // The shape of what broke CI once (its log was cut, so the figures here are made up): a line written
        // straight to stderr in two writes, with a result line in between.
        let log = read(
            "     Running tests/a.rs (target/debug/deps/a-1234)\n\nrunning 3 tests\n\
             small CNN, batch 1: f32 max |error| 5.96e-8test t ... ok\n\n\
             test u ... FAILED\n\
             small CNN, batch 3test v ... FAILED\n\n\
             \nsuccesses:\n\n---- t stdout ----\nSKIPPED: no GPU\n\n\nsuccesses:\n    t\n\n\
             failures:\n\n---- u stdout ----\nthread 'u' panicked at a.rs:1:1:\nboom\n\n\
             ---- v stdout ----\nthread 'v' panicked at a.rs:2:1:\nbang\n\n\nfailures:\n    u\n    v\n\n\
             test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n",
        );
        assert!(log.problems.is_empty(), "{:?}", log.problems);
        let got = outcomes(&log);
        assert_eq!(
            got,
            [
                ("a::t", Outcome::Passed, Some("no GPU")),
                ("a::u", Outcome::Failed, None),
                ("a::v", Outcome::Failed, None)
            ]
        );
        assert_eq!(log.tests[2].panic[1], "bang");
    }

    #[test]
    fn doc_tests_listed_without_their_mode_are_not_counted_twice() {
        let log = read(
            "   Doc-tests trt\n\nrunning 2 tests\n\
             test trt/src/lib.rs - (line 30) - compile ... ok\n\
             small CNNtest trt/src/builder.rs - builder::Builder (line 23) - compile ... ok\n\n\
             successes:\n\nsuccesses:\n    trt/src/builder.rs - builder::Builder (line 23)\n    trt/src/lib.rs - (line 30)\n\n\
             test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.13s\n",
        );
        assert!(log.problems.is_empty(), "{:?}", log.problems);
        let ids: Vec<_> = log.tests.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "trt doc-tests::trt/src/builder.rs - builder::Builder (line 23)",
                "trt doc-tests::trt/src/lib.rs - (line 30) - compile"
            ]
        );
    }

    #[test]
    fn totals_that_disagree_with_the_lines_read_are_a_problem() {
        let log = read(
            "     Running tests/a.rs (target/debug/deps/a-1234)\n\nrunning 2 tests\n\
             test t ... ok\n\
             test u ... garbled by another writer\n\n\
             test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n",
        );
        assert_eq!(
            log.problems,
            ["a: libtest's totals (2 passed, 0 failed, 0 ignored) differ from the per-test lines read (1 passed, 0 \
              failed, 0 ignored)"]
        );
    }
}

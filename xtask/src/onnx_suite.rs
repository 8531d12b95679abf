//! `cargo xtask onnx-suite`: ONNX's own backend test cases run through `candle2trt simulate --test-data`
//! (TensorRT's ONNX parser writes each network, `trt-sim` runs it, ONNX's expected outputs judge it), the
//! results written to `<target>/onnx-suite.tsv` and compared with the expected results committed in
//! `trt-sim/tests/onnx_suite_expected.tsv`: a case expected to match that no longer does fails the command.

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::deps::{self, Provisioned};

/// The suites run, folders of `onnx/backend/test/data/` whose cases are `<case>/model.onnx` +
/// `<case>/test_data_set_0/`; `light/` (models without inputs) is run as well, see `light_cases`.
const SUITES: [&str; 4] = ["node", "simple", "pytorch-converted", "pytorch-operator"];
/// The expected results, relative to the workspace root.
pub const EXPECTED: &str = "trt-sim/tests/onnx_suite_expected.tsv";
/// Cases run at once (the machine this was measured on has 2 cores).
const PARALLEL: usize = 2;

/// One case to run.
#[derive(Debug, Clone)]
struct Case {
    /// `node/test_abs`.
    name: String,
    model: PathBuf,
    data: PathBuf,
    /// `--ramp-inputs` (the `light` models ship no inputs).
    ramp: bool,
}

/// What happened to one case.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// `node/test_abs`.
    pub case: String,
    /// TensorRT's parser accepted the model.
    pub parsed: bool,
    /// trt-sim ran the network.
    pub simulated: bool,
    /// Every output within tolerance.
    pub matched: bool,
    /// The largest `simulated_max_abs_err` printed (empty when none).
    pub max_error: String,
    /// matched, mismatched, unsupported, parser-refused, error, crash, timeout.
    pub status: String,
    /// The ONNX op types of the case's graph.
    pub ops: String,
    /// The first error line (or the mismatch).
    pub reason: String,
    /// Wall time of the `simulate` process, seconds.
    pub seconds: f64,
}

/// Reads `simulate`'s output into an outcome. `code`: the exit code, `None` for a process ended by a signal;
/// `timed_out`: killed at the time limit.
pub fn classify(
    case: &str,
    code: Option<i32>,
    timed_out: bool,
    stdout: &str,
    stderr: &str,
) -> Outcome {
    let line = |prefix: &str| stdout.lines().find_map(|l| l.strip_prefix(prefix));
    let parsed = line("parsed:").is_some();
    let simulated = line("simulated:").is_some();
    let ops = line("onnx_ops ").unwrap_or("").trim().to_string();
    let errors: Vec<f64> = stdout
        .lines()
        .filter_map(|l| {
            let rest = l.split("simulated_max_abs_err ").nth(1)?;
            rest.split_whitespace().next()?.parse::<f64>().ok()
        })
        .collect();
    let max_error = errors
        .iter()
        .copied()
        .reduce(|a, b| {
            if a.is_nan() || b.is_nan() {
                f64::NAN
            } else {
                a.max(b)
            }
        })
        .map_or(String::new(), |e| format!("{e:.3e}"));
    let status = match (timed_out, code) {
        (true, _) => "timeout",
        (false, None) => "crash",
        (false, Some(0)) if simulated => "matched",
        (false, Some(3)) => "mismatched",
        (false, Some(4)) => "unsupported",
        (false, Some(1)) if !parsed => "parser-refused",
        (false, Some(1)) => "error",
        (false, Some(_)) => "crash",
    };
    let first_error = stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .or_else(|| stderr.lines().rev().find(|l| !l.trim().is_empty()))
        .unwrap_or("");
    let reason = match status {
        "matched" => String::new(),
        "timeout" => "time limit reached".to_string(),
        "crash" => format!(
            "exit {}: {}",
            code.map_or("by a signal".to_string(), |c| c.to_string()),
            first_error
        ),
        _ => first_error.to_string(),
    };
    Outcome {
        case: case.to_string(),
        parsed,
        simulated,
        matched: status == "matched",
        max_error,
        status: status.to_string(),
        ops,
        // One TSV field: no tabs or line breaks, bounded.
        reason: reason
            .replace(['\t', '\n'], " ")
            .chars()
            .take(300)
            .collect(),
        seconds: 0.0,
    }
}

fn cases(data: &Path) -> Result<Vec<Case>> {
    let mut out = Vec::new();
    for suite in SUITES {
        let dir = data.join(suite);
        let mut names: Vec<String> = fs::read_dir(&dir)
            .with_context(|| format!("listing {}", dir.display()))?
            .filter_map(|e| e.ok())
            .filter(|e| e.path().join("model.onnx").is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for n in names {
            let case = dir.join(&n);
            out.push(Case {
                name: format!("{suite}/{n}"),
                model: case.join("model.onnx"),
                data: case.join("test_data_set_0"),
                ramp: false,
            });
        }
    }
    Ok(out)
}

/// The `light` models: `light/<name>.onnx` with `light/<name>_output_0.pb` and no inputs (ONNX's runner makes
/// them: `simulate --ramp-inputs`). Each output goes into `<work>/<name>/output_0.pb`, a test-data folder.
fn light_cases(data: &Path, work: &Path) -> Result<Vec<Case>> {
    let dir = data.join("light");
    let mut out = Vec::new();
    let mut models: Vec<PathBuf> = fs::read_dir(&dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "onnx"))
        .collect();
    models.sort();
    for model in models {
        let Some(name) = model.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
            continue;
        };
        let output = dir.join(format!("{name}_output_0.pb"));
        if !output.is_file() {
            continue;
        }
        let case = work.join(&name);
        fs::create_dir_all(&case)?;
        fs::copy(&output, case.join("output_0.pb"))
            .with_context(|| format!("copying {}", output.display()))?;
        out.push(Case {
            name: format!("light/{name}"),
            model,
            data: case,
            ramp: true,
        });
    }
    Ok(out)
}

/// A running case: its process, start time, and the files its output goes to.
struct Running {
    case: Case,
    child: Child,
    started: Instant,
    stdout: PathBuf,
    stderr: PathBuf,
}

fn start(bin: &Path, d: &Provisioned, case: Case, logs: &Path, i: usize) -> Result<Running> {
    let stdout = logs.join(format!("{i}.out"));
    let stderr = logs.join(format!("{i}.err"));
    let mut c = Command::new(bin);
    d.apply_env(&mut c);
    c.arg("simulate")
        .arg(&case.model)
        .arg("--test-data")
        .arg(&case.data)
        // ONNX's expected outputs are computed in true f32 (numpy); TF32's rounding is not what is checked.
        .arg("--no-tf32")
        .args(case.ramp.then_some("--ramp-inputs"))
        .stdin(Stdio::null())
        .stdout(fs::File::create(&stdout)?)
        .stderr(fs::File::create(&stderr)?);
    let child = c
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    Ok(Running {
        case,
        child,
        started: Instant::now(),
        stdout,
        stderr,
    })
}

/// Runs the suite: provision, build, run every case, write the table, compare with the expected file.
pub fn run(d: &Provisioned, update: bool, limit: Duration, filter: Option<&str>) -> Result<()> {
    let t0 = Instant::now();
    let data = deps::onnx_tests(&d.root)?;
    let mut build = crate::cargo(d);
    build.args(["build", "-p", "candle2trt-cli", "--bin", "candle2trt"]);
    crate::status(build, "building the candle2trt command")?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| d.root.join("target"));
    let bin = target.join("debug").join("candle2trt");
    let built = t0.elapsed();
    let mut todo: Vec<Case> = cases(&data)?;
    todo.extend(light_cases(&data, &target.join("onnx-suite-light"))?);
    if let Some(f) = filter {
        todo.retain(|c| c.name.contains(f));
    }
    let total = todo.len();
    todo.reverse();
    let logs = target.join("onnx-suite-logs");
    let _ = fs::remove_dir_all(&logs);
    fs::create_dir_all(&logs)?;
    let mut running: Vec<Running> = Vec::new();
    let mut outcomes = Vec::with_capacity(total);
    let mut next = 0;
    while !todo.is_empty() || !running.is_empty() {
        while running.len() < PARALLEL {
            let Some(case) = todo.pop() else { break };
            running.push(start(&bin, d, case, &logs, next)?);
            next += 1;
        }
        std::thread::sleep(Duration::from_millis(20));
        let mut i = 0;
        while i < running.len() {
            let r = &mut running[i];
            let timed_out = r.started.elapsed() > limit;
            let status = match r.child.try_wait()? {
                Some(s) => Some(s),
                None if timed_out => {
                    let _ = r.child.kill();
                    Some(r.child.wait()?)
                }
                None => None,
            };
            let Some(status) = status else {
                i += 1;
                continue;
            };
            let r = running.swap_remove(i);
            let out = fs::read_to_string(&r.stdout).unwrap_or_default();
            let err = fs::read_to_string(&r.stderr).unwrap_or_default();
            let mut o = classify(&r.case.name, status.code(), timed_out, &out, &err);
            o.seconds = r.started.elapsed().as_secs_f64();
            outcomes.push(o);
            if outcomes.len() % 100 == 0 {
                eprintln!(
                    "onnx-suite: {}/{total} cases run ({:.0} s)",
                    outcomes.len(),
                    t0.elapsed().as_secs_f64()
                );
            }
        }
    }
    outcomes.sort_by(|a, b| a.case.cmp(&b.case));
    let table = target.join("onnx-suite.tsv");
    fs::write(&table, to_tsv(&outcomes)).with_context(|| format!("writing {}", table.display()))?;
    print!("{}", summary(&outcomes));
    println!(
        "onnx-suite: {total} cases in {:.0} s (build {:.0} s); table {}",
        t0.elapsed().as_secs_f64(),
        built.as_secs_f64(),
        table.display()
    );
    let expected_path = d.root.join(EXPECTED);
    if update {
        fs::write(&expected_path, expected_tsv(&outcomes, &d.root))?;
        println!("onnx-suite: wrote {}", expected_path.display());
        return Ok(());
    }
    let expected = fs::read_to_string(&expected_path).with_context(|| {
        format!(
            "reading {} (write it with --update)",
            expected_path.display()
        )
    })?;
    let expected = parse_expected(&expected);
    let (lost, gained) = compare(&expected, &outcomes, filter.is_some());
    for (case, now) in &gained {
        println!(
            "newly matching: {case} (expected {now}); `cargo xtask onnx-suite --update` records it"
        );
    }
    if !lost.is_empty() {
        for (case, status, reason) in &lost {
            println!("no longer matching: {case}: {status}: {reason}");
        }
        bail!(
            "{} case(s) expected to match (in {EXPECTED}) no longer match",
            lost.len()
        );
    }
    Ok(())
}

/// The table: one row per case.
pub fn to_tsv(outcomes: &[Outcome]) -> String {
    let mut s =
        String::from("case\tparsed\tsimulated\tmatched\tmax_error\tstatus\tseconds\tops\treason\n");
    let yn = |b: bool| if b { "yes" } else { "no" };
    for o in outcomes {
        let _ = writeln!(
            s,
            "{}\t{}\t{}\t{}\t{}\t{}\t{:.2}\t{}\t{}",
            o.case,
            yn(o.parsed),
            yn(o.simulated),
            yn(o.matched),
            o.max_error,
            o.status,
            o.seconds,
            o.ops,
            o.reason
        );
    }
    s
}

/// The committed file: case and status (the reason kept for the reader, without this checkout's path; only the
/// status is compared).
fn expected_tsv(outcomes: &[Outcome], root: &Path) -> String {
    let here = format!("{}/", root.display());
    let mut s = String::from(
        "# cargo xtask onnx-suite: expected status per case (`--update` rewrites this file).\n# A case listed as matched that no longer matches fails the command.\ncase\tstatus\treason\n",
    );
    for o in outcomes {
        let _ = writeln!(
            s,
            "{}\t{}\t{}",
            o.case,
            o.status,
            o.reason.replace(&here, "")
        );
    }
    s
}

/// The expected file as case → status.
pub fn parse_expected(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("case\t"))
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some((f.next()?.to_string(), f.next()?.to_string()))
        })
        .collect()
}

/// Cases expected to match that do not (case, status, reason) — including expected cases that were not run,
/// unless only a filtered subset ran — and cases that match where another status was expected (case, that
/// status).
#[allow(clippy::type_complexity)]
pub fn compare(
    expected: &BTreeMap<String, String>,
    outcomes: &[Outcome],
    filtered: bool,
) -> (Vec<(String, String, String)>, Vec<(String, String)>) {
    let now: BTreeMap<&str, &Outcome> = outcomes.iter().map(|o| (o.case.as_str(), o)).collect();
    let mut lost = Vec::new();
    let mut gained = Vec::new();
    for (case, status) in expected {
        match now.get(case.as_str()) {
            Some(o) if status == "matched" && !o.matched => {
                lost.push((case.clone(), o.status.clone(), o.reason.clone()))
            }
            Some(o) if status != "matched" && o.matched => {
                gained.push((case.clone(), status.clone()))
            }
            None if status == "matched" && !filtered => lost.push((
                case.clone(),
                "missing".into(),
                "the case was not run".into(),
            )),
            _ => {}
        }
    }
    for o in outcomes {
        if o.matched && !expected.contains_key(&o.case) {
            gained.push((o.case.clone(), "not listed".into()));
        }
    }
    (lost, gained)
}

/// Counts per status, then per ONNX op type (a case counts once for each op type its graph holds).
pub fn summary(outcomes: &[Outcome]) -> String {
    const STATUSES: [&str; 7] = [
        "matched",
        "mismatched",
        "unsupported",
        "error",
        "parser-refused",
        "crash",
        "timeout",
    ];
    let mut s = String::new();
    let count = |st: &str| outcomes.iter().filter(|o| o.status == st).count();
    let parsed = outcomes.iter().filter(|o| o.parsed).count();
    let simulated = outcomes.iter().filter(|o| o.simulated).count();
    let matched = count("matched");
    let _ = writeln!(
        s,
        "onnx-suite: {} cases: parsed {parsed}, simulated {simulated}, matched {matched} ({:.1} % of those simulated)",
        outcomes.len(),
        if simulated == 0 { 0.0 } else { 100.0 * matched as f64 / simulated as f64 }
    );
    for st in STATUSES {
        let _ = writeln!(s, "  status {st:<15} {}", count(st));
    }
    let mut per_op: BTreeMap<&str, [usize; 7]> = BTreeMap::new();
    for o in outcomes {
        let k = STATUSES.iter().position(|&x| x == o.status).unwrap_or(4);
        let ops: Vec<&str> = if o.ops.is_empty() {
            vec!["(unread)"]
        } else {
            o.ops.split(',').collect()
        };
        for op in ops {
            per_op.entry(op).or_default()[k] += 1;
        }
    }
    let _ = writeln!(s, "  per op type: {}", STATUSES.join(" / "));
    for (op, c) in per_op {
        let _ = writeln!(
            s,
            "    {op:<28} {}",
            c.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" / ")
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_classified() {
        let ok = classify(
            "node/test_abs",
            Some(0),
            false,
            "onnx_ops Abs\nparsed: 1 layers\nsimulated: 1 layers\noutput y Float [3]: simulated_max_abs_err 0.000e0 reference_max_abs 2.000e0 bound 2.1e-4 ok\nmatched\n",
            "",
        );
        assert_eq!(
            (ok.status.as_str(), ok.parsed, ok.simulated, ok.matched),
            ("matched", true, true, true)
        );
        assert_eq!((ok.ops.as_str(), ok.max_error.as_str()), ("Abs", "0.000e0"));
        let refused = classify(
            "node/test_x",
            Some(1),
            false,
            "onnx_ops X\n",
            "error: ONNX parser: no importer; fix: ...\n",
        );
        assert_eq!(refused.status, "parser-refused");
        assert!(refused.reason.starts_with("error: ONNX parser"));
        let bad = classify("c", Some(3), false, "parsed: 1\nsimulated: 1\noutput y: simulated_max_abs_err 1.5e0 reference_max_abs 1\noutput z: simulated_max_abs_err 2.5e-1 x\n", "error: mismatch");
        assert_eq!(
            (bad.status.as_str(), bad.max_error.as_str()),
            ("mismatched", "1.500e0")
        );
        assert_eq!(
            classify("c", Some(4), false, "parsed: 1\n", "").status,
            "unsupported"
        );
        assert_eq!(
            classify("c", Some(1), false, "parsed: 1\n", "").status,
            "error"
        );
        assert_eq!(classify("c", None, false, "", "").status, "crash");
        assert_eq!(
            classify("c", Some(101), false, "parsed: 1\n", "panicked").status,
            "crash"
        );
        assert_eq!(classify("c", None, true, "", "").status, "timeout");
    }

    #[test]
    fn a_lost_match_is_reported_and_a_new_one_too() {
        let expected = parse_expected(
            "# comment\ncase\tstatus\treason\na\tmatched\t\nb\tmismatched\tx\nc\tmatched\t\n",
        );
        let o = |case: &str, status: &str| {
            classify(
                case,
                Some(if status == "matched" { 0 } else { 3 }),
                false,
                "parsed:\nsimulated:\n",
                "",
            )
        };
        let (lost, gained) = compare(&expected, &[o("a", "mismatched"), o("b", "matched")], false);
        assert_eq!(
            lost.iter().map(|l| l.0.as_str()).collect::<Vec<_>>(),
            ["a", "c"]
        );
        assert_eq!(gained, [("b".to_string(), "mismatched".to_string())]);
        // A filtered run does not count the cases it left out.
        let (lost, _) = compare(&expected, &[o("a", "matched")], true);
        assert!(lost.is_empty());
    }

    #[test]
    fn the_summary_has_no_test_totals_line() {
        let o = classify(
            "c",
            Some(0),
            false,
            "onnx_ops Abs\nparsed:\nsimulated:\n",
            "",
        );
        let s = summary(&[o]);
        assert!(s.contains("matched 1"));
        // CI reads "N passed, N failed" as test totals.
        assert!(!s.contains("passed") && !s.contains("failed"));
    }
}

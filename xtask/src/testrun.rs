//! `cargo xtask test`: every test suite, with one closing tally.
//!
//! Tests that need hardware this machine lacks (a TensorRT-capable GPU, large fixtures) print one line starting with
//! `SKIPPED:` and return; libtest counts them as passed, so the tally here moves them to a `skipped` column. Each
//! skip is tied to its test (see [`crate::testlog`] for how), listed at the end with its reason, and a skip whose
//! reason is not one of [`allowed_skip`]'s fails the run, as does a crashed test binary.

use crate::deps::Provisioned;
use crate::testlog::{skip_tag, Outcome, TestLog, TestRecord};
use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// Set to `1` (as `.ci/run` does where the shared fixtures exist), a missing large fixture fails its test; unset,
/// the test prints `SKIPPED: … fixture … not found …` and this runner accepts that reason.
const REQUIRE_FIXTURES: &str = "CANDLE2TRT_REQUIRE_FIXTURES";

/// The steps of `cargo xtask test`, each with the skip reasons it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Every workspace test, TensorRT-RTX headers and library, on this (GPU-less) machine.
    Workspace,
    /// trt-sys and trt against the TensorRT 11.4 (Enterprise) headers.
    Enterprise,
    /// `--cuda`: the CUDA code path's tests, run on a GPU host.
    Cuda,
}

impl Step {
    /// The label the closing report gives the step's tests.
    pub fn label(self) -> &'static str {
        match self {
            Step::Workspace => "workspace",
            Step::Enterprise => "enterprise headers",
            Step::Cuda => "cuda",
        }
    }
}

/// The tag of a missing large fixture (`SKIPPED: large fixture not found: <path or name> …`).
pub const FIXTURE_ABSENT: &str = "large fixture not found";
/// Running an engine: TensorRT refuses for want of a GPU it supports (none on the CPU-only machine).
pub const NO_SUPPORTED_GPU: &str = "no supported GPU";
/// A test of the CUDA path in a build without `--features cuda`.
pub const NO_CUDA_FEATURE: &str = "no CUDA feature";
/// The CUDA runtime's first reason: candle (or the driver) finds no CUDA device.
pub const NO_CUDA_DEVICE: &str = "no CUDA device";
/// The CUDA runtime's second reason: TensorRT-RTX refuses this GPU's compute capability (the H100 lent here).
pub const GPU_REFUSED: &str = "TensorRT-RTX refuses to run engines on this GPU";

/// Which reasons a test may skip for, on which step. A reason is allowed by its exact tag (the text before its
/// first `:`, [`skip_tag`]), never by a prefix or a word it contains: anything else is a failure of the run, as a
/// skip must never hide a broken test (a setup failure whose message mentions a fixture included).
pub fn allowed_skip(reason: &str, step: Step, fixtures_required: bool) -> bool {
    let Some(tag) = skip_tag(reason) else {
        return false;
    };
    let fixture_absent = !fixtures_required && tag == FIXTURE_ABSENT;
    match step {
        Step::Workspace => tag == NO_SUPPORTED_GPU || tag == NO_CUDA_FEATURE || fixture_absent,
        // No TensorRT 11.4 library is provisioned: the trt tests that need one say so (only where nothing was
        // named; a named library that does not load fails them).
        Step::Enterprise => {
            tag == format!("no TensorRT {} library", crate::deps::enterprise_version())
                || tag == NO_SUPPORTED_GPU
        }
        // The runtime's two reasons, here only: on the other steps nothing runs on a GPU.
        Step::Cuda => tag == NO_CUDA_DEVICE || tag == GPU_REFUSED || fixture_absent,
    }
}

/// What every step read.
#[derive(Default)]
struct Tally {
    /// (step, record) for every test.
    tests: Vec<(Step, TestRecord)>,
    /// Crashes and unreadable output, each with its step.
    problems: Vec<String>,
    /// Test binaries not run at all, with why.
    not_run: Vec<String>,
}

/// Runs the whole suite; fails when any part fails.
pub fn all(root: &Path, d: &Provisioned, cuda: bool) -> Result<()> {
    let mut tally = Tally::default();
    let mut failures = Vec::new();

    println!("xtask: [1/3] workspace tests (TensorRT-RTX 1.7 headers and library)");
    let mut c = crate::cargo(d);
    c.args([
        "test",
        "--workspace",
        "--no-fail-fast",
        "--",
        "--show-output",
    ]);
    if let Err(e) = run_counted(c, Step::Workspace, &mut tally) {
        failures.push(format!("workspace tests: {e:#}"));
    }

    // No TensorRT 11.4 library exists here: the tests that need one print SKIPPED, the others (library search,
    // error plumbing, the shim's own checks) run in full against the standard-TensorRT build of the shim.
    println!("xtask: [2/3] trt-sys + trt against the TensorRT 11.4 (Enterprise) headers");
    let mut c = crate::cargo(d);
    c.env("TENSORRT_INCLUDE_DIR", &d.enterprise_include_dir)
        .env(
            "CARGO_TARGET_DIR",
            root.join("target").join("trt-enterprise"),
        )
        .args([
            "test",
            "-p",
            "trt-sys",
            "-p",
            "trt",
            "--no-fail-fast",
            "--",
            "--show-output",
        ]);
    if std::env::var_os("TENSORRT_LIB_DIR").is_none() {
        // The folder `setup` provisioned holds TensorRT-RTX, not a TensorRT 11.4 library: naming it would make the
        // loader refuse it (a named library is used or refused). A library the user named stays named.
        c.env_remove("TENSORRT_LIB_DIR");
    }
    if let Err(e) = run_counted(c, Step::Enterprise, &mut tally) {
        failures.push(format!("Enterprise-header build: {e:#}"));
    }

    if cuda {
        println!("xtask: [3/3] the CUDA code path (candle CUDA backend, TrtModule::forward): lint, then run on a GPU");
        let cuda_target = root.join("target").join("cuda");
        let cuda_cargo = || {
            let mut c = crate::cargo(d);
            // The link stubs let the test binaries link without a CUDA driver; lint and tests share one
            // environment so that candle's CUDA kernels (nvcc, minutes) are compiled once for both.
            d.apply_link_stubs(&mut c);
            c.env("CARGO_TARGET_DIR", &cuda_target);
            c
        };
        let mut c = cuda_cargo();
        c.args([
            "clippy",
            "-p",
            "candle2trt",
            "-p",
            "candle2trt-examples",
            "--features",
            "cuda",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]);
        if let Err(e) = crate::status(c, "clippy with --features cuda") {
            failures.push(format!("{e:#}"));
        }
        match cuda_device() {
            Ok(device) => {
                println!("xtask: CUDA device: {device}");
                // cuda_runtime.rs, the CUDA-only unit tests of candle2trt's runtime module, and
                // every converter test traced on candle CUDA (models and inputs on the GPU;
                // verification simulates CPU copies against candle CUDA's values).
                for (filter, device) in [
                    (["--test", "cuda_runtime", "--"], "cpu"),
                    (["--lib", "--", "runtime::"], "cpu"),
                    (["--test", "converters", "--"], "cuda"),
                ] {
                    let mut c = cuda_cargo();
                    c.args([
                        "test",
                        "-p",
                        "candle2trt",
                        "--features",
                        "cuda",
                        "--no-fail-fast",
                    ])
                    .args(filter)
                    .arg("--show-output")
                    .env("CANDLE2TRT_TEST_DEVICE", device);
                    if let Err(e) = run_counted(c, Step::Cuda, &mut tally) {
                        failures.push(format!(
                            "CUDA tests: {e:#} (their binaries load CUDA 13's libcuda.so.1, libcublas.so.13, \
                             libcublasLt.so.13, libcurand.so.10 and libnvrtc.so.13 when they start: put them on \
                             LD_LIBRARY_PATH)"
                        ));
                    }
                }
            }
            Err(why) => {
                println!("xtask: CUDA tests not run: no supported GPU: {why}");
                tally.not_run.push(format!(
                    "[cuda] candle2trt --test cuda_runtime, runtime:: unit tests and the converter tests on candle CUDA: no supported GPU: {why}"
                ));
            }
        }
    } else {
        println!("xtask: [3/3] CUDA code path not compiled (pass --cuda; CI does)");
    }

    report(&tally, &mut failures);
    if !failures.is_empty() {
        bail!("{}", failures.join("\n"));
    }
    Ok(())
}

/// A CUDA device, as `nvidia-smi -L` lists it, or why there is none. Asked before running the CUDA test binaries:
/// they link the CUDA driver library, so without one they could not even start.
fn cuda_device() -> Result<String, String> {
    let out = Command::new("nvidia-smi")
        .arg("-L")
        .output()
        .map_err(|e| format!("no CUDA device (nvidia-smi -L: {e})"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    match text.lines().find(|l| l.starts_with("GPU ")) {
        Some(gpu) if out.status.success() => Ok(gpu.to_owned()),
        _ => Err(format!(
            "no CUDA device (nvidia-smi -L: {}, {})",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}

/// Prints failures, crashes and every skip with its reason, then the closing line; adds what fails the run.
fn report(tally: &Tally, failures: &mut Vec<String>) {
    let fixtures_required = std::env::var(REQUIRE_FIXTURES).is_ok_and(|v| v == "1");
    let (mut passed, mut failed, mut ignored) = (0u64, 0u64, 0u64);
    let mut skips = Vec::new();
    let mut failed_tests = Vec::new();
    let mut unknown = Vec::new();
    for (step, t) in &tally.tests {
        match (t.outcome, &t.skip) {
            (Outcome::Passed, Some(reason)) => {
                let line = format!("[{}] {}: {}", step.label(), t.id, first_line(reason));
                if !allowed_skip(reason, *step, fixtures_required) {
                    unknown.push(line.clone());
                }
                skips.push(line);
            }
            (Outcome::Passed, None) => passed += 1,
            (Outcome::Failed, _) => {
                failed += 1;
                let why = match t.panic.first() {
                    Some(first) if first.contains("panicked at") => t.panic.get(1).unwrap_or(first),
                    Some(error) => error,
                    None => "",
                };
                failed_tests.push(format!("[{}] {}: {}", step.label(), t.id, first_line(why)));
            }
            (Outcome::Ignored, _) => ignored += 1,
        }
    }
    const SHOWN: usize = 30;
    if !failed_tests.is_empty() {
        println!("xtask: failed tests ({}):", failed_tests.len());
        for f in failed_tests.iter().take(SHOWN) {
            println!("  {f}");
        }
        if failed_tests.len() > SHOWN {
            println!("  ... and {} more", failed_tests.len() - SHOWN);
        }
    }
    for p in &tally.problems {
        println!("xtask: {p}");
        failures.push(p.clone());
    }
    println!("xtask: {ignored} ignored by libtest");
    println!(
        "xtask: skipped tests ({}), with their reasons:",
        skips.len()
    );
    for s in &skips {
        println!("  {s}");
    }
    for n in &tally.not_run {
        println!("xtask: not run: {n}");
    }
    if !unknown.is_empty() {
        let list = unknown.join("\n  ");
        println!(
            "xtask: {} skip(s) for a reason not on the allowed list (reasons are matched by their tag, the text \
             before the first ':'; workspace: '{NO_SUPPORTED_GPU}', '{NO_CUDA_FEATURE}'{fixture}; enterprise \
             headers: 'no TensorRT {} library', '{NO_SUPPORTED_GPU}'; cuda: '{NO_CUDA_DEVICE}', '{GPU_REFUSED}'\
             {fixture}):\n  {list}",
            unknown.len(),
            crate::deps::enterprise_version(),
            fixture = if fixtures_required {
                String::new()
            } else {
                format!(", '{FIXTURE_ABSENT}' (CANDLE2TRT_REQUIRE_FIXTURES is unset)")
            }
        );
        failures.push(format!(
            "{} test(s) skipped for a reason not allowed",
            unknown.len()
        ));
    }
    println!(
        "xtask: {passed} passed, {failed} failed, {} skipped",
        skips.len()
    );
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    const MAX: usize = 240;
    match line.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}

/// Runs a `cargo test`, echoing its output and reading every test's result and skip from it. cargo's and the test
/// binaries' stdout and stderr share one pipe, so that the lines stay in the order they were written (cargo's
/// `Running <binary>` before that binary's output, its exit status after).
fn run_counted(mut c: Command, step: Step, tally: &mut Tally) -> Result<()> {
    let (reader, writer) = std::io::pipe().context("creating a pipe for the test output")?;
    c.stdout(writer.try_clone()?)
        .stderr(writer)
        .stdin(Stdio::null());
    let mut child = c.spawn().with_context(|| format!("starting {c:?}"))?;
    // The command holds the pipe's write ends: drop it so that the read below ends when the child does.
    drop(c);
    let mut log = TestLog::default();
    let mut out = std::io::stdout().lock();
    let mut reader = BufReader::new(reader);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if reader
            .read_until(b'\n', &mut buf)
            .context("reading the test output")?
            == 0
        {
            break;
        }
        // Test output need not be UTF-8: show and read it lossily rather than stop counting.
        out.write_all(&buf)?;
        let line = String::from_utf8_lossy(&buf);
        log.line(line.trim_end_matches(['\n', '\r']));
    }
    out.flush()?;
    drop(out);
    log.finish();
    let st = child.wait()?;
    for crash in &log.crashes {
        tally.problems.push(format!("[{}] {crash}", step.label()));
    }
    for p in &log.problems {
        tally.problems.push(format!("[{}] {p}", step.label()));
    }
    tally.tests.extend(log.tests.into_iter().map(|t| (step, t)));
    if !st.success() {
        bail!("cargo test failed ({st})");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allowed_reasons_and_no_other() {
        let enterprise = format!(
            "no TensorRT {} library: Enterprise headers: could not load …",
            crate::deps::enterprise_version()
        );
        let gpu =
            "no supported GPU: TensorRT refused to deserialize: The engine cannot run on this GPU";
        let feature = "no CUDA feature: built without --features cuda";
        let device = "no CUDA device: DriverError(CUDA_ERROR_NO_DEVICE)";
        let refused = "TensorRT-RTX refuses to run engines on this GPU: TensorRT error: …";
        for (reason, steps) in [
            (enterprise.as_str(), &[Step::Enterprise][..]),
            (gpu, &[Step::Workspace, Step::Enterprise]),
            (feature, &[Step::Workspace]),
            // The runtime's two reasons: on the CUDA step only.
            (device, &[Step::Cuda]),
            (refused, &[Step::Cuda]),
        ] {
            for step in [Step::Workspace, Step::Enterprise, Step::Cuda] {
                assert_eq!(
                    allowed_skip(reason, step, false),
                    steps.contains(&step),
                    "{reason} on {step:?}"
                );
            }
        }
    }

    #[test]
    fn an_absent_fixture_is_allowed_by_its_tag_and_only_when_not_required() {
        let fixture =
            "large fixture not found: /x/resnet18/model.safetensors (set CANDLE2TRT_FIXTURES …)";
        for step in [Step::Workspace, Step::Cuda] {
            assert!(allowed_skip(fixture, step, false), "{step:?}");
            assert!(
                !allowed_skip(fixture, step, true),
                "required fixtures must not skip"
            );
        }
        assert!(!allowed_skip(fixture, Step::Enterprise, false));
        // Setup failures that mention a fixture, a GPU or a library in their text, or start like an allowed
        // reason without being it, are not absences: the tag must match whole.
        for reason in [
            "parity resnet18: fixture \"resnet18\" not found in /x/fixtures/resnet18",
            "large fixture /x/model.safetensors not found (set CANDLE2TRT_FIXTURES …)",
            "library does not match the headers: fixture dir not found",
            "could not read the large fixture not found: …",
            "no supported GPU-less host: …",
            "no CUDA device (CUDA_ERROR_NO_DEVICE)",
            "no TensorRT 10.3 library: …",
            "no TensorRT 11.4 library (Enterprise headers 11.4.0): could not load",
            "no C compiler to build a stand-in library",
            "",
        ] {
            for step in [Step::Workspace, Step::Enterprise, Step::Cuda] {
                assert!(!allowed_skip(reason, step, false), "{reason} on {step:?}");
            }
        }
    }
}

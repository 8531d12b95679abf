//! Project automation for candle2trt: `cargo xtask <command>`.
//!
//! - `setup [--cuda]`  provisions TensorRT-RTX, TensorRT headers (and with `--cuda`, nvcc + CUDA headers and link
//!   stubs) into the git-ignored `.deps/` folder; idempotent, a second run does no network work.
//! - `demo`            setup, then converts the brief's SimpleCNN into `simple_cnn.engine` and reports.
//! - `test [--cuda]`   setup, then every test: the workspace with TRT-RTX 1.7 headers, `trt-sys`/`trt` against the
//!   TensorRT 11.4 (Enterprise) headers, and with `--cuda` the CUDA code path compiled and linted, and its tests
//!   (`candle2trt/tests/cuda_runtime.rs`, the runtime module's) run where `nvidia-smi` lists a CUDA device.
//! - `env [--cuda]`    prints that environment as `export` lines, for `eval "$(cargo xtask env --cuda)"`.
//! - `bindgen [--check]` regenerates `trt-sys/src/bindings.rs` from the shim's C header (or checks it is current).
//! - `onnx-suite [--update] [--timeout S] [--only TEXT]` runs ONNX's backend test cases (onnx 1.17.0's `node/`,
//!   `simple/`, `pytorch-converted/`, `pytorch-operator/`) through `candle2trt simulate --test-data`, writes
//!   `<target>/onnx-suite.tsv` and compares it with `trt-sim/tests/onnx_suite_expected.tsv` (`--update` rewrites it).
//! - `enums [--check]`   regenerates `trt-sys/shim/enum_checks.cpp` from `trt/src/enums.rs` (or checks it is current).
//! - `ops-doc [--check]` renders `docs/ops.md` from `candle2trt/src/tensor/ops_table.rs` (or checks it is current).

mod bindings;
mod cuda_stubs;
mod deps;
mod enums;
mod onnx_suite;
mod ops_doc;
mod testlog;
mod testrun;
mod triton_schema;

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    if let Err(e) = run() {
        eprintln!("xtask: error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, rest) = match args.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => {
            print_help();
            return Ok(());
        }
    };
    let flag = |name: &str| rest.iter().any(|a| a == name);
    let root = workspace_root();
    match cmd {
        "setup" => {
            let d = deps::setup(&root, flag("--cuda"))?;
            d.report();
        }
        "demo" => {
            let d = deps::setup(&root, false)?;
            d.report();
            let extra: Vec<&String> = rest.iter().collect();
            let mut c = cargo(&d);
            c.args([
                "run",
                "--package",
                "candle2trt-examples",
                "--example",
                "01_simple_cnn",
                "--",
            ]);
            c.args(extra);
            status(c, "the SimpleCNN demo")?;
        }
        "test" => {
            let d = deps::setup(&root, flag("--cuda"))?;
            d.report();
            testrun::all(&root, &d, flag("--cuda"))?;
        }
        "onnx-suite" => {
            let d = deps::setup(&root, false)?;
            let value = |name: &str| {
                rest.iter()
                    .position(|a| a == name)
                    .and_then(|i| rest.get(i + 1))
                    .map(String::as_str)
            };
            let limit = match value("--timeout") {
                Some(s) => s.parse::<u64>().context("--timeout takes seconds")?,
                None => 120,
            };
            onnx_suite::run(
                &d,
                flag("--update"),
                std::time::Duration::from_secs(limit),
                value("--only"),
            )?;
        }
        "bindgen" => bindings::generate(&root, flag("--check"))?,
        "enums" => enums::generate(&root, flag("--check"))?,
        "ops-doc" => ops_doc::generate(&root, flag("--check"))?,
        "env" => {
            // For `eval "$(cargo xtask env --cuda)"`: the same environment the other commands give cargo.
            let d = deps::setup(&root, flag("--cuda"))?;
            let mut c = Command::new("true");
            d.apply_env(&mut c);
            d.apply_link_stubs(&mut c);
            for (k, v) in c.get_envs() {
                if let Some(v) = v {
                    println!("export {}='{}'", k.to_string_lossy(), v.to_string_lossy());
                }
            }
        }
        "help" | "--help" | "-h" => print_help(),
        other => bail!("unknown command `{other}`; run `cargo xtask help`"),
    }
    Ok(())
}

fn print_help() {
    println!(
        "cargo xtask <command>\n\n  setup [--cuda]     provision TensorRT-RTX, headers (and CUDA tools) into .deps/\n  demo               convert the SimpleCNN into simple_cnn.engine and report\n  test [--cuda]      run every test (with --cuda: also lint the CUDA path, and run its tests on a GPU)\n  onnx-suite [--update] [--timeout S] [--only TEXT]  run ONNX's test cases through `candle2trt simulate`\n  bindgen [--check]  regenerate trt-sys/src/bindings.rs (or check it is current)\n  enums [--check]    regenerate trt-sys/shim/enum_checks.cpp from trt/src/enums.rs (or check it)\n  ops-doc [--check]  render docs/ops.md from the vocabulary's table (or check it is current)\n  env [--cuda]       print the build environment as export lines"
    );
}

/// The workspace root: xtask lives one level below it.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}

/// A `cargo` command with the environment the provisioned dependencies need.
pub fn cargo(d: &deps::Provisioned) -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(&d.root);
    d.apply_env(&mut c);
    c
}

/// Runs a command to completion, failing with what it was for.
pub fn status(mut c: Command, what: &str) -> Result<()> {
    let st = c
        .status()
        .with_context(|| format!("starting {what}: {c:?}"))?;
    if !st.success() {
        bail!("{what} failed ({st})");
    }
    Ok(())
}

//! The `candle2trt` binary end to end, on the brief's SimpleCNN (its fixture is in the
//! repository): convert with TensorRT-RTX on the CPU, inspect, export to Triton (validated with
//! Triton's schema), the engine cache, parity checks and the error lines.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_candle2trt"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/simple_cnn")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    let out = bin().args(args).output().expect("run candle2trt");
    eprintln!(
        "$ candle2trt {}\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A failure: the exit code, and exactly one `error: …; fix: …` line on stderr.
fn assert_fails(out: &Output, code: i32, needle: &str) {
    assert_eq!(out.status.code(), Some(code), "exit code");
    let err = text(&out.stderr);
    let lines: Vec<&str> = err.trim().lines().collect();
    assert_eq!(lines.len(), 1, "one line: {err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    assert!(lines[0].contains(needle), "{needle:?} in {err}");
}

fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}

#[test]
fn help_texts_have_examples() {
    for sub in ["convert", "inspect", "check", "export-triton", "simulate"] {
        let out = run(&[sub, "--help"]);
        assert!(out.status.success());
        let help = text(&out.stdout);
        assert!(help.contains("Examples:"), "{sub}: {help}");
        assert!(help.contains(&format!("candle2trt {sub}")), "{sub}: {help}");
    }
    let out = run(&["--help"]);
    assert!(text(&out.stdout).contains("Exit codes"));
    // A usage error is clap's, exit code 2.
    assert_eq!(run(&["convert", "--arch"]).status.code(), Some(2));
    assert_eq!(
        run(&[
            "convert",
            "--arch",
            "x",
            "--weights",
            "w",
            "--batch",
            "4:2:1"
        ])
        .status
        .code(),
        Some(2)
    );
}

#[test]
fn convert_inspect_export_triton() {
    let dir = tempfile::tempdir().unwrap();
    let engine = dir.path().join("sc.engine");
    let weights = fixture("model.safetensors");
    let out = run(&[
        "convert",
        "--arch",
        "simple_cnn",
        "--weights",
        p(&weights),
        "--batch",
        "1:2:4",
        "--progress",
        "plain",
        "--timing-cache",
        p(&dir.path().join("timing.cache")),
        "-o",
        p(&engine),
    ]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    // The report: I/O with the profile, the build times, what TensorRT's progress monitor said.
    assert!(stdout.contains("input  input"), "{stdout}");
    assert!(
        stdout
            .contains("[-1, 3, 32, 32]  min [1, 3, 32, 32] opt [2, 3, 32, 32] max [4, 3, 32, 32]"),
        "{stdout}"
    );
    assert!(stdout.contains("TensorRT build"), "{stdout}");
    // TensorRT's build progress reached the Rust callback and the display.
    assert!(
        text(&out.stderr).contains("[build] "),
        "{}",
        text(&out.stderr)
    );
    assert!(!stdout.contains("reported 0 phases"), "{stdout}");
    assert!(engine.is_file());
    assert!(
        dir.path().join("timing.cache").is_file(),
        "timing cache written"
    );

    // inspect: the header, without a GPU.
    let out = run(&["inspect", p(&engine)]);
    assert!(out.status.success());
    let shown = text(&out.stdout);
    assert!(shown.contains("precision fp32"), "{shown}");
    assert!(shown.contains("output logits"), "{shown}");
    let out = run(&["inspect", "--json", p(&engine)]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["inputs"][0]["dims"],
        serde_json::json!([-1, 3, 32, 32])
    );
    assert_eq!(
        json["inputs"][0]["profile"]["max"],
        serde_json::json!([4, 3, 32, 32])
    );
    assert_eq!(json["outputs"][0]["dtype"], "f32");
    assert!(json["layers"].as_array().unwrap().len() >= 4);

    // export-triton: the repository, its config parsed with Triton's own schema.
    let repo = dir.path().join("models");
    let out = run(&[
        "export-triton",
        p(&engine),
        "--repo",
        p(&repo),
        "--name",
        "simple_cnn",
        "--dynamic-batching",
        "--instances",
        "2",
    ]);
    assert!(out.status.success());
    let pbtxt = std::fs::read_to_string(repo.join("simple_cnn/config.pbtxt")).unwrap();
    let m = common::parse(&pbtxt).unwrap_or_else(|e| panic!("{e}\n{pbtxt}"));
    assert_eq!(common::string(&m, "platform"), "tensorrt_plan");
    // Default max_batch_size: the profile's maximum.
    assert_eq!(common::field(&m, "max_batch_size").as_i32(), Some(4));
    let input = &common::messages(&m, "input")[0];
    assert_eq!(common::string(input, "name"), "input");
    assert_eq!(common::enum_name(input, "data_type"), "TYPE_FP32");
    assert_eq!(common::int64s(input, "dims"), vec![3, 32, 32]);
    assert_eq!(
        common::int64s(&common::messages(&m, "output")[0], "dims"),
        vec![10]
    );
    assert!(m.has_field_by_name("dynamic_batching"));
    assert_eq!(common::messages(&m, "instance_group").len(), 1);
    // model.plan is the bare engine: the engine file's bytes without the header.
    let plan = std::fs::read(repo.join("simple_cnn/1/model.plan")).unwrap();
    let module = candle2trt::TrtModule::load(&engine).unwrap();
    assert_eq!(plan, module.engine_bytes());

    // Exporting again under the same name is refused, and the model is left as it was.
    let out = run(&[
        "export-triton",
        p(&engine),
        "--repo",
        p(&repo),
        "--name",
        "simple_cnn",
    ]);
    assert_fails(&out, 1, "already exists");
    // max_batch_size above the profile is refused before anything is written.
    let out = run(&[
        "export-triton",
        p(&engine),
        "--repo",
        p(&repo),
        "--name",
        "too_big",
        "--max-batch",
        "8",
    ]);
    assert_fails(&out, 1, "--max-batch 4");
    assert!(!repo.join("too_big").exists());
}

#[test]
fn static_engine_exports_without_batching_and_refuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let engine = dir.path().join("static.engine");
    let out = run(&[
        "convert",
        "--arch",
        "simple_cnn",
        "--weights",
        p(&fixture("model.safetensors")),
        "--fp16",
        "--progress",
        "none",
        "-o",
        p(&engine),
    ]);
    assert!(out.status.success());
    let repo = dir.path().join("repo");
    let out = run(&[
        "export-triton",
        p(&engine),
        "--repo",
        p(&repo),
        "--name",
        "sc",
        "--max-batch",
        "4",
    ]);
    assert_fails(&out, 1, "--batch 1:OPT:MAX");
    assert!(!repo.exists(), "no partial repository");
    let out = run(&[
        "export-triton",
        p(&engine),
        "--repo",
        p(&repo),
        "--name",
        "sc",
    ]);
    assert!(out.status.success());
    let m = common::parse(&std::fs::read_to_string(repo.join("sc/config.pbtxt")).unwrap()).unwrap();
    assert_eq!(common::field(&m, "max_batch_size").as_i32(), Some(0));
    assert_eq!(
        common::int64s(&common::messages(&m, "input")[0], "dims"),
        vec![1, 3, 32, 32]
    );
}

#[test]
fn engine_cache_loads_instead_of_rebuilding() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let weights = fixture("model.safetensors");
    let convert = |extra: &[&str]| {
        let mut args = vec![
            "convert",
            "--arch",
            "simple_cnn",
            "--weights",
            p(&weights),
            "--cache",
            p(&cache),
            "--progress",
            "none",
        ];
        args.extend_from_slice(extra);
        let out = run(&args);
        assert!(out.status.success());
        text(&out.stdout)
    };
    let first = convert(&[]);
    assert!(first.contains("cache miss: no engine file yet"), "{first}");
    assert!(first.contains("TensorRT build"), "{first}");
    let entry = cache.join("simple_cnn-fp32.engine");
    let written = std::fs::metadata(&entry).unwrap().modified().unwrap();
    let second = convert(&["-o", p(&dir.path().join("out.engine"))]);
    assert!(second.contains("cache hit"), "{second}");
    assert!(!second.contains("converted in"), "{second}");
    assert!(second.contains("no TensorRT build"), "{second}");
    assert!(dir.path().join("out.engine").is_file());
    assert_eq!(
        std::fs::metadata(&entry).unwrap().modified().unwrap(),
        written,
        "a cache hit rewrote the entry"
    );
    // f16 has its own entry; a changed option within an entry rebuilds, naming the option.
    assert!(convert(&["--fp16"]).contains("cache miss: no engine file yet"));
    let changed = convert(&["--opt-level", "1"]);
    assert!(
        changed.contains("cache miss: changed since it was built: optimization_level: - → 1"),
        "{changed}"
    );
    assert!(convert(&["--opt-level", "1"]).contains("cache hit"));
    assert!(convert(&["--fp16"]).contains("cache hit"));
    // The library's header holds the fingerprint: no side files.
    let mut names: Vec<String> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["simple_cnn-fp16.engine", "simple_cnn-fp32.engine"]);
    // A damaged cached engine is rebuilt, with the reason.
    let bytes = std::fs::read(&entry).unwrap();
    std::fs::write(&entry, &bytes[..bytes.len() / 2]).unwrap();
    let rebuilt = convert(&["--opt-level", "1"]);
    assert!(rebuilt.contains("the file is unusable"), "{rebuilt}");
    assert!(rebuilt.contains("TensorRT build"), "{rebuilt}");
}

#[test]
fn check_against_pytorch() {
    // The repository's io files hold PyTorch's outputs for the `model.*` weights.
    let weights = fixture("model.pt");
    let io = fixture("io.safetensors");
    let out = run(&[
        "check",
        "--arch",
        "simple_cnn",
        "--weights",
        p(&weights),
        "--io",
        p(&io),
        "--fp16",
        "--progress",
        "none",
    ]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert!(stdout.contains("candle (CPU, f32) vs PyTorch"), "{stdout}");
    assert!(
        stdout.contains("traced network (fp16) vs PyTorch"),
        "{stdout}"
    );
    // The engines' own numbers, simulated on the CPU from the network TensorRT holds.
    for label in ["fp32, TF32", "fp16"] {
        assert!(
            stdout.contains(&format!("simulated engine ({label}) vs PyTorch")),
            "{stdout}"
        );
    }
    assert_eq!(
        stdout.matches("simulated_max_abs_err").count(),
        2,
        "{stdout}"
    );
    assert!(stdout.contains("reference_max_abs"), "{stdout}");
    assert!(stdout.contains("check passed"), "{stdout}");
    // An impossible tolerance fails the check, exit code 3.
    let out = run(&[
        "check",
        "--arch",
        "simple_cnn",
        "--weights",
        p(&weights),
        "--io",
        p(&io),
        "--tolerance",
        "0",
        "--no-engine",
    ]);
    assert_fails(&out, 3, "parity check failed");
    assert!(text(&out.stdout).contains("FAIL"));
}

/// `--int8` with calibration data from a file, a calibrator and a calibration cache: reused on
/// the second run.
#[test]
fn convert_int8_with_calibration_file_and_cache() {
    let dir = tempfile::tempdir().unwrap();
    let weights = fixture("model.safetensors");
    let cache = dir.path().join("calib.txt");
    let args = |engine: &str| -> Vec<String> {
        [
            "convert",
            "--arch",
            "simple_cnn",
            "--weights",
            p(&weights),
            "--int8",
            "--calib",
            p(&fixture("io_batch8.safetensors")),
            "--calibrator",
            "percentile(99.9)",
            "--calib-cache",
            p(&cache),
            "-o",
            p(&dir.path().join(engine)),
        ]
        .map(String::from)
        .to_vec()
    };
    let first = args("a.engine");
    let out = run(&first.iter().map(String::as_str).collect::<Vec<_>>());
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("INT8 calibration: 8 samples"), "{stdout}");
    assert!(stdout.contains("precision int8"), "{stdout}");
    let table = std::fs::read_to_string(&cache).expect("calibration cache written");
    assert!(table.contains("calibrator percentile(99.9)"), "{table}");
    assert!(table.contains("range conv1/conv2d#0:input "), "{table}");
    let second = args("b.engine");
    let out = run(&second.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success());
    assert!(
        text(&out.stderr).contains("reused") || std::fs::read_to_string(&cache).unwrap() == table
    );
}

#[test]
fn errors_are_one_line_with_a_fix() {
    let dir = tempfile::tempdir().unwrap();
    let weights = fixture("model.safetensors");
    let out = run(&[
        "convert",
        "--arch",
        "simple_cnn",
        "--weights",
        p(&weights),
        "--int8",
        "--calibrator",
        "minmax",
        "-o",
        "x.engine",
    ]);
    assert_fails(&out, 2, "unknown calibrator");
    let out = run(&["convert", "--arch", "simple_cnn", "--weights", p(&weights)]);
    assert_fails(&out, 2, "fix: pass -o");
    let missing = dir.path().join("missing.safetensors");
    let out = run(&[
        "convert",
        "--arch",
        "simple_cnn",
        "--weights",
        p(&missing),
        "-o",
        "x.engine",
    ]);
    assert_fails(&out, 1, "cannot open checkpoint");
    let out = run(&[
        "convert",
        "--arch",
        "resnet19",
        "--weights",
        p(&weights),
        "-o",
        "x.engine",
    ]);
    assert_fails(
        &out,
        1,
        "unknown architecture \"resnet19\"; use one of: resnet18",
    );
    // The wrong architecture for a checkpoint: the strict load names it.
    let out = run(&[
        "convert",
        "--arch",
        "resnet18",
        "--weights",
        p(&weights),
        "-o",
        "x.engine",
    ]);
    assert_fails(&out, 1, "is not a torchvision resnet18 checkpoint");
    // Not an engine file.
    let bogus = dir.path().join("bogus.engine");
    std::fs::write(&bogus, b"definitely not an engine").unwrap();
    let out = run(&["inspect", p(&bogus)]);
    assert_fails(&out, 1, "is not a candle2trt engine file");
    assert!(text(&out.stderr).contains("fix: the file is not an engine written by"));
    let out = run(&[
        "export-triton",
        p(&bogus),
        "--repo",
        p(&dir.path().join("r")),
        "--name",
        "m",
    ]);
    assert_fails(&out, 1, "is not a candle2trt engine file");
    assert!(!dir.path().join("r").exists());
    // Nothing was written by the failed conversions.
    assert!(!Path::new("x.engine").exists());
}

//! The PyTorch fixtures (see `fixtures/README.md`) and the real weights `cargo xtask setup`
//! provisions: where they are, how to read their input/output files, how to compare.
//!
//! The small fixtures (`simple_cnn`, `tiny_bert`, `efficientnet_lite0`) live in the repository
//! under `fixtures/`; the large ones (`resnet18`, `mobilenet_v2`) are read from the folder named
//! by `CANDLE2TRT_FIXTURES` (unset or empty: `../shared/fixtures` next to the workspace). Real
//! pretrained weights and photographs are in `.deps/` (`CANDLE2TRT_DEPS`).
//!
//! A test whose files are absent prints `SKIPPED: <reason>` and passes — unless
//! `CANDLE2TRT_REQUIRE_FIXTURES=1` (CI sets it), which makes it a failure.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use candle_core::{DType, Device, Tensor};

/// The environment variable naming a folder that holds the fixture folders.
pub const FIXTURES_ENV: &str = "CANDLE2TRT_FIXTURES";

/// The environment variable that, set to `1`, turns a missing fixture into a failure.
pub const REQUIRE_ENV: &str = "CANDLE2TRT_REQUIRE_FIXTURES";

/// The environment variable naming the provisioned folder (`cargo xtask setup`).
pub const DEPS_ENV: &str = "CANDLE2TRT_DEPS";

/// Whether `CANDLE2TRT_REQUIRE_FIXTURES=1`: missing fixtures fail instead of skipping.
pub fn fixtures_required() -> bool {
    std::env::var_os(REQUIRE_ENV).is_some_and(|v| v == "1")
}

/// What a test does when its files are absent: `Ok(None)` after printing one
/// `SKIPPED: <why> (<what>)` line, or, under `CANDLE2TRT_REQUIRE_FIXTURES=1`, the error. `cargo xtask test` allows
/// the skip by the tag that starts `<why>` (`large fixture not found:` from [`fixture_dir`]); a provisioned file
/// that is missing ([`provisioned`]) is a setup failure, which it does not allow.
pub fn skip_unless_required<T>(what: &str, found: anyhow::Result<T>) -> anyhow::Result<Option<T>> {
    match found {
        Ok(t) => Ok(Some(t)),
        Err(e) if fixtures_required() => Err(e.context(format!(
            "{what} ({REQUIRE_ENV}=1: missing files are failures)"
        ))),
        Err(e) => {
            println!("SKIPPED: {e:#} ({what})");
            Ok(None)
        }
    }
}

/// The provisioned folder: `$CANDLE2TRT_DEPS` when set and not empty, else `<workspace>/.deps`.
pub fn deps_dir() -> PathBuf {
    match std::env::var_os(DEPS_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(".deps"),
    }
}

/// A file `cargo xtask setup` provisions, by its path under the provisioned folder
/// (`efficientnet-lite/efficientnet-lite0.pth`, `photos/chelsea.png`); `Err` says how to get it.
pub fn provisioned(relative: &str) -> anyhow::Result<PathBuf> {
    let path = deps_dir().join(relative);
    anyhow::ensure!(
        path.is_file(),
        "{} not found (run `cargo xtask setup`, or set {DEPS_ENV})",
        path.display()
    );
    Ok(path)
}

/// `<workspace>/fixtures`: the fixtures committed with the repository.
pub fn repo_fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("fixtures")
}

/// `$CANDLE2TRT_FIXTURES` when set and not empty, else `<workspace>/../shared/fixtures`.
pub fn shared_fixtures_dir() -> PathBuf {
    match std::env::var_os(FIXTURES_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("..")
            .join("shared")
            .join("fixtures"),
    }
}

/// The folder of fixture `name` (`resnet18`, …): the repository's copy when it has one (the
/// small fixtures), else the one under [`shared_fixtures_dir`]. `Err` lists the places looked at.
pub fn fixture_dir(name: &str) -> anyhow::Result<PathBuf> {
    let candidates = [
        repo_fixtures_dir().join(name),
        shared_fixtures_dir().join(name),
    ];
    candidates
        .iter()
        .find(|dir| dir.is_dir())
        .cloned()
        .ok_or_else(|| {
            anyhow::anyhow!(
                "large fixture not found: {name:?} in {} or {} (set {FIXTURES_ENV} to the folder that holds it)",
                candidates[0].display(),
                candidates[1].display()
            )
        })
}

/// Reads every tensor of a safetensors file (an `io.safetensors`: inputs and PyTorch's
/// outputs) onto the CPU.
pub fn load_io(path: impl AsRef<Path>) -> anyhow::Result<HashMap<String, Tensor>> {
    let path = path.as_ref();
    candle_core::safetensors::load(path, &Device::Cpu)
        .with_context(|| format!("cannot read tensors from {}", path.display()))
}

/// Takes tensor `name` out of an io map, with an error naming what is there instead.
pub fn take(io: &mut HashMap<String, Tensor>, name: &str) -> anyhow::Result<Tensor> {
    io.remove(name).ok_or_else(|| {
        let mut names: Vec<_> = io.keys().cloned().collect();
        names.sort();
        anyhow::anyhow!(
            "no tensor {name:?} in the io file (it has: {})",
            names.join(", ")
        )
    })
}

/// `max |a − b|` over all elements, computed in f32; the shapes must be equal.
pub fn max_abs_diff(a: &Tensor, b: &Tensor) -> candle_core::Result<f32> {
    if a.dims() != b.dims() {
        candle_core::bail!("shapes differ: {:?} vs {:?}", a.dims(), b.dims())
    }
    // On the CPU: either may come from candle CUDA.
    let cpu = candle_core::Device::Cpu;
    let (a, b) = (
        a.to_device(&cpu)?.to_dtype(DType::F32)?,
        b.to_device(&cpu)?.to_dtype(DType::F32)?,
    );
    let diff = (a - b)?.abs()?.flatten_all()?;
    // NaN ≠ NaN: count them, since `max` need not propagate them.
    let nans = diff
        .ne(&diff)?
        .to_dtype(DType::U32)?
        .sum_all()?
        .to_scalar::<u32>()?;
    if nans > 0 {
        candle_core::bail!("{nans} element(s) differ by NaN")
    }
    if diff.elem_count() == 0 {
        return Ok(0.0);
    }
    diff.max(0)?.to_scalar::<f32>()
}

/// `t` cut (leading rows) or tiled (rows repeated cyclically) along dimension 0 to `batch` rows —
/// how verification makes inputs at the profile's corners, so a batch-independent model's
/// reference outputs follow the same way.
pub fn at_batch(t: &Tensor, batch: usize) -> candle_core::Result<Tensor> {
    let n = t.dim(0)?;
    if batch <= n {
        return t.narrow(0, 0, batch);
    }
    let ids: Vec<u32> = (0..batch).map(|i| (i % n) as u32).collect();
    t.index_select(&Tensor::from_vec(ids, batch, t.device())?, 0)
}

/// Prints the engine's error against PyTorch's `expected` outputs as the CPU simulation of the
/// network TensorRT holds computes it (the engine as built: its precision and TF32): the lines
/// `simulated_max_abs_err <v>` and `reference_max_abs <v>` for the sample inputs, then one
/// `simulated_max_abs_err[batch=<b>] <v>` per profile corner, where the reference is cut or tiled
/// along the batch like the inputs. Returns the sample's error (`None` when verification was off).
pub fn print_simulated(
    engine: &candle2trt::TrtModule,
    expected: &[&Tensor],
) -> anyhow::Result<Option<f32>> {
    let Some(report) = engine.verification() else {
        println!("simulated_max_abs_err: not computed (verification off)");
        return Ok(None);
    };
    let mut sample = None;
    for check in &report.checks {
        let (mut err, mut max_ref) = (0f32, 0f32);
        for (sim, want) in check.simulated_outputs.iter().zip(expected) {
            let want = at_batch(want, sim.dim(0)?)?;
            err = err.max(max_abs_diff(sim, &want)?);
            let m = want.to_dtype(DType::F32)?.abs()?.flatten_all()?.max(0)?;
            max_ref = max_ref.max(m.to_scalar::<f32>()?);
        }
        if check.corner == candle2trt::Corner::Sample {
            println!("simulated_max_abs_err {err:.3e}");
            println!("reference_max_abs {max_ref:.3e}");
            sample = Some(err);
        } else {
            let batch = check.input_dims[0][0];
            println!(
                "simulated_max_abs_err[batch={batch}] {err:.3e}  ({})",
                check.corner
            );
        }
    }
    let precision = engine.meta().precision.as_str();
    let tf32 = if engine.meta().tf32 && !engine.fp16_mode() {
        ", TF32 allowed"
    } else {
        ""
    };
    println!(
        "  (engine {precision}{tf32}: the network TensorRT holds, simulated on the CPU, vs PyTorch; \
         verification {:.2} s)",
        report.elapsed.as_secs_f64()
    );
    Ok(sample)
}

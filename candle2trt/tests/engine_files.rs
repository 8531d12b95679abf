//! Engine files: the engine cache (`TrtModule::load_or_convert`) and the checks that keep a file
//! from being trusted blindly (wrong format version, engine bytes from another TensorRT version,
//! a header that lies about the I/O). Truncated files and wrong magic are in `api.rs`
//! (`loading_garbage_is_a_typed_error`).

#[macro_use]
mod common;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use candle2trt::{
    convert, CacheOutcome, ConversionOptions, EngineMeta, Error, Result, TraceModule, TraceTensor,
    TrtModule,
};
use candle_core::{Device, Tensor};
use candle_nn::Linear;

use common::randn;

/// A model whose weights the tests choose.
struct Affine(Linear);

impl Affine {
    fn new(scale: f32) -> Self {
        let w = (Tensor::eye(4, candle_core::DType::F32, &Device::Cpu).unwrap() * f64::from(scale))
            .unwrap();
        Affine(Linear::new(w, None))
    }
}

impl TraceModule for Affine {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        x.apply_named("fc", &self.0)?.relu()
    }
}

fn options() -> ConversionOptions {
    ConversionOptions::default()
        .with_input_names(["x"])
        .with_output_names(["y"])
}

fn mtime(p: &Path) -> SystemTime {
    std::fs::metadata(p).unwrap().modified().unwrap()
}

fn built_reason(m: &TrtModule) -> String {
    match m.cache_outcome() {
        Some(CacheOutcome::Built { reason }) => reason.clone(),
        other => panic!("expected a build, got {other:?}"),
    }
}

#[test]
fn cache_loads_a_matching_file_and_rebuilds_with_the_reason() -> Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("affine.engine");
    let timing = dir.path().join("timing.cache");
    let x = randn(&[2, 4]);
    let opts = ConversionOptions {
        timing_cache: Some(timing.clone()),
        ..options()
    };

    let first = TrtModule::load_or_convert(&path, &Affine::new(2.0), &[&x], &opts)?;
    assert_eq!(built_reason(&first), "no engine file yet");
    assert!(timing.is_file(), "the timing cache was not written");
    let written = mtime(&path);
    let on_disk = TrtModule::load(&path)?;
    assert_eq!(on_disk.meta().fingerprint, first.meta().fingerprint);
    for field in [
        "weights",
        "network",
        "precision",
        "candle2trt",
        "tensorrt",
        "gpu",
    ] {
        assert!(
            on_disk.meta().fingerprint.get(field).is_some(),
            "no {field}"
        );
    }

    // Same model, weights, inputs and options: loaded, the file untouched, no build.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let second = TrtModule::load_or_convert(&path, &Affine::new(2.0), &[&x], &opts)?;
    assert_eq!(second.cache_outcome(), Some(&CacheOutcome::Loaded));
    assert_eq!(mtime(&path), written, "the file was rewritten");
    assert_eq!(second.engine_bytes(), first.engine_bytes());
    assert!(second.conversion_times().unwrap().1.is_zero());
    // The trace still ran: reference outputs are there.
    assert_eq!(second.reference_outputs().len(), 1);

    // A changed option: rebuilt, the reason names it and nothing else; the timing cache is
    // read and kept.
    let level = ConversionOptions {
        builder_optimization_level: Some(1),
        ..opts.clone()
    };
    let third = TrtModule::load_or_convert(&path, &Affine::new(2.0), &[&x], &level)?;
    assert_eq!(
        built_reason(&third),
        "changed since it was built: optimization_level: - → 1"
    );
    // fp16 also changes the weights as TensorRT receives them (f16) and the network (casts).
    let fp16 = ConversionOptions {
        fp16_mode: true,
        ..opts.clone()
    };
    let third = TrtModule::load_or_convert(&path, &Affine::new(2.0), &[&x], &fp16)?;
    let reason = built_reason(&third);
    assert!(reason.contains("precision: fp32 → fp16"), "{reason}");
    assert_eq!(
        TrtModule::load(&path)?.meta().precision,
        third.meta().precision
    );

    // Changed weights: rebuilt, the reason names the weights.
    let fourth = TrtModule::load_or_convert(&path, &Affine::new(3.0), &[&x], &fp16)?;
    let reason = built_reason(&fourth);
    assert!(reason.contains("weights: "), "{reason}");
    assert!(!reason.contains("precision"), "{reason}");

    // A changed sample shape changes the network.
    let fifth = TrtModule::load_or_convert(&path, &Affine::new(3.0), &[randn(&[3, 4])], &fp16)?;
    let reason = built_reason(&fifth);
    assert!(reason.contains("network: "), "{reason}");
    Ok(())
}

#[test]
fn cache_rebuilds_a_damaged_file() -> Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("affine.engine");
    let x = randn(&[2, 4]);
    TrtModule::load_or_convert(&path, &Affine::new(1.0), &[&x], &options())?;
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
    let rebuilt = TrtModule::load_or_convert(&path, &Affine::new(1.0), &[&x], &options())?;
    let reason = built_reason(&rebuilt);
    assert!(reason.contains("the file is unusable"), "{reason}");
    assert!(reason.contains("truncated"), "{reason}");
    // The file is whole again and now loads.
    let again = TrtModule::load_or_convert(&path, &Affine::new(1.0), &[&x], &options())?;
    assert_eq!(again.cache_outcome(), Some(&CacheOutcome::Loaded));
    // A file without a fingerprint (a plain `save`) is rebuilt, naming the missing fields.
    let plain = TrtModule::new(
        EngineMeta {
            fingerprint: Default::default(),
            ..again.meta().clone()
        },
        again.engine_bytes().to_vec(),
    );
    plain.save(&path)?;
    let reason = built_reason(&TrtModule::load_or_convert(
        &path,
        &Affine::new(1.0),
        &[&x],
        &options(),
    )?);
    assert!(reason.contains("weights: - → "), "{reason}");
    Ok(())
}

/// A good engine file's module and bytes.
fn good() -> Result<(TrtModule, tempfile::TempDir)> {
    let module = convert(&Affine::new(1.0), &[randn(&[2, 4])], &options())?;
    Ok((module, tempfile::tempdir().unwrap()))
}

/// `load(path)` must fail with `InvalidEngineFile` for `path` whose reason contains `expected`.
fn assert_invalid(path: &PathBuf, expected: &str) {
    match TrtModule::load(path) {
        Err(Error::InvalidEngineFile { path: p, reason }) => {
            assert_eq!(&p, path);
            assert!(reason.contains(expected), "{reason:?} lacks {expected:?}");
        }
        other => panic!("expected InvalidEngineFile, got {other:?}"),
    }
}

/// Writes `meta` and `engine` as a well-formed file (valid checksum): only the checks of content
/// can catch what is wrong.
fn write(dir: &Path, name: &str, meta: EngineMeta, engine: Vec<u8>) -> Result<PathBuf> {
    let path = dir.join(name);
    TrtModule::new(meta, engine).save(&path)?;
    Ok(path)
}

#[test]
fn newer_format_version_is_refused() -> Result<()> {
    let (module, dir) = good()?;
    let path = dir.path().join("newer.engine");
    module.save(&path)?;
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[8..12].copy_from_slice(&7u32.to_le_bytes());
    std::fs::write(&path, bytes).unwrap();
    assert_invalid(&path, "format version 7, this build reads 1 to 2");
    Ok(())
}

#[test]
fn engine_bytes_from_another_tensorrt_version_are_refused() -> Result<()> {
    let (module, dir) = good()?;
    let mut engine = module.engine_bytes().to_vec();
    assert_eq!(&engine[..4], b"vtrt", "not a TensorRT-RTX engine");
    engine[24..27].copy_from_slice(&[1, 6, 0]);
    // The header claims this library's version, the engine bytes say 1.6.0.
    let path = write(
        dir.path(),
        "mixed.engine",
        module.meta().clone(),
        engine.clone(),
    )?;
    assert_invalid(
        &path,
        &format!(
            "the engine bytes were built by TensorRT 1.6.0, the header says TensorRT {}",
            module.tensorrt_version()
        ),
    );
    // A whole file from TensorRT 1.6.0 reads, but is refused for this library.
    let meta = EngineMeta {
        tensorrt_version: "1.6.0".into(),
        ..module.meta().clone()
    };
    let path = write(dir.path(), "old.engine", meta, engine)?;
    assert_eq!(TrtModule::load(&path)?.tensorrt_version(), "1.6.0");
    let library = trt::Library::load().unwrap();
    match TrtModule::load_for(&path, library) {
        Err(Error::EngineVersionMismatch {
            path: p,
            engine,
            library: lib,
        }) => {
            assert_eq!((p, engine.as_str()), (path.clone(), "1.6.0"));
            assert_eq!(lib, library.version().to_string());
        }
        other => panic!("expected EngineVersionMismatch, got {other:?}"),
    }
    Ok(())
}

#[test]
fn header_naming_a_tensor_the_engine_lacks_is_refused() -> Result<()> {
    let (module, dir) = good()?;
    let mut meta = module.meta().clone();
    meta.outputs[0].name = "logits".into();
    let path = write(
        dir.path(),
        "names.engine",
        meta,
        module.engine_bytes().to_vec(),
    )?;
    assert_invalid(
        &path,
        "the header lies about I/O: the engine bytes declare no tensor named \"logits\"",
    );
    Ok(())
}

#[test]
fn header_with_a_dynamic_input_and_no_profile_is_refused() -> Result<()> {
    let (module, dir) = good()?;
    let mut meta = module.meta().clone();
    meta.inputs[0].dims[0] = -1;
    let path = write(
        dir.path(),
        "dynamic.engine",
        meta,
        module.engine_bytes().to_vec(),
    )?;
    assert_invalid(
        &path,
        "the header lies about input \"x\": dims [-1, 4] are dynamic but it has no optimization profile",
    );
    Ok(())
}

#[test]
fn header_with_a_rank_the_profile_does_not_have_is_refused() -> Result<()> {
    let module = convert(
        &Affine::new(1.0),
        &[randn(&[2, 4])],
        &options().with_dynamic_batch(1, 2, 4),
    )?;
    let dir = tempfile::tempdir().unwrap();
    let mut meta = module.meta().clone();
    meta.inputs[0].dims.push(1); // rank 3, the profile has rank 2
    let path = write(
        dir.path(),
        "rank.engine",
        meta,
        module.engine_bytes().to_vec(),
    )?;
    assert_invalid(&path, "bad input line");
    Ok(())
}

#[test]
fn header_listing_a_name_twice_is_refused() -> Result<()> {
    let (module, dir) = good()?;
    let mut meta = module.meta().clone();
    meta.outputs[0].name = "x".into();
    let path = write(
        dir.path(),
        "twice.engine",
        meta,
        module.engine_bytes().to_vec(),
    )?;
    assert_invalid(&path, "the header lists the I/O name \"x\" twice or empty");
    Ok(())
}

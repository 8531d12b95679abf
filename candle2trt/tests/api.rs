//! The public API end to end, with real engine builds: SimpleCNN from the PyTorch fixture
//! (fp16, dynamic batch 1..8), unsupported ops, engine files, options, the runtime's checks.

#[macro_use]
mod common;

use std::path::PathBuf;

use candle2trt::{
    convert, ConversionOptions, Error, Result, TraceModel, TraceModule, TraceTensor, TrtModule,
};
use candle_core::{DType, Device, Tensor};
use candle_nn::{Conv2d, Conv2dConfig, Linear};

use common::{check, max_diff, randn};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/simple_cnn")
        .join(name)
}

/// The brief's SimpleCNN.
struct SimpleCnn {
    conv1: Conv2d,
    fc: Linear,
}

impl SimpleCnn {
    /// The weights PyTorch saved, whose logits the fixture's `io*.safetensors` hold.
    fn load() -> Result<Self> {
        let vb = torch_weights::open(fixture("model.safetensors"))
            .expect("checkpoint")
            .var_builder(DType::F32, &Device::Cpu);
        let conv = Conv2dConfig {
            padding: 1,
            ..Default::default()
        };
        Ok(Self {
            conv1: candle_nn::conv2d(3, 16, 3, conv, vb.pp("conv1"))?,
            fc: candle_nn::linear(4096, 10, vb.pp("fc"))?,
        })
    }
}

impl TraceModule for SimpleCnn {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let x = x.apply_named("conv1", &self.conv1)?.relu()?.max_pool2d(2)?;
        let b = x.dim(0)?;
        x.reshape((b, ()))?.apply_named("fc", &self.fc) // x.view(x.size(0), -1)
    }
}

fn io(name: &str) -> Result<(Tensor, Tensor)> {
    let mut t = candle_core::safetensors::load(fixture(name), &Device::Cpu)?;
    let input = t.remove("input").expect("input");
    let output = t.remove("output").expect("output");
    Ok((input, output))
}

fn simple_cnn_options() -> ConversionOptions {
    ConversionOptions {
        fp16_mode: true,
        input_names: vec!["input_tensor".into()],
        output_names: vec!["output_tensor".into()],
        ..Default::default()
    }
    .with_dynamic_batch(1, 1, 8)
}

/// What can be checked without a GPU TensorRT runs on: candle's SimpleCNN matches PyTorch, and it
/// converts into an fp16 engine with a dynamic batch whose I/O and layers are as intended. No
/// fp16 value is compared: the engine does not run here.
#[test]
fn simple_cnn_candle_matches_pytorch_and_builds_fp16_dynamic_batch_engine() -> Result<()> {
    let model = SimpleCnn::load()?;
    let (x1, y1) = io("io.safetensors")?;
    let (x8, y8) = io("io_batch8.safetensors")?;
    // The brief's bound on candle's error against PyTorch.
    let tolerance = 1e-4;
    assert!(max_diff(&model.forward(&x1)?, &y1) <= tolerance);
    assert!(max_diff(&model.forward(&x8)?, &y8) <= tolerance);

    let module = convert(&model, &[&x1], &simple_cnn_options())?;
    // The tracer's candle values (f32, computed while tracing; not the engine's) match PyTorch.
    assert!(max_diff(&module.reference_outputs()[0], &y1) <= tolerance);
    let input = &module.inputs()[0];
    assert_eq!(input.name, "input_tensor");
    assert_eq!(input.dims, [-1, 3, 32, 32]);
    let profile = input.profile.as_ref().expect("profile");
    assert_eq!((profile.min[0], profile.opt[0], profile.max[0]), (1, 1, 8));
    assert_eq!(module.outputs()[0].name, "output_tensor");
    assert_eq!(module.outputs()[0].dims, [-1, 10]);
    assert_eq!(module.outputs()[0].dtype, DType::F32); // f16 inside, f32 at the boundary
    let types: Vec<&str> = module
        .layers()
        .iter()
        .map(|l| l.layer_type.as_str())
        .collect();
    for t in [
        "Cast",
        "Convolution",
        "Activation",
        "Pooling",
        "Shuffle",
        "MatrixMultiply",
    ] {
        assert!(types.contains(&t), "no {t} layer:\n{}", module.report());
    }
    assert!(module
        .layers()
        .iter()
        .any(|l| l.module_path == "conv1" && l.op == "conv2d"));

    // Tracing at batch 8 builds the same kind of engine; the tracer's candle values match.
    let module8 = convert(&model, &[x8], &simple_cnn_options())?;
    assert!(max_diff(&module8.reference_outputs()[0], &y8) <= tolerance);
    assert_eq!(module8.inputs(), module.inputs());
    assert_eq!(module8.outputs(), module.outputs());
    Ok(())
}

#[test]
fn unsupported_op_names_op_module_path_and_shapes() -> Result<()> {
    struct Inner;
    impl TraceModule for Inner {
        fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
            x.relu()?.apply_candle_fn("cumsum", |t| t.cumsum(1))
        }
    }
    struct Outer;
    impl TraceModule for Outer {
        fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
            let _layer = x.scope("layer1");
            x.apply_named("0", &Inner)
        }
    }
    let x = randn(&[2, 3, 4]);
    // Plain candle runs it.
    assert_eq!(Outer.forward(&x)?.dims(), [2, 3, 4]);
    // The tracer refuses it, and says where.
    let err = convert(&Outer, &[x], &ConversionOptions::default()).unwrap_err();
    match &err {
        Error::UnsupportedOp {
            op,
            module_path,
            shapes,
        } => {
            assert_eq!(op, "cumsum");
            assert_eq!(module_path.to_string(), "layer1.0");
            assert_eq!(shapes.0, vec![vec![2, 3, 4]]);
        }
        other => panic!("expected UnsupportedOp, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("cumsum") && msg.contains("layer1.0") && msg.contains("[2, 3, 4]"),
        "{msg}"
    );
    Ok(())
}

/// Modules applied without a name are numbered by call order inside their scope (`0`, `1`,
/// …, as PyTorch names `Sequential` children), named ones keep their names, and numbering
/// restarts in each scope: every layer has a module path.
#[test]
fn modules_applied_without_a_name_are_numbered_by_call_order() -> Result<()> {
    struct Block(Conv2d, Conv2d);
    impl TraceModule for Block {
        fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
            x.apply(&self.0)?.relu()?.apply(&self.1)
        }
    }
    struct Net(Block, Conv2d, Block);
    impl TraceModule for Net {
        fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
            let x = x.apply(&self.0)?;
            let x = x.apply_named("mid", &self.1)?;
            x.apply(&self.2)
        }
    }
    let c = || {
        Conv2d::new(
            randn(&[4, 4, 3, 3]),
            None,
            Conv2dConfig {
                padding: 1,
                ..Default::default()
            },
        )
    };
    let net = Net(Block(c(), c()), c(), Block(c(), c()));
    let module = check(&net, &[randn(&[1, 4, 6, 6])])?;
    let convs: Vec<&str> = module
        .layers()
        .iter()
        .filter(|l| l.op == "conv2d")
        .map(|l| l.module_path.as_str())
        .collect();
    assert_eq!(convs, ["0.0", "0.1", "mid", "1.0", "1.1"]);
    // The relu inside a block belongs to the block.
    let relus: Vec<&str> = module
        .layers()
        .iter()
        .filter(|l| l.op == "relu")
        .map(|l| l.module_path.as_str())
        .collect();
    assert_eq!(relus, ["0", "1"]);
    Ok(())
}

#[test]
fn candle_errors_under_the_tracer_name_op_and_path() -> Result<()> {
    model!(M, |x| {
        let _s = x.scope("head");
        x.matmul(x) // (2, 3) x (2, 3): incompatible
    });
    let err = convert(&M, &[randn(&[2, 3])], &ConversionOptions::default()).unwrap_err();
    assert!(
        matches!(&err, Error::CandleOp { op, module_path, .. } if op == "matmul" && module_path.to_string() == "head"),
        "{err}"
    );
    Ok(())
}

fn small_module() -> Result<TrtModule> {
    model!(M, |x| x.relu()?.mul_scalar(2.0));
    let options = ConversionOptions::default()
        .with_input_names(["x"])
        .with_output_names(["y"])
        .with_dynamic_batch(1, 2, 4);
    convert(&M, &[randn(&[2, 5])], &options)
}

#[test]
fn engine_file_round_trip() -> Result<()> {
    let module = small_module()?;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.engine");
    module.save(&path)?;
    let loaded = TrtModule::load(&path)?;
    assert_eq!(loaded.engine_bytes(), module.engine_bytes());
    assert_eq!(loaded.inputs(), module.inputs());
    assert_eq!(loaded.outputs(), module.outputs());
    assert_eq!(loaded.layers(), module.layers());
    assert_eq!(loaded.tensorrt_version(), module.tensorrt_version());
    // Precision and the options that shaped the engine come back too.
    assert_eq!(loaded.meta(), module.meta());
    assert!(loaded.reference_outputs().is_empty());
    // Only the final file is left: no temporary.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["small.engine"]);
    Ok(())
}

#[test]
fn loading_garbage_is_a_typed_error() -> Result<()> {
    let module = small_module()?;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.engine");
    module.save(&good)?;
    let bytes = std::fs::read(&good).unwrap();

    let half_file = format!("exceeds the file size {}", bytes.len() / 2);
    // Each corruption, and what the reason must say about it.
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "garbage",
            b"this is not an engine at all".to_vec(),
            "wrong magic bytes",
        ),
        (
            "empty",
            vec![],
            "truncated: needed 8 bytes at offset 0, the file has 0",
        ),
        (
            // The engine is most of the file: its length field points past the end.
            "truncated",
            bytes[..bytes.len() / 2].to_vec(),
            &half_file,
        ),
        (
            "bit flip",
            {
                let mut b = bytes.clone();
                let i = b.len() - 100;
                b[i] ^= 0x40;
                b
            },
            "checksum mismatch",
        ),
        (
            "huge header length",
            {
                let mut b = bytes.clone();
                b[12..20].copy_from_slice(&u64::MAX.to_le_bytes());
                b
            },
            "header length 18446744073709551615 is implausible",
        ),
        (
            "raw TensorRT engine",
            module.engine_bytes().to_vec(),
            "wrong magic bytes",
        ),
    ];
    for (what, content, expected) in cases {
        let path = dir.path().join(format!("{what}.engine"));
        std::fs::write(&path, content).unwrap();
        match TrtModule::load(&path) {
            Err(Error::InvalidEngineFile { path: p, reason }) => {
                assert_eq!(p, path);
                assert!(
                    reason.contains(expected),
                    "{what}: the reason {reason:?} does not say {expected:?}"
                );
            }
            other => panic!("{what}: expected InvalidEngineFile, got {other:?}"),
        }
    }
    assert!(matches!(
        TrtModule::load(dir.path().join("missing.engine")),
        Err(Error::Io { .. })
    ));
    Ok(())
}

#[test]
fn failed_save_leaves_no_file() -> Result<()> {
    let module = small_module()?;
    let dir = tempfile::tempdir().unwrap();
    // The target is a directory: the final rename fails after the temporary was written.
    let target = dir.path().join("taken");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), b"x").unwrap();
    assert!(matches!(module.save(&target), Err(Error::Io { .. })));
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["taken"], "a temporary file was left behind");
    // A missing directory: nothing is created.
    let missing = dir.path().join("no/such/dir/m.engine");
    assert!(matches!(module.save(&missing), Err(Error::Io { .. })));
    assert!(!dir.path().join("no").exists());
    // Saving over an existing engine replaces it whole.
    let path = dir.path().join("m.engine");
    std::fs::write(&path, b"old").unwrap();
    module.save(&path)?;
    assert_eq!(
        TrtModule::load(&path)?.engine_bytes(),
        module.engine_bytes()
    );
    Ok(())
}

#[test]
fn int8_without_calibration_data_calibrates_on_the_sample() -> Result<()> {
    model!(M, |x| x.relu());
    let options = ConversionOptions {
        int8_mode: true,
        ..Default::default()
    };
    // No batches: the sample inputs are the calibration set (with a warning), like torch2trt.
    let module = convert(&M, &[randn(&[1, 4])], &options)?;
    assert_eq!(module.meta().precision, candle2trt::Precision::Int8);
    // An empty calibration set given explicitly is an error that says what is missing.
    let none: Vec<Vec<Tensor>> = Vec::new();
    let err = candle2trt::quant::calibrate(&M, none, &Default::default()).unwrap_err();
    assert!(matches!(err, Error::MissingCalibrationData), "{err}");
    assert!(
        err.to_string().contains("int8_calibration_batches"),
        "{err}"
    );
    Ok(())
}

#[test]
fn option_errors() {
    model!(M, |x| x.relu());
    let x = randn(&[2, 4]);
    let bad_names = ConversionOptions::default().with_input_names(["a", "b"]);
    assert!(matches!(
        convert(&M, &[&x], &bad_names),
        Err(Error::InvalidOptions(_))
    ));
    let outside = ConversionOptions::default().with_dynamic_batch(4, 4, 8);
    let err = convert(&M, &[&x], &outside).unwrap_err();
    assert!(err.to_string().contains("outside the profile"), "{err}");
    let f64_input = x.to_dtype(DType::F64).unwrap();
    assert!(matches!(
        convert(&M, &[f64_input], &ConversionOptions::default()),
        Err(Error::InvalidOptions(_))
    ));
    assert!(matches!(
        convert::<_, Tensor>(&M, &[], &ConversionOptions::default()),
        Err(Error::InvalidOptions(_))
    ));
}

#[test]
fn multi_input_multi_output_model() -> Result<()> {
    struct M;
    impl TraceModel for M {
        fn forward_inputs<T: TraceTensor>(&self, xs: &[T]) -> Result<Vec<T>> {
            let s = xs[0].add(&xs[1])?;
            Ok(vec![s.relu()?, xs[0].clone(), s.sum_keepdim(1)?])
        }
    }
    let options = ConversionOptions::default()
        .with_input_names(["a", "b"])
        .with_output_names(["relu", "a_copy", "sum"])
        .with_dynamic_batch(1, 2, 4);
    let m = common::check_with(&M, &[randn(&[2, 3]), randn(&[2, 3])], &options)?;
    let names: Vec<_> = m.outputs().iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["relu", "a_copy", "sum"]);
    Ok(())
}

#[test]
fn forward_checks_inputs_before_running() -> Result<()> {
    let module = small_module()?;
    // A CPU tensor: refused whatever the build (TensorRT reads device memory).
    let err = module.forward(&[randn(&[2, 5])]).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput { index: 0, name, .. } if name == "x"),
        "{err}"
    );
    assert!(matches!(
        module.forward::<Tensor>(&[]),
        Err(Error::ModelInterface(_))
    ));
    Ok(())
}

#[test]
fn converted_submodule_inside_a_candle_model() -> Result<()> {
    // The hybrid approach: convert the feature extractor only; the head stays in candle.
    struct Features(Conv2d);
    impl TraceModule for Features {
        fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
            x.apply(&self.0)?
                .relu()?
                .adaptive_avg_pool2d((1, 1))?
                .flatten_from(1)
        }
    }
    struct Hybrid {
        features: TrtModule,
        head: Linear,
    }
    impl Hybrid {
        fn forward(&self, x: &Tensor) -> Result<Tensor> {
            let f = self.features.forward(&[x])?.remove(0);
            Ok(candle_core::Module::forward(&self.head, &f)?)
        }
    }
    let conv = Conv2d::new(randn(&[8, 3, 3, 3]), None, Conv2dConfig::default());
    let x = randn(&[2, 3, 8, 8]);
    let features = check(&Features(conv), std::slice::from_ref(&x))?;
    let hybrid = Hybrid {
        features,
        head: Linear::new(randn(&[4, 8]), None),
    };
    // A CPU tensor is refused by name, whatever the build: TensorRT reads device memory.
    let err = hybrid.forward(&x).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput { index: 0, reason, .. } if reason.contains("CUDA")),
        "{err}"
    );
    if !cfg!(feature = "cuda") {
        common::skip("no CUDA feature: running the hybrid model needs the `cuda` feature");
        return Ok(());
    }
    let device = Device::cuda_if_available(0)?;
    if !device.is_cuda() {
        common::skip("no supported GPU: running the hybrid model needs a CUDA device; none found");
        return Ok(());
    }
    // candle's answer: the head on the features candle computed while tracing.
    let features = &hybrid.features.reference_outputs()[0];
    let expected = candle_core::Module::forward(&hybrid.head, features)?;
    match hybrid.forward(&x.to_device(&device)?) {
        Ok(y) => {
            assert_eq!(y.dims(), [2, 4]);
            let d = max_diff(&y.to_device(&Device::Cpu)?, &expected);
            assert!(d < 1e-3, "the hybrid model differs from candle by {d}");
        }
        Err(e) if common::is_gpu_refusal(&e) => {
            common::skip(format!(
                "TensorRT-RTX refuses to run engines on this GPU: {e}"
            ));
        }
        Err(e) => panic!("running the hybrid model: {e}"),
    }
    Ok(())
}

/// A test skips on TensorRT-RTX's compute-capability refusal only; any other TensorRT error, or
/// an unavailable runtime, is not a reason to skip.
#[test]
fn only_the_known_gpu_refusal_counts_as_a_skip() {
    let refusal = trt::Error::TensorRt {
        op: "deserialize_cuda_engine",
        message:
            "IRuntime::deserializeCudaEngine: Error Code 6: API Usage Error (The engine cannot \
                  run on this GPU, which has compute capability 9.0. Supported compute \
                  capabilities: 8.0 8.6 8.9 12.0 12.1 >12.0.)"
                .into(),
        detail: String::new(),
    };
    assert!(common::is_gpu_refusal(&Error::TensorRt(refusal)));
    let other = trt::Error::TensorRt {
        op: "deserialize_cuda_engine",
        message: "Error Code 1: Serialization (magic tag does not match)".into(),
        detail: String::new(),
    };
    assert!(!common::is_gpu_refusal(&Error::TensorRt(other)));
    assert!(!common::is_gpu_refusal(&Error::RuntimeUnavailable(
        "the engine was built by TensorRT 1.7.1, the loaded library is TensorRT 1.8.0".into()
    )));
}

//! Builder, config and runtime behavior with the real TensorRT library (skipped where it cannot load).

mod common;

use trt::*;

fn conv_relu<'n>(network: &'n Network<'_>) -> Tensor<'n> {
    let x = network
        .add_input("x", DataType::Float, [1, 3, 32, 32])
        .unwrap();
    let kernel = Weights::from_f32(&vec![0.01; 16 * 3 * 3 * 3]);
    let conv = network
        .add(
            Convolution::new(x, 16, [3, 3], kernel)
                .bias(Weights::from_f32(&[0.5; 16]))
                .padding([1, 1]),
        )
        .unwrap();
    let y = network
        .add(Activation::new(
            conv.output(0).unwrap(),
            ActivationType::Relu,
        ))
        .unwrap()
        .output(0)
        .unwrap();
    network.mark_output_named(y, "y").unwrap();
    y
}

#[test]
fn conv_relu_builds_and_saves() {
    setup!(lib, logger, builder);
    eprintln!(
        "TensorRT library {} version {} (headers {})",
        lib.path().display(),
        lib.version(),
        header_version()
    );
    let network = builder.create_network().unwrap();
    let y = conv_relu(&network);
    common::check(y, &[1, 16, 32, 32], DataType::Float);
    let engine = common::build(&builder, &network, "convolution+relu");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conv_relu.engine");
    engine.save(&path).unwrap();
    assert_eq!(SerializedEngine::load(&path).unwrap(), engine);
}

#[test]
fn deserialize_is_a_clean_result() {
    setup!(lib, logger, builder);
    let network = builder.create_network().unwrap();
    conv_relu(&network);
    let engine = common::build(&builder, &network, "convolution+relu (runtime)");
    let runtime = Runtime::new(lib, &logger).expect("runtime creation needs no GPU");
    match runtime.deserialize(engine.as_bytes()) {
        Ok(engine) => {
            let io = engine.io_tensors().unwrap();
            assert_eq!(io.len(), 2);
            assert_eq!(
                io[0],
                IoTensor {
                    name: "x".into(),
                    mode: TensorIOMode::Input,
                    shape: Dims::from([1, 3, 32, 32]),
                    data_type: DataType::Float
                }
            );
            assert_eq!(io[1].shape, [1, 16, 32, 32]);
            let context = engine.create_execution_context();
            eprintln!(
                "execution context: {:?}",
                context.as_ref().map(|_| "created")
            );
        }
        Err(e) => {
            assert!(
                matches!(
                    e,
                    Error::TensorRt {
                        op: "deserialize_cuda_engine",
                        ..
                    }
                ),
                "{e:?}"
            );
            assert!(!e.to_string().is_empty());
            common::say(&format!(
                "SKIPPED: running engines needs a TensorRT-capable GPU: {e}"
            ));
        }
    }
    // Garbage bytes are always a clean error.
    let err = runtime
        .deserialize(b"definitely not an engine")
        .expect_err("garbage must not deserialize");
    assert!(matches!(err, Error::TensorRt { .. }), "{err:?}");
}

#[test]
fn missing_output_is_an_error_with_tensorrt_message() {
    setup!(lib, logger, builder);
    let network = builder.create_network().unwrap();
    let x = network.add_input("x", DataType::Float, [2, 3]).unwrap();
    network
        .add(Activation::new(x, ActivationType::Relu))
        .unwrap();
    let config = builder.create_config().unwrap();
    let err = builder
        .build_serialized_network(&network, &config)
        .unwrap_err();
    let message = err.tensorrt_message().expect("a TensorRT error").to_owned();
    eprintln!("missing output: {err}");
    assert!(message.to_lowercase().contains("output"), "{message}");
}

#[test]
fn rank_mismatch_is_an_error_with_tensorrt_message() {
    setup!(lib, logger, builder);
    let network = builder.create_network().unwrap();
    let a = network.add_input("a", DataType::Float, [2, 3]).unwrap();
    let b = network.add_input("b", DataType::Float, [2, 3, 4]).unwrap();
    // TensorRT accepts the layer and reports the problem when shapes are inferred.
    let result = network
        .add(ElementWise::new(a, b, ElementWiseOperation::Sum))
        .and_then(|l| l.output(0))
        .and_then(|y| {
            let dims = y.dims();
            network.mark_output(y)?;
            dims
        });
    let err = match result {
        Err(e) => e,
        Ok(dims) => {
            let config = builder.create_config().unwrap();
            builder
                .build_serialized_network(&network, &config)
                .expect_err(&format!("rank mismatch built with dims {dims}"))
        }
    };
    eprintln!("rank mismatch: {err}");
    let message = err.tensorrt_message().expect("a TensorRT error");
    assert!(message.contains("Error Code"), "{message}");
}

#[test]
fn bad_axes_are_errors_with_tensorrt_message() {
    setup!(lib, logger, builder);
    let network = builder.create_network().unwrap();
    let x = network.add_input("x", DataType::Float, [2, 3]).unwrap();
    let err = network
        .add(Reduce::new(x, ReduceOperation::Sum, axes_mask(&[5]), true))
        .and_then(|l| l.output(0))
        .and_then(|y| y.dims())
        .expect_err("reducing axis 5 of a rank-2 tensor");
    eprintln!("bad reduce axes: {err}");
    assert!(
        err.tensorrt_message().is_some_and(|m| !m.is_empty()),
        "{err:?}"
    );

    let err = network
        .add(Concatenation::new([x, x], 4))
        .and_then(|l| l.output(0))
        .and_then(|y| y.dims())
        .expect_err("concatenating on axis 4 of rank-2 tensors");
    eprintln!("bad concat axis: {err}");
    assert!(err.tensorrt_message().is_some(), "{err:?}");

    let err = network
        .add(Shuffle::transpose(x, [0, 0]))
        .and_then(|l| l.output(0))
        .and_then(|y| y.dims());
    let err = err.expect_err("a permutation repeating an axis");
    eprintln!("bad permutation: {err}");
    assert!(err.tensorrt_message().is_some(), "{err:?}");
}

#[test]
fn arguments_checked_before_tensorrt() {
    setup!(lib, logger, builder);
    let network = builder.create_network().unwrap();
    let err = network
        .add_input("x", DataType::Float, Dims::new(vec![1; 9]))
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidArgument {
                op: "add_input",
                ..
            }
        ),
        "{err}"
    );
    let err = network
        .add_input("bad\0name", DataType::Float, [1])
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");
    // A tensor from another network is refused.
    let other = builder.create_network().unwrap();
    let y = other.add_input("y", DataType::Float, [1]).unwrap();
    let err = network.mark_output(y).unwrap_err();
    assert!(err.to_string().contains("another network"), "{err}");
    let mut config = builder.create_config().unwrap();
    assert!(config.set_builder_optimization_level(9).is_err());
    // An input index the layer does not have is refused by TensorRT, and reported.
    let x = network.add_input("x2", DataType::Float, [2]).unwrap();
    let relu = network
        .add(Activation::new(x, ActivationType::Relu))
        .unwrap();
    let err = relu.set_input(5, x).unwrap_err();
    eprintln!("bad set_input: {err}");
    assert!(
        matches!(&err, Error::TensorRt { detail, .. } if detail.contains("setInput(5)")),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("index"),
        "TensorRT's own words: {err}"
    );
}

#[test]
fn progress_monitor_fires_during_build() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Counter {
        starts: Arc<AtomicUsize>,
        steps: Arc<AtomicUsize>,
        finishes: Arc<AtomicUsize>,
        phases: Arc<Mutex<Vec<String>>>,
    }
    impl ProgressMonitor for Counter {
        fn phase_start(&mut self, phase: &str, _parent: Option<&str>, _nb_steps: i32) {
            self.starts.fetch_add(1, Ordering::SeqCst);
            self.phases.lock().unwrap().push(phase.to_owned());
        }
        fn step_complete(&mut self, _phase: &str, _step: i32) -> bool {
            self.steps.fetch_add(1, Ordering::SeqCst);
            true
        }
        fn phase_finish(&mut self, _phase: &str) {
            self.finishes.fetch_add(1, Ordering::SeqCst);
        }
    }

    setup!(lib, logger, builder);
    let network = builder.create_network().unwrap();
    conv_relu(&network);
    let mut config = builder.create_config().unwrap();
    let counter = Counter::default();
    config.set_progress_monitor(counter.clone()).unwrap();
    common::build_with(
        &builder,
        &network,
        &config,
        "convolution+relu (progress monitor)",
    );
    let phases = counter.phases.lock().unwrap().clone();
    eprintln!(
        "progress: {} phase starts, {} steps, {} finishes; phases {phases:?}",
        counter.starts.load(Ordering::SeqCst),
        counter.steps.load(Ordering::SeqCst),
        counter.finishes.load(Ordering::SeqCst)
    );
    assert!(
        counter.starts.load(Ordering::SeqCst) > 0,
        "no phase started"
    );
    assert_eq!(
        counter.starts.load(Ordering::SeqCst),
        counter.finishes.load(Ordering::SeqCst)
    );
}

#[test]
fn progress_monitor_can_cancel_a_build() {
    struct Cancel;
    impl ProgressMonitor for Cancel {
        fn step_complete(&mut self, _phase: &str, _step: i32) -> bool {
            false
        }
    }
    setup!(lib, logger, builder);
    let network = builder.create_network().unwrap();
    conv_relu(&network);
    let mut config = builder.create_config().unwrap();
    config.set_progress_monitor(Cancel).unwrap();
    match builder.build_serialized_network(&network, &config) {
        Err(e) => eprintln!("cancelled build: {e}"),
        // A build with no steps to cancel is also legitimate.
        Ok(engine) => eprintln!("build had no cancellable step ({} bytes)", engine.len()),
    }
}

#[test]
fn dynamic_batch_engine_with_optimization_profile() {
    setup!(lib, logger, builder);
    let network = builder.create_network().unwrap();
    let x = network
        .add_input("x", DataType::Float, [-1, 3, 16, 16])
        .unwrap();
    let conv = network
        .add(Convolution::new(x, 8, [3, 3], Weights::from_f32(&[0.1; 8 * 27])).padding([1, 1]))
        .unwrap();
    let pooled = network
        .add(Pooling::new(
            conv.output(0).unwrap(),
            PoolingType::Average,
            [16, 16],
        ))
        .unwrap()
        .output(0)
        .unwrap();
    let y = network
        .add(Shuffle::reshape(pooled, [0, 8]))
        .unwrap()
        .output(0)
        .unwrap();
    network.mark_output_named(y, "logits").unwrap();
    common::check(y, &[-1, 8], DataType::Float);

    let mut config = builder.create_config().unwrap();
    // No profile: a dynamic input cannot build.
    let err = builder
        .build_serialized_network(&network, &config)
        .unwrap_err();
    eprintln!("dynamic input without a profile: {err}");

    let mut bad = builder.create_optimization_profile().unwrap();
    let bad_result = bad.set_dimensions("x", [8, 3, 16, 16], [4, 3, 16, 16], [1, 3, 16, 16]);
    assert!(
        bad_result.is_err() || config.add_optimization_profile(&bad).is_err(),
        "min > max accepted"
    );

    let mut profile = builder.create_optimization_profile().unwrap();
    profile
        .set_dimensions("x", [1, 3, 16, 16], [8, 3, 16, 16], [32, 3, 16, 16])
        .unwrap();
    assert!(profile.is_valid());
    assert_eq!(
        profile.shape("x", OptProfileSelector::Max).unwrap(),
        [32, 3, 16, 16]
    );
    let mut config = builder.create_config().unwrap();
    assert_eq!(config.add_optimization_profile(&profile).unwrap(), 0);
    assert_eq!(config.nb_optimization_profiles(), 1);
    common::build_with(
        &builder,
        &network,
        &config,
        "dynamic batch (optimization profile 1..32)",
    );
}

#[test]
fn config_settings_and_timing_cache_round_trip() {
    setup!(lib, logger, builder);
    let network = builder.create_network().unwrap();
    conv_relu(&network);
    let mut config = builder.create_config().unwrap();
    config.set_max_workspace(64 << 20).unwrap();
    assert_eq!(
        config.memory_pool_limit(MemoryPoolType::Workspace),
        64 << 20
    );
    config.set_builder_optimization_level(1).unwrap();
    assert_eq!(config.builder_optimization_level(), 1);
    config
        .set_profiling_verbosity(ProfilingVerbosity::Detailed)
        .unwrap();
    config
        .set_flag(BuilderFlag::DisableTimingCache, true)
        .unwrap();
    assert!(config.flag(BuilderFlag::DisableTimingCache));
    config
        .set_flag(BuilderFlag::DisableTimingCache, false)
        .unwrap();
    assert!(!config.flag(BuilderFlag::DisableTimingCache));
    assert_eq!(
        config.profiling_verbosity(),
        Some(ProfilingVerbosity::Detailed)
    );

    let cache = config.create_timing_cache(&[]).unwrap();
    config.set_timing_cache(cache, false).unwrap();
    common::build_with(
        &builder,
        &network,
        &config,
        "convolution+relu (timing cache, level 1, detailed)",
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("timing.cache");
    let cache = config.timing_cache().expect("cache kept by the config");
    let bytes = cache.serialize().unwrap();
    assert!(!bytes.is_empty());
    cache.save(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), bytes);

    // Load it into a fresh config and build again.
    let mut config2 = builder.create_config().unwrap();
    let loaded = config2.load_timing_cache(&path).unwrap();
    assert_eq!(loaded.serialize().unwrap().len(), bytes.len());
    config2.set_timing_cache(loaded, false).unwrap();
    common::build_with(
        &builder,
        &network,
        &config2,
        "convolution+relu (loaded timing cache)",
    );
    eprintln!("timing cache: {} bytes", bytes.len());

    // Garbage cache data is a clean error (or, if TensorRT ignores it, an empty cache).
    match config2.create_timing_cache(b"not a timing cache") {
        Err(e) => eprintln!("corrupt timing cache: {e}"),
        Ok(c) => eprintln!(
            "corrupt timing cache accepted as {} bytes",
            c.serialize().unwrap().len()
        ),
    }
    let missing = config2
        .load_timing_cache(dir.path().join("nope.cache"))
        .unwrap_err();
    assert!(matches!(missing, Error::Io { .. }), "{missing}");
}

#[test]
fn atomic_save_leaves_no_file_on_failure() {
    setup!(lib, logger, builder);
    let network = builder.create_network().unwrap();
    conv_relu(&network);
    let engine = common::build(&builder, &network, "convolution+relu (atomic save)");
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("no-such-dir").join("model.engine");
    let err = engine.save(&target).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert!(!target.exists());
    // Saving over a directory fails too and leaves the directory and no temporary file behind.
    let as_dir = dir.path().join("taken");
    std::fs::create_dir(&as_dir).unwrap();
    assert!(engine.save(&as_dir).is_err());
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names,
        vec![std::ffi::OsString::from("taken")],
        "leftovers: {names:?}"
    );
    // And a successful save replaces an existing file.
    let ok = dir.path().join("model.engine");
    std::fs::write(&ok, b"old").unwrap();
    engine.save(&ok).unwrap();
    assert_eq!(std::fs::read(&ok).unwrap().len(), engine.len());
}

#[test]
fn library_is_loaded_once_and_load_from_checks_the_path() {
    setup!(lib, logger, builder);
    let again = Library::load().unwrap();
    assert!(std::ptr::eq(lib, again));
    assert!(std::ptr::eq(Library::load_from(lib.path()).unwrap(), lib));
    let err = Library::load_from("/nonexistent/libother.so").unwrap_err();
    assert!(matches!(err, LoadError::AlreadyLoaded { .. }), "{err}");
    assert!(lib.version().abi_compatible(&header_version()));
}

#[test]
fn shared_engine_deserialize_is_a_clean_result() {
    setup!(lib, logger, builder);
    let network = builder.create_network().unwrap();
    conv_relu(&network);
    let engine = common::build(&builder, &network, "convolution+relu (shared runtime)");
    let runtime = std::sync::Arc::new(Runtime::new(lib, &logger).unwrap());
    match runtime.deserialize_shared(engine.as_bytes()) {
        Ok(shared) => {
            let shared = std::sync::Arc::new(shared);
            assert_eq!(shared.io_tensor_names(), ["x", "y"]);
            let mut context = shared.create_shared_context().unwrap();
            context.set_input_shape("x", [1, 3, 32, 32]).unwrap();
            assert_eq!(context.tensor_shape("y").unwrap(), [1, 16, 32, 32]);
            drop(shared);
            assert!(
                context.all_input_dimensions_specified(),
                "context keeps the engine alive"
            );
        }
        Err(e) => {
            assert!(
                matches!(
                    e,
                    Error::TensorRt {
                        op: "deserialize_cuda_engine",
                        ..
                    }
                ),
                "{e:?}"
            );
            common::say(&format!(
                "SKIPPED: shared engine needs a TensorRT-capable GPU: {}",
                e.tensorrt_message().unwrap_or("")
            ));
        }
    }
}

#[test]
fn thread_safety_markers() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<Builder<'static>>();
    send::<Runtime<'static>>();
    sync::<Runtime<'static>>();
    send::<Engine<'static>>();
    sync::<Engine<'static>>();
    send::<ExecutionContext<'static>>();
    send::<SharedEngine>();
    sync::<SharedEngine>();
    send::<SharedContext>();
    send::<Logger>();
    sync::<Logger>();
    send::<SerializedEngine>();
}

/// A minimal `tracing` subscriber recording (target, level, message) of events.
mod capture {
    use std::sync::{Arc, Mutex};
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    #[derive(Clone, Default)]
    pub struct Capture(pub Arc<Mutex<Vec<(String, tracing::Level, String)>>>);

    struct Message(String);
    impl Visit for Message {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            if field.name() == "message" {
                self.0 = format!("{value:?}");
            }
        }
    }

    impl Subscriber for Capture {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut m = Message(String::new());
            event.record(&mut m);
            let meta = event.metadata();
            self.0
                .lock()
                .unwrap()
                .push((meta.target().to_owned(), *meta.level(), m.0));
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }
}

#[test]
fn tensorrt_messages_go_to_tracing_with_the_severity_filter() {
    setup!(lib, logger, builder);
    let capture = capture::Capture::default();
    let events = capture.0.clone();
    tracing::subscriber::with_default(capture, || {
        let network = builder.create_network().unwrap();
        network.add_input("x", DataType::Float, [2]).unwrap();
        let config = builder.create_config().unwrap();
        builder
            .build_serialized_network(&network, &config)
            .unwrap_err();
    });
    let events = events.lock().unwrap().clone();
    let errors: Vec<_> = events
        .iter()
        .filter(|(t, l, _)| t == "tensorrt" && *l == tracing::Level::ERROR)
        .collect();
    assert!(
        errors
            .iter()
            .any(|(_, _, m)| m.contains("at least one output")),
        "{events:?}"
    );
    // The filter (Warning) keeps info and verbose messages out.
    assert!(
        events.iter().all(|(_, l, _)| *l <= tracing::Level::WARN),
        "{events:?}"
    );
}

#[test]
fn each_builder_reports_through_its_own_logger_and_outlives_others() {
    let Some(lib) = common::library() else { return };
    let logger_a = Logger::new(Severity::Warning).unwrap();
    let builder_a = Builder::new(lib, &logger_a).unwrap();
    let logger_b = Logger::new(Severity::Warning).unwrap();
    let builder_b = Builder::new(lib, &logger_b).unwrap();
    let fail = |builder: &Builder<'_>| {
        let network = builder.create_network().unwrap();
        network.add_input("x", DataType::Float, [2]).unwrap();
        let config = builder.create_config().unwrap();
        builder
            .build_serialized_network(&network, &config)
            .unwrap_err()
    };
    let err = fail(&builder_b);
    assert!(
        err.tensorrt_message()
            .is_some_and(|m| m.contains("at least one output")),
        "{err}"
    );
    // Dropping the first builder and its logger leaves the second one working (the shim logger is kept).
    drop(builder_a);
    drop(logger_a);
    let err = fail(&builder_b);
    assert!(
        err.tensorrt_message().is_some_and(|m| m.contains("output")),
        "{err}"
    );
    // A logger created now reuses the retired one and works like new.
    let logger_c = Logger::new(Severity::Error).unwrap();
    let builder_c = Builder::new(lib, &logger_c).unwrap();
    let err = fail(&builder_c);
    assert!(
        err.tensorrt_message().is_some_and(|m| m.contains("output")),
        "{err}"
    );
}

#[test]
fn compute_capability_targets() {
    setup!(lib, logger, builder);
    let network = builder.create_network().unwrap();
    conv_relu(&network);
    let mut config = builder.create_config().unwrap();
    let result = config.set_compute_capabilities(&[
        ComputeCapability::Sm80,
        ComputeCapability::Sm86,
        ComputeCapability::Sm89,
    ]);
    if !HEADERS_ARE_RTX {
        assert!(
            result.is_err(),
            "standard TensorRT has no compute capability targets"
        );
        return;
    }
    result.unwrap();
    let engine = common::build_with(
        &builder,
        &network,
        &config,
        "convolution+relu (targets SM 8.0, 8.6, 8.9)",
    );
    assert!(!engine.is_empty());
    config.set_compute_capabilities(&[]).unwrap();
}

#[test]
fn wrong_kernel_size_is_an_error_with_tensorrt_message() {
    setup!(lib, logger, builder);
    let network = builder.create_network().unwrap();
    let x = network
        .add_input("x", DataType::Float, [1, 3, 8, 8])
        .unwrap();
    // 16 output maps of 3x3x3 need 432 weights; give 10.
    let result = network
        .add(Convolution::new(
            x,
            16,
            [3, 3],
            Weights::from_f32(&[0.0; 10]),
        ))
        .and_then(|l| l.output(0))
        .and_then(|y| {
            network.mark_output(y)?;
            let config = builder.create_config()?;
            builder.build_serialized_network(&network, &config)
        });
    let err = result.expect_err("a kernel with the wrong number of weights");
    eprintln!("wrong kernel size: {err}");
    assert!(
        err.tensorrt_message()
            .is_some_and(|m| m.contains("Error Code")),
        "{err}"
    );
}

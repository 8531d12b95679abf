//! Builder, config and runtime behavior with the real TensorRT library (skipped where it cannot load).

mod common;

use trt::*;

fn conv_relu<'n>(network: &'n Network<'_>) -> Tensor<'n> {
    let x = network
        .add_input("x", DataType::Float, [1, 3, 32, 32])
        .unwrap();
    let kernel = Weights::from_f32(&vec![0.01; 16 * 3 * 3 * 3]);
    let conv = network
        .add_convolution(
            x,
            Convolution::new(16, [3, 3], kernel)
                .bias(Weights::from_f32(&[0.5; 16]))
                .padding([1, 1]),
        )
        .unwrap();
    let y = network
        .add_activation(conv.output(0).unwrap(), ActivationType::Relu)
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
            eprintln!("SKIPPED: running engines needs a TensorRT-capable GPU: {e}");
        }
    }
    // Garbage bytes are always a clean error.
    let err = runtime
        .deserialize(b"definitely not an engine")
        .err()
        .expect("garbage must not deserialize");
    assert!(matches!(err, Error::TensorRt { .. }), "{err:?}");
}

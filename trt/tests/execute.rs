//! Runs engines for real where a TensorRT-capable GPU exists; elsewhere prints why not (and checks that the
//! refusal is a clean error).

mod common;

#[path = "common/cuda.rs"]
mod cuda;

use std::ffi::c_void;
use trt::*;

/// y = relu(conv3x3(x, w = 0.1, b = -0.5), padding 1), x all ones: interior 2.2, edges 1.3, corners 0.7.
#[test]
fn conv_relu_runs_and_matches_the_expected_values() {
    setup!(lib, logger, builder);
    let network = builder.create_network().unwrap();
    let x = network
        .add_input("x", DataType::Float, [-1, 3, 8, 8])
        .unwrap();
    let conv = Convolution::new(x, 4, [3, 3], Weights::from_f32(&[0.1; 4 * 27]))
        .bias(Weights::from_f32(&[-0.5; 4]))
        .padding([1, 1]);
    let y = network
        .add(Activation::new(
            network.add(conv).unwrap().output(0).unwrap(),
            ActivationType::Relu,
        ))
        .unwrap()
        .output(0)
        .unwrap();
    network.mark_output_named(y, "y").unwrap();
    let mut profile = builder.create_optimization_profile().unwrap();
    profile
        .set_dimensions("x", [1, 3, 8, 8], [2, 3, 8, 8], [4, 3, 8, 8])
        .unwrap();
    let mut config = builder.create_config().unwrap();
    config.add_optimization_profile(&profile).unwrap();
    let serialized = common::build_with(
        &builder,
        &network,
        &config,
        "convolution+relu (execute, dynamic batch)",
    );

    let runtime = Runtime::new(lib, &logger).unwrap();
    let cuda = match cuda::Cuda::open() {
        Ok(c) => Some(c),
        Err(e) => {
            eprintln!("no CUDA driver: {e}");
            None
        }
    };
    let engine = match runtime.deserialize(serialized.as_bytes()) {
        Ok(engine) => engine,
        Err(e) => {
            common::say(&format!("SKIPPED: {}", common::no_supported_gpu(&e)));
            return;
        }
    };
    let Some(cuda) = cuda else {
        common::say(
            "SKIPPED: no supported GPU: engine deserialized but no CUDA driver for buffers",
        );
        return;
    };
    let mut context = engine.create_execution_context().unwrap();
    let batch = 2;
    context.set_input_shape("x", [batch, 3, 8, 8]).unwrap();
    assert!(context.all_input_dimensions_specified());
    assert_eq!(context.tensor_shape("y").unwrap(), [batch, 4, 8, 8]);
    let n_in = (batch * 3 * 64) as usize;
    let n_out = (batch * 4 * 64) as usize;
    let d_in = cuda.alloc(n_in * 4).unwrap();
    let d_out = cuda.alloc(n_out * 4).unwrap();
    cuda.upload(d_in, &vec![1.0f32; n_in]).unwrap();
    let stream = cuda.stream().unwrap();
    context
        .set_tensor_address("x", d_in as *mut c_void)
        .unwrap();
    context
        .set_tensor_address("y", d_out as *mut c_void)
        .unwrap();
    // SAFETY: both buffers hold the full tensors and live until after the synchronize below.
    unsafe { context.enqueue(stream) }.unwrap();
    cuda.synchronize(stream).unwrap();
    let mut out = vec![0f32; n_out];
    cuda.download(d_out, &mut out).unwrap();
    cuda.free(d_in);
    cuda.free(d_out);
    let at = |b: usize, c: usize, h: usize, w: usize| out[((b * 4 + c) * 8 + h) * 8 + w];
    for b in 0..batch as usize {
        for c in 0..4 {
            assert!(
                (at(b, c, 4, 4) - 2.2).abs() < 1e-3,
                "interior {}",
                at(b, c, 4, 4)
            );
            assert!(
                (at(b, c, 0, 4) - 1.3).abs() < 1e-3,
                "edge {}",
                at(b, c, 0, 4)
            );
            assert!(
                (at(b, c, 0, 0) - 0.7).abs() < 1e-3,
                "corner {}",
                at(b, c, 0, 0)
            );
        }
    }
    common::say(&format!(
        "executed engine on {}: outputs match",
        cuda.device_name
    ));
}

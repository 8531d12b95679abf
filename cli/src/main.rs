//! `candle2trt`: convert PyTorch checkpoints of the model zoo into TensorRT engines, inspect
//! engine files, check parity with PyTorch, export Triton model repositories.

// candle2trt's `Error` carries op, module path and shapes; it is rare, its size does not matter.
#![allow(clippy::result_large_err)]

mod commands;
mod simulate_command;

use std::path::PathBuf;
use std::process::ExitCode;

use candle2trt_cli::args::{parse_batch, parse_bytes, BatchRange};
use candle2trt_cli::progress::ProgressMode;
use candle2trt_cli::simulate::{parse_tolerance, Tolerance};
use clap::{Args, Parser, Subcommand};

const EXIT_CODES: &str = "\
Exit codes: 0 success, 1 failure (conversion, TensorRT, files), 2 usage error, 3 parity check \
failed (simulate: an output differs), 4 not implemented (a mode this build or TensorRT does not \
offer; simulate: a layer the simulator does not evaluate).

Environment: TENSORRT_LIB_DIR or TENSORRT_LIBRARY point at the TensorRT library \
(libtensorrt_rtx.so.1 or libnvinfer.so.N) when it is not found by itself.";

/// Convert PyTorch checkpoints into TensorRT engines, inspect them, check them against
/// PyTorch, serve them with Triton.
#[derive(Debug, Parser)]
#[command(name = "candle2trt", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Convert a model-zoo architecture from a PyTorch checkpoint into a TensorRT engine file.
    #[command(after_help = CONVERT_EXAMPLES)]
    Convert(ConvertArgs),
    /// Print an engine file's header (TensorRT version, precision, I/O, shape ranges, layers)
    /// without a GPU.
    #[command(after_help = INSPECT_EXAMPLES)]
    Inspect(InspectArgs),
    /// Check a checkpoint against PyTorch's own outputs: plain candle, then the values of the
    /// traced TensorRT network (and build its engine).
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckArgs),
    /// Write a Triton Inference Server model repository (config.pbtxt + model.plan) for an
    /// engine file.
    #[command(after_help = EXPORT_EXAMPLES)]
    ExportTriton(ExportArgs),
    /// Parse an ONNX model with TensorRT's own ONNX parser, simulate the network on the CPU (trt-sim) and
    /// compare its outputs with reference values.
    #[command(after_help = SIMULATE_EXAMPLES)]
    Simulate(SimulateArgs),
}

const CONVERT_EXAMPLES: &str = "\
Examples:
  candle2trt convert --arch resnet18 --weights resnet18/model.safetensors.index.json --fp16 -o r18.engine
  candle2trt convert --arch mobilenet_v2 --weights mobilenet_v2.pt --batch 1:8:32 -o mnv2.engine
  candle2trt convert --arch bert --weights model.safetensors --config config.json --seq-len 64 -o bert.engine
  candle2trt convert --arch resnet50 --weights r50.pth --cache ~/.cache/candle2trt -o r50.engine
      (a second run with the same checkpoint and options loads the cached engine instead of rebuilding)

Architectures: resnet18/34/50/101/152, mobilenet_v2, vgg11/13/16/19[_bn], squeezenet1_0/1_1,
efficientnet_b0..b7, efficientnet_lite0..4, vit_b_16, convnext_tiny, bert (needs --config), simple_cnn.";

const INSPECT_EXAMPLES: &str = "\
Examples:
  candle2trt inspect r18.engine
  candle2trt inspect r18.engine --layers
  candle2trt inspect r18.engine --json";

const CHECK_EXAMPLES: &str = "\
Examples:
  candle2trt check --arch resnet18 --weights resnet18/model.safetensors.index.json --io resnet18/io.safetensors
  candle2trt check --arch bert --weights tiny_bert/model.safetensors --io tiny_bert/io.safetensors --fp16

The io file is a safetensors file written by PyTorch: the inputs (`input`; for bert `input_ids`,
`attention_mask`, `token_type_ids`) and PyTorch's outputs (`output`; for bert
`last_hidden_state`, `pooler_output`). The traced network's values are candle's, computed while each
TensorRT layer is added and checked against TensorRT's inferred shapes. The engine's own numbers
(`simulated_max_abs_err`, with `reference_max_abs` the largest |PyTorch output|) come from the network
TensorRT holds, simulated on the CPU: its precision, TF32 (allowed unless --no-tf32) and f16 rounding
included; running the engine itself needs a GPU TensorRT supports.";

const EXPORT_EXAMPLES: &str = "\
Examples:
  candle2trt export-triton r18.engine --repo models --name resnet18
  candle2trt export-triton mnv2.engine --repo models --name mobilenet_v2 --max-batch 16 --dynamic-batching --instances 2
      (mnv2.engine converted with --batch 1:8:32: a dynamic batch dimension)

Writes models/resnet18/config.pbtxt and models/resnet18/1/model.plan (the bare TensorRT engine),
then: tritonserver --model-repository=models. With --max-batch N > 0 (the default when the
engine's batch dimension is dynamic: its profile's maximum) the batch dimension is implicit in
Triton's dims.";

#[derive(Debug, Args)]
struct ConvertArgs {
    /// Architecture name (see the list below).
    #[arg(long, value_name = "NAME")]
    arch: String,
    /// Checkpoint: .safetensors, sharded *.index.json, or .pt/.pth/.bin from torch.save.
    #[arg(long, value_name = "PATH")]
    weights: PathBuf,
    /// The model's config.json (bert; default: config.json beside the weights).
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Compute in f16 (weights stored in f16; the engine's inputs and outputs keep f32).
    #[arg(long)]
    fp16: bool,
    /// Explicit INT8 quantization (Q/DQ layers, scales calibrated in candle): on --calib's
    /// batches, or on the sample input with a warning.
    #[arg(long)]
    int8: bool,
    /// INT8 calibration data: a .safetensors file holding each model input (by its input name,
    /// or one tensor for a one-input model) stacked along dimension 0; cut into batches of the
    /// sample's batch size.
    #[arg(long, value_name = "FILE", requires = "int8")]
    calib: Option<PathBuf>,
    /// INT8 calibrator: max, percentile (99.99), percentile(P), entropy (default), mse.
    #[arg(long, value_name = "NAME", requires = "int8")]
    calibrator: Option<String>,
    /// INT8 calibration cache file (human-readable ranges): reused when weights, data and
    /// settings match, rebuilt with the reason otherwise.
    #[arg(long, value_name = "PATH", requires = "int8")]
    calib_cache: Option<PathBuf>,
    /// Batch range MIN:OPT:MAX of a dynamic batch (or N for a static batch; default 1).
    #[arg(long, value_name = "MIN:OPT:MAX", value_parser = parse_batch)]
    batch: Option<BatchRange>,
    /// Square image side for the torchvision classifiers (default 224).
    #[arg(long, value_name = "N")]
    image_size: Option<usize>,
    /// Sequence length for bert (default 128).
    #[arg(long, value_name = "N")]
    seq_len: Option<usize>,
    /// Limit of TensorRT's workspace memory (bytes, or with KiB/MiB/GiB).
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    workspace: Option<usize>,
    /// TensorRT builder optimization level, 0 (fastest build) to 5.
    #[arg(long, value_name = "0-5", value_parser = clap::value_parser!(i32).range(0..=5))]
    opt_level: Option<i32>,
    /// Timing cache file: read if it exists, updated after the build.
    #[arg(long, value_name = "PATH")]
    timing_cache: Option<PathBuf>,
    /// Engine cache folder: one engine file per architecture and precision
    /// (`DIR/<arch>-<fp32|fp16>.engine`); it is loaded when the fingerprint in its header
    /// (weights, network, options, candle2trt and TensorRT versions) matches, rebuilt otherwise
    /// with the reason printed.
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,
    /// Output engine file (optional with --cache).
    #[arg(short, long, value_name = "PATH")]
    output: Option<PathBuf>,
    /// How to show TensorRT's build progress.
    #[arg(long, value_enum, default_value = "auto")]
    progress: ProgressMode,
    /// Print every layer in the report.
    #[arg(long)]
    layers: bool,
}

#[derive(Debug, Args)]
struct InspectArgs {
    /// Engine file written by `candle2trt convert`.
    engine: PathBuf,
    /// List every layer.
    #[arg(long)]
    layers: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// Architecture name.
    #[arg(long, value_name = "NAME")]
    arch: String,
    /// Checkpoint (any format `convert` reads).
    #[arg(long, value_name = "PATH")]
    weights: PathBuf,
    /// The model's config.json (bert; default: config.json beside the weights).
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// safetensors file with the inputs and PyTorch's reference outputs.
    #[arg(long, value_name = "PATH")]
    io: PathBuf,
    /// Also check the network in f16.
    #[arg(long)]
    fp16: bool,
    /// Largest max |candle − PyTorch| accepted in f32.
    #[arg(long, value_name = "X", default_value_t = 1e-3)]
    tolerance: f32,
    /// Largest max |traced network − PyTorch| / max |PyTorch| accepted with --fp16.
    #[arg(long, value_name = "X", default_value_t = 1e-2)]
    fp16_tolerance: f32,
    /// Skip the TensorRT conversion (plain candle against PyTorch only).
    #[arg(long)]
    no_engine: bool,
    /// Build the f32 engine without TF32 (true f32 convolutions and matrix products; TensorRT
    /// allows TF32 by default).
    #[arg(long)]
    no_tf32: bool,
    /// How to show TensorRT's build progress.
    #[arg(long, value_enum, default_value = "auto")]
    progress: ProgressMode,
}

const SIMULATE_EXAMPLES: &str = "\
Examples:
  candle2trt simulate model.onnx --io io.safetensors --no-tf32
  candle2trt simulate onnx/backend/test/data/node/test_conv_with_strides_padding/model.onnx \\
      --test-data onnx/backend/test/data/node/test_conv_with_strides_padding/test_data_set_0 --no-tf32
  candle2trt simulate model.onnx --io io.safetensors --layers

--io: a safetensors file holding the inputs named as the ONNX graph's inputs and the reference outputs
named as its outputs; with --layers, any other tensor named as an ONNX tensor is compared with the
simulated value of that tensor, and the first diverging one is reported with the ONNX node that wrote it.
--test-data: ONNX's test_data_set_N folder (input_K.pb, output_K.pb TensorProtos), matched by name
where a TensorProto's name is a network tensor's, else by position.

Exit codes: 0 every output within tolerance; 3 an output beyond it, NaN/inf on one side only, an
output of another type or shape, or another output count; 4 a layer the simulator does not evaluate;
1 the parser refused the model (its message) or a file could not be read; 2 usage.";

#[derive(Debug, Args)]
struct SimulateArgs {
    /// ONNX model (weights embedded).
    model: PathBuf,
    /// safetensors file: the inputs and reference outputs named as the graph's, and optionally
    /// intermediate tensors (for --layers).
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "test_data",
        required_unless_present = "test_data"
    )]
    io: Option<PathBuf>,
    /// ONNX test-data folder (test_data_set_N: input_K.pb, output_K.pb).
    #[arg(long, value_name = "DIR")]
    test_data: Option<PathBuf>,
    /// Simulate without TF32 (true f32 convolutions and matrix products; TensorRT allows TF32 by
    /// default).
    #[arg(long)]
    no_tf32: bool,
    /// Accepted error per output: ABS + REL·max|reference| (default 1e-5,1e-4, the f32 bound);
    /// integer and boolean outputs must be equal.
    #[arg(long, value_name = "ABS,REL", value_parser = parse_tolerance)]
    tolerance: Option<Tolerance>,
    /// Where the test data holds no input_K.pb, make each input as ONNX's backend runner does for
    /// its `light` models: arange(n)/n in f32 (a dynamic dimension 1).
    #[arg(long, requires = "test_data")]
    ramp_inputs: bool,
    /// Compare the intermediate tensors the --io file holds (named by ONNX tensor name) and report
    /// the first diverging one by the ONNX node that wrote it.
    #[arg(long)]
    layers: bool,
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// Engine file written by `candle2trt convert`.
    engine: PathBuf,
    /// Model repository folder (created if missing).
    #[arg(long, value_name = "DIR")]
    repo: PathBuf,
    /// Model name (the folder inside the repository).
    #[arg(long, value_name = "NAME")]
    name: String,
    /// Triton's max_batch_size (default: the engine's largest batch when its batch dimension is
    /// dynamic, else 0).
    #[arg(long, value_name = "N")]
    max_batch: Option<u32>,
    /// Model instances on each GPU (instance_group, KIND_GPU).
    #[arg(long, value_name = "N")]
    instances: Option<u32>,
    /// Let Triton merge requests into batches (dynamic_batching).
    #[arg(long)]
    dynamic_batching: bool,
    /// The dynamic batcher's max_queue_delay_microseconds.
    #[arg(long, value_name = "US", requires = "dynamic_batching")]
    max_queue_delay_us: Option<u64>,
    /// Replace an existing model folder of that name.
    #[arg(long)]
    force: bool,
}

/// A failure as the user sees it: the cause, what to do about it, the exit code.
#[derive(Debug)]
pub(crate) struct Failure {
    pub cause: String,
    pub fix: Option<String>,
    pub code: u8,
}

impl Failure {
    pub fn new(cause: impl Into<String>, fix: impl Into<String>, code: u8) -> Self {
        Failure {
            cause: cause.into(),
            fix: Some(fix.into()),
            code,
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        // A candle2trt error somewhere in the chain decides the fix and the code.
        if let Some(c2t) = e
            .chain()
            .find_map(|s| s.downcast_ref::<candle2trt::Error>())
        {
            let (fix, code) = commands::fix_for(c2t);
            return Failure {
                cause: format!("{e:#}"),
                fix: fix.map(str::to_string),
                code,
            };
        }
        Failure {
            cause: format!("{e:#}"),
            fix: None,
            code: 1,
        }
    }
}

impl From<candle2trt::Error> for Failure {
    fn from(e: candle2trt::Error) -> Self {
        Failure::from(anyhow::Error::from(e))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Convert(a) => commands::convert(a),
        Command::Inspect(a) => commands::inspect(a),
        Command::Check(a) => commands::check(a),
        Command::ExportTriton(a) => commands::export_triton(a),
        Command::Simulate(a) => simulate_command::simulate(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            // One line: multi-line causes (a loader's list of places searched) are joined.
            let cause = f.cause.trim().replace('\n', "; ");
            match f.fix {
                Some(fix) => eprintln!("error: {cause}; fix: {fix}"),
                None => eprintln!("error: {cause}"),
            }
            ExitCode::from(f.code)
        }
    }
}

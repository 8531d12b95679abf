//! Safe Rust API over TensorRT and TensorRT-RTX: build networks into engines, save them, run them.
//!
//! ```text
//! Library::load()                      the TensorRT library, opened at run time (dlopen)
//!   ├─ Builder<'lib>                   IBuilder
//!   │    ├─ Network<'builder>          INetworkDefinition: add_input, add(LayerDesc), mark_output;
//!   │    │                             from_onnx: written by TensorRT's ONNX parser (IParser);
//!   │    │                             Layer::description reads a layer back; dump() as JSON
//!   │    ├─ BuilderConfig<'builder>    IBuilderConfig: workspace, optimization level, timing cache,
//!   │    │                             progress monitor, optimization profiles
//!   │    └─ build_serialized_network → SerializedEngine (bytes; save() is atomic)
//!   └─ Runtime<'lib>                   IRuntime
//!        └─ Engine<'runtime>           ICudaEngine: I/O tensor names, modes, shapes, types
//!             └─ ExecutionContext<'engine>  IExecutionContext: shapes, addresses, enqueue
//! ```
//!
//! Layers are data: each TensorRT layer kind is one plain description ([`Convolution`], [`Pooling`], [`Shuffle`],
//! [`Attention`], ...; all of them in [`LayerDesc`]) holding its input tensors, parameters and weights.
//! [`Network::add`] adds a layer from its description; [`Layer::description`] reads any layer back from TensorRT,
//! through TensorRT's own getters, into the same type; [`Network::dump`] gives the whole network as JSON.
//! TensorRT's enumerations carry their numeric values, written once (in `enums.rs`; the shim's compile-time
//! checks are generated from it).
//!
//! For long-lived owners, `Arc<Runtime<'static>>::deserialize_shared` gives a [`SharedEngine`] and
//! [`SharedEngine::create_shared_context`] a [`SharedContext`]: the same objects, kept alive by `Arc`s
//! instead of borrows.
//!
//! Every TensorRT failure is an [`Error::TensorRt`] carrying TensorRT's own logged message; TensorRT's log
//! goes to [`tracing`] (target `tensorrt`) through the [`Logger`].
//!
//! ```no_run
//! # fn main() -> trt::Result<()> {
//! use trt::*;
//! let lib = Library::load()?;
//! let logger = Logger::new(Severity::Warning)?;
//! let builder = Builder::new(lib, &logger)?;
//! let network = builder.create_network()?;
//! let x = network.add_input("x", DataType::Float, [1, 3, 32, 32])?;
//! let kernel = Weights::from_f32(&vec![0.1; 16 * 3 * 3 * 3]);
//! let conv = network.add(Convolution::new(x, 16, [3, 3], kernel).padding([1, 1]))?;
//! let y = network.add(Activation::new(conv.output(0)?, ActivationType::Relu))?.output(0)?;
//! network.mark_output_named(y, "y")?;
//! assert_eq!(y.dims()?, [1, 16, 32, 32]);
//! let mut config = builder.create_config()?;
//! config.set_max_workspace(1 << 28)?;
//! let engine = builder.build_serialized_network(&network, &config)?;
//! engine.save("conv_relu.engine")?;
//!
//! // On a machine with a GPU that TensorRT supports:
//! let runtime = Runtime::new(lib, &logger)?;
//! let engine = runtime.deserialize(engine.as_bytes())?;
//! let mut context = engine.create_execution_context()?;
//! # Ok(()) }
//! ```

mod builder;
mod dump;
mod enums;
mod error;
mod layers;
mod logger;
mod network;
mod onnx;
mod runtime;
mod types;
mod util;
mod weights;

pub use builder::{
    Builder, BuilderConfig, OptimizationProfile, ProgressMonitor, SerializedEngine, TimingCache,
};
pub use dump::{DumpOptions, LayerDump, NetworkDump, TensorDump};
pub use enums::*;
pub use error::{Error, Result};
pub use layers::*;
pub use logger::Logger;
pub use network::{Layer, Network, Tensor};
pub use onnx::OnnxParseError;
pub use runtime::{Engine, ExecutionContext, IoTensor, Runtime, SharedContext, SharedEngine};
pub use types::*;
pub use util::write_atomic;
pub use weights::{WeightElement, Weights};

/// The TensorRT library (re-exported from `trt-sys`): see [`Library::load`] for the search order.
pub use trt_sys::{
    Candidate, Library, LoadError, OnnxLoadError, OnnxParserLibrary, OnnxSearchConfig,
    SearchConfig, SearchError, Version,
};

/// File name of TensorRT's ONNX parser library these bindings load (see [`OnnxParserLibrary::load`]).
pub fn onnx_parser_library_name() -> String {
    trt_sys::onnx_parser_library_name()
}

/// The `NvOnnxParser.h` interface version `trt-sys` was compiled against (`None`: headers without it).
pub fn onnx_parser_header_version() -> Option<Version> {
    trt_sys::onnx_parser_header_version()
}

/// The version of the TensorRT headers `trt-sys` was compiled against.
pub fn header_version() -> Version {
    trt_sys::header_version()
}

/// True when built against TensorRT-RTX headers (library `libtensorrt_rtx.so.*`).
pub const HEADERS_ARE_RTX: bool = trt_sys::HEADERS_ARE_RTX;

/// File name of the TensorRT library these bindings load.
pub const LIBRARY_NAME: &str = trt_sys::LIBRARY_NAME;

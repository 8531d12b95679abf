//! [`ConversionOptions`]: torch2trt's options, in Rust.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use candle_core::Tensor;

/// Which ops keep computing in f32 under `fp16_mode` (each costs a cast in and out).
///
/// TensorRT 11 / TensorRT-RTX networks are strongly typed: precision is written into the
/// network, so this policy decides it op by op. All on by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fp32Policy {
    /// Softmax and log-softmax.
    pub softmax: bool,
    /// Layer, group and RMS normalization (batch norm is an affine map at inference and is
    /// folded into convolutions, so it stays in f16).
    pub normalization: bool,
    /// Sum and mean reductions (f16 accumulators lose precision over many elements).
    pub reductions: bool,
    /// `exp`, `log`, `pow`, `softplus`, `erf` and the scalar-exponent `powf`.
    pub transcendental: bool,
}

impl Default for Fp32Policy {
    fn default() -> Self {
        Self {
            softmax: true,
            normalization: true,
            reductions: true,
            transcendental: true,
        }
    }
}

impl Fp32Policy {
    /// Everything in f16 (fastest, least accurate).
    pub fn none() -> Self {
        Self {
            softmax: false,
            normalization: false,
            reductions: false,
            transcendental: false,
        }
    }
}

/// The range of an input's shape that the engine accepts: TensorRT's optimization profile
/// (`min ≤ shape ≤ max` per dimension; the engine is tuned for `opt`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeRange {
    /// The smallest shape.
    pub min: Vec<usize>,
    /// The shape TensorRT optimizes for.
    pub opt: Vec<usize>,
    /// The largest shape.
    pub max: Vec<usize>,
}

/// How closely the simulated engine must match candle, element by element: an element passes
/// when `|simulated - candle| <= abs + rel * s`, where `s = max(|candle|, rms)` is the
/// element's own magnitude, floored at the root mean square of its 9 nearest elements in memory
/// order (see
/// `docs/verification.md`, "Precision model", for the derivation). An f16 network adds its
/// rounding budget (derived from the network's f16 roundings, not a knob) to `rel`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// Absolute part.
    pub abs: f64,
    /// Part relative to the element's scale `s`.
    pub rel: f64,
}

impl Tolerance {
    /// The default for the Float arithmetic of an engine: tight for f32 (only the order of
    /// accumulation differs), looser where TF32 is allowed (10-bit mantissas in the products).
    /// f16 engines start from the same bound and add the rounding budget of their f16 layers
    /// (`fp16` is kept for the signature; the f16 part is computed from the network).
    pub fn for_engine(fp16: bool, tf32: bool) -> Self {
        let _ = fp16;
        if tf32 {
            Tolerance {
                abs: 1e-4,
                rel: 2e-2,
            }
        } else {
            Tolerance {
                abs: 1e-5,
                rel: 1e-4,
            }
        }
    }

    /// The bound for an element of scale `s` (`s = max(|candle|, local rms)`), with `extra_rel`
    /// (an f16 rounding budget) added to the relative part.
    pub fn bound(&self, s: f64, extra_rel: f64) -> f64 {
        self.abs + (self.rel + extra_rel) * s
    }
}

/// A deliberately wrong layer parameter, applied to each layer description a converter hands to
/// `trt::Network::add` (so TensorRT itself holds the fault, and the read-back sees it): tests use
/// it to prove that verification catches a converter that hands TensorRT a wrong parameter.
/// `mutate(module_path, description)` changes the layers it wants and returns whether it changed
/// this one. Applied to the conversion's own trace only (not to the second trace that records
/// candle's values for localization).
#[doc(hidden)]
#[derive(Clone)]
pub struct FaultInjection {
    /// Applied to every layer description, with the module path of the op adding it.
    pub mutate: Arc<LayerMutation>,
}

/// `mutate(module_path, description) -> changed` of a [`FaultInjection`].
#[doc(hidden)]
pub type LayerMutation = dyn for<'a> Fn(&str, &mut trt::LayerDesc<'a>) -> bool + Send + Sync;

impl std::fmt::Debug for FaultInjection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FaultInjection")
    }
}

/// Verification of the engine's numbers without a GPU: the network TensorRT holds is read back
/// and simulated on the CPU (`trt-sim`, from NvInfer.h's semantics) at the sample shape and at
/// each optimization profile's min and max, and compared with plain candle at the same shapes.
/// See `docs/verification.md` for what this proves and what it cannot.
#[derive(Debug, Clone)]
pub struct Verify {
    /// Run the verification (default on). A failure is an
    /// [`Error::VerificationFailed`](crate::Error::VerificationFailed) and no engine is built.
    pub enabled: bool,
    /// The tolerance (`None`: [`Tolerance::for_engine`] for the engine's TF32 flag).
    pub tolerance: Option<Tolerance>,
    /// INT8/FP8: the smallest signal-to-noise ratio (dB) an output of the quantized simulation
    /// may have against candle, `10 log10(sum candle^2 / sum (simulated - candle)^2)` (default
    /// 20 dB: the noise's energy at most 1 % of the signal's).
    pub min_snr_db: f64,
    /// On a failure, compare layer by layer (a second trace records candle's value of every op)
    /// to name the first op whose TensorRT layers diverge (default on).
    pub layerwise: bool,
    /// A wrong parameter handed to TensorRT (tests of the verification itself).
    #[doc(hidden)]
    pub fault_injection: Option<FaultInjection>,
}

impl Default for Verify {
    fn default() -> Self {
        Verify {
            enabled: true,
            tolerance: None,
            min_snr_db: 20.0,
            layerwise: true,
            fault_injection: None,
        }
    }
}

impl Verify {
    /// No verification.
    pub fn off() -> Self {
        Verify {
            enabled: false,
            ..Verify::default()
        }
    }
}

/// Options of [`convert`](crate::convert), named after torch2trt's.
///
/// ```
/// use candle2trt::ConversionOptions;
///
/// let options = ConversionOptions {
///     fp16_mode: true,
///     input_names: vec!["input_tensor".into()],
///     output_names: vec!["output_tensor".into()],
///     ..Default::default()
/// }
/// .with_dynamic_batch(1, 4, 8);
/// # assert_eq!(options.dynamic_batch, Some((1, 4, 8)));
/// ```
#[derive(Debug, Clone)]
pub struct ConversionOptions {
    /// Store weights in f16 and compute in f16, with casts at the inputs and outputs (the
    /// engine's inputs and outputs keep the model's dtypes) and [`fp32_policy`](Self::fp32_policy)
    /// for the ops that need f32.
    pub fp16_mode: bool,
    /// Explicit INT8 quantization (Q/DQ layers with scales calibrated in candle) from
    /// [`int8_calibration_batches`](Self::int8_calibration_batches) (default: the sample
    /// inputs, with a warning) or [`quantization`](Self::quantization)'s table.
    pub int8_mode: bool,
    /// Representative input batches for INT8 calibration: each entry holds one tensor per model
    /// input.
    pub int8_calibration_batches: Vec<Vec<Tensor>>,
    /// How INT8 (or FP8) is calibrated and where the Q/DQ pairs go (calibrator, overrides,
    /// a precomputed table or a cache file).
    pub quantization: crate::quant::QuantConfig,
    /// Limit of TensorRT's workspace memory pool in bytes (`None`: TensorRT's default).
    pub max_workspace: Option<usize>,
    /// Names of the engine's inputs, in order (default `input_0`, `input_1`, ...).
    pub input_names: Vec<String>,
    /// Names of the engine's outputs, in order (default `output_0`, ...).
    pub output_names: Vec<String>,
    /// Dynamic batch: `(min, opt, max)` of dimension 0 of every input. The sample inputs'
    /// batch must lie within `min..=max`.
    pub dynamic_batch: Option<(usize, usize, usize)>,
    /// Per-input shape ranges (any dimension); an entry overrides `dynamic_batch` for its input.
    pub input_shapes: Vec<Option<ShapeRange>>,
    /// Which ops stay in f32 under `fp16_mode`.
    pub fp32_policy: Fp32Policy,
    /// TensorRT's builder optimization level (0–5; `None`: TensorRT's default).
    pub builder_optimization_level: Option<i32>,
    /// Trace dynamic dimensions at the sample's sizes. By default they are traced at the
    /// smallest of 2, 3, 5, 7, ... within the profile that is neither the sample's size nor a
    /// static input dimension (the sample is tiled to it, the reference outputs cut back), so
    /// that reshapes can tell the dynamic dimension from static ones of the same size (a batch
    /// of 1 looks like every unit dimension) and a size hard-coded from the sample fails at its
    /// op; errors then show the shapes at the sample's sizes too.
    pub trace_at_sample_shape: bool,
    /// Receives TensorRT's build progress (phases and steps) while the engine is built, e.g. to
    /// drive a progress bar.
    pub progress_monitor: Option<SharedProgressMonitor>,
    /// A TensorRT timing cache file: read before the build when it exists (a cache from another
    /// TensorRT version or GPU is ignored by TensorRT), written back atomically after it, so
    /// later builds skip the kernel timings already measured.
    pub timing_cache: Option<PathBuf>,
    /// Let TensorRT compute f32 convolutions and matrix multiplies in TF32 (10-bit mantissa
    /// inputs, f32 accumulation): TensorRT's default, `BuilderFlag::kTF32`. Off clears the flag
    /// for true f32 at some speed cost. The verification report shows its effect.
    pub tf32: bool,
    /// Verification of the engine's numbers by CPU simulation (on by default).
    pub verify: Verify,
}

impl Default for ConversionOptions {
    fn default() -> Self {
        ConversionOptions {
            fp16_mode: false,
            int8_mode: false,
            int8_calibration_batches: Vec::new(),
            quantization: Default::default(),
            max_workspace: None,
            input_names: Vec::new(),
            output_names: Vec::new(),
            dynamic_batch: None,
            input_shapes: Vec::new(),
            fp32_policy: Fp32Policy::default(),
            builder_optimization_level: None,
            trace_at_sample_shape: false,
            progress_monitor: None,
            timing_cache: None,
            tf32: true,
            verify: Verify::default(),
        }
    }
}

/// A [`trt::ProgressMonitor`] that [`ConversionOptions`] can hold and clone (the options are
/// `Clone`; every clone reports to the same monitor).
///
/// ```
/// use candle2trt::{ConversionOptions, SharedProgressMonitor};
///
/// struct Print;
/// impl trt::ProgressMonitor for Print {
///     fn phase_start(&mut self, phase: &str, _parent: Option<&str>, steps: i32) {
///         eprintln!("{phase}: {steps} steps");
///     }
/// }
/// let options = ConversionOptions {
///     progress_monitor: Some(SharedProgressMonitor::new(Print)),
///     ..Default::default()
/// };
/// ```
#[derive(Clone)]
pub struct SharedProgressMonitor(Arc<Mutex<dyn trt::ProgressMonitor>>);

impl SharedProgressMonitor {
    /// Wraps `monitor`.
    pub fn new(monitor: impl trt::ProgressMonitor + 'static) -> Self {
        SharedProgressMonitor(Arc::new(Mutex::new(monitor)))
    }
}

impl std::fmt::Debug for SharedProgressMonitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedProgressMonitor")
    }
}

impl trt::ProgressMonitor for SharedProgressMonitor {
    fn phase_start(&mut self, phase: &str, parent: Option<&str>, nb_steps: i32) {
        if let Ok(mut m) = self.0.lock() {
            m.phase_start(phase, parent, nb_steps);
        }
    }

    fn step_complete(&mut self, phase: &str, step: i32) -> bool {
        // A poisoned lock means the monitor panicked earlier: cancel rather than go on blind.
        self.0
            .lock()
            .is_ok_and(|mut m| m.step_complete(phase, step))
    }

    fn phase_finish(&mut self, phase: &str) {
        if let Ok(mut m) = self.0.lock() {
            m.phase_finish(phase);
        }
    }
}

impl ConversionOptions {
    /// Sets `fp16_mode`.
    pub fn with_fp16(mut self, on: bool) -> Self {
        self.fp16_mode = on;
        self
    }

    /// Sets the input names.
    pub fn with_input_names<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        names: I,
    ) -> Self {
        self.input_names = names.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the output names.
    pub fn with_output_names<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        names: I,
    ) -> Self {
        self.output_names = names.into_iter().map(Into::into).collect();
        self
    }

    /// Makes dimension 0 of every input dynamic within `min..=max`, tuned for `opt`.
    pub fn with_dynamic_batch(mut self, min: usize, opt: usize, max: usize) -> Self {
        self.dynamic_batch = Some((min, opt, max));
        self
    }

    /// Sets `tf32`.
    pub fn with_tf32(mut self, on: bool) -> Self {
        self.tf32 = on;
        self
    }

    /// Sets the verification options.
    pub fn with_verify(mut self, verify: Verify) -> Self {
        self.verify = verify;
        self
    }

    /// Sets the workspace limit in bytes.
    pub fn with_max_workspace(mut self, bytes: usize) -> Self {
        self.max_workspace = Some(bytes);
        self
    }
}

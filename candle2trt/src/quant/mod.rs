//! Explicit INT8 (and FP8 E4M3) quantization: calibration in plain candle, Q/DQ placement,
//! the calibration table and its cache file.
//!
//! TensorRT 11 and TensorRT-RTX have no INT8 builder flag and no calibrator: a strongly typed
//! network carries its own Quantize/Dequantize layers. So candle2trt calibrates itself:
//! [`calibrate`] runs the model's forward over the calibration batches (each op computes its
//! candle value; the TensorRT network of each pass is thrown away unbuilt), keeps one
//! streaming histogram per quantized input ([`calib`]), and chooses each range with a
//! [`Calibrator`]. [`convert`](crate::convert) with `int8_mode` then traces once more with the
//! resulting [`CalibrationTable`] and puts Q/DQ pairs where [`placement::decide`] says.

pub mod calib;
pub mod placement;
pub(crate) mod qdq;
pub(crate) mod state;
mod table;

use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Instant;

use candle_core::Tensor;
use trt::DataType;

pub use calib::{Calibrator, Histogram};
pub use placement::{decide, Decision};
pub use state::{Site, SiteKind};
pub use table::{calibrate_cached, CalibrationTable};

use crate::options::Fp32Policy;
use crate::trace::Tracer;
use crate::{DynTraceModel, Error, Result};
pub(crate) use state::Plan;
use state::{Mode, Observer, QuantState};

/// How INT8 / FP8 quantization is calibrated and placed (part of
/// [`ConversionOptions`](crate::ConversionOptions)).
#[derive(Debug, Clone)]
pub struct QuantConfig {
    /// How activation ranges are chosen (default: entropy, as torch2trt).
    pub calibrator: Calibrator,
    /// FP8 E4M3 (per-tensor scales, range ±448) instead of INT8.
    pub fp8: bool,
    /// Keep the first convolution in higher precision when it has < 16 input channels.
    pub keep_first_conv: bool,
    /// Keep the last weighted layer (classifier / output head) in higher precision.
    pub keep_classifier: bool,
    /// Quantize products of two activations (attention); off by default.
    pub quantize_bmm: bool,
    /// Per module path overrides: `(path prefix, quantize)`; the longest matching prefix wins
    /// (`""` matches every module).
    pub overrides: Vec<(String, bool)>,
    /// Ranges computed beforehand ([`calibrate`] or a cache file): used instead of
    /// calibrating.
    pub table: Option<CalibrationTable>,
    /// A calibration cache file: reused when its fingerprint matches, rewritten otherwise.
    pub cache: Option<PathBuf>,
}

impl Default for QuantConfig {
    fn default() -> Self {
        QuantConfig {
            calibrator: Calibrator::Entropy,
            fp8: false,
            keep_first_conv: true,
            keep_classifier: true,
            quantize_bmm: false,
            overrides: Vec::new(),
            table: None,
            cache: None,
        }
    }
}

impl QuantConfig {
    /// The quantized type: `Int8` or `Fp8`.
    pub fn qtype(&self) -> DataType {
        if self.fp8 {
            DataType::Fp8
        } else {
            DataType::Int8
        }
    }

    /// Settings that change the ranges or the placement, for the cache's fingerprint.
    fn settings(&self) -> String {
        format!(
            "calibrator={} fp8={} keep_first_conv={} keep_classifier={} quantize_bmm={} overrides={:?}",
            self.calibrator,
            self.fp8,
            self.keep_first_conv,
            self.keep_classifier,
            self.quantize_bmm,
            self.overrides
        )
    }
}

/// FNV-1a, 64 bits: digests of calibration data.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf29ce484222325)
    }
}

impl Fnv {
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x100000001b3);
        }
    }
    pub(crate) fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

fn digest_tensor(h: &mut Fnv, t: &Tensor) -> Result<()> {
    h.bytes(format!("{:?}{:?}", t.dtype(), t.dims()).as_bytes());
    let v = t
        .to_device(&candle_core::Device::Cpu)?
        .to_dtype(candle_core::DType::F32)?
        .flatten_all()?
        .to_vec1::<f32>()?;
    for x in v {
        h.bytes(&x.to_le_bytes());
    }
    Ok(())
}

/// Calibrates `model` on `batches` (each one tensor per model input), streaming: one batch
/// in memory at a time, one fixed-size histogram per quantized input. Progress is logged
/// (`tracing`, info) about once a second. Deterministic for a fixed sequence of batches.
pub fn calibrate<M, I, B>(model: &M, batches: I, config: &QuantConfig) -> Result<CalibrationTable>
where
    M: DynTraceModel + ?Sized,
    I: IntoIterator<Item = B>,
    B: Borrow<[Tensor]>,
{
    calibrate_with(model, batches, config, true)
}

/// [`calibrate`]; the weights' digest (a dump of the whole network) only when `digest_weights`.
pub(crate) fn calibrate_with<M, I, B>(
    model: &M,
    batches: I,
    config: &QuantConfig,
    digest_weights: bool,
) -> Result<CalibrationTable>
where
    M: DynTraceModel + ?Sized,
    I: IntoIterator<Item = B>,
    B: Borrow<[Tensor]>,
{
    let mut tables = calibrate_many(model, batches, config, &[config.calibrator], digest_weights)?;
    Ok(tables.remove(0))
}

/// Calibrates once (one pass over `batches`, the same histograms) and chooses the ranges with
/// each of `calibrators`: one table each, as [`calibrate`] with that calibrator would give.
pub fn calibrate_each<M, I, B>(
    model: &M,
    batches: I,
    config: &QuantConfig,
    calibrators: &[Calibrator],
) -> Result<Vec<CalibrationTable>>
where
    M: DynTraceModel + ?Sized,
    I: IntoIterator<Item = B>,
    B: Borrow<[Tensor]>,
{
    calibrate_many(model, batches, config, calibrators, true)
}

fn calibrate_many<M, I, B>(
    model: &M,
    batches: I,
    config: &QuantConfig,
    calibrators: &[Calibrator],
    digest_weights: bool,
) -> Result<Vec<CalibrationTable>>
where
    M: DynTraceModel + ?Sized,
    I: IntoIterator<Item = B>,
    B: Borrow<[Tensor]>,
{
    let started = Instant::now();
    let library = trt::Library::load().map_err(trt::Error::from)?;
    let logger = trt::Logger::new(trt::Severity::Error)?;
    let builder = trt::Builder::new(library, &logger)?;
    let observer = Rc::new(RefCell::new(Observer::default()));
    let mut data = Fnv::default();
    let mut n = 0usize;
    let mut weights = String::new();
    let mut last_report = Instant::now();
    for batch in batches {
        let batch = batch.borrow();
        let network = builder.create_network()?;
        let state = QuantState::new(Mode::Observe(observer.clone()));
        let tracer = Tracer::with_quant(&network, DataType::Float, Fp32Policy::default(), state);
        let mut traced = Vec::with_capacity(batch.len());
        for (i, x) in batch.iter().enumerate() {
            digest_tensor(&mut data, x)?;
            let dims: Vec<i64> = x.dims().iter().map(|&d| d as i64).collect();
            traced.push(tracer.add_input(&format!("input_{i}"), x, &dims)?);
        }
        model.forward_traced(&traced)?;
        if n == 0 && digest_weights {
            weights = crate::engine::network_digests(&network)
                .map(|(w, _)| w)
                .unwrap_or_default();
        }
        n += 1;
        if last_report.elapsed().as_secs_f32() >= 1.0 {
            tracing::info!(
                "candle2trt: calibration batch {n} ({:.1} s)",
                started.elapsed().as_secs_f32()
            );
            last_report = Instant::now();
        }
    }
    if n == 0 {
        return Err(Error::MissingCalibrationData);
    }
    let observer = RefCell::borrow(&observer);
    let mut tables = Vec::with_capacity(calibrators.len());
    for &calibrator in calibrators {
        let ranges: BTreeMap<String, f32> = observer
            .hists
            .iter()
            .map(|(k, h)| (k.clone(), h.choose(calibrator)))
            .collect();
        let config = QuantConfig {
            calibrator,
            ..config.clone()
        };
        let mut fp = Fnv::default();
        fp.bytes(format!("{}|{weights}|{}|{n}", config.settings(), data.hex()).as_bytes());
        tables.push(CalibrationTable {
            calibrator,
            batches: n,
            data_digest: data.hex(),
            weights_digest: weights.clone(),
            fingerprint: fp.hex(),
            sites: observer.sites.clone(),
            ranges,
        });
    }
    tracing::info!(
        "candle2trt: calibrated {} tensors on {n} batches in {:.1} s",
        observer.hists.len(),
        started.elapsed().as_secs_f32()
    );
    Ok(tables)
}

/// The plan a conversion applies: the placement decisions over the table's sites, with its
/// ranges.
pub(crate) fn plan(table: &CalibrationTable, config: &QuantConfig) -> (Vec<Decision>, Plan) {
    let decisions = decide(&table.sites, config);
    let quantized = decisions
        .iter()
        .filter(|d| d.quantized)
        .map(|d| d.key.clone())
        .collect();
    let plan = Plan {
        quantized,
        amax: table.ranges.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        qtype: config.qtype(),
    };
    (decisions, plan)
}

/// The trace state that applies `plan`.
pub(crate) fn applying<'n>(plan: Plan) -> QuantState<'n> {
    QuantState::new(Mode::Apply(Rc::new(plan)))
}

/// The quantization state of a conversion's trace: the table (given, cached or calibrated
/// on the calibration batches — the sample inputs when there are none) and its plan.
pub(crate) fn conversion_plan<M: DynTraceModel + ?Sized>(
    model: &M,
    inputs: &[&Tensor],
    options: &crate::ConversionOptions,
) -> Result<Plan> {
    let config = &options.quantization;
    let sample;
    let batches = if options.int8_calibration_batches.is_empty() && config.table.is_none() {
        tracing::warn!(
            "candle2trt: int8_mode without calibration batches: calibrating on the sample inputs \
             (one sample is not a calibration set; pass int8_calibration_batches)"
        );
        sample = vec![inputs.iter().map(|&t| t.clone()).collect::<Vec<_>>()];
        &sample
    } else {
        &options.int8_calibration_batches
    };
    let table = match (&config.table, &config.cache) {
        (Some(t), _) => t.clone(),
        (None, Some(path)) => table::calibrate_cached(model, batches, config, path)?,
        (None, None) => calibrate_with(model, batches.iter().map(|b| b.as_slice()), config, false)?,
    };
    let (decisions, plan) = plan(&table, config);
    let kept: Vec<String> = decisions
        .iter()
        .filter(|d| !d.quantized)
        .map(|d| format!("{} ({})", d.key, d.reason))
        .collect();
    if plan.quantized.is_empty() {
        tracing::warn!(
            "candle2trt: int8_mode, but no op is quantized (kept higher: {}); see QuantConfig's overrides",
            kept.join(", ")
        );
    }
    tracing::info!(
        "candle2trt: {} of {} sites quantized to {:?}; kept higher: {}",
        plan.quantized.len(),
        decisions.len(),
        plan.qtype,
        kept.join(", ")
    );
    Ok(plan)
}

//! [`CalibrationTable`]: the calibrated ranges, as a human-readable, editable cache file.
//!
//! ```text
//! # candle2trt calibration cache 1 (one range per quantized tensor; edit freely)
//! fingerprint 3b0c…   settings, weights, data and batches digested together
//! calibrator entropy
//! batches 12
//! data 9f1e…
//! weights 77aa…
//! site features.3/conv2d#0 conv 16 1
//! site classifier/linear#0 linear
//! range features.3/conv2d#0:input 2.8125
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use candle_core::Tensor;

use super::calib::Calibrator;
use super::state::{Site, SiteKind};
use super::{calibrate, QuantConfig};
use crate::{DynTraceModel, Error, Result};

const HEADER: &str = "# candle2trt calibration cache 1";

/// Calibrated activation ranges keyed by `module.path/op#k:operand`, with the sites seen
/// and what they were computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationTable {
    /// The calibrator that chose the ranges.
    pub calibrator: Calibrator,
    /// Number of calibration batches.
    pub batches: usize,
    /// FNV-1a of the calibration data (dtypes, shapes, values).
    pub data_digest: String,
    /// Digest of the traced network's weights.
    pub weights_digest: String,
    /// Digest of the settings, weights, data and batch count: the cache key.
    pub fingerprint: String,
    /// The quantization sites, in trace order.
    pub sites: Vec<Site>,
    /// `amax` per quantized input.
    pub ranges: BTreeMap<String, f32>,
}

fn kind_text(k: &SiteKind) -> String {
    match k {
        SiteKind::Conv {
            in_channels,
            groups,
        } => format!("conv {in_channels} {groups}"),
        SiteKind::Deconv => "deconv".into(),
        SiteKind::Linear => "linear".into(),
        SiteKind::Matmul => "matmul".into(),
        SiteKind::Residual { producer } => format!("residual {producer}"),
    }
}

impl CalibrationTable {
    /// The cache file's text.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{HEADER} (one range per quantized tensor; edit freely)\nfingerprint {}\ncalibrator {}\nbatches {}\ndata {}\nweights {}\n",
            self.fingerprint, self.calibrator, self.batches, self.data_digest, self.weights_digest
        );
        for site in &self.sites {
            s += &format!("site {} {}\n", site.key, kind_text(&site.kind));
        }
        for (k, v) in &self.ranges {
            s += &format!("range {k} {v}\n");
        }
        s
    }

    /// Parses a cache file's text (`what` names it in errors).
    pub fn from_text(text: &str, what: &str) -> Result<Self> {
        let bad = |line: usize, why: &str| {
            Error::InvalidOptions(format!("calibration cache {what}, line {line}: {why}"))
        };
        let mut t = CalibrationTable {
            calibrator: Calibrator::Max,
            batches: 0,
            data_digest: String::new(),
            weights_digest: String::new(),
            fingerprint: String::new(),
            sites: Vec::new(),
            ranges: BTreeMap::new(),
        };
        if !text.starts_with(HEADER) {
            return Err(bad(1, "not a candle2trt calibration cache (version 1)"));
        }
        for (i, line) in text.lines().enumerate().skip(1) {
            let n = i + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["fingerprint", v] => t.fingerprint = v.to_string(),
                ["calibrator", v] => t.calibrator = v.parse().map_err(|e: String| bad(n, &e))?,
                ["batches", v] => t.batches = v.parse().map_err(|_| bad(n, "bad count"))?,
                ["data", v] => t.data_digest = v.to_string(),
                ["weights", v] => t.weights_digest = v.to_string(),
                ["site", key, rest @ ..] => {
                    let kind = match rest {
                        ["conv", c, g] => SiteKind::Conv {
                            in_channels: c.parse().map_err(|_| bad(n, "bad channels"))?,
                            groups: g.parse().map_err(|_| bad(n, "bad groups"))?,
                        },
                        ["deconv"] => SiteKind::Deconv,
                        ["linear"] => SiteKind::Linear,
                        ["matmul"] => SiteKind::Matmul,
                        ["residual", p] => SiteKind::Residual {
                            producer: p.to_string(),
                        },
                        _ => return Err(bad(n, "unknown site kind")),
                    };
                    let path = key.rsplit_once('/').map_or("", |(p, _)| p).to_string();
                    t.sites.push(Site {
                        key: key.to_string(),
                        path,
                        kind,
                    });
                }
                ["range", key, v] => {
                    let v: f32 = v.parse().map_err(|_| bad(n, "bad range"))?;
                    if !(v.is_finite() && v >= 0.0) {
                        return Err(bad(n, "a range must be finite and >= 0"));
                    }
                    t.ranges.insert(key.to_string(), v);
                }
                _ => return Err(bad(n, "unknown line")),
            }
        }
        Ok(t)
    }

    /// Writes the cache file atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        trt::write_atomic(path, self.to_text().as_bytes(), "write calibration cache")
            .map_err(Error::from)
    }

    /// Reads a cache file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::InvalidOptions(format!(
                "cannot read calibration cache {}: {e}",
                path.display()
            ))
        })?;
        Self::from_text(&text, &path.display().to_string())
    }
}

/// Calibrates on `batches`, or reuses the table in `cache` when its fingerprint matches
/// (weights, data, settings); otherwise recalibrates, says why, and rewrites the file.
pub fn calibrate_cached<M: DynTraceModel + ?Sized>(
    model: &M,
    batches: &[Vec<Tensor>],
    config: &QuantConfig,
    cache: &Path,
) -> Result<CalibrationTable> {
    // The fingerprint needs the weights' and the data's digests: one pass over one batch
    // (for the weights) and a digest of the data, far cheaper than calibrating.
    let probe = calibrate(model, batches.iter().take(1).map(|b| b.as_slice()), config)?;
    let mut data = super::Fnv::default();
    for b in batches {
        for x in b {
            super::digest_tensor(&mut data, x)?;
        }
    }
    let mut fp = super::Fnv::default();
    fp.bytes(
        format!(
            "{}|{}|{}|{}",
            config.settings(),
            probe.weights_digest,
            data.hex(),
            batches.len()
        )
        .as_bytes(),
    );
    let expected = fp.hex();
    let why = if cache.exists() {
        match CalibrationTable::load(cache) {
            Ok(t) if t.fingerprint == expected => {
                tracing::info!("candle2trt: calibration cache {} reused", cache.display());
                return Ok(t);
            }
            Ok(t) if t.weights_digest != probe.weights_digest => "the weights differ".to_string(),
            Ok(t) if t.data_digest != data.hex() || t.batches != batches.len() => {
                "the calibration data differ".to_string()
            }
            Ok(_) => "the calibration settings differ".to_string(),
            Err(e) => format!("it cannot be read ({e})"),
        }
    } else {
        "it does not exist".to_string()
    };
    tracing::warn!(
        "candle2trt: calibration cache {}: recalibrating because {why}",
        cache.display()
    );
    let table = calibrate(model, batches.iter().map(|b| b.as_slice()), config)?;
    debug_assert_eq!(table.fingerprint, expected);
    table.save(cache)?;
    Ok(table)
}

//! The quantization state one trace carries (held by the tracer): either observing
//! activations for calibration or applying a [`Plan`] of Q/DQ pairs. Data only; the
//! converters' hooks that read and write it are in `quant/qdq.rs`.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

use trt::DataType;

use super::calib::Histogram;

/// What kind of op a quantization site is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteKind {
    /// A convolution with this many input channels and groups.
    Conv {
        /// Input channels.
        in_channels: usize,
        /// Groups (input channels for depthwise).
        groups: usize,
    },
    /// A transposed convolution.
    Deconv,
    /// `candle_nn::Linear` (`x · Wᵀ + b`).
    Linear,
    /// A product of two activations (attention's `Q·Kᵀ`, `P·V`).
    Matmul,
    /// The second operand of a skip-connection add whose other operand a convolution produced.
    Residual {
        /// The site of that convolution.
        producer: String,
    },
}

impl SiteKind {
    /// Whether the site has weights (convolutions and linear layers).
    pub fn weighted(&self) -> bool {
        matches!(
            self,
            SiteKind::Conv { .. } | SiteKind::Deconv | SiteKind::Linear
        )
    }
}

/// One place of the network where Q/DQ pairs may go: `key` is `module.path/op#k` (`k`
/// counts the op's calls in that module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// `module.path/op#k`.
    pub key: String,
    /// The module path.
    pub path: String,
    /// The kind of op.
    pub kind: SiteKind,
}

/// Statistics gathered while observing calibration batches.
#[derive(Debug, Default)]
pub(crate) struct Observer {
    /// One histogram per quantized operand (`site:operand`).
    pub hists: BTreeMap<String, Histogram>,
    /// The sites in trace order (as first seen).
    pub sites: Vec<Site>,
    seen: HashSet<String>,
}

impl Observer {
    pub(crate) fn site(&mut self, site: Site) {
        if self.seen.insert(site.key.clone()) {
            self.sites.push(site);
        }
    }
}

/// Which sites are quantized and the range of each quantized activation.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub quantized: HashSet<String>,
    /// `site:operand` → amax.
    pub amax: HashMap<String, f32>,
    /// `Int8` or `Fp8`.
    pub qtype: DataType,
}

pub(crate) enum Mode {
    Observe(Rc<RefCell<Observer>>),
    Apply(Rc<Plan>),
}

/// The quantization state of one trace.
pub(crate) struct QuantState<'n> {
    pub mode: Mode,
    /// Calls of each `path/op` so far in this trace.
    pub counters: RefCell<HashMap<String, usize>>,
    /// Outputs of convolution sites (after a folded batch norm too) → their site key.
    pub producers: RefCell<HashMap<trt::Tensor<'n>, String>>,
}

impl QuantState<'_> {
    pub(crate) fn new(mode: Mode) -> Self {
        QuantState {
            mode,
            counters: RefCell::new(HashMap::new()),
            producers: RefCell::new(HashMap::new()),
        }
    }
}

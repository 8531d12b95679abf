//! Where Q/DQ pairs go, by TensorRT's placement recommendations and Model Optimizer's
//! defaults, and the per-module overrides.

use std::collections::HashSet;

use super::state::{Site, SiteKind};
use super::QuantConfig;

/// The decision for one site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The site (`module.path/op#k`).
    pub key: String,
    /// Whether its inputs (and weights) are quantized.
    pub quantized: bool,
    /// Why.
    pub reason: &'static str,
}

/// Whether `path` is `prefix` or inside it (`prefix.…`); an empty prefix matches all.
fn under(path: &str, prefix: &str) -> bool {
    prefix.is_empty()
        || path == prefix
        || (path.starts_with(prefix) && path.as_bytes().get(prefix.len()) == Some(&b'.'))
}

/// Decides every site, in trace order.
///
/// Defaults (each can be overridden per module path, the longest matching override winning):
/// - convolutions, transposed convolutions and linear layers are quantized (inputs per
///   tensor, weights per output channel);
/// - the first weighted op stays higher when it is a convolution with fewer than 16 input
///   channels (an image stem: few channels, little speed to win, the raw input's range
///   matters) — `QuantConfig::keep_first_conv`;
/// - the last weighted op (the classifier / output head) stays higher: its outputs are the
///   logits (`QuantConfig::keep_classifier`);
/// - a grouped convolution whose channels per group are not a multiple of 4 (depthwise) stays
///   higher: TensorRT has no INT8 kernel for it;
/// - products of two activations (attention) stay higher unless `QuantConfig::quantize_bmm`;
/// - the skip input of a residual add is quantized when the convolution producing the other
///   operand is (so the add fuses into its INT8 kernel);
/// - normalizations, softmax, embeddings and everything else never get Q/DQ pairs.
pub fn decide(sites: &[Site], config: &QuantConfig) -> Vec<Decision> {
    let weighted: Vec<&Site> = sites.iter().filter(|s| s.kind.weighted()).collect();
    let first = weighted.first().map(|s| s.key.as_str());
    let last = weighted.last().map(|s| s.key.as_str());
    let mut quantized = HashSet::new();
    let mut out = Vec::with_capacity(sites.len());
    for s in sites {
        let (mut q, mut reason) = match &s.kind {
            SiteKind::Conv {
                in_channels,
                groups,
            } => {
                let per_group = in_channels / (*groups).max(1);
                if *groups > 1 && per_group % 4 != 0 {
                    (
                        false,
                        "grouped convolution with channels per group not a multiple of 4",
                    )
                } else if config.keep_first_conv
                    && Some(s.key.as_str()) == first
                    && *in_channels < 16
                {
                    (false, "first convolution with < 16 input channels")
                } else if config.keep_classifier && Some(s.key.as_str()) == last {
                    (false, "last weighted layer (classifier / output head)")
                } else {
                    (true, "convolution input and weights")
                }
            }
            SiteKind::Deconv | SiteKind::Linear => {
                if config.keep_classifier && Some(s.key.as_str()) == last {
                    (false, "last weighted layer (classifier / output head)")
                } else {
                    (true, "weighted layer input and weights")
                }
            }
            SiteKind::Matmul => (
                config.quantize_bmm,
                if config.quantize_bmm {
                    "activation product (quantize_bmm)"
                } else {
                    "activation product: kept higher by default"
                },
            ),
            SiteKind::Residual { producer } => {
                if quantized.contains(producer) {
                    (
                        true,
                        "skip input of a residual add after a quantized convolution",
                    )
                } else {
                    (false, "residual add after an unquantized convolution")
                }
            }
        };
        let best = config
            .overrides
            .iter()
            .filter(|(prefix, _)| under(&s.path, prefix))
            .max_by_key(|(prefix, _)| prefix.len());
        if let Some((_, on)) = best {
            if *on != q {
                q = *on;
                reason = if *on {
                    "override: quantized"
                } else {
                    "override: kept higher"
                };
            }
        }
        if q {
            quantized.insert(s.key.clone());
        }
        out.push(Decision {
            key: s.key.clone(),
            quantized: q,
            reason,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(key: &str, path: &str, kind: SiteKind) -> Site {
        Site {
            key: key.into(),
            path: path.into(),
            kind,
        }
    }

    fn sites() -> Vec<Site> {
        let conv = |c, g| SiteKind::Conv {
            in_channels: c,
            groups: g,
        };
        vec![
            site("stem/conv2d#0", "stem", conv(3, 1)),
            site("b1.conv1/conv2d#0", "b1.conv1", conv(32, 1)),
            site("b1.dw/conv2d#0", "b1.dw", conv(32, 32)),
            site("b1.g/conv2d#0", "b1.g", conv(32, 8)),
            site(
                "b1/add#0",
                "b1",
                SiteKind::Residual {
                    producer: "b1.conv1/conv2d#0".into(),
                },
            ),
            site("attn/matmul#0", "attn", SiteKind::Matmul),
            site("fc/linear#0", "fc", SiteKind::Linear),
        ]
    }

    fn quantized(d: &[Decision]) -> Vec<&str> {
        d.iter()
            .filter(|d| d.quantized)
            .map(|d| d.key.as_str())
            .collect()
    }

    #[test]
    fn defaults_follow_the_rules() {
        let d = decide(&sites(), &QuantConfig::default());
        assert_eq!(
            quantized(&d),
            ["b1.conv1/conv2d#0", "b1.g/conv2d#0", "b1/add#0"]
        );
    }

    #[test]
    fn overrides_work_both_ways_and_the_longest_wins() {
        let config = QuantConfig {
            overrides: vec![
                ("fc".into(), true),
                ("stem".into(), true),
                ("b1".into(), false),
                ("b1.g".into(), true),
            ],
            ..Default::default()
        };
        let d = decide(&sites(), &config);
        // b1.conv1 is off, so its residual add is too; "b1.g" beats "b1".
        assert_eq!(
            quantized(&d),
            ["stem/conv2d#0", "b1.g/conv2d#0", "fc/linear#0"]
        );
        // A prefix matches whole path components only.
        assert!(!under("b10.x", "b1"));
    }
}

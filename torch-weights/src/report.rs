//! The strict-load report.

use std::fmt;

/// A tensor whose shape differs from what the model expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeMismatch {
    /// Tensor name.
    pub name: String,
    /// Shape the model asked for.
    pub expected: Vec<usize>,
    /// Shape in the checkpoint.
    pub found: Vec<usize>,
}

/// Everything a strict load found, like the message of PyTorch's
/// `load_state_dict(strict=True)`: all problems together, not just the first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Names the model asked for that the checkpoint does not have.
    pub missing: Vec<String>,
    /// Names in the checkpoint the model never asked for.
    pub unexpected: Vec<String>,
    /// Names present in both with different shapes.
    pub shape_mismatches: Vec<ShapeMismatch>,
}

impl LoadReport {
    /// Whether nothing is missing, unexpected or mismatched.
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty() && self.unexpected.is_empty() && self.shape_mismatches.is_empty()
    }

    /// Drops the unexpected keys for which `ignore` returns true (e.g. BatchNorm's
    /// `num_batches_tracked`, which candle does not use).
    pub fn ignore_unexpected(mut self, ignore: impl Fn(&str) -> bool) -> Self {
        self.unexpected.retain(|n| !ignore(n));
        self
    }

    /// `Ok(self)` when clean, else [`crate::Error::StrictLoad`].
    pub fn into_result(self) -> crate::Result<LoadReport> {
        if self.is_clean() {
            Ok(self)
        } else {
            Err(crate::Error::StrictLoad(Box::new(self)))
        }
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_clean() {
            return f.write_str("all keys matched");
        }
        f.write_str("error(s) in loading state dict:")?;
        if !self.missing.is_empty() {
            write!(f, "\n  missing key(s): {}", quoted(&self.missing))?;
        }
        if !self.unexpected.is_empty() {
            write!(f, "\n  unexpected key(s): {}", quoted(&self.unexpected))?;
        }
        for m in &self.shape_mismatches {
            write!(
                f,
                "\n  size mismatch for {}: checkpoint has shape {:?}, model expects {:?}",
                m.name, m.found, m.expected
            )?;
        }
        Ok(())
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

//! Parsers for option values, used by clap (`value_parser`).

/// A dynamic batch range `MIN:OPT:MAX` (or a single `N` for a static batch of N).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchRange {
    /// Smallest batch the engine accepts.
    pub min: usize,
    /// Batch TensorRT tunes for (also the batch of the traced sample).
    pub opt: usize,
    /// Largest batch the engine accepts.
    pub max: usize,
}

impl BatchRange {
    /// Whether the batch dimension is dynamic (`min < max`).
    pub fn is_dynamic(&self) -> bool {
        self.min < self.max
    }
}

impl std::fmt::Display for BatchRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.min, self.opt, self.max)
    }
}

/// Parses `MIN:OPT:MAX` (`1:4:8`) or `N`.
pub fn parse_batch(s: &str) -> Result<BatchRange, String> {
    let parts: Vec<&str> = s.split(':').collect();
    let num = |p: &str| {
        p.trim()
            .parse::<usize>()
            .map_err(|_| format!("{p:?} is not a whole number; write MIN:OPT:MAX such as 1:4:8"))
    };
    let (min, opt, max) = match parts.as_slice() {
        [n] => {
            let n = num(n)?;
            (n, n, n)
        }
        [a, b, c] => (num(a)?, num(b)?, num(c)?),
        _ => return Err("write MIN:OPT:MAX such as 1:4:8, or a single batch size".into()),
    };
    if min == 0 || !(min <= opt && opt <= max) {
        return Err(format!(
            "needs 1 <= MIN <= OPT <= MAX, got {min}:{opt}:{max}"
        ));
    }
    Ok(BatchRange { min, opt, max })
}

/// Parses a byte count: `1073741824`, `512MiB`, `1GiB`, `1G` (powers of 1024 for `K/M/G`, with
/// or without `iB`/`B`).
pub fn parse_bytes(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: usize = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a byte count; write e.g. 1073741824, 512MiB or 1GiB"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        other => return Err(format!("unknown unit {other:?}; use KiB, MiB or GiB")),
    };
    n.checked_mul(1usize << shift)
        .filter(|&b| b > 0)
        .ok_or_else(|| format!("{s:?} is zero or too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_ranges() {
        assert_eq!(
            parse_batch("1:4:8").unwrap(),
            BatchRange {
                min: 1,
                opt: 4,
                max: 8
            }
        );
        assert!(!parse_batch("2").unwrap().is_dynamic());
        assert!(parse_batch("1:4:8").unwrap().is_dynamic());
        for bad in ["0:1:2", "4:2:8", "1:2", "a:b:c", "", "1:2:3:4"] {
            assert!(parse_batch(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn byte_counts() {
        assert_eq!(parse_bytes("1024").unwrap(), 1024);
        assert_eq!(parse_bytes("512MiB").unwrap(), 512 << 20);
        assert_eq!(parse_bytes("1G").unwrap(), 1 << 30);
        assert_eq!(parse_bytes("2 kb").unwrap(), 2048);
        for bad in ["", "0", "1TB", "x", "-1"] {
            assert!(parse_bytes(bad).is_err(), "{bad:?}");
        }
    }
}

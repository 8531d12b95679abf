//! `cargo xtask enums [--check]`: TensorRT's enumeration values are written once, in the `trt_enum!` blocks of
//! `trt/src/enums.rs`. This command generates from them `trt-sys/shim/enum_checks.cpp`, whose `static_assert`s make
//! the shim fail to compile against headers whose enumerators carry other values; `--check` (run in CI) fails when
//! the committed file is not what the Rust source generates.

use anyhow::{bail, Context, Result};
use std::fmt::Write as _;
use std::path::Path;

const SOURCE: &str = "trt/src/enums.rs";
const OUTPUT: &str = "trt-sys/shim/enum_checks.cpp";

/// One `trt_enum!` block: the C++ enum (path below `nvinfer1::`), whether it exists only in TensorRT-RTX headers,
/// and its enumerators with their values.
#[derive(Debug, PartialEq)]
struct Enum {
    cxx: String,
    rtx_only: bool,
    values: Vec<(String, i64)>,
}

/// Regenerates (or, with `check`, compares) `trt-sys/shim/enum_checks.cpp`.
pub fn generate(root: &Path, check: bool) -> Result<()> {
    let source_path = root.join(SOURCE);
    let source = std::fs::read_to_string(&source_path)
        .with_context(|| format!("reading {}", source_path.display()))?;
    let enums = parse(&source).with_context(|| format!("parsing {SOURCE}"))?;
    let generated = render(&enums);
    let out = root.join(OUTPUT);
    if check {
        let current =
            std::fs::read_to_string(&out).with_context(|| format!("reading {}", out.display()))?;
        if current != generated {
            bail!("{OUTPUT} is stale: run `cargo xtask enums` and commit the result");
        }
        println!("xtask: {OUTPUT} is current ({} enums)", enums.len());
    } else {
        std::fs::write(&out, generated).with_context(|| format!("writing {}", out.display()))?;
        println!("xtask: wrote {OUTPUT} ({} enums)", enums.len());
    }
    Ok(())
}

/// Reads the `trt_enum!` blocks: a header line `Name: "Cxx::Path" [(rtx)] {` and variant lines
/// `Variant = value => "kNAME",`; doc comments and attributes are skipped.
fn parse(source: &str) -> Result<Vec<Enum>> {
    let mut enums = Vec::new();
    let mut current: Option<Enum> = None;
    let mut in_block = false;
    for (number, raw) in source.lines().enumerate() {
        let line = raw.trim();
        let at = || format!("line {}: {raw}", number + 1);
        if line.starts_with("trt_enum! {") {
            in_block = true;
            continue;
        }
        if !in_block || line.is_empty() || line.starts_with("//") || line.starts_with("#[") {
            continue;
        }
        match current.as_mut() {
            None => {
                let Some(header) = line.strip_suffix('{') else {
                    bail!("expected `Name: \"Cxx\" {{` at {}", at());
                };
                let (_, rest) = header
                    .split_once(':')
                    .with_context(|| format!("no `:` in the enum header at {}", at()))?;
                let rest = rest.trim();
                let rtx_only = rest.ends_with("(rtx)");
                let cxx = quoted(rest.trim_end_matches("(rtx)").trim())
                    .with_context(|| format!("no quoted C++ name at {}", at()))?;
                current = Some(Enum {
                    cxx,
                    rtx_only,
                    values: Vec::new(),
                });
            }
            Some(e) if line == "}" => {
                if e.values.is_empty() {
                    bail!("enum {} has no variants", e.cxx);
                }
                enums.push(current.take().expect("current enum"));
                in_block = false;
            }
            Some(e) => {
                let (lhs, cxx) =
                    line.trim_end_matches(',')
                        .split_once("=>")
                        .with_context(|| {
                            format!("expected `Variant = value => \"kNAME\",` at {}", at())
                        })?;
                let (_, value) = lhs
                    .split_once('=')
                    .with_context(|| format!("no `=` at {}", at()))?;
                let value: i64 = value
                    .trim()
                    .parse()
                    .with_context(|| format!("value is not an integer at {}", at()))?;
                let name =
                    quoted(cxx.trim()).with_context(|| format!("no quoted name at {}", at()))?;
                e.values.push((name, value));
            }
        }
    }
    if current.is_some() || in_block {
        bail!("unterminated trt_enum! block");
    }
    if enums.is_empty() {
        bail!("no trt_enum! blocks found");
    }
    Ok(enums)
}

fn quoted(s: &str) -> Option<String> {
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.is_empty()
        && inner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'))
    .then(|| inner.to_string())
}

fn render(enums: &[Enum]) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "// Generated by `cargo xtask enums` from {SOURCE} -- DO NOT EDIT (CI runs `cargo xtask enums --check`).\n\
         // The Rust enums carry these numeric values across the C interface, so a header whose enumerators differ must\n\
         // fail to compile rather than silently mismatch. Checked for the header families the values were taken from\n\
         // (TensorRT-RTX >= 1.7, TensorRT >= 11); other headers build without them.\n"
    ));
    s.push_str("#include \"shim_internal.hpp\"\n\n");
    s.push_str(
        "#if (SHIM_IS_RTX && SHIM_VERSION_AT_LEAST(1, 7)) || (!SHIM_IS_RTX && SHIM_VERSION_AT_LEAST(11, 0))\n\n",
    );
    s.push_str(
        "#define SHIM_CHECK_ENUM(E, N, V) static_assert(static_cast<int32_t>(nvinfer1::E::N) == (V), #E \"::\" #N \" changed value\")\n",
    );
    for e in enums {
        s.push('\n');
        if e.rtx_only {
            s.push_str("#if SHIM_IS_RTX\n");
        }
        for (name, value) in &e.values {
            let _ = writeln!(s, "SHIM_CHECK_ENUM({}, {name}, {value});", e.cxx);
        }
        if e.rtx_only {
            s.push_str("#endif\n");
        }
    }
    s.push_str("\n#endif\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_blocks_and_renders_checks() {
        let src = r#"
macro_rules! trt_enum { () => {} }
trt_enum! {
    /// Doc.
    PoolingType: "PoolingType" {
        /// Max.
        Max = 0 => "kMAX",
        Average = 1 => "kAVERAGE",
    }
}

trt_enum! {
    /// Only RTX.
    ComputeCapability: "ComputeCapability" (rtx) {
        Sm75 = 75 => "kSM75",
    }
}
"#;
        let enums = parse(src).unwrap();
        assert_eq!(
            enums,
            vec![
                Enum {
                    cxx: "PoolingType".into(),
                    rtx_only: false,
                    values: vec![("kMAX".into(), 0), ("kAVERAGE".into(), 1)],
                },
                Enum {
                    cxx: "ComputeCapability".into(),
                    rtx_only: true,
                    values: vec![("kSM75".into(), 75)],
                },
            ]
        );
        let cpp = render(&enums);
        assert!(
            cpp.contains("SHIM_CHECK_ENUM(PoolingType, kAVERAGE, 1);"),
            "{cpp}"
        );
        assert!(
            cpp.contains("#if SHIM_IS_RTX\nSHIM_CHECK_ENUM(ComputeCapability, kSM75, 75);\n#endif"),
            "{cpp}"
        );
    }

    #[test]
    fn rejects_a_variant_without_its_cxx_name() {
        let src = "trt_enum! {\n    A: \"A\" {\n        X = 0,\n    }\n}\n";
        let err = parse(src).unwrap_err();
        assert!(format!("{err:#}").contains("line 3"), "{err:#}");
    }
}

//! Triton's model-configuration schema for the tests of `candle2trt export-triton`.
//!
//! The pip wheel `tritonclient` ships `model_config.proto` compiled: `tritonclient/grpc/model_config_pb2.py` holds the
//! serialized `FileDescriptorProto` as a Python bytes literal. This step downloads the pinned wheel (hash-checked),
//! decodes that literal in Rust and writes `.deps/triton/model_config.desc`: a `FileDescriptorSet` holding that one
//! file, the format of `protoc --descriptor_set_out`. Nothing from Triton is committed to the repository.

use anyhow::{bail, ensure, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};

use crate::deps::{install_wheels, Wheel};

const TRITON_CLIENT: Wheel = Wheel {
    requirement: "tritonclient==2.73.0",
    file: "tritonclient-2.73.0-py3-none-any.whl",
    sha256: "1f5cec19b0568e037ec4d716ae702984b3ab93e35f72b8f72c5135374dd2be9a",
};

const MEMBER: &str = "tritonclient/grpc/model_config_pb2.py";

/// Ensures `.deps/triton/model_config.desc` exists; returns its path.
pub fn provision(deps: &Path) -> Result<PathBuf> {
    let dir = deps.join("triton");
    let desc = dir.join("model_config.desc");
    if dir.join(".complete").exists() && desc.exists() {
        return Ok(desc);
    }
    let wheel_dir = deps.join("tritonclient-wheel");
    install_wheels(deps, &wheel_dir, &[&TRITON_CLIENT], |n| n == MEMBER)?;
    let source = fs::read_to_string(wheel_dir.join(MEMBER))
        .with_context(|| format!("reading {MEMBER} from {}", TRITON_CLIENT.file))?;
    let file_descriptor = serialized_descriptor(&source)
        .with_context(|| format!("extracting the descriptor from {MEMBER}"))?;
    // A FileDescriptorProto starts with field 1 (its name): "model_config.proto".
    ensure!(
        file_descriptor.starts_with(b"\n\x12model_config.proto"),
        "{MEMBER} does not describe model_config.proto"
    );
    let tmp = dir.with_extension("partial");
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp)?;
    fs::write(
        tmp.join("model_config.desc"),
        descriptor_set(&file_descriptor),
    )?;
    fs::write(tmp.join(".complete"), TRITON_CLIENT.requirement)?;
    let _ = fs::remove_dir_all(&dir);
    fs::rename(&tmp, &dir).with_context(|| format!("moving {} into place", dir.display()))?;
    let _ = fs::remove_dir_all(&wheel_dir);
    Ok(desc)
}

/// The bytes of the literal in `AddSerializedFile(b'...')`.
fn serialized_descriptor(source: &str) -> Result<Vec<u8>> {
    const CALL: &str = "AddSerializedFile(b";
    let start = source
        .find(CALL)
        .context("no AddSerializedFile(b'...') call")?
        + CALL.len();
    let mut chars = source[start..].chars();
    let quote = chars.next().context("empty literal")?;
    ensure!(quote == '\'' || quote == '"', "not a bytes literal");
    let mut out = Vec::new();
    loop {
        let c = chars.next().context("unterminated bytes literal")?;
        if c == quote {
            return Ok(out);
        }
        if c != '\\' {
            ensure!(c.is_ascii(), "non-ASCII character in a bytes literal");
            out.push(c as u8);
            continue;
        }
        let e = chars.next().context("unterminated escape")?;
        match e {
            '\\' | '\'' | '"' => out.push(e as u8),
            'n' => out.push(b'\n'),
            'r' => out.push(b'\r'),
            't' => out.push(b'\t'),
            'a' => out.push(0x07),
            'b' => out.push(0x08),
            'f' => out.push(0x0c),
            'v' => out.push(0x0b),
            '\n' => {} // line continuation
            'x' => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push(u8::from_str_radix(&hex, 16).with_context(|| format!("bad \\x{hex}"))?);
            }
            '0'..='7' => {
                // Up to three octal digits.
                let mut value = e.to_digit(8).unwrap_or(0);
                let rest = chars.as_str();
                let mut taken = 0;
                for d in rest.chars().take(2) {
                    match d.to_digit(8) {
                        Some(v) => {
                            value = value * 8 + v;
                            taken += 1;
                        }
                        None => break,
                    }
                }
                for _ in 0..taken {
                    chars.next();
                }
                out.push(u8::try_from(value).context("octal escape above 255")?);
            }
            other => bail!("unknown escape \\{other}"),
        }
    }
}

/// A `FileDescriptorSet` holding one `FileDescriptorProto` (field 1, length-delimited).
fn descriptor_set(file: &[u8]) -> Vec<u8> {
    let mut out = vec![0x0a];
    let mut len = file.len() as u64;
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    out.extend_from_slice(file);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_bytes_literal() {
        let src = r#"x = pool.AddSerializedFile(b'\n\x12a\"b\'c\\\t\101\0z')"#;
        assert_eq!(
            serialized_descriptor(src).unwrap(),
            b"\n\x12a\"b'c\\\tA\0z".to_vec()
        );
        assert!(serialized_descriptor("AddSerializedFile(b'abc").is_err());
        assert!(serialized_descriptor("nothing").is_err());
    }

    #[test]
    fn set_wraps_with_a_varint_length() {
        assert_eq!(descriptor_set(b"ab"), vec![0x0a, 2, b'a', b'b']);
        let big = vec![0u8; 300];
        assert_eq!(&descriptor_set(&big)[..3], &[0x0a, 0xac, 0x02]);
    }
}

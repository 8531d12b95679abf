//! ONNX files, read by hand from the protobuf wire format (no protobuf dependency): `TensorProto` test data
//! ([`decode_tensor`]), the parts of a `ModelProto` that `candle2trt simulate` needs ([`decode_model`]), and
//! ONNX's `test_data_set_N` folders ([`read_test_data`]).

mod model;
mod tensor;
mod wire;

use std::path::{Path, PathBuf};

pub use model::{decode_model, Graph, Node, ValueInfo, ValueKind};
pub use tensor::{decode_tensor, ElemType, OnnxTensor, Values};

/// A failure to read an ONNX file.
#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    /// The bytes are not the protobuf message expected.
    #[error("malformed {what} (at byte {offset}): {message}")]
    Malformed {
        /// The message being read.
        what: &'static str,
        /// Byte offset inside that message.
        offset: usize,
        /// What is wrong.
        message: String,
    },
    /// An element type whose values this reader does not hold.
    #[error("element type {name} (TensorProto.DataType {code}) is not read: only FLOAT, DOUBLE, FLOAT16, BFLOAT16, INT8/16/32/64, UINT8/16/32/64 and BOOL are")]
    UnsupportedType {
        /// onnx.proto's number of the type.
        code: u64,
        /// Its name.
        name: String,
    },
    /// A feature of the format this reader does not handle (external data, segments, ...).
    #[error("{0} is not read")]
    Unsupported(String),
    /// A file could not be read, or a test-data folder is not laid out as ONNX lays it out.
    #[error("{path}: {message}")]
    File {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl OnnxError {
    /// The same error with the file it came from (decoding errors carry no path).
    pub fn in_file(self, path: &Path) -> OnnxError {
        match self {
            OnnxError::File { .. } => self,
            other => OnnxError::File {
                path: path.to_path_buf(),
                message: other.to_string(),
            },
        }
    }
}

/// Reads and decodes one `TensorProto` file.
pub fn read_tensor(path: &Path) -> Result<OnnxTensor, OnnxError> {
    let bytes = std::fs::read(path).map_err(|e| OnnxError::File {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    decode_tensor(&bytes).map_err(|e| e.in_file(path))
}

/// The tensors of one `test_data_set_N` folder: `input_K.pb` and `output_K.pb`, each list ordered by `K`.
#[derive(Debug, Clone)]
pub struct TestData {
    /// `input_0.pb`, `input_1.pb`, ...
    pub inputs: Vec<OnnxTensor>,
    /// `output_0.pb`, `output_1.pb`, ...
    pub outputs: Vec<OnnxTensor>,
}

/// Reads a `test_data_set_N` folder (or a case folder holding exactly one, or the first of several:
/// `test_data_set_0`). The numbers `K` must run from 0 without a gap, as ONNX writes them.
pub fn read_test_data(dir: &Path) -> Result<TestData, OnnxError> {
    let file_err = |path: &Path, message: String| OnnxError::File {
        path: path.to_path_buf(),
        message,
    };
    let list = |d: &Path| -> Result<Vec<(String, PathBuf)>, OnnxError> {
        let rd = std::fs::read_dir(d).map_err(|e| file_err(d, e.to_string()))?;
        let mut v = Vec::new();
        for e in rd {
            let e = e.map_err(|e| file_err(d, e.to_string()))?;
            v.push((e.file_name().to_string_lossy().into_owned(), e.path()));
        }
        v.sort();
        Ok(v)
    };
    let mut entries = list(dir)?;
    let mut dir = dir.to_path_buf();
    if !entries.iter().any(|(n, _)| n.ends_with(".pb")) {
        if let Some((_, sub)) = entries
            .iter()
            .find(|(n, p)| n == "test_data_set_0" && p.is_dir())
        {
            dir = sub.clone();
            entries = list(&dir)?;
        }
    }
    let mut inputs: Vec<(usize, PathBuf)> = Vec::new();
    let mut outputs: Vec<(usize, PathBuf)> = Vec::new();
    for (name, path) in entries {
        let Some(stem) = name.strip_suffix(".pb") else {
            continue;
        };
        let (list, k) = if let Some(k) = stem.strip_prefix("input_") {
            (&mut inputs, k)
        } else if let Some(k) = stem.strip_prefix("output_") {
            (&mut outputs, k)
        } else {
            continue;
        };
        let k: usize = k
            .parse()
            .map_err(|_| file_err(&path, "not named input_K.pb / output_K.pb".into()))?;
        list.push((k, path));
    }
    if outputs.is_empty() {
        return Err(file_err(
            &dir,
            "no output_K.pb file (ONNX's test_data_set_N layout: input_K.pb and output_K.pb)"
                .into(),
        ));
    }
    let read = |mut files: Vec<(usize, PathBuf)>| -> Result<Vec<OnnxTensor>, OnnxError> {
        files.sort();
        files
            .iter()
            .enumerate()
            .map(|(i, (k, p))| {
                if *k != i {
                    return Err(file_err(
                        p,
                        format!("expected number {i} here (a gap in the numbering)"),
                    ));
                }
                read_tensor(p)
            })
            .collect()
    };
    Ok(TestData {
        inputs: read(inputs)?,
        outputs: read(outputs)?,
    })
}

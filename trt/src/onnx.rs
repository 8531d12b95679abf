//! Networks written by TensorRT's own ONNX parser ([`nvonnxparser::IParser`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvonnxparser_1_1_i_parser.html)):
//! [`Network::from_onnx`] and the parser's errors ([`OnnxParseError`]).
//!
//! A parsed network is an ordinary [`Network`]: its layers read back with [`crate::Layer::description`] and it
//! builds like ours. It keeps its parser alive, because the parser owns the weights its layers point at.

use std::ffi::CStr;
use std::path::Path;

use crate::builder::Builder;
use crate::error::{Error, Result};
use crate::network::Network;
use crate::Logger;

/// One error the ONNX parser reported ([`nvonnxparser::IParserError`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvonnxparser_1_1_i_parser_error.html)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnnxParseError {
    /// `nvonnxparser::ErrorCode` (e.g. 3 `kMODEL_DESERIALIZE_FAILED`, 8 `kUNSUPPORTED_NODE`); -1 when the parser
    /// refused the model without recording an error (the message is then what it logged).
    pub code: i32,
    /// The parser's description (`IParserError::desc`).
    pub message: String,
    /// The index of the node in the graph (`IParserError::node`), `None` when the error is not about a node.
    pub node: Option<i64>,
    /// The node's name (`IParserError::nodeName`; empty when none).
    pub node_name: String,
    /// The node's operator (`IParserError::nodeOperator`, e.g. `"Conv"`; empty when none).
    pub op_type: String,
}

impl OnnxParseError {
    /// The name of [`OnnxParseError::code`] in `nvonnxparser::ErrorCode`.
    pub fn code_name(&self) -> &'static str {
        match self.code {
            0 => "kSUCCESS",
            1 => "kINTERNAL_ERROR",
            2 => "kMEM_ALLOC_FAILED",
            3 => "kMODEL_DESERIALIZE_FAILED",
            4 => "kINVALID_VALUE",
            5 => "kINVALID_GRAPH",
            6 => "kINVALID_NODE",
            7 => "kUNSUPPORTED_GRAPH",
            8 => "kUNSUPPORTED_NODE",
            9 => "kUNSUPPORTED_NODE_ATTR",
            10 => "kUNSUPPORTED_NODE_INPUT",
            11 => "kUNSUPPORTED_NODE_DATATYPE",
            12 => "kUNSUPPORTED_NODE_DYNAMIC",
            13 => "kUNSUPPORTED_NODE_SHAPE",
            14 => "kREFIT_FAILED",
            _ => "unknown",
        }
    }
}

/// One line: `node 3 'name' (Op): message`, or the message alone for an error about no node.
impl std::fmt::Display for OnnxParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(node) = self.node {
            write!(f, "node {node} '{}' ({}): ", self.node_name, self.op_type)?;
        }
        // The parser's descriptions may hold line breaks; the error stays one line.
        let mut lines = self
            .message
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty());
        if let Some(first) = lines.next() {
            f.write_str(first)?;
        }
        for line in lines {
            write!(f, " | {line}")?;
        }
        Ok(())
    }
}

/// Display of [`Error::OnnxParse`]: the first error and how many more there are.
pub(crate) fn describe(errors: &[OnnxParseError]) -> String {
    match errors {
        [] => "the ONNX parser refused the model without an error".to_owned(),
        [one] => format!("ONNX parser: {one}"),
        [first, rest @ ..] => format!("ONNX parser: {first} (and {} more errors)", rest.len()),
    }
}

/// An `nvonnxparser::IParser`, destroyed on drop.
pub(crate) struct Parser {
    raw: *mut trt_sys::trt_onnx_parser,
}

impl Drop for Parser {
    fn drop(&mut self) {
        // SAFETY: `raw` came from createNvOnnxParser_INTERNAL and is destroyed once.
        unsafe { trt_sys::trt_onnx_parser_destroy(self.raw) };
    }
}

impl Parser {
    /// Every error the parser recorded (`getNbErrors` / `getError`).
    fn errors(&self, logger: &Logger) -> Result<Vec<OnnxParseError>> {
        // SAFETY: `raw` is a live parser.
        let n = unsafe { trt_sys::trt_onnx_parser_nb_errors(self.raw) };
        if n < 0 {
            return Err(logger.failure("onnx_parser_errors"));
        }
        let text = |p: *const std::ffi::c_char| {
            if p.is_null() {
                String::new()
            } else {
                // SAFETY: the shim hands NUL-terminated strings owned by the parser, valid until its next parse or
                // destroy; copied at once.
                unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
            }
        };
        (0..n)
            .map(|i| {
                let mut e = trt_sys::trt_onnx_error::default();
                // SAFETY: `raw` is live, `e` writable, the index in range.
                if unsafe { trt_sys::trt_onnx_parser_error(self.raw, i, &mut e) } != 0 {
                    return Err(logger.failure("onnx_parser_error"));
                }
                Ok(OnnxParseError {
                    code: e.code,
                    message: text(e.desc),
                    node: (e.node >= 0).then_some(e.node),
                    node_name: text(e.node_name),
                    op_type: text(e.node_operator),
                })
            })
            .collect()
    }
}

impl<'b> Network<'b> {
    /// Parses an ONNX model (bytes of a ModelProto, weights embedded) into a new network of `builder` with
    /// TensorRT's own ONNX parser (`nvonnxparser::createParser`, then `IParser::parse`). The parser is kept alive
    /// as long as the network (it owns the weights).
    ///
    /// The parser library is loaded on first use with [`trt_sys::OnnxParserLibrary::load`] (beside the TensorRT
    /// library first; `TENSORRT_ONNX_PARSER_LIBRARY` names one): a failure is [`Error::OnnxLoad`]. A model the
    /// parser refuses is [`Error::OnnxParse`] with each of its errors.
    ///
    /// "Parsed" is not "a model": the parser accepts bytes that decode as an empty ModelProto (no bytes at all,
    /// and some text, measured) and writes an empty network, which building then refuses. Check
    /// [`Network::nb_outputs`] where that matters.
    pub fn from_onnx(builder: &'b Builder<'_>, model: &[u8]) -> Result<Network<'b>> {
        let library = trt_sys::OnnxParserLibrary::load()?;
        Self::parse_with(builder, library, model)
    }

    /// Same, reading `path` (an Io error names the file).
    pub fn from_onnx_file(builder: &'b Builder<'_>, path: impl AsRef<Path>) -> Result<Network<'b>> {
        let path = path.as_ref();
        let model = std::fs::read(path).map_err(|source| Error::Io {
            op: "read ONNX model",
            path: path.to_owned(),
            source,
        })?;
        Self::from_onnx(builder, &model)
    }

    /// [`Network::from_onnx`] with a parser library loaded by the caller ([`trt_sys::OnnxParserLibrary::load_with`]
    /// or [`trt_sys::OnnxParserLibrary::load_from`]).
    pub fn parse_with(
        builder: &'b Builder<'_>,
        library: &trt_sys::OnnxParserLibrary,
        model: &[u8],
    ) -> Result<Network<'b>> {
        let mut network = builder.create_network()?;
        let logger = network.logger().clone();
        logger.clear_errors();
        // SAFETY: the entry points come from the loaded parser library; the network and logger are live, and the
        // parser is destroyed before the network (`Network`'s `Drop`).
        let raw =
            unsafe { trt_sys::trt_onnx_parser_create(library.api(), network.raw(), logger.raw()) };
        if raw.is_null() {
            return Err(logger.failure("onnx_parser_create"));
        }
        let parser = Parser { raw };
        logger.clear_errors();
        // SAFETY: `model` is readable for its length during the call (NvOnnxParser.h: "Can be freed after this
        // function returns"); no model path: weights are embedded.
        let rc = unsafe {
            trt_sys::trt_onnx_parser_parse(
                parser.raw,
                model.as_ptr().cast(),
                model.len(),
                std::ptr::null(),
            )
        };
        match rc {
            0 => {
                network.parser = Some(parser);
                Ok(network)
            }
            1 => {
                let mut errors = parser.errors(&logger)?;
                if errors.is_empty() {
                    // Refused with no recorded error: what it logged is all there is.
                    errors.push(OnnxParseError {
                        code: -1,
                        message: logger.recorded_errors(),
                        node: None,
                        node_name: String::new(),
                        op_type: String::new(),
                    });
                }
                // `network` is dropped after `parser` here too (locals drop in reverse order).
                drop(parser);
                Err(Error::OnnxParse { errors })
            }
            _ => Err(logger.failure("onnx_parse")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(node: Option<i64>, message: &str) -> OnnxParseError {
        OnnxParseError {
            code: 8,
            message: message.into(),
            node,
            node_name: "conv_1".into(),
            op_type: "Conv".into(),
        }
    }

    #[test]
    fn display_is_one_line_with_the_node_and_the_count() {
        let one = error(Some(3), "Assertion failed: x\nIn function y");
        assert_eq!(
            one.to_string(),
            "node 3 'conv_1' (Conv): Assertion failed: x | In function y"
        );
        assert_eq!(error(None, "bad").to_string(), "bad");
        let all = Error::OnnxParse {
            errors: vec![one.clone(), error(None, "b"), error(None, "c")],
        };
        assert_eq!(
            all.to_string(),
            "ONNX parser: node 3 'conv_1' (Conv): Assertion failed: x | In function y (and 2 more errors)"
        );
        assert_eq!(
            Error::OnnxParse { errors: vec![one] }
                .to_string()
                .lines()
                .count(),
            1
        );
        assert_eq!(
            Error::OnnxParse { errors: vec![] }.to_string(),
            "the ONNX parser refused the model without an error"
        );
        assert_eq!(error(None, "").code_name(), "kUNSUPPORTED_NODE");
    }
}

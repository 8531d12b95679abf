//! [`Logger`]: TensorRT's `nvinfer1::ILogger`, routed to `tracing`, with error capture.

use std::ffi::{c_char, c_void, CStr};
use std::sync::Arc;

use crate::enums::Severity;
use crate::error::{Error, Result};

/// TensorRT's logger ([`nvinfer1::ILogger`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_logger.html)).
///
/// Messages at or above the severity filter go to [`tracing`] under the target `tensorrt`
/// (internal errors and errors at `error!`, warnings at `warn!`, info at `info!`, verbose at `debug!`).
/// Every error TensorRT logs is also recorded, whatever the filter, so that a failed call returns
/// TensorRT's own message in [`Error::TensorRt`]. Cheap to clone (shared).
///
/// A logger shared between threads that fail at the same time may attribute one thread's message to
/// the other's error; give each thread its own logger where that matters.
///
/// The underlying `nvinfer1::ILogger` is never freed, only reused by the next `Logger::new`: some TensorRT
/// releases keep a single process-wide logger pointer while any builder or runtime exists, so it must stay
/// valid after this `Logger` is dropped.
#[derive(Clone)]
pub struct Logger {
    inner: Arc<LoggerInner>,
}

pub(crate) struct LoggerInner {
    raw: *mut trt_sys::trt_logger,
}

// SAFETY: the shim's logger guards its recorded errors with a mutex, its severity is a plain int written
// atomically enough for a filter, and the callback (`log_to_tracing`) only calls into `tracing`, which is
// thread-safe. TensorRT itself calls loggers from several threads.
unsafe impl Send for LoggerInner {}
// SAFETY: see `Send`.
unsafe impl Sync for LoggerInner {}

/// Shim loggers no longer owned by any [`Logger`]. They are never freed but reused: some TensorRT releases
/// keep one process-wide logger pointer for as long as any builder or runtime exists ("TensorRT maintains
/// only a single logger pointer at any given time"), so a logger handed to TensorRT must stay valid even
/// after every `Logger` using it is gone. Reuse bounds the memory to the most loggers alive at once.
static RETIRED: std::sync::Mutex<Vec<RetiredLogger>> = std::sync::Mutex::new(Vec::new());

struct RetiredLogger(*mut trt_sys::trt_logger);

// SAFETY: a shim logger is thread-safe (see `LoggerInner`); the pointer is only moved between threads.
unsafe impl Send for RetiredLogger {}

impl Drop for LoggerInner {
    fn drop(&mut self) {
        // Not destroyed (see RETIRED): silenced of recorded errors and parked for reuse.
        // SAFETY: `raw` is a live shim logger.
        unsafe { trt_sys::trt_logger_clear_errors(self.raw) };
        if let Ok(mut retired) = RETIRED.lock() {
            retired.push(RetiredLogger(self.raw));
        }
    }
}

/// Warnings TensorRT prints for constructs that are correct and emitted on purpose, demoted to
/// `debug!` so that a default (`warn`) log shows none:
/// - "dynamic size detected, getSize works only for static size": printed for every slice whose
///   size comes from a shape tensor (a `narrow` under a dynamic batch); the size is read at run
///   time, as intended.
pub(crate) const EXPECTED_WARNINGS: &[&str] =
    &["dynamic size detected, getSize works only for static size"];

/// The `tracing` level of a TensorRT message: its severity, except that the
/// [`EXPECTED_WARNINGS`] are demoted to debug.
fn level(severity: i32, text: &str) -> tracing::Level {
    match severity {
        0 | 1 => tracing::Level::ERROR,
        2 if EXPECTED_WARNINGS.iter().any(|w| text.contains(w)) => tracing::Level::DEBUG,
        2 => tracing::Level::WARN,
        3 => tracing::Level::INFO,
        _ => tracing::Level::DEBUG,
    }
}

extern "C" fn log_to_tracing(_user: *mut c_void, severity: i32, message: *const c_char) {
    if message.is_null() {
        return;
    }
    // SAFETY: the shim passes a NUL-terminated string valid for the duration of the call.
    let text = unsafe { CStr::from_ptr(message) }.to_string_lossy();
    // tracing does not unwind here unless a subscriber panics; a panic must not cross into C++.
    let _ = std::panic::catch_unwind(|| match (severity, level(severity, &text)) {
        (0, _) => tracing::error!(target: "tensorrt", internal = true, "{text}"),
        (_, tracing::Level::ERROR) => tracing::error!(target: "tensorrt", "{text}"),
        (_, tracing::Level::WARN) => tracing::warn!(target: "tensorrt", "{text}"),
        (_, tracing::Level::INFO) => tracing::info!(target: "tensorrt", "{text}"),
        (2, _) => tracing::debug!(target: "tensorrt", expected = true, "{text}"),
        _ => tracing::debug!(target: "tensorrt", "{text}"),
    });
}

impl Logger {
    /// A logger passing messages of `min_severity` or more severe to `tracing`.
    pub fn new(min_severity: Severity) -> Result<Self> {
        let reused = RETIRED.lock().ok().and_then(|mut r| r.pop());
        if let Some(RetiredLogger(raw)) = reused {
            // SAFETY: a retired logger is live (never destroyed) and owned by no other `Logger`.
            unsafe {
                trt_sys::trt_logger_set_min_severity(raw, min_severity as i32);
                trt_sys::trt_logger_clear_errors(raw);
            }
            return Ok(Logger {
                inner: Arc::new(LoggerInner { raw }),
            });
        }
        // SAFETY: the callback is a plain function valid for the program's life; no user data.
        let raw = unsafe {
            trt_sys::trt_logger_create(
                Some(log_to_tracing),
                std::ptr::null_mut(),
                min_severity as i32,
            )
        };
        if raw.is_null() {
            return Err(Error::TensorRt {
                op: "create_logger",
                message: "could not create the logger".into(),
                detail: trt_sys::take_last_error(),
            });
        }
        Ok(Logger {
            inner: Arc::new(LoggerInner { raw }),
        })
    }

    /// Changes the severity filter.
    pub fn set_min_severity(&self, min_severity: Severity) {
        // SAFETY: `raw` is a live logger.
        unsafe { trt_sys::trt_logger_set_min_severity(self.inner.raw, min_severity as i32) };
    }

    pub(crate) fn raw(&self) -> *mut trt_sys::trt_logger {
        self.inner.raw
    }

    /// Forgets recorded errors; called before each fallible TensorRT call.
    pub(crate) fn clear_errors(&self) {
        trt_sys::take_last_error();
        // SAFETY: `raw` is a live logger.
        unsafe { trt_sys::trt_logger_clear_errors(self.inner.raw) };
    }

    /// The errors TensorRT logged since the start of the last fallible call, newline-separated.
    pub fn recorded_errors(&self) -> String {
        // SAFETY: a null buffer with capacity 0 only asks for the length.
        let len =
            unsafe { trt_sys::trt_logger_copy_errors(self.inner.raw, std::ptr::null_mut(), 0) };
        if len == 0 {
            return String::new();
        }
        let mut buf = vec![0u8; len + 1];
        // SAFETY: `buf` has `len + 1` writable bytes, as declared.
        let written = unsafe {
            trt_sys::trt_logger_copy_errors(self.inner.raw, buf.as_mut_ptr().cast(), buf.len())
        };
        buf.truncate(written.min(len));
        String::from_utf8_lossy(&buf).into_owned()
    }

    /// An [`Error::TensorRt`] for a failed `op`, with what TensorRT logged and the shim's text.
    pub(crate) fn failure(&self, op: &'static str) -> Error {
        let detail = trt_sys::take_last_error();
        let logged = self.recorded_errors();
        let message = if logged.is_empty() {
            if detail.is_empty() {
                "TensorRT reported failure without a message".to_owned()
            } else {
                detail.clone()
            }
        } else {
            logged
        };
        Error::TensorRt {
            op,
            message,
            detail,
        }
    }
}

impl std::fmt::Debug for Logger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logger").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expected warning is demoted (the text as TensorRT-RTX 1.7 prints it for a slice sized
    /// by a shape tensor); other warnings and errors keep their level.
    #[test]
    fn expected_warnings_are_demoted() {
        let msg = "[slice] dynamic size detected, getSize works only for static size";
        assert_eq!(level(2, msg), tracing::Level::DEBUG);
        assert_eq!(level(2, "Unused Input: x"), tracing::Level::WARN);
        assert_eq!(level(1, msg), tracing::Level::ERROR);
        assert_eq!(
            level(3, "Total Host Persistent Memory"),
            tracing::Level::INFO
        );
    }

    #[test]
    fn failure_without_logged_errors_uses_the_shim_text() {
        let logger = Logger::new(Severity::Warning).unwrap();
        logger.clear_errors();
        let err = logger.failure("probe");
        assert!(matches!(err, Error::TensorRt { op: "probe", .. }));
        assert!(err.to_string().contains("probe failed"), "{err}");
    }
}

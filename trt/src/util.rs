//! Small helpers: C strings and atomic file writes.

use std::ffi::CString;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

pub(crate) fn cstring(op: &'static str, s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::invalid(op, format!("{s:?} contains a NUL byte")))
}

/// Writes `bytes` to `path` through a temporary file in the same directory, synced, then renamed into place, so
/// readers never see a partial file and a failure leaves nothing behind (an existing `path` stays intact).
///
/// `op` names the operation in the error (`"write engine"`). Used by [`SerializedEngine::save`](crate::SerializedEngine::save),
/// [`TimingCache::save`](crate::TimingCache::save) and by crates above `trt` that write files (candle2trt's engine files).
pub fn write_atomic(path: &Path, bytes: &[u8], op: &'static str) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let io = |source| Error::Io {
        op,
        path: path.to_owned(),
        source,
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| Error::invalid(op, format!("{} has no file name", path.display())))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => Path::new(".").to_owned(),
    };
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{}",
        file_name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| -> std::io::Result<()> {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_cleans_up() {
        let dir = std::env::temp_dir().join(format!("trt-util-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.bin");
        write_atomic(&path, b"one", "test").unwrap();
        write_atomic(&path, b"two", "test").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file left"
        );
        let bad = dir.join("missing-dir").join("b.bin");
        let err = write_atomic(&bad, b"x", "test").unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err}");
        assert!(!bad.exists());
        fs::remove_dir_all(&dir).unwrap();
    }
}

//! The library search and its errors. Needs no TensorRT library: nothing here loads one successfully,
//! which is also why these tests have their own test binary (a process loads TensorRT at most once).

use std::path::PathBuf;

use trt::{Library, LoadError, SearchConfig};

#[test]
fn load_from_a_nonexistent_path_lists_it() {
    let err = Library::load_from("/nonexistent/dir/libtensorrt_rtx.so.1").unwrap_err();
    let text = err.to_string();
    eprintln!("{text}");
    match &err {
        LoadError::NotFound { attempts, .. } => {
            assert_eq!(attempts.len(), 1);
            assert_eq!(attempts[0].candidate.source, "load_from");
            assert_eq!(attempts[0].reason, "no such file");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        text.contains("/nonexistent/dir/libtensorrt_rtx.so.1"),
        "{text}"
    );
    // The trt-level error wraps it.
    let wrapped: trt::Error = err.into();
    assert!(wrapped.to_string().contains("searched"), "{wrapped}");
}

#[test]
fn load_from_a_file_that_is_not_a_library_reports_the_loader_error() {
    let not_a_library = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let err = Library::load_from(&not_a_library).unwrap_err();
    eprintln!("{err}");
    let LoadError::NotFound { attempts, .. } = &err else {
        panic!("unexpected {err:?}")
    };
    assert_ne!(
        attempts[0].reason, "no such file",
        "the dlopen error is kept"
    );
}

#[test]
fn search_with_the_environment_pointing_nowhere_lists_every_place() {
    let config = SearchConfig::from_lookup(|name| match name {
        "TENSORRT_LIBRARY" => Some("/nowhere/libtensorrt.so".into()),
        "TENSORRT_LIB_DIR" => Some("/nowhere/lib".into()),
        "CANDLE2TRT_DEPS" => Some("/nowhere/deps".into()),
        "VIRTUAL_ENV" | "HOME" | "CONDA_PREFIX" => Some("/nowhere/home".into()),
        _ => None,
    });
    let mut config = config;
    // The system site-packages of this machine may hold a real wheel: search only the made-up places,
    // and a made-up site-packages directory.
    config.python_site_dirs = vec![PathBuf::from("/nowhere/site-packages")];
    config.system_loader = false;
    let err = Library::load_with(&config).unwrap_err();
    let text = err.to_string();
    eprintln!("{text}");
    let LoadError::NotFound { attempts, .. } = &err else {
        panic!("unexpected {err:?}")
    };
    let sources: Vec<_> = attempts
        .iter()
        .map(|a| a.candidate.source.as_str())
        .collect();
    assert_eq!(sources.len(), 4, "{sources:?}");
    assert_eq!(sources[0], "TENSORRT_LIBRARY");
    assert_eq!(sources[1], "TENSORRT_LIB_DIR");
    assert!(sources[2].starts_with("pip "), "{sources:?}");
    assert!(sources[3].contains("CANDLE2TRT_DEPS"), "{sources:?}");
    for place in [
        "/nowhere/libtensorrt.so",
        "/nowhere/lib/",
        "/nowhere/site-packages/",
        "/nowhere/deps/",
    ] {
        assert!(text.contains(place), "{place} missing from:\n{text}");
    }
    assert!(text.contains("cargo xtask setup"), "{text}");
}

#[test]
fn system_loader_failure_is_reported() {
    let config = SearchConfig {
        system_loader: true,
        ..SearchConfig::default()
    };
    match Library::load_with(&config) {
        // The soname is on this machine's loader path: fine, but then this process has it loaded.
        Ok(lib) => eprintln!("system loader found {}", lib.path().display()),
        Err(err) => {
            eprintln!("{err}");
            let LoadError::NotFound { attempts, .. } = &err else {
                panic!("unexpected {err:?}")
            };
            assert_eq!(attempts.len(), 1);
            assert_eq!(attempts[0].candidate.source, "system loader");
            assert!(!attempts[0].reason.is_empty());
        }
    }
}

#[test]
fn default_search_order_is_documented_order() {
    let config = SearchConfig::from_env();
    let candidates = config.candidates();
    eprintln!("default search:");
    for c in &candidates {
        eprintln!("  {} [{}]", c.path.display(), c.source);
    }
    assert_eq!(
        candidates.last().map(|c| c.source.as_str()),
        Some("system loader")
    );
}

/// Compiles a stand-in shared library exporting TensorRT's entry points (with the given version), or
/// `None` if no C compiler is available.
fn fake_library(dir: &std::path::Path, name: &str, source: &str) -> Option<PathBuf> {
    let c = dir.join(format!("{name}.c"));
    let so = dir.join(format!("{name}.so"));
    std::fs::write(&c, source).unwrap();
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    match std::process::Command::new(&compiler)
        .arg("-shared")
        .arg("-fPIC")
        .arg("-o")
        .arg(&so)
        .arg(&c)
        .status()
    {
        Ok(s) if s.success() => Some(so),
        other => {
            eprintln!("SKIPPED: no C compiler to build a stand-in library ({compiler}: {other:?})");
            None
        }
    }
}

#[test]
fn a_library_of_another_version_is_refused_naming_both_versions() {
    let dir = tempfile::tempdir().unwrap();
    let source = "int getInferLibVersion(void) { return 100300; }\n\
                  void* createInferBuilder_INTERNAL(void* l, int v) { return 0; }\n\
                  void* createInferRuntime_INTERNAL(void* l, int v) { return 0; }\n";
    let Some(so) = fake_library(dir.path(), "libfake_trt_10_3", source) else {
        return;
    };
    let err = Library::load_from(&so).unwrap_err();
    eprintln!("{err}");
    match &err {
        LoadError::VersionMismatch {
            library, headers, ..
        } => {
            assert_eq!((library.major, library.minor), (10, 3));
            assert_eq!(*headers, trt::header_version());
        }
        other => panic!("unexpected {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("10.3.0") && text.contains(&trt::header_version().to_string()),
        "{text}"
    );
    assert!(Library::loaded().is_none(), "a refused library is not kept");
}

#[test]
fn a_library_without_tensorrt_symbols_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let Some(so) = fake_library(
        dir.path(),
        "libnot_trt",
        "int something_else(void) { return 1; }\n",
    ) else {
        return;
    };
    let err = Library::load_from(&so).unwrap_err();
    eprintln!("{err}");
    assert!(
        matches!(&err, LoadError::MissingSymbol { symbol, .. } if symbol == "createInferBuilder_INTERNAL"),
        "{err:?}"
    );
}

//! The library search and its errors. Needs no TensorRT library: nothing here loads one successfully,
//! which is also why these tests have their own test binary (a process loads TensorRT at most once).

mod common;

use std::path::PathBuf;

use trt::{Library, LoadError, OnnxLoadError, OnnxParserLibrary, OnnxSearchConfig, SearchConfig};

#[test]
fn load_from_a_nonexistent_path_lists_it() {
    let err = Library::load_from("/nonexistent/dir/libtensorrt_rtx.so.1").unwrap_err();
    let text = err.to_string();
    eprintln!("{text}");
    match &err {
        LoadError::Named { candidate, reason } => {
            assert_eq!(candidate.source, "load_from");
            assert_eq!(reason, "no such file");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        text.starts_with("could not load the TensorRT library /nonexistent/dir/libtensorrt_rtx.so.1 named by load_from: no such file;"),
        "{text}"
    );
    // The trt-level error wraps it.
    let wrapped: trt::Error = err.into();
    assert_eq!(wrapped.to_string(), text);
}

#[test]
fn load_from_a_file_that_is_not_a_library_reports_the_loader_error() {
    let not_a_library = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let err = Library::load_from(&not_a_library).unwrap_err();
    eprintln!("{err}");
    let LoadError::Named { candidate, reason } = &err else {
        panic!("unexpected {err:?}")
    };
    assert_eq!(candidate.path, not_a_library);
    // The system loader's own words.
    assert!(reason.contains("invalid ELF header"), "{reason}");
}

/// A library the user names is used or refused: a file that is no library is not skipped over, even where the
/// usual places hold a loadable one (`cargo xtask setup`'s folder is among them here).
#[test]
fn a_named_library_that_does_not_load_is_refused_not_skipped_over() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join(trt::LIBRARY_NAME);
    // Longer than an ELF header, so that the loader reads it and says why it is no library.
    std::fs::write(&garbage, b"not a shared library\n".repeat(10)).unwrap();
    let search = SearchConfig {
        library_file: None,
        library_dir: None,
        ..SearchConfig::from_env()
    };
    eprintln!("the search a named library must not fall through to:");
    for c in search.candidates() {
        eprintln!("  {} [{}]", c.path.display(), c.source);
    }
    for (config, source) in [
        (
            SearchConfig {
                library_file: Some(garbage.clone()),
                ..search.clone()
            },
            "TENSORRT_LIBRARY",
        ),
        (
            SearchConfig {
                library_dir: Some(dir.path().to_owned()),
                ..search.clone()
            },
            "TENSORRT_LIB_DIR",
        ),
    ] {
        let err = Library::load_with(&config).unwrap_err();
        eprintln!("{err}");
        match &err {
            LoadError::Named { candidate, reason } => {
                assert_eq!(candidate.path, garbage);
                assert_eq!(candidate.source, source);
                assert!(reason.contains("invalid ELF header"), "{reason}");
            }
            other => panic!("{source}: unexpected {other:?}"),
        }
        let text = err.to_string();
        assert!(
            text.contains(&garbage.display().to_string()) && text.contains(source),
            "{text}"
        );
    }
    assert!(Library::loaded().is_none(), "nothing else was loaded");
}

#[test]
fn search_with_the_environment_pointing_nowhere_lists_every_place() {
    // Nothing named: a named library would be the only candidate
    // (`a_named_library_that_does_not_load_is_refused_not_skipped_over`).
    let config = SearchConfig::from_lookup(|name| match name {
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
    assert_eq!(sources.len(), 2, "{sources:?}");
    assert!(sources[0].starts_with("pip "), "{sources:?}");
    assert!(sources[1].contains("CANDLE2TRT_DEPS"), "{sources:?}");
    for place in ["/nowhere/site-packages/", "/nowhere/deps/"] {
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
        Ok(lib) => {
            eprintln!("system loader found {}", lib.path().display());
            assert_eq!(lib.path(), std::path::Path::new(trt::LIBRARY_NAME));
            assert!(lib.version().abi_compatible(&trt::header_version()));
        }
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
    // 1. A library named in the environment is the only candidate.
    if let Some(named) = config.named() {
        assert_eq!(candidates, vec![named]);
    }
    // 2.-4. Otherwise: the pip folders, the `cargo xtask setup` folders ($CANDLE2TRT_DEPS first), the system loader.
    let search = SearchConfig {
        library_file: None,
        library_dir: None,
        ..config
    };
    let (pip, deps_sub) = if trt::HEADERS_ARE_RTX {
        ("tensorrt_rtx_libs", "tensorrt-rtx/tensorrt_rtx_libs")
    } else {
        ("tensorrt_libs", "tensorrt/tensorrt_libs")
    };
    let mut expected = Vec::new();
    for site in &search.python_site_dirs {
        expected.push((site.join(pip).join(trt::LIBRARY_NAME), format!("pip {pip}")));
    }
    for deps in &search.deps_dirs {
        expected.push((
            deps.join(deps_sub).join(trt::LIBRARY_NAME),
            "cargo xtask setup (CANDLE2TRT_DEPS)".to_owned(),
        ));
    }
    expected.push((PathBuf::from(trt::LIBRARY_NAME), "system loader".to_owned()));
    let got: Vec<_> = search
        .candidates()
        .into_iter()
        .map(|c| (c.path, c.source))
        .collect();
    assert_eq!(got, expected);
    if let Some(deps) = std::env::var_os("CANDLE2TRT_DEPS").filter(|d| !d.is_empty()) {
        assert_eq!(search.deps_dirs.first(), Some(&PathBuf::from(deps)));
    }
}

/// Compiles a stand-in shared library exporting TensorRT's entry points (with the given version).
fn fake_library(dir: &std::path::Path, name: &str, source: &str) -> PathBuf {
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
        Ok(s) if s.success() => so,
        // trt-sys compiles its C++ shim with the same toolchain, so a missing compiler is a broken setup.
        other => panic!("could not build a stand-in library with {compiler}: {other:?}"),
    }
}

#[test]
fn a_library_of_another_version_is_refused_naming_both_versions() {
    let dir = tempfile::tempdir().unwrap();
    let source = "int getInferLibVersion(void) { return 100300; }\n\
                  void* createInferBuilder_INTERNAL(void* l, int v) { return 0; }\n\
                  void* createInferRuntime_INTERNAL(void* l, int v) { return 0; }\n";
    let so = fake_library(dir.path(), "libfake_trt_10_3", source);
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
    let so = fake_library(
        dir.path(),
        "libnot_trt",
        "int something_else(void) { return 1; }\n",
    );
    let err = Library::load_from(&so).unwrap_err();
    eprintln!("{err}");
    assert!(
        matches!(&err, LoadError::MissingSymbol { symbol, .. } if symbol == "createInferBuilder_INTERNAL"),
        "{err:?}"
    );
}

/// The ONNX parser library follows the same rule: a named library is used or refused, even where the search
/// would find a loadable one (`cargo xtask setup`'s folder holds the parser here).
#[test]
fn a_named_onnx_parser_that_does_not_load_is_refused_not_skipped_over() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir
        .path()
        .join("no_such_dir")
        .join(trt::onnx_parser_library_name());
    let garbage = dir.path().join(trt::onnx_parser_library_name());
    std::fs::write(&garbage, b"not a shared library\n".repeat(10)).unwrap();
    let search = OnnxSearchConfig::from_env();
    eprintln!("the search a named parser library must not fall through to:");
    for c in (OnnxSearchConfig {
        library_file: None,
        ..search.clone()
    })
    .candidates()
    {
        eprintln!("  {} [{}]", c.path.display(), c.source);
    }
    for (path, why) in [(&missing, "no such file"), (&garbage, "invalid ELF header")] {
        let config = OnnxSearchConfig {
            library_file: Some(path.clone()),
            ..search.clone()
        };
        let err = OnnxParserLibrary::load_with(&config).unwrap_err();
        eprintln!("{err}");
        match &err {
            OnnxLoadError::Named { candidate, reason } => {
                assert_eq!(&candidate.path, path);
                assert_eq!(candidate.source, "TENSORRT_ONNX_PARSER_LIBRARY");
                assert!(reason.contains(why), "{reason}");
            }
            other => panic!("unexpected {other:?}"),
        }
        let text = err.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("nothing else was tried"), "{text}");
        // The trt-level error wraps it.
        assert_eq!(trt::Error::from(err).to_string(), text);
    }
    let err = OnnxParserLibrary::load_from(&missing).unwrap_err();
    assert!(
        matches!(&err, OnnxLoadError::Named { reason, .. } if reason == "no such file"),
        "{err:?}"
    );
    assert!(
        OnnxParserLibrary::loaded().is_none(),
        "nothing else was loaded"
    );
}

#[test]
fn onnx_parser_search_pointing_nowhere_lists_every_place() {
    let config = OnnxSearchConfig {
        library_file: None,
        beside: Some("/nowhere/trt".into()),
        python_site_dirs: vec!["/nowhere/site-packages".into()],
        deps_dirs: vec!["/nowhere/deps".into()],
        system_loader: false,
    };
    let err = OnnxParserLibrary::load_with(&config).unwrap_err();
    let text = err.to_string();
    eprintln!("{text}");
    let OnnxLoadError::NotFound { attempts, .. } = &err else {
        panic!("unexpected {err:?}")
    };
    let sources: Vec<_> = attempts
        .iter()
        .map(|a| a.candidate.source.as_str())
        .collect();
    assert_eq!(sources.len(), 3, "{sources:?}");
    assert_eq!(sources[0], "beside the TensorRT library");
    for place in ["/nowhere/trt/", "/nowhere/site-packages/", "/nowhere/deps/"] {
        assert!(text.contains(place), "{place} missing from:\n{text}");
    }
}

#[test]
fn an_onnx_parser_of_another_interface_version_is_refused_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    // NV_ONNX_PARSER_VERSION 0.1.0 (TensorRT 10's NvOnnxParser.h); these headers say 0.2.0.
    let source = "int getNvOnnxParserVersion(void) { return 100; }\n\
                  void* createNvOnnxParser_INTERNAL(void* n, void* l, int v) { return 0; }\n";
    let so = fake_library(dir.path(), "libfake_onnxparser_0_1", source);
    let err = OnnxParserLibrary::load_from(&so).unwrap_err();
    eprintln!("{err}");
    match &err {
        OnnxLoadError::VersionMismatch {
            library, headers, ..
        } => {
            assert_eq!((library.major, library.minor), (0, 1));
            assert_eq!(Some(*headers), trt::onnx_parser_header_version());
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        err.to_string().contains("0.1.0") && err.to_string().contains("0.2.0"),
        "{err}"
    );
    assert!(
        OnnxParserLibrary::loaded().is_none(),
        "a refused library is not kept"
    );

    let so = fake_library(
        dir.path(),
        "libnot_a_parser",
        "int something_else(void) { return 1; }\n",
    );
    let err = OnnxParserLibrary::load_from(&so).unwrap_err();
    assert!(
        matches!(&err, OnnxLoadError::MissingSymbol { symbol, .. } if symbol == "createNvOnnxParser_INTERNAL"),
        "{err:?}"
    );
}

/// `cargo xtask test`'s Enterprise-header step may skip for want of a TensorRT 11.4 library only where the search
/// found none (or one of another version); a library the user named that does not load fails the tests.
#[test]
fn only_a_searched_for_library_may_be_absent() {
    let not_found = LoadError::NotFound {
        library: "libnvinfer.so.11".into(),
        attempts: Vec::new(),
    };
    let mismatch = LoadError::VersionMismatch {
        path: "/l/libnvinfer.so.11".into(),
        library: trt::Version {
            major: 1,
            minor: 7,
            patch: 1,
        },
        headers: trt::Version {
            major: 11,
            minor: 4,
            patch: 0,
        },
    };
    let named = trt::Candidate {
        path: "/user/libnvinfer.so.11".into(),
        source: "TENSORRT_LIBRARY".into(),
    };
    let refused = LoadError::Named {
        candidate: named.clone(),
        reason: "no such file".into(),
    };
    let h = trt::header_version();
    let tag = format!("no TensorRT {}.{} library: ", h.major, h.minor);
    for e in [&not_found, &mismatch] {
        let reason = common::absent_library_reason(e, None, false).expect("absent");
        assert!(reason.starts_with(&tag), "{reason}");
        // Named, the same errors are failures; and TensorRT-RTX headers always come with their library.
        assert_eq!(common::absent_library_reason(e, Some(&named), false), None);
        assert_eq!(common::absent_library_reason(e, None, true), None);
    }
    assert_eq!(
        common::absent_library_reason(&refused, Some(&named), false),
        None
    );
}

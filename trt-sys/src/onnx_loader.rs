//! Run-time discovery and loading of TensorRT's ONNX parser library (`libtensorrt_onnxparser_rtx.so.1` for
//! TensorRT-RTX, `libnvonnxparser.so.<major>` for TensorRT), with the same rules as the TensorRT library
//! ([`crate::Library`]): a library the user names is used or refused, never skipped over; otherwise a search whose
//! every failed place is listed in the error.
//!
//! The parser library NEEDs no TensorRT library: it reaches TensorRT through the virtual functions of the network
//! it is handed. So it must come from the same release as the TensorRT library loaded, which is why the folder of
//! that library is searched first.

use std::env;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use crate::{trt_onnx_api, Candidate, SearchError, Version, HEADERS_ARE_RTX};

/// File name of the ONNX parser library matching the headers: `libtensorrt_onnxparser_rtx.so.<major>` (TensorRT-RTX)
/// or `libnvonnxparser.so.<major>` (TensorRT).
pub fn onnx_parser_library_name() -> String {
    let major = crate::header_version().major;
    if HEADERS_ARE_RTX {
        format!("libtensorrt_onnxparser_rtx.so.{major}")
    } else {
        format!("libnvonnxparser.so.{major}")
    }
}

/// The version of `NvOnnxParser.h` the shim was compiled against (`NV_ONNX_PARSER_VERSION`; 0.2.0 for both
/// TensorRT-RTX 1.7 and TensorRT 11.4), or `None` when the headers had no `NvOnnxParser.h`.
pub fn onnx_parser_header_version() -> Option<Version> {
    // SAFETY: a constant compiled into the shim.
    let encoded = unsafe { crate::trt_onnx_header_version() };
    (encoded >= 0)
        .then(|| Version::from_encoded(encoded))
        .flatten()
}

/// The loaded ONNX parser library: the dlopen handle and its entry points. At most one per process, never unloaded
/// (parsers hold code pointers into it).
pub struct OnnxParserLibrary {
    // Kept only so the library stays mapped; the entry points in `api` point into it.
    _handle: libloading::Library,
    api: trt_onnx_api,
    path: PathBuf,
    version: Version,
}

// SAFETY: the handle only keeps the library mapped; `api` holds the addresses of the parser factory and version
// getter, which hold no shared state of ours and may be called from any thread.
unsafe impl Send for OnnxParserLibrary {}
// SAFETY: see `Send`: all fields are read-only after construction.
unsafe impl Sync for OnnxParserLibrary {}

impl fmt::Debug for OnnxParserLibrary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnnxParserLibrary")
            .field("path", &self.path)
            .field("version", &self.version)
            .finish()
    }
}

/// Why the ONNX parser library could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnnxLoadError {
    /// No candidate could be opened; every place searched with its error.
    NotFound {
        /// The library file name looked for.
        library: String,
        /// Each attempt, in search order.
        attempts: Vec<SearchError>,
    },
    /// The library the user named (`TENSORRT_ONNX_PARSER_LIBRARY`, or a path given to
    /// [`OnnxParserLibrary::load_from`]) could not be opened. Nothing else was tried.
    Named {
        /// The library named, and by what.
        candidate: Candidate,
        /// Why it could not be opened (the loader's own message, or "no such file").
        reason: String,
    },
    /// A library was opened but lacks an entry point the shim needs.
    MissingSymbol {
        /// The library opened.
        path: PathBuf,
        /// The missing symbol.
        symbol: String,
        /// The loader's message.
        message: String,
    },
    /// The library's `getNvOnnxParserVersion()` does not match the `NV_ONNX_PARSER_VERSION` of the `NvOnnxParser.h`
    /// the shim was compiled against (the layout of `nvonnxparser::IParser` the shim calls).
    VersionMismatch {
        /// The library opened.
        path: PathBuf,
        /// Its version.
        library: Version,
        /// The header's version.
        headers: Version,
    },
    /// The shim was compiled against TensorRT headers without `NvOnnxParser.h`.
    NoHeader,
    /// A different parser library than the one asked for is already loaded in this process.
    AlreadyLoaded {
        /// The library in use.
        loaded: PathBuf,
        /// The one asked for.
        requested: PathBuf,
    },
}

impl fmt::Display for OnnxLoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OnnxLoadError::NotFound { library, attempts } => {
                writeln!(f, "could not load TensorRT's ONNX parser library {library}; searched:")?;
                for a in attempts {
                    writeln!(f, "  - {} [{}]: {}", a.candidate.path.display(), a.candidate.source, a.reason)?;
                }
                write!(
                    f,
                    "fix: set TENSORRT_ONNX_PARSER_LIBRARY to the parser library file (it ships beside the TensorRT \
                     library, in the same pip wheel)"
                )
            }
            OnnxLoadError::Named { candidate, reason } => write!(
                f,
                "could not load the ONNX parser library {} named by {}: {reason}; nothing else was tried",
                candidate.path.display(),
                candidate.source
            ),
            OnnxLoadError::MissingSymbol { path, symbol, message } => write!(
                f,
                "{} has no symbol {symbol} ({message}); is it TensorRT's ONNX parser library?",
                path.display()
            ),
            OnnxLoadError::VersionMismatch { path, library, headers } => write!(
                f,
                "ONNX parser library {} is parser version {library} but trt-sys was compiled against NvOnnxParser.h \
                 version {headers} (major.minor must match); use the parser of the same TensorRT release as the headers",
                path.display()
            ),
            OnnxLoadError::NoHeader => write!(
                f,
                "trt-sys was compiled against TensorRT headers ({}) without NvOnnxParser.h; the ONNX parser cannot \
                 be used",
                crate::HEADER_DIR
            ),
            OnnxLoadError::AlreadyLoaded { loaded, requested } => write!(
                f,
                "cannot load {}: ONNX parser library {} is already loaded in this process",
                requested.display(),
                loaded.display()
            ),
        }
    }
}

impl std::error::Error for OnnxLoadError {}

/// The places [`OnnxParserLibrary::load_with`] searches, in order. [`OnnxSearchConfig::from_env`] is what
/// [`OnnxParserLibrary::load`] uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OnnxSearchConfig {
    /// The library named by `TENSORRT_ONNX_PARSER_LIBRARY` (the only candidate when set; set but empty is an
    /// error, reported when loading).
    pub library_file: Option<PathBuf>,
    /// The folder of the TensorRT library loaded in this process, searched first.
    pub beside: Option<PathBuf>,
    /// Python `site-packages` / `dist-packages` directories, for the pip `tensorrt_rtx_libs` / `tensorrt_libs`
    /// folders.
    pub python_site_dirs: Vec<PathBuf>,
    /// `cargo xtask setup` deps directories (`tensorrt-rtx/tensorrt_rtx_libs/` or `tensorrt/tensorrt_libs/` inside).
    pub deps_dirs: Vec<PathBuf>,
    /// Finally ask the system loader for the bare soname.
    pub system_loader: bool,
}

/// `TENSORRT_ONNX_PARSER_LIBRARY` set to the empty string: named, but naming nothing.
const EMPTY_NAME: &str = "";

impl OnnxSearchConfig {
    /// The search of [`OnnxParserLibrary::load`]: the process environment, and beside the TensorRT library
    /// already loaded.
    pub fn from_env() -> Self {
        let mut config = Self::from_lookup(|name| env::var_os(name));
        config.beside = crate::Library::loaded()
            .and_then(|lib| lib.path().parent().map(Path::to_owned))
            .filter(|dir| !dir.as_os_str().is_empty());
        if let Some(baked) = option_env!("TRT_SYS_BUILD_DEPS_DIR") {
            let baked = PathBuf::from(baked);
            if !config.deps_dirs.contains(&baked) {
                config.deps_dirs.push(baked);
            }
        }
        config
    }

    /// Like [`OnnxSearchConfig::from_env`], reading variables through `lookup`, with no `beside` folder and
    /// without the deps directory baked in at build time.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<OsString>) -> Self {
        let trt = crate::SearchConfig::from_lookup(&lookup);
        OnnxSearchConfig {
            // Set but empty is kept (as an empty path): it names no library, and loading says so.
            library_file: lookup("TENSORRT_ONNX_PARSER_LIBRARY").map(PathBuf::from),
            beside: None,
            python_site_dirs: trt.python_site_dirs,
            deps_dirs: trt.deps_dirs,
            system_loader: true,
        }
    }

    /// The library the user named, if any.
    pub fn named(&self) -> Option<Candidate> {
        self.library_file.as_ref().map(|file| Candidate {
            path: file.clone(),
            source: "TENSORRT_ONNX_PARSER_LIBRARY".into(),
        })
    }

    /// Every candidate, in the order tried: the named library alone, or else beside the TensorRT library, the pip
    /// folders, the `cargo xtask setup` deps directories and the system loader.
    pub fn candidates(&self) -> Vec<Candidate> {
        if let Some(named) = self.named() {
            return vec![named];
        }
        let name = onnx_parser_library_name();
        let cand = |path: PathBuf, source: &str| Candidate {
            path,
            source: source.to_owned(),
        };
        let mut out = Vec::new();
        if let Some(dir) = &self.beside {
            out.push(cand(dir.join(&name), "beside the TensorRT library"));
        }
        let (pip_folder, deps_sub) = if HEADERS_ARE_RTX {
            ("tensorrt_rtx_libs", "tensorrt-rtx/tensorrt_rtx_libs")
        } else {
            ("tensorrt_libs", "tensorrt/tensorrt_libs")
        };
        for site in &self.python_site_dirs {
            out.push(cand(
                site.join(pip_folder).join(&name),
                &format!("pip {pip_folder}"),
            ));
        }
        for deps in &self.deps_dirs {
            out.push(cand(
                deps.join(deps_sub).join(&name),
                "cargo xtask setup (CANDLE2TRT_DEPS)",
            ));
        }
        if self.system_loader {
            out.push(cand(PathBuf::from(&name), "system loader"));
        }
        // The folder of the TensorRT library is usually one of the others too: try each file once.
        let mut seen = std::collections::HashSet::new();
        out.retain(|c| seen.insert(c.path.clone()));
        out
    }
}

static LOADED: OnceLock<OnnxParserLibrary> = OnceLock::new();
static LOADING: Mutex<()> = Mutex::new(());

impl OnnxParserLibrary {
    /// The parser library already loaded in this process, if any.
    pub fn loaded() -> Option<&'static OnnxParserLibrary> {
        LOADED.get()
    }

    /// Loads the parser library from the places of [`OnnxSearchConfig::from_env`]:
    ///
    /// 1. `TENSORRT_ONNX_PARSER_LIBRARY`: when set, that file is the only one tried ([`OnnxLoadError::Named`]
    ///    names it and why it did not load; set but empty is such an error too);
    ///
    /// otherwise, in order:
    ///
    /// 2. the folder of the TensorRT library loaded in this process (the parser must be of the same release);
    /// 3. pip-installed `tensorrt_rtx_libs` / `tensorrt_libs` folders (as [`crate::Library::load`]);
    /// 4. `$CANDLE2TRT_DEPS/tensorrt-rtx/tensorrt_rtx_libs` (from `cargo xtask setup`);
    /// 5. the system loader, by soname ([`onnx_parser_library_name`]).
    ///
    /// Returns the library already loaded if there is one.
    pub fn load() -> Result<&'static OnnxParserLibrary, OnnxLoadError> {
        if let Some(lib) = LOADED.get() {
            return Ok(lib);
        }
        Self::load_with(&OnnxSearchConfig::from_env())
    }

    /// Loads the parser library from the candidates of `config` (see [`OnnxParserLibrary::load`]); returns the
    /// library already loaded if there is one and `config` names none or names that one.
    pub fn load_with(
        config: &OnnxSearchConfig,
    ) -> Result<&'static OnnxParserLibrary, OnnxLoadError> {
        match config.named() {
            Some(named) => Self::load_named(named),
            None => {
                let mut attempts = Vec::new();
                Self::load_first(config.candidates(), &mut attempts)?.ok_or_else(|| {
                    OnnxLoadError::NotFound {
                        library: onnx_parser_library_name(),
                        attempts,
                    }
                })
            }
        }
    }

    /// Loads the parser library from exactly `path` ([`OnnxLoadError::Named`] when it cannot be opened). If one is
    /// already loaded, succeeds only when it is that same file.
    pub fn load_from(path: impl AsRef<Path>) -> Result<&'static OnnxParserLibrary, OnnxLoadError> {
        Self::load_named(Candidate {
            path: path.as_ref().to_owned(),
            source: "OnnxParserLibrary::load_from".into(),
        })
    }

    fn load_named(named: Candidate) -> Result<&'static OnnxParserLibrary, OnnxLoadError> {
        if named.path.as_os_str() == EMPTY_NAME {
            return Err(OnnxLoadError::Named {
                candidate: named,
                reason: "set but empty".into(),
            });
        }
        if let Some(lib) = LOADED.get() {
            return Self::same_or_conflict(lib, &named.path);
        }
        let requested = named.path.clone();
        let mut attempts = Vec::new();
        match Self::load_first(vec![named], &mut attempts)? {
            Some(lib) => Self::same_or_conflict(lib, &requested),
            None => {
                let SearchError { candidate, reason } = attempts.remove(0);
                Err(OnnxLoadError::Named { candidate, reason })
            }
        }
    }

    fn same_or_conflict(
        lib: &'static OnnxParserLibrary,
        path: &Path,
    ) -> Result<&'static OnnxParserLibrary, OnnxLoadError> {
        let same = lib.path == path
            || matches!((std::fs::canonicalize(&lib.path), std::fs::canonicalize(path)), (Ok(a), Ok(b)) if a == b);
        if same {
            Ok(lib)
        } else {
            Err(OnnxLoadError::AlreadyLoaded {
                loaded: lib.path.clone(),
                requested: path.to_owned(),
            })
        }
    }

    /// Opens the first candidate the system loader accepts and checks it; `None` when none could be opened, each
    /// failure then recorded in `attempts`.
    fn load_first(
        candidates: Vec<Candidate>,
        attempts: &mut Vec<SearchError>,
    ) -> Result<Option<&'static OnnxParserLibrary>, OnnxLoadError> {
        let headers = onnx_parser_header_version().ok_or(OnnxLoadError::NoHeader)?;
        if let Some(lib) = LOADED.get() {
            return Ok(Some(lib));
        }
        // Serialize loaders so a library is opened (and version-checked) once.
        let _guard = LOADING
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(lib) = LOADED.get() {
            return Ok(Some(lib));
        }
        for candidate in candidates {
            let is_bare_name =
                candidate.path.components().count() == 1 && candidate.source == "system loader";
            if !is_bare_name && !candidate.path.exists() {
                attempts.push(SearchError {
                    candidate,
                    reason: "no such file".into(),
                });
                continue;
            }
            // SAFETY: opening a shared library runs its initializers; the parser's are the vendor's own and have no
            // preconditions. The handle is kept for the rest of the process.
            match unsafe { libloading::Library::new(candidate.path.as_os_str()) } {
                Ok(handle) => {
                    let lib = Self::from_handle(handle, candidate.path, headers)?;
                    return Ok(Some(LOADED.get_or_init(|| lib)));
                }
                Err(e) => attempts.push(SearchError {
                    candidate,
                    reason: e.to_string(),
                }),
            }
        }
        Ok(None)
    }

    fn from_handle(
        handle: libloading::Library,
        path: PathBuf,
        headers: Version,
    ) -> Result<OnnxParserLibrary, OnnxLoadError> {
        let symbol = |name: &str| -> Result<*mut std::ffi::c_void, OnnxLoadError> {
            // SAFETY: the symbol is only read as an address here; the shim casts it to the signature NvOnnxParser.h
            // declares for it.
            let sym = unsafe { handle.get::<*mut std::ffi::c_void>(name.as_bytes()) };
            sym.map(|s| *s).map_err(|e| OnnxLoadError::MissingSymbol {
                path: path.clone(),
                symbol: name.to_owned(),
                message: e.to_string(),
            })
        };
        let api = trt_onnx_api {
            create_parser: symbol("createNvOnnxParser_INTERNAL")?,
            get_parser_version: symbol("getNvOnnxParserVersion")?,
        };
        // SAFETY: `api` holds addresses just resolved from a library that stays loaded during the call.
        let encoded = unsafe { crate::trt_onnx_library_version(&api) };
        let version =
            Version::from_encoded(encoded).ok_or_else(|| OnnxLoadError::MissingSymbol {
                path: path.clone(),
                symbol: "getNvOnnxParserVersion".into(),
                message: format!("returned an invalid version {encoded}"),
            })?;
        // getNvOnnxParserVersion returns the parser library's NV_ONNX_PARSER_VERSION (0.2.0 in TensorRT-RTX 1.7's
        // library, measured), the version of the IParser interface, not TensorRT's: it is compared with the header's.
        if !version.abi_compatible(&headers) {
            return Err(OnnxLoadError::VersionMismatch {
                path,
                library: version,
                headers,
            });
        }
        Ok(OnnxParserLibrary {
            _handle: handle,
            api,
            path,
            version,
        })
    }

    /// The entry points, for the shim's `trt_onnx_parser_create`.
    pub fn api(&self) -> &trt_onnx_api {
        &self.api
    }

    /// The file (or soname) that was opened.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The parser library's own version (`getNvOnnxParserVersion()`: the parser interface's version).
    pub fn version(&self) -> Version {
        self.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_follow_the_documented_order() {
        let name = onnx_parser_library_name();
        let (pip, deps_sub) = if HEADERS_ARE_RTX {
            ("tensorrt_rtx_libs", "tensorrt-rtx/tensorrt_rtx_libs")
        } else {
            ("tensorrt_libs", "tensorrt/tensorrt_libs")
        };
        let search = OnnxSearchConfig {
            library_file: None,
            beside: Some(Path::new("/trt").join(pip)),
            // The TensorRT library's folder is also a pip folder here: tried once, first.
            python_site_dirs: vec!["/c/site-packages".into(), "/trt".into()],
            deps_dirs: vec!["/d".into()],
            system_loader: true,
        };
        let got: Vec<_> = search
            .candidates()
            .into_iter()
            .map(|c| (c.path, c.source))
            .collect();
        let expected = vec![
            (
                Path::new("/trt").join(pip).join(&name),
                "beside the TensorRT library".to_owned(),
            ),
            (
                Path::new("/c/site-packages").join(pip).join(&name),
                format!("pip {pip}"),
            ),
            (
                Path::new("/d").join(deps_sub).join(&name),
                "cargo xtask setup (CANDLE2TRT_DEPS)".to_owned(),
            ),
            (PathBuf::from(&name), "system loader".to_owned()),
        ];
        assert_eq!(got, expected);
        if HEADERS_ARE_RTX {
            assert_eq!(name, "libtensorrt_onnxparser_rtx.so.1");
        } else {
            assert_eq!(
                name,
                format!("libnvonnxparser.so.{}", crate::header_version().major)
            );
        }

        // A named library is the only candidate.
        let named = OnnxSearchConfig {
            library_file: Some("/x/libparser.so".into()),
            ..search
        };
        assert_eq!(
            named.candidates(),
            vec![Candidate {
                path: "/x/libparser.so".into(),
                source: "TENSORRT_ONNX_PARSER_LIBRARY".into(),
            }]
        );
    }

    #[test]
    fn the_variable_names_the_library_even_when_empty() {
        let config = OnnxSearchConfig::from_lookup(|name| match name {
            "TENSORRT_ONNX_PARSER_LIBRARY" => Some("/p/lib.so".into()),
            "CANDLE2TRT_DEPS" => Some("/deps".into()),
            _ => None,
        });
        assert_eq!(config.library_file.as_deref(), Some(Path::new("/p/lib.so")));
        assert_eq!(config.deps_dirs, vec![PathBuf::from("/deps")]);
        let empty = OnnxSearchConfig::from_lookup(|name| {
            (name == "TENSORRT_ONNX_PARSER_LIBRARY").then(|| "".into())
        });
        match OnnxParserLibrary::load_with(&empty) {
            Err(OnnxLoadError::Named { candidate, reason }) => {
                assert_eq!(candidate.source, "TENSORRT_ONNX_PARSER_LIBRARY");
                assert_eq!(reason, "set but empty");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_name_every_place_and_both_versions() {
        let err = OnnxLoadError::NotFound {
            library: "libp.so.1".into(),
            attempts: vec![SearchError {
                candidate: Candidate {
                    path: "/a/libp.so.1".into(),
                    source: "beside the TensorRT library".into(),
                },
                reason: "no such file".into(),
            }],
        };
        let text = err.to_string();
        assert!(
            text.contains("/a/libp.so.1 [beside the TensorRT library]: no such file"),
            "{text}"
        );
        assert!(text.contains("TENSORRT_ONNX_PARSER_LIBRARY"), "{text}");
        let err = OnnxLoadError::VersionMismatch {
            path: "/a/libp.so.1".into(),
            library: Version {
                major: 0,
                minor: 1,
                patch: 0,
            },
            headers: Version {
                major: 0,
                minor: 2,
                patch: 0,
            },
        };
        let text = err.to_string();
        assert!(
            text.contains("0.1.0") && text.contains("0.2.0") && text.contains("/a/libp.so.1"),
            "{text}"
        );
    }

    #[test]
    fn the_header_version_is_the_parsers_interface_version() {
        // Both header sets provisioned here ship NvOnnxParser.h with NV_ONNX_PARSER_VERSION 0.2.0.
        assert_eq!(
            onnx_parser_header_version(),
            Some(Version {
                major: 0,
                minor: 2,
                patch: 0
            })
        );
    }
}

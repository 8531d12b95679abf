//! Run-time discovery and loading of the TensorRT library (dlopen via libloading).

use std::env;
use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use crate::{header_version, trt_api, Version, HEADERS_ARE_RTX, LIBRARY_NAME};

/// The loaded TensorRT library: the dlopen handle and the factory entry points the shim calls.
///
/// There is at most one per process (kept in a `OnceLock`, never unloaded: TensorRT objects hold code
/// pointers into it). Obtain it with [`Library::load`], [`Library::load_from`] or [`Library::load_with`].
pub struct Library {
    // Kept only so the library stays mapped; the entry points in `api` point into it.
    _handle: libloading::Library,
    api: trt_api,
    path: PathBuf,
    version: Version,
}

// SAFETY: the handle is only used to keep the library mapped; `api` holds plain function addresses of
// thread-safe TensorRT entry points (factories and a version getter), which may be called from any thread.
unsafe impl Send for Library {}
// SAFETY: see `Send`: all fields are read-only after construction.
unsafe impl Sync for Library {}

impl fmt::Debug for Library {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Library")
            .field("path", &self.path)
            .field("version", &self.version)
            .finish()
    }
}

/// Where a candidate library path came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// A file path, or a bare soname handed to the system loader.
    pub path: PathBuf,
    /// Human-readable origin: "load_from", "TENSORRT_LIBRARY", "pip tensorrt_rtx_libs", ...
    pub source: String,
}

/// One failed attempt of a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchError {
    /// What was tried.
    pub candidate: Candidate,
    /// Why it failed (the loader's own message, or "no such file").
    pub reason: String,
}

/// Why the TensorRT library could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// No candidate could be opened; every place searched with its error.
    NotFound {
        /// The library file name looked for.
        library: String,
        /// Each attempt, in search order.
        attempts: Vec<SearchError>,
    },
    /// The library the user named (`load_from`, `TENSORRT_LIBRARY`, `TENSORRT_LIB_DIR`) could not be opened. Nothing
    /// else was tried: a named library is used or refused, never skipped over.
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
    /// The library's `getInferLibVersion()` does not match the headers the shim was compiled against.
    VersionMismatch {
        /// The library opened.
        path: PathBuf,
        /// Its version.
        library: Version,
        /// The headers' version.
        headers: Version,
    },
    /// `load_from` asked for a different file than the library already loaded in this process.
    AlreadyLoaded {
        /// The library in use.
        loaded: PathBuf,
        /// The one asked for.
        requested: PathBuf,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::NotFound { library, attempts } => {
                writeln!(f, "could not load the TensorRT library {library}; searched:")?;
                for a in attempts {
                    writeln!(f, "  - {} [{}]: {}", a.candidate.path.display(), a.candidate.source, a.reason)?;
                }
                write!(
                    f,
                    "fix: run `cargo xtask setup`, or set TENSORRT_LIBRARY to the library file, or \
                     TENSORRT_LIB_DIR to the directory holding {library}"
                )
            }
            LoadError::Named { candidate, reason } => write!(
                f,
                "could not load the TensorRT library {} named by {}: {reason}; nothing else was tried (point {} at a \
                 loadable {LIBRARY_NAME}, or unset it to search the usual places)",
                candidate.path.display(),
                candidate.source,
                candidate.source
            ),
            LoadError::MissingSymbol { path, symbol, message } => {
                write!(f, "{} has no symbol {symbol} ({message}); is it a TensorRT library?", path.display())
            }
            LoadError::VersionMismatch { path, library, headers } => write!(
                f,
                "TensorRT library {} is version {library} but trt-sys was compiled against TensorRT headers {headers} \
                 (major.minor must match); point TENSORRT_LIBRARY at a {}.{} library or rebuild against its headers",
                path.display(),
                headers.major,
                headers.minor
            ),
            LoadError::AlreadyLoaded { loaded, requested } => write!(
                f,
                "cannot load {}: TensorRT library {} is already loaded in this process",
                requested.display(),
                loaded.display()
            ),
        }
    }
}

impl std::error::Error for LoadError {}

/// The places [`Library::load_with`] searches, in order. Build one with [`SearchConfig::from_env`]
/// (what [`Library::load`] uses) or by hand (tests, applications with their own configuration).
///
/// A library named by `library_file` or `library_dir` is the only candidate: it is used or refused (see
/// [`SearchConfig::named`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchConfig {
    /// The library file named by `TENSORRT_LIBRARY`.
    pub library_file: Option<PathBuf>,
    /// The directory named by `TENSORRT_LIB_DIR` (the library's file name is appended).
    pub library_dir: Option<PathBuf>,
    /// Python `site-packages` / `dist-packages` directories to look in for a pip-installed
    /// `tensorrt_rtx_libs` (RTX headers) or `tensorrt_libs` (standard TensorRT) folder.
    pub python_site_dirs: Vec<PathBuf>,
    /// `cargo xtask setup` deps directories (`$CANDLE2TRT_DEPS` at run time, then the one seen at build
    /// time); `tensorrt-rtx/tensorrt_rtx_libs/` (or `tensorrt/tensorrt_libs/`) inside each.
    pub deps_dirs: Vec<PathBuf>,
    /// Finally ask the system loader for the bare soname (`LD_LIBRARY_PATH`, ldconfig cache, ...).
    pub system_loader: bool,
}

impl SearchConfig {
    /// The search [`Library::load`] performs, from the process environment.
    pub fn from_env() -> Self {
        let mut config = Self::from_lookup(|name| env::var_os(name));
        if let Some(baked) = option_env!("TRT_SYS_BUILD_DEPS_DIR") {
            let baked = PathBuf::from(baked);
            if !config.deps_dirs.contains(&baked) {
                config.deps_dirs.push(baked);
            }
        }
        config
    }

    /// Like [`SearchConfig::from_env`], but reading variables through `lookup` and without the deps directory
    /// baked in at build time.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<OsString>) -> Self {
        let get = |name: &str| lookup(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let mut python_site_dirs = Vec::new();
        for prefix_var in ["VIRTUAL_ENV", "CONDA_PREFIX"] {
            if let Some(prefix) = get(prefix_var) {
                python_site_dirs.extend(python_dirs_under(&prefix.join("lib"), &["site-packages"]));
            }
        }
        if let Some(home) = get("HOME") {
            python_site_dirs.extend(python_dirs_under(
                &home.join(".local/lib"),
                &["site-packages"],
            ));
        }
        for lib in [
            "/usr/local/lib",
            "/usr/lib",
            "/usr/local/lib64",
            "/usr/lib64",
        ] {
            python_site_dirs.extend(python_dirs_under(
                Path::new(lib),
                &["site-packages", "dist-packages"],
            ));
        }
        python_site_dirs.dedup();
        SearchConfig {
            // Set but empty is kept (an empty path): it names no library, and loading refuses it rather than
            // search elsewhere as if it were unset.
            library_file: lookup("TENSORRT_LIBRARY").map(PathBuf::from),
            library_dir: lookup("TENSORRT_LIB_DIR").map(PathBuf::from),
            python_site_dirs,
            deps_dirs: get("CANDLE2TRT_DEPS").into_iter().collect(),
            system_loader: true,
        }
    }

    /// The library the user named, if any: `TENSORRT_LIBRARY` (a file), else `TENSORRT_LIB_DIR` (the directory
    /// holding [`LIBRARY_NAME`]). A named library is the only one tried.
    pub fn named(&self) -> Option<Candidate> {
        if let Some(file) = &self.library_file {
            Some(Candidate {
                path: file.clone(),
                source: "TENSORRT_LIBRARY".into(),
            })
        } else {
            self.library_dir.as_ref().map(|dir| Candidate {
                // An empty directory names nothing (not the bare soname, which the system loader would search for).
                path: if dir.as_os_str().is_empty() {
                    PathBuf::new()
                } else {
                    dir.join(LIBRARY_NAME)
                },
                source: "TENSORRT_LIB_DIR".into(),
            })
        }
    }

    /// Every candidate, in the order they are tried: the [named](SearchConfig::named) library alone, or else the
    /// search (pip folders, `cargo xtask setup` deps directories, the system loader).
    pub fn candidates(&self) -> Vec<Candidate> {
        if let Some(named) = self.named() {
            return vec![named];
        }
        let cand = |path: PathBuf, source: &str| Candidate {
            path,
            source: source.to_owned(),
        };
        let mut out = Vec::new();
        let pip_folder = if HEADERS_ARE_RTX {
            "tensorrt_rtx_libs"
        } else {
            "tensorrt_libs"
        };
        for site in &self.python_site_dirs {
            out.push(cand(
                site.join(pip_folder).join(LIBRARY_NAME),
                &format!("pip {pip_folder}"),
            ));
        }
        let deps_sub = if HEADERS_ARE_RTX {
            "tensorrt-rtx/tensorrt_rtx_libs"
        } else {
            "tensorrt/tensorrt_libs"
        };
        for deps in &self.deps_dirs {
            out.push(cand(
                deps.join(deps_sub).join(LIBRARY_NAME),
                "cargo xtask setup (CANDLE2TRT_DEPS)",
            ));
        }
        if self.system_loader {
            out.push(cand(PathBuf::from(LIBRARY_NAME), "system loader"));
        }
        out
    }
}

/// `<lib>/python3.*/<leaf>` directories that exist, sorted newest Python first; plus `<lib>/python3/<leaf>`.
fn python_dirs_under(lib: &Path, leaves: &[&str]) -> Vec<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = Vec::new();
    if let Ok(entries) = fs::read_dir(lib) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some(rest) = name.strip_prefix("python3") else {
                continue;
            };
            let minor = rest
                .strip_prefix('.')
                .and_then(|m| m.parse().ok())
                .unwrap_or(0);
            if rest.is_empty() || rest.starts_with('.') {
                versions.push((minor, entry.path()));
            }
        }
    }
    versions.sort_by_key(|v| std::cmp::Reverse(v.0));
    let mut out = Vec::new();
    for (_, dir) in versions {
        for leaf in leaves {
            let d = dir.join(leaf);
            if d.is_dir() {
                out.push(d);
            }
        }
    }
    out
}

static LOADED: OnceLock<Library> = OnceLock::new();
static LOADING: Mutex<()> = Mutex::new(());

impl Library {
    /// The library already loaded in this process, if any.
    pub fn loaded() -> Option<&'static Library> {
        LOADED.get()
    }

    /// Loads TensorRT from the places of [`SearchConfig::from_env`]:
    ///
    /// 1. `TENSORRT_LIBRARY` (a file), else `TENSORRT_LIB_DIR` (a directory): when either is set, that library is
    ///    the only one tried, and an error ([`LoadError::Named`]) names it and why it did not load (set but empty
    ///    is such an error: it names no file);
    ///
    /// otherwise, in order:
    ///
    /// 2. pip-installed `tensorrt_rtx_libs` / `tensorrt_libs` folders in the usual `site-packages`
    ///    directories (`$VIRTUAL_ENV`, `$CONDA_PREFIX`, `~/.local`, `/usr/local/lib`, `/usr/lib`);
    /// 3. `$CANDLE2TRT_DEPS/tensorrt-rtx/tensorrt_rtx_libs` (from `cargo xtask setup`), also the path
    ///    seen at build time, so binaries work outside cargo;
    /// 4. the system loader, by soname ([`LIBRARY_NAME`]).
    ///
    /// Returns the library already loaded if there is one.
    pub fn load() -> Result<&'static Library, LoadError> {
        if let Some(lib) = LOADED.get() {
            return Ok(lib);
        }
        Self::load_with(&SearchConfig::from_env())
    }

    /// Loads TensorRT from the candidates of `config` (see [`Library::load`]); returns the library
    /// already loaded if there is one.
    pub fn load_with(config: &SearchConfig) -> Result<&'static Library, LoadError> {
        match config.named() {
            Some(named) => Self::load_named(named),
            None => Self::load_candidates(config.candidates()),
        }
    }

    /// Loads TensorRT from exactly `path` ([`LoadError::Named`] when it cannot be opened). If a library is
    /// already loaded, succeeds only when it is that same file.
    pub fn load_from(path: impl AsRef<Path>) -> Result<&'static Library, LoadError> {
        let path = path.as_ref();
        if let Some(lib) = LOADED.get() {
            return Self::same_or_conflict(lib, path);
        }
        Self::load_named(Candidate {
            path: path.to_owned(),
            source: "load_from".into(),
        })
        .and_then(|lib| Self::same_or_conflict(lib, path))
    }

    fn same_or_conflict(lib: &'static Library, path: &Path) -> Result<&'static Library, LoadError> {
        let same = lib.path == path
            || matches!((fs::canonicalize(&lib.path), fs::canonicalize(path)), (Ok(a), Ok(b)) if a == b);
        if same {
            Ok(lib)
        } else {
            Err(LoadError::AlreadyLoaded {
                loaded: lib.path.clone(),
                requested: path.to_owned(),
            })
        }
    }

    /// Opens `named` and nothing else.
    fn load_named(named: Candidate) -> Result<&'static Library, LoadError> {
        if named.path.as_os_str().is_empty() {
            return Err(LoadError::Named {
                candidate: named,
                reason: "set but empty".into(),
            });
        }
        let mut attempts = Vec::new();
        match Self::load_first(vec![named], &mut attempts)? {
            Some(lib) => Ok(lib),
            None => {
                let SearchError { candidate, reason } = attempts.remove(0);
                Err(LoadError::Named { candidate, reason })
            }
        }
    }

    fn load_candidates(candidates: Vec<Candidate>) -> Result<&'static Library, LoadError> {
        let mut attempts = Vec::new();
        Self::load_first(candidates, &mut attempts)?.ok_or_else(|| LoadError::NotFound {
            library: LIBRARY_NAME.to_owned(),
            attempts,
        })
    }

    /// Opens the first candidate that the system loader accepts and checks it (an `Err` when it is not a usable
    /// TensorRT); `None` when no candidate could be opened, each failure then recorded in `attempts`.
    fn load_first(
        candidates: Vec<Candidate>,
        attempts: &mut Vec<SearchError>,
    ) -> Result<Option<&'static Library>, LoadError> {
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
            // SAFETY: opening a shared library runs its initializers; TensorRT's are the vendor's own and
            // have no preconditions. The handle is kept for the rest of the process.
            match unsafe { libloading::Library::new(candidate.path.as_os_str()) } {
                Ok(handle) => {
                    let lib = Self::from_handle(handle, candidate.path)?;
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

    fn from_handle(handle: libloading::Library, path: PathBuf) -> Result<Library, LoadError> {
        let symbol = |name: &str| -> Result<*mut std::ffi::c_void, LoadError> {
            // SAFETY: the symbol is only read as an address here; the shim casts it to the signature the
            // TensorRT headers declare for it.
            let sym = unsafe { handle.get::<*mut std::ffi::c_void>(name.as_bytes()) };
            match sym {
                Ok(s) => Ok(*s),
                Err(e) => Err(LoadError::MissingSymbol {
                    path: path.clone(),
                    symbol: name.to_owned(),
                    message: e.to_string(),
                }),
            }
        };
        let api = trt_api {
            create_infer_builder: symbol("createInferBuilder_INTERNAL")?,
            create_infer_runtime: symbol("createInferRuntime_INTERNAL")?,
            get_infer_lib_version: symbol("getInferLibVersion")?,
        };
        // SAFETY: `api` holds the addresses just resolved from a library that stays loaded during the call.
        let encoded = unsafe { crate::trt_library_version(&api) };
        let headers = header_version();
        let version = Version::from_encoded(encoded).ok_or_else(|| LoadError::MissingSymbol {
            path: path.clone(),
            symbol: "getInferLibVersion".into(),
            message: format!("returned an invalid version {encoded}"),
        })?;
        if !version.abi_compatible(&headers) {
            return Err(LoadError::VersionMismatch {
                path,
                library: version,
                headers,
            });
        }
        Ok(Library {
            _handle: handle,
            api,
            path,
            version,
        })
    }

    /// The factory entry points, for the shim's `trt_builder_create` / `trt_runtime_create`.
    pub fn api(&self) -> &trt_api {
        &self.api
    }

    /// The file (or soname) that was opened.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The library's own version (`getInferLibVersion()`).
    pub fn version(&self) -> Version {
        self.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_follow_the_documented_order() {
        let search = SearchConfig {
            library_file: None,
            library_dir: None,
            python_site_dirs: vec!["/c/site-packages".into()],
            deps_dirs: vec!["/d".into()],
            system_loader: true,
        };
        let pip = if HEADERS_ARE_RTX {
            "tensorrt_rtx_libs"
        } else {
            "tensorrt_libs"
        };
        let deps_sub = if HEADERS_ARE_RTX {
            "tensorrt-rtx/tensorrt_rtx_libs"
        } else {
            "tensorrt/tensorrt_libs"
        };
        let expected = [
            (
                Path::new("/c/site-packages").join(pip).join(LIBRARY_NAME),
                format!("pip {pip}"),
            ),
            (
                Path::new("/d").join(deps_sub).join(LIBRARY_NAME),
                "cargo xtask setup (CANDLE2TRT_DEPS)".to_owned(),
            ),
            (PathBuf::from(LIBRARY_NAME), "system loader".to_owned()),
        ];
        let got: Vec<_> = search
            .candidates()
            .into_iter()
            .map(|c| (c.path, c.source))
            .collect();
        assert_eq!(got, expected);
        assert_eq!(search.named(), None);

        // A named library is the only candidate; TENSORRT_LIBRARY wins over TENSORRT_LIB_DIR.
        let by_dir = SearchConfig {
            library_dir: Some("/b".into()),
            ..search.clone()
        };
        let only_dir = Candidate {
            path: Path::new("/b").join(LIBRARY_NAME),
            source: "TENSORRT_LIB_DIR".into(),
        };
        assert_eq!(by_dir.candidates(), vec![only_dir.clone()]);
        assert_eq!(by_dir.named(), Some(only_dir));
        let by_file = SearchConfig {
            library_file: Some("/a/libfoo.so".into()),
            ..by_dir
        };
        assert_eq!(
            by_file.candidates(),
            vec![Candidate {
                path: "/a/libfoo.so".into(),
                source: "TENSORRT_LIBRARY".into(),
            }]
        );
    }

    #[test]
    fn named_failure_names_the_library_and_the_variable() {
        let err = LoadError::Named {
            candidate: Candidate {
                path: "/tmp/x/garbage.so".into(),
                source: "TENSORRT_LIBRARY".into(),
            },
            reason: "invalid ELF header".into(),
        };
        let text = err.to_string();
        assert!(
            text.starts_with(
                "could not load the TensorRT library /tmp/x/garbage.so named by TENSORRT_LIBRARY: invalid ELF header;"
            ),
            "{text}"
        );
        assert!(text.contains("nothing else was tried"), "{text}");
    }

    #[test]
    fn lookup_reads_the_variables() {
        let config = SearchConfig::from_lookup(|name| match name {
            "TENSORRT_LIBRARY" => Some("/x/lib.so".into()),
            "TENSORRT_LIB_DIR" => Some("".into()),
            "CANDLE2TRT_DEPS" => Some("/deps".into()),
            _ => None,
        });
        assert_eq!(config.library_file.as_deref(), Some(Path::new("/x/lib.so")));
        assert_eq!(
            config.library_dir.as_deref(),
            Some(Path::new("")),
            "set but empty is kept: it is refused when loading, not taken for unset"
        );
        assert_eq!(config.deps_dirs, vec![PathBuf::from("/deps")]);
    }

    /// `TENSORRT_LIBRARY=""` (or `TENSORRT_LIB_DIR=""`) names a library, but no file: an error, never a search of
    /// the usual places as if it were unset.
    #[test]
    fn a_variable_set_but_empty_is_refused() {
        for var in ["TENSORRT_LIBRARY", "TENSORRT_LIB_DIR"] {
            let config = SearchConfig::from_lookup(|name| (name == var).then(|| "".into()));
            let named = config.named().expect("named");
            assert_eq!(named.source, var);
            assert_eq!(
                config.candidates(),
                vec![named.clone()],
                "{var}: nothing else is tried"
            );
            // `load_with` checks the name before anything is opened, so this holds whatever is loaded already.
            match Library::load_with(&config) {
                Err(LoadError::Named { candidate, reason }) => {
                    assert_eq!(candidate, named);
                    assert_eq!(reason, "set but empty");
                }
                other => panic!("{var}: {other:?}"),
            }
        }
    }

    #[test]
    fn not_found_lists_every_attempt() {
        let err = LoadError::NotFound {
            library: "libx.so.1".into(),
            attempts: vec![
                SearchError {
                    candidate: Candidate {
                        path: "/p/one".into(),
                        source: "TENSORRT_LIBRARY".into(),
                    },
                    reason: "no such file".into(),
                },
                SearchError {
                    candidate: Candidate {
                        path: "libx.so.1".into(),
                        source: "system loader".into(),
                    },
                    reason: "cannot open shared object file".into(),
                },
            ],
        };
        let text = err.to_string();
        assert!(
            text.contains("/p/one [TENSORRT_LIBRARY]: no such file"),
            "{text}"
        );
        assert!(
            text.contains("libx.so.1 [system loader]: cannot open shared object file"),
            "{text}"
        );
        assert!(text.contains("cargo xtask setup"), "{text}");
    }

    #[test]
    fn version_mismatch_names_both() {
        let err = LoadError::VersionMismatch {
            path: "/l.so".into(),
            library: Version {
                major: 10,
                minor: 3,
                patch: 0,
            },
            headers: Version {
                major: 11,
                minor: 4,
                patch: 0,
            },
        };
        let text = err.to_string();
        assert!(text.contains("10.3.0") && text.contains("11.4.0"), "{text}");
    }
}

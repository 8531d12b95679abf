//! Compiles the C shim against the TensorRT headers found on this machine.
//!
//! Building needs TensorRT *headers* only: the library is opened at run time. Search order for the
//! directory holding `NvInfer.h`:
//!
//! 1. `TENSORRT_INCLUDE_DIR`
//! 2. `TENSORRT_ROOT/include`
//! 3. `$CANDLE2TRT_DEPS/trt-headers/TRT-RTX-1.7` (provisioned by `cargo xtask setup`)
//! 4. `/usr/include/x86_64-linux-gnu`, `/usr/include` (Debian/Ubuntu TensorRT packages)
//!
//! The flavor comes from `NvInferVersion.h`: `TRT_MAJOR_RTX` defined means TensorRT-RTX
//! (`libtensorrt_rtx.so.<major>`), otherwise standard TensorRT (`libnvinfer.so.<major>`).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

/// Reads an environment variable and tells cargo to rerun when it changes.
fn env_var(name: &str) -> Option<String> {
    println!("cargo:rerun-if-env-changed={name}");
    env::var(name).ok().filter(|v| !v.is_empty())
}

struct HeaderVersion {
    major: u32,
    minor: u32,
    patch: u32,
    rtx: bool,
}

fn parse_define(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        (words.next() == Some("#define") && words.next() == Some(name))
            .then(|| words.next().map(str::to_owned))
            .flatten()
    })
}

/// Resolves `NV_TENSORRT_MAJOR`, which the headers define through a flavor-specific macro.
fn parse_number(text: &str, name: &str) -> Option<u32> {
    let mut value = parse_define(text, name)?;
    for _ in 0..4 {
        if let Ok(n) = value.parse() {
            return Some(n);
        }
        value = parse_define(text, &value)?;
    }
    None
}

fn parse_version(dir: &Path) -> Result<HeaderVersion, String> {
    let file = dir.join("NvInferVersion.h");
    let text =
        fs::read_to_string(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let get = |name: &str| {
        parse_number(&text, name)
            .ok_or_else(|| format!("{} does not define {name}", file.display()))
    };
    Ok(HeaderVersion {
        major: get("NV_TENSORRT_MAJOR")?,
        minor: get("NV_TENSORRT_MINOR")?,
        patch: get("NV_TENSORRT_PATCH")?,
        rtx: parse_define(&text, "TRT_MAJOR_RTX").is_some(),
    })
}

fn find_headers() -> Result<(PathBuf, &'static str), Vec<String>> {
    let mut candidates: Vec<(PathBuf, &'static str)> = Vec::new();
    if let Some(dir) = env_var("TENSORRT_INCLUDE_DIR") {
        candidates.push((PathBuf::from(dir), "TENSORRT_INCLUDE_DIR"));
    }
    if let Some(root) = env_var("TENSORRT_ROOT") {
        candidates.push((Path::new(&root).join("include"), "TENSORRT_ROOT/include"));
    }
    if let Some(deps) = env_var("CANDLE2TRT_DEPS") {
        candidates.push((
            Path::new(&deps).join("trt-headers").join("TRT-RTX-1.7"),
            "$CANDLE2TRT_DEPS/trt-headers/TRT-RTX-1.7 (cargo xtask setup)",
        ));
    }
    candidates.push((PathBuf::from("/usr/include/x86_64-linux-gnu"), "system"));
    candidates.push((PathBuf::from("/usr/include"), "system"));

    let mut tried = Vec::new();
    for (dir, source) in candidates {
        if dir.join("NvInfer.h").is_file() && dir.join("NvInferVersion.h").is_file() {
            return Ok((dir, source));
        }
        tried.push(format!(
            "{} ({source}): no NvInfer.h / NvInferVersion.h",
            dir.display()
        ));
    }
    Err(tried)
}

fn main() {
    println!("cargo:rerun-if-changed=shim");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(trt_rtx)");

    let (include_dir, source) = match find_headers() {
        Ok(found) => found,
        // docs.rs has no TensorRT headers: the committed bindings document the API; nothing is linked.
        Err(_) if env_var("DOCS_RS").is_some() => {
            for (key, value) in [
                ("TRT_SYS_HEADER_MAJOR", "1"),
                ("TRT_SYS_HEADER_MINOR", "7"),
                ("TRT_SYS_HEADER_PATCH", "1"),
                ("TRT_SYS_HEADER_RTX", "1"),
                ("TRT_SYS_LIBRARY_NAME", "libtensorrt_rtx.so.1"),
                ("TRT_SYS_INCLUDE_DIR", "(docs.rs: no headers)"),
            ] {
                println!("cargo:rustc-env={key}={value}");
            }
            println!("cargo:rustc-cfg=trt_rtx");
            return;
        }
        Err(tried) => {
            eprintln!(
                "\nerror: trt-sys could not find the TensorRT headers (NvInfer.h).\n\
                 \n  Searched:\n    {}\n\
                 \n  Remedies (any one):\n\
                 \x20   - run `cargo xtask setup` in the candle2trt workspace: it provisions TensorRT-RTX 1.7 headers\n\
                 \x20     and library under .deps/ (CANDLE2TRT_DEPS points there through .cargo/config.toml);\n\
                 \x20   - set TENSORRT_ROOT to your TensorRT / TensorRT-RTX install (the one holding include/NvInfer.h);\n\
                 \x20   - set TENSORRT_INCLUDE_DIR to the directory that holds NvInfer.h;\n\
                 \x20   - install the TensorRT development package of your distribution (libnvinfer-dev).\n\
                 \n  Only headers are needed to build; the library is opened at run time (see TENSORRT_LIBRARY).\n",
                tried.join("\n    ")
            );
            std::process::exit(1);
        }
    };
    let version = match parse_version(&include_dir) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("\nerror: trt-sys: {e}\n  Point TENSORRT_INCLUDE_DIR at a complete TensorRT include directory.\n");
            std::process::exit(1);
        }
    };

    let library = if version.rtx {
        format!("libtensorrt_rtx.so.{}", version.major)
    } else {
        format!("libnvinfer.so.{}", version.major)
    };
    // Not a cargo warning: cargo replays those on every build of the workspace, and nothing is
    // wrong. The line stays in the build script's output (`cargo build -vv` shows it).
    println!(
        "trt-sys: using TensorRT{} {}.{}.{} headers from {} ({source}); run-time library {library}",
        if version.rtx { "-RTX" } else { "" },
        version.major,
        version.minor,
        version.patch,
        include_dir.display(),
    );
    if version.rtx {
        println!("cargo:rustc-cfg=trt_rtx");
    }
    println!("cargo:rustc-env=TRT_SYS_HEADER_MAJOR={}", version.major);
    println!("cargo:rustc-env=TRT_SYS_HEADER_MINOR={}", version.minor);
    println!("cargo:rustc-env=TRT_SYS_HEADER_PATCH={}", version.patch);
    println!(
        "cargo:rustc-env=TRT_SYS_HEADER_RTX={}",
        u8::from(version.rtx)
    );
    println!("cargo:rustc-env=TRT_SYS_LIBRARY_NAME={library}");
    println!(
        "cargo:rustc-env=TRT_SYS_INCLUDE_DIR={}",
        include_dir.display()
    );
    // Read by the loader through option_env!, so binaries run outside cargo still find provisioned libraries.
    if let Some(deps) = env_var("CANDLE2TRT_DEPS") {
        let deps = fs::canonicalize(&deps).unwrap_or_else(|_| PathBuf::from(&deps));
        println!("cargo:rustc-env=TRT_SYS_BUILD_DEPS_DIR={}", deps.display());
    }

    let shim =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into())).join("shim");
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .std("c++17")
        .include(&shim)
        .include(&include_dir)
        .flag_if_supported("-Wno-deprecated-declarations")
        .flag_if_supported("-Wno-unused-parameter")
        .warnings(true);
    // The headers include <cuda_runtime_api.h> for two handle types: prefer a real CUDA toolkit (or a
    // stub sitting next to the headers, as the provisioned layout has), else the shim's own fallback.
    if let Some(parent) = include_dir.parent() {
        if parent.join("cuda_runtime_api.h").is_file() {
            build.include(parent);
        }
    }
    for var in ["CUDA_PATH", "CUDA_HOME", "CUDA_ROOT"] {
        if let Some(cuda) = env_var(var) {
            let dir = Path::new(&cuda).join("include");
            if dir.join("cuda_runtime_api.h").is_file() {
                build.include(dir);
            }
        }
    }
    build
        .flag("-idirafter")
        .flag(shim.join("cuda_stub").display().to_string());
    for file in [
        "core.cpp",
        "network.cpp",
        "layers.cpp",
        "runtime.cpp",
        "enum_checks.cpp",
        "onnx.cpp",
    ] {
        build.file(shim.join(file));
    }
    build.compile("trt_shim");
}

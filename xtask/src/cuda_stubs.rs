//! Link-time stand-ins for the CUDA libraries that candle's CUDA backend (cudarc, `dynamic-linking`) links against.
//!
//! No wheel ships `libcuda.so`, and this machine has no GPU driver, yet a binary built here must link so that it can
//! be carried to a GPU machine, where the real libraries are found by soname. Each stub is a shared object with the
//! real soname that defines every function cudarc declares for that library (read from cudarc's own `sys` module),
//! so the linker is satisfied; it is never loaded at run time.

use anyhow::{ensure, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// (link name, soname, cudarc module declaring its functions, prefix of the library's C functions)
const LIBS: [(&str, &str, &str, &str); 5] = [
    ("cuda", "libcuda.so.1", "driver", "cu"),
    ("cublas", "libcublas.so.13", "cublas", "cublas"),
    ("cublasLt", "libcublasLt.so.13", "cublaslt", "cublasLt"),
    ("curand", "libcurand.so.10", "curand", "curand"),
    ("nvrtc", "libnvrtc.so.13", "nvrtc", "nvrtc"),
];

/// Writes the stub libraries into `dest`; `cuda_root` supplies `libcudart_static.a` for `-lcudart`.
pub fn make(cuda_root: &Path, dest: &Path) -> Result<()> {
    let cudarc = cudarc_source()?;
    let tmp = dest.with_extension("partial");
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp)?;
    for (name, soname, module, prefix) in LIBS {
        let decls = cudarc.join("src").join(module).join("sys").join("mod.rs");
        let text =
            fs::read_to_string(&decls).with_context(|| format!("reading {}", decls.display()))?;
        let mut names: Vec<&str> = text
            .split("fn ")
            .skip(1)
            .filter_map(|s| s.split('(').next())
            .filter(|n| {
                n.starts_with(prefix) && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
            .collect();
        names.sort_unstable();
        names.dedup();
        ensure!(
            !names.is_empty(),
            "no functions found in {}",
            decls.display()
        );
        let c_src = tmp.join(format!("{name}.c"));
        let body: String = names
            .iter()
            .map(|n| format!("void {n}(void) {{}}\n"))
            .collect();
        fs::write(&c_src, body)?;
        let out = tmp.join(format!("lib{name}.so"));
        let st = Command::new("cc")
            .args(["-shared", "-fPIC", "-o"])
            .arg(&out)
            .arg(format!("-Wl,-soname,{soname}"))
            .arg(&c_src)
            .status()
            .context("running cc to build CUDA link stubs")?;
        ensure!(st.success(), "building the {name} stub failed ({st})");
        fs::remove_file(&c_src)?;
    }
    // `-lcudart` (from CUDA kernels built by nvcc) resolves to the static runtime from the pip wheel.
    let static_rt = cuda_root.join("lib").join("libcudart_static.a");
    if static_rt.exists() {
        fs::copy(&static_rt, tmp.join("libcudart.a"))?;
    }
    fs::write(tmp.join(".complete"), "")?;
    let _ = fs::remove_dir_all(dest);
    fs::rename(&tmp, dest)?;
    Ok(())
}

/// cudarc's source, as cargo fetched it for this workspace's lock file.
fn cudarc_source() -> Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = crate::workspace_root();
    let st = Command::new(&cargo)
        .arg("fetch")
        .current_dir(&root)
        .status()?;
    ensure!(st.success(), "cargo fetch failed ({st})");
    let mut metadata = Command::new(&cargo);
    metadata
        .args([
            "metadata",
            "--format-version",
            "1",
            "--features",
            "candle2trt/cuda",
        ])
        .current_dir(&root);
    crate::deps::package_source(metadata, "/cudarc-")
}

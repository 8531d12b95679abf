//! The CUDA driver (`libcuda.so.1`), opened at run time: device buffers and streams for running engines in
//! tests and examples without linking any CUDA library. Shared by `tests/` and `examples/gpu_smoke.rs`.
#![allow(dead_code)]

use std::ffi::{c_char, c_int, c_uint, c_void};

/// The few CUDA driver entry points this program needs, resolved with dlopen.
pub struct Cuda {
    _lib: libloading::Library,
    mem_alloc: unsafe extern "C" fn(*mut u64, usize) -> c_int,
    mem_free: unsafe extern "C" fn(u64) -> c_int,
    memcpy_htod: unsafe extern "C" fn(u64, *const c_void, usize) -> c_int,
    memcpy_dtoh: unsafe extern "C" fn(*mut c_void, u64, usize) -> c_int,
    stream_create: unsafe extern "C" fn(*mut *mut c_void, c_uint) -> c_int,
    stream_synchronize: unsafe extern "C" fn(*mut c_void) -> c_int,
    pub device_name: String,
    pub compute_capability: (i32, i32),
}

pub fn check(op: &str, code: c_int) -> Result<(), String> {
    if code == 0 {
        Ok(())
    } else {
        Err(format!("{op} failed with CUresult {code}"))
    }
}

impl Cuda {
    /// Opens the driver and makes device 0's primary context current on this thread.
    pub fn open() -> Result<Self, String> {
        // SAFETY: libcuda's initializers have no preconditions.
        let lib = unsafe { libloading::Library::new("libcuda.so.1") }
            .map_err(|e| format!("libcuda.so.1: {e}"))?;
        // SAFETY: each symbol is the CUDA driver API function of that name, with the C signature declared here
        // (cuda.h, 64-bit CUdeviceptr, the `_v2` variants that cuda.h maps the plain names to).
        unsafe {
            macro_rules! sym {
                ($name:literal) => {
                    *lib.get($name)
                        .map_err(|e| format!("{}: {e}", String::from_utf8_lossy($name)))?
                };
            }
            let init: unsafe extern "C" fn(c_uint) -> c_int = sym!(b"cuInit");
            let device_get: unsafe extern "C" fn(*mut c_int, c_int) -> c_int = sym!(b"cuDeviceGet");
            let get_name: unsafe extern "C" fn(*mut c_char, c_int, c_int) -> c_int =
                sym!(b"cuDeviceGetName");
            let get_attr: unsafe extern "C" fn(*mut c_int, c_int, c_int) -> c_int =
                sym!(b"cuDeviceGetAttribute");
            let retain: unsafe extern "C" fn(*mut *mut c_void, c_int) -> c_int =
                sym!(b"cuDevicePrimaryCtxRetain");
            let set_current: unsafe extern "C" fn(*mut c_void) -> c_int = sym!(b"cuCtxSetCurrent");
            check("cuInit", init(0))?;
            let mut dev = 0;
            check("cuDeviceGet", device_get(&mut dev, 0))?;
            let mut name = [0 as c_char; 128];
            check("cuDeviceGetName", get_name(name.as_mut_ptr(), 128, dev))?;
            let device_name = std::ffi::CStr::from_ptr(name.as_ptr())
                .to_string_lossy()
                .into_owned();
            let (mut major, mut minor) = (0, 0);
            check("cuDeviceGetAttribute", get_attr(&mut major, 75, dev))?; // COMPUTE_CAPABILITY_MAJOR
            check("cuDeviceGetAttribute", get_attr(&mut minor, 76, dev))?; // COMPUTE_CAPABILITY_MINOR
            let mut ctx = std::ptr::null_mut();
            check("cuDevicePrimaryCtxRetain", retain(&mut ctx, dev))?;
            check("cuCtxSetCurrent", set_current(ctx))?;
            Ok(Cuda {
                mem_alloc: sym!(b"cuMemAlloc_v2"),
                mem_free: sym!(b"cuMemFree_v2"),
                memcpy_htod: sym!(b"cuMemcpyHtoD_v2"),
                memcpy_dtoh: sym!(b"cuMemcpyDtoH_v2"),
                stream_create: sym!(b"cuStreamCreate"),
                stream_synchronize: sym!(b"cuStreamSynchronize"),
                device_name,
                compute_capability: (major, minor),
                _lib: lib,
            })
        }
    }

    /// Allocates `bytes` of device memory.
    pub fn alloc(&self, bytes: usize) -> Result<u64, String> {
        let mut p = 0u64;
        // SAFETY: a current context was set in `open`.
        check("cuMemAlloc", unsafe { (self.mem_alloc)(&mut p, bytes) })?;
        Ok(p)
    }
}

impl Cuda {
    /// Frees a buffer from [`Cuda::alloc`].
    pub fn free(&self, ptr: u64) {
        // SAFETY: `ptr` came from cuMemAlloc and no queued work uses it (callers synchronize first).
        unsafe { (self.mem_free)(ptr) };
    }

    /// Copies `data` to device memory at `dst`.
    pub fn upload<T: Copy>(&self, dst: u64, data: &[T]) -> Result<(), String> {
        // SAFETY: `dst` holds at least `size_of_val(data)` bytes (callers allocate it so).
        check("cuMemcpyHtoD", unsafe {
            (self.memcpy_htod)(dst, data.as_ptr().cast(), std::mem::size_of_val(data))
        })
    }

    /// Copies device memory at `src` into `out`.
    pub fn download<T: Copy>(&self, src: u64, out: &mut [T]) -> Result<(), String> {
        // SAFETY: `src` holds at least `size_of_val(out)` bytes; any bit pattern is a valid T for the plain
        // numeric types used here.
        check("cuMemcpyDtoH", unsafe {
            (self.memcpy_dtoh)(out.as_mut_ptr().cast(), src, std::mem::size_of_val(out))
        })
    }

    /// A new stream of the current context.
    pub fn stream(&self) -> Result<*mut c_void, String> {
        let mut stream = std::ptr::null_mut();
        // SAFETY: the primary context was made current in `open`.
        check("cuStreamCreate", unsafe {
            (self.stream_create)(&mut stream, 0)
        })?;
        Ok(stream)
    }

    /// Waits for `stream`.
    pub fn synchronize(&self, stream: *mut c_void) -> Result<(), String> {
        // SAFETY: `stream` came from `Cuda::stream`.
        check("cuStreamSynchronize", unsafe {
            (self.stream_synchronize)(stream)
        })
    }
}

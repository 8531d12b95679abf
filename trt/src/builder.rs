//! [`Builder`], [`BuilderConfig`], [`OptimizationProfile`], [`TimingCache`], the progress monitor and
//! [`SerializedEngine`].

use std::ffi::{c_char, c_void, CStr};
use std::path::Path;
use std::sync::Mutex;

use crate::enums::{
    BuilderFlag, ComputeCapability, MemoryPoolType, OptProfileSelector, ProfilingVerbosity,
};
use crate::error::{Error, Result};
use crate::logger::Logger;
use crate::network::Network;
use crate::types::Dims;
use crate::util::{cstring, write_atomic};
use crate::Library;

/// Builds engines ([`nvinfer1::IBuilder`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_builder.html)).
///
/// Creates [`Network`]s, [`BuilderConfig`]s and [`OptimizationProfile`]s, which borrow it, and turns a
/// network into a [`SerializedEngine`]. Building needs no GPU with TensorRT-RTX.
///
/// ```no_run
/// # fn main() -> trt::Result<()> {
/// use trt::{Activation, ActivationType, Builder, DataType, Library, Logger, Severity, Weights};
/// let lib = Library::load()?;
/// let logger = Logger::new(Severity::Warning)?;
/// let builder = Builder::new(lib, &logger)?;
/// let network = builder.create_network()?;
/// let x = network.add_input("x", DataType::Float, [1, 3, 8, 8])?;
/// let y = network.add(Activation::new(x, ActivationType::Relu))?.output(0)?;
/// network.mark_output(y)?;
/// let config = builder.create_config()?;
/// let engine = builder.build_serialized_network(&network, &config)?;
/// engine.save("relu.engine")?;
/// # Ok(()) }
/// ```
pub struct Builder<'lib> {
    raw: *mut trt_sys::trt_builder,
    logger: Logger,
    library: &'lib Library,
}

// SAFETY: an IBuilder may be used from any thread, one thread at a time; `Builder` is not `Sync`, so
// `&Builder` (and everything borrowing it) cannot be shared between threads.
unsafe impl Send for Builder<'_> {}

impl Drop for Builder<'_> {
    fn drop(&mut self) {
        // SAFETY: `raw` came from trt_builder_create; everything created from it borrows `self` and is gone.
        unsafe { trt_sys::trt_builder_destroy(self.raw) };
    }
}

impl std::fmt::Debug for Builder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("library", &self.library.path())
            .finish_non_exhaustive()
    }
}

impl<'lib> Builder<'lib> {
    /// Creates a builder (`createInferBuilder`) that logs to `logger`.
    pub fn new(library: &'lib Library, logger: &Logger) -> Result<Self> {
        logger.clear_errors();
        // SAFETY: `api` holds entry points of the loaded library; the logger outlives the builder (we keep a clone).
        let raw = unsafe { trt_sys::trt_builder_create(library.api(), logger.raw()) };
        if raw.is_null() {
            return Err(logger.failure("create_builder"));
        }
        Ok(Builder {
            raw,
            logger: logger.clone(),
            library,
        })
    }

    /// The logger this builder reports to.
    pub fn logger(&self) -> &Logger {
        &self.logger
    }

    /// The library this builder comes from.
    pub fn library(&self) -> &'lib Library {
        self.library
    }

    /// An empty, strongly typed network definition (`createNetworkV2`).
    pub fn create_network(&self) -> Result<Network<'_>> {
        self.logger.clear_errors();
        // SAFETY: `raw` is a live builder.
        let raw = unsafe { trt_sys::trt_builder_create_network(self.raw) };
        if raw.is_null() {
            return Err(self.logger.failure("create_network"));
        }
        Ok(Network::from_raw(raw, self.raw, self.logger.clone()))
    }

    /// A builder configuration with TensorRT's defaults (`createBuilderConfig`).
    pub fn create_config(&self) -> Result<BuilderConfig<'_>> {
        self.logger.clear_errors();
        // SAFETY: `raw` is a live builder.
        let raw = unsafe { trt_sys::trt_builder_create_config(self.raw) };
        if raw.is_null() {
            return Err(self.logger.failure("create_config"));
        }
        Ok(BuilderConfig {
            raw,
            builder: self,
            monitor: None,
            timing_cache: None,
        })
    }

    /// An empty optimization profile (`createOptimizationProfile`); the builder owns it.
    pub fn create_optimization_profile(&self) -> Result<OptimizationProfile<'_>> {
        self.logger.clear_errors();
        // SAFETY: `raw` is a live builder.
        let raw = unsafe { trt_sys::trt_builder_create_optimization_profile(self.raw) };
        if raw.is_null() {
            return Err(self.logger.failure("create_optimization_profile"));
        }
        Ok(OptimizationProfile { raw, builder: self })
    }

    /// Builds `network` with `config` into a serialized engine (`buildSerializedNetwork`).
    ///
    /// Fails with TensorRT's own message when the network is invalid (no outputs, shape errors, ...).
    pub fn build_serialized_network(
        &self,
        network: &Network<'_>,
        config: &BuilderConfig<'_>,
    ) -> Result<SerializedEngine> {
        if !std::ptr::eq(network.builder_raw(), self.raw)
            || !std::ptr::eq(config.builder.raw, self.raw)
        {
            return Err(Error::invalid(
                "build_serialized_network",
                "network and config must come from this builder",
            ));
        }
        self.logger.clear_errors();
        // SAFETY: all three handles are live and belong together; weights referenced by the network are kept
        // alive by the network's arena; the monitor and timing cache by the config.
        let memory = unsafe {
            trt_sys::trt_builder_build_serialized_network(self.raw, network.raw(), config.raw)
        };
        if memory.is_null() {
            return Err(self.logger.failure("build_serialized_network"));
        }
        Ok(SerializedEngine::from_bytes(take_host_memory(memory)))
    }
}

/// Copies and frees an `IHostMemory`.
pub(crate) fn take_host_memory(memory: *mut trt_sys::trt_host_memory) -> Vec<u8> {
    // SAFETY: `memory` is a live IHostMemory; data/size describe its buffer, copied before it is destroyed.
    unsafe {
        let data = trt_sys::trt_host_memory_data(memory);
        let size = trt_sys::trt_host_memory_size(memory);
        let bytes = if data.is_null() || size == 0 {
            Vec::new()
        } else {
            std::slice::from_raw_parts(data.cast::<u8>(), size).to_vec()
        };
        trt_sys::trt_host_memory_destroy(memory);
        bytes
    }
}

/// Receives build progress ([`nvinfer1::IProgressMonitor`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1v__1__0_1_1_i_progress_monitor.html)).
///
/// Called from the building thread while [`Builder::build_serialized_network`] runs. A panic in a
/// method is caught (and the build cancelled), never unwound into TensorRT.
pub trait ProgressMonitor: Send {
    /// A phase starts; `parent` is the enclosing phase, `nb_steps` how many steps it has.
    fn phase_start(&mut self, phase: &str, parent: Option<&str>, nb_steps: i32) {
        let _ = (phase, parent, nb_steps);
    }
    /// A step of `phase` finished. Return `false` to cancel the build.
    fn step_complete(&mut self, phase: &str, step: i32) -> bool {
        let _ = (phase, step);
        true
    }
    /// A phase finished.
    fn phase_finish(&mut self, phase: &str) {
        let _ = phase;
    }
}

struct MonitorState {
    monitor: Mutex<Box<dyn ProgressMonitor>>,
}

struct InstalledMonitor {
    raw: *mut trt_sys::trt_progress_monitor,
    // Boxed so its address (the callbacks' user data) is stable.
    _state: Box<MonitorState>,
}

impl Drop for InstalledMonitor {
    fn drop(&mut self) {
        // SAFETY: the config using this monitor was destroyed or had it replaced before this runs.
        unsafe { trt_sys::trt_progress_monitor_destroy(self.raw) };
    }
}

/// # Safety
/// `user` is the `MonitorState` installed with the callbacks; `s` is NUL-terminated or null.
unsafe fn with_monitor<R>(
    user: *mut c_void,
    default: R,
    f: impl FnOnce(&mut dyn ProgressMonitor) -> R,
) -> R {
    // SAFETY: per the function contract, `user` points to a live MonitorState.
    let state = unsafe { &*(user as *const MonitorState) };
    let Ok(mut guard) = state.monitor.lock() else {
        return default;
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(guard.as_mut()))).unwrap_or(default)
}

/// # Safety
/// `s` is null or a NUL-terminated string valid for the returned borrow.
unsafe fn str_arg<'a>(s: *const c_char) -> Option<std::borrow::Cow<'a, str>> {
    // SAFETY: per the function contract.
    (!s.is_null()).then(|| unsafe { CStr::from_ptr(s) }.to_string_lossy())
}

extern "C" fn monitor_phase_start(
    user: *mut c_void,
    phase: *const c_char,
    parent: *const c_char,
    nb_steps: i32,
) {
    // SAFETY: called by the shim with the user data it was given and TensorRT's strings.
    unsafe {
        let phase = str_arg(phase).unwrap_or_default();
        let parent = str_arg(parent);
        with_monitor(user, (), |m| {
            m.phase_start(&phase, parent.as_deref(), nb_steps)
        });
    }
}

extern "C" fn monitor_step_complete(user: *mut c_void, phase: *const c_char, step: i32) -> i32 {
    // SAFETY: as above. A panicking monitor cancels the build.
    unsafe {
        let phase = str_arg(phase).unwrap_or_default();
        i32::from(with_monitor(user, false, |m| m.step_complete(&phase, step)))
    }
}

extern "C" fn monitor_phase_finish(user: *mut c_void, phase: *const c_char) {
    // SAFETY: as above.
    unsafe {
        let phase = str_arg(phase).unwrap_or_default();
        with_monitor(user, (), |m| m.phase_finish(&phase));
    }
}

/// How an engine is built ([`nvinfer1::IBuilderConfig`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_builder_config.html)).
///
/// TensorRT 11 and TensorRT-RTX have no FP16/INT8 flags: precision is written into the network
/// (typed inputs and weights, casts, quantize/dequantize).
pub struct BuilderConfig<'b> {
    raw: *mut trt_sys::trt_builder_config,
    builder: &'b Builder<'b>,
    // Dropped after `raw` is destroyed (fields drop after `Drop::drop`).
    monitor: Option<InstalledMonitor>,
    timing_cache: Option<TimingCache<'b>>,
}

impl Drop for BuilderConfig<'_> {
    fn drop(&mut self) {
        // SAFETY: `raw` came from createBuilderConfig; no build is running (builds borrow the config).
        unsafe { trt_sys::trt_builder_config_destroy(self.raw) };
    }
}

impl std::fmt::Debug for BuilderConfig<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuilderConfig")
            .field(
                "workspace",
                &self.memory_pool_limit(MemoryPoolType::Workspace),
            )
            .field(
                "builder_optimization_level",
                &self.builder_optimization_level(),
            )
            .finish_non_exhaustive()
    }
}

impl<'b> BuilderConfig<'b> {
    fn check(&self, op: &'static str, status: i32) -> Result<()> {
        if status == 0 {
            Ok(())
        } else {
            Err(self.builder.logger.failure(op))
        }
    }

    /// Limits a memory pool (`setMemoryPoolLimit`); `MemoryPoolType::Workspace` is torch2trt's `max_workspace`.
    pub fn set_memory_pool_limit(&mut self, pool: MemoryPoolType, bytes: usize) -> Result<()> {
        self.builder.logger.clear_errors();
        // SAFETY: `raw` is live.
        let status = unsafe {
            trt_sys::trt_builder_config_set_memory_pool_limit(self.raw, pool as i32, bytes)
        };
        self.check("set_memory_pool_limit", status)
    }

    /// The limit of a memory pool.
    pub fn memory_pool_limit(&self, pool: MemoryPoolType) -> usize {
        // SAFETY: `raw` is live.
        unsafe { trt_sys::trt_builder_config_memory_pool_limit(self.raw, pool as i32) }
    }

    /// Shorthand for `set_memory_pool_limit(MemoryPoolType::Workspace, bytes)`.
    pub fn set_max_workspace(&mut self, bytes: usize) -> Result<()> {
        self.set_memory_pool_limit(MemoryPoolType::Workspace, bytes)
    }

    /// Builder optimization level, 0 (fast build) ..= 5 (slowest build, best engine); default 3.
    pub fn set_builder_optimization_level(&mut self, level: i32) -> Result<()> {
        if !(0..=5).contains(&level) {
            return Err(Error::invalid(
                "set_builder_optimization_level",
                format!("level {level} is outside 0..=5"),
            ));
        }
        self.builder.logger.clear_errors();
        // SAFETY: `raw` is live.
        let status =
            unsafe { trt_sys::trt_builder_config_set_builder_optimization_level(self.raw, level) };
        self.check("set_builder_optimization_level", status)
    }

    /// The builder optimization level.
    pub fn builder_optimization_level(&self) -> i32 {
        // SAFETY: `raw` is live.
        unsafe { trt_sys::trt_builder_config_builder_optimization_level(self.raw) }
    }

    /// How much layer information the engine keeps (`setProfilingVerbosity`).
    pub fn set_profiling_verbosity(&mut self, verbosity: ProfilingVerbosity) -> Result<()> {
        self.builder.logger.clear_errors();
        // SAFETY: `raw` is live.
        let status = unsafe {
            trt_sys::trt_builder_config_set_profiling_verbosity(self.raw, verbosity as i32)
        };
        self.check("set_profiling_verbosity", status)
    }

    /// The profiling verbosity.
    pub fn profiling_verbosity(&self) -> Option<ProfilingVerbosity> {
        // SAFETY: `raw` is live.
        ProfilingVerbosity::from_raw(unsafe {
            trt_sys::trt_builder_config_profiling_verbosity(self.raw)
        })
    }

    /// Sets or clears a builder flag (`setFlag` / `clearFlag`).
    pub fn set_flag(&mut self, flag: BuilderFlag, enabled: bool) -> Result<()> {
        self.builder.logger.clear_errors();
        // SAFETY: `raw` is live.
        let status = unsafe {
            trt_sys::trt_builder_config_set_flag(self.raw, flag as i32, i32::from(enabled))
        };
        self.check("set_flag", status)
    }

    /// Whether a builder flag is set.
    pub fn flag(&self, flag: BuilderFlag) -> bool {
        // SAFETY: `raw` is live.
        unsafe { trt_sys::trt_builder_config_flag(self.raw, flag as i32) == 1 }
    }

    /// Maximum number of auxiliary streams an engine may use.
    pub fn set_max_aux_streams(&mut self, nb_streams: i32) -> Result<()> {
        self.builder.logger.clear_errors();
        // SAFETY: `raw` is live.
        let status =
            unsafe { trt_sys::trt_builder_config_set_max_aux_streams(self.raw, nb_streams) };
        self.check("set_max_aux_streams", status)
    }

    /// TensorRT-RTX: the GPU generations the engine must run on (`setNbComputeCapabilities` /
    /// `setComputeCapability`); an empty list restores the default. With standard TensorRT headers this
    /// returns an error: standard engines always target the building GPU.
    pub fn set_compute_capabilities(&mut self, capabilities: &[ComputeCapability]) -> Result<()> {
        let values: Vec<i32> = capabilities.iter().map(|&c| c as i32).collect();
        self.builder.logger.clear_errors();
        // SAFETY: `raw` is live; `values` is readable for its length.
        let status = unsafe {
            trt_sys::trt_builder_config_set_compute_capabilities(
                self.raw,
                values.as_ptr(),
                values.len() as i32,
            )
        };
        self.check("set_compute_capabilities", status)
    }

    /// Adds an optimization profile (min/opt/max shapes of every dynamic input); returns its index.
    pub fn add_optimization_profile(&mut self, profile: &OptimizationProfile<'b>) -> Result<i32> {
        self.builder.logger.clear_errors();
        // SAFETY: both handles are live and from the same builder.
        let index =
            unsafe { trt_sys::trt_builder_config_add_optimization_profile(self.raw, profile.raw) };
        if index < 0 {
            return Err(self.builder.logger.failure("add_optimization_profile"));
        }
        Ok(index)
    }

    /// Number of optimization profiles added.
    pub fn nb_optimization_profiles(&self) -> i32 {
        // SAFETY: `raw` is live.
        unsafe { trt_sys::trt_builder_config_nb_optimization_profiles(self.raw) }
    }

    /// Installs a progress monitor for the builds using this config (replacing any previous one).
    pub fn set_progress_monitor(&mut self, monitor: impl ProgressMonitor + 'static) -> Result<()> {
        let state = Box::new(MonitorState {
            monitor: Mutex::new(Box::new(monitor)),
        });
        let user = (&*state as *const MonitorState).cast_mut().cast::<c_void>();
        // SAFETY: the callbacks match the shim's signatures; `user` stays valid while the InstalledMonitor lives,
        // which is at least as long as the config.
        let raw = unsafe {
            trt_sys::trt_progress_monitor_create(
                Some(monitor_phase_start),
                Some(monitor_step_complete),
                Some(monitor_phase_finish),
                user,
            )
        };
        if raw.is_null() {
            return Err(self.builder.logger.failure("set_progress_monitor"));
        }
        let installed = InstalledMonitor { raw, _state: state };
        // SAFETY: both live; the previous monitor (if any) is dropped only after the config stops using it.
        let status =
            unsafe { trt_sys::trt_builder_config_set_progress_monitor(self.raw, installed.raw) };
        self.check("set_progress_monitor", status)?;
        self.monitor = Some(installed);
        Ok(())
    }

    /// Removes the progress monitor.
    pub fn clear_progress_monitor(&mut self) -> Result<()> {
        // SAFETY: null removes the monitor.
        let status = unsafe {
            trt_sys::trt_builder_config_set_progress_monitor(self.raw, std::ptr::null_mut())
        };
        self.check("clear_progress_monitor", status)?;
        self.monitor = None;
        Ok(())
    }

    /// A timing cache from serialized bytes (empty slice: a new, empty cache) (`createTimingCache`).
    pub fn create_timing_cache(&self, serialized: &[u8]) -> Result<TimingCache<'b>> {
        self.builder.logger.clear_errors();
        // SAFETY: `serialized` is readable for its length; TensorRT copies it.
        let raw = unsafe {
            trt_sys::trt_builder_config_create_timing_cache(
                self.raw,
                serialized.as_ptr().cast(),
                serialized.len(),
            )
        };
        if raw.is_null() {
            return Err(self.builder.logger.failure("create_timing_cache"));
        }
        Ok(TimingCache {
            raw,
            builder: self.builder,
        })
    }

    /// Loads a timing cache file written by [`TimingCache::save`] (`createTimingCache`).
    pub fn load_timing_cache(&self, path: impl AsRef<Path>) -> Result<TimingCache<'b>> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            op: "read timing cache",
            path: path.into(),
            source,
        })?;
        self.create_timing_cache(&bytes)
    }

    /// Uses `cache` for the builds of this config (the config keeps it; see [`BuilderConfig::timing_cache`]).
    pub fn set_timing_cache(
        &mut self,
        cache: TimingCache<'b>,
        ignore_mismatch: bool,
    ) -> Result<()> {
        self.builder.logger.clear_errors();
        // SAFETY: both handles are live; the config owns the cache from here on, so it outlives every build.
        let status = unsafe {
            trt_sys::trt_builder_config_set_timing_cache(
                self.raw,
                cache.raw,
                i32::from(ignore_mismatch),
            )
        };
        self.check("set_timing_cache", status)?;
        self.timing_cache = Some(cache);
        Ok(())
    }

    /// The timing cache set with [`BuilderConfig::set_timing_cache`] (updated by builds).
    pub fn timing_cache(&self) -> Option<&TimingCache<'b>> {
        self.timing_cache.as_ref()
    }
}

/// Min/opt/max shapes of dynamic inputs ([`nvinfer1::IOptimizationProfile`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_optimization_profile.html)).
/// Owned by the builder.
pub struct OptimizationProfile<'b> {
    raw: *mut trt_sys::trt_optimization_profile,
    builder: &'b Builder<'b>,
}

impl std::fmt::Debug for OptimizationProfile<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OptimizationProfile")
            .field("valid", &self.is_valid())
            .finish_non_exhaustive()
    }
}

impl OptimizationProfile<'_> {
    /// Sets one of the min/opt/max shapes of input `name`.
    pub fn set_shape(
        &mut self,
        name: &str,
        selector: OptProfileSelector,
        dims: impl Into<Dims>,
    ) -> Result<()> {
        let name_c = cstring("set_shape", name)?;
        let dims = dims.into().to_raw("set_shape")?;
        self.builder.logger.clear_errors();
        // SAFETY: `raw` is live; name and dims are valid for the call.
        let status = unsafe {
            trt_sys::trt_optimization_profile_set_dimensions(
                self.raw,
                name_c.as_ptr(),
                selector as i32,
                &dims,
            )
        };
        if status != 0 {
            return Err(self
                .builder
                .logger
                .failure("optimization_profile_set_shape"));
        }
        Ok(())
    }

    /// Sets the min, opt and max shapes of input `name`.
    pub fn set_dimensions(
        &mut self,
        name: &str,
        min: impl Into<Dims>,
        opt: impl Into<Dims>,
        max: impl Into<Dims>,
    ) -> Result<()> {
        self.set_shape(name, OptProfileSelector::Min, min)?;
        self.set_shape(name, OptProfileSelector::Opt, opt)?;
        self.set_shape(name, OptProfileSelector::Max, max)
    }

    /// One of the shapes of input `name`.
    pub fn shape(&self, name: &str, selector: OptProfileSelector) -> Result<Dims> {
        let name_c = cstring("shape", name)?;
        let mut out = Dims::unset();
        // SAFETY: `raw` is live; `out` is writable.
        let status = unsafe {
            trt_sys::trt_optimization_profile_dimensions(
                self.raw,
                name_c.as_ptr(),
                selector as i32,
                &mut out,
            )
        };
        if status != 0 {
            return Err(self.builder.logger.failure("optimization_profile_shape"));
        }
        Ok(Dims::from_raw(&out))
    }

    /// Whether every set input has consistent min <= opt <= max shapes.
    pub fn is_valid(&self) -> bool {
        // SAFETY: `raw` is live.
        unsafe { trt_sys::trt_optimization_profile_is_valid(self.raw) != 0 }
    }
}

/// Measured kernel timings reused across builds ([`nvinfer1::ITimingCache`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_timing_cache.html)).
pub struct TimingCache<'b> {
    raw: *mut trt_sys::trt_timing_cache,
    builder: &'b Builder<'b>,
}

impl Drop for TimingCache<'_> {
    fn drop(&mut self) {
        // SAFETY: `raw` came from createTimingCache; a config using it owns it, so no build is using it.
        unsafe { trt_sys::trt_timing_cache_destroy(self.raw) };
    }
}

impl std::fmt::Debug for TimingCache<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimingCache").finish_non_exhaustive()
    }
}

impl TimingCache<'_> {
    /// The cache's serialized bytes.
    pub fn serialize(&self) -> Result<Vec<u8>> {
        self.builder.logger.clear_errors();
        // SAFETY: `raw` is live.
        let memory = unsafe { trt_sys::trt_timing_cache_serialize(self.raw) };
        if memory.is_null() {
            return Err(self.builder.logger.failure("timing_cache_serialize"));
        }
        Ok(take_host_memory(memory))
    }

    /// Writes the serialized cache to `path` atomically (temporary file in the same directory, then rename).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomic(path.as_ref(), &self.serialize()?, "write timing cache")
    }

    /// Merges `other` into this cache.
    pub fn combine(&mut self, other: &TimingCache<'_>, ignore_mismatch: bool) -> Result<()> {
        self.builder.logger.clear_errors();
        // SAFETY: both handles are live.
        let status = unsafe {
            trt_sys::trt_timing_cache_combine(self.raw, other.raw, i32::from(ignore_mismatch))
        };
        if status != 0 {
            return Err(self.builder.logger.failure("timing_cache_combine"));
        }
        Ok(())
    }
}

/// A built engine's bytes (what `IHostMemory` held), ready to save or to deserialize with a [`crate::Runtime`].
#[derive(Clone, PartialEq, Eq)]
pub struct SerializedEngine {
    bytes: Vec<u8>,
}

impl std::fmt::Debug for SerializedEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SerializedEngine({} bytes)", self.bytes.len())
    }
}

impl SerializedEngine {
    /// Wraps engine bytes (e.g. read from a file).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        SerializedEngine { bytes }
    }

    /// Reads an engine file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            op: "read engine",
            path: path.into(),
            source,
        })?;
        Ok(SerializedEngine { bytes })
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The bytes, by value.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Size in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// True when there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Writes the engine to `path` atomically: a temporary file in the same directory, synced, then renamed.
    /// On failure no file is left at `path` (and no temporary file either).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomic(path.as_ref(), &self.bytes, "write engine")
    }
}

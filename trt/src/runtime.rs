//! [`Runtime`], [`Engine`] and [`ExecutionContext`]: deserialize and run engines.

use std::ffi::{c_void, CStr};
use std::sync::Arc;

use crate::builder::take_host_memory;
use crate::enums::{
    DataType, ExecutionContextAllocationStrategy, OptProfileSelector, TensorIOMode,
};
use crate::error::{Error, Result};
use crate::logger::Logger;
use crate::types::Dims;
use crate::util::cstring;
use crate::{Library, SerializedEngine};

/// Deserializes engines ([`nvinfer1::IRuntime`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_runtime.html)).
///
/// Deserializing needs a CUDA device that the engine supports; on a machine without one (or a GPU
/// TensorRT-RTX refuses) [`Runtime::deserialize`] returns [`Error::TensorRt`] with TensorRT's message.
pub struct Runtime<'lib> {
    raw: *mut trt_sys::trt_runtime,
    logger: Logger,
    library: &'lib Library,
}

// SAFETY: an IRuntime may be moved between threads.
unsafe impl Send for Runtime<'_> {}
// SAFETY: TensorRT documents that the runtime may be used by several threads at once (each running its own
// execution context); the only mutable state on our side is the shared logger, which is thread-safe.
unsafe impl Sync for Runtime<'_> {}

impl Drop for Runtime<'_> {
    fn drop(&mut self) {
        // SAFETY: `raw` came from createInferRuntime; engines borrow `self` and are gone.
        unsafe { trt_sys::trt_runtime_destroy(self.raw) };
    }
}

impl std::fmt::Debug for Runtime<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("library", &self.library.path())
            .finish_non_exhaustive()
    }
}

impl<'lib> Runtime<'lib> {
    /// Creates a runtime (`createInferRuntime`) that logs to `logger`.
    pub fn new(library: &'lib Library, logger: &Logger) -> Result<Self> {
        logger.clear_errors();
        // SAFETY: `api` holds entry points of the loaded library; we keep a clone of the logger.
        let raw = unsafe { trt_sys::trt_runtime_create(library.api(), logger.raw()) };
        if raw.is_null() {
            return Err(logger.failure("create_runtime"));
        }
        Ok(Runtime {
            raw,
            logger: logger.clone(),
            library,
        })
    }

    /// Deserializes engine bytes (`deserializeCudaEngine`). TensorRT copies what it needs: `bytes` may be
    /// dropped afterwards.
    pub fn deserialize(&self, bytes: &[u8]) -> Result<Engine<'_>> {
        Ok(Engine {
            raw: self.deserialize_raw(bytes)?,
            logger: self.logger.clone(),
            _runtime: std::marker::PhantomData,
        })
    }

    fn deserialize_raw(&self, bytes: &[u8]) -> Result<*mut trt_sys::trt_engine> {
        if bytes.is_empty() {
            return Err(Error::invalid("deserialize", "empty engine data"));
        }
        self.logger.clear_errors();
        // SAFETY: `bytes` is readable for its length during the call.
        let raw = unsafe {
            trt_sys::trt_runtime_deserialize_engine(self.raw, bytes.as_ptr().cast(), bytes.len())
        };
        if raw.is_null() {
            return Err(self.logger.failure("deserialize_cuda_engine"));
        }
        Ok(raw)
    }

    /// Deserializes a [`SerializedEngine`].
    pub fn deserialize_engine(&self, engine: &SerializedEngine) -> Result<Engine<'_>> {
        self.deserialize(engine.as_bytes())
    }
}

/// An I/O tensor of an engine, as [`Engine::io_tensors`] lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoTensor {
    /// Name.
    pub name: String,
    /// Input or output.
    pub mode: TensorIOMode,
    /// Shape (-1 for dynamic dims).
    pub shape: Dims,
    /// Element type.
    pub data_type: DataType,
}

/// A deserialized engine ([`nvinfer1::ICudaEngine`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_cuda_engine.html)).
pub struct Engine<'runtime> {
    raw: *mut trt_sys::trt_engine,
    logger: Logger,
    _runtime: std::marker::PhantomData<&'runtime Runtime<'runtime>>,
}

// SAFETY: TensorRT allows an engine to be used from several threads at once as long as each thread runs its
// own execution context; the methods here only query the engine or create contexts.
unsafe impl Send for Engine<'_> {}
// SAFETY: see `Send`.
unsafe impl Sync for Engine<'_> {}

impl Drop for Engine<'_> {
    fn drop(&mut self) {
        // SAFETY: `raw` came from deserializeCudaEngine; contexts borrow `self` and are gone.
        unsafe { trt_sys::trt_engine_destroy(self.raw) };
    }
}

impl std::fmt::Debug for Engine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("io_tensors", &self.io_tensors().unwrap_or_default())
            .finish()
    }
}

impl<'runtime> Engine<'runtime> {
    fn name_c(&self, op: &'static str, name: &str) -> Result<std::ffi::CString> {
        let c = cstring(op, name)?;
        if !self.io_tensor_names().iter().any(|n| n == name) {
            return Err(Error::UnknownTensor {
                name: name.to_owned(),
                available: self.io_tensor_names(),
            });
        }
        Ok(c)
    }

    /// Names of the I/O tensors, inputs and outputs, in TensorRT's order.
    pub fn io_tensor_names(&self) -> Vec<String> {
        // SAFETY: `raw` is live.
        let n = unsafe { trt_sys::trt_engine_nb_io_tensors(self.raw) }.max(0);
        (0..n)
            .filter_map(|i| {
                // SAFETY: index in range; the name lives as long as the engine and is copied at once.
                let p = unsafe { trt_sys::trt_engine_io_tensor_name(self.raw, i) };
                // SAFETY: a non-null name is NUL-terminated and owned by the live engine.
                (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
            })
            .collect()
    }

    /// Every I/O tensor with its mode, shape and type.
    pub fn io_tensors(&self) -> Result<Vec<IoTensor>> {
        self.io_tensor_names()
            .into_iter()
            .map(|name| {
                Ok(IoTensor {
                    mode: self.tensor_io_mode(&name)?,
                    shape: self.tensor_shape(&name)?,
                    data_type: self.tensor_data_type(&name)?,
                    name,
                })
            })
            .collect()
    }

    /// Whether `name` is an input or an output.
    pub fn tensor_io_mode(&self, name: &str) -> Result<TensorIOMode> {
        let c = self.name_c("tensor_io_mode", name)?;
        // SAFETY: `raw` is live.
        let v = unsafe { trt_sys::trt_engine_tensor_io_mode(self.raw, c.as_ptr()) };
        TensorIOMode::from_raw(v).ok_or_else(|| self.logger.failure("tensor_io_mode"))
    }

    /// Shape of I/O tensor `name` (-1 for dynamic dims).
    pub fn tensor_shape(&self, name: &str) -> Result<Dims> {
        let c = self.name_c("tensor_shape", name)?;
        let mut out = Dims::unset();
        self.logger.clear_errors();
        // SAFETY: `raw` is live; `out` is writable.
        if unsafe { trt_sys::trt_engine_tensor_shape(self.raw, c.as_ptr(), &mut out) } != 0 {
            return Err(self.logger.failure("tensor_shape"));
        }
        Ok(Dims::from_raw(&out))
    }

    /// Element type of I/O tensor `name`.
    pub fn tensor_data_type(&self, name: &str) -> Result<DataType> {
        let c = self.name_c("tensor_data_type", name)?;
        // SAFETY: `raw` is live.
        DataType::from_i32(unsafe { trt_sys::trt_engine_tensor_data_type(self.raw, c.as_ptr()) })
    }

    /// Number of layers after optimization.
    pub fn nb_layers(&self) -> i32 {
        // SAFETY: `raw` is live.
        unsafe { trt_sys::trt_engine_nb_layers(self.raw) }
    }

    /// Number of optimization profiles.
    pub fn nb_optimization_profiles(&self) -> i32 {
        // SAFETY: `raw` is live.
        unsafe { trt_sys::trt_engine_nb_optimization_profiles(self.raw) }
    }

    /// Min/opt/max shape of input `name` in profile `profile`.
    pub fn profile_shape(
        &self,
        name: &str,
        profile: i32,
        selector: OptProfileSelector,
    ) -> Result<Dims> {
        let c = self.name_c("profile_shape", name)?;
        let mut out = Dims::unset();
        self.logger.clear_errors();
        // SAFETY: `raw` is live; `out` is writable.
        if unsafe {
            trt_sys::trt_engine_profile_shape(
                self.raw,
                c.as_ptr(),
                profile,
                selector as i32,
                &mut out,
            )
        } != 0
        {
            return Err(self.logger.failure("profile_shape"));
        }
        Ok(Dims::from_raw(&out))
    }

    /// Device memory an execution context needs (bytes).
    pub fn device_memory_size(&self) -> i64 {
        // SAFETY: `raw` is live.
        unsafe { trt_sys::trt_engine_device_memory_size(self.raw) }
    }

    /// Serializes the engine again.
    pub fn serialize(&self) -> Result<SerializedEngine> {
        self.logger.clear_errors();
        // SAFETY: `raw` is live.
        let m = unsafe { trt_sys::trt_engine_serialize(self.raw) };
        if m.is_null() {
            return Err(self.logger.failure("serialize"));
        }
        Ok(SerializedEngine::from_bytes(take_host_memory(m)))
    }

    /// An execution context with statically allocated device memory.
    pub fn create_execution_context(&self) -> Result<ExecutionContext<'_>> {
        self.create_execution_context_with(ExecutionContextAllocationStrategy::Static)
    }

    /// An execution context with the given allocation strategy.
    pub fn create_execution_context_with(
        &self,
        strategy: ExecutionContextAllocationStrategy,
    ) -> Result<ExecutionContext<'_>> {
        self.logger.clear_errors();
        // SAFETY: `raw` is live.
        let raw =
            unsafe { trt_sys::trt_engine_create_execution_context(self.raw, strategy as i32) };
        if raw.is_null() {
            return Err(self.logger.failure("create_execution_context"));
        }
        Ok(ExecutionContext { raw, engine: self })
    }
}

/// Runs an engine ([`nvinfer1::IExecutionContext`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_execution_context.html)).
/// One per thread / stream.
pub struct ExecutionContext<'engine> {
    raw: *mut trt_sys::trt_context,
    engine: &'engine Engine<'engine>,
}

// SAFETY: a context may move to another thread; it is not `Sync`, so never used from two threads at once,
// which is TensorRT's rule for contexts.
unsafe impl Send for ExecutionContext<'_> {}

impl Drop for ExecutionContext<'_> {
    fn drop(&mut self) {
        // SAFETY: `raw` came from createExecutionContext. Work still queued on a stream must be synchronized by
        // the caller before dropping, as with TensorRT itself.
        unsafe { trt_sys::trt_context_destroy(self.raw) };
    }
}

impl std::fmt::Debug for ExecutionContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecutionContext").finish_non_exhaustive()
    }
}

impl<'engine> ExecutionContext<'engine> {
    /// The engine this context runs.
    pub fn engine(&self) -> &'engine Engine<'engine> {
        self.engine
    }

    /// Sets the run-time shape of a dynamic input (within the active optimization profile).
    pub fn set_input_shape(&mut self, name: &str, dims: impl Into<Dims>) -> Result<()> {
        let c = self.engine.name_c("set_input_shape", name)?;
        let dims = dims.into().to_raw("set_input_shape")?;
        self.engine.logger.clear_errors();
        // SAFETY: `raw` is live; arguments valid for the call.
        if unsafe { trt_sys::trt_context_set_input_shape(self.raw, c.as_ptr(), &dims) } != 0 {
            return Err(self.engine.logger.failure("set_input_shape"));
        }
        Ok(())
    }

    /// The shape of tensor `name` given the input shapes set so far.
    pub fn tensor_shape(&self, name: &str) -> Result<Dims> {
        let c = self.engine.name_c("tensor_shape", name)?;
        let mut out = Dims::unset();
        self.engine.logger.clear_errors();
        // SAFETY: `raw` is live; `out` is writable.
        if unsafe { trt_sys::trt_context_tensor_shape(self.raw, c.as_ptr(), &mut out) } != 0 {
            return Err(self.engine.logger.failure("context_tensor_shape"));
        }
        Ok(Dims::from_raw(&out))
    }

    /// Whether every dynamic input has a shape.
    pub fn all_input_dimensions_specified(&self) -> bool {
        // SAFETY: `raw` is live.
        unsafe { trt_sys::trt_context_all_input_dimensions_specified(self.raw) != 0 }
    }

    /// Sets the device address of I/O tensor `name` (`setTensorAddress`). The address is only stored here;
    /// [`ExecutionContext::enqueue`] is where it must be valid.
    // The pointer is a device address that is never dereferenced on the host here; `enqueue` is `unsafe`.
    #[allow(clippy::not_unsafe_ptr_arg_deref)]
    pub fn set_tensor_address(&mut self, name: &str, address: *mut c_void) -> Result<()> {
        let c = self.engine.name_c("set_tensor_address", name)?;
        self.engine.logger.clear_errors();
        // SAFETY: `raw` is live; TensorRT only records the pointer.
        if unsafe { trt_sys::trt_context_set_tensor_address(self.raw, c.as_ptr(), address) } != 0 {
            return Err(self.engine.logger.failure("set_tensor_address"));
        }
        Ok(())
    }

    /// Selects optimization profile `index`, enqueuing any needed copies on `stream`.
    ///
    /// # Safety
    /// `stream` must be a valid `cudaStream_t` of the current CUDA context, or null (the default stream).
    pub unsafe fn set_optimization_profile_async(
        &mut self,
        index: i32,
        stream: *mut c_void,
    ) -> Result<()> {
        self.engine.logger.clear_errors();
        // SAFETY: `raw` is live; the caller guarantees the stream.
        if unsafe { trt_sys::trt_context_set_optimization_profile_async(self.raw, index, stream) }
            != 0
        {
            return Err(self.engine.logger.failure("set_optimization_profile_async"));
        }
        Ok(())
    }

    /// Enqueues inference on `stream` (`enqueueV3`); returns once the work is queued.
    ///
    /// # Safety
    /// `stream` must be a valid `cudaStream_t` (or null for the default stream) of the current CUDA context.
    /// Every I/O tensor's address must point to device memory of at least its shape × element size, alive
    /// and not otherwise written until the stream has finished this work.
    pub unsafe fn enqueue(&mut self, stream: *mut c_void) -> Result<()> {
        self.engine.logger.clear_errors();
        // SAFETY: `raw` is live; the caller guarantees stream and buffers.
        if unsafe { trt_sys::trt_context_enqueue_v3(self.raw, stream) } != 0 {
            return Err(self.engine.logger.failure("enqueue_v3"));
        }
        Ok(())
    }
}

impl Runtime<'static> {
    /// Deserializes into a [`SharedEngine`], which keeps this runtime alive through the `Arc` instead of
    /// borrowing it: for long-lived owners (a model struct holding its engine and contexts).
    pub fn deserialize_shared(self: &Arc<Self>, bytes: &[u8]) -> Result<SharedEngine> {
        let raw = self.deserialize_raw(bytes)?;
        Ok(SharedEngine {
            engine: Engine {
                raw,
                logger: self.logger.clone(),
                _runtime: std::marker::PhantomData,
            },
            _runtime: Arc::clone(self),
        })
    }
}

/// An [`Engine`] that owns a share of its [`Runtime`] (no lifetime parameter). Dereferences to [`Engine`];
/// create contexts that own a share of the engine with [`SharedEngine::create_shared_context`].
pub struct SharedEngine {
    // Declared before `_runtime`: fields drop in order, so the engine goes before the runtime it came from.
    engine: Engine<'static>,
    _runtime: Arc<Runtime<'static>>,
}

impl std::fmt::Debug for SharedEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.engine.fmt(f)
    }
}

impl std::ops::Deref for SharedEngine {
    type Target = Engine<'static>;
    fn deref(&self) -> &Engine<'static> {
        // Sound to hand out: no method of `Engine` returns anything tied to its `'runtime` parameter; everything
        // it creates borrows the `&self` this reference came from.
        &self.engine
    }
}

impl SharedEngine {
    /// An execution context that keeps this engine (and its runtime) alive.
    pub fn create_shared_context(self: &Arc<Self>) -> Result<SharedContext> {
        self.create_shared_context_with(ExecutionContextAllocationStrategy::Static)
    }

    /// Same, with an allocation strategy.
    pub fn create_shared_context_with(
        self: &Arc<Self>,
        strategy: ExecutionContextAllocationStrategy,
    ) -> Result<SharedContext> {
        let context = self.engine.create_execution_context_with(strategy)?;
        let raw = context.raw;
        // The context is re-owned below with the right lifetime; do not destroy it here.
        std::mem::forget(context);
        Ok(SharedContext {
            raw,
            engine: Arc::clone(self),
        })
    }
}

/// An [`ExecutionContext`] that owns a share of its engine (no lifetime parameter). One per thread / stream.
pub struct SharedContext {
    raw: *mut trt_sys::trt_context,
    engine: Arc<SharedEngine>,
}

// SAFETY: as for `ExecutionContext`: movable between threads, never shared (not `Sync`).
unsafe impl Send for SharedContext {}

impl Drop for SharedContext {
    fn drop(&mut self) {
        // SAFETY: `raw` came from createExecutionContext of `self.engine`, which is still alive (dropped after this).
        unsafe { trt_sys::trt_context_destroy(self.raw) };
    }
}

impl std::fmt::Debug for SharedContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedContext").finish_non_exhaustive()
    }
}

impl SharedContext {
    /// This context as an [`ExecutionContext`] borrowing the engine; never destroyed through the view.
    fn view(&self) -> std::mem::ManuallyDrop<ExecutionContext<'_>> {
        std::mem::ManuallyDrop::new(ExecutionContext {
            raw: self.raw,
            engine: &self.engine.engine,
        })
    }

    /// The engine.
    pub fn engine(&self) -> &Engine<'_> {
        &self.engine.engine
    }

    /// See [`ExecutionContext::set_input_shape`].
    pub fn set_input_shape(&mut self, name: &str, dims: impl Into<Dims>) -> Result<()> {
        self.view().set_input_shape(name, dims)
    }

    /// See [`ExecutionContext::tensor_shape`].
    pub fn tensor_shape(&self, name: &str) -> Result<Dims> {
        self.view().tensor_shape(name)
    }

    /// See [`ExecutionContext::all_input_dimensions_specified`].
    pub fn all_input_dimensions_specified(&self) -> bool {
        self.view().all_input_dimensions_specified()
    }

    /// See [`ExecutionContext::set_tensor_address`].
    // The pointer is a device address that is never dereferenced on the host here; `enqueue` is `unsafe`.
    #[allow(clippy::not_unsafe_ptr_arg_deref)]
    pub fn set_tensor_address(&mut self, name: &str, address: *mut c_void) -> Result<()> {
        self.view().set_tensor_address(name, address)
    }

    /// See [`ExecutionContext::set_optimization_profile_async`].
    ///
    /// # Safety
    /// As for [`ExecutionContext::set_optimization_profile_async`].
    pub unsafe fn set_optimization_profile_async(
        &mut self,
        index: i32,
        stream: *mut c_void,
    ) -> Result<()> {
        // SAFETY: forwarded contract.
        unsafe { self.view().set_optimization_profile_async(index, stream) }
    }

    /// See [`ExecutionContext::enqueue`].
    ///
    /// # Safety
    /// As for [`ExecutionContext::enqueue`].
    pub unsafe fn enqueue(&mut self, stream: *mut c_void) -> Result<()> {
        // SAFETY: forwarded contract.
        unsafe { self.view().enqueue(stream) }
    }
}

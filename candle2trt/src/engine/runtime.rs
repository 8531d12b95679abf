//! Running engines on candle CUDA tensors (feature `cuda`): zero-copy inputs, outputs allocated
//! as candle CUDA tensors, work enqueued on candle's stream.

use std::ffi::c_void;
use std::sync::{Arc, Mutex};

use candle_core::cuda_backend::cudarc::driver::{CudaSlice, CudaStream, DevicePtr, DevicePtrMut};
use candle_core::cuda_backend::{CudaDType, CudaStorage};
use candle_core::op::BackpropOp;
use candle_core::{CudaDevice, DType, Storage, Tensor};

use super::meta::EngineMeta;
use crate::{Error, Result};

/// The deserialized engine and its execution context, created on first use. The context keeps
/// the engine and the runtime alive (`trt::SharedContext`).
struct State {
    context: trt::SharedContext,
    device_ordinal: usize,
}

impl State {
    fn new(meta: &EngineMeta, engine: &[u8], device: &CudaDevice) -> Result<Self> {
        let library = trt::Library::load().map_err(trt::Error::from)?;
        let loaded = library.version().to_string();
        if loaded != meta.tensorrt_version {
            return Err(Error::RuntimeUnavailable(format!(
                "the engine was built by TensorRT {}, the loaded library is TensorRT {loaded}; \
                 engines only run on the version that built them",
                meta.tensorrt_version
            )));
        }
        // TensorRT works in the calling thread's current CUDA context: make it candle's.
        device
            .cuda_stream()
            .context()
            .bind_to_thread()
            .map_err(|e| {
                Error::RuntimeUnavailable(format!("binding candle's CUDA context: {e}"))
            })?;
        let logger = trt::Logger::new(trt::Severity::Warning)?;
        let runtime = Arc::new(trt::Runtime::new(library, &logger)?);
        let engine = Arc::new(runtime.deserialize_shared(engine)?);
        let context = engine.create_shared_context()?;
        Ok(State {
            context,
            device_ordinal: device.id_ordinal(),
        })
    }
}

/// Lazily created runtime state of a `TrtModule`. The lock makes a module shareable between
/// threads (`Sync`): one execution context runs one enqueue at a time.
#[derive(Default)]
pub(crate) struct RuntimeCell(Mutex<Option<State>>);

trait DeviceOrdinal {
    fn id_ordinal(&self) -> usize;
}

impl DeviceOrdinal for CudaDevice {
    fn id_ordinal(&self) -> usize {
        self.cuda_stream().context().ordinal()
    }
}

/// The device address of `x`'s first element (with its layout offset), read on `stream`.
/// The returned guard must live until the work reading it is enqueued.
fn input_ptr<'a, T: CudaDType + 'a>(
    storage: &'a CudaStorage,
    offset: usize,
    stream: &'a CudaStream,
) -> Result<(u64, impl Guard + 'a)> {
    let slice: &CudaSlice<T> = storage.as_cuda_slice::<T>()?;
    let (ptr, guard) = slice.device_ptr(stream);
    Ok((ptr + (offset * std::mem::size_of::<T>()) as u64, guard))
}

enum Output {
    F32(CudaSlice<f32>),
    F16(CudaSlice<half::f16>),
    BF16(CudaSlice<half::bf16>),
    I64(CudaSlice<i64>),
    I32(CudaSlice<i32>),
    U32(CudaSlice<u32>),
    U8(CudaSlice<u8>),
}

fn alloc_output(device: &CudaDevice, dtype: DType, len: usize) -> Result<Output> {
    // SAFETY: (all arms) TensorRT writes every element before anything reads the tensor (the
    // enqueue is ordered before any later use on the same stream).
    Ok(unsafe {
        match dtype {
            DType::F32 => Output::F32(device.alloc::<f32>(len)?),
            DType::F16 => Output::F16(device.alloc::<half::f16>(len)?),
            DType::BF16 => Output::BF16(device.alloc::<half::bf16>(len)?),
            DType::I64 => Output::I64(device.alloc::<i64>(len)?),
            DType::I32 => Output::I32(device.alloc::<i32>(len)?),
            DType::U32 => Output::U32(device.alloc::<u32>(len)?),
            DType::U8 => Output::U8(device.alloc::<u8>(len)?),
            other => {
                return Err(Error::RuntimeUnavailable(format!(
                    "no CUDA output buffers of dtype {other:?}"
                )))
            }
        }
    })
}

impl Output {
    fn ptr(&mut self, stream: &CudaStream) -> u64 {
        // The guard only records an event for cudarc's multi-stream tracking; everything here
        // runs on one stream, so dropping it right away is fine.
        macro_rules! p {
            ($s:expr) => {{
                let (ptr, _guard) = $s.device_ptr_mut(stream);
                ptr
            }};
        }
        match self {
            Output::F32(s) => p!(s),
            Output::F16(s) => p!(s),
            Output::BF16(s) => p!(s),
            Output::I64(s) => p!(s),
            Output::I32(s) => p!(s),
            Output::U32(s) => p!(s),
            Output::U8(s) => p!(s),
        }
    }

    fn into_storage(self, device: &CudaDevice) -> CudaStorage {
        let d = device.clone();
        match self {
            Output::F32(s) => CudaStorage::wrap_cuda_slice(s, d),
            Output::F16(s) => CudaStorage::wrap_cuda_slice(s, d),
            Output::BF16(s) => CudaStorage::wrap_cuda_slice(s, d),
            Output::I64(s) => CudaStorage::wrap_cuda_slice(s, d),
            Output::I32(s) => CudaStorage::wrap_cuda_slice(s, d),
            Output::U32(s) => CudaStorage::wrap_cuda_slice(s, d),
            Output::U8(s) => CudaStorage::wrap_cuda_slice(s, d),
        }
    }
}

/// `TrtModule::forward` with the `cuda` feature: runs `engine`, described by `meta`, with the
/// state kept in `runtime`. Inputs are already checked (count, CUDA, dtype, contiguity, shape).
pub(crate) fn forward(
    meta: &EngineMeta,
    engine: &[u8],
    runtime: &RuntimeCell,
    inputs: &[&Tensor],
) -> Result<Vec<Tensor>> {
    let device = inputs[0].device().as_cuda_device()?.clone();
    for (index, x) in inputs.iter().enumerate() {
        if !x.device().same_device(inputs[0].device()) {
            return Err(Error::InvalidInput {
                index,
                name: meta.inputs[index].name.clone(),
                reason: "on a different CUDA device than input 0".into(),
            });
        }
    }
    let stream = device.cuda_stream();
    // TensorRT works in the calling thread's current CUDA context: make it candle's.
    stream
        .context()
        .bind_to_thread()
        .map_err(|e| Error::RuntimeUnavailable(format!("binding candle's CUDA context: {e}")))?;

    // Inputs: the addresses of candle's own buffers (no copy), read on candle's stream.
    let storages: Vec<_> = inputs.iter().map(|x| x.storage_and_layout()).collect();
    let mut read_guards: Vec<Box<dyn Guard + '_>> = Vec::with_capacity(inputs.len());
    let mut input_ptrs = Vec::with_capacity(inputs.len());
    for (x, (storage, layout)) in inputs.iter().zip(&storages) {
        let Storage::Cuda(cuda) = &**storage else {
            return Err(Error::RuntimeUnavailable(
                "input storage is not CUDA".into(),
            ));
        };
        let offset = layout.start_offset();
        let (ptr, guard): (u64, Box<dyn Guard + '_>) = match x.dtype() {
            DType::F32 => boxed(input_ptr::<f32>(cuda, offset, &stream)?),
            DType::F16 => boxed(input_ptr::<half::f16>(cuda, offset, &stream)?),
            DType::BF16 => boxed(input_ptr::<half::bf16>(cuda, offset, &stream)?),
            DType::I64 => boxed(input_ptr::<i64>(cuda, offset, &stream)?),
            DType::I32 => boxed(input_ptr::<i32>(cuda, offset, &stream)?),
            DType::U32 => boxed(input_ptr::<u32>(cuda, offset, &stream)?),
            DType::U8 => boxed(input_ptr::<u8>(cuda, offset, &stream)?),
            other => {
                return Err(Error::RuntimeUnavailable(format!(
                    "no CUDA inputs of dtype {other:?}"
                )))
            }
        };
        read_guards.push(guard);
        input_ptrs.push(ptr);
    }
    tracing::debug!(
        ?input_ptrs,
        "candle2trt: input device pointers from candle's storage"
    );

    // The engine, deserialized on first use (where TensorRT may refuse the GPU).
    let mut cell = runtime
        .0
        .lock()
        .map_err(|_| Error::RuntimeUnavailable("an earlier forward panicked".into()))?;
    if cell
        .as_ref()
        .is_some_and(|s| s.device_ordinal != device.id_ordinal())
    {
        *cell = None;
    }
    if cell.is_none() {
        *cell = Some(State::new(meta, engine, &device)?);
    }
    let state = cell
        .as_mut()
        .ok_or_else(|| Error::RuntimeUnavailable("no engine".into()))?;
    for ((x, ptr), spec) in inputs.iter().zip(&input_ptrs).zip(&meta.inputs) {
        let dims: Vec<i64> = x.dims().iter().map(|&d| d as i64).collect();
        state.context.set_input_shape(&spec.name, dims)?;
        state
            .context
            .set_tensor_address(&spec.name, *ptr as usize as *mut c_void)?;
    }

    // Outputs: shapes from the context, fresh candle CUDA buffers.
    let mut outputs = Vec::with_capacity(meta.outputs.len());
    for spec in &meta.outputs {
        let dims = state.context.tensor_shape(&spec.name)?;
        let shape: Vec<usize> = dims
            .as_slice()
            .iter()
            .map(|&d| usize::try_from(d))
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| {
                Error::RuntimeUnavailable(format!(
                    "TensorRT reports an unresolved shape {dims:?} for output {}",
                    spec.name
                ))
            })?;
        let len = shape.iter().product::<usize>().max(1);
        let mut out = alloc_output(&device, spec.dtype, len)?;
        let ptr = out.ptr(&stream);
        state
            .context
            .set_tensor_address(&spec.name, ptr as usize as *mut c_void)?;
        outputs.push((out, shape, spec.dtype));
    }

    // SAFETY: the stream is candle's, in the context bound above; every I/O address points to
    // a live buffer of the engine's shape and type (inputs checked by `check_inputs`, outputs
    // just allocated); the input buffers stay alive (and unwritten: candle tensors are
    // immutable) until the stream has run this work, because later candle ops and frees are
    // ordered on the same stream.
    unsafe { state.context.enqueue(stream.cu_stream() as *mut c_void)? };
    drop(read_guards);
    drop(storages);

    Ok(outputs
        .into_iter()
        .map(|(out, shape, _dtype)| {
            let storage = Storage::Cuda(out.into_storage(&device));
            Tensor::from_storage(storage, shape, BackpropOp::none(), false)
        })
        .collect())
}

/// Anything kept alive until the enqueue (cudarc's read guards).
trait Guard {}
impl<T> Guard for T {}

fn boxed<'a, G: 'a>((ptr, guard): (u64, G)) -> (u64, Box<dyn Guard + 'a>) {
    (ptr, Box::new(guard))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Output buffers become candle CUDA tensors of the right shape and dtype (runs where a
    /// CUDA device exists; TensorRT is not involved).
    #[test]
    fn output_buffers_become_candle_cuda_tensors() {
        let Ok(candle_core::Device::Cuda(device)) = candle_core::Device::new_cuda(0) else {
            println!("SKIPPED: no CUDA device: candle could not open CUDA device 0");
            return;
        };
        let stream = device.cuda_stream();
        for dtype in [DType::F32, DType::F16, DType::I64, DType::U8] {
            let mut out = alloc_output(&device, dtype, 6).unwrap();
            assert_ne!(out.ptr(&stream), 0);
            let storage = Storage::Cuda(out.into_storage(&device));
            let t = Tensor::from_storage(storage, (2, 3), BackpropOp::none(), false);
            assert!(t.device().is_cuda());
            assert_eq!((t.dims(), t.dtype()), (&[2usize, 3][..], dtype));
            // candle can use it like any of its tensors.
            let z = t.zeros_like().unwrap().to_dtype(DType::F32).unwrap();
            assert_eq!(z.sum_all().unwrap().to_scalar::<f32>().unwrap(), 0.0);
        }
    }
}

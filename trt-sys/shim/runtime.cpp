// Runtime, engine and execution context.
#include "shim_internal.hpp"

#include <string>

using namespace shim;

namespace
{
using FactoryFn = void* (*) (void*, int32_t);

nvinfer1::IRuntime* R(trt_runtime* h)
{
    return reinterpret_cast<nvinfer1::IRuntime*>(need(h, "runtime"));
}
nvinfer1::ICudaEngine* E(trt_engine* h)
{
    return reinterpret_cast<nvinfer1::ICudaEngine*>(need(h, "engine"));
}
nvinfer1::ICudaEngine const* E(trt_engine const* h)
{
    return reinterpret_cast<nvinfer1::ICudaEngine const*>(need(h, "engine"));
}
nvinfer1::IExecutionContext* X(trt_context* h)
{
    return reinterpret_cast<nvinfer1::IExecutionContext*>(need(h, "execution context"));
}
nvinfer1::IExecutionContext const* X(trt_context const* h)
{
    return reinterpret_cast<nvinfer1::IExecutionContext const*>(need(h, "execution context"));
}

std::string quoted(char const* name)
{
    return std::string("'") + name + "'";
}
} // namespace

extern "C" {

trt_runtime* trt_runtime_create(const trt_api* api, trt_logger* logger)
{
    return guarded("trt_runtime_create", static_cast<trt_runtime*>(nullptr), [&] {
        auto fn = reinterpret_cast<FactoryFn>(need(need(api, "api")->create_infer_runtime, "createInferRuntime_INTERNAL"));
        void* r = fn(logger_of(logger), NV_TENSORRT_VERSION);
        if (r == nullptr)
        {
            fail("createInferRuntime returned null");
        }
        return reinterpret_cast<trt_runtime*>(static_cast<nvinfer1::IRuntime*>(r));
    });
}

void trt_runtime_destroy(trt_runtime* runtime)
{
    delete reinterpret_cast<nvinfer1::IRuntime*>(runtime);
}

trt_engine* trt_runtime_deserialize_engine(trt_runtime* runtime, const void* blob, size_t size)
{
    return guarded("trt_runtime_deserialize_engine", static_cast<trt_engine*>(nullptr), [&] {
        if (blob == nullptr || size == 0)
        {
            fail("empty engine data");
        }
        auto* e = R(runtime)->deserializeCudaEngine(blob, size);
        if (e == nullptr)
        {
            fail("deserializeCudaEngine failed");
        }
        return reinterpret_cast<trt_engine*>(e);
    });
}

void trt_engine_destroy(trt_engine* engine)
{
    delete reinterpret_cast<nvinfer1::ICudaEngine*>(engine);
}

int32_t trt_engine_nb_io_tensors(const trt_engine* engine)
{
    return guarded("trt_engine_nb_io_tensors", -1, [&] { return E(engine)->getNbIOTensors(); });
}

const char* trt_engine_io_tensor_name(const trt_engine* engine, int32_t index)
{
    return guarded("trt_engine_io_tensor_name", static_cast<char const*>(nullptr), [&] {
        char const* name = E(engine)->getIOTensorName(index);
        if (name == nullptr)
        {
            fail("no IO tensor at index " + std::to_string(index));
        }
        return name;
    });
}

int32_t trt_engine_tensor_io_mode(const trt_engine* engine, const char* name)
{
    return guarded("trt_engine_tensor_io_mode", -1, [&] {
        return static_cast<int32_t>(E(engine)->getTensorIOMode(need_str(name, "tensor name")));
    });
}

int32_t trt_engine_tensor_shape(const trt_engine* engine, const char* name, trt_dims* out)
{
    return guarded("trt_engine_tensor_shape", 1, [&] {
        auto const d = E(engine)->getTensorShape(need_str(name, "tensor name"));
        if (d.nbDims < 0)
        {
            fail("no IO tensor named " + quoted(name));
        }
        from_dims(d, out);
        return 0;
    });
}

int32_t trt_engine_tensor_data_type(const trt_engine* engine, const char* name)
{
    return guarded("trt_engine_tensor_data_type", -1, [&] {
        return static_cast<int32_t>(E(engine)->getTensorDataType(need_str(name, "tensor name")));
    });
}

int32_t trt_engine_nb_layers(const trt_engine* engine)
{
    return guarded("trt_engine_nb_layers", -1, [&] { return E(engine)->getNbLayers(); });
}

int32_t trt_engine_nb_optimization_profiles(const trt_engine* engine)
{
    return guarded("trt_engine_nb_optimization_profiles", -1, [&] { return E(engine)->getNbOptimizationProfiles(); });
}

int32_t trt_engine_profile_shape(const trt_engine* engine, const char* name, int32_t profile_index, int32_t selector, trt_dims* out)
{
    return guarded("trt_engine_profile_shape", 1, [&] {
        auto const d = E(engine)->getProfileShape(
            need_str(name, "tensor name"), profile_index, static_cast<nvinfer1::OptProfileSelector>(selector));
        if (d.nbDims < 0)
        {
            fail("no profile shape for " + quoted(name) + " in profile " + std::to_string(profile_index));
        }
        from_dims(d, out);
        return 0;
    });
}

int64_t trt_engine_device_memory_size(const trt_engine* engine)
{
    return guarded("trt_engine_device_memory_size", static_cast<int64_t>(-1),
        [&] { return E(engine)->getDeviceMemorySizeV2(); });
}

trt_host_memory* trt_engine_serialize(const trt_engine* engine)
{
    return guarded("trt_engine_serialize", static_cast<trt_host_memory*>(nullptr), [&] {
        auto* m = E(engine)->serialize();
        if (m == nullptr)
        {
            fail("ICudaEngine::serialize failed");
        }
        return reinterpret_cast<trt_host_memory*>(m);
    });
}

trt_context* trt_engine_create_execution_context(trt_engine* engine, int32_t strategy)
{
    return guarded("trt_engine_create_execution_context", static_cast<trt_context*>(nullptr), [&] {
        auto* c = E(engine)->createExecutionContext(static_cast<nvinfer1::ExecutionContextAllocationStrategy>(strategy));
        if (c == nullptr)
        {
            fail("createExecutionContext failed");
        }
        return reinterpret_cast<trt_context*>(c);
    });
}

void trt_context_destroy(trt_context* context)
{
    delete reinterpret_cast<nvinfer1::IExecutionContext*>(context);
}

int32_t trt_context_set_input_shape(trt_context* context, const char* name, const trt_dims* dims)
{
    return guarded("trt_context_set_input_shape", 1, [&] {
        if (!X(context)->setInputShape(need_str(name, "tensor name"), to_dims(dims, "input shape")))
        {
            fail("setInputShape refused the shape for " + quoted(name));
        }
        return 0;
    });
}

int32_t trt_context_tensor_shape(const trt_context* context, const char* name, trt_dims* out)
{
    return guarded("trt_context_tensor_shape", 1, [&] {
        auto const d = X(context)->getTensorShape(need_str(name, "tensor name"));
        if (d.nbDims < 0)
        {
            fail("no shape for " + quoted(name));
        }
        from_dims(d, out);
        return 0;
    });
}

int32_t trt_context_all_input_dimensions_specified(const trt_context* context)
{
    return guarded("trt_context_all_input_dimensions_specified", 0,
        [&] { return X(context)->allInputDimensionsSpecified() ? 1 : 0; });
}

int32_t trt_context_set_tensor_address(trt_context* context, const char* name, void* address)
{
    return guarded("trt_context_set_tensor_address", 1, [&] {
        if (!X(context)->setTensorAddress(need_str(name, "tensor name"), address))
        {
            fail("setTensorAddress refused the address for " + quoted(name));
        }
        return 0;
    });
}

int32_t trt_context_set_optimization_profile_async(trt_context* context, int32_t profile_index, void* cuda_stream)
{
    return guarded("trt_context_set_optimization_profile_async", 1, [&] {
        if (!X(context)->setOptimizationProfileAsync(profile_index, static_cast<cudaStream_t>(cuda_stream)))
        {
            fail("setOptimizationProfileAsync(" + std::to_string(profile_index) + ") failed");
        }
        return 0;
    });
}

int32_t trt_context_enqueue_v3(trt_context* context, void* cuda_stream)
{
    return guarded("trt_context_enqueue_v3", 1, [&] {
        if (!X(context)->enqueueV3(static_cast<cudaStream_t>(cuda_stream)))
        {
            fail("enqueueV3 failed");
        }
        return 0;
    });
}

} // extern "C"

// Internal C++ helpers shared by the shim's translation units. Not part of the C interface.
#pragma once

#include "trt_shim.h"

#include <NvInfer.h>
#include <NvInferVersion.h>

#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

// Flavor of the headers: TensorRT-RTX defines TRT_MAJOR_RTX.
#if defined(TRT_MAJOR_RTX)
#define SHIM_IS_RTX 1
#else
#define SHIM_IS_RTX 0
#endif

#define SHIM_VERSION_AT_LEAST(major, minor) \
    (NV_TENSORRT_MAJOR > (major) || (NV_TENSORRT_MAJOR == (major) && NV_TENSORRT_MINOR >= (minor)))

namespace shim
{

// Raised inside the shim for an invalid argument or a TensorRT call that reported failure; caught by guarded().
struct Failure : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

void set_last_error(char const* function, char const* message) noexcept;

[[noreturn]] inline void fail(std::string const& message)
{
    throw Failure(message);
}

template <typename T>
T* need(T* pointer, char const* what)
{
    if (pointer == nullptr)
    {
        fail(std::string("null ") + what);
    }
    return pointer;
}

inline char const* need_str(char const* s, char const* what)
{
    if (s == nullptr)
    {
        fail(std::string("null ") + what);
    }
    return s;
}

// Runs body; any exception becomes the thread's last error and on_failure is returned. Nothing escapes.
template <typename R, typename F>
R guarded(char const* function, R on_failure, F&& body) noexcept
{
    try
    {
        return body();
    }
    catch (std::exception const& e)
    {
        set_last_error(function, e.what());
    }
    catch (...)
    {
        set_last_error(function, "unknown C++ exception");
    }
    return on_failure;
}

template <typename F>
void guarded_void(char const* function, F&& body) noexcept
{
    try
    {
        body();
    }
    catch (std::exception const& e)
    {
        set_last_error(function, e.what());
    }
    catch (...)
    {
        set_last_error(function, "unknown C++ exception");
    }
}

inline nvinfer1::Dims to_dims(trt_dims const* in, char const* what)
{
    need(in, what);
    if (in->nb_dims < 0 || in->nb_dims > nvinfer1::Dims::MAX_DIMS || in->nb_dims > TRT_MAX_DIMS)
    {
        fail(std::string(what) + ": rank " + std::to_string(in->nb_dims) + " outside 0..="
            + std::to_string(TRT_MAX_DIMS));
    }
    nvinfer1::Dims out{};
    out.nbDims = in->nb_dims;
    for (int32_t i = 0; i < in->nb_dims; ++i)
    {
        out.d[i] = in->d[i];
    }
    return out;
}

inline void from_dims(nvinfer1::Dims const& in, trt_dims* out)
{
    need(out, "output dims");
    std::memset(out, 0, sizeof(*out));
    out->nb_dims = in.nbDims;
    int32_t n = in.nbDims < 0 ? 0 : (in.nbDims > TRT_MAX_DIMS ? TRT_MAX_DIMS : in.nbDims);
    for (int32_t i = 0; i < n; ++i)
    {
        out->d[i] = in.d[i];
    }
}

inline nvinfer1::Weights to_weights(trt_weights const& w)
{
    nvinfer1::Weights out{};
    out.type = static_cast<nvinfer1::DataType>(w.data_type);
    out.values = w.count == 0 ? nullptr : w.values;
    out.count = w.count;
    if (w.count < 0)
    {
        fail("weights: negative count");
    }
    if (w.count > 0 && w.values == nullptr)
    {
        fail("weights: null values with a non-zero count");
    }
    return out;
}

// Handle <-> TensorRT object casts: every opaque handle but the logger and the progress monitor is the TensorRT
// object itself.
inline nvinfer1::IBuilder* B(trt_builder* h) { return reinterpret_cast<nvinfer1::IBuilder*>(need(h, "builder")); }
inline nvinfer1::IBuilderConfig* C(trt_builder_config* h)
{
    return reinterpret_cast<nvinfer1::IBuilderConfig*>(need(h, "builder config"));
}
inline nvinfer1::INetworkDefinition* N(trt_network* h)
{
    return reinterpret_cast<nvinfer1::INetworkDefinition*>(need(h, "network"));
}
inline nvinfer1::INetworkDefinition const* N(trt_network const* h)
{
    return reinterpret_cast<nvinfer1::INetworkDefinition const*>(need(h, "network"));
}
inline nvinfer1::ITensor* T(trt_tensor* h) { return reinterpret_cast<nvinfer1::ITensor*>(need(h, "tensor")); }
inline nvinfer1::ITensor const* T(trt_tensor const* h)
{
    return reinterpret_cast<nvinfer1::ITensor const*>(need(h, "tensor"));
}
inline trt_tensor* H(nvinfer1::ITensor* t) { return reinterpret_cast<trt_tensor*>(t); }
inline nvinfer1::ILayer* L(trt_layer* h) { return reinterpret_cast<nvinfer1::ILayer*>(need(h, "layer")); }
inline nvinfer1::ILayer const* L(trt_layer const* h)
{
    return reinterpret_cast<nvinfer1::ILayer const*>(need(h, "layer"));
}
inline trt_layer* H(nvinfer1::ILayer* l) { return reinterpret_cast<trt_layer*>(l); }

// The logger behind trt_logger: forwards to the C callback and records errors.
nvinfer1::ILogger* logger_of(trt_logger* h);

} // namespace shim

// Errors, versions, logger, progress monitor, builder, builder config, timing cache, optimization profile.
#include "shim_internal.hpp"

#include <mutex>
#include <string>
#include <vector>

namespace shim
{

namespace
{
thread_local std::string t_last_error;
}

void set_last_error(char const* function, char const* message) noexcept
{
    try
    {
        t_last_error.assign(function);
        t_last_error.append(": ");
        t_last_error.append(message == nullptr ? "(no message)" : message);
    }
    catch (...)
    {
        // Out of memory while recording an error: keep whatever is there.
    }
}

class Logger final : public nvinfer1::ILogger
{
public:
    Logger(trt_log_callback callback, void* user_data, int32_t min_severity)
        : mCallback(callback)
        , mUserData(user_data)
        , mMinSeverity(min_severity)
    {
    }

    void log(Severity severity, nvinfer1::AsciiChar const* msg) noexcept override
    {
        try
        {
            int32_t const s = static_cast<int32_t>(severity);
            char const* text = msg == nullptr ? "" : msg;
            if (s <= static_cast<int32_t>(Severity::kERROR))
            {
                std::lock_guard<std::mutex> lock(mMutex);
                // Bounded: a long failing build must not grow this without limit.
                if (mErrors.size() >= kMaxErrors)
                {
                    mErrors.erase(mErrors.begin());
                }
                mErrors.emplace_back(text);
            }
            if (mCallback != nullptr && s <= mMinSeverity)
            {
                mCallback(mUserData, s, text);
            }
        }
        catch (...)
        {
        }
    }

    void setMinSeverity(int32_t s) noexcept { mMinSeverity = s; }

    void clearErrors()
    {
        std::lock_guard<std::mutex> lock(mMutex);
        mErrors.clear();
    }

    std::string joinedErrors()
    {
        std::lock_guard<std::mutex> lock(mMutex);
        std::string out;
        for (auto const& e : mErrors)
        {
            if (!out.empty())
            {
                out.push_back('\n');
            }
            out.append(e);
        }
        return out;
    }

private:
    static constexpr size_t kMaxErrors = 32;
    trt_log_callback mCallback;
    void* mUserData;
    int32_t mMinSeverity;
    std::mutex mMutex;
    std::vector<std::string> mErrors;
};

nvinfer1::ILogger* logger_of(trt_logger* h)
{
    return reinterpret_cast<Logger*>(need(h, "logger"));
}

class ProgressMonitor final : public nvinfer1::IProgressMonitor
{
public:
    ProgressMonitor(trt_phase_start_callback start, trt_step_complete_callback step, trt_phase_finish_callback finish,
        void* user_data)
        : mStart(start)
        , mStep(step)
        , mFinish(finish)
        , mUserData(user_data)
    {
    }

    void phaseStart(char const* phaseName, char const* parentPhase, int32_t nbSteps) noexcept override
    {
        if (mStart != nullptr)
        {
            mStart(mUserData, phaseName == nullptr ? "" : phaseName, parentPhase, nbSteps);
        }
    }

    bool stepComplete(char const* phaseName, int32_t step) noexcept override
    {
        return mStep == nullptr || mStep(mUserData, phaseName == nullptr ? "" : phaseName, step) != 0;
    }

    void phaseFinish(char const* phaseName) noexcept override
    {
        if (mFinish != nullptr)
        {
            mFinish(mUserData, phaseName == nullptr ? "" : phaseName);
        }
    }

private:
    trt_phase_start_callback mStart;
    trt_step_complete_callback mStep;
    trt_phase_finish_callback mFinish;
    void* mUserData;
};

} // namespace shim

using namespace shim;

namespace
{
using FactoryFn = void* (*) (void*, int32_t);
using VersionFn = int32_t (*)();

nvinfer1::IOptimizationProfile* P(trt_optimization_profile* h)
{
    return reinterpret_cast<nvinfer1::IOptimizationProfile*>(need(h, "optimization profile"));
}
nvinfer1::ITimingCache* TC(trt_timing_cache* h)
{
    return reinterpret_cast<nvinfer1::ITimingCache*>(need(h, "timing cache"));
}
nvinfer1::IHostMemory const* HM(trt_host_memory const* h)
{
    return reinterpret_cast<nvinfer1::IHostMemory const*>(need(h, "host memory"));
}
} // namespace

extern "C" {

const char* trt_last_error(void)
{
    return t_last_error.c_str();
}

void trt_clear_last_error(void)
{
    t_last_error.clear();
}

int32_t trt_header_version(void)
{
    return NV_TENSORRT_VERSION;
}

int32_t trt_header_is_rtx(void)
{
    return SHIM_IS_RTX;
}

int32_t trt_library_version(const trt_api* api)
{
    return guarded("trt_library_version", -1, [&] {
        auto fn = reinterpret_cast<VersionFn>(need(need(api, "api")->get_infer_lib_version, "getInferLibVersion"));
        return fn();
    });
}

trt_logger* trt_logger_create(trt_log_callback callback, void* user_data, int32_t min_severity)
{
    return guarded("trt_logger_create", static_cast<trt_logger*>(nullptr),
        [&] { return reinterpret_cast<trt_logger*>(new Logger(callback, user_data, min_severity)); });
}

void trt_logger_destroy(trt_logger* logger)
{
    delete reinterpret_cast<Logger*>(logger);
}

void trt_logger_set_min_severity(trt_logger* logger, int32_t min_severity)
{
    guarded_void("trt_logger_set_min_severity",
        [&] { reinterpret_cast<Logger*>(need(logger, "logger"))->setMinSeverity(min_severity); });
}

void trt_logger_clear_errors(trt_logger* logger)
{
    guarded_void("trt_logger_clear_errors", [&] { reinterpret_cast<Logger*>(need(logger, "logger"))->clearErrors(); });
}

size_t trt_logger_copy_errors(trt_logger* logger, char* buffer, size_t capacity)
{
    return guarded("trt_logger_copy_errors", static_cast<size_t>(0), [&] {
        std::string const all = reinterpret_cast<Logger*>(need(logger, "logger"))->joinedErrors();
        if (buffer != nullptr && capacity > 0)
        {
            size_t const n = all.size() < capacity - 1 ? all.size() : capacity - 1;
            std::memcpy(buffer, all.data(), n);
            buffer[n] = '\0';
        }
        return all.size();
    });
}

const void* trt_host_memory_data(const trt_host_memory* memory)
{
    return guarded("trt_host_memory_data", static_cast<void const*>(nullptr),
        [&] { return static_cast<void const*>(HM(memory)->data()); });
}

size_t trt_host_memory_size(const trt_host_memory* memory)
{
    return guarded("trt_host_memory_size", static_cast<size_t>(0), [&] { return HM(memory)->size(); });
}

void trt_host_memory_destroy(trt_host_memory* memory)
{
    delete reinterpret_cast<nvinfer1::IHostMemory*>(memory);
}

trt_progress_monitor* trt_progress_monitor_create(trt_phase_start_callback phase_start,
    trt_step_complete_callback step_complete, trt_phase_finish_callback phase_finish, void* user_data)
{
    return guarded("trt_progress_monitor_create", static_cast<trt_progress_monitor*>(nullptr), [&] {
        return reinterpret_cast<trt_progress_monitor*>(
            new ProgressMonitor(phase_start, step_complete, phase_finish, user_data));
    });
}

void trt_progress_monitor_destroy(trt_progress_monitor* monitor)
{
    delete reinterpret_cast<ProgressMonitor*>(monitor);
}

trt_builder* trt_builder_create(const trt_api* api, trt_logger* logger)
{
    return guarded("trt_builder_create", static_cast<trt_builder*>(nullptr), [&] {
        auto fn = reinterpret_cast<FactoryFn>(need(need(api, "api")->create_infer_builder, "createInferBuilder_INTERNAL"));
        void* b = fn(logger_of(logger), NV_TENSORRT_VERSION);
        if (b == nullptr)
        {
            fail("createInferBuilder returned null");
        }
        return reinterpret_cast<trt_builder*>(static_cast<nvinfer1::IBuilder*>(b));
    });
}

void trt_builder_destroy(trt_builder* builder)
{
    delete reinterpret_cast<nvinfer1::IBuilder*>(builder);
}

trt_network* trt_builder_create_network(trt_builder* builder)
{
    return guarded("trt_builder_create_network", static_cast<trt_network*>(nullptr), [&] {
#if SHIM_IS_RTX || NV_TENSORRT_MAJOR >= 11
        // Strongly typed is the only mode; the flag is deprecated.
        nvinfer1::NetworkDefinitionCreationFlags const flags = 0;
#else
        nvinfer1::NetworkDefinitionCreationFlags const flags
            = 1U << static_cast<uint32_t>(nvinfer1::NetworkDefinitionCreationFlag::kSTRONGLY_TYPED);
#endif
        auto* n = B(builder)->createNetworkV2(flags);
        if (n == nullptr)
        {
            fail("createNetworkV2 returned null");
        }
        return reinterpret_cast<trt_network*>(n);
    });
}

trt_builder_config* trt_builder_create_config(trt_builder* builder)
{
    return guarded("trt_builder_create_config", static_cast<trt_builder_config*>(nullptr), [&] {
        auto* c = B(builder)->createBuilderConfig();
        if (c == nullptr)
        {
            fail("createBuilderConfig returned null");
        }
        return reinterpret_cast<trt_builder_config*>(c);
    });
}

trt_optimization_profile* trt_builder_create_optimization_profile(trt_builder* builder)
{
    return guarded("trt_builder_create_optimization_profile", static_cast<trt_optimization_profile*>(nullptr), [&] {
        auto* p = B(builder)->createOptimizationProfile();
        if (p == nullptr)
        {
            fail("createOptimizationProfile returned null");
        }
        return reinterpret_cast<trt_optimization_profile*>(p);
    });
}

trt_host_memory* trt_builder_build_serialized_network(trt_builder* builder, trt_network* network, trt_builder_config* config)
{
    return guarded("trt_builder_build_serialized_network", static_cast<trt_host_memory*>(nullptr), [&] {
        auto* m = B(builder)->buildSerializedNetwork(*N(network), *C(config));
        if (m == nullptr)
        {
            fail("buildSerializedNetwork failed");
        }
        if (m->size() == 0)
        {
            delete m;
            fail("buildSerializedNetwork returned an empty engine");
        }
        return reinterpret_cast<trt_host_memory*>(m);
    });
}

void trt_builder_config_destroy(trt_builder_config* config)
{
    delete reinterpret_cast<nvinfer1::IBuilderConfig*>(config);
}

int32_t trt_builder_config_set_memory_pool_limit(trt_builder_config* config, int32_t pool, size_t bytes)
{
    return guarded("trt_builder_config_set_memory_pool_limit", 1, [&] {
        C(config)->setMemoryPoolLimit(static_cast<nvinfer1::MemoryPoolType>(pool), bytes);
        return 0;
    });
}

size_t trt_builder_config_memory_pool_limit(trt_builder_config* config, int32_t pool)
{
    return guarded("trt_builder_config_memory_pool_limit", static_cast<size_t>(0),
        [&] { return C(config)->getMemoryPoolLimit(static_cast<nvinfer1::MemoryPoolType>(pool)); });
}

int32_t trt_builder_config_set_builder_optimization_level(trt_builder_config* config, int32_t level)
{
    return guarded("trt_builder_config_set_builder_optimization_level", 1, [&] {
        C(config)->setBuilderOptimizationLevel(level);
        if (C(config)->getBuilderOptimizationLevel() != level)
        {
            fail("level " + std::to_string(level) + " was not accepted");
        }
        return 0;
    });
}

int32_t trt_builder_config_builder_optimization_level(trt_builder_config* config)
{
    return guarded("trt_builder_config_builder_optimization_level", -1,
        [&] { return C(config)->getBuilderOptimizationLevel(); });
}

int32_t trt_builder_config_set_profiling_verbosity(trt_builder_config* config, int32_t verbosity)
{
    return guarded("trt_builder_config_set_profiling_verbosity", 1, [&] {
        C(config)->setProfilingVerbosity(static_cast<nvinfer1::ProfilingVerbosity>(verbosity));
        return 0;
    });
}

int32_t trt_builder_config_profiling_verbosity(trt_builder_config* config)
{
    return guarded("trt_builder_config_profiling_verbosity", -1,
        [&] { return static_cast<int32_t>(C(config)->getProfilingVerbosity()); });
}

int32_t trt_builder_config_set_flag(trt_builder_config* config, int32_t flag, int32_t enabled)
{
    return guarded("trt_builder_config_set_flag", 1, [&] {
        auto const f = static_cast<nvinfer1::BuilderFlag>(flag);
        if (enabled != 0)
        {
            C(config)->setFlag(f);
        }
        else
        {
            C(config)->clearFlag(f);
        }
        return 0;
    });
}

int32_t trt_builder_config_flag(trt_builder_config* config, int32_t flag)
{
    return guarded("trt_builder_config_flag", -1,
        [&] { return C(config)->getFlag(static_cast<nvinfer1::BuilderFlag>(flag)) ? 1 : 0; });
}

int32_t trt_builder_config_set_max_aux_streams(trt_builder_config* config, int32_t nb_streams)
{
    return guarded("trt_builder_config_set_max_aux_streams", 1, [&] {
        if (!C(config)->setMaxAuxStreams(nb_streams))
        {
            fail("setMaxAuxStreams(" + std::to_string(nb_streams) + ") refused");
        }
        return 0;
    });
}

int32_t trt_builder_config_set_compute_capabilities(trt_builder_config* config, const int32_t* values, int32_t count)
{
    return guarded("trt_builder_config_set_compute_capabilities", 1, [&] {
        if (count < 0 || (count > 0 && values == nullptr))
        {
            fail("invalid compute capability list");
        }
#if SHIM_IS_RTX
        auto* c = C(config);
        if (!c->setNbComputeCapabilities(count))
        {
            fail("setNbComputeCapabilities(" + std::to_string(count) + ") refused");
        }
        for (int32_t i = 0; i < count; ++i)
        {
            if (!c->setComputeCapability(static_cast<nvinfer1::ComputeCapability>(values[i]), i))
            {
                fail("setComputeCapability(" + std::to_string(values[i]) + ", " + std::to_string(i) + ") refused");
            }
        }
#else
        C(config);
        fail("compute capability targets are a TensorRT-RTX feature; these are standard TensorRT headers");
#endif
        return 0;
    });
}

int32_t trt_builder_config_add_optimization_profile(trt_builder_config* config, trt_optimization_profile* profile)
{
    return guarded("trt_builder_config_add_optimization_profile", -1, [&] {
        int32_t const index = C(config)->addOptimizationProfile(P(profile));
        if (index < 0)
        {
            fail("addOptimizationProfile rejected the profile (missing or inconsistent min/opt/max)");
        }
        return index;
    });
}

int32_t trt_builder_config_nb_optimization_profiles(trt_builder_config* config)
{
    return guarded("trt_builder_config_nb_optimization_profiles", -1,
        [&] { return C(config)->getNbOptimizationProfiles(); });
}

int32_t trt_builder_config_set_progress_monitor(trt_builder_config* config, trt_progress_monitor* monitor)
{
    return guarded("trt_builder_config_set_progress_monitor", 1, [&] {
        C(config)->setProgressMonitor(reinterpret_cast<ProgressMonitor*>(monitor));
        return 0;
    });
}

trt_timing_cache* trt_builder_config_create_timing_cache(trt_builder_config* config, const void* blob, size_t size)
{
    return guarded("trt_builder_config_create_timing_cache", static_cast<trt_timing_cache*>(nullptr), [&] {
        auto* cache = C(config)->createTimingCache(size == 0 ? nullptr : blob, size);
        if (cache == nullptr)
        {
            fail("createTimingCache failed (corrupt or incompatible cache data?)");
        }
        return reinterpret_cast<trt_timing_cache*>(cache);
    });
}

int32_t trt_builder_config_set_timing_cache(trt_builder_config* config, trt_timing_cache* cache, int32_t ignore_mismatch)
{
    return guarded("trt_builder_config_set_timing_cache", 1, [&] {
        if (!C(config)->setTimingCache(*TC(cache), ignore_mismatch != 0))
        {
            fail("setTimingCache refused the cache");
        }
        return 0;
    });
}

trt_host_memory* trt_timing_cache_serialize(trt_timing_cache* cache)
{
    return guarded("trt_timing_cache_serialize", static_cast<trt_host_memory*>(nullptr), [&] {
        auto* m = TC(cache)->serialize();
        if (m == nullptr)
        {
            fail("ITimingCache::serialize failed");
        }
        return reinterpret_cast<trt_host_memory*>(m);
    });
}

int32_t trt_timing_cache_combine(trt_timing_cache* cache, const trt_timing_cache* input, int32_t ignore_mismatch)
{
    return guarded("trt_timing_cache_combine", 1, [&] {
        auto const* in = reinterpret_cast<nvinfer1::ITimingCache const*>(need(input, "input timing cache"));
        if (!TC(cache)->combine(*in, ignore_mismatch != 0))
        {
            fail("ITimingCache::combine failed");
        }
        return 0;
    });
}

void trt_timing_cache_destroy(trt_timing_cache* cache)
{
    delete reinterpret_cast<nvinfer1::ITimingCache*>(cache);
}

int32_t trt_optimization_profile_set_dimensions(
    trt_optimization_profile* profile, const char* input_name, int32_t selector, const trt_dims* dims)
{
    return guarded("trt_optimization_profile_set_dimensions", 1, [&] {
        auto const d = to_dims(dims, "profile dims");
        if (!P(profile)->setDimensions(
                need_str(input_name, "input name"), static_cast<nvinfer1::OptProfileSelector>(selector), d))
        {
            fail(std::string("setDimensions refused the shape for input '") + input_name + "'");
        }
        return 0;
    });
}

int32_t trt_optimization_profile_dimensions(
    trt_optimization_profile* profile, const char* input_name, int32_t selector, trt_dims* out)
{
    return guarded("trt_optimization_profile_dimensions", 1, [&] {
        from_dims(P(profile)->getDimensions(
                      need_str(input_name, "input name"), static_cast<nvinfer1::OptProfileSelector>(selector)),
            out);
        return 0;
    });
}

int32_t trt_optimization_profile_is_valid(trt_optimization_profile* profile)
{
    return guarded("trt_optimization_profile_is_valid", 0, [&] { return P(profile)->isValid() ? 1 : 0; });
}

} // extern "C"

/*
 * trt_shim.h: the C interface of candle2trt's TensorRT shim.
 *
 * Plain C on purpose: bindgen turns this header (and only this header) into
 * `trt-sys/src/bindings.rs`, and no C++ type or exception ever crosses it.
 *
 * Conventions
 * - Every handle is opaque; a function that creates one returns NULL on
 *   failure, a function that can fail returns `int32_t` status (0 = success,
 *   non-zero = failure). After a failure, `trt_last_error()` returns the text
 *   of the failure on the calling thread, and `trt_logger_copy_errors()` the
 *   error messages TensorRT itself logged.
 * - Enumerations are passed as `int32_t` carrying the numeric value of the
 *   matching TensorRT `enum class` (nvinfer1::DataType, ActivationType, ...);
 *   the Rust side mirrors those values.
 * - Tensors (`trt_tensor`) and layers (`trt_layer`) are owned by their network;
 *   optimization profiles by their builder. Everything else has a destroy call.
 * - The TensorRT library itself is never linked: the factory functions come in
 *   through `trt_api`, resolved at run time (dlopen/dlsym) by the caller.
 */
#ifndef TRT_SHIM_H
#define TRT_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Maximum rank of a tensor (nvinfer1::Dims::MAX_DIMS). */
#define TRT_MAX_DIMS 8

/** A shape (nvinfer1::Dims64). `nb_dims == -1` means "not set / invalid". */
typedef struct trt_dims {
    int32_t nb_dims;
    int64_t d[TRT_MAX_DIMS];
} trt_dims;

/** A permutation of axes (nvinfer1::Permutation). */
typedef struct trt_permutation {
    int32_t order[TRT_MAX_DIMS];
} trt_permutation;

/** Weights (nvinfer1::Weights): `count` elements of `data_type` at `values`. */
typedef struct trt_weights {
    int32_t data_type;
    const void* values;
    int64_t count;
} trt_weights;

/**
 * TensorRT's exported factory entry points, resolved by the caller with dlsym.
 * Types are erased to `void*`; the shim casts them to their documented signatures:
 *   void* createInferBuilder_INTERNAL(void* logger, int32_t version)
 *   void* createInferRuntime_INTERNAL(void* logger, int32_t version)
 *   int32_t getInferLibVersion(void)
 */
typedef struct trt_api {
    void* create_infer_builder;
    void* create_infer_runtime;
    void* get_infer_lib_version;
} trt_api;

typedef struct trt_logger trt_logger;
typedef struct trt_builder trt_builder;
typedef struct trt_builder_config trt_builder_config;
typedef struct trt_network trt_network;
typedef struct trt_tensor trt_tensor;
typedef struct trt_layer trt_layer;
typedef struct trt_optimization_profile trt_optimization_profile;
typedef struct trt_timing_cache trt_timing_cache;
typedef struct trt_host_memory trt_host_memory;
typedef struct trt_progress_monitor trt_progress_monitor;
typedef struct trt_runtime trt_runtime;
typedef struct trt_engine trt_engine;
typedef struct trt_context trt_context;

/* ------------------------------------------------------------------ errors */

/** Text of the last failure of a shim call on this thread ("" if none). Valid until the next shim call on this thread. */
const char* trt_last_error(void);
/** Forget the last failure on this thread. */
void trt_clear_last_error(void);

/* ------------------------------------------------------------------ versions */

/** NV_TENSORRT_VERSION of the headers the shim was compiled against (major*10000 + minor*100 + patch for 10+, RTX: 1.7.1 -> 10701). */
int32_t trt_header_version(void);
/** 1 when the headers are TensorRT-RTX's, 0 for standard TensorRT. */
int32_t trt_header_is_rtx(void);
/** Calls getInferLibVersion() of the loaded library; -1 on failure. */
int32_t trt_library_version(const trt_api* api);

/* ------------------------------------------------------------------ logger */

/** Called for each TensorRT message at or above the logger's severity filter. */
typedef void (*trt_log_callback)(void* user_data, int32_t severity, const char* message);

/**
 * An nvinfer1::ILogger. Messages with severity <= min_severity (0 = internal error ... 4 = verbose)
 * are passed to `callback`; every error (severity <= 1) is also recorded whatever the filter.
 */
trt_logger* trt_logger_create(trt_log_callback callback, void* user_data, int32_t min_severity);
void trt_logger_destroy(trt_logger* logger);
void trt_logger_set_min_severity(trt_logger* logger, int32_t min_severity);
/** Forget the recorded errors. */
void trt_logger_clear_errors(trt_logger* logger);
/**
 * Copy the errors recorded since the last clear, joined by '\n', NUL-terminated, into `buffer`
 * (at most `capacity` bytes including the NUL). Returns the full length without NUL.
 */
size_t trt_logger_copy_errors(trt_logger* logger, char* buffer, size_t capacity);

/* ------------------------------------------------------------------ host memory */

/** nvinfer1::IHostMemory: serialized engines and timing caches. */
const void* trt_host_memory_data(const trt_host_memory* memory);
size_t trt_host_memory_size(const trt_host_memory* memory);
void trt_host_memory_destroy(trt_host_memory* memory);

/* ------------------------------------------------------------------ progress monitor */

typedef void (*trt_phase_start_callback)(void* user_data, const char* phase_name, const char* parent_phase, int32_t nb_steps);
/** Return non-zero to continue the build, 0 to cancel it. */
typedef int32_t (*trt_step_complete_callback)(void* user_data, const char* phase_name, int32_t step);
typedef void (*trt_phase_finish_callback)(void* user_data, const char* phase_name);

/** An nvinfer1::IProgressMonitor forwarding to the callbacks. */
trt_progress_monitor* trt_progress_monitor_create(trt_phase_start_callback phase_start,
    trt_step_complete_callback step_complete, trt_phase_finish_callback phase_finish, void* user_data);
void trt_progress_monitor_destroy(trt_progress_monitor* monitor);

/* ------------------------------------------------------------------ builder */

trt_builder* trt_builder_create(const trt_api* api, trt_logger* logger);
void trt_builder_destroy(trt_builder* builder);
/** A strongly typed network (the only kind TensorRT 11 / TensorRT-RTX build). */
trt_network* trt_builder_create_network(trt_builder* builder);
trt_builder_config* trt_builder_create_config(trt_builder* builder);
/** Owned by the builder: no destroy call. */
trt_optimization_profile* trt_builder_create_optimization_profile(trt_builder* builder);
/** IBuilder::buildSerializedNetwork; NULL on failure. */
trt_host_memory* trt_builder_build_serialized_network(trt_builder* builder, trt_network* network, trt_builder_config* config);

/* ------------------------------------------------------------------ builder config */

void trt_builder_config_destroy(trt_builder_config* config);
/** pool: nvinfer1::MemoryPoolType. */
int32_t trt_builder_config_set_memory_pool_limit(trt_builder_config* config, int32_t pool, size_t bytes);
size_t trt_builder_config_memory_pool_limit(trt_builder_config* config, int32_t pool);
int32_t trt_builder_config_set_builder_optimization_level(trt_builder_config* config, int32_t level);
int32_t trt_builder_config_builder_optimization_level(trt_builder_config* config);
/** verbosity: nvinfer1::ProfilingVerbosity. */
int32_t trt_builder_config_set_profiling_verbosity(trt_builder_config* config, int32_t verbosity);
int32_t trt_builder_config_profiling_verbosity(trt_builder_config* config);
/** flag: nvinfer1::BuilderFlag. */
int32_t trt_builder_config_set_flag(trt_builder_config* config, int32_t flag, int32_t enabled);
int32_t trt_builder_config_flag(trt_builder_config* config, int32_t flag);
int32_t trt_builder_config_set_max_aux_streams(trt_builder_config* config, int32_t nb_streams);
/**
 * TensorRT-RTX only: the GPU generations the engine must run on (nvinfer1::ComputeCapability values; empty
 * list = TensorRT's default). With standard TensorRT headers this fails ("not available").
 */
int32_t trt_builder_config_set_compute_capabilities(trt_builder_config* config, const int32_t* values, int32_t count);
/** Returns the profile index, or -1 on failure (invalid profile). */
int32_t trt_builder_config_add_optimization_profile(trt_builder_config* config, trt_optimization_profile* profile);
int32_t trt_builder_config_nb_optimization_profiles(trt_builder_config* config);
/** The monitor must outlive every build that uses this config; NULL removes it. */
int32_t trt_builder_config_set_progress_monitor(trt_builder_config* config, trt_progress_monitor* monitor);
/** IBuilderConfig::createTimingCache from a serialized blob (blob may be NULL / size 0 for an empty cache). */
trt_timing_cache* trt_builder_config_create_timing_cache(trt_builder_config* config, const void* blob, size_t size);
/** The cache must outlive every build that uses this config. */
int32_t trt_builder_config_set_timing_cache(trt_builder_config* config, trt_timing_cache* cache, int32_t ignore_mismatch);

/* ------------------------------------------------------------------ timing cache */

trt_host_memory* trt_timing_cache_serialize(trt_timing_cache* cache);
/** Merge `input` into `cache`. */
int32_t trt_timing_cache_combine(trt_timing_cache* cache, const trt_timing_cache* input, int32_t ignore_mismatch);
void trt_timing_cache_destroy(trt_timing_cache* cache);

/* ------------------------------------------------------------------ optimization profile */

/** selector: nvinfer1::OptProfileSelector (0 = min, 1 = opt, 2 = max). */
int32_t trt_optimization_profile_set_dimensions(trt_optimization_profile* profile, const char* input_name, int32_t selector, const trt_dims* dims);
int32_t trt_optimization_profile_dimensions(trt_optimization_profile* profile, const char* input_name, int32_t selector, trt_dims* out);
int32_t trt_optimization_profile_is_valid(trt_optimization_profile* profile);

/* ------------------------------------------------------------------ tensors */

const char* trt_tensor_name(const trt_tensor* tensor);
int32_t trt_tensor_set_name(trt_tensor* tensor, const char* name);
int32_t trt_tensor_dimensions(const trt_tensor* tensor, trt_dims* out);
int32_t trt_tensor_set_dimensions(trt_tensor* tensor, const trt_dims* dims);
/** nvinfer1::DataType, or -1 on failure. */
int32_t trt_tensor_data_type(const trt_tensor* tensor);
int32_t trt_tensor_is_network_input(const trt_tensor* tensor);
int32_t trt_tensor_is_network_output(const trt_tensor* tensor);
int32_t trt_tensor_is_shape_tensor(const trt_tensor* tensor);

/* ------------------------------------------------------------------ layers */

const char* trt_layer_name(const trt_layer* layer);
int32_t trt_layer_set_name(trt_layer* layer, const char* name);
/** nvinfer1::LayerType, or -1. */
int32_t trt_layer_type(const trt_layer* layer);
int32_t trt_layer_nb_inputs(const trt_layer* layer);
int32_t trt_layer_nb_outputs(const trt_layer* layer);
trt_tensor* trt_layer_input(const trt_layer* layer, int32_t index);
trt_tensor* trt_layer_output(const trt_layer* layer, int32_t index);
/** ILayer::setInput: replaces or adds input `index` (dynamic shapes, slice start/size/stride, ...). */
int32_t trt_layer_set_input(trt_layer* layer, int32_t index, trt_tensor* tensor);

/* ------------------------------------------------------------------ network */

void trt_network_destroy(trt_network* network);
int32_t trt_network_set_name(trt_network* network, const char* name);
trt_tensor* trt_network_add_input(trt_network* network, const char* name, int32_t data_type, const trt_dims* dims);
int32_t trt_network_mark_output(trt_network* network, trt_tensor* tensor);
int32_t trt_network_unmark_output(trt_network* network, trt_tensor* tensor);
int32_t trt_network_nb_inputs(const trt_network* network);
int32_t trt_network_nb_outputs(const trt_network* network);
int32_t trt_network_nb_layers(const trt_network* network);
trt_tensor* trt_network_input(const trt_network* network, int32_t index);
trt_tensor* trt_network_output(const trt_network* network, int32_t index);
trt_layer* trt_network_layer(const trt_network* network, int32_t index);

/** Dims with nb_dims == 0 in these parameter structs mean "keep TensorRT's default". */
typedef struct trt_convolution_params {
    int64_t nb_output_maps;
    trt_dims kernel_size;
    trt_weights kernel;
    trt_weights bias; /* count == 0: no bias */
    trt_dims stride;
    trt_dims pre_padding;
    trt_dims post_padding;
    trt_dims dilation;
    int64_t nb_groups; /* <= 0: keep default (1) */
    int32_t padding_mode; /* nvinfer1::PaddingMode, -1: keep default */
} trt_convolution_params;

trt_layer* trt_network_add_convolution(trt_network* network, trt_tensor* input, const trt_convolution_params* params);
/** Same parameters; dilation applies to deconvolution too. */
trt_layer* trt_network_add_deconvolution(trt_network* network, trt_tensor* input, const trt_convolution_params* params);

typedef struct trt_pooling_params {
    int32_t pooling_type; /* nvinfer1::PoolingType */
    trt_dims window_size;
    trt_dims stride;
    trt_dims pre_padding;
    trt_dims post_padding;
    /* nvinfer1::PaddingMode, -1: keep default. kEXPLICIT_ROUND_UP gives O = ceil((M - F) / S) + 1 (M the padded
       size), which is not PyTorch's ceil_mode: PyTorch also drops a last window that would start in the padding. */
    int32_t padding_mode;
    int32_t average_count_excludes_padding; /* -1: keep default (true) */
    float blend_factor; /* used by max-average blend */
} trt_pooling_params;

trt_layer* trt_network_add_pooling(trt_network* network, trt_tensor* input, const trt_pooling_params* params);
trt_layer* trt_network_add_activation(trt_network* network, trt_tensor* input, int32_t activation_type, float alpha, float beta);
trt_layer* trt_network_add_elementwise(trt_network* network, trt_tensor* a, trt_tensor* b, int32_t op);
trt_layer* trt_network_add_unary(trt_network* network, trt_tensor* input, int32_t op);
trt_layer* trt_network_add_matrix_multiply(trt_network* network, trt_tensor* a, int32_t op_a, trt_tensor* b, int32_t op_b);
trt_layer* trt_network_add_constant(trt_network* network, const trt_dims* dims, trt_weights weights);

typedef struct trt_shuffle_params {
    int32_t has_first_transpose;
    trt_permutation first_transpose;
    int32_t has_reshape; /* static reshape_dims (ignored when reshape_tensor is set) */
    trt_dims reshape_dims;
    trt_tensor* reshape_tensor; /* 1-D Int64 shape tensor for a dynamic reshape, or NULL */
    int32_t has_second_transpose;
    trt_permutation second_transpose;
    int32_t zero_is_placeholder; /* -1: keep default (true) */
} trt_shuffle_params;

trt_layer* trt_network_add_shuffle(trt_network* network, trt_tensor* input, const trt_shuffle_params* params);
trt_layer* trt_network_add_concatenation(trt_network* network, trt_tensor* const* inputs, int32_t nb_inputs, int32_t axis);

typedef struct trt_slice_params {
    trt_dims start;
    trt_dims size;
    trt_dims stride;
    trt_tensor* start_tensor; /* dynamic start/size/stride (1-D Int64 shape tensors) or NULL */
    trt_tensor* size_tensor;
    trt_tensor* stride_tensor;
    int32_t mode; /* nvinfer1::SampleMode, -1: keep default */
    trt_tensor* fill_value; /* for SampleMode::kFILL, or NULL */
} trt_slice_params;

trt_layer* trt_network_add_slice(trt_network* network, trt_tensor* input, const trt_slice_params* params);
trt_layer* trt_network_add_reduce(trt_network* network, trt_tensor* input, int32_t op, uint32_t axes, int32_t keep_dims);
trt_layer* trt_network_add_softmax(trt_network* network, trt_tensor* input, uint32_t axes);
/** Layer/instance/group normalization; uses addNormalizationV2 where the headers have it. nb_groups <= 0: keep default. */
trt_layer* trt_network_add_normalization(trt_network* network, trt_tensor* input, trt_tensor* scale, trt_tensor* bias,
    uint32_t axes, float epsilon, int64_t nb_groups);
trt_layer* trt_network_add_scale(trt_network* network, trt_tensor* input, int32_t mode, trt_weights shift, trt_weights scale,
    trt_weights power, int32_t channel_axis);
trt_layer* trt_network_add_cast(trt_network* network, trt_tensor* input, int32_t to_type);
/** mode: nvinfer1::GatherMode; nb_elementwise_dims < 0: keep default. */
trt_layer* trt_network_add_gather(trt_network* network, trt_tensor* data, trt_tensor* indices, int32_t mode, int32_t axis,
    int32_t nb_elementwise_dims);

typedef struct trt_resize_params {
    int32_t mode; /* nvinfer1::InterpolationMode */
    int32_t coordinate_transformation; /* nvinfer1::ResizeCoordinateTransformation, -1: keep default (kASYMMETRIC) */
    int32_t selector_for_single_pixel; /* nvinfer1::ResizeSelector, -1: keep default */
    int32_t nearest_rounding; /* nvinfer1::ResizeRoundMode, -1: keep default */
    trt_dims output_dims; /* used when nb_dims > 0 */
    int32_t nb_scales; /* used when > 0 */
    float scales[TRT_MAX_DIMS];
    trt_tensor* shape_tensor; /* dynamic output shape (1-D Int64), or NULL */
    float cubic_coeff; /* used when mode is cubic */
    int32_t exclude_outside; /* -1: keep default */
} trt_resize_params;

trt_layer* trt_network_add_resize(trt_network* network, trt_tensor* input, const trt_resize_params* params);
trt_layer* trt_network_add_select(trt_network* network, trt_tensor* condition, trt_tensor* then_input, trt_tensor* else_input);
trt_layer* trt_network_add_identity(trt_network* network, trt_tensor* input);
/** axis < 0 with a scalar scale: per-tensor. zero_point may be NULL. */
trt_layer* trt_network_add_quantize(trt_network* network, trt_tensor* input, trt_tensor* scale, trt_tensor* zero_point,
    int32_t output_type, int32_t axis);
trt_layer* trt_network_add_dequantize(trt_network* network, trt_tensor* input, trt_tensor* scale, trt_tensor* zero_point,
    int32_t output_type, int32_t axis);
trt_layer* trt_network_add_shape(trt_network* network, trt_tensor* input);
trt_layer* trt_network_add_padding(trt_network* network, trt_tensor* input, const trt_dims* pre_padding, const trt_dims* post_padding);
trt_layer* trt_network_add_topk(trt_network* network, trt_tensor* input, int32_t op, int32_t k, uint32_t axes, int32_t indices_type);
/** op: nvinfer1::FillOperation. alpha/beta: NULL tensors use the scalar values. */
trt_layer* trt_network_add_fill(trt_network* network, const trt_dims* dims, int32_t op, int32_t output_type, double alpha,
    double beta, trt_tensor* alpha_tensor, trt_tensor* beta_tensor);
trt_layer* trt_network_add_parametric_relu(trt_network* network, trt_tensor* input, trt_tensor* slope);
trt_layer* trt_network_add_einsum(trt_network* network, trt_tensor* const* inputs, int32_t nb_inputs, const char* equation);
trt_layer* trt_network_add_squeeze(trt_network* network, trt_tensor* input, trt_tensor* axes);
trt_layer* trt_network_add_unsqueeze(trt_network* network, trt_tensor* input, trt_tensor* axes);
/** op: nvinfer1::CumulativeOperation; axis is a 0-D Int32/Int64 tensor. */
trt_layer* trt_network_add_cumulative(trt_network* network, trt_tensor* input, trt_tensor* axis, int32_t op, int32_t exclusive,
    int32_t reverse);

/** Local response normalization across channels. */
trt_layer* trt_network_add_lrn(trt_network* network, trt_tensor* input, int64_t window, float alpha, float beta, float k);
/** mode: nvinfer1::ScatterMode (0 element, 1 nd); axis is used by element mode. */
trt_layer* trt_network_add_scatter(trt_network* network, trt_tensor* data, trt_tensor* indices, trt_tensor* updates,
    int32_t mode, int32_t axis);
/** values: [off, on]; depth: a scalar Int32 tensor. */
trt_layer* trt_network_add_one_hot(trt_network* network, trt_tensor* indices, trt_tensor* values, trt_tensor* depth, int32_t axis);
/** Indices of the non-zero elements, shape [rank, count], of indices_type (Int32 / Int64). */
trt_layer* trt_network_add_non_zero(trt_network* network, trt_tensor* input, int32_t indices_type);
/** mode: nvinfer1::InterpolationMode; sample_mode: nvinfer1::SampleMode. */
trt_layer* trt_network_add_grid_sample(trt_network* network, trt_tensor* input, trt_tensor* grid, int32_t mode,
    int32_t align_corners, int32_t sample_mode);
trt_layer* trt_network_add_reverse_sequence(trt_network* network, trt_tensor* input, trt_tensor* sequence_lens,
    int32_t batch_axis, int32_t sequence_axis);

/** Parameters of a fused attention (nvinfer1::IAttention). */
typedef struct trt_attention_params {
    int32_t normalization; /* nvinfer1::AttentionNormalizationOp (0 none, 1 softmax) */
    int32_t causal_kind; /* nvinfer1::CausalMaskKind (0 none, 1 upper-left, 2 lower-right) */
    trt_tensor* mask; /* Bool or additive float mask broadcastable to [B, H, Sq, Skv], or NULL */
    int32_t decomposable; /* allow TensorRT to split it into matmul/softmax when no fused kernel fits; -1: default */
} trt_attention_params;

/**
 * normalization(q k^T + mask) v as one fused op (addAttentionV2; TensorRT >= 10.16, TensorRT-RTX >= 1.7).
 * TensorRT does NOT scale q k^T by 1/sqrt(head_dim): NvInfer.h's attention graph is BMM1 -> mask -> normalization
 * -> BMM2 with no scaling step, so the caller scales the query. Inputs [batch, heads, tokens, head_dim].
 * An IAttention is not an ILayer: it shows in the network as an attention-input and an attention-output layer.
 * Returns the attention-output layer, whose output 0 is the attention's output.
 */
trt_layer* trt_network_add_attention(trt_network* network, trt_tensor* query, trt_tensor* key, trt_tensor* value,
    const trt_attention_params* params);

/* ------------------------------------------------------------------ read-back
 *
 * What TensorRT holds for a layer, through TensorRT's own getters: one getter per layer kind, filling the
 * parameter struct its add call takes (or a small struct of the same fields). Tensor inputs, including those set
 * with setInput (dynamic shapes, kernel tensors, zero points, ...), are read with trt_layer_input; tensor fields of
 * these structs are filled from the layer's inputs too. Weights point into memory the network owns: valid while it
 * lives and is not modified; copy them at once. A getter fails (status 1, trt_last_error) when the layer is of
 * another kind. Dims that TensorRT reports as unset have nb_dims == -1.
 */

/** Convolution or deconvolution. kernel/bias count 0 when given as tensors (inputs 1 and 2). */
int32_t trt_layer_get_convolution(const trt_layer* layer, trt_convolution_params* out);
int32_t trt_layer_get_pooling(const trt_layer* layer, trt_pooling_params* out);

typedef struct trt_activation_params {
    int32_t activation_type; /* nvinfer1::ActivationType */
    float alpha;
    float beta;
} trt_activation_params;
int32_t trt_layer_get_activation(const trt_layer* layer, trt_activation_params* out);

/**
 * The single parameter of the layers that have one, as an int32: ElementWise -> ElementWiseOperation,
 * Unary -> UnaryOperation, Cast -> output DataType, Concatenation / OneHot -> axis, Softmax -> axes bit mask,
 * NonZero -> indices DataType. Fails for other kinds.
 */
int32_t trt_layer_get_single(const trt_layer* layer, int32_t* out);

typedef struct trt_matrix_multiply_params {
    int32_t op_a; /* nvinfer1::MatrixOperation of input 0 */
    int32_t op_b; /* of input 1 */
} trt_matrix_multiply_params;
int32_t trt_layer_get_matrix_multiply(const trt_layer* layer, trt_matrix_multiply_params* out);

typedef struct trt_constant_params {
    trt_dims dims;
    trt_weights weights;
} trt_constant_params;
int32_t trt_layer_get_constant(const trt_layer* layer, trt_constant_params* out);
int32_t trt_layer_get_shuffle(const trt_layer* layer, trt_shuffle_params* out);
int32_t trt_layer_get_slice(const trt_layer* layer, trt_slice_params* out);
/** ISliceLayer::getAxes: nb_dims -1 when input 5 gives the axes (or the headers have no slice axes), 0 when none. */
int32_t trt_layer_get_slice_axes(const trt_layer* layer, trt_dims* out);
/** ISliceLayer::setAxes (fails with headers without slice axes). */
int32_t trt_layer_set_slice_axes(trt_layer* layer, const trt_dims* axes);

typedef struct trt_reduce_params {
    int32_t op; /* nvinfer1::ReduceOperation */
    uint32_t axes;
    int32_t keep_dims;
} trt_reduce_params;
int32_t trt_layer_get_reduce(const trt_layer* layer, trt_reduce_params* out);

typedef struct trt_normalization_params {
    uint32_t axes;
    float epsilon;
    int64_t nb_groups;
    int32_t is_v2; /* 1: added with addNormalizationV2 (scale/bias [1, C, 1, ...]); 0: addNormalization ([1, G, ...]) */
} trt_normalization_params;
int32_t trt_layer_get_normalization(const trt_layer* layer, trt_normalization_params* out);

typedef struct trt_scale_params {
    int32_t mode; /* nvinfer1::ScaleMode */
    trt_weights shift;
    trt_weights scale;
    trt_weights power;
    int32_t channel_axis;
} trt_scale_params;
int32_t trt_layer_get_scale(const trt_layer* layer, trt_scale_params* out);

typedef struct trt_gather_params {
    int32_t mode; /* nvinfer1::GatherMode */
    int32_t axis;
    int32_t nb_elementwise_dims;
} trt_gather_params;
int32_t trt_layer_get_gather(const trt_layer* layer, trt_gather_params* out);
/** nb_scales 0 when TensorRT reports no scales (output dims or a shape tensor given instead). */
int32_t trt_layer_get_resize(const trt_layer* layer, trt_resize_params* out);

typedef struct trt_quantize_params {
    int32_t output_type; /* nvinfer1::DataType */
    int32_t axis; /* -1: per-tensor */
} trt_quantize_params;
/** Quantize or dequantize. */
int32_t trt_layer_get_quantize(const trt_layer* layer, trt_quantize_params* out);
/** The block shape of a quantize or dequantize layer (nb_dims 0: none; -1 entries: fully blocked dims; nb_dims -1
    with headers without block quantization). */
int32_t trt_layer_get_block_shape(const trt_layer* layer, trt_dims* out);
/** setBlockShape on a quantize or dequantize layer (fails when TensorRT refuses it, or with older headers). */
int32_t trt_layer_set_block_shape(trt_layer* layer, const trt_dims* block_shape);
/** The deprecated addNormalization (scale/bias [1, G, 1, ...] for group norm), which parsers may still emit; fails with
    headers whose addNormalization is gone. nb_groups <= 0: keep default. */
trt_layer* trt_network_add_normalization_v1(trt_network* network, trt_tensor* input, trt_tensor* scale, trt_tensor* bias,
    uint32_t axes, float epsilon, int64_t nb_groups);

typedef struct trt_padding_params {
    trt_dims pre_padding;
    trt_dims post_padding;
} trt_padding_params;
int32_t trt_layer_get_padding(const trt_layer* layer, trt_padding_params* out);

typedef struct trt_topk_params {
    int32_t op; /* nvinfer1::TopKOperation */
    int32_t k;
    uint32_t axes;
    int32_t indices_type; /* nvinfer1::DataType */
} trt_topk_params;
int32_t trt_layer_get_topk(const trt_layer* layer, trt_topk_params* out);

typedef struct trt_fill_params {
    trt_dims dims; /* nb_dims -1 when given as a tensor (input 0) */
    int32_t op; /* nvinfer1::FillOperation */
    int32_t output_type; /* nvinfer1::DataType */
    double alpha;
    double beta;
} trt_fill_params;
int32_t trt_layer_get_fill(const trt_layer* layer, trt_fill_params* out);
/** The equation; valid while the layer lives. NULL on failure. */
const char* trt_layer_get_einsum_equation(const trt_layer* layer);

typedef struct trt_cumulative_params {
    int32_t op; /* nvinfer1::CumulativeOperation */
    int32_t exclusive;
    int32_t reverse;
} trt_cumulative_params;
int32_t trt_layer_get_cumulative(const trt_layer* layer, trt_cumulative_params* out);

typedef struct trt_lrn_params {
    int64_t window;
    float alpha;
    float beta;
    float k;
} trt_lrn_params;
int32_t trt_layer_get_lrn(const trt_layer* layer, trt_lrn_params* out);

typedef struct trt_scatter_params {
    int32_t mode; /* nvinfer1::ScatterMode */
    int32_t axis;
} trt_scatter_params;
int32_t trt_layer_get_scatter(const trt_layer* layer, trt_scatter_params* out);

typedef struct trt_grid_sample_params {
    int32_t mode; /* nvinfer1::InterpolationMode */
    int32_t align_corners;
    int32_t sample_mode; /* nvinfer1::SampleMode */
} trt_grid_sample_params;
int32_t trt_layer_get_grid_sample(const trt_layer* layer, trt_grid_sample_params* out);

typedef struct trt_reverse_sequence_params {
    int32_t batch_axis;
    int32_t sequence_axis;
} trt_reverse_sequence_params;
int32_t trt_layer_get_reverse_sequence(const trt_layer* layer, trt_reverse_sequence_params* out);

/** Parameters of a non-maximum suppression layer (nvinfer1::INMSLayer). */
typedef struct trt_nms_params {
    int32_t bounding_box_format; /* nvinfer1::BoundingBoxFormat */
    int32_t top_k_box_limit; /* <= 0 on add: keep TensorRT's default */
    int32_t indices_type; /* nvinfer1::DataType of output 0 (Int32 / Int64) */
} trt_nms_params;
int32_t trt_layer_get_nms(const trt_layer* layer, trt_nms_params* out);
/** addNMS(boxes, scores, max_output_boxes_per_class) with the parameters; the IoU and score thresholds are inputs 3 and 4
    (trt_layer_set_input). */
trt_layer* trt_network_add_nms(trt_network* network, trt_tensor* boxes, trt_tensor* scores,
    trt_tensor* max_output_boxes_per_class, const trt_nms_params* params);

/**
 * The IAttention behind an attention-input or attention-output layer: its parameters (decomposable 0/1) and its
 * query, key and value (`qkv`, 3 entries). Fails with headers without IAttention.
 */
int32_t trt_layer_get_attention(const trt_layer* layer, trt_attention_params* out, trt_tensor** qkv);

/* ------------------------------------------------------------------ runtime */

trt_runtime* trt_runtime_create(const trt_api* api, trt_logger* logger);
void trt_runtime_destroy(trt_runtime* runtime);
trt_engine* trt_runtime_deserialize_engine(trt_runtime* runtime, const void* blob, size_t size);

/* ------------------------------------------------------------------ engine */

void trt_engine_destroy(trt_engine* engine);
int32_t trt_engine_nb_io_tensors(const trt_engine* engine);
const char* trt_engine_io_tensor_name(const trt_engine* engine, int32_t index);
/** nvinfer1::TensorIOMode (0 none, 1 input, 2 output), -1 on failure. */
int32_t trt_engine_tensor_io_mode(const trt_engine* engine, const char* name);
int32_t trt_engine_tensor_shape(const trt_engine* engine, const char* name, trt_dims* out);
int32_t trt_engine_tensor_data_type(const trt_engine* engine, const char* name);
int32_t trt_engine_nb_layers(const trt_engine* engine);
int32_t trt_engine_nb_optimization_profiles(const trt_engine* engine);
int32_t trt_engine_profile_shape(const trt_engine* engine, const char* name, int32_t profile_index, int32_t selector, trt_dims* out);
int64_t trt_engine_device_memory_size(const trt_engine* engine);
trt_host_memory* trt_engine_serialize(const trt_engine* engine);
/** strategy: nvinfer1::ExecutionContextAllocationStrategy. */
trt_context* trt_engine_create_execution_context(trt_engine* engine, int32_t strategy);

/* ------------------------------------------------------------------ execution context */

void trt_context_destroy(trt_context* context);
int32_t trt_context_set_input_shape(trt_context* context, const char* name, const trt_dims* dims);
int32_t trt_context_tensor_shape(const trt_context* context, const char* name, trt_dims* out);
int32_t trt_context_all_input_dimensions_specified(const trt_context* context);
int32_t trt_context_set_tensor_address(trt_context* context, const char* name, void* address);
int32_t trt_context_set_optimization_profile_async(trt_context* context, int32_t profile_index, void* cuda_stream);
/** IExecutionContext::enqueueV3 on a cudaStream_t passed as a raw pointer. */
int32_t trt_context_enqueue_v3(trt_context* context, void* cuda_stream);


/* ------------------------------------------------------------------ ONNX parser (NvOnnxParser.h) */

/**
 * The ONNX parser library's exported entry points, resolved by the caller with dlsym (types erased as in trt_api):
 *   void* createNvOnnxParser_INTERNAL(void* network, void* logger, int version)
 *   int getNvOnnxParserVersion(void)
 */
typedef struct trt_onnx_api {
    void* create_parser;
    void* get_parser_version;
} trt_onnx_api;

/** An nvonnxparser::IParser. It holds the weights it converted: destroy it only after its network. */
typedef struct trt_onnx_parser trt_onnx_parser;

/** One nvonnxparser::IParserError. The strings belong to the parser: valid until its next parse or its destroy. */
typedef struct trt_onnx_error {
    /** nvonnxparser::ErrorCode. */
    int32_t code;
    /** IParserError::node(): the index of the node in the graph, -1 when the error is not about a node. */
    int64_t node;
    const char* desc;
    const char* node_name;
    const char* node_operator;
} trt_onnx_error;

/** NV_ONNX_PARSER_VERSION of the NvOnnxParser.h the shim was compiled against (major*10000 + minor*100 + patch). */
int32_t trt_onnx_header_version(void);
/** Calls getNvOnnxParserVersion() of the loaded parser library; -1 on failure. */
int32_t trt_onnx_library_version(const trt_onnx_api* api);
/** createNvOnnxParser_INTERNAL for `network`, logging to `logger` (NULL on failure). */
trt_onnx_parser* trt_onnx_parser_create(const trt_onnx_api* api, trt_network* network, trt_logger* logger);
/**
 * IParser::parse(data, size, model_path): 0 when the model was parsed, 1 when the parser refused it (its errors then
 * readable with trt_onnx_parser_error), 2 when the call itself failed (trt_last_error). `model_path` may be NULL.
 */
int32_t trt_onnx_parser_parse(trt_onnx_parser* parser, const void* data, size_t size, const char* model_path);
/** IParser::getNbErrors; -1 on failure. */
int32_t trt_onnx_parser_nb_errors(const trt_onnx_parser* parser);
/** IParser::getError(index) into `out`. */
int32_t trt_onnx_parser_error(const trt_onnx_parser* parser, int32_t index, trt_onnx_error* out);
void trt_onnx_parser_destroy(trt_onnx_parser* parser);

#ifdef __cplusplus
}
#endif

#endif /* TRT_SHIM_H */

// Network definition, tensors and layers.
#include "shim_internal.hpp"

#include <string>
#include <vector>

using namespace shim;

namespace
{

trt_layer* checked(nvinfer1::ILayer* layer, char const* what)
{
    if (layer == nullptr)
    {
        fail(std::string(what) + " returned null (TensorRT rejected the layer; see the logged error)");
    }
    return H(layer);
}

bool set(trt_dims const& d)
{
    return d.nb_dims > 0;
}

// ILayer::setInput reports a refused input only through the logger: check that it took.
void set_input_checked(nvinfer1::ILayer* layer, int32_t index, trt_tensor* tensor, char const* what)
{
    nvinfer1::ITensor* t = T(tensor);
    layer->setInput(index, *t);
    if (index >= layer->getNbInputs() || layer->getInput(index) != t)
    {
        fail(std::string("setInput(") + std::to_string(index) + ") for the " + what + " was refused");
    }
}

nvinfer1::Permutation to_perm(trt_permutation const& p)
{
    nvinfer1::Permutation out{};
    for (int32_t i = 0; i < nvinfer1::Dims::MAX_DIMS && i < TRT_MAX_DIMS; ++i)
    {
        out.order[i] = p.order[i];
    }
    return out;
}

template <typename Layer>
void apply_convolution(Layer* layer, trt_convolution_params const* p)
{
    if (set(p->stride))
    {
        layer->setStrideNd(to_dims(&p->stride, "stride"));
    }
    if (set(p->pre_padding))
    {
        layer->setPrePadding(to_dims(&p->pre_padding, "pre padding"));
    }
    if (set(p->post_padding))
    {
        layer->setPostPadding(to_dims(&p->post_padding, "post padding"));
    }
    if (set(p->dilation))
    {
        layer->setDilationNd(to_dims(&p->dilation, "dilation"));
    }
    if (p->nb_groups > 0)
    {
        layer->setNbGroups(p->nb_groups);
    }
    if (p->padding_mode >= 0)
    {
        layer->setPaddingMode(static_cast<nvinfer1::PaddingMode>(p->padding_mode));
    }
}

} // namespace

extern "C" {

const char* trt_tensor_name(const trt_tensor* tensor)
{
    return guarded("trt_tensor_name", static_cast<char const*>(nullptr), [&] { return T(tensor)->getName(); });
}

int32_t trt_tensor_set_name(trt_tensor* tensor, const char* name)
{
    return guarded("trt_tensor_set_name", 1, [&] {
        T(tensor)->setName(need_str(name, "name"));
        return 0;
    });
}

int32_t trt_tensor_dimensions(const trt_tensor* tensor, trt_dims* out)
{
    return guarded("trt_tensor_dimensions", 1, [&] {
        from_dims(T(tensor)->getDimensions(), out);
        return 0;
    });
}

int32_t trt_tensor_set_dimensions(trt_tensor* tensor, const trt_dims* dims)
{
    return guarded("trt_tensor_set_dimensions", 1, [&] {
        T(tensor)->setDimensions(to_dims(dims, "dims"));
        return 0;
    });
}

int32_t trt_tensor_data_type(const trt_tensor* tensor)
{
    return guarded("trt_tensor_data_type", -1, [&] { return static_cast<int32_t>(T(tensor)->getType()); });
}

int32_t trt_tensor_is_network_input(const trt_tensor* tensor)
{
    return guarded("trt_tensor_is_network_input", 0, [&] { return T(tensor)->isNetworkInput() ? 1 : 0; });
}

int32_t trt_tensor_is_network_output(const trt_tensor* tensor)
{
    return guarded("trt_tensor_is_network_output", 0, [&] { return T(tensor)->isNetworkOutput() ? 1 : 0; });
}

int32_t trt_tensor_is_shape_tensor(const trt_tensor* tensor)
{
    return guarded("trt_tensor_is_shape_tensor", 0, [&] { return T(tensor)->isShapeTensor() ? 1 : 0; });
}

const char* trt_layer_name(const trt_layer* layer)
{
    return guarded("trt_layer_name", static_cast<char const*>(nullptr), [&] { return L(layer)->getName(); });
}

int32_t trt_layer_set_name(trt_layer* layer, const char* name)
{
    return guarded("trt_layer_set_name", 1, [&] {
        L(layer)->setName(need_str(name, "name"));
        return 0;
    });
}

int32_t trt_layer_type(const trt_layer* layer)
{
    return guarded("trt_layer_type", -1, [&] { return static_cast<int32_t>(L(layer)->getType()); });
}

int32_t trt_layer_nb_inputs(const trt_layer* layer)
{
    return guarded("trt_layer_nb_inputs", -1, [&] { return L(layer)->getNbInputs(); });
}

int32_t trt_layer_nb_outputs(const trt_layer* layer)
{
    return guarded("trt_layer_nb_outputs", -1, [&] { return L(layer)->getNbOutputs(); });
}

trt_tensor* trt_layer_input(const trt_layer* layer, int32_t index)
{
    return guarded("trt_layer_input", static_cast<trt_tensor*>(nullptr), [&] {
        if (index < 0 || index >= L(layer)->getNbInputs())
        {
            fail("input index " + std::to_string(index) + " out of range");
        }
        return H(L(layer)->getInput(index));
    });
}

trt_tensor* trt_layer_output(const trt_layer* layer, int32_t index)
{
    return guarded("trt_layer_output", static_cast<trt_tensor*>(nullptr), [&] {
        if (index < 0 || index >= L(layer)->getNbOutputs())
        {
            fail("output index " + std::to_string(index) + " out of range");
        }
        auto* t = L(layer)->getOutput(index);
        if (t == nullptr)
        {
            fail("layer has no output " + std::to_string(index));
        }
        return H(t);
    });
}

int32_t trt_layer_set_input(trt_layer* layer, int32_t index, trt_tensor* tensor)
{
    return guarded("trt_layer_set_input", 1, [&] {
        set_input_checked(L(layer), index, tensor, "layer");
        return 0;
    });
}

void trt_network_destroy(trt_network* network)
{
    delete reinterpret_cast<nvinfer1::INetworkDefinition*>(network);
}

int32_t trt_network_set_name(trt_network* network, const char* name)
{
    return guarded("trt_network_set_name", 1, [&] {
        N(network)->setName(need_str(name, "name"));
        return 0;
    });
}

trt_tensor* trt_network_add_input(trt_network* network, const char* name, int32_t data_type, const trt_dims* dims)
{
    return guarded("trt_network_add_input", static_cast<trt_tensor*>(nullptr), [&] {
        auto* t = N(network)->addInput(
            need_str(name, "name"), static_cast<nvinfer1::DataType>(data_type), to_dims(dims, "input dims"));
        if (t == nullptr)
        {
            fail(std::string("addInput('") + name + "') returned null");
        }
        return H(t);
    });
}

int32_t trt_network_mark_output(trt_network* network, trt_tensor* tensor)
{
    return guarded("trt_network_mark_output", 1, [&] {
        N(network)->markOutput(*T(tensor));
        if (!T(tensor)->isNetworkOutput())
        {
            fail("markOutput did not mark the tensor as an output");
        }
        return 0;
    });
}

int32_t trt_network_unmark_output(trt_network* network, trt_tensor* tensor)
{
    return guarded("trt_network_unmark_output", 1, [&] {
        N(network)->unmarkOutput(*T(tensor));
        return 0;
    });
}

int32_t trt_network_nb_inputs(const trt_network* network)
{
    return guarded("trt_network_nb_inputs", -1, [&] { return N(network)->getNbInputs(); });
}

int32_t trt_network_nb_outputs(const trt_network* network)
{
    return guarded("trt_network_nb_outputs", -1, [&] { return N(network)->getNbOutputs(); });
}

int32_t trt_network_nb_layers(const trt_network* network)
{
    return guarded("trt_network_nb_layers", -1, [&] { return N(network)->getNbLayers(); });
}

trt_tensor* trt_network_input(const trt_network* network, int32_t index)
{
    return guarded("trt_network_input", static_cast<trt_tensor*>(nullptr), [&] {
        if (index < 0 || index >= N(network)->getNbInputs())
        {
            fail("input index " + std::to_string(index) + " out of range");
        }
        return H(N(network)->getInput(index));
    });
}

trt_tensor* trt_network_output(const trt_network* network, int32_t index)
{
    return guarded("trt_network_output", static_cast<trt_tensor*>(nullptr), [&] {
        if (index < 0 || index >= N(network)->getNbOutputs())
        {
            fail("output index " + std::to_string(index) + " out of range");
        }
        return H(N(network)->getOutput(index));
    });
}

trt_layer* trt_network_layer(const trt_network* network, int32_t index)
{
    return guarded("trt_network_layer", static_cast<trt_layer*>(nullptr), [&] {
        if (index < 0 || index >= N(network)->getNbLayers())
        {
            fail("layer index " + std::to_string(index) + " out of range");
        }
        return H(N(network)->getLayer(index));
    });
}

trt_layer* trt_network_add_convolution(trt_network* network, trt_tensor* input, const trt_convolution_params* params)
{
    return guarded("trt_network_add_convolution", static_cast<trt_layer*>(nullptr), [&] {
        need(params, "params");
        auto* layer = N(network)->addConvolutionNd(*T(input), params->nb_output_maps,
            to_dims(&params->kernel_size, "kernel size"), to_weights(params->kernel), to_weights(params->bias));
        checked(layer, "addConvolutionNd");
        apply_convolution(layer, params);
        return H(layer);
    });
}

trt_layer* trt_network_add_deconvolution(trt_network* network, trt_tensor* input, const trt_convolution_params* params)
{
    return guarded("trt_network_add_deconvolution", static_cast<trt_layer*>(nullptr), [&] {
        need(params, "params");
        auto* layer = N(network)->addDeconvolutionNd(*T(input), params->nb_output_maps,
            to_dims(&params->kernel_size, "kernel size"), to_weights(params->kernel), to_weights(params->bias));
        checked(layer, "addDeconvolutionNd");
        apply_convolution(layer, params);
        return H(layer);
    });
}

trt_layer* trt_network_add_pooling(trt_network* network, trt_tensor* input, const trt_pooling_params* params)
{
    return guarded("trt_network_add_pooling", static_cast<trt_layer*>(nullptr), [&] {
        need(params, "params");
        auto* layer = N(network)->addPoolingNd(*T(input), static_cast<nvinfer1::PoolingType>(params->pooling_type),
            to_dims(&params->window_size, "window size"));
        checked(layer, "addPoolingNd");
        if (set(params->stride))
        {
            layer->setStrideNd(to_dims(&params->stride, "stride"));
        }
        if (set(params->pre_padding))
        {
            layer->setPrePadding(to_dims(&params->pre_padding, "pre padding"));
        }
        if (set(params->post_padding))
        {
            layer->setPostPadding(to_dims(&params->post_padding, "post padding"));
        }
        if (params->padding_mode >= 0)
        {
            layer->setPaddingMode(static_cast<nvinfer1::PaddingMode>(params->padding_mode));
        }
        if (params->average_count_excludes_padding >= 0)
        {
            layer->setAverageCountExcludesPadding(params->average_count_excludes_padding != 0);
        }
        if (params->pooling_type == static_cast<int32_t>(nvinfer1::PoolingType::kMAX_AVERAGE_BLEND))
        {
            layer->setBlendFactor(params->blend_factor);
        }
        return H(layer);
    });
}

trt_layer* trt_network_add_activation(trt_network* network, trt_tensor* input, int32_t activation_type, float alpha, float beta)
{
    return guarded("trt_network_add_activation", static_cast<trt_layer*>(nullptr), [&] {
        auto* layer = N(network)->addActivation(*T(input), static_cast<nvinfer1::ActivationType>(activation_type));
        checked(layer, "addActivation");
        layer->setAlpha(alpha);
        layer->setBeta(beta);
        return H(layer);
    });
}

trt_layer* trt_network_add_elementwise(trt_network* network, trt_tensor* a, trt_tensor* b, int32_t op)
{
    return guarded("trt_network_add_elementwise", static_cast<trt_layer*>(nullptr), [&] {
        return checked(N(network)->addElementWise(*T(a), *T(b), static_cast<nvinfer1::ElementWiseOperation>(op)),
            "addElementWise");
    });
}

trt_layer* trt_network_add_unary(trt_network* network, trt_tensor* input, int32_t op)
{
    return guarded("trt_network_add_unary", static_cast<trt_layer*>(nullptr), [&] {
        return checked(N(network)->addUnary(*T(input), static_cast<nvinfer1::UnaryOperation>(op)), "addUnary");
    });
}

trt_layer* trt_network_add_matrix_multiply(trt_network* network, trt_tensor* a, int32_t op_a, trt_tensor* b, int32_t op_b)
{
    return guarded("trt_network_add_matrix_multiply", static_cast<trt_layer*>(nullptr), [&] {
        return checked(N(network)->addMatrixMultiply(*T(a), static_cast<nvinfer1::MatrixOperation>(op_a), *T(b),
                           static_cast<nvinfer1::MatrixOperation>(op_b)),
            "addMatrixMultiply");
    });
}

trt_layer* trt_network_add_constant(trt_network* network, const trt_dims* dims, trt_weights weights)
{
    return guarded("trt_network_add_constant", static_cast<trt_layer*>(nullptr), [&] {
        return checked(
            N(network)->addConstant(to_dims(dims, "constant dims"), to_weights(weights)), "addConstant");
    });
}

trt_layer* trt_network_add_shuffle(trt_network* network, trt_tensor* input, const trt_shuffle_params* params)
{
    return guarded("trt_network_add_shuffle", static_cast<trt_layer*>(nullptr), [&] {
        need(params, "params");
        auto* layer = N(network)->addShuffle(*T(input));
        checked(layer, "addShuffle");
        if (params->zero_is_placeholder >= 0)
        {
            layer->setZeroIsPlaceholder(params->zero_is_placeholder != 0);
        }
        if (params->has_first_transpose != 0)
        {
            layer->setFirstTranspose(to_perm(params->first_transpose));
        }
        if (params->reshape_tensor != nullptr)
        {
            set_input_checked(layer, 1, params->reshape_tensor, "reshape dims");
        }
        else if (params->has_reshape != 0)
        {
            layer->setReshapeDimensions(to_dims(&params->reshape_dims, "reshape dims"));
        }
        if (params->has_second_transpose != 0)
        {
            layer->setSecondTranspose(to_perm(params->second_transpose));
        }
        return H(layer);
    });
}

trt_layer* trt_network_add_concatenation(trt_network* network, trt_tensor* const* inputs, int32_t nb_inputs, int32_t axis)
{
    return guarded("trt_network_add_concatenation", static_cast<trt_layer*>(nullptr), [&] {
        need(inputs, "inputs");
        if (nb_inputs <= 0)
        {
            fail("concatenation needs at least one input");
        }
        std::vector<nvinfer1::ITensor*> ts;
        ts.reserve(static_cast<size_t>(nb_inputs));
        for (int32_t i = 0; i < nb_inputs; ++i)
        {
            ts.push_back(T(inputs[i]));
        }
        auto* layer = N(network)->addConcatenation(ts.data(), nb_inputs);
        checked(layer, "addConcatenation");
        layer->setAxis(axis);
        return H(layer);
    });
}

trt_layer* trt_network_add_slice(trt_network* network, trt_tensor* input, const trt_slice_params* params)
{
    return guarded("trt_network_add_slice", static_cast<trt_layer*>(nullptr), [&] {
        need(params, "params");
        auto* layer = N(network)->addSlice(*T(input), to_dims(&params->start, "slice start"),
            to_dims(&params->size, "slice size"), to_dims(&params->stride, "slice stride"));
        checked(layer, "addSlice");
        if (params->mode >= 0)
        {
            layer->setMode(static_cast<nvinfer1::SampleMode>(params->mode));
        }
        if (params->start_tensor != nullptr)
        {
            set_input_checked(layer, 1, params->start_tensor, "slice start");
        }
        if (params->size_tensor != nullptr)
        {
            set_input_checked(layer, 2, params->size_tensor, "slice size");
        }
        if (params->stride_tensor != nullptr)
        {
            set_input_checked(layer, 3, params->stride_tensor, "slice stride");
        }
        if (params->fill_value != nullptr)
        {
            set_input_checked(layer, 4, params->fill_value, "slice fill value");
        }
        return H(layer);
    });
}

trt_layer* trt_network_add_reduce(trt_network* network, trt_tensor* input, int32_t op, uint32_t axes, int32_t keep_dims)
{
    return guarded("trt_network_add_reduce", static_cast<trt_layer*>(nullptr), [&] {
        return checked(
            N(network)->addReduce(*T(input), static_cast<nvinfer1::ReduceOperation>(op), axes, keep_dims != 0),
            "addReduce");
    });
}

trt_layer* trt_network_add_softmax(trt_network* network, trt_tensor* input, uint32_t axes)
{
    return guarded("trt_network_add_softmax", static_cast<trt_layer*>(nullptr), [&] {
        auto* layer = N(network)->addSoftMax(*T(input));
        checked(layer, "addSoftMax");
        layer->setAxes(axes);
        return H(layer);
    });
}

trt_layer* trt_network_add_normalization(trt_network* network, trt_tensor* input, trt_tensor* scale, trt_tensor* bias,
    uint32_t axes, float epsilon, int64_t nb_groups)
{
    return guarded("trt_network_add_normalization", static_cast<trt_layer*>(nullptr), [&] {
        // addNormalizationV2 (scale/bias of shape [1, C, 1, 1] for group norm) supersedes addNormalization from
        // TensorRT 10.15; of TensorRT-RTX we know 1.7 has it. Older headers get the original call.
#if (SHIM_IS_RTX && SHIM_VERSION_AT_LEAST(1, 7)) || (!SHIM_IS_RTX && SHIM_VERSION_AT_LEAST(10, 15))
        auto* layer = N(network)->addNormalizationV2(*T(input), *T(scale), *T(bias), axes);
        char const* what = "addNormalizationV2";
#else
        auto* layer = N(network)->addNormalization(*T(input), *T(scale), *T(bias), axes);
        char const* what = "addNormalization";
#endif
        checked(layer, what);
        layer->setEpsilon(epsilon);
        if (nb_groups > 0)
        {
            layer->setNbGroups(nb_groups);
        }
        return H(layer);
    });
}

trt_layer* trt_network_add_normalization_v1(trt_network* network, trt_tensor* input, trt_tensor* scale, trt_tensor* bias,
    uint32_t axes, float epsilon, int64_t nb_groups)
{
    return guarded("trt_network_add_normalization_v1", static_cast<trt_layer*>(nullptr), [&] {
        auto* layer = N(network)->addNormalization(*T(input), *T(scale), *T(bias), axes);
        checked(layer, "addNormalization");
        layer->setEpsilon(epsilon);
        if (nb_groups > 0)
        {
            layer->setNbGroups(nb_groups);
        }
        return H(layer);
    });
}

trt_layer* trt_network_add_scale(trt_network* network, trt_tensor* input, int32_t mode, trt_weights shift, trt_weights scale,
    trt_weights power, int32_t channel_axis)
{
    return guarded("trt_network_add_scale", static_cast<trt_layer*>(nullptr), [&] {
        return checked(N(network)->addScaleNd(*T(input), static_cast<nvinfer1::ScaleMode>(mode), to_weights(shift),
                           to_weights(scale), to_weights(power), channel_axis),
            "addScaleNd");
    });
}

trt_layer* trt_network_add_cast(trt_network* network, trt_tensor* input, int32_t to_type)
{
    return guarded("trt_network_add_cast", static_cast<trt_layer*>(nullptr), [&] {
        return checked(N(network)->addCast(*T(input), static_cast<nvinfer1::DataType>(to_type)), "addCast");
    });
}

trt_layer* trt_network_add_gather(trt_network* network, trt_tensor* data, trt_tensor* indices, int32_t mode, int32_t axis,
    int32_t nb_elementwise_dims)
{
    return guarded("trt_network_add_gather", static_cast<trt_layer*>(nullptr), [&] {
        auto* layer = N(network)->addGatherV2(*T(data), *T(indices), static_cast<nvinfer1::GatherMode>(mode));
        checked(layer, "addGatherV2");
        layer->setGatherAxis(axis);
        if (nb_elementwise_dims >= 0)
        {
            layer->setNbElementWiseDims(nb_elementwise_dims);
        }
        return H(layer);
    });
}

trt_layer* trt_network_add_resize(trt_network* network, trt_tensor* input, const trt_resize_params* params)
{
    return guarded("trt_network_add_resize", static_cast<trt_layer*>(nullptr), [&] {
        need(params, "params");
        auto* layer = N(network)->addResize(*T(input));
        checked(layer, "addResize");
        layer->setResizeMode(static_cast<nvinfer1::InterpolationMode>(params->mode));
        if (params->coordinate_transformation >= 0)
        {
            layer->setCoordinateTransformation(
                static_cast<nvinfer1::ResizeCoordinateTransformation>(params->coordinate_transformation));
        }
        if (params->selector_for_single_pixel >= 0)
        {
            layer->setSelectorForSinglePixel(static_cast<nvinfer1::ResizeSelector>(params->selector_for_single_pixel));
        }
        if (params->nearest_rounding >= 0)
        {
            layer->setNearestRounding(static_cast<nvinfer1::ResizeRoundMode>(params->nearest_rounding));
        }
        if (params->mode == static_cast<int32_t>(nvinfer1::InterpolationMode::kCUBIC))
        {
            layer->setCubicCoeff(params->cubic_coeff);
        }
        if (params->exclude_outside >= 0)
        {
            layer->setExcludeOutside(params->exclude_outside != 0);
        }
        if (params->shape_tensor != nullptr)
        {
            set_input_checked(layer, 1, params->shape_tensor, "resize output shape");
        }
        else if (set(params->output_dims))
        {
            layer->setOutputDimensions(to_dims(&params->output_dims, "resize output dims"));
        }
        else if (params->nb_scales > 0)
        {
            if (params->nb_scales > TRT_MAX_DIMS)
            {
                fail("too many resize scales");
            }
            layer->setScales(params->scales, params->nb_scales);
        }
        else
        {
            fail("resize needs output dims, scales or a shape tensor");
        }
        return H(layer);
    });
}

trt_layer* trt_network_add_select(trt_network* network, trt_tensor* condition, trt_tensor* then_input, trt_tensor* else_input)
{
    return guarded("trt_network_add_select", static_cast<trt_layer*>(nullptr), [&] {
        return checked(N(network)->addSelect(*T(condition), *T(then_input), *T(else_input)), "addSelect");
    });
}

trt_layer* trt_network_add_identity(trt_network* network, trt_tensor* input)
{
    return guarded("trt_network_add_identity", static_cast<trt_layer*>(nullptr),
        [&] { return checked(N(network)->addIdentity(*T(input)), "addIdentity"); });
}

trt_layer* trt_network_add_quantize(trt_network* network, trt_tensor* input, trt_tensor* scale, trt_tensor* zero_point,
    int32_t output_type, int32_t axis)
{
    return guarded("trt_network_add_quantize", static_cast<trt_layer*>(nullptr), [&] {
        auto* layer
            = N(network)->addQuantize(*T(input), *T(scale), static_cast<nvinfer1::DataType>(output_type));
        checked(layer, "addQuantize");
        if (axis >= 0)
        {
            layer->setAxis(axis);
        }
        if (zero_point != nullptr)
        {
            set_input_checked(layer, 2, zero_point, "zero point");
        }
        return H(layer);
    });
}

trt_layer* trt_network_add_dequantize(trt_network* network, trt_tensor* input, trt_tensor* scale, trt_tensor* zero_point,
    int32_t output_type, int32_t axis)
{
    return guarded("trt_network_add_dequantize", static_cast<trt_layer*>(nullptr), [&] {
        auto* layer
            = N(network)->addDequantize(*T(input), *T(scale), static_cast<nvinfer1::DataType>(output_type));
        checked(layer, "addDequantize");
        if (axis >= 0)
        {
            layer->setAxis(axis);
        }
        if (zero_point != nullptr)
        {
            set_input_checked(layer, 2, zero_point, "zero point");
        }
        return H(layer);
    });
}

trt_layer* trt_network_add_shape(trt_network* network, trt_tensor* input)
{
    return guarded("trt_network_add_shape", static_cast<trt_layer*>(nullptr),
        [&] { return checked(N(network)->addShape(*T(input)), "addShape"); });
}

trt_layer* trt_network_add_padding(trt_network* network, trt_tensor* input, const trt_dims* pre_padding, const trt_dims* post_padding)
{
    return guarded("trt_network_add_padding", static_cast<trt_layer*>(nullptr), [&] {
        return checked(N(network)->addPaddingNd(
                           *T(input), to_dims(pre_padding, "pre padding"), to_dims(post_padding, "post padding")),
            "addPaddingNd");
    });
}

trt_layer* trt_network_add_topk(trt_network* network, trt_tensor* input, int32_t op, int32_t k, uint32_t axes, int32_t indices_type)
{
    return guarded("trt_network_add_topk", static_cast<trt_layer*>(nullptr), [&] {
        return checked(N(network)->addTopK(*T(input), static_cast<nvinfer1::TopKOperation>(op), k, axes,
                           static_cast<nvinfer1::DataType>(indices_type)),
            "addTopK");
    });
}

trt_layer* trt_network_add_fill(trt_network* network, const trt_dims* dims, int32_t op, int32_t output_type, double alpha,
    double beta, trt_tensor* alpha_tensor, trt_tensor* beta_tensor)
{
    return guarded("trt_network_add_fill", static_cast<trt_layer*>(nullptr), [&] {
        auto* layer = N(network)->addFill(to_dims(dims, "fill dims"), static_cast<nvinfer1::FillOperation>(op),
            static_cast<nvinfer1::DataType>(output_type));
        checked(layer, "addFill");
        if (alpha_tensor != nullptr)
        {
            set_input_checked(layer, 1, alpha_tensor, "fill alpha");
        }
        else
        {
            layer->setAlpha(alpha);
        }
        if (beta_tensor != nullptr)
        {
            set_input_checked(layer, 2, beta_tensor, "fill beta");
        }
        else
        {
            layer->setBeta(beta);
        }
        return H(layer);
    });
}

trt_layer* trt_network_add_parametric_relu(trt_network* network, trt_tensor* input, trt_tensor* slope)
{
    return guarded("trt_network_add_parametric_relu", static_cast<trt_layer*>(nullptr),
        [&] { return checked(N(network)->addParametricReLU(*T(input), *T(slope)), "addParametricReLU"); });
}

trt_layer* trt_network_add_einsum(trt_network* network, trt_tensor* const* inputs, int32_t nb_inputs, const char* equation)
{
    return guarded("trt_network_add_einsum", static_cast<trt_layer*>(nullptr), [&] {
        need(inputs, "inputs");
        if (nb_inputs <= 0)
        {
            fail("einsum needs at least one input");
        }
        std::vector<nvinfer1::ITensor*> ts;
        for (int32_t i = 0; i < nb_inputs; ++i)
        {
            ts.push_back(T(inputs[i]));
        }
        return checked(N(network)->addEinsum(ts.data(), nb_inputs, need_str(equation, "equation")), "addEinsum");
    });
}

trt_layer* trt_network_add_squeeze(trt_network* network, trt_tensor* input, trt_tensor* axes)
{
    return guarded("trt_network_add_squeeze", static_cast<trt_layer*>(nullptr),
        [&] { return checked(N(network)->addSqueeze(*T(input), *T(axes)), "addSqueeze"); });
}

trt_layer* trt_network_add_unsqueeze(trt_network* network, trt_tensor* input, trt_tensor* axes)
{
    return guarded("trt_network_add_unsqueeze", static_cast<trt_layer*>(nullptr),
        [&] { return checked(N(network)->addUnsqueeze(*T(input), *T(axes)), "addUnsqueeze"); });
}

trt_layer* trt_network_add_cumulative(trt_network* network, trt_tensor* input, trt_tensor* axis, int32_t op, int32_t exclusive,
    int32_t reverse)
{
    return guarded("trt_network_add_cumulative", static_cast<trt_layer*>(nullptr), [&] {
        return checked(N(network)->addCumulative(*T(input), *T(axis), static_cast<nvinfer1::CumulativeOperation>(op),
                           exclusive != 0, reverse != 0),
            "addCumulative");
    });
}

trt_layer* trt_network_add_lrn(trt_network* network, trt_tensor* input, int64_t window, float alpha, float beta, float k)
{
    return guarded("trt_network_add_lrn", static_cast<trt_layer*>(nullptr),
        [&] { return checked(N(network)->addLRN(*T(input), window, alpha, beta, k), "addLRN"); });
}

trt_layer* trt_network_add_scatter(trt_network* network, trt_tensor* data, trt_tensor* indices, trt_tensor* updates,
    int32_t mode, int32_t axis)
{
    return guarded("trt_network_add_scatter", static_cast<trt_layer*>(nullptr), [&] {
        auto* layer = N(network)->addScatter(*T(data), *T(indices), *T(updates), static_cast<nvinfer1::ScatterMode>(mode));
        checked(layer, "addScatter");
        layer->setAxis(axis);
        return H(layer);
    });
}

trt_layer* trt_network_add_one_hot(trt_network* network, trt_tensor* indices, trt_tensor* values, trt_tensor* depth, int32_t axis)
{
    return guarded("trt_network_add_one_hot", static_cast<trt_layer*>(nullptr), [&] {
        return checked(N(network)->addOneHot(*T(indices), *T(values), *T(depth), axis), "addOneHot");
    });
}

trt_layer* trt_network_add_non_zero(trt_network* network, trt_tensor* input, int32_t indices_type)
{
    return guarded("trt_network_add_non_zero", static_cast<trt_layer*>(nullptr), [&] {
        return checked(N(network)->addNonZero(*T(input), static_cast<nvinfer1::DataType>(indices_type)), "addNonZero");
    });
}

trt_layer* trt_network_add_grid_sample(trt_network* network, trt_tensor* input, trt_tensor* grid, int32_t mode,
    int32_t align_corners, int32_t sample_mode)
{
    return guarded("trt_network_add_grid_sample", static_cast<trt_layer*>(nullptr), [&] {
        auto* layer = N(network)->addGridSample(*T(input), *T(grid));
        checked(layer, "addGridSample");
        layer->setInterpolationMode(static_cast<nvinfer1::InterpolationMode>(mode));
        layer->setAlignCorners(align_corners != 0);
        if (!layer->setSampleMode(static_cast<nvinfer1::SampleMode>(sample_mode)))
        {
            fail("grid sample refused sample mode " + std::to_string(sample_mode));
        }
        return H(layer);
    });
}

trt_layer* trt_network_add_reverse_sequence(trt_network* network, trt_tensor* input, trt_tensor* sequence_lens,
    int32_t batch_axis, int32_t sequence_axis)
{
    return guarded("trt_network_add_reverse_sequence", static_cast<trt_layer*>(nullptr), [&] {
        auto* layer = N(network)->addReverseSequence(*T(input), *T(sequence_lens));
        checked(layer, "addReverseSequence");
        layer->setBatchAxis(batch_axis);
        layer->setSequenceAxis(sequence_axis);
        return H(layer);
    });
}

trt_layer* trt_network_add_attention(trt_network* network, trt_tensor* query, trt_tensor* key, trt_tensor* value,
    const trt_attention_params* params)
{
    return guarded("trt_network_add_attention", static_cast<trt_layer*>(nullptr), [&] {
        need(params, "params");
#if (SHIM_IS_RTX && SHIM_VERSION_AT_LEAST(1, 7)) || (!SHIM_IS_RTX && SHIM_VERSION_AT_LEAST(10, 16))
        auto* net = N(network);
        auto* attention = net->addAttentionV2(*T(query), *T(key), *T(value),
            static_cast<nvinfer1::AttentionNormalizationOp>(params->normalization),
            static_cast<nvinfer1::CausalMaskKind>(params->causal_kind));
        if (attention == nullptr)
        {
            fail("addAttentionV2 returned null (TensorRT rejected it; see the logged error)");
        }
        if (params->mask != nullptr && !attention->setMask(*T(params->mask)))
        {
            fail("IAttention::setMask refused the mask");
        }
        if (params->decomposable >= 0 && !attention->setDecomposable(params->decomposable != 0))
        {
            fail("IAttention::setDecomposable refused");
        }
        auto* out = attention->getOutput(0);
        if (out == nullptr)
        {
            fail("IAttention has no output");
        }
        // The attention-output layer (just added, so searched from the end) is the one producing that output.
        for (int32_t i = net->getNbLayers() - 1; i >= 0; --i)
        {
            auto* layer = net->getLayer(i);
            if (layer->getType() == nvinfer1::LayerType::kATTENTION_OUTPUT && layer->getOutput(0) == out)
            {
                return H(layer);
            }
        }
        fail("the attention-output layer of the new IAttention was not found");
        return static_cast<trt_layer*>(nullptr);
#else
        N(network);
        fail("fused attention needs TensorRT >= 10.16 or TensorRT-RTX >= 1.7 headers");
        return static_cast<trt_layer*>(nullptr);
#endif
    });
}

} // extern "C"

// Read-back: what TensorRT holds for each layer, through its own getters (see "read-back" in trt_shim.h).
#include "shim_internal.hpp"

#include <string>

using namespace shim;

namespace
{

// The layer as its concrete interface, after checking its type: a getter for another kind fails cleanly.
template <typename Layer>
Layer const* as(trt_layer const* handle, nvinfer1::LayerType type, char const* what)
{
    auto const* layer = L(handle);
    if (layer->getType() != type)
    {
        char const* name = layer->getName();
        fail(std::string("layer '") + (name ? name : "") + "' (type " + std::to_string(static_cast<int32_t>(layer->getType()))
            + ") is not a " + what + " layer");
    }
    return static_cast<Layer const*>(layer);
}

bool is(trt_layer const* handle, nvinfer1::LayerType type)
{
    return L(handle)->getType() == type;
}

template <typename Out>
Out* out_param(Out* out)
{
    return need(out, "output struct");
}

trt_weights from_weights(nvinfer1::Weights const& w)
{
    trt_weights out{};
    out.data_type = static_cast<int32_t>(w.type);
    out.values = w.values;
    out.count = w.values == nullptr ? 0 : w.count;
    return out;
}

// Input `index` of the layer, or NULL when it is absent or unset.
trt_tensor* input_or_null(nvinfer1::ILayer const* layer, int32_t index)
{
    return index < layer->getNbInputs() ? H(layer->getInput(index)) : nullptr;
}

void from_perm(nvinfer1::Permutation const& p, trt_permutation* out)
{
    for (int32_t i = 0; i < TRT_MAX_DIMS; ++i)
    {
        out->order[i] = i < nvinfer1::Dims::MAX_DIMS ? p.order[i] : i;
    }
}

template <typename Conv>
void read_convolution(Conv const* layer, trt_convolution_params* out)
{
    out->nb_output_maps = layer->getNbOutputMaps();
    from_dims(layer->getKernelSizeNd(), &out->kernel_size);
    out->kernel = from_weights(layer->getKernelWeights());
    out->bias = from_weights(layer->getBiasWeights());
    from_dims(layer->getStrideNd(), &out->stride);
    from_dims(layer->getPrePadding(), &out->pre_padding);
    from_dims(layer->getPostPadding(), &out->post_padding);
    from_dims(layer->getDilationNd(), &out->dilation);
    out->nb_groups = layer->getNbGroups();
    out->padding_mode = static_cast<int32_t>(layer->getPaddingMode());
}

} // namespace

extern "C" {

int32_t trt_layer_get_convolution(const trt_layer* layer, trt_convolution_params* out)
{
    return guarded("trt_layer_get_convolution", 1, [&] {
        out_param(out);
        if (is(layer, nvinfer1::LayerType::kDECONVOLUTION))
        {
            read_convolution(
                as<nvinfer1::IDeconvolutionLayer>(layer, nvinfer1::LayerType::kDECONVOLUTION, "deconvolution"), out);
        }
        else
        {
            read_convolution(
                as<nvinfer1::IConvolutionLayer>(layer, nvinfer1::LayerType::kCONVOLUTION, "convolution"), out);
        }
        return 0;
    });
}

int32_t trt_layer_get_pooling(const trt_layer* layer, trt_pooling_params* out)
{
    return guarded("trt_layer_get_pooling", 1, [&] {
        auto const* l = as<nvinfer1::IPoolingLayer>(layer, nvinfer1::LayerType::kPOOLING, "pooling");
        out_param(out)->pooling_type = static_cast<int32_t>(l->getPoolingType());
        from_dims(l->getWindowSizeNd(), &out->window_size);
        from_dims(l->getStrideNd(), &out->stride);
        from_dims(l->getPrePadding(), &out->pre_padding);
        from_dims(l->getPostPadding(), &out->post_padding);
        out->padding_mode = static_cast<int32_t>(l->getPaddingMode());
        out->average_count_excludes_padding = l->getAverageCountExcludesPadding() ? 1 : 0;
        out->blend_factor = l->getBlendFactor();
        return 0;
    });
}

int32_t trt_layer_get_activation(const trt_layer* layer, trt_activation_params* out)
{
    return guarded("trt_layer_get_activation", 1, [&] {
        auto const* l = as<nvinfer1::IActivationLayer>(layer, nvinfer1::LayerType::kACTIVATION, "activation");
        out_param(out)->activation_type = static_cast<int32_t>(l->getActivationType());
        out->alpha = l->getAlpha();
        out->beta = l->getBeta();
        return 0;
    });
}

int32_t trt_layer_get_single(const trt_layer* layer, int32_t* out)
{
    return guarded("trt_layer_get_single", 1, [&] {
        using T = nvinfer1::LayerType;
        out_param(out);
        switch (L(layer)->getType())
        {
        case T::kELEMENTWISE:
            *out = static_cast<int32_t>(as<nvinfer1::IElementWiseLayer>(layer, T::kELEMENTWISE, "")->getOperation());
            break;
        case T::kUNARY: *out = static_cast<int32_t>(as<nvinfer1::IUnaryLayer>(layer, T::kUNARY, "")->getOperation()); break;
        case T::kCAST: *out = static_cast<int32_t>(as<nvinfer1::ICastLayer>(layer, T::kCAST, "")->getToType()); break;
        case T::kCONCATENATION: *out = as<nvinfer1::IConcatenationLayer>(layer, T::kCONCATENATION, "")->getAxis(); break;
        case T::kONE_HOT: *out = as<nvinfer1::IOneHotLayer>(layer, T::kONE_HOT, "")->getAxis(); break;
        case T::kSOFTMAX:
            *out = static_cast<int32_t>(as<nvinfer1::ISoftMaxLayer>(layer, T::kSOFTMAX, "")->getAxes());
            break;
        case T::kNON_ZERO:
            *out = static_cast<int32_t>(as<nvinfer1::INonZeroLayer>(layer, T::kNON_ZERO, "")->getIndicesType());
            break;
        default: fail("layer type " + std::to_string(static_cast<int32_t>(L(layer)->getType())) + " has no single parameter");
        }
        return 0;
    });
}

int32_t trt_layer_get_matrix_multiply(const trt_layer* layer, trt_matrix_multiply_params* out)
{
    return guarded("trt_layer_get_matrix_multiply", 1, [&] {
        auto const* l
            = as<nvinfer1::IMatrixMultiplyLayer>(layer, nvinfer1::LayerType::kMATRIX_MULTIPLY, "matrix multiply");
        out_param(out)->op_a = static_cast<int32_t>(l->getOperation(0));
        out->op_b = static_cast<int32_t>(l->getOperation(1));
        return 0;
    });
}

int32_t trt_layer_get_constant(const trt_layer* layer, trt_constant_params* out)
{
    return guarded("trt_layer_get_constant", 1, [&] {
        auto const* l = as<nvinfer1::IConstantLayer>(layer, nvinfer1::LayerType::kCONSTANT, "constant");
        from_dims(l->getDimensions(), &out_param(out)->dims);
        out->weights = from_weights(l->getWeights());
        return 0;
    });
}

int32_t trt_layer_get_shuffle(const trt_layer* layer, trt_shuffle_params* out)
{
    return guarded("trt_layer_get_shuffle", 1, [&] {
        auto const* l = as<nvinfer1::IShuffleLayer>(layer, nvinfer1::LayerType::kSHUFFLE, "shuffle");
        out_param(out)->has_first_transpose = 1;
        from_perm(l->getFirstTranspose(), &out->first_transpose);
        from_dims(l->getReshapeDimensions(), &out->reshape_dims);
        out->has_reshape = out->reshape_dims.nb_dims >= 0 ? 1 : 0;
        out->reshape_tensor = input_or_null(l, 1);
        out->has_second_transpose = 1;
        from_perm(l->getSecondTranspose(), &out->second_transpose);
        out->zero_is_placeholder = l->getZeroIsPlaceholder() ? 1 : 0;
        return 0;
    });
}

int32_t trt_layer_get_slice(const trt_layer* layer, trt_slice_params* out)
{
    return guarded("trt_layer_get_slice", 1, [&] {
        auto const* l = as<nvinfer1::ISliceLayer>(layer, nvinfer1::LayerType::kSLICE, "slice");
        from_dims(l->getStart(), &out_param(out)->start);
        from_dims(l->getSize(), &out->size);
        from_dims(l->getStride(), &out->stride);
        out->start_tensor = input_or_null(l, 1);
        out->size_tensor = input_or_null(l, 2);
        out->stride_tensor = input_or_null(l, 3);
        out->mode = static_cast<int32_t>(l->getMode());
        out->fill_value = input_or_null(l, 4);
        return 0;
    });
}

// ISliceLayer::setAxes / getAxes came with TensorRT 10.15 and TensorRT-RTX 1.7 headers as far as we know (the same
// bound as addNormalizationV2); older headers report no axes (input 5 is still seen through trt_layer_input).
#if (SHIM_IS_RTX && SHIM_VERSION_AT_LEAST(1, 7)) || (!SHIM_IS_RTX && SHIM_VERSION_AT_LEAST(10, 15))
#define SHIM_HAS_SLICE_AXES 1
#define SHIM_HAS_BLOCK_SHAPE 1
#define SHIM_HAS_NORMALIZATION_V2 1
#else
#define SHIM_HAS_SLICE_AXES 0
#define SHIM_HAS_BLOCK_SHAPE 0
#define SHIM_HAS_NORMALIZATION_V2 0
#endif

int32_t trt_layer_get_slice_axes(const trt_layer* layer, trt_dims* out)
{
    return guarded("trt_layer_get_slice_axes", 1, [&] {
        auto const* l = as<nvinfer1::ISliceLayer>(layer, nvinfer1::LayerType::kSLICE, "slice");
        out_param(out);
#if SHIM_HAS_SLICE_AXES
        from_dims(l->getAxes(), out);
#else
        (void) l;
        out->nb_dims = -1;
#endif
        return 0;
    });
}

int32_t trt_layer_set_slice_axes(trt_layer* layer, const trt_dims* axes)
{
    return guarded("trt_layer_set_slice_axes", 1, [&] {
        auto* l = const_cast<nvinfer1::ISliceLayer*>(
            as<nvinfer1::ISliceLayer>(layer, nvinfer1::LayerType::kSLICE, "slice"));
#if SHIM_HAS_SLICE_AXES
        l->setAxes(to_dims(axes, "slice axes"));
#else
        (void) l;
        (void) axes;
        fail("slice axes need TensorRT >= 10.15 or TensorRT-RTX >= 1.7 headers");
#endif
        return 0;
    });
}

int32_t trt_layer_get_reduce(const trt_layer* layer, trt_reduce_params* out)
{
    return guarded("trt_layer_get_reduce", 1, [&] {
        auto const* l = as<nvinfer1::IReduceLayer>(layer, nvinfer1::LayerType::kREDUCE, "reduce");
        out_param(out)->op = static_cast<int32_t>(l->getOperation());
        out->axes = l->getReduceAxes();
        out->keep_dims = l->getKeepDimensions() ? 1 : 0;
        return 0;
    });
}

int32_t trt_layer_get_normalization(const trt_layer* layer, trt_normalization_params* out)
{
    return guarded("trt_layer_get_normalization", 1, [&] {
        auto const* l
            = as<nvinfer1::INormalizationLayer>(layer, nvinfer1::LayerType::kNORMALIZATION, "normalization");
        out_param(out)->axes = l->getAxes();
        out->epsilon = l->getEpsilon();
        out->nb_groups = l->getNbGroups();
#if SHIM_HAS_NORMALIZATION_V2
        out->is_v2 = l->isV2() ? 1 : 0;
#else
        out->is_v2 = 0;
#endif
        return 0;
    });
}

int32_t trt_layer_get_scale(const trt_layer* layer, trt_scale_params* out)
{
    return guarded("trt_layer_get_scale", 1, [&] {
        auto const* l = as<nvinfer1::IScaleLayer>(layer, nvinfer1::LayerType::kSCALE, "scale");
        out_param(out)->mode = static_cast<int32_t>(l->getMode());
        out->shift = from_weights(l->getShift());
        out->scale = from_weights(l->getScale());
        out->power = from_weights(l->getPower());
        out->channel_axis = l->getChannelAxis();
        return 0;
    });
}

int32_t trt_layer_get_gather(const trt_layer* layer, trt_gather_params* out)
{
    return guarded("trt_layer_get_gather", 1, [&] {
        auto const* l = as<nvinfer1::IGatherLayer>(layer, nvinfer1::LayerType::kGATHER, "gather");
        out_param(out)->mode = static_cast<int32_t>(l->getMode());
        out->axis = l->getGatherAxis();
        out->nb_elementwise_dims = l->getNbElementWiseDims();
        return 0;
    });
}

int32_t trt_layer_get_resize(const trt_layer* layer, trt_resize_params* out)
{
    return guarded("trt_layer_get_resize", 1, [&] {
        auto const* l = as<nvinfer1::IResizeLayer>(layer, nvinfer1::LayerType::kRESIZE, "resize");
        out_param(out)->mode = static_cast<int32_t>(l->getResizeMode());
        out->coordinate_transformation = static_cast<int32_t>(l->getCoordinateTransformation());
        out->selector_for_single_pixel = static_cast<int32_t>(l->getSelectorForSinglePixel());
        out->nearest_rounding = static_cast<int32_t>(l->getNearestRounding());
        from_dims(l->getOutputDimensions(), &out->output_dims);
        int32_t const n = l->getScales(0, nullptr);
        out->nb_scales = 0;
        if (n > 0 && n <= TRT_MAX_DIMS && l->getScales(n, out->scales) == n)
        {
            out->nb_scales = n;
        }
        out->shape_tensor = input_or_null(l, 1);
        out->cubic_coeff = l->getCubicCoeff();
        out->exclude_outside = l->getExcludeOutside() ? 1 : 0;
        return 0;
    });
}

int32_t trt_layer_get_quantize(const trt_layer* layer, trt_quantize_params* out)
{
    return guarded("trt_layer_get_quantize", 1, [&] {
        out_param(out);
        if (is(layer, nvinfer1::LayerType::kDEQUANTIZE))
        {
            auto const* l = as<nvinfer1::IDequantizeLayer>(layer, nvinfer1::LayerType::kDEQUANTIZE, "dequantize");
            out->output_type = static_cast<int32_t>(l->getToType());
            out->axis = l->getAxis();
        }
        else
        {
            auto const* l = as<nvinfer1::IQuantizeLayer>(layer, nvinfer1::LayerType::kQUANTIZE, "quantize");
            out->output_type = static_cast<int32_t>(l->getToType());
            out->axis = l->getAxis();
        }
        return 0;
    });
}

int32_t trt_layer_get_block_shape(const trt_layer* layer, trt_dims* out)
{
    return guarded("trt_layer_get_block_shape", 1, [&] {
        out_param(out);
#if SHIM_HAS_BLOCK_SHAPE
        if (is(layer, nvinfer1::LayerType::kDEQUANTIZE))
        {
            from_dims(as<nvinfer1::IDequantizeLayer>(layer, nvinfer1::LayerType::kDEQUANTIZE, "dequantize")
                          ->getBlockShape(),
                out);
        }
        else
        {
            from_dims(
                as<nvinfer1::IQuantizeLayer>(layer, nvinfer1::LayerType::kQUANTIZE, "quantize")->getBlockShape(), out);
        }
#else
        as<nvinfer1::ILayer>(layer, is(layer, nvinfer1::LayerType::kDEQUANTIZE) ? nvinfer1::LayerType::kDEQUANTIZE
                                                                                   : nvinfer1::LayerType::kQUANTIZE,
            "quantize or dequantize");
        out->nb_dims = -1;
#endif
        return 0;
    });
}

int32_t trt_layer_set_block_shape(trt_layer* layer, const trt_dims* block_shape)
{
    return guarded("trt_layer_set_block_shape", 1, [&] {
#if SHIM_HAS_BLOCK_SHAPE
        auto const dims = to_dims(block_shape, "block shape");
        bool ok = false;
        if (is(layer, nvinfer1::LayerType::kDEQUANTIZE))
        {
            ok = const_cast<nvinfer1::IDequantizeLayer*>(
                as<nvinfer1::IDequantizeLayer>(layer, nvinfer1::LayerType::kDEQUANTIZE, "dequantize"))
                     ->setBlockShape(dims);
        }
        else
        {
            ok = const_cast<nvinfer1::IQuantizeLayer*>(
                as<nvinfer1::IQuantizeLayer>(layer, nvinfer1::LayerType::kQUANTIZE, "quantize"))
                     ->setBlockShape(dims);
        }
        if (!ok)
        {
            fail("TensorRT refused the block shape");
        }
#else
        (void) layer;
        (void) block_shape;
        fail("block quantization needs TensorRT >= 10.15 or TensorRT-RTX >= 1.7 headers");
#endif
        return 0;
    });
}

int32_t trt_layer_get_padding(const trt_layer* layer, trt_padding_params* out)
{
    return guarded("trt_layer_get_padding", 1, [&] {
        auto const* l = as<nvinfer1::IPaddingLayer>(layer, nvinfer1::LayerType::kPADDING, "padding");
        from_dims(l->getPrePaddingNd(), &out_param(out)->pre_padding);
        from_dims(l->getPostPaddingNd(), &out->post_padding);
        return 0;
    });
}

int32_t trt_layer_get_topk(const trt_layer* layer, trt_topk_params* out)
{
    return guarded("trt_layer_get_topk", 1, [&] {
        auto const* l = as<nvinfer1::ITopKLayer>(layer, nvinfer1::LayerType::kTOPK, "top-k");
        out_param(out)->op = static_cast<int32_t>(l->getOperation());
        out->k = l->getK();
        out->axes = l->getReduceAxes();
        out->indices_type = static_cast<int32_t>(l->getIndicesType());
        return 0;
    });
}

int32_t trt_layer_get_fill(const trt_layer* layer, trt_fill_params* out)
{
    return guarded("trt_layer_get_fill", 1, [&] {
        auto const* l = as<nvinfer1::IFillLayer>(layer, nvinfer1::LayerType::kFILL, "fill");
        from_dims(l->getDimensions(), &out_param(out)->dims);
        out->op = static_cast<int32_t>(l->getOperation());
        out->output_type = static_cast<int32_t>(l->getToType());
        out->alpha = l->getAlpha();
        out->beta = l->getBeta();
        return 0;
    });
}

const char* trt_layer_get_einsum_equation(const trt_layer* layer)
{
    return guarded("trt_layer_get_einsum_equation", static_cast<char const*>(nullptr), [&] {
        return need_str(
            as<nvinfer1::IEinsumLayer>(layer, nvinfer1::LayerType::kEINSUM, "einsum")->getEquation(), "equation");
    });
}

int32_t trt_layer_get_cumulative(const trt_layer* layer, trt_cumulative_params* out)
{
    return guarded("trt_layer_get_cumulative", 1, [&] {
        auto const* l = as<nvinfer1::ICumulativeLayer>(layer, nvinfer1::LayerType::kCUMULATIVE, "cumulative");
        out_param(out)->op = static_cast<int32_t>(l->getOperation());
        out->exclusive = l->getExclusive() ? 1 : 0;
        out->reverse = l->getReverse() ? 1 : 0;
        return 0;
    });
}

int32_t trt_layer_get_lrn(const trt_layer* layer, trt_lrn_params* out)
{
    return guarded("trt_layer_get_lrn", 1, [&] {
        auto const* l = as<nvinfer1::ILRNLayer>(layer, nvinfer1::LayerType::kLRN, "LRN");
        out_param(out)->window = l->getWindowSize();
        out->alpha = l->getAlpha();
        out->beta = l->getBeta();
        out->k = l->getK();
        return 0;
    });
}

int32_t trt_layer_get_scatter(const trt_layer* layer, trt_scatter_params* out)
{
    return guarded("trt_layer_get_scatter", 1, [&] {
        auto const* l = as<nvinfer1::IScatterLayer>(layer, nvinfer1::LayerType::kSCATTER, "scatter");
        out_param(out)->mode = static_cast<int32_t>(l->getMode());
        out->axis = l->getAxis();
        return 0;
    });
}

int32_t trt_layer_get_grid_sample(const trt_layer* layer, trt_grid_sample_params* out)
{
    return guarded("trt_layer_get_grid_sample", 1, [&] {
        auto const* l = as<nvinfer1::IGridSampleLayer>(layer, nvinfer1::LayerType::kGRID_SAMPLE, "grid sample");
        out_param(out)->mode = static_cast<int32_t>(l->getInterpolationMode());
        out->align_corners = l->getAlignCorners() ? 1 : 0;
        out->sample_mode = static_cast<int32_t>(l->getSampleMode());
        return 0;
    });
}

int32_t trt_layer_get_reverse_sequence(const trt_layer* layer, trt_reverse_sequence_params* out)
{
    return guarded("trt_layer_get_reverse_sequence", 1, [&] {
        auto const* l = as<nvinfer1::IReverseSequenceLayer>(
            layer, nvinfer1::LayerType::kREVERSE_SEQUENCE, "reverse sequence");
        out_param(out)->batch_axis = l->getBatchAxis();
        out->sequence_axis = l->getSequenceAxis();
        return 0;
    });
}

int32_t trt_layer_get_nms(const trt_layer* layer, trt_nms_params* out)
{
    return guarded("trt_layer_get_nms", 1, [&] {
        auto const* l = as<nvinfer1::INMSLayer>(layer, nvinfer1::LayerType::kNMS, "NMS");
        out_param(out)->bounding_box_format = static_cast<int32_t>(l->getBoundingBoxFormat());
        out->top_k_box_limit = l->getTopKBoxLimit();
        out->indices_type = static_cast<int32_t>(l->getIndicesType());
        return 0;
    });
}

trt_layer* trt_network_add_nms(trt_network* network, trt_tensor* boxes, trt_tensor* scores,
    trt_tensor* max_output_boxes_per_class, const trt_nms_params* params)
{
    return guarded("trt_network_add_nms", static_cast<trt_layer*>(nullptr), [&] {
        need(params, "params");
        auto* layer = N(network)->addNMS(*T(boxes), *T(scores), *T(max_output_boxes_per_class));
        if (layer == nullptr)
        {
            fail("addNMS returned null (TensorRT rejected the layer; see the logged error)");
        }
        layer->setBoundingBoxFormat(static_cast<nvinfer1::BoundingBoxFormat>(params->bounding_box_format));
        if (params->top_k_box_limit > 0)
        {
            layer->setTopKBoxLimit(params->top_k_box_limit);
        }
        if (!layer->setIndicesType(static_cast<nvinfer1::DataType>(params->indices_type)))
        {
            fail("TensorRT refused the NMS indices type");
        }
        return H(static_cast<nvinfer1::ILayer*>(layer));
    });
}

int32_t trt_layer_get_attention(const trt_layer* layer, trt_attention_params* out, trt_tensor** qkv)
{
    return guarded("trt_layer_get_attention", 1, [&] {
        out_param(out);
        need(qkv, "qkv");
#if (SHIM_IS_RTX && SHIM_VERSION_AT_LEAST(1, 7)) || (!SHIM_IS_RTX && SHIM_VERSION_AT_LEAST(10, 16))
        auto const type = L(layer)->getType();
        if (type != nvinfer1::LayerType::kATTENTION_INPUT && type != nvinfer1::LayerType::kATTENTION_OUTPUT)
        {
            fail("layer is not an attention boundary layer");
        }
        auto* attention = static_cast<nvinfer1::IAttentionBoundaryLayer const*>(L(layer))->getAttention();
        if (attention == nullptr)
        {
            fail("attention boundary layer without its IAttention");
        }
        out->normalization = static_cast<int32_t>(attention->getNormalizationOperation());
        out->causal_kind = static_cast<int32_t>(attention->getCausalKind());
        out->mask = H(attention->getMask());
        out->decomposable = attention->getDecomposable() ? 1 : 0;
        for (int32_t i = 0; i < 3; ++i)
        {
            qkv[i] = H(attention->getInput(i));
        }
        return 0;
#else
        L(layer);
        fail("fused attention needs TensorRT >= 10.16 or TensorRT-RTX >= 1.7 headers");
        return 1;
#endif
    });
}

} // extern "C"

// The ONNX parser half of the shim: nvonnxparser::IParser, created through the parser library's exported
// createNvOnnxParser_INTERNAL (resolved at run time by trt-sys's loader, like TensorRT's own factories), so
// neither library is linked. The parser writes into our INetworkDefinition through its virtuals and logs
// through our ILogger.

#include "shim_internal.hpp"

#if __has_include(<NvOnnxParser.h>)
#include <NvOnnxParser.h>
#define SHIM_HAS_ONNX_PARSER 1
#else
#define SHIM_HAS_ONNX_PARSER 0
#endif

using namespace shim;

#if SHIM_HAS_ONNX_PARSER

namespace
{
// NvOnnxParser.h: `void* createNvOnnxParser_INTERNAL(void* network, void* logger, int version) noexcept`.
using CreateParserFn = void* (*) (void*, void*, int);
// NvOnnxParser.h: `int getNvOnnxParserVersion() noexcept`.
using ParserVersionFn = int (*)();

nvonnxparser::IParser* OP(trt_onnx_parser* h)
{
    return reinterpret_cast<nvonnxparser::IParser*>(need(h, "parser"));
}
nvonnxparser::IParser const* OP(trt_onnx_parser const* h)
{
    return reinterpret_cast<nvonnxparser::IParser const*>(need(h, "parser"));
}
char const* or_empty(char const* s)
{
    return s == nullptr ? "" : s;
}
} // namespace

int32_t trt_onnx_header_version(void)
{
    return NV_ONNX_PARSER_VERSION;
}

int32_t trt_onnx_library_version(const trt_onnx_api* api)
{
    return guarded("trt_onnx_library_version", -1, [&] {
        auto fn = reinterpret_cast<ParserVersionFn>(need(need(api, "api")->get_parser_version, "getNvOnnxParserVersion"));
        return static_cast<int32_t>(fn());
    });
}

trt_onnx_parser* trt_onnx_parser_create(const trt_onnx_api* api, trt_network* network, trt_logger* logger)
{
    return guarded("trt_onnx_parser_create", static_cast<trt_onnx_parser*>(nullptr), [&] {
        auto fn = reinterpret_cast<CreateParserFn>(
            need(need(api, "api")->create_parser, "createNvOnnxParser_INTERNAL"));
        // The same call as nvonnxparser::createParser (NvOnnxParser.h), with the version the header defines.
        nvinfer1::INetworkDefinition* net = N(network);
        void* p = fn(net, logger_of(logger), NV_ONNX_PARSER_VERSION);
        if (p == nullptr)
        {
            fail("createNvOnnxParser_INTERNAL returned null");
        }
        return reinterpret_cast<trt_onnx_parser*>(static_cast<nvonnxparser::IParser*>(p));
    });
}

int32_t trt_onnx_parser_parse(trt_onnx_parser* parser, const void* data, size_t size, const char* model_path)
{
    return guarded("trt_onnx_parser_parse", 2, [&] {
        nvonnxparser::IParser* p = OP(parser);
        if (data == nullptr && size != 0)
        {
            fail("null data with a non-zero size");
        }
        // NvOnnxParser.h, parse: "\param serialized_onnx_model Pointer to the serialized ONNX model. Can be freed
        // after this function returns."
        return p->parse(data, size, model_path) ? 0 : 1;
    });
}

int32_t trt_onnx_parser_nb_errors(const trt_onnx_parser* parser)
{
    return guarded("trt_onnx_parser_nb_errors", -1, [&] { return static_cast<int32_t>(OP(parser)->getNbErrors()); });
}

int32_t trt_onnx_parser_error(const trt_onnx_parser* parser, int32_t index, trt_onnx_error* out)
{
    return guarded("trt_onnx_parser_error", 1, [&] {
        nvonnxparser::IParser const* p = OP(parser);
        need(out, "output struct");
        if (index < 0 || index >= p->getNbErrors())
        {
            fail("error index " + std::to_string(index) + " outside 0.." + std::to_string(p->getNbErrors()));
        }
        nvonnxparser::IParserError const* e = need(p->getError(index), "parser error");
        out->code = static_cast<int32_t>(e->code());
        out->node = e->node();
        out->desc = or_empty(e->desc());
        out->node_name = or_empty(e->nodeName());
        out->node_operator = or_empty(e->nodeOperator());
        return 0;
    });
}

void trt_onnx_parser_destroy(trt_onnx_parser* parser)
{
    guarded_void("trt_onnx_parser_destroy", [&] { delete reinterpret_cast<nvonnxparser::IParser*>(parser); });
}

#else // !SHIM_HAS_ONNX_PARSER

// Headers without NvOnnxParser.h: the calls exist (the bindings are the same) and fail with a clear message.
namespace
{
constexpr char const* kNoParser = "trt-sys was compiled against TensorRT headers without NvOnnxParser.h; "
                                  "point TENSORRT_INCLUDE_DIR at headers that include it to use the ONNX parser";
}

int32_t trt_onnx_header_version(void)
{
    return -1;
}

int32_t trt_onnx_library_version(const trt_onnx_api*)
{
    set_last_error("trt_onnx_library_version", kNoParser);
    return -1;
}

trt_onnx_parser* trt_onnx_parser_create(const trt_onnx_api*, trt_network*, trt_logger*)
{
    set_last_error("trt_onnx_parser_create", kNoParser);
    return nullptr;
}

int32_t trt_onnx_parser_parse(trt_onnx_parser*, const void*, size_t, const char*)
{
    set_last_error("trt_onnx_parser_parse", kNoParser);
    return 2;
}

int32_t trt_onnx_parser_nb_errors(const trt_onnx_parser*)
{
    set_last_error("trt_onnx_parser_nb_errors", kNoParser);
    return -1;
}

int32_t trt_onnx_parser_error(const trt_onnx_parser*, int32_t, trt_onnx_error*)
{
    set_last_error("trt_onnx_parser_error", kNoParser);
    return 1;
}

void trt_onnx_parser_destroy(trt_onnx_parser*) {}

#endif

// Generated from trt/src/types.rs: the Rust enums carry these numeric values across the C interface, so a
// header whose enumerators differ must fail to compile rather than silently mismatch. Checked for the header
// families the values were taken from (TensorRT-RTX >= 1.7, TensorRT >= 11); other headers build without them.
#include "shim_internal.hpp"

#if (SHIM_IS_RTX && SHIM_VERSION_AT_LEAST(1, 7)) || (!SHIM_IS_RTX && SHIM_VERSION_AT_LEAST(11, 0))

#define SHIM_CHECK_ENUM(E, N, V) static_assert(static_cast<int32_t>(nvinfer1::E::N) == (V), #E "::" #N " changed value")

SHIM_CHECK_ENUM(DataType, kFLOAT, 0);
SHIM_CHECK_ENUM(DataType, kHALF, 1);
SHIM_CHECK_ENUM(DataType, kINT8, 2);
SHIM_CHECK_ENUM(DataType, kINT32, 3);
SHIM_CHECK_ENUM(DataType, kBOOL, 4);
SHIM_CHECK_ENUM(DataType, kUINT8, 5);
SHIM_CHECK_ENUM(DataType, kFP8, 6);
SHIM_CHECK_ENUM(DataType, kBF16, 7);
SHIM_CHECK_ENUM(DataType, kINT64, 8);
SHIM_CHECK_ENUM(DataType, kINT4, 9);
SHIM_CHECK_ENUM(DataType, kFP4, 10);
SHIM_CHECK_ENUM(DataType, kE8M0, 11);

SHIM_CHECK_ENUM(ActivationType, kRELU, 0);
SHIM_CHECK_ENUM(ActivationType, kSIGMOID, 1);
SHIM_CHECK_ENUM(ActivationType, kTANH, 2);
SHIM_CHECK_ENUM(ActivationType, kLEAKY_RELU, 3);
SHIM_CHECK_ENUM(ActivationType, kELU, 4);
SHIM_CHECK_ENUM(ActivationType, kSELU, 5);
SHIM_CHECK_ENUM(ActivationType, kSOFTSIGN, 6);
SHIM_CHECK_ENUM(ActivationType, kSOFTPLUS, 7);
SHIM_CHECK_ENUM(ActivationType, kCLIP, 8);
SHIM_CHECK_ENUM(ActivationType, kHARD_SIGMOID, 9);
SHIM_CHECK_ENUM(ActivationType, kSCALED_TANH, 10);
SHIM_CHECK_ENUM(ActivationType, kTHRESHOLDED_RELU, 11);
SHIM_CHECK_ENUM(ActivationType, kGELU_ERF, 12);
SHIM_CHECK_ENUM(ActivationType, kGELU_TANH, 13);

SHIM_CHECK_ENUM(ElementWiseOperation, kSUM, 0);
SHIM_CHECK_ENUM(ElementWiseOperation, kPROD, 1);
SHIM_CHECK_ENUM(ElementWiseOperation, kMAX, 2);
SHIM_CHECK_ENUM(ElementWiseOperation, kMIN, 3);
SHIM_CHECK_ENUM(ElementWiseOperation, kSUB, 4);
SHIM_CHECK_ENUM(ElementWiseOperation, kDIV, 5);
SHIM_CHECK_ENUM(ElementWiseOperation, kPOW, 6);
SHIM_CHECK_ENUM(ElementWiseOperation, kFLOOR_DIV, 7);
SHIM_CHECK_ENUM(ElementWiseOperation, kAND, 8);
SHIM_CHECK_ENUM(ElementWiseOperation, kOR, 9);
SHIM_CHECK_ENUM(ElementWiseOperation, kXOR, 10);
SHIM_CHECK_ENUM(ElementWiseOperation, kEQUAL, 11);
SHIM_CHECK_ENUM(ElementWiseOperation, kGREATER, 12);
SHIM_CHECK_ENUM(ElementWiseOperation, kLESS, 13);

SHIM_CHECK_ENUM(UnaryOperation, kEXP, 0);
SHIM_CHECK_ENUM(UnaryOperation, kLOG, 1);
SHIM_CHECK_ENUM(UnaryOperation, kSQRT, 2);
SHIM_CHECK_ENUM(UnaryOperation, kRECIP, 3);
SHIM_CHECK_ENUM(UnaryOperation, kABS, 4);
SHIM_CHECK_ENUM(UnaryOperation, kNEG, 5);
SHIM_CHECK_ENUM(UnaryOperation, kSIN, 6);
SHIM_CHECK_ENUM(UnaryOperation, kCOS, 7);
SHIM_CHECK_ENUM(UnaryOperation, kTAN, 8);
SHIM_CHECK_ENUM(UnaryOperation, kSINH, 9);
SHIM_CHECK_ENUM(UnaryOperation, kCOSH, 10);
SHIM_CHECK_ENUM(UnaryOperation, kASIN, 11);
SHIM_CHECK_ENUM(UnaryOperation, kACOS, 12);
SHIM_CHECK_ENUM(UnaryOperation, kATAN, 13);
SHIM_CHECK_ENUM(UnaryOperation, kASINH, 14);
SHIM_CHECK_ENUM(UnaryOperation, kACOSH, 15);
SHIM_CHECK_ENUM(UnaryOperation, kATANH, 16);
SHIM_CHECK_ENUM(UnaryOperation, kCEIL, 17);
SHIM_CHECK_ENUM(UnaryOperation, kFLOOR, 18);
SHIM_CHECK_ENUM(UnaryOperation, kERF, 19);
SHIM_CHECK_ENUM(UnaryOperation, kNOT, 20);
SHIM_CHECK_ENUM(UnaryOperation, kSIGN, 21);
SHIM_CHECK_ENUM(UnaryOperation, kROUND, 22);
SHIM_CHECK_ENUM(UnaryOperation, kISINF, 23);
SHIM_CHECK_ENUM(UnaryOperation, kISNAN, 24);

SHIM_CHECK_ENUM(PoolingType, kMAX, 0);
SHIM_CHECK_ENUM(PoolingType, kAVERAGE, 1);
SHIM_CHECK_ENUM(PoolingType, kMAX_AVERAGE_BLEND, 2);

SHIM_CHECK_ENUM(PaddingMode, kEXPLICIT_ROUND_DOWN, 0);
SHIM_CHECK_ENUM(PaddingMode, kEXPLICIT_ROUND_UP, 1);
SHIM_CHECK_ENUM(PaddingMode, kSAME_UPPER, 2);
SHIM_CHECK_ENUM(PaddingMode, kSAME_LOWER, 3);

SHIM_CHECK_ENUM(MatrixOperation, kNONE, 0);
SHIM_CHECK_ENUM(MatrixOperation, kTRANSPOSE, 1);
SHIM_CHECK_ENUM(MatrixOperation, kVECTOR, 2);

SHIM_CHECK_ENUM(ReduceOperation, kSUM, 0);
SHIM_CHECK_ENUM(ReduceOperation, kPROD, 1);
SHIM_CHECK_ENUM(ReduceOperation, kMAX, 2);
SHIM_CHECK_ENUM(ReduceOperation, kMIN, 3);
SHIM_CHECK_ENUM(ReduceOperation, kAVG, 4);
SHIM_CHECK_ENUM(ReduceOperation, kNONE, 5);

SHIM_CHECK_ENUM(ScaleMode, kUNIFORM, 0);
SHIM_CHECK_ENUM(ScaleMode, kCHANNEL, 1);
SHIM_CHECK_ENUM(ScaleMode, kELEMENTWISE, 2);

SHIM_CHECK_ENUM(GatherMode, kDEFAULT, 0);
SHIM_CHECK_ENUM(GatherMode, kELEMENT, 1);
SHIM_CHECK_ENUM(GatherMode, kND, 2);

SHIM_CHECK_ENUM(InterpolationMode, kNEAREST, 0);
SHIM_CHECK_ENUM(InterpolationMode, kLINEAR, 1);
SHIM_CHECK_ENUM(InterpolationMode, kCUBIC, 2);

SHIM_CHECK_ENUM(ResizeCoordinateTransformation, kALIGN_CORNERS, 0);
SHIM_CHECK_ENUM(ResizeCoordinateTransformation, kASYMMETRIC, 1);
SHIM_CHECK_ENUM(ResizeCoordinateTransformation, kHALF_PIXEL, 2);

SHIM_CHECK_ENUM(ResizeSelector, kFORMULA, 0);
SHIM_CHECK_ENUM(ResizeSelector, kUPPER, 1);

SHIM_CHECK_ENUM(ResizeRoundMode, kHALF_UP, 0);
SHIM_CHECK_ENUM(ResizeRoundMode, kHALF_DOWN, 1);
SHIM_CHECK_ENUM(ResizeRoundMode, kFLOOR, 2);
SHIM_CHECK_ENUM(ResizeRoundMode, kCEIL, 3);

SHIM_CHECK_ENUM(TopKOperation, kMAX, 0);
SHIM_CHECK_ENUM(TopKOperation, kMIN, 1);

SHIM_CHECK_ENUM(FillOperation, kLINSPACE, 0);
SHIM_CHECK_ENUM(FillOperation, kRANDOM_UNIFORM, 1);
SHIM_CHECK_ENUM(FillOperation, kRANDOM_NORMAL, 2);

SHIM_CHECK_ENUM(SampleMode, kSTRICT_BOUNDS, 0);
SHIM_CHECK_ENUM(SampleMode, kWRAP, 1);
SHIM_CHECK_ENUM(SampleMode, kCLAMP, 2);
SHIM_CHECK_ENUM(SampleMode, kFILL, 3);
SHIM_CHECK_ENUM(SampleMode, kREFLECT, 4);

SHIM_CHECK_ENUM(CumulativeOperation, kSUM, 0);

SHIM_CHECK_ENUM(TensorIOMode, kNONE, 0);
SHIM_CHECK_ENUM(TensorIOMode, kINPUT, 1);
SHIM_CHECK_ENUM(TensorIOMode, kOUTPUT, 2);

SHIM_CHECK_ENUM(ProfilingVerbosity, kLAYER_NAMES_ONLY, 0);
SHIM_CHECK_ENUM(ProfilingVerbosity, kNONE, 1);
SHIM_CHECK_ENUM(ProfilingVerbosity, kDETAILED, 2);

SHIM_CHECK_ENUM(MemoryPoolType, kWORKSPACE, 0);
SHIM_CHECK_ENUM(MemoryPoolType, kDLA_MANAGED_SRAM, 1);
SHIM_CHECK_ENUM(MemoryPoolType, kDLA_LOCAL_DRAM, 2);
SHIM_CHECK_ENUM(MemoryPoolType, kDLA_GLOBAL_DRAM, 3);
SHIM_CHECK_ENUM(MemoryPoolType, kTACTIC_DRAM, 4);
SHIM_CHECK_ENUM(MemoryPoolType, kTACTIC_SHARED_MEMORY, 5);

SHIM_CHECK_ENUM(OptProfileSelector, kMIN, 0);
SHIM_CHECK_ENUM(OptProfileSelector, kOPT, 1);
SHIM_CHECK_ENUM(OptProfileSelector, kMAX, 2);

SHIM_CHECK_ENUM(ExecutionContextAllocationStrategy, kSTATIC, 0);
SHIM_CHECK_ENUM(ExecutionContextAllocationStrategy, kON_PROFILE_CHANGE, 1);
SHIM_CHECK_ENUM(ExecutionContextAllocationStrategy, kUSER_MANAGED, 2);

SHIM_CHECK_ENUM(LayerType, kCONVOLUTION, 0);
SHIM_CHECK_ENUM(LayerType, kCAST, 1);
SHIM_CHECK_ENUM(LayerType, kACTIVATION, 2);
SHIM_CHECK_ENUM(LayerType, kPOOLING, 3);
SHIM_CHECK_ENUM(LayerType, kLRN, 4);
SHIM_CHECK_ENUM(LayerType, kSCALE, 5);
SHIM_CHECK_ENUM(LayerType, kSOFTMAX, 6);
SHIM_CHECK_ENUM(LayerType, kDECONVOLUTION, 7);
SHIM_CHECK_ENUM(LayerType, kCONCATENATION, 8);
SHIM_CHECK_ENUM(LayerType, kELEMENTWISE, 9);
SHIM_CHECK_ENUM(LayerType, kPLUGIN, 10);
SHIM_CHECK_ENUM(LayerType, kUNARY, 11);
SHIM_CHECK_ENUM(LayerType, kPADDING, 12);
SHIM_CHECK_ENUM(LayerType, kSHUFFLE, 13);
SHIM_CHECK_ENUM(LayerType, kREDUCE, 14);
SHIM_CHECK_ENUM(LayerType, kTOPK, 15);
SHIM_CHECK_ENUM(LayerType, kGATHER, 16);
SHIM_CHECK_ENUM(LayerType, kMATRIX_MULTIPLY, 17);
SHIM_CHECK_ENUM(LayerType, kRAGGED_SOFTMAX, 18);
SHIM_CHECK_ENUM(LayerType, kCONSTANT, 19);
SHIM_CHECK_ENUM(LayerType, kIDENTITY, 20);
SHIM_CHECK_ENUM(LayerType, kPLUGIN_V2, 21);
SHIM_CHECK_ENUM(LayerType, kSLICE, 22);
SHIM_CHECK_ENUM(LayerType, kSHAPE, 23);
SHIM_CHECK_ENUM(LayerType, kPARAMETRIC_RELU, 24);
SHIM_CHECK_ENUM(LayerType, kRESIZE, 25);
SHIM_CHECK_ENUM(LayerType, kTRIP_LIMIT, 26);
SHIM_CHECK_ENUM(LayerType, kRECURRENCE, 27);
SHIM_CHECK_ENUM(LayerType, kITERATOR, 28);
SHIM_CHECK_ENUM(LayerType, kLOOP_OUTPUT, 29);
SHIM_CHECK_ENUM(LayerType, kSELECT, 30);
SHIM_CHECK_ENUM(LayerType, kFILL, 31);
SHIM_CHECK_ENUM(LayerType, kQUANTIZE, 32);
SHIM_CHECK_ENUM(LayerType, kDEQUANTIZE, 33);
SHIM_CHECK_ENUM(LayerType, kCONDITION, 34);
SHIM_CHECK_ENUM(LayerType, kCONDITIONAL_INPUT, 35);
SHIM_CHECK_ENUM(LayerType, kCONDITIONAL_OUTPUT, 36);
SHIM_CHECK_ENUM(LayerType, kSCATTER, 37);
SHIM_CHECK_ENUM(LayerType, kEINSUM, 38);
SHIM_CHECK_ENUM(LayerType, kASSERTION, 39);
SHIM_CHECK_ENUM(LayerType, kONE_HOT, 40);
SHIM_CHECK_ENUM(LayerType, kNON_ZERO, 41);
SHIM_CHECK_ENUM(LayerType, kGRID_SAMPLE, 42);
SHIM_CHECK_ENUM(LayerType, kNMS, 43);
SHIM_CHECK_ENUM(LayerType, kREVERSE_SEQUENCE, 44);
SHIM_CHECK_ENUM(LayerType, kNORMALIZATION, 45);
SHIM_CHECK_ENUM(LayerType, kPLUGIN_V3, 46);
SHIM_CHECK_ENUM(LayerType, kSQUEEZE, 47);
SHIM_CHECK_ENUM(LayerType, kUNSQUEEZE, 48);
SHIM_CHECK_ENUM(LayerType, kCUMULATIVE, 49);
SHIM_CHECK_ENUM(LayerType, kDYNAMIC_QUANTIZE, 50);
SHIM_CHECK_ENUM(BuilderFlag, kDEBUG, 2);
SHIM_CHECK_ENUM(BuilderFlag, kGPU_FALLBACK, 3);
SHIM_CHECK_ENUM(BuilderFlag, kREFIT, 4);
SHIM_CHECK_ENUM(BuilderFlag, kDISABLE_TIMING_CACHE, 5);
SHIM_CHECK_ENUM(BuilderFlag, kTF32, 6);
SHIM_CHECK_ENUM(BuilderFlag, kSPARSE_WEIGHTS, 7);
SHIM_CHECK_ENUM(BuilderFlag, kVERSION_COMPATIBLE, 12);
SHIM_CHECK_ENUM(BuilderFlag, kEXCLUDE_LEAN_RUNTIME, 13);
SHIM_CHECK_ENUM(BuilderFlag, kERROR_ON_TIMING_CACHE_MISS, 15);
SHIM_CHECK_ENUM(BuilderFlag, kDISABLE_COMPILATION_CACHE, 17);
SHIM_CHECK_ENUM(BuilderFlag, kSTRIP_PLAN, 18);
SHIM_CHECK_ENUM(BuilderFlag, kREFIT_IDENTICAL, 19);
SHIM_CHECK_ENUM(BuilderFlag, kWEIGHT_STREAMING, 20);
SHIM_CHECK_ENUM(BuilderFlag, kREFIT_INDIVIDUAL, 22);
SHIM_CHECK_ENUM(BuilderFlag, kSTRICT_NANS, 23);
SHIM_CHECK_ENUM(BuilderFlag, kMONITOR_MEMORY, 24);
SHIM_CHECK_ENUM(BuilderFlag, kEDITABLE_TIMING_CACHE, 26);
SHIM_CHECK_ENUM(BuilderFlag, kDISTRIBUTIVE_INDEPENDENCE, 27);

SHIM_CHECK_ENUM(AttentionNormalizationOp, kNONE, 0);
SHIM_CHECK_ENUM(AttentionNormalizationOp, kSOFTMAX, 1);
SHIM_CHECK_ENUM(CausalMaskKind, kNONE, 0);
SHIM_CHECK_ENUM(CausalMaskKind, kUPPER_LEFT, 1);
SHIM_CHECK_ENUM(CausalMaskKind, kLOWER_RIGHT, 2);
SHIM_CHECK_ENUM(ScatterMode, kELEMENT, 0);
SHIM_CHECK_ENUM(ScatterMode, kND, 1);

#if SHIM_IS_RTX
SHIM_CHECK_ENUM(ComputeCapability, kCURRENT, 1);
SHIM_CHECK_ENUM(ComputeCapability, kSM75, 75);
SHIM_CHECK_ENUM(ComputeCapability, kSM80, 80);
SHIM_CHECK_ENUM(ComputeCapability, kSM86, 86);
SHIM_CHECK_ENUM(ComputeCapability, kSM89, 89);
SHIM_CHECK_ENUM(ComputeCapability, kSM120, 120);
SHIM_CHECK_ENUM(ComputeCapability, kSM121, 121);
#endif

// trt::Severity mirrors nvinfer1::ILogger::Severity.
static_assert(static_cast<int32_t>(nvinfer1::ILogger::Severity::kINTERNAL_ERROR) == 0, "Severity changed");
static_assert(static_cast<int32_t>(nvinfer1::ILogger::Severity::kERROR) == 1, "Severity changed");
static_assert(static_cast<int32_t>(nvinfer1::ILogger::Severity::kWARNING) == 2, "Severity changed");
static_assert(static_cast<int32_t>(nvinfer1::ILogger::Severity::kINFO) == 3, "Severity changed");
static_assert(static_cast<int32_t>(nvinfer1::ILogger::Severity::kVERBOSE) == 4, "Severity changed");

#endif

/*
 * Fallback for TensorRT headers that include <cuda_runtime_api.h>: the shim only needs the two opaque handle
 * types. build.rs adds this directory with -idirafter, so a real CUDA toolkit on the include path wins.
 */
#pragma once

typedef struct CUevent_st* cudaEvent_t;
typedef struct CUstream_st* cudaStream_t;

// The oneDNN engine and stream that the convolutions and the fused linear
// layers share (private to CTensorKernels).
#pragma once
#include <oneapi/dnnl/dnnl.h>

/// The CPU engine, made with its stream on first use; NULL when oneDNN or
/// OpenMP cannot start (callers then fall back to their own loops).
dnnl_engine_t ddpm_onednn_engine(void);

/// Runs a primitive on the shared stream and waits for it; 0 or -1.
int ddpm_onednn_run(dnnl_primitive_t primitive, int n, const dnnl_exec_arg_t *args);

#include "onednn_context.h"
#include "ctensorkernels.h"

static dnnl_engine_t shared_engine;
static dnnl_stream_t shared_stream;
static int state;  // 0: not started, 1: ready, -1: unavailable

dnnl_engine_t ddpm_onednn_engine(void) {
    if (state == 0) {
        state = ddpm_openmp_ready() && dnnl_engine_create(&shared_engine, dnnl_cpu, 0) == dnnl_success &&
                        dnnl_stream_create(&shared_stream, shared_engine, dnnl_stream_default_flags) == dnnl_success
                    ? 1
                    : -1;
    }
    return state == 1 ? shared_engine : NULL;
}

int ddpm_onednn_run(dnnl_primitive_t primitive, int n, const dnnl_exec_arg_t *args) {
    dnnl_status_t status = dnnl_primitive_execute(primitive, shared_stream, n, args);
    if (status == dnnl_success) status = dnnl_stream_wait(shared_stream);
    return status == dnnl_success ? 0 : -1;
}

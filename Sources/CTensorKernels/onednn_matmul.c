// Matrix products through oneDNN's matmul: C = op(A)·op(B) (+ bias) (+ C)
// (then ReLU), the bias, the accumulation into C and the ReLU applied in the
// product's own output pass (a bias argument, a sum post-op and an eltwise
// post-op), so the result is written once instead of being filled, multiplied
// into, and read back for the ReLU. A transposed operand is read through its
// strides (tag `ba`): W stays in PyTorch's [out, in] layout for y = x·Wᵀ + b.
//
// Making a primitive costs far more than running a small one, so the last
// few shapes' primitives are kept, with their memory objects (only the data
// pointers change from call to call).
#include "ctensorkernels.h"
#include "onednn_context.h"

typedef struct {
    size_t m, n, k;
    int transpose_a, transpose_b, bias, accumulate, relu, single_thread;
    dnnl_primitive_t primitive;
    dnnl_memory_t a, b, bias_memory, c;
} matmul_primitive;

enum { kept_primitives = 16 };
static matmul_primitive kept[kept_primitives];
static int next_slot;

static void matrix(dnnl_memory_desc_t *md, size_t rows, size_t columns, dnnl_format_tag_t tag) {
    dnnl_dims_t dims = {(dnnl_dim_t)rows, (dnnl_dim_t)columns};
    dnnl_memory_desc_init_by_tag(md, 2, dims, dnnl_f32, tag);
}

static void release(matmul_primitive *p) {
    if (p->primitive) dnnl_primitive_destroy(p->primitive);
    if (p->a) dnnl_memory_destroy(p->a);
    if (p->b) dnnl_memory_destroy(p->b);
    if (p->bias_memory) dnnl_memory_destroy(p->bias_memory);
    if (p->c) dnnl_memory_destroy(p->c);
    p->primitive = NULL;
    p->a = p->b = p->bias_memory = p->c = NULL;
}

static matmul_primitive *make(dnnl_engine_t engine, const matmul_primitive *key) {
    matmul_primitive p = *key;
    dnnl_memory_desc_t a, b, bias, c;
    matrix(&a, p.m, p.k, p.transpose_a ? dnnl_ba : dnnl_ab);
    matrix(&b, p.k, p.n, p.transpose_b ? dnnl_ba : dnnl_ab);
    matrix(&bias, 1, p.n, dnnl_ab);
    matrix(&c, p.m, p.n, dnnl_ab);
    dnnl_matmul_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t post_ops = NULL;
    dnnl_primitive_desc_t pd = NULL;
    int ok = dnnl_matmul_desc_init(&desc, &a, &b, p.bias ? &bias : NULL, &c) == dnnl_success &&
             dnnl_primitive_attr_create(&attr) == dnnl_success;
    if (ok && (p.accumulate || p.relu)) {
        ok = dnnl_post_ops_create(&post_ops) == dnnl_success;
        if (ok && p.accumulate) ok = dnnl_post_ops_append_sum(post_ops, 1.0f) == dnnl_success;
        if (ok && p.relu)
            ok = dnnl_post_ops_append_eltwise(post_ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f) == dnnl_success;
        ok = ok && dnnl_primitive_attr_set_post_ops(attr, post_ops) == dnnl_success;
    }
    ok = ok && dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL) == dnnl_success &&
         dnnl_primitive_create(&p.primitive, pd) == dnnl_success &&
         dnnl_memory_create(&p.a, &a, engine, DNNL_MEMORY_NONE) == dnnl_success &&
         dnnl_memory_create(&p.b, &b, engine, DNNL_MEMORY_NONE) == dnnl_success &&
         dnnl_memory_create(&p.c, &c, engine, DNNL_MEMORY_NONE) == dnnl_success &&
         (!p.bias || dnnl_memory_create(&p.bias_memory, &bias, engine, DNNL_MEMORY_NONE) == dnnl_success);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (post_ops) dnnl_post_ops_destroy(post_ops);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (!ok) {
        release(&p);
        return NULL;
    }
    matmul_primitive *slot = &kept[next_slot];
    next_slot = (next_slot + 1) % kept_primitives;
    release(slot);
    *slot = p;
    return slot;
}

static matmul_primitive *find(dnnl_engine_t engine, const matmul_primitive *key) {
    for (int i = 0; i < kept_primitives; i++) {
        matmul_primitive *p = &kept[i];
        if (p->primitive && p->m == key->m && p->n == key->n && p->k == key->k &&
            p->transpose_a == key->transpose_a && p->transpose_b == key->transpose_b && p->bias == key->bias &&
            p->accumulate == key->accumulate && p->relu == key->relu && p->single_thread == key->single_thread)
            return p;
    }
    return make(engine, key);
}

int ddpm_matmul(int transpose_a, int transpose_b, size_t m, size_t n, size_t k, const float *a, const float *b,
                const float *bias, int accumulate, int relu, int single_thread, float *c) {
    dnnl_engine_t engine = ddpm_onednn_engine();
    if (!engine) return -1;
    // oneDNN sizes its work by OpenMP's thread count when a primitive is made
    // and when it runs: one thread for both, on request.
    int saved_threads = single_thread ? ddpm_openmp_limit_threads(1) : 0;
    matmul_primitive key = {m,           n,           k,           transpose_a != 0, transpose_b != 0, bias != NULL,
                            accumulate != 0, relu != 0, single_thread != 0};
    matmul_primitive *p = find(engine, &key);
    int result = -1;
    if (p && dnnl_memory_set_data_handle(p->a, (void *)a) == dnnl_success &&
        dnnl_memory_set_data_handle(p->b, (void *)b) == dnnl_success &&
        dnnl_memory_set_data_handle(p->c, c) == dnnl_success &&
        (!bias || dnnl_memory_set_data_handle(p->bias_memory, (void *)bias) == dnnl_success)) {
        dnnl_exec_arg_t args[4] = {
            {DNNL_ARG_SRC, p->a}, {DNNL_ARG_WEIGHTS, p->b}, {DNNL_ARG_DST, p->c}, {DNNL_ARG_BIAS, p->bias_memory}};
        result = ddpm_onednn_run(p->primitive, bias ? 4 : 3, args);
    }
    if (single_thread) ddpm_openmp_limit_threads(saved_threads);
    return result;
}

// Matrix products through oneDNN's matmul: C = op(A)·op(B) (+ bias) (then
// ReLU), the bias and the ReLU applied in the product's own output pass (a
// bias argument and an eltwise post-op), so the result is written once
// instead of being filled with the bias, multiplied into, and read back for
// the ReLU. A transposed operand is read through its strides (tag `ba`): W
// stays in PyTorch's [out, in] layout for y = x·Wᵀ + b.
//
// Making a primitive costs far more than running a small one, so the last
// few shapes' primitives are kept.
#include "ctensorkernels.h"
#include "onednn_context.h"

typedef struct {
    size_t m, n, k;
    int transpose_a, transpose_b, bias, relu;
    dnnl_primitive_t primitive;
    dnnl_memory_desc_t a, b, bias_md, c;
} matmul_primitive;

enum { kept_primitives = 8 };
static matmul_primitive kept[kept_primitives];
static int next_slot;

static void matrix(dnnl_memory_desc_t *md, size_t rows, size_t columns, dnnl_format_tag_t tag) {
    dnnl_dims_t dims = {(dnnl_dim_t)rows, (dnnl_dim_t)columns};
    dnnl_memory_desc_init_by_tag(md, 2, dims, dnnl_f32, tag);
}

static matmul_primitive *make(dnnl_engine_t engine, const matmul_primitive *key) {
    matmul_primitive p = *key;
    matrix(&p.a, p.m, p.k, p.transpose_a ? dnnl_ba : dnnl_ab);
    matrix(&p.b, p.k, p.n, p.transpose_b ? dnnl_ba : dnnl_ab);
    matrix(&p.bias_md, 1, p.n, dnnl_ab);
    matrix(&p.c, p.m, p.n, dnnl_ab);
    dnnl_matmul_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t post_ops = NULL;
    dnnl_primitive_desc_t pd = NULL;
    int ok = dnnl_matmul_desc_init(&desc, &p.a, &p.b, p.bias ? &p.bias_md : NULL, &p.c) == dnnl_success &&
             dnnl_primitive_attr_create(&attr) == dnnl_success;
    if (ok && p.relu)
        ok = dnnl_post_ops_create(&post_ops) == dnnl_success &&
             dnnl_post_ops_append_eltwise(post_ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f) == dnnl_success &&
             dnnl_primitive_attr_set_post_ops(attr, post_ops) == dnnl_success;
    ok = ok && dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL) == dnnl_success &&
         dnnl_primitive_create(&p.primitive, pd) == dnnl_success;
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (post_ops) dnnl_post_ops_destroy(post_ops);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (!ok) return NULL;
    matmul_primitive *slot = &kept[next_slot];
    next_slot = (next_slot + 1) % kept_primitives;
    if (slot->primitive) dnnl_primitive_destroy(slot->primitive);
    *slot = p;
    return slot;
}

static matmul_primitive *find(dnnl_engine_t engine, const matmul_primitive *key) {
    for (int i = 0; i < kept_primitives; i++) {
        matmul_primitive *p = &kept[i];
        if (p->primitive && p->m == key->m && p->n == key->n && p->k == key->k &&
            p->transpose_a == key->transpose_a && p->transpose_b == key->transpose_b && p->bias == key->bias &&
            p->relu == key->relu)
            return p;
    }
    return make(engine, key);
}

int ddpm_matmul(int transpose_a, int transpose_b, size_t m, size_t n, size_t k, const float *a, const float *b,
                const float *bias, int relu, float *c) {
    dnnl_engine_t engine = ddpm_onednn_engine();
    if (!engine) return -1;
    matmul_primitive key = {m, n, k, transpose_a != 0, transpose_b != 0, bias != NULL, relu != 0, NULL};
    matmul_primitive *p = find(engine, &key);
    if (!p) return -1;
    dnnl_memory_t am = NULL, bm = NULL, biasm = NULL, cm = NULL;
    int result = -1;
    if (dnnl_memory_create(&am, &p->a, engine, (void *)a) == dnnl_success &&
        dnnl_memory_create(&bm, &p->b, engine, (void *)b) == dnnl_success &&
        (!bias || dnnl_memory_create(&biasm, &p->bias_md, engine, (void *)bias) == dnnl_success) &&
        dnnl_memory_create(&cm, &p->c, engine, c) == dnnl_success) {
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}, {DNNL_ARG_BIAS, biasm}};
        result = ddpm_onednn_run(p->primitive, bias ? 4 : 3, args);
    }
    if (am) dnnl_memory_destroy(am);
    if (bm) dnnl_memory_destroy(bm);
    if (biasm) dnnl_memory_destroy(biasm);
    if (cm) dnnl_memory_destroy(cm);
    return result;
}

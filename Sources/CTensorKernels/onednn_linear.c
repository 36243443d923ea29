// y = x·Wᵀ + b, optionally followed by ReLU, as one oneDNN matmul: the bias
// and the ReLU are applied in the product's own output pass (a bias argument
// and an eltwise post-op), so the [rows, out] result is written once instead
// of being filled with the bias, multiplied into, and read back for the ReLU.
// W stays in PyTorch's [out, in] layout (oneDNN reads it as the transposed
// [in, out] matrix through its strides, tag `ba`).
//
// Making a primitive costs far more than running a small one, so the last
// few shapes' primitives are kept.
#include "ctensorkernels.h"
#include "onednn_context.h"

typedef struct {
    size_t rows, in, out;
    int bias, relu;
    dnnl_primitive_t primitive;
    dnnl_memory_desc_t x, w, b, y;
} linear_primitive;

enum { kept_primitives = 8 };
static linear_primitive kept[kept_primitives];
static int next_slot;

static void matrix(dnnl_memory_desc_t *md, size_t rows, size_t columns, dnnl_format_tag_t tag) {
    dnnl_dims_t dims = {(dnnl_dim_t)rows, (dnnl_dim_t)columns};
    dnnl_memory_desc_init_by_tag(md, 2, dims, dnnl_f32, tag);
}

static linear_primitive *make(dnnl_engine_t engine, size_t rows, size_t in, size_t out, int bias, int relu) {
    linear_primitive p = {rows, in, out, bias, relu, NULL};
    matrix(&p.x, rows, in, dnnl_ab);
    matrix(&p.w, in, out, dnnl_ba);
    matrix(&p.b, 1, out, dnnl_ab);
    matrix(&p.y, rows, out, dnnl_ab);
    dnnl_matmul_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t post_ops = NULL;
    dnnl_primitive_desc_t pd = NULL;
    int ok = dnnl_matmul_desc_init(&desc, &p.x, &p.w, bias ? &p.b : NULL, &p.y) == dnnl_success &&
             dnnl_primitive_attr_create(&attr) == dnnl_success;
    if (ok && relu)
        ok = dnnl_post_ops_create(&post_ops) == dnnl_success &&
             dnnl_post_ops_append_eltwise(post_ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f) == dnnl_success &&
             dnnl_primitive_attr_set_post_ops(attr, post_ops) == dnnl_success;
    ok = ok && dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL) == dnnl_success &&
         dnnl_primitive_create(&p.primitive, pd) == dnnl_success;
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (post_ops) dnnl_post_ops_destroy(post_ops);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (!ok) return NULL;
    linear_primitive *slot = &kept[next_slot];
    next_slot = (next_slot + 1) % kept_primitives;
    if (slot->primitive) dnnl_primitive_destroy(slot->primitive);
    *slot = p;
    return slot;
}

static linear_primitive *find(dnnl_engine_t engine, size_t rows, size_t in, size_t out, int bias, int relu) {
    for (int i = 0; i < kept_primitives; i++) {
        linear_primitive *p = &kept[i];
        if (p->primitive && p->rows == rows && p->in == in && p->out == out && p->bias == bias && p->relu == relu)
            return p;
    }
    return make(engine, rows, in, out, bias, relu);
}

int ddpm_linear_forward(size_t rows, size_t in, size_t out, const float *x, const float *weight, const float *bias,
                        int relu, float *y) {
    dnnl_engine_t engine = ddpm_onednn_engine();
    if (!engine) return -1;
    linear_primitive *p = find(engine, rows, in, out, bias != NULL, relu != 0);
    if (!p) return -1;
    dnnl_memory_t xm = NULL, wm = NULL, bm = NULL, ym = NULL;
    int result = -1;
    if (dnnl_memory_create(&xm, &p->x, engine, (void *)x) == dnnl_success &&
        dnnl_memory_create(&wm, &p->w, engine, (void *)weight) == dnnl_success &&
        (!bias || dnnl_memory_create(&bm, &p->b, engine, (void *)bias) == dnnl_success) &&
        dnnl_memory_create(&ym, &p->y, engine, y) == dnnl_success) {
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, xm}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DST, ym}, {DNNL_ARG_BIAS, bm}};
        result = ddpm_onednn_run(p->primitive, bias ? 4 : 3, args);
    }
    if (xm) dnnl_memory_destroy(xm);
    if (wm) dnnl_memory_destroy(wm);
    if (bm) dnnl_memory_destroy(bm);
    if (ym) dnnl_memory_destroy(ym);
    return result;
}

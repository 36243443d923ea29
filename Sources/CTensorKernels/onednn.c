// Convolutions through oneDNN (Debian's libdnnl, the library PyTorch uses for
// them on CPU), in PyTorch's plain layouts at the interface. oneDNN picks its
// own blocked layouts (such as nChw16c) for speed; tensors are reordered into
// them and back, in scratch memory kept between calls.
//
// oneDNN runs on OpenMP (libgomp), whose thread pool does not survive fork():
// a child that uses it again waits forever for threads it does not have. The
// executor forks before every cell, so the pool is released before each fork
// and started anew in the child on first use (ddpm_openmp_ready, parallel.c).
#include "ctensorkernels.h"
#include <oneapi/dnnl/dnnl.h>
#include <stdlib.h>
#include <string.h>

static dnnl_engine_t engine;
static dnnl_stream_t stream;
static int state;  // 0: not started, 1: ready, -1: unavailable

static int ready(void) {
    if (state == 0) {
        const char *choice = getenv("DDPM_CONV");
        if (choice && strcmp(choice, "im2col") == 0) {
            state = -1;
        } else if (ddpm_openmp_ready() && dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success &&
                   dnnl_stream_create(&stream, engine, dnnl_stream_default_flags) == dnnl_success) {
            state = 1;
        } else {
            state = -1;
        }
    }
    return state == 1;
}

int ddpm_conv_uses_onednn(void) { return ready(); }

// Scratch buffers by slot, grown to the largest size asked and kept.
static void *scratch_pointer[4];
static size_t scratch_size[4];
static void *scratch(int slot, size_t bytes) {
    if (scratch_size[slot] < bytes) {
        free(scratch_pointer[slot]);
        scratch_pointer[slot] = aligned_alloc(64, (bytes + 63) / 64 * 64);
        scratch_size[slot] = scratch_pointer[slot] ? bytes : 0;
    }
    return scratch_pointer[slot];
}

static void plain(dnnl_memory_desc_t *md, int ndims, int a, int b, int c, int d, dnnl_format_tag_t tag) {
    dnnl_dims_t dims = {a, b, c, d};
    dnnl_memory_desc_init_by_tag(md, ndims, dims, dnnl_f32, tag);
}

static void any(dnnl_memory_desc_t *md, int a, int b, int c, int d) {
    dnnl_dims_t dims = {a, b, c, d};
    dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32, dnnl_format_tag_any);
}

static int run(dnnl_primitive_t primitive, int n, const dnnl_exec_arg_t *args) {
    dnnl_status_t status = dnnl_primitive_execute(primitive, stream, n, args);
    if (status == dnnl_success) status = dnnl_stream_wait(stream);
    return status == dnnl_success ? 0 : -1;
}

// The gradient g of a convolution's output is reordered once for both
// backward passes: backward_data leaves it in scratch slot 0 and notes it
// here, backward_weights (called next, with the same g) uses it. Any other
// call forgets it.
static const void *reordered_gradient;
static dnnl_memory_desc_t reordered_gradient_md;

// Copies between a plain buffer and the layout `wanted` through a reorder;
// returns the memory object holding the data in `wanted` (the plain buffer
// itself when the layouts agree). `to_wanted` picks the direction.
static dnnl_memory_t in_layout(const dnnl_memory_desc_t *plain_md, void *data, const dnnl_memory_desc_t *wanted,
                               int slot, int to_wanted, dnnl_memory_t *plain_memory) {
    dnnl_memory_create(plain_memory, plain_md, engine, data);
    if (dnnl_memory_desc_equal(plain_md, wanted)) return *plain_memory;
    dnnl_memory_t other;
    dnnl_memory_create(&other, wanted, engine, scratch(slot, dnnl_memory_desc_get_size(wanted)));
    if (to_wanted) {
        dnnl_primitive_desc_t pd;
        dnnl_primitive_t reorder;
        dnnl_reorder_primitive_desc_create(&pd, plain_md, engine, wanted, engine, NULL);
        dnnl_primitive_create(&reorder, pd);
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, *plain_memory}, {DNNL_ARG_TO, other}};
        run(reorder, 2, args);
        dnnl_primitive_destroy(reorder);
        dnnl_primitive_desc_destroy(pd);
    }
    return other;
}

// Copies `wanted` back into the plain buffer when they differ.
static void back_to_plain(dnnl_memory_t wanted, dnnl_memory_t plain_memory) {
    if (wanted == plain_memory) return;
    const dnnl_memory_desc_t *from, *to;
    dnnl_memory_get_memory_desc(wanted, &from);
    dnnl_memory_get_memory_desc(plain_memory, &to);
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t reorder;
    dnnl_reorder_primitive_desc_create(&pd, from, engine, to, engine, NULL);
    dnnl_primitive_create(&reorder, pd);
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, wanted}, {DNNL_ARG_TO, plain_memory}};
    run(reorder, 2, args);
    dnnl_primitive_destroy(reorder);
    dnnl_primitive_desc_destroy(pd);
    dnnl_memory_destroy(wanted);
}

static void release(dnnl_memory_t wanted, dnnl_memory_t plain_memory) {
    if (wanted != plain_memory) dnnl_memory_destroy(wanted);
    dnnl_memory_destroy(plain_memory);
}

// The forward descriptor (forward_training: also the hint for the backward ones).
static dnnl_primitive_desc_t forward_pd(const ddpm_conv_shape *s, int with_bias) {
    dnnl_memory_desc_t src, weights, bias, dst;
    any(&src, s->n, s->c, s->h, s->w);
    any(&weights, s->o, s->c, s->kh, s->kw);
    any(&dst, s->n, s->o, s->oh, s->ow);
    plain(&bias, 1, s->o, 0, 0, 0, dnnl_x);
    dnnl_dims_t strides = {s->stride, s->stride}, pl = {s->pad, s->pad}, pr = {s->pad_bottom, s->pad_right};
    dnnl_convolution_desc_t desc;
    if (dnnl_convolution_forward_desc_init(&desc, dnnl_forward_training, dnnl_convolution_direct, &src, &weights,
                                           with_bias ? &bias : NULL, &dst, strides, pl, pr) != dnnl_success)
        return NULL;
    dnnl_primitive_desc_t pd;
    return dnnl_primitive_desc_create(&pd, &desc, NULL, engine, NULL) == dnnl_success ? pd : NULL;
}

int ddpm_conv2d_forward(const ddpm_conv_shape *s, const float *x, const float *weight, const float *bias, float *y) {
    if (!ready()) return -1;
    reordered_gradient = NULL;
    dnnl_primitive_desc_t pd = forward_pd(s, bias != NULL);
    if (!pd) return -1;
    dnnl_memory_desc_t x_md, w_md, y_md, b_md;
    plain(&x_md, 4, s->n, s->c, s->h, s->w, dnnl_nchw);
    plain(&w_md, 4, s->o, s->c, s->kh, s->kw, dnnl_oihw);
    plain(&y_md, 4, s->n, s->o, s->oh, s->ow, dnnl_nchw);
    plain(&b_md, 1, s->o, 0, 0, 0, dnnl_x);
    dnnl_memory_t xp, wp, yp, bm = NULL;
    dnnl_memory_t xm = in_layout(&x_md, (void *)x, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), 0, 1, &xp);
    dnnl_memory_t wm = in_layout(&w_md, (void *)weight, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), 1, 1, &wp);
    dnnl_memory_t ym = in_layout(&y_md, y, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0), 2, 0, &yp);
    if (bias) dnnl_memory_create(&bm, &b_md, engine, (void *)bias);
    dnnl_primitive_t conv;
    int result = -1;
    if (dnnl_primitive_create(&conv, pd) == dnnl_success) {
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, xm}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DST, ym}, {DNNL_ARG_BIAS, bm}};
        result = run(conv, bias ? 4 : 3, args);
        dnnl_primitive_destroy(conv);
    }
    back_to_plain(ym, yp);
    dnnl_memory_destroy(yp);
    release(xm, xp);
    release(wm, wp);
    if (bm) dnnl_memory_destroy(bm);
    dnnl_primitive_desc_destroy(pd);
    return result;
}

int ddpm_conv2d_backward_data(const ddpm_conv_shape *s, const float *gy, const float *weight, float *gx) {
    if (!ready()) return -1;
    dnnl_primitive_desc_t hint = forward_pd(s, 0);
    if (!hint) return -1;
    dnnl_memory_desc_t src, weights, dst;
    any(&src, s->n, s->c, s->h, s->w);
    any(&weights, s->o, s->c, s->kh, s->kw);
    any(&dst, s->n, s->o, s->oh, s->ow);
    dnnl_dims_t strides = {s->stride, s->stride}, pl = {s->pad, s->pad}, pr = {s->pad_bottom, s->pad_right};
    dnnl_convolution_desc_t desc;
    dnnl_primitive_desc_t pd = NULL;
    if (dnnl_convolution_backward_data_desc_init(&desc, dnnl_convolution_direct, &src, &weights, &dst, strides, pl,
                                                 pr) != dnnl_success ||
        dnnl_primitive_desc_create(&pd, &desc, NULL, engine, hint) != dnnl_success) {
        dnnl_primitive_desc_destroy(hint);
        return -1;
    }
    dnnl_memory_desc_t x_md, w_md, y_md;
    plain(&x_md, 4, s->n, s->c, s->h, s->w, dnnl_nchw);
    plain(&w_md, 4, s->o, s->c, s->kh, s->kw, dnnl_oihw);
    plain(&y_md, 4, s->n, s->o, s->oh, s->ow, dnnl_nchw);
    dnnl_memory_t gyp, wp, gxp;
    const dnnl_memory_desc_t *gy_wanted = dnnl_primitive_desc_query_md(pd, dnnl_query_diff_dst_md, 0);
    dnnl_memory_t gym = in_layout(&y_md, (void *)gy, gy_wanted, 0, 1, &gyp);
    reordered_gradient = gym != gyp ? gy : NULL;
    reordered_gradient_md = *gy_wanted;
    dnnl_memory_t wm = in_layout(&w_md, (void *)weight, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), 1, 1, &wp);
    dnnl_memory_t gxm = in_layout(&x_md, gx, dnnl_primitive_desc_query_md(pd, dnnl_query_diff_src_md, 0), 2, 0, &gxp);
    dnnl_primitive_t conv;
    int result = -1;
    if (dnnl_primitive_create(&conv, pd) == dnnl_success) {
        dnnl_exec_arg_t args[3] = {{DNNL_ARG_DIFF_DST, gym}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DIFF_SRC, gxm}};
        result = run(conv, 3, args);
        dnnl_primitive_destroy(conv);
    }
    back_to_plain(gxm, gxp);
    dnnl_memory_destroy(gxp);
    release(gym, gyp);
    release(wm, wp);
    dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_desc_destroy(hint);
    return result;
}

int ddpm_conv2d_backward_weights(const ddpm_conv_shape *s, const float *x, const float *gy, float *gw, float *gb) {
    if (!ready()) return -1;
    dnnl_primitive_desc_t hint = forward_pd(s, gb != NULL);
    if (!hint) return -1;
    dnnl_memory_desc_t src, weights, dst, bias;
    any(&src, s->n, s->c, s->h, s->w);
    any(&weights, s->o, s->c, s->kh, s->kw);
    any(&dst, s->n, s->o, s->oh, s->ow);
    plain(&bias, 1, s->o, 0, 0, 0, dnnl_x);
    dnnl_dims_t strides = {s->stride, s->stride}, pl = {s->pad, s->pad}, pr = {s->pad_bottom, s->pad_right};
    dnnl_convolution_desc_t desc;
    dnnl_primitive_desc_t pd = NULL;
    if (dnnl_convolution_backward_weights_desc_init(&desc, dnnl_convolution_direct, &src, &weights,
                                                    gb ? &bias : NULL, &dst, strides, pl, pr) != dnnl_success ||
        dnnl_primitive_desc_create(&pd, &desc, NULL, engine, hint) != dnnl_success) {
        dnnl_primitive_desc_destroy(hint);
        return -1;
    }
    dnnl_memory_desc_t x_md, w_md, y_md;
    plain(&x_md, 4, s->n, s->c, s->h, s->w, dnnl_nchw);
    plain(&w_md, 4, s->o, s->c, s->kh, s->kw, dnnl_oihw);
    plain(&y_md, 4, s->n, s->o, s->oh, s->ow, dnnl_nchw);
    dnnl_memory_t xp, gyp, gwp, gbm = NULL;
    dnnl_memory_t xm = in_layout(&x_md, (void *)x, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), 3, 1, &xp);
    const dnnl_memory_desc_t *gy_wanted = dnnl_primitive_desc_query_md(pd, dnnl_query_diff_dst_md, 0);
    int reuse = reordered_gradient == gy && dnnl_memory_desc_equal(&reordered_gradient_md, gy_wanted);
    reordered_gradient = NULL;
    dnnl_memory_t gym;
    if (reuse) {
        dnnl_memory_create(&gyp, &y_md, engine, (void *)gy);
        dnnl_memory_create(&gym, gy_wanted, engine, scratch(0, dnnl_memory_desc_get_size(gy_wanted)));
    } else {
        gym = in_layout(&y_md, (void *)gy, gy_wanted, 0, 1, &gyp);
    }
    dnnl_memory_t gwm = in_layout(&w_md, gw, dnnl_primitive_desc_query_md(pd, dnnl_query_diff_weights_md, 0), 2, 0, &gwp);
    if (gb) dnnl_memory_create(&gbm, &bias, engine, gb);
    dnnl_primitive_t conv;
    int result = -1;
    if (dnnl_primitive_create(&conv, pd) == dnnl_success) {
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, xm}, {DNNL_ARG_DIFF_DST, gym}, {DNNL_ARG_DIFF_WEIGHTS, gwm}, {DNNL_ARG_DIFF_BIAS, gbm}};
        result = run(conv, gb ? 4 : 3, args);
        dnnl_primitive_destroy(conv);
    }
    back_to_plain(gwm, gwp);
    dnnl_memory_destroy(gwp);
    release(xm, xp);
    release(gym, gyp);
    if (gbm) dnnl_memory_destroy(gbm);
    dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_desc_destroy(hint);
    return result;
}

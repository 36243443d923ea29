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
#include "onednn_context.h"
#include <stdlib.h>
#include <string.h>

static dnnl_engine_t engine;
static int state;  // 0: not started, 1: ready, -1: unavailable

static int ready(void) {
    if (state == 0) {
        const char *choice = getenv("DDPM_CONV");
        state = (choice && strcmp(choice, "im2col") == 0) || !(engine = ddpm_onednn_engine()) ? -1 : 1;
    }
    return state == 1;
}

int ddpm_conv_uses_onednn(void) { return ready(); }

// Scratch buffers by slot for the reordered tensors of one call. With the
// tensors' block allocator set, they go back to it when the call ends (so
// that the next tensor of that size reuses them) instead of staying held.
static void *(*allocate_block)(size_t bytes);
static void (*release_block)(void *pointer, size_t bytes);
static void *scratch_pointer[4];
static size_t scratch_size[4];

void ddpm_set_block_allocator(void *(*allocate)(size_t bytes), void (*release)(void *pointer, size_t bytes)) {
    allocate_block = allocate;
    release_block = release;
}

static void drop_scratch(int slot) {
    if (!scratch_pointer[slot]) return;
    if (release_block) release_block(scratch_pointer[slot], scratch_size[slot]);
    else free(scratch_pointer[slot]);
    scratch_pointer[slot] = NULL;
    scratch_size[slot] = 0;
}

static void *scratch(int slot, size_t bytes) {
    if (scratch_size[slot] < bytes) {
        drop_scratch(slot);
        scratch_pointer[slot] = allocate_block ? allocate_block(bytes) : aligned_alloc(64, (bytes + 63) / 64 * 64);
        scratch_size[slot] = scratch_pointer[slot] ? bytes : 0;
    }
    return scratch_pointer[slot];
}

// Returns a call's scratch to the block allocator, but slot 0 while it holds
// the reordered gradient for the next call.
static void end_call(int keep_gradient) {
    if (!release_block) return;
    for (int slot = keep_gradient ? 1 : 0; slot < 4; slot++) drop_scratch(slot);
}

static void plain(dnnl_memory_desc_t *md, int ndims, int a, int b, int c, int d, dnnl_format_tag_t tag) {
    dnnl_dims_t dims = {a, b, c, d};
    dnnl_memory_desc_init_by_tag(md, ndims, dims, dnnl_f32, tag);
}

static void any(dnnl_memory_desc_t *md, int a, int b, int c, int d) {
    dnnl_dims_t dims = {a, b, c, d};
    dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32, dnnl_format_tag_any);
}

// A convolution's memory descriptors: in oneDNN's choice of layout (`any`)
// for the primitive descriptors, in PyTorch's plain layouts for the buffers;
// strides and padding.
typedef struct {
    dnnl_memory_desc_t src, weights, dst, bias;  // any (bias plain)
    dnnl_memory_desc_t x, w, y;                   // plain NCHW, OIHW, NCHW
    dnnl_dims_t strides, padding_l, padding_r;
} conv_descriptors;

static conv_descriptors describe(const ddpm_conv_shape *s) {
    conv_descriptors d = {0};
    any(&d.src, s->n, s->c, s->h, s->w);
    any(&d.weights, s->o, s->c, s->kh, s->kw);
    any(&d.dst, s->n, s->o, s->oh, s->ow);
    plain(&d.bias, 1, s->o, 0, 0, 0, dnnl_x);
    plain(&d.x, 4, s->n, s->c, s->h, s->w, dnnl_nchw);
    plain(&d.w, 4, s->o, s->c, s->kh, s->kw, dnnl_oihw);
    plain(&d.y, 4, s->n, s->o, s->oh, s->ow, dnnl_nchw);
    d.strides[0] = d.strides[1] = s->stride;
    d.padding_l[0] = d.padding_l[1] = s->pad;
    d.padding_r[0] = s->pad_bottom;
    d.padding_r[1] = s->pad_right;
    return d;
}

static int run(dnnl_primitive_t primitive, int n, const dnnl_exec_arg_t *args) {
    return ddpm_onednn_run(primitive, n, args);
}

// Runs the reorder from one memory object to another.
static void reorder(dnnl_memory_t from, dnnl_memory_t to) {
    const dnnl_memory_desc_t *from_md, *to_md;
    dnnl_memory_get_memory_desc(from, &from_md);
    dnnl_memory_get_memory_desc(to, &to_md);
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t primitive;
    dnnl_reorder_primitive_desc_create(&pd, from_md, engine, to_md, engine, NULL);
    dnnl_primitive_create(&primitive, pd);
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    run(primitive, 2, args);
    dnnl_primitive_destroy(primitive);
    dnnl_primitive_desc_destroy(pd);
}

// Creates the primitive of `pd`, runs it with `args` and destroys it.
static int execute(dnnl_primitive_desc_t pd, int n, const dnnl_exec_arg_t *args) {
    dnnl_primitive_t primitive;
    if (dnnl_primitive_create(&primitive, pd) != dnnl_success) return -1;
    int result = run(primitive, n, args);
    dnnl_primitive_destroy(primitive);
    return result;
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
    if (to_wanted) reorder(*plain_memory, other);
    return other;
}

// Copies an output back into its plain buffer when the layouts differ, and
// releases both memory objects.
static void finish_output(dnnl_memory_t wanted, dnnl_memory_t plain_memory) {
    if (wanted != plain_memory) {
        reorder(wanted, plain_memory);
        dnnl_memory_destroy(wanted);
    }
    dnnl_memory_destroy(plain_memory);
}

static void release(dnnl_memory_t wanted, dnnl_memory_t plain_memory) {
    if (wanted != plain_memory) dnnl_memory_destroy(wanted);
    dnnl_memory_destroy(plain_memory);
}

// The forward descriptor (forward_training: also the hint for the backward ones).
static dnnl_primitive_desc_t forward_pd(const ddpm_conv_shape *s, int with_bias) {
    conv_descriptors d = describe(s);
    dnnl_convolution_desc_t desc;
    if (dnnl_convolution_forward_desc_init(&desc, dnnl_forward_training, dnnl_convolution_direct, &d.src, &d.weights,
                                           with_bias ? &d.bias : NULL, &d.dst, d.strides, d.padding_l, d.padding_r) != dnnl_success)
        return NULL;
    dnnl_primitive_desc_t pd;
    return dnnl_primitive_desc_create(&pd, &desc, NULL, engine, NULL) == dnnl_success ? pd : NULL;
}

int ddpm_conv2d_forward(const ddpm_conv_shape *s, const float *x, const float *weight, const float *bias, float *y) {
    if (!ready()) return -1;
    reordered_gradient = NULL;
    dnnl_primitive_desc_t pd = forward_pd(s, bias != NULL);
    if (!pd) return -1;
    conv_descriptors d = describe(s);
    dnnl_memory_t xp, wp, yp, bm = NULL;
    dnnl_memory_t xm = in_layout(&d.x, (void *)x, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), 0, 1, &xp);
    dnnl_memory_t wm = in_layout(&d.w, (void *)weight, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), 1, 1, &wp);
    dnnl_memory_t ym = in_layout(&d.y, y, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0), 2, 0, &yp);
    if (bias) dnnl_memory_create(&bm, &d.bias, engine, (void *)bias);
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, xm}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DST, ym}, {DNNL_ARG_BIAS, bm}};
    int result = execute(pd, bias ? 4 : 3, args);
    finish_output(ym, yp);
    release(xm, xp);
    release(wm, wp);
    if (bm) dnnl_memory_destroy(bm);
    dnnl_primitive_desc_destroy(pd);
    end_call(0);
    return result;
}

int ddpm_conv2d_backward_data(const ddpm_conv_shape *s, const float *gy, const float *weight, float *gx) {
    if (!ready()) return -1;
    dnnl_primitive_desc_t hint = forward_pd(s, 0);
    if (!hint) return -1;
    conv_descriptors d = describe(s);
    dnnl_convolution_desc_t desc;
    dnnl_primitive_desc_t pd = NULL;
    if (dnnl_convolution_backward_data_desc_init(&desc, dnnl_convolution_direct, &d.src, &d.weights, &d.dst, d.strides, d.padding_l,
                                                 d.padding_r) != dnnl_success ||
        dnnl_primitive_desc_create(&pd, &desc, NULL, engine, hint) != dnnl_success) {
        dnnl_primitive_desc_destroy(hint);
        return -1;
    }
    dnnl_memory_t gyp, wp, gxp;
    const dnnl_memory_desc_t *gy_wanted = dnnl_primitive_desc_query_md(pd, dnnl_query_diff_dst_md, 0);
    dnnl_memory_t gym = in_layout(&d.y, (void *)gy, gy_wanted, 0, 1, &gyp);
    reordered_gradient = gym != gyp ? gy : NULL;
    reordered_gradient_md = *gy_wanted;
    dnnl_memory_t wm = in_layout(&d.w, (void *)weight, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), 1, 1, &wp);
    dnnl_memory_t gxm = in_layout(&d.x, gx, dnnl_primitive_desc_query_md(pd, dnnl_query_diff_src_md, 0), 2, 0, &gxp);
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_DIFF_DST, gym}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DIFF_SRC, gxm}};
    int result = execute(pd, 3, args);
    finish_output(gxm, gxp);
    release(gym, gyp);
    release(wm, wp);
    dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_desc_destroy(hint);
    end_call(reordered_gradient != NULL);
    return result;
}

int ddpm_conv2d_backward_weights(const ddpm_conv_shape *s, const float *x, const float *gy, float *gw, float *gb) {
    if (!ready()) return -1;
    dnnl_primitive_desc_t hint = forward_pd(s, gb != NULL);
    if (!hint) return -1;
    conv_descriptors d = describe(s);
    dnnl_convolution_desc_t desc;
    dnnl_primitive_desc_t pd = NULL;
    if (dnnl_convolution_backward_weights_desc_init(&desc, dnnl_convolution_direct, &d.src, &d.weights,
                                                    gb ? &d.bias : NULL, &d.dst, d.strides, d.padding_l, d.padding_r) != dnnl_success ||
        dnnl_primitive_desc_create(&pd, &desc, NULL, engine, hint) != dnnl_success) {
        dnnl_primitive_desc_destroy(hint);
        return -1;
    }
    dnnl_memory_t xp, gyp, gwp, gbm = NULL;
    dnnl_memory_t xm = in_layout(&d.x, (void *)x, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), 3, 1, &xp);
    const dnnl_memory_desc_t *gy_wanted = dnnl_primitive_desc_query_md(pd, dnnl_query_diff_dst_md, 0);
    int reuse = reordered_gradient == gy && dnnl_memory_desc_equal(&reordered_gradient_md, gy_wanted);
    reordered_gradient = NULL;
    dnnl_memory_t gym;
    if (reuse) {
        dnnl_memory_create(&gyp, &d.y, engine, (void *)gy);
        dnnl_memory_create(&gym, gy_wanted, engine, scratch(0, dnnl_memory_desc_get_size(gy_wanted)));
    } else {
        gym = in_layout(&d.y, (void *)gy, gy_wanted, 0, 1, &gyp);
    }
    dnnl_memory_t gwm = in_layout(&d.w, gw, dnnl_primitive_desc_query_md(pd, dnnl_query_diff_weights_md, 0), 2, 0, &gwp);
    if (gb) dnnl_memory_create(&gbm, &d.bias, engine, gb);
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, xm}, {DNNL_ARG_DIFF_DST, gym}, {DNNL_ARG_DIFF_WEIGHTS, gwm}, {DNNL_ARG_DIFF_BIAS, gbm}};
    int result = execute(pd, gb ? 4 : 3, args);
    finish_output(gwm, gwp);
    release(xm, xp);
    release(gym, gyp);
    if (gbm) dnnl_memory_destroy(gbm);
    dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_desc_destroy(hint);
    end_call(0);
    return result;
}

#include "ctensorkernels.h"
#include <string.h>

// For kernel tap (i or j) the output positions o with 0 <= o*s - p + tap < size
// form one range [lo, hi); outside it the column entries are padding.
static inline void valid_range(int tap, int size, int stride, int padding, int out, int *lo, int *hi) {
    int first = padding - tap;  // o*s >= p - tap
    int l = first <= 0 ? 0 : (first + stride - 1) / stride;
    int last = size + padding - tap;  // o*s < size + p - tap
    int h = last <= 0 ? 0 : (last + stride - 1) / stride;
    if (h > out) h = out;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

void ddpm_im2col(const float *restrict image, const ddpm_conv_geometry *g, float *restrict columns, size_t ld) {
    const int oh_count = g->out_height, ow_count = g->out_width, s = g->stride, p = g->padding;
    for (int c = 0; c < g->channels; c++) {
        const float *plane = image + (size_t)c * g->height * g->width;
        for (int i = 0; i < g->kernel_height; i++) {
            int oh_lo, oh_hi;
            valid_range(i, g->height, s, p, oh_count, &oh_lo, &oh_hi);
            for (int j = 0; j < g->kernel_width; j++) {
                int ow_lo, ow_hi;
                valid_range(j, g->width, s, p, ow_count, &ow_lo, &ow_hi);
                float *row = columns + ((size_t)(c * g->kernel_height + i) * g->kernel_width + j) * ld;
                for (int oh = 0; oh < oh_count; oh++) {
                    float *out = row + (size_t)oh * ow_count;
                    if (oh < oh_lo || oh >= oh_hi) {
                        memset(out, 0, sizeof(float) * ow_count);
                        continue;
                    }
                    const float *in = plane + (size_t)(oh * s - p + i) * g->width - p + j;
                    for (int ow = 0; ow < ow_lo; ow++) out[ow] = 0;
                    if (s == 1) {
                        memcpy(out + ow_lo, in + ow_lo, sizeof(float) * (ow_hi - ow_lo));
                    } else {
                        for (int ow = ow_lo; ow < ow_hi; ow++) out[ow] = in[ow * s];
                    }
                    for (int ow = ow_hi; ow < ow_count; ow++) out[ow] = 0;
                }
            }
        }
    }
}

void ddpm_col2im(const float *restrict columns, size_t ld, const ddpm_conv_geometry *g, float *restrict image) {
    const int oh_count = g->out_height, ow_count = g->out_width, s = g->stride, p = g->padding;
    for (int c = 0; c < g->channels; c++) {
        float *plane = image + (size_t)c * g->height * g->width;
        for (int i = 0; i < g->kernel_height; i++) {
            int oh_lo, oh_hi;
            valid_range(i, g->height, s, p, oh_count, &oh_lo, &oh_hi);
            for (int j = 0; j < g->kernel_width; j++) {
                int ow_lo, ow_hi;
                valid_range(j, g->width, s, p, ow_count, &ow_lo, &ow_hi);
                const float *row = columns + ((size_t)(c * g->kernel_height + i) * g->kernel_width + j) * ld;
                for (int oh = oh_lo; oh < oh_hi; oh++) {
                    const float *in = row + (size_t)oh * ow_count;
                    float *out = plane + (size_t)(oh * s - p + i) * g->width - p + j;
                    if (s == 1) {
                        for (int ow = ow_lo; ow < ow_hi; ow++) out[ow] += in[ow];
                    } else {
                        for (int ow = ow_lo; ow < ow_hi; ow++) out[ow * s] += in[ow];
                    }
                }
            }
        }
    }
}

#include "ctensorkernels.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

// Vector-width versions for the x86 machines this runs on; one generic one elsewhere.
#if defined(__x86_64__)
#define VECTORISED __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTORISED
#endif

// e^x for x in float range without a libm call, so that loops vectorise:
// x = k·ln2 + r with |r| ≤ ln2/2, e^r by its degree-6 Taylor polynomial
// (relative error below 2e-7 there), times 2^k built in the exponent bits.
static inline float exp_approx(float x) {
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    float k = __builtin_floorf(x * 1.44269504f + 0.5f);
    float r = x - k * 0.693145751953125f - k * 1.428606765330187e-06f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (0.16666667f + r * (0.041666668f + r * (0.008333334f + r * 0.0013888889f)))));
    int32_t bits = ((int32_t)k + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

typedef struct {
    const float *x, *g;
    float *out;
} silu_task;

VECTORISED static void silu_forward_range(void *context, size_t begin, size_t end) {
    const silu_task *t = context;
    const float *restrict x = t->x;
    float *restrict y = t->out;
    for (size_t i = begin; i < end; i++) y[i] = x[i] / (1.0f + exp_approx(-x[i]));
}

VECTORISED static void silu_backward_range(void *context, size_t begin, size_t end) {
    const silu_task *t = context;
    const float *restrict x = t->x, *restrict g = t->g;
    float *restrict dx = t->out;
    for (size_t i = begin; i < end; i++) {
        float s = 1.0f / (1.0f + exp_approx(-x[i]));
        dx[i] = g[i] * s * (1.0f + x[i] * (1.0f - s));
    }
}

// Below this many elements per thread, splitting costs more than it saves.
enum { elementwise_grain = 1 << 15 };

void ddpm_silu_forward(const float *x, float *y, size_t n) {
    silu_task t = {x, NULL, y};
    ddpm_parallel_for(n, elementwise_grain, silu_forward_range, &t);
}

void ddpm_silu_backward(const float *x, const float *g, float *dx, size_t n) {
    silu_task t = {x, g, dx};
    ddpm_parallel_for(n, elementwise_grain, silu_backward_range, &t);
}

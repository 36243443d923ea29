#include "ctensorkernels.h"
#include "vector_math.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

// Vector-width versions for the x86 machines this runs on; one generic one elsewhere.

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


void ddpm_silu_forward(const float *x, float *y, size_t n) {
    silu_task t = {x, NULL, y};
    ddpm_parallel_for(n, elementwise_grain, silu_forward_range, &t);
}

void ddpm_silu_backward(const float *x, const float *g, float *dx, size_t n) {
    silu_task t = {x, g, dx};
    ddpm_parallel_for(n, elementwise_grain, silu_backward_range, &t);
}

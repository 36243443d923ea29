#include "ctensorkernels.h"
#include "vector_math.h"



typedef struct {
    ddpm_binary_op op;
    const float *a, *b;
    float *out;
    size_t inner;
    int scalar_first;
} binary_task;

VECTORISED static void same_range(void *context, size_t begin, size_t end) {
    const binary_task *t = context;
    const float *restrict a = t->a, *restrict b = t->b;
    float *restrict out = t->out;
    switch (t->op) {
    case ddpm_add: for (size_t i = begin; i < end; i++) out[i] = a[i] + b[i]; break;
    case ddpm_subtract: for (size_t i = begin; i < end; i++) out[i] = a[i] - b[i]; break;
    case ddpm_multiply: for (size_t i = begin; i < end; i++) out[i] = a[i] * b[i]; break;
    case ddpm_divide: for (size_t i = begin; i < end; i++) out[i] = a[i] / b[i]; break;
    }
}

void ddpm_binary_same(ddpm_binary_op op, const float *a, const float *b, float *out, size_t n) {
    binary_task t = {op, a, b, out, 0, 0};
    ddpm_parallel_for(n, elementwise_grain, same_range, &t);
}

// Over whole rows [begin, end).
VECTORISED static void rows_range(void *context, size_t begin, size_t end) {
    const binary_task *t = context;
    const size_t inner = t->inner;
    for (size_t r = begin; r < end; r++) {
        const float *restrict a = t->a + r * inner;
        float *restrict out = t->out + r * inner;
        const float s = t->b[r];
        if (t->scalar_first) {
            switch (t->op) {
            case ddpm_add: for (size_t j = 0; j < inner; j++) out[j] = s + a[j]; break;
            case ddpm_subtract: for (size_t j = 0; j < inner; j++) out[j] = s - a[j]; break;
            case ddpm_multiply: for (size_t j = 0; j < inner; j++) out[j] = s * a[j]; break;
            case ddpm_divide: for (size_t j = 0; j < inner; j++) out[j] = s / a[j]; break;
            }
        } else {
            switch (t->op) {
            case ddpm_add: for (size_t j = 0; j < inner; j++) out[j] = a[j] + s; break;
            case ddpm_subtract: for (size_t j = 0; j < inner; j++) out[j] = a[j] - s; break;
            case ddpm_multiply: for (size_t j = 0; j < inner; j++) out[j] = a[j] * s; break;
            case ddpm_divide: for (size_t j = 0; j < inner; j++) out[j] = a[j] / s; break;
            }
        }
    }
}

void ddpm_binary_rows(ddpm_binary_op op, const float *a, const float *s, float *out, size_t rows, size_t inner,
                      int scalar_first) {
    binary_task t = {op, a, s, out, inner, scalar_first};
    size_t rows_per_grain = inner >= elementwise_grain ? 1 : elementwise_grain / (inner ? inner : 1);
    ddpm_parallel_for(rows, rows_per_grain, rows_range, &t);
}

VECTORISED static void relu_forward_range(void *context, size_t begin, size_t end) {
    const binary_task *t = context;
    const float *restrict x = t->a;
    float *restrict y = t->out;
    for (size_t i = begin; i < end; i++) y[i] = x[i] > 0 ? x[i] : 0;
}

VECTORISED static void relu_backward_range(void *context, size_t begin, size_t end) {
    const binary_task *t = context;
    const float *restrict y = t->a, *restrict g = t->b;
    float *restrict dx = t->out;
    for (size_t i = begin; i < end; i++) dx[i] = y[i] > 0 ? g[i] : 0;
}

void ddpm_relu_forward(const float *x, float *y, size_t n) {
    binary_task t = {ddpm_add, x, NULL, y, 0, 0};
    ddpm_parallel_for(n, elementwise_grain, relu_forward_range, &t);
}

void ddpm_relu_backward(const float *y, const float *g, float *dx, size_t n) {
    binary_task t = {ddpm_add, y, g, dx, 0, 0};
    ddpm_parallel_for(n, elementwise_grain, relu_backward_range, &t);
}

// Products whose inner dimension k is small (2-D points through a layer's
// weights, 2 → 128, or a gradient through a layer of 2 outputs): a loop over
// each row's outputs here, where oneDNN's matmul is bound by its setup and
// sgemm by its packing (a 128×2 · 2×128 product took oneDNN 6–8 µs).
#include "ctensorkernels.h"
#include "vector_math.h"
#include <stdlib.h>

// The rows for one k, inlined where k is a constant so that the sum over j
// unrolls and the loop over the outputs o is the vector loop. Each kind of
// term added to a row's products (a row of the table, C's own row, the bias)
// is chosen outside the loop over o: with `bias ? bias[o] : 0` in the loop
// the compiler loaded the bias under a mask, and a masked load from a NULL
// bias took a microcode assist every time (in a C test program the last
// layer's ∂L/∂x, 128×2 · 2×128 without a bias, took 20.9 µs instead of 1.7;
// with the table's test in the loop too, this function took 7–13% of a
// training step's samples instead of 1.6%).
static inline __attribute__((always_inline)) void narrow_rows(const float *restrict a, size_t m, size_t n, size_t k,
                                                              const float *restrict b, const float *restrict bias,
                                                              const float *restrict table, const long *indices,
                                                              int accumulate, int relu, float *restrict c) {
#define OUTPUTS(first_term)                                                                                          \
    for (size_t o = 0; o < n; o++) {                                                                                 \
        float sum = first_term;                                                                                      \
        for (size_t j = 0; j < k; j++) sum += x[j] * b[j * n + o];                                                   \
        row[o] = relu && sum < 0 ? 0.0f : sum;                                                                       \
    }
    for (size_t r = 0; r < m; r++) {
        const float *x = a + r * k;
        float *restrict row = c + r * n;
        const float *restrict e = table ? table + (size_t)indices[r] * n : NULL;
        if (e && bias) OUTPUTS(e[o] + bias[o])
        else if (e) OUTPUTS(e[o])
        else if (accumulate && bias) OUTPUTS(row[o] + bias[o])
        else if (accumulate) OUTPUTS(row[o])
        else if (bias) OUTPUTS(bias[o])
        else OUTPUTS(0.0f)
    }
#undef OUTPUTS
}

VECTORISED static void narrow_product(const float *a, const float *b, size_t m, size_t n, size_t k, const float *bias,
                                      const float *table, const long *indices, int accumulate, int relu, float *c) {
    switch (k) {  // the data's dimension: 2-D points, 3-D …
    case 1: narrow_rows(a, m, n, 1, b, bias, table, indices, accumulate, relu, c); break;
    case 2: narrow_rows(a, m, n, 2, b, bias, table, indices, accumulate, relu, c); break;
    case 3: narrow_rows(a, m, n, 3, b, bias, table, indices, accumulate, relu, c); break;
    case 4: narrow_rows(a, m, n, 4, b, bias, table, indices, accumulate, relu, c); break;
    default: narrow_rows(a, m, n, k, b, bias, table, indices, accumulate, relu, c); break;
    }
}

int ddpm_narrow_product(const float *a, const float *b, int transpose_b, size_t m, size_t n, size_t k,
                        const float *bias, const float *table, const long *indices, int accumulate, int relu,
                        float *c) {
    if (k > ddpm_narrow_features) return -1;
    if (!transpose_b) {
        narrow_product(a, b, m, n, k, bias, table, indices, accumulate, relu, c);
        return 0;
    }
    // B (given n×k) as k×n: on the stack for a layer of up to 512 outputs.
    float on_stack[4096];
    float *bt = n * k <= 4096 ? on_stack : malloc(n * k * sizeof(float));
    if (!bt) return -1;
    for (size_t o = 0; o < n; o++)
        for (size_t j = 0; j < k; j++) bt[j * n + o] = b[o * k + j];
    narrow_product(a, bt, m, n, k, bias, table, indices, accumulate, relu, c);
    if (bt != on_stack) free(bt);
    return 0;
}

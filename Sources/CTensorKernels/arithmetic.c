#include "ctensorkernels.h"
#include "vector_math.h"
#include <string.h>



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
    case ddpm_add: ELEMENTWISE for (size_t i = begin; i < end; i++) out[i] = a[i] + b[i]; break;
    case ddpm_subtract: ELEMENTWISE for (size_t i = begin; i < end; i++) out[i] = a[i] - b[i]; break;
    case ddpm_multiply: ELEMENTWISE for (size_t i = begin; i < end; i++) out[i] = a[i] * b[i]; break;
    case ddpm_divide: ELEMENTWISE for (size_t i = begin; i < end; i++) out[i] = a[i] / b[i]; break;
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
            case ddpm_add: ELEMENTWISE for (size_t j = 0; j < inner; j++) out[j] = s + a[j]; break;
            case ddpm_subtract: ELEMENTWISE for (size_t j = 0; j < inner; j++) out[j] = s - a[j]; break;
            case ddpm_multiply: ELEMENTWISE for (size_t j = 0; j < inner; j++) out[j] = s * a[j]; break;
            case ddpm_divide: ELEMENTWISE for (size_t j = 0; j < inner; j++) out[j] = s / a[j]; break;
            }
        } else {
            switch (t->op) {
            case ddpm_add: ELEMENTWISE for (size_t j = 0; j < inner; j++) out[j] = a[j] + s; break;
            case ddpm_subtract: ELEMENTWISE for (size_t j = 0; j < inner; j++) out[j] = a[j] - s; break;
            case ddpm_multiply: ELEMENTWISE for (size_t j = 0; j < inner; j++) out[j] = a[j] * s; break;
            case ddpm_divide: ELEMENTWISE for (size_t j = 0; j < inner; j++) out[j] = a[j] / s; break;
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
    const float *x = t->a;
    float *y = t->out;
    ELEMENTWISE
    for (size_t i = begin; i < end; i++) y[i] = x[i] > 0 ? x[i] : 0;
}

VECTORISED static void relu_backward_range(void *context, size_t begin, size_t end) {
    const binary_task *t = context;
    const float *restrict y = t->a, *restrict g = t->b;
    float *restrict dx = t->out;
    ELEMENTWISE
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

typedef struct {
    const float *x;
    float *out;
    size_t inner, h, w, scale;
} rows_task;

VECTORISED static void row_sums_range(void *context, size_t begin, size_t end) {
    const rows_task *t = context;
    for (size_t r = begin; r < end; r++) {
        const float *restrict x = t->x + r * t->inner;
        float total = 0;
        for (size_t j = 0; j < t->inner; j++) total += x[j];
        t->out[r] = total;
    }
}

void ddpm_row_sums(const float *x, size_t rows, size_t inner, float *out) {
    rows_task t = {.x = x, .out = out, .inner = inner};
    ddpm_parallel_for(rows, inner >= elementwise_grain ? 1 : elementwise_grain / (inner ? inner : 1), row_sums_range,
                      &t);
}

static void upsample_range(void *context, size_t begin, size_t end) {
    const rows_task *t = context;
    const size_t s = t->scale, ow = t->w * s;
    for (size_t p = begin; p < end; p++) {
        for (size_t y = 0; y < t->h; y++) {
            const float *restrict row = t->x + (p * t->h + y) * t->w;
            float *restrict first = t->out + ((p * t->h + y) * s) * ow;
            for (size_t x = 0; x < t->w; x++)
                for (size_t k = 0; k < s; k++) first[x * s + k] = row[x];
            for (size_t k = 1; k < s; k++) memcpy(first + k * ow, first, ow * sizeof(float));
        }
    }
}

static void upsample_backward_range(void *context, size_t begin, size_t end) {
    const rows_task *t = context;
    const size_t s = t->scale, ow = t->w * s;
    for (size_t p = begin; p < end; p++) {
        for (size_t y = 0; y < t->h; y++) {
            float *restrict row = t->out + (p * t->h + y) * t->w;
            for (size_t x = 0; x < t->w; x++) row[x] = 0;
            for (size_t k = 0; k < s; k++) {
                const float *restrict g = t->x + ((p * t->h + y) * s + k) * ow;
                for (size_t x = 0; x < t->w; x++)
                    for (size_t j = 0; j < s; j++) row[x] += g[x * s + j];
            }
        }
    }
}

void ddpm_upsample_nearest(const float *x, size_t planes, size_t h, size_t w, size_t scale, float *y) {
    rows_task t = {.x = x, .out = y, .h = h, .w = w, .scale = scale};
    size_t per_plane = h * w * scale * scale;
    ddpm_parallel_for(planes, per_plane >= elementwise_grain ? 1 : elementwise_grain / (per_plane ? per_plane : 1),
                      upsample_range, &t);
}

void ddpm_upsample_nearest_backward(const float *g, size_t planes, size_t h, size_t w, size_t scale, float *dx) {
    rows_task t = {.x = g, .out = dx, .h = h, .w = w, .scale = scale};
    size_t per_plane = h * w * scale * scale;
    ddpm_parallel_for(planes, per_plane >= elementwise_grain ? 1 : elementwise_grain / (per_plane ? per_plane : 1),
                      upsample_backward_range, &t);
}

VECTORISED void ddpm_column_sums(const float *restrict x, size_t rows, size_t columns, float *restrict out) {
    memset(out, 0, columns * sizeof(float));
    for (size_t r = 0; r < rows; r++) {
        const float *restrict row = x + r * columns;
        for (size_t j = 0; j < columns; j++) out[j] += row[j];
    }
}

VECTORISED void ddpm_add_row(const float *x, const float *restrict row, float *out, size_t rows,
                             size_t columns) {
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < columns; j++) out[r * columns + j] = x[r * columns + j] + row[j];
}

VECTORISED void ddpm_index_add_rows(const float *source, const long *indices, size_t count, size_t columns,
                                    float *destination) {
    for (size_t i = 0; i < count; i++) {
        float *restrict out = destination + (size_t)indices[i] * columns;
        const float *restrict in = source + i * columns;
        for (size_t j = 0; j < columns; j++) out[j] += in[j];
    }
}

// A loop rather than memcpy per row (no_builtin keeps the compiler from
// turning it back into one): rows are short (a batch of 2-D points, 8 bytes
// a row), and when the seeds' MLP still gathered its embedding rows (128 of
// 128 floats a layer; the products add them now) the calls to memcpy took
// 2.9% of a training step's samples, the loop 2.2–2.5%.
VECTORISED __attribute__((no_builtin("memcpy"))) void ddpm_gather_rows(const float *restrict source,
                                                                      const long *indices, size_t count,
                                                                      size_t columns, float *restrict out) {
    for (size_t i = 0; i < count; i++) {
        const float *restrict row = source + (size_t)indices[i] * columns;
        for (size_t j = 0; j < columns; j++) out[i * columns + j] = row[j];
    }
}

VECTORISED void ddpm_linear_relu_backward(const float *restrict y, const float *restrict gy, size_t rows,
                                          size_t columns, float *restrict g, float *restrict column_sums,
                                          const long *indices, float *restrict table, size_t table_rows) {
    if (column_sums) memset(column_sums, 0, columns * sizeof(float));
    if (table) memset(table, 0, table_rows * columns * sizeof(float));
    for (size_t r = 0; r < rows; r++) {
        const float *restrict y_row = y + r * columns, *restrict gy_row = gy + r * columns;
        float *restrict g_row = g + r * columns;
        for (size_t j = 0; j < columns; j++) g_row[j] = y_row[j] > 0 ? gy_row[j] : 0;
        if (column_sums)
            for (size_t j = 0; j < columns; j++) column_sums[j] += g_row[j];
        if (table) {
            float *restrict table_row = table + (size_t)indices[r] * columns;
            for (size_t j = 0; j < columns; j++) table_row[j] += g_row[j];
        }
    }
}

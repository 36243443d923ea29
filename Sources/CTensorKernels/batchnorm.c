#include "ctensorkernels.h"
#include "vector_math.h"

// Batch normalisation (Ioffe & Szegedy 2015) over x [n, channels, spatial]:
// statistics per channel, parallel over channels; elementwise passes
// parallel over the n·channels planes.

typedef struct {
    const float *x, *g, *mean, *a, *b, *m, *k;
    float *y, *out_mean, *out_variance, *sum_g, *sum_gx;
    size_t n, channels, spatial;
} batch_task;

VECTORISED static void statistics_range(void *context, size_t begin, size_t end) {
    const batch_task *t = context;
    const size_t count = t->n * t->spatial;
    for (size_t c = begin; c < end; c++) {
        float total = 0;
        for (size_t b = 0; b < t->n; b++) {
            const float *restrict row = t->x + (b * t->channels + c) * t->spatial;
            for (size_t i = 0; i < t->spatial; i++) total += row[i];
        }
        const float mean = total / (float)count;
        float squares = 0;
        for (size_t b = 0; b < t->n; b++) {
            const float *restrict row = t->x + (b * t->channels + c) * t->spatial;
            for (size_t i = 0; i < t->spatial; i++) squares += (row[i] - mean) * (row[i] - mean);
        }
        t->out_mean[c] = mean;
        t->out_variance[c] = squares / (float)count;
    }
}

static size_t channels_grain(size_t per_channel) {
    return per_channel >= elementwise_grain ? 1 : elementwise_grain / (per_channel ? per_channel : 1);
}

void ddpm_batch_norm_statistics(const float *x, size_t n, size_t channels, size_t spatial, float *mean,
                                float *variance) {
    batch_task t = {.x = x, .out_mean = mean, .out_variance = variance, .n = n, .channels = channels, .spatial = spatial};
    ddpm_parallel_for(channels, channels_grain(n * spatial), statistics_range, &t);
}

VECTORISED static void affine_range(void *context, size_t begin, size_t end) {
    const batch_task *t = context;
    for (size_t plane = begin; plane < end; plane++) {
        const size_t c = plane % t->channels;
        const float a = t->a[c], b = t->b[c];
        const float *restrict x = t->x + plane * t->spatial;
        float *restrict y = t->y + plane * t->spatial;
        for (size_t i = 0; i < t->spatial; i++) y[i] = x[i] * a + b;
    }
}

void ddpm_channel_affine(const float *x, size_t n, size_t channels, size_t spatial, const float *a, const float *b,
                         float *y) {
    batch_task t = {.x = x, .a = a, .b = b, .y = y, .n = n, .channels = channels, .spatial = spatial};
    ddpm_parallel_for(n * channels, channels_grain(spatial), affine_range, &t);
}

VECTORISED static void sums_range(void *context, size_t begin, size_t end) {
    const batch_task *t = context;
    for (size_t c = begin; c < end; c++) {
        const float mean = t->mean[c];
        float sg = 0, sgx = 0;
        for (size_t b = 0; b < t->n; b++) {
            const float *restrict x = t->x + (b * t->channels + c) * t->spatial;
            const float *restrict g = t->g + (b * t->channels + c) * t->spatial;
            for (size_t i = 0; i < t->spatial; i++) {
                sg += g[i];
                sgx += g[i] * (x[i] - mean);
            }
        }
        t->sum_g[c] = sg;
        t->sum_gx[c] = sgx;
    }
}

void ddpm_batch_norm_sums(const float *x, const float *g, size_t n, size_t channels, size_t spatial,
                          const float *mean, float *sum_g, float *sum_gx) {
    batch_task t = {.x = x, .g = g, .mean = mean, .sum_g = sum_g, .sum_gx = sum_gx, .n = n, .channels = channels,
                    .spatial = spatial};
    ddpm_parallel_for(channels, channels_grain(n * spatial), sums_range, &t);
}

VECTORISED static void input_gradient_range(void *context, size_t begin, size_t end) {
    const batch_task *t = context;
    for (size_t plane = begin; plane < end; plane++) {
        const size_t c = plane % t->channels;
        const float a = t->a[c], m = t->m[c], k = t->k[c], mean = t->mean[c];
        const float *restrict x = t->x + plane * t->spatial, *restrict g = t->g + plane * t->spatial;
        float *restrict dx = t->y + plane * t->spatial;
        for (size_t i = 0; i < t->spatial; i++) dx[i] = a * (g[i] - m - (x[i] - mean) * k);
    }
}

void ddpm_batch_norm_input_gradient(const float *x, const float *g, size_t n, size_t channels, size_t spatial,
                                    const float *mean, const float *a, const float *m, const float *k, float *dx) {
    batch_task t = {.x = x, .g = g, .mean = mean, .a = a, .m = m, .k = k, .y = dx, .n = n, .channels = channels,
                    .spatial = spatial};
    ddpm_parallel_for(n * channels, channels_grain(spatial), input_gradient_range, &t);
}

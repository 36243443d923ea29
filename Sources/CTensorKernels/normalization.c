#include "ctensorkernels.h"
#include "vector_math.h"
#include <math.h>
#include <string.h>

// Group normalisation (Wu & He 2018): for each sample and group of channels,
// z = (x − μ)·rstd·γ_c + β_c with rstd = 1/√(σ² + ε), σ² biased; y = z, or
// y = SiLU(z) fused (the pair of every UNet block), so that z is never stored.

typedef struct {
    const float *x, *g, *weight, *bias, *mean, *rstd;
    float *y, *dx, *out_mean, *out_rstd, *dweight, *dbias;
    size_t n, channels, spatial, groups;
    float eps;
    int silu;  // y = SiLU(GroupNorm(x)); the backward pass recomputes GroupNorm(x)
} norm_task;

// ∂L/∂z for z = GroupNorm(x) = x·a + b: g itself, or through SiLU g·σ(z)·(1 + z·(1 − σ(z))).
static inline float through_activation(int silu, float g, float z) {
    if (!silu) return g;
    const float s = 1.0f / (1.0f + exp_approx(-z));
    return g * s * (1.0f + z * (1.0f - s));
}

VECTORISED static void group_norm_forward_range(void *context, size_t begin, size_t end) {
    const norm_task *t = context;
    const size_t per_group = t->channels / t->groups, m = per_group * t->spatial;
    for (size_t s = begin; s < end; s++) {
        const float *restrict x = t->x + s * m;
        float *restrict y = t->y + s * m;
        // Two passes (mean, then squared deviations), in float lanes that the compiler vectorises.
        float total = 0;
        for (size_t i = 0; i < m; i++) total += x[i];
        const float mean = (float)((double)total / (double)m);
        float squares = 0;
        for (size_t i = 0; i < m; i++) {
            const float d = x[i] - mean;
            squares += d * d;
        }
        const float rstd = (float)(1.0 / sqrt((double)squares / (double)m + (double)t->eps));
        t->out_mean[s] = mean;
        t->out_rstd[s] = rstd;
        const size_t first = (s % t->groups) * per_group;
        for (size_t c = 0; c < per_group; c++) {
            const float a = (t->weight ? t->weight[first + c] : 1.0f) * rstd;
            const float b = (t->bias ? t->bias[first + c] : 0.0f) - mean * a;
            const float *restrict xc = x + c * t->spatial;
            float *restrict yc = y + c * t->spatial;
            if (t->silu) {
                for (size_t i = 0; i < t->spatial; i++) {
                    const float z = xc[i] * a + b;
                    yc[i] = z / (1.0f + exp_approx(-z));
                }
            } else {
                for (size_t i = 0; i < t->spatial; i++) yc[i] = xc[i] * a + b;
            }
        }
    }
}

void ddpm_group_norm_forward(const float *x, size_t n, size_t channels, size_t spatial, size_t groups,
                             const float *weight, const float *bias, float eps, int silu, float *y, float *mean,
                             float *rstd) {
    norm_task t = {.x = x, .weight = weight, .bias = bias, .y = y, .out_mean = mean, .out_rstd = rstd,
                   .n = n, .channels = channels, .spatial = spatial, .groups = groups, .eps = eps, .silu = silu};
    const size_t m = channels / groups * spatial;
    ddpm_parallel_for(n * groups, m >= (1 << 15) ? 1 : (1 << 15) / (m ? m : 1), group_norm_forward_range, &t);
}

// With ĝ = g·γ over a group of m elements and x̂ = (x − μ)·rstd:
// ∂L/∂x = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)).
VECTORISED static void group_norm_backward_input(void *context, size_t begin, size_t end) {
    const norm_task *t = context;
    const size_t per_group = t->channels / t->groups, m = per_group * t->spatial;
    for (size_t s = begin; s < end; s++) {
        const float *restrict x = t->x + s * m, *restrict g = t->g + s * m;
        float *restrict dx = t->dx + s * m;
        const float mean = t->mean[s], rstd = t->rstd[s];
        const size_t first = (s % t->groups) * per_group;
        float sum_g = 0, sum_gx = 0;
        for (size_t c = 0; c < per_group; c++) {
            const float gamma = t->weight ? t->weight[first + c] : 1.0f;
            const float beta = t->bias ? t->bias[first + c] : 0.0f;
            const float *restrict xc = x + c * t->spatial, *restrict gc = g + c * t->spatial;
            float sg = 0, sgx = 0;
            for (size_t i = 0; i < t->spatial; i++) {
                const float gz = through_activation(t->silu, gc[i], (xc[i] - mean) * rstd * gamma + beta);
                sg += gz;
                sgx += gz * (xc[i] - mean);
            }
            sum_g += gamma * sg;
            sum_gx += gamma * sgx * rstd;
        }
        const float mean_g = sum_g / (float)m, mean_gx = sum_gx / (float)m;
        for (size_t c = 0; c < per_group; c++) {
            const float gamma = t->weight ? t->weight[first + c] : 1.0f;
            const float beta = t->bias ? t->bias[first + c] : 0.0f;
            const float *restrict xc = x + c * t->spatial, *restrict gc = g + c * t->spatial;
            float *restrict dxc = dx + c * t->spatial;
            for (size_t i = 0; i < t->spatial; i++) {
                const float xhat = (xc[i] - mean) * rstd;
                const float gz = through_activation(t->silu, gc[i], xhat * gamma + beta);
                dxc[i] = rstd * (gamma * gz - mean_g - xhat * mean_gx);
            }
        }
    }
}

// ∂L/∂γ_c = Σ g·x̂ and ∂L/∂β_c = Σ g over the batch and the positions.
VECTORISED static void group_norm_backward_affine(void *context, size_t begin, size_t end) {
    const norm_task *t = context;
    const size_t per_group = t->channels / t->groups;
    for (size_t c = begin; c < end; c++) {
        const float gamma = t->weight ? t->weight[c] : 1.0f;
        const float beta = t->bias ? t->bias[c] : 0.0f;
        float sum_g = 0, sum_gx = 0;
        for (size_t b = 0; b < t->n; b++) {
            const size_t s = b * t->groups + c / per_group;
            const float mean = t->mean[s], rstd = t->rstd[s];
            const float *restrict xc = t->x + (b * t->channels + c) * t->spatial;
            const float *restrict gc = t->g + (b * t->channels + c) * t->spatial;
            float sg = 0, sgx = 0;
            for (size_t i = 0; i < t->spatial; i++) {
                const float gz = through_activation(t->silu, gc[i], (xc[i] - mean) * rstd * gamma + beta);
                sg += gz;
                sgx += gz * (xc[i] - mean);
            }
            sum_g += sg;
            sum_gx += sgx * rstd;
        }
        if (t->dweight) t->dweight[c] = sum_gx;
        if (t->dbias) t->dbias[c] = sum_g;
    }
}

void ddpm_group_norm_backward(const float *x, const float *g, size_t n, size_t channels, size_t spatial,
                              size_t groups, const float *weight, const float *bias, int silu, const float *mean,
                              const float *rstd, float *dx, float *dweight, float *dbias) {
    norm_task t = {.x = x, .g = g, .weight = weight, .bias = bias, .mean = mean, .rstd = rstd, .dx = dx,
                   .dweight = dweight, .dbias = dbias, .n = n, .channels = channels, .spatial = spatial,
                   .groups = groups, .silu = silu};
    const size_t m = channels / groups * spatial;
    if (dx) ddpm_parallel_for(n * groups, m >= (1 << 15) ? 1 : (1 << 15) / (m ? m : 1), group_norm_backward_input, &t);
    if (dweight || dbias) {
        const size_t per_channel = n * spatial;
        ddpm_parallel_for(channels, per_channel >= (1 << 15) ? 1 : (1 << 15) / (per_channel ? per_channel : 1),
                          group_norm_backward_affine, &t);
    }
}

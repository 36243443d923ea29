#include "cnumerics.h"
#include <math.h>
#include <stdint.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

// Vector-width versions for the x86 machines this runs on (AVX-512 does an
// Adam update 16 parameters at a time); one generic one elsewhere.
#if defined(__x86_64__)
#define VECTORISED __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTORISED
#endif

VECTORISED void ddpm_adam_update(float *restrict theta, const float *restrict grad, float *restrict m,
                      float *restrict v, size_t n, float beta1, float beta2, float step_size,
                      float root_correction2, float eps, float weight_decay) {
    const float one_minus_beta1 = 1.0f - beta1;
    const float one_minus_beta2 = 1.0f - beta2;
    const float inverse_root_correction2 = 1.0f / root_correction2;
    for (size_t i = 0; i < n; i++) {
        const float g = grad[i] + weight_decay * theta[i];
        const float mi = beta1 * m[i] + one_minus_beta1 * g;
        const float vi = beta2 * v[i] + one_minus_beta2 * g * g;
        m[i] = mi;
        v[i] = vi;
        theta[i] -= step_size * mi / (sqrtf(vi) * inverse_root_correction2 + eps);
    }
}

unsigned long ddpm_flush_subnormals(void) {
#if defined(__x86_64__) || defined(__i386__)
    unsigned int saved = _mm_getcsr();
    _mm_setcsr(saved | 0x8040);  // FTZ (bit 15) and DAZ (bit 6)
    return saved;
#elif defined(__aarch64__)
    unsigned long saved;
    __asm__ volatile("mrs %0, fpcr" : "=r"(saved));
    __asm__ volatile("msr fpcr, %0" : : "r"(saved | (1UL << 24)));
    return saved;
#else
    return 0;
#endif
}

void ddpm_restore_float_environment(unsigned long saved) {
#if defined(__x86_64__) || defined(__i386__)
    _mm_setcsr((unsigned int)saved);
#elif defined(__aarch64__)
    __asm__ volatile("msr fpcr, %0" : : "r"(saved));
#else
    (void)saved;
#endif
}

VECTORISED int ddpm_all_finite(const float *x, size_t n) {
    // By the exponent bits, so that -ffast-math style assumptions cannot fold it away.
    const uint32_t *bits = (const uint32_t *)x;
    uint32_t nonfinite = 0;
    for (size_t i = 0; i < n; i++) nonfinite |= (bits[i] & 0x7f800000u) == 0x7f800000u;
    return nonfinite == 0;
}

VECTORISED void ddpm_reverse_update(const float *x, float a, const float *y, float b, float sigma, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = a * x[i] + b * y[i] + sigma * out[i];
}

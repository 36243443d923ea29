#include "cnumerics.h"
#include <float.h>
#include <math.h>
#include <stdint.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

// Vector-width versions for the x86 machines this runs on; one generic one elsewhere.
#if defined(__x86_64__)
#define VECTORISED __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTORISED
#endif

// The update of parameters [begin, n), with sqrtf and a division: exact, as torch.optim.Adam.
VECTORISED static void adam_update_exact(float *restrict theta, const float *restrict grad, float *restrict m,
                                         float *restrict v, size_t begin, size_t n, float beta1, float beta2,
                                         float step_size, float root_correction2, float eps, float weight_decay) {
    const float one_minus_beta1 = 1.0f - beta1;
    const float one_minus_beta2 = 1.0f - beta2;
    const float inverse_root_correction2 = 1.0f / root_correction2;
    for (size_t i = begin; i < n; i++) {
        const float g = grad[i] + weight_decay * theta[i];
        const float mi = beta1 * m[i] + one_minus_beta1 * g;
        const float vi = beta2 * v[i] + one_minus_beta2 * g * g;
        m[i] = mi;
        v[i] = vi;
        theta[i] -= step_size * mi / (sqrtf(vi) * inverse_root_correction2 + eps);
    }
}

#if defined(__x86_64__)
// With AVX-512, 16 parameters at a time, with √v and the division from the
// hardware's 14-bit estimates refined by one Newton step each:
//   r ≈ 1/√v:  r ← r·(3 − v·r²)/2, √v = v·r
//   q ≈ 1/d:   q ← q·(2 − d·q)
// An exact vsqrtps and vdivps on 16 floats take about 22 cycles together,
// which bounded the loop (1.5 cycles a parameter); the estimates and their
// refinement are a few fused multiply-adds. The estimate of 1/√v is taken of
// max(v, FLT_MIN), so that v = 0 gives √v = 0·r = 0 as sqrtf does; a vector
// with v = +inf (g² overflowed), where the Newton steps would make 0·inf =
// NaN instead of √v = inf and 1/d = 0, stops the loop for the exact one to
// take that vector (ddpm_adam_update). This form took 36–38 µs against 41–43
// for 72,066 parameters (the seeds' MLP) where the former one masked both
// cases out lane by lane.
__attribute__((target("avx512f"), always_inline)) static inline size_t adam_update_avx512_loop(
    float *theta, const float *grad, float *m, float *v, size_t n, float beta1, float beta2, float step_size,
    float root_correction2, float eps, float weight_decay, int decay) {
    const __m512 b1 = _mm512_set1_ps(beta1), b2 = _mm512_set1_ps(beta2);
    const __m512 c1 = _mm512_set1_ps(1.0f - beta1), c2 = _mm512_set1_ps(1.0f - beta2);
    const __m512 half_inverse_root = _mm512_set1_ps(0.5f / root_correction2), epsilon = _mm512_set1_ps(eps);
    const __m512 lr = _mm512_set1_ps(step_size), lambda = _mm512_set1_ps(weight_decay);
    const __m512 three = _mm512_set1_ps(3.0f), two = _mm512_set1_ps(2.0f);
    const __m512 smallest = _mm512_set1_ps(FLT_MIN), infinity = _mm512_set1_ps(INFINITY);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 th = _mm512_loadu_ps(theta + i);
        __m512 g = _mm512_loadu_ps(grad + i);
        if (decay) g = _mm512_fmadd_ps(lambda, th, g);
        const __m512 mi = _mm512_fmadd_ps(b1, _mm512_loadu_ps(m + i), _mm512_mul_ps(c1, g));
        const __m512 vi = _mm512_fmadd_ps(_mm512_mul_ps(c2, g), g, _mm512_mul_ps(b2, _mm512_loadu_ps(v + i)));
        if (_mm512_cmp_ps_mask(vi, infinity, _CMP_EQ_OQ)) break;
        _mm512_storeu_ps(m + i, mi);
        _mm512_storeu_ps(v + i, vi);
        const __m512 r = _mm512_rsqrt14_ps(_mm512_max_ps(vi, smallest));
        const __m512 vr = _mm512_mul_ps(vi, r);
        // d = √v / √(1 − β₂ᵗ) + ε, with √v = vr·(3 − vr·r)/2
        const __m512 d = _mm512_fmadd_ps(_mm512_mul_ps(vr, _mm512_fnmadd_ps(vr, r, three)), half_inverse_root, epsilon);
        const __m512 q = _mm512_rcp14_ps(d);
        const __m512 inverse_d = _mm512_mul_ps(q, _mm512_fnmadd_ps(d, q, two));
        _mm512_storeu_ps(theta + i, _mm512_fnmadd_ps(_mm512_mul_ps(lr, mi), inverse_d, th));
    }
    return i;
}

__attribute__((target("avx512f"))) static size_t adam_update_avx512(
    float *theta, const float *grad, float *m, float *v, size_t n, float beta1, float beta2, float step_size,
    float root_correction2, float eps, float weight_decay) {
    return weight_decay != 0 ? adam_update_avx512_loop(theta, grad, m, v, n, beta1, beta2, step_size,
                                                       root_correction2, eps, weight_decay, 1)
                             : adam_update_avx512_loop(theta, grad, m, v, n, beta1, beta2, step_size,
                                                       root_correction2, eps, weight_decay, 0);
}
#endif

void ddpm_adam_update(float *theta, const float *grad, float *m, float *v, size_t n, float beta1, float beta2,
                      float step_size, float root_correction2, float eps, float weight_decay) {
    size_t done = 0;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f")) {
        for (;;) {
            done += adam_update_avx512(theta + done, grad + done, m + done, v + done, n - done, beta1, beta2,
                                       step_size, root_correction2, eps, weight_decay);
            if (n - done < 16) break;
            // A vector with v = +inf, exactly.
            adam_update_exact(theta, grad, m, v, done, done + 16, beta1, beta2, step_size, root_correction2, eps,
                              weight_decay);
            done += 16;
        }
    }
#endif
    adam_update_exact(theta, grad, m, v, done, n, beta1, beta2, step_size, root_correction2, eps, weight_decay);
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

VECTORISED void ddpm_scale(float *x, size_t n, float s) {
    for (size_t i = 0; i < n; i++) x[i] *= s;
}

VECTORISED void ddpm_reverse_update(const float *x, float a, const float *y, float b, float sigma, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = a * x[i] + b * y[i] + sigma * out[i];
}

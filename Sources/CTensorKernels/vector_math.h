// Shared by the kernels' C files (not part of the module's interface).
#pragma once
#include <stdint.h>
#include <string.h>

// Vector-width versions for the x86 machines this runs on; one generic one elsewhere.
#if defined(__x86_64__)
#define VECTORISED __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTORISED
#endif

// Before an element-wise loop (out[i] from a[i], b[i]) that may run in
// place: restrict on pointers loaded from a task struct does not reach the
// vectoriser, whose run-time overlap check then sends an in-place call to
// scalar code; element i is read before it is written, so overlap is safe.
#if defined(__clang__)
#define ELEMENTWISE _Pragma("clang loop vectorize(assume_safety)")
#else
#define ELEMENTWISE
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

// Elements per thread below which splitting a loop costs more than it saves.
enum { elementwise_grain = 1 << 15 };

// Small numeric loops in C that Swift does not vectorise (several pointers
// that may alias as far as the Swift compiler knows), and access to the
// floating-point environment. Called only by NN and DDPM.
#pragma once
#include <stddef.h>

/// One bias-corrected Adam update of n parameters (Kingma & Ba 2015,
/// Algorithm 1, as torch.optim.Adam):
///   g  <- grad + weight_decay * theta
///   m  <- beta1 * m + (1 - beta1) * g
///   v  <- beta2 * v + (1 - beta2) * g^2
///   theta <- theta - step_size * m / (sqrt(v) / root_correction2 + eps)
/// with step_size = lr / (1 - beta1^t), root_correction2 = sqrt(1 - beta2^t).
/// With AVX-512, √v and the division are the hardware's estimates refined by
/// a Newton step (parameters within 10^-6·lr of the exact update's).
void ddpm_adam_update(float *theta, const float *grad, float *m, float *v, size_t n,
                      float beta1, float beta2, float step_size, float root_correction2,
                      float eps, float weight_decay);

/// Makes subnormal floats count as zero (x86: MXCSR FTZ and DAZ; ARM: FPCR
/// FZ) and returns the previous state for ddpm_restore_float_environment.
/// Optimiser moments of unused embedding rows decay into the subnormal range,
/// where arithmetic is about a hundred times slower.
unsigned long ddpm_flush_subnormals(void);

/// Restores the state returned by ddpm_flush_subnormals.
void ddpm_restore_float_environment(unsigned long saved);

/// Whether all n floats are finite (no NaN, no infinity).
int ddpm_all_finite(const float *x, size_t n);

/// x[i] *= s for i < n (gradient clipping's rescaling), at the CPU's vector
/// width: Swift's own loop is compiled for the baseline x86-64, four floats at
/// a time.
void ddpm_scale(float *x, size_t n, float s);

/// The Wasserstein-1 distance between two 1-D empirical distributions
/// (p: n values, q: m values), comparing their quantile functions at
/// max(n, m) evenly spaced levels. Sorts p and q in place.
double ddpm_wasserstein1_1d(float *p, size_t n, float *q, size_t m);

/// out = a·x + b·y + sigma·out for i < n: a reverse step's update, with out
/// holding the step's noise z on entry (x_{t−1} = a·x_t + b·ε_θ + σ_t·z).
/// `out` may be `x` or `y` only when sigma is 0.
void ddpm_reverse_update(const float *x, float a, const float *y, float b, float sigma, float *out, size_t n);

#include "CKernels.h"
#include <math.h>

#pragma STDC FP_CONTRACT OFF

// On x86-64 Linux each kernel is also built for AVX2 and picked at load time (an ifunc): four
// doubles per square root and division instead of two. Both versions compute the same
// correctly rounded operations, so they give the same bits.
#if defined(__x86_64__) && defined(__linux__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define TNB_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef TNB_CLONES
#define TNB_CLONES
#endif

// The loops are written as Optimization/Adam.swift wrote them: (1 − β₂)·g·g is ((1 − β₂)·g)·g,
// and the step is rounded to the parameter's precision before it is subtracted.
#define ADAM_STEP(T)                                                                            \
    const double c1 = 1 - beta1, c2 = 1 - beta2;                                                \
    if (decay != 0) {                                                                           \
        for (ptrdiff_t i = 0; i < n; i++) {                                                     \
            double gi = (double)g[i] + decay * (double)p[i];                                    \
            double mi = beta1 * m[i] + c1 * gi;                                                 \
            double vi = beta2 * v[i] + c2 * gi * gi;                                            \
            m[i] = mi;                                                                          \
            v[i] = vi;                                                                          \
            p[i] -= (T)(alpha * mi / (sqrt(vi) + epsilon));                                     \
        }                                                                                       \
    } else {                                                                                    \
        for (ptrdiff_t i = 0; i < n; i++) {                                                     \
            double gi = (double)g[i];                                                           \
            double mi = beta1 * m[i] + c1 * gi;                                                 \
            double vi = beta2 * v[i] + c2 * gi * gi;                                            \
            m[i] = mi;                                                                          \
            v[i] = vi;                                                                          \
            p[i] -= (T)(alpha * mi / (sqrt(vi) + epsilon));                                     \
        }                                                                                       \
    }

TNB_CLONES void tnb_adam_step_f32(float *restrict p, const float *restrict g, double *restrict m, double *restrict v,
                       ptrdiff_t n, double beta1, double beta2, double alpha, double epsilon, double decay) {
    ADAM_STEP(float)
}

TNB_CLONES void tnb_adam_step_f64(double *restrict p, const double *restrict g, double *restrict m, double *restrict v,
                       ptrdiff_t n, double beta1, double beta2, double alpha, double epsilon, double decay) {
    ADAM_STEP(double)
}

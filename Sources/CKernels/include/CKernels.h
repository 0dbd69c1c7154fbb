// Elementwise kernels that Swift does not vectorize well: a square root in Swift is a call to
// libm's `sqrt` (it may set errno), so a loop holding one stays scalar; and rows of 10 or 20
// scalars cost Swift's vector loops more in their tails than in their bodies. Compiled as C with
// -fno-math-errno (the square root becomes the instruction) and FP_CONTRACT OFF (no fused
// multiply-adds): every element is computed with exactly the operations, in the order, that
// the Swift it replaces wrote, so results are bit-identical to it on every machine.
#ifndef TNBENCH_CKERNELS_H
#define TNBENCH_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

/// One Adam step over `n` parameters (float32) with moments kept in float64:
/// g ← g + decay·p (when decay ≠ 0); m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
/// p ← p − (float)(α·m / (√v + ε)). The four buffers must not overlap.
void tnb_adam_step_f32(float *p, const float *g, double *m, double *v, ptrdiff_t n,
                       double beta1, double beta2, double alpha, double epsilon, double decay);

/// ``tnb_adam_step_f32`` for float64 parameters.
void tnb_adam_step_f64(double *p, const double *g, double *m, double *v, ptrdiff_t n,
                       double beta1, double beta2, double alpha, double epsilon, double decay);

// MARK: The gradient-descent MPS engine's row kernels (RowKernels.c). Blocks are row-major
// [n, width]; phi is [n, d]. Each has a generic body and an AVX-512 one, chosen at run time,
// which give the same bits.

/// out[b, s, r] = phi[b, s]·rows[b, r] (out is [n, d, width]).
void tnb_rows_outer_f32(float *out, const float *phi, const float *rows, ptrdiff_t n, ptrdiff_t d, ptrdiff_t width);
void tnb_rows_outer_f64(double *out, const double *phi, const double *rows, ptrdiff_t n, ptrdiff_t d, ptrdiff_t width);

/// out[b, r] = Σ_s phi[b, s]·t[b, s, r] for t [n, d, width], summed from s = 0 up.
void tnb_contract_physical_f32(const float *t, const float *phi, float *out, ptrdiff_t n, ptrdiff_t d, ptrdiff_t width);
void tnb_contract_physical_f64(const double *t, const double *phi, double *out, ptrdiff_t n, ptrdiff_t d, ptrdiff_t width);

/// Each row whose largest magnitude m is finite, non-zero and outside [2^-15, 2^16) is divided
/// by 2^e, e = ilogb(m) (exactly: by two powers of two in turn), and e is added to exponents[b].
void tnb_normalize_rows_f32(float *rows, ptrdiff_t n, ptrdiff_t width, int64_t *exponents);
void tnb_normalize_rows_f64(double *rows, ptrdiff_t n, ptrdiff_t width, int64_t *exponents);

/// dst[b, r] = src[b, r]·2^shifts[b] (as two power-of-two factors in turn; zero for a shift
/// below −2·emax − 64). src and dst may be the same block.
void tnb_scale_rows_f32(const float *src, float *dst, ptrdiff_t n, ptrdiff_t width, const int64_t *shifts);
void tnb_scale_rows_f64(const double *src, double *dst, ptrdiff_t n, ptrdiff_t width, const int64_t *shifts);

/// Chooses the AVX-512 bodies (when the processor has AVX-512F and `enabled` is non-zero) or the
/// generic ones, for every later call; returns whether the AVX-512 ones were in use. For tests.
int tnb_row_kernels_use_vector(int enabled);
/// Whether this processor can run the AVX-512 bodies.
int tnb_row_kernels_vector_available(void);

#endif

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

/// tnb_normalize_rows_f32 in lane layout: rows is [width][lanes] and each of the first n columns
/// (a sample) is normalized as a row is there, its exponent added to exponents[b].
void tnb_lane_normalize_f32(float *rows, ptrdiff_t width, ptrdiff_t lanes, ptrdiff_t n, int64_t *exponents);
/// tnb_scale_rows_f32 in lane layout: dst[i, b] = src[i, b]·2^shifts[b] for the first n columns.
void tnb_lane_scale_f32(const float *src, float *dst, ptrdiff_t width, ptrdiff_t lanes, ptrdiff_t n, const int64_t *shifts);
/// The lane path's step before a gradient GEMM: rows [width][lanes] whose first n lanes carry
/// exponents e1[b] + e2[b] (e2 may be NULL) brought to their common exponent M, the largest:
/// shifts[b] = e1[b] + e2[b] − M, then tnb_lane_scale_f32(src, dst, …, shifts) — the same bits.
/// Writes M to *common. Returns 0 and writes nothing to dst when every shift is zero (src is
/// then already at M), else 1.
int tnb_lane_common_scale_f32(const float *src, float *dst, ptrdiff_t width, ptrdiff_t lanes, ptrdiff_t n,
                              const int64_t *e1, const int64_t *e2, int64_t *shifts, int64_t *common);

/// Chooses the AVX-512 bodies (when the processor has AVX-512F and `enabled` is non-zero) or the
/// generic ones, for every later call; returns whether the AVX-512 ones were in use. For tests.
int tnb_row_kernels_use_vector(int enabled);
/// Whether this processor can run the AVX-512 bodies.
int tnb_row_kernels_vector_available(void);

// MARK: The gradient-descent MPS engine's lane kernels (LaneKernels.c). Blocks are bond-major:
// row i of a block holds the batch's samples, `lanes` floats (a multiple of 16) from the next row;
// a is a core [dl, d, dr] (row-major). Each returns 0, or -1 (nothing written) when dl lies
// outside 1…tnb_lane_kernels_max_bond() or lanes is not a multiple of 16.

/// The largest left bond dimension the lane kernels take (24).
int tnb_lane_kernels_max_bond(void);

/// z[s·dr + r, ·] = phi[s, ·]·rows[r, ·] and out[l, ·] = Σ_{s, r} a[l, s, r]·z[s·dr + r, ·], summed
/// over (s, r) in row-major order (each product fused into the sum where the build has FMA).
int tnb_lane_absorb_f32(const float *a, ptrdiff_t dl, ptrdiff_t d, ptrdiff_t dr, const float *phi,
                        const float *rows, ptrdiff_t lanes, float *z, float *out);

/// out[r, ·] = Σ_s phi[s, ·]·(Σ_l a[l, s, r]·x[l, ·]): each inner sum over l from 0 up, then the
/// terms s = 0, 1, … in turn (fused where the build has FMA).
int tnb_lane_transfer_f32(const float *a, ptrdiff_t dl, ptrdiff_t d, ptrdiff_t dr, const float *phi,
                          const float *x, ptrdiff_t lanes, float *out);

// MARK: The neural layers' loops (LayerKernels.c): convolution and pooling of NHWC images, for
// NeuralLayers' Conv2D and MaxPool2D, and ReLU's backward pass, each built for AVX-512, Haswell
// (AVX2 + FMA) and generic x86-64 and picked at load time. The convolutions fuse multiply-adds
// where the build has FMA; pooling and ReLU give the same bits in every build.

/// y[n, oy, ox, o] = bias[o] + Σ_{dy, dx, c} x[n, oy + dy − padTop, ox + dx − padLeft, c]·k[dy, dx, c, o]
/// for x [batch, h, w, cin], k [kh, kw, cin, cout] (HWIO), y [batch, ho, wo, cout]; x is zero
/// outside the image; bias may be NULL (zero). Summed from the bias up, taps (dy, dx, c) in
/// row-major order (each product fused into the sum where the processor has FMA). Returns 0, or −1 (nothing written)
/// when its scratch cannot be allocated.
int tnb_conv2d_forward_f32(const float *x, ptrdiff_t batch, ptrdiff_t h, ptrdiff_t w, ptrdiff_t cin,
                           const float *k, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t cout, const float *bias,
                           ptrdiff_t padTop, ptrdiff_t padLeft, ptrdiff_t ho, ptrdiff_t wo, float *y);
int tnb_conv2d_forward_f64(const double *x, ptrdiff_t batch, ptrdiff_t h, ptrdiff_t w, ptrdiff_t cin,
                           const double *k, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t cout, const double *bias,
                           ptrdiff_t padTop, ptrdiff_t padLeft, ptrdiff_t ho, ptrdiff_t wo, double *y);

/// The kernel gradient of ``tnb_conv2d_forward_f32``'s convolution, g being ∂L/∂y:
/// dk[dy, dx, c, o] = Σ_{n, oy, ox} x[n, oy + dy − padTop, ox + dx − padLeft, c]·g[n, oy, ox, o],
/// each of 16 partial sums (ox mod 16) taken over images, rows and pixels in order, then added in
/// a fixed tree. Returns 0, or −1 (nothing written) when its scratch cannot be allocated.
int tnb_conv2d_kernel_gradient_f32(const float *x, ptrdiff_t batch, ptrdiff_t h, ptrdiff_t w, ptrdiff_t cin,
                                   const float *g, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t cout,
                                   ptrdiff_t padTop, ptrdiff_t padLeft, ptrdiff_t ho, ptrdiff_t wo, float *dk);
int tnb_conv2d_kernel_gradient_f64(const double *x, ptrdiff_t batch, ptrdiff_t h, ptrdiff_t w, ptrdiff_t cin,
                                   const double *g, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t cout,
                                   ptrdiff_t padTop, ptrdiff_t padLeft, ptrdiff_t ho, ptrdiff_t wo, double *dk);

/// Max pooling of x [batch, h, w, c] over ph × pw windows at stride (ph, pw) into
/// y [batch, h / ph, w / pw, c], with the flat index into x of each output's maximum: the first
/// in row-major window order; a NaN never replaces an earlier maximum.
void tnb_max_pool_f32(const float *x, ptrdiff_t batch, ptrdiff_t h, ptrdiff_t w, ptrdiff_t c,
                      ptrdiff_t ph, ptrdiff_t pw, float *y, int32_t *argmax);
void tnb_max_pool_f64(const double *x, ptrdiff_t batch, ptrdiff_t h, ptrdiff_t w, ptrdiff_t c,
                      ptrdiff_t ph, ptrdiff_t pw, double *y, int32_t *argmax);

/// ReLU's backward pass: out[i] = g[i] where z[i] > 0, else +0 (also for a NaN z).
void tnb_relu_backward_f32(const float *g, const float *z, float *out, ptrdiff_t n);
void tnb_relu_backward_f64(const double *g, const double *z, double *out, ptrdiff_t n);

#endif

// The gradient-descent MPS engine's per-site products in lane layout (`MPSGradientEngine`'s lane
// path): every block is bond-major, a row per bond index (or per pair (s, r)) holding the batch's
// samples along it, `lanes` floats long (a multiple of 16). A sample is one lane of a 16-float
// vector, so a product over the bond runs at full vector width for any bond dimension, with the
// left bond's accumulators held in registers (one compiled body per bond dimension 1…24).
//
// Per site and batch this replaces two OpenBLAS calls on [32, 20]-sized blocks and a row kernel
// beside each: OpenBLAS spreads a product with an output of 10 columns over 16-wide vectors and
// pays a call, a pack and an edge per product; here the 16 lanes are 16 samples.
//
// Every output is summed in one fixed order whatever the lane, the batch size or the vector
// width: absorb over (s, r) in row-major order, transfer over l from 0 up and then over s. The
// products are fused into the sums where the build has FMA (the AVX-512 and Haswell builds);
// the generic build rounds each product first, so on a processor without FMA the last bits
// differ, as OpenBLAS's do from one processor to another.
#include "CKernels.h"

#pragma STDC FP_CONTRACT OFF

#include "TargetClones.h"

#define LANES 16

typedef float f32x16 __attribute__((vector_size(64)));
typedef float f32x16u __attribute__((vector_size(64), aligned(4)));

// out[l, ·] = Σ_{s, r} a[l, s, r]·z[s, r, ·] with z[s, r, ·] = phi[s, ·]·rows[r, ·] (stored).
#define ABSORB_BODY(DL)                                                                          \
    for (ptrdiff_t b = 0; b < lanes; b += LANES) {                                               \
        f32x16 acc[DL];                                                                         \
        _Pragma("clang loop unroll(full)")                                                       \
        for (int l = 0; l < DL; l++) acc[l] = (f32x16){0};                                      \
        for (ptrdiff_t s = 0; s < d; s++) {                                                      \
            const f32x16 f = *(const f32x16u *)(phi + s * lanes + b);                            \
            for (ptrdiff_t r = 0; r < dr; r++) {                                                 \
                const f32x16 zv = f *  *(const f32x16u *)(rows + r * lanes + b);                 \
                *(f32x16u *)(z + (s * dr + r) * lanes + b) = zv;                                 \
                const float *column = a + s * dr + r;                                            \
                _Pragma("clang loop unroll(full)")                                               \
                for (int l = 0; l < DL; l++) acc[l] = acc[l] + zv * column[l * w];               \
            }                                                                                    \
        }                                                                                        \
        _Pragma("clang loop unroll(full)")                                                       \
        for (int l = 0; l < DL; l++) *(f32x16u *)(out + l * lanes + b) = acc[l];                 \
    }

// out[r, ·] = Σ_s phi[s, ·]·(Σ_l a[l, s, r]·x[l, ·]).
#define TRANSFER_BODY(DL)                                                                        \
    for (ptrdiff_t b = 0; b < lanes; b += LANES) {                                               \
        f32x16 xv[DL];                                                                          \
        _Pragma("clang loop unroll(full)")                                                       \
        for (int l = 0; l < DL; l++) xv[l] = *(const f32x16u *)(x + l * lanes + b);              \
        for (ptrdiff_t r = 0; r < dr; r++) {                                                     \
            f32x16 o = {0};                                                                     \
            for (ptrdiff_t s = 0; s < d; s++) {                                                  \
                const float *column = a + s * dr + r;                                            \
                f32x16 t = {0};                                                                 \
                _Pragma("clang loop unroll(full)")                                               \
                for (int l = 0; l < DL; l++) t = t + xv[l] * column[l * w];                      \
                const f32x16 f = *(const f32x16u *)(phi + s * lanes + b);                        \
                o = s == 0 ? t * f : o + t * f;                                                  \
            }                                                                                    \
            *(f32x16u *)(out + r * lanes + b) = o;                                               \
        }                                                                                        \
    }

#define BONDS(X) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14)     \
    X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23) X(24)

#define ABSORB_CASE(DL) case DL: { ABSORB_BODY(DL) } return 0;
#define TRANSFER_CASE(DL) case DL: { TRANSFER_BODY(DL) } return 0;

int tnb_lane_kernels_max_bond(void) { return 24; }

TNB_CLONES int tnb_lane_absorb_f32(const float *a, ptrdiff_t dl, ptrdiff_t d, ptrdiff_t dr, const float *phi,
                                   const float *rows, ptrdiff_t lanes, float *z, float *out) {
    _Pragma("STDC FP_CONTRACT ON")
    if (lanes % LANES != 0 || d < 1 || dr < 1) return -1;
    const ptrdiff_t w = d * dr;
    switch (dl) {
        BONDS(ABSORB_CASE)
        default: return -1;
    }
}

TNB_CLONES int tnb_lane_transfer_f32(const float *a, ptrdiff_t dl, ptrdiff_t d, ptrdiff_t dr, const float *phi,
                                     const float *x, ptrdiff_t lanes, float *out) {
    _Pragma("STDC FP_CONTRACT ON")
    if (lanes % LANES != 0 || d < 1 || dr < 1) return -1;
    const ptrdiff_t w = d * dr;
    switch (dl) {
        BONDS(TRANSFER_CASE)
        default: return -1;
    }
}

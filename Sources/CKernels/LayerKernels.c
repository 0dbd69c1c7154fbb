// The neural layers' loops that neither BLAS nor Swift's vectorizer serve (NeuralLayers'
// `LayerKernels`): the direct stride-1 2-D convolution of NHWC images (Conv2D's forward pass
// when its output rows fill vectors), max pooling with the positions of the maxima, and ReLU's
// backward pass (a select Swift compiled into a branch per element).
//
// The convolution vectorizes over 16 consecutive output pixels of a row: each image is first
// copied into a zero-padded planar buffer ([channel][row][column], rows and columns shifted by
// the padding), so that the 16 inputs one kernel tap meets are contiguous; 8 output channels are
// accumulated at a time in registers. Every output is summed in one fixed order — the bias (or
// zero), then the taps (dy, dx, c) in row-major order — whatever the vector width. The
// convolutions fuse each product into its sum where the build has FMA (the AVX-512 and Haswell
// builds, one of which every x86-64 machine of the last decade runs); the generic build rounds
// the product first, so on a processor without FMA their last bits differ, as OpenBLAS's do from
// one processor to another. Pooling and ReLU are exact: every build gives the same bits.
#include "CKernels.h"
#include <stdlib.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF

#include "TargetClones.h"

#define LANES 16
#define BLOCK 8

// 16 lanes as one generic vector (GCC/Clang vector extensions): one zmm register with AVX-512,
// two ymm with AVX2, four xmm otherwise; the arithmetic is lane by lane, IEEE, unfused. The
// unaligned types load and store at any float (double) address.
typedef float f32x16 __attribute__((vector_size(64)));
typedef float f32x16u __attribute__((vector_size(64), aligned(4)));
typedef double f64x16 __attribute__((vector_size(128)));
typedef double f64x16u __attribute__((vector_size(128), aligned(8)));

// One image [h, w, cin] into the zeroed planar buffer `plane` [cin][hp][wp]: column q holds
// input column q − padLeft, row r input row r − padTop (every image writes the same in-image
// places, so the zero border stays).
#define TO_PLANE(T, image)                                                                       \
    {                                                                                            \
        const T *source0 = (image);                                                              \
        const ptrdiff_t c0 = padLeft > 0 ? padLeft : 0, i0 = padLeft > 0 ? 0 : -padLeft;         \
        const ptrdiff_t span = (w - i0 < wp - c0) ? w - i0 : wp - c0;                            \
        for (ptrdiff_t c = 0; c < cin; c++)                                                      \
            for (ptrdiff_t r = 0; r < hp; r++) {                                                 \
                const ptrdiff_t iy = r - padTop;                                                 \
                if (iy < 0 || iy >= h || span <= 0) continue;                                    \
                T *row = plane + (c * hp + r) * wp;                                              \
                const T *source = source0 + (iy * w + i0) * cin + c;                             \
                for (ptrdiff_t q = 0; q < span; q++) row[c0 + q] = source[q * cin];              \
            }                                                                                    \
    }

// Returns 0 on success, -1 when the scratch buffers cannot be allocated (nothing is written).
#define CONV_FORWARD(T, V, VU)                                                                   \
    const ptrdiff_t blocks = (wo + LANES - 1) / LANES;                                           \
    const ptrdiff_t wp = blocks * LANES + kw - 1, hp = ho + kh - 1;                              \
    const ptrdiff_t cpad = (cout + BLOCK - 1) / BLOCK * BLOCK, taps = kh * kw * cin;             \
    T *plane = calloc((size_t)(cin * hp * wp), sizeof(T));                                       \
    T *kp = calloc((size_t)(taps * cpad), sizeof(T));                                            \
    T *bp = calloc((size_t)cpad, sizeof(T));                                                     \
    if (!plane || !kp || !bp) { free(plane); free(kp); free(bp); return -1; }                    \
    for (ptrdiff_t t = 0; t < taps; t++)                                                         \
        memcpy(kp + t * cpad, k + t * cout, (size_t)cout * sizeof(T));                           \
    if (bias) memcpy(bp, bias, (size_t)cout * sizeof(T));                                        \
    for (ptrdiff_t n = 0; n < batch; n++) {                                                      \
        TO_PLANE(T, x + n * h * w * cin)                                                         \
        T *out = y + n * ho * wo * cout;                                                         \
        for (ptrdiff_t ob = 0; ob < cpad; ob += BLOCK) {                                         \
            const ptrdiff_t valid = cout - ob < BLOCK ? cout - ob : BLOCK;                       \
            for (ptrdiff_t oy = 0; oy < ho; oy++)                                                \
                for (ptrdiff_t b = 0; b < blocks; b++) {                                         \
                    V a0, a1, a2, a3, a4, a5, a6, a7;                                            \
                    a0 = (V){0} + bp[ob]; a1 = (V){0} + bp[ob + 1];                              \
                    a2 = (V){0} + bp[ob + 2]; a3 = (V){0} + bp[ob + 3];                          \
                    a4 = (V){0} + bp[ob + 4]; a5 = (V){0} + bp[ob + 5];                          \
                    a6 = (V){0} + bp[ob + 6]; a7 = (V){0} + bp[ob + 7];                          \
                    for (ptrdiff_t dy = 0; dy < kh; dy++)                                        \
                        for (ptrdiff_t dx = 0; dx < kw; dx++)                                    \
                            for (ptrdiff_t c = 0; c < cin; c++) {                                \
                                const V xv = *(const VU *)(plane + (c * hp + oy + dy) * wp + b * LANES + dx); \
                                const T *kr = kp + ((dy * kw + dx) * cin + c) * cpad + ob;       \
                                a0 = a0 + xv * kr[0]; a1 = a1 + xv * kr[1];                      \
                                a2 = a2 + xv * kr[2]; a3 = a3 + xv * kr[3];                      \
                                a4 = a4 + xv * kr[4]; a5 = a5 + xv * kr[5];                      \
                                a6 = a6 + xv * kr[6]; a7 = a7 + xv * kr[7];                      \
                            }                                                                    \
                    T lanes[BLOCK][LANES];                                                       \
                    *(VU *)lanes[0] = a0; *(VU *)lanes[1] = a1; *(VU *)lanes[2] = a2;            \
                    *(VU *)lanes[3] = a3; *(VU *)lanes[4] = a4; *(VU *)lanes[5] = a5;            \
                    *(VU *)lanes[6] = a6; *(VU *)lanes[7] = a7;                                  \
                    const ptrdiff_t pixels = wo - b * LANES < LANES ? wo - b * LANES : LANES;    \
                    T *o = out + (oy * wo + b * LANES) * cout + ob;                              \
                    for (ptrdiff_t l = 0; l < pixels; l++)                                       \
                        for (ptrdiff_t j = 0; j < valid; j++) o[l * cout + j] = lanes[j][l];     \
                }                                                                                \
        }                                                                                        \
    }                                                                                            \
    free(plane); free(kp); free(bp);                                                             \
    return 0;

// The float and double entry points, each built for every target (TNB_CLONES), with
// multiply-adds fused where the target has FMA.
#define DEFINE_CONV_FORWARD(S, T, V, VU)                                                         \
    TNB_CLONES int tnb_conv2d_forward_##S(                                                       \
        const T *x, ptrdiff_t batch, ptrdiff_t h, ptrdiff_t w, ptrdiff_t cin,                    \
        const T *k, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t cout, const T *bias,                   \
        ptrdiff_t padTop, ptrdiff_t padLeft, ptrdiff_t ho, ptrdiff_t wo, T *y) {                 \
        _Pragma("STDC FP_CONTRACT ON")                                                           \
        CONV_FORWARD(T, V, VU)                                                                   \
    }
DEFINE_CONV_FORWARD(f32, float, f32x16, f32x16u)
DEFINE_CONV_FORWARD(f64, double, f64x16, f64x16u)

// The kernel gradient of the same convolution:
// dk[dy, dx, c, o] = Σ_{n, oy, ox} x[n, oy + dy − padTop, ox + dx − padLeft, c]·g[n, oy, ox, o].
// Each image and its output gradient are copied into planar buffers (the gradient's rows padded
// with zeros to whole vectors); each of 16 lanes sums its pixels (ox ≡ lane mod 16) over the
// images, rows and vectors in that order, then the lanes are added in a fixed tree (+8, +4, +2, +1).
#define CONV_KERNEL_GRADIENT(T, V, VU)                                                           \
    const ptrdiff_t blocks = (wo + LANES - 1) / LANES, wg = blocks * LANES;                      \
    const ptrdiff_t wp = wg + kw - 1, hp = ho + kh - 1;                                          \
    const ptrdiff_t cpad = (cout + BLOCK - 1) / BLOCK * BLOCK, taps = kh * kw * cin;             \
    T *plane = calloc((size_t)(cin * hp * wp), sizeof(T));                                       \
    T *gp = calloc((size_t)(cpad * ho * wg), sizeof(T));                                         \
    VU *sums = calloc((size_t)(taps * cpad), sizeof(VU)); /* malloc's alignment: unaligned type */ \
    if (!plane || !gp || !sums) { free(plane); free(gp); free(sums); return -1; }                \
    /* One image at a time (its planes stay in cache); every lane's sum runs over the images, \
       then the rows, then the vectors of a row, in order. */                                    \
    for (ptrdiff_t n = 0; n < batch; n++) {                                                      \
        TO_PLANE(T, x + n * h * w * cin)                                                         \
        const T *gn = g + n * ho * wo * cout;                                                    \
        for (ptrdiff_t oy = 0; oy < ho; oy++)                                                    \
            for (ptrdiff_t ox = 0; ox < wo; ox++)                                                \
                for (ptrdiff_t o = 0; o < cout; o++)                                             \
                    gp[(o * ho + oy) * wg + ox] = gn[(oy * wo + ox) * cout + o];                 \
        for (ptrdiff_t dy = 0; dy < kh; dy++)                                                    \
            for (ptrdiff_t dx = 0; dx < kw; dx++)                                                \
                for (ptrdiff_t c = 0; c < cin; c++)                                              \
                    for (ptrdiff_t ob = 0; ob < cpad; ob += BLOCK) {                             \
                        VU *a = sums + ((dy * kw + dx) * cin + c) * cpad + ob;                   \
                        V a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];                            \
                        V a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7];                            \
                        const T *xr = plane + (c * hp + dy) * wp + dx;                           \
                        const T *gr = gp + ob * ho * wg;                                         \
                        for (ptrdiff_t oy = 0; oy < ho; oy++)                                    \
                            for (ptrdiff_t b = 0; b < blocks; b++) {                             \
                                const V xv = *(const VU *)(xr + oy * wp + b * LANES);            \
                                const T *gq = gr + oy * wg + b * LANES;                          \
                                a0 = a0 + xv * *(const VU *)(gq);                                \
                                a1 = a1 + xv * *(const VU *)(gq + ho * wg);                      \
                                a2 = a2 + xv * *(const VU *)(gq + 2 * ho * wg);                  \
                                a3 = a3 + xv * *(const VU *)(gq + 3 * ho * wg);                  \
                                a4 = a4 + xv * *(const VU *)(gq + 4 * ho * wg);                  \
                                a5 = a5 + xv * *(const VU *)(gq + 5 * ho * wg);                  \
                                a6 = a6 + xv * *(const VU *)(gq + 6 * ho * wg);                  \
                                a7 = a7 + xv * *(const VU *)(gq + 7 * ho * wg);                  \
                            }                                                                    \
                        a[0] = a0; a[1] = a1; a[2] = a2; a[3] = a3;                              \
                        a[4] = a4; a[5] = a5; a[6] = a6; a[7] = a7;                              \
                    }                                                                            \
    }                                                                                            \
    for (ptrdiff_t t = 0; t < taps; t++)                                                         \
        for (ptrdiff_t o = 0; o < cout; o++) {                                                   \
            T l[LANES];                                                                          \
            *(VU *)l = sums[t * cpad + o];                                                       \
            for (int s = LANES / 2; s >= 1; s /= 2)                                              \
                for (int q = 0; q < s; q++) l[q] = l[q] + l[q + s];                              \
            dk[t * cout + o] = l[0];                                                             \
        }                                                                                        \
    free(plane); free(gp); free(sums);                                                           \
    return 0;

// The float and double entry points, each built for every target (TNB_CLONES), with
// multiply-adds fused where the target has FMA.
#define DEFINE_CONV_KERNEL_GRADIENT(S, T, V, VU)                                                 \
    TNB_CLONES int tnb_conv2d_kernel_gradient_##S(                                               \
        const T *x, ptrdiff_t batch, ptrdiff_t h, ptrdiff_t w, ptrdiff_t cin,                    \
        const T *g, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t cout,                                  \
        ptrdiff_t padTop, ptrdiff_t padLeft, ptrdiff_t ho, ptrdiff_t wo, T *dk) {                \
        _Pragma("STDC FP_CONTRACT ON")                                                           \
        CONV_KERNEL_GRADIENT(T, V, VU)                                                           \
    }
DEFINE_CONV_KERNEL_GRADIENT(f32, float, f32x16, f32x16u)
DEFINE_CONV_KERNEL_GRADIENT(f64, double, f64x16, f64x16u)

// Max pooling over non-overlapping ph × pw windows (stride = window, partial windows at the
// bottom and right dropped): for each output, the first maximum in row-major window order, with
// its flat input index; a NaN never replaces an earlier maximum (the comparison is `>`).
#define MAX_POOL(T)                                                                              \
    const ptrdiff_t ho = h / ph, wo = w / pw;                                                    \
    ptrdiff_t o = 0;                                                                             \
    for (ptrdiff_t n = 0; n < batch; n++)                                                        \
        for (ptrdiff_t oy = 0; oy < ho; oy++)                                                    \
            for (ptrdiff_t ox = 0; ox < wo; ox++, o += c) {                                      \
                const ptrdiff_t corner = ((n * h + oy * ph) * w + ox * pw) * c;                  \
                if (ph == 2 && pw == 2) {                                                        \
                    /* LeNet-5's windows: the four taps in registers, the channels vectorized. */ \
                    const T *t0 = x + corner, *t1 = t0 + c, *t2 = t0 + w * c, *t3 = t2 + c;      \
                    for (ptrdiff_t j = 0; j < c; j++) {                                          \
                        T best = t0[j];                                                          \
                        int32_t at = (int32_t)(corner + j);                                      \
                        if (t1[j] > best) { best = t1[j]; at = (int32_t)(corner + c + j); }      \
                        if (t2[j] > best) { best = t2[j]; at = (int32_t)(corner + w * c + j); }  \
                        if (t3[j] > best) { best = t3[j]; at = (int32_t)(corner + (w + 1) * c + j); } \
                        y[o + j] = best;                                                         \
                        argmax[o + j] = at;                                                      \
                    }                                                                            \
                    continue;                                                                    \
                }                                                                                \
                for (ptrdiff_t j = 0; j < c; j++) {                                              \
                    T best = x[corner + j];                                                      \
                    int32_t at = (int32_t)(corner + j);                                          \
                    for (ptrdiff_t dy = 0; dy < ph; dy++)                                        \
                        for (ptrdiff_t dx = 0; dx < pw; dx++) {                                  \
                            const ptrdiff_t tap = corner + (dy * w + dx) * c + j;                \
                            if (x[tap] > best) { best = x[tap]; at = (int32_t)tap; }             \
                        }                                                                        \
                    y[o + j] = best;                                                             \
                    argmax[o + j] = at;                                                          \
                }                                                                                \
            }

TNB_CLONES void tnb_max_pool_f32(const float *x, ptrdiff_t batch, ptrdiff_t h, ptrdiff_t w, ptrdiff_t c,
                                 ptrdiff_t ph, ptrdiff_t pw, float *y, int32_t *argmax) {
    MAX_POOL(float)
}

TNB_CLONES void tnb_max_pool_f64(const double *x, ptrdiff_t batch, ptrdiff_t h, ptrdiff_t w, ptrdiff_t c,
                                 ptrdiff_t ph, ptrdiff_t pw, double *y, int32_t *argmax) {
    MAX_POOL(double)
}

// ReLU's backward pass: out[i] = g[i] where z[i] > 0, else +0 (a NaN z gives 0).
#define RELU_BACKWARD(T, V, VU, I)                                                               \
    ptrdiff_t i = 0;                                                                             \
    for (; i + LANES <= n; i += LANES) {                                                         \
        const V zv = *(const VU *)(z + i), gv = *(const VU *)(g + i);                            \
        const I keep = zv > (V){0};                                                              \
        *(VU *)(out + i) = (V)((I)gv & keep);                                                    \
    }                                                                                            \
    for (; i < n; i++) out[i] = z[i] > 0 ? g[i] : 0;

typedef int32_t i32x16 __attribute__((vector_size(64)));
typedef int64_t i64x16 __attribute__((vector_size(128)));

TNB_CLONES void tnb_relu_backward_f32(const float *g, const float *z, float *out, ptrdiff_t n) {
    RELU_BACKWARD(float, f32x16, f32x16u, i32x16)
}

TNB_CLONES void tnb_relu_backward_f64(const double *g, const double *z, double *out, ptrdiff_t n) {
    RELU_BACKWARD(double, f64x16, f64x16u, i64x16)
}

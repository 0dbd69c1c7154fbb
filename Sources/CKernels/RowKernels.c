// The gradient-descent MPS engine's elementwise work on [rows, width] blocks (width = a bond
// dimension or d times one: often 10 or 20, too short for Swift's loops, whose vector body and
// scalar tail cost more than the arithmetic). Each kernel has a generic C body and, on x86-64,
// an AVX-512 body that covers a row in 16-float (8-double) pieces with a masked last piece. Both
// bodies perform the same correctly rounded operations in the same order per element (products
// and sums, never fused), so they give the same bits as each other and as the Swift loops they
// replaced; `tnb_row_kernels_use_vector` lets the tests compare them.
#include "CKernels.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF

#include "TargetClones.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define TNB_X86 1
#define TNB_AVX512 __attribute__((target("avx512f")))
#endif

// -1 unknown, 0 generic, 1 AVX-512; read and written atomically (relaxed: every thread finds the
// same answer).
static int vector_state = -1;

static int use_vector(void) {
    int state = __atomic_load_n(&vector_state, __ATOMIC_RELAXED);
    if (state < 0) {
#ifdef TNB_X86
        __builtin_cpu_init();
        state = __builtin_cpu_supports("avx512f") ? 1 : 0;
#else
        state = 0;
#endif
        __atomic_store_n(&vector_state, state, __ATOMIC_RELAXED);
    }
    return state;
}

int tnb_row_kernels_use_vector(int enabled) {
    int previous = use_vector();
#ifdef TNB_X86
    __builtin_cpu_init();
    int available = __builtin_cpu_supports("avx512f") ? 1 : 0;
#else
    int available = 0;
#endif
    __atomic_store_n(&vector_state, enabled && available ? 1 : 0, __ATOMIC_RELAXED);
    return previous;
}

int tnb_row_kernels_vector_available(void) {
#ifdef TNB_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
#else
    return 0;
#endif
}

// 2^k exactly — a subnormal below the normal range, 0 below the subnormals, +inf above the
// range — as Swift's Scalar(sign: .plus, exponent: k, significand: 1); built from bits (a libm
// ldexp call per row cost more than the row).
static inline float power2f(int64_t k) {
    uint32_t bits;
    if (k > 127) bits = 0x7F800000u;
    else if (k >= -126) bits = (uint32_t)(k + 127) << 23;
    else if (k >= -149) bits = 1u << (k + 149);
    else bits = 0;
    float x;
    memcpy(&x, &bits, 4);
    return x;
}
static inline double power2(int64_t k) {
    uint64_t bits;
    if (k > 1023) bits = 0x7FF0000000000000ull;
    else if (k >= -1022) bits = (uint64_t)(k + 1023) << 52;
    else if (k >= -1074) bits = 1ull << (k + 1074);
    else bits = 0;
    double x;
    memcpy(&x, &bits, 8);
    return x;
}

// The exponent e of a positive finite magnitude's bits, 2^e ≤ m < 2^(e+1) (subnormals included):
// Swift's `m.exponent`, C's ilogb.
static inline int exponent_f32(uint32_t bits) {
    return bits >= 0x00800000u ? (int)(bits >> 23) - 127 : (31 - __builtin_clz(bits)) - 149;
}
static inline int exponent_f64(uint64_t bits) {
    return bits >= 0x0010000000000000ull ? (int)(bits >> 52) - 1023 : (63 - __builtin_clzll(bits)) - 1074;
}

// MARK: generic bodies

#define OUTER_GENERIC(T)                                                                        \
    for (ptrdiff_t b = 0; b < n; b++) {                                                         \
        const T *row = rows + b * width;                                                        \
        for (ptrdiff_t s = 0; s < d; s++) {                                                     \
            const T f = phi[b * d + s];                                                         \
            T *o = out + (b * d + s) * width;                                                   \
            for (ptrdiff_t r = 0; r < width; r++) o[r] = f * row[r];                            \
        }                                                                                       \
    }

#define CONTRACT_GENERIC(T)                                                                     \
    for (ptrdiff_t b = 0; b < n; b++) {                                                         \
        const T *tb = t + b * d * width;                                                        \
        T *o = out + b * width;                                                                 \
        const T f0 = phi[b * d];                                                                \
        for (ptrdiff_t r = 0; r < width; r++) o[r] = f0 * tb[r];                                \
        for (ptrdiff_t s = 1; s < d; s++) {                                                     \
            const T f = phi[b * d + s];                                                         \
            const T *ts = tb + s * width;                                                       \
            for (ptrdiff_t r = 0; r < width; r++) o[r] = o[r] + f * ts[r];                      \
        }                                                                                       \
    }

static void outer_f32_generic(float *out, const float *phi, const float *rows, ptrdiff_t n, ptrdiff_t d, ptrdiff_t width) {
    OUTER_GENERIC(float)
}
static void outer_f64_generic(double *out, const double *phi, const double *rows, ptrdiff_t n, ptrdiff_t d, ptrdiff_t width) {
    OUTER_GENERIC(double)
}
static void contract_f32_generic(const float *t, const float *phi, float *out, ptrdiff_t n, ptrdiff_t d, ptrdiff_t width) {
    CONTRACT_GENERIC(float)
}
static void contract_f64_generic(const double *t, const double *phi, double *out, ptrdiff_t n, ptrdiff_t d, ptrdiff_t width) {
    CONTRACT_GENERIC(double)
}

// The largest magnitude's bits (sign cleared; NaN above +inf).
static inline uint32_t max_bits_f32_generic(const float *row, ptrdiff_t width) {
    uint32_t largest = 0;
    for (ptrdiff_t r = 0; r < width; r++) {
        uint32_t bits;
        memcpy(&bits, row + r, 4);
        bits &= 0x7FFFFFFFu;
        if (bits > largest) largest = bits;
    }
    return largest;
}
static inline uint64_t max_bits_f64_generic(const double *row, ptrdiff_t width) {
    uint64_t largest = 0;
    for (ptrdiff_t r = 0; r < width; r++) {
        uint64_t bits;
        memcpy(&bits, row + r, 8);
        bits &= 0x7FFFFFFFFFFFFFFFull;
        if (bits > largest) largest = bits;
    }
    return largest;
}

static void scale_row_f32_generic(const float *src, float *dst, ptrdiff_t width, float f1, float f2) {
    for (ptrdiff_t r = 0; r < width; r++) dst[r] = src[r] * f1 * f2;
}
static void scale_row_f64_generic(const double *src, double *dst, ptrdiff_t width, double f1, double f2) {
    for (ptrdiff_t r = 0; r < width; r++) dst[r] = src[r] * f1 * f2;
}

// MARK: AVX-512 bodies

#ifdef TNB_X86
static inline __mmask16 mask16(ptrdiff_t left) { return left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1); }
static inline __mmask8 mask8(ptrdiff_t left) { return left >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << left) - 1); }

TNB_AVX512 static void outer_f32_avx512(float *out, const float *phi, const float *rows, ptrdiff_t n, ptrdiff_t d, ptrdiff_t width) {
    for (ptrdiff_t b = 0; b < n; b++) {
        const float *row = rows + b * width;
        for (ptrdiff_t s = 0; s < d; s++) {
            const __m512 f = _mm512_set1_ps(phi[b * d + s]);
            float *o = out + (b * d + s) * width;
            for (ptrdiff_t r = 0; r < width; r += 16) {
                const __mmask16 m = mask16(width - r);
                _mm512_mask_storeu_ps(o + r, m, _mm512_mul_ps(f, _mm512_maskz_loadu_ps(m, row + r)));
            }
        }
    }
}
TNB_AVX512 static void outer_f64_avx512(double *out, const double *phi, const double *rows, ptrdiff_t n, ptrdiff_t d, ptrdiff_t width) {
    for (ptrdiff_t b = 0; b < n; b++) {
        const double *row = rows + b * width;
        for (ptrdiff_t s = 0; s < d; s++) {
            const __m512d f = _mm512_set1_pd(phi[b * d + s]);
            double *o = out + (b * d + s) * width;
            for (ptrdiff_t r = 0; r < width; r += 8) {
                const __mmask8 m = mask8(width - r);
                _mm512_mask_storeu_pd(o + r, m, _mm512_mul_pd(f, _mm512_maskz_loadu_pd(m, row + r)));
            }
        }
    }
}
TNB_AVX512 static void contract_f32_avx512(const float *t, const float *phi, float *out, ptrdiff_t n, ptrdiff_t d, ptrdiff_t width) {
    for (ptrdiff_t b = 0; b < n; b++) {
        const float *tb = t + b * d * width;
        float *o = out + b * width;
        for (ptrdiff_t r = 0; r < width; r += 16) {
            const __mmask16 m = mask16(width - r);
            __m512 acc = _mm512_mul_ps(_mm512_set1_ps(phi[b * d]), _mm512_maskz_loadu_ps(m, tb + r));
            for (ptrdiff_t s = 1; s < d; s++)
                acc = _mm512_add_ps(acc, _mm512_mul_ps(_mm512_set1_ps(phi[b * d + s]), _mm512_maskz_loadu_ps(m, tb + s * width + r)));
            _mm512_mask_storeu_ps(o + r, m, acc);
        }
    }
}
TNB_AVX512 static void contract_f64_avx512(const double *t, const double *phi, double *out, ptrdiff_t n, ptrdiff_t d, ptrdiff_t width) {
    for (ptrdiff_t b = 0; b < n; b++) {
        const double *tb = t + b * d * width;
        double *o = out + b * width;
        for (ptrdiff_t r = 0; r < width; r += 8) {
            const __mmask8 m = mask8(width - r);
            __m512d acc = _mm512_mul_pd(_mm512_set1_pd(phi[b * d]), _mm512_maskz_loadu_pd(m, tb + r));
            for (ptrdiff_t s = 1; s < d; s++)
                acc = _mm512_add_pd(acc, _mm512_mul_pd(_mm512_set1_pd(phi[b * d + s]), _mm512_maskz_loadu_pd(m, tb + s * width + r)));
            _mm512_mask_storeu_pd(o + r, m, acc);
        }
    }
}
TNB_AVX512 static uint32_t max_bits_f32_avx512(const float *row, ptrdiff_t width) {
    const __m512i magnitude = _mm512_set1_epi32(0x7FFFFFFF);
    __m512i largest = _mm512_setzero_si512();
    for (ptrdiff_t r = 0; r < width; r += 16) {
        const __m512i x = _mm512_maskz_loadu_epi32(mask16(width - r), row + r);
        largest = _mm512_max_epu32(largest, _mm512_and_si512(x, magnitude));
    }
    return (uint32_t)_mm512_reduce_max_epu32(largest);
}
TNB_AVX512 static uint64_t max_bits_f64_avx512(const double *row, ptrdiff_t width) {
    const __m512i magnitude = _mm512_set1_epi64(0x7FFFFFFFFFFFFFFFll);
    __m512i largest = _mm512_setzero_si512();
    for (ptrdiff_t r = 0; r < width; r += 8) {
        const __m512i x = _mm512_maskz_loadu_epi64(mask8(width - r), row + r);
        largest = _mm512_max_epu64(largest, _mm512_and_si512(x, magnitude));
    }
    return (uint64_t)_mm512_reduce_max_epu64(largest);
}
TNB_AVX512 static void scale_row_f32_avx512(const float *src, float *dst, ptrdiff_t width, float f1, float f2) {
    const __m512 a = _mm512_set1_ps(f1), c = _mm512_set1_ps(f2);
    for (ptrdiff_t r = 0; r < width; r += 16) {
        const __mmask16 m = mask16(width - r);
        _mm512_mask_storeu_ps(dst + r, m, _mm512_mul_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, src + r), a), c));
    }
}
TNB_AVX512 static void scale_row_f64_avx512(const double *src, double *dst, ptrdiff_t width, double f1, double f2) {
    const __m512d a = _mm512_set1_pd(f1), c = _mm512_set1_pd(f2);
    for (ptrdiff_t r = 0; r < width; r += 8) {
        const __mmask8 m = mask8(width - r);
        _mm512_mask_storeu_pd(dst + r, m, _mm512_mul_pd(_mm512_mul_pd(_mm512_maskz_loadu_pd(m, src + r), a), c));
    }
}
#define PICK(name, suffix) (use_vector() ? name##_##suffix##_avx512 : name##_##suffix##_generic)
#else
#define PICK(name, suffix) (name##_##suffix##_generic)
#endif

// MARK: entry points

void tnb_rows_outer_f32(float *out, const float *phi, const float *rows, ptrdiff_t n, ptrdiff_t d, ptrdiff_t width) {
    PICK(outer, f32)(out, phi, rows, n, d, width);
}
void tnb_rows_outer_f64(double *out, const double *phi, const double *rows, ptrdiff_t n, ptrdiff_t d, ptrdiff_t width) {
    PICK(outer, f64)(out, phi, rows, n, d, width);
}
void tnb_contract_physical_f32(const float *t, const float *phi, float *out, ptrdiff_t n, ptrdiff_t d, ptrdiff_t width) {
    PICK(contract, f32)(t, phi, out, n, d, width);
}
void tnb_contract_physical_f64(const double *t, const double *phi, double *out, ptrdiff_t n, ptrdiff_t d, ptrdiff_t width) {
    PICK(contract, f64)(t, phi, out, n, d, width);
}

// One body per precision, by macro: T the scalar, U its bits, S the type suffix, POW the exact
// power of two, EXP the exponent of a magnitude's bits, INF +inf's bits; EMAX the largest exponent.
#define NORMALIZE_ROWS(T, U, S, POW, EXP, INF)                                                   \
    U (*max_bits)(const T *, ptrdiff_t) = PICK(max_bits, S);                                     \
    void (*scale)(const T *, T *, ptrdiff_t, T, T) = PICK(scale_row, S);                         \
    for (ptrdiff_t b = 0; b < n; b++) {                                                          \
        T *row = rows + b * width;                                                               \
        const U bits = max_bits(row, width);                                                     \
        if (bits == 0 || bits >= INF) continue; /* zero, or a non-finite entry */                \
        const int e = EXP(bits);                                                                 \
        if (e > -16 && e < 16) continue;                                                         \
        const int64_t k = -(int64_t)e, k1 = k / 2, k2 = k - k1;                                  \
        scale(row, row, width, POW(k1), POW(k2));                                                \
        exponents[b] += e;                                                                       \
    }

#define SCALE_ROWS(T, S, POW, EMAX)                                                              \
    void (*scale)(const T *, T *, ptrdiff_t, T, T) = PICK(scale_row, S);                         \
    for (ptrdiff_t b = 0; b < n; b++) {                                                          \
        const int64_t k = shifts[b];                                                             \
        if (k < -2 * (EMAX) - 64) {                                                              \
            memset(dst + b * width, 0, (size_t)width * sizeof(T));                               \
            continue;                                                                            \
        }                                                                                        \
        const int64_t k1 = k / 2, k2 = k - k1;                                                   \
        scale(src + b * width, dst + b * width, width, POW(k1), POW(k2));                        \
    }

void tnb_normalize_rows_f32(float *rows, ptrdiff_t n, ptrdiff_t width, int64_t *exponents) {
    NORMALIZE_ROWS(float, uint32_t, f32, power2f, exponent_f32, 0x7F800000u)
}
void tnb_normalize_rows_f64(double *rows, ptrdiff_t n, ptrdiff_t width, int64_t *exponents) {
    NORMALIZE_ROWS(double, uint64_t, f64, power2, exponent_f64, 0x7FF0000000000000ull)
}

void tnb_scale_rows_f32(const float *src, float *dst, ptrdiff_t n, ptrdiff_t width, const int64_t *shifts) {
    SCALE_ROWS(float, f32, power2f, 127)
}
void tnb_scale_rows_f64(const double *src, double *dst, ptrdiff_t n, ptrdiff_t width, const int64_t *shifts) {
    SCALE_ROWS(double, f64, power2, 1023)
}

// MARK: the same rescalings in lane layout (MPSGradientEngine's lane path): a block [width][lanes]
// holds sample b in column b. Plain loops over the lanes, which the compiler vectorizes (AVX-512,
// Haswell and generic bodies, TNB_CLONES: integer work and separate multiplications, so every body
// gives the same bits); the operations per element are those of the row versions above, so the
// numbers are the same. Each first tests, in one vector pass, for the common case — no lane to
// renormalize, or every shift within [−252, 254], where both halves of 2^shift are normal floats
// built from their exponent bits — and takes the per-lane scalar path only outside it.

#define LANE_CHUNK 64

TNB_CLONES void tnb_lane_normalize_f32(float *rows, ptrdiff_t width, ptrdiff_t lanes, ptrdiff_t n, int64_t *exponents) {
    for (ptrdiff_t b0 = 0; b0 < n; b0 += LANE_CHUNK) {
        const ptrdiff_t count = n - b0 < LANE_CHUNK ? n - b0 : LANE_CHUNK;
        uint32_t largest[LANE_CHUNK] = {0};
        for (ptrdiff_t i = 0; i < width; i++) {
            const float *row = rows + i * lanes + b0;
            for (ptrdiff_t b = 0; b < count; b++) {
                uint32_t bits;
                memcpy(&bits, row + b, 4);
                bits &= 0x7FFFFFFFu;
                largest[b] = bits > largest[b] ? bits : largest[b];
            }
        }
        // A lane is left alone when its largest magnitude is zero, not finite, or of exponent
        // −15…15 (bits 0x38000000 ≤ x < 0x47800000): when every lane is, nothing changes.
        int needed = 0;
        for (ptrdiff_t b = 0; b < count; b++) {
            const uint32_t x = largest[b];
            needed |= (x != 0) & (x < 0x7F800000u) & ((x < 0x38000000u) | (x >= 0x47800000u));
        }
        if (!needed) continue;
        float f1[LANE_CHUNK], f2[LANE_CHUNK];
        int any = 0;
        for (ptrdiff_t b = 0; b < count; b++) {
            f1[b] = 1;
            f2[b] = 1;
            const uint32_t bits = largest[b];
            if (bits == 0 || bits >= 0x7F800000u) continue; /* zero, or a non-finite entry */
            const int e = exponent_f32(bits);
            if (e > -16 && e < 16) continue;
            const int64_t k = -(int64_t)e, k1 = k / 2, k2 = k - k1;
            f1[b] = power2f(k1);
            f2[b] = power2f(k2);
            exponents[b0 + b] += e;
            any = 1;
        }
        if (!any) continue;
        for (ptrdiff_t i = 0; i < width; i++) {
            float *row = rows + i * lanes + b0;
            for (ptrdiff_t b = 0; b < count; b++) row[b] = row[b] * f1[b] * f2[b];
        }
    }
}

TNB_CLONES void tnb_lane_scale_f32(const float *src, float *dst, ptrdiff_t width, ptrdiff_t lanes, ptrdiff_t n,
                                   const int64_t *shifts) {
    for (ptrdiff_t b0 = 0; b0 < n; b0 += LANE_CHUNK) {
        const ptrdiff_t count = n - b0 < LANE_CHUNK ? n - b0 : LANE_CHUNK;
        float f1[LANE_CHUNK], f2[LANE_CHUNK];
        unsigned char zero[LANE_CHUNK];
        // Every shift k in [−252, 254]: k/2 and k − k/2 lie in [−126, 127], so power2f of each is
        // the normal float with exponent bits k + 127, and no lane is zeroed.
        int normal = 1;
        for (ptrdiff_t b = 0; b < count; b++) {
            const int64_t k = shifts[b0 + b];
            normal &= (k >= -252) & (k <= 254);
        }
        if (normal) {
            for (ptrdiff_t b = 0; b < count; b++) {
                const int64_t k = shifts[b0 + b], k1 = k / 2, k2 = k - k1;
                const uint32_t bits1 = (uint32_t)(k1 + 127) << 23, bits2 = (uint32_t)(k2 + 127) << 23;
                memcpy(f1 + b, &bits1, 4);
                memcpy(f2 + b, &bits2, 4);
            }
            for (ptrdiff_t i = 0; i < width; i++) {
                const float *from = src + i * lanes + b0;
                float *to = dst + i * lanes + b0;
                for (ptrdiff_t b = 0; b < count; b++) to[b] = from[b] * f1[b] * f2[b];
            }
            continue;
        }
        for (ptrdiff_t b = 0; b < count; b++) {
            const int64_t k = shifts[b0 + b];
            zero[b] = k < -2 * 127 - 64;
            const int64_t k1 = zero[b] ? 0 : k / 2, k2 = zero[b] ? 0 : k - k1;
            f1[b] = power2f(k1);
            f2[b] = power2f(k2);
        }
        for (ptrdiff_t i = 0; i < width; i++) {
            const float *from = src + i * lanes + b0;
            float *to = dst + i * lanes + b0;
            for (ptrdiff_t b = 0; b < count; b++) to[b] = zero[b] ? 0.0f : from[b] * f1[b] * f2[b];
        }
    }
}

TNB_CLONES int tnb_lane_common_scale_f32(const float *src, float *dst, ptrdiff_t width, ptrdiff_t lanes, ptrdiff_t n,
                              const int64_t *e1, const int64_t *e2, int64_t *shifts, int64_t *common) {
    int64_t m = INT64_MIN;
    for (ptrdiff_t b = 0; b < n; b++) {
        const int64_t e = e1[b] + (e2 ? e2[b] : 0);
        shifts[b] = e;
        m = e > m ? e : m;
    }
    *common = n > 0 ? m : 0;
    int any = 0;
    for (ptrdiff_t b = 0; b < n; b++) {
        shifts[b] -= m;
        any |= shifts[b] != 0;
    }
    if (!any) return 0;
    tnb_lane_scale_f32(src, dst, width, lanes, n, shifts);
    return 1;
}

/*
 * Ledgermind native kernels for the K-quant Q6_K: the binary32 canonical product of dequantized-value weights
 * with F32 activations (docs/DESIGN.md section 3, "Weight types"; the Java class Q6_KTensor states the element
 * value), called from Java through the FFM API (NativeKernels.java, block h/q6k). Same bits as the Java kernels,
 * by construction:
 *
 *   element value   w[i] = (d * sc) * (q - 32)    (llama.cpp's dequantize_row_q6_K: d the f16 super-block scale
 *                                                   widened exactly, sc the int8 sub-block scale and q - 32 exact
 *                                                   as floats; d * sc rounded first, then one more multiply)
 *   for each output (row r): acc[0..15] = +0.0f
 *   for i = 0 .. cols-1 (increasing):   acc[i mod 16] = fma(w[i], x[i], acc[i mod 16])
 *   y = ((a0+a1)+(a2+a3)) + ((a4+a5)+(a6+a7))  +  ((a8+a9)+(a10+a11)) + ((a12+a13)+(a14+a15))
 *
 * A run of 16 consecutive elements shares one scale, so one 512-bit register holds a run: lane m is element
 * 16j + m, partial sum m. The 16 products d * sc of a super-block are one vector multiply (the same roundings as
 * the Java kernels' scalar d * sc), each run's value vector is one multiply of the exact (q - 32) by the broadcast
 * d * sc, then one fma. The 6-bit codes are assembled on bytes (masks and shifts: integer operations, exact), as
 * the Java kernels assemble them on 32-bit lanes. Compiled with -ffp-contract=off and without -ffast-math
 * (build.sh), so gcc neither fuses the multiply with the fma's add nor reorders anything.
 *
 * The weights are read where the Java tensor holds them: its segment of the mapped file (210 bytes a super-block
 * of 256: ql[128] low 4 bits, qh[64] high 2 bits, sc[16] int8, f16 d). Element e of a super-block, n = e / 128,
 * k = (e % 128) / 32, l = e % 32: low bits of ql[64n + l + 32(k & 1)] (low nibble for k < 2, high otherwise),
 * high bits (qh[32n + l] >> 2k) & 3, scale sc[e / 16]. Activations and outputs are Java float[] arrays, passed
 * as heap segments to a critical downcall (no copy).
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledgermind_values.h"

#define Q6K_KERNEL __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,f16c,fma")))

#define Q6K_BYTES 210

/* Dot.combine's fixed tree over the 16 lanes of acc (the same additions, operands and order). */
Q6K_KERNEL static inline float q6k_tree16(__m512 acc) {
    float s[16];
    _mm512_storeu_ps(s, acc);
    float a = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    float b = ((s[8] + s[9]) + (s[10] + s[11])) + ((s[12] + s[13]) + (s[14] + s[15]));
    return a + b;
}

Q6K_KERNEL static inline float q6k_f16at(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h); /* exact, subnormals included */
}

/* The 16 products d * sc[j] of the super-block at p (binary32, one rounding each; int8 to float is exact). */
Q6K_KERNEL static inline __m512 q6k_dsc(const uint8_t *p) {
    const __m512 sc = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *) (p + 192))));
    return _mm512_mul_ps(_mm512_set1_ps(q6k_f16at(p + 208)), sc);
}

/*
 * The codes minus 32 of half n (elements 128n .. 128n + 127) of the super-block at p, as signed bytes:
 * *q01 = elements 128n + 0..63 (k = 0, 1: low nibbles of ql[64n ..], high bits qh >> 0, qh >> 2),
 * *q23 = elements 128n + 64..127 (k = 2, 3: high nibbles, qh >> 4, qh >> 6). ((qh >> 2k) & 3) << 4 is taken as
 * (qh << 4), (qh << 2), qh, (qh >> 2) on 16-bit lanes, masked with 0x30 per byte (the bits kept never cross a byte).
 */
Q6K_KERNEL static inline void q6k_codes(const uint8_t *p, int n, __m512i *q01, __m512i *q23) {
    const __m512i L = _mm512_loadu_si512((const void *) (p + 64 * n));
    const __m512i H = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *) (p + 128 + 32 * n)));
    const __m512i m0f = _mm512_set1_epi8(0x0f), m30 = _mm512_set1_epi8(0x30), m32 = _mm512_set1_epi8(32);
    /* 16-bit lane shift counts: the low 256 bits (k = 0 or 2) and the high 256 bits (k = 1 or 3) */
    const __m512i s01 = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
    const __m512i s23 = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
    const __m512i h01 = _mm512_and_si512(_mm512_sllv_epi16(H, s01), m30);
    const __m512i h23 = _mm512_and_si512(_mm512_srlv_epi16(H, s23), m30);
    const __m512i l01 = _mm512_and_si512(L, m0f);
    const __m512i l23 = _mm512_and_si512(_mm512_srli_epi16(L, 4), m0f);
    *q01 = _mm512_sub_epi8(_mm512_or_si512(l01, h01), m32);
    *q23 = _mm512_sub_epi8(_mm512_or_si512(l23, h23), m32);
}

/* The exact binary32 values of the 16 signed bytes in 128-bit lane m of v. */
#define Q6K_LANE(v, m) _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm512_extracti32x4_epi32((v), (m))))

/*
 * The decode step for R rows side by side (R independent chains of fmas sharing each load of x): row i at
 * w0 + i * rowBytes, nsb super-blocks, y[i] its output. prefetch != 0: the rows prefetch rows ahead are brought
 * into L2 in the order they will be read.
 */
#define Q6K_ROWS_WITH(ATTR, NAME, R, SETUP, DSC, STEP)                                                       \
    ATTR __attribute__((unused)) static void NAME(const uint8_t *w0, int64_t rowBytes, int64_t nsb,           \
                                                  const float *x, float *y, int prefetch) {                \
        __m512 a[R];                                                                                         \
        SETUP                                                                                                \
        _Pragma("GCC unroll 8") for (int i = 0; i < R; i++) a[i] = _mm512_setzero_ps();                      \
        for (int64_t sb = 0; sb < nsb; sb++) {                                                               \
            const float *xb = x + 256 * sb;                                                                  \
            float dsc[R][16] __attribute__((aligned(64)));                                                   \
            _Pragma("GCC unroll 8") for (int i = 0; i < R; i++) {                                            \
                const uint8_t *p = w0 + i * rowBytes + Q6K_BYTES * sb;                                       \
                if (prefetch) {                                                                              \
                    const char *f = (const char *) (p + prefetch * rowBytes);                                \
                    _mm_prefetch(f, _MM_HINT_T1);                                                            \
                    _mm_prefetch(f + 64, _MM_HINT_T1);                                                       \
                    _mm_prefetch(f + 128, _MM_HINT_T1);                                                      \
                    _mm_prefetch(f + 192, _MM_HINT_T1);                                                      \
                }                                                                                            \
                _mm512_store_ps(dsc[i], DSC(p));                                                              \
            }                                                                                                \
            for (int n = 0; n < 2; n++) {                                                                    \
                __m512i q01[R], q23[R];                                                                      \
                _Pragma("GCC unroll 8") for (int i = 0; i < R; i++)                                          \
                    q6k_codes(w0 + i * rowBytes + Q6K_BYTES * sb, n, &q01[i], &q23[i]);                      \
                const float *xn = xb + 128 * n;                                                              \
                STEP(R, q01, 0, 8 * n + 0, xn + 0)                                                       \
                STEP(R, q01, 1, 8 * n + 1, xn + 16)                                                      \
                STEP(R, q01, 2, 8 * n + 2, xn + 32)                                                      \
                STEP(R, q01, 3, 8 * n + 3, xn + 48)                                                      \
                STEP(R, q23, 0, 8 * n + 4, xn + 64)                                                      \
                STEP(R, q23, 1, 8 * n + 5, xn + 80)                                                      \
                STEP(R, q23, 2, 8 * n + 6, xn + 96)                                                      \
                STEP(R, q23, 3, 8 * n + 7, xn + 112)                                                     \
            }                                                                                                \
        }                                                                                                    \
        _Pragma("GCC unroll 8") for (int i = 0; i < R; i++) y[i] = q6k_tree16(a[i]);                         \
    }

/* The kernel above: each run widened by Q6K_LANE and multiplied by the super-block's d * sc. */
#define Q6K_NO_SETUP
#define Q6K_DSC(p) q6k_dsc(p)
#define Q6K_ROWS(R) Q6K_ROWS_WITH(Q6K_KERNEL, q6k_rows##R, R, Q6K_NO_SETUP, Q6K_DSC, Q6K_STEP)

/* One run of 16 (128-bit lane m of the code vectors q, scale j, activations xs) for the R rows. */
#define Q6K_STEP(R, q, m, j, xs)                                                                             \
    {                                                                                                        \
        const __m512 xv = _mm512_loadu_ps(xs);                                                               \
        _Pragma("GCC unroll 8") for (int i = 0; i < R; i++) {                                                \
            const __m512 wv = _mm512_mul_ps(Q6K_LANE(q[i], m), _mm512_set1_ps(dsc[i][j]));                   \
            a[i] = _mm512_fmadd_ps(wv, xv, a[i]);                                                            \
        }                                                                                                    \
    }

Q6K_ROWS(8)
Q6K_ROWS(4)
Q6K_ROWS(2)
Q6K_ROWS(1)

#ifndef Q6K_DECODE_ROWS
#define Q6K_DECODE_ROWS 4
#endif
#ifndef Q6K_PREFETCH
#define Q6K_PREFETCH 1
#endif
#define Q6K_CAT_(a, b) a##b
#define Q6K_CAT(a, b) Q6K_CAT_(a, b)

/*
 * The decode step with VBMI (vpermb), the default where the CPU has it: the same codes (signed bytes q - 32, from
 * q6k_codes), but each run of 16 is widened in 2 vector operations instead of 3: a zero-masked vpermb puts code
 * byte m of the run into byte 3 (the top) of dword lane m, which is then the int32 (q - 32) * 2^24 exactly, and
 * vcvtdq2ps makes it the float (q - 32) * 2^24 exactly (at most 6 significant bits). It is multiplied by
 * (d * sc) * 2^-24, computed per super-block as d * sc (the same vector multiply as above) times 2^-24: exact
 * scaling by a power of two (|d * sc| >= 2^-24 when not zero, so the product stays >= 2^-48, far from
 * subnormal; zeros keep their sign, infinities and NaN stay what they are). The exact product of the two is
 * (d * sc) * (q - 32), so the rounded product is the same float as the one above, bit for bit: same value when
 * finite (exact either way), the same sign of zero (sign(d * sc) xor sign(q - 32), with q - 32 = 0 a +0 in both),
 * inf * 0 = NaN where d * sc is infinite and q = 32, as above. Then the same fma, in the same lane and order.
 * On Zen 4 the widening is what the kernel is bound by (the fma unit does the multiply and the fma, the other
 * two units everything else), so this is about 1.1x the kernel above (docs/performance.md, h/q6k).
 */
#define Q6K_VBMI __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vbmi,f16c,fma")))

/* vpermb indices: byte 4m + 3 = 16 l + m (run l of a code vector into the top byte of lane m); masked bytes 0. */
#define Q6K_TOP(l) _mm512_set_epi32((16 * (l) + 15) << 24, (16 * (l) + 14) << 24, (16 * (l) + 13) << 24,     \
                                    (16 * (l) + 12) << 24, (16 * (l) + 11) << 24, (16 * (l) + 10) << 24,     \
                                    (16 * (l) + 9) << 24, (16 * (l) + 8) << 24, (16 * (l) + 7) << 24,        \
                                    (16 * (l) + 6) << 24, (16 * (l) + 5) << 24, (16 * (l) + 4) << 24,        \
                                    (16 * (l) + 3) << 24, (16 * (l) + 2) << 24, (16 * (l) + 1) << 24,        \
                                    (16 * (l) + 0) << 24)
#define Q6K_TOPMASK 0x8888888888888888ULL

/* The VBMI kernel: the same loop (Q6K_ROWS_WITH), runs widened by Q6K_VSTEP, scales d * sc * 2^-24. */
#define Q6K_VSETUP const __m512i t[4] = {Q6K_TOP(0), Q6K_TOP(1), Q6K_TOP(2), Q6K_TOP(3)};
#define Q6K_VDSC(p) _mm512_mul_ps(q6k_dsc(p), _mm512_set1_ps(0x1p-24f))
#define Q6K_VROWS(R) Q6K_ROWS_WITH(Q6K_VBMI, q6k_vrows##R, R, Q6K_VSETUP, Q6K_VDSC, Q6K_VSTEP)

/* One run of 16 (run m of the code vectors q, through the indices t[m]; scale j; activations xs) for the R rows. */
#define Q6K_VSTEP(R, q, m, j, xs)                                                                            \
    {                                                                                                        \
        const __m512 xv = _mm512_loadu_ps(xs);                                                               \
        _Pragma("GCC unroll 8") for (int i = 0; i < R; i++) {                                                \
            const __m512 v = _mm512_cvtepi32_ps(_mm512_maskz_permutexvar_epi8(Q6K_TOPMASK, t[m], q[i]));     \
            const __m512 wv = _mm512_mul_ps(v, _mm512_set1_ps(dsc[i][j]));                                   \
            a[i] = _mm512_fmadd_ps(wv, xv, a[i]);                                                            \
        }                                                                                                    \
    }

Q6K_VROWS(4)
Q6K_VROWS(2)
Q6K_VROWS(1)

/* 1 where the CPU has AVX-512 VBMI (the q6k_vrows kernels), 0 where not; -1 until asked. */
static int q6k_vbmi = -1;

static int q6k_has_vbmi(void) {
    int v = __atomic_load_n(&q6k_vbmi, __ATOMIC_RELAXED);
    if (v < 0) {
        __builtin_cpu_init();
        v = __builtin_cpu_supports("avx512vbmi") ? 1 : 0;
        if (getenv("LEDGERMIND_Q6K_NO_VBMI") != NULL) v = 0; /* for comparing the two kernels */
        __atomic_store_n(&q6k_vbmi, v, __ATOMIC_RELAXED);
    }
    return v;
}

/*
 * The decode step: y[yOff + r] = dot(row r, x[xOff ..]) for rows [r0, r1) of the Q6_K tensor at w (rowBytes a
 * row, nsb super-blocks of 256 a row): Q6K_DECODE_ROWS rows side by side, the next group prefetched; the VBMI
 * kernels where the CPU has them (4 rows), the ones above where not.
 */
Q6K_KERNEL void lm_q6_k_matvec(const uint8_t *w, int64_t rowBytes, int64_t nsb, int32_t r0, int32_t r1,
                               const float *x, int64_t xOff, float *y, int64_t yOff) {
    x += xOff;
    y += yOff;
    int32_t r = r0;
    if (q6k_has_vbmi()) {
        for (; r + 4 <= r1; r += 4)
            q6k_vrows4(w + r * rowBytes, rowBytes, nsb, x, y + r, Q6K_PREFETCH && r + 8 <= r1 ? 4 : 0);
        for (; r + 2 <= r1; r += 2) q6k_vrows2(w + r * rowBytes, rowBytes, nsb, x, y + r, 0);
        for (; r < r1; r++) q6k_vrows1(w + r * rowBytes, rowBytes, nsb, x, y + r, 0);
        return;
    }
    for (; r + Q6K_DECODE_ROWS <= r1; r += Q6K_DECODE_ROWS) {
        Q6K_CAT(q6k_rows, Q6K_DECODE_ROWS)(w + r * rowBytes, rowBytes, nsb, x, y + r,
                                           Q6K_PREFETCH && r + 2 * Q6K_DECODE_ROWS <= r1 ? Q6K_DECODE_ROWS : 0);
    }
    for (; r + 2 <= r1; r += 2) q6k_rows2(w + r * rowBytes, rowBytes, nsb, x, y + r, 0);
    for (; r < r1; r++) q6k_rows1(w + r * rowBytes, rowBytes, nsb, x, y + r, 0);
}

/* ------------------------------------------------------------------ the batched product (prefill, replay) */

/* One Q6_K super-block at p decoded into out[0..256): w[e] = (d * sc[e / 16]) * (q[e] - 32), exactly as above. */
Q6K_KERNEL static inline void q6k_decode(const uint8_t *p, float *out) {
    float dsc[16] __attribute__((aligned(64)));
    _mm512_store_ps(dsc, q6k_dsc(p));
    for (int n = 0; n < 2; n++) {
        __m512i q01, q23;
        q6k_codes(p, n, &q01, &q23);
        float *o = out + 128 * n;
        _mm512_store_ps(o + 0, _mm512_mul_ps(Q6K_LANE(q01, 0), _mm512_set1_ps(dsc[8 * n + 0])));
        _mm512_store_ps(o + 16, _mm512_mul_ps(Q6K_LANE(q01, 1), _mm512_set1_ps(dsc[8 * n + 1])));
        _mm512_store_ps(o + 32, _mm512_mul_ps(Q6K_LANE(q01, 2), _mm512_set1_ps(dsc[8 * n + 2])));
        _mm512_store_ps(o + 48, _mm512_mul_ps(Q6K_LANE(q01, 3), _mm512_set1_ps(dsc[8 * n + 3])));
        _mm512_store_ps(o + 64, _mm512_mul_ps(Q6K_LANE(q23, 0), _mm512_set1_ps(dsc[8 * n + 4])));
        _mm512_store_ps(o + 80, _mm512_mul_ps(Q6K_LANE(q23, 1), _mm512_set1_ps(dsc[8 * n + 5])));
        _mm512_store_ps(o + 96, _mm512_mul_ps(Q6K_LANE(q23, 2), _mm512_set1_ps(dsc[8 * n + 6])));
        _mm512_store_ps(o + 112, _mm512_mul_ps(Q6K_LANE(q23, 3), _mm512_set1_ps(dsc[8 * n + 7])));
    }
}

/* The batched product: ledgermind_values.h's shared driver and 4 x 4 tiles over rows decoded by q6k_decode. */
Q6K_KERNEL void lm_q6_k_matmul(const uint8_t *wt, int64_t rowBytes, int64_t nsb, int32_t r0, int32_t r1,
                               const float *x, int64_t xOff, int64_t xStride, int32_t batch,
                               float *y, int64_t yOff, int64_t yStride) {
    lm_values_matmul(q6k_decode, Q6K_BYTES, 256, wt, rowBytes, nsb, r0, r1, x, xOff, xStride, batch, y, yOff, yStride);
}

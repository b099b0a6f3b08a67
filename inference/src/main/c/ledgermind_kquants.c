/*
 * Ledgermind native kernels for the K-quant Q4_K: the binary32 canonical product of dequantized-value weights
 * with F32 activations (docs/DESIGN.md section 3, "Weight types"; the Java class Q4_KTensor states the element
 * value), called from Java through the FFM API (NativeKernels.java). Same bits as the Java kernels, by
 * construction:
 *
 *   element value   w[i] = (d * sc) * q - (dmin * mn)   (llama.cpp's dequantize_row_q4_K: binary32 multiply,
 *                                                         multiply, multiply, subtract; each one rounding, no fma)
 *   for each output (row r, input t): acc[0..15] = +0.0f
 *   for i = 0 .. cols-1 (increasing):   acc[i mod 16] = fma(w[i], x[i], acc[i mod 16])
 *   y = ((a0+a1)+(a2+a3)) + ((a4+a5)+(a6+a7))  +  ((a8+a9)+(a10+a11)) + ((a12+a13)+(a14+a15))
 *
 * Within a sub-block of 32 elements the value depends only on the 4-bit code q, so the kernels compute the 16
 * possible values of a sub-block once, with exactly the operations above (one vector multiply of q = 0..15 by
 * the broadcast d * sc, one vector subtract of the broadcast dmin * mn; the same roundings as element by element),
 * and look each element's value up with vpermps (_mm512_permutexvar_ps uses the low 4 bits of each index lane:
 * a code byte zero-extended is the low nibble's index as it is, shifted right by 4 the high nibble's). A lookup
 * copies a value, so every w[i] is the one the Java kernels compute, and the fmas and the tree are the listed ones,
 * in the listed order (lane m of a 512-bit register is partial sum m). Compiled with -ffp-contract=off and without
 * -ffast-math (build.sh), so gcc neither fuses the multiply with the subtract nor reorders anything.
 *
 * The weights are read where the Java tensor holds them: its segment of the mapped file (144 bytes a super-block
 * of 256: f16 d, f16 dmin, 12 bytes of packed 6-bit scales and mins, 128 bytes of nibbles; sub-blocks 2g and
 * 2g + 1 share qs[32g .. 32g + 32): low nibbles, then high). Activations and outputs are Java float[] arrays,
 * passed as heap segments to a critical downcall (no copy).
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledgermind_values.h"

#define KERNEL __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,f16c,fma")))

#define Q4K_BYTES 144

/* Dot.combine's fixed tree over the 16 lanes of acc (the same additions, operands and order). */
KERNEL static inline float kq_tree16(__m512 acc) {
    float s[16];
    _mm512_storeu_ps(s, acc);
    float a = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    float b = ((s[8] + s[9]) + (s[10] + s[11])) + ((s[12] + s[13]) + (s[14] + s[15]));
    return a + b;
}

KERNEL static inline float f16at(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h); /* exact, subnormals included */
}

/*
 * The 8 sub-block scales and 8 mins of the Q4_K super-block at p (6 bits each, packed in its 12 bytes at p + 4:
 * Q4_KTensor.scale / min), multiplied out: dm[j] = d * sc_j, dm[8 + j] = dmin * mn_j (binary32, one rounding each,
 * as the Java kernels' scalar d * scale; int to float is exact). The unpacking is llama.cpp's (get_scale_min_k4 for
 * all 8 at once with 32-bit masks).
 */
KERNEL static inline void q4k_scales(const uint8_t *p, float *dm) {
    uint32_t u[4];
    memcpy(u, p + 4, 12);
    u[3] = ((u[2] >> 4) & 0x0f0f0f0fu) | (((u[1] >> 6) & 0x03030303u) << 4);
    const uint32_t m0 = u[1] & 0x3f3f3f3fu;
    u[1] = (u[2] & 0x0f0f0f0fu) | (((u[0] >> 6) & 0x03030303u) << 4);
    u[2] = m0;
    u[0] &= 0x3f3f3f3fu;
    /* bytes 0..7 of u: the 8 scales, bytes 8..15: the 8 mins */
    const __m512 v = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *) u)));
    const __m512 dd = _mm512_mask_blend_ps(0xff00, _mm512_set1_ps(f16at(p)), _mm512_set1_ps(f16at(p + 2)));
    _mm512_storeu_ps(dm, _mm512_mul_ps(dd, v));
}

static const float KQ_IOTA[16] __attribute__((aligned(64))) = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

/* The value table of sub-block j: lane q = dm[j] * q - dm[8 + j] (q = 0..15; the element operations, exactly). */
#define Q4K_TABLE(dm, j) _mm512_sub_ps(_mm512_mul_ps(_mm512_load_ps(KQ_IOTA), _mm512_set1_ps((dm)[j])), _mm512_set1_ps((dm)[8 + (j)]))

/* The 8 value tables of the Q4_K super-block at p. */
KERNEL static inline void q4k_tables(const uint8_t *p, __m512 t[8]) {
    float dm[16];
    q4k_scales(p, dm);
    for (int j = 0; j < 8; j++) t[j] = Q4K_TABLE(dm, j);
}

#define NIB16(p) _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *) (p)))

/*
 * The decode step: y[yOff + r] = dot(row r, x[xOff ..]) for rows [r0, r1); row r at w + r * rowBytes, nsb
 * super-blocks. R rows side by side (R independent chains of fmas sharing each load of x); the next group of
 * rows is prefetched into L2 in the order it will be read.
 */
#define Q4K_ROWS(R)                                                                                          \
    KERNEL __attribute__((unused)) static void q4k_rows##R(const uint8_t *w0, int64_t rowBytes, int64_t nsb, const float *x,         \
                                   float *y, int prefetch) {                                                 \
        __m512 a[R];                                                                                         \
        _Pragma("GCC unroll 8") for (int i = 0; i < R; i++) a[i] = _mm512_setzero_ps();                      \
        for (int64_t sb = 0; sb < nsb; sb++) {                                                               \
            const float *xb = x + 256 * sb;                                                                  \
            _Pragma("GCC unroll 8") for (int i = 0; i < R; i++) {                                            \
                const uint8_t *p = w0 + i * rowBytes + Q4K_BYTES * sb;                                       \
                if (prefetch) {                                                                              \
                    _mm_prefetch((const char *) (p + prefetch * rowBytes), _MM_HINT_T1);                            \
                    _mm_prefetch((const char *) (p + prefetch * rowBytes + 64), _MM_HINT_T1);                       \
                    _mm_prefetch((const char *) (p + prefetch * rowBytes + 128), _MM_HINT_T1);                      \
                }                                                                                            \
            }                                                                                                \
            float dm[R][16];                                                                                 \
            _Pragma("GCC unroll 8") for (int i = 0; i < R; i++) q4k_scales(w0 + i * rowBytes + Q4K_BYTES * sb, dm[i]); \
            for (int g = 0; g < 4; g++) {                                                                    \
                __m512 tl[R], th[R];                                                                         \
                __m512i v0[R], v1[R];                                                                        \
                _Pragma("GCC unroll 8") for (int i = 0; i < R; i++) {                                        \
                    const uint8_t *p = w0 + i * rowBytes + Q4K_BYTES * sb;                                   \
                    tl[i] = Q4K_TABLE(dm[i], 2 * g);                                                         \
                    th[i] = Q4K_TABLE(dm[i], 2 * g + 1);                                                     \
                    v0[i] = NIB16(p + 16 + 32 * g);                                                          \
                    v1[i] = NIB16(p + 16 + 32 * g + 16);                                                     \
                }                                                                                            \
                const float *xg = xb + 64 * g;                                                               \
                __m512 xv = _mm512_loadu_ps(xg);                                                             \
                _Pragma("GCC unroll 8") for (int i = 0; i < R; i++)                                          \
                    a[i] = _mm512_fmadd_ps(_mm512_permutexvar_ps(v0[i], tl[i]), xv, a[i]);                   \
                xv = _mm512_loadu_ps(xg + 16);                                                               \
                _Pragma("GCC unroll 8") for (int i = 0; i < R; i++)                                          \
                    a[i] = _mm512_fmadd_ps(_mm512_permutexvar_ps(v1[i], tl[i]), xv, a[i]);                   \
                xv = _mm512_loadu_ps(xg + 32);                                                               \
                _Pragma("GCC unroll 8") for (int i = 0; i < R; i++)                                          \
                    a[i] = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(v0[i], 4), th[i]), xv, a[i]); \
                xv = _mm512_loadu_ps(xg + 48);                                                               \
                _Pragma("GCC unroll 8") for (int i = 0; i < R; i++)                                          \
                    a[i] = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(v1[i], 4), th[i]), xv, a[i]); \
            }                                                                                                \
        }                                                                                                    \
        _Pragma("GCC unroll 8") for (int i = 0; i < R; i++) y[i] = kq_tree16(a[i]);                          \
    }

Q4K_ROWS(8)
Q4K_ROWS(4)
Q4K_ROWS(2)
Q4K_ROWS(1)

#ifndef Q4K_DECODE_ROWS
#define Q4K_DECODE_ROWS 4
#endif
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

KERNEL void lm_q4_k_matvec(const uint8_t *w, int64_t rowBytes, int64_t nsb, int32_t r0, int32_t r1,
                           const float *x, int64_t xOff, float *y, int64_t yOff) {
    x += xOff;
    y += yOff;
    int32_t r = r0;
    for (; r + Q4K_DECODE_ROWS <= r1; r += Q4K_DECODE_ROWS) {
        CAT(q4k_rows, Q4K_DECODE_ROWS)(w + r * rowBytes, rowBytes, nsb, x, y + r, r + 2 * Q4K_DECODE_ROWS <= r1 ? Q4K_DECODE_ROWS : 0);
    }
    for (; r + 2 <= r1; r += 2) q4k_rows2(w + r * rowBytes, rowBytes, nsb, x, y + r, 0);
    for (; r < r1; r++) q4k_rows1(w + r * rowBytes, rowBytes, nsb, x, y + r, 0);
}

/* ------------------------------------------------------------------ the batched product (prefill, replay) */

/* Rows decoded together, and super-blocks per column chunk: the chunk's decoded values stay in L1/L2. */
#ifndef KQ_ROW_GROUP
#define KQ_ROW_GROUP 8
#endif
#ifndef KQ_SB_CHUNK
#define KQ_SB_CHUNK 2
#endif
#define KQ_WSTRIDE (KQ_SB_CHUNK * 256)

/*
 * R rows (decoded values w, KQ_WSTRIDE floats apart) times T inputs (x, xs floats apart) over n16 chunks of
 * 16 elements, resuming and storing the partial sums acc[i * ars + 16 * t ..] (row i of the group, input t).
 */
#define KQ_TILE(R, T)                                                                                       \
    KERNEL static void kq_tile_##R##x##T(const float *w, int n16, const float *x, int64_t xs,                \
                                         float *acc, int64_t ars) {                                           \
        __m512 a[R][T];                                                                                     \
        _Pragma("GCC unroll 8") for (int i = 0; i < R; i++)                                                 \
            _Pragma("GCC unroll 8") for (int t = 0; t < T; t++) a[i][t] = _mm512_loadu_ps(acc + i * ars + 16 * t); \
        for (int c = 0; c < n16; c++) {                                                                     \
            __m512 wv[R];                                                                                   \
            _Pragma("GCC unroll 8") for (int i = 0; i < R; i++) wv[i] = _mm512_load_ps(w + i * KQ_WSTRIDE + 16 * c); \
            _Pragma("GCC unroll 8") for (int t = 0; t < T; t++) {                                           \
                const __m512 xv = _mm512_loadu_ps(x + t * xs + 16 * c);                                     \
                _Pragma("GCC unroll 8") for (int i = 0; i < R; i++) a[i][t] = _mm512_fmadd_ps(wv[i], xv, a[i][t]); \
            }                                                                                               \
        }                                                                                                   \
        _Pragma("GCC unroll 8") for (int i = 0; i < R; i++)                                                 \
            _Pragma("GCC unroll 8") for (int t = 0; t < T; t++) _mm512_storeu_ps(acc + i * ars + 16 * t, a[i][t]); \
    }

KQ_TILE(4, 4)
KQ_TILE(4, 2)
KQ_TILE(4, 1)
KQ_TILE(2, 4)
KQ_TILE(2, 2)
KQ_TILE(2, 1)
KQ_TILE(1, 4)
KQ_TILE(1, 2)
KQ_TILE(1, 1)

/* One Q4_K super-block at p decoded into out[0..256) (the element values, exactly). */
KERNEL static inline void q4k_decode(const uint8_t *p, float *out) {
    __m512 t[8];
    q4k_tables(p, t);
    for (int g = 0; g < 4; g++) {
        const __m512i v0 = NIB16(p + 16 + 32 * g), v1 = NIB16(p + 16 + 32 * g + 16);
        _mm512_store_ps(out + 64 * g, _mm512_permutexvar_ps(v0, t[2 * g]));
        _mm512_store_ps(out + 64 * g + 16, _mm512_permutexvar_ps(v1, t[2 * g]));
        _mm512_store_ps(out + 64 * g + 32, _mm512_permutexvar_ps(_mm512_srli_epi32(v0, 4), t[2 * g + 1]));
        _mm512_store_ps(out + 64 * g + 48, _mm512_permutexvar_ps(_mm512_srli_epi32(v1, 4), t[2 * g + 1]));
    }
}

static __thread float *kq_acc;
static __thread int64_t kq_acc_len;

/*
 * y[yOff + t * yStride + r] = dot(row r, x[xOff + t * xStride ..]) for rows [r0, r1) and t < batch. Rows in
 * groups of KQ_ROW_GROUP, columns in chunks of KQ_WSTRIDE elements (KQ_SB_CHUNK super-blocks, or 16 Q5_1 blocks):
 * the group's values for a chunk are decoded once and every input passes over them in 4 x 4 register tiles; the
 * partial sums wait in scratch between chunks (stored and reloaded, so each still receives its fmas in increasing
 * element order).
 */
KERNEL void lm_values_matmul(lm_value_decoder dec, int64_t blockBytes, int64_t blockElems,
        const uint8_t *wt, int64_t rowBytes, int64_t nb, int32_t r0, int32_t r1, const float *x, int64_t xOff,
        int64_t xStride, int32_t batch, float *y, int64_t yOff, int64_t yStride) {
    x += xOff;
    y += yOff;
    int64_t need = (int64_t) KQ_ROW_GROUP * batch * 16;
    if (kq_acc_len < need) {
        free(kq_acc);
        kq_acc = (float *) aligned_alloc(64, sizeof(float) * (size_t) ((need + 15) & ~15));
        kq_acc_len = kq_acc ? need : 0;
        if (!kq_acc) return;
    }
    float *acc = kq_acc;
    float wbuf[KQ_ROW_GROUP * KQ_WSTRIDE] __attribute__((aligned(64)));
    const int64_t ars = (int64_t) batch * 16;
    const int chunk = (int) (KQ_WSTRIDE / blockElems); /* blocks a column chunk */
    for (int32_t g = r0; g < r1; g += KQ_ROW_GROUP) {
        int nr = r1 - g < KQ_ROW_GROUP ? r1 - g : KQ_ROW_GROUP;
        memset(acc, 0, sizeof(float) * (size_t) (nr * ars));
        for (int64_t s0 = 0; s0 < nb; s0 += chunk) {
            int nsc = nb - s0 < chunk ? (int) (nb - s0) : chunk;
            for (int i = 0; i < nr; i++) {
                const uint8_t *p = wt + (int64_t) (g + i) * rowBytes + blockBytes * s0;
                for (int s = 0; s < nsc; s++) dec(p + blockBytes * s, wbuf + i * KQ_WSTRIDE + blockElems * s);
            }
            const float *xc = x + blockElems * s0;
            const int n16 = (int) (blockElems / 16) * nsc;
            int t = 0;
#define KQ_RUN_T(T)                                                                                           \
            for (; t + T <= batch; t += T) {                                                                  \
                int i = 0;                                                                                    \
                for (; i + 4 <= nr; i += 4)                                                                   \
                    kq_tile_4x##T(wbuf + i * KQ_WSTRIDE, n16, xc + t * xStride, xStride, acc + i * ars + 16 * t, ars); \
                for (; i + 2 <= nr; i += 2)                                                                   \
                    kq_tile_2x##T(wbuf + i * KQ_WSTRIDE, n16, xc + t * xStride, xStride, acc + i * ars + 16 * t, ars); \
                for (; i < nr; i++)                                                                           \
                    kq_tile_1x##T(wbuf + i * KQ_WSTRIDE, n16, xc + t * xStride, xStride, acc + i * ars + 16 * t, ars); \
            }
            KQ_RUN_T(4)
            KQ_RUN_T(2)
            KQ_RUN_T(1)
#undef KQ_RUN_T
        }
        for (int i = 0; i < nr; i++) {
            for (int t = 0; t < batch; t++) y[t * yStride + g + i] = kq_tree16(_mm512_loadu_ps(acc + i * ars + 16 * t));
        }
    }
}

KERNEL void lm_q4_k_matmul(const uint8_t *w, int64_t rowBytes, int64_t nsb, int32_t r0, int32_t r1,
                           const float *x, int64_t xOff, int64_t xStride, int32_t batch,
                           float *y, int64_t yOff, int64_t yStride) {
    lm_values_matmul(q4k_decode, Q4K_BYTES, 256, w, rowBytes, nsb, r0, r1, x, xOff, xStride, batch, y, yOff, yStride);
}

/* ------------------------------------------------------------------ Q5_K */

/*
 * Q5_K (Q5_KTensor): 176 bytes a super-block of 256: f16 d, f16 dmin, the 12 bytes of scales and mins packed as
 * Q4_K's, 32 bytes qh of fifth bits, 128 bytes qs of nibbles. Element l of sub-block j (j = 2g: low nibble of
 * qs[32g + l], j = 2g + 1: high nibble) takes bit j of qh[l] as bit 4 of its code q in [0, 31]; its value is Q4_K's
 * formula, (d * sc) * q - (dmin * mn). The 32 possible values of a sub-block are two tables of 16 (q = 0..15 and
 * 16..31, the same operations), looked up with vpermt2ps (_mm512_permutex2var_ps: the low 5 bits of each index).
 */
#define Q5K_BYTES 176

static const float KQ_IOTA16[16] __attribute__((aligned(64))) = {16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
#define Q5K_TABLE_HI(dm, j) _mm512_sub_ps(_mm512_mul_ps(_mm512_load_ps(KQ_IOTA16), _mm512_set1_ps((dm)[j])), _mm512_set1_ps((dm)[8 + (j)]))

/*
 * The decode step's Q5_K tables, fused: lane q = fmsub(q, d * sc, dmin * mn), one rounding, the same bits as the
 * definition's multiply-then-subtract. Proof: d is an f16 widened exactly (at most 11 significant bits, exponent in
 * [-24, 15]) and sc an integer in [0, 63], so d * sc (the binary32 scalar dm[j]) is exact (at most 17 bits, far from
 * overflow and underflow); then (d * sc) * q with q in [0, 31] has at most 22 significant bits and magnitude under
 * 2^27, so it is exact in binary32 too: round((d*sc)*q) = (d*sc)*q, and round(round(a*b) - c) = round(a*b - c) =
 * fmsub(a, b, c). Specials agree: an infinite or NaN d or dmin gives NaN or the same infinity either way (inf * 0 is
 * NaN in both; a NaN's payload may differ, which no test or trace distinguishes: they compare floatToIntBits), and a
 * zero's sign follows the same addition rule on the exact product. Measured on Zen 4 (docs/performance.md,
 * 2026-12-02 h/q4k): 1.08-1.10x on the 1B shapes; for Q4_K (two tables per 64 elements instead of four) the same
 * fusion measured 0.91-1.04x and is not used (the register broadcast an fma's third operand needs competes with
 * vpermps for the shuffle unit; the separate multiply and subtract take both scalars as embedded broadcasts).
 */
#define Q5K_FTABLE_LO(dm, j) _mm512_fmsub_ps(_mm512_load_ps(KQ_IOTA), _mm512_set1_ps((dm)[j]), _mm512_set1_ps((dm)[8 + (j)]))
#define Q5K_FTABLE_HI(dm, j) _mm512_fmsub_ps(_mm512_load_ps(KQ_IOTA16), _mm512_set1_ps((dm)[j]), _mm512_set1_ps((dm)[8 + (j)]))

/* The code index of sub-block j's elements: bits 0..3 from nib (bits above 3 ignored: they are replaced or unused),
   bit 4 = bit j of qh (h, zero-extended bytes); bits above 4 are ignored by the lookup. */
#define Q5K_BIT4(h, j) ((j) <= 4 ? _mm512_slli_epi32((h), 4 - (j)) : _mm512_srli_epi32((h), (j) - 4))
#define Q5K_INDEX(nib, h, j) _mm512_ternarylogic_epi32((nib), Q5K_BIT4(h, j), _mm512_set1_epi32(0x10), 0xD8)

#define Q5K_ROWS(R)                                                                                          \
    KERNEL __attribute__((unused)) static void q5k_rows##R(const uint8_t *w0, int64_t rowBytes, int64_t nsb,  \
                                                           const float *x, float *y, int prefetch) {          \
        __m512 a[R];                                                                                         \
        _Pragma("GCC unroll 8") for (int i = 0; i < R; i++) a[i] = _mm512_setzero_ps();                      \
        for (int64_t sb = 0; sb < nsb; sb++) {                                                               \
            const float *xb = x + 256 * sb;                                                                  \
            _Pragma("GCC unroll 8") for (int i = 0; i < R; i++) {                                            \
                const uint8_t *p = w0 + i * rowBytes + Q5K_BYTES * sb;                                       \
                if (prefetch) {                                                                              \
                    _mm_prefetch((const char *) (p + prefetch * rowBytes), _MM_HINT_T1);                     \
                    _mm_prefetch((const char *) (p + prefetch * rowBytes + 64), _MM_HINT_T1);                \
                    _mm_prefetch((const char *) (p + prefetch * rowBytes + 128), _MM_HINT_T1);               \
                    _mm_prefetch((const char *) (p + prefetch * rowBytes + 175), _MM_HINT_T1);               \
                }                                                                                            \
            }                                                                                                \
            float dm[R][16];                                                                                 \
            __m512i h0[R], h1[R];                                                                            \
            _Pragma("GCC unroll 8") for (int i = 0; i < R; i++) {                                            \
                const uint8_t *p = w0 + i * rowBytes + Q5K_BYTES * sb;                                       \
                q4k_scales(p, dm[i]);                                                                        \
                h0[i] = NIB16(p + 16);                                                                       \
                h1[i] = NIB16(p + 32);                                                                       \
            }                                                                                                \
            _Pragma("GCC unroll 4") for (int g = 0; g < 4; g++) {                                            \
                const int j = 2 * g;                                                                         \
                const float *xg = xb + 64 * g;                                                               \
                _Pragma("GCC unroll 2") for (int hh = 0; hh < 2; hh++) { /* sub-block j + hh */              \
                    __m512 tl[R], tu[R];                                                                     \
                    __m512i v0[R], v1[R];                                                                    \
                    _Pragma("GCC unroll 8") for (int i = 0; i < R; i++) {                                    \
                        const uint8_t *p = w0 + i * rowBytes + Q5K_BYTES * sb;                               \
                        tl[i] = Q5K_FTABLE_LO(dm[i], j + hh);                                                \
                        tu[i] = Q5K_FTABLE_HI(dm[i], j + hh);                                                \
                        v0[i] = NIB16(p + 48 + 32 * g);                                                      \
                        v1[i] = NIB16(p + 48 + 32 * g + 16);                                                 \
                        if (hh) { v0[i] = _mm512_srli_epi32(v0[i], 4); v1[i] = _mm512_srli_epi32(v1[i], 4); } \
                    }                                                                                        \
                    __m512 xv = _mm512_loadu_ps(xg + 32 * hh);                                               \
                    _Pragma("GCC unroll 8") for (int i = 0; i < R; i++)                                      \
                        a[i] = _mm512_fmadd_ps(_mm512_permutex2var_ps(tl[i], Q5K_INDEX(v0[i], h0[i], j + hh), tu[i]), xv, a[i]); \
                    xv = _mm512_loadu_ps(xg + 32 * hh + 16);                                                 \
                    _Pragma("GCC unroll 8") for (int i = 0; i < R; i++)                                      \
                        a[i] = _mm512_fmadd_ps(_mm512_permutex2var_ps(tl[i], Q5K_INDEX(v1[i], h1[i], j + hh), tu[i]), xv, a[i]); \
                }                                                                                            \
            }                                                                                                \
        }                                                                                                    \
        _Pragma("GCC unroll 8") for (int i = 0; i < R; i++) y[i] = kq_tree16(a[i]);                          \
    }

Q5K_ROWS(4)
Q5K_ROWS(2)
Q5K_ROWS(1)

KERNEL void lm_q5_k_matvec(const uint8_t *w, int64_t rowBytes, int64_t nsb, int32_t r0, int32_t r1,
                           const float *x, int64_t xOff, float *y, int64_t yOff) {
    x += xOff;
    y += yOff;
    int32_t r = r0;
    for (; r + 4 <= r1; r += 4) q5k_rows4(w + r * rowBytes, rowBytes, nsb, x, y + r, r + 8 <= r1 ? 4 : 0);
    for (; r + 2 <= r1; r += 2) q5k_rows2(w + r * rowBytes, rowBytes, nsb, x, y + r, 0);
    for (; r < r1; r++) q5k_rows1(w + r * rowBytes, rowBytes, nsb, x, y + r, 0);
}

/* One Q5_K super-block at p decoded into out[0..256) (the element values, exactly). */
KERNEL static inline void q5k_decode(const uint8_t *p, float *out) {
    float dm[16];
    q4k_scales(p, dm);
    const __m512i h0 = NIB16(p + 16), h1 = NIB16(p + 32);
    _Pragma("GCC unroll 4") for (int g = 0; g < 4; g++) {
        const int j = 2 * g;
        const __m512i v0 = NIB16(p + 48 + 32 * g), v1 = NIB16(p + 48 + 32 * g + 16);
        const __m512i u0 = _mm512_srli_epi32(v0, 4), u1 = _mm512_srli_epi32(v1, 4);
        const __m512 tl = Q4K_TABLE(dm, j), tu = Q5K_TABLE_HI(dm, j);
        const __m512 sl = Q4K_TABLE(dm, j + 1), su = Q5K_TABLE_HI(dm, j + 1);
        _mm512_store_ps(out + 64 * g, _mm512_permutex2var_ps(tl, Q5K_INDEX(v0, h0, j), tu));
        _mm512_store_ps(out + 64 * g + 16, _mm512_permutex2var_ps(tl, Q5K_INDEX(v1, h1, j), tu));
        _mm512_store_ps(out + 64 * g + 32, _mm512_permutex2var_ps(sl, Q5K_INDEX(u0, h0, j + 1), su));
        _mm512_store_ps(out + 64 * g + 48, _mm512_permutex2var_ps(sl, Q5K_INDEX(u1, h1, j + 1), su));
    }
}

KERNEL void lm_q5_k_matmul(const uint8_t *w, int64_t rowBytes, int64_t nsb, int32_t r0, int32_t r1,
                           const float *x, int64_t xOff, int64_t xStride, int32_t batch,
                           float *y, int64_t yOff, int64_t yStride) {
    lm_values_matmul(q5k_decode, Q5K_BYTES, 256, w, rowBytes, nsb, r0, r1, x, xOff, xStride, batch, y, yOff, yStride);
}

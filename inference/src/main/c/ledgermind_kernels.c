/*
 * Ledgermind native kernels: the binary32 canonical product of Q8_0, Q4_0 and Q5_0 weights with F32 activations
 * (docs/DESIGN.md section 3, "Weight types"; the Java class Q8_0Tensor states the definition), called from Java
 * through the FFM API (NativeKernels.java), and of Q5_1 (a dequantized-value type, as the K-quants: its section
 * below). Same bits as the Java kernels, by construction:
 *
 *   for each output (row r, input t): acc[0..15] = +0.0f
 *   for each block b (increasing), m = 0..15:
 *     p      = q[m] * x[m]                 (binary32 multiply; the int8 code is exact as a float)
 *     p      = fma(q[m+16], x[m+16], p)
 *     acc[m] = fma(p, d, acc[m])           (d = the block's f16 scale widened to binary32, exact)
 *   y = ((a0+a1)+(a2+a3)) + ((a4+a5)+(a6+a7))  +  ((a8+a9)+(a10+a11)) + ((a12+a13)+(a14+a15))
 *
 * Every kernel here issues exactly these operations for each output, in this order: lane m of a 512-bit
 * register is partial sum m, the intrinsics are the listed lanewise operations, and the build compiles with
 * -ffp-contract=off and without -ffast-math, so gcc neither fuses the multiply with the next add nor reorders
 * or reassociates anything (IEEE semantics; checked in the generated code: inference/src/main/c/build.sh
 * documents how). Several outputs are computed side by side (independent chains), never one output in parts
 * that are summed differently.
 *
 * The weights are read where the Java tensor holds them: its packed native copy (BlockQ8Tensor: the codes, 32
 * bytes a block (Q8_0) or 16 (Q4_0), in groups of four rows, see code_row and q4_base; the f16 scales row-major, 2 bytes a
 * block; Q5_0 and Q5_1: the mapped file's blocks, in place). Activations and outputs are Java float[] arrays,
 * passed as heap segments to a critical downcall (no copy).
 *
 * Functions whose name ends in _int8 are NOT the canonical product: llama.cpp's integer product (activations
 * rounded to int8 blocks, integer dot products within a block), kept only to measure its speed
 * (NativeKernelBench); nothing in the engine calls them.
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledgermind_values.h"

#define KERNEL __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,f16c,fma,avx512vnni")))

/* 1 when this CPU runs the kernels below (AVX-512 F/BW/DQ/VL, F16C, FMA; VNNI for the _int8 ones only). */
int lm_native_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
           && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")
           && __builtin_cpu_supports("f16c") && __builtin_cpu_supports("fma");
}

int lm_native_vnni(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vnni");
}

/* The version of this library's interface; the Java side refuses a library with another. */
int lm_native_version(void) {
    return 4;
}

/* Dot.combine's fixed tree over the 16 lanes of acc (the same additions, operands and order). */
KERNEL static inline float tree16(__m512 acc) {
    float s[16];
    _mm512_storeu_ps(s, acc);
    float a = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    float b = ((s[8] + s[9]) + (s[10] + s[11])) + ((s[12] + s[13]) + (s[14] + s[15]));
    return a + b;
}

/* n f16 scales at h widened to binary32 (exact, subnormals included: vcvtph2ps ignores DAZ). */
KERNEL static void widen_scales(const uint16_t *h, int64_t n, float *out) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        _mm512_storeu_ps(out + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (h + i))));
    }
    for (; i < n; i++) out[i] = _cvtsh_ss(h[i]);
}

/*
 * Q4_0 codes from nibbles by table: vpermps reads only the low 4 bits of each 32-bit index, so a lane whose low byte
 * is a code byte indexes Q4_TABLE by its low nibble (element m) and, shifted right by 4, by its high nibble (element
 * m + 16): the table holds the codes nibble - 8 as exact binary32 values (the lanes come from q4_base's layout).
 */
#define Q4_TABLE _mm512_setr_ps(-8.0f, -7.0f, -6.0f, -5.0f, -4.0f, -3.0f, -2.0f, -1.0f, 0.0f, 1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f)

/*
 * Q8_0's packed codes (BlockQ8Tensor.codeRow), cb = 32 bytes a block: rows in groups of four from row 0,
 * and within a group block b of its four rows side by side (4 cb bytes: row 4g + i's block b at (4g * nb + 4b + i) * cb);
 * the rows after the last whole group (rows % 4 of them) row-major after it. A group is then one sequential stream,
 * which the prefetchers (the hardware's and ours) follow far better than four rows' streams.
 * Row r's block b is at code_row(..) + b * code_step(..); `rows` is the tensor's row count.
 */
static inline int64_t code_row(int64_t cb, int64_t nb, int32_t rows, int32_t r) {
    return r < (rows & ~3) ? ((int64_t) (r & ~3) * nb * cb + cb * (r & 3)) : (int64_t) r * nb * cb;
}
static inline int64_t code_step(int64_t cb, int32_t rows, int32_t r) {
    return r < (rows & ~3) ? 4 * cb : cb;
}

/*
 * Q4_0's packed codes are interleaved by byte within a group (BlockQ8Tensor.q4Base): every row, the last partial group
 * included (padded), belongs to a group of four, and the group's block b is one 64-byte line whose byte 4m + i is row
 * 4g + i's code byte m. Read as sixteen 32-bit lanes, lane m holds byte m of all four rows, so row i's bytes are the
 * lanes shifted right by 8i: vpermps, which reads only bits 3:0 of each index lane, then takes the low nibble (element
 * m) straight from v >> 8i and the high one (element m + 16) from v >> (8i + 4), with no widening of bytes to lanes.
 */
static inline int64_t q4_base(int64_t nb, int32_t r) {
    return (int64_t) (r & ~3) * nb * 16;
}
#define Q4_LO(v, i, tab) _mm512_permutexvar_ps(_mm512_srli_epi32((v), 8 * (i)), (tab))
#define Q4_HI(v, i, tab) _mm512_permutexvar_ps(_mm512_srli_epi32((v), 8 * (i) + 4), (tab))

/* How far ahead (bytes) the decode steps prefetch their group's stream into L2: measured (docs/performance.md). */
#ifndef Q4_PREFETCH
#define Q4_PREFETCH 8192
#endif
#ifndef Q8_PREFETCH
#define Q8_PREFETCH 8192
#endif

/* Codes 16 bytes at p as 16 exact binary32 values. */
#define CODES16(p) _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *) (p))))

/*
 * The decode step: y[yOff + r] = dot(row r, x[xOff ..]) for rows [r0, r1), nb blocks a row (layout code_row). A group
 * of four rows side by side (four independent chains sharing each load of x; the group's block b is two cache
 * lines), their scales widened first into scratch; single rows (a range that starts or ends inside a group, the
 * rows after the last group) one at a time.
 */
KERNEL void lm_q8_0r4_matvec(const int8_t *codes, const uint16_t *scales, int64_t nb, int32_t rows, int32_t r0, int32_t r1,
                             const float *x, int64_t xOff, float *y, int64_t yOff) {
    x += xOff;
    y += yOff;
    float sc_stack[4 * 512];
    float *sc = 4 * nb <= 4 * 512 ? sc_stack : (float *) malloc(sizeof(float) * 4 * nb);
    const int64_t rb = 32 * nb;
    const int32_t full = rows & ~3;
    int32_t r = r0;
    while (r < r1) {
        if ((r & 3) == 0 && r + 4 <= r1 && r + 4 <= full) {
            widen_scales(scales + (int64_t) r * nb, 4 * nb, sc);
            const int8_t *w = codes + (int64_t) r * rb;
            __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            for (int64_t b = 0; b < nb; b++) {
                const __m512 x0 = _mm512_loadu_ps(x + 32 * b), x1 = _mm512_loadu_ps(x + 32 * b + 16);
                const int8_t *q = w + 128 * b;
                /* the group's stream into L2, Q8_PREFETCH bytes ahead (measured: docs/performance.md) */
                _mm_prefetch((const char *) (q + Q8_PREFETCH), _MM_HINT_T1);
                _mm_prefetch((const char *) (q + Q8_PREFETCH + 64), _MM_HINT_T1);
                __m512 p0 = _mm512_mul_ps(CODES16(q), x0);
                __m512 p1 = _mm512_mul_ps(CODES16(q + 32), x0);
                __m512 p2 = _mm512_mul_ps(CODES16(q + 64), x0);
                __m512 p3 = _mm512_mul_ps(CODES16(q + 96), x0);
                p0 = _mm512_fmadd_ps(CODES16(q + 16), x1, p0);
                p1 = _mm512_fmadd_ps(CODES16(q + 48), x1, p1);
                p2 = _mm512_fmadd_ps(CODES16(q + 80), x1, p2);
                p3 = _mm512_fmadd_ps(CODES16(q + 112), x1, p3);
                a0 = _mm512_fmadd_ps(p0, _mm512_set1_ps(sc[b]), a0);
                a1 = _mm512_fmadd_ps(p1, _mm512_set1_ps(sc[nb + b]), a1);
                a2 = _mm512_fmadd_ps(p2, _mm512_set1_ps(sc[2 * nb + b]), a2);
                a3 = _mm512_fmadd_ps(p3, _mm512_set1_ps(sc[3 * nb + b]), a3);
            }
            y[r] = tree16(a0);
            y[r + 1] = tree16(a1);
            y[r + 2] = tree16(a2);
            y[r + 3] = tree16(a3);
            r += 4;
        } else {
            widen_scales(scales + (int64_t) r * nb, nb, sc);
            const int64_t step = code_step(32, rows, r);
            const int8_t *w0 = codes + code_row(32, nb, rows, r);
            __m512 a0 = _mm512_setzero_ps();
            for (int64_t b = 0; b < nb; b++) {
                const int8_t *q = w0 + step * b;
                __m512 p0 = _mm512_mul_ps(CODES16(q), _mm512_loadu_ps(x + 32 * b));
                p0 = _mm512_fmadd_ps(CODES16(q + 16), _mm512_loadu_ps(x + 32 * b + 16), p0);
                a0 = _mm512_fmadd_ps(p0, _mm512_set1_ps(sc[b]), a0);
            }
            y[r] = tree16(a0);
            r++;
        }
    }
    if (sc != sc_stack) free(sc);
}

/* ------------------------------------------------------------------ Q5_0 and Q5_1: codes and values, read in place */

/*
 * Q5_0 (Q5_0Tensor) and Q5_1 (Q5_1Tensor) are read where the Java tensor holds them, the mapped file's blocks of 32
 * elements: Q5_0 22 bytes (f16 d, 32-bit qh, 16 bytes qs), Q5_1 24 bytes (f16 d, f16 m, 32-bit qh, 16 bytes qs).
 * Element m < 16 has the 5-bit code (qs[m] & 15) | (bit m of qh) << 4, element m + 16 the code
 * (qs[m] >> 4) | (bit m + 16 of qh) << 4. Q5_1: a code's value is looked up in the block's table of 32 with vpermt2ps
 * (_mm512_permutex2var_ps: bits 0..3 of an index lane pick the lane, bit 4 the table, higher bits are ignored): the
 * index is the nibble with the fifth bit as bit 4, set through a mask register straight from qh. Q5_0: the nibble's
 * code - 16 is looked up in a table of 16 with vpermps (which reads bits 0..3 of the index lane only: no masking of
 * the nibble), then 16 is added where the fifth bit is set (a masked add with qh as the mask: exact, the integers
 * -16..15 either way; 16 + -16 is +0, as (float) 0). A lookup copies a value, so every code or value is exactly the
 * Java kernels' (Q5_0: the integer code - 16; Q5_1: d * q + m). (Measured against Q5_0 by the 32-entry vpermt2ps
 * table: 1.04-1.05x its decode step on the 0.5B shapes; byte-level codes widened with vpmovsxbd and converted, or
 * Q5_1 by two masked vpermps instead of vpermt2ps, measured within noise and were not kept.)
 */
#define Q5_0_BYTES 22
#define Q5_1_BYTES 24

KERNEL static inline float f16at(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h); /* exact, subnormals included */
}

/* The lookup indices of a block's elements 0..15 (lo) and 16..31 (hi): qs its 16 code bytes, qh its fifth bits. */
KERNEL static inline void q5_index(const uint8_t *qs, const uint8_t *qhp, __m512i *lo, __m512i *hi) {
    uint32_t qh;
    memcpy(&qh, qhp, 4);
    const __m512i v = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *) qs));
    const __m512i c16 = _mm512_set1_epi32(16), u = _mm512_srli_epi32(v, 4);
    /* bit 4 of v is the high nibble's lowest bit: cleared, then set where the fifth bit is */
    *lo = _mm512_mask_or_epi32(_mm512_andnot_si512(c16, v), (__mmask16) qh, v, c16);
    *hi = _mm512_mask_or_epi32(u, (__mmask16) (qh >> 16), u, c16);
}

/* Q5_0's codes minus 16 for a clear fifth bit, as exact binary32: lane n is n - 16. */
#define Q5_0_TABLE _mm512_setr_ps(-16.0f, -15.0f, -14.0f, -13.0f, -12.0f, -11.0f, -10.0f, -9.0f, -8.0f, -7.0f, -6.0f, -5.0f, -4.0f, -3.0f, -2.0f, -1.0f)

/* The codes of the Q5_0 block at p: elements 0..15 (lo) and 16..31 (hi). */
KERNEL static inline void q5_0_codes(const uint8_t *p, __m512 *lo, __m512 *hi) {
    uint16_t k0, k1;
    memcpy(&k0, p + 2, 2);
    memcpy(&k1, p + 4, 2);
    const __m512i v = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *) (p + 6)));
    const __m512 c16 = _mm512_set1_ps(16.0f);
    const __m512 l = _mm512_permutexvar_ps(v, Q5_0_TABLE), h = _mm512_permutexvar_ps(_mm512_srli_epi32(v, 4), Q5_0_TABLE);
    *lo = _mm512_mask_add_ps(l, (__mmask16) k0, l, c16);
    *hi = _mm512_mask_add_ps(h, (__mmask16) k1, h, c16);
}

static const float Q5_IOTA[32] __attribute__((aligned(64))) = {
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};

/*
 * The element values of the Q5_1 block at p, whose d and m are dm[0], dm[1] (widened): elements 0..15 (lo) and 16..31
 * (hi). The block's 32 possible values, then looked up. The definition is d * q then + m, two roundings; the tables
 * are fma(q, d, m), one rounding, which gives the same bits. Proof: d is an f16 widened exactly (at most 11
 * significant bits, exponent in [-24, 15]) and q an integer in [0, 31] (at most 5 bits), so d * q has at most 16
 * significant bits, is at least 2^-24 in magnitude when not zero and under 2^21: it is exact in binary32, so
 * round(round(d * q) + m) = round(d * q + m) = fma(q, d, m). Specials agree: an infinite or NaN d or m gives NaN or
 * the same infinity either way (inf * 0 is NaN in both), and a zero's sign follows the same addition rule on the
 * exact product. Checked exhaustively by Q5_1FusedTableTest (every f16 d and code against Math.fma). Measured on
 * Zen 4: 1.07-1.10x the multiply-then-add decode step (docs/performance.md, h/q5n); d comes as a memory broadcast,
 * m as one register broadcast shared by both tables.
 */
KERNEL static inline void q5_1_values(const uint8_t *p, const float *dm, __m512 *lo, __m512 *hi) {
    const __m512 m = _mm512_set1_ps(dm[1]);
    const __m512 tl = _mm512_fmadd_ps(_mm512_load_ps(Q5_IOTA), _mm512_set1_ps(dm[0]), m);
    const __m512 th = _mm512_fmadd_ps(_mm512_load_ps(Q5_IOTA + 16), _mm512_set1_ps(dm[0]), m);
    __m512i il, ih;
    q5_index(p + 8, p + 4, &il, &ih);
    *lo = _mm512_permutex2var_ps(tl, il, th);
    *hi = _mm512_permutex2var_ps(tl, ih, th);
}

/* The batched product's code layouts: the packed copies (Q8_0, Q4_0: code_row, q4_base) and Q5_0's file blocks. */
enum { LAYOUT_Q8_0, LAYOUT_Q4_0, LAYOUT_Q5_0 };

/* ------------------------------------------------------------------ the batched product (prefill, replay) */

/* Rows decoded together, and blocks per column chunk: the chunk's decoded codes and inputs stay in L1. */
#define ROW_GROUP 8
#define BLOCK_CHUNK 16

/*
 * R rows (decoded codes q, ROW_STRIDE floats apart; widened scales d, BLOCK_CHUNK apart) times T inputs
 * (x, xs floats apart) over nbc blocks, resuming and storing the partial sums acc[(i * batch + t) * 16 ..]
 * (row i of the group, input t). q and x point at the chunk's first block.
 */
#define QSTRIDE (BLOCK_CHUNK * 32)
#define DEFINE_TILE(R, T)                                                                                   \
    KERNEL static void tile_##R##x##T(const float *q, const float *d, int nbc, const float *x, int64_t xs,   \
                                      float *acc, int64_t ars) {                                              \
        __m512 a[R][T];                                                                                     \
        _Pragma("GCC unroll 8") for (int i = 0; i < R; i++)                                                 \
            _Pragma("GCC unroll 16") for (int t = 0; t < T; t++) a[i][t] = _mm512_loadu_ps(acc + i * ars + 16 * t); \
        for (int b = 0; b < nbc; b++) {                                                                     \
            __m512 lo[R], hi[R];                                                                            \
            _Pragma("GCC unroll 8") for (int i = 0; i < R; i++) {                                           \
                lo[i] = _mm512_load_ps(q + i * QSTRIDE + 32 * b);                                           \
                hi[i] = _mm512_load_ps(q + i * QSTRIDE + 32 * b + 16);                                      \
            }                                                                                               \
            _Pragma("GCC unroll 16") for (int t = 0; t < T; t++) {                                          \
                const __m512 x0 = _mm512_loadu_ps(x + t * xs + 32 * b);                                     \
                const __m512 x1 = _mm512_loadu_ps(x + t * xs + 32 * b + 16);                                \
                _Pragma("GCC unroll 8") for (int i = 0; i < R; i++) {                                       \
                    __m512 p = _mm512_mul_ps(lo[i], x0);                                                    \
                    p = _mm512_fmadd_ps(hi[i], x1, p);                                                      \
                    a[i][t] = _mm512_fmadd_ps(p, _mm512_set1_ps(d[i * BLOCK_CHUNK + b]), a[i][t]);          \
                }                                                                                           \
            }                                                                                               \
        }                                                                                                   \
        _Pragma("GCC unroll 8") for (int i = 0; i < R; i++)                                                 \
            _Pragma("GCC unroll 16") for (int t = 0; t < T; t++) _mm512_storeu_ps(acc + i * ars + 16 * t, a[i][t]); \
    }

/* 4 rows x 4 inputs: 16 accumulators, 8 decoded-code and 8 input loads per block for 48 operations (the 2 x 8 tile
   before it needed 22 loads for the same 48 and ran 1.45-1.7x slower: docs/performance.md, "The batched product's
   register tile"). The scale is broadcast from memory inside the fma (no register held for it). */
DEFINE_TILE(4, 4)
DEFINE_TILE(4, 2)
DEFINE_TILE(4, 1)
DEFINE_TILE(2, 4)
DEFINE_TILE(2, 2)
DEFINE_TILE(2, 1)
DEFINE_TILE(1, 4)
DEFINE_TILE(1, 2)
DEFINE_TILE(1, 1)

static __thread float *tl_acc;
static __thread int64_t tl_acc_len;

/*
 * y[yOff + t * yStride + r] = dot(row r, x[xOff + t * xStride ..]) for rows [r0, r1) and t < batch.
 * Rows in groups of ROW_GROUP, columns in chunks of BLOCK_CHUNK blocks: the group's codes for a chunk are decoded
 * once (exact floats) and every input passes over them; the partial sums wait in scratch between chunks (stored
 * and reloaded, so each still receives its fmas in increasing block order). layout: where the codes and scales are
 * (LAYOUT_Q8_0, LAYOUT_Q4_0: the packed copy, codes and scales; LAYOUT_Q5_0: the file's blocks at codes, rowBytes a
 * row, scales unused).
 */
KERNEL static inline __attribute__((always_inline)) void matmul(int layout, const int8_t *codes, const uint16_t *scales,
        int64_t nb, int32_t rows, int64_t rowBytes, int32_t r0, int32_t r1, const float *x, int64_t xOff, int64_t xStride, int32_t batch,
        float *y, int64_t yOff, int64_t yStride) {
    x += xOff;
    y += yOff;
    int64_t need = (int64_t) ROW_GROUP * batch * 16;
    if (tl_acc_len < need) {
        free(tl_acc);
        tl_acc = (float *) aligned_alloc(64, sizeof(float) * (size_t) ((need + 15) & ~15));
        tl_acc_len = tl_acc ? need : 0;
        if (!tl_acc) return;
    }
    float *acc = tl_acc;
    float q[ROW_GROUP * QSTRIDE] __attribute__((aligned(64)));
    float d[ROW_GROUP * BLOCK_CHUNK];
    const int64_t ars = (int64_t) batch * 16;
    const __m512 tab = Q4_TABLE;
    for (int32_t g = r0; g < r1; g += ROW_GROUP) {
        int nr = r1 - g < ROW_GROUP ? r1 - g : ROW_GROUP;
        memset(acc, 0, sizeof(float) * (size_t) (nr * ars));
        for (int64_t b0 = 0; b0 < nb; b0 += BLOCK_CHUNK) {
            int nbc = nb - b0 < BLOCK_CHUNK ? (int) (nb - b0) : BLOCK_CHUNK;
            if (layout != LAYOUT_Q5_0) {
                for (int i = 0; i < nr; i++) {
                    for (int b = 0; b < nbc; b++) d[i * BLOCK_CHUNK + b] = _cvtsh_ss(scales[(int64_t) (g + i) * nb + b0 + b]);
                }
            }
            /* the codes as exact floats: a whole group of four rows block by block, in the order they lie in memory
               (one sequential stream, as the decode step reads it), other rows one at a time */
            if (layout == LAYOUT_Q5_0) { /* the file's blocks, row by row: scale and codes (q5_0_codes) */
                for (int i = 0; i < nr; i++) {
                    const uint8_t *w = (const uint8_t *) codes + (int64_t) (g + i) * rowBytes + Q5_0_BYTES * b0;
                    for (int b = 0; b < nbc; b++) {
                        const uint8_t *p = w + Q5_0_BYTES * b;
                        _mm_prefetch((const char *) (p + Q5_0_BYTES * BLOCK_CHUNK), _MM_HINT_T1);
                        __m512 lo, hi;
                        q5_0_codes(p, &lo, &hi);
                        d[i * BLOCK_CHUNK + b] = f16at(p);
                        _mm512_store_ps(q + i * QSTRIDE + 32 * b, lo);
                        _mm512_store_ps(q + i * QSTRIDE + 32 * b + 16, hi);
                    }
                }
            } else if (layout == LAYOUT_Q4_0) { /* Q4_0: the interleaved groups */
                for (int i = 0; i < nr;) {
                    const int32_t r = g + i;
                    const int k = (r & 3) == 0 && i + 4 <= nr ? 4 : 1;
                    const int8_t *w = codes + q4_base(nb, r) + 64 * b0;
                    for (int b = 0; b < nbc; b++) {
                        _mm_prefetch((const char *) (w + 64 * (b + BLOCK_CHUNK)), _MM_HINT_T1);
                        const __m512i v = _mm512_load_si512((const void *) (w + 64 * b));
                        for (int j = 0; j < k; j++) {
                            const int lane = k == 4 ? j : (r & 3);
                            float *o = q + (i + j) * QSTRIDE + 32 * b;
                            _mm512_store_ps(o, Q4_LO(v, lane, tab));
                            _mm512_store_ps(o + 16, Q4_HI(v, lane, tab));
                        }
                    }
                    i += k;
                }
            } else {
                for (int i = 0; i < nr;) {
                    const int32_t r = g + i;
                    const int k = (r & 3) == 0 && i + 4 <= nr && r + 4 <= (rows & ~3) ? 4 : 1;
                    const int64_t cb = 32, step = code_step(cb, rows, r);
                    const int8_t *w = codes + code_row(cb, nb, rows, r) + step * b0;
                    for (int b = 0; b < nbc; b++) {
                        /* the next chunk's codes of these rows into L2 while the tiles run on this one (the hardware
                           prefetcher alone left the batched product 10-20% slower on this layout than on rows) */
                        _mm_prefetch((const char *) (w + step * (b + BLOCK_CHUNK)), _MM_HINT_T1);
                        if (k * cb > 64) _mm_prefetch((const char *) (w + step * (b + BLOCK_CHUNK) + 64), _MM_HINT_T1);
                        for (int j = 0; j < k; j++) {
                            const int8_t *c = w + step * b + cb * j;
                            float *o = q + (i + j) * QSTRIDE + 32 * b;
                            _mm512_store_ps(o, CODES16(c));
                            _mm512_store_ps(o + 16, CODES16(c + 16));
                        }
                    }
                    i += k;
                }
            }
            const float *xc = x + 32 * b0;
            int t = 0;
#define RUN_T(T)                                                                                              \
            for (; t + T <= batch; t += T) {                                                                  \
                int i = 0;                                                                                    \
                for (; i + 4 <= nr; i += 4)                                                                   \
                    tile_4x##T(q + i * QSTRIDE, d + i * BLOCK_CHUNK, nbc, xc + t * xStride, xStride, acc + i * ars + 16 * t, ars); \
                for (; i + 2 <= nr; i += 2)                                                                   \
                    tile_2x##T(q + i * QSTRIDE, d + i * BLOCK_CHUNK, nbc, xc + t * xStride, xStride, acc + i * ars + 16 * t, ars); \
                for (; i < nr; i++)                                                                           \
                    tile_1x##T(q + i * QSTRIDE, d + i * BLOCK_CHUNK, nbc, xc + t * xStride, xStride, acc + i * ars + 16 * t, ars); \
            }
            RUN_T(4)
            RUN_T(2)
            RUN_T(1)
#undef RUN_T
        }
        for (int i = 0; i < nr; i++) {
            for (int t = 0; t < batch; t++) y[t * yStride + g + i] = tree16(_mm512_loadu_ps(acc + i * ars + 16 * t));
        }
    }
}

KERNEL void lm_q8_0r4_matmul(const int8_t *codes, const uint16_t *scales, int64_t nb, int32_t rows, int32_t r0, int32_t r1,
                             const float *x, int64_t xOff, int64_t xStride, int32_t batch,
                             float *y, int64_t yOff, int64_t yStride) {
    matmul(LAYOUT_Q8_0, codes, scales, nb, rows, 0, r0, r1, x, xOff, xStride, batch, y, yOff, yStride);
}

/* Q4_0 (packed in interleaved groups of four rows, q4_base; code byte j of a row's block = element j in the low nibble,
   j + 16 in the high one; code - 8). */
KERNEL void lm_q4_0r4_matmul(const int8_t *codes, const uint16_t *scales, int64_t nb, int32_t rows, int32_t r0, int32_t r1,
                             const float *x, int64_t xOff, int64_t xStride, int32_t batch,
                             float *y, int64_t yOff, int64_t yStride) {
    matmul(LAYOUT_Q4_0, codes, scales, nb, rows, 0, r0, r1, x, xOff, xStride, batch, y, yOff, yStride);
}

/*
 * The Q4_0 decode step (layout code_row): a group of four rows side by side, reading one 64-byte line a block
 * (four independent chains sharing each load of x), their scales widened first into scratch; single rows (a range
 * that starts or ends inside a group, the rows after the last group) one at a time. Codes by table (Q4_TABLE).
 */
KERNEL void lm_q4_0r4_matvec(const int8_t *codes, const uint16_t *scales, int64_t nb, int32_t rows, int32_t r0, int32_t r1,
                             const float *x, int64_t xOff, float *y, int64_t yOff) {
    (void) rows; /* every row is in a group of four (the last one padded): q4_base */
    x += xOff;
    y += yOff;
    const __m512 tab = Q4_TABLE;
    float sc_stack[4 * 512];
    float *sc = 4 * nb <= 4 * 512 ? sc_stack : (float *) malloc(sizeof(float) * 4 * nb);
    int32_t r = r0;
    while (r < r1) {
        const int8_t *w = codes + q4_base(nb, r);
        if ((r & 3) == 0 && r + 4 <= r1) {
            widen_scales(scales + (int64_t) r * nb, 4 * nb, sc);
            __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            for (int64_t b = 0; b < nb; b++) {
                const __m512 x0 = _mm512_loadu_ps(x + 32 * b), x1 = _mm512_loadu_ps(x + 32 * b + 16);
                const int8_t *q = w + 64 * b;
                _mm_prefetch((const char *) (q + Q4_PREFETCH), _MM_HINT_T1);
                const __m512i v = _mm512_load_si512((const void *) q);
                __m512 p0 = _mm512_mul_ps(Q4_LO(v, 0, tab), x0);
                __m512 p1 = _mm512_mul_ps(Q4_LO(v, 1, tab), x0);
                __m512 p2 = _mm512_mul_ps(Q4_LO(v, 2, tab), x0);
                __m512 p3 = _mm512_mul_ps(Q4_LO(v, 3, tab), x0);
                p0 = _mm512_fmadd_ps(Q4_HI(v, 0, tab), x1, p0);
                p1 = _mm512_fmadd_ps(Q4_HI(v, 1, tab), x1, p1);
                p2 = _mm512_fmadd_ps(Q4_HI(v, 2, tab), x1, p2);
                p3 = _mm512_fmadd_ps(Q4_HI(v, 3, tab), x1, p3);
                a0 = _mm512_fmadd_ps(p0, _mm512_set1_ps(sc[b]), a0);
                a1 = _mm512_fmadd_ps(p1, _mm512_set1_ps(sc[nb + b]), a1);
                a2 = _mm512_fmadd_ps(p2, _mm512_set1_ps(sc[2 * nb + b]), a2);
                a3 = _mm512_fmadd_ps(p3, _mm512_set1_ps(sc[3 * nb + b]), a3);
            }
            y[r] = tree16(a0);
            y[r + 1] = tree16(a1);
            y[r + 2] = tree16(a2);
            y[r + 3] = tree16(a3);
            r += 4;
        } else {
            widen_scales(scales + (int64_t) r * nb, nb, sc);
            const int i = r & 3;
            __m512 a0 = _mm512_setzero_ps();
            for (int64_t b = 0; b < nb; b++) {
                const __m512i v = _mm512_load_si512((const void *) (w + 64 * b));
                __m512 p0 = _mm512_mul_ps(Q4_LO(v, i, tab), _mm512_loadu_ps(x + 32 * b));
                p0 = _mm512_fmadd_ps(Q4_HI(v, i, tab), _mm512_loadu_ps(x + 32 * b + 16), p0);
                a0 = _mm512_fmadd_ps(p0, _mm512_set1_ps(sc[b]), a0);
            }
            y[r] = tree16(a0);
            r++;
        }
    }
    if (sc != sc_stack) free(sc);
}

/* ------------------------------------------------------------------ Q5_0 and Q5_1: the kernels */

/* A block's scalars widened to binary32 (exact): Q5_0 its d, Q5_1 its d and m. */
KERNEL static inline void q5_0_scalars(const uint8_t *p, float *s) {
    s[0] = f16at(p);
}
KERNEL static inline void q5_1_scalars(const uint8_t *p, float *s) {
    s[0] = f16at(p);
    s[1] = f16at(p + 2);
}

/* Q5_0's canonical block (Q5_0Tensor), d = s[0]: p = q[m] * x[m]; p = fma(q[m + 16], x[m + 16], p); acc[m] = fma(p, d, acc[m]). */
KERNEL static inline __m512 q5_0_step(__m512 acc, const uint8_t *p, const float *s, __m512 x0, __m512 x1) {
    __m512 lo, hi;
    q5_0_codes(p, &lo, &hi);
    const __m512 pr = _mm512_fmadd_ps(hi, x1, _mm512_mul_ps(lo, x0));
    return _mm512_fmadd_ps(pr, _mm512_set1_ps(s[0]), acc);
}

/* Q5_1's (a value type: DequantDot's layout): acc[i mod 16] = fma(w[i], x[i], acc[i mod 16]), element m then m + 16. */
KERNEL static inline __m512 q5_1_step(__m512 acc, const uint8_t *p, const float *s, __m512 x0, __m512 x1) {
    __m512 lo, hi;
    q5_1_values(p, s, &lo, &hi);
    return _mm512_fmadd_ps(hi, x1, _mm512_fmadd_ps(lo, x0, acc));
}

/* Blocks whose scalars the decode step widens into scratch at a time (then broadcast from memory: no shuffle). */
#ifndef Q5_SCALAR_CHUNK
#define Q5_SCALAR_CHUNK 32
#endif

/*
 * The decode step of type T (q5_0, q5_1; BYTES a block, NS scalars a block): y[r] = dot(row r, x) for R rows side by
 * side from w0 (rowBytes apart, nb blocks): R independent chains sharing each load of x. Per chunk of
 * Q5_SCALAR_CHUNK blocks, the rows' block scalars are widened into scratch first (T_scalars), so the steps take
 * them as memory broadcasts; with prefetch, the rows `prefetch` rows ahead are prefetched into L2 as these are read.
 * Then lm_T_matvec: rows [r0, r1) by 4, 2, 1.
 */
#define Q5_ROWS(T, BYTES, NS, R)                                                                              \
    KERNEL __attribute__((unused)) static void T##_rows##R(const uint8_t *w0, int64_t rowBytes, int64_t nb,  \
                                                           const float *x, float *y, int prefetch) {          \
        __m512 a[R];                                                                                         \
        float s[R][(NS) * Q5_SCALAR_CHUNK];                                                                  \
        _Pragma("GCC unroll 4") for (int i = 0; i < R; i++) a[i] = _mm512_setzero_ps();                      \
        for (int64_t b0 = 0; b0 < nb; b0 += Q5_SCALAR_CHUNK) {                                               \
            const int nbc = nb - b0 < Q5_SCALAR_CHUNK ? (int) (nb - b0) : Q5_SCALAR_CHUNK;                   \
            _Pragma("GCC unroll 4") for (int i = 0; i < R; i++) {                                            \
                const uint8_t *p = w0 + i * rowBytes + (BYTES) * b0;                                         \
                for (int b = 0; b < nbc; b++) T##_scalars(p + (BYTES) * b, s[i] + (NS) * b);                 \
            }                                                                                                \
            for (int b = 0; b < nbc; b++) {                                                                  \
                const float *xb = x + 32 * (b0 + b);                                                         \
                const __m512 x0 = _mm512_loadu_ps(xb), x1 = _mm512_loadu_ps(xb + 16);                       \
                _Pragma("GCC unroll 4") for (int i = 0; i < R; i++) {                                        \
                    const uint8_t *p = w0 + i * rowBytes + (BYTES) * (b0 + b);                               \
                    if (prefetch) _mm_prefetch((const char *) (p + prefetch * rowBytes), _MM_HINT_T1);       \
                    a[i] = T##_step(a[i], p, s[i] + (NS) * b, x0, x1);                                       \
                }                                                                                            \
            }                                                                                                \
        }                                                                                                    \
        _Pragma("GCC unroll 4") for (int i = 0; i < R; i++) y[i] = tree16(a[i]);                             \
    }

#define Q5_MATVEC(T, BYTES, NS)                                                                               \
    Q5_ROWS(T, BYTES, NS, 4)                                                                                  \
    Q5_ROWS(T, BYTES, NS, 2)                                                                                  \
    Q5_ROWS(T, BYTES, NS, 1)                                                                                  \
    KERNEL void lm_##T##_matvec(const uint8_t *w, int64_t rowBytes, int64_t nb, int32_t r0, int32_t r1,      \
                                const float *x, int64_t xOff, float *y, int64_t yOff) {                       \
        x += xOff;                                                                                           \
        y += yOff;                                                                                           \
        int32_t r = r0;                                                                                      \
        for (; r + 4 <= r1; r += 4) T##_rows4(w + r * rowBytes, rowBytes, nb, x, y + r, r + 8 <= r1 ? 4 : 0); \
        for (; r + 2 <= r1; r += 2) T##_rows2(w + r * rowBytes, rowBytes, nb, x, y + r, 0);                  \
        for (; r < r1; r++) T##_rows1(w + r * rowBytes, rowBytes, nb, x, y + r, 0);                          \
    }

Q5_MATVEC(q5_0, Q5_0_BYTES, 1)
Q5_MATVEC(q5_1, Q5_1_BYTES, 2)

/* Q5_0 batched: the codes and scales of the file's blocks decoded into matmul's scratch, then DEFINE_TILE's tiles. */
KERNEL void lm_q5_0_matmul(const uint8_t *w, int64_t rowBytes, int64_t nb, int32_t r0, int32_t r1,
                           const float *x, int64_t xOff, int64_t xStride, int32_t batch,
                           float *y, int64_t yOff, int64_t yStride) {
    matmul(LAYOUT_Q5_0, (const int8_t *) w, NULL, nb, 0, rowBytes, r0, r1, x, xOff, xStride, batch, y, yOff, yStride);
}

/* One Q5_1 block at p decoded into out[0..32) (the element values, exactly). */
KERNEL static void q5_1_decode(const uint8_t *p, float *out) {
    const float dm[2] = {f16at(p), f16at(p + 2)};
    __m512 lo, hi;
    q5_1_values(p, dm, &lo, &hi);
    _mm512_store_ps(out, lo);
    _mm512_store_ps(out + 16, hi);
}

/* Q5_1 batched: ledgermind_values.h's shared driver and 4 x 4 tiles over rows decoded by q5_1_decode. */
KERNEL void lm_q5_1_matmul(const uint8_t *w, int64_t rowBytes, int64_t nb, int32_t r0, int32_t r1,
                           const float *x, int64_t xOff, int64_t xStride, int32_t batch,
                           float *y, int64_t yOff, int64_t yStride) {
    lm_values_matmul(q5_1_decode, Q5_1_BYTES, 32, w, rowBytes, nb, r0, r1, x, xOff, xStride, batch, y, yOff, yStride);
}

/* ------------------------------------------------------------------ llama.cpp's integer product: speed only */

/*
 * NOT the canonical product. x (nb blocks) quantized as llama.cpp's quantize_row_q8_0 does (d = amax / 127,
 * codes round(x / d)), into xq (32 signed bytes a block) and xd (binary32 scales).
 */
KERNEL void lm_quantize_q8_0_int8(const float *x, int64_t nb, int8_t *xq, float *xd) {
    for (int64_t b = 0; b < nb; b++) {
        __m512 v0 = _mm512_loadu_ps(x + 32 * b), v1 = _mm512_loadu_ps(x + 32 * b + 16);
        float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
        float dd = amax / 127.0f;
        float id = dd != 0 ? 1.0f / dd : 0.0f;
        __m512 iv = _mm512_set1_ps(id);
        __m512i i0 = _mm512_cvtps_epi32(_mm512_roundscale_ps(_mm512_mul_ps(v0, iv), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        __m512i i1 = _mm512_cvtps_epi32(_mm512_roundscale_ps(_mm512_mul_ps(v1, iv), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        _mm_storeu_si128((__m128i *) (xq + 32 * b), _mm512_cvtsepi32_epi8(i0));
        _mm_storeu_si128((__m128i *) (xq + 32 * b + 16), _mm512_cvtsepi32_epi8(i1));
        xd[b] = dd;
    }
}

/*
 * NOT the canonical product: llama.cpp-style Q8_0 x Q8_0 for rows [r0, r1) and `batch` quantized inputs (xq/xd,
 * nb blocks each, back to back): per block, |xq| (u8) times the weight codes with xq's sign (s8), summed by
 * vpdpbusd into int32, converted and scaled by d_w * d_x into a float accumulator, two blocks a 512-bit register.
 * Four rows side by side, sharing each input load (one input: decode; several: prefill).
 */
KERNEL void lm_q8_0_matmul_int8(const int8_t *codes, const uint16_t *scales, int64_t nb, int32_t rows, int32_t r0, int32_t r1,
                                const int8_t *xq, const float *xd, int32_t batch, float *y, int64_t yStride) {
    const int64_t rb = 32 * nb;
    const __m512i zero = _mm512_setzero_si512();
    /* lane j of a 512-bit int32 vector holds 4 bytes of block (j < 8 ? b : b + 1) */
    const __m512i sel = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    for (int32_t r = r0; r < r1; r += 4) {
        int nr = r1 - r < 4 ? r1 - r : 4;
        for (int32_t t = 0; t < batch; t++) {
            const int8_t *xt = xq + (int64_t) t * rb;
            const float *dt = xd + (int64_t) t * nb;
            __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
            int64_t b = 0;
            for (; b + 2 <= nb; b += 2) {
                __m512i xv = _mm512_loadu_si512(xt + 32 * b);
                __m512i ax = _mm512_abs_epi8(xv);
                __mmask64 neg = _mm512_movepi8_mask(xv);
                __m512 dx = _mm512_permutexvar_ps(sel, _mm512_castps128_ps512(_mm_loadl_pi(_mm_setzero_ps(), (const __m64 *) (dt + b))));
                for (int i = 0; i < nr; i++) {
                    const int64_t step = code_step(32, rows, r + i);
                    const int8_t *w = codes + code_row(32, nb, rows, r + i) + step * b; /* blocks b, b + 1 */
                    if (t == 0) _mm_prefetch((const char *) (w + Q8_PREFETCH), _MM_HINT_T1); /* as the binary32 decode */
                    __m512i wv = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *) w)),
                                                    _mm256_loadu_si256((const __m256i *) (w + step)), 1);
                    __m512i sw = _mm512_mask_sub_epi8(wv, neg, zero, wv);
                    __m512i s = _mm512_dpbusd_epi32(zero, ax, sw);
                    const uint16_t *h = scales + (int64_t) (r + i) * nb + b;
                    __m512 dw = _mm512_permutexvar_ps(sel, _mm512_castps128_ps512(_mm_cvtph_ps(_mm_cvtsi32_si128(*(const int32_t *) h))));
                    acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(dw, dx), acc[i]);
                }
            }
            for (int i = 0; i < nr; i++) {
                float v = _mm512_reduce_add_ps(acc[i]);
                for (int64_t bb = b; bb < nb; bb++) {
                    int s = 0;
                    for (int j = 0; j < 32; j++) s += codes[code_row(32, nb, rows, r + i) + code_step(32, rows, r + i) * bb + j] * xt[32 * bb + j];
                    v += (float) s * _cvtsh_ss(scales[(int64_t) (r + i) * nb + bb]) * dt[bb];
                }
                y[t * yStride + r + i] = v;
            }
        }
    }
}

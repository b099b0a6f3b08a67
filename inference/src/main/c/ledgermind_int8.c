/*
 * Ledgermind native kernels: the int8-q8 product (ComputeProfile.INT8_Q8) of Q8_0, Q4_0 and Q5_0 weights with
 * activations quantized to Int8Input.Q8_32 blocks (32 int8 codes, one binary32 scale and one int code sum a block),
 * called from Java through the FFM API (Int8Kernels.java). The definition (Int8Kernels, the three class javadocs):
 *
 *   for each output (row r, input t): acc[0..15] = +0.0f
 *   for each block b (increasing):
 *     sumi_b = sum over i < 32 of qw[i] * qx[i]      (exact int32; qw: Q8_0 the int8 codes, Q4_0 nibble - 8, Q5_0 5 bits - 16)
 *     s_b    = dw_b * dx_b                          (binary32 multiply; dw the f16 scale widened, exact)
 *     acc[b mod 16] = fma((float) sumi_b, s_b, acc[b mod 16])
 *   y = ((a0+a1)+(a2+a3)) + ((a4+a5)+(a6+a7))  +  ((a8+a9)+(a10+a11)) + ((a12+a13)+(a14+a15))
 *
 * The integer part is exact whatever the order, so only the float steps need the definition's order, and they get it:
 * the kernels put ROWS IN LANES. Sixteen rows (a group) are computed side by side, lane i of every register being row
 * 16g + i: lane i of accumulator j is row i's acc[j], and block b's float steps are one lanewise convert, multiply and
 * fma into accumulator b mod 16. No transposition or horizontal reduction is needed anywhere: the packed copy
 * (lm_i8_pack) stores a group's block b as 64-byte lines whose 32-bit lane i holds four consecutive code bytes of
 * row i, so vpdpbusd (u8 x s8, four products summed into each 32-bit lane) against one broadcast 32-bit word of the
 * input's codes sums four products of every row of the group at once, and eight of them give the group's sumi_b
 * (sixteen rows, one block) in one register. The tree at the end is lanewise too: the 16 rows' results in one store.
 *
 * vpdpbusd multiplies unsigned bytes by signed ones, so the weight codes are made unsigned and the offset is taken out
 * exactly afterwards, with the input block's code sum xs (Int8Input.sums32):
 *   Q8_0: the copy holds q + 128 (q XOR 0x80):           sumi = sum((q + 128) x) - 128 xs
 *   Q4_0: the raw nibbles n (q = n - 8):                 sumi = sum(n x) - 8 xs
 *   Q5_0: the 5-bit codes c = n + 16 h (q = c - 16):     sumi = sum(c x) - 16 xs
 * (every partial sum stays below 2^31: |sum| <= 32 * 255 * 127.)
 *
 * The packed copy (rows padded to a multiple of 16 with zero bytes; a group is one sequential stream):
 *   codes: record (g, b) at (g * nb + b) * RB bytes, RB = 512 (Q8_0), 256 (Q4_0), 320 (Q5_0);
 *     Q8_0: line k < 8, lane i, byte j = row 16g+i's code 4k+j of block b, XOR 0x80;
 *     Q4_0, Q5_0: line k < 4, lane i, byte j = row 16g+i's code byte qs[4k+j] (element 4k+j in the low nibble,
 *       16+4k+j in the high one);
 *     Q5_0: then 8 masks of 64 bits, mask 4h+k bit 4i+j = the fifth bit of row 16g+i's element 16h+4k+j, which
 *       a masked byte add (+16) puts into the nibble;
 *   scales: row 16g+i's block b f16 scale (unchanged) at ((g * nb + b) * 16 + i) * 2 bytes.
 * So 16 rows' scales for block b are 32 contiguous bytes: one vcvtph2ps (exact, subnormals, infinities and NaNs
 * included).
 *
 * The build compiles with -ffp-contract=off and without -ffast-math (build.sh): the float intrinsics are exactly the
 * lanewise operations written. Outputs of rows outside [r0, r1) in a group are computed but never stored.
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define I8KERNEL __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,f16c,fma,avx512vnni")))

enum { I8_Q8_0 = 0, I8_Q4_0 = 1, I8_Q5_0 = 2 };

static inline int64_t i8_record(int type) {
    return type == I8_Q8_0 ? 512 : type == I8_Q4_0 ? 256 : 320;
}

static inline int i8_block_bytes(int type) {
    return type == I8_Q8_0 ? 34 : type == I8_Q4_0 ? 18 : 22;
}

/* How far ahead (bytes) the decode step prefetches its group's stream into L2. */
#ifndef I8_PREFETCH
#define I8_PREFETCH 1024
#endif

/*
 * Packs rows [r0, r1) of the file's blocks (w: rowBytes a row, nb blocks of type `type` a row) into the copy above
 * (codes, scales: allocated for the rows rounded up to 16, zeroed). Plain C, once per tensor at load.
 */
void lm_i8_pack(int32_t type, const uint8_t *w, int64_t rowBytes, int64_t nb, int32_t r0, int32_t r1,
                uint8_t *codes, uint16_t *scales) {
    const int64_t rb = i8_record(type);
    const int bb = i8_block_bytes(type);
    for (int32_t r = r0; r < r1; r++) {
        const int64_t g = r >> 4;
        const int i = r & 15;
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *p = w + r * rowBytes + b * bb;
            uint8_t *rec = codes + (g * nb + b) * rb;
            uint16_t h;
            memcpy(&h, p, 2);
            scales[(g * nb + b) * 16 + i] = h;
            /* four code bytes at a time: codes 4k..4k+3 to lane i of line k */
            if (type == I8_Q8_0) {
                for (int k = 0; k < 8; k++) {
                    uint32_t c;
                    memcpy(&c, p + 2 + 4 * k, 4);
                    c ^= 0x80808080u;
                    memcpy(rec + 64 * k + 4 * i, &c, 4);
                }
            } else {
                const uint8_t *qs = p + (type == I8_Q4_0 ? 2 : 6);
                for (int k = 0; k < 4; k++) memcpy(rec + 64 * k + 4 * i, qs + 4 * k, 4);
                if (type == I8_Q5_0) {
                    uint32_t qh;
                    memcpy(&qh, p + 2, 4);
                    for (int hk = 0; hk < 8; hk++) { /* mask 4h + k, bits 4i..4i+3: qh bits 16h+4k .. 16h+4k+3 */
                        const uint32_t nib = (qh >> (16 * (hk >> 2) + 4 * (hk & 3))) & 15u;
                        uint8_t *mb = rec + 256 + 8 * hk + (i >> 1);
                        const int sh = 4 * (i & 1);
                        *mb = (uint8_t) ((*mb & ~(15u << sh)) | (nib << sh));
                    }
                }
            }
        }
    }
}

/*
 * The eight unsigned code vectors of a group's block (record rec), in the order of the input's 32-bit words: v[k]
 * pairs with the input codes 4k..4k+3 (Q4_0, Q5_0: v[k] the low nibbles of line k, v[4 + k] the high ones).
 */
I8KERNEL static inline __attribute__((always_inline)) void i8_codes(int type, const uint8_t *rec, __m512i v[8]) {
    if (type == I8_Q8_0) {
        _Pragma("GCC unroll 8") for (int k = 0; k < 8; k++) v[k] = _mm512_load_si512((const void *) (rec + 64 * k));
        return;
    }
    const __m512i m4 = _mm512_set1_epi8(0x0f);
    _Pragma("GCC unroll 4") for (int k = 0; k < 4; k++) {
        const __m512i c = _mm512_load_si512((const void *) (rec + 64 * k));
        v[k] = _mm512_and_si512(c, m4);
        v[4 + k] = _mm512_and_si512(_mm512_srli_epi16(c, 4), m4);
    }
    if (type == I8_Q5_0) {
        const __m512i c16 = _mm512_set1_epi8(16);
        _Pragma("GCC unroll 8") for (int k = 0; k < 8; k++) {
            uint64_t mk;
            memcpy(&mk, rec + 256 + 8 * k, 8);
            v[k] = _mm512_mask_add_epi8(v[k], _cvtu64_mask64(mk), v[k], c16);
        }
    }
}

/* The offset the unsigned codes carry: sumi = sum(v x) - OFFSET * xs. */
static inline int i8_offset(int type) {
    return type == I8_Q8_0 ? 128 : type == I8_Q4_0 ? 8 : 16;
}

/* acc + vpdpbusd(a, the 32-bit word at p broadcast): the broadcast as the instruction's memory operand ({1to16}). */
/* (gcc 12 keeps a vpbroadcastd per word with the intrinsics. This form measured 1.1-1.2x the batched product's speed,
   but 0.8-0.9x the decode step's, which keeps the intrinsics: bcst below.) */
typedef int32_t i8_word __attribute__((may_alias, aligned(1)));
I8KERNEL static inline __attribute__((always_inline)) __m512i i8_dp_bcst(__m512i acc, __m512i a, const int8_t *p) {
    __asm__("vpdpbusd %2%{1to16%}, %1, %0" : "+v"(acc) : "v"(a), "m"(*(const i8_word *) p));
    return acc;
}

/* sumi_b of the sixteen rows (lane i: row i) for the input block's codes xb (32 bytes) and code sum xs (bcst: the words
   by i8_dp_bcst, else by register broadcasts). */
I8KERNEL static inline __attribute__((always_inline)) __m512i i8_sumi(int type, const __m512i v[8], const int8_t *xb, int32_t xs,
                                                                     int bcst) {
    __m512i s0 = _mm512_setzero_si512(), s1 = s0;
    _Pragma("GCC unroll 4") for (int k = 0; k < 4; k++) {
        if (bcst) {
            s0 = i8_dp_bcst(s0, v[2 * k], xb + 8 * k);
            s1 = i8_dp_bcst(s1, v[2 * k + 1], xb + 8 * k + 4);
        } else {
            s0 = _mm512_dpbusd_epi32(s0, v[2 * k], _mm512_set1_epi32(*(const i8_word *) (xb + 8 * k)));
            s1 = _mm512_dpbusd_epi32(s1, v[2 * k + 1], _mm512_set1_epi32(*(const i8_word *) (xb + 8 * k + 4)));
        }
    }
    return _mm512_sub_epi32(_mm512_add_epi32(s0, s1), _mm512_set1_epi32(i8_offset(type) * xs));
}

/* The float steps of block b: acc = fma((float) sumi, dw * dx, acc), lanewise (dw: the 16 rows' widened scales). */
I8KERNEL static inline __attribute__((always_inline)) __m512 i8_step(__m512 acc, __m512i sumi, __m512 dw, float dx) {
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(sumi), _mm512_mul_ps(dw, _mm512_set1_ps(dx)), acc);
}

/* Dot.combine's tree, lanewise over the 16 accumulators. */
I8KERNEL static inline __attribute__((always_inline)) __m512 i8_tree(const __m512 a[16]) {
    const __m512 lo = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a[0], a[1]), _mm512_add_ps(a[2], a[3])),
                                    _mm512_add_ps(_mm512_add_ps(a[4], a[5]), _mm512_add_ps(a[6], a[7])));
    const __m512 hi = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a[8], a[9]), _mm512_add_ps(a[10], a[11])),
                                    _mm512_add_ps(_mm512_add_ps(a[12], a[13]), _mm512_add_ps(a[14], a[15])));
    return _mm512_add_ps(lo, hi);
}

/* The lanes of group g whose rows lie in [r0, r1). */
static inline __mmask16 i8_lanes(int32_t g, int32_t r0, int32_t r1) {
    const int32_t lo = r0 > 16 * g ? r0 - 16 * g : 0, hi = r1 < 16 * g + 16 ? r1 - 16 * g : 16;
    return (__mmask16) (((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

/*
 * The decode step: y[yOff + r] = dot(row r, input 0) for rows [r0, r1). Per group, the 16 accumulators in registers,
 * blocks unrolled by 16 (block b0 + j into accumulator j); the group's stream is prefetched I8_PREFETCH bytes ahead,
 * which runs on into the next group's records (they follow in memory).
 */
I8KERNEL static inline __attribute__((always_inline)) void i8_matvec(int type, const uint8_t *codes, const uint16_t *scales,
        int64_t nb, int32_t r0, int32_t r1, const int8_t *xq, const float *xd, const int32_t *xs, float *y, int64_t yOff) {
    const int64_t rb = i8_record(type);
    y += yOff;
    for (int32_t g = r0 >> 4; 16 * g < r1; g++) {
        const uint8_t *wg = codes + (int64_t) g * nb * rb;
        const uint16_t *sg = scales + (int64_t) g * nb * 16;
        __m512 acc[16];
        for (int j = 0; j < 16; j++) acc[j] = _mm512_setzero_ps();
        for (int64_t b0 = 0; b0 < nb; b0 += 16) {
            const int nbc = nb - b0 < 16 ? (int) (nb - b0) : 16;
            _Pragma("GCC unroll 16") for (int j = 0; j < 16; j++) {
                if (j < nbc) {
                    const int64_t b = b0 + j;
                    const uint8_t *rec = wg + b * rb;
                    if (I8_PREFETCH > 0) {
                        _Pragma("GCC unroll 8") for (int64_t l = 0; l < rb; l += 64) _mm_prefetch((const char *) (rec + I8_PREFETCH + l), _MM_HINT_T1);
                    }
                    __m512i v[8];
                    i8_codes(type, rec, v);
                    const __m512 dw = _mm512_cvtph_ps(_mm256_load_si256((const __m256i *) (sg + 16 * b)));
                    acc[j] = i8_step(acc[j], i8_sumi(type, v, xq + 32 * b, xs[b], 0), dw, xd[b]);
                }
            }
        }
        _mm512_mask_storeu_ps(y + 16 * g, i8_lanes(g, r0, r1), i8_tree(acc));
    }
}

/* Inputs per pass over a group's records in the batched product (their accumulators: 1 KiB each, in L1). */
#define I8_TILE 8

/*
 * The batched product: y[yOff + t * yStride + r] = dot(row r, input t) for rows [r0, r1), t < n (input t's codes at
 * xq + t * 32 nb, its scales and sums at t * nb). Per group and tile of I8_TILE inputs, block by block: the block's
 * codes are made unsigned once (registers) and every input of the tile takes its sumi from them; the accumulators
 * wait in scratch (acc[t][j], row i in lane i), each still receiving its fmas in increasing block order.
 */
I8KERNEL static inline __attribute__((always_inline)) void i8_matmul(int type, const uint8_t *codes, const uint16_t *scales,
        int64_t nb, int32_t r0, int32_t r1, const int8_t *xq, const float *xd, const int32_t *xs, int32_t n,
        float *y, int64_t yOff, int64_t yStride) {
    const int64_t rb = i8_record(type);
    y += yOff;
    __m512 acc[I8_TILE][16];
    for (int32_t g = r0 >> 4; 16 * g < r1; g++) {
        const uint8_t *wg = codes + (int64_t) g * nb * rb;
        const uint16_t *sg = scales + (int64_t) g * nb * 16;
        const __mmask16 lanes = i8_lanes(g, r0, r1);
        for (int32_t t0 = 0; t0 < n; t0 += I8_TILE) {
            const int nt = n - t0 < I8_TILE ? n - t0 : I8_TILE;
            for (int t = 0; t < nt; t++) for (int j = 0; j < 16; j++) acc[t][j] = _mm512_setzero_ps();
            for (int64_t b = 0; b < nb; b++) {
                const uint8_t *rec = wg + b * rb;
                __m512i v[8];
                i8_codes(type, rec, v);
                const __m512 dw = _mm512_cvtph_ps(_mm256_load_si256((const __m256i *) (sg + 16 * b)));
                const int j = (int) (b & 15);
                for (int t = 0; t < nt; t++) {
                    const int64_t u = (int64_t) (t0 + t) * nb + b;
                    acc[t][j] = i8_step(acc[t][j], i8_sumi(type, v, xq + 32 * u, xs[u], 1), dw, xd[u]);
                }
            }
            for (int t = 0; t < nt; t++) _mm512_mask_storeu_ps(y + (int64_t) (t0 + t) * yStride + 16 * g, lanes, i8_tree(acc[t]));
        }
    }
}

#define I8_ENTRY(T, TYPE)                                                                                       \
    I8KERNEL void lm_##T##_i8_matvec(const uint8_t *codes, const uint16_t *scales, int64_t nb, int32_t r0,      \
                                     int32_t r1, const int8_t *xq, const float *xd, const int32_t *xs,            \
                                     float *y, int64_t yOff) {                                                   \
        i8_matvec(TYPE, codes, scales, nb, r0, r1, xq, xd, xs, y, yOff);                                          \
    }                                                                                                           \
    I8KERNEL void lm_##T##_i8_matmul(const uint8_t *codes, const uint16_t *scales, int64_t nb, int32_t r0,      \
                                     int32_t r1, const int8_t *xq, const float *xd, const int32_t *xs, int32_t n, \
                                     float *y, int64_t yOff, int64_t yStride) {                                  \
        i8_matmul(TYPE, codes, scales, nb, r0, r1, xq, xd, xs, n, y, yOff, yStride);                              \
    }

I8_ENTRY(q8_0, I8_Q8_0)
I8_ENTRY(q4_0, I8_Q4_0)
I8_ENTRY(q5_0, I8_Q5_0)

/* ------------------------------------------------------------------ the activation quantization (Int8Input) */

/*
 * Int8Input's canonical quantization of n inputs of `cols` floats (input t at x + xOff + t * xStride) in blocks of bs
 * (32: Q8_32, 256: Q8_256), the same bits as the Java reference Int8Input.quantizeBlock, whose rule this is:
 *   amax = the largest |x[i]| taken on the bit patterns (|x| as an int: a NaN anywhere gives a NaN)
 *   d    = amax / 127f                                         (one binary32 division)
 *   d NaN or infinite: scale d, codes 0;  d < 2^-126: scale 0, codes 0;
 *   else id = 1f / d, q[i] = rint(x[i] * id) (vcvtps2dq rounding to nearest even, as Math.rint; |q| <= 127), scale d.
 * Codes of input t at q + t * cols; scales at d + t * cols / bs; and the exact code sums: bs 32 one a block
 * (Int8Input.sums32), bs 256 one per 16 codes (Int8Input.sums16), at sums + t * cols / (bs == 32 ? 32 : 16).
 */
I8KERNEL static inline __attribute__((always_inline)) void i8_quantize_block(const float *x, int nv, int8_t *q, float *d,
                                                                             int32_t *sums, int per16) {
    __m512 v[16];
    __m512i mx = _mm512_setzero_si512();
    const __m512i abs = _mm512_set1_epi32(0x7fffffff);
    for (int i = 0; i < nv; i++) {
        v[i] = _mm512_loadu_ps(x + 16 * i);
        mx = _mm512_max_epi32(mx, _mm512_and_si512(_mm512_castps_si512(v[i]), abs));
    }
    const int32_t bits = _mm512_reduce_max_epi32(mx);
    float amax;
    memcpy(&amax, &bits, 4);
    const float dd = amax / 127.0f;
    if (!(dd >= 0x1p-126f && dd <= 0x1.fffffep127f)) { /* NaN, infinite, zero or subnormal */
        for (int i = 0; i < nv; i++) _mm_storeu_si128((__m128i *) (q + 16 * i), _mm_setzero_si128());
        if (per16) for (int i = 0; i < nv; i++) sums[i] = 0;
        else sums[0] = 0;
        *d = dd != dd || dd > 0x1.fffffep127f ? dd : 0.0f;
        return;
    }
    const __m512 id = _mm512_set1_ps(1.0f / dd);
    __m512i total = _mm512_setzero_si512();
    for (int i = 0; i < nv; i++) {
        const __m512i c = _mm512_cvt_roundps_epi32(_mm512_mul_ps(v[i], id), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm_storeu_si128((__m128i *) (q + 16 * i), _mm512_cvtepi32_epi8(c));
        if (per16) sums[i] = _mm512_reduce_add_epi32(c);
        else total = _mm512_add_epi32(total, c);
    }
    if (!per16) sums[0] = _mm512_reduce_add_epi32(total);
    *d = dd;
}

I8KERNEL void lm_i8_quantize(const float *x, int64_t xOff, int64_t xStride, int32_t n, int32_t cols, int32_t bs,
                             int8_t *q, float *d, int32_t *sums) {
    const int per16 = bs == 256;
    const int64_t nb = cols / bs, ns = per16 ? cols / 16 : nb;
    for (int32_t t = 0; t < n; t++) {
        const float *xt = x + xOff + (int64_t) t * xStride;
        for (int64_t b = 0; b < nb; b++) {
            int32_t *s = sums + (int64_t) t * ns + (per16 ? 16 * b : b);
            if (per16) i8_quantize_block(xt + bs * b, 16, q + (int64_t) t * cols + bs * b, d + (int64_t) t * nb + b, s, 1);
            else i8_quantize_block(xt + bs * b, 2, q + (int64_t) t * cols + bs * b, d + (int64_t) t * nb + b, s, 0);
        }
    }
}

/*
 * Ledgermind native kernels: the int8-q8 product (ComputeProfile.INT8_Q8) of the K-quants Q4_K, Q5_K and Q6_K with
 * inputs quantized in Int8Input's Q8_256 format (codes in element order, one binary32 scale per 256, the exact code
 * sum of every 16 codes), AVX-512 with VNNI. Called from Java through the FFM API (Int8KQuantKernels.java). The
 * definitions are the Java classes' (Q4_KTensor, Q5_KTensor, Q6_KTensor, class javadocs); for super-block s of a row,
 * dx the input's scale of that block, qx its codes, d and dmin the super-block's f16 values widened:
 *
 *   Q4_K, Q5_K:  A = sum_j sc_j * sum_{i in sub-block j} q[i] * qx[i]    B = sum_j mn_j * bs_j   (exact int32)
 *                acc[s mod 16] = fma(d * dx, (float) A, acc[s mod 16]); acc[s mod 16] = fma(-(dmin * dx), (float) B, ..)
 *   Q6_K:        A = sum_j sc_j * sum_{i in sub-block j} (q[i] - 32) * qx[i]                       (exact int32)
 *                acc[s mod 16] = fma(d * dx, (float) A, acc[s mod 16])
 *   result = Dot.combine's tree over acc (acc starts as 16 x +0.0f)
 *
 * The integer parts are exact whatever the order of their additions (every partial sum stays far inside int32: |A| <
 * 2^28, |B| < 2^21), so the kernels form them with any grouping, and then issue exactly the listed float operations
 * in the listed order (fnmadd(M, B, acc) is fma(-M, B, acc): negation is exact, one rounding), so they give the bits
 * of the Java reference at any width. Compiled with -ffp-contract=off and without -ffast-math (build.sh).
 *
 * Integer part (per row, input and super-block): the weight codes as unsigned bytes in element order, 64 a register;
 * vpmaddubsw (u8 x s8, pairs summed to s16: |2 * 63 * 127| < 2^15, never saturating) and vpdpwssd with the sub-block
 * scales as 16-bit words (the scale of each pair's sub-block), so one accumulator of 16 int32 lanes sums to A. Q6_K
 * takes the raw 6-bit q (0..63) and adds sum_j (-32 sc_j) * sums16_j (one more vpdpwssd with Int8Input.sums16):
 * exactly sum_j sc_j * sum (q - 32) qx. B (Q4_K, Q5_K) is vpmaddwd of the 8 mins with the 8 sub-block code sums
 * bs_j = sums16[2j] + sums16[2j + 1]. Four rows go side by side (each input's activation registers loaded once for
 * the four), their four A accumulators reduced together (one transpose-and-add tree) to one int32 per row.
 *
 * Float part: the 16 partial sums of the four rows of a group live as 4 registers of 16 lanes, lane 4 s' + i of
 * register c holding partial 4 c + s' of row i; a group of 4 consecutive super-blocks s = 4 q + s' updates register
 * q mod 4 with one vector fma (and one fnmadd) whose lane 4 s' + i is (row i, super-block 4 q + s'): every partial sum
 * receives its super-blocks in increasing order, one fma each, as the definition says (lanes of a missing super-block
 * at the end of a row are masked off, left untouched).
 *
 * One entry point a type: the decode step (batch 1: four rows side by side, the next four prefetched) and the batched
 * product (four rows decoded once a super-block, every input passing over them in turn) are the same loop. The weights
 * are read where the Java tensor holds them (its segment of the mapped file); the input's codes, scales and sums and
 * the outputs are Java arrays passed as heap segments to a critical downcall (no copy).
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define I8K __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vnni,f16c,fma")))
#define I8K_INLINE I8K static inline __attribute__((always_inline))

enum { I8K_Q4_K = 0, I8K_Q5_K = 1, I8K_Q6_K = 2 };

/* Dot.combine's fixed tree over s[0], s[stride], .., s[15 * stride] (the same additions, operands and order). */
static inline float i8k_tree(const float *s, int stride) {
#define S(m) s[(m) * stride]
    float a = ((S(0) + S(1)) + (S(2) + S(3))) + ((S(4) + S(5)) + (S(6) + S(7)));
    float b = ((S(8) + S(9)) + (S(10) + S(11))) + ((S(12) + S(13)) + (S(14) + S(15)));
#undef S
    return a + b;
}

/* Lane i = the sum of the 16 lanes of v_i (exact: integer additions). */
I8K_INLINE __m128i i8k_reduce4(__m512i v0, __m512i v1, __m512i v2, __m512i v3) {
    const __m512i s01 = _mm512_add_epi32(_mm512_unpacklo_epi32(v0, v1), _mm512_unpackhi_epi32(v0, v1));
    const __m512i s23 = _mm512_add_epi32(_mm512_unpacklo_epi32(v2, v3), _mm512_unpackhi_epi32(v2, v3));
    const __m512i r = _mm512_add_epi32(_mm512_unpacklo_epi64(s01, s23), _mm512_unpackhi_epi64(s01, s23));
    const __m256i h = _mm256_add_epi32(_mm512_castsi512_si256(r), _mm512_extracti64x4_epi64(r, 1));
    return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

/*
 * The 8 scales and 8 mins of the Q4_K / Q5_K super-block at p (6 bits each, packed in its 12 bytes at p + 4), as
 * bytes 0..7 (sc_0..7) and 8..15 (mn_0..7): llama.cpp's get_scale_min_k4, on the 32-bit lanes of one register
 * (lane 0 of the load is d and dmin, lanes 1..3 the packed bytes u0, u1, u2).
 */
I8K_INLINE __m128i i8k_km_scales(const uint8_t *p) {
    const __m128i v = _mm_loadu_si128((const __m128i *) p);
    const __m128i P = _mm_shuffle_epi32(v, _MM_SHUFFLE(3, 2, 3, 1)); /* u0, u2, u1, u2 */
    const __m128i Q = _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 2, 1, 1)); /* u0, u0, u1, u1 */
    /* sc0..3 = u0 & 63, sc4..7 = (u2 & 15) | ((u0 >> 6) << 4), mn0..3 = u1 & 63, mn4..7 = (u2 >> 4) | ((u1 >> 6) << 4) */
    const __m128i lo = _mm_and_si128(_mm_srlv_epi32(P, _mm_setr_epi32(0, 0, 0, 4)),
                                     _mm_setr_epi32(0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f));
    const __m128i hi = _mm_and_si128(_mm_srli_epi32(Q, 2), _mm_setr_epi32(0, 0x30303030, 0, 0x30303030));
    return _mm_or_si128(lo, hi);
}

/* vpshufb indices: the scale words of a code register (sub-block a in the low 256 bits, b in the high). */
#define I8K_W(b) -128, (b), -128, (b), -128, (b), -128, (b), -128, (b), -128, (b), -128, (b), -128, (b)
#define I8K_SCIDX(a, b) _mm512_set_epi8(I8K_W(b), I8K_W(b), I8K_W(a), I8K_W(a))
/* the 8 min bytes (8..15) as words, in every 128-bit lane */
#define I8K_MNIDX _mm512_set4_epi32((int) 0x800f800e, (int) 0x800d800c, (int) 0x800b800a, (int) 0x80098008)

/* Q6_K: the scale words of code register k: 128-bit lane L = sc[4k + L] (word indices into the 16 scale words) */
#define I8K_Q6IDX(k) _mm512_set_epi16(4 * (k) + 3, 4 * (k) + 3, 4 * (k) + 3, 4 * (k) + 3, 4 * (k) + 3, 4 * (k) + 3,  \
        4 * (k) + 3, 4 * (k) + 3, 4 * (k) + 2, 4 * (k) + 2, 4 * (k) + 2, 4 * (k) + 2, 4 * (k) + 2, 4 * (k) + 2,        \
        4 * (k) + 2, 4 * (k) + 2, 4 * (k) + 1, 4 * (k) + 1, 4 * (k) + 1, 4 * (k) + 1, 4 * (k) + 1, 4 * (k) + 1,        \
        4 * (k) + 1, 4 * (k) + 1, 4 * (k), 4 * (k), 4 * (k), 4 * (k), 4 * (k), 4 * (k), 4 * (k), 4 * (k))

/* The 32 bytes at p in both 256-bit halves. */
#define I8K_BCAST32(p) _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *) (p)))

/*
 * One row's super-block at p: its 256 codes into c[0..3] (unsigned bytes; Q6_K: elements 64k .. 64k + 63 in c[k];
 * Q4_K, Q5_K: the 32 bytes of sub-blocks (0, 2), (1, 3), (4, 6), (5, 7), as they lie in qs: I8K_ARRANGE), its
 * scale words into S[0..3] (Q6_K: and its -32 sc words into *W), its scale and min bytes into *R (Q4_K, Q5_K), its f16
 * d (and dmin) bits into *dh (and *mh).
 */
I8K_INLINE void i8k_prepare(int type, const uint8_t *p, __m512i c[4], __m512i S[4], __m512i *W, __m128i *R,
                            uint16_t *dh, uint16_t *mh) {
    const __m512i m0f = _mm512_set1_epi8(0x0f);
    if (type == I8K_Q6_K) {
        const __m512i m30 = _mm512_set1_epi8(0x30);
        const __m512i s01 = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
        const __m512i s23 = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
        _Pragma("GCC unroll 4") for (int n = 0; n < 2; n++) {
            const __m512i L = _mm512_loadu_si512((const void *) (p + 64 * n));
            const __m512i H = I8K_BCAST32(p + 128 + 32 * n);
            const __m512i h01 = _mm512_and_si512(_mm512_sllv_epi16(H, s01), m30);
            const __m512i h23 = _mm512_and_si512(_mm512_srlv_epi16(H, s23), m30);
            c[2 * n] = _mm512_ternarylogic_epi32(L, h01, m0f, 0xEC);                          /* (L & 15) | h01 */
            c[2 * n + 1] = _mm512_ternarylogic_epi32(_mm512_srli_epi16(L, 4), h23, m0f, 0xEC);
        }
        const __m256i w = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *) (p + 192)));
        const __m512i w5 = _mm512_castsi256_si512(w);
        S[0] = _mm512_permutexvar_epi16(I8K_Q6IDX(0), w5);
        S[1] = _mm512_permutexvar_epi16(I8K_Q6IDX(1), w5);
        S[2] = _mm512_permutexvar_epi16(I8K_Q6IDX(2), w5);
        S[3] = _mm512_permutexvar_epi16(I8K_Q6IDX(3), w5);
        *W = _mm512_zextsi256_si512(_mm256_sub_epi16(_mm256_setzero_si256(), _mm256_slli_epi16(w, 5)));
        memcpy(dh, p + 208, 2);
        return;
    }
    const uint8_t *qs = p + (type == I8K_Q4_K ? 16 : 48);
    const __m512i q0 = _mm512_loadu_si512((const void *) qs), q1 = _mm512_loadu_si512((const void *) (qs + 64));
    c[0] = _mm512_and_si512(q0, m0f);                        /* sub-blocks 0 | 2 (low nibbles of qs[0 .. 64)) */
    c[1] = _mm512_and_si512(_mm512_srli_epi16(q0, 4), m0f); /* sub-blocks 1 | 3 (their high nibbles) */
    c[2] = _mm512_and_si512(q1, m0f);                        /* 4 | 6 */
    c[3] = _mm512_and_si512(_mm512_srli_epi16(q1, 4), m0f); /* 5 | 7 */
    if (type == I8K_Q5_K) { /* bit 4 of the code of sub-block j, element l: bit j of qh[l] */
        const __m512i H = I8K_BCAST32(p + 16), m10 = _mm512_set1_epi8(0x10);
        const __m512i b0 = _mm512_sllv_epi16(H, _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1));
        const __m512i b1 = _mm512_sllv_epi16(H, _mm512_inserti64x4(_mm512_set1_epi16(3), _mm256_set1_epi16(1), 1));
        const __m512i b2 = _mm512_srlv_epi16(H, _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1));
        const __m512i b3 = _mm512_srlv_epi16(H, _mm512_inserti64x4(_mm512_set1_epi16(1), _mm256_set1_epi16(3), 1));
        c[0] = _mm512_ternarylogic_epi32(c[0], b0, m10, 0xF8); /* c | (b & 0x10) */
        c[1] = _mm512_ternarylogic_epi32(c[1], b1, m10, 0xF8);
        c[2] = _mm512_ternarylogic_epi32(c[2], b2, m10, 0xF8);
        c[3] = _mm512_ternarylogic_epi32(c[3], b3, m10, 0xF8);
    }
    *R = i8k_km_scales(p);
    const __m512i R4 = _mm512_broadcast_i32x4(*R);
    S[0] = _mm512_shuffle_epi8(R4, I8K_SCIDX(0, 2));
    S[1] = _mm512_shuffle_epi8(R4, I8K_SCIDX(1, 3));
    S[2] = _mm512_shuffle_epi8(R4, I8K_SCIDX(4, 6));
    S[3] = _mm512_shuffle_epi8(R4, I8K_SCIDX(5, 7));
    memcpy(dh, p, 2);
    memcpy(mh, p + 2, 2);
}

/* A row's integer accumulator for one input (x0..x3 the input's codes in the order of c): 16 lanes summing to A. */
I8K_INLINE __m512i i8k_dot(const __m512i c[4], const __m512i S[4], __m512i x0, __m512i x1, __m512i x2, __m512i x3) {
    __m512i v = _mm512_madd_epi16(_mm512_maddubs_epi16(c[0], x0), S[0]);
    v = _mm512_dpwssd_epi32(v, _mm512_maddubs_epi16(c[1], x1), S[1]);
    v = _mm512_dpwssd_epi32(v, _mm512_maddubs_epi16(c[2], x2), S[2]);
    return _mm512_dpwssd_epi32(v, _mm512_maddubs_epi16(c[3], x3), S[3]);
}

/*
 * Q4_K, Q5_K: the input codes of a super-block (q, element order) in the order of the weight codes' registers,
 * elements [0, 32) + [64, 96), [32, 64) + [96, 128), [128, 160) + [192, 224), [160, 192) + [224, 256) (a copy).
 */
I8K_INLINE void i8k_arrange(const int8_t *q, int8_t *out) {
    static const int from[8] = {0, 64, 32, 96, 128, 192, 160, 224};
    _Pragma("GCC unroll 8") for (int h = 0; h < 8; h++)
        _mm256_store_si256((__m256i *) (out + 32 * h), _mm256_loadu_si256((const __m256i *) (q + from[h])));
}

/* This thread's scratch (grown on demand, never shrunk). */
static __thread uint8_t *i8k_buf;
static __thread int64_t i8k_len;

I8K_INLINE void i8k_matmul(int type, int decode, const uint8_t *w, int64_t rowBytes, int64_t nsb, int32_t r0, int32_t r1,
                           const int8_t *qx, const float *dx, const int32_t *s16, int32_t batch,
                           float *y, int64_t yOff, int64_t yStride) {
    if (batch <= 0 || r1 <= r0 || nsb <= 0) return;
    y += yOff;
    const int64_t blockBytes = type == I8K_Q4_K ? 144 : type == I8K_Q5_K ? 176 : 210;
    const int64_t cols = 256 * nsb;
    /* scratch: acc[batch][64] floats, ia[batch][16] and ib[batch][16] int32, bs[batch][nsb] 8 words, xa[batch][cols] */
    const int64_t xaOff = ((int64_t) batch * (256 + 64 + 64) + (int64_t) batch * nsb * 16 + 63) & ~(int64_t) 63;
    const int64_t need = xaOff + (type != I8K_Q6_K ? (int64_t) batch * cols : 0);
    if (i8k_len < need) {
        free(i8k_buf);
        i8k_buf = (uint8_t *) aligned_alloc(64, (size_t) ((need + 63) & ~(int64_t) 63));
        i8k_len = i8k_buf ? need : 0;
        if (!i8k_buf) return;
    }
    float *acc = (float *) i8k_buf;
    int32_t *ia = (int32_t *) (i8k_buf + (int64_t) batch * 256);
    int32_t *ib = ia + (int64_t) batch * 16;
    __m128i *bs = (__m128i *) (ib + (int64_t) batch * 16);
    int8_t *xa = (int8_t *) (i8k_buf + xaOff); /* 64-byte aligned */
    if (type != I8K_Q6_K) { /* bs_j = sums16[2j] + sums16[2j + 1], 8 words a (input, super-block); the codes arranged */
        for (int64_t t = 0; t < batch; t++) {
            for (int64_t s = 0; s < nsb; s++) {
                i8k_arrange(qx + t * cols + 256 * s, xa + t * cols + 256 * s);
                const __m256i w16 = _mm512_cvtepi32_epi16(_mm512_loadu_si512((const void *) (s16 + t * (cols / 16) + 16 * s)));
                bs[t * nsb + s] = _mm256_cvtepi32_epi16(_mm256_madd_epi16(w16, _mm256_set1_epi16(1)));
            }
        }
    }
    const __m512i dxidx = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
    const __m512i mnidx = I8K_MNIDX;
    __m512i S[4][4] __attribute__((aligned(64)));
    __m512i W[4] __attribute__((aligned(64)));
    for (int32_t g = r0; g < r1; g += 4) {
        const int nr = r1 - g < 4 ? r1 - g : 4;
        const uint8_t *rp[4];
        _Pragma("GCC unroll 4") for (int i = 0; i < 4; i++) rp[i] = w + (int64_t) (g + (i < nr ? i : nr - 1)) * rowBytes;
        const int64_t pf = g + 8 <= r1 ? 4 * rowBytes : 0; /* prefetch the next group's rows */
        memset(acc, 0, sizeof(float) * 64 * (size_t) batch);
        for (int64_t q = 0; 4 * q < nsb; q++) {
            const int ns = nsb - 4 * q < 4 ? (int) (nsb - 4 * q) : 4;
            uint16_t dh[16] __attribute__((aligned(32))) = {0}, mh[16] __attribute__((aligned(32))) = {0};
            _Pragma("GCC unroll 4") for (int sp = 0; sp < ns; sp++) {
                const int64_t s = 4 * q + sp;
                const int8_t *xs = (type == I8K_Q6_K ? qx : xa) + 256 * s; /* input t's codes at xs + t * cols */
                __m512i c[4][4], a[4];
                __m128i R[4];
                __m512i x0, x1, x2, x3, sw = _mm512_setzero_si512();
                if (decode) { /* one input: its registers loaded once, each row's codes used as soon as made */
                    x0 = _mm512_loadu_si512((const void *) xs), x1 = _mm512_loadu_si512((const void *) (xs + 64));
                    x2 = _mm512_loadu_si512((const void *) (xs + 128)), x3 = _mm512_loadu_si512((const void *) (xs + 192));
                    if (type == I8K_Q6_K)
                        sw = _mm512_castsi256_si512(_mm512_cvtepi32_epi16(_mm512_loadu_si512((const void *) (s16 + 16 * s))));
                }
                _Pragma("GCC unroll 4") for (int i = 0; i < 4; i++) {
                    const uint8_t *p = rp[i] + blockBytes * s;
                    if (pf) {
                        _mm_prefetch((const char *) (p + pf), _MM_HINT_T1); /* every line the block touches */
                        _mm_prefetch((const char *) (p + pf + 64), _MM_HINT_T1);
                        _mm_prefetch((const char *) (p + pf + 128), _MM_HINT_T1);
                        if (blockBytes > 192) _mm_prefetch((const char *) (p + pf + 192), _MM_HINT_T1);
                        _mm_prefetch((const char *) (p + pf + blockBytes - 1), _MM_HINT_T1);
                    }
                    if (decode) {
                        __m512i cd[4], Sd[4], Wd;
                        i8k_prepare(type, p, cd, Sd, &Wd, &R[i], dh + 4 * sp + i, mh + 4 * sp + i);
                        a[i] = i8k_dot(cd, Sd, x0, x1, x2, x3);
                        if (type == I8K_Q6_K) a[i] = _mm512_dpwssd_epi32(a[i], Wd, sw);
                    } else {
                        i8k_prepare(type, p, c[i], S[i], &W[i], &R[i], dh + 4 * sp + i, mh + 4 * sp + i);
                    }
                }
                __m512i M4 = _mm512_setzero_si512();
                if (type != I8K_Q6_K) {
                    M4 = _mm512_inserti32x4(_mm512_inserti32x4(_mm512_inserti32x4(_mm512_castsi128_si512(R[0]), R[1], 1), R[2], 2), R[3], 3);
                    M4 = _mm512_shuffle_epi8(M4, mnidx); /* 128-bit lane i: row i's 8 mins as words */
                }
                for (int64_t t = 0; t < batch; t++) {
                    if (!decode) {
                        const int8_t *xt = xs + t * cols;
                        x0 = _mm512_loadu_si512((const void *) xt), x1 = _mm512_loadu_si512((const void *) (xt + 64));
                        x2 = _mm512_loadu_si512((const void *) (xt + 128)), x3 = _mm512_loadu_si512((const void *) (xt + 192));
                        _Pragma("GCC unroll 4") for (int i = 0; i < 4; i++) a[i] = i8k_dot(c[i], S[i], x0, x1, x2, x3);
                    }
                    if (type == I8K_Q6_K && !decode) { /* + sum_j (-32 sc_j) * sums16_j */
                        const __m512i sw = _mm512_castsi256_si512(
                                _mm512_cvtepi32_epi16(_mm512_loadu_si512((const void *) (s16 + t * (cols / 16) + 16 * s))));
                        _Pragma("GCC unroll 4") for (int i = 0; i < 4; i++) a[i] = _mm512_dpwssd_epi32(a[i], W[i], sw);
                    }
                    _mm_store_si128((__m128i *) (ia + 16 * t + 4 * sp), i8k_reduce4(a[0], a[1], a[2], a[3]));
                    if (type != I8K_Q6_K) {
                        __m512i b = _mm512_madd_epi16(M4, _mm512_broadcast_i32x4(bs[t * nsb + s]));
                        b = _mm512_add_epi32(b, _mm512_shuffle_epi32(b, _MM_PERM_BADC));
                        b = _mm512_add_epi32(b, _mm512_shuffle_epi32(b, _MM_PERM_CDAB));
                        b = _mm512_permutexvar_epi32(_mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), b);
                        _mm_store_si128((__m128i *) (ib + 16 * t + 4 * sp), _mm512_castsi512_si128(b));
                    }
                }
            }
            /* the float steps of super-blocks 4q .. 4q + ns - 1: lane 4 s' + i = (row i, super-block 4q + s') */
            const __mmask16 m = (__mmask16) ((1u << (4 * ns)) - 1);
            const __m512 d = _mm512_cvtph_ps(_mm256_load_si256((const __m256i *) dh));
            const __m512 dm = _mm512_cvtph_ps(_mm256_load_si256((const __m256i *) mh));
            for (int64_t t = 0; t < batch; t++) {
                const __m512 x = _mm512_permutexvar_ps(dxidx, _mm512_castps128_ps512(
                        _mm_maskz_loadu_ps((__mmask8) ((1u << ns) - 1), dx + t * nsb + 4 * q)));
                float *at = acc + 64 * t + 16 * (q & 3);
                __m512 r = _mm512_load_ps(at);
                r = _mm512_mask3_fmadd_ps(_mm512_mul_ps(d, x), _mm512_cvtepi32_ps(_mm512_load_si512((const void *) (ia + 16 * t))), r, m);
                if (type != I8K_Q6_K) {
                    r = _mm512_mask3_fnmadd_ps(_mm512_mul_ps(dm, x), _mm512_cvtepi32_ps(_mm512_load_si512((const void *) (ib + 16 * t))), r, m);
                }
                _mm512_store_ps(at, r);
            }
        }
        /* row i's partial m is acc[t][16 (m / 4) + 4 (m % 4) + i] = acc[t][4m + i] */
        for (int64_t t = 0; t < batch; t++) {
            _Pragma("GCC unroll 4") for (int i = 0; i < nr; i++) y[t * yStride + g + i] = i8k_tree(acc + 64 * t + i, 4);
        }
    }
}

I8K void lm_i8k_q4_k_matmul(const uint8_t *w, int64_t rowBytes, int64_t nsb, int32_t r0, int32_t r1, const int8_t *qx,
                            const float *dx, const int32_t *s16, int32_t batch, float *y, int64_t yOff, int64_t yStride) {
    if (batch == 1) i8k_matmul(I8K_Q4_K, 1, w, rowBytes, nsb, r0, r1, qx, dx, s16, 1, y, yOff, yStride);
    else i8k_matmul(I8K_Q4_K, 0, w, rowBytes, nsb, r0, r1, qx, dx, s16, batch, y, yOff, yStride);
}

I8K void lm_i8k_q5_k_matmul(const uint8_t *w, int64_t rowBytes, int64_t nsb, int32_t r0, int32_t r1, const int8_t *qx,
                            const float *dx, const int32_t *s16, int32_t batch, float *y, int64_t yOff, int64_t yStride) {
    if (batch == 1) i8k_matmul(I8K_Q5_K, 1, w, rowBytes, nsb, r0, r1, qx, dx, s16, 1, y, yOff, yStride);
    else i8k_matmul(I8K_Q5_K, 0, w, rowBytes, nsb, r0, r1, qx, dx, s16, batch, y, yOff, yStride);
}

I8K void lm_i8k_q6_k_matmul(const uint8_t *w, int64_t rowBytes, int64_t nsb, int32_t r0, int32_t r1, const int8_t *qx,
                            const float *dx, const int32_t *s16, int32_t batch, float *y, int64_t yOff, int64_t yStride) {
    if (batch == 1) i8k_matmul(I8K_Q6_K, 1, w, rowBytes, nsb, r0, r1, qx, dx, s16, 1, y, yOff, yStride);
    else i8k_matmul(I8K_Q6_K, 0, w, rowBytes, nsb, r0, r1, qx, dx, s16, batch, y, yOff, yStride);
}

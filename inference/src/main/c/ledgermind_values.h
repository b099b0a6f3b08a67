/*
 * The batched product of the dequantized-value types (Q4_K, Q5_K, Q6_K; Q5_1), shared by ledgermind_kquants.c (which
 * defines it), ledgermind_q6k.c and ledgermind_kernels.c: a type gives a decoder that writes one block's element values
 * (256 for a K-quant super-block, 32 for a Q5_1 block), exactly its Java kernel's, and lm_values_matmul multiplies
 * groups of decoded rows with the inputs in 4 x 4 register tiles
 * (acc[i mod 16] = fma(w[i], x[i], acc[i mod 16]) in increasing i, then Dot.combine's tree). Not called from Java.
 */
#ifndef LEDGERMIND_VALUES_H
#define LEDGERMIND_VALUES_H

#include <stdint.h>

/* Writes the element values of the block at p into out[0 .. block elements) (out 64-byte aligned). */
typedef void (*lm_value_decoder)(const uint8_t *p, float *out);

/*
 * y[yOff + t * yStride + r] = dot(row r, x[xOff + t * xStride ..]) for rows [r0, r1) and t < batch; rows are
 * rowBytes apart from wt, nb blocks of blockBytes bytes and blockElems elements each (256 or 32: a divisor of 512).
 */
__attribute__((visibility("hidden"))) void lm_values_matmul(lm_value_decoder dec, int64_t blockBytes, int64_t blockElems,
        const uint8_t *wt, int64_t rowBytes, int64_t nb, int32_t r0, int32_t r1, const float *x, int64_t xOff,
        int64_t xStride, int32_t batch, float *y, int64_t yOff, int64_t yStride);

#endif

package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.kernel.Dot;

/**
 * The canonical dot product for types whose element values are defined by dequantization (F16, BF16,
 * Q4_1, Q5_1, Q4_K, Q5_K, Q6_K): each element's F32 value {@code w[i]} is computed exactly as the type defines it, then
 * the product is the F32 {@link Dot} layout: {@code acc[i mod 16] = fma(w[i], x[i], acc[i mod 16])} in
 * increasing i, combined by {@link Dot#combine}. This class holds the scalar reference, which decodes
 * 16 elements at a time ({@link Chunks}); the fast paths ({@link ChunkedTensor}) decode a whole row with
 * the type's own row decoder and run {@link Dot}'s vector kernels over it: the same values, the same
 * layout, so the same bits.
 */
final class DequantDot {
    /** Produces the F32 values of elements {@code [16c, 16c+16)} of a row into {@code out[0..15]}. */
    interface Chunks {
        void chunk(long rowOffset, int c, float[] out);
    }

    private DequantDot() {
    }

    static float reference(Chunks src, long rowOffset, int cols, float[] x, int xOff) {
        float[] w = new float[16];
        float[] acc = new float[16];
        for (int c = 0; c < cols / 16; c++) {
            src.chunk(rowOffset, c, w);
            for (int m = 0; m < 16; m++) acc[m] = Math.fma(w[m], x[xOff + 16 * c + m], acc[m]);
        }
        return Dot.combine(acc, 0);
    }
}

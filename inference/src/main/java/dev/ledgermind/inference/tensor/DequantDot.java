package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.kernel.Dot;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The canonical dot product for types whose element values are defined by dequantization (F16, BF16,
 * Q4_K, Q6_K): each element's F32 value {@code w[i]} is computed exactly as the type defines it, then
 * the product is the F32 {@link Dot} layout: {@code acc[i mod 16] = fma(w[i], x[i], acc[i mod 16])} in
 * increasing i, combined by {@link Dot#combine}. The vector path dequantizes 16 elements at a time
 * into a scratch chunk and does one lanewise fma per accumulator, the same operations as the reference.
 */
final class DequantDot {
    /** Produces the F32 values of elements {@code [16c, 16c+16)} of a row into {@code out[0..15]}. */
    interface Chunks {
        void chunk(long rowOffset, int c, float[] out);
    }

    private DequantDot() {
    }

    static float dot(int bits, Chunks src, long rowOffset, int cols, float[] x, int xOff) {
        float[] w = new float[16];
        if (bits == 0) {
            float[] acc = new float[16];
            for (int c = 0; c < cols / 16; c++) {
                src.chunk(rowOffset, c, w);
                for (int m = 0; m < 16; m++) acc[m] = Math.fma(w[m], x[xOff + 16 * c + m], acc[m]);
            }
            return Dot.combine(acc, 0);
        }
        VectorSpecies<Float> sp = bits == 512 ? FloatVector.SPECIES_512 : bits == 256 ? FloatVector.SPECIES_256 : FloatVector.SPECIES_128;
        int l = sp.length();
        int nacc = 16 / l;
        FloatVector[] acc = new FloatVector[nacc];
        for (int j = 0; j < nacc; j++) acc[j] = FloatVector.zero(sp);
        for (int c = 0; c < cols / 16; c++) {
            src.chunk(rowOffset, c, w);
            for (int j = 0; j < nacc; j++) {
                acc[j] = FloatVector.fromArray(sp, w, j * l).fma(FloatVector.fromArray(sp, x, xOff + 16 * c + j * l), acc[j]);
            }
        }
        float[] s = new float[16];
        for (int j = 0; j < nacc; j++) acc[j].intoArray(s, j * l);
        return Dot.combine(s, 0);
    }
}

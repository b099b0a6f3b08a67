package dev.ledgermind.inference.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * GELU, the exact (erf) form used by BERT: {@code gelu(x) = (float) (0.5 * x * (1 + erf(x * sqrt(0.5))))},
 * computed in binary64 from the binary32 input ({@code ((0.5 * x) * (1.0 + Erf.erf(x * sqrt(0.5))))},
 * left to right) and rounded once to binary32. {@link Erf} is deterministic, so one scalar
 * definition serves every configuration.
 */
public final class Gelu {
    private static final double SQRT_HALF = Math.sqrt(0.5);

    private Gelu() {
    }

    public static float apply(float x) {
        double d = x;
        return (float) ((0.5 * d) * (1.0 + Erf.erf(d * SQRT_HALF)));
    }

    /** In place over {@code x[off .. off+n)}. */
    public static void apply(float[] x, int off, int n) {
        for (int i = 0; i < n; i++) x[off + i] = apply(x[off + i]);
    }

    /**
     * In place over {@code x[off .. off+n)} at the configured width, bit-identical to the scalar definition.
     * From 256 bits on, groups of 4 elements whose |z| lies in the series range ({@link Erf#SERIES_LIMIT})
     * run lanewise in binary64: the same multiplications and additions in the same order, and
     * {@code -(|z| * P) == (-|z|) * P} bit for bit, so the signed argument needs no fix-up. Any other group
     * (a lane in the continued-fraction or saturated range, NaN) runs the scalar code.
     */
    public static void apply(KernelConfig cfg, float[] x, int off, int n) {
        int done = cfg.vectorBits() >= 256 ? series256(x, off, n) : 0;
        apply(x, off + done, n - done);
    }

    private static final VectorSpecies<Float> F128 = FloatVector.SPECIES_128;
    private static final VectorSpecies<Double> D256 = DoubleVector.SPECIES_256;

    /** The series branch 4 lanes at a time (constant species: compiled to vector instructions); returns the count done. */
    private static int series256(float[] x, int off, int n) {
        double[] c = Erf.C;
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            FloatVector f = FloatVector.fromArray(F128, x, off + i);
            DoubleVector v = (DoubleVector) f.convertShape(VectorOperators.F2D, D256, 0);
            DoubleVector zs = v.mul(SQRT_HALF);
            if (!zs.abs().compare(VectorOperators.LT, Erf.SERIES_LIMIT).allTrue()) { // also catches NaN
                for (int k = 0; k < 4; k++) x[off + i + k] = apply(x[off + i + k]);
                continue;
            }
            DoubleVector z2 = zs.mul(zs);
            DoubleVector p = DoubleVector.broadcast(D256, c[Erf.TERMS - 1]);
            for (int t = Erf.TERMS - 2; t >= 0; t--) p = p.mul(z2).add(c[t]);
            DoubleVector g = v.mul(0.5).mul(zs.mul(p).add(1.0));
            ((FloatVector) g.convertShape(VectorOperators.D2F, F128, 0)).intoArray(x, off + i);
        }
        return i;
    }
}

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

    /**
     * The series branch 4 lanes at a time (constant species: compiled to vector instructions); returns the
     * count done. Two groups run side by side (two independent Horner chains: one chain alone waits on the
     * latency of each multiply and add); a pair with a lane out of range goes group by group.
     */
    private static int series256(float[] x, int off, int n) {
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            DoubleVector v0 = load(x, off + i), v1 = load(x, off + i + 4);
            DoubleVector z0 = v0.mul(SQRT_HALF), z1 = v1.mul(SQRT_HALF);
            if (inSeriesRange(z0) && inSeriesRange(z1)) {
                double[] c = Erf.C;
                DoubleVector q0 = z0.mul(z0), q1 = z1.mul(z1);
                DoubleVector p0 = DoubleVector.broadcast(D256, c[Erf.TERMS - 1]), p1 = p0;
                for (int t = Erf.TERMS - 2; t >= 0; t--) {
                    p0 = p0.mul(q0).add(c[t]);
                    p1 = p1.mul(q1).add(c[t]);
                }
                store(v0.mul(0.5).mul(z0.mul(p0).add(1.0)), x, off + i);
                store(v1.mul(0.5).mul(z1.mul(p1).add(1.0)), x, off + i + 4);
            } else {
                group(x, off + i);
                group(x, off + i + 4);
            }
        }
        for (; i + 4 <= n; i += 4) group(x, off + i);
        return i;
    }

    /** One group of 4: lanewise if every lane is in the series range, else the scalar code. */
    private static void group(float[] x, int at) {
        DoubleVector v = load(x, at);
        DoubleVector zs = v.mul(SQRT_HALF);
        if (!inSeriesRange(zs)) {
            for (int k = 0; k < 4; k++) x[at + k] = apply(x[at + k]);
            return;
        }
        double[] c = Erf.C;
        DoubleVector z2 = zs.mul(zs);
        DoubleVector p = DoubleVector.broadcast(D256, c[Erf.TERMS - 1]);
        for (int t = Erf.TERMS - 2; t >= 0; t--) p = p.mul(z2).add(c[t]);
        store(v.mul(0.5).mul(zs.mul(p).add(1.0)), x, at);
    }

    private static boolean inSeriesRange(DoubleVector z) {
        return z.abs().compare(VectorOperators.LT, Erf.SERIES_LIMIT).allTrue(); // false for NaN too
    }

    private static DoubleVector load(float[] x, int at) {
        return (DoubleVector) FloatVector.fromArray(F128, x, at).convertShape(VectorOperators.F2D, D256, 0);
    }

    private static void store(DoubleVector g, float[] x, int at) {
        ((FloatVector) g.convertShape(VectorOperators.D2F, F128, 0)).intoArray(x, at);
    }
}

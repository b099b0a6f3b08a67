package dev.ledgermind.inference.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * GELU, the exact (erf) form used by BERT: {@code gelu(x) = (float) (0.5 * x * (1 + erf(x * sqrt(0.5))))},
 * computed in binary64 from the binary32 input ({@code ((0.5 * x) * (1.0 + Erf.erf(x * sqrt(0.5))))},
 * left to right) and rounded once to binary32. {@link Erf} is deterministic, so one scalar
 * scalar definition serves every configuration.
 *
 * <p>The vector path ({@link #apply(KernelConfig, float[], int, int)}) evaluates the series branch of
 * {@link Erf} lanewise in binary64 with the same separate multiplications and additions in the same order
 * (lanewise IEEE operations round exactly like scalar ones), and hands every lane outside the series range
 * (|z| >= 2.5, NaN) to the scalar code, so its bits equal the scalar definition.
 */
public final class Gelu {
    private static final double SQRT_HALF = Math.sqrt(0.5);
    private static final VectorSpecies<Double> D128 = DoubleVector.SPECIES_128;
    private static final VectorSpecies<Double> D256 = DoubleVector.SPECIES_256;
    private static final VectorSpecies<Double> D512 = DoubleVector.SPECIES_512;

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

    /** In place over {@code x[off .. off+n)} at the configured width; bit-identical to the scalar definition. */
    public static void apply(KernelConfig cfg, float[] x, int off, int n) {
        VectorSpecies<Double> sp = switch (cfg.vectorBits()) {
            case 128 -> D128;
            case 256 -> D256;
            case 512 -> D512;
            default -> null;
        };
        if (sp == null) {
            apply(x, off, n);
            return;
        }
        int l = sp.length();
        double[] d = new double[l];
        double[] r = new double[l];
        double[] c = Erf.C;
        int i = 0;
        for (; i + l <= n; i += l) {
            for (int k = 0; k < l; k++) d[k] = x[off + i + k];
            DoubleVector v = DoubleVector.fromArray(sp, d, 0);
            DoubleVector zs = v.mul(SQRT_HALF);
            DoubleVector z = zs.abs();
            DoubleVector z2 = z.mul(z);
            DoubleVector p = DoubleVector.broadcast(sp, c[Erf.TERMS - 1]);
            for (int t = Erf.TERMS - 2; t >= 0; t--) p = p.mul(z2).add(c[t]);
            DoubleVector e = z.mul(p);
            e = e.blend(e.neg(), zs.compare(VectorOperators.LT, 0.0));
            v.mul(0.5).mul(e.add(1.0)).intoArray(r, 0);
            VectorMask<Double> outside = z.compare(VectorOperators.GE, Erf.SERIES_LIMIT).or(z.test(VectorOperators.IS_NAN));
            for (int k = 0; k < l; k++) {
                x[off + i + k] = outside.laneIsSet(k) ? apply(x[off + i + k]) : (float) r[k];
            }
        }
        for (; i < n; i++) x[off + i] = apply(x[off + i]);
    }
}

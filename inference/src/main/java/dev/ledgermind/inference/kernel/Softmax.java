package dev.ledgermind.inference.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax in place over {@code x[off .. off+n)}, defined by this operation order:
 * <pre>
 *   m    = max over i of x[i]                 (a comparison scan; order does not matter)
 *   d    = (double) (x[i] - m)                (binary32 subtraction)
 *   e[i] = d &lt; -104 ? 0 : (float) Erf.exp(d)  (the project's own exp, one rounding; below -104 the
 *                                               binary32 result is 0 anyway)
 *   s    = Sum(e)                             (the canonical 16-partial sum, scalar reference order)
 *   x[i] = e[i] / s
 * </pre>
 * From 256 bits on, the exponentials run 4 lanes at a time in binary64 ({@link Erf#exp(DoubleVector)}: the
 * scalar operations lanewise, same bits) and the sum takes the vector path of {@link Sum}; narrower
 * configurations run the scalar reference. Every width gives the same bits. With
 * {@code n == 0} nothing happens. Elements equal to {@code -Infinity} (masked positions) get exactly 0;
 * if every element is {@code -Infinity} the result is all zeros (defined, rather than NaN).
 */
public final class Softmax {
    private static final double ZERO_BELOW = -104.0;

    private Softmax() {
    }

    /** At the configured width; bit-identical to {@link #apply(float[], int, int)}. */
    public static void apply(KernelConfig cfg, float[] x, int off, int n) {
        if (n <= 0) return;
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            float v = x[off + i];
            if (v > m) m = v;
        }
        if (m == Float.NEGATIVE_INFINITY) {
            java.util.Arrays.fill(x, off, off + n, 0.0f);
            return;
        }
        int i = cfg.vectorBits() >= 256 ? exp256(x, off, n, m) : 0;
        for (; i < n; i++) x[off + i] = exp(x[off + i] - m);
        float s = Sum.sum(cfg, x, off, n);
        for (int j = 0; j < n; j++) x[off + j] = x[off + j] / s;
    }

    /** The scalar reference. */
    public static void apply(float[] x, int off, int n) {
        apply(KernelConfig.scalar(), x, off, n);
    }

    private static final VectorSpecies<Float> F128 = FloatVector.SPECIES_128;
    private static final VectorSpecies<Double> D256 = DoubleVector.SPECIES_256;

    /** {@code x[i] = exp(x[i] - m)} 4 lanes at a time, as far as whole groups go; returns the count done. */
    private static int exp256(float[] x, int off, int n, float m) {
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            FloatVector diff = FloatVector.fromArray(F128, x, off + i).sub(m);
            DoubleVector d = (DoubleVector) diff.convertShape(VectorOperators.F2D, D256, 0);
            DoubleVector e = Erf.exp(d).blend(0.0, d.compare(VectorOperators.LT, ZERO_BELOW));
            ((FloatVector) e.convertShape(VectorOperators.D2F, F128, 0)).intoArray(x, off + i);
        }
        return i;
    }

    /**
     * Softmax's exponential of one difference {@code x[i] - m} (public for the dispute game's step program, whose
     * {@code att_exp} op is this function, and for the referee's parity vectors).
     */
    public static float exp(float diff) {
        double d = diff;
        return d < ZERO_BELOW ? 0f : (float) Erf.exp(d);
    }
}

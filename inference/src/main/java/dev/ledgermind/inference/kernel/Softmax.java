package dev.ledgermind.inference.kernel;

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
 * One scalar implementation serves every configuration (a lanewise exp measured no faster here). With
 * {@code n == 0} nothing happens. Elements equal to {@code -Infinity} (masked positions) get exactly 0;
 * if every element is {@code -Infinity} the result is all zeros (defined, rather than NaN).
 */
public final class Softmax {
    private static final double ZERO_BELOW = -104.0;

    private Softmax() {
    }

    /** For any configuration: the one implementation. */
    public static void apply(KernelConfig cfg, float[] x, int off, int n) {
        apply(x, off, n);
    }

    public static void apply(float[] x, int off, int n) {
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
        for (int i = 0; i < n; i++) x[off + i] = exp(x[off + i] - m);
        float s = Sum.reference(x, off, n);
        for (int j = 0; j < n; j++) x[off + j] = x[off + j] / s;
    }

    private static float exp(float diff) {
        double d = diff;
        return d < ZERO_BELOW ? 0f : (float) Erf.exp(d);
    }
}

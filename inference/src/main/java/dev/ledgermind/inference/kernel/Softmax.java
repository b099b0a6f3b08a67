package dev.ledgermind.inference.kernel;

/**
 * Softmax in place over {@code x[off .. off+n)}, defined by this operation order:
 * <pre>
 *   m    = max over i of x[i]                 (a comparison scan; order does not matter)
 *   e[i] = (float) StrictMath.exp((double) (x[i] - m))    (binary32 subtraction, fdlibm exp, one rounding)
 *   s    = Sum(e)                             (the canonical 16-partial sum, scalar reference order)
 *   x[i] = e[i] / s
 * </pre>
 * There is one implementation: exp is scalar (StrictMath) anyway, so the scalar code is both the
 * reference and the kernel, for every configuration. With {@code n == 0} nothing happens. Elements
 * equal to {@code -Infinity} (masked positions) get exactly 0; if every element is {@code -Infinity}
 * the result is all zeros (defined, rather than NaN).
 */
public final class Softmax {
    private Softmax() {
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
        for (int i = 0; i < n; i++) x[off + i] = (float) StrictMath.exp((double) (x[off + i] - m));
        float s = Sum.reference(x, off, n);
        for (int i = 0; i < n; i++) x[off + i] = x[off + i] / s;
    }
}

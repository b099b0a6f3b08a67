package dev.ledgermind.inference.kernel;

/**
 * The error function in binary64, built only from + - * / and {@link StrictMath#exp}, so it is
 * bit-identical on every JVM and CPU ({@code StrictMath} has no erf, and {@code Math} functions may
 * differ between platforms). Accuracy: about 4e-15 absolute, far below binary32 resolution.
 *
 * <p>Definition, with {@code z = |v|} and the sign restored at the end ({@code erf(-v) = -erf(v)}):
 * <ul>
 *   <li>{@code z < 2.5}: the Maclaurin series {@code erf(z) = z * sum_{n<40} c[n] * (z^2)^n}, with
 *       {@code c[n] = (2/sqrt(pi)) * (-1)^n / (n! (2n+1))} computed once in binary64 (n! by repeated
 *       multiplication), evaluated by Horner's rule with separate multiply and add, highest term first.</li>
 *   <li>{@code 2.5 <= z < 6}: {@code erf(z) = 1 - erfc(z)}, with Laplace's continued fraction
 *       {@code erfc(z) = exp(-z^2) / (sqrt(pi) * t)}, where {@code t = z + (1/2)/(z + (2/2)/(z + ...))}
 *       is evaluated backwards from depth 50: {@code t = z; for k = 50..1: t = z + (k/2)/t}.</li>
 *   <li>{@code z >= 6} (and infinity): {@code erf(z) = 1} ({@code erfc(6) < 2.2e-17}). NaN gives NaN.</li>
 * </ul>
 */
public final class Erf {
    static final int TERMS = 40;
    /** Below this |z| the series applies (the vector path of {@link Gelu} evaluates it lanewise). */
    static final double SERIES_LIMIT = 2.5;
    private static final int CF_DEPTH = 50;
    static final double[] C = new double[TERMS];
    private static final double SQRT_PI = Math.sqrt(Math.PI);

    static {
        double twoOverSqrtPi = 2.0 / SQRT_PI;
        double factorial = 1.0;
        for (int n = 0; n < TERMS; n++) {
            if (n > 0) factorial = factorial * n;
            double sign = (n & 1) == 0 ? 1.0 : -1.0;
            C[n] = twoOverSqrtPi * sign / (factorial * (2 * n + 1));
        }
    }

    private Erf() {
    }

    public static double erf(double v) {
        if (Double.isNaN(v)) return v;
        double z = Math.abs(v);
        double r;
        if (z < SERIES_LIMIT) {
            double z2 = z * z;
            double p = C[TERMS - 1];
            for (int n = TERMS - 2; n >= 0; n--) p = p * z2 + C[n];
            r = z * p;
        } else if (z < 6.0) {
            double t = z;
            for (int k = CF_DEPTH; k >= 1; k--) t = z + (k * 0.5) / t;
            r = 1.0 - StrictMath.exp(-(z * z)) / (SQRT_PI * t);
        } else {
            r = 1.0;
        }
        return v < 0 ? -r : r;
    }
}

package dev.ledgermind.inference.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The error function in binary64, built only from + - * / and integer bit operations, so it is
 * bit-identical on every JVM and CPU, and every step has a lanewise form that would round the same
 * ({@code StrictMath} has no erf, and {@code Math} functions may differ between platforms). Accuracy: about 4e-15 absolute, far below binary32 resolution.
 *
 * <p>Definition, with {@code z = |v|} and the sign restored at the end ({@code erf(-v) = -erf(v)}):
 * <ul>
 *   <li>{@code z < 2.5}: a polynomial, {@code erf(z) = z * sum_{n<19} c[n] * (z^2)^n}, evaluated by Horner's
 *       rule with separate multiply and add, highest term first. The coefficients {@link #C} are a
 *       least-squares fit to erf on that range (derived by {@code inference/tools/erf_fit.py}); 19 terms
 *       where the Maclaurin series needs 40 for the same accuracy.</li>
 *   <li>{@code 2.5 <= z < 6}: {@code erf(z) = 1 - erfc(z)}, with Laplace's continued fraction
 *       {@code erfc(z) = exp(-z^2) / (sqrt(pi) * t)}, where {@code t = z + (1/2)/(z + (2/2)/(z + ...))}
 *       is evaluated backwards from depth 24: {@code t = z; for k = 24..1: t = z + (k/2)/t} (relative
 *       truncation error below 1e-12 at z = 2.5, smaller beyond), and {@code exp} is {@link #exp}.</li>
 *   <li>{@code z >= 6} (and infinity): {@code erf(z) = 1} ({@code erfc(6) < 2.2e-17}). NaN gives NaN.</li>
 * </ul>
 */
public final class Erf {
    static final int TERMS = 19;
    /** Below this |z| the series applies. */
    static final double SERIES_LIMIT = 2.5;
    /** From here on erf is exactly 1. */
    static final double ONE_LIMIT = 6.0;
    static final int CF_DEPTH = 24;
    /** The series branch's coefficients, lowest degree first (inference/tools/erf_fit.py prints them). */
    static final double[] C = {
            1.12837916709551,
            -0.3761263890317317,
            0.1128379167082586,
            -0.026866170637682665,
            0.005223977600770286,
            -0.0008548326499239172,
            0.00012055325329274805,
            -1.4925569996049243e-05,
            1.6461487610854042e-06,
            -1.636213230007176e-07,
            1.479023275719616e-08,
            -1.2230190410971784e-09,
            9.254432438664421e-11,
            -6.342999435882116e-12,
            3.831599285048178e-13,
            -1.9384907854081443e-14,
            7.563556997924651e-16,
            -1.9828269937861288e-17,
            2.5732485385727686e-19
    };
    static final double SQRT_PI = Math.sqrt(Math.PI);

    // exp: x = k ln2 + r with k an integer (round to nearest by the 1.5 * 2^52 shifter), ln2 split so that
    // k * LN2_HI is exact for |k| < 2^20; exp(r) by its Taylor series to r^10 (|r| <= ln2/2: relative
    // truncation error < 2.3e-13, far below what binary32 results and erfc's share of erf can show).
    private static final double INV_LN2 = 1.4426950408889634;
    private static final double LN2_HI = 6.93147180369123816490e-01;
    private static final double LN2_LO = 1.90821492927058770002e-10;
    private static final double SHIFTER = 6755399441055744.0;
    private static final long SHIFTER_BITS = Double.doubleToRawLongBits(SHIFTER);
    static final int EXP_TERMS = 11;
    static final double[] E = new double[EXP_TERMS];

    static {
        double factorial = 1.0;
        for (int n = 0; n < EXP_TERMS; n++) {
            if (n > 0) factorial = factorial * n;
            E[n] = 1.0 / factorial;
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
        } else if (z < ONE_LIMIT) {
            double t = z;
            for (int k = CF_DEPTH; k >= 1; k--) t = z + (k * 0.5) / t;
            r = 1.0 - exp(-(z * z)) / (SQRT_PI * t);
        } else {
            r = 1.0;
        }
        return v < 0 ? -r : r;
    }

    /**
     * e^x for x in [-700, 700], in the project's own arithmetic:
     * {@code k = (x * INV_LN2 + 1.5*2^52) - 1.5*2^52; r = (x - k*LN2_HI) - k*LN2_LO;}
     * {@code p = Horner over 1/n!, n = 10..0, at r; result = p * 2^k} (2^k built from its bits).
     */
    static double exp(double x) {
        double shifted = x * INV_LN2 + SHIFTER;
        double k = shifted - SHIFTER;
        double r = (x - k * LN2_HI) - k * LN2_LO;
        double p = E[EXP_TERMS - 1];
        for (int n = EXP_TERMS - 2; n >= 0; n--) p = p * r + E[n];
        // k sits in the low bits of the shifted value: its bits minus the shifter's bits are k, exactly
        long kBits = Double.doubleToRawLongBits(shifted) - SHIFTER_BITS;
        return p * Double.longBitsToDouble((kBits + 1023) << 52);
    }

    /**
     * {@link #exp(double)} on the lanes of {@code x}: the same multiplications, additions and bit
     * operations in the same order (no fused multiply-add), so every lane has the scalar bits.
     */
    static DoubleVector exp(DoubleVector x) {
        var shifted = x.mul(INV_LN2).add(SHIFTER);
        var k = shifted.sub(SHIFTER);
        var r = x.sub(k.mul(LN2_HI)).sub(k.mul(LN2_LO));
        var p = DoubleVector.broadcast(x.species(), E[EXP_TERMS - 1]);
        for (int n = EXP_TERMS - 2; n >= 0; n--) p = p.mul(r).add(E[n]);
        var kBits = shifted.viewAsIntegralLanes().sub(SHIFTER_BITS);
        var scale = kBits.add(1023L).lanewise(VectorOperators.LSHL, 52).viewAsFloatingLanes();
        return p.mul((DoubleVector) scale);
    }
}

package dev.ledgermind.chain.softfloat;

/**
 * Chain's transcription of the engine's exponential (inference's {@code Erf.exp(double)} and
 * {@code Softmax.exp(float)}) of its SiLU ({@code Silu.apply(float)}) and of its GELU ({@code Erf.erf}, {@code Gelu.apply}), which chain
 * may not import,, in plain Java binary64 arithmetic. It is the
 * expected value the contract is checked against element by element; {@link ExpInputs}' digest, which
 * inference computes from the engine's own functions, ties it to the engine (see
 * docs/vectors/canonical-exp.txt).
 */
final class CanonicalExpReference {
    private static final double INV_LN2 = 1.4426950408889634;
    private static final double LN2_HI = 6.93147180369123816490e-01;
    private static final double LN2_LO = 1.90821492927058770002e-10;
    private static final double SHIFTER = 6755399441055744.0;
    private static final long SHIFTER_BITS = Double.doubleToRawLongBits(SHIFTER);
    private static final double[] E = new double[11];

    static {
        double factorial = 1.0;
        for (int n = 0; n < E.length; n++) {
            if (n > 0) factorial = factorial * n;
            E[n] = 1.0 / factorial;
        }
    }

    private CanonicalExpReference() {
    }

    static double exp(double x) {
        double shifted = x * INV_LN2 + SHIFTER;
        double k = shifted - SHIFTER;
        double r = (x - k * LN2_HI) - k * LN2_LO;
        double p = E[10];
        for (int n = 9; n >= 0; n--) p = p * r + E[n];
        long kBits = Double.doubleToRawLongBits(shifted) - SHIFTER_BITS;
        return p * Double.longBitsToDouble((kBits + 1023) << 52);
    }

    /** inference's {@code Silu.apply(float)}: the exp is the JDK's StrictMath.exp (fdlibm), not the project's. */
    static float silu(float x) {
        return x / (1.0f + (float) StrictMath.exp(-(double) x));
    }

    /** inference's {@code Erf.C}, lowest degree first. */
    private static final double[] C = {
            1.12837916709551, -0.3761263890317317, 0.1128379167082586, -0.026866170637682665, 0.005223977600770286,
            -0.0008548326499239172, 0.00012055325329274805, -1.4925569996049243e-05, 1.6461487610854042e-06,
            -1.636213230007176e-07, 1.479023275719616e-08, -1.2230190410971784e-09, 9.254432438664421e-11,
            -6.342999435882116e-12, 3.831599285048178e-13, -1.9384907854081443e-14, 7.563556997924651e-16,
            -1.9828269937861288e-17, 2.5732485385727686e-19
    };
    private static final double SQRT_PI = Math.sqrt(Math.PI);
    private static final double SQRT_HALF = Math.sqrt(0.5);

    /** inference's {@code Erf.erf(double)}. */
    static double erf(double v) {
        if (Double.isNaN(v)) return v;
        double z = Math.abs(v);
        double r;
        if (z < 2.5) {
            double z2 = z * z;
            double p = C[18];
            for (int n = 17; n >= 0; n--) p = p * z2 + C[n];
            r = z * p;
        } else if (z < 6.0) {
            double t = z;
            for (int k = 24; k >= 1; k--) t = z + (k * 0.5) / t;
            r = 1.0 - exp(-(z * z)) / (SQRT_PI * t);
        } else {
            r = 1.0;
        }
        return v < 0 ? -r : r;
    }

    /** inference's {@code Gelu.apply(float)}. */
    static float gelu(float x) {
        double d = x;
        return (float) ((0.5 * d) * (1.0 + erf(d * SQRT_HALF)));
    }

    static float softmaxExp(float diff) {
        double d = diff;
        return d < -104.0 ? 0f : (float) exp(d);
    }
}

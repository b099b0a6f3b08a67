package dev.ledgermind.chain.softfloat;

/**
 * Chain's transcription of the engine's exponential (inference's {@code Erf.exp(double)} and
 * {@code Softmax.exp(float)}, which chain may not import), in plain Java binary64 arithmetic. It is the
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

    static float softmaxExp(float diff) {
        double d = diff;
        return d < -104.0 ? 0f : (float) exp(d);
    }
}

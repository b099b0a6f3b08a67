package dev.ledgermind.inference.kernel;

/**
 * SiLU (swish): {@code silu(x) = x / (1 + (float) StrictMath.exp((double) -x))}, the exp rounded once to
 * binary32, then a binary32 addition and division. One scalar implementation serves every configuration.
 */
public final class Silu {
    private Silu() {
    }

    public static float apply(float x) {
        return x / (1.0f + (float) StrictMath.exp(-(double) x));
    }

    /** In place over {@code x[off .. off+n)}. */
    public static void apply(float[] x, int off, int n) {
        for (int i = 0; i < n; i++) x[off + i] = apply(x[off + i]);
    }
}

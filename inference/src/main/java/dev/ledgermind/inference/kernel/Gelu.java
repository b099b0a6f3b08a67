package dev.ledgermind.inference.kernel;

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
     * In place over {@code x[off .. off+n)}, for any configuration: the scalar definition. (A lanewise
     * binary64 version of the series measured slower than this loop, which C2 compiles well: the vector
     * form needs float-double conversions and a per-group range check, and gains little with 4 lanes.)
     */
    public static void apply(KernelConfig cfg, float[] x, int off, int n) {
        apply(x, off, n);
    }
}

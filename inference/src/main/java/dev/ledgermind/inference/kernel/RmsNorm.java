package dev.ledgermind.inference.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * RMSNorm over one row of {@code n} floats, defined by this operation order (all binary32):
 * <pre>
 *   ss   = Dot(x, x)                          (the canonical dot product)
 *   inv  = 1 / sqrt(ss / n + eps)             (division, addition, correctly rounded sqrt, division)
 *   y[i] = (x[i] * inv) * w[i]                (two multiplications, no fma)
 * </pre>
 * {@code y} may alias {@code x}. The vector path performs the same lanewise operations.
 */
public final class RmsNorm {
    private RmsNorm() {
    }

    public static void reference(float[] x, int xOff, float[] w, float eps, float[] y, int yOff, int n) {
        float ss = Dot.reference(x, xOff, x, xOff, n);
        float inv = 1.0f / (float) Math.sqrt(ss / n + eps);
        for (int i = 0; i < n; i++) y[yOff + i] = (x[xOff + i] * inv) * w[i];
    }

    public static void apply(KernelConfig cfg, float[] x, int xOff, float[] w, float eps, float[] y, int yOff, int n) {
        // A constant species per width, so that C2 emits vector instructions instead of boxing (see WeightedSum).
        switch (cfg.vectorBits()) {
            case 128 -> vector(Dot.S128, cfg, x, xOff, w, eps, y, yOff, n);
            case 256 -> vector(Dot.S256, cfg, x, xOff, w, eps, y, yOff, n);
            case 512 -> vector(Dot.S512, cfg, x, xOff, w, eps, y, yOff, n);
            default -> reference(x, xOff, w, eps, y, yOff, n);
        }
    }

    private static void vector(VectorSpecies<Float> sp, KernelConfig cfg, float[] x, int xOff, float[] w, float eps,
                               float[] y, int yOff, int n) {
        float ss = Dot.dot(cfg, x, xOff, x, xOff, n);
        float inv = 1.0f / (float) Math.sqrt(ss / n + eps);
        int l = sp.length();
        int upper = n - n % l;
        int i = 0;
        for (; i < upper; i += l) {
            FloatVector.fromArray(sp, x, xOff + i).mul(inv).mul(FloatVector.fromArray(sp, w, i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] = (x[xOff + i] * inv) * w[i];
    }
}

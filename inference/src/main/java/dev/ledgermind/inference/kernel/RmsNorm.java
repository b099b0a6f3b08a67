package dev.ledgermind.inference.kernel;

import jdk.incubator.vector.FloatVector;

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
        if (cfg.isScalar()) {
            reference(x, xOff, w, eps, y, yOff, n);
            return;
        }
        float ss = Dot.dot(cfg, x, xOff, x, xOff, n);
        float inv = 1.0f / (float) Math.sqrt(ss / n + eps);
        // One loop per width with its species as a constant: C2 compiles Vector API code to vector instructions
        // only where it sees the species as a constant. (A shared body taking the species as an argument was
        // compiled on its own, not inlined, and boxed every vector: about 20 MB of garbage a second while decoding.)
        int i = switch (cfg.vectorBits()) {
            case 128 -> scale128(x, xOff, inv, w, y, yOff, n);
            case 256 -> scale256(x, xOff, inv, w, y, yOff, n);
            default -> scale512(x, xOff, inv, w, y, yOff, n);
        };
        for (; i < n; i++) y[yOff + i] = (x[xOff + i] * inv) * w[i];
    }

    /** {@code y[i] = (x[i] * inv) * w[i]} for the whole vectors of {@code n}; returns where the scalar tail starts. */
    private static int scale128(float[] x, int xOff, float inv, float[] w, float[] y, int yOff, int n) {
        int upper = Dot.S128.loopBound(n), i = 0;
        for (; i < upper; i += Dot.S128.length()) {
            FloatVector.fromArray(Dot.S128, x, xOff + i).mul(inv).mul(FloatVector.fromArray(Dot.S128, w, i)).intoArray(y, yOff + i);
        }
        return i;
    }

    private static int scale256(float[] x, int xOff, float inv, float[] w, float[] y, int yOff, int n) {
        int upper = Dot.S256.loopBound(n), i = 0;
        for (; i < upper; i += Dot.S256.length()) {
            FloatVector.fromArray(Dot.S256, x, xOff + i).mul(inv).mul(FloatVector.fromArray(Dot.S256, w, i)).intoArray(y, yOff + i);
        }
        return i;
    }

    private static int scale512(float[] x, int xOff, float inv, float[] w, float[] y, int yOff, int n) {
        int upper = Dot.S512.loopBound(n), i = 0;
        for (; i < upper; i += Dot.S512.length()) {
            FloatVector.fromArray(Dot.S512, x, xOff + i).mul(inv).mul(FloatVector.fromArray(Dot.S512, w, i)).intoArray(y, yOff + i);
        }
        return i;
    }
}

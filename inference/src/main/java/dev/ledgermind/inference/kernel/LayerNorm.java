package dev.ledgermind.inference.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * LayerNorm over one row of {@code n} floats, defined by this operation order (all binary32):
 * <pre>
 *   mean = Sum(x) / n                         (Sum: the canonical 16-partial sum)
 *   d[i] = x[i] - mean
 *   var  = Dot(d, d) / n                      (Dot: the canonical dot product)
 *   inv  = 1 / sqrt(var + eps)                (sqrt correctly rounded, then a division)
 *   y[i] = ((d[i] * inv) * gamma[i]) + beta[i]   (two multiplications and an addition, no fma)
 * </pre>
 * {@code y} may alias {@code x}. The vector path performs the same lanewise operations.
 */
public final class LayerNorm {
    private LayerNorm() {
    }

    public static void reference(float[] x, int xOff, float[] gamma, float[] beta, float eps,
                                 float[] y, int yOff, int n) {
        float mean = Sum.reference(x, xOff, n) / n;
        for (int i = 0; i < n; i++) y[yOff + i] = x[xOff + i] - mean;
        float var = Dot.reference(y, yOff, y, yOff, n) / n;
        float inv = 1.0f / (float) Math.sqrt(var + eps);
        for (int i = 0; i < n; i++) y[yOff + i] = ((y[yOff + i] * inv) * gamma[i]) + beta[i];
    }

    public static void apply(KernelConfig cfg, float[] x, int xOff, float[] gamma, float[] beta, float eps,
                             float[] y, int yOff, int n) {
        VectorSpecies<Float> sp = switch (cfg.vectorBits()) {
            case 128 -> Dot.S128;
            case 256 -> Dot.S256;
            case 512 -> Dot.S512;
            default -> null;
        };
        if (sp == null) {
            reference(x, xOff, gamma, beta, eps, y, yOff, n);
            return;
        }
        float mean = Sum.sum(cfg, x, xOff, n) / n;
        int l = sp.length();
        int upper = n - n % l;
        int i = 0;
        for (; i < upper; i += l) {
            FloatVector.fromArray(sp, x, xOff + i).sub(mean).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] = x[xOff + i] - mean;
        float var = Dot.dot(cfg, y, yOff, y, yOff, n) / n;
        float inv = 1.0f / (float) Math.sqrt(var + eps);
        i = 0;
        for (; i < upper; i += l) {
            FloatVector.fromArray(sp, y, yOff + i).mul(inv).mul(FloatVector.fromArray(sp, gamma, i))
                    .add(FloatVector.fromArray(sp, beta, i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] = ((y[yOff + i] * inv) * gamma[i]) + beta[i];
    }
}

package dev.ledgermind.inference.kernel;

/**
 * LayerNorm over one row of {@code n} floats, defined by this operation order (all binary32):
 * <pre>
 *   mean = Sum(x) / n                         (Sum: the canonical 16-partial sum)
 *   d[i] = x[i] - mean
 *   var  = Dot(d, d) / n                      (Dot: the canonical dot product)
 *   inv  = 1 / sqrt(var + eps)                (sqrt correctly rounded, then a division)
 *   y[i] = ((d[i] * inv) * gamma[i]) + beta[i]   (two multiplications and an addition, no fma)
 * </pre>
 * {@code y} may alias {@code x}.
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

    /**
     * At the configured width: the two reductions run on the width's {@link Sum} and {@link Dot} kernels;
     * the elementwise steps are plain loops (C2 vectorises them itself; spelled with a runtime-chosen
     * species they boxed every vector).
     */
    public static void apply(KernelConfig cfg, float[] x, int xOff, float[] gamma, float[] beta, float eps,
                             float[] y, int yOff, int n) {
        if (cfg.vectorBits() == 0) {
            reference(x, xOff, gamma, beta, eps, y, yOff, n);
            return;
        }
        float mean = Sum.sum(cfg, x, xOff, n) / n;
        for (int i = 0; i < n; i++) y[yOff + i] = x[xOff + i] - mean;
        float var = Dot.dot(cfg, y, yOff, y, yOff, n) / n;
        float inv = 1.0f / (float) Math.sqrt(var + eps);
        for (int i = 0; i < n; i++) y[yOff + i] = ((y[yOff + i] * inv) * gamma[i]) + beta[i];
    }
}

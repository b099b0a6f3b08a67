package dev.ledgermind.inference.kernel;

import jdk.incubator.vector.FloatVector;

/**
 * The canonical F32 sum, in the same 16-partial layout as {@link Dot}:
 * <pre>
 *   s[0..15] = +0.0f;  for i increasing: s[i mod 16] = s[i mod 16] + x[i];  sum = Dot.combine(s)
 * </pre>
 * The vector paths hold the partial sums as 16/L accumulators and are bit-identical to the reference.
 */
public final class Sum {
    private Sum() {
    }

    public static float reference(float[] x, int off, int n) {
        float[] s = new float[Dot.PARTIALS];
        for (int i = 0; i < n; i++) s[i & 15] = s[i & 15] + x[off + i];
        return Dot.combine(s, 0);
    }

    public static float sum(KernelConfig cfg, float[] x, int off, int n) {
        // one method per width with its species as a constant, each small: compiled inside a large caller (the
        // attention loop), the previous single method's vectors were boxed
        return switch (cfg.vectorBits()) {
            case 512 -> sum512(x, off, n);
            case 256 -> sum256(x, off, n);
            case 128 -> sum128(x, off, n);
            default -> reference(x, off, n);
        };
    }

    private static float sum512(float[] x, int off, int n) {
        float[] s = new float[Dot.PARTIALS];
        int upper = n & ~15;
        FloatVector a = FloatVector.zero(Dot.S512);
        for (int i = 0; i < upper; i += 16) a = a.add(FloatVector.fromArray(Dot.S512, x, off + i));
        a.intoArray(s, 0);
        return finish(s, x, off, upper, n);
    }

    private static float sum256(float[] x, int off, int n) {
        float[] s = new float[Dot.PARTIALS];
        int upper = n & ~15;
        FloatVector a = FloatVector.zero(Dot.S256), b = a;
        for (int i = 0; i < upper; i += 16) {
            a = a.add(FloatVector.fromArray(Dot.S256, x, off + i));
            b = b.add(FloatVector.fromArray(Dot.S256, x, off + i + 8));
        }
        a.intoArray(s, 0);
        b.intoArray(s, 8);
        return finish(s, x, off, upper, n);
    }

    private static float sum128(float[] x, int off, int n) {
        float[] s = new float[Dot.PARTIALS];
        int upper = n & ~15;
        FloatVector a = FloatVector.zero(Dot.S128), b = a, c = a, d = a;
        for (int i = 0; i < upper; i += 16) {
            a = a.add(FloatVector.fromArray(Dot.S128, x, off + i));
            b = b.add(FloatVector.fromArray(Dot.S128, x, off + i + 4));
            c = c.add(FloatVector.fromArray(Dot.S128, x, off + i + 8));
            d = d.add(FloatVector.fromArray(Dot.S128, x, off + i + 12));
        }
        a.intoArray(s, 0);
        b.intoArray(s, 4);
        c.intoArray(s, 8);
        d.intoArray(s, 12);
        return finish(s, x, off, upper, n);
    }

    /** The scalar tail into the partial sums, then the fixed tree. */
    private static float finish(float[] s, float[] x, int off, int upper, int n) {
        for (int i = upper; i < n; i++) s[i & 15] = s[i & 15] + x[off + i];
        return Dot.combine(s, 0);
    }
}

package dev.ledgermind.inference.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The attention value sum {@code out[i] = sum over s of a[s] * v_s[i]}, defined as: {@code out[i] = +0.0f},
 * then for s = 0, 1, ..., n-1 (increasing): {@code out[i] = fma(a[s], v_s[i], out[i])}. Each output element
 * is its own sequential sum, so a vector path computes it lanewise with the same operations: every
 * width is bit-identical to {@link #reference}. {@code v_s} starts at {@code v[vOff + s*vStride]}.
 */
public final class WeightedSum {
    private WeightedSum() {
    }

    public static void reference(float[] a, int aOff, int n, float[] v, int vOff, int vStride, float[] out, int outOff, int len) {
        for (int i = 0; i < len; i++) out[outOff + i] = 0.0f;
        for (int s = 0; s < n; s++) {
            float w = a[aOff + s];
            int vo = vOff + s * vStride;
            for (int i = 0; i < len; i++) out[outOff + i] = Math.fma(w, v[vo + i], out[outOff + i]);
        }
    }

    public static void apply(KernelConfig cfg, float[] a, int aOff, int n, float[] v, int vOff, int vStride,
                             float[] out, int outOff, int len) {
        VectorSpecies<Float> sp = switch (cfg.vectorBits()) {
            case 128 -> FloatVector.SPECIES_128;
            case 256 -> FloatVector.SPECIES_256;
            case 512 -> FloatVector.SPECIES_512;
            default -> null;
        };
        if (sp == null) {
            reference(a, aOff, n, v, vOff, vStride, out, outOff, len);
            return;
        }
        int l = sp.length();
        int i = 0;
        for (; i + l <= len; i += l) {
            FloatVector acc = FloatVector.zero(sp);
            for (int s = 0; s < n; s++) {
                acc = FloatVector.broadcast(sp, a[aOff + s]).fma(FloatVector.fromArray(sp, v, vOff + s * vStride + i), acc);
            }
            acc.intoArray(out, outOff + i);
        }
        for (; i < len; i++) {
            float acc = 0.0f;
            for (int s = 0; s < n; s++) acc = Math.fma(a[aOff + s], v[vOff + s * vStride + i], acc);
            out[outOff + i] = acc;
        }
    }
}

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
        // Each width calls the body with a constant species: C2 compiles Vector API code to vector
        // instructions only where the species is a compile-time constant (else it boxes every vector).
        switch (cfg.vectorBits()) {
            case 128 -> vector(FloatVector.SPECIES_128, a, aOff, n, v, vOff, vStride, out, outOff, len);
            case 256 -> vector(FloatVector.SPECIES_256, a, aOff, n, v, vOff, vStride, out, outOff, len);
            case 512 -> vector(FloatVector.SPECIES_512, a, aOff, n, v, vOff, vStride, out, outOff, len);
            default -> reference(a, aOff, n, v, vOff, vStride, out, outOff, len);
        }
    }

    // One body per width with its species as a constant (a species passed as an argument is not constant
    // folded unless the call is inlined, and then every vector is boxed).
    private static void vector(VectorSpecies<Float> sp, float[] a, int aOff, int n, float[] v, int vOff, int vStride,
                               float[] out, int outOff, int len) {
        int l = sp.length();
        int i = 0;
        for (; i + l <= len; i += l) {
            if (l == 8) column256(a, aOff, n, v, vOff + i, vStride, out, outOff + i);
            else if (l == 16) column512(a, aOff, n, v, vOff + i, vStride, out, outOff + i);
            else column128(a, aOff, n, v, vOff + i, vStride, out, outOff + i);
        }
        for (; i < len; i++) {
            float acc = 0.0f;
            for (int s = 0; s < n; s++) acc = Math.fma(a[aOff + s], v[vOff + s * vStride + i], acc);
            out[outOff + i] = acc;
        }
    }

    private static void column128(float[] a, int aOff, int n, float[] v, int vo, int vStride, float[] out, int o) {
        FloatVector acc = FloatVector.zero(FloatVector.SPECIES_128);
        for (int s = 0; s < n; s++) {
            acc = FloatVector.broadcast(FloatVector.SPECIES_128, a[aOff + s]).fma(FloatVector.fromArray(FloatVector.SPECIES_128, v, vo + s * vStride), acc);
        }
        acc.intoArray(out, o);
    }

    private static void column256(float[] a, int aOff, int n, float[] v, int vo, int vStride, float[] out, int o) {
        FloatVector acc = FloatVector.zero(FloatVector.SPECIES_256);
        for (int s = 0; s < n; s++) {
            acc = FloatVector.broadcast(FloatVector.SPECIES_256, a[aOff + s]).fma(FloatVector.fromArray(FloatVector.SPECIES_256, v, vo + s * vStride), acc);
        }
        acc.intoArray(out, o);
    }

    private static void column512(float[] a, int aOff, int n, float[] v, int vo, int vStride, float[] out, int o) {
        FloatVector acc = FloatVector.zero(FloatVector.SPECIES_512);
        for (int s = 0; s < n; s++) {
            acc = FloatVector.broadcast(FloatVector.SPECIES_512, a[aOff + s]).fma(FloatVector.fromArray(FloatVector.SPECIES_512, v, vo + s * vStride), acc);
        }
        acc.intoArray(out, o);
    }
}

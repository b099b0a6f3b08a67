package dev.ledgermind.inference.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The canonical F32 dot product, shared by every engine in Ledgermind.
 *
 * <h2>Definition (the scalar reference)</h2>
 * For vectors {@code a, b} of length {@code n}:
 * <pre>
 *   s[0..15] = +0.0f
 *   for i = 0, 1, ..., n-1 (increasing):  s[i mod 16] = fma(a[i], b[i], s[i mod 16])
 *   dot = (((s0+s1)+(s2+s3))+((s4+s5)+(s6+s7))) + (((s8+s9)+(s10+s11))+((s12+s13)+(s14+s15)))
 * </pre>
 * where fma rounds once ({@link Math#fma(float, float, float)}) and + is binary32 addition.
 *
 * <h2>Vector paths</h2>
 * A width of L lanes (4, 8 or 16 floats for 128, 256, 512 bits) holds the 16 partial sums as 16/L
 * vector accumulators: accumulator j, lane k is {@code s[j*L + k]}. Each step loads 16 consecutive
 * elements and does one lanewise fma per accumulator, so partial sum {@code s[m]} receives exactly the
 * elements {@code i ≡ m (mod 16)} in increasing order, as in the reference. The tail ({@code n mod 16}
 * elements) is finished in scalar code on the spilled partial sums, then the fixed tree combines them.
 * Lanewise fma is exactly rounded on every CPU, so every width is bit-identical to the reference.
 * {@code reduceLanes(ADD)} is never used: its order is unspecified.
 *
 * <p>Weights are F32 little-endian in a {@link MemorySegment} (memory-mapped or off-heap); activations
 * are {@code float[]}. Quantized weight formats follow the same 16-partial layout in their own classes.
 */
public final class Dot {
    /** Number of partial sums in the canonical layout. */
    public static final int PARTIALS = 16;

    static final VectorSpecies<Float> S128 = FloatVector.SPECIES_128;
    static final VectorSpecies<Float> S256 = FloatVector.SPECIES_256;
    static final VectorSpecies<Float> S512 = FloatVector.SPECIES_512;
    /** F32 little-endian, no alignment assumed (ONNX and GGUF data need not be 4-byte aligned). */
    public static final ValueLayout.OfFloat F32_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private Dot() {
    }

    /** The fixed combination tree over the 16 partial sums {@code s[off..off+15]}. */
    public static float combine(float[] s, int off) {
        float a = ((s[off] + s[off + 1]) + (s[off + 2] + s[off + 3]))
                + ((s[off + 4] + s[off + 5]) + (s[off + 6] + s[off + 7]));
        float b = ((s[off + 8] + s[off + 9]) + (s[off + 10] + s[off + 11]))
                + ((s[off + 12] + s[off + 13]) + (s[off + 14] + s[off + 15]));
        return a + b;
    }

    // ---------------------------------------------------------------- scalar reference

    /** The reference: {@code sum a[aOff+i] * b[bOff+i]} for i in [0, n), in the canonical layout. */
    public static float reference(float[] a, int aOff, float[] b, int bOff, int n) {
        float[] s = new float[PARTIALS];
        for (int i = 0; i < n; i++) {
            s[i & 15] = Math.fma(a[aOff + i], b[bOff + i], s[i & 15]);
        }
        return combine(s, 0);
    }

    /** The reference with F32 LE weights: {@code w} starts at byte {@code wOff}. */
    public static float reference(MemorySegment w, long wOff, float[] x, int xOff, int n) {
        float[] s = new float[PARTIALS];
        for (int i = 0; i < n; i++) {
            s[i & 15] = Math.fma(w.get(F32_LE, wOff + 4L * i), x[xOff + i], s[i & 15]);
        }
        return combine(s, 0);
    }

    // ---------------------------------------------------------------- dispatch

    /** The dot product at the configured width; bit-identical to {@link #reference(float[], int, float[], int, int)}. */
    public static float dot(KernelConfig cfg, float[] a, int aOff, float[] b, int bOff, int n) {
        return switch (cfg.vectorBits()) {
            case 128 -> dot128(a, aOff, b, bOff, n);
            case 256 -> dot256(a, aOff, b, bOff, n);
            case 512 -> dot512(a, aOff, b, bOff, n);
            default -> reference(a, aOff, b, bOff, n);
        };
    }

    /** The dot product of F32 LE weights and activations at the configured width; bit-identical to the reference. */
    public static float dot(KernelConfig cfg, MemorySegment w, long wOff, float[] x, int xOff, int n) {
        return switch (cfg.vectorBits()) {
            case 128 -> dot128(w, wOff, x, xOff, n);
            case 256 -> dot256(w, wOff, x, xOff, n);
            case 512 -> dot512(w, wOff, x, xOff, n);
            default -> reference(w, wOff, x, xOff, n);
        };
    }

    /**
     * Four dot products of one row {@code w[wOff .. wOff+n)} with inputs {@code x[x0 + t*xStride ..]}, {@code t < 4},
     * into {@code y[y0 + t*yStride]}: each exactly {@link #dot(KernelConfig, float[], int, float[], int, int)}'s
     * operations. At 256 and 512 bits with {@code n % 16 == 0} the four run side by side (one row load serves all
     * four, and four independent fma chains hide each other's latency); otherwise one after another.
     */
    public static void dot4(KernelConfig cfg, float[] w, int wOff, float[] x, int x0, int xStride, int n, float[] y, int y0, int yStride) {
        int bits = cfg.vectorBits();
        if ((n & 15) == 0 && bits == 512) {
            dot4x512(w, wOff, x, x0, xStride, n, y, y0, yStride);
        } else if ((n & 15) == 0 && bits == 256) {
            dot4x256(w, wOff, x, x0, xStride, n, y, y0, yStride);
        } else {
            for (int t = 0; t < 4; t++) y[y0 + t * yStride] = dot(cfg, w, wOff, x, x0 + t * xStride, n);
        }
    }

    private static void dot4x512(float[] w, int wOff, float[] x, int x0, int xs, int n, float[] y, int y0, int ys) {
        FloatVector a0 = FloatVector.zero(S512), a1 = a0, a2 = a0, a3 = a0;
        int x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs;
        for (int i = 0; i < n; i += 16) {
            FloatVector wv = FloatVector.fromArray(S512, w, wOff + i);
            a0 = wv.fma(FloatVector.fromArray(S512, x, x0 + i), a0);
            a1 = wv.fma(FloatVector.fromArray(S512, x, x1 + i), a1);
            a2 = wv.fma(FloatVector.fromArray(S512, x, x2 + i), a2);
            a3 = wv.fma(FloatVector.fromArray(S512, x, x3 + i), a3);
        }
        y[y0] = Lanes.combine512(a0);
        y[y0 + ys] = Lanes.combine512(a1);
        y[y0 + 2 * ys] = Lanes.combine512(a2);
        y[y0 + 3 * ys] = Lanes.combine512(a3);
    }

    private static void dot4x256(float[] w, int wOff, float[] x, int x0, int xs, int n, float[] y, int y0, int ys) {
        FloatVector a0 = FloatVector.zero(S256), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
        int x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs;
        for (int i = 0; i < n; i += 16) {
            FloatVector wa = FloatVector.fromArray(S256, w, wOff + i), wb = FloatVector.fromArray(S256, w, wOff + i + 8);
            a0 = wa.fma(FloatVector.fromArray(S256, x, x0 + i), a0);
            b0 = wb.fma(FloatVector.fromArray(S256, x, x0 + i + 8), b0);
            a1 = wa.fma(FloatVector.fromArray(S256, x, x1 + i), a1);
            b1 = wb.fma(FloatVector.fromArray(S256, x, x1 + i + 8), b1);
            a2 = wa.fma(FloatVector.fromArray(S256, x, x2 + i), a2);
            b2 = wb.fma(FloatVector.fromArray(S256, x, x2 + i + 8), b2);
            a3 = wa.fma(FloatVector.fromArray(S256, x, x3 + i), a3);
            b3 = wb.fma(FloatVector.fromArray(S256, x, x3 + i + 8), b3);
        }
        y[y0] = Lanes.combine256(a0, b0);
        y[y0 + ys] = Lanes.combine256(a1, b1);
        y[y0 + 2 * ys] = Lanes.combine256(a2, b2);
        y[y0 + 3 * ys] = Lanes.combine256(a3, b3);
    }

    // ---------------------------------------------------------------- float[] x float[]

    private static float dot512(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc = FloatVector.zero(S512);
        int upper = n & ~15;
        for (int i = 0; i < upper; i += 16) {
            acc = FloatVector.fromArray(S512, a, aOff + i).fma(FloatVector.fromArray(S512, b, bOff + i), acc);
        }
        if (upper == n) return Lanes.combine512(acc); // no tail: combine in registers, allocation-free
        float[] s = new float[PARTIALS];
        acc.intoArray(s, 0);
        for (int i = upper; i < n; i++) s[i & 15] = Math.fma(a[aOff + i], b[bOff + i], s[i & 15]);
        return combine(s, 0);
    }

    private static float dot256(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc0 = FloatVector.zero(S256);
        FloatVector acc1 = FloatVector.zero(S256);
        int upper = n & ~15;
        for (int i = 0; i < upper; i += 16) {
            acc0 = FloatVector.fromArray(S256, a, aOff + i).fma(FloatVector.fromArray(S256, b, bOff + i), acc0);
            acc1 = FloatVector.fromArray(S256, a, aOff + i + 8).fma(FloatVector.fromArray(S256, b, bOff + i + 8), acc1);
        }
        if (upper == n) return Lanes.combine256(acc0, acc1); // no tail: combine in registers, allocation-free
        float[] s = new float[PARTIALS];
        acc0.intoArray(s, 0);
        acc1.intoArray(s, 8);
        for (int i = upper; i < n; i++) s[i & 15] = Math.fma(a[aOff + i], b[bOff + i], s[i & 15]);
        return combine(s, 0);
    }

    private static float dot128(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc0 = FloatVector.zero(S128);
        FloatVector acc1 = FloatVector.zero(S128);
        FloatVector acc2 = FloatVector.zero(S128);
        FloatVector acc3 = FloatVector.zero(S128);
        int upper = n & ~15;
        for (int i = 0; i < upper; i += 16) {
            acc0 = FloatVector.fromArray(S128, a, aOff + i).fma(FloatVector.fromArray(S128, b, bOff + i), acc0);
            acc1 = FloatVector.fromArray(S128, a, aOff + i + 4).fma(FloatVector.fromArray(S128, b, bOff + i + 4), acc1);
            acc2 = FloatVector.fromArray(S128, a, aOff + i + 8).fma(FloatVector.fromArray(S128, b, bOff + i + 8), acc2);
            acc3 = FloatVector.fromArray(S128, a, aOff + i + 12).fma(FloatVector.fromArray(S128, b, bOff + i + 12), acc3);
        }
        if (upper == n) return Lanes.combine128(acc0, acc1, acc2, acc3); // no tail: combine in registers, allocation-free
        float[] s = new float[PARTIALS];
        acc0.intoArray(s, 0);
        acc1.intoArray(s, 4);
        acc2.intoArray(s, 8);
        acc3.intoArray(s, 12);
        for (int i = upper; i < n; i++) s[i & 15] = Math.fma(a[aOff + i], b[bOff + i], s[i & 15]);
        return combine(s, 0);
    }

    // ---------------------------------------------------------------- MemorySegment (F32 LE) x float[]

    private static float dot512(MemorySegment w, long wOff, float[] x, int xOff, int n) {
        FloatVector acc = FloatVector.zero(S512);
        int upper = n & ~15;
        for (int i = 0; i < upper; i += 16) {
            acc = FloatVector.fromMemorySegment(S512, w, wOff + 4L * i, LE)
                    .fma(FloatVector.fromArray(S512, x, xOff + i), acc);
        }
        if (upper == n) return Lanes.combine512(acc); // no tail: combine in registers, allocation-free
        float[] s = new float[PARTIALS];
        acc.intoArray(s, 0);
        for (int i = upper; i < n; i++) s[i & 15] = Math.fma(w.get(F32_LE, wOff + 4L * i), x[xOff + i], s[i & 15]);
        return combine(s, 0);
    }

    private static float dot256(MemorySegment w, long wOff, float[] x, int xOff, int n) {
        FloatVector acc0 = FloatVector.zero(S256);
        FloatVector acc1 = FloatVector.zero(S256);
        int upper = n & ~15;
        for (int i = 0; i < upper; i += 16) {
            long o = wOff + 4L * i;
            acc0 = FloatVector.fromMemorySegment(S256, w, o, LE).fma(FloatVector.fromArray(S256, x, xOff + i), acc0);
            acc1 = FloatVector.fromMemorySegment(S256, w, o + 32, LE).fma(FloatVector.fromArray(S256, x, xOff + i + 8), acc1);
        }
        if (upper == n) return Lanes.combine256(acc0, acc1); // no tail: combine in registers, allocation-free
        float[] s = new float[PARTIALS];
        acc0.intoArray(s, 0);
        acc1.intoArray(s, 8);
        for (int i = upper; i < n; i++) s[i & 15] = Math.fma(w.get(F32_LE, wOff + 4L * i), x[xOff + i], s[i & 15]);
        return combine(s, 0);
    }

    private static float dot128(MemorySegment w, long wOff, float[] x, int xOff, int n) {
        FloatVector acc0 = FloatVector.zero(S128);
        FloatVector acc1 = FloatVector.zero(S128);
        FloatVector acc2 = FloatVector.zero(S128);
        FloatVector acc3 = FloatVector.zero(S128);
        int upper = n & ~15;
        for (int i = 0; i < upper; i += 16) {
            long o = wOff + 4L * i;
            acc0 = FloatVector.fromMemorySegment(S128, w, o, LE).fma(FloatVector.fromArray(S128, x, xOff + i), acc0);
            acc1 = FloatVector.fromMemorySegment(S128, w, o + 16, LE).fma(FloatVector.fromArray(S128, x, xOff + i + 4), acc1);
            acc2 = FloatVector.fromMemorySegment(S128, w, o + 32, LE).fma(FloatVector.fromArray(S128, x, xOff + i + 8), acc2);
            acc3 = FloatVector.fromMemorySegment(S128, w, o + 48, LE).fma(FloatVector.fromArray(S128, x, xOff + i + 12), acc3);
        }
        if (upper == n) return Lanes.combine128(acc0, acc1, acc2, acc3); // no tail: combine in registers, allocation-free
        float[] s = new float[PARTIALS];
        acc0.intoArray(s, 0);
        acc1.intoArray(s, 4);
        acc2.intoArray(s, 8);
        acc3.intoArray(s, 12);
        for (int i = upper; i < n; i++) s[i & 15] = Math.fma(w.get(F32_LE, wOff + 4L * i), x[xOff + i], s[i & 15]);
        return combine(s, 0);
    }
}

package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The int8-q8 product's Java reference ({@link WeightTensor#dotInt8Reference} of Q8_0, Q4_0 and Q5_0: {@link Int8Kernels})
 * against a plain implementation written here from the definition (the codes decoded from the GGUF bytes, each block's
 * integer sum in long arithmetic, the binary32 steps with {@link Math#fma}), on random blocks and on edge values (NaN,
 * infinite and subnormal activations; zero, subnormal, infinite and NaN f16 scales; extreme codes); and the canonical
 * activation quantization ({@link Int8Input#quantizeBlock}) on cases computed by hand and against a plain quantizer.
 * NaN results are compared as the traces hash them ({@link Float#floatToIntBits}), every other result bit for bit.
 */
class Int8ProductTest {
    // ---------------------------------------------------------------- the plain implementation

    /** The integer code of element i of the block at byte o (Q8_0: the byte; Q4_0: nibble - 8; Q5_0: 5 bits - 16). */
    static int code(GgmlType type, byte[] w, int o, int i) {
        return switch (type) {
            case Q8_0 -> w[o + 2 + i];
            case Q4_0 -> (i < 16 ? w[o + 2 + i] & 15 : (w[o + 2 + i - 16] & 0xff) >> 4) - 8;
            case Q5_0 -> {
                long qh = (w[o + 2] & 0xffL) | (w[o + 3] & 0xffL) << 8 | (w[o + 4] & 0xffL) << 16 | (w[o + 5] & 0xffL) << 24;
                int nib = i < 16 ? w[o + 6 + i] & 15 : (w[o + 6 + i - 16] & 0xff) >> 4;
                yield (int) (nib + 16 * ((qh >> i) & 1)) - 16;
            }
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    /** The definition, written out: row {@code row} of the GGUF bytes {@code w} times input t's codes and scales. */
    static float plain(GgmlType type, byte[] w, int row, int cols, byte[] xc, float[] xd, int t) {
        int nb = cols / 32, bb = type.blockBytes;
        float[] a = new float[16];
        for (int b = 0; b < nb; b++) {
            int o = (row * nb + b) * bb;
            float dw = Float.float16ToFloat((short) ((w[o] & 0xff) | (w[o + 1] & 0xff) << 8));
            long s = 0;
            for (int i = 0; i < 32; i++) s += (long) code(type, w, o, i) * xc[t * cols + 32 * b + i];
            float sb = dw * xd[t * nb + b];
            a[b % 16] = Math.fma((float) s, sb, a[b % 16]);
        }
        float lo = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
        float hi = ((a[8] + a[9]) + (a[10] + a[11])) + ((a[12] + a[13]) + (a[14] + a[15]));
        return lo + hi;
    }

    /** A plain quantizer of one block, from the class javadoc of {@link Int8Input}: returns the scale. */
    static float plainQuantize(float[] x, int off, int len, byte[] q, int qOff) {
        float amax = 0;
        for (int i = 0; i < len; i++) amax = Math.max(amax, Math.abs(x[off + i])); // NaN propagates
        float d = amax / 127f;
        boolean special = Float.isNaN(d) || Float.isInfinite(d);
        boolean tiny = !special && d < Float.MIN_NORMAL;
        for (int i = 0; i < len; i++) {
            long v = special || tiny ? 0 : Math.round(Math.rint((double) (x[off + i] * (1f / d))));
            assertTrue(Math.abs(v) <= 127, "code " + v + " out of range");
            q[qOff + i] = (byte) v;
        }
        return special ? d : tiny ? 0f : d;
    }

    static Q8_0Tensor8 tensor(GgmlType type, MemorySegment seg, int rows, int cols) {
        return new Q8_0Tensor8(switch (type) {
            case Q8_0 -> new Q8_0Tensor("w", seg, rows, cols);
            case Q4_0 -> new Q4_0Tensor("w", seg, rows, cols);
            case Q5_0 -> new Q5_0Tensor("w", seg, rows, cols);
            default -> throw new IllegalArgumentException(type.toString());
        });
    }

    /** A holder (the record keeps the test's helpers short). */
    record Q8_0Tensor8(WeightTensor w) {
    }

    static byte[] bytes(MemorySegment seg) {
        return seg.toArray(ValueLayout.JAVA_BYTE);
    }

    private static final short[] EDGE_SCALES = {
            0x0000, (short) 0x8000, 0x0001, (short) 0x8001, 0x03ff, 0x0400, 0x7bff, (short) 0xfbff,
            0x7c00, (short) 0xfc00, 0x7e00, 0x7c01, (short) 0xfe00, 0x3c00};
    private static final float[] EDGE_X = {
            Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL,
            Float.MAX_VALUE, -Float.MAX_VALUE, 0f, -0f, 3e38f, 1e-30f, 1f, -1f, 0x1p-120f};

    /** Random weights; with {@code edges}, edge scales and extreme codes in some blocks. */
    static MemorySegment weights(GgmlType type, int rows, int cols, SplittableRandom r, boolean edges) {
        MemorySegment seg = WeightTensorBitExactnessTest.randomWeights(type, rows, cols, r);
        if (!edges) return seg;
        int bb = type.blockBytes;
        for (long k = 0; k < (long) rows * cols / 32; k++) {
            if (r.nextInt(3) == 0) seg.set(Q8_0Tensor.F16, bb * k, EDGE_SCALES[r.nextInt(EDGE_SCALES.length)]);
            if (r.nextInt(4) == 0) {
                byte[] ext = type == GgmlType.Q8_0 ? new byte[]{-128, 127, 0} : new byte[]{0x00, (byte) 0xff, 0x0f, (byte) 0xf0};
                for (int j = 2; j < bb; j++) seg.set(ValueLayout.JAVA_BYTE, bb * k + j, ext[r.nextInt(ext.length)]);
            }
        }
        return seg;
    }

    /** Activations: gaussians over many magnitudes, with a share {@code special} of edge values. */
    static float[] inputs(int n, SplittableRandom r, double special) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextDouble() < special ? EDGE_X[r.nextInt(EDGE_X.length)]
                    : (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-40, 39)));
        }
        return x;
    }

    static void assertSame(float want, float got, String what) {
        assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got), what + ": want " + want + ", got " + got);
    }

    // ---------------------------------------------------------------- the reference against the plain product

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q5_0"})
    void referenceEqualsThePlainDefinition(GgmlType type) {
        SplittableRandom r = new SplittableRandom(808 + type.ordinal());
        for (int round = 0; round < 60; round++) {
            int rows = 1 + r.nextInt(5), nb = 1 + r.nextInt(40), cols = 32 * nb, n = 1 + r.nextInt(3);
            boolean edges = round % 2 == 1;
            MemorySegment seg = weights(type, rows, cols, r, edges);
            WeightTensor w = tensor(type, seg, rows, cols).w();
            double special = round < 20 ? 0 : round < 40 ? 0.01 : 0.2;
            float[] x = inputs(n * cols + 7, r, special);
            if (round % 5 == 0) for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian(); // finite results
            Int8Input xq = new Int8Input().quantize(x, 7, cols, n, cols, Int8Input.Q8_32);
            byte[] wb = bytes(seg);
            for (int t = 0; t < n; t++) {
                for (int row = 0; row < rows; row++) {
                    assertSame(plain(type, wb, row, cols, xq.codes32(), xq.scales32(), t), w.dotInt8Reference(row, xq, t),
                            type + " round " + round + " row " + row + " input " + t);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q5_0"})
    void referenceIsNotTheBinary32ProductAndReadsTheCodes(GgmlType type) {
        // A hand-sized case: one block, all codes 1 (after the type's offset), scale 1, input codes known.
        int cols = 64;
        byte[] b = new byte[2 * type.blockBytes];
        for (int k = 0; k < 2; k++) {
            int o = k * type.blockBytes;
            b[o + 1] = 0x3c; // f16 1.0
            switch (type) {
                case Q8_0 -> { for (int i = 0; i < 32; i++) b[o + 2 + i] = 1; }
                case Q4_0 -> { for (int i = 0; i < 16; i++) b[o + 2 + i] = (byte) 0x99; } // 9 - 8 = 1
                case Q5_0 -> { b[o + 2] = b[o + 3] = b[o + 4] = b[o + 5] = (byte) 0xff; for (int i = 0; i < 16; i++) b[o + 6 + i] = 0x11; } // 17 - 16
                default -> throw new IllegalArgumentException();
            }
        }
        MemorySegment seg = MemorySegment.ofArray(b);
        WeightTensor w = tensor(type, seg, 1, cols).w();
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = i < 32 ? 127f : i == 32 ? 254f : 0.5f * (i - 32); // block 1: scale 2
        Int8Input xq = new Int8Input().quantize(x, 0, cols, 1, cols, Int8Input.Q8_32);
        assertEquals(1f, xq.scales32()[0]);
        assertEquals(2f, xq.scales32()[1]);
        // block 0: 32 * 127 * 1 * 1; block 1: codes 127 then rint(0.25 * j) for j = 1..31, times scale 2
        long s1 = 127;
        for (int j = 1; j < 32; j++) s1 += (long) Math.rint(0.25 * j);
        float want = (float) (32 * 127) + (float) s1 * 2f; // partials 0 and 1, then the tree (exact here)
        assertSame(want, w.dotInt8Reference(0, xq, 0), type + " hand case");
        assertThrows(IllegalArgumentException.class,
                () -> w.dotInt8Reference(0, new Int8Input().quantize(new float[32], 0, 32, 1, 32, Int8Input.Q8_32), 0));
    }

    // ---------------------------------------------------------------- the quantizer

    @Test
    void quantizeBlockOnHandComputedCases() {
        byte[] q = new byte[32];
        float[] x = new float[32];
        // amax 127: d = 1, id = 1; ties round to even
        x[0] = 127f; x[1] = -63.5f; x[2] = 0.5f; x[3] = 1.5f; x[4] = 2.5f; x[5] = -0.5f; x[6] = -1.5f; x[7] = 126.5f; x[8] = -127f;
        x[9] = 0.49999997f;
        assertEquals(1f, Int8Input.quantizeBlock(x, 0, 32, q, 0));
        assertArrayEquals(new byte[]{127, -64, 0, 2, 2, 0, -2, 126, -127, 0}, java.util.Arrays.copyOf(q, 10));
        // amax 254: d = 2, id = 0.5: 3 -> rint(1.5) = 2, 5 -> rint(2.5) = 2, -7 -> -4 (rint(-3.5))
        java.util.Arrays.fill(x, 0f);
        x[0] = -254f; x[1] = 3f; x[2] = 5f; x[3] = -7f; x[4] = 1f;
        assertEquals(2f, Int8Input.quantizeBlock(x, 0, 32, q, 0));
        assertArrayEquals(new byte[]{-127, 2, 2, -4, 0}, java.util.Arrays.copyOf(q, 5));
        // a NaN anywhere (either sign): scale NaN, codes 0
        java.util.Arrays.fill(x, 1f);
        x[17] = Float.intBitsToFloat(0xffc00000);
        assertTrue(Float.isNaN(Int8Input.quantizeBlock(x, 0, 32, q, 0)));
        assertArrayEquals(new byte[32], q);
        // an infinity: scale +inf (amax / 127), codes 0
        java.util.Arrays.fill(x, 1f);
        x[3] = Float.NEGATIVE_INFINITY;
        assertEquals(Float.POSITIVE_INFINITY, Int8Input.quantizeBlock(x, 0, 32, q, 0));
        assertArrayEquals(new byte[32], q);
        // zeros (and negative zeros), subnormals, and amax just below 127 * 2^-126: scale 0, codes 0
        java.util.Arrays.fill(x, -0f);
        assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(Int8Input.quantizeBlock(x, 0, 32, q, 0)));
        assertArrayEquals(new byte[32], q);
        x[5] = Float.MIN_VALUE; x[6] = -0x1p-127f;
        assertEquals(0f, Int8Input.quantizeBlock(x, 0, 32, q, 0));
        assertArrayEquals(new byte[32], q);
        x[7] = Math.nextDown(127f * Float.MIN_NORMAL);
        assertEquals(0f, Int8Input.quantizeBlock(x, 0, 32, q, 0));
        assertArrayEquals(new byte[32], q);
        // amax exactly 127 * 2^-126: d = 2^-126 (the smallest normal), id = 2^126
        x[7] = 127f * Float.MIN_NORMAL; x[8] = -Float.MIN_NORMAL; x[9] = 0x1p-127f; x[10] = 0x1.8p-126f;
        assertEquals(Float.MIN_NORMAL, Int8Input.quantizeBlock(x, 0, 32, q, 0));
        assertEquals(127, q[7]);
        assertEquals(-1, q[8]);
        assertEquals(0, q[9]); // rint(0.5)
        assertEquals(2, q[10]); // rint(1.5)
        assertEquals(0, q[5]);
        // the largest finite amax: codes stay within 127
        java.util.Arrays.fill(x, 0f);
        x[0] = Float.MAX_VALUE; x[1] = -Float.MAX_VALUE;
        assertEquals(Float.MAX_VALUE / 127f, Int8Input.quantizeBlock(x, 0, 32, q, 0));
        assertEquals(127, q[0]);
        assertEquals(-127, q[1]);
    }

    @Test
    void quantizeEqualsAPlainQuantizerAndKeepsExactSums() {
        SplittableRandom r = new SplittableRandom(32256);
        for (int round = 0; round < 200; round++) {
            int n = 1 + r.nextInt(3), cols = 256 * (1 + r.nextInt(3)), off = r.nextInt(5);
            float[] x = inputs(off + n * cols, r, round < 100 ? 0.002 : 0.05);
            if (round % 7 == 0) for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 1e-38); // subnormal blocks
            Int8Input xq = new Int8Input().quantize(x, off, cols, n, cols, Int8Input.Q8_32 | Int8Input.Q8_256);
            for (int bs : new int[]{32, 256}) {
                byte[] q = new byte[n * cols];
                for (int t = 0; t < n; t++) {
                    for (int b = 0; b < cols / bs; b++) {
                        float d = plainQuantize(x, off + t * cols + bs * b, bs, q, t * cols + bs * b);
                        float got = bs == 32 ? xq.scales32()[t * cols / 32 + b] : xq.scales256()[t * cols / 256 + b];
                        assertSame(d, got, "round " + round + " block size " + bs + " scale " + b);
                    }
                }
                byte[] codes = bs == 32 ? xq.codes32() : xq.codes256();
                assertArrayEquals(q, java.util.Arrays.copyOf(codes, n * cols), "round " + round + " codes of block size " + bs);
                int g = bs == 32 ? 32 : 16;
                int[] sums = bs == 32 ? xq.sums32() : xq.sums16();
                for (int k = 0; k < n * cols / g; k++) {
                    int s = 0;
                    for (int i = 0; i < g; i++) s += q[g * k + i];
                    assertEquals(s, sums[k], "round " + round + " sum " + k + " of " + g);
                }
            }
        }
    }
}

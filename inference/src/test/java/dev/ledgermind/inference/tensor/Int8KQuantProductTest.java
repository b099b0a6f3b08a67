package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The int8-q8 products of Q4_K, Q5_K and Q6_K ({@link WeightTensor#dotInt8Reference}, the class javadocs' definitions)
 * against a plain implementation written here from the GGUF super-block layouts (llama.cpp's {@code get_scale_min_k4}
 * and {@code dequantize_row_q*_K} loops, decoded byte by byte), integer sums in {@code long} (the activation code sums
 * recomputed from the codes, not read from {@link Int8Input#sums16}), the float steps with {@link Math#fma}. Random
 * super-blocks and edge cases: zero, signed-zero, subnormal, largest, infinite and NaN {@code d} and {@code dmin};
 * scales and mins 0 and 63 (Q6_K scales -128 and 127); extreme codes; NaN, infinite, subnormal, huge and zero
 * activations (the quantizer maps a non-finite block to a NaN or infinite scale with zero codes). Results compared as
 * the traces hash them ({@link Float#floatToIntBits}: every NaN alike), every other bit exactly.
 */
class Int8KQuantProductTest {

    static WeightTensor tensor(GgmlType type, MemorySegment seg, int rows, int cols) {
        return switch (type) {
            case Q4_K -> new Q4_KTensor("w", seg, rows, cols);
            case Q5_K -> new Q5_KTensor("w", seg, rows, cols);
            case Q6_K -> new Q6_KTensor("w", seg, rows, cols);
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    private static int u8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    private static float half(MemorySegment s, long at) {
        return Float.float16ToFloat((short) (u8(s, at) | u8(s, at + 1) << 8));
    }

    /** The plain product of row {@code row} and input {@code t}. */
    static float plain(GgmlType type, MemorySegment w, int row, int cols, Int8Input xq, int t) {
        int nsb = cols / 256;
        long rowBytes = type.bytesFor(cols);
        byte[] qx = xq.codes256();
        float[] acc = new float[16];
        for (int s = 0; s < nsb; s++) {
            long p = row * rowBytes + (long) type.blockBytes * s;
            int xo = t * cols + 256 * s;
            float dx = xq.scales256()[t * nsb + s];
            int[] q = new int[256];
            if (type == GgmlType.Q6_K) {
                int[] scl = new int[256];
                for (int n = 0; n < 2; n++) { // llama.cpp's dequantize_row_q6_K loop
                    long ql = p + 64 * n, qh = p + 128 + 32 * n, sc = p + 192 + 8 * n;
                    for (int l = 0; l < 32; l++) {
                        int is = l / 16, e = 128 * n + l, h = u8(w, qh + l);
                        q[e] = ((u8(w, ql + l) & 0xF) | ((h & 3) << 4)) - 32;
                        q[e + 32] = ((u8(w, ql + l + 32) & 0xF) | (((h >> 2) & 3) << 4)) - 32;
                        q[e + 64] = ((u8(w, ql + l) >> 4) | (((h >> 4) & 3) << 4)) - 32;
                        q[e + 96] = ((u8(w, ql + l + 32) >> 4) | (((h >> 6) & 3) << 4)) - 32;
                        scl[e] = w.get(ValueLayout.JAVA_BYTE, sc + is);
                        scl[e + 32] = w.get(ValueLayout.JAVA_BYTE, sc + is + 2);
                        scl[e + 64] = w.get(ValueLayout.JAVA_BYTE, sc + is + 4);
                        scl[e + 96] = w.get(ValueLayout.JAVA_BYTE, sc + is + 6);
                    }
                }
                long a = 0;
                for (int j = 0; j < 16; j++) {
                    long dot = 0;
                    for (int i = 16 * j; i < 16 * j + 16; i++) dot += (long) q[i] * qx[xo + i];
                    a += scl[16 * j] * dot;
                }
                acc[s % 16] = Math.fma(half(w, p + 208) * dx, (float) a, acc[s % 16]);
                continue;
            }
            long scales = p + 4;
            long a = 0, b = 0;
            for (int j = 0; j < 8; j++) {
                int sc, mn; // llama.cpp's get_scale_min_k4
                if (j < 4) {
                    sc = u8(w, scales + j) & 63;
                    mn = u8(w, scales + j + 4) & 63;
                } else {
                    sc = (u8(w, scales + j + 4) & 0xF) | ((u8(w, scales + j - 4) >> 6) << 4);
                    mn = (u8(w, scales + j + 4) >> 4) | ((u8(w, scales + j) >> 6) << 4);
                }
                long dot = 0, bs = 0;
                for (int l = 0; l < 32; l++) {
                    int e = 32 * j + l, g = j / 2;
                    int code;
                    if (type == GgmlType.Q4_K) {
                        int v = u8(w, p + 16 + 32 * g + l);
                        code = (j % 2 == 0) ? v & 0xF : v >> 4;
                    } else {
                        int v = u8(w, p + 48 + 32 * g + l);
                        code = ((j % 2 == 0) ? v & 0xF : v >> 4) + 16 * ((u8(w, p + 16 + l) >> j) & 1);
                    }
                    dot += (long) code * qx[xo + e];
                    bs += qx[xo + e];
                }
                a += sc * dot;
                b += mn * bs;
            }
            float d = half(w, p), dmin = half(w, p + 2);
            acc[s % 16] = Math.fma(d * dx, (float) a, acc[s % 16]);
            acc[s % 16] = Math.fma(-(dmin * dx), (float) b, acc[s % 16]);
        }
        float lo = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        float hi = ((acc[8] + acc[9]) + (acc[10] + acc[11])) + ((acc[12] + acc[13]) + (acc[14] + acc[15]));
        return lo + hi;
    }

    /** f16 halves for d and dmin: subnormal, zero, signed zero, smallest normal, largest, one, infinities, NaN. */
    static final short[] EDGE_HALVES = {
            0x0001, (short) 0x8001, 0x03ff, (short) 0x83ff, 0x0400, 0x0000, (short) 0x8000, 0x7bff, (short) 0xfbff, 0x3c00,
            0x1234, 0x7c00, (short) 0xfc00, 0x7e00};
    static final float[] EDGE_X = {
            Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL,
            Float.MAX_VALUE, -Float.MAX_VALUE, 0f, -0f, 3e38f, 1e-30f, 1f, -1f};

    /** Random weights with edge super-blocks mixed in (as described in the class javadoc). */
    static MemorySegment edgeWeights(GgmlType type, int rows, int cols, SplittableRandom r) {
        MemorySegment seg = WeightTensorBitExactnessTest.randomWeights(type, rows, cols, r);
        int bb = type.blockBytes;
        for (long k = 0; k < (long) rows * cols / 256; k++) {
            long o = bb * k;
            if (type == GgmlType.Q6_K) {
                if (r.nextInt(3) == 0) seg.set(Q8_0Tensor.F16, o + 208, EDGE_HALVES[r.nextInt(EDGE_HALVES.length)]);
                if (r.nextInt(3) == 0) { // scales -128, 127, 0 (each, or all alike)
                    byte[] ext = {(byte) 0x80, 0x7f, 0, (byte) 0xff, 1};
                    boolean same = r.nextBoolean();
                    byte v = ext[r.nextInt(ext.length)];
                    for (int j = 0; j < 16; j++) seg.set(ValueLayout.JAVA_BYTE, o + 192 + j, same ? v : ext[r.nextInt(ext.length)]);
                }
                if (r.nextInt(4) == 0) { // extreme codes: 0 and 63 (q - 32 = -32 and 31)
                    byte[] ext = {0x00, (byte) 0xff, 0x0f, (byte) 0xf0, 0x55, (byte) 0xaa};
                    for (int j = 0; j < 192; j++) seg.set(ValueLayout.JAVA_BYTE, o + j, ext[r.nextInt(ext.length)]);
                }
                continue;
            }
            if (r.nextInt(3) == 0) seg.set(Q8_0Tensor.F16, o, EDGE_HALVES[r.nextInt(EDGE_HALVES.length)]);
            if (r.nextInt(3) == 0) seg.set(Q8_0Tensor.F16, o + 2, EDGE_HALVES[r.nextInt(EDGE_HALVES.length)]);
            if (r.nextInt(4) == 0) { // scales and mins all 0 or all 63 (every packed bit set or clear)
                byte v = r.nextBoolean() ? (byte) 0xff : 0;
                for (int j = 0; j < 12; j++) seg.set(ValueLayout.JAVA_BYTE, o + 4 + j, v);
            }
            if (r.nextInt(4) == 0) { // extreme codes (0, 15; Q5_K 31 too) in every position
                byte[] ext = {0x00, (byte) 0xff, 0x0f, (byte) 0xf0};
                for (int j = 16; j < bb; j++) seg.set(ValueLayout.JAVA_BYTE, o + j, ext[r.nextInt(ext.length)]);
            }
        }
        return seg;
    }

    /**
     * {@code n} inputs of {@code cols}: Gaussian blocks over many magnitudes, with (when {@code special}) some blocks
     * holding NaN, infinite, subnormal, huge or zero values, and blocks whose largest element is ±127 codes exactly.
     */
    static float[] inputs(int n, int cols, SplittableRandom r, boolean special) {
        float[] x = new float[n * cols];
        for (int b = 0; b < n * cols / 256; b++) {
            int kind = special ? r.nextInt(8) : 0;
            double mag = Math.pow(10, r.nextInt(-30, 30));
            for (int i = 256 * b; i < 256 * b + 256; i++) {
                x[i] = switch (kind) {
                    case 1 -> r.nextInt(40) == 0 ? EDGE_X[r.nextInt(EDGE_X.length)] : (float) r.nextGaussian();
                    case 2 -> 0f;
                    case 3 -> r.nextBoolean() ? Float.MIN_VALUE * r.nextInt(1, 1000) : -Float.MIN_NORMAL * r.nextFloat();
                    case 4 -> (float) (r.nextGaussian() * 1e38);
                    case 5 -> (i % 256 == 7) ? -127f : r.nextInt(-127, 128); // codes equal to the values
                    default -> (float) (r.nextGaussian() * mag);
                };
            }
        }
        return x;
    }

    private static void check(GgmlType type, MemorySegment seg, int rows, int cols, float[] x, int n, String what) {
        WeightTensor w = tensor(type, seg, rows, cols);
        assertEquals(Int8Input.Q8_256, w.int8Format());
        Int8Input xq = new Int8Input().quantize(x, 0, cols, n, cols, Int8Input.Q8_256);
        for (int t = 0; t < n; t++) {
            for (int row = 0; row < rows; row++) {
                float want = plain(type, seg, row, cols, xq, t), got = w.dotInt8Reference(row, xq, t);
                assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got),
                        type + " " + what + ": row " + row + ", input " + t + " (" + want + " vs " + got + ")");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_K", "Q5_K", "Q6_K"})
    void theReferenceEqualsThePlainProductOnRandomSuperBlocks(GgmlType type) {
        SplittableRandom r = new SplittableRandom(type.id * 31L + 5);
        for (int nsb : new int[]{1, 2, 3, 16, 17, 33}) {
            int rows = 1 + r.nextInt(5), cols = 256 * nsb, n = 1 + r.nextInt(3);
            check(type, WeightTensorBitExactnessTest.randomWeights(type, rows, cols, r), rows, cols, inputs(n, cols, r, false), n,
                    rows + "x" + cols);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_K", "Q5_K", "Q6_K"})
    void theReferenceEqualsThePlainProductOnEdgeCases(GgmlType type) {
        SplittableRandom r = new SplittableRandom(type.id * 17L + 3);
        for (int round = 0; round < 30; round++) {
            int rows = 1 + r.nextInt(6), nsb = 1 + r.nextInt(20), cols = 256 * nsb, n = 1 + r.nextInt(3);
            check(type, edgeWeights(type, rows, cols, r), rows, cols, inputs(n, cols, r, true), n, "edge round " + round);
        }
    }

    /** The largest integer parts the formats allow: every code and scale at its extreme, activations all ±127. */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_K", "Q5_K", "Q6_K"})
    void theLargestIntegerPartsAreExact(GgmlType type) {
        int cols = 256 * 17;
        MemorySegment seg = WeightTensorBitExactnessTest.randomWeights(type, 2, cols, new SplittableRandom(9));
        for (long k = 0; k < 2L * 17; k++) {
            long o = (long) type.blockBytes * k;
            if (type == GgmlType.Q6_K) { // row 0: q = 63 (31 after the offset), row 1: q = 0 (-32), scales -128
                for (int j = 0; j < 192; j++) seg.set(ValueLayout.JAVA_BYTE, o + j, k < 17 ? (byte) 0xff : 0);
                for (int j = 0; j < 16; j++) seg.set(ValueLayout.JAVA_BYTE, o + 192 + j, (byte) 0x80);
            } else {
                for (int j = 4; j < type.blockBytes; j++) seg.set(ValueLayout.JAVA_BYTE, o + j, (byte) 0xff);
            }
        }
        float[] x = new float[2 * cols];
        for (int i = 0; i < cols; i++) {
            x[i] = 127f;
            x[cols + i] = -127f;
        }
        check(type, seg, 2, cols, x, 2, "extremes");
    }

    /** The quantizer's rule for a block with a non-finite value: scale NaN or infinite, codes zero (the product is NaN). */
    @Test
    void aNonFiniteBlockGivesANaNProduct() {
        int cols = 512;
        float[] x = inputs(1, cols, new SplittableRandom(3), false);
        x[300] = Float.POSITIVE_INFINITY;
        Int8Input xq = new Int8Input().quantize(x, 0, cols, 1, cols, Int8Input.Q8_256);
        assertTrue(Float.isInfinite(xq.scales256()[1]));
        for (int i = 256; i < 512; i++) assertEquals(0, xq.codes256()[i]);
        for (GgmlType type : new GgmlType[]{GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K}) {
            MemorySegment seg = WeightTensorBitExactnessTest.randomWeights(type, 1, cols, new SplittableRandom(4));
            assertTrue(Float.isNaN(tensor(type, seg, 1, cols).dotInt8Reference(0, xq, 0)), type.toString());
        }
    }
}

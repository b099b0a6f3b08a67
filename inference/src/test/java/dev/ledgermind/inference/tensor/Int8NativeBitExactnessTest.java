package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.kernel.ThreadPools;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The native int8-q8 kernels of Q8_0, Q4_0 and Q5_0 ({@link Int8Kernels}: the decode step and the batched product on the
 * packed copy) give the Java reference's bits ({@link WeightTensor#dotInt8Reference}, itself checked against a plain
 * implementation by {@link Int8ProductTest}), on random inputs and edge values (NaN, infinite, subnormal activations;
 * zero, subnormal, infinite and NaN scales; extreme codes), for every remainder of the kernels' groupings (rows not a
 * multiple of 16, ranges that start and end inside a group, blocks not a multiple of 16, batches 1..19 around the
 * tile of 8 inputs). Called directly, and through {@link WeightTensor#matMulInt8} with native kernels allowed and not,
 * at 1, 2 and 4 threads. Skipped, with the reason, where the kernels do not run (no library, no AVX-512 VNNI).
 */
class Int8NativeBitExactnessTest {
    @RegisterExtension
    static final ThreadPools POOLS = new ThreadPools(1, 2, 4);

    private static final KernelConfig NATIVE = KernelConfig.ofBits(512).withNative(true);
    private static final KernelConfig JAVA = KernelConfig.ofBits(512).withNative(false);

    static BlockQ8Tensor tensor(GgmlType type, MemorySegment seg, int rows, int cols) {
        return switch (type) {
            case Q8_0 -> new Q8_0Tensor("w", seg, rows, cols, ComputeProfile.INT8_Q8);
            case Q4_0 -> new Q4_0Tensor("w", seg, rows, cols, ComputeProfile.INT8_Q8);
            case Q5_0 -> new Q5_0Tensor("w", seg, rows, cols, ComputeProfile.INT8_Q8);
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    private static void assertSame(float want, float got, String what) {
        assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got), what + ": want " + want + ", got " + got);
    }

    static void check(BlockQ8Tensor w, Int8Input xq, String what) {
        what = w.type() + " " + what;
        int rows = w.rows(), n = xq.n();
        assertNotNull(w.int8, what + ": the tensor has the int8 kernels' copy");
        float[] ref = new float[n * rows];
        for (int t = 0; t < n; t++) for (int r = 0; r < rows; r++) ref[t * rows + r] = w.dotInt8Reference(r, xq, t);
        // Directly, an output stride wider than the rows and the range split inside groups of 16.
        int yOff = 3, stride = rows + 5;
        int[] cuts = {0, Math.min(rows, 5), Math.min(rows, 21), rows};
        float[] y = new float[yOff + n * stride];
        java.util.Arrays.fill(y, 12345f);
        for (int c = 0; c + 1 < cuts.length; c++) Int8Kernels.rows(w.int8, cuts[c], cuts[c + 1], xq, y, yOff, stride);
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < rows; r++) assertSame(ref[t * rows + r], y[yOff + t * stride + r], what + ", native, row " + r + " input " + t);
            for (int r = rows; r < stride && yOff + t * stride + r < y.length; r++) {
                assertSame(12345f, y[yOff + t * stride + r], what + ": a store outside the rows, input " + t + " at " + r);
            }
        }
        for (int i = 0; i < yOff; i++) assertSame(12345f, y[i], what + ": a store before the output");
        for (KernelConfig cfg : new KernelConfig[]{NATIVE, JAVA}) {
            for (Parallel par : POOLS.pools()) {
                float[] z = new float[n * rows];
                w.matMulInt8(cfg, par, xq, z, 0, rows);
                for (int i = 0; i < ref.length; i++) {
                    assertSame(ref[i], z[i], what + ", " + (cfg == NATIVE ? "native" : "java") + ", " + par.threads() + " threads, output " + i);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q5_0"})
    void nativeEqualsTheReferenceOnEveryRemainder(GgmlType type) {
        assumeTrue(Int8Kernels.available(type), "int8 kernels not here: " + NativeKernels.status() + ", VNNI " + NativeKernels.vnni());
        SplittableRandom r = new SplittableRandom(8 + type.ordinal());
        int[] blockCounts = {1, 2, 15, 16, 17, 33, 64};
        int[] rowCounts = {1, 3, 15, 16, 17, 24, 33, 40};
        for (int nb : blockCounts) {
            int cols = 32 * nb;
            for (int rows : rowCounts) {
                BlockQ8Tensor w = tensor(type, Int8ProductTest.weights(type, rows, cols, r, false), rows, cols);
                int n = 1 + r.nextInt(19);
                float[] x = Int8ProductTest.inputs(n * cols, r, 0);
                check(w, new Int8Input().quantize(x, 0, cols, n, cols, Int8Input.Q8_32), rows + "x" + cols + " batch " + n);
                check(w, new Int8Input().quantize(x, 0, cols, 1, cols, Int8Input.Q8_32), rows + "x" + cols + " decode");
            }
        }
        int rows = 37, cols = 32 * 21;
        BlockQ8Tensor w = tensor(type, Int8ProductTest.weights(type, rows, cols, r, false), rows, cols);
        for (int n = 1; n <= 19; n++) {
            float[] x = new float[n * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            check(w, new Int8Input().quantize(x, 0, cols, n, cols, Int8Input.Q8_32), "batch " + n);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q5_0"})
    void nativeEqualsTheReferenceOnEdgeValues(GgmlType type) {
        assumeTrue(Int8Kernels.available(type), "int8 kernels not here: " + NativeKernels.status() + ", VNNI " + NativeKernels.vnni());
        SplittableRandom r = new SplittableRandom(1414 + type.ordinal());
        for (int round = 0; round < 40; round++) {
            int rows = 1 + r.nextInt(40), nb = 1 + r.nextInt(40), cols = 32 * nb, n = 1 + r.nextInt(12);
            BlockQ8Tensor w = tensor(type, Int8ProductTest.weights(type, rows, cols, r, true), rows, cols);
            float[] x = Int8ProductTest.inputs(n * cols, r, round < 20 ? 0.01 : 0.2);
            Int8Input xq = new Int8Input().quantize(x, 0, cols, n, cols, Int8Input.Q8_32);
            check(w, xq, "edge round " + round + ": " + rows + "x" + cols + " batch " + n);
            check(w, new Int8Input().quantize(x, 0, cols, 1, cols, Int8Input.Q8_32), "edge round " + round + " decode");
        }
        // Extreme codes everywhere against extreme input codes (the largest integer sums, both signs).
        int rows = 17, cols = 32 * 18;
        MemorySegment seg = Int8ProductTest.weights(type, rows, cols, r, false);
        byte ext = type == GgmlType.Q8_0 ? (byte) -128 : 0x00;
        for (long k = 0; k < (long) rows * cols / 32; k++) {
            for (int j = 2; j < type.blockBytes; j++) seg.set(java.lang.foreign.ValueLayout.JAVA_BYTE, type.blockBytes * k + j, ext);
        }
        BlockQ8Tensor w = tensor(type, seg, rows, cols);
        float[] x = new float[3 * cols];
        for (int i = 0; i < x.length; i++) x[i] = i < cols ? 1f : i < 2 * cols ? -1f : (i % 2 == 0 ? 1f : -1f);
        check(w, new Int8Input().quantize(x, 0, cols, 3, cols, Int8Input.Q8_32), "extreme codes");
        assertTrue(Int8Kernels.used());
    }

    /** The native quantizer ({@code lm_i8_quantize}) against the Java reference {@link Int8Input#quantizeBlock}, both block sizes. */
    @org.junit.jupiter.api.Test
    void nativeQuantizerEqualsTheReference() {
        assumeTrue(Int8Kernels.quantizeAvailable(), "native quantizer not here: " + NativeKernels.status());
        SplittableRandom r = new SplittableRandom(3232);
        float[] edges = {Float.NaN, Float.intBitsToFloat(0xffc00001), Float.intBitsToFloat(0x7f800001), Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 127f * Float.MIN_NORMAL,
                Math.nextDown(127f * Float.MIN_NORMAL), Float.MAX_VALUE, -Float.MAX_VALUE, 0f, -0f, 127f, -127f, 63.5f, -0.5f, 2.5f};
        for (int round = 0; round < 300; round++) {
            int n = 1 + r.nextInt(4), cols = 256 * (1 + r.nextInt(3)), stride = cols + r.nextInt(3), off = r.nextInt(4);
            float[] x = new float[off + (n - 1) * stride + cols];
            double special = round < 100 ? 0 : round < 200 ? 0.003 : 0.1;
            for (int i = 0; i < x.length; i++) {
                x[i] = r.nextDouble() < special ? edges[r.nextInt(edges.length)]
                        : round % 3 == 0 ? (float) (r.nextInt(-254, 255) * 0.5) // ties of x * id at amax 127
                        : round % 3 == 1 ? (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-39, -34))) // whole blocks near 127 * 2^-126
                        : (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-45, 39)));
            }
            for (int bs : new int[]{32, 256}) {
                byte[] q = new byte[n * cols], qr = new byte[n * cols];
                float[] d = new float[n * cols / bs], dr = new float[n * cols / bs];
                int g = bs == 32 ? 32 : 16;
                int[] sums = new int[n * cols / g];
                Int8Kernels.quantize(x, off, stride, n, cols, bs, q, d, sums);
                for (int t = 0; t < n; t++) {
                    for (int b = 0; b < cols / bs; b++) dr[t * cols / bs + b] = Int8Input.quantizeBlock(x, off + t * stride + bs * b, bs, qr, t * cols + bs * b);
                }
                String what = "round " + round + ", blocks of " + bs;
                for (int i = 0; i < d.length; i++) {
                    assertEquals(Float.floatToRawIntBits(dr[i]), Float.floatToRawIntBits(d[i]), what + ", scale " + i + ": " + dr[i] + " " + d[i]);
                }
                org.junit.jupiter.api.Assertions.assertArrayEquals(qr, q, what + ", codes");
                for (int k = 0; k < sums.length; k++) {
                    int s = 0;
                    for (int i = 0; i < g; i++) s += qr[g * k + i];
                    assertEquals(s, sums[k], what + ", sum " + k);
                }
            }
        }
    }
}

package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.kernel.ThreadPools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The native Q5_0 and Q5_1 kernels ({@link NativeKernels#inPlaceMatVec}, {@link NativeKernels#inPlaceMatMul}: decode
 * and the batched product, reading the blocks in place) give the scalar reference's bits
 * ({@link WeightTensor#dotReference}: Q5_0's per-block product, Q5_1's element values {@code d * q + m} with one fma a
 * value; Dot.combine) and the Java 512-bit kernels' bits, on random blocks and on edge cases: zero, signed-zero,
 * subnormal, largest, infinite and NaN {@code d} (and Q5_1's {@code m}); fifth bits all set or clear; codes 0 and 31
 * in every position; NaN, infinite, subnormal and signed-zero activations; every remainder of the kernels' groupings
 * (rows not a multiple of the decode step's 4 or 2, or of the batched product's group of 8; blocks not a multiple of
 * its column chunk of 16; batches 1..9 and 15..19, leaving tiles of 4, 2 and 1 inputs). The kernels are called directly
 * (split at an odd row) and through {@link WeightTensor#matMul} at 512 bits with native kernels allowed and not, at 1,
 * 2 and 4 threads.
 *
 * <p>Skipped, with the reason, where the library is not built, lacks these kernels, or the CPU lacks AVX-512. NaN
 * results are compared as the traces hash them ({@link Float#floatToIntBits}: every NaN alike); every other result bit
 * for bit.
 */
class Q5NativeBitExactnessTest {
    @RegisterExtension
    static final ThreadPools POOLS = new ThreadPools(1, 2, 4);

    private static final KernelConfig NATIVE = KernelConfig.ofBits(512).withNative(true);
    private static final KernelConfig JAVA = KernelConfig.ofBits(512).withNative(false);

    private static WeightTensor tensor(GgmlType type, MemorySegment seg, int rows, int cols) {
        return type == GgmlType.Q5_0 ? new Q5_0Tensor("w", seg, rows, cols) : new Q5_1Tensor("w", seg, rows, cols);
    }

    private static boolean nativeOn(WeightTensor w, KernelConfig cfg) {
        return w instanceof Q5_0Tensor q ? q.nativeOn(cfg) : ((Q5_1Tensor) w).nativeOn(cfg);
    }

    private static void check(WeightTensor w, float[] x, int batch, String what) {
        what = w.type() + " " + what;
        int rows = w.rows(), cols = w.cols(), blocks = cols / 32;
        long rowBytes = w.type().bytesFor(cols);
        assertTrue(nativeOn(w, NATIVE) && !nativeOn(w, JAVA), what + ": native on by configuration only");
        float[] ref = new float[batch * rows];
        for (int t = 0; t < batch; t++) for (int r = 0; r < rows; r++) ref[t * rows + r] = w.dotReference(r, x, t * cols);
        int yOff = 3, split = Math.min(rows, 5);
        float[] y = new float[yOff + batch * rows];
        if (batch == 1) {
            NativeKernels.inPlaceMatVec(w.type(), w.data(), rowBytes, blocks, 0, split, x, 0, y, yOff);
            NativeKernels.inPlaceMatVec(w.type(), w.data(), rowBytes, blocks, split, rows, x, 0, y, yOff);
        } else {
            NativeKernels.inPlaceMatMul(w.type(), w.data(), rowBytes, blocks, 0, split, x, 0, cols, batch, y, yOff, rows);
            NativeKernels.inPlaceMatMul(w.type(), w.data(), rowBytes, blocks, split, rows, x, 0, cols, batch, y, yOff, rows);
        }
        for (int i = 0; i < ref.length; i++) {
            assertEquals(Float.floatToIntBits(ref[i]), Float.floatToIntBits(y[yOff + i]), what + ", native direct, output " + i);
        }
        for (KernelConfig cfg : new KernelConfig[]{NATIVE, JAVA}) {
            for (Parallel par : POOLS.pools()) {
                float[] z = new float[batch * rows];
                w.matMul(cfg, par, x, 0, cols, batch, z, 0, rows);
                for (int i = 0; i < ref.length; i++) {
                    assertEquals(Float.floatToIntBits(ref[i]), Float.floatToIntBits(z[i]),
                            what + ", " + cfg + ", " + par.threads() + " threads, output " + i);
                }
            }
        }
    }

    private static float[] gaussian(SplittableRandom r, int n, int minExp, int maxExp) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(minExp, maxExp)));
        return x;
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q5_0", "Q5_1"})
    void nativeKernelsEqualTheReferenceOnRandomInputsAndEveryRemainder(GgmlType type) {
        assumeTrue(NativeKernels.hasInPlaceKernels(type), NativeKernels.status());
        SplittableRandom r = new SplittableRandom(2026 + type.id);
        int[] blockCounts = {1, 2, 3, 5, 15, 16, 17, 28, 33};
        int[] rowCounts = {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 17};
        int[] batches = {2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 19};
        for (int nb : blockCounts) {
            int cols = 32 * nb;
            for (int rows : rowCounts) {
                WeightTensor w = tensor(type, WeightTensorBitExactnessTest.randomWeights(type, rows, cols, r), rows, cols);
                int batch = batches[r.nextInt(batches.length)];
                float[] x = gaussian(r, batch * cols, -3, 4);
                check(w, x, batch, rows + "x" + cols + " batch " + batch);
                check(w, x, 1, rows + "x" + cols + " decode");
            }
        }
        for (int batch = 1; batch <= 19; batch++) {
            int rows = 11, cols = 32 * 17;
            WeightTensor w = tensor(type, WeightTensorBitExactnessTest.randomWeights(type, rows, cols, r), rows, cols);
            check(w, gaussian(r, batch * cols, 0, 1), batch, "batch " + batch);
        }
        // Enough rows for the threads to split them into several chunks; the 0.5B model's row length (896).
        int rows = 203, cols = 896;
        WeightTensor w = tensor(type, WeightTensorBitExactnessTest.randomWeights(type, rows, cols, r), rows, cols);
        float[] x = gaussian(r, 5 * cols, 0, 1);
        check(w, x, 1, "203 rows, decode");
        check(w, x, 5, "203 rows, batch 5");
    }

    /** f16 halves for d and m: subnormal, zero, signed zero, smallest normal, largest, one, infinities, NaN. */
    private static final short[] EDGE_HALVES = {
            0x0001, (short) 0x8001, 0x03ff, (short) 0x83ff, 0x0400, 0x0000, (short) 0x8000, 0x7bff, (short) 0xfbff, 0x3c00,
            0x1234, (short) 0xb400, 0x7c00, (short) 0xfc00, 0x7e00};
    private static final float[] EDGE_X = {
            Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL,
            Float.MAX_VALUE, -Float.MAX_VALUE, 0f, -0f, 3e38f, 1e-30f, 1f, -1f};

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q5_0", "Q5_1"})
    void nativeKernelsEqualTheReferenceOnEdgeCases(GgmlType type) {
        assumeTrue(NativeKernels.hasInPlaceKernels(type), NativeKernels.status());
        SplittableRandom r = new SplittableRandom(14 + type.id);
        int bb = type.blockBytes, qhAt = type == GgmlType.Q5_0 ? 2 : 4;
        for (int round = 0; round < 40; round++) {
            int rows = 1 + r.nextInt(12), nb = 1 + r.nextInt(40), cols = 32 * nb;
            MemorySegment seg = WeightTensorBitExactnessTest.randomWeights(type, rows, cols, r);
            for (long k = 0; k < (long) rows * nb; k++) {
                long o = bb * k;
                if (r.nextInt(3) == 0) seg.set(Q8_0Tensor.F16, o, EDGE_HALVES[r.nextInt(EDGE_HALVES.length)]);
                if (type == GgmlType.Q5_1 && r.nextInt(3) == 0) seg.set(Q8_0Tensor.F16, o + 2, EDGE_HALVES[r.nextInt(EDGE_HALVES.length)]);
                if (r.nextInt(4) == 0) { // fifth bits all set or all clear
                    byte v = r.nextBoolean() ? (byte) 0xff : 0;
                    for (int j = 0; j < 4; j++) seg.set(ValueLayout.JAVA_BYTE, o + qhAt + j, v);
                }
                if (r.nextInt(4) == 0) { // extreme nibbles in every position (with the fifth bits: codes 0, 15, 16, 31)
                    byte[] ext = {0x00, (byte) 0xff, 0x0f, (byte) 0xf0};
                    for (int j = qhAt + 4; j < bb; j++) seg.set(ValueLayout.JAVA_BYTE, o + j, ext[r.nextInt(ext.length)]);
                }
            }
            WeightTensor w = tensor(type, seg, rows, cols);
            int batch = 2 + r.nextInt(9);
            float[] x = new float[batch * cols];
            double special = round < 20 ? 0.02 : 0.3;
            for (int i = 0; i < x.length; i++) {
                x[i] = r.nextDouble() < special ? EDGE_X[r.nextInt(EDGE_X.length)] : (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-40, 39)));
            }
            check(w, x, batch, "edge round " + round + ": " + rows + "x" + cols + " batch " + batch);
            check(w, x, 1, "edge round " + round + " decode");
        }
    }

    /** {@code -Dledgermind.native=false} (or a width other than 512) keeps Q5_0 and Q5_1 in Java. */
    @Test
    void theConfigurationSaysWhetherTheNativeKernelRuns() {
        for (GgmlType type : new GgmlType[]{GgmlType.Q5_0, GgmlType.Q5_1}) {
            WeightTensor w = tensor(type, WeightTensorBitExactnessTest.randomWeights(type, 1, 64, new SplittableRandom(1)), 1, 64);
            assertFalse(nativeOn(w, JAVA), type.toString());
            assertFalse(nativeOn(w, KernelConfig.ofBits(256).withNative(true)), type.toString());
            assertEquals(NativeKernels.hasInPlaceKernels(type), nativeOn(w, NATIVE), type.toString());
            assertEquals(NativeKernels.loaded(), NativeKernels.hasInPlaceKernels(type), type + ": this build's library has the kernels");
        }
    }
}

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
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The native int8-q8 kernels of Q4_K, Q5_K and Q6_K ({@link Int8KQuantKernels}, {@code ledgermind_int8k.c}) give the
 * bits of the Java reference ({@link WeightTensor#dotInt8Reference}, itself checked against a plain implementation by
 * {@link Int8KQuantProductTest}): random super-blocks and the edge cases of that test (special d and dmin, scales and
 * mins at their extremes, extreme codes, non-finite, subnormal and huge activations), every remainder of the kernels'
 * groupings (rows not a multiple of the group of 4, super-blocks not a multiple of the float step's 4 or of the 16
 * partial sums, batches 1 to 19), called directly (split at an odd row, with an output offset and stride) and through
 * {@link WeightTensor#matMulInt8} with native kernels allowed and not, at 1, 2 and 4 threads.
 *
 * <p>Skipped, with the reason, where the library is not built, the CPU lacks AVX-512 VNNI or the library lacks the
 * symbols. NaN results are compared as the traces hash them ({@link Float#floatToIntBits}), every other bit exactly.
 */
class Int8KQuantNativeBitExactnessTest {
    @RegisterExtension
    static final ThreadPools POOLS = new ThreadPools(1, 2, 4);

    private static final KernelConfig NATIVE = KernelConfig.ofBits(512).withNative(true);
    private static final KernelConfig JAVA = KernelConfig.ofBits(512).withNative(false);

    private static void check(WeightTensor w, float[] x, int n, String what) {
        what = w.type() + " " + w.rows() + "x" + w.cols() + " " + what;
        int rows = w.rows(), cols = w.cols();
        Int8Input xq = new Int8Input().quantize(x, 0, cols, n, cols, Int8Input.Q8_256);
        float[] ref = new float[n * rows];
        for (int t = 0; t < n; t++) for (int r = 0; r < rows; r++) ref[t * rows + r] = w.dotInt8Reference(r, xq, t);
        int yOff = 3, yStride = rows + 2, split = Math.min(rows, 5);
        float[] y = new float[yOff + n * yStride];
        Int8KQuantKernels.matMul(w.type(), w.data(), w.rowBytes, cols / 256, 0, split, xq, y, yOff, yStride);
        Int8KQuantKernels.matMul(w.type(), w.data(), w.rowBytes, cols / 256, split, rows, xq, y, yOff, yStride);
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < rows; r++) {
                assertEquals(Float.floatToIntBits(ref[t * rows + r]), Float.floatToIntBits(y[yOff + t * yStride + r]),
                        what + ", native direct, row " + r + ", input " + t);
            }
        }
        for (KernelConfig cfg : new KernelConfig[]{NATIVE, JAVA}) {
            for (Parallel par : POOLS.pools()) {
                float[] z = new float[n * rows];
                w.matMulInt8(cfg, par, xq, z, 0, rows);
                for (int i = 0; i < ref.length; i++) {
                    assertEquals(Float.floatToIntBits(ref[i]), Float.floatToIntBits(z[i]),
                            what + ", " + cfg + ", " + par.threads() + " threads, row " + i % rows + ", input " + i / rows);
                }
            }
        }
    }

    private static WeightTensor random(GgmlType type, int rows, int cols, SplittableRandom r) {
        return Int8KQuantProductTest.tensor(type, WeightTensorBitExactnessTest.randomWeights(type, rows, cols, r), rows, cols);
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_K", "Q5_K", "Q6_K"})
    void nativeKernelsEqualTheReferenceOnRandomInputsAndEveryRemainder(GgmlType type) {
        assumeTrue(Int8KQuantKernels.available(type), "no native int8-q8 " + type + " kernel here: " + NativeKernels.status());
        SplittableRandom r = new SplittableRandom(type.id * 101L + 7);
        int[] superBlocks = {1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 21};
        int[] rowCounts = {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13};
        for (int nsb : superBlocks) {
            for (int rows : rowCounts) {
                WeightTensor w = random(type, rows, 256 * nsb, r);
                int n = 1 + r.nextInt(19);
                check(w, Int8KQuantProductTest.inputs(n, w.cols(), r, false), n, "batch " + n);
                check(w, Int8KQuantProductTest.inputs(1, w.cols(), r, false), 1, "decode");
            }
        }
        for (int n = 1; n <= 19; n++) {
            WeightTensor w = random(type, 7, 256 * 6, r);
            check(w, Int8KQuantProductTest.inputs(n, w.cols(), r, false), n, "batch " + n);
        }
        // Enough rows for the threads to split them into several chunks.
        WeightTensor w = random(type, 203, 256 * 8, r);
        check(w, Int8KQuantProductTest.inputs(1, w.cols(), r, false), 1, "decode");
        check(w, Int8KQuantProductTest.inputs(5, w.cols(), r, false), 5, "batch 5");
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_K", "Q5_K", "Q6_K"})
    void nativeKernelsEqualTheReferenceOnEdgeCases(GgmlType type) {
        assumeTrue(Int8KQuantKernels.available(type), "no native int8-q8 " + type + " kernel here: " + NativeKernels.status());
        SplittableRandom r = new SplittableRandom(type.id * 13L + 1);
        for (int round = 0; round < 40; round++) {
            int rows = 1 + r.nextInt(12), nsb = 1 + r.nextInt(20), cols = 256 * nsb, n = 1 + r.nextInt(19);
            WeightTensor w = Int8KQuantProductTest.tensor(type, Int8KQuantProductTest.edgeWeights(type, rows, cols, r), rows, cols);
            check(w, Int8KQuantProductTest.inputs(n, cols, r, true), n, "edge round " + round + ", batch " + n);
        }
    }

    /** The largest integer parts (every code, scale and min at its extreme, activations ±127): exact in int32. */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_K", "Q5_K", "Q6_K"})
    void theLargestIntegerPartsAreExact(GgmlType type) {
        assumeTrue(Int8KQuantKernels.available(type), "no native int8-q8 " + type + " kernel here: " + NativeKernels.status());
        int rows = 6, nsb = 5, cols = 256 * nsb;
        MemorySegment seg = WeightTensorBitExactnessTest.randomWeights(type, rows, cols, new SplittableRandom(5));
        for (long k = 0; k < (long) rows * nsb; k++) {
            long o = (long) type.blockBytes * k;
            boolean high = (k / nsb) % 2 == 0;
            if (type == GgmlType.Q6_K) {
                for (int j = 0; j < 192; j++) seg.set(java.lang.foreign.ValueLayout.JAVA_BYTE, o + j, high ? (byte) 0xff : 0);
                for (int j = 0; j < 16; j++) seg.set(java.lang.foreign.ValueLayout.JAVA_BYTE, o + 192 + j, (byte) (k % 3 == 0 ? 0x80 : 0x7f));
            } else {
                for (int j = 4; j < type.blockBytes; j++) seg.set(java.lang.foreign.ValueLayout.JAVA_BYTE, o + j, (byte) 0xff);
            }
        }
        float[] x = new float[3 * cols];
        for (int i = 0; i < cols; i++) {
            x[i] = 127f;
            x[cols + i] = -127f;
            x[2 * cols + i] = (i % 2 == 0) ? 127f : -127f;
        }
        check(Int8KQuantProductTest.tensor(type, seg, rows, cols), x, 3, "extremes");
    }

    /** {@code -Dledgermind.native=false} (or a width without native kernels) keeps the product on the Java reference. */
    @Test
    void theConfigurationSaysWhetherTheNativeKernelRuns() {
        assumeTrue(Int8KQuantKernels.available(GgmlType.Q4_K), NativeKernels.status());
        WeightTensor w = random(GgmlType.Q4_K, 4, 256, new SplittableRandom(1));
        Int8Input xq = new Int8Input().quantize(new float[256], 0, 256, 1, 256, Int8Input.Q8_256);
        float[] y = new float[4];
        w.matMulRowsInt8(NATIVE, 0, 4, xq, y, 0, 4);
        assertTrue(Int8KQuantKernels.used());
        assertFalse(KernelConfig.ofBits(256).withNative(true).nativeKernels());
        assertFalse(JAVA.nativeKernels());
    }
}

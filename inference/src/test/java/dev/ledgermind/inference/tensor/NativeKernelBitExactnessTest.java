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
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The native Q8_0 and Q4_0 kernels ({@link NativeKernels}: decode and the batched product) give the scalar reference's bits,
 * and the Java kernels' bits, on random inputs and on edge cases: NaN and infinite activations, products that
 * overflow, subnormal and signed-zero scales and activations, every remainder of the kernels' groupings (rows not a
 * multiple of 4, 2 or 8; blocks not a multiple of 16; batches that leave tiles of 4, 2 and 1 inputs; rows longer than
 * the kernel's stack scratch). The kernels are called directly (so the native code is what is checked) and through
 * {@link WeightTensor#matMul} at 512 bits with native kernels allowed and not, at 1, 2 and 4 threads.
 *
 * <p>Skipped, with the reason, where the library is not built or the CPU lacks AVX-512 (the Java kernels then run
 * everywhere). NaN results are compared as the traces hash them ({@link Float#floatToIntBits}: every NaN alike);
 * every other result bit for bit.
 */
class NativeKernelBitExactnessTest {
    @RegisterExtension
    static final ThreadPools POOLS = new ThreadPools(1, 2, 4);

    private static final KernelConfig NATIVE = KernelConfig.ofBits(512).withNative(true);
    private static final KernelConfig JAVA = KernelConfig.ofBits(512).withNative(false);

    private static BlockQ8Tensor tensor(GgmlType type, MemorySegment seg, int rows, int cols) {
        return type == GgmlType.Q8_0 ? new Q8_0Tensor("w", seg, rows, cols, true) : new Q4_0Tensor("w", seg, rows, cols, true);
    }

    private static void check(BlockQ8Tensor w, float[] x, int batch, String what) {
        what = w.type() + " " + what;
        int rows = w.rows(), cols = w.cols();
        assertTrue(w.isPacked(), what + ": the tensor has a packed copy (what the native kernels read)");
        float[] ref = new float[batch * rows];
        for (int t = 0; t < batch; t++) for (int r = 0; r < rows; r++) ref[t * rows + r] = w.dotReference(r, x, t * cols);
        // Directly: all rows in one call, and split at an odd row (the engine calls once per chunk of rows).
        int yOff = 3, split = Math.min(rows, 5);
        float[] y = new float[yOff + batch * rows];
        if (batch == 1) {
            NativeKernels.matVec(w.type(), w.codes, w.scales, w.blocks, rows, 0, split, x, 0, y, yOff);
            NativeKernels.matVec(w.type(), w.codes, w.scales, w.blocks, rows, split, rows, x, 0, y, yOff);
        } else {
            NativeKernels.matMul(w.type(), w.codes, w.scales, w.blocks, rows, 0, split, x, 0, cols, batch, y, yOff, rows);
            NativeKernels.matMul(w.type(), w.codes, w.scales, w.blocks, rows, split, rows, x, 0, cols, batch, y, yOff, rows);
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

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0"})
    void nativeKernelsEqualTheReferenceOnRandomInputsAndEveryRemainder(GgmlType type) {
        assumeTrue(NativeKernels.loaded(), NativeKernels.status());
        SplittableRandom r = new SplittableRandom(2026);
        int[] blockCounts = {1, 2, 3, 15, 16, 17, 33, 64};
        int[] rowCounts = {1, 2, 3, 4, 5, 7, 8, 9, 13, 17};
        int[] batches = {1, 2, 3, 5, 8, 9, 15, 16, 19};
        for (int nb : blockCounts) {
            int cols = 32 * nb;
            for (int rows : rowCounts) {
                BlockQ8Tensor w = tensor(type, WeightTensorBitExactnessTest.randomWeights(type, rows, cols, r), rows, cols);
                int batch = batches[r.nextInt(batches.length)];
                float[] x = new float[batch * cols];
                for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-3, 4)));
                check(w, x, batch, rows + "x" + cols + " batch " + batch);
                check(w, x, 1, rows + "x" + cols + " decode");
            }
        }
        for (int batch : batches) {
            int rows = 11, cols = 32 * 21;
            BlockQ8Tensor w = tensor(type, WeightTensorBitExactnessTest.randomWeights(type, rows, cols, r), rows, cols);
            float[] x = new float[batch * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            check(w, x, batch, "batch " + batch);
        }
        // Rows longer than the decode kernel's stack scratch for scales (4 x 512 blocks): the heap path.
        int rows = 6, cols = 32 * 529;
        BlockQ8Tensor w = tensor(type, WeightTensorBitExactnessTest.randomWeights(type, rows, cols, r), rows, cols);
        float[] x = new float[3 * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        check(w, x, 1, "529 blocks a row, decode");
        check(w, x, 3, "529 blocks a row, batch 3");
    }

    private static final short[] EDGE_SCALES = {
            0x0001, (short) 0x8001, 0x03ff, (short) 0x83ff, 0x0400, 0x0000, (short) 0x8000, 0x7bff, (short) 0xfbff, 0x3c00, 0x1234};
    private static final float[] EDGE_X = {
            Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL,
            Float.MAX_VALUE, -Float.MAX_VALUE, 0f, -0f, 3e38f, 1e-30f, 1f, -1f};

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0"})
    void nativeKernelsEqualTheReferenceOnEdgeCases(GgmlType type) {
        assumeTrue(NativeKernels.loaded(), NativeKernels.status());
        SplittableRandom r = new SplittableRandom(14);
        for (int round = 0; round < 40; round++) {
            int rows = 1 + r.nextInt(12), nb = 1 + r.nextInt(20), cols = 32 * nb;
            MemorySegment seg = WeightTensorBitExactnessTest.randomWeights(type, rows, cols, r);
            int bb = type.blockBytes, codeBytes = bb - 2;
            byte[] extremes = type == GgmlType.Q8_0 ? new byte[]{-128, 127} : new byte[]{0x00, (byte) 0xff, 0x0f, (byte) 0xf0};
            for (long k = 0; k < (long) rows * nb; k++) {
                if (r.nextInt(3) == 0) seg.set(Q8_0Tensor.F16, bb * k, EDGE_SCALES[r.nextInt(EDGE_SCALES.length)]);
                if (r.nextInt(4) == 0) { // extreme codes (Q8_0: -128, 127; Q4_0: -8, 7) in every position of the block
                    for (int j = 0; j < codeBytes; j++) {
                        seg.set(java.lang.foreign.ValueLayout.JAVA_BYTE, bb * k + 2 + j, extremes[r.nextInt(extremes.length)]);
                    }
                }
            }
            BlockQ8Tensor w = tensor(type, seg, rows, cols);
            int batch = 1 + r.nextInt(10);
            float[] x = new float[batch * cols];
            double special = round < 20 ? 0.02 : 0.3; // a few specials per row, then mostly specials
            for (int i = 0; i < x.length; i++) {
                x[i] = r.nextDouble() < special ? EDGE_X[r.nextInt(EDGE_X.length)] : (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-40, 39)));
            }
            check(w, x, batch, "edge round " + round + ": " + rows + "x" + cols + " batch " + batch);
            check(w, x, 1, "edge round " + round + " decode");
        }
    }

    /** Turning native kernels off by configuration really keeps the product in Java (and on by default at 512 bits). */
    @Test
    void theConfigurationSaysWhetherNativeKernelsMayRun() {
        assertTrue(!JAVA.nativeKernels());
        assertTrue(NATIVE.nativeKernels());
        assertTrue(!KernelConfig.ofBits(256).withNative(true).nativeKernels(), "only 512 bits has native kernels");
        assertEquals(!"false".equals(System.getProperty(KernelConfig.NATIVE_PROPERTY)), KernelConfig.ofBits(512).nativeKernels());
    }
}

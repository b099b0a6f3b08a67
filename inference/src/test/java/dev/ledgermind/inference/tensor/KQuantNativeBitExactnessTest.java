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
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The native K-quant kernels ({@link NativeKernels#inPlaceMatVec}, {@link NativeKernels#inPlaceMatMul}: Q4_K, decode
 * and the batched product) give the scalar reference's bits ({@link WeightTensor#dotReference}: the element values
 * from {@code chunk}, one fma a value, Dot.combine) and the Java 512-bit kernels' bits, on random super-blocks and on
 * edge cases: zero, signed-zero, subnormal, largest, infinite and NaN {@code d} and {@code dmin}; scales and mins of 0
 * and 63; codes 0 and 15; NaN, infinite, subnormal and signed-zero activations; every remainder of the kernels'
 * groupings (rows not a multiple of the decode step's 4 rows or 2, or of the batched product's group of 8; super-blocks
 * not a multiple of its chunk of 2; batches leaving tiles of 4, 2 and 1 inputs). The kernels are called directly (so
 * the native code is what is checked, split at an odd row) and through {@link WeightTensor#matMul} at 512 bits with
 * native kernels allowed and not, at 1, 2 and 4 threads.
 *
 * <p>Skipped, with the reason, where the library is not built or the CPU lacks AVX-512. NaN results are compared as the
 * traces hash them ({@link Float#floatToIntBits}: every NaN alike); every other result bit for bit.
 */
class KQuantNativeBitExactnessTest {
    @RegisterExtension
    static final ThreadPools POOLS = new ThreadPools(1, 2, 4);

    private static final KernelConfig NATIVE = KernelConfig.ofBits(512).withNative(true);
    private static final KernelConfig JAVA = KernelConfig.ofBits(512).withNative(false);

    private static ChunkedTensor tensor(GgmlType type, MemorySegment seg, int rows, int cols) {
        return type == GgmlType.Q4_K ? new Q4_KTensor("w", seg, rows, cols) : new Q5_KTensor("w", seg, rows, cols);
    }

    private static boolean nativeOn(ChunkedTensor w, KernelConfig cfg) {
        return w.nativeOn(cfg);
    }

    private static void check(ChunkedTensor w, float[] x, int batch, String what) {
        what = w.type() + " " + what;
        int rows = w.rows(), cols = w.cols(), sbs = cols / 256;
        assertTrue(nativeOn(w, NATIVE) && !nativeOn(w, JAVA), what + ": native on by configuration only");
        float[] ref = new float[batch * rows];
        for (int t = 0; t < batch; t++) for (int r = 0; r < rows; r++) ref[t * rows + r] = w.dotReference(r, x, t * cols);
        int yOff = 3, split = Math.min(rows, 5);
        float[] y = new float[yOff + batch * rows];
        if (batch == 1) {
            NativeKernels.inPlaceMatVec(w.type(), w.data(), w.rowBytes, sbs, 0, split, x, 0, y, yOff);
            NativeKernels.inPlaceMatVec(w.type(), w.data(), w.rowBytes, sbs, split, rows, x, 0, y, yOff);
        } else {
            NativeKernels.inPlaceMatMul(w.type(), w.data(), w.rowBytes, sbs, 0, split, x, 0, cols, batch, y, yOff, rows);
            NativeKernels.inPlaceMatMul(w.type(), w.data(), w.rowBytes, sbs, split, rows, x, 0, cols, batch, y, yOff, rows);
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
    @EnumSource(value = GgmlType.class, names = {"Q4_K", "Q5_K"})
    void nativeKernelsEqualTheReferenceOnRandomInputsAndEveryRemainder(GgmlType type) {
        assumeTrue(NativeKernels.hasInPlaceKernels(type), NativeKernels.status());
        SplittableRandom r = new SplittableRandom(2026);
        int[] superBlocks = {1, 2, 3, 5, 8};
        int[] rowCounts = {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 17};
        int[] batches = {2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 19};
        for (int nsb : superBlocks) {
            int cols = 256 * nsb;
            for (int rows : rowCounts) {
                ChunkedTensor w = tensor(type, WeightTensorBitExactnessTest.randomWeights(type, rows, cols, r), rows, cols);
                int batch = batches[r.nextInt(batches.length)];
                float[] x = new float[batch * cols];
                for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-3, 4)));
                check(w, x, batch, rows + "x" + cols + " batch " + batch);
                check(w, x, 1, rows + "x" + cols + " decode");
            }
        }
        for (int batch : batches) {
            int rows = 11, cols = 256 * 3;
            ChunkedTensor w = tensor(type, WeightTensorBitExactnessTest.randomWeights(type, rows, cols, r), rows, cols);
            float[] x = new float[batch * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            check(w, x, batch, "batch " + batch);
        }
        // Enough rows for the threads to split them into several chunks.
        int rows = 203, cols = 256 * 8;
        ChunkedTensor w = tensor(type, WeightTensorBitExactnessTest.randomWeights(type, rows, cols, r), rows, cols);
        float[] x = new float[5 * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        check(w, x, 1, "203 rows, decode");
        check(w, x, 5, "203 rows, batch 5");
    }

    /** f16 halves for d and dmin: subnormal, zero, signed zero, smallest normal, largest, one, infinities, NaN. */
    private static final short[] EDGE_HALVES = {
            0x0001, (short) 0x8001, 0x03ff, (short) 0x83ff, 0x0400, 0x0000, (short) 0x8000, 0x7bff, (short) 0xfbff, 0x3c00,
            0x1234, 0x7c00, (short) 0xfc00, 0x7e00};
    private static final float[] EDGE_X = {
            Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL,
            Float.MAX_VALUE, -Float.MAX_VALUE, 0f, -0f, 3e38f, 1e-30f, 1f, -1f};

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_K", "Q5_K"})
    void nativeKernelsEqualTheReferenceOnEdgeCases(GgmlType type) {
        assumeTrue(NativeKernels.hasInPlaceKernels(type), NativeKernels.status());
        SplittableRandom r = new SplittableRandom(14);
        int bb = type.blockBytes;
        for (int round = 0; round < 40; round++) {
            int rows = 1 + r.nextInt(12), nsb = 1 + r.nextInt(5), cols = 256 * nsb;
            MemorySegment seg = WeightTensorBitExactnessTest.randomWeights(type, rows, cols, r);
            for (long k = 0; k < (long) rows * nsb; k++) {
                long o = bb * k;
                if (r.nextInt(3) == 0) seg.set(Q8_0Tensor.F16, o, EDGE_HALVES[r.nextInt(EDGE_HALVES.length)]);
                if (r.nextInt(3) == 0) seg.set(Q8_0Tensor.F16, o + 2, EDGE_HALVES[r.nextInt(EDGE_HALVES.length)]);
                if (r.nextInt(4) == 0) { // scales and mins all 0 or all 63 (every packed bit set or clear)
                    byte v = r.nextBoolean() ? (byte) 0xff : 0;
                    for (int j = 0; j < 12; j++) seg.set(ValueLayout.JAVA_BYTE, o + 4 + j, v);
                }
                if (r.nextInt(4) == 0) { // extreme codes (Q4_K: 0, 15; Q5_K: 0, 31 too) in every position
                    byte[] ext = {0x00, (byte) 0xff, 0x0f, (byte) 0xf0};
                    for (int j = 16; j < bb; j++) seg.set(ValueLayout.JAVA_BYTE, o + j, ext[r.nextInt(ext.length)]);
                }
            }
            ChunkedTensor w = tensor(type, seg, rows, cols);
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

    /** {@code -Dledgermind.native=false} (or a width other than 512) keeps Q4_K (and Q5_K, alike) in Java. */
    @Test
    void theConfigurationSaysWhetherTheNativeKernelRuns() {
        Q4_KTensor w = new Q4_KTensor("w", WeightTensorBitExactnessTest.randomWeights(GgmlType.Q4_K, 1, 256, new SplittableRandom(1)), 1, 256);
        assertTrue(!w.nativeOn(JAVA));
        assertTrue(!w.nativeOn(KernelConfig.ofBits(256).withNative(true)));
        assertEquals(NativeKernels.loaded(), w.nativeOn(NATIVE));
    }
}

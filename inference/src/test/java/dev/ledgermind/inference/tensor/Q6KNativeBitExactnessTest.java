package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.kernel.ThreadPools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The native Q6_K kernels (the decode step {@link NativeKernels#inPlaceMatVec} and the batched product
 * {@link NativeKernels#inPlaceMatMul}) give the scalar reference's bits
 * ({@link WeightTensor#dotReference}: the element values from {@code chunk}, one fma a value, Dot.combine) and the
 * Java 512-bit kernels' bits ({@code Q6_KTensor.pair512}; decoded rows and {@code Dot.dot4}), on random super-blocks and on edge cases: zero, signed-zero,
 * subnormal, largest, infinite and NaN {@code d}; every int8 sub-block scale (-128 .. 127, each one somewhere); codes
 * 0 and 63 in every position; NaN, infinite, subnormal and signed-zero activations; every remainder of the kernel's
 * groupings (rows not a multiple of the decode step's 4 rows or 2, or of the batched product's group of 8;
 * super-blocks not a multiple of its chunk of 2; batches leaving tiles of 4, 2 and 1 inputs). The kernels are called
 * directly (split at an odd row, at an output offset) and through {@link WeightTensor#matMul} at 512 bits with native kernels allowed and not, at 1, 2 and
 * 4 threads.
 *
 * <p>Skipped, with the reason, where the library is not built or the CPU lacks AVX-512. NaN results are compared as the
 * traces hash them ({@link Float#floatToIntBits}: every NaN alike); every other result bit for bit.
 */
class Q6KNativeBitExactnessTest {
    @RegisterExtension
    static final ThreadPools POOLS = new ThreadPools(1, 2, 4);

    private static final KernelConfig NATIVE = KernelConfig.ofBits(512).withNative(true);
    private static final KernelConfig JAVA = KernelConfig.ofBits(512).withNative(false);
    private static final int BB = GgmlType.Q6_K.blockBytes;

    private static void check(Q6_KTensor w, float[] x, int batch, String what) {
        int rows = w.rows(), cols = w.cols(), sbs = cols / 256;
        assertTrue(w.nativeOn(NATIVE) && !w.nativeOn(JAVA), what + ": native on by configuration only");
        float[] ref = new float[batch * rows];
        for (int t = 0; t < batch; t++) for (int r = 0; r < rows; r++) ref[t * rows + r] = w.dotReference(r, x, t * cols);
        int yOff = 3, split = Math.min(rows, 5);
        float[] y = new float[yOff + batch * rows];
        if (batch == 1) {
            NativeKernels.inPlaceMatVec(GgmlType.Q6_K, w.data(), w.rowBytes, sbs, 0, split, x, 0, y, yOff);
            NativeKernels.inPlaceMatVec(GgmlType.Q6_K, w.data(), w.rowBytes, sbs, split, rows, x, 0, y, yOff);
        } else {
            NativeKernels.inPlaceMatMul(GgmlType.Q6_K, w.data(), w.rowBytes, sbs, 0, split, x, 0, cols, batch, y, yOff, rows);
            NativeKernels.inPlaceMatMul(GgmlType.Q6_K, w.data(), w.rowBytes, sbs, split, rows, x, 0, cols, batch, y, yOff, rows);
        }
        for (int i = 0; i < ref.length; i++) {
            assertEquals(Float.floatToIntBits(ref[i]), Float.floatToIntBits(y[yOff + i]), what + ", native direct, output " + i);
        }
        for (KernelConfig cfg : new KernelConfig[]{NATIVE, JAVA}) {
            for (Parallel par : POOLS.pools()) {
                float[] z = new float[2 + batch * rows];
                w.matMul(cfg, par, x, 0, cols, batch, z, 2, rows);
                for (int i = 0; i < ref.length; i++) {
                    assertEquals(Float.floatToIntBits(ref[i]), Float.floatToIntBits(z[2 + i]),
                            what + ", " + cfg + ", " + par.threads() + " threads, output " + i);
                }
            }
        }
    }

    private static final int[] BATCHES = {2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 19};

    @Test
    void nativeKernelsEqualTheReferenceOnRandomInputsAndEveryRemainder() {
        assumeTrue(NativeKernels.hasInPlaceKernels(GgmlType.Q6_K), NativeKernels.status());
        SplittableRandom r = new SplittableRandom(2026);
        for (int nsb : new int[]{1, 2, 3, 5, 8}) {
            int cols = 256 * nsb;
            for (int rows : new int[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 17}) {
                Q6_KTensor w = new Q6_KTensor("w", WeightTensorBitExactnessTest.randomWeights(GgmlType.Q6_K, rows, cols, r), rows, cols);
                int batch = BATCHES[r.nextInt(BATCHES.length)];
                float[] x = new float[batch * cols];
                for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-3, 4)));
                check(w, x, 1, rows + "x" + cols + " decode");
                check(w, x, batch, rows + "x" + cols + " batch " + batch);
            }
        }
        // Enough rows for the threads to split them into several chunks.
        int rows = 203, cols = 256 * 8;
        Q6_KTensor w = new Q6_KTensor("w", WeightTensorBitExactnessTest.randomWeights(GgmlType.Q6_K, rows, cols, r), rows, cols);
        float[] x = new float[5 * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        check(w, x, 1, "203 rows, decode");
        check(w, x, 5, "203 rows, batch 5");
        for (int batch : BATCHES) { // every tile remainder, 11 rows (groups of 8 and 4, then 2 and 1), 3 super-blocks (chunks of 2)
            Q6_KTensor v = new Q6_KTensor("w", WeightTensorBitExactnessTest.randomWeights(GgmlType.Q6_K, 11, 768, r), 11, 768);
            float[] xb = new float[batch * 768];
            for (int i = 0; i < xb.length; i++) xb[i] = (float) r.nextGaussian();
            check(v, xb, batch, "11x768 batch " + batch);
        }
    }

    /** f16 halves for d: subnormal, zero, signed zero, smallest normal, largest, one, infinities, NaN. */
    private static final short[] EDGE_HALVES = {
            0x0001, (short) 0x8001, 0x03ff, (short) 0x83ff, 0x0400, 0x0000, (short) 0x8000, 0x7bff, (short) 0xfbff, 0x3c00,
            0x1234, 0x7c00, (short) 0xfc00, 0x7e00};
    private static final float[] EDGE_X = {
            Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL,
            Float.MAX_VALUE, -Float.MAX_VALUE, 0f, -0f, 3e38f, 1e-30f, 1f, -1f};

    @Test
    void nativeKernelsEqualTheReferenceOnEdgeCases() {
        assumeTrue(NativeKernels.hasInPlaceKernels(GgmlType.Q6_K), NativeKernels.status());
        SplittableRandom r = new SplittableRandom(14);
        int nextScale = -128; // walks through every int8 scale
        for (int round = 0; round < 60; round++) {
            int rows = 1 + r.nextInt(12), nsb = 1 + r.nextInt(5), cols = 256 * nsb;
            MemorySegment seg = WeightTensorBitExactnessTest.randomWeights(GgmlType.Q6_K, rows, cols, r);
            for (long k = 0; k < (long) rows * nsb; k++) {
                long o = (long) BB * k;
                if (r.nextInt(3) == 0) seg.set(Q8_0Tensor.F16, o + 208, EDGE_HALVES[r.nextInt(EDGE_HALVES.length)]);
                else if (r.nextInt(4) == 0) seg.set(Q8_0Tensor.F16, o + 208, (short) r.nextInt(0x10000)); // any half
                if (r.nextInt(2) == 0) {
                    for (int j = 0; j < 16; j++) {
                        seg.set(ValueLayout.JAVA_BYTE, o + 192 + j, (byte) nextScale);
                        nextScale = nextScale == 127 ? -128 : nextScale + 1;
                    }
                }
                if (r.nextInt(4) == 0) { // extreme codes (0 and 63: every bit of ql and qh clear or set) in every position
                    byte[] ext = {0x00, (byte) 0xff, 0x0f, (byte) 0xf0, 0x55, (byte) 0xaa};
                    for (int j = 0; j < 192; j++) seg.set(ValueLayout.JAVA_BYTE, o + j, ext[r.nextInt(ext.length)]);
                }
            }
            Q6_KTensor w = new Q6_KTensor("w", seg, rows, cols);
            int batch = 2 + r.nextInt(9);
            float[] x = new float[batch * cols];
            double special = round < 30 ? 0.02 : 0.3;
            for (int i = 0; i < x.length; i++) {
                x[i] = r.nextDouble() < special ? EDGE_X[r.nextInt(EDGE_X.length)] : (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-40, 39)));
            }
            check(w, x, 1, "edge round " + round + ": " + rows + "x" + cols + " decode");
            check(w, x, batch, "edge round " + round + ": " + rows + "x" + cols + " batch " + batch);
        }
    }

    /**
     * Signed zeros through the element values: codes 32 (value (d * sc) * +0, a -0 where d * sc is negative) beside
     * codes 31 and 33 with subnormal d, and activations whose products underflow to -0, so partial sums sit at -0 when
     * a zero value arrives (a kernel that made +0 of (d * sc) * (q - 32), or of any grouping, would show here).
     */
    @Test
    void nativeKernelsKeepTheSignOfZeroElementValues() {
        assumeTrue(NativeKernels.hasInPlaceKernels(GgmlType.Q6_K), NativeKernels.status());
        SplittableRandom r = new SplittableRandom(32);
        for (int round = 0; round < 20; round++) {
            int rows = 1 + r.nextInt(9), nsb = 1 + r.nextInt(3), cols = 256 * nsb;
            MemorySegment seg = WeightTensorBitExactnessTest.randomWeights(GgmlType.Q6_K, rows, cols, r);
            boolean exact = round % 2 == 0; // all codes 32 but run 0's (33); x all one tiny value: each lane's sum is a zero
            for (long k = 0; k < (long) rows * nsb; k++) {
                long o = (long) BB * k;
                if (exact) {
                    for (int j = 0; j < 128; j++) seg.set(ValueLayout.JAVA_BYTE, o + j, (byte) (j < 16 ? 0x01 : 0x00));
                    for (int j = 0; j < 64; j++) seg.set(ValueLayout.JAVA_BYTE, o + 128 + j, (byte) 0xaa);
                    for (int j = 0; j < 16; j++) seg.set(ValueLayout.JAVA_BYTE, o + 192 + j, (byte) ((r.nextBoolean() ? 1 : -1) * (1 + r.nextInt(3))));
                    seg.set(Q8_0Tensor.F16, o + 208, r.nextBoolean() ? (short) 0x0001 : (short) 0x8001);
                    continue;
                }
                // ql low/high nibbles 0 (or 1 or 15) and qh fields 2 (or 1): codes 32, 33 and 31 mostly
                for (int j = 0; j < 128; j++) {
                    int lo = r.nextInt(4) == 0 ? (r.nextBoolean() ? 1 : 15) : 0, hi = r.nextInt(4) == 0 ? (r.nextBoolean() ? 1 : 15) : 0;
                    seg.set(ValueLayout.JAVA_BYTE, o + j, (byte) (lo | hi << 4));
                }
                for (int j = 0; j < 64; j++) seg.set(ValueLayout.JAVA_BYTE, o + 128 + j, (byte) (r.nextInt(3) == 0 ? 0x55 : 0xaa));
                for (int j = 0; j < 16; j++) seg.set(ValueLayout.JAVA_BYTE, o + 192 + j, (byte) (r.nextInt(4) == 0 ? r.nextInt(-128, 128) : -1 - r.nextInt(3)));
                short[] halves = {0x0001, (short) 0x8001, 0x0000, (short) 0x8000, 0x3c00, (short) 0xbc00};
                seg.set(Q8_0Tensor.F16, o + 208, halves[r.nextInt(halves.length)]);
            }
            Q6_KTensor w = new Q6_KTensor("w", seg, rows, cols);
            int batch = 2 + r.nextInt(5);
            float[] x = new float[batch * cols];
            float[] tiny = {Float.MIN_VALUE, -Float.MIN_VALUE, 0f, -0f, 2 * Float.MIN_VALUE, -3 * Float.MIN_VALUE};
            float one = r.nextBoolean() ? Float.MIN_VALUE : -Float.MIN_VALUE;
            for (int i = 0; i < x.length; i++) {
                x[i] = exact ? one : r.nextInt(50) == 0 ? (float) r.nextGaussian() : tiny[r.nextInt(tiny.length)];
            }
            check(w, x, 1, "zero-sign round " + round + ": " + rows + "x" + cols + " decode");
            check(w, x, batch, "zero-sign round " + round + ": " + rows + "x" + cols + " batch " + batch);
        }
    }

    /** {@code -Dledgermind.native=false} (or a width other than 512) keeps Q6_K in Java. */
    @Test
    void theConfigurationSaysWhetherTheNativeKernelRuns() {
        Q6_KTensor w = new Q6_KTensor("w", WeightTensorBitExactnessTest.randomWeights(GgmlType.Q6_K, 1, 256, new SplittableRandom(1)), 1, 256);
        assertTrue(!w.nativeOn(JAVA));
        assertTrue(!w.nativeOn(KernelConfig.ofBits(256).withNative(true)));
        assertEquals(NativeKernels.hasInPlaceKernels(GgmlType.Q6_K), w.nativeOn(NATIVE));
    }
}

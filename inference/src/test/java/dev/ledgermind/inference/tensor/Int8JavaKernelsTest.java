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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java vector int8-q8 kernels of Q4_K, Q5_K and Q6_K ({@link Int8JavaKernels}) give the bits of the Java reference
 * ({@link WeightTensor#dotInt8Reference}, itself checked against a plain implementation by {@link Int8KQuantProductTest})
 * at 256 and 512 bits, native kernels off (and 128 bits, which keeps the reference): random super-blocks, the edge
 * cases of {@link Int8KQuantProductTest} (special d and dmin, scales, mins and codes at their extremes, non-finite,
 * subnormal and huge activation blocks: NaN or infinite scales with zero codes), every remainder of the kernels'
 * groupings (rows not a multiple of the 4 side by side, super-blocks not a multiple of the 16 partial sums, batches
 * 1 to 19), called directly (split at an odd row, with an output offset and stride) and through
 * {@link WeightTensor#matMulInt8} at 1, 2 and 4 threads. NaN results compared as the traces hash them
 * ({@link Float#floatToIntBits}), every other bit exactly.
 */
class Int8JavaKernelsTest {
    @RegisterExtension
    static final ThreadPools POOLS = new ThreadPools(1, 2, 4);

    private static final KernelConfig[] WIDTHS = {
            KernelConfig.ofBits(128), KernelConfig.ofBits(256), KernelConfig.ofBits(512).withNative(false)};

    private static void check(WeightTensor w, float[] x, int n, String what) {
        what = w.type() + " " + w.rows() + "x" + w.cols() + " " + what;
        int rows = w.rows(), cols = w.cols();
        Int8Input xq = new Int8Input().quantize(x, 0, cols, n, cols, Int8Input.Q8_256);
        float[] ref = new float[n * rows];
        for (int t = 0; t < n; t++) for (int r = 0; r < rows; r++) ref[t * rows + r] = w.dotInt8Reference(r, xq, t);
        for (KernelConfig cfg : WIDTHS) {
            if (Int8JavaKernels.handles(cfg)) { // the kernel itself, rows split at an odd row, offset and stride
                int yOff = 3, yStride = rows + 2, split = Math.min(rows, 5);
                float[] y = new float[yOff + n * yStride];
                Int8JavaKernels.matMul((ChunkedTensor) w, cfg, 0, split, xq, y, yOff, yStride);
                Int8JavaKernels.matMul((ChunkedTensor) w, cfg, split, rows, xq, y, yOff, yStride);
                for (int t = 0; t < n; t++) {
                    for (int r = 0; r < rows; r++) {
                        assertEquals(Float.floatToIntBits(ref[t * rows + r]), Float.floatToIntBits(y[yOff + t * yStride + r]),
                                what + ", " + cfg + " direct, row " + r + ", input " + t);
                    }
                }
            }
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
    void theKernelsEqualTheReferenceOnRandomInputsAndEveryRemainder(GgmlType type) {
        SplittableRandom r = new SplittableRandom(type.id * 211L + 3);
        int[] superBlocks = {1, 2, 3, 5, 15, 16, 17};
        int[] rowCounts = {1, 2, 3, 4, 5, 7, 8, 9, 13};
        for (int nsb : superBlocks) {
            for (int rows : rowCounts) {
                WeightTensor w = random(type, rows, 256 * nsb, r);
                int n = 2 + r.nextInt(18);
                check(w, Int8KQuantProductTest.inputs(n, w.cols(), r, false), n, "batch " + n);
                check(w, Int8KQuantProductTest.inputs(1, w.cols(), r, false), 1, "decode");
            }
        }
        for (int n = 1; n <= 19; n++) {
            WeightTensor w = random(type, 6, 256 * 3, r);
            check(w, Int8KQuantProductTest.inputs(n, w.cols(), r, false), n, "batch " + n);
        }
        // Enough rows for the threads to split them into several chunks.
        WeightTensor w = random(type, 203, 256 * 4, r);
        check(w, Int8KQuantProductTest.inputs(1, w.cols(), r, false), 1, "decode");
        check(w, Int8KQuantProductTest.inputs(5, w.cols(), r, false), 5, "batch 5");
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_K", "Q5_K", "Q6_K"})
    void theKernelsEqualTheReferenceOnEdgeCases(GgmlType type) {
        SplittableRandom r = new SplittableRandom(type.id * 19L + 11);
        for (int round = 0; round < 40; round++) {
            int rows = 1 + r.nextInt(10), nsb = 1 + r.nextInt(18), cols = 256 * nsb, n = 1 + r.nextInt(12);
            WeightTensor w = Int8KQuantProductTest.tensor(type, Int8KQuantProductTest.edgeWeights(type, rows, cols, r), rows, cols);
            check(w, Int8KQuantProductTest.inputs(n, cols, r, true), n, "edge round " + round + ", batch " + n);
            check(w, Int8KQuantProductTest.inputs(1, cols, r, true), 1, "edge round " + round + ", decode");
        }
    }

    /** The largest integer parts (every code, scale and min at its extreme, activations ±127): exact in int32 lanes. */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_K", "Q5_K", "Q6_K"})
    void theLargestIntegerPartsAreExact(GgmlType type) {
        int rows = 6, nsb = 5, cols = 256 * nsb;
        MemorySegment seg = WeightTensorBitExactnessTest.randomWeights(type, rows, cols, new SplittableRandom(5));
        for (long k = 0; k < (long) rows * nsb; k++) {
            long o = (long) type.blockBytes * k;
            boolean high = (k / nsb) % 2 == 0;
            if (type == GgmlType.Q6_K) {
                for (int j = 0; j < 192; j++) seg.set(ValueLayout.JAVA_BYTE, o + j, high ? (byte) 0xff : 0);
                for (int j = 0; j < 16; j++) seg.set(ValueLayout.JAVA_BYTE, o + 192 + j, (byte) (k % 3 == 0 ? 0x80 : 0x7f));
            } else {
                for (int j = 4; j < type.blockBytes; j++) seg.set(ValueLayout.JAVA_BYTE, o + j, (byte) 0xff);
            }
        }
        float[] x = new float[3 * cols];
        for (int i = 0; i < cols; i++) {
            x[i] = 127f;
            x[cols + i] = -127f;
            x[2 * cols + i] = (i % 2 == 0) ? 127f : -127f;
        }
        WeightTensor w = Int8KQuantProductTest.tensor(type, seg, rows, cols);
        check(w, x, 3, "extremes");
        check(w, java.util.Arrays.copyOf(x, cols), 1, "extremes, decode");
        check(w, java.util.Arrays.copyOfRange(x, cols, 2 * cols), 1, "extremes, decode of -127");
    }

    /** A non-finite activation block (NaN or infinite scale, zero codes) makes the row's result NaN in the kernels too. */
    @Test
    void aNonFiniteBlockGivesNaN() {
        int cols = 768;
        float[] x = Int8KQuantProductTest.inputs(1, cols, new SplittableRandom(8), false);
        x[600] = Float.NaN;
        Int8Input xq = new Int8Input().quantize(x, 0, cols, 1, cols, Int8Input.Q8_256);
        assertTrue(Float.isNaN(xq.scales256()[2]));
        for (GgmlType type : new GgmlType[]{GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K}) {
            WeightTensor w = random(type, 5, cols, new SplittableRandom(2));
            for (KernelConfig cfg : WIDTHS) {
                if (!Int8JavaKernels.handles(cfg)) continue;
                float[] y = new float[5];
                Int8JavaKernels.matMul((ChunkedTensor) w, cfg, 0, 5, xq, y, 0, 5);
                for (float v : y) assertTrue(Float.isNaN(v), type + " " + cfg);
            }
        }
    }

    /** Which widths run the vector kernels, and a clear error for another. */
    @Test
    void theWidthsThatHaveKernels() {
        assertTrue(Int8JavaKernels.handles(KernelConfig.ofBits(256)));
        assertTrue(Int8JavaKernels.handles(KernelConfig.ofBits(512).withNative(false)));
        assertFalse(Int8JavaKernels.handles(KernelConfig.ofBits(128)));
        assertFalse(Int8JavaKernels.handles(KernelConfig.scalar()));
        WeightTensor w = random(GgmlType.Q4_K, 2, 256, new SplittableRandom(1));
        Int8Input xq = new Int8Input().quantize(new float[256], 0, 256, 1, 256, Int8Input.Q8_256);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Int8JavaKernels.matMul((ChunkedTensor) w, KernelConfig.scalar(), 0, 2, xq, new float[2], 0, 2));
        assertTrue(e.getMessage().contains("scalar"), e.getMessage());
    }

    // ---- the block-32 types (Q8_0, Q4_0, Q5_0): Int8JavaKernels.matMul32

    /** The tensor under both profiles: BINARY32 holds the binary32 kernels' packed copy (Q8_0, Q4_0), INT8_Q8 the int8 one or the mapping. */
    private static BlockQ8Tensor[] tensors32(GgmlType type, MemorySegment seg, int rows, int cols) {
        BlockQ8Tensor[] ws = new BlockQ8Tensor[2];
        ComputeProfile[] ps = {ComputeProfile.BINARY32, ComputeProfile.INT8_Q8};
        for (int i = 0; i < 2; i++) {
            ComputeProfile p = ps[i];
            ws[i] = switch (type) {
                case Q8_0 -> new Q8_0Tensor("w", seg, rows, cols, p);
                case Q4_0 -> new Q4_0Tensor("w", seg, rows, cols, p);
                case Q5_0 -> new Q5_0Tensor("w", seg, rows, cols, p);
                default -> throw new IllegalArgumentException(type.toString());
            };
        }
        return ws;
    }

    private static void check32(GgmlType type, MemorySegment seg, int rows, int cols, float[] x, int n, String what) {
        Int8Input xq = new Int8Input().quantize(x, 0, cols, n, cols, Int8Input.Q8_32);
        float[] ref = null;
        for (BlockQ8Tensor w : tensors32(type, seg, rows, cols)) {
            String wh = type + " " + rows + "x" + cols + " " + what + (w.isPacked() ? " (packed)" : "");
            if (ref == null) {
                ref = new float[n * rows];
                for (int t = 0; t < n; t++) for (int r = 0; r < rows; r++) ref[t * rows + r] = w.dotInt8Reference(r, xq, t);
            }
            for (KernelConfig cfg : WIDTHS) {
                if (Int8JavaKernels.handles(cfg)) {
                    int yOff = 3, yStride = rows + 2, split = Math.min(rows, 5);
                    float[] y = new float[yOff + n * yStride];
                    Int8JavaKernels.matMul32(w, cfg, 0, split, xq, y, yOff, yStride);
                    Int8JavaKernels.matMul32(w, cfg, split, rows, xq, y, yOff, yStride);
                    for (int t = 0; t < n; t++) {
                        for (int r = 0; r < rows; r++) {
                            assertEquals(Float.floatToIntBits(ref[t * rows + r]), Float.floatToIntBits(y[yOff + t * yStride + r]),
                                    wh + ", " + cfg + " direct, row " + r + ", input " + t);
                        }
                    }
                }
                for (Parallel par : POOLS.pools()) {
                    float[] z = new float[n * rows];
                    w.matMulInt8(cfg, par, xq, z, 0, rows);
                    for (int i = 0; i < ref.length; i++) {
                        assertEquals(Float.floatToIntBits(ref[i]), Float.floatToIntBits(z[i]),
                                wh + ", " + cfg + ", " + par.threads() + " threads, row " + i % rows + ", input " + i / rows);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q5_0"})
    void theBlock32KernelsEqualTheReferenceOnEveryRemainder(GgmlType type) {
        SplittableRandom r = new SplittableRandom(type.id * 7L + 5);
        for (int nb : new int[]{1, 2, 15, 16, 17, 31, 32, 33, 70}) {
            int cols = 32 * nb;
            for (int rows : new int[]{1, 3, 4, 5, 8, 9, 17}) {
                int n = 2 + r.nextInt(18);
                check32(type, Int8ProductTest.weights(type, rows, cols, r, false), rows, cols, Int8ProductTest.inputs(n * cols, r, 0), n,
                        "batch " + n);
                check32(type, Int8ProductTest.weights(type, rows, cols, r, false), rows, cols, Int8ProductTest.inputs(cols, r, 0), 1,
                        "decode");
            }
        }
        if (type != GgmlType.Q5_0) { // the binary32 copy is what the kernels read here (Q5_0 has none)
            assertTrue(tensors32(type, Int8ProductTest.weights(type, 4, 64, r, false), 4, 64)[0].isPacked(), type + " packed");
        }
        int rows = 203, cols = 32 * 40; // enough rows for the threads to split them into several chunks
        check32(type, Int8ProductTest.weights(type, rows, cols, r, false), rows, cols, Int8ProductTest.inputs(cols, r, 0), 1, "decode");
        check32(type, Int8ProductTest.weights(type, rows, cols, r, false), rows, cols, Int8ProductTest.inputs(5 * cols, r, 0), 5, "batch 5");
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q5_0"})
    void theBlock32KernelsEqualTheReferenceOnEdgeValues(GgmlType type) {
        SplittableRandom r = new SplittableRandom(type.id * 29L + 1);
        for (int round = 0; round < 40; round++) {
            int rows = 1 + r.nextInt(20), nb = 1 + r.nextInt(40), cols = 32 * nb, n = 1 + r.nextInt(12);
            // edge scales (infinite and NaN among them: the packed copy is then abandoned and the mapping read)
            MemorySegment seg = Int8ProductTest.weights(type, rows, cols, r, round % 2 == 0);
            check32(type, seg, rows, cols, Int8ProductTest.inputs(n * cols, r, round < 20 ? 0.01 : 0.2), n, "edge round " + round);
            check32(type, seg, rows, cols, Int8ProductTest.inputs(cols, r, 0.05), 1, "edge round " + round + ", decode");
        }
        // Extreme codes everywhere against extreme input codes (the largest integer sums, both signs).
        int rows = 9, cols = 32 * 18;
        MemorySegment seg = Int8ProductTest.weights(type, rows, cols, r, false);
        byte ext = type == GgmlType.Q8_0 ? (byte) -128 : 0x00;
        for (long k = 0; k < (long) rows * cols / 32; k++) {
            for (int j = 2; j < type.blockBytes; j++) seg.set(ValueLayout.JAVA_BYTE, type.blockBytes * k + j, ext);
        }
        float[] x = new float[3 * cols];
        for (int i = 0; i < x.length; i++) x[i] = i < cols ? 1f : i < 2 * cols ? -1f : (i % 2 == 0 ? 1f : -1f);
        check32(type, seg, rows, cols, x, 3, "extreme codes");
        check32(type, seg, rows, cols, java.util.Arrays.copyOfRange(x, cols, 2 * cols), 1, "extreme codes, decode");
    }
}

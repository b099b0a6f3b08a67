package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.kernel.ThreadPools;
import dev.ledgermind.inference.llama.IndependentDequant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * For every weight type: the vector paths (128, 256, 512 bits) and the row-parallel, batched product
 * (1, 2, 4 threads; batch 1 and 7) equal the scalar reference bit for bit; the reference agrees with an
 * independently written dequantization and double-precision dot product; dequantizeRow matches too.
 */
class WeightTensorBitExactnessTest {
    @RegisterExtension
    static final ThreadPools POOLS = new ThreadPools(1, 2, 4);

    /** Random bytes, with each block's f16 scales replaced by sane finite values. */
    static MemorySegment randomWeights(GgmlType type, int rows, int cols, SplittableRandom r) {
        long bytes = type.bytesFor((long) rows * cols);
        byte[] b = new byte[(int) bytes];
        r.nextBytes(b);
        int blocks = (int) (bytes / type.blockBytes);
        for (int k = 0; k < blocks; k++) {
            int o = k * type.blockBytes;
            switch (type) {
                case Q8_0, Q4_0, Q5_0 -> putF16(b, o, (float) (r.nextDouble() * 0.02 + 0.001));
                case Q4_1, Q5_1 -> { putF16(b, o, (float) (r.nextDouble() * 0.02 + 0.001)); putF16(b, o + 2, (float) (r.nextGaussian() * 0.1)); }
                case Q5_K -> { putF16(b, o, (float) (r.nextDouble() * 0.01)); putF16(b, o + 2, (float) (r.nextDouble() * 0.01)); }
                case Q4_K -> { putF16(b, o, (float) (r.nextDouble() * 0.01)); putF16(b, o + 2, (float) (r.nextDouble() * 0.01)); }
                case Q6_K -> putF16(b, o + 208, (float) (r.nextDouble() * 0.001));
                case F16 -> putF16(b, o, (float) r.nextGaussian());
                case BF16 -> { int bits = Float.floatToRawIntBits((float) r.nextGaussian()) >>> 16; b[o] = (byte) bits; b[o + 1] = (byte) (bits >> 8); }
                case F32 -> { int bits = Float.floatToRawIntBits((float) r.nextGaussian()); for (int i = 0; i < 4; i++) b[o + i] = (byte) (bits >>> (8 * i)); }
                default -> throw new IllegalArgumentException(type.toString());
            }
        }
        MemorySegment seg = Arena.ofAuto().allocate(bytes, 16);
        MemorySegment.copy(b, 0, seg, ValueLayout.JAVA_BYTE, 0, b.length);
        return seg;
    }

    private static void putF16(byte[] b, int o, float v) {
        short h = Float.floatToFloat16(v);
        b[o] = (byte) h;
        b[o + 1] = (byte) (h >> 8);
    }

    private static WeightTensor tensor(GgmlType type, MemorySegment seg, int rows, int cols) {
        return switch (type) {
            case F32 -> new F32Tensor("w", seg, rows, cols);
            case F16 -> new F16Tensor("w", seg, rows, cols);
            case BF16 -> new BF16Tensor("w", seg, rows, cols);
            case Q8_0 -> new Q8_0Tensor("w", seg, rows, cols);
            case Q4_0 -> new Q4_0Tensor("w", seg, rows, cols);
            case Q5_0 -> new Q5_0Tensor("w", seg, rows, cols);
            case Q4_1 -> new Q4_1Tensor("w", seg, rows, cols);
            case Q5_1 -> new Q5_1Tensor("w", seg, rows, cols);
            case Q4_K -> new Q4_KTensor("w", seg, rows, cols);
            case Q5_K -> new Q5_KTensor("w", seg, rows, cols);
            case Q6_K -> new Q6_KTensor("w", seg, rows, cols);
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    /**
     * The batched Q8_0 / Q4_0 / Q5_0 kernels unpack rows in chunks of rows and of columns and keep partial sums in
     * scratch between column chunks: shapes with several column chunks, a partial last chunk, a partial row
     * chunk and odd batches must still give the reference's bits.
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q5_0"})
    void batchedBlockKernelsSplitIntoChunksEqualTheScalarReference(GgmlType type) {
        SplittableRandom r = new SplittableRandom(type.id * 17L + 3);
        int cols = 32 * (2 * BlockQ8Batch.BLOCK_CHUNK + 3);
        int rows = 2 * BlockQ8Batch.ROW_CHUNK + 5;
        for (int batch : new int[]{2, 3, 4, 5, 33}) {
            WeightTensor w = tensor(type, randomWeights(type, rows, cols, r), rows, cols);
            float[] x = new float[batch * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-2, 3)));
            float[] ref = new float[batch * rows];
            for (int t = 0; t < batch; t++) for (int row = 0; row < rows; row++) ref[t * rows + row] = w.dotReference(row, x, t * cols);
            for (int bits : new int[]{256, 512}) {
                for (Parallel par : POOLS.pools()) {
                    float[] y = new float[batch * rows];
                    w.matMul(KernelConfig.ofBits(bits), par, x, 0, cols, batch, y, 0, rows);
                    for (int i = 0; i < y.length; i++) {
                        assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(y[i]),
                                type + " " + bits + " bits, " + par.threads() + " threads, batch " + batch + ", output " + i);
                    }
                }
            }
        }
    }

    /**
     * Q8_0 and Q4_0 run on a packed copy by default ({@link BlockQ8Tensor}); the kernels that read GGUF's blocks in
     * place (no copy: {@code -Dledgermind.kernel.pack=false}, or no memory for one) must give the same bits, and the
     * packed copy must really be in use where it is expected.
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0"})
    void packedAndInPlaceBlockTensorsEqualTheScalarReference(GgmlType type) {
        SplittableRandom r = new SplittableRandom(type.id * 7L + 11);
        int rows = 2 * BlockQ8Batch.ROW_CHUNK + 7, cols = 32 * (BlockQ8Batch.BLOCK_CHUNK + 5);
        MemorySegment seg = randomWeights(type, rows, cols, r);
        BlockQ8Tensor packed = type == GgmlType.Q8_0 ? new Q8_0Tensor("p", seg, rows, cols, true) : new Q4_0Tensor("p", seg, rows, cols, true);
        BlockQ8Tensor inPlace = type == GgmlType.Q8_0 ? new Q8_0Tensor("m", seg, rows, cols, false) : new Q4_0Tensor("m", seg, rows, cols, false);
        assertTrue(packed.isPacked(), "packed copy made");
        assertTrue(!inPlace.isPacked(), "no copy when packing is off");
        for (int batch : new int[]{1, 2, 5, 9}) {
            float[] x = new float[batch * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-2, 3)));
            float[] ref = new float[batch * rows];
            for (int t = 0; t < batch; t++) for (int row = 0; row < rows; row++) ref[t * rows + row] = packed.dotReference(row, x, t * cols);
            for (BlockQ8Tensor w : new BlockQ8Tensor[]{packed, inPlace}) {
                // 512 bits twice: native kernels allowed (where the library loads they take the packed tensor) and not
                // (the Java 512-bit kernels on the same copy)
                for (KernelConfig cfg : new KernelConfig[]{KernelConfig.ofBits(0), KernelConfig.ofBits(128), KernelConfig.ofBits(256),
                        KernelConfig.ofBits(512).withNative(true), KernelConfig.ofBits(512).withNative(false)}) {
                    for (Parallel par : POOLS.pools()) {
                        float[] y = new float[batch * rows];
                        w.matMul(cfg, par, x, 0, cols, batch, y, 0, rows);
                        for (int i = 0; i < y.length; i++) {
                            assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(y[i]),
                                    type + (w.isPacked() ? " packed " : " in place ") + cfg + ", " + par.threads() + " threads, batch " + batch + ", output " + i);
                        }
                    }
                }
            }
        }
    }

    /**
     * The packed copy keeps GGUF's f16 scales and the decode kernels widen them 16 at a time with integer arithmetic
     * ({@link BlockQ8Tensor#widen16}): for every finite half (zeros, subnormals, normals, both signs) that must be
     * exactly {@link Float#float16ToFloat}.
     */
    @Test
    void scaleWideningEqualsFloat16ToFloatForEveryFiniteHalf() {
        MemorySegment halves = Arena.ofAuto().allocate(2 * 65536, 64);
        for (int h = 0; h < 65536; h++) halves.set(Q8_0Tensor.F16, 2L * h, (short) h);
        float[] out = new float[65536];
        for (int i = 0; i < 65536; i += 16) BlockQ8Tensor.widen16(halves, 2L * i, out, i);
        int finite = 0;
        for (int h = 0; h < 65536; h++) {
            if ((h & 0x7c00) == 0x7c00) continue; // infinities and NaNs are never widened this way (no packed copy)
            finite++;
            assertEquals(Float.floatToRawIntBits(Float.float16ToFloat((short) h)), Float.floatToRawIntBits(out[h]),
                    "half 0x" + Integer.toHexString(h));
        }
        assertEquals(63488, finite);
    }

    /** A tensor with an infinite scale is not copied (the widening is exact for finite halves only) and still computes. */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0"})
    void aBlockTensorWithANonFiniteScaleStaysInTheMapping(GgmlType type) {
        SplittableRandom r = new SplittableRandom(type.id * 13L + 3);
        int rows = 9, cols = 64;
        MemorySegment seg = randomWeights(type, rows, cols, r);
        seg.set(Q8_0Tensor.F16, 5L * type.blockBytes, (short) 0x7c00); // row 2, block 1: +infinity
        BlockQ8Tensor w = type == GgmlType.Q8_0 ? new Q8_0Tensor("inf", seg, rows, cols, true) : new Q4_0Tensor("inf", seg, rows, cols, true);
        assertTrue(!w.isPacked(), "no packed copy with a non-finite scale");
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = (float) r.nextGaussian();
        float[] y = new float[rows];
        w.matMul(KernelConfig.ofBits(512), POOLS.pools()[0], x, 0, cols, 1, y, 0, rows);
        for (int row = 0; row < rows; row++) {
            assertEquals(Float.floatToIntBits(w.dotReference(row, x, 0)), Float.floatToIntBits(y[row]), type + " row " + row);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q5_0", "Q4_1", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void everyPathEqualsTheScalarReferenceBitForBit(GgmlType type) {
        SplittableRandom r = new SplittableRandom(type.id * 31L + 5);
        int cols = type.blockSize >= 256 ? 512 : 96;
        int rows = 37;
        int batch = 7;
        WeightTensor w = tensor(type, randomWeights(type, rows, cols, r), rows, cols);
        float[] x = new float[batch * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-2, 3)));
        float[] ref = new float[batch * rows];
        for (int t = 0; t < batch; t++) for (int row = 0; row < rows; row++) ref[t * rows + row] = w.dotReference(row, x, t * cols);
        for (int bits : new int[]{0, 128, 256, 512}) {
            KernelConfig cfg = KernelConfig.ofBits(bits);
            for (Parallel par : POOLS.pools()) {
                float[] y = new float[batch * rows];
                w.matMul(cfg, par, x, 0, cols, batch, y, 0, rows);
                for (int i = 0; i < y.length; i++) {
                    assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(y[i]),
                            type + " " + bits + " bits " + par.threads() + " threads, output " + i);
                }
                float[] one = new float[rows];
                w.matVec(cfg, par, x, 3 * cols, one, 0);
                for (int row = 0; row < rows; row++) {
                    assertEquals(Float.floatToRawIntBits(ref[3 * rows + row]), Float.floatToRawIntBits(one[row]), "batch 1 equals batch " + batch);
                }
            }
        }
        // Independent check of the values: a separately written dequantization and a double dot product.
        // Types with an offset (Q4_1, Q5_1, the K-quants' mins) can cancel to values near 0: the tolerance also
        // scales with the row's largest value (a wrong code or scale is off by at least one step of d).
        float[] deq = new float[cols];
        for (int row = 0; row < rows; row++) {
            double[] ind = IndependentDequant.row(type, w.data(), row, cols);
            w.dequantizeRow(row, deq, 0);
            double rowMax = 0;
            for (double v : ind) rowMax = Math.max(rowMax, Math.abs(v));
            double dot = 0, mag = 0;
            for (int i = 0; i < cols; i++) {
                assertEquals(ind[i], deq[i], Math.abs(ind[i]) * 1e-6 + rowMax * 1e-6 + 1e-30, type + " element " + i + " of row " + row);
                dot += ind[i] * x[i];
                mag += Math.abs(ind[i] * x[i]);
            }
            float got = w.dotReference(row, x, 0);
            assertTrue(Math.abs(got - dot) <= 1e-5 * mag + 1e-30, type + " row " + row + ": " + got + " vs " + dot);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_1", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void rowDecodingGivesTheSameBitsWithAndWithoutVectors(GgmlType type) {
        SplittableRandom r = new SplittableRandom(44);
        int rows = 9, cols = 1024;
        ChunkedTensor w = (ChunkedTensor) tensor(type, randomWeights(type, rows, cols, r), rows, cols);
        float[] scalar = new float[cols + 3], vector = new float[cols + 3];
        for (int row = 0; row < rows; row++) {
            w.dequantizeRow(row, scalar, 3, false);
            w.dequantizeRow(row, vector, 3, true);
            for (int i = 0; i < scalar.length; i++) {
                assertEquals(Float.floatToRawIntBits(scalar[i]), Float.floatToRawIntBits(vector[i]), type + " row " + row + " element " + i);
            }
        }
    }
}

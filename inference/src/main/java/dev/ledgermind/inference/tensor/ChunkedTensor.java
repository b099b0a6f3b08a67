package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.Dot;
import dev.ledgermind.inference.kernel.KernelConfig;

import java.lang.foreign.MemorySegment;

/**
 * Weight types whose dot product is {@link DequantDot}'s: a subclass says how to decode 16 weights
 * ({@link #chunk}, used by the scalar reference) and a whole row ({@link #dequantizeRow}, used by the fast
 * paths); the two must give the same values, which the bit-exactness tests check for every type.
 *
 * <p>Fast path: the row is decoded once into a per-thread buffer, then {@link Dot#dot} (the width's vector
 * kernel of the same canonical layout) runs over it, for four inputs at a time in a batch ({@link Dot#dot4}).
 */
abstract sealed class ChunkedTensor extends WeightTensor implements DequantDot.Chunks
        permits F16Tensor, BF16Tensor, Q4_1Tensor, Q5_1Tensor, Q4_KTensor, Q5_KTensor, Q6_KTensor {
    private static final ThreadLocal<float[][]> ROW = ThreadLocal.withInitial(() -> new float[1][0]);
    /**
     * Row decoders (Q4_1, Q5_1, Q4_K, Q5_K, Q6_K) go 8 values per vector operation where the CPU has 256-bit vectors, with the
     * same operations per value as their scalar loops (so the same bits); elsewhere the scalar loops.
     */
    static final boolean VECTOR_ROWS = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length() >= 8;

    ChunkedTensor(String name, GgmlType type, MemorySegment data, int rows, int cols) {
        super(name, type, data, rows, cols);
    }

    /** Weights {@code [16c, 16c + 16)} of the row at byte {@code rowOffset}, decoded into {@code out[0..16)}. */
    @Override
    public abstract void chunk(long rowOffset, int c, float[] out);

    @Override
    public float dotReference(int row, float[] x, int xOff) {
        return DequantDot.reference(this, row * rowBytes, cols, x, xOff);
    }

    @Override
    public float dot(KernelConfig cfg, int row, float[] x, int xOff) {
        return decodedDot(cfg, row, x, xOff);
    }

    /** The generic fast path: the row decoded into this thread's buffer, then {@link Dot#dot} over it. */
    final float decodedDot(KernelConfig cfg, int row, float[] x, int xOff) {
        float[] w = rowBuffer();
        dequantizeRow(row, w, 0);
        return Dot.dot(cfg, w, 0, x, xOff, cols);
    }

    /**
     * Whether this tensor's products run in a native kernel ({@link NativeKernels#hasInPlaceKernels}: Q4_K, Q5_K, Q6_K, Q5_1;
     * the same element values and operations as the 512-bit kernels, the same bits): 512 bits with native kernels
     * allowed, and the library loaded here.
     */
    final boolean nativeOn(KernelConfig cfg) {
        return cfg.vectorBits() == 512 && cfg.nativeKernels() && NativeKernels.hasInPlaceKernels(type);
    }

    /**
     * In a native kernel where {@link #nativeOn} (one downcall for the chunk of rows: {@code Parallel.forChunks} splits
     * the tensor by rows); otherwise each row is decoded once for the whole batch (one input: {@link #dot} per row).
     */
    @Override
    protected void rowsRange(KernelConfig cfg, int from, int to, float[] x, int xOff, int xStride, int batch,
                             float[] y, int yOff, int yStride) {
        if (nativeOn(cfg)) {
            if (batch == 1) NativeKernels.inPlaceMatVec(type, data, rowBytes, cols / type.blockSize, from, to, x, xOff, y, yOff);
            else NativeKernels.inPlaceMatMul(type, data, rowBytes, cols / type.blockSize, from, to, x, xOff, xStride, batch, y, yOff, yStride);
            return;
        }
        if (batch == 1) { // one input: the type's dot product per row (which may decode and multiply in one pass)
            super.rowsRange(cfg, from, to, x, xOff, xStride, batch, y, yOff, yStride);
            return;
        }
        float[] w = rowBuffer();
        for (int r = from; r < to; r++) {
            dequantizeRow(r, w, 0);
            int t = 0;
            for (; t + 4 <= batch; t += 4) Dot.dot4(cfg, w, 0, x, xOff + t * xStride, xStride, cols, y, yOff + t * yStride + r, yStride);
            for (; t < batch; t++) y[yOff + t * yStride + r] = Dot.dot(cfg, w, 0, x, xOff + t * xStride, cols);
        }
    }

    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        float[] w = new float[16];
        for (int c = 0; c < cols / 16; c++) {
            chunk(row * rowBytes, c, w);
            System.arraycopy(w, 0, out, off + 16 * c, 16);
        }
    }

    /**
     * {@link #dequantizeRow} with the type's vector row loop on or off (tests compare the two); types without one
     * decode with their only loop.
     */
    void dequantizeRow(int row, float[] out, int off, boolean vector) {
        dequantizeRow(row, out, off);
    }

    /** Super-block {@code sb} of row {@code row}, copied out of the mapped file into {@code b[0 .. blockBytes)}. */
    final void copyBlock(int row, int sb, byte[] b) {
        int n = type.blockBytes;
        MemorySegment.copy(data, java.lang.foreign.ValueLayout.JAVA_BYTE, row * rowBytes + (long) sb * n, b, 0, n);
    }

    private static final ThreadLocal<byte[][]> BLOCKS = ThreadLocal.withInitial(() -> new byte[4][256]);

    /** This thread's four super-block buffers (256 bytes each), so that the decode step does not allocate. */
    static byte[][] blockBuffers() {
        return BLOCKS.get();
    }

    private static final ThreadLocal<float[]> SUMS = ThreadLocal.withInitial(() -> new float[32]);

    /**
     * This thread's 32 floats for two rows' partial sums: a decode kernel stores its accumulators here and combines
     * them with {@code Dot.combine}, because a call that takes a vector may be left out of line in a large method
     * (C2's NodeCountInliningCutoff) and then boxes the vector, one allocation per row.
     */
    static float[] sumBuffer() {
        return SUMS.get();
    }

    /** The little-endian f16 at {@code b[at]}, widened (exactly) to binary32. */
    static float f16(byte[] b, int at) {
        return Float.float16ToFloat((short) ((b[at] & 0xFF) | (b[at + 1] << 8)));
    }

    private float[] rowBuffer() {
        float[][] holder = ROW.get();
        if (holder[0].length < cols) holder[0] = new float[cols];
        return holder[0];
    }

    /**
     * The int8-q8 product of the K-quants ({@link Int8Input#Q8_256}: Q4_K, Q5_K, Q6_K): native (VNNI) where allowed and
     * built ({@link Int8KQuantKernels}), else the Java vector kernels at 256 and 512 bits ({@link Int8JavaKernels}), else
     * (scalar, 128 bits) the reference row by row: the same bits. The other chunked types have no integer product.
     */
    @Override
    protected void rowsRangeInt8(KernelConfig cfg, int from, int to, Int8Input xq, float[] y, int yOff, int yStride) {
        if (int8Format() == Int8Input.Q8_256 && cfg.nativeKernels() && Int8KQuantKernels.available(type)) {
            Int8KQuantKernels.matMul(type, data, rowBytes, cols / 256, from, to, xq, y, yOff, yStride);
        } else if (int8Format() == Int8Input.Q8_256 && Int8JavaKernels.handles(cfg)) {
            Int8JavaKernels.matMul(this, cfg, from, to, xq, y, yOff, yStride);
        } else {
            super.rowsRangeInt8(cfg, from, to, xq, y, yOff, yStride);
        }
    }
}

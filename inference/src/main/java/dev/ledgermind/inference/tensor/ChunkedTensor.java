package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.KernelConfig;

import java.lang.foreign.MemorySegment;

/**
 * Weight types whose dot product is {@link DequantDot}'s: a subclass only says how to decode 16 weights
 * ({@link #chunk}); the reference, the vector dot product and (by default) row dequantization follow.
 */
abstract sealed class ChunkedTensor extends WeightTensor implements DequantDot.Chunks
        permits F16Tensor, BF16Tensor, Q4_KTensor, Q6_KTensor {
    ChunkedTensor(String name, GgmlType type, MemorySegment data, int rows, int cols) {
        super(name, type, data, rows, cols);
    }

    /** Weights {@code [16c, 16c + 16)} of the row at byte {@code rowOffset}, decoded into {@code out[0..16)}. */
    @Override
    public abstract void chunk(long rowOffset, int c, float[] out);

    @Override
    public float dotReference(int row, float[] x, int xOff) {
        return DequantDot.dot(0, this, row * rowBytes, cols, x, xOff);
    }

    @Override
    public float dot(KernelConfig cfg, int row, float[] x, int xOff) {
        return DequantDot.dot(cfg.vectorBits(), this, row * rowBytes, cols, x, xOff);
    }

    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        float[] w = new float[16];
        for (int c = 0; c < cols / 16; c++) {
            chunk(row * rowBytes, c, w);
            System.arraycopy(w, 0, out, off + 16 * c, 16);
        }
    }
}

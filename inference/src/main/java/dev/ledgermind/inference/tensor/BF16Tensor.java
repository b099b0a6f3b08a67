package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

import static dev.ledgermind.inference.tensor.Q8_0Tensor.F16;

/** BF16 weights: element value {@code Float.intBitsToFloat(h << 16)} (exact); the dot product is {@link DequantDot}'s. */
public final class BF16Tensor extends ChunkedTensor {
    public BF16Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.BF16, data, rows, cols);
    }

    @Override
    public void chunk(long rowOffset, int c, float[] out) {
        long p = rowOffset + 32L * c;
        for (int m = 0; m < 16; m++) out[m] = Float.intBitsToFloat(data.get(F16, p + 2L * m) << 16);
    }

    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        for (int i = 0; i < cols; i++) out[off + i] = Float.intBitsToFloat(data.get(F16, row * rowBytes + 2L * i) << 16);
    }
}

package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

import static dev.ledgermind.inference.tensor.Q8_0Tensor.F16;

/** F16 weights: element value {@code Float.float16ToFloat(h)} (exact); the dot product is {@link DequantDot}'s. */
public final class F16Tensor extends ChunkedTensor {
    public F16Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.F16, data, rows, cols);
    }

    @Override
    public void chunk(long rowOffset, int c, float[] out) {
        long p = rowOffset + 32L * c;
        for (int m = 0; m < 16; m++) out[m] = Float.float16ToFloat(data.get(F16, p + 2L * m));
    }

    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        for (int i = 0; i < cols; i++) out[off + i] = Float.float16ToFloat(data.get(F16, row * rowBytes + 2L * i));
    }
}

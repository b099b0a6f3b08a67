package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.KernelConfig;

import java.lang.foreign.MemorySegment;

import static dev.ledgermind.inference.tensor.Q8_0Tensor.F16;

/** F16 weights: element value {@code Float.float16ToFloat(h)} (exact); the dot product is {@link DequantDot}'s. */
public final class F16Tensor extends WeightTensor {
    private final DequantDot.Chunks chunks = (o, c, out) -> {
        long p = o + 32L * c;
        for (int m = 0; m < 16; m++) out[m] = Float.float16ToFloat(data.get(F16, p + 2L * m));
    };

    public F16Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.F16, data, rows, cols);
    }

    @Override
    public float dotReference(int row, float[] x, int xOff) {
        return DequantDot.dot(0, chunks, row * rowBytes, cols, x, xOff);
    }

    @Override
    public float dot(KernelConfig cfg, int row, float[] x, int xOff) {
        return DequantDot.dot(cfg.vectorBits(), chunks, row * rowBytes, cols, x, xOff);
    }

    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        for (int i = 0; i < cols; i++) out[off + i] = Float.float16ToFloat(data.get(F16, row * rowBytes + 2L * i));
    }
}

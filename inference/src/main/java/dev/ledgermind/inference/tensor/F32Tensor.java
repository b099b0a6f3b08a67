package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.Dot;
import dev.ledgermind.inference.kernel.KernelConfig;

import java.lang.foreign.MemorySegment;

/** F32 weights: the dot product is exactly the canonical {@link Dot} (16 partial sums, fixed tree). */
public final class F32Tensor extends WeightTensor {
    public F32Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.F32, data, rows, cols);
    }

    @Override
    public float dotReference(int row, float[] x, int xOff) {
        return Dot.reference(data, row * rowBytes, x, xOff, cols);
    }

    @Override
    public float dot(KernelConfig cfg, int row, float[] x, int xOff) {
        return Dot.dot(cfg, data, row * rowBytes, x, xOff, cols);
    }

    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        long o = row * rowBytes;
        for (int i = 0; i < cols; i++) out[off + i] = data.get(Dot.F32_LE, o + 4L * i);
    }
}

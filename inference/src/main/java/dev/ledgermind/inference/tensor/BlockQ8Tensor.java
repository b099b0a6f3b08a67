package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.KernelConfig;

import java.lang.foreign.MemorySegment;

/**
 * The 32-weight block formats with one F16 scale per block and integer codes (Q8_0, Q4_0, Q5_0): at 256 and 512 bits a batch of
 * inputs goes through {@link BlockQ8Batch}, which decodes each row once for all of them; a subclass says
 * how a row's blocks unpack.
 */
abstract sealed class BlockQ8Tensor extends WeightTensor permits Q8_0Tensor, Q4_0Tensor, Q5_0Tensor {
    BlockQ8Tensor(String name, GgmlType type, MemorySegment data, int rows, int cols) {
        super(name, type, data, rows, cols);
    }

    /** Row {@code row} blocks {@code [b0, b1)} as exact codes from {@code q[qOff]} and block scales from {@code d[dOff]}. */
    abstract void unpackRow(int row, int b0, int b1, float[] q, int qOff, float[] d, int dOff);

    /** Batched products at 256 and 512 bits decode each row once for all inputs ({@link BlockQ8Batch}). */
    @Override
    protected void rowsRange(KernelConfig cfg, int from, int to, float[] x, int xOff, int xStride, int batch,
                             float[] y, int yOff, int yStride) {
        int bits = cfg.vectorBits();
        if (batch >= 2 && (bits == 256 || bits == 512)) {
            BlockQ8Batch.rows(bits, this::unpackRow, cols, from, to, x, xOff, xStride, batch, y, yOff, yStride);
        } else {
            super.rowsRange(cfg, from, to, x, xOff, xStride, batch, y, yOff, yStride);
        }
    }
}

package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.ledgermind.inference.tensor.Q8_0Tensor.F16;

/**
 * Q4_1 weights: blocks of 32 elements in 20 bytes: f16 scale {@code d}, f16 offset {@code m}, then 16 bytes
 * {@code qs}; element j ({@code j < 16}) has the code {@code qs[j] & 15} and element {@code j + 16} the code
 * {@code qs[j] >>> 4}.
 *
 * <p>Element value (as llama.cpp's {@code dequantize_row_q4_1}): {@code d * q + m}, two binary32 roundings
 * (multiply, then add; no fma). The offset does not factor out of a block exactly, so the dot product is
 * {@link DequantDot}'s canonical F32 layout over these values (as for the K-quants).
 */
public final class Q4_1Tensor extends ChunkedTensor {
    private static final int BLOCK_BYTES = 20;
    private static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;

    public Q4_1Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.Q4_1, data, rows, cols);
    }

    @Override
    public void chunk(long rowOffset, int c, float[] out) {
        long o = rowOffset + (long) (c / 2) * BLOCK_BYTES;
        boolean high = (c & 1) == 1; // elements 16..31 of the block are the high nibbles
        float d = Float.float16ToFloat(data.get(F16, o)), m = Float.float16ToFloat(data.get(F16, o + 2));
        for (int i = 0; i < 16; i++) {
            int v = data.get(ValueLayout.JAVA_BYTE, o + 4 + i) & 0xFF;
            out[i] = d * (high ? v >>> 4 : v & 15) + m;
        }
    }

    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        dequantizeRow(row, out, off, VECTOR_ROWS);
    }

    /** {@link #dequantizeRow} with the vector loop (8 values at a time, same operations) on or off. */
    @Override
    void dequantizeRow(int row, float[] out, int off, boolean vector) {
        long o = row * rowBytes;
        for (int b = 0; b < cols / 32; b++, o += BLOCK_BYTES) {
            float d = Float.float16ToFloat(data.get(F16, o)), m = Float.float16ToFloat(data.get(F16, o + 2));
            int e = off + 32 * b;
            if (vector) {
                for (int h = 0; h < 16; h += 8) {
                    ByteVector v = ByteVector.fromMemorySegment(B64, data, o + 4 + h, ByteOrder.LITTLE_ENDIAN);
                    ((FloatVector) v.and((byte) 15).convertShape(VectorOperators.B2F, F256, 0)).mul(d).add(m).intoArray(out, e + h);
                    ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.B2F, F256, 0)).mul(d).add(m).intoArray(out, e + 16 + h);
                }
            } else {
                for (int j = 0; j < 16; j++) {
                    int v = data.get(ValueLayout.JAVA_BYTE, o + 4 + j) & 0xFF;
                    out[e + j] = d * (v & 15) + m;
                    out[e + j + 16] = d * (v >>> 4) + m;
                }
            }
        }
    }

    /** Quantizes one row into Q4_1 blocks as llama.cpp's reference does: {@code d = (max - min) / 15}, {@code m = min}, codes rounded to nearest. */
    public static void quantizeRow(float[] x, int off, int cols, byte[] out, int outOff) {
        for (int b = 0; b < cols / 32; b++) {
            float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
            for (int j = 0; j < 32; j++) {
                min = Math.min(min, x[off + 32 * b + j]);
                max = Math.max(max, x[off + 32 * b + j]);
            }
            float d = (max - min) / 15f;
            float id = d != 0 ? 1f / d : 0f;
            int o = outOff + b * BLOCK_BYTES;
            putF16(out, o, d);
            putF16(out, o + 2, min);
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min(15, (int) ((x[off + 32 * b + j] - min) * id + 0.5f));
                int q1 = Math.min(15, (int) ((x[off + 32 * b + j + 16] - min) * id + 0.5f));
                out[o + 4 + j] = (byte) (q0 | (q1 << 4));
            }
        }
    }

    static void putF16(byte[] out, int o, float v) {
        short h = Float.floatToFloat16(v);
        out[o] = (byte) h;
        out[o + 1] = (byte) (h >> 8);
    }
}

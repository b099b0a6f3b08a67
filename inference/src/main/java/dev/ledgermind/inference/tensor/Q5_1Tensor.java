package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.ledgermind.inference.tensor.Q4_1Tensor.putF16;
import static dev.ledgermind.inference.tensor.Q5_0Tensor.U32;
import static dev.ledgermind.inference.tensor.Q5_0Tensor.high8;
import static dev.ledgermind.inference.tensor.Q8_0Tensor.F16;

/**
 * Q5_1 weights: blocks of 32 elements in 24 bytes: f16 scale {@code d}, f16 offset {@code m}, a little-endian
 * 32-bit word {@code qh} of fifth bits, then 16 bytes {@code qs}; the 5-bit codes are Q5_0's
 * ({@code (qs[j] & 15) | ((qh >>> j) & 1) << 4} and {@code (qs[j] >>> 4) | ((qh >>> (j + 16)) & 1) << 4}).
 * llama.cpp's quantizer falls back to Q5_1 for Q5_K tensors whose rows are not a multiple of 256.
 *
 * <p>Element value (as llama.cpp's {@code dequantize_row_q5_1}): {@code d * q + m}, two binary32 roundings
 * (multiply, then add; no fma). The dot product is {@link DequantDot}'s canonical F32 layout over these values.
 */
public final class Q5_1Tensor extends ChunkedTensor {
    private static final int BLOCK_BYTES = 24;
    private static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;

    public Q5_1Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.Q5_1, data, rows, cols);
    }

    @Override
    public void chunk(long rowOffset, int c, float[] out) {
        long o = rowOffset + (long) (c / 2) * BLOCK_BYTES;
        int e0 = 16 * (c & 1); // elements 16..31 of the block are the high nibbles
        float d = Float.float16ToFloat(data.get(F16, o)), m = Float.float16ToFloat(data.get(F16, o + 2));
        int qh = data.get(U32, o + 4);
        for (int i = 0; i < 16; i++) {
            int v = data.get(ValueLayout.JAVA_BYTE, o + 8 + i) & 0xFF;
            int q = (e0 == 0 ? v & 15 : v >>> 4) | ((qh >>> (e0 + i)) & 1) << 4;
            out[i] = d * q + m;
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
            int qh = data.get(U32, o + 4);
            int e = off + 32 * b;
            if (vector) {
                for (int h = 0; h < 16; h += 8) {
                    ByteVector v = ByteVector.fromMemorySegment(B64, data, o + 8 + h, ByteOrder.LITTLE_ENDIAN);
                    ((FloatVector) v.and((byte) 15).or(high8(qh >>> h)).convertShape(VectorOperators.B2F, F256, 0)).mul(d).add(m).intoArray(out, e + h);
                    ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(high8(qh >>> (16 + h))).convertShape(VectorOperators.B2F, F256, 0))
                            .mul(d).add(m).intoArray(out, e + 16 + h);
                }
            } else {
                for (int j = 0; j < 16; j++) {
                    int v = data.get(ValueLayout.JAVA_BYTE, o + 8 + j) & 0xFF;
                    out[e + j] = d * ((v & 15) | ((qh >>> j) & 1) << 4) + m;
                    out[e + j + 16] = d * ((v >>> 4) | ((qh >>> (j + 16)) & 1) << 4) + m;
                }
            }
        }
    }

    /** Quantizes one row into Q5_1 blocks as llama.cpp's reference does: {@code d = (max - min) / 31}, {@code m = min}, codes rounded to nearest. */
    public static void quantizeRow(float[] x, int off, int cols, byte[] out, int outOff) {
        for (int b = 0; b < cols / 32; b++) {
            float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
            for (int j = 0; j < 32; j++) {
                min = Math.min(min, x[off + 32 * b + j]);
                max = Math.max(max, x[off + 32 * b + j]);
            }
            float d = (max - min) / 31f;
            float id = d != 0 ? 1f / d : 0f;
            int o = outOff + b * BLOCK_BYTES;
            putF16(out, o, d);
            putF16(out, o + 2, min);
            int qh = 0;
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min(31, (int) ((x[off + 32 * b + j] - min) * id + 0.5f));
                int q1 = Math.min(31, (int) ((x[off + 32 * b + j + 16] - min) * id + 0.5f));
                out[o + 8 + j] = (byte) ((q0 & 15) | ((q1 & 15) << 4));
                qh |= (q0 >>> 4) << j;
                qh |= (q1 >>> 4) << (j + 16);
            }
            for (int k = 0; k < 4; k++) out[o + 4 + k] = (byte) (qh >>> (8 * k));
        }
    }
}

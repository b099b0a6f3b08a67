package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.kernel.Lanes;
import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.Dot;
import dev.ledgermind.inference.kernel.KernelConfig;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.ledgermind.inference.tensor.Q8_0Tensor.F16;

/**
 * Q4_0 weights: blocks of 32 elements, each an f16 scale {@code d} then 16 bytes {@code qs}; element j
 * ({@code j < 16}) is {@code d * ((qs[j] & 15) - 8)} and element {@code j + 16} is {@code d * ((qs[j] >>> 4) - 8)}.
 *
 * <h2>Canonical dot product with F32 activations</h2>
 * Exactly the layout of {@link Q8_0Tensor} with {@code q[j]} the 4-bit values minus 8:
 * <pre>
 *   for each block b, for m = 0..15:
 *     p = q[m] * xb[m];  p = fma(q[m+16], xb[m+16], p);  acc[m] = fma(p, d, acc[m])
 *   dot = Dot.combine(acc)
 * </pre>
 * The low nibbles are the block's first 16 elements and the high nibbles the last 16, so one 16-byte load
 * gives both halves of the partial sums.
 */
public final class Q4_0Tensor extends BlockQ8Tensor {
    private static final int BLOCK_BYTES = 18;

    public Q4_0Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.Q4_0, data, rows, cols);
    }

    @Override
    public float dotReference(int row, float[] x, int xOff) {
        float[] acc = new float[16];
        long o = row * rowBytes;
        for (int b = 0; b < cols / 32; b++, o += BLOCK_BYTES) {
            float d = Float.float16ToFloat(data.get(F16, o));
            int xb = xOff + 32 * b;
            for (int m = 0; m < 16; m++) {
                int v = data.get(ValueLayout.JAVA_BYTE, o + 2 + m) & 0xFF;
                float q0 = (v & 15) - 8;
                float q1 = (v >>> 4) - 8;
                float p = q0 * x[xb + m];
                p = Math.fma(q1, x[xb + m + 16], p);
                acc[m] = Math.fma(p, d, acc[m]);
            }
        }
        return Dot.combine(acc, 0);
    }

    @Override
    public float dot(KernelConfig cfg, int row, float[] x, int xOff) {
        return switch (cfg.vectorBits()) {
            case 256 -> dot256(data, row * rowBytes, cols / 32, x, xOff);
            case 512 -> dot512(data, row * rowBytes, cols / 32, x, xOff);
            case 128 -> dot128(data, row * rowBytes, cols / 32, x, xOff);
            default -> dotReference(row, x, xOff);
        };
    }

    // Two 8-byte loads, each converted with part 0 only: C2 intrinsifies B2F from a 64-bit byte vector to a
    // 256-bit float vector, but not the part-1 conversion of a 128-bit one, which then boxes every vector.
    private static float dot256(MemorySegment w, long o, int blocks, float[] x, int xOff) {
        var F = FloatVector.SPECIES_256;
        var B = ByteVector.SPECIES_64;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        for (int b = 0; b < blocks; b++, o += BLOCK_BYTES) {
            float d = Float.float16ToFloat(w.get(F16, o));
            int xb = xOff + 32 * b;
            ByteVector qa = ByteVector.fromMemorySegment(B, w, o + 2, ByteOrder.LITTLE_ENDIAN);
            ByteVector qb = ByteVector.fromMemorySegment(B, w, o + 10, ByteOrder.LITTLE_ENDIAN);
            FloatVector p0 = ((FloatVector) qa.and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xb));
            FloatVector p1 = ((FloatVector) qb.and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xb + 8));
            p0 = ((FloatVector) qa.lanewise(VectorOperators.LSHR, 4).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + 16), p0);
            p1 = ((FloatVector) qb.lanewise(VectorOperators.LSHR, 4).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + 24), p1);
            FloatVector dv = FloatVector.broadcast(F, d);
            acc0 = p0.fma(dv, acc0);
            acc1 = p1.fma(dv, acc1);
        }
        return Lanes.combine256(acc0, acc1);
    }

    private static float dot512(MemorySegment w, long o, int blocks, float[] x, int xOff) {
        var F = FloatVector.SPECIES_512;
        var B = ByteVector.SPECIES_128;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, o += BLOCK_BYTES) {
            float d = Float.float16ToFloat(w.get(F16, o));
            int xb = xOff + 32 * b;
            ByteVector qs = ByteVector.fromMemorySegment(B, w, o + 2, ByteOrder.LITTLE_ENDIAN);
            ByteVector lo = qs.and((byte) 15).sub((byte) 8);
            ByteVector hi = qs.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
            FloatVector p = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xb));
            p = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + 16), p);
            acc = p.fma(FloatVector.broadcast(F, d), acc);
        }
        return Lanes.combine512(acc);
    }

    private static float dot128(MemorySegment w, long o, int blocks, float[] x, int xOff) {
        var F = FloatVector.SPECIES_128;
        var B = ByteVector.SPECIES_128;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++, o += BLOCK_BYTES) {
            float d = Float.float16ToFloat(w.get(F16, o));
            int xb = xOff + 32 * b;
            ByteVector qs = ByteVector.fromMemorySegment(B, w, o + 2, ByteOrder.LITTLE_ENDIAN);
            ByteVector lo = qs.and((byte) 15).sub((byte) 8);
            ByteVector hi = qs.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
            FloatVector p0 = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xb));
            FloatVector p1 = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 1)).mul(FloatVector.fromArray(F, x, xb + 4));
            FloatVector p2 = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 2)).mul(FloatVector.fromArray(F, x, xb + 8));
            FloatVector p3 = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 3)).mul(FloatVector.fromArray(F, x, xb + 12));
            p0 = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + 16), p0);
            p1 = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, xb + 20), p1);
            p2 = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 2)).fma(FloatVector.fromArray(F, x, xb + 24), p2);
            p3 = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 3)).fma(FloatVector.fromArray(F, x, xb + 28), p3);
            FloatVector dv = FloatVector.broadcast(F, d);
            a0 = p0.fma(dv, a0);
            a1 = p1.fma(dv, a1);
            a2 = p2.fma(dv, a2);
            a3 = p3.fma(dv, a3);
        }
        return Lanes.combine128(a0, a1, a2, a3);
    }

    /** Row {@code row} blocks {@code [b0, b1)} as exact codes from {@code q[qOff]} (floats in [-8, 7]) and block scales from {@code d[dOff]}. */
    @Override
    void unpackRow(int row, int b0, int b1, float[] q, int qOff, float[] d, int dOff) {
        var F = FloatVector.SPECIES_256;
        var B = ByteVector.SPECIES_64;
        long o = row * rowBytes + (long) b0 * BLOCK_BYTES;
        for (int b = b0, j = qOff; b < b1; b++, j += 32, o += BLOCK_BYTES) {
            d[dOff + b - b0] = Float.float16ToFloat(data.get(F16, o));
            ByteVector qa = ByteVector.fromMemorySegment(B, data, o + 2, ByteOrder.LITTLE_ENDIAN);
            ByteVector qb = ByteVector.fromMemorySegment(B, data, o + 10, ByteOrder.LITTLE_ENDIAN);
            ((FloatVector) qa.and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).intoArray(q, j);
            ((FloatVector) qb.and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).intoArray(q, j + 8);
            ((FloatVector) qa.lanewise(VectorOperators.LSHR, 4).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).intoArray(q, j + 16);
            ((FloatVector) qb.lanewise(VectorOperators.LSHR, 4).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).intoArray(q, j + 24);
        }
    }

    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        long o = row * rowBytes;
        for (int b = 0; b < cols / 32; b++, o += BLOCK_BYTES) {
            float d = Float.float16ToFloat(data.get(F16, o));
            for (int j = 0; j < 16; j++) {
                int v = data.get(ValueLayout.JAVA_BYTE, o + 2 + j) & 0xFF;
                out[off + 32 * b + j] = ((v & 15) - 8) * d;
                out[off + 32 * b + j + 16] = ((v >>> 4) - 8) * d;
            }
        }
    }

    /** Quantizes one row into Q4_0 blocks as llama.cpp's reference does (scale = signed max / -8). */
    public static void quantizeRow(float[] x, int off, int cols, byte[] out, int outOff) {
        for (int b = 0; b < cols / 32; b++) {
            float amax = 0, max = 0;
            for (int j = 0; j < 32; j++) {
                float v = x[off + 32 * b + j];
                if (Math.abs(v) > amax) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8f;
            short h = Float.floatToFloat16(d);
            float dd = Float.float16ToFloat(h);
            float id = dd != 0 ? 1f / dd : 0f;
            int o = outOff + b * BLOCK_BYTES;
            out[o] = (byte) h;
            out[o + 1] = (byte) (h >> 8);
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min(15, (int) (x[off + 32 * b + j] * id + 8.5f));
                int q1 = Math.min(15, (int) (x[off + 32 * b + j + 16] * id + 8.5f));
                out[o + 2 + j] = (byte) (Math.max(0, q0) | (Math.max(0, q1) << 4));
            }
        }
    }
}

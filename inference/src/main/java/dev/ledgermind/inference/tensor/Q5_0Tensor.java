package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.Dot;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Lanes;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.ledgermind.inference.tensor.Q8_0Tensor.F16;

/**
 * Q5_0 weights: blocks of 32 elements in 22 bytes: an f16 scale {@code d}, a little-endian 32-bit word
 * {@code qh} of fifth bits, then 16 bytes {@code qs} of low nibbles. Element j ({@code j < 16}) has the 5-bit
 * code {@code (qs[j] & 15) | ((qh >>> j) & 1) << 4} and element {@code j + 16} the code
 * {@code (qs[j] >>> 4) | ((qh >>> (j + 16)) & 1) << 4}; the value is {@code d * (code - 16)} (as llama.cpp's
 * {@code dequantize_row_q5_0}).
 *
 * <h2>Canonical dot product with F32 activations</h2>
 * Exactly the layout of {@link Q8_0Tensor} and {@link Q4_0Tensor}, with {@code q[j] = code - 16} in [-16, 15]
 * (an integer, exact as a float):
 * <pre>
 *   for each block b, for m = 0..15:
 *     p = q[m] * xb[m];  p = fma(q[m+16], xb[m+16], p);  acc[m] = fma(p, d, acc[m])
 *   dot = Dot.combine(acc)
 * </pre>
 * How the codes are produced does not change a bit (they are exact integers). The vector paths build the
 * fifth bits of 8 lanes with one table load: {@link #SPREAD} holds, for each byte value, 8 bytes whose byte i
 * is 16 when bit i is set, else 0.
 *
 * <h2>The int8-q8 product ({@link ComputeProfile#INT8_Q8}, input {@link Int8Input#Q8_32})</h2>
 * The definition shared by Q8_0, Q4_0 and Q5_0, stated once in {@link Int8Kernels}: per block of 32, the exact
 * integer sum of {@code qw[i] * qx[i]}, then {@code acc[b mod 16] = fma((float) sumi_b, dw_b * dx_b, acc[b mod 16])}
 * and {@code Dot.combine}; here {@code qw} is this type's integer codes (the 5-bit codes minus 16, in [-16, 15]).
 * {@link #dotInt8Reference} is the scalar reference.
 */
public final class Q5_0Tensor extends BlockQ8Tensor {
    private static final int BLOCK_BYTES = 22;
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    /** Entry v (16 bytes at 16v): bytes i and i + 8 are {@code ((v >>> i) & 1) << 4}, for i < 8. */
    private static final byte[] SPREAD = new byte[256 * 16];
    /** Lanes 8..15 of a 16-byte vector: where the second qh byte's bits go. */
    private static final VectorMask<Byte> UPPER8 = VectorMask.fromLong(B128, 0xFF00L);

    static {
        for (int v = 0; v < 256; v++) {
            for (int i = 0; i < 8; i++) {
                byte s = (byte) (((v >>> i) & 1) << 4);
                SPREAD[16 * v + i] = s;
                SPREAD[16 * v + 8 + i] = s;
            }
        }
    }

    public Q5_0Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.Q5_0, data, rows, cols, 0, false);
    }

    /**
     * For a model computed under {@code profile}: under {@link ComputeProfile#INT8_Q8} the int8-q8 kernels' copy where
     * they run here ({@link BlockQ8Tensor}); the binary32 kernels read the mapping either way.
     */
    public Q5_0Tensor(String name, MemorySegment data, int rows, int cols, ComputeProfile profile) {
        super(name, GgmlType.Q5_0, data, rows, cols, 0, PACK, profile);
    }

    /** The code of element {@code j < 32} of the block at {@code o}, minus 16. */
    private int code(long o, int qh, int j) {
        int v = data.get(ValueLayout.JAVA_BYTE, o + 6 + (j & 15)) & 0xFF;
        int low = j < 16 ? v & 15 : v >>> 4;
        return (low | ((qh >>> j) & 1) << 4) - 16;
    }

    @Override
    public float dotReference(int row, float[] x, int xOff) {
        float[] acc = new float[16];
        long o = row * rowBytes;
        for (int b = 0; b < cols / 32; b++, o += BLOCK_BYTES) {
            float d = Float.float16ToFloat(data.get(F16, o));
            int qh = data.get(U32, o + 2);
            int xb = xOff + 32 * b;
            for (int m = 0; m < 16; m++) {
                float q0 = code(o, qh, m);
                float q1 = code(o, qh, m + 16);
                float p = q0 * x[xb + m];
                p = Math.fma(q1, x[xb + m + 16], p);
                acc[m] = Math.fma(p, d, acc[m]);
            }
        }
        return Dot.combine(acc, 0);
    }

    @Override
    public float dotInt8Reference(int row, Int8Input xq, int t) {
        return Int8Kernels.reference(data, row * rowBytes, BLOCK_BYTES, cols / 32, xq, t, (o, xc, xo) -> {
            int qh = data.get(U32, o + 2), s = 0;
            for (int j = 0; j < 32; j++) s += code(o, qh, j) * xc[xo + j];
            return s;
        });
    }

    /** The decode step: in the native kernel where {@link #nativeOn} (the mapped blocks in place), else row by row. */
    @Override
    protected void rowsOfOne(KernelConfig cfg, int from, int to, float[] x, int xOff, float[] y, int yOff) {
        if (nativeOn(cfg)) NativeKernels.inPlaceMatVec(type, data, rowBytes, blocks, from, to, x, xOff, y, yOff);
        else super.rowsOfOne(cfg, from, to, x, xOff, y, yOff);
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

    /** Fifth bits (0 or 16) of 8 elements from one qh byte (Q5_1 packs its fifth bits alike). */
    static ByteVector high8(int qhByte) {
        return ByteVector.fromArray(B64, SPREAD, 16 * (qhByte & 0xFF));
    }

    /** Fifth bits of 16 elements: lanes 0..7 from qh byte {@code lo}, lanes 8..15 from qh byte {@code hi}. */
    private static ByteVector high16(int lo, int hi) {
        return ByteVector.fromArray(B128, SPREAD, 16 * (lo & 0xFF)).blend(ByteVector.fromArray(B128, SPREAD, 16 * (hi & 0xFF)), UPPER8);
    }

    // As Q4_0's: 8-byte loads converted with part 0 only (C2 intrinsifies that B2F; a part-1 conversion boxes).
    private static float dot256(MemorySegment w, long o, int blocks, float[] x, int xOff) {
        var F = FloatVector.SPECIES_256;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        for (int b = 0; b < blocks; b++, o += BLOCK_BYTES) {
            float d = Float.float16ToFloat(w.get(F16, o));
            int qh = w.get(U32, o + 2);
            int xb = xOff + 32 * b;
            ByteVector qa = ByteVector.fromMemorySegment(B64, w, o + 6, ByteOrder.LITTLE_ENDIAN);
            ByteVector qb = ByteVector.fromMemorySegment(B64, w, o + 14, ByteOrder.LITTLE_ENDIAN);
            FloatVector p0 = codes256(qa.and((byte) 15).or(high8(qh))).mul(FloatVector.fromArray(F, x, xb));
            FloatVector p1 = codes256(qb.and((byte) 15).or(high8(qh >>> 8))).mul(FloatVector.fromArray(F, x, xb + 8));
            p0 = codes256(qa.lanewise(VectorOperators.LSHR, 4).or(high8(qh >>> 16))).fma(FloatVector.fromArray(F, x, xb + 16), p0);
            p1 = codes256(qb.lanewise(VectorOperators.LSHR, 4).or(high8(qh >>> 24))).fma(FloatVector.fromArray(F, x, xb + 24), p1);
            FloatVector dv = FloatVector.broadcast(F, d);
            acc0 = p0.fma(dv, acc0);
            acc1 = p1.fma(dv, acc1);
        }
        return Lanes.combine256(acc0, acc1);
    }

    /** 8 five-bit codes, minus 16, as floats. */
    private static FloatVector codes256(ByteVector c) {
        return (FloatVector) c.sub((byte) 16).convertShape(VectorOperators.B2F, FloatVector.SPECIES_256, 0);
    }

    private static float dot512(MemorySegment w, long o, int blocks, float[] x, int xOff) {
        var F = FloatVector.SPECIES_512;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, o += BLOCK_BYTES) {
            float d = Float.float16ToFloat(w.get(F16, o));
            int qh = w.get(U32, o + 2);
            int xb = xOff + 32 * b;
            ByteVector qs = ByteVector.fromMemorySegment(B128, w, o + 6, ByteOrder.LITTLE_ENDIAN);
            ByteVector lo = qs.and((byte) 15).or(high16(qh, qh >>> 8)).sub((byte) 16);
            ByteVector hi = qs.lanewise(VectorOperators.LSHR, 4).or(high16(qh >>> 16, qh >>> 24)).sub((byte) 16);
            FloatVector p = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xb));
            p = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + 16), p);
            acc = p.fma(FloatVector.broadcast(F, d), acc);
        }
        return Lanes.combine512(acc);
    }

    private static float dot128(MemorySegment w, long o, int blocks, float[] x, int xOff) {
        var F = FloatVector.SPECIES_128;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++, o += BLOCK_BYTES) {
            float d = Float.float16ToFloat(w.get(F16, o));
            int qh = w.get(U32, o + 2);
            int xb = xOff + 32 * b;
            ByteVector qs = ByteVector.fromMemorySegment(B128, w, o + 6, ByteOrder.LITTLE_ENDIAN);
            ByteVector lo = qs.and((byte) 15).or(high16(qh, qh >>> 8)).sub((byte) 16);
            ByteVector hi = qs.lanewise(VectorOperators.LSHR, 4).or(high16(qh >>> 16, qh >>> 24)).sub((byte) 16);
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

    /** Row {@code row} blocks {@code [b0, b1)} as exact codes from {@code q[qOff]} (floats in [-16, 15]) and block scales from {@code d[dOff]}. */
    @Override
    void unpackRow(int row, int b0, int b1, float[] q, int qOff, float[] d, int dOff) {
        long o = row * rowBytes + (long) b0 * BLOCK_BYTES;
        for (int b = b0, j = qOff; b < b1; b++, j += 32, o += BLOCK_BYTES) {
            d[dOff + b - b0] = Float.float16ToFloat(data.get(F16, o));
            int qh = data.get(U32, o + 2);
            ByteVector qa = ByteVector.fromMemorySegment(B64, data, o + 6, ByteOrder.LITTLE_ENDIAN);
            ByteVector qb = ByteVector.fromMemorySegment(B64, data, o + 14, ByteOrder.LITTLE_ENDIAN);
            codes256(qa.and((byte) 15).or(high8(qh))).intoArray(q, j);
            codes256(qb.and((byte) 15).or(high8(qh >>> 8))).intoArray(q, j + 8);
            codes256(qa.lanewise(VectorOperators.LSHR, 4).or(high8(qh >>> 16))).intoArray(q, j + 16);
            codes256(qb.lanewise(VectorOperators.LSHR, 4).or(high8(qh >>> 24))).intoArray(q, j + 24);
        }
    }

    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        long o = row * rowBytes;
        for (int b = 0; b < cols / 32; b++, o += BLOCK_BYTES) {
            float d = Float.float16ToFloat(data.get(F16, o));
            int qh = data.get(U32, o + 2);
            for (int j = 0; j < 32; j++) out[off + 32 * b + j] = code(o, qh, j) * d;
        }
    }

    /**
     * Quantizes one row into Q5_0 blocks as llama.cpp's reference quantizer does: the scale is the signed value of
     * largest magnitude over -16, codes {@code min(31, (int) (x / d + 16.5))}.
     */
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
            float d = max / -16f;
            float id = d != 0 ? 1f / d : 0f;
            short h = Float.floatToFloat16(d);
            int o = outOff + b * BLOCK_BYTES;
            out[o] = (byte) h;
            out[o + 1] = (byte) (h >> 8);
            int qh = 0;
            for (int j = 0; j < 16; j++) {
                int q0 = Math.max(0, Math.min(31, (int) (x[off + 32 * b + j] * id + 16.5f)));
                int q1 = Math.max(0, Math.min(31, (int) (x[off + 32 * b + j + 16] * id + 16.5f)));
                out[o + 6 + j] = (byte) ((q0 & 15) | ((q1 & 15) << 4));
                qh |= (q0 >>> 4) << j;
                qh |= (q1 >>> 4) << (j + 16);
            }
            for (int k = 0; k < 4; k++) out[o + 2 + k] = (byte) (qh >>> (8 * k));
        }
    }
}

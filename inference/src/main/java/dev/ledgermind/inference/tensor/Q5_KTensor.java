package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.Dot;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Lanes;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.ledgermind.inference.tensor.Q4_KTensor.min;
import static dev.ledgermind.inference.tensor.Q4_KTensor.scale;

/**
 * Q5_K weights: super-blocks of 256 elements in 176 bytes: f16 {@code d}, f16 {@code dmin}, 12 bytes of
 * 6-bit scales and mins for 8 sub-blocks of 32 (packed as Q4_K's), 32 bytes {@code qh} of fifth bits, then
 * 128 bytes {@code qs} of low nibbles. Sub-blocks {@code 2g} and {@code 2g+1} share the 32 bytes
 * {@code qs[32g ..]} (low nibbles, then high nibbles); element l of sub-block j takes its fifth bit from
 * bit j of {@code qh[l]}. The 5-bit code is {@code q = nibble | bit << 4} in [0, 31].
 *
 * <p>Element value (as llama.cpp's {@code dequantize_row_q5_K}): {@code (d * sc) * q - (dmin * m)}, each
 * operation one binary32 rounding (multiply, multiply, multiply, subtract; no fma), exactly Q4_K's with a
 * 5-bit q. The dot product is {@link DequantDot}'s canonical F32 layout over these values.
 *
 * <h2>The int8-q8 product ({@link ComputeProfile#INT8_Q8}; input format {@link Int8Input#Q8_256})</h2>
 * Q4_K's ({@link Q4_KTensor}, class javadoc), with the 5-bit codes q (0..31): for super-block {@code s},
 * <pre>
 *   dot_j = sum over the 32 elements i of sub-block j of q[i] * qx[i]           (exact int)
 *   A = sum_j sc_j * dot_j ;  B = sum_j mn_j * bs_j   (bs_j: the input's code sum of sub-block j, two sums16; exact)
 *   D = d * dx ;  M = dmin * dx                                                 (binary32 multiplies)
 *   acc[s mod 16] = fma(D, (float) A, acc[s mod 16]) ;  acc[s mod 16] = fma(-M, (float) B, acc[s mod 16])
 *   result = Dot.combine(acc)                                                   (acc starts as 16 x +0.0f)
 * </pre>
 * computed in Java by {@link Q4_KTensor#dotInt8KM} (one place for both types), natively by {@link Int8KQuantKernels}.
 */
public final class Q5_KTensor extends ChunkedTensor {
    private static final int BLOCK_BYTES = 176;
    private static final int QH = 16;
    private static final int QS = 48;
    private static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;

    public Q5_KTensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.Q5_K, data, rows, cols);
    }

    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        dequantizeRow(row, out, off, VECTOR_ROWS);
    }

    /** {@link #dequantizeRow} with the vector loop (8 values at a time, same operations) on or off; tests compare the two. */
    @Override
    void dequantizeRow(int row, float[] out, int off, boolean vector) {
        byte[] b = new byte[BLOCK_BYTES];
        for (int sb = 0; sb < cols / 256; sb++) {
            copyBlock(row, sb, b);
            float d = f16(b, 0), dmin = f16(b, 2);
            int o = off + 256 * sb;
            for (int g = 0; g < 4; g++) {
                int j = 2 * g; // sub-blocks j (low nibbles, qh bit j) and j + 1 (high nibbles, qh bit j + 1)
                float d1 = d * scale(b, j), m1 = dmin * min(b, j), d2 = d * scale(b, j + 1), m2 = dmin * min(b, j + 1);
                int q = QS + 32 * g, lo = o + 64 * g, hi = lo + 32;
                if (vector) {
                    for (int l = 0; l < 32; l += 8) {
                        ByteVector v = ByteVector.fromArray(B64, b, q + l), h = ByteVector.fromArray(B64, b, QH + l);
                        lowValues(v, h, j, d1, m1).intoArray(out, lo + l);
                        highValues(v, h, j + 1, d2, m2).intoArray(out, hi + l);
                    }
                } else {
                    for (int l = 0; l < 32; l++) out[lo + l] = d1 * ((b[q + l] & 0xF) | (((b[QH + l] & 0xFF) >> j) & 1) << 4) - m1;
                    for (int l = 0; l < 32; l++) out[hi + l] = d2 * (((b[q + l] & 0xFF) >> 4) | (((b[QH + l] & 0xFF) >> (j + 1)) & 1) << 4) - m2;
                }
            }
        }
    }

    /**
     * At 256 and 512 bits the decode step (one input) decodes and multiplies in one pass, as Q4_K's: at 256 bits
     * partial sums 0..7 and 8..15 in two accumulators, at 512 bits all 16 in one, each receiving its elements in
     * increasing order, as {@link Dot}'s kernel of that width does over a decoded row (so the same bits).
     * {@link #rowsOfOne} runs two rows side by side.
     */
    @Override
    public float dot(KernelConfig cfg, int row, float[] x, int xOff) {
        if (cfg.vectorBits() == 512) {
            float[] y = new float[2];
            pair512(row, row, x, xOff, y, 0, 1);
            return y[0];
        }
        if (cfg.vectorBits() != 256 || !VECTOR_ROWS) return super.dot(cfg, row, x, xOff);
        byte[][] bufs = blockBuffers();
        byte[] b = bufs[0], c = bufs[2];
        FloatVector acc0 = FloatVector.zero(F256), acc1 = acc0;
        for (int sb = 0; sb < cols / 256; sb++) {
            copyBlock(row, sb, b);
            codes(b, c);
            float d = f16(b, 0), dmin = f16(b, 2);
            int xb = xOff + 256 * sb;
            for (int j = 0; j < 8; j++) { // sub-block j: elements 32j ..
                float dj = d * scale(b, j), mj = dmin * min(b, j);
                for (int l = 0; l < 32; l += 16) {
                    int e = 32 * j + l;
                    acc0 = values256(ByteVector.fromArray(B64, c, e), dj, mj).fma(FloatVector.fromArray(F256, x, xb + e), acc0);
                    acc1 = values256(ByteVector.fromArray(B64, c, e + 8), dj, mj).fma(FloatVector.fromArray(F256, x, xb + e + 8), acc1);
                }
            }
        }
        return Lanes.combine256(acc0, acc1);
    }

    @Override
    protected void rowsOfOne(KernelConfig cfg, int from, int to, float[] x, int xOff, float[] y, int yOff) {
        if (cfg.vectorBits() != 512) { // at 256 bits two rows side by side exceed C2's inlining budget
            super.rowsOfOne(cfg, from, to, x, xOff, y, yOff);
            return;
        }
        int r = from;
        for (; r + 2 <= to; r += 2) pair512(r, r + 1, x, xOff, y, yOff + r, yOff + r + 1);
        if (r < to) y[yOff + r] = dot(cfg, r, x, xOff);
    }

    /**
     * Rows {@code ra} and {@code rb} at 512 bits: each super-block's 256 five-bit codes are first merged into bytes
     * ({@link #codes}), then multiplied 16 at a time with all 16 partial sums of a row in one accumulator,
     * elements in increasing order (Dot's 512-bit layout). (Merging inside the multiply loop made the loop too big
     * for C2 to keep its vectors in registers.)
     */
    private void pair512(int ra, int rb, float[] x, int xOff, float[] y, int ya, int yb) {
        byte[][] bufs = blockBuffers();
        byte[] a = bufs[0], b = bufs[1], ca = bufs[2], cb = bufs[3];
        FloatVector accA = FloatVector.zero(F512), accB = accA;
        for (int sb = 0; sb < cols / 256; sb++) {
            copyBlock(ra, sb, a);
            copyBlock(rb, sb, b);
            codes(a, ca);
            codes(b, cb);
            float da = f16(a, 0), ma = f16(a, 2), db = f16(b, 0), mb = f16(b, 2);
            int xb = xOff + 256 * sb;
            for (int j = 0; j < 8; j++) { // sub-block j: elements 32j ..
                float ad = da * scale(a, j), am = ma * min(a, j), bd = db * scale(b, j), bm = mb * min(b, j);
                for (int h = 0; h < 32; h += 16) {
                    FloatVector xv = FloatVector.fromArray(F512, x, xb + 32 * j + h);
                    accA = values512(ByteVector.fromArray(B128, ca, 32 * j + h), ad, am).fma(xv, accA);
                    accB = values512(ByteVector.fromArray(B128, cb, 32 * j + h), bd, bm).fma(xv, accB);
                }
            }
        }
        y[ya] = Lanes.combine512(accA);
        y[yb] = Lanes.combine512(accB);
    }

    private static final java.lang.invoke.VarHandle LONG =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final long NIBBLES = 0x0F0F0F0F0F0F0F0FL, ONES = 0x0101010101010101L;

    /**
     * The 256 five-bit codes of super-block {@code b}, in element order, into {@code out[0 .. 256)}: 8 bytes at a
     * time in a long (plain integer code, which keeps the multiply loops small enough for C2 to keep their
     * vectors in registers; merging in vectors inside them did not).
     */
    static void codes(byte[] b, byte[] out) {
        codes(b, out, 0);
    }

    /** {@link #codes(byte[], byte[])} into {@code out[off .. off + 256)}. */
    static void codes(byte[] b, byte[] out, int off) {
        for (int l = 0; l < 32; l += 8) {
            long h = (long) LONG.get(b, QH + l);
            for (int g = 0; g < 4; g++) {
                long v = (long) LONG.get(b, QS + 32 * g + l);
                LONG.set(out, off + 64 * g + l, (v & NIBBLES) | ((h >>> (2 * g)) & ONES) << 4);
                LONG.set(out, off + 64 * g + 32 + l, ((v >>> 4) & NIBBLES) | ((h >>> (2 * g + 1)) & ONES) << 4);
            }
        }
    }

    private static FloatVector values256(ByteVector q, float scale, float min) {
        return ((FloatVector) q.convertShape(VectorOperators.B2F, F256, 0)).mul(scale).sub(min);
    }

    private static FloatVector values512(ByteVector q, float scale, float min) {
        return ((FloatVector) q.convertShape(VectorOperators.B2F, F512, 0)).mul(scale).sub(min);
    }

    /** Bit {@code j} of each lane of {@code h}, moved to bit 4 (so 0 or 16). */
    private static ByteVector fifth(ByteVector h, int j) {
        // A variable left shift of bytes is not intrinsified (it boxes); a variable right shift and a constant left one are.
        return h.lanewise(VectorOperators.LSHR, j).and((byte) 1).lanewise(VectorOperators.LSHL, 4);
    }

    private static FloatVector lowValues(ByteVector v, ByteVector h, int j, float scale, float min) {
        return ((FloatVector) v.and((byte) 0xF).or(fifth(h, j)).convertShape(VectorOperators.B2F, F256, 0)).mul(scale).sub(min);
    }

    private static FloatVector highValues(ByteVector v, ByteVector h, int j, float scale, float min) {
        return ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(fifth(h, j)).convertShape(VectorOperators.B2F, F256, 0)).mul(scale).sub(min);
    }

    @Override
    public void chunk(long rowOffset, int c, float[] out) {
        long blk = rowOffset + (long) (c / 16) * BLOCK_BYTES;
        int e0 = (c % 16) * 16;
        int j = e0 / 32;          // sub-block
        int g = e0 / 64;          // group of two sub-blocks sharing 32 bytes of qs
        boolean high = (j & 1) == 1;
        int l0 = e0 % 32;
        byte[] head = new byte[16]; // d, dmin and the 12 bytes of packed scales and mins
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, blk, head, 0, 16);
        float d = f16(head, 0), dmin = f16(head, 2);
        float d1 = d * scale(head, j);
        float m1 = dmin * min(head, j);
        for (int i = 0; i < 16; i++) {
            int v = data.get(ValueLayout.JAVA_BYTE, blk + QS + 32L * g + l0 + i) & 0xFF;
            int h = data.get(ValueLayout.JAVA_BYTE, blk + QH + l0 + i) & 0xFF;
            int q = (high ? v >> 4 : v & 0xF) | ((h >> j) & 1) << 4;
            out[i] = d1 * q - m1;
        }
    }

    // ---- the int8-q8 profile (class javadoc)

    @Override
    public int int8Format() {
        return Int8Input.Q8_256;
    }

    @Override
    public float dotInt8Reference(int row, Int8Input xq, int t) {
        return Q4_KTensor.dotInt8KM(this, row, xq, t);
    }

}

package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.Dot;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Lanes;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q4_K weights: super-blocks of 256 elements in 144 bytes: f16 {@code d}, f16 {@code dmin}, 12 bytes of
 * packed 6-bit scales and mins for 8 sub-blocks of 32, then 128 bytes of 4-bit values. Sub-blocks
 * {@code 2g} and {@code 2g+1} share the 32 bytes {@code qs[32g ..]}: low nibbles, then high nibbles.
 *
 * <p>Element value (as llama.cpp's {@code dequantize_row_q4_K}): {@code (d * sc) * q - (dmin * m)}, each
 * operation one binary32 rounding (multiply, multiply, multiply, subtract; no fma). The dot product is
 * {@link DequantDot}'s canonical F32 layout over these values.
 *
 * <h2>The int8-q8 product ({@link ComputeProfile#INT8_Q8}; input format {@link Int8Input#Q8_256})</h2>
 * For super-block {@code s} of the row, with {@code dx} the input's Q8_256 scale of that block, {@code qx} its codes,
 * {@code d} and {@code dmin} the super-block's f16 values widened, {@code sc_j} and {@code mn_j} the 6-bit scale and
 * min of sub-block {@code j} ({@link #scale}, {@link #min}) and {@code q} the 4-bit codes (0..15):
 * <pre>
 *   dot_j = sum over the 32 elements i of sub-block j of q[i] * qx[i]           (exact int)
 *   A = sum_j sc_j * dot_j ;  B = sum_j mn_j * bs_j                             (exact int32)
 *       bs_j = the sum of the input's 32 codes of sub-block j (two {@link Int8Input#sums16})
 *   D = d * dx ;  M = dmin * dx                                                 (binary32 multiplies)
 *   acc[s mod 16] = fma(D, (float) A, acc[s mod 16]) ;  acc[s mod 16] = fma(-M, (float) B, acc[s mod 16])
 *   result = Dot.combine(acc)                   (acc starts as 16 x +0.0f; (float) A rounds to nearest even)
 * </pre>
 * The integer parts are exact, so every kernel that forms A and B per (row, super-block) and then issues these float
 * operations in this order gives the same bits ({@link #dotInt8Reference} is the reference; {@link Int8KQuantKernels}
 * the native kernels). Q5_K's product is this one with 5-bit codes ({@link #dotInt8KM}).
 */
public final class Q4_KTensor extends ChunkedTensor {
    private static final int BLOCK_BYTES = 144;
    private static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;

    public Q4_KTensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.Q4_K, data, rows, cols);
    }

    private int u8(long at) {
        return data.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    /**
     * The row a super-block at a time (copied out of the mapped file once): its scales and mins are unpacked
     * once, then 256 values, 8 at a time where {@link #VECTOR_ROWS}.
     */
    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        dequantizeRow(row, out, off, VECTOR_ROWS);
    }

    /** {@link #dequantizeRow} with the vector loop on or off (tests compare the two). */
    @Override
    void dequantizeRow(int row, float[] out, int off, boolean vector) {
        byte[] b = new byte[BLOCK_BYTES];
        for (int sb = 0; sb < cols / 256; sb++) {
            copyBlock(row, sb, b);
            float d = f16(b, 0), dmin = f16(b, 2);
            int o = off + 256 * sb;
            for (int g = 0; g < 4; g++) {
                int j = 2 * g; // sub-blocks j (low nibbles) and j + 1 (high nibbles) share 32 bytes
                float d1 = d * scale(b, j), m1 = dmin * min(b, j), d2 = d * scale(b, j + 1), m2 = dmin * min(b, j + 1);
                int q = 16 + 32 * g, lo = o + 64 * g, hi = lo + 32;
                if (vector) {
                    for (int l = 0; l < 32; l += 8) {
                        ByteVector v = ByteVector.fromArray(B64, b, q + l);
                        lowValues(v, d1, m1).intoArray(out, lo + l);
                        highValues(v, d2, m2).intoArray(out, hi + l);
                    }
                } else {
                    for (int l = 0; l < 32; l++) out[lo + l] = d1 * (b[q + l] & 0xF) - m1;
                    for (int l = 0; l < 32; l++) out[hi + l] = d2 * ((b[q + l] & 0xFF) >> 4) - m2;
                }
            }
        }
    }

    /**
     * At 256 and 512 bits the decode step (one input) decodes and multiplies in one pass, without the row buffer:
     * at 256 bits partial sums 0..7 and 8..15 in two accumulators, at 512 bits all 16 in one, each receiving its
     * elements in increasing order, as {@link Dot}'s kernel of that width does over a decoded row (so the same
     * bits). At 512 bits {@link #rowsOfOne} runs two rows side by side ({@link #pair512}).
     */
    @Override
    public float dot(KernelConfig cfg, int row, float[] x, int xOff) {
        if (cfg.vectorBits() == 512) {
            float[] y = new float[2];
            pair512(row, row, x, xOff, y, 0, 1);
            return y[0];
        }
        if (cfg.vectorBits() != 256 || !VECTOR_ROWS) return super.dot(cfg, row, x, xOff);
        byte[] b = blockBuffers()[0];
        FloatVector acc0 = FloatVector.zero(F256), acc1 = acc0;
        for (int sb = 0; sb < cols / 256; sb++) {
            copyBlock(row, sb, b);
            float d = f16(b, 0), dmin = f16(b, 2);
            int xb = xOff + 256 * sb;
            for (int g = 0; g < 4; g++) {
                int j = 2 * g;
                float d1 = d * scale(b, j), m1 = dmin * min(b, j), d2 = d * scale(b, j + 1), m2 = dmin * min(b, j + 1);
                int q = 16 + 32 * g, xl = xb + 64 * g, xh = xl + 32;
                for (int l = 0; l < 32; l += 16) { // low nibbles: elements 64g + l ..
                    ByteVector v0 = ByteVector.fromArray(B64, b, q + l), v1 = ByteVector.fromArray(B64, b, q + l + 8);
                    acc0 = lowValues(v0, d1, m1).fma(FloatVector.fromArray(F256, x, xl + l), acc0);
                    acc1 = lowValues(v1, d1, m1).fma(FloatVector.fromArray(F256, x, xl + l + 8), acc1);
                }
                for (int l = 0; l < 32; l += 16) { // then high nibbles: elements 64g + 32 + l ..
                    ByteVector v0 = ByteVector.fromArray(B64, b, q + l), v1 = ByteVector.fromArray(B64, b, q + l + 8);
                    acc0 = highValues(v0, d2, m2).fma(FloatVector.fromArray(F256, x, xh + l), acc0);
                    acc1 = highValues(v1, d2, m2).fma(FloatVector.fromArray(F256, x, xh + l + 8), acc1);
                }
            }
        }
        return Lanes.combine256(acc0, acc1);
    }

    @Override
    protected void rowsOfOne(KernelConfig cfg, int from, int to, float[] x, int xOff, float[] y, int yOff) {
        if (cfg.vectorBits() != 512) { // at 256 bits two rows side by side exceed C2's inlining budget (measured 4x slower)
            super.rowsOfOne(cfg, from, to, x, xOff, y, yOff);
            return;
        }
        int r = from;
        for (; r + 2 <= to; r += 2) pair512(r, r + 1, x, xOff, y, yOff + r, yOff + r + 1);
        if (r < to) y[yOff + r] = dot(cfg, r, x, xOff);
    }

    /**
     * Rows {@code ra} and {@code rb} at 512 bits: 16 values per vector (16 bytes of nibbles), all 16 partial sums
     * of a row in one accumulator, elements in increasing order (Dot's 512-bit layout).
     */
    private void pair512(int ra, int rb, float[] x, int xOff, float[] y, int ya, int yb) {
        byte[][] bufs = blockBuffers();
        byte[] a = bufs[0], b = bufs[1];
        FloatVector accA = FloatVector.zero(F512), accB = accA;
        for (int sb = 0; sb < cols / 256; sb++) {
            copyBlock(ra, sb, a);
            copyBlock(rb, sb, b);
            float da = f16(a, 0), ma = f16(a, 2), db = f16(b, 0), mb = f16(b, 2);
            int xb = xOff + 256 * sb;
            for (int g = 0; g < 4; g++) {
                int j = 2 * g, q = 16 + 32 * g, xl = xb + 64 * g;
                float ad1 = da * scale(a, j), am1 = ma * min(a, j), ad2 = da * scale(a, j + 1), am2 = ma * min(a, j + 1);
                float bd1 = db * scale(b, j), bm1 = mb * min(b, j), bd2 = db * scale(b, j + 1), bm2 = mb * min(b, j + 1);
                // Small loop bodies: a fully unrolled group exceeds C2's inlining budget and boxes the vectors.
                for (int h = 0; h < 32; h += 16) { // low nibbles: elements 64g + h ..
                    FloatVector xv = FloatVector.fromArray(F512, x, xl + h);
                    accA = low512(a, q + h, ad1, am1).fma(xv, accA);
                    accB = low512(b, q + h, bd1, bm1).fma(xv, accB);
                }
                for (int h = 0; h < 32; h += 16) { // then high nibbles: elements 64g + 32 + h ..
                    FloatVector xv = FloatVector.fromArray(F512, x, xl + 32 + h);
                    accA = high512(a, q + h, ad2, am2).fma(xv, accA);
                    accB = high512(b, q + h, bd2, bm2).fma(xv, accB);
                }
            }
        }
        float[] t = sumBuffer();
        accA.intoArray(t, 0);
        accB.intoArray(t, 16);
        y[ya] = Dot.combine(t, 0);
        y[yb] = Dot.combine(t, 16);
    }

    // The 16 bytes at b[o ..] widened to 32-bit lanes first: byte lanes have no x86 shift, and C2 ran the byte-lane
    // shift and mask as the Vector API's Java fallback (boxed; the whole Q4_K_M decode was 10x slower for it).
    private static IntVector wide512(byte[] b, int o) {
        return (IntVector) ByteVector.fromArray(B128, b, o).convertShape(VectorOperators.ZERO_EXTEND_B2I, IntVector.SPECIES_512, 0);
    }

    private static FloatVector low512(byte[] b, int o, float scale, float min) {
        return ((FloatVector) wide512(b, o).and(0xF).convert(VectorOperators.I2F, 0)).mul(scale).sub(min);
    }

    private static FloatVector high512(byte[] b, int o, float scale, float min) {
        return ((FloatVector) wide512(b, o).lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).mul(scale).sub(min);
    }

    private static FloatVector lowValues(ByteVector v, float scale, float min) {
        return ((FloatVector) v.and((byte) 0xF).convertShape(VectorOperators.B2F, F256, 0)).mul(scale).sub(min);
    }

    private static FloatVector highValues(ByteVector v, float scale, float min) {
        return ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.B2F, F256, 0)).mul(scale).sub(min);
    }

    /** The 6-bit scale of sub-block {@code j} from a super-block's bytes (packed at byte 4; Q5_K packs them alike). */
    static int scale(byte[] b, int j) {
        return j < 4 ? b[4 + j] & 63 : (b[8 + j] & 0xF) | (((b[j] & 0xFF) >> 6) << 4);
    }

    /** The 6-bit min of sub-block {@code j}. */
    static int min(byte[] b, int j) {
        return j < 4 ? b[8 + j] & 63 : ((b[8 + j] & 0xFF) >> 4) | (((b[4 + j] & 0xFF) >> 6) << 4);
    }

    @Override
    public void chunk(long rowOffset, int c, float[] out) {
        long blk = rowOffset + (long) (c / 16) * BLOCK_BYTES;
        int e0 = (c % 16) * 16;
        int j = e0 / 32;          // sub-block
        int g = e0 / 64;          // group of two sub-blocks sharing 32 bytes
        boolean high = (e0 % 64) >= 32;
        int l0 = e0 % 32;
        byte[] head = new byte[16]; // d, dmin and the 12 bytes of packed scales and mins
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, blk, head, 0, 16);
        float d = f16(head, 0), dmin = f16(head, 2);
        int scale = scale(head, j), min = min(head, j);
        float d1 = d * scale;
        float m1 = dmin * min;
        long qs = blk + 16 + 32L * g;
        for (int i = 0; i < 16; i++) {
            int v = u8(qs + l0 + i);
            int q = high ? v >> 4 : v & 0xF;
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
        return dotInt8KM(this, row, xq, t);
    }

    /**
     * The int8-q8 product of Q4_K and Q5_K (the class javadoc's definition, the one place it is computed in Java): row
     * {@code row} of {@code w} times input {@code t} of {@code xq}. The two types differ only in their codes
     * ({@link #codes}; Q5_K's {@link Q5_KTensor#codes}).
     */
    static float dotInt8KM(ChunkedTensor w, int row, Int8Input xq, int t) {
        int cols = w.cols, nsb = cols / 256;
        byte[][] bufs = blockBuffers();
        byte[] b = bufs[0], q = bufs[1];
        byte[] qx = xq.codes256();
        float[] dx = xq.scales256();
        int[] s16 = xq.sums16();
        float[] acc = new float[16];
        for (int sb = 0; sb < nsb; sb++) {
            w.copyBlock(row, sb, b);
            if (w.type == GgmlType.Q4_K) codes(b, q);
            else Q5_KTensor.codes(b, q);
            int xo = t * cols + 256 * sb, so = t * (cols / 16) + 16 * sb;
            int a = 0, m = 0;
            for (int j = 0; j < 8; j++) {
                int dot = 0;
                for (int l = 0; l < 32; l++) dot += q[32 * j + l] * qx[xo + 32 * j + l];
                a += scale(b, j) * dot;
                m += min(b, j) * (s16[so + 2 * j] + s16[so + 2 * j + 1]);
            }
            float dxs = dx[t * nsb + sb];
            int k = sb & 15;
            acc[k] = Math.fma(f16(b, 0) * dxs, (float) a, acc[k]);
            acc[k] = Math.fma(-(f16(b, 2) * dxs), (float) m, acc[k]);
        }
        return Dot.combine(acc, 0);
    }

    /** The 256 four-bit codes of the Q4_K super-block {@code b}, in element order, into {@code out[0 .. 256)}. */
    static void codes(byte[] b, byte[] out) {
        codes(b, out, 0);
    }

    private static final java.lang.invoke.VarHandle LONG =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final long NIBBLES = 0x0F0F0F0F0F0F0F0FL;

    /** {@link #codes(byte[], byte[])} into {@code out[off .. off + 256)}, 8 bytes at a time in a long. */
    static void codes(byte[] b, byte[] out, int off) {
        for (int g = 0; g < 4; g++) {
            for (int l = 0; l < 32; l += 8) {
                long v = (long) LONG.get(b, 16 + 32 * g + l);
                LONG.set(out, off + 64 * g + l, v & NIBBLES);
                LONG.set(out, off + 64 * g + 32 + l, (v >>> 4) & NIBBLES);
            }
        }
    }
}

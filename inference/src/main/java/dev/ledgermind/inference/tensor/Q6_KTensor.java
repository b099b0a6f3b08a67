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

import static dev.ledgermind.inference.tensor.Q8_0Tensor.F16;

/**
 * Q6_K weights: super-blocks of 256 elements in 210 bytes: {@code ql[128]} (low 4 bits), {@code qh[64]}
 * (high 2 bits), 16 signed 8-bit sub-block scales, then the f16 {@code d}. Element e of a super-block,
 * with {@code n = e / 128}, {@code k = (e % 128) / 32}, {@code l = e % 32}: low bits from
 * {@code ql[64n + l + 32(k & 1)]} (low nibble for k < 2, high nibble otherwise), high bits
 * {@code (qh[32n + l] >> 2k) & 3}, scale {@code sc[8n + l/16 + 2k]}, as llama.cpp's {@code dequantize_row_q6_K}.
 *
 * <p>Element value: {@code (d * sc) * (q - 32)}, two binary32 multiplications. The dot product is
 * {@link DequantDot}'s canonical F32 layout over these values.
 *
 * <h2>The int8-q8 product ({@link ComputeProfile#INT8_Q8}; input format {@link Int8Input#Q8_256})</h2>
 * For super-block {@code s} of the row, with {@code dx} the input's Q8_256 scale of that block, {@code qx} its codes,
 * {@code d} the super-block's f16 widened, {@code sc_j} the int8 scale of sub-block {@code j} (16 elements) and
 * {@code q} the 6-bit codes (0..63):
 * <pre>
 *   dot_j = sum over the 16 elements i of sub-block j of (q[i] - 32) * qx[i]    (exact int)
 *   A = sum_j sc_j * dot_j                                                      (exact int32)
 *   acc[s mod 16] = fma(d * dx, (float) A, acc[s mod 16])                       (d * dx one binary32 multiply)
 *   result = Dot.combine(acc)                   (acc starts as 16 x +0.0f; (float) A rounds to nearest even)
 * </pre>
 * The integer part is exact, so every kernel that forms A per (row, super-block) and then issues these float
 * operations in this order gives the same bits ({@link #dotInt8Reference} is the reference; {@link Int8KQuantKernels}
 * the native kernel, which takes the raw q and subtracts {@code 32 * sc_j * (code sum of sub-block j)}, exactly).
 */
public final class Q6_KTensor extends ChunkedTensor {
    private static final int BLOCK_BYTES = 210;
    private static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I512 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;

    public Q6_KTensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.Q6_K, data, rows, cols);
    }

    private int u8(long at) {
        return data.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    /** The row a super-block at a time, over the 16 runs of 16 values that share a scale (8 values per vector op where {@link #VECTOR_ROWS}). */
    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        dequantizeRow(row, out, off, VECTOR_ROWS);
    }

    /** {@link #dequantizeRow} with the vector loop (8 values at a time, same operations) on or off. */
    @Override
    void dequantizeRow(int row, float[] out, int off, boolean vector) {
        byte[] b = new byte[BLOCK_BYTES];
        for (int sb = 0; sb < cols / 256; sb++) {
            copyBlock(row, sb, b);
            float d = f16(b, 208);
            int o = off + 256 * sb;
            for (int n = 0; n < 2; n++) {
                for (int k = 0; k < 4; k++) {
                    int ql = 64 * n + 32 * (k & 1), qh = 128 + 32 * n, shift = 4 * (k >> 1), hshift = 2 * k;
                    for (int half = 0; half < 2; half++) {
                        float dsc = d * b[192 + 8 * n + half + 2 * k];
                        int e = o + 128 * n + 32 * k + 16 * half;
                        if (vector) {
                            for (int i = 0; i < 16; i += 8) {
                                int l = 16 * half + i;
                                ByteVector low = ByteVector.fromArray(B64, b, ql + l).lanewise(VectorOperators.LSHR, shift).and((byte) 0xF);
                                ByteVector high = ByteVector.fromArray(B64, b, qh + l).lanewise(VectorOperators.LSHR, hshift).and((byte) 3);
                                ByteVector q = low.or(high.lanewise(VectorOperators.LSHL, 4)).sub((byte) 32); // -32..31: fits a byte
                                ((FloatVector) q.convertShape(VectorOperators.B2F, F256, 0)).mul(dsc).intoArray(out, e + i);
                            }
                        } else {
                            for (int i = 0; i < 16; i++) {
                                int l = 16 * half + i;
                                int q = ((((b[ql + l] & 0xFF) >> shift) & 0xF) | ((((b[qh + l] & 0xFF) >> hshift) & 3) << 4)) - 32;
                                out[e + i] = dsc * q;
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * At 512 bits the decode step decodes and multiplies in one pass (no row buffer): each run of 16 values that
     * share a scale is 16 consecutive elements, one vector of all 16 partial sums receiving its elements in
     * increasing order, as {@link Dot}'s 512-bit kernel does over a decoded row (so the same bits);
     * {@link #rowsOfOne} runs two rows side by side. Other widths decode the row, then run {@link Dot}.
     */
    @Override
    public float dot(KernelConfig cfg, int row, float[] x, int xOff) {
        if (cfg.vectorBits() != 512) return super.dot(cfg, row, x, xOff);
        float[] y = new float[2];
        pair512(row, row, x, xOff, y, 0, 1);
        return y[0];
    }

    @Override
    protected void rowsOfOne(KernelConfig cfg, int from, int to, float[] x, int xOff, float[] y, int yOff) {
        if (cfg.vectorBits() != 512) { // at 256 bits a fused pass exceeds C2's inlining budget (measured 4x slower than decode + Dot)
            super.rowsOfOne(cfg, from, to, x, xOff, y, yOff);
            return;
        }
        int r = from;
        for (; r + 2 <= to; r += 2) pair512(r, r + 1, x, xOff, y, yOff + r, yOff + r + 1);
        if (r < to) y[yOff + r] = dot(cfg, r, x, xOff);
    }

    /** 8 codes from low bits {@code ql} and high bits {@code qh}, minus 32 (fits a byte). */
    private static ByteVector codes(ByteVector ql, int shift, ByteVector qh, int hshift) {
        ByteVector low = ql.lanewise(VectorOperators.LSHR, shift).and((byte) 0xF);
        ByteVector high = qh.lanewise(VectorOperators.LSHR, hshift).and((byte) 3).lanewise(VectorOperators.LSHL, 4);
        return low.or(high).sub((byte) 32);
    }

    private void pair512(int ra, int rb, float[] x, int xOff, float[] y, int ya, int yb) {
        byte[][] bufs = blockBuffers();
        byte[] a = bufs[0], b = bufs[1];
        FloatVector accA = FloatVector.zero(F512), accB = accA;
        for (int sb = 0; sb < cols / 256; sb++) {
            copyBlock(ra, sb, a);
            copyBlock(rb, sb, b);
            float da = f16(a, 208), db = f16(b, 208);
            int xb = xOff + 256 * sb;
            for (int n = 0; n < 2; n++) {
                for (int k = 0; k < 4; k++) {
                    int ql = 64 * n + 32 * (k & 1), qh = 128 + 32 * n, shift = 4 * (k >> 1), hshift = 2 * k;
                    for (int half = 0; half < 2; half++) {
                        int sc = 192 + 8 * n + half + 2 * k, l = 16 * half;
                        FloatVector xv = FloatVector.fromArray(F512, x, xb + 128 * n + 32 * k + 16 * half);
                        accA = codes512(a, ql + l, shift, qh + l, hshift).mul(da * a[sc]).fma(xv, accA);
                        accB = codes512(b, ql + l, shift, qh + l, hshift).mul(db * b[sc]).fma(xv, accB);
                    }
                }
            }
        }
        float[] t = sumBuffer();
        accA.intoArray(t, 0);
        accB.intoArray(t, 16);
        y[ya] = Dot.combine(t, 0);
        y[yb] = Dot.combine(t, 16);
    }

    /**
     * 16 codes minus 32 as floats, from the low bits at {@code b[ql ..]} (shifted by {@code shift}) and the high bits at
     * {@code b[qh ..]} (shifted by {@code hshift}). On 32-bit lanes: byte lanes have no x86 shift, and C2 ran byte
     * shifts by a variable count as the Vector API's Java fallback (boxed, measured 10x slower than the whole decode).
     */
    private static FloatVector codes512(byte[] b, int ql, int shift, int qh, int hshift) {
        IntVector lo = (IntVector) ByteVector.fromArray(B128, b, ql).convertShape(VectorOperators.ZERO_EXTEND_B2I, I512, 0);
        IntVector hi = (IntVector) ByteVector.fromArray(B128, b, qh).convertShape(VectorOperators.ZERO_EXTEND_B2I, I512, 0);
        IntVector q = lo.lanewise(VectorOperators.LSHR, shift).and(0xF)
                .or(hi.lanewise(VectorOperators.LSHR, hshift).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
        return (FloatVector) q.convert(VectorOperators.I2F, 0);
    }

    @Override
    public void chunk(long rowOffset, int c, float[] out) {
        long blk = rowOffset + (long) (c / 16) * BLOCK_BYTES;
        float d = Float.float16ToFloat(data.get(F16, blk + 208));
        int e0 = (c % 16) * 16;
        for (int i = 0; i < 16; i++) {
            int e = e0 + i;
            int n = e / 128, k = (e % 128) / 32, l = e % 32;
            int lowByte = u8(blk + 64L * n + l + 32L * (k & 1));
            int low = k < 2 ? lowByte & 0xF : lowByte >> 4;
            int high = (u8(blk + 128 + 32L * n + l) >> (2 * k)) & 3;
            int q = (low | (high << 4)) - 32;
            int sc = data.get(ValueLayout.JAVA_BYTE, blk + 192 + 8L * n + l / 16 + 2L * k);
            out[i] = (d * sc) * q;
        }
    }

    // ---- the int8-q8 profile (class javadoc)

    @Override
    public int int8Format() {
        return Int8Input.Q8_256;
    }

    /** The class javadoc's int8-q8 product (the one place it is computed in Java). */
    @Override
    public float dotInt8Reference(int row, Int8Input xq, int t) {
        int nsb = cols / 256;
        byte[] b = blockBuffers()[0];
        byte[] qx = xq.codes256();
        float[] dx = xq.scales256();
        float[] acc = new float[16];
        for (int sb = 0; sb < nsb; sb++) {
            copyBlock(row, sb, b);
            int xo = t * cols + 256 * sb;
            int a = 0;
            for (int j = 0; j < 16; j++) {
                int dot = 0;
                for (int i = 16 * j; i < 16 * j + 16; i++) {
                    int n = i / 128, k = (i % 128) / 32, l = i % 32;
                    int low = ((b[64 * n + l + 32 * (k & 1)] & 0xFF) >> (4 * (k >> 1))) & 0xF;
                    int high = ((b[128 + 32 * n + l] & 0xFF) >> (2 * k)) & 3;
                    dot += ((low | high << 4) - 32) * qx[xo + i];
                }
                a += b[192 + j] * dot;
            }
            int k = sb & 15;
            acc[k] = Math.fma(f16(b, 208) * dx[t * nsb + sb], (float) a, acc[k]);
        }
        return Dot.combine(acc, 0);
    }

    private static final java.lang.invoke.VarHandle LONG =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final long NIBBLES = 0x0F0F0F0F0F0F0F0FL, TWO_BITS = 0x0303030303030303L, HIGH = 0x8080808080808080L,
            THIRTY_TWOS = 0x2020202020202020L;

    /**
     * The 256 codes {@code q - 32} (-32..31, as signed bytes) of the Q6_K super-block {@code b}, in element order, into
     * {@code out[off .. off + 256)}: 8 bytes at a time in a long. Each byte {@code q} (0..63) becomes {@code q - 32}
     * mod 256 as {@code ((q | 0x80) - 0x20) ^ 0x80} (no borrow crosses a byte).
     */
    static void codes(byte[] b, byte[] out, int off) {
        for (int n = 0; n < 2; n++) {
            for (int k = 0; k < 4; k++) {
                for (int l = 0; l < 32; l += 8) {
                    long lo = ((long) LONG.get(b, 64 * n + 32 * (k & 1) + l) >>> (4 * (k >> 1))) & NIBBLES;
                    long hi = ((long) LONG.get(b, 128 + 32 * n + l) >>> (2 * k)) & TWO_BITS;
                    long q = lo | hi << 4;
                    LONG.set(out, off + 128 * n + 32 * k + l, ((q | HIGH) - THIRTY_TWOS) ^ HIGH);
                }
            }
        }
    }

}
